"""When promises fall due, across time zones and daylight saving changes: known days, and
properties over many random instants, many of them within days of a clock change.

Also what to talk about with someone going cold: the common-ground suggestion."""

import datetime as dt
import functools
import zoneinfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rapport.commitments.deadlines import (
    DeadlineError,
    State,
    day_bounds,
    days_overdue,
    deadline,
    is_overdue,
    local_date,
    local_midnight,
    outcome_for,
    record_of,
)
from rapport.people.common_ground import PREFERENCE, KnownFact, suggest_topic

UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)
TICK = dt.timedelta(microseconds=1)
ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # daylight saving of 30 minutes
    "America/Santiago",  # springs forward at midnight, falls back at 24:00
    "Asia/Shanghai",  # no daylight saving since 1991
    "Pacific/Chatham",  # +12:45 / +13:45, changes at 02:45
    "America/Havana",  # springs forward at 00:00, so some days begin at 01:00
    "Pacific/Apia",  # skipped 30 December 2011 altogether
    "UTC",
)
# Lord Howe's days are 23.5 and 24.5 hours long; Apia's day before the skip is ordinary.
DAY_LENGTHS = {dt.timedelta(hours=h) for h in (23, 23.5, 24, 24.5, 25)}


@functools.cache
def transitions(name: str) -> tuple[dt.datetime, ...]:
    """Every instant from 1990 to 2037 at which the zone's UTC offset changes."""
    zone = zoneinfo.ZoneInfo(name)
    found = []
    at = dt.datetime(1990, 1, 1, tzinfo=UTC)
    offset = at.astimezone(zone).utcoffset()
    while at.year < 2038:
        nxt = at + ONE_DAY
        new = nxt.astimezone(zone).utcoffset()
        if new != offset:
            low, high = at, nxt  # the offset changes in (low, high]
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
            offset = new
        at = nxt
    return tuple(found)


@st.composite
def zones_and_instants(draw):
    """A zone and an instant, half the time within three days of one of its clock changes."""
    name = draw(st.sampled_from(ZONES))
    near = transitions(name)
    if near and draw(st.booleans()):
        base = draw(st.sampled_from(near))
        instant = base + dt.timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400)))
    else:
        instant = draw(
            st.datetimes(
                min_value=dt.datetime(1990, 1, 2),
                max_value=dt.datetime(2037, 12, 30),
                timezones=st.just(UTC),
            )
        )
    return name, instant


def exists(day: dt.date, time: dt.time, name: str) -> bool:
    """Whether the wall time `time` on `day` happens in the zone (not skipped by a change)."""
    wall = dt.datetime.combine(day, time)
    back = wall.replace(tzinfo=zoneinfo.ZoneInfo(name)).astimezone(UTC)
    return back.astimezone(zoneinfo.ZoneInfo(name)).replace(tzinfo=None) == wall


def wall(instant: dt.datetime, name: str) -> dt.datetime:
    return instant.astimezone(zoneinfo.ZoneInfo(name)).replace(tzinfo=None)


# Known days.


@pytest.mark.parametrize(
    ("name", "day", "hours"),
    [
        ("America/New_York", dt.date(2026, 3, 8), 23),
        ("America/New_York", dt.date(2026, 11, 1), 25),
        ("Europe/London", dt.date(2026, 3, 29), 23),
        ("Europe/London", dt.date(2026, 10, 25), 25),
        ("Australia/Lord_Howe", dt.date(2026, 4, 5), 24.5),
        ("Australia/Lord_Howe", dt.date(2026, 10, 4), 23.5),
        ("America/Santiago", dt.date(2026, 4, 4), 25),
        ("America/Santiago", dt.date(2026, 9, 6), 23),
        ("Pacific/Chatham", dt.date(2026, 4, 5), 25),
        ("Pacific/Chatham", dt.date(2026, 9, 27), 23),
        ("America/Havana", dt.date(2026, 3, 8), 23),
        ("America/Havana", dt.date(2026, 11, 1), 25),
        ("Asia/Shanghai", dt.date(2026, 3, 8), 24),
        ("UTC", dt.date(2026, 3, 8), 24),
    ],
)
def test_days_of_a_clock_change_are_as_long_as_the_clocks_say(name, day, hours):
    start, end = day_bounds(day, name)
    assert end - start == dt.timedelta(hours=hours)
    assert deadline(day, None, name) == end


