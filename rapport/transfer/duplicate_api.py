"""Duplicates over the API: the likely duplicate pairs, merging two people, and
dismissing a pair as two people. Same queries and services as the review page.

Registered before the people router: `/people/duplicates` must not be read as
`/people/{person_id}`."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from rapport.people import queries
from rapport.people.api import Page, PageParams, PersonOut, person_out
from rapport.transfer import duplicate_queries, merge

router = Router(tags=["duplicates"])


class DuplicatePerson(Schema):
    id: int
    display_name: str
    romanised_name: str
    visibility: Literal["private", "team"]
    organisations: list[str]
    emails: list[str]
    phones: list[str]
    interactions: int
    facts: int
    commitments: int


class ReasonOut(Schema):
    kind: Literal["email", "phone", "name"]
    text: str = Field(..., description="the reason in the user's language")
    value: str = Field("", description="the shared email address or phone number")
    names: list[str] = Field(default_factory=list, description="both names, for a name reason")
    organisation: str = Field("", description="where both work, for a name reason")
    similarity: int = Field(0, description="how alike the names are, 0-100")


class PairOut(Schema):
    first: DuplicatePerson
    second: DuplicatePerson
    score: int = Field(..., description="how likely the two are one person, 0-100")
    reasons: list[ReasonOut]


class PairPage(Page):
    items: list[PairOut]


class MergeIn(Schema):
    other: int = Field(..., description="the person merged into this one, then deleted")


class DismissIn(Schema):
    first: int
    second: int


class DismissOut(Schema):
    first: int
    second: int


def _person(p: Any) -> DuplicatePerson:
    channels = list(p.channels.all())
    return DuplicatePerson(
        id=p.pk,
        display_name=p.display_name,
        romanised_name=p.romanised_name,
        visibility=p.visibility,
        organisations=[r.organisation.name for r in p.roles.all()],
        emails=[c.value for c in channels if c.kind == "email"],
        phones=[c.value for c in channels if c.kind in duplicate_queries.PHONE_KINDS],
        interactions=p.interaction_count,
        facts=p.fact_count,
        commitments=p.commitment_count,
    )


@router.get(
    "/people/duplicates", response=PairPage, summary="List likely duplicate people, best first"
)
def list_duplicates(request: HttpRequest, filters: Query[PageParams]) -> dict[str, Any]:
    candidates = duplicate_queries.live_candidates(request.user)
    window = candidates[filters.offset : filters.offset + filters.limit]
    items = [
        PairOut(
            first=_person(row.left),
            second=_person(row.right),
            score=row.score,
            reasons=[
                ReasonOut(
                    kind=r.kind,
                    text=duplicate_queries.reason_text(r),
                    value=r.value,
                    names=[n for n in r.names if n],
                    organisation=r.organisation,
                    similarity=r.similarity,
                )
                for r in row.candidate.reasons
            ],
        )
        for row in duplicate_queries.duplicate_rows(request.user, window)
    ]
    return {
        "count": len(candidates),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": items,
    }


@router.post(
    "/people/duplicates/dismiss",
    response={201: DismissOut},
    summary="Say two people are not the same, so they are not suggested again",
)
def dismiss_duplicate(request: HttpRequest, payload: DismissIn) -> Status[DismissOut]:
    first = _visible(request, payload.first, "first")
    second = _visible(request, payload.second, "second")
    pair = merge.distinct_pair_create(actor=request.user, first=first, second=second)
    return Status(201, DismissOut(first=pair.first_id, second=pair.second_id))


@router.post(
    "/people/{person_id}/merge",
    response=PersonOut,
    summary="Merge another person into this one, keeping everything both hold",
)
def merge_person(request: HttpRequest, person_id: int, payload: MergeIn) -> PersonOut:
    keep = queries.person_for(request.user, person_id, write=True)
    other = _visible(request, payload.other, "other")
    kept = merge.merge_people(actor=request.user, keep=keep, other=other)
    return person_out(queries.person_detail(request.user, kept.pk), request.user)


def _visible(request: HttpRequest, person_id: int, field: str) -> Any:
    """A person named in the body: one the user may not see is a bad field (422), not
    a missing page."""
    found = queries.visible_people(request.user).filter(pk=person_id).first()
    if found is None:
        raise ValidationError({field: _("no such person")})
    return found
