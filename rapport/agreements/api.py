"""Agreements over the API: the same queries and services as the pages.

An obligation's `owner` is a user id on our side and a person id on the client's side.
Giving `clauses` to PATCH replaces every clause of the draft."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from rapport.agreements import queries, services
from rapport.agreements.models import Agreement, Obligation
from rapport.agreements.views import agreement_pdf_bytes
from rapport.core.pdf import pdf_response

router = Router(tags=["agreements"])

SideName = Literal["ours", "client"]


class Ref(Schema):
    id: int
    name: str


class ObligationIn(Schema):
    side: SideName = "ours"
    owner: int | None = None
    what: str = Field(..., min_length=1, max_length=300)
    due_on: dt.date | None = None


class ClauseIn(Schema):
    heading: str = Field(..., min_length=1, max_length=200)
    text: str = Field("", max_length=20000)
    obligations: list[ObligationIn] = Field(default_factory=list, max_length=100)


class AgreementIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    language: Literal["en", "zh-hans"] | None = None
    effective_on: dt.date
    deal: int | None = None
    client_organisation: int | None = None
    client_person: int | None = None
    our_signatory: int | None = None
    clauses: list[ClauseIn] = Field(default_factory=list, max_length=200)


class AgreementPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    language: Literal["en", "zh-hans"] | None = None
    effective_on: dt.date | None = None
    client_organisation: int | None = None
    client_person: int | None = None
    our_signatory: int | None = None
    clauses: list[ClauseIn] | None = Field(None, max_length=200)


class SignIn(Schema):
    our_signed_at: dt.datetime | None = None
    client_signed_at: dt.datetime | None = None


class ObligationOut(Schema):
    id: int
    side: SideName
    owner: Ref | None
    what: str
    due_on: dt.date | None
    commitment_id: int | None
    commitment_status: str | None


class ClauseOut(Schema):
    id: int
    heading: str
    text: str
    obligations: list[ObligationOut]


class AgreementOut(Schema):
    id: int
    title: str
    language: str
    effective_on: dt.date
    status: Literal["draft", "signed"]
    private: bool
    deal: Ref | None
    client_organisation: Ref | None
    client_person: Ref | None
    our_signatory: Ref | None
    our_signed_at: dt.datetime | None
    client_signed_at: dt.datetime | None
    amends_id: int | None
    clauses: list[ClauseOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class AgreementSummary(Schema):
    id: int
    title: str
    effective_on: dt.date
    status: Literal["draft", "signed"]
    deal_id: int | None
    client_organisation: Ref | None
    client_person: Ref | None


class AgreementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AgreementSummary]


class AgreementFilters(Schema):
    status: Literal["draft", "signed"] | None = None
    deal_id: int | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


def _user_ref(user: Any) -> Ref | None:
    if user is None:
        return None
    person = getattr(getattr(user, "member", None), "person", None)
    return Ref(id=user.pk, name=person.display_name if person else user.get_username())


def _obligation_out(o: Obligation) -> ObligationOut:
    if o.owner_user is not None:
        owner = _user_ref(o.owner_user)
    elif o.owner_person is not None:
        owner = Ref(id=o.owner_person.pk, name=o.owner_person.display_name)
    else:
        owner = None
    return ObligationOut(
        id=o.pk,
        side=o.side,  # type: ignore[arg-type]
        owner=owner,
        what=o.what,
        due_on=o.due_on,
        commitment_id=o.commitment_id,
        commitment_status=o.commitment.status if o.commitment else None,
    )


def agreement_out(a: Agreement) -> AgreementOut:
    return AgreementOut(
        id=a.pk,
        title=a.title,
        language=a.language,
        effective_on=a.effective_on,
        status=a.status,  # type: ignore[arg-type]
        private=a.visibility == "private",
        deal=Ref(id=a.deal.pk, name=a.deal.title) if a.deal else None,
        client_organisation=Ref(id=a.client_organisation.pk, name=a.client_organisation.name)
        if a.client_organisation
        else None,
        client_person=Ref(id=a.client_person.pk, name=a.client_person.display_name)
        if a.client_person
        else None,
        our_signatory=_user_ref(a.our_signatory),
        our_signed_at=a.our_signed_at,
        client_signed_at=a.client_signed_at,
        amends_id=a.amends_id,
        clauses=[
            ClauseOut(
                id=c.pk,
                heading=c.heading,
                text=c.text,
                obligations=[_obligation_out(o) for o in c.obligations.all()],
            )
            for c in a.clauses.all()
        ],
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


def _one(request: HttpRequest, agreement_id: int) -> AgreementOut:
    return agreement_out(queries.agreement_for(request.user, agreement_id))


def _clauses(clauses: list[ClauseIn]) -> list[dict[str, Any]]:
    return [c.model_dump() for c in clauses]


@router.get("/agreements", response=AgreementPage, summary="List agreements, newest first")
def list_agreements(request: HttpRequest, filters: Query[AgreementFilters]) -> dict[str, Any]:
    qs = queries.agreement_list(request.user, status=filters.status)
    if filters.deal_id is not None:
        qs = qs.filter(deal_id=filters.deal_id)
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            AgreementSummary(
                id=a.pk,
                title=a.title,
                effective_on=a.effective_on,
                status=a.status,  # type: ignore[arg-type]
                deal_id=a.deal_id,
                client_organisation=Ref(
                    id=a.client_organisation.pk, name=a.client_organisation.name
                )
                if a.client_organisation
                else None,
                client_person=Ref(id=a.client_person.pk, name=a.client_person.display_name)
                if a.client_person
                else None,
            )
            for a in page
        ],
    }


@router.post("/agreements", response={201: AgreementOut}, summary="Draft an agreement")
def create_agreement(request: HttpRequest, payload: AgreementIn) -> Status[AgreementOut]:
    data = payload.model_dump()
    data["clauses"] = _clauses(payload.clauses)
    agreement = services.agreement_create(actor=request.user, **data)
    return Status(201, _one(request, agreement.pk))


@router.get("/agreements/{agreement_id}", response=AgreementOut, summary="An agreement")
def get_agreement(request: HttpRequest, agreement_id: int) -> AgreementOut:
    return _one(request, agreement_id)


@router.patch(
    "/agreements/{agreement_id}",
    response=AgreementOut,
    summary="Change a draft (clauses, when given, replace all of them)",
)
def patch_agreement(
    request: HttpRequest, agreement_id: int, payload: AgreementPatch
) -> AgreementOut:
    agreement = queries.agreement_for(request.user, agreement_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    for name in ("title", "language", "effective_on"):
        if name in data and data[name] is None:
            raise ValidationError({name: "must not be null"})
    if payload.clauses is not None:
        data["clauses"] = _clauses(payload.clauses)
    services.agreement_update(actor=request.user, agreement=agreement, **data)
    return _one(request, agreement_id)


@router.post(
    "/agreements/{agreement_id}/sign",
    response=AgreementOut,
    summary="Sign: lock the agreement and make every obligation a commitment",
)
def sign_agreement(request: HttpRequest, agreement_id: int, payload: SignIn) -> AgreementOut:
    agreement = queries.agreement_for(request.user, agreement_id, write=True)
    services.agreement_sign(actor=request.user, agreement=agreement, **payload.model_dump())
    return _one(request, agreement_id)


@router.get(
    "/agreements/{agreement_id}/pdf",
    summary="The agreement as a PDF, in its language",
    response={200: None},
)
def agreement_pdf(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement_id)
    return pdf_response(agreement_pdf_bytes(agreement), f"agreement-{agreement.pk}.pdf")
