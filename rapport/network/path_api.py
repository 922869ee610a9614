"""The warm introduction path over the API: the same query as the page and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from rapport.network.paths import MAX_K, warm_paths

router = Router(tags=["network"])


class PathParams(Schema):
    to_person: int | None = Field(None, description="Reach this person", ge=1)
    to_organisation: int | None = Field(
        None, description="Reach this organisation's decision makers (else its people)", ge=1
    )
    source: str = Field("me", max_length=150, description='"me", "team", or a teammate\'s username')
    k: int = Field(3, ge=1, le=MAX_K, description="How many paths")


class PersonOut(Schema):
    id: int
    name: str


class HopOut(Schema):
    from_: PersonOut = Field(..., alias="from")
    to: PersonOut
    kind: str
    kind_label: str
    strength: float
    last_contact_at: dt.datetime | None
    interaction_count: int


class DraftOut(Schema):
    to: PersonOut
    email: str | None
    subject: str
    body: str
    mailto: str | None


class PathOut(Schema):
    hidden: bool = Field(..., description="True: a route through a colleague's private contact")
    score: float | None = Field(None, description="Product of the tie strengths (visible paths)")
    people: list[PersonOut] | None = None
    hops: list[HopOut] | None = None
    ask: PersonOut | str | None = Field(
        None,
        description="Visible path: the person to ask for the introduction (null when direct); "
        "hidden route: the teammate's name",
    )
    draft: DraftOut | None = None
    target: PersonOut | None = None
    message: str | None = None


class PathReportOut(Schema):
    source: str
    sources: list[PersonOut]
    targets: list[PersonOut]
    k: int
    paths: list[PathOut]


@router.get(
    "/path",
    response=PathReportOut,
    by_alias=True,
    summary="The warmest introduction paths to a person or an organisation's decision makers",
)
def path(request: HttpRequest, params: Query[PathParams]) -> dict[str, Any]:
    report = warm_paths(
        request.user,
        to_person=params.to_person,
        to_organisation=params.to_organisation,
        source=params.source,
        k=params.k,
    )
    return report.as_json()
