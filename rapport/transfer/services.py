"""Contacts from other address books into a team's book: matched, merged and reported.

`import_contacts` takes what the vCard and CSV readers yield (ContactRecords and
ParseErrors) and writes the people, their channels, organisations and roles, facts and
tags, in one transaction. It checks what the people services check (channels stored as
`normalise_channel` stores them, and refused when it refuses them; birthdays by the
people app's birthday rules; text within its columns) and leaves the rows, audit entries
and search text those services leave (a test holds `person_reindex` to it). The rows are
written in batches of multi-row INSERTs, since one service call per contact costs
dozens of queries and an address book has thousands of contacts.

What users expect of an import, and what this promises:
- a contact already in the book (the same vCard UID as a previous import, else the same
  email, else the same phone, else the same LinkedIn profile, among the people the
  importing user may see) is updated by adding what it lacks, never by overwriting or
  deleting what is there; importing the same file twice changes nothing the second time;
- every record ends up created, updated, unchanged or skipped, with the reasons;
- a bad record either stops the import with nothing written (on_error="abort") or is
  reported and left out (on_error="skip"); a dry run reports exactly what would happen
  and writes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.accounts.services import audit_record
from rapport.people import birthdays, searchkey
from rapport.people.models import Channel, Fact, Organisation, Person, Role, Tag, Visibility
from rapport.people.services import normalise_channel, person_reindex
from rapport.transfer import fields as text_fields
from rapport.transfer.models import ImportedContact
from rapport.transfer.pipeline import read_ahead
from rapport.transfer.records import ContactRecord, NameOrder, ParseError, PartialDate

OnError = Literal["abort", "skip"]
Action = Literal["created", "updated", "unchanged", "skipped"]

# Records are matched, merged and written this many at a time: big enough that the
# bulk writes pay off, small enough that a batch's rows stay a few megabytes.
BATCH_SIZE = 500

_FAMILY_RELATIONS = frozenset(
    {
        "spouse",
        "partner",
        "domestic partner",
        "husband",
        "wife",
        "child",
        "son",
        "daughter",
        "parent",
        "mother",
        "father",
        "sibling",
        "brother",
        "sister",
        "kin",
        "relative",
        "grandparent",
        "grandchild",
        "cousin",
        "aunt",
        "uncle",
        "niece",
        "nephew",
    }
)
# Channel kinds as plain strings: an import compares them some hundred thousand times.
_EMAIL = Channel.Kind.EMAIL.value
_PHONE = Channel.Kind.PHONE.value
_WHATSAPP = Channel.Kind.WHATSAPP.value
_WECHAT = Channel.Kind.WECHAT.value
_LINKEDIN = Channel.Kind.LINKEDIN.value
_WEBSITE = Channel.Kind.WEBSITE.value
_ADDRESS = Channel.Kind.ADDRESS.value
_OTHER = Channel.Kind.OTHER.value
_SOCIAL_KINDS = {
    "wechat": _WECHAT,
    "linkedin": _LINKEDIN,
    "whatsapp": _WHATSAPP,
}
_NON_DIGIT = re.compile(r"\D")
_BIRTH_FIELDS = ("birth_calendar", "birth_year", "birth_month", "birth_day", "birth_leap_month")
PHOTO_WARNING = "photo not imported: Rapport does not keep photos yet"
_LINKEDIN_PREFIX = re.compile(r"^(?:https?://)?(?:[a-z]{2,3}\.)?(?:www\.)?", re.IGNORECASE)


# -- the report ------------------------------------------------------------------------


@dataclass(slots=True)
class RecordOutcome:
    """What became of one record of the file (or of a part of the file that could not
    be read): `reasons` say why (how it was matched, what was added, why it was
    skipped); `warnings` what of it could not be kept as it was."""

    action: Action
    where: str  # "card 3, line 13"
    name: str = ""
    kind: Literal["person", "organisation", ""] = "person"
    object_id: int | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.text()

    def text(self, *, dry_run: bool = False) -> str:
        """'skipped: card 3, line 13: why', or 'would skip: …' for a dry run."""
        verb = _DRY_RUN_VERBS[self.action] if dry_run else self.action
        detail = "; ".join(self.reasons)
        if self.action == "skipped":
            return f"{verb}: {self.where}: {detail}"
        what = f"{self.name} ({self.kind})" if self.kind == "organisation" else self.name
        return f"{verb}: {self.where}: {what}" + (f" ({detail})" if detail else "")


_DRY_RUN_VERBS = {
    "created": "would create",
    "updated": "would update",
    "unchanged": "would leave unchanged",
    "skipped": "would skip",
}


@dataclass
class ImportReport:
    """Counts of records created, updated, unchanged and skipped, and each record's
    outcome in file order. For a dry run, what would have happened."""

    source: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    organisations_created: int = 0
    warnings: int = 0
    photos_not_kept: int = 0
    outcomes: list[RecordOutcome] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped

    def add(self, outcome: RecordOutcome) -> None:
        self.outcomes.append(outcome)
        if outcome.action == "created":
            self.created += 1
        elif outcome.action == "updated":
            self.updated += 1
        elif outcome.action == "unchanged":
            self.unchanged += 1
        else:
            self.skipped += 1
        self.warnings += len(outcome.warnings)

    def lines(self, *actions: Action) -> Iterator[str]:
        """One line per outcome ("skipped: card 3, line 13: …", or "would skip: …" in a
        dry run), only of `actions` if given."""
        for outcome in self.outcomes:
            if not actions or outcome.action in actions:
                yield outcome.text(dry_run=self.dry_run)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "organisations_created": self.organisations_created,
            "warnings": self.warnings,
            "records": [
                {
                    "action": o.action,
                    "where": o.where,
                    "name": o.name,
                    "kind": o.kind,
                    "id": o.object_id,
                    "reasons": o.reasons,
                    "warnings": o.warnings,
                }
                for o in self.outcomes
            ],
        }


class ImportAborted(Exception):
    """The import stopped at a bad record and wrote nothing. The message names the
    file, the record and the line; `report` holds the outcomes up to that record."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.message = message
        self.report = report


class _Invalid(Exception):
    """A record the people rules reject as a whole (say, a name longer than allowed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- what a record asks for -------------------------------------------------------------


@dataclass  # not slots: this pickles several times faster (see pipeline)
class _Channel:
    kind: str
    value: str
    label: str
    preferred: bool
    key: tuple[str, str]
    national: str = ""  # a phone's number without country code or trunk 0, see _national


@dataclass
class _Plan:
    """A record turned into Rapport's terms and checked, before any matching."""

    where: str
    is_organisation: bool
    person: dict[str, Any]  # Person fields
    channels: list[_Channel]
    facts: list[tuple[str, str]]  # (category, value)
    tags: list[str]
    organisation: str  # of the role, or the organisation the card is
    title: str
    uid_key: str
    name_key: str
    emails: list[str]  # match keys
    phones: list[str]
    linkedins: list[str]
    nationals: list[str]
    warnings: list[str]