def test_a_day_that_begins_at_one_in_the_morning():
    # Havana springs forward at midnight: 8 March 2026 has no 00:00, it begins at 01:00.
    start = local_midnight(dt.date(2026, 3, 8), "America/Havana")
    assert start == dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert wall(start, "America/Havana") == dt.datetime(2026, 3, 8, 1, 0)
    assert local_date(start - TICK, "America/Havana") == dt.date(2026, 3, 7)
    # Santiago does the same in September.
    start = local_midnight(dt.date(2026, 9, 6), "America/Santiago")
    assert wall(start, "America/Santiago") == dt.datetime(2026, 9, 6, 1, 0)


@pytest.mark.parametrize(
    ("name", "day", "start"),
    [
        # Greenwich time came to London at midnight, skipping 1 minute 15 seconds.
        ("Europe/London", dt.date(1847, 12, 1), dt.datetime(1847, 12, 1, 0, 1, 15)),
        # Santiago left -05 for Santiago Mean Time (-4:42:45): 17 min 15 s skipped.
        ("America/Santiago", dt.date(1916, 7, 1), dt.datetime(1916, 7, 1, 5, 0)),
        # Kwajalein crossed the date line: 21 August 1993 never happened there.
        ("Pacific/Kwajalein", dt.date(1993, 8, 21), dt.datetime(1993, 8, 21, 12, 0)),
    ],
)
def test_a_skipped_midnight_starts_the_day_at_the_very_second_of_the_change(name, day, start):
    assert local_midnight(day, name) == start.replace(tzinfo=UTC)
    assert local_date(start.replace(tzinfo=UTC) - TICK, name) < day


def test_a_promise_due_in_shanghai_falls_due_at_four_in_the_afternoon_utc():
    assert deadline(dt.date(2026, 11, 20), None, "Asia/Shanghai") == dt.datetime(
        2026, 11, 20, 16, 0, tzinfo=UTC
    )
    assert deadline(dt.date(2026, 11, 20), dt.time(10, 0), "Asia/Shanghai") == dt.datetime(
        2026, 11, 20, 2, 0, tzinfo=UTC
    )


def test_a_day_the_calendar_skipped():
    # Samoa moved across the date line: 29 December 2011 was followed by the 31st.
    name = "Pacific/Apia"
    skip = dt.datetime(2011, 12, 30, 10, 0, tzinfo=UTC)
    assert day_bounds(dt.date(2011, 12, 29), name) == (skip - ONE_DAY, skip)
    assert day_bounds(dt.date(2011, 12, 30), name) == (skip, skip)  # no instant at all
    assert day_bounds(dt.date(2011, 12, 31), name) == (skip, skip + ONE_DAY)
    assert deadline(dt.date(2011, 12, 29), None, name) == skip


def test_a_timed_deadline_in_an_ambiguous_hour_is_the_first_of_the_two():
    # 01:30 happens twice in New York on 1 November 2026; the promise is due at the first.
    due = deadline(dt.date(2026, 11, 1), dt.time(1, 30), "America/New_York")
    assert due == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_a_timed_deadline_in_a_skipped_hour_is_never_earlier_than_promised():
    # 02:30 never happens in New York on 8 March 2026.
    due = deadline(dt.date(2026, 3, 8), dt.time(2, 30), "America/New_York")
    assert wall(due, "America/New_York") == dt.datetime(2026, 3, 8, 3, 30)


def test_an_unknown_time_zone_is_named_as_the_fault():
    with pytest.raises(DeadlineError) as raised:
        deadline(dt.date(2026, 11, 20), None, "Mars/Olympus_Mons")
    assert raised.value.field == "time_zone"


def test_a_time_without_a_zone_has_no_local_date():
    with pytest.raises(DeadlineError):
        local_date(dt.datetime(2026, 11, 20, 9, 0), "UTC")


def test_overdue_and_kept_meet_exactly_at_the_deadline():
    due = deadline(dt.date(2026, 11, 20), None, "Europe/London")
    assert not is_overdue(due, due - TICK)
    assert is_overdue(due, due)
    assert outcome_for(due, due - TICK) == State.KEPT
    assert outcome_for(due, due) == State.KEPT_LATE
    assert days_overdue(due, due - TICK, "Europe/London") == 0
    assert days_overdue(due, due, "Europe/London") == 1
    # Three days before the deadline is the 18th: two more days (19th, 20th) to go.
    assert days_overdue(due, due - 3 * ONE_DAY, "Europe/London") == -2


# Properties.


