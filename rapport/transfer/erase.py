"""Erasing a person completely, as a data-protection request asks (the right to erasure).

Deleting a person (people.services.person_delete) removes the row and what cascades from
it, but leaves their name in the audit log, in the summaries of conversations they had
with others and wherever else a colleague wrote it down. `erase_person` removes
everything held about them:

- their own rows: facts, channels, roles, tags, trust scores and snapshots, claims made
  to them, evidence shown to them, promises made to them, surveys and their answers,
  tracking links, the keys that tied them to imported contacts;
- records that are someone else's stay, without them: a promise they made to another
  client loses its "promised by"; a promise, claim or evidence shown to them *and* their
  organisation stays the organisation's; whoever they introduced keeps no "introduced
  by";
- conversations: one they were alone in is deleted; a shared one keeps the others and
  loses them;
- mentions: their full names (never a lone given or family name: "Sam" is in too many
  other names and words), addresses and numbers that no one else in the team shares
  are replaced by "[erased]" wherever they stand as whole words (Han names also inside
  Chinese text) in every text column of the team's records (conversation notes, as
  typed or as imported with Markdown escapes, other people's notes, organisation and
  tag names, import reports, ...). In the records tied to them (a shared conversation,
  a promise they made) their given name alone is replaced too. Rendered notes are
  rendered again from the scrubbed text, and people whose search text held a renamed
  organisation or tag are reindexed. The audit entries about them keep only a neutral
  text;
- files: the team's import uploads still kept on disk (dry runs, stopped, failed or
  queued imports), any of which may hold them, are deleted once the erasure commits; a
  file that a running import is reading is left to it.

One audit entry `person.erase` is left, holding only the erased person's id, how many
records of each kind went, who erased and the reason's category. Everything happens in
one transaction.

Every relation to Person must be handled here on purpose: `unhandled_relations()` lists
any that is not, and a test fails when a new model points at Person unnoticed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.models import AuditEntry, Member, Team
from rapport.accounts.services import audit_record
from rapport.core.markup import render_markdown
from rapport.people.models import Person, Visibility
from rapport.people.queries import person_for
from rapport.transfer.fields import has_cjk

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
#   client   - the person is the client of the row: deleted, unless the row also names
#              an organisation, whose record it stays (the pointer to them is cleared)
#   interact - participation: handled by the conversation rules above
#   unlink   - the rows belong to someone else: their pointer is cleared
#   audit    - audit entries: kept, their text replaced by a neutral one
#   through  - a many-to-many field: its through table's rows are listed on their own
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
    "commitments.Commitment.person": "client",
    "commitments.Commitment.promised_by": "unlink",
    "portal.ShareLink.person": "client",
    "trust.EvidenceShown.person": "client",
    "trust.Claim.person": "client",
    "trust.Survey.person": "delete",
    "trust.TrustScore.person": "delete",
    "trust.TrustSnapshot.person": "delete",
    "trust.HistoryLedger.person": "delete",
    "transfer.ImportedContact.person": "delete",
    "network.Tie.person_a": "delete",
    "network.Tie.person_b": "delete",
    "network.Referral.referrer": "delete",
    "network.Referral.referred": "delete",
    # A deal is the team's record of business with an organisation: it stays, without her.
    "deals.Deal.people": "through",
    "deals.Deal_people.person": "delete",
    # What we did for them, and the reports that told them: about the person, deleted.
    "value.ValueItem.person": "client",
    "value.ValueReport.person": "client",
    # An agreement is the team's record of what was signed: it stays, without her.
    "agreements.Agreement.client_person": "unlink",
    "agreements.Obligation.owner_person": "unlink",
    # Gifts given to or received from her are about her: erased with her.
    "gifts.Gift.person": "delete",
}

# Text that is not prose about anyone: identifiers, file names on disk, time zones,
# secrets and derived text (rebuilt, not edited: see _DERIVED). Other people's own names
# and channels are theirs, even when they share a name or an address with the person.
_NOT_SCRUBBED = {
    "people.Person.given_name",
    "people.Person.family_name",
    "people.Person.display_name",
    "people.Person.romanised_name",
    "people.Person.search_text",
    "people.Channel.value",
    "interactions.Interaction.external_id",
    "interactions.Interaction.notes_html",
    "transfer.ImportedContact.source_uid",
    "transfer.ImportJob.stored_name",
    "accounts.Member.time_zone",
    "commitments.Commitment.time_zone",
    "trust.SurveyAnswer.question",
    "trust.SurveyAnswer.component",
    "trust.TrustScore.weakest",
}
_SECRET_NAMES = {"token", "digest", "prefix", "key", "token_hash", "secret"}
# Records that hold no team of their own but reach one through another field.
_TEAM_PATHS = {
    "admin.LogEntry": "user__member__team",
    "agreements.Obligation": "clause__agreement__team",
}
# Shortest name (Han characters count one each) and shortest address or number that is
# searched for at all.
_MIN_TERM = 2
_MIN_CHANNEL = 5


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

    @property
    def lines(self) -> list[tuple[str, int]]:
        """(label, count) for each kind of record affected, as the confirmation lists."""
        return [(str(KIND_LABELS.get(k, k)), n) for k, n in self.counts.items() if n]


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


# The name each model's affected rows are counted under (in the preview and the audit);
# rows kept with the pointer to the person cleared count under "<name>_kept".
KIND_NAMES = {
    "people.Fact": "facts",
    "people.Channel": "channels",
    "people.Role": "roles",
    "people.Person_tags": "tags",
    "people.DistinctPair": "duplicate_reviews",
    "people.Person": "introductions",
    "commitments.Commitment": "commitments",
    "trust.EvidenceShown": "evidence_shown",
    "trust.Claim": "claims",
    "trust.Survey": "surveys",
    "trust.TrustScore": "trust_scores",
    "trust.TrustSnapshot": "trust_snapshots",
    "trust.HistoryLedger": "trust_scores",
    "portal.ShareLink": "share_links",
    "transfer.ImportedContact": "import_keys",
    "network.Tie": "ties",
    "network.Referral": "referrals",
    "deals.Deal_people": "deal_places",
    "value.ValueItem": "value_items",
    "value.ValueReport": "value_reports",
    "agreements.Agreement": "agreements",
    "agreements.Obligation": "obligations",
    "gifts.Gift": "gifts",
}
_KEPT_NAMES = {"people.Person": "introductions_cleared"}

KIND_LABELS = {
    "facts": gettext_lazy("Common-ground facts"),
    "channels": gettext_lazy("Email addresses, phones and other channels"),
    "roles": gettext_lazy("Roles in organisations"),
    "tags": gettext_lazy("Tags"),
    "interactions_deleted": gettext_lazy("Conversations with only them (deleted)"),
    "interactions_left": gettext_lazy("Shared conversations (they are removed from them)"),
    "commitments": gettext_lazy("Promises made to them (deleted)"),
    "commitments_kept": gettext_lazy(
        "Promises they made, or made to their organisation (kept without them)"
    ),
    "evidence_shown": gettext_lazy("Evidence shown to them"),
    "evidence_shown_kept": gettext_lazy("Evidence shown to their organisation (kept without them)"),
    "claims": gettext_lazy("Claims made to them"),
    "claims_kept": gettext_lazy("Claims made to their organisation (kept without them)"),
    "surveys": gettext_lazy("Trust surveys and answers"),
    "trust_scores": gettext_lazy("Trust scores"),
    "trust_snapshots": gettext_lazy("Trust history snapshots"),
    "share_links": gettext_lazy("Tracking links"),
    "import_keys": gettext_lazy("Links to imported contacts"),
    "introductions_cleared": gettext_lazy("People they introduced (the link is cleared)"),
    "audit_entries": gettext_lazy("Audit entries about them (their text is erased)"),
    "duplicate_reviews": gettext_lazy("Duplicate reviews naming them"),
    "uploads": gettext_lazy("Import files still kept, which may hold them (deleted)"),
    "ties": gettext_lazy("Ties to other people"),
    "referrals": gettext_lazy("Referrals they made or were the subject of"),
    "deal_places": gettext_lazy("Their places on deals (the deals stay)"),
    "value_items": gettext_lazy("Value delivered to them (the ledger)"),
    "value_reports": gettext_lazy("Reports of what we did for them"),
    "agreements_kept": gettext_lazy("Agreements they signed for the client (kept without them)"),
    "obligations_kept": gettext_lazy(
        "Obligations they owned in agreements (kept without an owner)"
    ),
    "gifts": gettext_lazy("Gifts and hospitality given to or received from them"),
}


@dataclass
class _Rows:
    """A model's rows that point at the person: those deleted, and those kept with the
    pointer (field name → row ids) cleared."""

    model: type[models.Model]
    kind: str
    deleted: list[int]
    kept: dict[str, list[int]]

    @property
    def kept_ids(self) -> set[int]:
        return {pk for ids in self.kept.values() for pk in ids}


def _rows(person: Person) -> list[_Rows]:
    """The rows of every relation HANDLED says to delete, unlink or treat as the
    person's client record, one query per model (so a promise both made to and by the
    person counts once)."""
    fields: dict[type[models.Model], list[tuple[Any, str]]] = {}
    for relation in person_relations():
        action = HANDLED.get(_relation_key(relation))
        if action in ("delete", "client", "unlink"):
            fields.setdefault(relation.related_model, []).append((relation.field, action))
    found = []
    for model, pairs in fields.items():
        label = model._meta.label
        touched = Q()
        for field, _action in pairs:
            touched |= Q(**{field.name: person})
        columns = ["pk", *(f.attname for f, _a in pairs)]
        has_org = any(a == "client" for _f, a in pairs)
        if has_org:
            org_field: Any = model._meta.get_field("organisation")
            columns.append(org_field.attname)
        deleted: list[int] = []
        kept: dict[str, list[int]] = {}
        for row in model._base_manager.filter(touched).values_list(*columns):
            pk, values = row[0], row[1 : 1 + len(pairs)]
            org = row[-1] if has_org else None
            mine = [(f, a) for (f, a), v in zip(pairs, values, strict=True) if v == person.pk]
            if any(a == "delete" or (a == "client" and org is None) for _f, a in mine):
                deleted.append(pk)
            else:
                for f, _a in mine:
                    kept.setdefault(f.name, []).append(pk)
        kind = KIND_NAMES.get(label, str(model._meta.verbose_name_plural))
        found.append(_Rows(model, kind, deleted, kept))
    return found


def _about(person: Person) -> Q:
    return Q(person=person) | Q(object_type="person", object_id=person.pk)


def _count_rows(rows: list[_Rows], counts: dict[str, int]) -> None:
    for r in rows:
        if r.deleted or r.model is not Person:
            counts[r.kind] = counts.get(r.kind, 0) + len(r.deleted)
        kept = _KEPT_NAMES.get(r.model._meta.label, f"{r.kind}_kept")
        if r.kept or r.model is Person:
            counts[kept] = counts.get(kept, 0) + len(r.kept_ids)


def erase_preview(*, actor: Any, person: Person) -> ErasePlan:
    """What erase_person would remove (without removing anything), for a confirmation.
    Raises what erase_person raises for a person the actor may not erase."""
    person = _check(actor, person)
    alone, shared = _interactions(person)
    counts: dict[str, int] = {}
    _count_rows(_rows(person), counts)
    counts["interactions_deleted"] = len(alone)
    counts["interactions_left"] = len(shared)
    counts["audit_entries"] = AuditEntry.objects.filter(_about(person)).count()
    counts["uploads"] = len(_kept_uploads(person.team))
    return ErasePlan(person=person, counts=counts)


# -- kept import files -------------------------------------------------------------------


def _kept_uploads(team: Team) -> list[Path]:
    """The team's import files still on disk (dry runs kept for "Import for real",
    stopped, failed or queued imports): any may hold the person. A file a running import
    is reading is left to it."""
    from rapport.transfer.jobs import stored_path
    from rapport.transfer.models import ImportJob

    running = ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
    busy = set(running.values_list("stored_name", flat=True))
    names = set(
        ImportJob.objects.filter(team=team)
        .exclude(status=ImportJob.Status.RUNNING)
        .values_list("stored_name", flat=True)
    )
    paths = []
    for name in sorted(names - busy):
        try:
            paths.append(stored_path(name))
        except Http404:  # already gone, or not a name an upload was stored under
            continue
    return paths


def _delete_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


# -- finding and replacing mentions ------------------------------------------------------

# A letter or digit of a script written with spaces between words. A Latin term must not
# continue one ("Sam" is not in "same", "Li" not in "client"); Han, kana and Hangul are
# written without spaces, so a Han name is found inside a Chinese sentence.
_WORD = (
    r"[^\W_\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
_WORD_CHAR = re.compile(_WORD)
# Markdown punctuation, which imported notes store escaped (see capture._markdown_text).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _is_full_name(name: str) -> bool:
    """A name that identifies someone by itself: a Han name of two characters or more,
    or a name of two words or more. A lone word ("Sam", "Li", "Mark") is not: it is part
    of too many other names and words."""
    if has_cjk(name):
        return len(name) >= _MIN_TERM
    return len(name.split()) >= 2 and len(name) >= _MIN_TERM


def _terms(person: Person) -> list[str]:
    """The strings that identify the person: their names as written in full, and their
    addresses and numbers (unless someone else in the team has the same one, like an
    office switchboard or a company website)."""
    given, family = person.given_name.strip(), person.family_name.strip()
    names = {person.display_name, person.romanised_name}
    if given and family:
        # Han names are written family first, without a space.
        cjk = has_cjk(given + family)
        names |= {f"{family}{given}"} if cjk else {f"{given} {family}", f"{family} {given}"}
    terms = {" ".join(n.split()) for n in names if n and _is_full_name(n.strip())}
    from rapport.people.models import Channel

    channels = list(person.channels.values_list("kind", "value"))
    values: set[str] = set()
    for kind, value in channels:
        values.add(value.strip())
        if kind in (Channel.Kind.PHONE, Channel.Kind.WHATSAPP):
            values |= _phone_forms(value)
    others = Channel.objects.filter(person__team_id=person.team_id).exclude(person=person)
    if values:
        same = Q()
        for value in values:
            same |= Q(value__iexact=value)
        shared = {v.lower() for v in others.filter(same).values_list("value", flat=True)}
        terms |= {v for v in values if len(v) >= _MIN_CHANNEL and v.lower() not in shared}
    return sorted(terms, key=len, reverse=True)


def _lone_names(person: Person, others: set[int]) -> list[str]:
    """The person's given name (or one-word display name) on its own: replaced only in
    records tied to them (a conversation they were in, a promise they made), and only
    if none of the other people tied to those records has it in their name."""
    words = {person.given_name.strip(), person.display_name.strip()}
    words = {w for w in words if w and len(w.split()) == 1 and len(w) >= _MIN_TERM}
    if not words:
        return []
    taken: set[str] = set()
    names_of = Person.objects.filter(pk__in=others)
    for names in names_of.values_list(
        "given_name", "family_name", "display_name", "romanised_name"
    ):
        for name in names:
            taken |= {w.lower() for w in name.split()}
            if has_cjk(name):
                taken |= {w.lower() for w in words if w in name}
    return sorted((w for w in words if w.lower() not in taken), key=len, reverse=True)


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


def _written_forms(term: str) -> set[str]:
    """How the term may be written in a text column: as is, and with its Markdown
    punctuation escaped (imported notes: "john\\_smith@example.com")."""
    return {term, _MARKDOWN_SPECIAL.sub(r"\\\1", term)}


def _piece(form: str) -> str:
    """The regular expression of one form: at a Latin end, not inside a longer word."""
    body = re.escape(form)
    if _WORD_CHAR.match(form[0]):
        body = f"(?<!{_WORD})" + body
    if _WORD_CHAR.match(form[-1]):
        body += f"(?!{_WORD})"
    return body


def _pattern(terms: list[str]) -> re.Pattern[str]:
    forms = sorted({f for t in terms for f in _written_forms(t)}, key=len, reverse=True)
    return re.compile("|".join(_piece(f) for f in forms), re.IGNORECASE)


# Columns imports fill with Markdown-escaped text (capture._markdown_text).
_ESCAPED_COLUMNS = {"interactions.Interaction.notes"}


def _like_forms(terms: list[str], *, in_json: bool, escaped: bool) -> list[str]:
    """What to look for with LIKE to find the rows that may mention a term: each term as
    written (and Markdown-escaped in a column imports fill so), and for a JSON column
    escaped as JSON stores it; none that holds another (that one finds its rows
    already). One LIKE costs a scan of the column, so they are few. _pattern decides."""
    forms = [w for t in terms for w in sorted(_written_forms(t) if escaped else {t})]
    if in_json:
        forms = [
            s
            for f in forms
            for s in (f, json.dumps(f)[1:-1], json.dumps(f, ensure_ascii=False)[1:-1])
        ]
    kept: list[str] = []
    for form in sorted(forms, key=len):
        if not any(k.lower() in form.lower() for k in kept):
            kept.append(form)
    return kept


def _mention_match(fields: list[Any], terms: list[str]) -> Q:
    """Rows with any of the fields holding a form of the terms (one scan of the table)."""
    match = Q()
    for f in fields:
        escaped = f"{f.model._meta.label}.{f.name}" in _ESCAPED_COLUMNS
        for form in _like_forms(terms, in_json=isinstance(f, models.JSONField), escaped=escaped):
            match |= Q(**{f"{f.name}__icontains": form})
    return match


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


def _unique_with(model: type[models.Model]) -> dict[str, list[str]]:
    """Text fields that must stay unique, with the other columns of their constraint
    (an organisation's or a tag's name, per team)."""
    found: dict[str, list[str]] = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None:
            for name in constraint.fields:
                others = [_attname(model, n) for n in constraint.fields if n != name]
                found[name] = others
    for f in model._meta.concrete_fields:
        if f.unique and not f.primary_key:
            found.setdefault(f.name, [])
    return found


def _attname(model: type[models.Model], name: str) -> str:
    field: Any = model._meta.get_field(name)
    return str(field.attname)


def _free_value(row: models.Model, field: Any, value: str, others: list[str]) -> str:
    """`value`, or `value (2)`, `value (3)`... whichever no other row has (two names that
    become the same once erased must not collide)."""
    manager = type(row)._base_manager
    same = {o: getattr(row, o) for o in others}
    candidate, n = value, 1
    while manager.filter(**{field.name: candidate}, **same).exclude(pk=row.pk).exists():
        n += 1
        suffix = f" ({n})"
        candidate = value[: (field.max_length or len(value)) - len(suffix)] + suffix
    return candidate


# Text kept derived from another column: rebuilt from the scrubbed column, not edited.
_DERIVED = {"interactions.Interaction": ("notes", "notes_html")}
# People whose search text holds a record's text: reindexed when the record changes.
_INDEXED_BY = {"people.Organisation": "roles__organisation", "people.Tag": "tags"}


def _scrub_mentions(
    team: Team, terms: list[str], tied: dict[str, set[int]], lone: list[str]
) -> tuple[int, set[int]]:
    """Replace the terms in every text column of the team's records, and the lone names
    too in the records tied to the person (`tied`: model label → ids). Audit entries are
    left to _scrub_audit. The count of rows changed, and the ids of people to reindex."""
    full = _pattern(terms) if terms else None
    wide = _pattern(terms + lone) if terms or lone else None
    changed = 0
    reindex: set[int] = set()
    for model in apps.get_models():
        if model is AuditEntry or model is Team:
            continue
        label = model._meta.label
        fields = _text_fields(model)
        path = _team_path(model) if fields else None
        ids = tied.get(label, set())
        if not path or not (terms or ids):
            continue
        match = _mention_match(fields, terms) if terms else Q(pk__in=[])
        if ids:
            match |= Q(pk__in=ids)
        manager = model._base_manager
        unique = _unique_with(model)
        derived = _DERIVED.get(label)
        for row in manager.filter(Q(**{path: team}) & match).iterator():
            pattern = wide if row.pk in ids else full
            if pattern is None:
                continue
            updates: dict[str, Any] = {}
            for f in fields:
                old = getattr(row, f.attname)
                new = _replace(old, pattern)
                if new == old:
                    continue
                if isinstance(new, str) and f.max_length:
                    new = new[: f.max_length]
                if f.name in unique:
                    new = _free_value(row, f, new, unique[f.name])
                setattr(row, f.attname, new)
                updates[f.attname] = new
            if not updates:
                continue
            if derived and derived[0] in updates:
                updates[derived[1]] = render_markdown(updates[derived[0]])
            manager.filter(pk=row.pk).update(**updates)
            changed += 1
            if label in _INDEXED_BY:
                reindex |= set(
                    Person.objects.filter(**{_INDEXED_BY[label]: row.pk}).values_list(
                        "pk", flat=True
                    )
                )
    return changed, reindex


def _scrub_audit(person: Person, terms: list[str]) -> int:
    """Audit entries about the person keep only a neutral text; other entries that
    mention them have the mention replaced. The count of entries changed."""
    about = AuditEntry.objects.filter(_about(person))
    changed = about.update(summary=ERASED_SUMMARY, changes={"erased": True}, person=None)
    if not terms:
        return changed
    pattern = _pattern(terms)
    match = _mention_match(
        [AuditEntry._meta.get_field("summary"), AuditEntry._meta.get_field("changes")], terms
    )
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
    from rapport.people.services import person_reindex

    person_id = person.pk
    team = person.team
    private = person.visibility == Visibility.PRIVATE
    terms = _terms(person)
    alone, shared = _interactions(person)
    rows = _rows(person)
    counts: dict[str, int] = {}
    _count_rows(rows, counts)
    # The records that stay but were tied to the person, where their given name alone
    # can only mean them.
    tied: dict[str, set[int]] = {"interactions.Interaction": set(shared)}
    for r in rows:
        if r.kept:
            tied.setdefault(r.model._meta.label, set()).update(r.kept_ids)
    from rapport.commitments.models import Commitment
    from rapport.interactions.models import Participation
    from rapport.trust.models import Claim

    others = set(tied.get("people.Person", set()))
    others |= set(
        Participation.objects.filter(interaction_id__in=shared).values_list("person_id", flat=True)
    )
    for model in (Commitment, Claim):
        kept = tied.get(model._meta.label, set())
        others |= set(model.objects.filter(pk__in=kept).values_list("person_id", flat=True))
    others -= {person_id, None}
    lone = _lone_names(person, others)
    for r in rows:
        r.model._base_manager.filter(pk__in=r.deleted).delete()
        for field, ids in r.kept.items():
            r.model._base_manager.filter(pk__in=ids).update(**{field: None})
    counts["interactions_deleted"] = len(alone)
    counts["interactions_left"] = len(shared)
    Interaction.objects.filter(pk__in=alone).delete()
    person.participations.all().delete()
    counts["audit_entries_scrubbed"] = _scrub_audit(person, terms)
    counts["mentions_scrubbed"], reindex = _scrub_mentions(team, terms, tied, lone)
    _forget_in_admin_log(person_id)
    Person.objects.filter(pk=person_id).delete()
    for someone in Person.objects.filter(pk__in=reindex):
        person_reindex(someone)
    uploads = _kept_uploads(team)
    counts["uploads"] = len(uploads)
    transaction.on_commit(lambda: _delete_files(uploads))
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
