"""Merging two records of one person, and dismissing a suggested pair as two people.

`merge_people` keeps one record and folds the other into it, losing nothing: facts,
channels, roles, tags, interactions, commitments, evidence shown, claims, surveys,
share links, import keys, the people the other introduced, the pairs reviewed as "not
the same person", the trust trend line and the audit history all move to the kept
person; an exact copy of something the kept person already has is
dropped instead of doubled. Every relation to Person is found through
`Person._meta`, so a model added later is moved too, or, if it has a uniqueness rule
the merge cannot know about, the merge refuses until someone teaches it (see HANDLERS;
a test fails when a relation is missing there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from rapport.accounts.models import AuditEntry, Member
from rapport.accounts.services import audit_record
from rapport.interactions.models import Participation
from rapport.people import searchkey
from rapport.people.models import Channel, DistinctPair, Fact, Person, Role, Visibility
from rapport.people.queries import visible_people
from rapport.people.services import normalise_channel, person_reindex
from rapport.transfer.duplicates import email_key, phone_key

# Fields of the kept person filled from the other when empty. A birthday moves whole.
FILLED_FIELDS = (
    "given_name",
    "family_name",
    "romanised_name",
    "headline",
    "contact_cadence_days",
)
BIRTHDAY_FIELDS = ("birth_calendar", "birth_year", "birth_month", "birth_day", "birth_leap_month")
# Free text both may hold: the other's is added under the kept person's, never lost.
JOINED_FIELDS = ("how_we_met", "notes")


@dataclass
class Moved:
    moved: int = 0
    dropped: int = 0  # exact copies of what the kept person had, or records of the other alone


Handler = Callable[[Person, Person, models.Field[Any, Any]], Moved]


def _reassign(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    rows = field.model._default_manager.filter(**{field.name: other})
    return Moved(moved=rows.update(**{field.name: keep}))


def _drop(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """Records about the other alone (its computed trust score)."""
    deleted, _per_model = field.model._default_manager.filter(**{field.name: other}).delete()
    return Moved(dropped=deleted)


def _nothing(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    return Moved()


def _distinct_pairs(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """ "Not the same person" said of the other holds for the kept person: each pair is
    re-pointed (lower id first). A pair with the kept person itself, or one the kept
    person already has, is dropped."""
    result = Moved()
    for pair in DistinctPair.objects.filter(**{field.name: other}):
        partner = pair.second_id if field.name == "first" else pair.first_id
        low, high = sorted((keep.pk, partner))
        if partner in (keep.pk, other.pk) or (
            DistinctPair.objects.filter(first_id=low, second_id=high).exists()
        ):
            pair.delete()
            result.dropped += 1
            continue
        pair.first_id, pair.second_id = low, high
        pair.save(update_fields=["first", "second"])
        result.moved += 1
    return result


def _snapshots(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """The other's trend line joins the kept person's: days the kept person has a
    snapshot of keep theirs; the others move (the refresh after the merge recomputes
    today's)."""
    manager = field.model._default_manager
    theirs = manager.filter(**{field.name: other})
    dropped, _per_model = theirs.filter(
        day__in=manager.filter(**{field.name: keep}).values("day")
    ).delete()
    return Moved(moved=theirs.update(**{field.name: keep}), dropped=dropped)


def _channel_key(kind: str, value: str) -> tuple[str, str]:
    if kind == Channel.Kind.EMAIL:
        return (kind, email_key(value))
    if kind in (Channel.Kind.PHONE, Channel.Kind.WHATSAPP):
        return (kind, phone_key(value) or value)
    try:
        return (kind, searchkey.fold(normalise_channel(kind, value)))
    except ValidationError:
        return (kind, searchkey.fold(value.strip()))


def _channels(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    have = {_channel_key(c.kind, c.value) for c in keep.channels.all()}
    primary = set(keep.channels.filter(is_primary=True).values_list("kind", flat=True))
    result = Moved()
    for channel in other.channels.all():
        key = _channel_key(channel.kind, channel.value)
        if key in have:
            channel.delete()
            result.dropped += 1
            continue
        have.add(key)
        channel.person = keep
        # One primary per kind: the kept person's stays primary.
        channel.is_primary = channel.is_primary and channel.kind not in primary
        primary |= {channel.kind} if channel.is_primary else set()
        channel.save(update_fields=["person", "is_primary"])
        result.moved += 1
    return result


def _same_title(a: str, b: str) -> bool:
    return not a.strip() or not b.strip() or searchkey.fold(a) == searchkey.fold(b)


def _roles(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """A role at an organisation the kept person already holds one at (under the same
    or no title) is one role: the kept one takes what it lacks (title, the earlier
    start, the later or open end, the stronger say). Other roles move."""
    result = Moved()
    kept = list(keep.roles.all())
    for role in other.roles.all():
        twin = next(
            (
                r
                for r in kept
                if r.organisation_id == role.organisation_id and _same_title(r.title, role.title)
            ),
            None,
        )
        if twin is None:
            role.person = keep
            role.save(update_fields=["person"])
            result.moved += 1
            continue
        twin.title = twin.title or role.title
        starts = [d for d in (twin.started_on, role.started_on) if d is not None]
        twin.started_on = min(starts) if starts else None
        twin.ended_on = (
            None
            if twin.ended_on is None or role.ended_on is None
            else max(twin.ended_on, role.ended_on)
        )
        twin.is_decision_maker = twin.is_decision_maker or role.is_decision_maker
        twin.influence = max(twin.influence, role.influence)
        twin.save(
            update_fields=["title", "started_on", "ended_on", "is_decision_maker", "influence"]
        )
        role.delete()
        result.dropped += 1
    return result


def _fact_key(fact: Fact) -> tuple[str, str, str]:
    return (fact.category, searchkey.fold(fact.value.strip()), fact.detail.strip())


def _facts(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    have = {_fact_key(f) for f in keep.facts.all()}
    result = Moved()
    for fact in other.facts.all():
        if _fact_key(fact) in have:
            fact.delete()
            result.dropped += 1
        else:
            have.add(_fact_key(fact))
            result.moved += 1
    Fact.objects.filter(person=other).update(person=keep)
    return result


def _participations(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """Interactions both were in keep one participation (the kept person's)."""
    both = Participation.objects.filter(
        person=other, interaction__participations__person=keep
    ).values_list("pk", flat=True)
    dropped, _per_model = Participation.objects.filter(pk__in=list(both)).delete()
    return Moved(
        moved=Participation.objects.filter(person=other).update(person=keep), dropped=dropped
    )


def _tags(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    theirs = set(other.tags.values_list("pk", flat=True))
    mine = set(keep.tags.values_list("pk", flat=True))
    keep.tags.add(*(theirs - mine))
    return Moved(moved=len(theirs - mine), dropped=len(theirs & mine))


def _introduced(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """People the other introduced were introduced by the kept person; the kept person
    cannot have introduced themselves (their own introducer is settled in _fill)."""
    rows = Person.objects.filter(introduced_by=other).exclude(pk=keep.pk)
    return Moved(moved=rows.update(introduced_by=keep))


def _import_keys(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    manager = field.model._default_manager
    have = set(manager.filter(person=keep).values_list("source_uid", flat=True))
    dropped, _per_model = manager.filter(person=other, source_uid__in=have).delete()
    return Moved(moved=manager.filter(person=other).update(person=keep), dropped=dropped)


def _ties(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """The other's ties become the kept person's (lower id first). A tie between the
    two records is dropped; where the kept person already knows that partner, the one
    tie keeps what a user said of either (the kept tie's words first). Their strengths
    are computed again once the merge commits."""
    from rapport.network.models import Tie
    from rapport.network.tasks import touch

    result = Moved()
    partners = [keep.pk]
    for tie in Tie.objects.filter(**{field.name: other}):
        partner = tie.other(other.pk)
        if partner == keep.pk:
            tie.delete()
            result.dropped += 1
            continue
        partners.append(partner)
        low, high = sorted((keep.pk, partner))
        twin = Tie.objects.filter(team_id=tie.team_id, person_a_id=low, person_b_id=high).first()
        if twin is None:
            tie.person_a_id, tie.person_b_id = low, high
            tie.save(update_fields=["person_a", "person_b", "updated_at"])
            result.moved += 1
            continue
        if twin.source == Tie.Source.INTERACTIONS and tie.source != Tie.Source.INTERACTIONS:
            twin.kind, twin.source, twin.owner_id = tie.kind, tie.source, tie.owner_id
        twin.since = min((d for d in (twin.since, tie.since) if d), default=None)
        twin.note = "\n\n".join(n for n in (twin.note, tie.note) if n)
        if twin.manual_strength is None:
            twin.manual_strength = tie.manual_strength
        twin.save(
            update_fields=[
                "kind",
                "source",
                "owner",
                "since",
                "note",
                "manual_strength",
                "updated_at",
            ]
        )
        tie.delete()
        result.dropped += 1
    touch(people=partners)
    return result


def _referrals(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    """Referrals move to the kept person; one between the two records is dropped."""
    from rapport.network.models import Referral

    partner = "referred" if field.name == "referrer" else "referrer"
    rows = Referral.objects.filter(**{field.name: other})
    dropped, _per_model = rows.filter(**{partner: keep}).delete()
    return Moved(moved=rows.update(**{field.name: keep}), dropped=dropped)


def _member(keep: Person, other: Person, field: models.Field[Any, Any]) -> Moved:
    # Refused before anything moves (a member's own Person is never merged away).
    return Moved()


# Every relation to Person, by "app.Model.field": how a merge treats it, and the name
# its count has in the audit entry. Plain moves could be found alone; listing them all
# makes adding a relation a decision (tests/transfer/test_merge.py fails until it is).
HANDLERS: dict[str, tuple[str, Handler]] = {
    "accounts.Member.person": ("member", _member),
    "accounts.AuditEntry.person": ("audit_entries", _reassign),
    "people.Person_tags.person": ("tags", _tags),
    "people.Person.introduced_by": ("introduced", _introduced),
    "people.Role.person": ("roles", _roles),
    "people.Channel.person": ("channels", _channels),
    "people.Fact.person": ("facts", _facts),
    "people.DistinctPair.first": ("dismissed_pairs", _distinct_pairs),
    "people.DistinctPair.second": ("dismissed_pairs", _distinct_pairs),
    # The many-to-many through Participation: moved with the participations.
    "interactions.Interaction.participants": ("interactions", _nothing),
    "interactions.Participation.person": ("interactions", _participations),
    "commitments.Commitment.promised_by": ("promises_made", _reassign),
    "commitments.Commitment.person": ("commitments", _reassign),
    "portal.ShareLink.person": ("share_links", _reassign),
    "trust.EvidenceShown.person": ("evidence_shown", _reassign),
    "trust.Claim.person": ("claims", _reassign),
    "trust.Survey.person": ("surveys", _reassign),
    # What we did for them and told them, and what they signed or owe: theirs still.
    "value.ValueItem.person": ("value_items", _reassign),
    "value.ValueReport.person": ("value_reports", _reassign),
    "agreements.Agreement.client_person": ("agreements", _reassign),
    "agreements.Obligation.owner_person": ("obligations", _reassign),
    # Computed from the records above: recomputed for the kept person after the merge.
    "trust.TrustScore.person": ("trust_scores", _drop),
    "trust.HistoryLedger.person": ("trust_scores", _drop),
    # The trend line: history, kept (see _snapshots).
    "trust.TrustSnapshot.person": ("trust_snapshots", _snapshots),
    "transfer.ImportedContact.person": ("import_keys", _import_keys),
    "network.Tie.person_a": ("ties", _ties),
    "network.Tie.person_b": ("ties", _ties),
    "network.Referral.referrer": ("referrals", _referrals),
    "network.Referral.referred": ("referrals", _referrals),
}


def relations_to_person() -> list[models.Field[Any, Any]]:
    """Every field of any model that points at Person (hidden ones included)."""
    return [
        rel.field
        for rel in Person._meta.get_fields(include_hidden=True)
        if isinstance(rel, models.ForeignObjectRel)
    ]


def relation_label(field: models.Field[Any, Any]) -> str:
    return f"{field.model._meta.label}.{field.name}"


def _unique_with(field: models.Field[Any, Any]) -> bool:
    """Whether moving rows of `field` could break a uniqueness rule of its model."""
    if field.unique:
        return True
    meta = field.model._meta
    sets = [set(u) for u in meta.unique_together] + [
        set(c.fields)
        for c in meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields
    ]
    return any(field.name in s for s in sets)


def handler_for(field: models.Field[Any, Any]) -> tuple[str, Handler]:
    """The handler of a relation. One nobody listed yet is moved as-is when no
    uniqueness rule could break; otherwise the merge stops rather than lose data."""
    label = relation_label(field)
    if label in HANDLERS:
        return HANDLERS[label]
    if isinstance(field, models.ForeignKey) and not _unique_with(field):
        return (str(field.model._meta.verbose_name_plural), _reassign)
    raise NotImplementedError(f"merge_people does not know how to move {label}")


def _check(actor: Any, keep: Person, other: Person) -> None:
    if keep.pk == other.pk:
        raise ValidationError({"other": _("a person cannot be merged with themselves")})
    if keep.team_id != other.team_id:
        raise ValidationError({"other": _("no such person")})
    visible = set(
        visible_people(actor).filter(pk__in=[keep.pk, other.pk]).values_list("pk", flat=True)
    )
    if keep.pk not in visible:
        raise ValidationError({"keep": _("no such person")})
    if other.pk not in visible:
        raise ValidationError({"other": _("no such person")})
    if Member.objects.filter(person=other).exists():
        raise ValidationError(
            {
                "other": _(
                    "%(name)s is a team member's own record and cannot be merged away; "
                    "keep it and merge the other record into it"
                )
                % {"name": other.display_name}
            }
        )
    if keep.visibility == Visibility.PRIVATE and other.visibility == Visibility.TEAM:
        raise ValidationError(
            {
                "keep": _(
                    "%(name)s is shared with the team and would disappear from it; keep the "
                    "shared record and merge the private one into it"
                )
                % {"name": other.display_name}
            }
        )


def _fill(keep: Person, other: Person) -> list[str]:
    """Give the kept person what only the other knew, never overwriting; returns the
    names of the fields that changed."""
    changed: list[str] = []
    for name in FILLED_FIELDS:
        if getattr(keep, name) in ("", None) and getattr(other, name) not in ("", None):
            setattr(keep, name, getattr(other, name))
            changed.append(name)
    latin_other = not searchkey.HAN.search(other.display_name)
    if not keep.romanised_name and searchkey.HAN.search(keep.display_name) and latin_other:
        # "Xiaoming Wang" merged into 王小明 is how the kept person is also written.
        keep.romanised_name = other.display_name[:200]
        changed.append("romanised_name")
    if keep.birth_month is None and other.birth_month is not None:
        for name in BIRTHDAY_FIELDS:
            setattr(keep, name, getattr(other, name))
        changed.extend(BIRTHDAY_FIELDS)
    elif (
        keep.birth_year is None
        and other.birth_year is not None
        and (
            keep.birth_calendar,
            keep.birth_month,
            keep.birth_day,
        )
        == (other.birth_calendar, other.birth_month, other.birth_day)
    ):
        keep.birth_year = other.birth_year
        changed.append("birth_year")
    for name in JOINED_FIELDS:
        mine, theirs = getattr(keep, name).strip(), getattr(other, name).strip()
        if theirs and theirs not in mine:
            setattr(keep, name, f"{mine}\n\n{theirs}" if mine else theirs)
            changed.append(name)
    introducer = other.introduced_by_id
    if keep.introduced_by_id in (None, other.pk):
        wanted = introducer if introducer not in (keep.pk, other.pk) else None
        if wanted != keep.introduced_by_id:
            keep.introduced_by_id = wanted
            changed.append("introduced_by")
    return list(dict.fromkeys(changed))


@transaction.atomic
def merge_people(*, actor: Any, keep: Person, other: Person) -> Person:
    """Fold `other` into `keep` and delete `other`, in one transaction, leaving one
    audit entry "person.merge" that names the other and counts what moved.

    Refuses (ValidationError naming the field) a person with themselves, people of
    another team or that the actor may not see, a team member's own record as the one
    merged away, and a shared record merged away into a private one."""
    if keep.pk == other.pk:
        raise ValidationError({"other": _("a person cannot be merged with themselves")})
    # Both rows locked in one query, in id order (two people merging the same pair in
    # opposite directions wait for each other instead of deadlocking), and read fresh:
    # nothing may change them between check and merge.
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[keep.pk, other.pk])
        .order_by("pk")
    }
    if len(locked) < 2:
        # Merged away or deleted by someone else since the pair was shown.
        gone = "keep" if keep.pk not in locked else "other"
        raise ValidationError({gone: _("this pair changed: reload the review")})
    keep, other = locked[keep.pk], locked[other.pk]
    _check(actor, keep, other)
    organisations = set(
        Role.objects.filter(person__in=[keep, other]).values_list("organisation_id", flat=True)
    )
    other_name, other_id = other.display_name, other.pk
    filled = _fill(keep, other)
    counts: dict[str, dict[str, int]] = {}
    for field in relations_to_person():
        name, handler = handler_for(field)
        result = handler(keep, other, field)
        if result.moved or result.dropped:
            entry = counts.setdefault(name, {"moved": 0, "dropped": 0})
            entry["moved"] += result.moved
            entry["dropped"] += result.dropped
    if filled:
        keep.full_clean(exclude=["owner", "team", "tags", "introduced_by"])
        keep.save(update_fields=[*filled, "updated_at"])
    last = Participation.objects.filter(person=keep).aggregate(m=Max("occurred_at"))["m"]
    Person.objects.filter(pk=keep.pk).update(last_interaction_at=last)
    keep.last_interaction_at = last
    if other.visibility != keep.visibility:
        _follow_visibility(keep)
    other.delete()
    person_reindex(keep)
    audit_record(
        actor=actor,
        team=keep.team,
        action="person.merge",
        obj=keep,
        summary=f"{other_name} → {keep.display_name}",
        changes={
            "merged": {"id": other_id, "name": other_name},
            "kept": {"id": keep.pk, "name": keep.display_name},
            "moved": {k: v["moved"] for k, v in sorted(counts.items()) if v["moved"]},
            "dropped_as_copies": {
                k: v["dropped"] for k, v in sorted(counts.items()) if v["dropped"]
            },
            "filled": filled,
        },
        private=keep.visibility == Visibility.PRIVATE,
        person=keep,
    )
    from rapport.trust.signals import touch

    # Bulk updates send no model signals: refresh the kept person's trust (and their
    # organisations') once the merge commits.
    touch(people=[keep.pk], organisations=organisations)
    return keep


def _follow_visibility(keep: Person) -> None:
    """What moved over is now about the kept person and as visible as they are. Only
    needed when the two differed: interactions, promises, evidence shown, claims and
    audit entries are private exactly when their person is."""
    from rapport.commitments.services import commitments_refresh_visibility
    from rapport.interactions.services import interactions_refresh_visibility
    from rapport.trust.services import trust_records_refresh_visibility

    AuditEntry.objects.filter(person=keep).update(
        private_to=keep.owner if keep.visibility == Visibility.PRIVATE else None
    )
    interactions_refresh_visibility(person=keep)
    commitments_refresh_visibility(person=keep)
    trust_records_refresh_visibility(person=keep)


@transaction.atomic
def distinct_pair_create(*, actor: Any, first: Person, second: Person) -> DistinctPair:
    """Record that two people the actor may see are not the same person, so the
    duplicate review stops suggesting them. Saying it twice changes nothing."""
    if first.pk == second.pk:
        raise ValidationError({"other": _("a person is always the same as themselves")})
    # Locked (in id order, like a merge) so neither is merged away before the pair is
    # written.
    visible = set(
        visible_people(actor)
        .select_for_update()
        .filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if first.pk not in visible:
        raise ValidationError({"first": _("no such person")})
    if second.pk not in visible:
        raise ValidationError({"second": _("no such person")})
    low, high = sorted((first, second), key=lambda p: p.pk)
    pair, created = DistinctPair.objects.get_or_create(
        first=low, second=high, defaults={"team_id": low.team_id, "created_by": actor}
    )
    if created:
        private = Visibility.PRIVATE in (low.visibility, high.visibility)
        audit_record(
            actor=actor,
            team=low.team,
            action="person.distinct",
            obj=pair,
            summary=f"{low.display_name} ≠ {high.display_name}",
            changes={"people": [[low.pk, low.display_name], [high.pk, high.display_name]]},
            private=private,
            person=low if low.visibility == Visibility.PRIVATE else high,
        )
    return pair
