"""Mail and calendar archives into the interaction log: each message or meeting becomes
an interaction with the people on it.

What this promises:
- people are matched by email address among those the importing user may see in their
  team (shared people, and their own private ones): never another team's, never a
  colleague's private contact; the user themself is never a participant (they are "us");
- a message or meeting with nobody known on it is skipped and reported, unless the user
  asks for people to be created (named from the header or the invitation);
- who initiated it comes from the user's own addresses (their login's and their own
  Person's email channels): a message sent from one of them, or a meeting they
  organised, is ours; anything else is theirs;
- each interaction keeps its Message-ID (or calendar UID, plus RECURRENCE-ID for a
  changed occurrence) as its external id, so importing the same archive again adds
  nothing, and a message twice in one archive is recorded once;
- everything happens in one transaction: an aborted import (on_error="abort" and a bad
  record) leaves the database as it was, and a dry run does all the work, reports
  exactly what it would do and rolls it back.

Why not `interaction_create` per message: a mailbox has tens of thousands of messages
and that service costs a dozen queries each (its own duplicate check, a last-contact
aggregate per participant, an audit insert, the team fetched again). Here interactions,
participations and audit entries are written in batches, with what the service does
otherwise kept: the same field validation (`full_clean`), the same visibility rule
(private when a participant is someone's private contact), notes rendered by the
same Markdown sanitiser, one `interaction.create` audit entry each, the participants'
last contact moved forward, and the trust refresh noted for after the commit (bulk
writes send no model signals, so it is asked for here). People are created through
`person_create`, so they get their audit entries and search text.

The model has no direction field: "direction" is `initiated_by` (us/them). Threads: the
model has no thread field either, so the thread's root Message-ID is written into the
notes ("Thread: …"), where a search finds every message of the thread.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape

from rapport.accounts.models import AuditEntry
from rapport.core.markup import render_markdown
from rapport.interactions.models import MIRRORED, Interaction, Participation
from rapport.people.models import Channel, Person, Visibility
from rapport.people.queries import visible_people
from rapport.people.services import normalise_channel, person_create
from rapport.transfer.calendar_import import Attendee, MeetingRecord
from rapport.transfer.mail import Address, MessageRecord
from rapport.transfer.pipeline import read_ahead
from rapport.transfer.records import ParseError
from rapport.transfer.services import _AUDIT_COLUMNS, _insert, _prepared

OnError = Literal["abort", "skip"]
Action = Literal["created", "skipped"]
BATCH_SIZE = 500
SUMMARY_CHARS = 300


# -- the report ------------------------------------------------------------------------


@dataclass(slots=True)
class CaptureOutcome:
    """What became of one message or meeting (or of an unreadable part of the file)."""

    action: Action
    where: str  # "message 3, line 47"
    summary: str = ""
    object_id: int | None = None
    reasons: list[str] = field(default_factory=list)

    def text(self, *, dry_run: bool = False) -> str:
        verb = (
            {"created": "would create", "skipped": "would skip"}[self.action]
            if dry_run
            else (self.action)
        )
        detail = "; ".join(self.reasons)
        if self.action == "skipped":
            return f"{verb}: {self.where}: {detail}"
        return f"{verb}: {self.where}: {self.summary}" + (f" ({detail})" if detail else "")


@dataclass
class CaptureReport:
    """How many interactions were created (or would be, in a dry run), how many records
    were skipped and why, and how many people were created; each record's outcome in
    file order."""

    source: str
    dry_run: bool
    kind: str
    created: int = 0
    skipped: int = 0
    people_created: int = 0
    errors: int = 0
    outcomes: list[CaptureOutcome] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.skipped

    def add(self, outcome: CaptureOutcome) -> None:
        self.outcomes.append(outcome)
        if outcome.action == "created":
            self.created += 1
        else:
            self.skipped += 1

    def lines(self, *actions: Action) -> list[str]:
        return [
            o.text(dry_run=self.dry_run)
            for o in self.outcomes
            if not actions or o.action in actions
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "kind": self.kind,
            "created": self.created,
            "skipped": self.skipped,
            "people_created": self.people_created,
            "errors": self.errors,
            "records": [
                {
                    "action": o.action,
                    "where": o.where,
                    "summary": o.summary,
                    "id": o.object_id,
                    "reasons": o.reasons,
                }
                for o in self.outcomes
            ],
        }


class CaptureAborted(Exception):
    """The import stopped at a bad record and wrote nothing; the message names the file,
    the record and the line. `report` holds the outcomes up to that record."""

    def __init__(self, message: str, report: CaptureReport) -> None:
        super().__init__(message)
        self.report = report


class _DryRun(Exception):
    pass


# -- the shared work -------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    """One record turned into an interaction waiting to be written."""

    interaction: Interaction
    participants: list[Person]
    outcome: CaptureOutcome


def _where(unit: str, number: int, line: int) -> str:
    return f"{unit} {number}, line {line}"


def _error_outcome(error: ParseError) -> CaptureOutcome:
    where = [error.file]
    if error.record is not None:
        where.append(f"{error.unit} {error.record}")
    if error.line is not None:
        where.append(f"line {error.line}")
    return CaptureOutcome("skipped", ", ".join(where), reasons=[error.message])


def _messages_of(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


class _Capture:
    """The state of one import: who imports, whom they may match, what was seen."""

    def __init__(
        self,
        actor: Any,
        report: CaptureReport,
        *,
        source: str,
        on_error: OnError,
        create_people: bool,
        visibility: str,
    ) -> None:
        self.actor = actor
        self.report = report
        self.source = source
        self.on_error = on_error
        self.create_people = create_people
        self.visibility = visibility
        member = actor.member
        self.team_id = member.team_id
        self.team = member.team
        try:
            self.zone: dt.tzinfo = zoneinfo.ZoneInfo(member.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.zone = dt.UTC
        own_person_id = member.person_id
        self.own_person_ids = {own_person_id} if own_person_id else set()
        self.own_addresses = {actor.email.strip().lower()} if actor.email else set()
        if own_person_id:
            self.own_addresses |= {
                v.lower()
                for v in Channel.objects.filter(
                    person_id=own_person_id, kind=Channel.Kind.EMAIL
                ).values_list("value", flat=True)
            }
        # Every address the actor may match, to the person it belongs to. When two people
        # share one, the actor's own contact wins, then the oldest record.
        self.people: dict[str, Person] = {}
        visible = visible_people(actor)
        channels = (
            Channel.objects.filter(kind=Channel.Kind.EMAIL, person__in=visible)
            .select_related("person")
            # Only what matching and writing read of a person (a big book has 100k).
            .only("value", "person__owner", "person__visibility")
            .order_by("id")
        )
        for channel in channels.iterator(chunk_size=5000):
            key = channel.value.strip().lower()
            current = self.people.get(key)
            if current is None or (
                current.owner_id != actor.pk and channel.person.owner_id == actor.pk
            ):
                self.people[key] = channel.person
        self.seen: dict[str, str] = {}  # external id -> where it was first seen
        self.recorded: set[str] = set()  # ids of the current chunk already in the log
        self.latest: dict[int, dt.datetime] = {}  # each participant's newest interaction

    # -- matching people -----------------------------------------------------------

    def participants(
        self, candidates: Sequence[tuple[str, str]], reasons: list[str]
    ) -> list[Person] | None:
        """The people on a record from (name, address) pairs, without the actor; None
        (with the reason) when nobody is known and people are not to be created."""
        found: dict[int, Person] = {}
        unknown: list[tuple[str, str]] = []
        for name, address in candidates:
            if address in self.own_addresses:
                continue
            person = self.people.get(address)
            if person is None:
                unknown.append((name, address))
            elif person.pk not in self.own_person_ids:
                found.setdefault(person.pk, person)
        if unknown and self.create_people:
            for name, address in unknown:
                person = self._new_person(name, address, reasons)
                if person is not None:
                    found.setdefault(person.pk, person)
        if not found:
            if not unknown:
                reasons.append("nobody on it but you")
            else:
                shown = ", ".join(a for _, a in unknown[:5]) + (" …" if len(unknown) > 5 else "")
                reasons.append(f"nobody on it is known ({shown})")
            return None
        return list(found.values())

    def _new_person(self, name: str, address: str, reasons: list[str]) -> Person | None:
        if address in self.people:
            return self.people[address]
        try:
            value = normalise_channel(Channel.Kind.EMAIL, address)
        except ValidationError:
            reasons.append(f"{address} is not a valid address; no person made")
            return None
        display = name.strip() or address.split("@", 1)[0]
        person = person_create(
            actor=self.actor,
            display_name=display[:200],
            visibility=self.visibility,
            how_we_met=f"From {self.source}"[:500],
            channels=[{"kind": Channel.Kind.EMAIL, "value": value, "is_primary": True}],
        )
        self.people[address] = person
        self.report.people_created += 1
        reasons.append(f"new person {display} <{address}>")
        return person

    # -- writing -------------------------------------------------------------------

    def fail(self, message: str, outcome: CaptureOutcome) -> None:
        self.report.add(outcome)
        self.report.errors += 1
        raise CaptureAborted(message, self.report)

    def duplicate(self, external_id: str, where: str) -> str | None:
        """Why the record is already in the log (imported before, or earlier in this
        file), or None."""
        if external_id in self.recorded:
            return "already recorded (the same id was imported before)"
        if external_id in self.seen:
            return f"the same as {self.seen[external_id]} of this file"
        self.seen[external_id] = where
        return None

    def look_up(self, source: str, external_ids: list[str]) -> None:
        """Note which of a chunk's ids the team's log already holds."""
        # No ordering: the model's (newest first) makes SQLite walk the team's whole log
        # by time instead of the unique index, over a minute a chunk in a big book.
        self.recorded = {
            value
            for value in Interaction.objects.filter(
                team_id=self.team_id, source=source, external_id__in=external_ids
            )
            .order_by()
            .values_list("external_id", flat=True)
            if value
        }

    def write(self, plans: list[_Plan]) -> None:
        """Validate and write a batch: interactions, participations, audit entries,
        last contact, and the trust refresh once committed."""
        if not plans:
            return
        ready: list[_Plan] = []
        for plan in plans:
            try:
                plan.interaction.full_clean(
                    exclude=["team", "owner", "participants"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as exc:
                message = _messages_of(exc)
                outcome = CaptureOutcome("skipped", plan.outcome.where, reasons=[message])
                if self.on_error == "abort":
                    self.fail(f"{self.source}, {plan.outcome.where}: {message}", outcome)
                self.report.add(outcome)
                self.report.errors += 1
                continue
            ready.append(plan)
        if not ready:
            return
        now = timezone.now()
        at = _prepared(AuditEntry, "at", now)
        stamp = _prepared(Interaction, "created_at", now)
        rows = []
        for plan in ready:
            interaction = plan.interaction
            interaction.created_at = interaction.updated_at = now
            row = []
            for name in _INTERACTION_COLUMNS:
                value = getattr(interaction, name)
                if name in ("created_at", "updated_at"):
                    value = stamp
                elif name in _PREPARED_INTERACTION_COLUMNS:
                    value = _prepared(Interaction, name, value)
                row.append(value)
            rows.append(tuple(row))
        ids = _insert(Interaction, _INTERACTION_COLUMNS, rows, returning=True)
        participations: list[tuple[Any, ...]] = []
        latest: dict[int, dt.datetime] = {}
        audits: list[tuple[Any, ...]] = []
        for plan, pk in zip(ready, ids, strict=True):
            interaction = plan.interaction
            interaction.pk = pk
            occurred = interaction.occurred_at
            copied = (
                _prepared(Participation, "occurred_at", occurred),
                interaction.kind,
                interaction.focus,
                interaction.visibility,
                0,  # no signals yet: moments
            )
            for person in plan.participants:
                participations.append((pk, person.pk, *copied))
                if person.pk not in latest or latest[person.pk] < occurred:
                    latest[person.pk] = occurred
            private = interaction.visibility == Visibility.PRIVATE
            audits.append(
                (
                    self.team_id,
                    self.actor.pk,
                    self.actor.pk if private else None,
                    None,
                    "interaction.create",
                    "interaction",
                    pk,
                    interaction.summary[:300],
                    _prepared(
                        AuditEntry,
                        "changes",
                        {"source": interaction.source, "external_id": interaction.external_id},
                    ),
                    at,
                )
            )
            plan.outcome.object_id = pk
            self.report.add(plan.outcome)
        _insert(
            Participation, ["interaction_id", "person_id", *MIRRORED, "moments"], participations
        )
        _insert(AuditEntry, _AUDIT_COLUMNS, audits)
        for person_id, when in latest.items():
            if person_id not in self.latest or self.latest[person_id] < when:
                self.latest[person_id] = when

    def finish(self) -> None:
        """Move each participant's last contact forward (once per person, not per
        message) and note their trust for refreshing once the import commits."""
        for person_id, when in self.latest.items():
            Person.objects.filter(pk=person_id).filter(
                Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=when)
            ).update(last_interaction_at=when)
        if self.latest:
            from rapport.trust.signals import touch

            touch(people=self.latest)

    def interaction(
        self,
        *,
        kind: str,
        source: str,
        external_id: str,
        occurred_at: dt.datetime,
        initiated_by: str,
        summary: str,
        notes: str,
        participants: Sequence[Person],
        duration_minutes: int | None = None,
    ) -> Interaction:
        private = any(p.visibility == Visibility.PRIVATE for p in participants)
        return Interaction(
            team_id=self.team_id,
            owner=self.actor,
            visibility=Visibility.PRIVATE if private else Visibility.TEAM,
            kind=kind,
            source=source,
            external_id=external_id,
            occurred_at=occurred_at,
            duration_minutes=duration_minutes,
            initiated_by=initiated_by,
            summary=" ".join(summary.split())[:SUMMARY_CHARS],
            notes=notes,
            notes_html=_notes_html(notes),
            topics=[],
        )


# The columns an interaction is written with (bulk writes, as services._insert makes
# them), and those whose values the database needs converted (times, JSON).
_INTERACTION_COLUMNS = [f.attname for f in Interaction._meta.concrete_fields if not f.primary_key]
_PREPARED_INTERACTION_COLUMNS = frozenset(
    f.attname
    for f in Interaction._meta.concrete_fields
    if isinstance(f, models.DateTimeField | models.JSONField | models.DateField)
)


def _notes_html(notes: str) -> str:
    """What `render_markdown` makes of notes written here: paragraphs of escaped plain
    text (all Markdown punctuation in them is escaped) and the thread id as code. Built
    directly, since the Markdown library costs more than everything else per message."""
    if not notes:
        return ""
    if "`" in notes.replace("Thread: `", "").replace("`\n", "").rstrip("`"):
        return render_markdown(notes)
    parts = []
    for paragraph in notes.split("\n\n"):
        if paragraph.startswith("Thread: `") and paragraph.endswith("`"):
            parts.append(f"<p>Thread: <code>{escape(paragraph[9:-1])}</code></p>")
        else:
            plain = _MARKDOWN_ESCAPE.sub(r"\1", paragraph)
            parts.append(f"<p>{escape(plain)}</p>")
    return "\n".join(parts)


_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_\[\]<>#|~])")


def _markdown_text(text: str) -> str:
    """Plain text made safe to show as Markdown: its punctuation taken literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _as_read(item: Any) -> Any:
    return item