def _clean(text: str) -> str:
    # PostgreSQL refuses NUL in text; no address book means one.
    return text.replace("\x00", "").strip()


def _one_line(text: str) -> str:
    return " ".join(_clean(text).split())


def _channel_key(kind: str, value: str) -> tuple[str, str]:
    """How two channels are told apart: emails by case-folded address, phones by their
    digits in international form, LinkedIn profiles without scheme and host prefix."""
    if kind == _EMAIL:
        return (kind, value.casefold())
    if kind in (_PHONE, _WHATSAPP):
        digits = _NON_DIGIT.sub("", value)
        return (kind, digits or value.casefold())
    if kind == _LINKEDIN:
        return (kind, _linkedin_key(value))
    return (kind, " ".join(value.casefold().split()))


def _national(kind: str, value: str, label: str) -> str:
    """A phone number without its country code and trunk 0 ("13800138000" for both
    "+86 138 0013 8000" and the "138-0013-8000" a phone saved without +86), so a number
    kept without its country code still finds the person. '' for anything else.

    The people service stores phones in international form, "+CC" and a space first;
    numbers it could not read are kept by imports as "other" channels labelled phone."""
    if kind == _PHONE:
        if not value.startswith("+") or " " not in value:
            return ""
        value = value.split(" ", 1)[1]
    elif kind != _OTHER or not label.startswith("phone"):
        return ""
    digits = _NON_DIGIT.sub("", value).lstrip("0")
    return digits if len(digits) >= 7 else ""


_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "prof", "phd", "md", "jr", "sr", "sir"})
_WORD = re.compile(r"\w+")


def _name_tokens(*names: str) -> set[str]:
    """The words of a person's names, folded, with the pinyin of Han names; none for a
    name that is really an email address or a phone number."""
    tokens: set[str] = set()
    for name in names:
        tokens.update(_tokens_of(name))
    return tokens


@functools.lru_cache(maxsize=4096)
def _tokens_of(name: str) -> frozenset[str]:
    if not name or "@" in name or not any(c.isalpha() for c in name):
        return frozenset()
    return frozenset(
        word
        for form in [name, *searchkey.pinyin_forms(name)]
        for word in _WORD.findall(searchkey.fold(form))
        if len(word) > 1 and word not in _TITLES
    )


def _same_name(plan: _Plan, person: Any) -> bool:
    """Whether the record's and the person's names could be one person's: they share a
    word (Wang, wang, 王), or one side has no name at all."""
    theirs = _name_tokens(
        plan.person.get("display_name", ""),
        plan.person.get("given_name", ""),
        plan.person.get("family_name", ""),
        plan.person.get("romanised_name", ""),
    )
    ours = _name_tokens(
        person.display_name, person.given_name, person.family_name, person.romanised_name
    )
    return not theirs or not ours or bool(theirs & ours)


@functools.lru_cache(maxsize=8192)
def _name_lines(name: str) -> tuple[str, ...]:
    """The search text lines searchkey.build makes of one name (names are one line)."""
    text = searchkey.build(names=[name])
    return tuple(text.split("\n")) if text else ()


def _linkedin_key(value: str) -> str:
    return _LINKEDIN_PREFIX.sub("", value.strip()).split("?")[0].rstrip("/").casefold()


def _date_text(date: PartialDate) -> str:
    if date.calendar == "lunar":
        text = f"lunar month {date.month}{' (leap)' if date.leap_month else ''}, day {date.day}"
        return f"{text}, {date.year}" if date.year else text
    if date.year:
        return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
    return f"--{date.month:02d}-{date.day:02d}"


def _birthday_fields(date: PartialDate) -> dict[str, Any]:
    return {
        "birth_calendar": date.calendar,
        "birth_year": date.year,
        "birth_month": date.month,
        "birth_day": date.day,
        "birth_leap_month": date.leap_month,
    }


def _check_birthday(date: PartialDate) -> str:
    """'' if the people rules accept the date as a birthday, else why not."""
    try:
        birthdays.validate(
            birthdays.Birthday(
                calendar=date.calendar,
                month=date.month,
                day=date.day,
                year=date.year,
                leap_month=date.leap_month,
            )
        )
    except birthdays.BirthdayError as exc:
        return exc.message
    return ""


_PERSON_TEXT_LIMITS = {
    f.name: f.max_length
    for f in Person._meta.concrete_fields
    if isinstance(f, models.CharField) and f.max_length
}


def _validate_person_fields(fields: dict[str, Any]) -> None:
    """The checks Person.full_clean makes of the fields an import sets, raising the same
    ValidationError (field: message): a name is needed and no text may be longer than
    its column. Choices and birthdays are right by construction (the birthday was
    checked by the people app's birthday rules), and NUL was removed; a thousand
    full_clean calls, each building a model instance, cost more than the writes."""
    if not fields.get("display_name"):
        raise ValidationError({"display_name": ["a person needs a name"]})
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        limit = _PERSON_TEXT_LIMITS.get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            errors[name] = [
                f"Ensure this value has at most {limit} characters (it has {len(value)})."
            ]
    if errors:
        raise ValidationError(errors)


_URL_VALIDATOR = URLValidator()
# Addresses of one domain are many in an address book: its check is made once.
_domain_valid = functools.lru_cache(maxsize=4096)(EmailValidator().validate_domain_part)


class _EmailValidator(EmailValidator):
    def validate_domain_part(self, domain_part: str) -> bool:
        return bool(_domain_valid(domain_part))


_EMAIL_VALIDATOR = _EmailValidator()


