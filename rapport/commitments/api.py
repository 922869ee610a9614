"""Promises over the API: commitments with their milestones, risks and renegotiations;
meetings and their decisions; today's agenda; clients' share links and calendar feeds.

Thin like the rest of the API: every read goes through the queries (so a record the
user may not see is a 404), every write through the services (atomic and audited).
A person or organisation named by id in a body is looked up among those the user may
see; any other id is "no such person" (422 naming the field)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from rapport.commitments import deadlines, queries, services
from rapport.commitments.models import Commitment, Decision, Milestone, Renegotiation, Risk
from rapport.core.agenda import agenda_for
from rapport.core.validation import renamed_fields
from rapport.interactions.queries import interaction_for, visible_interactions
from rapport.people import queries as people_queries
from rapport.people.api import Page, PageParams, PersonRef
from rapport.portal import queries as portal_queries
from rapport.portal import services as portal_services
from rapport.portal.models import CalendarFeed, ShareLink

router = Router(tags=["commitments"])

Side = Literal["ours", "client"]
CommitmentStatus = Literal["open", "kept", "kept_late", "broken", "cancelled"]
ClosingStatus = Literal["kept", "kept_late", "broken", "cancelled"]
Match = Literal["exceeded", "met", "short"]
Severity = Literal["low", "medium", "high"]

# Model fields the services name in their errors, and the body fields they come from.
BODY_FIELDS = {
    "person": "person_id",
    "organisation": "organisation_id",
    "promised_by": "promised_by_id",
    "interaction": "interaction_id",
}


def _body_field_names() -> AbstractContextManager[None]:
    """Let a service's error name the field as the request body spells it."""
    return renamed_fields(BODY_FIELDS)


def _person(request: HttpRequest, pk: int | None, field: str) -> Any:
    """A person named in a body, if the user may see them; else 422 naming the field."""
    if pk is None:
        return None
    try:
        return people_queries.person_for(request.user, pk)
    except Http404 as exc:
        raise ValidationError({field: f"no such person: {pk}"}) from exc


def _organisation(request: HttpRequest, pk: int | None, field: str = "organisation_id") -> Any:
    if pk is None:
        return None
    try:
        return people_queries.organisation_for(request.user, pk)
    except Http404 as exc:
        raise ValidationError({field: f"no such organisation: {pk}"}) from exc


# What a commitment reads as


class OrganisationRef(Schema):
    id: int
    name: str


class MilestoneOut(Schema):
    id: int
    title: str
    detail: str
    at: dt.datetime


class RiskOut(Schema):
    id: int
    commitment_id: int
    title: str
    detail: str
    severity: Severity
    raised_at: dt.datetime
    disclosed_at: dt.datetime | None
    resolved_at: dt.datetime | None
    disclosed: bool = Field(..., description="The client has been told of this risk.")


class RenegotiationOut(Schema):
    id: int
    at: dt.datetime
    old_due_on: dt.date
    old_due_at: dt.datetime
    new_due_on: dt.date
    new_due_at: dt.datetime
    told_client_at: dt.datetime | None
    reason: str
    in_time: bool = Field(..., description="The client was told before the old deadline.")


class CommitmentOut(Schema):
    id: int
    title: str
    details: str
    expected: str
    side: Side
    promised_by: PersonRef | None
    person: PersonRef | None
    organisation: OrganisationRef | None
    made_at: dt.datetime
    due_on: dt.date
    due_time: dt.time | None
    time_zone: str
    due_at: dt.datetime = Field(..., description="The deadline instant (UTC).")
    status: CommitmentStatus
    overdue: bool = Field(..., description="Still open and past its deadline.")
    closed_at: dt.datetime | None
    delivered: str
    delivered_at: dt.datetime | None
    match: Match | None
    close_note: str
    reported_back_at: dt.datetime | None
    interaction_id: int | None
    owner: str
    visibility: str
    milestones: list[MilestoneOut]
    risks: list[RiskOut]
    renegotiations: list[RenegotiationOut]


