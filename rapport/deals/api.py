"""Pipelines and deals over the API. Same queries and services as the pages.

Money is a decimal string in answers ("1250.00"), never a float; a body may give it as
a string or a number."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from rapport.deals import investments, queries, services
from rapport.deals.models import Deal, Investment, Pipeline, Stage, StopLossDecision

router = Router(tags=["deals"])

Outcome = Literal["open", "won", "lost"]
Reason = Literal[
    "price", "capability", "relationship", "timing", "no_decision", "other", "abandoned"
]
Money = Field(None, max_digits=14, decimal_places=2)


class StageOut(Schema):
    id: int
    name: str
    outcome: Outcome
    position: int


class StageIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    outcome: Outcome = "open"


class PipelineOut(Schema):
    id: int
    name: str
    stale_after_days: int
    stages: list[StageOut]
    created_at: dt.datetime


class PipelineIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    stages: list[StageIn] = Field(..., min_length=1, max_length=20)
    stale_after_days: int = Field(30, ge=1, le=3650)


class Ref(Schema):
    id: int
    name: str


class DealOut(Schema):
    id: int
    title: str
    pipeline: Ref
    stage: StageOut
    organisation: Ref | None
    people: list[Ref]
    owner: Ref
    amount: Decimal
    currency: str
    margin: Decimal | None
    client_benefit: Decimal | None
    next_step: str
    next_step_on: dt.date
    next_step_updated_at: dt.datetime
    referral_id: int | None
    stage_entered_at: dt.datetime
    days_in_stage: int
    closed_at: dt.datetime | None
    close_reason: Reason | None
    close_note: str
    one_sided: bool
    one_sided_reasons: list[Literal["benefit_not_above_price", "negative_margin"]]
    winwin_missing: list[Literal["client_benefit", "margin"]]
    stale: bool
    next_step_overdue_days: int
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime
    stoploss_money: Decimal | None = None
    stoploss_hours: Decimal | None = None
    invested_money: Decimal = Decimal("0.00")
    invested_hours: Decimal = Decimal("0.00")
    stoploss_status: Literal["ok", "near", "crossed"] = "ok"


class DealIn(Schema):
    pipeline: int | None = None
    stage: int | None = None
    title: str = Field(..., min_length=1, max_length=200)
    organisation: int | None = None
    people: list[int] = Field(default_factory=list, max_length=50)
    owner: int | None = None
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    margin: Decimal | None = Money
    client_benefit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    next_step: str = Field(..., min_length=1, max_length=300)
    next_step_on: dt.date
    referral: int | None = None
    notes: str = Field("", max_length=10000)
    stoploss_money: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)
    stoploss_hours: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)


class DealPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    organisation: int | None = None
    people: list[int] | None = Field(None, max_length=50)
    owner: int | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    margin: Decimal | None = Money
    client_benefit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    next_step: str | None = Field(None, min_length=1, max_length=300)
    next_step_on: dt.date | None = None
    referral: int | None = None
    notes: str | None = Field(None, max_length=10000)
    stoploss_money: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)
    stoploss_hours: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)


class MoveIn(Schema):
    stage: int
    reason: Reason | None = None
    note: str = Field("", max_length=5000)


class DealFilters(Schema):
    pipeline_id: int | None = None
    outcome: Outcome | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class DealPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DealOut]


def stage_out(stage: Stage) -> StageOut:
    return StageOut(
        id=stage.pk,
        name=stage.name,
        outcome=stage.outcome,  # type: ignore[arg-type]
        position=stage.position,
    )


def pipeline_out(pipeline: Pipeline) -> PipelineOut:
    return PipelineOut(
        id=pipeline.pk,
        name=pipeline.name,
        stale_after_days=pipeline.stale_after_days,
        stages=[stage_out(s) for s in pipeline.stages.all()],
        created_at=pipeline.created_at,
    )


def deal_out(deal: Deal, today: dt.date) -> DealOut:
    card = queries.card_for(deal, deal.stage, today)
    owner = deal.owner
    person = getattr(getattr(owner, "member", None), "person", None)
    stage = deal.stage
    return DealOut(
        id=deal.pk,
        title=deal.title,
        pipeline=Ref(id=deal.pipeline.pk, name=deal.pipeline.name),
        stage=stage_out(stage),
        organisation=Ref(id=deal.organisation.pk, name=deal.organisation.name)
        if deal.organisation
        else None,
        people=[Ref(id=p.pk, name=p.display_name) for p in card.people],
        owner=Ref(id=owner.pk, name=person.display_name if person else owner.get_username()),
        amount=deal.amount,
        currency=deal.currency,
        margin=deal.margin,
        client_benefit=deal.client_benefit,
        next_step=deal.next_step,
        next_step_on=deal.next_step_on,
        next_step_updated_at=deal.next_step_updated_at,
        referral_id=deal.referral_id if getattr(deal, "referral_shown", False) else None,
        stage_entered_at=deal.stage_entered_at,
        days_in_stage=card.stage_days,
        closed_at=deal.closed_at,
        close_reason=deal.close_reason or None,  # type: ignore[arg-type]
        close_note=deal.close_note,
        one_sided=card.winwin.one_sided,
        one_sided_reasons=list(card.winwin.reasons),
        winwin_missing=list(card.winwin.missing),
        stale=card.stale,
        next_step_overdue_days=card.staleness.overdue_days if card.staleness else 0,
        notes=deal.notes,
        created_at=deal.created_at,
        updated_at=deal.updated_at,
        stoploss_money=deal.stoploss_money,
        stoploss_hours=deal.stoploss_hours,
        invested_money=deal.invested_money,
        invested_hours=deal.invested_hours,
        stoploss_status=queries.stop_loss_of(deal).status,
    )


def _one(request: HttpRequest, deal_id: int) -> DealOut:
    return deal_out(queries.deal_for(request.user, deal_id), timezone.localdate())


@router.get("/pipelines", response=list[PipelineOut], summary="List the team's pipelines")
def list_pipelines(request: HttpRequest) -> list[PipelineOut]:
    services.pipelines_ensure(actor=request.user)
    return [pipeline_out(p) for p in queries.pipelines(request.user).prefetch_related("stages")]


@router.post("/pipelines", response={201: PipelineOut}, summary="Create a pipeline with stages")
def create_pipeline(request: HttpRequest, payload: PipelineIn) -> Status[PipelineOut]:
    pipeline = services.pipeline_create(
        actor=request.user,
        name=payload.name,
        stages=[s.model_dump() for s in payload.stages],
        stale_after_days=payload.stale_after_days,
    )
    return Status(201, pipeline_out(pipeline))


@router.get("/deals", response=DealPage, summary="List deals, next step first")
def list_deals(request: HttpRequest, filters: Query[DealFilters]) -> dict[str, Any]:
    qs = queries.visible_deals(request.user)
    if filters.pipeline_id is not None:
        qs = qs.filter(pipeline_id=filters.pipeline_id)
    if filters.outcome is not None:
        qs = qs.filter(stage__outcome=filters.outcome)
    qs = qs.order_by("next_step_on", "id")
    page = queries.with_visible_people(
        request.user,
        qs.select_related("pipeline", "stage", "organisation", "owner__member__person"),
    )[filters.offset : filters.offset + filters.limit]
    today = timezone.localdate()
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [deal_out(d, today) for d in page],
    }


@router.post("/deals", response={201: DealOut}, summary="Create a deal")
def create_deal(request: HttpRequest, payload: DealIn) -> Status[DealOut]:
    data = payload.model_dump()
    pipeline_id = data.pop("pipeline")
    if pipeline_id is None:
        pipeline = services.pipelines_ensure(actor=request.user)
    else:
        try:
            pipeline = queries.pipeline_for(request.user, pipeline_id, write=True)
        except Http404 as exc:
            raise ValidationError({"pipeline": f"no such pipeline: {pipeline_id}"}) from exc
    deal = services.deal_create(actor=request.user, pipeline=pipeline, **data)
    return Status(201, _one(request, deal.pk))


@router.get("/deals/{deal_id}", response=DealOut, summary="A deal with its flags")
def get_deal(request: HttpRequest, deal_id: int) -> DealOut:
    return _one(request, deal_id)


@router.patch("/deals/{deal_id}", response=DealOut, summary="Change a deal or its next step")
def patch_deal(request: HttpRequest, deal_id: int, payload: DealPatch) -> DealOut:
    deal = queries.deal_for(request.user, deal_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    for name in ("title", "owner", "amount", "currency", "next_step", "next_step_on", "people"):
        if name in data and data[name] is None:
            raise ValidationError({name: "must not be null"})
    services.deal_update(actor=request.user, deal=deal, **data)
    return _one(request, deal_id)


@router.post(
    "/deals/{deal_id}/move",
    response=DealOut,
    summary="Move a deal to another stage of its pipeline (closing needs a reason)",
)
def move_deal(request: HttpRequest, deal_id: int, payload: MoveIn) -> DealOut:
    deal = queries.deal_for(request.user, deal_id, write=True)
    services.deal_move(
        actor=request.user,
        deal=deal,
        stage=payload.stage,
        reason=payload.reason,
        note=payload.note,
    )
    return _one(request, deal_id)


# -- the stop-loss -----------------------------------------------------------------------


class InvestmentOut(Schema):
    id: int
    kind: Literal["hours", "expense", "discount"]
    on: dt.date
    hours: Decimal | None
    rate: Decimal | None
    amount: Decimal
    note: str
    by: Ref | None
    created_at: dt.datetime


class InvestmentIn(Schema):
    kind: Literal["hours", "expense", "discount"]
    on: dt.date | None = None
    hours: Decimal | None = Field(None, max_digits=8, decimal_places=2)
    rate: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    amount: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    note: str = Field("", max_length=300)


class StopLossOut(Schema):
    currency: str
    money_limit: Decimal | None
    hours_limit: Decimal | None
    money_invested: Decimal
    hours_invested: Decimal
    money_percent: int | None
    hours_percent: int | None
    status: Literal["ok", "near", "crossed"]


class DecisionOut(Schema):
    id: int
    choice: Literal["raise", "walk_away"]
    reason: str
    money_invested: Decimal
    hours_invested: Decimal
    money_limit_before: Decimal | None
    money_limit_after: Decimal | None
    hours_limit_before: Decimal | None
    hours_limit_after: Decimal | None
    by: Ref | None
    at: dt.datetime


class InvestmentsOut(Schema):
    stoploss: StopLossOut
    items: list[InvestmentOut]
    decisions: list[DecisionOut]


class DecisionIn(Schema):
    choice: Literal["raise", "walk_away"]
    reason: str = Field(..., max_length=5000)
    money_limit: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    hours_limit: Decimal | None = Field(None, max_digits=10, decimal_places=2)


def _by(user: Any) -> Ref | None:
    if user is None:
        return None
    person = getattr(getattr(user, "member", None), "person", None)
    return Ref(id=user.pk, name=person.display_name if person else user.get_username())


def investment_out(entry: Investment) -> InvestmentOut:
    return InvestmentOut(
        id=entry.pk,
        kind=entry.kind,  # type: ignore[arg-type]
        on=entry.on,
        hours=entry.hours,
        rate=entry.rate,
        amount=entry.amount,
        note=entry.note,
        by=_by(entry.by),
        created_at=entry.created_at,
    )


def decision_out(decision: StopLossDecision) -> DecisionOut:
    return DecisionOut(
        id=decision.pk,
        choice=decision.choice,  # type: ignore[arg-type]
        reason=decision.reason,
        money_invested=decision.money_invested,
        hours_invested=decision.hours_invested,
        money_limit_before=decision.money_limit_before,
        money_limit_after=decision.money_limit_after,
        hours_limit_before=decision.hours_limit_before,
        hours_limit_after=decision.hours_limit_after,
        by=_by(decision.by),
        at=decision.at,
    )


def stoploss_out(deal: Deal) -> StopLossOut:
    use = queries.stop_loss_of(deal)
    return StopLossOut(
        currency=deal.currency,
        money_limit=use.money_limit,
        hours_limit=use.hours_limit,
        money_invested=use.money_invested,
        hours_invested=use.hours_invested,
        money_percent=use.money_percent,
        hours_percent=use.hours_percent,
        status=use.status,
    )


@router.get(
    "/deals/{deal_id}/investments",
    response=InvestmentsOut,
    summary="What was invested in winning a deal, against its stop-loss",
)
def list_investments(request: HttpRequest, deal_id: int) -> InvestmentsOut:
    deal = queries.deal_for(request.user, deal_id)
    return InvestmentsOut(
        stoploss=stoploss_out(deal),
        items=[investment_out(e) for e in queries.investments_of(deal)],
        decisions=[decision_out(d) for d in queries.stoploss_decisions_of(deal)],
    )


@router.post(
    "/deals/{deal_id}/investments",
    response={201: InvestmentOut},
    summary="Log hours (× rate), an expense or a discount against a deal's stop-loss",
)
def log_investment(
    request: HttpRequest, deal_id: int, payload: InvestmentIn
) -> Status[InvestmentOut]:
    deal = queries.deal_for(request.user, deal_id, write=True)
    entry = investments.investment_log(
        actor=request.user, deal=deal, **payload.model_dump(exclude_unset=True)
    )
    return Status(201, investment_out(entry))


@router.post(
    "/deals/{deal_id}/stoploss-decision",
    response=DealOut,
    summary="Decide about a deal past its stop-loss: raise the limit(s) or walk away",
)
def decide_stoploss(request: HttpRequest, deal_id: int, payload: DecisionIn) -> DealOut:
    deal = queries.deal_for(request.user, deal_id, write=True)
    investments.stoploss_decide(
        actor=request.user,
        deal=deal,
        choice=payload.choice,
        reason=payload.reason,
        money_limit=payload.money_limit,
        hours_limit=payload.hours_limit,
    )
    return _one(request, deal_id)
