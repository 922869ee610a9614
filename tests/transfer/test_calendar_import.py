"""Reading calendars as Outlook, Google and Apple export them: zones, all-day events,
recurrences, cancellations, bad events; and fuzzing the reader."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.transfer.calendar_import import Attendee, MeetingRecord, read_calendar
from rapport.transfer.records import ParseError

MAIL = Path(__file__).parent / "corpus" / "mail"


def events(name: str) -> list[MeetingRecord | ParseError]:
    return list(read_calendar(MAIL / name))


def test_an_outlook_windows_zone_and_its_recurrence_override():
    master, moved = events("outlook.ics")
    assert isinstance(master, MeetingRecord) and isinstance(moved, MeetingRecord)
    assert master.start == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    assert master.end == dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
    assert master.recurring and not moved.recurring
    assert master.uid == moved.uid and master.external_id == master.uid
    assert moved.recurrence_id == "20260309T020000Z"
    assert moved.external_id == f"{moved.uid}#20260309T020000Z"
    assert master.summary == "季度回顾 Quarterly review"
    assert master.location == "Huawei HQ, Shenzhen"
    assert master.description.startswith("Quarterly review of the renewal.")
    assert master.organizer == Attendee("Alice Adams", "alice@example.com", "")
    assert master.attendees == (
        Attendee("王小明", "xiaoming.wang@huawei.example", "accepted"),
        Attendee("Anna Lee", "anna@northwind.example", "tentative"),
    )
    assert master.duration_minutes == 60


def test_google_zones_all_day_events_and_cancellations():
    check_in, offsite, lunch = events("google.ics")
    assert isinstance(check_in, MeetingRecord)
    assert check_in.start == dt.datetime(2026, 7, 15, 13, 0, tzinfo=dt.UTC)  # EDT
    assert isinstance(offsite, MeetingRecord) and offsite.all_day
    assert offsite.start == dt.datetime(2026, 7, 20, tzinfo=dt.UTC)
    assert offsite.end == dt.datetime(2026, 7, 21, tzinfo=dt.UTC)
    assert isinstance(lunch, MeetingRecord) and lunch.cancelled
    assert lunch.attendees[0].partstat == "declined"


def test_apple_vtimezone_alarms_and_floating_times():
    dinner, coffee = events("apple.ics")
    assert isinstance(dinner, MeetingRecord) and isinstance(coffee, MeetingRecord)
    assert dinner.start == dt.datetime(2026, 4, 10, 10, 30, tzinfo=dt.UTC)
    assert dinner.duration_minutes == 120
    assert coffee.floating and coffee.duration_minutes == 45
    assert [p.address for p in dinner.people] == [
        "alice@example.com",
        "xiaoming.wang@huawei.example",
    ]


def test_bad_events_are_errors_naming_file_event_and_line():
    items = events("broken.ics")
    assert [str(i) for i in items if isinstance(i, ParseError)] == [
        "broken.ics, event 1, line 3: the event has no start (DTSTART)",
        "broken.ics, event 2, line 9: unreadable start (DTSTART): Expected datetime, date, or"
        " time. Got: 'tomorrow-ish'",
        "broken.ics, event 4, line 18: the event has no END:VEVENT",
    ]
    (fine,) = [i for i in items if isinstance(i, MeetingRecord)]
    assert fine.uid == "fine" and fine.number == 3


def test_an_unknown_zone_is_read_as_utc_with_a_warning():
    data = (
        b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nDTSTART;TZID=Mars/Olympus:20260101T100000\n"
        b"END:VEVENT\nEND:VCALENDAR\n"
    )
    (item,) = read_calendar(data, name="mars.ics")
    assert isinstance(item, MeetingRecord)
    assert item.start == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    assert "Mars/Olympus" in item.warnings[0] and "line 4" in item.warnings[0]


def test_a_cancel_method_cancels_its_events():
    data = (
        b"BEGIN:VCALENDAR\nMETHOD:CANCEL\nBEGIN:VEVENT\nUID:u\nDTSTART:20260101T100000Z\n"
        b"END:VEVENT\nEND:VCALENDAR\n"
    )
    (item,) = read_calendar(data, name="c.ics")
    assert isinstance(item, MeetingRecord) and item.cancelled


def test_something_that_is_not_a_calendar_is_one_error():
    (error,) = read_calendar(b"hello\nworld\n", name="x.ics")
    assert isinstance(error, ParseError) and "not an iCalendar file" in str(error)


# -- fuzzing ---------------------------------------------------------------------------

FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(items: list[MeetingRecord | ParseError], name: str) -> None:
    for item in items:
        assert isinstance(item, (MeetingRecord, ParseError)), item
        if isinstance(item, ParseError):
            assert str(item).startswith(name)
        else:
            assert item.uid and item.number >= 1 and item.start.tzinfo is not None


lines = st.sampled_from(
    [
        b"BEGIN:VCALENDAR",
        b"END:VCALENDAR",
        b"BEGIN:VEVENT",
        b"END:VEVENT",
        b"BEGIN:VTIMEZONE",
        b"END:VTIMEZONE",
        b"BEGIN:VALARM",
        b"END:VALARM",
        b"BEGIN:STANDARD",
        b"END:STANDARD",
        b"TZID:Custom",
        b"TZOFFSETFROM:+0800",
        b"TZOFFSETTO:+0800",
        b"DTSTART:16010101T000000",
        b"DTSTART;TZID=Custom:20260101T100000",
        b"DTSTART;TZID=China Standard Time:20260101T100000",
        b"DTSTART;VALUE=DATE:20260101",
        b"DTSTART:garbage",
        b"DTEND:20250101T100000Z",
        b"DURATION:PT1H",
        b"DURATION:nonsense",
        b"RECURRENCE-ID;TZID=Custom:20260108T100000",
        b"RRULE:FREQ=DAILY;COUNT=99999999",
        b"UID:a",
        b"SUMMARY:\xe4\xbc\x9a\xe8\xae\xae",
        b"SUMMARY:\xd6\xd0",
        b'ATTENDEE;CN="A";PARTSTAT=ACCEPTED:mailto:a@x.example',
        b"ATTENDEE:mailto:not-an-address",
        b"ORGANIZER;CN=O:mailto:o@x.example",
        b"STATUS:CANCELLED",
        b"METHOD:CANCEL",
        b" folded continuation",
        b"no colon here",
        b"",
    ]
)


@FUZZ
@given(st.lists(lines, max_size=40))
def test_fuzzed_calendar_shapes_give_only_records_or_errors(chosen: list[bytes]) -> None:
    check(list(read_calendar(b"\r\n".join(chosen), name="fuzz.ics")), "fuzz.ics")


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzzed_bytes_give_only_records_or_errors(data: bytes) -> None:
    check(list(read_calendar(data, name="fuzz.ics")), "fuzz.ics")


@FUZZ
@given(st.sampled_from(["outlook.ics", "google.ics", "apple.ics"]), st.data())
def test_fuzzed_corpus_calendars_give_only_records_or_errors(
    name: str, data: st.DataObject
) -> None:
    raw = bytearray((MAIL / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    check(list(read_calendar(bytes(raw), name="fuzz.ics")), "fuzz.ics")