class CommitmentPage(Page):
    items: list[CommitmentOut]


def _ref(person: Any) -> PersonRef | None:
    return PersonRef(id=person.pk, display_name=person.display_name) if person else None


def milestone_out(m: Milestone) -> MilestoneOut:
    return MilestoneOut(id=m.pk, title=m.title, detail=m.detail, at=m.at)


def risk_out(r: Risk) -> RiskOut:
    return RiskOut.model_validate(
        {
            "id": r.pk,
            "commitment_id": r.commitment_id,
            "title": r.title,
            "detail": r.detail,
            "severity": r.severity,
            "raised_at": r.raised_at,
            "disclosed_at": r.disclosed_at,
            "resolved_at": r.resolved_at,
            "disclosed": r.disclosed_at is not None,
        }
    )


def renegotiation_out(r: Renegotiation) -> RenegotiationOut:
    return RenegotiationOut(
        id=r.pk,
        at=r.at,
        old_due_on=r.old_due_on,
        old_due_at=r.old_due_at,
        new_due_on=r.new_due_on,
        new_due_at=r.new_due_at,
        told_client_at=r.told_client_at,
        reason=r.reason,
        in_time=r.in_time,
    )


def commitments_out(
    request: HttpRequest, commitments: Sequence[Commitment], now: dt.datetime | None = None
) -> list[CommitmentOut]:
    """The API view of commitments read with `queries.with_history`. People the user may
    not see are left out, and so is a meeting the user may not see."""
    now = now or timezone.now()
    actor = request.user
    linked = {c.interaction_id for c in commitments if c.interaction_id}
    meetings = set(
        visible_interactions(actor).filter(pk__in=linked).values_list("pk", flat=True)
        if linked
        else []
    )
    items = []
    for c in commitments:
        organisation = c.organisation
        items.append(
            CommitmentOut.model_validate(
                {
                    "id": c.pk,
                    "title": c.title,
                    "details": c.details,
                    "expected": c.expected,
                    "side": c.side,
                    "promised_by": _ref(queries.party_for(actor, c.promised_by)),
                    "person": _ref(queries.party_for(actor, c.person)),
                    "organisation": {"id": organisation.pk, "name": organisation.name}
                    if organisation
                    else None,
                    "made_at": c.made_at,
                    "due_on": c.due_on,
                    "due_time": c.due_time,
                    "time_zone": c.time_zone,
                    "due_at": c.due_at,
                    "status": c.status,
                    "overdue": c.is_open and deadlines.is_overdue(c.due_at, now),
                    "closed_at": c.closed_at,
                    "delivered": c.delivered,
                    "delivered_at": c.delivered_at,
                    "match": c.match or None,
                    "close_note": c.close_note,
                    "reported_back_at": c.reported_back_at,
                    "interaction_id": c.interaction_id if c.interaction_id in meetings else None,
                    "owner": c.owner.get_username(),
                    "visibility": c.visibility,
                    "milestones": [milestone_out(m) for m in c.milestones.all()],
                    "risks": [risk_out(r) for r in c.risks.all()],
                    "renegotiations": [renegotiation_out(r) for r in c.renegotiations.all()],
                }
            )
        )
    return items


def _read(request: HttpRequest, commitment_id: int) -> CommitmentOut:
    return commitments_out(request, [queries.commitment_for(request.user, commitment_id)])[0]


# Commitments


class CommitmentFilters(PageParams):
    status: CommitmentStatus | None = None
    side: Side | None = None
    person_id: int | None = None
    organisation_id: int | None = None
    overdue: bool | None = Field(
        None, description="true: open and past the deadline; false: all others."
    )
    mine: bool = Field(False, description="Only promises you recorded or made.")


class CommitmentIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    person_id: int | None = Field(None, description="The client person; or organisation_id.")
    organisation_id: int | None = None
    side: Side = Field("ours", description="Who promised: our side or the client's.")
    promised_by_id: int | None = Field(
        None, description="Who made the promise; for our side, you by default."
    )
    made_at: dt.datetime | None = Field(None, description="When it was promised; now by default.")
    due_on: dt.date
    due_time: dt.time | None = Field(None, description="Without it, due by the end of due_on.")
    time_zone: str | None = Field(
        None, max_length=64, description="Where the date was agreed; yours by default."
    )
    expected: str = Field("", description="What the client expects to receive.")
    details: str = Field("", description="Internal notes.")
    interaction_id: int | None = Field(None, description="The meeting it was made in.")


class CommitmentPatch(Schema):
    # Dates move only by renegotiation, and the client and status never change here:
    # naming any other field is an error rather than silently ignored.
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=300)
    details: str | None = None
    expected: str | None = None
    side: Side | None = None
    promised_by_id: int | None = None


class CloseIn(Schema):
    status: ClosingStatus
    delivered: str = Field("", description="What was delivered.")
    delivered_at: dt.datetime | None = Field(None, description="For kept promises; now by default.")
    match: Match | None = Field(None, description="Delivered against what was expected.")
    note: str = ""
    reported_back: bool = Field(False, description="The client has been told how it ended.")
    reported_back_at: dt.datetime | None = None


class RenegotiateIn(Schema):
    new_due_on: dt.date
    new_due_time: dt.time | None = None
    told_client_at: dt.datetime | None = Field(
        None, description="When the client agreed; before the old deadline means in time."
    )
    reason: str = ""


class AtIn(Schema):
    at: dt.datetime | None = Field(None, description="When; now by default.")


@router.get("/commitments", response=CommitmentPage, summary="List commitments")
def list_commitments(request: HttpRequest, filters: Query[CommitmentFilters]) -> dict[str, Any]:
    now = timezone.now()
    qs = queries.commitments_search(
        request.user,
        status=filters.status,
        side=filters.side,
        person_id=filters.person_id,
        organisation_id=filters.organisation_id,
        overdue_at=now if filters.overdue else None,
        mine=filters.mine,
    )
    if filters.overdue is False:
        qs = qs.exclude(status=Commitment.Status.OPEN, due_at__lte=now)
    page = list(queries.with_history(qs)[filters.offset : filters.offset + filters.limit])
    items = commitments_out(request, page, now)
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post("/commitments", response={201: CommitmentOut}, summary="Record a promise")
def create_commitment(request: HttpRequest, payload: CommitmentIn) -> Status[CommitmentOut]:
    data = payload.model_dump()
    data["person"] = _person(request, data.pop("person_id"), "person_id")
    data["organisation"] = _organisation(request, data.pop("organisation_id"))
    data["promised_by"] = _person(request, data.pop("promised_by_id"), "promised_by_id")
    interaction_id = data.pop("interaction_id")
    if interaction_id is not None:
        try:
            data["interaction"] = interaction_for(request.user, interaction_id, write=True)
        except Http404 as exc:
            raise ValidationError(
                {"interaction_id": f"no such interaction: {interaction_id}"}
            ) from exc
    with _body_field_names():
        commitment = services.commitment_create(actor=request.user, **data)
    return Status(201, _read(request, commitment.pk))


@router.get("/commitments/{commitment_id}", response=CommitmentOut, summary="Read a commitment")
def get_commitment(request: HttpRequest, commitment_id: int) -> CommitmentOut:
    return _read(request, commitment_id)