@functools.lru_cache(maxsize=16384)
def _phone_form(value: str, region: str | None) -> str | None:
    """A number's international form ("+86 138 0013 8000"), None if it cannot be read
    or is impossible. Kept per value: a file repeats a colleague's office number."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return None


def _normalised(kind: str, value: str) -> str:
    """What people.services.normalise_channel stores for a (stripped) value, computed the
    same way without its per-call set-up, which dominates an import of thousands; a
    value it would refuse goes to normalise_channel itself, for its own error."""
    try:
        if kind == _EMAIL:
            _EMAIL_VALIDATOR(value)
            local, _at, domain = value.rpartition("@")
            return f"{local}@{domain.lower()}"
        if kind == _PHONE:
            form = _phone_form(value, getattr(settings, "RAPPORT_PHONE_REGION", None))
            if form is not None:
                return form
        elif kind in _CHANNEL_KINDS:
            if kind in (_WEBSITE, _LINKEDIN) and value.startswith("http"):
                _URL_VALIDATOR(value)
            return value
    except ValidationError:
        pass
    return normalise_channel(kind, value)


_CHANNEL_KINDS = frozenset(Channel.Kind.values)


@dataclass(slots=True)
class _Rejected:
    """A record the people rules reject as a whole, and why."""

    record: ContactRecord
    message: str


# What planning makes of an item of the file.
_Planned = _Plan | _Rejected | ParseError


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


class _Planner:
    def __init__(self, *, unit: str, source: str) -> None:
        self.unit = unit
        self.source = source
        self.learned_how = f"imported from {source}"[:200] if source else "imported"

    def planned(self, item: ContactRecord | ParseError) -> _Planned:
        """The record's plan, or why it cannot be imported; a ParseError as it is."""
        if isinstance(item, ParseError):
            return item
        try:
            return self.plan(item)
        except _Invalid as exc:
            return _Rejected(item, exc.message)

    def where(self, record: ContactRecord) -> str:
        return f"{self.unit} {record.number}, line {record.line}"

    def plan(self, record: ContactRecord) -> _Plan:
        warnings = list(record.warnings)
        display = _one_line(record.display_name)
        organisation = _one_line(record.organisation)
        given, family = _one_line(record.given_name), _one_line(record.family_name)
        is_organisation = record.is_organisation or (
            not given and not family and bool(organisation) and display == organisation
        )
        plan = _Plan(
            where=self.where(record),
            is_organisation=is_organisation,
            person={},
            channels=[],
            facts=[],
            tags=[],
            organisation=(organisation or display) if is_organisation else organisation,
            title="",
            uid_key=_uid_key(record.uid),
            name_key=_name_key(display, organisation),
            emails=[],
            phones=[],
            linkedins=[],
            nationals=[],
            warnings=warnings,
        )
        self._channels(record, plan)
        if is_organisation:
            self._organisation(record, plan)
            return plan
        self._person(record, plan, display=display, given=given, family=family)
        self._facts(record, plan)
        self._tags(record, plan)
        return plan

    # -- a person ----------------------------------------------------------------------

    def _person(
        self, record: ContactRecord, plan: _Plan, *, display: str, given: str, family: str
    ) -> None:
        order: NameOrder = record.name_order or (
            "family_first" if text_fields.has_cjk(display) else "given_first"
        )
        person: dict[str, Any] = {
            "display_name": display,
            "given_name": given,
            "family_name": family,
            "name_order": order,
            "notes": _clean(record.note),
            "how_we_met": _clean(record.how_we_met),
        }
        phonetic = text_fields.compose_name(
            _one_line(record.phonetic_given), _one_line(record.phonetic_family), order
        )
        if phonetic and phonetic != display:
            if text_fields.has_cjk(display) and not text_fields.has_cjk(phonetic):
                person["romanised_name"] = phonetic
            elif text_fields.has_cjk(phonetic):
                plan.warnings.append(f"phonetic name “{phonetic}” not kept")
        title = _one_line(", ".join(p for p in (record.title, record.department) if p.strip()))
        if plan.organisation:
            if len(plan.organisation) > 200:
                plan.warnings.append(
                    f"organisation “{plan.organisation[:40]}…” is longer than 200 characters; "
                    "no role imported"
                )
                plan.organisation = ""
            elif len(title) > 150:
                plan.warnings.append("job title cut to 150 characters")
                title = title[:150].rstrip()
            plan.title = title
        elif title:
            person["headline"] = record.title.strip() or title
        kept: PartialDate | None = None
        for date, what in (
            (record.birthday, "birthday"),
            (record.lunar_birthday, "lunar birthday"),
        ):
            if date is None:
                continue
            problem = _check_birthday(date)
            if problem:
                plan.warnings.append(f"{what} {_date_text(date)}: {problem}; not imported")
            elif kept is None:
                kept = date
                person.update(_birthday_fields(date))
            else:
                # A person keeps one birthday; Apple cards may hold a solar and a lunar one.
                plan.facts.append((Fact.Category.OTHER, f"Lunar birthday: {_date_text(date)}"))
        try:
            _validate_person_fields(person)
        except ValidationError as exc:
            errors = exc.message_dict
            soft = {"romanised_name", "headline"}
            if set(errors) - soft:
                raise _Invalid(_messages(exc)) from exc
            for name in errors:
                plan.warnings.append(f"{name.replace('_', ' ')} too long; not imported")
                person.pop(name, None)
        plan.person = person
        if record.photo is not None:
            plan.warnings.append(PHOTO_WARNING)

    def _facts(self, record: ContactRecord, plan: _Plan) -> None:
        facts: list[tuple[str, str]] = plan.facts
        if record.nickname.strip():
            facts.append((Fact.Category.OTHER, f"Nickname: {_one_line(record.nickname)}"))
        if record.anniversary is not None:
            facts.append((Fact.Category.FAMILY, f"Anniversary: {_date_text(record.anniversary)}"))
        for related in record.related:
            name = _one_line(related.name)
            if not name:
                continue
            relation = _one_line(related.relation)
            category: str = (
                Fact.Category.FAMILY
                if relation.casefold() in _FAMILY_RELATIONS
                else Fact.Category.OTHER
            )
            label = relation[:1].upper() + relation[1:] if relation else "Related"
            facts.append((category, f"{label}: {name}"))
        kept = []
        for category, value in facts:
            if len(value) > 300:
                plan.warnings.append(f"“{value[:40]}…” is longer than 300 characters; not imported")
            else:
                kept.append((category, value))
        plan.facts = kept

    def _tags(self, record: ContactRecord, plan: _Plan) -> None:
        for raw in record.categories:
            name = _one_line(raw).lower()
            if not name or name in plan.tags:
                continue
            if len(name) > 50:
                plan.warnings.append(f"tag “{name[:20]}…” is longer than 50 characters; not kept")
                continue
            plan.tags.append(name)

    # -- channels -------------------------------------------------------------------------

    def _add_channel(
        self, plan: _Plan, kind: str, value: str, label: str = "", preferred: bool = False
    ) -> bool:
        value = _clean(value)
        if not value:
            return False
        try:
            value = _normalised(kind, value)
        except ValidationError as exc:
            if kind != _PHONE:
                plan.warnings.append(f"{_messages(exc).removeprefix('value: ')}; not imported")
                return False
            # Most often a number saved without its country code, which cannot be read
            # unless RAPPORT_PHONE_REGION says where it is from: kept as text, not lost.
            problem = _messages(exc).removeprefix("value: ")
            if not value.startswith("+"):
                problem = f"phone “{value}” has no country code Rapport can read"
                if not getattr(settings, "RAPPORT_PHONE_REGION", None):
                    problem += " (set RAPPORT_PHONE_REGION)"
            plan.warnings.append(f"{problem}; kept as an other channel")
            label = " ".join(("phone", label)).strip()
            kind = _OTHER
        if len(value) > 300:
            plan.warnings.append(f"“{value[:40]}…” is longer than 300 characters; not imported")
            return False
        key = _channel_key(kind, value)
        if any(c.key == key for c in plan.channels):
            return False
        label = _one_line(label)[:50]
        national = _national(kind, value, label)
        plan.channels.append(_Channel(kind, value, label, preferred, key, national))
        if national:
            plan.nationals.append(national)
        if kind == _EMAIL:
            plan.emails.append(key[1])
        elif kind == _PHONE:
            plan.phones.append(key[1])
        elif kind == _LINKEDIN:
            plan.linkedins.append(key[1])
        return True

    def _channels(self, record: ContactRecord, plan: _Plan) -> None:
        for item in record.emails:
            self._add_channel(plan, _EMAIL, item.value, item.label, item.preferred)
        for item in record.phones:
            self._add_channel(plan, _PHONE, item.value, item.label, item.preferred)
        for item in record.urls:
            kind = _LINKEDIN if "linkedin.com/" in item.value.lower() else _WEBSITE
            self._add_channel(plan, kind, item.value, item.label, item.preferred)
        for item in record.addresses:
            self._add_channel(plan, _ADDRESS, item.value, item.label, item.preferred)
        for handle in record.social:
            kind = _SOCIAL_KINDS.get(handle.service, _OTHER)
            label = handle.label if kind != _OTHER else f"{handle.service} {handle.label}"
            self._add_channel(plan, kind, handle.value, label)

    # -- an organisation's own card ----------------------------------------------------------

    def _organisation(self, record: ContactRecord, plan: _Plan) -> None:
        name = plan.organisation
        if len(name) > 200:
            raise _Invalid(f"organisation name “{name[:40]}…” is longer than 200 characters")
        website = ""
        lines = []
        for channel in plan.channels:
            if not website and channel.kind == _WEBSITE:
                try:
                    _URL_VALIDATOR(channel.value)
                    if len(channel.value) <= 200:
                        website = channel.value
                        continue
                except ValidationError:
                    pass
            what = channel.kind.replace("_", " ").capitalize()
            label = f" ({channel.label})" if channel.label else ""
            lines.append(f"{what}{label}: {channel.value}")
        note = _clean(record.note)
        if note:
            lines.append(note)
        plan.person = {"website": website, "notes": "\n".join(lines)}
        plan.channels = []
        if record.categories:
            plan.warnings.append("categories not kept: an organisation has no tags")
        if record.photo is not None:
            plan.warnings.append(PHOTO_WARNING)