def _chunk(
    capture: _Capture,
    chunk: list[Any],
    *,
    source: str,
    key: Callable[[Any], str],
    plan: Callable[[_Capture, Any], _Plan | None],
) -> None:
    """Plan and write a chunk of records; ParseErrors abort or are reported."""
    capture.look_up(source, [key(r) for r in chunk if not isinstance(r, ParseError)])
    plans: list[_Plan] = []
    for item in chunk:
        if isinstance(item, ParseError):
            outcome = _error_outcome(item)
            capture.write(plans)  # keeps the outcomes in file order
            plans = []
            if capture.on_error == "abort":
                capture.fail(str(item), outcome)
            capture.report.add(outcome)
            capture.report.errors += 1
        else:
            planned = plan(capture, item)
            if planned is not None:
                plans.append(planned)
    capture.write(plans)


def _run(
    actor: Any,
    records: Iterable[Any],
    *,
    kind: str,
    dry_run: bool,
    on_error: OnError,
    create_people: bool,
    source_name: str,
    progress: Callable[[int], None] | None,
    visibility: str,
    source: str,
    key: Callable[[Any], str],
    plan: Callable[[_Capture, Any], _Plan | None],
) -> CaptureReport:
    if on_error not in ("abort", "skip"):
        raise ValueError(f"on_error must be 'abort' or 'skip', not {on_error!r}")
    if visibility not in Visibility.values:
        raise ValueError(f"visibility must be one of {', '.join(Visibility.values)}")
    report = CaptureReport(source=source_name, dry_run=dry_run, kind=kind)
    try:
        with transaction.atomic():
            capture = _Capture(
                actor,
                report,
                source=source_name,
                on_error=on_error,
                create_people=create_people,
                visibility=visibility,
            )
            chunk: list[Any] = []
            # Reading the file needs no database: past its first records it runs in a
            # second process, while this one matches and writes.
            with read_ahead(records, _as_read) as items:
                for item in items:
                    chunk.append(item)
                    if len(chunk) >= BATCH_SIZE:
                        _chunk(capture, chunk, source=source, key=key, plan=plan)
                        if progress is not None:
                            progress(len(chunk))
                        chunk = []
            _chunk(capture, chunk, source=source, key=key, plan=plan)
            if progress is not None and chunk:
                progress(len(chunk))
            capture.finish()
            if report.created or report.people_created:
                from rapport.accounts.services import audit_record

                audit_record(
                    actor=actor,
                    team=capture.team,
                    action=f"import.{kind}",
                    object_type="import",
                    summary=f"{source_name}: {report.created} interactions",
                    changes={
                        "created": report.created,
                        "skipped": report.skipped,
                        "people_created": report.people_created,
                    },
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


# -- messages --------------------------------------------------------------------------


def _plan_message(capture: _Capture, record: MessageRecord) -> _Plan | None:
    where = _where("message", record.number, record.line)
    if record.source != capture.source and capture.source:
        where = f"{record.source}, {where}"
    outcome = CaptureOutcome("created", where, summary=record.subject or "(no subject)")
    again = capture.duplicate(record.message_id, where)
    if again:
        outcome.action, outcome.reasons = "skipped", [again]
        capture.report.add(outcome)
        return None
    addresses: list[Address] = [record.sender, *record.to, *record.cc]
    people = capture.participants([(a.name, a.address) for a in addresses], outcome.reasons)
    if people is None:
        outcome.action = "skipped"
        capture.report.add(outcome)
        return None
    ours = record.sender.address in capture.own_addresses
    notes = []
    if record.excerpt:
        notes.append(_markdown_text(record.excerpt))
    if record.attachments:
        notes.append("Attachments: " + _markdown_text(", ".join(record.attachments)))
    notes.append(f"Thread: `{record.thread_root.replace('`', '')}`")
    interaction = capture.interaction(
        kind=Interaction.Kind.EMAIL,
        source=Interaction.Source.EMAIL,
        external_id=record.message_id,
        occurred_at=record.date,
        initiated_by=Interaction.Initiator.US if ours else Interaction.Initiator.THEM,
        summary=record.subject or "(no subject)",
        notes="\n\n".join(notes),
        participants=people,
    )
    return _Plan(interaction, people, outcome)


def capture_messages(
    actor: Any,
    records: Iterable[MessageRecord | ParseError],
    *,
    dry_run: bool = False,
    on_error: OnError = "abort",
    create_people: bool = False,
    source_name: str = "",
    progress: Callable[[int], None] | None = None,
    visibility: str = Visibility.TEAM,
) -> CaptureReport:
    """Record each message (from read_mbox / read_eml_folder) as an email interaction of
    the actor's team, with the people on it, in one transaction (see the module's
    promises). People made with create_people get `visibility`. `progress` is called
    with the number of records handled after each batch. With on_error="abort" the first
    bad record raises CaptureAborted and nothing is written; with "skip" it is reported.
    Raises ValueError for an unknown on_error or visibility."""
    return _run(
        actor,
        records,
        kind="email",
        dry_run=dry_run,
        on_error=on_error,
        create_people=create_people,
        source_name=source_name,
        progress=progress,
        visibility=visibility,
        source=Interaction.Source.EMAIL,
        key=lambda r: r.message_id,
        plan=_plan_message,
    )


# -- meetings --------------------------------------------------------------------------


def _local(capture: _Capture, when: dt.datetime) -> dt.datetime:
    """An all-day or floating time (read as UTC wall-clock) placed in the actor's zone."""
    return when.replace(tzinfo=None).replace(tzinfo=capture.zone)


def _plan_meeting(capture: _Capture, record: MeetingRecord) -> _Plan | None:
    where = _where("event", record.number, record.line)
    summary = record.summary or "(no title)"
    outcome = CaptureOutcome("created", where, summary=summary)
    again = capture.duplicate(record.external_id, where)
    if again:
        outcome.action, outcome.reasons = "skipped", [again]
        capture.report.add(outcome)
        return None
    if record.cancelled:
        outcome.action, outcome.reasons = "skipped", ["the event was cancelled"]
        capture.report.add(outcome)
        return None
    attendees: list[Attendee] = [a for a in record.people if a.partstat != "declined"]
    people = capture.participants([(a.name, a.address) for a in attendees], outcome.reasons)
    if people is None:
        outcome.action = "skipped"
        capture.report.add(outcome)
        return None
    start = _local(capture, record.start) if record.all_day or record.floating else record.start
    ours = record.organizer is None or record.organizer.address in capture.own_addresses
    notes = []
    if record.description:
        notes.append(_markdown_text(record.description))
    if record.location:
        notes.append("Location: " + _markdown_text(record.location))
    if record.recurring:
        notes.append("A recurring event: only its first occurrence was imported.")
        outcome.reasons.append("recurring: first occurrence only")
    if record.all_day:
        notes.append("All day.")
    interaction = capture.interaction(
        kind=Interaction.Kind.MEETING,
        source=Interaction.Source.CALENDAR,
        external_id=record.external_id,
        occurred_at=start,
        initiated_by=Interaction.Initiator.US if ours else Interaction.Initiator.THEM,
        summary=summary,
        notes="\n\n".join(notes),
        participants=people,
        duration_minutes=None if record.all_day else record.duration_minutes,
    )
    return _Plan(interaction, people, outcome)


def capture_meetings(
    actor: Any,
    records: Iterable[MeetingRecord | ParseError],
    *,
    dry_run: bool = False,
    on_error: OnError = "abort",
    create_people: bool = False,
    source_name: str = "",
    progress: Callable[[int], None] | None = None,
    visibility: str = Visibility.TEAM,
) -> CaptureReport:
    """Record each event (from read_calendar) as a meeting of the actor's team with its
    organiser and attendees (those who declined left out), in one transaction. Cancelled
    events are skipped; a recurring event is recorded once, at its first occurrence;
    all-day and floating times are placed in the actor's time zone. Otherwise as
    capture_messages."""
    return _run(
        actor,
        records,
        kind="meeting",
        dry_run=dry_run,
        on_error=on_error,
        create_people=create_people,
        source_name=source_name,
        progress=progress,
        visibility=visibility,
        source=Interaction.Source.CALENDAR,
        key=lambda r: r.external_id,
        plan=_plan_meeting,
    )
