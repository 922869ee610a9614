"""The value ledger and its reports over the API. Same queries and services as the
pages. Money is a decimal string in answers ("1250.00"), never a float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from rapport.core.pdf import pdf_response, render_pdf
from rapport.value import queries, services
from rapport.value.models import ValueItem, ValueReport

router = Router(tags=["value"])

Kind = Literal["work", "saving", "training", "introduction", "advice"]


class ValueItemOut(Schema):
    id: int
    person_id: int | None
    organisation_id: int | None
    deal_id: int | None
    kind: Kind
    title: str
    details: str
    delivered_on: dt.date
    amount: Decimal | None
    currency: str | None
    hours: Decimal | None
    told: bool
    told_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ValueItemIn(Schema):
    person_id: int | None = None
    organisation_id: int | None = None
    deal_id: int | None = None
    kind: Kind
    title: str = Field(..., min_length=1, max_length=200)
    details: str = Field("", max_length=10000)
    delivered_on: dt.date
    amount: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, max_length=3)
    hours: Decimal | None = Field(None, max_digits=7, decimal_places=2)
    told: bool = False


class ValueItemPatch(Schema):
    deal_id: int | None = None
    kind: Kind | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    details: str | None = Field(None, max_length=10000)
    delivered_on: dt.date | None = None
    amount: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, max_length=3)
    hours: Decimal | None = Field(None, max_digits=7, decimal_places=2)
    told: bool | None = None


class ValueFilters(Schema):
    person_id: int | None = None
    organisation_id: int | None = None
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


class MoneyTotal(Schema):
    currency: str
    amount: Decimal


class ValuePage(Schema):
    count: int
    limit: int
    offset: int
    totals: list[MoneyTotal]
    hours: Decimal
    not_told: int
    items: list[ValueItemOut]


class ValueReportIn(Schema):
    person_id: int | None = None
    organisation_id: int | None = None
    from_: dt.date = Field(..., alias="from")
    to: dt.date
    language: str | None = None
    days: int = Field(services.DEFAULT_REPORT_DAYS, ge=1, le=services.MAX_REPORT_DAYS)


class ValueReportOut(Schema):
    id: int
    person_id: int | None
    organisation_id: int | None
    period_from: dt.date
    period_to: dt.date
    language: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    sent_at: dt.datetime | None
    view_count: int
    state: Literal["ready", "sent", "revoked", "expired"]


class ValueReportCreated(ValueReportOut):
    url: str = Field(..., description="The client's link: shown this once, never again")


def item_out(item: ValueItem) -> ValueItemOut:
    return ValueItemOut(
        id=item.pk,
        person_id=item.person_id,
        organisation_id=item.organisation_id,
        deal_id=item.deal_id,
        kind=item.kind,  # type: ignore[arg-type]
        title=item.title,
        details=item.details,
        delivered_on=item.delivered_on,
        amount=item.amount,
        currency=item.currency or None,
        hours=item.hours,
        told=item.told_at is not None,
        told_at=item.told_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def report_out(report: ValueReport) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "id": report.pk,
        "person_id": report.person_id,
        "organisation_id": report.organisation_id,
        "period_from": report.period_from,
        "period_to": report.period_to,
        "language": report.language,
        "prefix": report.prefix,
        "created_at": report.created_at,
        "expires_at": report.expires_at,
        "revoked_at": report.revoked_at,
        "sent_at": report.sent_at,
        "view_count": report.view_count,
        "state": queries.report_state(report, timezone.now()),
    }


def _client_ids(person_id: int | None, organisation_id: int | None) -> dict[str, Any]:
    return {"person": person_id, "organisation": organisation_id}


@router.get("/value-items", response=ValuePage, summary="List value delivered, newest first")
def list_value_items(request: HttpRequest, filters: Query[ValueFilters]) -> dict[str, Any]:
    """Filter by client (person_id or organisation_id) and by delivery date (from, to).
    An organisation's items include its people's delivered while they held a role there,
    as on its card (their person_id says whom each went through)."""
    qs = queries.visible_items(request.user)
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.organisation_id is not None:
        qs = qs.filter(queries.of_organisation(filters.organisation_id, request.user))
    if filters.from_ is not None:
        qs = qs.filter(delivered_on__gte=filters.from_)
    if filters.to is not None:
        qs = qs.filter(delivered_on__lte=filters.to)
    from rapport.value.totals import totals

    summed = totals(qs.only("kind", "amount", "currency", "hours", "told_at"))
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": summed.count,
        "limit": filters.limit,
        "offset": filters.offset,
        "totals": [{"currency": c, "amount": a} for c, a in summed.money_rows],
        "hours": summed.hours,
        "not_told": summed.not_told,
        "items": [item_out(i) for i in page],
    }


@router.post("/value-items", response={201: ValueItemOut}, summary="Record value delivered")
def create_value_item(request: HttpRequest, payload: ValueItemIn) -> Status[ValueItemOut]:
    data = payload.model_dump()
    client = _client_ids(data.pop("person_id"), data.pop("organisation_id"))
    data["deal"] = data.pop("deal_id")
    item = services.value_item_create(actor=request.user, **client, **data)
    return Status(201, item_out(queries.item_for(request.user, item.pk)))


@router.get("/value-items/{item_id}", response=ValueItemOut, summary="One value item")
def get_value_item(request: HttpRequest, item_id: int) -> ValueItemOut:
    return item_out(queries.item_for(request.user, item_id))


@router.patch("/value-items/{item_id}", response=ValueItemOut, summary="Change a value item")
def patch_value_item(request: HttpRequest, item_id: int, payload: ValueItemPatch) -> ValueItemOut:
    item = queries.item_for(request.user, item_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    for name in ("kind", "title", "delivered_on", "told"):
        if name in data and data[name] is None:
            raise ValidationError({name: "must not be null"})
    if "deal_id" in data:
        data["deal"] = data.pop("deal_id")
    services.value_item_update(actor=request.user, item=item, **data)
    return item_out(queries.item_for(request.user, item_id))


@router.delete("/value-items/{item_id}", response={204: None}, summary="Delete a value item")
def delete_value_item(request: HttpRequest, item_id: int) -> Status[None]:
    item = queries.item_for(request.user, item_id, write=True)
    services.value_item_delete(actor=request.user, item=item)
    return Status(204, None)


@router.post(
    "/value-reports",
    response={201: ValueReportCreated},
    summary="Create a client's value report link (the link is returned this once)",
)
def create_value_report(request: HttpRequest, payload: ValueReportIn) -> Status[dict[str, Any]]:
    report, token = services.value_report_create(
        actor=request.user,
        **_client_ids(payload.person_id, payload.organisation_id),
        period_from=payload.from_,
        period_to=payload.to,
        language=payload.language,
        days=payload.days,
    )
    url = request.build_absolute_uri(reverse("value_report_page", args=[token]))
    return Status(201, {**report_out(report), "url": url})


@router.post(
    "/value-reports/{report_id}/revoke", response=ValueReportOut, summary="Revoke a report link"
)
def revoke_value_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    report = queries.report_for(request.user, report_id, write=True)
    services.value_report_revoke(actor=request.user, report=report)
    return report_out(report)


@router.post(
    "/value-reports/{report_id}/send",
    response=ValueReportOut,
    summary="Mark a report sent: its items count as told and an email is logged",
)
def send_value_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    report = queries.report_for(request.user, report_id, write=True)
    services.value_report_send(actor=request.user, report=report)
    return report_out(report)


@router.get(
    "/value-reports/{report_id}/pdf",
    response={200: bytes},
    summary="The report as PDF, in the client's language",
)
def value_report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    from django.utils import translation

    report = queries.report_for(request.user, report_id)
    with translation.override(report.language):
        view = queries.report_view(report)
        pdf = render_pdf("value/report_print.html", {"view": view, "report": report}, request)
    return pdf_response(pdf, f"value-report-{report.period_from}-{report.period_to}.pdf")