def _uid_key(uid: str) -> str:
    uid = _one_line(uid)
    if not uid:
        return ""
    if len(uid) > 290:
        return "uid:#" + hashlib.sha256(uid.encode()).hexdigest()
    return f"uid:{uid}"


def _name_key(display: str, organisation: str) -> str:
    text = f"{display.casefold()}\n{organisation.casefold()}"
    return "name:" + hashlib.sha256(text.encode()).hexdigest()[:40]


# -- the people an import writes ----------------------------------------------------------


class _NewPerson:
    """A person this import will create: the values of a Person row. Not a model
    instance, as making thousands of those costs more than writing the rows."""

    pk: int | None = None

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(_PERSON_DEFAULTS)
        self.__dict__.update(values)


class _Target:
    """A person as this import sees them: their current state (loaded, or being made),
    and what the import adds to them."""

    def __init__(self, person: Any, *, new: bool) -> None:
        self.person = person
        self.new = new
        self.channel_keys: set[tuple[str, str]] = set()
        self.primary_kinds: set[str] = set()
        self.fact_keys: set[tuple[str, str]] = set()
        self.tag_names: set[str] = set()
        self.organisation_keys: set[str] = set()
        self.import_keys: set[str] = set()
        self.channels: list[tuple[_Channel, bool]] = []  # with whether it is primary
        self.facts: list[tuple[str, str]] = []
        self.tags: list[str] = []
        self.roles: list[tuple[Organisation, str]] = []
        self.keys: list[str] = []
        self.changes: dict[str, list[Any]] = {}
        self.first_where = ""  # where in the file a new person was first met
        self.queued = False  # an existing person, among the batch's people to write

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.channels or self.facts or self.tags or self.roles)


class _OrganisationTarget:
    def __init__(self, organisation: Organisation, *, new: bool) -> None:
        self.organisation = organisation
        self.new = new
        self.changes: dict[str, list[Any]] = {}