@given(zones_and_instants(), st.integers(-4 * 86400, 4 * 86400))
@example(("America/Havana", dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)), 0)
@example(("Australia/Lord_Howe", dt.datetime(2026, 4, 4, 15, 0, tzinfo=UTC)), -1)
def test_a_day_only_promise_is_overdue_exactly_when_the_local_date_is_past_the_due_day(
    zone_and_instant, seconds
):
    name, instant = zone_and_instant
    due_on = local_date(instant, name)
    due_at = deadline(due_on, None, name)
    now = due_at + dt.timedelta(seconds=seconds)
    assert is_overdue(due_at, now) == (local_date(now, name) > due_on)
    assert days_overdue(due_at, now, name) == (local_date(now, name) - due_on).days


@given(zones_and_instants())
def test_a_day_only_deadline_is_the_next_local_midnight(zone_and_instant):
    name, instant = zone_and_instant
    day = local_date(instant, name)
    assert deadline(day, None, name) == local_midnight(day + ONE_DAY, name)
    assert day_bounds(day, name)[1] == deadline(day, None, name)


@given(zones_and_instants())
@example(("America/Havana", dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)))
@example(("America/Havana", dt.datetime(2026, 11, 1, 4, 30, tzinfo=UTC)))
@example(("Pacific/Apia", dt.datetime(2011, 12, 30, 9, 59, 59, tzinfo=UTC)))
@example(("Pacific/Apia", dt.datetime(2011, 12, 30, 10, 0, tzinfo=UTC)))
def test_a_local_day_covers_exactly_the_instants_with_that_local_date(zone_and_instant):
    name, instant = zone_and_instant
    day = local_date(instant, name)
    start, end = day_bounds(day, name)
    assert start <= instant < end
    assert local_date(start, name) == day
    assert local_date(end - TICK, name) == day
    assert local_date(start - TICK, name) < day
    assert local_date(end, name) > day
    assert end - start in DAY_LENGTHS
    # Days tile time: each begins where the one before ended.
    assert day_bounds(day + ONE_DAY, name)[0] == end
    assert day_bounds(day - ONE_DAY, name)[1] == start
    # A day begins at midnight, or, where the clocks skipped midnight, as soon after as
    # the clock shows that day.
    if exists(day, dt.time(), name):
        assert wall(start, name) == dt.datetime.combine(day, dt.time())
    else:
        assert wall(start, name) > dt.datetime.combine(day, dt.time())


@given(zones_and_instants(), st.times(), st.integers(-3 * 86400, 3 * 86400))
@example(("America/New_York", dt.datetime(2026, 3, 8, 12, tzinfo=UTC)), dt.time(2, 30), 0)
@example(("America/New_York", dt.datetime(2026, 11, 1, 12, tzinfo=UTC)), dt.time(1, 30), 0)
@example(("Australia/Lord_Howe", dt.datetime(2026, 10, 4, 1, tzinfo=UTC)), dt.time(2, 15), 0)
@example(("America/Havana", dt.datetime(2026, 3, 8, 12, tzinfo=UTC)), dt.time(0, 0), 0)
def test_a_timed_deadline_falls_at_that_wall_time_on_that_day(zone_and_instant, time, seconds):
    name, instant = zone_and_instant
    day = local_date(instant, name)
    due_at = deadline(day, time, name)
    promised = dt.datetime.combine(day, time)
    if exists(day, time, name):
        assert wall(due_at, name) == promised
        # Where the hour happens twice the promise falls due at the first.
        later = promised.replace(tzinfo=zoneinfo.ZoneInfo(name), fold=1).astimezone(UTC)
        assert due_at <= later
        if time != dt.time():
            # Whole days late, counted in local days after the day it was due.
            now = due_at + dt.timedelta(seconds=seconds)
            assert days_overdue(due_at, now, name) == (local_date(now, name) - day).days
            assert days_overdue(due_at, due_at, name) == 0
    else:
        # A time the clocks skipped: due as soon after it as the clock reads past it.
        assert promised < wall(due_at, name) <= promised + dt.timedelta(hours=1)


@given(zones_and_instants(), st.integers(-4 * 86400, 4 * 86400))
def test_the_due_days_end_is_never_overdue_and_overdue_days_agree_with_overdue(
    zone_and_instant, seconds
):
    name, instant = zone_and_instant
    due_at = deadline(local_date(instant, name), None, name)
    assert days_overdue(due_at, due_at - TICK, name) == 0
    assert not is_overdue(due_at, due_at - TICK)
    now = due_at + dt.timedelta(seconds=seconds)
    late = days_overdue(due_at, now, name)
    assert (late > 0) == is_overdue(due_at, now)


