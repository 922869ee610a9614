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

from rapport.deals import queries, services
from rapport.deals.models import Deal, Pipeline, Stage

router = Router(tags=["deals"])

Outcome = Literal["open", "won", "lost"]
Reason = Literal["price", "capability", "relationship", "timing", "no_decision", "other"]
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
