"""Trust is refreshed after a write: one queued task per committed transaction, run by
the real database worker, storing the score and today's snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from rapport.commitments.services import commitment_close, commitment_create
from rapport.interactions.services import interaction_create
from rapport.people.services import fact_create
from rapport.trust.models import TrustScore, TrustSnapshot
from rapport.trust.tasks import (
    NIGHTLY_AT,
    next_night,
    recompute_trust_nightly,
    trust_nightly_schedule,
)


def _refresh_tasks():
    return DBTaskResult.objects.filter(task_path__endswith="refresh_trust", status="READY")


def _run_worker() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


# These tests commit for real (the worker checks its connection like a request does).
def test_a_logged_interaction_queues_one_refresh_that_the_worker_runs(
    transactional_db, book, alice
):
    wang = book["wang"]
    _run_worker()  # whatever building the book queued
    TrustScore.objects.all().delete()
    TrustSnapshot.objects.all().delete()

    interaction_create(
        actor=alice,
        participants=[wang],
        kind="meeting",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        summary="Walked through their budget worries",
        focus="client",
        signals=["summarised_first", "they_opened_up"],
    )
    queued = _refresh_tasks().get()
    assert wang.pk in queued.args_kwargs["kwargs"]["person_ids"]

    _run_worker()
    score = TrustScore.objects.get(person=wang)
    assert score.s < 5.5, "a conversation on their agenda, summarised first, lowers S"
    assert score.i > 5.0
    assert TrustSnapshot.objects.filter(person=wang, day=timezone.localdate()).exists()
    # Wang is Huawei's decision maker: the organisation follows in a task of its own.
    huawei = TrustScore.objects.get(organisation=book["huawei"])
    assert huawei.computed_at >= score.computed_at
    assert DBTaskResult.objects.filter(
        task_path__endswith="refresh_trust",
        status="SUCCESSFUL",
        args_kwargs__kwargs__organisation_ids=[book["huawei"].pk],
    ).exists()
    assert not _refresh_tasks().exists()


def test_many_writes_in_one_transaction_queue_one_task_and_a_rollback_queues_none(
    transactional_db, book, alice
):
    wang, anna = book["wang"], book["anna"]
    _run_worker()
    with transaction.atomic():
        fact_create(actor=alice, person=wang, category="family", value="Daughter starts university")
        fact_create(actor=alice, person=anna, category="hobby", value="Marathons")
        promise = commitment_create(
            actor=alice,
            person=wang,
            title="Send the revised quote",
            made_at=timezone.now() - dt.timedelta(days=3),
            due_on=timezone.localdate() + dt.timedelta(days=2),
        )
        commitment_close(
            actor=alice, commitment=promise, status="kept", delivered_at=timezone.now()
        )
    task = _refresh_tasks().get()
    assert set(task.args_kwargs["kwargs"]["person_ids"]) == {wang.pk, anna.pk}

    with pytest.raises(RuntimeError), transaction.atomic():
        fact_create(actor=alice, person=wang, category="food", value="Loves hotpot")
        raise RuntimeError("the write fails after the fact was added")
    assert _refresh_tasks().count() == 1, "nothing queued for a rolled-back write"

    _run_worker()
    assert TrustScore.objects.get(person=wang).r > 5.0, "the kept promise counts"


# The nightly recompute: time alone moves trust, and every day gets its snapshot.


@given(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    )
)
def test_the_next_night_is_the_first_ten_past_midnight_after_now(now: dt.datetime) -> None:
    at = next_night(now)
    assert now < at <= now + dt.timedelta(days=1)
    assert timezone.localtime(at).time() == NIGHTLY_AT


def _nightly(team_id: int) -> Any:
    return DBTaskResult.objects.filter(
        task_path__endswith="recompute_trust_nightly",
        status="READY",
        args_kwargs__kwargs__team_id=team_id,
    )


def test_every_team_has_one_nightly_recompute_queued_and_each_queues_the_next(
    transactional_db, book, alice, charlie
):
    _run_worker()
    now = timezone.now()
    assert trust_nightly_schedule(now=now) == 2
    assert trust_nightly_schedule(now=now) == 2  # repairing twice queues nothing more
    mine = _nightly(alice.member.team_id).get()
    assert mine.run_after == next_night(now)
    assert _nightly(charlie.member.team_id).count() == 1

    TrustScore.objects.all().delete()
    TrustSnapshot.objects.all().delete()
    # The worker runs it when its night comes (here: made due now).
    DBTaskResult.objects.filter(pk=mine.pk).update(run_after=now - dt.timedelta(minutes=1))
    _run_worker()

    done = DBTaskResult.objects.get(pk=mine.pk)
    assert done.status == "SUCCESSFUL"
    assert done.return_value["people"] > 0
    assert TrustScore.objects.filter(person=book["wang"]).exists()
    assert TrustSnapshot.objects.filter(person=book["wang"], day=timezone.localdate()).exists()
    # The chain goes on: tomorrow night's is queued, and only one.
    following = _nightly(alice.member.team_id).get()
    assert following.run_after == next_night(timezone.now())
    assert not TrustScore.objects.filter(team_id=charlie.member.team_id).exists()


def test_a_worker_started_after_ten_past_midnight_still_runs_tonights_recompute(db, alice):
    team_id = alice.member.team_id
    before = dt.datetime(2026, 3, 2, 0, 5, tzinfo=dt.UTC)
    trust_nightly_schedule(now=before)
    tonight = _nightly(team_id).get().run_after
    assert tonight == dt.datetime(2026, 3, 2, 0, 10, tzinfo=dt.UTC)
    # `rapport worker --once` from cron repairs the chain first: the due one stays.
    trust_nightly_schedule(now=before + dt.timedelta(minutes=15))
    assert [t.run_after for t in _nightly(team_id)] == [tonight]
    # Two queued by accident (two workers) become one, still tonight.
    recompute_trust_nightly.using(run_after=tonight).enqueue(team_id=team_id)
    trust_nightly_schedule(now=before + dt.timedelta(minutes=15))
    assert [t.run_after for t in _nightly(team_id)] == [tonight]
