"""Meetings from calendar files (.ics, as Outlook, Google and Apple export them),
before anything touches the database.

The file is split into its events here, line by line (so a huge calendar is read in
bounded memory and each problem is placed on its line); each event is read with the
`icalendar` library. Time zones: a TZID names either an IANA zone, a Windows zone
(Outlook's "China Standard Time", which icalendar maps), or a VTIMEZONE of the file
itself, which is used as written. All-day and floating (zone-less) times carry a flag,
so the importer can place them in the user's own time zone.

Recurring events: the master event's first occurrence is imported, not each repeat
(`recurring` says so on the record); an occurrence changed on its own (RECURRENCE-ID)
is a record of its own, with the UID and that id as its external id.
Plain frozen dataclasses, no Django.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import icalendar

from rapport.transfer.records import ParseError
from rapport.transfer.sources import Source, byte_lines, open_binary, source_name

UNIT = "event"
MAX_EVENT_BYTES = 1024 * 1024
DESCRIPTION_CHARS = 500
MAX_ID_CHARS = 250


@dataclass(frozen=True)
class Attendee:
    """The organiser or an attendee: name (CN), lower-cased address, and their answer
    (PARTSTAT: "accepted", "declined", "tentative", "needs-action", or "")."""

    name: str
    address: str
    partstat: str = ""


@dataclass(frozen=True)
class MeetingRecord:
    """One event (VEVENT) of a calendar file. `number` counts events from 1, `line` is
    the line of its BEGIN:VEVENT. `start`/`end` are aware; for an all-day event they are
    midnight UTC of its dates (`all_day`), for a floating time the wall-clock time read
    as UTC (`floating`): the importer places both in the user's zone. `recurring` marks
    a master event whose repeats are not imported; `recurrence_id` (UTC, or a date)
    marks an occurrence that was changed on its own."""

    source: str
    number: int
    line: int
    uid: str
    start: dt.datetime
    end: dt.datetime | None = None
    all_day: bool = False
    floating: bool = False
    recurrence_id: str = ""
    summary: str = ""
    description: str = ""
    location: str = ""
    organizer: Attendee | None = None
    attendees: tuple[Attendee, ...] = ()
    cancelled: bool = False
    recurring: bool = False
    generated_uid: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def external_id(self) -> str:
        """The UID, with the RECURRENCE-ID after a "#" for a changed occurrence."""
        value = f"{self.uid}#{self.recurrence_id}" if self.recurrence_id else self.uid
        if len(value) > MAX_ID_CHARS:
            return hashlib.sha256(value.encode()).hexdigest() + "@long.rapport"
        return value

    @property
    def duration_minutes(self) -> int | None:
        if self.end is None or self.end <= self.start:
            return None
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def people(self) -> tuple[Attendee, ...]:
        """The organiser and the attendees, each address once."""
        seen: dict[str, Attendee] = {}
        for person in ((self.organizer,) if self.organizer else ()) + self.attendees:
            seen.setdefault(person.address, person)
        return tuple(seen.values())


def read_calendar(
    source: Source, *, name: str | None = None
) -> Iterator[MeetingRecord | ParseError]:
    """Each event of an .ics file, in order, as a MeetingRecord or a ParseError.

    `source` is a path, the file's bytes or an open binary file (left open). Never
    raises for bad content."""
    file = source_name(source, name)
    try:
        with open_binary(source) as (_head, stream):
            yield from _events(file, byte_lines(stream))
    except OSError as exc:
        yield ParseError(file, None, None, f"cannot read the file: {exc.strerror or exc}", UNIT)


_BEGIN = re.compile(rb"^BEGIN:([A-Za-z0-9-]+)[ \t]*$", re.IGNORECASE)
_END = re.compile(rb"^END:([A-Za-z0-9-]+)[ \t]*$", re.IGNORECASE)


class _Block:
    def __init__(self, kind: str, line: int, number: int) -> None:
        self.kind = kind
        self.line = line
        self.number = number
        self.lines: list[bytes] = []
        self.size = 0
        self.too_large = False

    def add(self, line: bytes | None) -> None:
        if self.too_large:
            return
        if line is None:
            self.too_large = True
            return
        self.size += len(line) + 2
        if self.size > MAX_EVENT_BYTES:
            self.too_large, self.lines = True, []
            return
        self.lines.append(line)


def _events(file: str, lines: Iterable[bytes | None]) -> Iterator[MeetingRecord | ParseError]:
    zones: dict[str, dt.tzinfo] = {}
    method = ""
    calendars = 0
    number = 0
    block: _Block | None = None  # the VEVENT or VTIMEZONE being collected
    depth = 0  # components open inside the block
    lineno = 0
    for line in lines:
        lineno += 1
        if block is not None:
            block.add(line)
            if line is None:
                continue
            if _BEGIN.match(line):
                inner = line[6:].strip().upper()
                if inner in (b"VEVENT", b"VCALENDAR") and block.kind == "VEVENT":
                    yield ParseError(file, block.number, block.line, _unclosed(block), UNIT)
                    block, depth = None, 0
                    if inner == b"VEVENT":
                        number += 1
                        block = _Block("VEVENT", lineno, number)
                        block.add(line)
                    continue
                depth += 1
            elif end := _END.match(line):
                name = end.group(1).upper().decode()
                if depth and name != block.kind:
                    depth -= 1
                    continue
                if name != block.kind:
                    if block.kind == "VEVENT":
                        yield ParseError(file, block.number, block.line, _unclosed(block), UNIT)
                    block, depth = None, 0
                    continue
                done, block = block, None
                if done.kind == "VTIMEZONE":
                    _add_zone(done, zones)
                else:
                    yield _event(file, done, zones, method)
            continue
        if line is None:
            continue
        begin = _BEGIN.match(line)
        if begin:
            kind = begin.group(1).upper().decode()
            if kind == "VCALENDAR":
                calendars += 1
            elif kind in ("VEVENT", "VTIMEZONE"):
                if kind == "VEVENT":
                    number += 1
                block = _Block(kind, lineno, number)
                block.add(line)
                depth = 0
        elif line[:7].upper() == b"METHOD:":
            method = line[7:].strip().decode("ascii", "replace").upper()
    if block is not None and block.kind == "VEVENT":
        yield ParseError(file, block.number, block.line, _unclosed(block), UNIT)
    if not calendars and not number:
        yield ParseError(
            file, None, None, "not an iCalendar file: no BEGIN:VCALENDAR or BEGIN:VEVENT", UNIT
        )


def _unclosed(block: _Block) -> str:
    return "the event has no END:VEVENT"


def _text_of(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _add_zone(block: _Block, zones: dict[str, dt.tzinfo]) -> None:
    """Keep a VTIMEZONE of the file; one icalendar cannot read is left out (its events
    then fall back to the zone's IANA name, or UTC with a warning)."""
    if block.too_large:
        return
    try:
        component: Any = icalendar.Timezone.from_ical(_text_of(b"\r\n".join(block.lines)))
        tzid = str(component.get("TZID", "")).strip()
        if tzid:
            zones[tzid] = component.to_tz()
    except Exception:  # noqa: S110 - a broken zone only loses its own precision
        pass


class _Bad(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _event(
    file: str, block: _Block, zones: dict[str, dt.tzinfo], method: str
) -> MeetingRecord | ParseError:
    if block.too_large:
        size = MAX_EVENT_BYTES // 1024
        return ParseError(
            file, block.number, block.line, f"the event is larger than {size} KB", UNIT
        )
    try:
        return _read_event(file, block, zones, method)
    except _Bad as exc:
        return ParseError(file, block.number, exc.line or block.line, exc.message, UNIT)
    except Exception as exc:
        return ParseError(
            file, block.number, block.line, f"cannot read this event: {exc!r}"[:300], UNIT
        )


def _line_of(block: _Block, name: str) -> int | None:
    prefix = name.upper().encode()
    for offset, line in enumerate(block.lines):
        head = line[: len(prefix) + 1].upper()
        if head.startswith(prefix) and head[len(prefix) : len(prefix) + 1] in (b":", b";"):
            return block.line + offset
    return None


def _read_event(
    file: str, block: _Block, zones: dict[str, dt.tzinfo], method: str
) -> MeetingRecord:
    text = _text_of(b"\r\n".join(block.lines))
    try:
        event = icalendar.Event.from_ical(text)
    except ValueError as exc:
        raise _Bad(f"cannot read this event: {_clip(str(exc), 120)}") from exc
    if isinstance(event, list):  # pragma: no cover - one BEGIN:VEVENT makes one event
        event = event[0]
    warnings: list[str] = []
    broken = {str(name).upper(): message for name, message in getattr(event, "errors", [])}
    if "DTSTART" in broken:
        raise _Bad(
            f"unreadable start (DTSTART): {_clip(str(broken['DTSTART']), 120)}",
            _line_of(block, "DTSTART"),
        )
    for name, message in broken.items():
        warnings.append(f"line {_line_of(block, name) or block.line}: {name} not read: {message}")

    start_prop = _one(event, "DTSTART", block, warnings)
    if start_prop is None:
        raise _Bad("the event has no start (DTSTART)")
    start, all_day, floating = _when(start_prop, zones, block, "DTSTART", warnings)

    end: dt.datetime | None = None
    end_prop = _one(event, "DTEND", block, warnings)
    duration_prop = _one(event, "DURATION", block, warnings)
    if end_prop is not None and "DTEND" not in broken:
        end = _when(end_prop, zones, block, "DTEND", warnings)[0]
    elif duration_prop is not None and isinstance(getattr(duration_prop, "dt", None), dt.timedelta):
        end = start + duration_prop.dt
    elif all_day:
        end = start + dt.timedelta(days=1)
    if end is not None and end < start:
        warnings.append(f"line {_line_of(block, 'DTEND') or block.line}: ends before it starts")
        end = None

    recurrence_id = ""
    rid_prop = _one(event, "RECURRENCE-ID", block, warnings)
    if rid_prop is not None and "RECURRENCE-ID" not in broken:
        rid, rid_all_day, _ = _when(rid_prop, zones, block, "RECURRENCE-ID", warnings)
        recurrence_id = rid.strftime("%Y%m%d") if rid_all_day else rid.strftime("%Y%m%dT%H%M%SZ")

    summary = _clip(_str(event.get("SUMMARY")), 300)
    uid = _clip(_str(event.get("UID")), 1000).strip()
    generated = not uid
    if generated:
        seed = "\x1f".join([start.isoformat(), summary])
        uid = hashlib.sha256(seed.encode()).hexdigest()[:40] + "@generated.rapport"
        warnings.append(f"line {block.line}: the event has no UID; one was made from its start")

    organizer = _attendee(event.get("ORGANIZER"))
    raw_attendees = event.get("ATTENDEE") or []
    if not isinstance(raw_attendees, list):
        raw_attendees = [raw_attendees]
    attendees = tuple(a for a in (_attendee(x) for x in raw_attendees[:500]) if a is not None)
    status = _str(event.get("STATUS")).upper()
    return MeetingRecord(
        source=file,
        number=block.number,
        line=block.line,
        uid=uid,
        start=start,
        end=end,
        all_day=all_day,
        floating=floating,
        recurrence_id=recurrence_id,
        summary=summary,
        description=_clip(_str(event.get("DESCRIPTION")), DESCRIPTION_CHARS),
        location=_clip(_str(event.get("LOCATION")), 200),
        organizer=organizer,
        attendees=attendees,
        cancelled=status == "CANCELLED" or method == "CANCEL",
        recurring=not recurrence_id and ("RRULE" in event or "RDATE" in event),
        generated_uid=generated,
        warnings=tuple(warnings),
    )


def _clip(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _one(event: Any, name: str, block: _Block, warnings: list[str]) -> Any:
    value = event.get(name)
    if isinstance(value, list):
        warnings.append(
            f"line {_line_of(block, name) or block.line}: {name} given twice; first kept"
        )
        value = value[0] if value else None
    return value


def _when(
    prop: Any, zones: dict[str, dt.tzinfo], block: _Block, name: str, warnings: list[str]
) -> tuple[dt.datetime, bool, bool]:
    """(aware datetime, all day, floating) of a DTSTART-like property."""
    value = getattr(prop, "dt", None)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC), False, False
        tzid = str(prop.params.get("TZID", "")).strip() if hasattr(prop, "params") else ""
        if tzid:
            zone = zones.get(tzid) or zones.get(tzid.strip('"'))
            if zone is not None:
                return value.replace(tzinfo=zone).astimezone(dt.UTC), False, False
            where = _line_of(block, name) or block.line
            warnings.append(
                f"line {where}: unknown time zone “{_clip(tzid, 60)}”; the time was read as UTC"
            )
            return value.replace(tzinfo=dt.UTC), False, False
        return value.replace(tzinfo=dt.UTC), False, True
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=dt.UTC), True, False
    raise _Bad(f"unreadable {name}", _line_of(block, name))


def _attendee(value: Any) -> Attendee | None:
    if value is None:
        return None
    address = str(value).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    address = address.strip().lower()
    if "@" not in address or any(ch.isspace() for ch in address) or len(address) > 254:
        return None
    params = getattr(value, "params", {}) or {}
    name = _clip(str(params.get("CN", "") or "").strip().strip('"'), 200)
    if name.lower() == address:
        name = ""
    partstat = str(params.get("PARTSTAT", "") or "").strip().lower()
    return Attendee(name=name, address=address, partstat=partstat[:20])
