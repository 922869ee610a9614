"""The nightly tie refresh: silence alone lowers a tie's strength, and every team has
exactly one refresh queued for the coming night, each queueing the next."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from rapport.interactions.services import interaction_create
from rapport.network.models import Tie
from rapport.network.services import tie_create, ties_refresh
from rapport.network.tasks import (
    NIGHTLY_AT,
    next_night,
    refresh_ties_nightly,
    ties_nightly_schedule,
)
from rapport.people.services import person_create


def _nightly(team_id: int) -> Any:
    return DBTaskResult.objects.filter(
        task_path__endswith="refresh_ties_nightly",
        status="READY",
        args_kwargs__kwargs__team_id=team_id,
    )


def _run_worker() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


@given(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    )
)
def test_the_next_night_is_the_first_nightly_time_after_now(now: dt.datetime) -> None:
    at = next_night(now)
    assert now < at <= now + dt.timedelta(days=1)
    assert timezone.localtime(at).time() == NIGHTLY_AT


def _a_year_of_silence(alice: Any) -> tuple[Tie, Tie, dt.datetime]:
    """Two ties whose last conversation was 400 days ago, one found in conversations
    (its strength computed) and one set by hand, stored as they stood ten days after."""
    met_at = timezone.now() - dt.timedelta(days=400)
    grace = person_create(actor=alice, display_name="Grace Hopper")
    zhou = person_create(actor=alice, display_name="Zhou Min")
    lin = person_create(actor=alice, display_name="Lin Wei")
    interaction_create(
        actor=alice,
        participants=[grace, zhou, lin],
        kind="meeting",
        occurred_at=met_at,
        summary="Dinner after the conference",
        initiated_by="them",
    )
    by_hand = tie_create(actor=alice, person_a=grace, person_b=lin, manual_strength=0.8)
    ties_refresh(team_id=alice.member.team_id, now=met_at + dt.timedelta(days=10))
    a, b = sorted((grace.pk, zhou.pk))
    computed = Tie.objects.get(person_a_id=a, person_b_id=b)
    assert computed.source == Tie.Source.INTERACTIONS
    return computed, by_hand, met_at


def test_a_tie_s_strength_drops_after_a_year_with_no_contact(alice):
    tie, by_hand, met_at = _a_year_of_silence(alice)
    fresh = tie.strength
    assert tie.last_contact_at == met_at

    result = refresh_ties_nightly.call(team_id=alice.member.team_id)

    assert result["team"] == alice.member.team_id and result["updated"] >= 1
    tie.refresh_from_db()
    by_hand.refresh_from_db()
    assert tie.strength < fresh
    # A strength set by hand is the user's word: time does not move it.
    assert by_hand.strength == 0.8


def test_every_team_has_one_nightly_refresh_queued_however_often_it_is_scheduled(
    db, alice, charlie
):
    now = timezone.now()

    assert ties_nightly_schedule(now=now) == 2
    assert ties_nightly_schedule(now=now) == 2
    assert ties_nightly_schedule(now=now + dt.timedelta(hours=1)) == 2

    for user in (alice, charlie):
        assert [t.run_after for t in _nightly(user.member.team_id)] == [next_night(now)]


def test_two_queued_by_accident_become_one_still_tonight(db, alice):
    team_id = alice.member.team_id
    before = dt.datetime(2026, 3, 2, 0, 1, tzinfo=dt.UTC)
    ties_nightly_schedule(now=before)
    tonight = _nightly(team_id).get().run_after
    assert tonight == dt.datetime(2026, 3, 2, 0, 5, tzinfo=dt.UTC)

    refresh_ties_nightly.using(run_after=tonight).enqueue(team_id=team_id)
    ties_nightly_schedule(now=before + dt.timedelta(minutes=15))

    assert [t.run_after for t in _nightly(team_id)] == [tonight]


def test_the_worker_runs_tonight_s_refresh_which_queues_tomorrow_s(transactional_db, alice):
    tie, _by_hand, _met_at = _a_year_of_silence(alice)
    fresh = tie.strength
    _run_worker()  # whatever the conversation queued
    team_id = alice.member.team_id
    now = timezone.now()
    ties_nightly_schedule(now=now)
    tonight = _nightly(team_id).get()
    # Its night comes (here: made due now).
    DBTaskResult.objects.filter(pk=tonight.pk).update(run_after=now - dt.timedelta(minutes=1))
    # The conversation's own refresh ran already; the stored strength is as of back then.
    ties_refresh(team_id=team_id, now=tie.last_contact_at + dt.timedelta(days=10))

    _run_worker()

    done = DBTaskResult.objects.get(pk=tonight.pk)
    assert done.status == "SUCCESSFUL"
    tie.refresh_from_db()
    assert tie.strength < fresh
    following = _nightly(team_id).get()
    assert following.run_after == next_night(timezone.now())


def test_a_team_that_is_gone_ends_its_chain(db):
    assert refresh_ties_nightly.call(team_id=999_999) == {"team": 999_999, "refreshed": False}
    assert not _nightly(999_999).exists()
