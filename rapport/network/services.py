"""Every write to the network: ties, their strength, referrals, and the background
refresh of ties found in conversations.

User writes validate, change atomically and leave an audit entry; a tie or referral
that names someone's private contact is audited privately."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Member
from rapport.accounts.services import audit_record
from rapport.network import queries
from rapport.network.models import Referral, Tie
from rapport.network.strength import Evidence, tie_strength
from rapport.people.models import Person, Role, Visibility
from rapport.people.queries import visible_people

TIE_FIELDS = {"kind", "since", "note", "manual_strength"}
# Stored strengths are rounded: a refresh then rewrites only ties that really moved.
DIGITS = 6
BATCH = 500


def _private(*people: Person) -> bool:
    return any(p.visibility == Visibility.PRIVATE for p in people)


def _audit_person(a: Person, b: Person) -> Person:
    """The person an entry is about: a private one if either is (the entry then follows
    that person's visibility), else the first."""
    return b if b.visibility == Visibility.PRIVATE else a


def _pair(actor: Any, first: Person | None, second: Person | None) -> tuple[Person, Person]:
    """The two people of a tie, lower id first, after checking the actor may see both
    and that they are two different people of the actor's team."""
    if first is None:
        raise ValidationError({"person_a": _("a tie needs two people")})
    if second is None:
        raise ValidationError({"person_b": _("a tie needs two people")})
    seen = set(
        visible_people(actor).filter(pk__in=[first.pk, second.pk]).values_list("pk", flat=True)
    )
    if first.pk not in seen:
        raise ValidationError({"person_a": _("no such person")})
    if second.pk not in seen:
        raise ValidationError({"person_b": _("no such person")})
    if first.pk == second.pk:
        raise ValidationError({"person_b": _("a tie joins two different people")})
    return (first, second) if first.pk < second.pk else (second, first)


def _check_strength(value: Any, name: str = "manual_strength") -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError({name: _("strength must be a number between 0 and 1")})
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValidationError({name: _("strength must be between 0 and 1")})
    return value


def _strength_of(tie: Tie, evidence: Evidence, now: dt.datetime) -> float:
    stated = tie.kind if tie.source != Tie.Source.INTERACTIONS else None
    result = tie_strength(
        evidence, now=now, kind=stated, since=tie.since, manual=tie.manual_strength
    )
    return round(result.value, DIGITS)


def _apply_evidence(tie: Tie, evidence: Evidence, now: dt.datetime) -> list[str]:
    """Set the tie's strength and contact summary from its evidence; the fields changed."""
    wanted = {
        "strength": _strength_of(tie, evidence, now),
        "interaction_count": evidence.count,
        "first_contact_at": evidence.first_at,
        "last_contact_at": evidence.last_at,
    }
    changed = [name for name, value in wanted.items() if getattr(tie, name) != value]
    for name in changed:
        setattr(tie, name, wanted[name])
    return changed


def _evidence_for(tie: Tie) -> Evidence:
    found = queries.pair_evidence(tie.team_id, [tie.person_a_id, tie.person_b_id])
    return found.get((tie.person_a_id, tie.person_b_id), Evidence())


def _validate(tie: Tie) -> None:
    tie.note = (tie.note or "").strip()
    tie.manual_strength = _check_strength(tie.manual_strength)
    if tie.since is not None and not isinstance(tie.since, dt.date):
        raise ValidationError({"since": _("a date is required")})
    if isinstance(tie.since, dt.datetime):
        tie.since = tie.since.date()
    if tie.since is not None and tie.since > timezone.localdate():
        raise ValidationError({"since": _("this date is in the future")})
    tie.full_clean(
        exclude=["team", "person_a", "person_b", "owner", "strength"], validate_constraints=False
    )


def _summary(tie: Tie, a: Person, b: Person) -> str:
    return f"{a.display_name} – {b.display_name} ({tie.get_kind_display()})"


@transaction.atomic
def tie_create(
    *,
    actor: Any,
    person_a: Person,
    person_b: Person,
    kind: str = Tie.Kind.OTHER,
    since: dt.date | None = None,
    note: str = "",
    manual_strength: float | None = None,
) -> Tie:
    """Record that two people know each other. Their strength is computed from the
    evidence (conversations, kind, how long) unless `manual_strength` is given.

    A tie the conversations already showed becomes this one; a second tie between the
    same two people is refused (change the existing one)."""
    a, b = _pair(actor, person_a, person_b)
    tie = (
        Tie.objects.select_for_update()
        .filter(team_id=actor.member.team_id, person_a=a, person_b=b)
        .first()
    )
    if tie is not None and tie.source != Tie.Source.INTERACTIONS:
        raise ValidationError(
            {"person_b": _("these two already have a tie: change that one instead")}
        )
    if tie is None:
        tie = Tie(team_id=actor.member.team_id, person_a=a, person_b=b)
    tie.kind = kind
    tie.since = since
    tie.note = note
    tie.manual_strength = manual_strength
    tie.source = Tie.Source.MANUAL
    tie.owner = actor
    _validate(tie)
    _apply_evidence(tie, _evidence_for(tie), timezone.now())
    tie.save()
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="tie.create",
        obj=tie,
        summary=_summary(tie, a, b),
        changes={"kind": tie.kind, "manual_strength": tie.manual_strength},
        private=_private(a, b),
        person=_audit_person(a, b),
    )
    return tie


