"""Trust over the API: the trust card of a person or organisation, the trust list and a
full recompute; the team's evidence library and what was shown to whom; claims made to
clients and how they held up; client trust surveys.

Thin like the rest of the API: every read goes through the queries (a record the user
may not see is a 404), every write through the services (atomic and audited). A person,
organisation or interaction named by id in a body is looked up among those the user may
see; any other id is "no such ..." (422 naming the field)."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import AbstractContextManager
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from rapport.core.validation import renamed_fields
from rapport.interactions.queries import interaction_for
from rapport.people import queries as people_queries
from rapport.people.api import Page, PageParams, PersonRef
from rapport.portal import queries as portal_queries
from rapport.portal import services as portal_services
from rapport.portal import survey as survey_questions
from rapport.trust import library, queries, services
from rapport.trust.models import Claim, Evidence, EvidenceShown
from rapport.trust.scoring import trust_recompute_team

router = Router(tags=["trust"])

Component = Literal["C", "R", "I", "S"]
Subject = Literal["people", "organisations"]
Sort = Literal["t", "-t", "falling", "name"]
EvidenceKind = Literal[
    "certification",
    "licence",
    "award",
    "reference",
    "testimonial",
    "case_study",
    "publication",
]
ClaimKind = Literal["statement", "capability"]
ClaimStatus = Literal["pending", "accurate", "exaggerated", "false"]
Assessed = Literal["accurate", "exaggerated", "false"]

# Model fields the services name in their errors, and the body fields they come from.
BODY_FIELDS = {
    "person": "person_id",
    "organisation": "organisation_id",
    "interaction": "interaction_id",
    "evidence": "evidence_id",
}


def _body_field_names() -> AbstractContextManager[None]:
    """Let a service's error name the field as the request body spells it."""
    return renamed_fields(BODY_FIELDS)


