"""Ties and referrals over the API. Same queries and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from rapport.network import queries, services
from rapport.network.models import Referral, Tie
from rapport.people.queries import person_for

router = Router(tags=["network"])

TieKind = Literal[
    "family",
    "friend",
    "colleague",
    "former_colleague",
    "client",
    "classmate",
    "introduced_by",
    "other",
]
TieSource = Literal["manual", "interactions", "import"]


class PersonRef(Schema):
    id: int
    display_name: str


class TieOut(Schema):
    id: int
    person_a: PersonRef
    person_b: PersonRef
    kind: TieKind
    strength: float
    manual_strength: float | None
    since: dt.date | None
    source: TieSource
    note: str
    interaction_count: int
    first_contact_at: dt.datetime | None
    last_contact_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TieIn(Schema):
    person_a: int
    person_b: int
    kind: TieKind = "other"
    since: dt.date | None = None
    note: str = Field("", max_length=5000)
    manual_strength: float | None = Field(None, ge=0.0, le=1.0)


class TiePatch(Schema):
    kind: TieKind | None = None
    since: dt.date | None = None
    note: str | None = Field(None, max_length=5000)
    manual_strength: float | None = Field(None, ge=0.0, le=1.0)


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class TieFilters(PageParams):
    person_id: int | None = None
    kind: TieKind | None = None


class TiePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[TieOut]


class ReferralOut(Schema):
    id: int
    referrer: PersonRef
    referred: PersonRef
    referred_on: dt.date
    note: str
    thanked_at: dt.datetime | None
    meetings_since: int
    first_meeting_at: dt.datetime | None
    deals_won: int
    due_thanks: bool
    created_at: dt.datetime


class ReferralIn(Schema):
    referrer: int
    referred: int
    referred_on: dt.date | None = None
    note: str = Field("", max_length=5000)


class ReferralFilters(PageParams):
    referrer_id: int | None = None
    referred_id: int | None = None
    due_thanks: bool = False


class ReferralPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReferralOut]


def _ref(person: Any) -> PersonRef:
    return PersonRef(id=person.pk, display_name=person.display_name)


def tie_out(tie: Tie) -> TieOut:
    return TieOut(
        id=tie.pk,
        person_a=_ref(tie.person_a),
        person_b=_ref(tie.person_b),
        kind=tie.kind,  # type: ignore[arg-type]
        strength=tie.strength,
        manual_strength=tie.manual_strength,
        since=tie.since,
        source=tie.source,  # type: ignore[arg-type]
        note=tie.note,
        interaction_count=tie.interaction_count,
        first_contact_at=tie.first_contact_at,
        last_contact_at=tie.last_contact_at,
        created_at=tie.created_at,
        updated_at=tie.updated_at,
    )


def referral_out(outcome: queries.ReferralOutcome) -> ReferralOut:
    r = outcome.referral
    return ReferralOut(
        id=r.pk,
        referrer=_ref(r.referrer),
        referred=_ref(r.referred),
        referred_on=r.referred_on,
        note=r.note,
        thanked_at=r.thanked_at,
        meetings_since=outcome.meetings,
        first_meeting_at=outcome.first_meeting_at,
        deals_won=outcome.deals_won,
        due_thanks=outcome.succeeded and not outcome.thanked,
        created_at=r.created_at,
    )


def _person(request: HttpRequest, pk: int, field: str) -> Any:
    """A person named in a body, if the user may see them; else a 422 naming the field
    (the same answer whether they do not exist or are someone else's private contact)."""
    try:
        return person_for(request.user, pk)
    except Http404 as exc:
        raise ValidationError({field: f"no such person: {pk}"}) from exc


@router.get("/ties", response=TiePage, summary="List ties between people, strongest first")
def list_ties(request: HttpRequest, filters: Query[TieFilters]) -> dict[str, Any]:
    qs = queries.ties_list(request.user, person_id=filters.person_id, kind=filters.kind)
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [tie_out(t) for t in page],
    }


@router.post("/ties", response={201: TieOut}, summary="Record that two people know each other")
def create_tie(request: HttpRequest, payload: TieIn) -> Status[TieOut]:
    data = payload.model_dump()
    a = _person(request, data.pop("person_a"), "person_a")
    b = _person(request, data.pop("person_b"), "person_b")
    tie = services.tie_create(actor=request.user, person_a=a, person_b=b, **data)
    return Status(201, tie_out(queries.tie_for(request.user, tie.pk)))


@router.patch("/ties/{tie_id}", response=TieOut, summary="Change a tie (null strength: computed)")
def patch_tie(request: HttpRequest, tie_id: int, payload: TiePatch) -> TieOut:
    tie = queries.tie_for(request.user, tie_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    if data.get("kind", "") is None:
        raise ValidationError({"kind": "a tie needs a kind"})
    services.tie_update(actor=request.user, tie=tie, **data)
    return tie_out(queries.tie_for(request.user, tie_id))


@router.delete("/ties/{tie_id}", response={204: None}, summary="Delete a tie")
def delete_tie(request: HttpRequest, tie_id: int) -> Status[None]:
    services.tie_delete(actor=request.user, tie=queries.tie_for(request.user, tie_id, write=True))
    return Status(204, None)


@router.get(
    "/people/{person_id}/ties", response=list[TieOut], summary="A person's ties, strongest first"
)
def person_ties(request: HttpRequest, person_id: int) -> list[TieOut]:
    person = person_for(request.user, person_id)
    return [tie_out(tie) for _other, tie in queries.ties_of(request.user, person)]


@router.get("/referrals", response=ReferralPage, summary="List referrals and what came of them")
def list_referrals(request: HttpRequest, filters: Query[ReferralFilters]) -> dict[str, Any]:
    if filters.due_thanks:
        due = queries.referrers_to_thank(request.user)
        page = due[filters.offset : filters.offset + filters.limit]
        return {
            "count": len(due),
            "limit": filters.limit,
            "offset": filters.offset,
            "items": [referral_out(o) for o in page],
        }
    qs = queries.referrals_list(
        request.user, referrer_id=filters.referrer_id, referred_id=filters.referred_id
    )
    rows = queries.referral_outcomes(
        request.user,
        Referral.objects.filter(
            pk__in=list(
                qs.values_list("pk", flat=True)[filters.offset : filters.offset + filters.limit]
            )
        ).order_by("-referred_on", "-id"),
    )
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [referral_out(o) for o in rows],
    }


def _one(request: HttpRequest, referral_id: int) -> ReferralOut:
    referral = queries.referral_for(request.user, referral_id)
    [outcome] = queries.referral_outcomes(request.user, Referral.objects.filter(pk=referral.pk))
    return referral_out(outcome)


@router.post("/referrals", response={201: ReferralOut}, summary="Record who introduced whom")
def create_referral(request: HttpRequest, payload: ReferralIn) -> Status[ReferralOut]:
    referrer = _person(request, payload.referrer, "referrer")
    referred = _person(request, payload.referred, "referred")
    referral = services.referral_create(
        actor=request.user,
        referrer=referrer,
        referred=referred,
        referred_on=payload.referred_on,
        note=payload.note,
    )
    return Status(201, _one(request, referral.pk))


@router.post(
    "/referrals/{referral_id}/thanked",
    response=ReferralOut,
    summary="Note the referrer was thanked",
)
def thank_referral(request: HttpRequest, referral_id: int) -> ReferralOut:
    referral = queries.referral_for(request.user, referral_id, write=True)
    services.referral_thank(actor=request.user, referral=referral)
    return _one(request, referral_id)
