"""The demo book's pipelines: deals in every stage of two pipelines, and the stop-loss
stories (near, crossed and raised, walked away from)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from rapport import demo
from rapport.core.agenda import agenda_for
from rapport.deals import queries
from rapport.deals.models import Deal, Pipeline, StopLossDecision
from rapport.network import index


@pytest.fixture(scope="module")
def book(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    now = timezone.now().replace(microsecond=0)
    with django_db_blocker.unblock(), transaction.atomic():
        team = demo.generate(
            size=demo.DEMO, team_name="Deals Demo", usernames=("ana", "ben"), now=now
        )
        alice = team.members.get(user__username="ana").user
        yield {"team": team, "alice": alice, "now": now}
        transaction.set_rollback(True)
    index.forget()


def test_two_pipelines_have_deals_in_every_stage(book, db):
    pipelines = list(Pipeline.objects.filter(team=book["team"]).prefetch_related("stages"))
    # (The third, "Tenders", holds the bids the win/loss report is about.)
    assert [p.name for p in pipelines] == ["Sales", "Advisory renewals", "Tenders"]
    for pipeline in pipelines[:2]:
        for stage in pipeline.stages.all():
            assert Deal.objects.filter(stage=stage).exists(), (pipeline.name, stage.name)


def test_closed_demo_deals_have_reasons_and_open_ones_next_steps(book, db):
    deals = Deal.objects.filter(team=book["team"]).select_related("stage")
    for deal in deals:
        if deal.stage.is_closed:
            assert deal.close_reason, deal.title
        else:
            assert deal.next_step and deal.next_step_on >= timezone.localdate()
    assert any(d.margin is not None and d.margin < 0 for d in deals)  # one one-sided deal


def test_one_deal_is_near_its_stop_loss_one_was_raised_and_one_walked_away_from(book, db):
    team = book["team"]
    near = [
        d
        for d in Deal.objects.filter(team=team, closed_at__isnull=True)
        if queries.stop_loss_of(d).near
    ]
    assert [d.title.split(": ")[1] for d in near] == ["Regional ERP tender"]
    decisions = StopLossDecision.objects.filter(deal__team=team).select_related("deal__stage")
    assert sorted(d.choice for d in decisions) == ["raise", "walk_away"]
    walked = next(d for d in decisions if d.choice == "walk_away").deal
    assert walked.stage.outcome == "lost" and walked.close_reason == "abandoned"
    section = next(s for s in agenda_for(book["alice"]).sections if s.name == "stoploss")
    assert [i.title.split(": ")[1] for i in section.items] == ["Regional ERP tender"]
