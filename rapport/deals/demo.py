"""Demo pipelines for the demo book (rapport.demo): the team's sales pipeline and an
advisory renewals pipeline, with deals in every stage, believable amounts, margins and
client benefits, next steps, and stop-losses: one deal near its limit, one that crossed
it and was raised, one walked away from. Deterministic: no randomness, only the book's
organisations in id order and `now`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import F

from rapport.deals import investments, services
from rapport.deals.models import Deal, Pipeline, Stage, StageChange
from rapport.people.models import Organisation, Role

RENEWALS = "Advisory renewals"
RENEWAL_STAGES = [
    ("Renewal due", "open"),
    ("Review meeting", "open"),
    ("Proposal sent", "open"),
    ("Renewed", "won"),
    ("Not renewed", "lost"),
]

# (stage index, what, amount, margin %, benefit ×, next step, age in days, owner index,
#  close reason, close note)
SALES = [
    (0, "Market entry study", 45_000, 35, 3.0, "Intro call with the strategy team", 3, 0, "", ""),
    (0, "Supplier audit", 28_000, 30, 2.0, "Send the capability deck", 9, 1, "", ""),
    (
        1,
        "Cost-reduction programme",
        160_000,
        28,
        4.0,
        "Workshop on the savings baseline",
        6,
        0,
        "",
        "",
    ),
    (
        2,
        "Board advisory retainer",
        96_000,
        40,
        2.5,
        "Walk the CFO through the proposal",
        11,
        1,
        "",
        "",
    ),
    (
        3,
        "Regional ERP tender",
        240_000,
        18,
        2.2,
        "Answer the clarification questions",
        5,
        0,
        "",
        "",
    ),
    (3, "Pricing review", 38_000, -4, 0.9, "Agree the scope cut", 41, 1, "", ""),
    (
        4,
        "Logistics network redesign",
        210_000,
        25,
        3.5,
        "Kick-off on site",
        20,
        0,
        "capability",
        "Our warehouse simulation decided it",
    ),
    (
        4,
        "Treasury health check",
        36_000,
        45,
        3.0,
        "Send the first report",
        33,
        1,
        "relationship",
        "The CFO worked with us before",
    ),
    (
        5,
        "Procurement outsourcing",
        120_000,
        20,
        1.5,
        "None: closed",
        26,
        0,
        "price",
        "A competitor came in 30% lower",
    ),
    (
        5,
        "Digital strategy refresh",
        70_000,
        30,
        2.0,
        "None: closed",
        15,
        1,
        "timing",
        "Budget frozen until next year",
    ),
]
RENEWAL_DEALS = [
    (0, "Annual advisory renewal", 60_000, 38, 3.0, "Book the review meeting", 4, 0, "", ""),
    (
        1,
        "Quarterly board pack renewal",
        24_000,
        42,
        2.5,
        "Review meeting with the CEO",
        8,
        1,
        "",
        "",
    ),
    (2, "Compliance retainer renewal", 48_000, 33, 2.8, "Follow up on the proposal", 7, 0, "", ""),
    (
        3,
        "Risk committee support",
        30_000,
        40,
        3.0,
        "Plan the year's sessions",
        18,
        1,
        "relationship",
        "Renewed for two years",
    ),
    (
        4,
        "Investor relations support",
        22_000,
        35,
        1.8,
        "None: closed",
        24,
        0,
        "no_decision",
        "They could not agree internally",
    ),
]


def _stages(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position", "id"))


def _person_at(org: Organisation) -> list[Any]:
    role = (
        Role.objects.filter(organisation=org, ended_on__isnull=True, person__visibility="team")
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return [role.person] if role else []


def _age(deal: Deal, days: int, now: dt.datetime) -> None:
    """Make the deal look `days` old: its stage history and clocks moved back."""
    back = dt.timedelta(days=days)
    StageChange.objects.filter(deal=deal).update(at=F("at") - back)
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=F("stage_entered_at") - back,
        next_step_updated_at=F("next_step_updated_at") - back,
        closed_at=F("closed_at") - back if deal.closed_at else None,
    )


def _make(
    user: Any,
    pipeline: Pipeline,
    org: Organisation,
    row: tuple[Any, ...],
    *,
    now: dt.datetime,
    owners: list[Any],
    stoploss: tuple[str, str] | None = None,
) -> Deal:
    index, what, amount, margin, benefit, step, _age_days, owner, reason, note = row
    stages = _stages(pipeline)
    price = Decimal(amount)
    open_first = next(s for s in stages if s.outcome == "open")
    deal = services.deal_create(
        actor=user,
        pipeline=pipeline,
        stage=open_first,
        title=f"{org.name}: {what}",
        organisation=org,
        people=_person_at(org),
        owner=owners[owner % len(owners)],
        amount=price,
        margin=(price * margin / 100).quantize(Decimal("0.01")),
        client_benefit=(price * Decimal(str(benefit))).quantize(Decimal("0.01")),
        next_step=step,
        next_step_on=now.date() + dt.timedelta(days=3 + index),
        stoploss_money=stoploss[0] if stoploss else None,
        stoploss_hours=stoploss[1] if stoploss else None,
    )
    target = stages[index]
    if target.pk != open_first.pk and not (stoploss and target.is_closed):
        services.deal_move(actor=user, deal=deal, stage=target, reason=reason, note=note)
    return deal


def seed(*, team: Any, users: list[Any], now: dt.datetime) -> int:
    """Two pipelines with deals in every stage, three of them with a stop-loss story.
    Returns how many deals were added."""
    user = users[0]
    sales = services.pipelines_ensure(actor=user)
    renewals = services.pipeline_create(
        actor=user,
        name=RENEWALS,
        stages=[{"name": n, "outcome": o} for n, o in RENEWAL_STAGES],
        stale_after_days=21,
    )
    orgs = list(Organisation.objects.filter(team=team).order_by("pk")[:40])
    if len(orgs) < len(SALES) + len(RENEWAL_DEALS) + 1:
        return 0
    made: list[tuple[Deal, int]] = []
    for n, row in enumerate(SALES):
        stoploss = ("20000", "160") if row[1] == "Regional ERP tender" else None
        deal = _make(user, sales, orgs[n], row, now=now, owners=users, stoploss=stoploss)
        made.append((deal, row[6]))
        if stoploss:  # near its stop-loss: 16,500 of 20,000, 80 of 160 hours
            investments.investment_log(
                actor=user, deal=deal, kind="hours", hours="80", rate="150", note="Tender answers"
            )
            investments.investment_log(
                actor=user, deal=deal, kind="expense", amount="4500", note="Site visits"
            )
    for n, row in enumerate(RENEWAL_DEALS):
        org = orgs[len(SALES) + n]
        raised = row[1] == "Compliance retainer renewal"
        deal = _make(
            user,
            renewals,
            org,
            row,
            now=now,
            owners=users,
            stoploss=("8000", "50") if raised else None,
        )
        made.append((deal, row[6]))
        if raised:  # crossed (8,700 of 8,000), then raised with a reason
            investments.investment_log(
                actor=user, deal=deal, kind="hours", hours="45", rate="160", note="Gap analysis"
            )
            investments.investment_log(
                actor=user, deal=deal, kind="discount", amount="1500", note="Loyalty discount"
            )
            investments.stoploss_decide(
                actor=user,
                deal=deal,
                choice="raise",
                reason="They added two sites to the scope: the renewal is worth more work",
                money_limit="12000",
                hours_limit="70",
            )
    # Walked away from: a pilot that kept growing.
    walked = _make(
        user,
        sales,
        orgs[len(SALES) + len(RENEWAL_DEALS)],
        (5, "Free pilot that kept growing", 80_000, 22, 2.0, "None: closed", 12, 0, "", ""),
        now=now,
        owners=users,
        stoploss=("10000", "80"),
    )
    investments.investment_log(
        actor=user, deal=walked, kind="hours", hours="60", rate="150", note="Pilot work"
    )
    investments.investment_log(
        actor=user, deal=walked, kind="expense", amount="1800", note="Travel to the plant"
    )
    investments.stoploss_decide(
        actor=user,
        deal=walked,
        choice="walk_away",
        reason="Procurement asked for a third free pilot: we stop here",
    )
    made.append((walked, 12))
    for deal, age in made:
        _age(Deal.objects.get(pk=deal.pk), age, now)
    return len(made)