class _Run:
    """One import: the indexes people are matched by, the team's organisations and tags,
    and the writes of each batch."""

    def __init__(
        self,
        actor: Any,
        report: ImportReport,
        *,
        planner: _Planner,
        on_error: OnError,
        visibility: str,
    ) -> None:
        self.actor = actor
        self.team_id: int = actor.member.team_id
        self.team = actor.member.team
        self.report = report
        self.planner = planner
        self.on_error = on_error
        self.visibility = visibility
        # match key -> person id, or the _Target made by this batch
        self.by_uid: dict[str, int | _Target] = {}
        self.by_email: dict[str, int | _Target] = {}
        self.by_phone: dict[str, int | _Target] = {}
        self.by_linkedin: dict[str, int | _Target] = {}
        self.by_national: dict[str, int | _Target] = {}
        self.organisations: dict[str, Organisation] = {}
        self.tags: dict[str, int] = {}
        self.registered: list[tuple[dict[str, int | _Target], str]] = []
        self.touched_people: set[int] = set()
        self.category_labels = {value: str(label) for value, label in Fact.Category.choices}
        self.touched_organisations: set[int] = set()
        self._load_indexes()

    # -- what the actor's team already holds ------------------------------------------------

    def _visible(self) -> Q:
        return Q(person__team_id=self.team_id) & (
            Q(person__visibility=Visibility.TEAM) | Q(person__owner_id=self.actor.pk)
        )

    def _load_indexes(self) -> None:
        kinds: dict[str, dict[str, int | _Target]] = {
            _EMAIL: self.by_email,
            _PHONE: self.by_phone,
            _LINKEDIN: self.by_linkedin,
        }
        rows = (
            Channel.objects.filter(self._visible(), kind__in=[*kinds, _OTHER])
            .order_by("person_id", "id")
            .values_list("kind", "value", "label", "person_id")
        )
        for kind, value, label, person_id in rows.iterator(chunk_size=5000):
            if kind in kinds:
                kinds[kind].setdefault(_channel_key(kind, value)[1], person_id)
            national = _national(kind, value, label)
            if national:
                self.by_national.setdefault(national, person_id)
        keys = (
            ImportedContact.objects.filter(self._visible(), team_id=self.team_id)
            .order_by("person_id", "id")
            .values_list("source_uid", "person_id")
        )
        for key, person_id in keys.iterator(chunk_size=5000):
            self.by_uid.setdefault(key, person_id)
        for organisation in Organisation.objects.filter(team_id=self.team_id).only(
            "pk", "team_id", "name", "name_romanised"
        ):
            self.organisations.setdefault(organisation.name.casefold(), organisation)
        self.tags = dict(Tag.objects.filter(team_id=self.team_id).values_list("name", "pk"))

    def _load_targets(self, ids: set[int]) -> dict[int, _Target]:
        targets = {p.pk: _Target(p, new=False) for p in Person.objects.filter(pk__in=ids)}
        if not targets:
            return targets
        ids = set(targets)
        for person_id, kind, value, label, primary in Channel.objects.filter(
            person_id__in=ids
        ).values_list("person_id", "kind", "value", "label", "is_primary"):
            target = targets[person_id]
            target.channel_keys.add(_channel_key(kind, value))
            national = _national(kind, value, label)
            if national:
                target.channel_keys.add(("national", national))
            if primary:
                target.primary_kinds.add(kind)
        for person_id, category, value in Fact.objects.filter(person_id__in=ids).values_list(
            "person_id", "category", "value"
        ):
            targets[person_id].fact_keys.add((category, value.casefold()))
        for person_id, name in Role.objects.filter(person_id__in=ids).values_list(
            "person_id", "organisation__name"
        ):
            targets[person_id].organisation_keys.add(name.casefold())
        for person_id, name in Person.tags.through.objects.filter(person_id__in=ids).values_list(
            "person_id", "tag__name"
        ):
            targets[person_id].tag_names.add(name)
        for person_id, key in ImportedContact.objects.filter(person_id__in=ids).values_list(
            "person_id", "source_uid"
        ):
            targets[person_id].import_keys.add(key)
        return targets

    # -- one batch ---------------------------------------------------------------------------

    def batch(self, items: list[_Planned]) -> None:
        planned: list[_Plan | RecordOutcome] = []
        for item in items:
            if isinstance(item, ParseError):
                planned.append(_outcome_of(item))
            elif isinstance(item, _Rejected):
                record, message = item.record, item.message
                where = self.planner.where(record)
                skipped = RecordOutcome("skipped", where, record.display_name, reasons=[message])
                if self.on_error == "abort":
                    self.fail(f"{record.source or self.report.source}, {where}: {message}", skipped)
                planned.append(skipped)
            else:
                planned.append(item)
        wanted: set[int] = set()
        for plan in planned:
            if isinstance(plan, _Plan) and not plan.is_organisation:
                for index, key in self._identities(plan):
                    ref = index.get(key)
                    if isinstance(ref, int):
                        wanted.add(ref)
        loaded = self._load_targets(wanted)
        targets: list[_Target] = []
        organisations: list[_OrganisationTarget] = []
        pending: list[tuple[RecordOutcome, _Target | _OrganisationTarget]] = []
        for plan in planned:
            if isinstance(plan, RecordOutcome):
                self.report.add(plan)
                continue
            if plan.is_organisation:
                org_target, outcome = self._apply_organisation(plan, organisations)
                pending.append((outcome, org_target))
            else:
                target, outcome = self._apply_person(plan, loaded, targets)
                pending.append((outcome, target))
            self.report.add(outcome)
        self._flush(targets, organisations)
        for outcome, written in pending:
            if isinstance(written, _Target):
                outcome.object_id = written.person.pk
            else:
                outcome.object_id = written.organisation.pk
        # People made by this batch are found by their id from now on.
        for index, key in self.registered:
            ref = index[key]
            if isinstance(ref, _Target):
                index[key] = ref.person.pk
        self.registered = []

    def fail(self, message: str, outcome: RecordOutcome) -> None:
        """Stop the import at a bad record: nothing it wrote is kept."""
        self.report.add(outcome)
        raise ImportAborted(message, self.report)

    def _identities(self, plan: _Plan) -> Iterator[tuple[dict[str, int | _Target], str]]:
        """Where to look for the person a record describes, strongest first. A contact
        with no email, phone or LinkedIn profile is found only by a key an earlier import
        of a contact with the same name and organisation left."""
        if plan.uid_key:
            yield self.by_uid, plan.uid_key
        for email in plan.emails:
            yield self.by_email, email
        for phone in plan.phones:
            yield self.by_phone, phone
        for profile in plan.linkedins:
            yield self.by_linkedin, profile
        for national in plan.nationals:
            yield self.by_national, national
        if not (plan.emails or plan.phones or plan.linkedins):
            yield self.by_uid, plan.name_key

    def _match(self, plan: _Plan, loaded: dict[int, _Target]) -> tuple[_Target | None, str]:
        for index, key in self._identities(plan):
            ref = index.get(key)
            if ref is None:
                continue
            target = ref if isinstance(ref, _Target) else loaded.get(ref)
            if target is None:
                continue
            if index in (self.by_phone, self.by_national) and not _same_name(plan, target.person):
                # Colleagues share an office number: a phone alone does not make two
                # differently named contacts one person.
                shown = [c.value for c in plan.channels if key in (c.key[1], c.national)]
                plan.warnings.append(
                    f"phone {shown[0] if shown else key} is also "
                    f"{target.person.display_name}'s; not taken for the same person "
                    "(the names differ)"
                )
                continue
            if index is self.by_uid:
                how = "contact id" if key.startswith("uid:") else "name and organisation"
            elif index is self.by_email:
                how = f"email {key}"
            elif index is self.by_phone:
                shown = [c.value for c in plan.channels if c.key == (_PHONE, key)]
                how = f"phone {shown[0] if shown else key}"
            elif index is self.by_linkedin:
                how = "LinkedIn profile"
            else:
                shown = [c.value for c in plan.channels if c.national == key]
                how = f"phone number {shown[0] if shown else key}"
            if target.new:
                return target, f"same person as {target.first_where} (same {how})"
            return target, f"matched by {how}"
        return None, ""

    def _apply_person(
        self, plan: _Plan, loaded: dict[int, _Target], targets: list[_Target]
    ) -> tuple[_Target, RecordOutcome]:
        outcome = RecordOutcome("created", plan.where, plan.person["display_name"])
        outcome.warnings = plan.warnings
        target, how = self._match(plan, loaded)
        if target is None:
            person = _NewPerson(
                team_id=self.team_id,
                owner_id=self.actor.pk,
                visibility=self.visibility,
                **plan.person,
            )
            target = _Target(person, new=True)
            target.first_where = plan.where
            targets.append(target)
            self._merge(target, plan, fields=False)
        else:
            if not target.new and not target.queued:
                target.queued = True
                targets.append(target)
            outcome.name = target.person.display_name
            outcome.reasons.append(how)
            added = self._merge(target, plan, fields=True)
            outcome.action = "updated" if added else "unchanged"
            outcome.reasons.append("added " + ", ".join(added) if added else "nothing new")
        for index, key in self._identities(plan):
            if index.setdefault(key, target) is target:
                self.registered.append((index, key))
        for key in (plan.uid_key, plan.name_key):
            if key:
                if self.by_uid.setdefault(key, target) is target:
                    self.registered.append((self.by_uid, key))
                if key not in target.import_keys:
                    target.import_keys.add(key)
                    target.keys.append(key)
        return target, outcome

    def _merge(self, target: _Target, plan: _Plan, *, fields: bool) -> list[str]:
        """Add to the person what the record has and they lack, and say what was added.
        With `fields`, the person's own fields too: empty names filled, notes appended,
        a birthday set where there is none; nothing there is ever replaced."""
        added = self._merge_fields(target, plan) if fields else []
        # A number kept as text is left out when the person has it in international form.
        channels = [
            c
            for c in plan.channels
            if c.key not in target.channel_keys
            and not (
                c.kind == _OTHER and c.national and ("national", c.national) in target.channel_keys
            )
        ]
        for channel in channels:
            primary = channel.preferred and channel.kind not in target.primary_kinds
            if primary:
                target.primary_kinds.add(channel.kind)
            target.channel_keys.add(channel.key)
            if channel.national:
                target.channel_keys.add(("national", channel.national))
            target.channels.append((channel, primary))
        if channels:
            added.append(_count(len(channels), "channel"))
        facts = 0
        for category, value in plan.facts:
            key = (category, value.casefold())
            if key in target.fact_keys:
                continue
            target.fact_keys.add(key)
            target.facts.append((category, value))
            facts += 1
        if facts:
            added.append(_count(facts, "fact"))
        tags = [t for t in plan.tags if t not in target.tag_names]
        if tags:
            target.tag_names.update(tags)
            target.tags.extend(tags)
            added.append(_count(len(tags), "tag"))
        if plan.organisation and plan.organisation.casefold() not in target.organisation_keys:
            target.organisation_keys.add(plan.organisation.casefold())
            target.roles.append((self._organisation_named(plan.organisation), plan.title))
            added.append(f"role at {plan.organisation}")
        return added

    def _merge_fields(self, target: _Target, plan: _Plan) -> list[str]:
        person = target.person
        added: list[str] = []

        def change(name: str, value: Any) -> None:
            before = getattr(person, name)
            if before != value:
                # The first value this import found is what the person had.
                target.changes[name] = [target.changes.get(name, [before])[0], value]
                setattr(person, name, value)

        for name in ("given_name", "family_name", "romanised_name", "headline"):
            value = plan.person.get(name, "")
            if value and not getattr(person, name):
                change(name, value)
                added.append(name.replace("_", " "))
        for name, what in (("notes", "notes"), ("how_we_met", "how we met")):
            value = plan.person.get(name, "")
            current = getattr(person, name)
            if value and value not in current:
                change(name, f"{current}\n\n{value}" if current.strip() else value)
                added.append(what)
        if plan.person.get("birth_month") is not None:
            wanted = {name: plan.person[name] for name in _BIRTH_FIELDS}
            if person.birth_month is None:
                for name, value in wanted.items():
                    change(name, value)
                added.append("birthday")
            elif any(getattr(person, name) != value for name, value in wanted.items()):
                plan.warnings.append(
                    "the birthday in the file differs from the one in Rapport; kept Rapport's"
                )
        return added

    def _organisation_named(self, name: str) -> Organisation:
        """The team's organisation of that name (any case), else a new one."""
        organisation = self.organisations.get(name.casefold())
        if organisation is None:
            organisation = Organisation(team_id=self.team_id, name=name)
            self.organisations[name.casefold()] = organisation
        return organisation

    def _apply_organisation(
        self, plan: _Plan, targets: list[_OrganisationTarget]
    ) -> tuple[_OrganisationTarget, RecordOutcome]:
        """A card that is an organisation's own: the organisation of that name gets what
        it lacks (a website, lines of its notes), or is created with them."""
        name = plan.organisation
        outcome = RecordOutcome("created", plan.where, name, kind="organisation")
        outcome.warnings = plan.warnings
        website, notes = plan.person["website"], plan.person["notes"]
        organisation = self.organisations.get(name.casefold())
        target = next((t for t in targets if t.organisation is organisation), None)
        if target is None:
            if organisation is None or organisation.pk is None:
                # New, or named by a role earlier in this batch and not yet written.
                organisation = self._organisation_named(name)
                organisation.website, organisation.notes = website, notes
                target = _OrganisationTarget(organisation, new=True)
                targets.append(target)
                return target, outcome
            organisation = Organisation.objects.get(pk=organisation.pk)
            self.organisations[name.casefold()] = organisation
            target = _OrganisationTarget(organisation, new=False)
            targets.append(target)
        organisation = target.organisation
        outcome.name = organisation.name
        outcome.reasons.append("matched by name")
        added = []
        if website and not organisation.website:
            target.changes["website"] = [organisation.website, website]
            organisation.website = website
            added.append("website")
        missing = [line for line in notes.splitlines() if line not in organisation.notes]
        if missing:
            before = target.changes.get("notes", [organisation.notes])[0]
            organisation.notes = "\n".join(
                ([organisation.notes] if organisation.notes.strip() else []) + missing
            )
            target.changes["notes"] = [before, organisation.notes]
            added.append("notes")
        outcome.action = "updated" if added else "unchanged"
        outcome.reasons.append("added " + ", ".join(added) if added else "nothing new")
        return target, outcome

    # -- writing a batch -------------------------------------------------------------------

    def _flush(self, targets: list[_Target], organisations: list[_OrganisationTarget]) -> None:
        """Write a batch: organisations, then people, then what hangs off them, then the
        audit entries, each kind of row in a few multi-row INSERTs."""
        audits: list[tuple[str, str, int, str, Any, dict[str, Any] | None]] = []
        new_organisations = [o for t in targets for o, _title in t.roles if o.pk is None] + [
            t.organisation for t in organisations if t.new and t.organisation.pk is None
        ]
        unique_new = list({id(o): o for o in new_organisations}.values())
        for organisation in unique_new:
            organisation.full_clean(exclude=["team"], validate_unique=False)
        Organisation.objects.bulk_create(unique_new)
        self.report.organisations_created += len(unique_new)
        for organisation in unique_new:
            audits.append(
                (
                    "organisation.create",
                    "organisation",
                    organisation.pk,
                    organisation.name,
                    None,
                    None,
                )
            )
            self.touched_organisations.add(organisation.pk)
        for org_target in organisations:
            if not org_target.new and org_target.changes:
                organisation = org_target.organisation
                organisation.full_clean(exclude=["team"], validate_unique=False)
                organisation.save(update_fields=[*org_target.changes, "updated_at"])
                audits.append(
                    (
                        "organisation.update",
                        "organisation",
                        organisation.pk,
                        organisation.name,
                        None,
                        {k: [a, b] for k, (a, b) in org_target.changes.items()},
                    )
                )

        now = timezone.now()
        at = _prepared(AuditEntry, "at", now)
        new_people = [t for t in targets if t.new]
        person_columns = [f.attname for f in _PERSON_FIELDS]
        rows = []
        for target in new_people:
            person = target.person
            person.search_text = self._search_text(target)
            person.created_at = person.updated_at = now
            rows.append((*(getattr(person, name) for name in person_columns[:-2]), at, at))
        for target, pk in zip(
            new_people, _insert(Person, person_columns, rows, returning=True), strict=True
        ):
            target.person.pk = pk
            person = target.person
            audits.append(("person.create", "person", pk, person.display_name, person, None))
            if target.facts or target.roles:
                self.touched_people.add(pk)
        changed = [t for t in targets if not t.new and t.changed]
        for target in changed:
            if target.changes:
                # Every value set was checked when its record was planned.
                target.person.save(update_fields=[*target.changes, "updated_at"])

        missing_tags = sorted({n for t in targets for n in t.tags if n not in self.tags})
        for tag in Tag.objects.bulk_create(
            [Tag(team_id=self.team_id, name=n) for n in missing_tags]
        ):
            self.tags[tag.name] = tag.pk
        source = self.report.source[:200]
        channels, through, keys = [], [], []
        roles: list[tuple[Any, ...]] = []
        role_of: list[tuple[Any, Organisation, str]] = []
        facts: list[tuple[Any, ...]] = []
        fact_of: list[tuple[Any, str]] = []
        for target in targets:
            person = target.person
            for channel, primary in target.channels:
                channels.append((person.pk, channel.kind, channel.value, channel.label, primary))
            for name in target.tags:
                through.append((person.pk, self.tags[name]))
            for organisation, title in target.roles:
                roles.append((person.pk, organisation.pk, title, False, 3, None, None))
                role_of.append((person, organisation, title))
            for category, value in target.facts:
                facts.append(
                    (
                        person.pk,
                        category,
                        value,
                        "",
                        None,
                        self.planner.learned_how,
                        self.actor.pk,
                        at,
                    )
                )
                fact_of.append((person, category))
            for key in target.keys:
                keys.append((self.team_id, person.pk, key, source, at))
        _insert(Channel, ["person_id", "kind", "value", "label", "is_primary"], channels)
        _insert(Person.tags.through, ["person_id", "tag_id"], through)
        _insert(
            ImportedContact, ["team_id", "person_id", "source_uid", "source", "created_at"], keys
        )
        role_ids = _insert(Role, _ROLE_COLUMNS, roles, returning=True)
        for (person, organisation, title), pk in zip(role_of, role_ids, strict=True):
            summary = f"{person.display_name} · {title} @ {organisation.name}"
            audits.append(("role.create", "role", pk, summary, person, None))
            self.touched_organisations.add(organisation.pk)
        fact_ids = _insert(Fact, _FACT_COLUMNS, facts, returning=True)
        for (person, category), pk in zip(fact_of, fact_ids, strict=True):
            summary = f"{person.display_name}: {self.category_labels[category]}"
            audits.append(("fact.create", "fact", pk, summary, person, None))
        for target in changed:
            person = target.person
            person_reindex(person)
            self.touched_people.add(person.pk)
            changes: dict[str, Any] = {
                k: [_plain(a), _plain(b)] for k, (a, b) in target.changes.items()
            }
            additions = [f"{Channel.Kind(c.kind).label}: {c.value}" for c, _p in target.channels]
            additions += [value for _c, value in target.facts]
            additions += [f"tag {t}" for t in target.tags]
            additions += [f"role at {o.name}" for o, _title in target.roles]
            if additions:
                changes["added"] = additions
            audits.append(
                ("person.update", "person", person.pk, person.display_name, person, changes)
            )
        empty = _prepared(AuditEntry, "changes", {})
        _insert(
            AuditEntry,
            _AUDIT_COLUMNS,
            [
                (
                    self.team_id,
                    self.actor.pk,
                    self.actor.pk
                    if person is not None and person.visibility == Visibility.PRIVATE
                    else None,
                    person.pk if person is not None else None,
                    action,
                    object_type,
                    object_id,
                    summary[:300],
                    _prepared(AuditEntry, "changes", changes) if changes else empty,
                    at,
                )
                for action, object_type, object_id, summary, person, changes in audits
            ],
        )

    def _search_text(self, target: _Target) -> str:
        """What person_reindex would store for a new person: the same inputs in the same
        order (channels by kind, primary first; organisations by name; tags by name)."""
        person = target.person
        channels = sorted(
            enumerate(target.channels), key=lambda ic: (ic[1][0].kind, not ic[1][1], ic[0])
        )
        values = [(c.kind, c.value) for _i, (c, _primary) in channels]
        organisations = sorted((o.name, o.name_romanised) for o, _title in target.roles)
        # build() keeps the first of each line of its parts in order, so the lines of each
        # name (pinyin is slow, and family names repeat) can be made once and joined.
        lines = [
            line
            for name in (
                person.display_name,
                person.given_name,
                person.family_name,
                person.romanised_name,
            )
            for line in _name_lines(name)
        ]
        rest = searchkey.build(
            names=(),
            emails=[v for k, v in values if k == _EMAIL],
            phones=[v for k, v in values if k in (_PHONE, _WHATSAPP)],
            others=[v for k, v in values if k == _WECHAT]
            + [name for pair in organisations for name in pair if name]
            + sorted(target.tags),
        )
        if rest:
            lines.extend(rest.split("\n"))
        return "\n".join(dict.fromkeys(lines))


