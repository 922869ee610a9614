"""The personal calendar feed, read as a calendar client reads it: anonymously, by its
secret address, and parsed with icalendar."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from typing import Any

import pytest
from dateutil.rrule import rrulestr
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event
from lunardate import LunarDate

from rapport.accounts.models import Member
from rapport.commitments.services import commitment_close, commitment_create, milestone_add
from rapport.people import birthdays
from rapport.people.services import person_create
from rapport.portal.feed import commitment_start
from rapport.portal.models import CalendarFeed
from rapport.portal.services import calendar_feed_create, calendar_feed_revoke

UTC = dt.UTC
SITE = "testserver"
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=UTC)  # when promises with fixed dates were made
DST_ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago"]


def feed_url(token: str) -> str:
    return reverse("calendar_feed", args=[token])


def fetch(token: str) -> Calendar:
    response = Client().get(feed_url(token))
    assert response.status_code == 200, response.content
    return Calendar.from_ical(response.content)


def events_of(cal: Calendar) -> dict[str, Event]:
    events = cal.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)), "UIDs must be unique"
    return dict(zip(uids, events, strict=True))


def uid(*parts: object) -> str:
    return "-".join(str(p) for p in parts) + f"@{SITE}"


def local_today(user: Any) -> dt.date:
    zone = zoneinfo.ZoneInfo(Member.objects.get(user=user).time_zone)
    return timezone.now().astimezone(zone).date()


@pytest.fixture
def token(alice: Any) -> str:
    return calendar_feed_create(actor=alice)[1]


def test_feed_is_a_calendar_clients_can_subscribe_to(book: Any, alice: Any, token: str) -> None:
    Member.objects.filter(user=alice).update(time_zone="Asia/Shanghai")
    response = Client().get(feed_url(token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=900"
    assert 'filename="rapport-alice.ics"' in response["Content-Disposition"]
    assert "王小明" in response.content.decode("utf-8")
    cal = Calendar.from_ical(response.content)
    assert cal["VERSION"] == "2.0"
    assert "Rapport" in cal["PRODID"]
    assert cal["CALSCALE"] == "GREGORIAN"
    assert cal["METHOD"] == "PUBLISH"
    assert cal["X-WR-CALNAME"] == "Rapport – alice"
    assert cal["X-WR-TIMEZONE"] == "Asia/Shanghai"
    assert cal["REFRESH-INTERVAL"].dt == dt.timedelta(hours=1)
    assert cal["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert CalendarFeed.objects.get(user=alice).last_fetched_at is not None


def test_day_only_promise_is_an_all_day_event(book: Any, alice: Any, token: str) -> None:
    due = local_today(alice) + dt.timedelta(days=10)
    c = commitment_create(
        actor=alice, title="Send the proposal", person=book["wang"], due_on=due, time_zone="UTC"
    )
    event = events_of(fetch(token))[uid("commitment", c.pk)]
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert type(event.start) is dt.date and event.start == due
    assert type(event.end) is dt.date and event.end == due + dt.timedelta(days=1)
    assert event["SUMMARY"] == "Due: Send the proposal (王小明)"
    assert event["URL"] == f"http://testserver/commitments/{c.pk}/"
    assert event["STATUS"] == "CONFIRMED"
    assert "Open" in event.categories
    assert "Status: Open" in event["DESCRIPTION"]


def test_timed_promise_keeps_its_zone_across_daylight_saving(
    book: Any, alice: Any, token: str
) -> None:
    year = local_today(alice).year + 1
    ny = "America/New_York"
    winter, summer = (
        commitment_create(
            actor=alice,
            title=f"Call before the {month} board",
            organisation=book["huawei"],
            due_on=dt.date(year, month, 15),
            due_time=dt.time(9, 0),
            time_zone=ny,
        )
        for month in (1, 7)
    )
    london = commitment_create(
        actor=alice,
        title="Sign in London",
        person=book["anna"],
        due_on=dt.date(year, 3, 20),
        due_time=dt.time(17, 30),
        time_zone="Europe/London",
    )
    cal = fetch(token)
    events = events_of(cal)
    vtimezones = {tz.tz_name: tz.to_tz(lookup_tzid=False) for tz in cal.timezones}
    assert {ny, "Europe/London"} <= set(vtimezones)
    assert not cal.get_missing_tzids()
    for c, utc_hour in ((winter, 14), (summer, 13)):
        event = events[uid("commitment", c.pk)]
        assert event["DTSTART"].params["TZID"] == ny
        assert event.start.replace(tzinfo=None) == dt.datetime(year, c.due_on.month, 15, 9, 0)
        assert event.start.astimezone(UTC) == c.due_at
        assert c.due_at.hour == utc_hour
        # The VTIMEZONE shipped in the feed says the same as the zone database.
        assert event.start.replace(tzinfo=vtimezones[ny]).astimezone(UTC) == c.due_at
        assert event.end - event.start == dt.timedelta(minutes=30)
    event = events[uid("commitment", london.pk)]
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.start.astimezone(UTC) == london.due_at


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    zone=st.sampled_from(DST_ZONES),
    due_on=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2035, 12, 31)),
    due_time=st.times().map(lambda t: t.replace(microsecond=0)),
)
# The nights the clocks change: a wall time that does not exist, and one that occurs twice.
@example(zone="America/New_York", due_on=dt.date(2027, 3, 14), due_time=dt.time(2, 30))
@example(zone="America/New_York", due_on=dt.date(2027, 11, 7), due_time=dt.time(1, 30))
@example(zone="Europe/London", due_on=dt.date(2027, 3, 28), due_time=dt.time(1, 15))
@example(zone="Europe/London", due_on=dt.date(2027, 10, 31), due_time=dt.time(1, 45))
@example(zone="Australia/Sydney", due_on=dt.date(2027, 4, 4), due_time=dt.time(2, 30))
def test_any_due_time_is_the_instant_of_due_at(
    book: Any, alice: Any, token: str, zone: str, due_on: dt.date, due_time: dt.time
) -> None:
    c = commitment_create(
        actor=alice,
        title="Deliver",
        person=book["wang"],
        due_on=due_on,
        due_time=due_time,
        time_zone=zone,
        made_at=LONG_AGO,
    )
    cal = fetch(token)
    event = events_of(cal)[uid("commitment", c.pk)]
    assert event.start.astimezone(UTC) == c.due_at
    assert event.end.astimezone(UTC) - event.start.astimezone(UTC) == dt.timedelta(minutes=30)
    tzid = event["DTSTART"].params.get("TZID")
    if tzid is not None:  # given in UTC only when the wall time would be ambiguous
        assert tzid == zone
        vtimezone = {tz.tz_name: tz for tz in cal.timezones}[zone].to_tz(lookup_tzid=False)
        assert event.start.replace(tzinfo=vtimezone).astimezone(UTC) == c.due_at


def test_second_pass_of_an_ambiguous_hour_is_given_in_utc() -> None:
    # 06:30 UTC on 7 November 2027 is the second 01:30 in New York: its wall time would
    # be read as the first, an hour early, so the instant is written in UTC.
    second = dt.datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    start = commitment_start(dt.date(2027, 11, 7), dt.time(1, 30), "America/New_York", second)
    assert start == second and start.utcoffset() == dt.timedelta(0)
    first = dt.datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    start = commitment_start(dt.date(2027, 11, 7), dt.time(1, 30), "America/New_York", first)
    assert isinstance(start, dt.datetime)
    assert str(start.tzinfo) == "America/New_York" and start.hour == 1
    assert start.astimezone(UTC) == first


def test_open_and_recently_closed_promises_and_recent_progress(
    book: Any, alice: Any, bob: Any, token: str
) -> None:
    now = timezone.now()
    today = local_today(alice)
    kept = commitment_create(
        actor=alice, title="Intro to the CFO", person=book["wang"], due_on=today + dt.timedelta(5)
    )
    commitment_close(actor=alice, commitment=kept, status="kept")
    cancelled = commitment_create(
        actor=alice, title="Dinner", person=book["anna"], due_on=today + dt.timedelta(6)
    )
    commitment_close(actor=alice, commitment=cancelled, status="cancelled")
    long_closed = commitment_create(
        actor=alice,
        title="Old report",
        person=book["wang"],
        due_on=(now - dt.timedelta(days=150)).date(),
        made_at=now - dt.timedelta(days=200),
    )
    commitment_close(
        actor=alice, commitment=long_closed, status="broken", now=now - dt.timedelta(days=100)
    )
    theirs = commitment_create(
        actor=alice,
        title="Signed contract",
        person=book["wang"],
        side="client",
        promised_by=book["wang"],
        due_on=today + dt.timedelta(days=20),
        made_at=now - dt.timedelta(days=200),
    )
    recent = milestone_add(actor=alice, commitment=theirs, title="Legal review done")
    old = milestone_add(
        actor=alice, commitment=theirs, title="Draft sent", at=now - dt.timedelta(days=120)
    )
    # Bob's own promise to a shared client is his, not Alice's.
    bobs = commitment_create(
        actor=bob, title="Bob's errand", person=book["wang"], due_on=today + dt.timedelta(3)
    )
    # Bob records a promise Alice made: it is hers too.
    made_by_alice = commitment_create(
        actor=bob,
        title="Alice's pledge",
        person=book["anna"],
        promised_by=Member.objects.get(user=alice).person,
        due_on=today + dt.timedelta(4),
    )
    events = events_of(fetch(token))
    assert events[uid("commitment", kept.pk)]["SUMMARY"] == "Due: Intro to the CFO (王小明) [Kept]"
    assert events[uid("commitment", cancelled.pk)]["STATUS"] == "CANCELLED"
    assert uid("commitment", long_closed.pk) not in events
    assert events[uid("commitment", theirs.pk)]["SUMMARY"].startswith("Due from the client:")
    assert uid("commitment", bobs.pk) not in events
    assert uid("commitment", made_by_alice.pk) in events
    progress = events[uid("milestone", recent.pk)]
    assert progress["SUMMARY"] == "Progress: Legal review done (Signed contract)"
    assert progress.start == recent.at.replace(microsecond=0)
    assert progress["URL"] == f"http://testserver/commitments/{theirs.pk}/"
    assert uid("milestone", old.pk) not in events


def test_solar_birthday_is_one_yearly_event(book: Any, alice: Any, token: str) -> None:
    june = person_create(
        actor=alice, display_name="June Jones", birth_month=6, birth_day=5, birth_year=1980
    )
    events = events_of(fetch(token))
    assert [u for u in events if u.startswith(f"birthday-{june.pk}")] == [uid("birthday", june.pk)]
    event = events[uid("birthday", june.pk)]
    assert event["SUMMARY"] == "Birthday: June Jones"
    assert type(event.start) is dt.date and (event.start.month, event.start.day) == (6, 5)
    assert event.end == event.start + dt.timedelta(days=1)
    rule = event["RRULE"]
    assert rule["FREQ"] == ["YEARLY"]
    assert rule["BYMONTH"] == [6] and rule["BYMONTHDAY"] == [5]
    assert event["URL"] == f"http://testserver/people/{june.pk}/"


def test_leap_day_birthday_falls_on_the_last_day_of_february(
    book: Any, alice: Any, token: str
) -> None:
    anna = book["anna"]  # born on 29 February, year unknown
    event = events_of(fetch(token))[uid("birthday", anna.pk)]
    rule = event["RRULE"]
    assert rule["FREQ"] == ["YEARLY"]
    assert rule["BYMONTH"] == [2] and rule["BYMONTHDAY"] == [-1]
    assert (event.start.month, event.start.day) == (2, 29)
    # What a client expands from the rule is what the birthdays module keeps.
    expanded = rrulestr(
        rule.to_ical().decode(), dtstart=dt.datetime.combine(event.start, dt.time())
    )
    b = birthdays.Birthday("solar", 2, 29)
    for year in range(2026, 2034):
        got = expanded.between(dt.datetime(year, 1, 1), dt.datetime(year, 12, 31), inc=True)
        assert [d.date() for d in got] == [birthdays.occurrence_in(b, year)]
    assert birthdays.occurrence_in(b, 2027) == dt.date(2027, 2, 28)


def test_lunar_birthday_is_its_next_three_solar_dates(book: Any, alice: Any, token: str) -> None:
    wang = book["wang"]  # lunar 8/15
    year_end = person_create(
        actor=alice,
        display_name="Zhao Laba",
        birth_calendar="lunar",
        birth_month=12,
        birth_day=30,
        birth_year=1970,
    )
    events = events_of(fetch(token))
    today = local_today(alice)
    for person, month, day in ((wang, 8, 15), (year_end, 12, 30)):
        b = birthdays.Birthday("lunar", month, day)
        expected = []
        after = today
        for _ in range(3):
            after = birthdays.next_occurrence(b, after)
            expected.append(after)
            after += dt.timedelta(days=1)
        mine = sorted(
            (e for u, e in events.items() if u.startswith(f"birthday-{person.pk}-")),
            key=lambda e: e.start,
        )
        assert [e.start for e in mine] == expected
        for event in mine:
            assert "RRULE" not in event
            assert event.end == event.start + dt.timedelta(days=1)
            lunar = LunarDate.from_solar_date(event.start.year, event.start.month, event.start.day)
            assert str(event["UID"]) == uid("birthday", person.pk, lunar.year)
            assert event["SUMMARY"] == f"Birthday (lunar calendar): {person.display_name}"
    turning = [e for u, e in events.items() if u.startswith(f"birthday-{year_end.pk}-")]
    assert all("Turns " in e["DESCRIPTION"] for e in turning)


def test_uids_are_stable_across_fetches(book: Any, alice: Any, token: str) -> None:
    today = local_today(alice)
    c = commitment_create(
        actor=alice, title="Proposal", person=book["wang"], due_on=today + dt.timedelta(9)
    )
    milestone_add(actor=alice, commitment=c, title="Outline agreed")
    first = sorted(events_of(fetch(token)))
    second = sorted(events_of(fetch(token)))
    assert first == second
    assert len(first) == 1 + 1 + 3 + 1  # promise, progress, Wang's lunar x3, Anna's solar


def test_revoked_and_unknown_tokens_answer_the_same_404(alice: Any) -> None:
    feed, token = calendar_feed_create(actor=alice)
    assert Client().get(feed_url(token)).status_code == 200
    calendar_feed_revoke(actor=alice, feed=feed)
    revoked = Client().get(feed_url(token))
    unknown = Client().get(feed_url(secrets.token_urlsafe(32)))
    too_long = Client().get(feed_url("x" * 300))
    for response in (revoked, unknown, too_long):
        assert response.status_code == 404
        assert response.content == unknown.content
        assert response["Content-Type"] == unknown["Content-Type"]
        assert b"VCALENDAR" not in response.content


def test_only_the_users_own_people_and_team_appear(
    book: Any, alice: Any, bob: Any, charlie: Any, token: str
) -> None:
    today = local_today(alice)
    mine_private = person_create(
        actor=alice,
        display_name="Alice Private Birthday",
        visibility="private",
        birth_month=3,
        birth_day=3,
    )
    bobs_private = person_create(
        actor=bob,
        display_name="Bob Private Birthday",
        visibility="private",
        birth_month=4,
        birth_day=4,
    )
    bobs_shared = person_create(
        actor=bob, display_name="Bob Shared Birthday", birth_month=5, birth_day=5
    )
    charlies = person_create(
        actor=charlie, display_name="Charlie Birthday", birth_month=6, birth_day=6
    )
    # Bob records a promise "by Alice" to his private contact: private to Bob.
    hidden = commitment_create(
        actor=bob,
        title="Secret errand",
        person=bobs_private,
        promised_by=Member.objects.get(user=alice).person,
        due_on=today + dt.timedelta(days=3),
    )
    charlies_promise = commitment_create(
        actor=charlie, title="Charlie's promise", person=book["charlies"], due_on=today
    )
    response = Client().get(feed_url(token))
    text = response.content.decode()
    events = events_of(Calendar.from_ical(response.content))
    assert uid("birthday", mine_private.pk) in events
    for other in (bobs_private, bobs_shared, charlies, book["bobs_secret"], book["charlies"]):
        assert not any(u.startswith(f"birthday-{other.pk}") for u in events)
        assert other.display_name not in text
    assert uid("commitment", hidden.pk) not in events
    assert uid("commitment", charlies_promise.pk) not in events
    assert "Secret errand" not in text and "Charlie" not in text


def test_texts_follow_the_users_language(book: Any, alice: Any, token: str) -> None:
    Member.objects.filter(user=alice).update(language="zh-hans")
    event = events_of(fetch(token))[uid("birthday", book["anna"].pk)]
    assert event.categories == ["生日"]
    assert Client().get(feed_url(token))["Content-Language"] == "zh-hans"


def test_query_count_does_not_grow_with_the_book(book: Any, alice: Any, token: str) -> None:
    today = local_today(alice)

    def grow(n: int) -> None:
        for i in range(n):
            person = person_create(
                actor=alice,
                display_name=f"Client {i}",
                birth_calendar="lunar" if i % 2 else "solar",
                birth_month=i % 12 + 1,
                birth_day=i % 28 + 1,
            )
            c = commitment_create(
                actor=alice, title=f"Promise {i}", person=person, due_on=today + dt.timedelta(i)
            )
            milestone_add(actor=alice, commitment=c, title=f"Step {i}")

    def count() -> int:
        caches["feeds"].clear()  # measure a full build, not a cached body
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(feed_url(token)).status_code == 200
        return len(ctx.captured_queries)

    grow(3)
    count()  # the first fetch also records when the feed was last read
    small = count()
    grow(30)
    assert count() == small
    assert small <= 9


def test_an_unchanged_feed_is_served_from_cache_or_not_at_all(
    book: Any, alice: Any, token: str
) -> None:
    caches["feeds"].clear()
    web = Client()
    first = web.get(feed_url(token))
    etag = first["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        again = web.get(feed_url(token))
    assert again.content == first.content and again["ETag"] == etag
    assert len(ctx.captured_queries) <= 5, "a cached body needs only the fingerprint"
    unchanged = web.get(feed_url(token), headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    commitment_create(
        actor=alice,
        title="A brand new promise",
        person=book["wang"],
        due_on=local_today(alice) + dt.timedelta(days=3),
    )
    changed = web.get(feed_url(token), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b"A brand new promise" in changed.content