@transaction.atomic
def tie_update(*, actor: Any, tie: Tie, **fields: Any) -> Tie:
    """Change a tie's kind, since, note or hand-set strength (None clears it, and the
    strength is computed from the evidence again). A tie found in conversations that a
    user describes becomes theirs (source "manual")."""
    unknown = sorted(set(fields) - TIE_FIELDS)
    if unknown:
        raise ValidationError({name: "unknown field" for name in unknown})
    a, b = _pair(actor, tie.person_a, tie.person_b)
    before = {name: getattr(tie, name) for name in fields}
    for name, value in fields.items():
        setattr(tie, name, value)
    if {"kind", "since", "note"} & set(fields) and tie.source == Tie.Source.INTERACTIONS:
        tie.source = Tie.Source.MANUAL
        tie.owner = actor
    _validate(tie)
    _apply_evidence(tie, _evidence_for(tie), timezone.now())
    tie.save()
    after = {name: getattr(tie, name) for name in fields}
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="tie.update",
        obj=tie,
        summary=_summary(tie, a, b),
        changes={
            name: [str(before[name]), str(after[name])]
            for name in fields
            if before[name] != after[name]
        },
        private=_private(a, b),
        person=_audit_person(a, b),
    )
    return tie


def tie_set_strength(*, actor: Any, tie: Tie, strength: float | None) -> Tie:
    """Set a tie's strength by hand (0..1), or clear it with None to compute it again."""
    _check_strength(strength, "strength")
    return tie_update(actor=actor, tie=tie, manual_strength=strength)


@transaction.atomic
def tie_delete(*, actor: Any, tie: Tie) -> Tie | None:
    """Remove a tie. If the two have conversations on record, the tie those show stays
    (as found in conversations, with what the user said of it removed) and is returned;
    otherwise the tie is gone and None is returned."""
    a, b = _pair(actor, tie.person_a, tie.person_b)
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="tie.delete",
        obj=tie,
        summary=_summary(tie, a, b),
        private=_private(a, b),
        person=_audit_person(a, b),
    )
    evidence = _evidence_for(tie)
    if not evidence.count:
        tie.delete()
        return None
    tie.kind = inferred_kind(a.pk, b.pk, affiliations(tie.team_id, [a.pk, b.pk]))
    tie.source = Tie.Source.INTERACTIONS
    tie.since = None
    tie.note = ""
    tie.manual_strength = None
    tie.owner = None
    _apply_evidence(tie, evidence, timezone.now())
    tie.save()
    return tie


# -- referrals ------------------------------------------------------------------------------