@router.patch(
    "/commitments/{commitment_id}",
    response=CommitmentOut,
    summary="Change what was promised or who promised it (dates move by renegotiation)",
)
def patch_commitment(
    request: HttpRequest, commitment_id: int, payload: CommitmentPatch
) -> CommitmentOut:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    fields = payload.model_dump(exclude_unset=True)
    if "promised_by_id" in fields:
        fields["promised_by"] = _person(request, fields.pop("promised_by_id"), "promised_by_id")
    for name in ("title", "side"):
        if name in fields and fields[name] is None:
            raise ValidationError({name: "this field cannot be null"})
    for name in ("details", "expected"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    with _body_field_names():
        services.commitment_update(actor=request.user, commitment=commitment, **fields)
    return _read(request, commitment_id)


@router.delete("/commitments/{commitment_id}", response={204: None}, summary="Delete a commitment")
def delete_commitment(request: HttpRequest, commitment_id: int) -> Status[None]:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    services.commitment_delete(actor=request.user, commitment=commitment)
    return Status(204, None)


@router.post(
    "/commitments/{commitment_id}/close",
    response=CommitmentOut,
    summary="Close as kept, kept late, broken or cancelled",
)
def close_commitment(request: HttpRequest, commitment_id: int, payload: CloseIn) -> CommitmentOut:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    data = payload.model_dump()
    data["match"] = data["match"] or ""
    services.commitment_close(actor=request.user, commitment=commitment, **data)
    return _read(request, commitment_id)


@router.post(
    "/commitments/{commitment_id}/renegotiate",
    response=CommitmentOut,
    summary="Move the due date by agreement with the client",
)
def renegotiate_commitment(
    request: HttpRequest, commitment_id: int, payload: RenegotiateIn
) -> CommitmentOut:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    services.commitment_renegotiate(
        actor=request.user, commitment=commitment, **payload.model_dump()
    )
    return _read(request, commitment_id)


@router.post(
    "/commitments/{commitment_id}/report-back",
    response=CommitmentOut,
    summary="Record that the client was told how a closed promise ended",
)
def report_back_commitment(
    request: HttpRequest, commitment_id: int, payload: AtIn | None = None
) -> CommitmentOut:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    at = payload.at if payload is not None else None
    services.commitment_report_back(actor=request.user, commitment=commitment, at=at)
    return _read(request, commitment_id)


# Milestones and risks


class MilestoneIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    detail: str = Field("", description="Shown to the client on the tracking page.")
    at: dt.datetime | None = Field(None, description="When; now by default.")


class RiskIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    detail: str = Field("", description="Internal notes.")
    severity: Severity = "medium"
    raised_at: dt.datetime | None = Field(None, description="Now by default.")
    disclosed_at: dt.datetime | None = Field(None, description="When the client was told.")


@router.post(
    "/commitments/{commitment_id}/milestones",
    response={201: MilestoneOut},
    summary="Add a progress update to an open promise",
    tags=["milestones"],
)
def add_milestone(
    request: HttpRequest, commitment_id: int, payload: MilestoneIn
) -> Status[MilestoneOut]:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    milestone = services.milestone_add(
        actor=request.user, commitment=commitment, **payload.model_dump()
    )
    return Status(201, milestone_out(milestone))


@router.delete("/milestones/{milestone_id}", response={204: None}, tags=["milestones"])
def delete_milestone(request: HttpRequest, milestone_id: int) -> Status[None]:
    milestone = queries.milestone_for(request.user, milestone_id, write=True)
    services.milestone_delete(actor=request.user, milestone=milestone)
    return Status(204, None)


@router.post(
    "/commitments/{commitment_id}/risks",
    response={201: RiskOut},
    summary="Raise a risk to an open promise",
    tags=["risks"],
)
def add_risk(request: HttpRequest, commitment_id: int, payload: RiskIn) -> Status[RiskOut]:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    risk = services.risk_add(actor=request.user, commitment=commitment, **payload.model_dump())
    return Status(201, risk_out(risk))


@router.post(
    "/risks/{risk_id}/disclose",
    response=RiskOut,
    summary="Record that the client was told of the risk",
    tags=["risks"],
)
def disclose_risk(request: HttpRequest, risk_id: int, payload: AtIn | None = None) -> RiskOut:
    risk = queries.risk_for(request.user, risk_id, write=True)
    at = payload.at if payload is not None else None
    return risk_out(services.risk_disclose(actor=request.user, risk=risk, at=at))


@router.post(
    "/risks/{risk_id}/resolve",
    response=RiskOut,
    summary="Record that the risk passed or was dealt with",
    tags=["risks"],
)
def resolve_risk(request: HttpRequest, risk_id: int, payload: AtIn | None = None) -> RiskOut:
    risk = queries.risk_for(request.user, risk_id, write=True)
    at = payload.at if payload is not None else None
    return risk_out(services.risk_resolve(actor=request.user, risk=risk, at=at))


# Meetings and decisions


class DecisionOut(Schema):
    id: int
    text: str
    commitment_id: int | None
    no_follow_up: bool
    followed_up: bool


class MeetingOut(Schema):
    interaction_id: int
    agenda_shared_at: dt.datetime | None
    materials_sent_at: dt.datetime | None
    materials_lead_hours: float | None = Field(
        ..., description="How many hours before the meeting the materials went out."
    )
    decisions: list[DecisionOut]


class MeetingIn(Schema):
    agenda_shared_at: dt.datetime | None = Field(None, description="Null clears it.")
    materials_sent_at: dt.datetime | None = Field(None, description="Null clears it.")


class DecisionIn(Schema):
    text: str = Field(..., min_length=1, max_length=300)


class FollowUpIn(Schema):
    side: Side = Field(..., description="Who owns the follow-up: our side or the client's.")
    due_on: dt.date
    due_time: dt.time | None = None
    promised_by_id: int | None = None
    person_id: int | None = Field(
        None, description="The client; by default someone else who was in the meeting."
    )
    organisation_id: int | None = None
    title: str = Field("", max_length=300, description="The decision's text by default.")
    expected: str = ""


def decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(
        id=d.pk,
        text=d.text,
        commitment_id=d.commitment_id,
        no_follow_up=d.no_follow_up,
        followed_up=d.followed_up,
    )


def _meeting(request: HttpRequest, interaction_id: int) -> MeetingOut:
    interaction = interaction_for(request.user, interaction_id)
    meeting, decisions = queries.meeting_hygiene(interaction)
    lead = None
    if meeting is not None and meeting.materials_sent_at is not None:
        lead = round(
            (interaction.occurred_at - meeting.materials_sent_at).total_seconds() / 3600, 2
        )
    return MeetingOut(
        interaction_id=interaction.pk,
        agenda_shared_at=meeting.agenda_shared_at if meeting else None,
        materials_sent_at=meeting.materials_sent_at if meeting else None,
        materials_lead_hours=lead,
        decisions=[decision_out(d) for d in decisions],
    )


@router.get(
    "/meetings/{interaction_id}",
    response=MeetingOut,
    summary="A meeting's hygiene: agenda, materials and decisions",
    tags=["meetings"],
)
def get_meeting(request: HttpRequest, interaction_id: int) -> MeetingOut:
    return _meeting(request, interaction_id)


@router.put(
    "/meetings/{interaction_id}",
    response=MeetingOut,
    summary="Record when the agenda was shared and the materials sent",
    tags=["meetings"],
)
def put_meeting(request: HttpRequest, interaction_id: int, payload: MeetingIn) -> MeetingOut:
    interaction = interaction_for(request.user, interaction_id, write=True)
    services.meeting_update(actor=request.user, interaction=interaction, **payload.model_dump())
    return _meeting(request, interaction_id)


@router.post(
    "/meetings/{interaction_id}/decisions",
    response={201: DecisionOut},
    summary="Record a decision made in the meeting",
    tags=["meetings"],
)
def add_decision(
    request: HttpRequest, interaction_id: int, payload: DecisionIn
) -> Status[DecisionOut]:
    interaction = interaction_for(request.user, interaction_id, write=True)
    decision = services.decision_add(actor=request.user, interaction=interaction, text=payload.text)
    return Status(201, decision_out(decision))


@router.post(
    "/decisions/{decision_id}/follow-up",
    response={201: CommitmentOut},
    summary="Turn a decision into a commitment with an owner",
    tags=["meetings"],
)
def follow_up_decision(
    request: HttpRequest, decision_id: int, payload: FollowUpIn
) -> Status[CommitmentOut]:
    decision = queries.decision_for(request.user, decision_id, write=True)
    data = payload.model_dump()
    data["person"] = _person(request, data.pop("person_id"), "person_id")
    data["organisation"] = _organisation(request, data.pop("organisation_id"))
    data["promised_by"] = _person(request, data.pop("promised_by_id"), "promised_by_id")
    with _body_field_names():
        commitment = services.decision_follow_up(actor=request.user, decision=decision, **data)
    return Status(201, _read(request, commitment.pk))


@router.post(
    "/decisions/{decision_id}/dismiss",
    response=DecisionOut,
    summary="Mark a decision as needing no follow-up",
    tags=["meetings"],
)
def dismiss_decision(request: HttpRequest, decision_id: int) -> DecisionOut:
    decision = queries.decision_for(request.user, decision_id, write=True)
    return decision_out(services.decision_dismiss(actor=request.user, decision=decision))


# The agenda


class AgendaItemOut(Schema):
    kind: str
    title: str
    url: str
    when: str | None
    who: str
    detail: str
    days: int | None
    urgent: bool


class AgendaSectionOut(Schema):
    heading: str
    count: int = Field(..., description="All of them; `items` holds the most urgent.")
    items: list[AgendaItemOut]


class AgendaSectionsOut(Schema):
    commitments: AgendaSectionOut
    risks: AgendaSectionOut
    unreported: AgendaSectionOut
    decisions: AgendaSectionOut
    birthdays: AgendaSectionOut
    going_cold: AgendaSectionOut
    thank_referrers: AgendaSectionOut
    stoploss: AgendaSectionOut


class AgendaOut(Schema):
    user: str
    date: dt.date
    time_zone: str
    total: int
    sections: AgendaSectionsOut


class AgendaParams(Schema):
    date: dt.date | None = Field(
        None,
        ge=dt.date(1900, 1, 1),
        le=dt.date(9000, 12, 31),
        description="The day (YYYY-MM-DD); your today by default.",
    )


@router.get("/agenda", response=AgendaOut, summary="Your agenda for a day", tags=["agenda"])
def get_agenda(request: HttpRequest, params: Query[AgendaParams]) -> dict[str, Any]:
    return agenda_for(request.user, day=params.date).as_json()


# Share links


class ShareLinkOut(Schema):
    id: int
    person: PersonRef | None
    organisation: OrganisationRef | None
    language: str
    prefix: str = Field(..., description="The token's first characters, to tell links apart.")
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool
    view_count: int
    last_viewed_at: dt.datetime | None


class ShareLinkCreated(ShareLinkOut):
    token: str = Field(..., description="Shown this once; only its SHA-256 digest is kept.")
    url: str


class ShareLinkPage(Page):
    items: list[ShareLinkOut]


class ShareLinkFilters(PageParams):
    person_id: int | None = None
    organisation_id: int | None = None


class ShareLinkIn(Schema):
    person_id: int | None = Field(None, description="Exactly one of person_id, organisation_id.")
    organisation_id: int | None = None
    language: str | None = Field(
        None, max_length=10, description="The client's language (en, zh-hans); yours by default."
    )
    days: int = Field(portal_services.DEFAULT_LINK_DAYS, ge=1, le=portal_services.MAX_LINK_DAYS)


def share_link_out(link: ShareLink, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    organisation = link.organisation
    return {
        "id": link.pk,
        "person": _ref(link.person),
        "organisation": {"id": organisation.pk, "name": organisation.name}
        if organisation
        else None,
        "language": link.language,
        "prefix": link.prefix,
        "created_by": link.created_by.get_username(),
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "active": link.revoked_at is None and link.expires_at > now,
        "view_count": link.view_count,
        "last_viewed_at": link.last_viewed_at,
    }


@router.get(
    "/share-links", response=ShareLinkPage, summary="Clients' share links", tags=["share links"]
)
def list_share_links(request: HttpRequest, filters: Query[ShareLinkFilters]) -> dict[str, Any]:
    qs = portal_queries.visible_share_links(request.user).select_related(
        "person", "organisation", "created_by"
    )
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.organisation_id is not None:
        qs = qs.filter(organisation_id=filters.organisation_id)
    qs = qs.order_by("-created_at", "-id")
    now = timezone.now()
    items = [
        share_link_out(link, now) for link in qs[filters.offset : filters.offset + filters.limit]
    ]
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post(
    "/share-links",
    response={201: ShareLinkCreated},
    summary="Make a tracking link for a client (the token is shown once)",
    tags=["share links"],
)
def create_share_link(request: HttpRequest, payload: ShareLinkIn) -> Status[dict[str, Any]]:
    person = _person(request, payload.person_id, "person_id")
    organisation = _organisation(request, payload.organisation_id)
    with _body_field_names():
        link, token = portal_services.share_link_create(
            actor=request.user,
            person=person,
            organisation=organisation,
            language=payload.language,
            days=payload.days,
        )
    body = share_link_out(portal_queries.share_link_for(request.user, link.pk))
    body.update(token=token, url=reverse("tracking_page", args=[token]))
    return Status(201, body)


@router.post(
    "/share-links/{link_id}/revoke",
    response=ShareLinkOut,
    summary="Revoke a share link; it stops working at once",
    tags=["share links"],
)
def revoke_share_link(request: HttpRequest, link_id: int) -> dict[str, Any]:
    link = portal_queries.share_link_for(request.user, link_id, write=True)
    portal_services.share_link_revoke(actor=request.user, link=link)
    return share_link_out(portal_queries.share_link_for(request.user, link_id))


# Calendar feeds


class CalendarFeedOut(Schema):
    id: int
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool
    last_fetched_at: dt.datetime | None


class CalendarFeedCreated(CalendarFeedOut):
    token: str = Field(..., description="Shown this once; only its SHA-256 digest is kept.")
    url: str


class CalendarFeedPage(Page):
    items: list[CalendarFeedOut]


def calendar_feed_out(feed: CalendarFeed) -> dict[str, Any]:
    return {
        "id": feed.pk,
        "prefix": feed.prefix,
        "created_at": feed.created_at,
        "revoked_at": feed.revoked_at,
        "active": feed.revoked_at is None,
        "last_fetched_at": feed.last_fetched_at,
    }


@router.get(
    "/calendar-feeds",
    response=CalendarFeedPage,
    summary="Your calendar feeds",
    tags=["calendar feeds"],
)
def list_calendar_feeds(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    feeds = portal_queries.calendar_feeds(request.user)
    items = [calendar_feed_out(f) for f in feeds[page.offset : page.offset + page.limit]]
    return {"count": len(feeds), "limit": page.limit, "offset": page.offset, "items": items}


@router.post(
    "/calendar-feeds",
    response={201: CalendarFeedCreated},
    summary="Make a secret calendar address (the token is shown once)",
    tags=["calendar feeds"],
)
def create_calendar_feed(request: HttpRequest) -> Status[dict[str, Any]]:
    feed, token = portal_services.calendar_feed_create(actor=request.user)
    body = calendar_feed_out(feed)
    body.update(token=token, url=reverse("calendar_feed", args=[token]))
    return Status(201, body)


@router.post(
    "/calendar-feeds/{feed_id}/revoke",
    response=CalendarFeedOut,
    summary="Revoke a calendar feed; it stops working at once",
    tags=["calendar feeds"],
)
def revoke_calendar_feed(request: HttpRequest, feed_id: int) -> dict[str, Any]:
    feed = portal_queries.calendar_feed_for(request.user, feed_id, write=True)
    return calendar_feed_out(portal_services.calendar_feed_revoke(actor=request.user, feed=feed))