@given(zones_and_instants(), st.integers(-(10**7), 10**7), st.integers(0, 999_999))
def test_kept_exactly_when_delivered_before_the_deadline(zone_and_instant, seconds, micros):
    name, instant = zone_and_instant
    due_at = deadline(local_date(instant, name), None, name)
    delivered = due_at + dt.timedelta(seconds=seconds, microseconds=micros)
    outcome = outcome_for(due_at, delivered)
    assert outcome in (State.KEPT, State.KEPT_LATE)
    assert (outcome == State.KEPT) == (delivered < due_at)
    assert (outcome == State.KEPT) == (not is_overdue(due_at, delivered))


@given(st.lists(st.sampled_from([s.value for s in State])))
def test_a_record_counts_each_close_and_sets_cancelled_and_open_aside(states):
    record = record_of(states)
    assert record.kept == states.count("kept")
    assert record.kept_late == states.count("kept_late")
    assert record.broken == states.count("broken")
    assert record.closed == len(states) - states.count("open") - states.count("cancelled")
    share = record.on_time_share
    if record.closed == 0:
        assert share is None
    else:
        assert 0 <= share <= 1
        assert share == record.kept / record.closed


def test_a_record_of_all_kept_is_perfect_and_of_none_kept_is_zero():
    assert record_of(["kept", "kept", "cancelled", "open"]).on_time_share == 1
    assert record_of(["kept_late", "broken"]).on_time_share == 0
    assert record_of([]).on_time_share is None


# What to talk about.

CATEGORIES = (*PREFERENCE, "dislike", "unheard_of")
VALUES = ("Golf", " golf ", "Calligraphy", "Running a marathon", "  ", "Karaoke", "孩子教育")
facts = st.lists(
    st.builds(
        KnownFact,
        category=st.sampled_from(CATEGORIES),
        value=st.sampled_from(VALUES),
        learned_on=st.one_of(
            st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1))
        ),
    ),
    max_size=8,
)
recent_topics = st.lists(
    st.sampled_from(["golf", "GOLF ", "calligraphy", "karaoke", "孩子教育", "tennis"]), max_size=4
)


def _usable(fact):
    return fact.category in PREFERENCE and fact.value.strip() != ""


def _talked_about(fact, recent):
    return fact.value.strip().lower() in {t.strip().lower() for t in recent}


@given(facts, recent_topics)
def test_the_suggestion_is_a_usable_fact_never_a_dislike(known, recent):
    topic = suggest_topic(known, recent)
    if not any(_usable(f) for f in known):
        assert topic is None
        return
    assert topic in known
    assert topic.category != "dislike"
    assert _usable(topic)


@given(facts, recent_topics)
def test_the_suggestion_skips_recent_topics_when_anything_else_is_known(known, recent):
    topic = suggest_topic(known, recent)
    if any(_usable(f) and not _talked_about(f, recent) for f in known):
        assert not _talked_about(topic, recent)


@given(facts, recent_topics)
def test_no_other_candidate_is_a_better_category_or_fresher(known, recent):
    topic = suggest_topic(known, recent)
    if topic is None:
        return
    usable = [f for f in known if _usable(f)]
    candidates = [f for f in usable if not _talked_about(f, recent)] or usable

    def age(fact):
        return fact.learned_on or dt.date.min

    for other in candidates:
        assert PREFERENCE.index(topic.category) <= PREFERENCE.index(other.category)
        if other.category == topic.category:
            assert age(topic) >= age(other)


def test_a_goal_comes_before_a_hobby_and_a_newer_hobby_before_an_older_one():
    old = KnownFact("hobby", "Calligraphy", dt.date(2020, 1, 1))
    new = KnownFact("hobby", "Orchids", dt.date(2025, 1, 1))
    goal = KnownFact("goal", "Running a marathon")
    assert suggest_topic([old, new]) == new
    assert suggest_topic([old, goal, new]) == goal
    assert suggest_topic([KnownFact("dislike", "Karaoke")]) is None
    assert suggest_topic([]) is None


def test_what_was_talked_about_lately_is_skipped_unless_it_is_all_there_is():
    golf = KnownFact("sport", "Golf")
    books = KnownFact("book", "The Three-Body Problem")
    assert suggest_topic([golf, books], recent_topics=["golf"]) == books
    assert suggest_topic([golf], recent_topics=[" GOLF"]) == golf