# The columns each kind of row is written with; created_at and updated_at come last.
_PERSON_FIELDS = [
    f
    for f in Person._meta.concrete_fields
    if not f.primary_key and f.attname not in ("created_at", "updated_at")
] + [Person._meta.get_field("created_at"), Person._meta.get_field("updated_at")]
_PERSON_DEFAULTS = {f.attname: f.get_default() for f in _PERSON_FIELDS}
_ROLE_COLUMNS = [
    "person_id",
    "organisation_id",
    "title",
    "is_decision_maker",
    "influence",
    "started_on",
    "ended_on",
]
_FACT_COLUMNS = [
    "person_id",
    "category",
    "value",
    "detail",
    "learned_on",
    "learned_how",
    "created_by_id",
    "created_at",
]
_AUDIT_COLUMNS = [
    "team_id",
    "actor_id",
    "private_to_id",
    "person_id",
    "action",
    "object_type",
    "object_id",
    "summary",
    "changes",
    "at",
]


def _prepared(model: type[models.Model], name: str, value: Any) -> Any:
    """`value` as the database takes it for that field (a timestamp, a JSON document)."""
    return model._meta.get_field(name).get_db_prep_save(value, connection)  # type: ignore[union-attr]


def _insert(
    model: Any, columns: list[str], rows: list[tuple[Any, ...]], *, returning: bool = False
) -> list[int]:
    """Insert rows of plain values (in the database's own terms) in a few multi-row
    INSERTs, and return their ids, in order, if asked.

    The bulk_create of thousands of model instances spends most of its time building
    those instances and compiling each value; these rows were checked when they were
    planned, so only the statement is left. Like bulk_create, this counts on SQLite
    (3.35+) and PostgreSQL returning the ids of a multi-row INSERT in the order given."""
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in columns]
    names = ", ".join(quote(f.column) for f in fields)
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            # Table and column names come from the models, values travel as parameters.
            values = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES {values}"  # noqa: S608
            params = [value for row in chunk for value in row]
            if returning:
                cursor.execute(f"{sql} RETURNING {quote(meta.pk.column)}", params)
                ids.extend(row[0] for row in cursor.fetchall())
            else:
                cursor.execute(sql, params)
    return ids


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool | float):
        return value
    return str(value)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _outcome_of(error: ParseError) -> RecordOutcome:
    where = []
    if error.record is not None:
        where.append(f"{error.unit} {error.record}")
    if error.line is not None:
        where.append(f"line {error.line}")
    return RecordOutcome(
        "skipped", ", ".join(where) or "the file", kind="", reasons=[error.message]
    )


