"""Erasing a person completely, as a data-protection request asks (the right to erasure).

Deleting a person (people.services.person_delete) removes the row and what cascades from
it, but leaves their name in the audit log, in the summaries of conversations they had
with others and wherever else a colleague wrote it down. `erase_person` removes
everything held about them:

- their own rows: facts, channels, roles, tags, trust scores and snapshots, claims made
  to them, evidence shown to them, surveys and their answers, tracking links, the keys
  that tied them to imported contacts, promises made to them or by them;
- conversations: one they were alone in is deleted; a shared one keeps the others and
  loses them;
- pointers to them: whoever they introduced keeps no "introduced by";
- mentions: their names, addresses and numbers are replaced by "[erased]" in every text
  column of the team's records (conversation notes, other people's notes, organisation
  trust explanations, import reports, ...), and the audit entries about them keep only
  a neutral text.

One audit entry `person.erase` is left, holding only the erased person's id, how many
records of each kind went, who erased and the reason's category. Everything happens in
one transaction.

Every relation to Person must be handled here on purpose: `unhandled_relations()` lists
any that is not, and a test fails when a new model points at Person unnoticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.models import AuditEntry, Member, Team
from rapport.accounts.services import audit_record
from rapport.people.models import Person, Visibility
from rapport.people.queries import person_for

ERASED = "[erased]"
ERASED_SUMMARY = "personal data erased"

# Why a person is erased: categories only, since a free-text reason would tend to hold
# the very personal data being erased.
REASONS = {
    "request": gettext_lazy("The person asked to be erased"),
    "consent": gettext_lazy("The person withdrew consent"),
    "retention": gettext_lazy("No longer needed"),
    "mistake": gettext_lazy("Added by mistake"),
    "other": gettext_lazy("Other reason"),
}

# Each relation to Person ("app.Model.field") and what erasing does with its rows.
#   refuse   - a person with such rows cannot be erased (a team member's own person)
#   delete   - the rows are about the person: deleted
#   interact - participation: handled by the conversation rules above
#   unlink   - the rows belong to someone else: their pointer is cleared
#   audit    - audit entries: kept, their text replaced by a neutral one
HANDLED: dict[str, str] = {
    "accounts.Member.person": "refuse",
    "accounts.AuditEntry.person": "audit",
    "people.Person_tags.person": "delete",
    "people.Person.introduced_by": "unlink",
    "people.Role.person": "delete",
    "people.Channel.person": "delete",
    "people.Fact.person": "delete",
    "people.DistinctPair.first": "delete",
    "people.DistinctPair.second": "delete",
    "interactions.Interaction.participants": "interact",
    "interactions.Participation.person": "interact",
    "commitments.Commitment.person": "delete",
    "commitments.Commitment.promised_by": "delete",
    "portal.ShareLink.person": "delete",
    "trust.EvidenceShown.person": "delete",
    "trust.Claim.person": "delete",
    "trust.Survey.person": "delete",
    "trust.TrustScore.person": "delete",
    "trust.TrustSnapshot.person": "delete",
    "transfer.ImportedContact.person": "delete",
}

# Text that is not prose about anyone: identifiers, secrets and derived indexes. Other
# people's own names and channels are theirs, even when they share a name or an address
# with the person erased.
_NOT_SCRUBBED = {
    "people.Person.given_name",
    "people.Person.family_name",
    "people.Person.display_name",
    "people.Person.romanised_name",
    "people.Person.search_text",
    "people.Channel.value",
    "interactions.Interaction.external_id",
    "transfer.ImportedContact.source_uid",
}
_SECRET_NAMES = {"token", "digest", "prefix", "key", "token_hash", "secret"}
# Records that hold no team of their own but reach one through another field.
_TEAM_PATHS = {"admin.LogEntry": "user__member__team"}
_MIN_TERM = 2


def _relation_key(relation: Any) -> str:
    return f"{relation.related_model._meta.label}.{relation.field.name}"


def person_relations() -> list[Any]:
    """Every relation from another model (hidden ones included) to Person."""
    return [
        f
        for f in Person._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and f.related_model is not None
    ]


def unhandled_relations() -> list[str]:
    """Relations to Person that erasing does not know what to do with."""
    return sorted(k for k in (_relation_key(r) for r in person_relations()) if k not in HANDLED)


@dataclass
class ErasePlan:
    """What erasing the person removes: kind of record → how many."""

    person: Person
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _check(actor: Any, person: Person) -> Person:
    """The person, if the actor may erase them; Http404 for a person the actor may not
    see (another team, someone else's private contact), ValidationError for a member."""
    person = person_for(actor, person.pk, write=True)
    if person.visibility == Visibility.PRIVATE and person.owner_id != actor.pk:
        raise ValidationError({"person": _("only the owner may erase a private contact")})
    if Member.objects.filter(person=person).exists():
        raise ValidationError(
            {"person": _("this person is a member of the team: remove the member first")}
        )
    return person


def _interactions(person: Person) -> tuple[list[int], list[int]]:
    """Ids of the conversations the person was alone in, and of those shared with others."""
    from rapport.interactions.models import Interaction, Participation

    mine = Participation.objects.filter(person=person).values("interaction_id")
    rows = Interaction.objects.filter(pk__in=mine).annotate(n=Count("participations"))
    alone: list[int] = []
    shared: list[int] = []
    for pk, n in rows.values_list("pk", "n"):
        (alone if n <= 1 else shared).append(pk)
    return alone, shared


# The name each kind of deleted row is counted under (in the preview and the audit).
KIND_NAMES = {
    "people.Fact.person": "facts",
    "people.Channel.person": "channels",
    "people.Role.person": "roles",
    "people.Person_tags.person": "tags",
    "people.DistinctPair.first": "duplicate_reviews",
    "people.DistinctPair.second": "duplicate_reviews",
    "commitments.Commitment.person": "commitments",
    "commitments.Commitment.promised_by": "commitments",
    "trust.EvidenceShown.person": "evidence_shown",
    "trust.Claim.person": "claims",
    "trust.Survey.person": "surveys",
    "trust.TrustScore.person": "trust_scores",
    "trust.TrustSnapshot.person": "trust_snapshots",
    "portal.ShareLink.person": "share_links",
    "transfer.ImportedContact.person": "import_keys",
}


def _own_rows(person: Person) -> Iterator[tuple[str, models.QuerySet[Any]]]:
    """The rows that are about the person, to delete, by kind: those of every relation
    HANDLED says to delete."""
    for relation in person_relations():
        key = _relation_key(relation)
        if HANDLED.get(key) != "delete":
            continue
        kind = KIND_NAMES.get(key, relation.related_model._meta.verbose_name_plural)
        manager = relation.related_model._base_manager
        yield str(kind), manager.filter(**{relation.field.name: person})


def _about(person: Person) -> Q:
    return Q(person=person) | Q(object_type="person", object_id=person.pk)


def erase_preview(*, actor: Any, person: Person) -> ErasePlan:
    """What erase_person would remove (without removing anything), for a confirmation.
    Raises what erase_person raises for a person the actor may not erase."""
    person = _check(actor, person)
    alone, shared = _interactions(person)
    counts: dict[str, int] = {}
    for kind, qs in _own_rows(person):
        counts[kind] = counts.get(kind, 0) + qs.count()
    counts["interactions_deleted"] = len(alone)
    counts["interactions_left"] = len(shared)
    counts["introductions_cleared"] = Person.objects.filter(introduced_by=person).count()
    counts["audit_entries"] = AuditEntry.objects.filter(_about(person)).count()
    return ErasePlan(person=person, counts=counts)


# -- finding and replacing mentions ------------------------------------------------------


def _terms(person: Person) -> list[str]:
    """The strings that identify the person: their names as written in full, and their
    addresses and numbers. A given or family name alone is left alone: it is shared by
    too many others to be replaced everywhere."""
    names = {
        person.display_name,
        person.romanised_name,
        f"{person.given_name} {person.family_name}",
        f"{person.family_name} {person.given_name}",
        f"{person.family_name}{person.given_name}",
        f"{person.given_name}{person.family_name}",
    }
    if not (person.given_name and person.family_name):
        names -= {
            f"{person.given_name} {person.family_name}",
            f"{person.family_name} {person.given_name}",
            f"{person.family_name}{person.given_name}",
            f"{person.given_name}{person.family_name}",
        }
    for kind, value in person.channels.values_list("kind", "value"):
        names.add(value)
        if kind in ("phone", "whatsapp"):
            names |= _phone_forms(value)
    terms = {t.strip() for t in names if t and len(t.strip()) >= _MIN_TERM}
    return sorted(terms, key=len, reverse=True)


def _phone_forms(value: str) -> set[str]:
    """A number as people write it: compact, international, national and E.164."""
    forms = set()
    compact = re.sub(r"[\s\-().]", "", value)
    if len(compact) >= 6:
        forms.add(compact)
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return forms
    for style in (
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    ):
        written = phonenumbers.format_number(number, style)
        if len(re.sub(r"\D", "", written)) >= 6:
            forms |= {written, written.replace("-", " "), written.replace("-", ".")}
    return forms


def _pattern(terms: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


def _stored_forms(term: str) -> set[str]:
    """How the term may appear in a column: as written, and escaped inside stored JSON."""
    return {term, json.dumps(term)[1:-1], json.dumps(term, ensure_ascii=False)[1:-1]}


def _replace(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_replace(v, pattern) for v in value]
    if isinstance(value, dict):
        return {_replace(k, pattern): _replace(v, pattern) for k, v in value.items()}
    return value


def _team_path(model: type[models.Model]) -> str | None:
    label = model._meta.label
    if label in _TEAM_PATHS:
        return _TEAM_PATHS[label]
    names = {f.name: f for f in model._meta.concrete_fields}
    team = names.get("team")
    if team is not None and team.is_relation and team.related_model is Team:
        return "team"
    for f in model._meta.concrete_fields:
        target: Any = f.related_model
        if f.many_to_one and target is not None and target != "self":
            related = {g.name for g in target._meta.concrete_fields}
            if "team" in related:
                return f"{f.name}__team"
    return None


def _text_fields(model: type[models.Model]) -> list[Any]:
    found: list[Any] = []
    for f in model._meta.concrete_fields:
        if not isinstance(f, (models.CharField, models.TextField, models.JSONField)):
            continue
        if f.choices or f.name in _SECRET_NAMES or f.primary_key:
            continue
        if f"{model._meta.label}.{f.name}" in _NOT_SCRUBBED:
            continue
        found.append(f)
    return found


def _scrub_mentions(team: Team, terms: list[str]) -> int:
    """Replace the terms in every text column of the team's records; the count of rows
    changed. Audit entries are left to _scrub_audit."""
    from rapport.people.services import person_reindex

    if not terms:
        return 0
    pattern = _pattern(terms)
    forms = {form for t in terms for form in _stored_forms(t)}
    changed = 0
    for model in apps.get_models():
        if model is AuditEntry or model is Team:
            continue
        fields = _text_fields(model)
        path = _team_path(model) if fields else None
        if not path:
            continue
        match = Q()
        for f in fields:
            for form in forms:
                match |= Q(**{f"{f.name}__icontains": form})
        rows = model._default_manager.filter(Q(**{path: team}) & match)
        for row in rows.iterator():
            updates = []
            for f in fields:
                old = getattr(row, f.attname)
                new = _replace(old, pattern)
                if new != old:
                    if isinstance(new, str) and f.max_length:
                        new = new[: f.max_length]
                    setattr(row, f.attname, new)
                    updates.append(f.name)
            if updates:
                model._default_manager.filter(pk=row.pk).update(
                    **{name: getattr(row, name) for name in updates}
                )
                changed += 1
                if isinstance(row, Person):
                    person_reindex(row)
    return changed


def _scrub_audit(person: Person, terms: list[str]) -> int:
    """Audit entries about the person keep only a neutral text; other entries that
    mention them have the mention replaced. The count of entries changed."""
    about = AuditEntry.objects.filter(_about(person))
    changed = about.update(summary=ERASED_SUMMARY, changes={"erased": True}, person=None)
    if not terms:
        return changed
    pattern = _pattern(terms)
    match = Q()
    for term in terms:
        for form in _stored_forms(term):
            match |= Q(summary__icontains=form) | Q(changes__icontains=form)
    for entry in AuditEntry.objects.filter(team_id=person.team_id).filter(match).iterator():
        summary = _replace(entry.summary, pattern)[:300]
        entry_changes = _replace(entry.changes, pattern)
        if summary != entry.summary or entry_changes != entry.changes:
            AuditEntry.objects.filter(pk=entry.pk).update(summary=summary, changes=entry_changes)
            changed += 1
    return changed


# -- the service -------------------------------------------------------------------------


@transaction.atomic
def erase_person(*, actor: Any, person: Person, reason: str = "") -> AuditEntry:
    """Erase everything held about the person in the actor's team (see the module's
    promises) and return the one audit entry left, which holds no personal data.

    Raises Http404 if the actor may not see the person (another team, someone else's
    private contact), ValidationError if they are a member of the team, another user's
    private contact, or `reason` is not one of REASONS."""
    if reason and reason not in REASONS:
        raise ValidationError(
            {"reason": _("reason must be one of: %(reasons)s") % {"reasons": ", ".join(REASONS)}}
        )
    person = _check(actor, person)
    from rapport.interactions.models import Interaction

    person_id = person.pk
    team = person.team
    private = person.visibility == Visibility.PRIVATE
    terms = _terms(person)
    alone, shared = _interactions(person)
    counts: dict[str, int] = {}
    for kind, qs in _own_rows(person):
        counts[kind] = counts.get(kind, 0) + qs.count()
        qs.delete()
    counts["interactions_deleted"] = len(alone)
    counts["interactions_left"] = len(shared)
    Interaction.objects.filter(pk__in=alone).delete()
    person.participations.all().delete()
    counts["introductions_cleared"] = Person.objects.filter(introduced_by=person).update(
        introduced_by=None
    )
    counts["audit_entries_scrubbed"] = _scrub_audit(person, terms)
    counts["mentions_scrubbed"] = _scrub_mentions(team, terms)
    _forget_in_admin_log(person_id)
    Person.objects.filter(pk=person_id).delete()
    entry = audit_record(
        actor=actor,
        team=team,
        action="person.erase",
        object_type="person",
        summary=f"person #{person_id} erased",
        changes={"person_id": person_id, "reason": reason or "unspecified", "removed": counts},
        private=private,
    )
    AuditEntry.objects.filter(pk=entry.pk).update(object_id=person_id)
    entry.object_id = person_id
    return entry


def _forget_in_admin_log(person_id: int) -> None:
    """The admin site's own log names the objects it changed: forget the person there."""
    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_id=str(person_id)
    ).delete()