@transaction.atomic
def referral_create(
    *,
    actor: Any,
    referrer: Person,
    referred: Person,
    referred_on: dt.date | None = None,
    note: str = "",
) -> Referral:
    """Record that `referrer` introduced `referred` to us (today by default).

    The referred person's "introduced by" is set when it is empty (who first brought a
    person to us is their referral source) and the referrer is no private contact hidden
    from those who see the referred person, and the two get an "introduced by" tie
    unless they already have one."""
    seen = set(
        visible_people(actor).filter(pk__in=[referrer.pk, referred.pk]).values_list("pk", flat=True)
    )
    if referrer.pk not in seen:
        raise ValidationError({"referrer": _("no such person")})
    if referred.pk not in seen:
        raise ValidationError({"referred": _("no such person")})
    if referrer.pk == referred.pk:
        raise ValidationError({"referred": _("a person cannot introduce themselves")})
    referred_on = referred_on or timezone.localdate()
    if isinstance(referred_on, dt.datetime):
        referred_on = referred_on.date()
    if not isinstance(referred_on, dt.date):
        raise ValidationError({"referred_on": _("a date is required")})
    if referred_on > timezone.localdate():
        raise ValidationError({"referred_on": _("this date is in the future")})
    referral = Referral(
        team_id=actor.member.team_id,
        referrer=referrer,
        referred=referred,
        referred_on=referred_on,
        note=(note or "").strip(),
        created_by=actor,
    )
    referral.full_clean(exclude=["team", "referrer", "referred", "created_by"])
    referral.save()
    # A colleague's private contact is never written into a record others see.
    seen_alike = referrer.visibility == Visibility.TEAM or (
        referred.visibility == Visibility.PRIVATE and referred.owner_id == referrer.owner_id
    )
    if referred.introduced_by_id is None and seen_alike:
        referred.introduced_by = referrer
        referred.save(update_fields=["introduced_by", "updated_at"])
    a, b = sorted((referrer, referred), key=lambda p: p.pk)
    if not Tie.objects.filter(team_id=referral.team_id, person_a=a, person_b=b).exists():
        tie_create(
            actor=actor, person_a=a, person_b=b, kind=Tie.Kind.INTRODUCED_BY, since=referred_on
        )
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="referral.create",
        obj=referral,
        summary=f"{referrer.display_name} → {referred.display_name}",
        private=_private(referrer, referred),
        person=_audit_person(referrer, referred),
    )
    return referral


@transaction.atomic
def referral_thank(*, actor: Any, referral: Referral, at: dt.datetime | None = None) -> Referral:
    """Note that the referrer was thanked (now by default); thanking twice keeps the
    first time."""
    if referral.thanked_at is None:
        referral.thanked_at = at or timezone.now()
        referral.save(update_fields=["thanked_at", "updated_at"])
        audit_record(
            actor=actor,
            team=actor.member.team,
            action="referral.thanked",
            obj=referral,
            summary=f"{referral.referrer.display_name} → {referral.referred.display_name}",
            private=_private(referral.referrer, referral.referred),
            person=_audit_person(referral.referrer, referral.referred),
        )
    return referral


# -- the kind of a tie found in conversations --------------------------------------------------


@dataclass
class Affiliations:
    """What a tie found in conversations is guessed from: the team's own people (their
    Person records) and each person's organisations, current and past."""

    teammates: set[int] = field(default_factory=set)
    current: dict[int, set[int]] = field(default_factory=dict)
    past: dict[int, set[int]] = field(default_factory=dict)


def inferred_kind(a: int, b: int, known: Affiliations) -> str:
    """The kind a tie between `a` and `b` found in conversations most likely is: a
    teammate with someone outside the team is a client relationship, two teammates or
    two people working at one organisation now are colleagues, two who shared an
    organisation in the past are former colleagues; anything else stays the neutral
    "other" (shown as "Met in conversations"). Symmetric in `a` and `b`."""
    in_team = (a in known.teammates) + (b in known.teammates)
    if in_team == 1:
        return Tie.Kind.CLIENT
    if in_team == 2:
        return Tie.Kind.COLLEAGUE
    now_a, now_b = known.current.get(a, set()), known.current.get(b, set())
    if now_a & now_b:
        return Tie.Kind.COLLEAGUE
    if (now_a | known.past.get(a, set())) & (now_b | known.past.get(b, set())):
        return Tie.Kind.FORMER_COLLEAGUE
    return Tie.Kind.OTHER