def _unit_for(source: str) -> str:
    return "row" if source.lower().endswith((".csv", ".tsv", ".txt")) else "card"


# -- the service --------------------------------------------------------------------------


def import_contacts(
    actor: Any,
    records: Iterable[ContactRecord | ParseError],
    *,
    dry_run: bool = False,
    on_error: OnError = "abort",
    source_name: str = "",
    progress: Callable[[int], None] | None = None,
    visibility: str = Visibility.TEAM,
    record_unit: str | None = None,
) -> ImportReport:
    """Import contacts into the actor's team, owned by the actor, in one transaction.

    `records` is what read_vcards or a ContactsCsv yields. Each record is matched to a
    person the actor may see (same contact id from an earlier import, same email, same
    phone, same LinkedIn profile) and that person gets what they lack; otherwise a new
    person is made (with `visibility`), with their channels, role in an organisation
    (found by name in any case, or created), birthday, facts and tags. A card that is an
    organisation's own becomes that organisation. `progress` is called with the number
    of records handled after each batch.

    With on_error="abort" the first ParseError or invalid record raises ImportAborted
    and nothing is written; with "skip" it is reported and the rest imported. A dry run
    does all the work and rolls it back, so its report is exactly what an import would
    do. Raises ValueError for an unknown on_error or visibility."""
    if on_error not in ("abort", "skip"):
        raise ValueError(f"on_error must be 'abort' or 'skip', not {on_error!r}")
    if visibility not in Visibility.values:
        raise ValueError(f"visibility must be one of {', '.join(Visibility.values)}")
    report = ImportReport(source=source_name, dry_run=dry_run)
    planner = _Planner(unit=record_unit or _unit_for(source_name), source=source_name)
    with transaction.atomic():
        run = _Run(actor, report, planner=planner, on_error=on_error, visibility=visibility)
        batch: list[_Planned] = []
        # Reading and planning need no database: past the first records they run in a
        # second process, while this one matches and writes.
        with read_ahead(records, planner.planned) as planned:
            for item in planned:
                if isinstance(item, ParseError) and on_error == "abort":
                    run.fail(str(item), _outcome_of(item))
                batch.append(item)
                if len(batch) >= BATCH_SIZE:
                    run.batch(batch)
                    if progress is not None:
                        progress(len(batch))
                    batch = []
        if batch:
            run.batch(batch)
            if progress is not None:
                progress(len(batch))
        report.photos_not_kept = sum(
            1 for o in report.outcomes for w in o.warnings if w == PHOTO_WARNING
        )
        audit_record(
            actor=actor,
            team=run.team,
            action="contacts.import",
            object_type="import",
            summary=(
                f"{source_name or 'contacts'}: {report.created} created, {report.updated} "
                f"updated, {report.unchanged} unchanged, {report.skipped} skipped"
            ),
            changes={
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "skipped": report.skipped,
                "organisations_created": report.organisations_created,
            },
        )
        if dry_run:
            transaction.set_rollback(True)
        else:
            _refresh_trust_later(run)
    return report


def _refresh_trust_later(run: _Run) -> None:
    """Bulk writes send no model signals: note the people and organisations whose trust
    the new facts and roles move, refreshed once the import commits."""
    if not (run.touched_people or run.touched_organisations):
        return
    from rapport.trust.signals import touch

    touch(people=run.touched_people, organisations=run.touched_organisations)


__all__ = [
    "ImportAborted",
    "ImportReport",
    "RecordOutcome",
    "import_contacts",
]
