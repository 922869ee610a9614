"""Tenders, competitors and the win/loss report over the API. Same queries and services
as the pages. Money is a decimal string in answers, never a float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from rapport.deals import bids, queries, report_queries
from rapport.deals.models import Competitor, Deal, Tender

router = Router(tags=["tenders"])


class CompetitorOut(Schema):
    id: int
    name: str


class CompetitorIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)


class BidOut(Schema):
    competitor: CompetitorOut
    amount: Decimal | None


class TenderOut(Schema):
    deal_id: int
    is_tender: bool
    outcome: str
    currency: str
    bidders: int | None
    our_bid: Decimal | None
    winning_price: Decimal | None
    winner: CompetitorOut | None
    competitors: list[BidOut]
    notes: str


class BidIn(Schema):
    competitor: int | None = None
    name: str | None = Field(None, max_length=200)
    amount: Decimal | None = Field(None, max_digits=14, decimal_places=2)


class TenderIn(Schema):
    is_tender: bool = True
    bidders: int | None = None
    our_bid: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    winning_price: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    winner: int | str | None = None
    competitors: list[BidIn] = Field(default_factory=list, max_length=50)
    notes: str = Field("", max_length=10000)


class ReportFilters(Schema):
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")
    pipeline_id: int | None = None


def _competitor(c: Competitor) -> CompetitorOut:
    return CompetitorOut(id=c.pk, name=c.name)


def tender_out(deal: Deal, tender: Tender | None) -> TenderOut:
    if tender is None:
        return TenderOut(
            deal_id=deal.pk,
            is_tender=False,
            outcome=deal.stage.outcome,
            currency=deal.currency,
            bidders=None,
            our_bid=None,
            winning_price=None,
            winner=None,
            competitors=[],
            notes="",
        )
    return TenderOut(
        deal_id=deal.pk,
        is_tender=True,
        outcome=deal.stage.outcome,
        currency=tender.currency,
        bidders=tender.bidders,
        our_bid=tender.our_bid,
        winning_price=tender.winning_price,
        winner=_competitor(tender.winner) if tender.winner else None,
        competitors=[
            BidOut(competitor=_competitor(b.competitor), amount=b.amount) for b in tender.bids.all()
        ],
        notes=tender.notes,
    )


@router.get("/competitors", response=list[CompetitorOut], summary="The team's competitors")
def list_competitors(request: HttpRequest) -> list[CompetitorOut]:
    return [_competitor(c) for c in report_queries.competitors(request.user)]


@router.post("/competitors", response={201: CompetitorOut}, summary="Add a competitor")
def create_competitor(request: HttpRequest, payload: CompetitorIn) -> Status[CompetitorOut]:
    return Status(201, _competitor(bids.competitor_create(actor=request.user, name=payload.name)))


@router.get("/deals/report", response=dict[str, Any], summary="The win/loss report")
def winloss(request: HttpRequest, filters: Query[ReportFilters]) -> dict[str, Any]:
    """Deals won and lost from `from` to `to` (both included; default the last twelve
    months), optionally in one pipeline: by reason, competitor, pipeline and referral."""
    pipeline = None
    if filters.pipeline_id is not None:
        try:
            pipeline = queries.pipeline_for(request.user, filters.pipeline_id)
        except Http404 as exc:
            raise ValidationError({"pipeline_id": "no such pipeline"}) from exc
    start, end = report_queries.period(filters.start, filters.end)
    return report_queries.winloss_report(
        request.user, start=start, end=end, pipeline=pipeline
    ).as_json()


@router.get("/deals/{deal_id}/tender", response=TenderOut, summary="A deal's tender")
def get_tender(request: HttpRequest, deal_id: int) -> TenderOut:
    deal = queries.deal_for(request.user, deal_id)
    return tender_out(deal, report_queries.tender_of(deal))


@router.put(
    "/deals/{deal_id}/tender",
    response=TenderOut,
    summary="Mark a deal as a tender (or not) with its bidders, bids and outcome",
)
def put_tender(request: HttpRequest, deal_id: int, payload: TenderIn) -> TenderOut:
    deal = queries.deal_for(request.user, deal_id, write=True)
    if not payload.is_tender:
        bids.tender_remove(actor=request.user, deal=deal)
    else:
        bids.tender_save(
            actor=request.user,
            deal=deal,
            bidders=payload.bidders,
            our_bid=payload.our_bid,
            winning_price=payload.winning_price,
            winner=payload.winner,
            competitors=[b.model_dump() for b in payload.competitors],
            notes=payload.notes,
        )
    deal = queries.deal_for(request.user, deal_id)
    return tender_out(deal, report_queries.tender_of(deal))