def _person(request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return None
    try:
        return people_queries.person_for(request.user, pk)
    except Http404 as exc:
        raise ValidationError({"person_id": f"no such person: {pk}"}) from exc


def _organisation(request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return None
    try:
        return people_queries.organisation_for(request.user, pk)
    except Http404 as exc:
        raise ValidationError({"organisation_id": f"no such organisation: {pk}"}) from exc


def _interaction(request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return None
    try:
        return interaction_for(request.user, pk)
    except Http404 as exc:
        raise ValidationError({"interaction_id": f"no such interaction: {pk}"}) from exc


def _ref(person: Any) -> PersonRef | None:
    return PersonRef(id=person.pk, display_name=person.display_name) if person else None


class OrganisationRef(Schema):
    id: int
    name: str


def _org_ref(organisation: Any) -> OrganisationRef | None:
    return OrganisationRef(id=organisation.pk, name=organisation.name) if organisation else None


# ---------------------------------------------------------------------------------------
# The trust card


class ExplanationOut(Schema):
    kind: str = Field(..., description="The kind of event, e.g. promise_kept.")
    what: str = Field(..., description="The kind of event in words.")
    about: str = Field(..., description="What it was: a promise's title, a fact...")
    at: dt.datetime
    effect: float = Field(..., description="How far it moved the component.")


class ComponentOut(Schema):
    name: str
    value: float
    ours: float = Field(..., description="From our evidence alone.")
    client: float | None = Field(..., description="The client's survey answers, if any.")
    evidence: int = Field(..., description="How many events bear on it.")
    uncertain: bool = Field(..., description="Too little evidence to call it high or low.")
    outlier: bool = Field(..., description="Stands out from the other components.")
    explanation: list[ExplanationOut]


class ActionOut(Schema):
    component: Component
    action: str
    gain: float = Field(..., description="How much T would rise if it were done.")


class TrustCardOut(Schema):
    name: str
    as_of: dt.datetime
    t: float = Field(..., description="T = (C + R + I) / S")
    t_ours: float = Field(..., description="T from our evidence alone, without surveys.")
    delta_week: float | None = Field(..., description="Change of T since a week ago.")
    weakest: Component
    components: dict[Component, ComponentOut]
    next_actions: list[ActionOut]


@router.get(
    "/trust/people/{person_id}",
    response=TrustCardOut,
    summary="A person's trust card: C, R, I, S, T, explanations and next actions",
)
def get_person_trust(request: HttpRequest, person_id: int) -> dict[str, Any]:
    person = people_queries.person_for(request.user, person_id)
    return queries.person_card(request.user, person).as_json()


@router.get(
    "/trust/organisations/{organisation_id}",
    response=TrustCardOut,
    summary="An organisation's trust card (its people pooled by influence)",
)
def get_organisation_trust(request: HttpRequest, organisation_id: int) -> dict[str, Any]:
    organisation = people_queries.organisation_for(request.user, organisation_id)
    return queries.organisation_card(request.user, organisation).as_json()


# ---------------------------------------------------------------------------------------
# The trust list and recomputing


class TrustListParams(PageParams):
    subject: Subject | None = Field(None, description="people or organisations; both if unset.")
    mine: bool = Field(False, description="Only people you own.")
    tag: str | None = Field(None, max_length=50, description="Only people with this tag.")
    weakest: Component | None = Field(None, description="Only those weakest in this component.")
    t_min: float | None = Field(None, ge=0, le=30)
    t_max: float | None = Field(None, ge=0, le=30)
    falling: bool = Field(False, description="Only those whose T fell over the last week.")
    sort: Sort = Field(
        "t",
        description="t: lowest trust first; -t: highest first; falling: fastest fall first; name.",
    )


class PartOut(Schema):
    value: float
    evidence: int
    uncertain: bool


class TrustRowOut(Schema):
    subject: Literal["person", "organisation"]
    id: int
    name: str
    organisation: str | None = Field(..., description="A person's current organisation.")
    t: float
    delta_week: float | None
    weakest: Component
    evidence: int
    components: dict[Component, PartOut]
    computed_at: dt.datetime


class TrustListOut(Page):
    by_weakest: dict[Component, int] = Field(
        ..., description="How many match each weakest component (ignoring `weakest`)."
    )
    items: list[TrustRowOut]


@router.get(
    "/trust",
    response=TrustListOut,
    summary="Every relationship you may see, by trust (lowest first by default)",
)
def list_trust(request: HttpRequest, params: Query[TrustListParams]) -> dict[str, Any]:
    filters = queries.TrustFilters(
        subject=params.subject or "",
        mine=params.mine,
        tag=params.tag or "",
        weakest=params.weakest or "",
        t_min=params.t_min,
        t_max=params.t_max,
        falling=params.falling,
        sort=params.sort,
    )
    overview = queries.trust_overview(request.user, filters)
    scores = queries.trust_search(request.user, filters)[
        params.offset : params.offset + params.limit
    ]
    return {
        "count": overview.total,
        "limit": params.limit,
        "offset": params.offset,
        "by_weakest": {c: overview.by_weakest.get(c, 0) for c in ("C", "R", "I", "S")},
        "items": [row.as_json() for row in queries.trust_rows(scores)],
    }


class RecomputeOut(Schema):
    people: int
    organisations: int
    seconds: float
    computed_at: dt.datetime


@router.post(
    "/trust/recompute",
    response=RecomputeOut,
    summary="Recompute the trust of every relationship of your team now",
)
def recompute_trust(request: HttpRequest) -> dict[str, Any]:
    started = time.perf_counter()
    now = timezone.now()
    people, organisations = trust_recompute_team(request.user.member.team_id, now=now)  # type: ignore[union-attr]
    return {
        "people": people,
        "organisations": organisations,
        "seconds": round(time.perf_counter() - started, 3),
        "computed_at": now,
    }


# ---------------------------------------------------------------------------------------
# The evidence library


class EvidenceOut(Schema):
    id: int
    kind: EvidenceKind
    title: str
    issuer: str
    summary: str
    verified_on: dt.date | None
    expires_on: dt.date | None
    industries: list[str]
    url: str
    attachment: str | None = Field(..., description="Where to download the attached file.")
    flags: list[Literal["expired", "unverified", "expires_soon"]] = Field(
        ..., description="What needs attention today."
    )
    stale: bool = Field(..., description="Expired or never verified: showing it costs credibility.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ShowingOut(Schema):
    id: int
    evidence_id: int
    evidence_title: str
    person: PersonRef | None
    organisation: OrganisationRef | None
    shown_at: dt.datetime
    shown_by: str
    was_verified: bool
    was_expired: bool
    note: str
    interaction_id: int | None


class EvidenceListItem(EvidenceOut):
    shown_count: int
    last_shown_at: dt.datetime | None


class EvidenceDetailOut(EvidenceOut):
    showings: list[ShowingOut] = Field(..., description="To whom it was shown, newest first.")


class EvidencePage(Page):
    items: list[EvidenceListItem]


class EvidenceFilters(PageParams):
    kind: EvidenceKind | None = None
    industry: str | None = Field(None, max_length=60)
    attention: bool = Field(False, description="Only what is expired or never verified.")


class EvidenceIn(Schema):
    kind: EvidenceKind
    title: str = Field(..., min_length=1, max_length=200)
    issuer: str = Field("", max_length=200)
    summary: str = ""
    verified_on: dt.date | None = Field(None, description="When we last checked it holds.")
    expires_on: dt.date | None = None
    industries: list[str] = Field(default_factory=list)
    url: str = Field("", max_length=500)


class EvidencePatch(Schema):
    kind: EvidenceKind | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    issuer: str | None = Field(None, max_length=200)
    summary: str | None = None
    verified_on: dt.date | None = None
    expires_on: dt.date | None = None
    industries: list[str] | None = None
    url: str | None = Field(None, max_length=500)


class ShowIn(Schema):
    person_id: int | None = Field(None, description="Whom it was shown to; or organisation_id.")
    organisation_id: int | None = None
    shown_at: dt.datetime | None = Field(None, description="Now by default.")
    note: str = Field("", max_length=300)
    interaction_id: int | None = Field(None, description="The conversation it was shown in.")
    confirm_stale: bool = Field(
        False,
        description="Record it even though the evidence is expired or unverified "
        "(it then counts against credibility).",
    )


def _evidence(request: HttpRequest, evidence: Evidence) -> dict[str, Any]:
    today = library.today_for(request.user)
    flags = library.evidence_flags(evidence, today)
    return {
        "id": evidence.pk,
        "kind": evidence.kind,
        "title": evidence.title,
        "issuer": evidence.issuer,
        "summary": evidence.summary,
        "verified_on": evidence.verified_on,
        "expires_on": evidence.expires_on,
        "industries": list(evidence.industries or []),
        "url": evidence.url,
        "attachment": reverse("evidence_attachment", args=[evidence.pk])
        if evidence.attachment
        else None,
        "flags": [f.code for f in flags],
        "stale": any(f.stale for f in flags),
        "created_at": evidence.created_at,
        "updated_at": evidence.updated_at,
    }


def _showing(showing: EvidenceShown) -> dict[str, Any]:
    return {
        "id": showing.pk,
        "evidence_id": showing.evidence_id,
        "evidence_title": showing.evidence.title,
        "person": _ref(showing.person),
        "organisation": _org_ref(showing.organisation),
        "shown_at": showing.shown_at,
        "shown_by": showing.shown_by.get_username(),
        "was_verified": showing.was_verified,
        "was_expired": showing.was_expired,
        "note": showing.note,
        "interaction_id": showing.interaction_id,
    }


def _evidence_detail(request: HttpRequest, evidence_id: int) -> dict[str, Any]:
    evidence = library.evidence_for(request.user, evidence_id)
    body = _evidence(request, evidence)
    body["showings"] = [_showing(s) for s in library.evidence_showings(request.user, evidence)]
    return body


@router.get(
    "/evidence",
    response=EvidencePage,
    summary="The team's evidence library, by title",
    tags=["evidence"],
)
def list_evidence(request: HttpRequest, filters: Query[EvidenceFilters]) -> dict[str, Any]:
    qs = library.evidence_search(
        request.user,
        kind=filters.kind,
        industry=filters.industry,
        attention=filters.attention,
    )
    items = []
    for evidence in qs[filters.offset : filters.offset + filters.limit]:
        body = _evidence(request, evidence)
        body["shown_count"] = evidence.shown_count  # type: ignore[attr-defined]
        body["last_shown_at"] = evidence.last_shown_at  # type: ignore[attr-defined]
        items.append(body)
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post(
    "/evidence",
    response={201: EvidenceDetailOut},
    summary="Add a certificate, licence, award, reference, testimonial, case study or "
    "publication to the library",
    tags=["evidence"],
)
def create_evidence(request: HttpRequest, payload: EvidenceIn) -> Status[dict[str, Any]]:
    evidence = services.evidence_create(actor=request.user, **payload.model_dump())
    return Status(201, _evidence_detail(request, evidence.pk))


@router.get(
    "/evidence/{evidence_id}",
    response=EvidenceDetailOut,
    summary="One piece of evidence, its flags today and to whom it was shown",
    tags=["evidence"],
)
def get_evidence(request: HttpRequest, evidence_id: int) -> dict[str, Any]:
    return _evidence_detail(request, evidence_id)


@router.patch(
    "/evidence/{evidence_id}",
    response=EvidenceDetailOut,
    summary="Change some fields of a piece of evidence (what was shown keeps its state)",
    tags=["evidence"],
)
def patch_evidence(
    request: HttpRequest, evidence_id: int, payload: EvidencePatch
) -> dict[str, Any]:
    evidence = library.evidence_for(request.user, evidence_id, write=True)
    fields = payload.model_dump(exclude_unset=True)
    for name in ("kind", "title"):
        if name in fields and fields[name] is None:
            raise ValidationError({name: "this field cannot be empty"})
    services.evidence_update(actor=request.user, evidence=evidence, **fields)
    return _evidence_detail(request, evidence_id)


@router.delete(
    "/evidence/{evidence_id}",
    response={204: None},
    summary="Remove a piece of evidence and every record of showing it",
    tags=["evidence"],
)
def delete_evidence(request: HttpRequest, evidence_id: int) -> Status[None]:
    evidence = library.evidence_for(request.user, evidence_id, write=True)
    services.evidence_delete(actor=request.user, evidence=evidence)
    return Status(204, None)


@router.post(
    "/evidence/{evidence_id}/show",
    response={201: ShowingOut},
    summary="Record that evidence was shown to a client",
    description="Expired or unverified evidence is refused (422, field `evidence_id`) "
    "unless `confirm_stale` is true; it then counts against credibility with that client.",
    tags=["evidence"],
)
def show_evidence(
    request: HttpRequest, evidence_id: int, payload: ShowIn
) -> Status[dict[str, Any]]:
    evidence = library.evidence_for(request.user, evidence_id, write=True)
    person = _person(request, payload.person_id)
    organisation = _organisation(request, payload.organisation_id)
    interaction = _interaction(request, payload.interaction_id)
    with _body_field_names():
        showing = services.evidence_show(
            actor=request.user,
            evidence=evidence,
            person=person,
            organisation=organisation,
            shown_at=payload.shown_at,
            note=payload.note,
            interaction=interaction,
            confirm_stale=payload.confirm_stale,
        )
    return Status(201, _showing(library.showing_for(request.user, showing.pk)))


@router.delete(
    "/evidence-showings/{showing_id}",
    response={204: None},
    summary="Remove the record of a showing made by mistake",
    tags=["evidence"],
)
def delete_showing(request: HttpRequest, showing_id: int) -> Status[None]:
    showing = library.showing_for(request.user, showing_id, write=True)
    services.evidence_shown_delete(actor=request.user, showing=showing)
    return Status(204, None)


# ---------------------------------------------------------------------------------------
# Claims


class ClaimOut(Schema):
    id: int
    kind: ClaimKind
    statement: str
    person: PersonRef | None
    organisation: OrganisationRef | None
    made_at: dt.datetime
    status: ClaimStatus
    assessed_at: dt.datetime | None
    assessment: str
    interaction_id: int | None
    owner: str
    visibility: str


class ClaimPage(Page):
    items: list[ClaimOut]


class ClaimFilters(PageParams):
    status: ClaimStatus | None = None
    waiting: bool = Field(
        False,
        description=f"Only claims nobody checked for more than {library.CLAIM_PENDING_DAYS} days.",
    )
    mine: bool = Field(False, description="Only claims you recorded.")
    person_id: int | None = None
    organisation_id: int | None = None


class ClaimIn(Schema):
    statement: str = Field(..., min_length=1, max_length=500)
    kind: ClaimKind = "statement"
    person_id: int | None = Field(None, description="To whom it was said; or organisation_id.")
    organisation_id: int | None = None
    made_at: dt.datetime | None = Field(None, description="When it was said; now by default.")
    interaction_id: int | None = Field(None, description="The conversation it was said in.")


class AssessIn(Schema):
    status: Assessed
    assessment: str = Field("", description="What was found.")
    assessed_at: dt.datetime | None = Field(None, description="Now by default.")


def _claim(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "kind": claim.kind,
        "statement": claim.statement,
        "person": _ref(claim.person),
        "organisation": _org_ref(claim.organisation),
        "made_at": claim.made_at,
        "status": claim.status,
        "assessed_at": claim.assessed_at,
        "assessment": claim.assessment,
        "interaction_id": claim.interaction_id,
        "owner": claim.owner.get_username(),
        "visibility": claim.visibility,
    }


@router.get("/claims", response=ClaimPage, summary="Claims made to clients", tags=["claims"])
def list_claims(request: HttpRequest, filters: Query[ClaimFilters]) -> dict[str, Any]:
    qs = library.claims_search(
        request.user,
        status=filters.status,
        pending_since=timezone.now() - dt.timedelta(days=library.CLAIM_PENDING_DAYS)
        if filters.waiting
        else None,
        mine=filters.mine,
    )
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.organisation_id is not None:
        qs = qs.filter(organisation_id=filters.organisation_id)
    items = [_claim(c) for c in qs[filters.offset : filters.offset + filters.limit]]
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post(
    "/claims",
    response={201: ClaimOut},
    summary="Record something we told a client about ourselves, to check later",
    tags=["claims"],
)
def create_claim(request: HttpRequest, payload: ClaimIn) -> Status[dict[str, Any]]:
    person = _person(request, payload.person_id)
    organisation = _organisation(request, payload.organisation_id)
    interaction = _interaction(request, payload.interaction_id)
    with _body_field_names():
        claim = services.claim_create(
            actor=request.user,
            statement=payload.statement,
            kind=payload.kind,
            person=person,
            organisation=organisation,
            made_at=payload.made_at,
            interaction=interaction,
        )
    return Status(201, _claim(library.claim_for(request.user, claim.pk)))


@router.get("/claims/{claim_id}", response=ClaimOut, tags=["claims"])
def get_claim(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    return _claim(library.claim_for(request.user, claim_id))


@router.post(
    "/claims/{claim_id}/assess",
    response=ClaimOut,
    summary="Say how a claim held up: accurate, exaggerated or false",
    tags=["claims"],
)
def assess_claim(request: HttpRequest, claim_id: int, payload: AssessIn) -> dict[str, Any]:
    claim = library.claim_for(request.user, claim_id, write=True)
    services.claim_assess(actor=request.user, claim=claim, **payload.model_dump())
    return _claim(library.claim_for(request.user, claim_id))


@router.delete(
    "/claims/{claim_id}",
    response={204: None},
    summary="Remove a claim recorded by mistake",
    tags=["claims"],
)
def delete_claim(request: HttpRequest, claim_id: int) -> Status[None]:
    claim = library.claim_for(request.user, claim_id, write=True)
    services.claim_delete(actor=request.user, claim=claim)
    return Status(204, None)


# ---------------------------------------------------------------------------------------
# Client trust surveys


class SurveyAnswerOut(Schema):
    question: str
    answer: int = Field(..., ge=1, le=5)


class SurveyOut(Schema):
    id: int
    person: PersonRef
    language: str
    prefix: str = Field(..., description="The token's first characters, to tell links apart.")
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    answered_at: dt.datetime | None
    state: Literal["sent", "answered", "revoked", "expired"]
    answers: list[SurveyAnswerOut]
    comment: str


class SurveyCreated(SurveyOut):
    token: str = Field(..., description="Shown this once; only its SHA-256 digest is kept.")
    url: str


class SurveyPage(Page):
    items: list[SurveyOut]


class SurveyIn(Schema):
    language: str | None = Field(
        None, max_length=10, description="The client's language (en, zh-hans); yours by default."
    )
    days: int = Field(
        survey_questions.DEFAULT_DAYS,
        ge=1,
        le=survey_questions.MAX_DAYS,
        description="How long the link lives.",
    )


def _survey_rows(request: HttpRequest, person: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": row.survey.pk,
            "person": _ref(person),
            "language": row.survey.language,
            "prefix": row.survey.prefix,
            "created_by": row.survey.created_by.get_username(),
            "created_at": row.survey.created_at,
            "expires_at": row.survey.expires_at,
            "revoked_at": row.survey.revoked_at,
            "answered_at": row.survey.answered_at,
            "state": row.state,
            "answers": [{"question": q, "answer": a} for q, a in row.answers],
            "comment": row.survey.comment,
        }
        for row in portal_queries.surveys_with(request.user, person)
    ]


def _survey(request: HttpRequest, person: Any, survey_id: int) -> dict[str, Any]:
    return next(s for s in _survey_rows(request, person) if s["id"] == survey_id)


@router.get(
    "/people/{person_id}/surveys",
    response=SurveyPage,
    summary="A person's trust survey links, newest first, with their answers",
    tags=["surveys"],
)
def list_person_surveys(
    request: HttpRequest, person_id: int, page: Query[PageParams]
) -> dict[str, Any]:
    person = people_queries.person_for(request.user, person_id)
    rows = _survey_rows(request, person)
    return {
        "count": len(rows),
        "limit": page.limit,
        "offset": page.offset,
        "items": rows[page.offset : page.offset + page.limit],
    }


@router.post(
    "/people/{person_id}/surveys",
    response={201: SurveyCreated},
    summary="Ask a client for their view of us (the link's token is shown once)",
    tags=["surveys"],
)
def create_survey(
    request: HttpRequest, person_id: int, payload: SurveyIn
) -> Status[dict[str, Any]]:
    person = people_queries.person_for(request.user, person_id, write=True)
    survey, token = portal_services.survey_create(
        actor=request.user, person=person, language=payload.language, days=payload.days
    )
    body = _survey(request, person, survey.pk)
    body.update(token=token, url=reverse("survey_page", args=[token]))
    return Status(201, body)


@router.post(
    "/surveys/{survey_id}/revoke",
    response=SurveyOut,
    summary="Revoke an unanswered survey link; it stops working at once",
    tags=["surveys"],
)
def revoke_survey(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = portal_queries.survey_for(request.user, survey_id, write=True)
    portal_services.survey_revoke(actor=request.user, survey=survey)
    return _survey(request, survey.person, survey.pk)