# Beyond this many people a refresh reads the roles of the whole team in one query rather
# than name them all in an IN list.
NAMED_AT_MOST = 2000


def affiliations(team_id: int, person_ids: Iterable[int] | None = None) -> Affiliations:
    """The team's teammates and the organisations of its people (or of `person_ids`), in
    two queries whatever their number."""
    known = Affiliations(
        teammates=set(
            Member.objects.filter(team_id=team_id, person__isnull=False).values_list(
                "person_id", flat=True
            )
        )
    )
    roles = Role.objects.filter(person__team_id=team_id)
    ids = None if person_ids is None else sorted(set(person_ids))
    if ids is not None and len(ids) <= NAMED_AT_MOST:
        roles = roles.filter(person_id__in=ids)
    rows = roles.values_list("person_id", "organisation_id", "ended_on").order_by()
    for person_id, organisation_id, ended_on in rows.iterator(chunk_size=5000):
        into = known.current if ended_on is None else known.past
        into.setdefault(person_id, set()).add(organisation_id)
    return known


# -- the background refresh -------------------------------------------------------------------


@dataclass
class Refreshed:
    created: int = 0
    updated: int = 0
    deleted: int = 0


@transaction.atomic
def ties_refresh(
    *, team_id: int, person_ids: list[int] | None = None, now: dt.datetime | None = None
) -> Refreshed:
    """Bring the team's ties (or those between `person_ids`) in line with the
    conversations on record, as of `now`: a pair that talked gets a tie found in
    conversations if it has none, every tie's strength and contact dates are computed
    again, and a tie that only conversations showed goes when they are gone. The kind of
    a tie only conversations showed is guessed again from who the two are
    (`inferred_kind`). Writes only the rows that changed, in bulk, in a handful of
    queries whatever the number of ties."""
    now = now or timezone.now()
    evidence = queries.pair_evidence(team_id, person_ids, now)
    ties = Tie.objects.filter(team_id=team_id)
    if person_ids is not None:
        ties = ties.filter(person_a_id__in=person_ids, person_b_id__in=person_ids)
    known = affiliations(team_id, person_ids)
    result = Refreshed()
    changed: list[Tie] = []
    gone: list[int] = []
    for tie in ties.iterator(chunk_size=2000):
        found = evidence.pop((tie.person_a_id, tie.person_b_id), None)
        if found is None and tie.source == Tie.Source.INTERACTIONS:
            gone.append(tie.pk)
            continue
        moved = bool(_apply_evidence(tie, found or Evidence(), now))
        if tie.source == Tie.Source.INTERACTIONS:
            # Nobody described this tie (that makes it "manual"): its kind is ours to guess.
            kind = inferred_kind(tie.person_a_id, tie.person_b_id, known)
            moved = moved or kind != tie.kind
            tie.kind = kind
        if moved:
            tie.updated_at = now
            changed.append(tie)
    fields = [
        "kind",
        "strength",
        "interaction_count",
        "first_contact_at",
        "last_contact_at",
        "updated_at",
    ]
    Tie.objects.bulk_update(changed, fields, batch_size=BATCH)
    result.updated = len(changed)
    for start in range(0, len(gone), BATCH):
        Tie.objects.filter(pk__in=gone[start : start + BATCH]).delete()
    result.deleted = len(gone)
    new = []
    for (a, b), found in evidence.items():
        tie = Tie(
            team_id=team_id,
            person_a_id=a,
            person_b_id=b,
            kind=inferred_kind(a, b, known),
            source=Tie.Source.INTERACTIONS,
        )
        _apply_evidence(tie, found, now)
        new.append(tie)
    # A tie a user records meanwhile wins: its evidence is read again on the next refresh.
    Tie.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    result.created = len(new)
    return result
