"""Tie strength from evidence: pure maths, checked alone and by properties."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from rapport.network.strength import (
    KIND_PRIOR,
    Evidence,
    Group,
    evidence_from_groups,
    tie_strength,
)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


counts = st.integers(min_value=0, max_value=200)
kinds = st.one_of(st.none(), st.sampled_from(sorted(KIND_PRIOR)))


@st.composite
def evidence(draw: st.DrawFn) -> Evidence:
    meetings, calls, written = draw(counts), draw(counts), draw(counts)
    total = meetings + calls + written
    us = draw(st.integers(0, total))
    last_days = draw(st.floats(0, 3650))
    first_days = last_days + draw(st.floats(0, 3650))
    return Evidence(
        meetings=meetings,
        calls=calls,
        written=written,
        personal=draw(st.integers(0, total)),
        initiated_by_us=us,
        initiated_by_them=total - us,
        first_at=ago(first_days) if total else None,
        last_at=ago(last_days) if total else None,
    )


def value(ev: Evidence, **kw: object) -> float:
    return tie_strength(ev, now=NOW, **kw).value  # type: ignore[arg-type]


@given(evidence(), kinds, st.one_of(st.none(), st.floats(0, 1)))
def test_strength_is_always_between_0_and_1(ev, kind, manual):
    result = tie_strength(ev, now=NOW, kind=kind, manual=manual)
    assert 0.0 <= result.value <= 1.0


@given(evidence(), kinds)
def test_the_same_evidence_always_gives_the_same_strength(ev, kind):
    assert value(ev, kind=kind) == value(dataclasses.replace(ev), kind=kind)


@given(evidence(), kinds, st.floats(1, 3000))
def test_more_recent_contact_never_lowers_strength(ev, kind, days):
    if ev.last_at is None:
        return
    later = min(NOW, ev.last_at + dt.timedelta(days=days))
    assert value(dataclasses.replace(ev, last_at=later), kind=kind) >= value(ev, kind=kind)


@given(evidence(), kinds, st.floats(30, 1000))
def test_an_older_last_contact_lowers_strength(ev, kind, days):
    if ev.last_at is None or NOW - ev.last_at > dt.timedelta(days=1500):
        return
    older = dataclasses.replace(ev, last_at=ev.last_at - dt.timedelta(days=days))
    assert value(older, kind=kind) < value(ev, kind=kind)


@given(evidence(), kinds, st.sampled_from(["meeting", "call", "email"]), st.booleans())
def test_one_more_conversation_today_never_lowers_strength(ev, kind, what, theirs):
    field = {"meeting": "meetings", "call": "calls", "email": "written"}[what]
    side = "initiated_by_them" if theirs else "initiated_by_us"
    more = dataclasses.replace(
        ev,
        **{field: getattr(ev, field) + 1, side: getattr(ev, side) + 1},
        first_at=ev.first_at or NOW,
        last_at=NOW,
    )
    assert value(more, kind=kind) >= value(ev, kind=kind)


@given(evidence(), kinds)
def test_more_reciprocal_contact_never_lowers_strength(ev, kind):
    """The same conversations, more evenly started by both sides."""
    total = ev.initiated_by_us + ev.initiated_by_them
    even = dataclasses.replace(ev, initiated_by_us=total // 2, initiated_by_them=total - total // 2)
    assert value(even, kind=kind) >= value(ev, kind=kind)


def test_mail_answered_both_ways_counts_more_than_mail_one_way():
    one_way = Evidence(written=10, initiated_by_us=10, first_at=ago(400), last_at=ago(5))
    both_ways = dataclasses.replace(one_way, initiated_by_us=5, initiated_by_them=5)
    assert value(both_ways) > value(one_way)


def test_meetings_count_more_than_emails_and_personal_talk_more_still():
    emails = Evidence(written=4, initiated_by_us=4, first_at=ago(100), last_at=ago(3))
    meetings = dataclasses.replace(emails, written=0, meetings=4)
    personal = dataclasses.replace(meetings, personal=4)
    assert value(emails) < value(meetings) < value(personal)


def test_knowing_each_other_longer_makes_a_tie_stronger():
    recent = Evidence(meetings=3, initiated_by_us=3, first_at=ago(20), last_at=ago(2))
    old_friends = dataclasses.replace(recent, first_at=ago(2000))
    assert value(old_friends) > value(recent)
    assert value(Evidence(), kind="friend", since=dt.date(2010, 1, 1)) > value(
        Evidence(), kind="friend", since=dt.date(2026, 11, 1)
    )


def test_family_is_strong_without_any_logged_conversation_and_an_introduction_weak():
    nothing = Evidence()
    assert value(nothing, kind="family") > value(nothing, kind="colleague")
    assert value(nothing, kind="colleague") > value(nothing, kind="introduced_by")
    assert value(nothing, kind="family") >= 0.55
    assert value(nothing) == 0.0, "no stated kind and no conversation: no tie to speak of"


def test_a_strength_set_by_hand_wins():
    lots = Evidence(meetings=50, initiated_by_us=25, initiated_by_them=25, last_at=NOW)
    result = tie_strength(lots, now=NOW, kind="family", manual=0.2)
    assert result.value == 0.2 and result.manual


def test_a_year_of_silence_roughly_halves_what_conversations_say():
    fresh = tie_strength(Evidence(meetings=5, first_at=ago(800), last_at=NOW), now=NOW)
    stale = tie_strength(Evidence(meetings=5, first_at=ago(800), last_at=ago(365)), now=NOW)
    assert abs(stale.evidence / fresh.evidence - 0.5) < 1e-9


def test_grouped_rows_fold_into_evidence_leaving_notes_out():
    rows = [
        Group("meeting", "them", False, 2, ago(300), ago(10)),
        Group("email", "us", True, 3, ago(400), ago(1)),
        Group("note", "us", False, 9, ago(900), NOW),
    ]
    ev = evidence_from_groups(rows)
    assert (ev.meetings, ev.written, ev.calls, ev.personal) == (2, 3, 0, 3)
    assert (ev.initiated_by_us, ev.initiated_by_them, ev.reciprocated) == (3, 2, 2)
    assert (ev.first_at, ev.last_at) == (ago(400), ago(1))
