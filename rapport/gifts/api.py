"""The gift register and the team's gift policy over the API. Same queries and
services as the pages. Money is a decimal string in answers ("300.00"), never a float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from rapport.gifts import queries, services
from rapport.gifts.models import Gift, GiftPolicy
from rapport.people.queries import visible_people

router = Router(tags=["gifts"])

DirectionName = Literal["given", "received"]
KindName = Literal["gift", "hospitality", "other"]
OccasionName = Literal[
    "birthday", "spring_festival", "mid_autumn", "festival", "thank_you", "closing", "other"
]


class Ref(Schema):
    id: int
    name: str


class GiftOut(Schema):
    id: int
    person: Ref
    organisation: Ref | None
    deal: Ref | None
    direction: DirectionName
    kind: KindName
    description: str
    occasion: OccasionName
    given_on: dt.date
    value: Decimal
    currency: str
    over_limit: bool
    limits_crossed: list[Literal["gift", "year"]]
    reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class GiftIn(Schema):
    person: int
    organisation: int | None = None
    deal: int | None = None
    direction: DirectionName
    kind: KindName = "gift"
    description: str = Field(..., min_length=1, max_length=300)
    occasion: OccasionName = "other"
    given_on: dt.date
    value: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    reason: str = Field("", max_length=5000)


class GiftPatch(Schema):
    person: int | None = None
    organisation: int | None = None
    deal: int | None = None
    direction: DirectionName | None = None
    kind: KindName | None = None
    description: str | None = Field(None, min_length=1, max_length=300)
    occasion: OccasionName | None = None
    given_on: dt.date | None = None
    value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    reason: str | None = Field(None, max_length=5000)


class GiftFilters(Schema):
    direction: DirectionName | None = None
    person_id: int | None = None
    year: int | None = Field(None, ge=1, le=9999)
    over_limit: bool = False


class GiftTotals(Schema):
    given: dict[str, Decimal]
    received: dict[str, Decimal]


class GiftList(Schema):
    count: int
    over_limit: int
    totals: GiftTotals
    items: list[GiftOut]


class PolicyOut(Schema):
    currency: str
    per_gift_limit: Decimal | None
    per_person_year_limit: Decimal | None
    updated_at: dt.datetime


class PolicyIn(Schema):
    per_gift_limit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    per_person_year_limit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


def gift_out(gift: Gift) -> GiftOut:
    return GiftOut(
        id=gift.pk,
        person=Ref(id=gift.person_id, name=gift.person.display_name),
        organisation=Ref(id=gift.organisation.pk, name=gift.organisation.name)
        if gift.organisation
        else None,
        deal=Ref(id=gift.deal.pk, name=gift.deal.title) if gift.deal else None,
        direction=gift.direction,  # type: ignore[arg-type]
        kind=gift.kind,  # type: ignore[arg-type]
        description=gift.description,
        occasion=gift.occasion,  # type: ignore[arg-type]
        given_on=gift.given_on,
        value=gift.value,
        currency=gift.currency,
        over_limit=gift.over_limit,
        limits_crossed=[x for x in gift.limits_crossed.split(",") if x],  # type: ignore[misc]
        reason=gift.reason,
        created_at=gift.created_at,
        updated_at=gift.updated_at,
    )


def policy_out(policy: GiftPolicy) -> PolicyOut:
    return PolicyOut(
        currency=policy.currency,
        per_gift_limit=policy.per_gift_limit,
        per_person_year_limit=policy.per_person_year_limit,
        updated_at=policy.updated_at,
    )


@router.get("/gifts/policy", response=PolicyOut, summary="The team's gift policy")
def get_policy(request: HttpRequest) -> PolicyOut:
    return policy_out(services.policy_of(request.user))


@router.put(
    "/gifts/policy",
    response=PolicyOut,
    summary="Set the team's limits per gift and per person per year (administrators)",
)
def put_policy(request: HttpRequest, payload: PolicyIn) -> PolicyOut:
    try:
        policy = services.policy_update(actor=request.user, **payload.model_dump())
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return policy_out(policy)


@router.get("/gifts", response=GiftList, summary="The gift register, with totals per currency")
def list_gifts(request: HttpRequest, filters: Query[GiftFilters]) -> dict[str, Any]:
    person = None
    if filters.person_id is not None:
        person = visible_people(request.user).filter(pk=filters.person_id).first()
        if person is None:
            raise ValidationError({"person_id": f"no such person: {filters.person_id}"})
    found = queries.register(
        request.user,
        direction=filters.direction,
        person=person,
        year=filters.year,
        over_only=filters.over_limit,
    )
    return {
        "count": len(found.gifts),
        "over_limit": found.over_limit,
        "totals": {"given": dict(found.given), "received": dict(found.received)},
        "items": [gift_out(g) for g in found.gifts],
    }


@router.post("/gifts", response={201: GiftOut}, summary="Record a gift or hospitality")
def create_gift(request: HttpRequest, payload: GiftIn) -> Status[GiftOut]:
    gift = services.gift_create(actor=request.user, **payload.model_dump())
    return Status(201, gift_out(queries.gift_for(request.user, gift.pk)))


@router.get("/gifts/{gift_id}", response=GiftOut, summary="One entry of the register")
def get_gift(request: HttpRequest, gift_id: int) -> GiftOut:
    return gift_out(queries.gift_for(request.user, gift_id))


@router.patch("/gifts/{gift_id}", response=GiftOut, summary="Change an entry")
def patch_gift(request: HttpRequest, gift_id: int, payload: GiftPatch) -> GiftOut:
    gift = queries.gift_for(request.user, gift_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    for name in ("person", "direction", "description", "given_on", "value"):
        if name in data and data[name] is None:
            raise ValidationError({name: "must not be null"})
    services.gift_update(actor=request.user, gift=gift, **data)
    return gift_out(queries.gift_for(request.user, gift_id))


@router.delete("/gifts/{gift_id}", response={204: None}, summary="Delete an entry")
def delete_gift(request: HttpRequest, gift_id: int) -> Status[None]:
    gift = queries.gift_for(request.user, gift_id, write=True)
    services.gift_delete(actor=request.user, gift=gift)
    return Status(204, None)
