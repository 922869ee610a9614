"""The interaction log over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from rapport.interactions import queries, services
from rapport.interactions.models import Interaction, Signal
from rapport.people.api import Page, PageParams, PersonRef
from rapport.people.queries import visible_people

router = Router(tags=["interactions"])

Kind = Literal["meeting", "call", "video", "email", "message", "meal", "event", "note"]
Initiator = Literal["us", "them"]
Focus = Literal["client", "ours", "mutual", "personal"]
SignalKind = Literal[
    "summarised_first",
    "answered_too_soon",
    "price_pressure",
    "unsolicited_upsell",
    "they_opened_up",
    "we_opened_up",
    "boundary_crossed",
]
# Plain strings on the way in, so that a bad kind is refused by the service with the
# field named `signals` (a Literal would name `signals[0]`, unlike the page form).
SIGNALS_HELP = (
    "Moments in the conversation that bear on trust, each kind once: "
    + ", ".join(Signal.Kind.values)
    + ". On a change, the list given replaces the recorded one."
)


class InteractionIn(Schema):
    kind: Kind
    occurred_at: dt.datetime
    duration_minutes: int | None = Field(None, ge=0, le=24 * 60)
    initiated_by: Initiator = "us"
    focus: Focus = "mutual"
    topics: list[str] = []
    summary: str = Field(..., min_length=1, max_length=300)
    notes: str = ""
    participant_ids: list[int] = Field(..., min_length=1)
    external_id: str | None = Field(None, max_length=300)
    signals: list[str] = Field([], description=SIGNALS_HELP)


class InteractionPatch(Schema):
    kind: Kind | None = None
    occurred_at: dt.datetime | None = None
    duration_minutes: int | None = Field(None, ge=0, le=24 * 60)
    initiated_by: Initiator | None = None
    focus: Focus | None = None
    topics: list[str] | None = None
    summary: str | None = Field(None, min_length=1, max_length=300)
    notes: str | None = None
    participant_ids: list[int] | None = Field(None, min_length=1)
    signals: list[str] | None = Field(None, description=SIGNALS_HELP)


class InteractionOut(Schema):
    id: int
    kind: Kind
    occurred_at: dt.datetime
    duration_minutes: int | None
    initiated_by: Initiator
    focus: Focus
    topics: list[str]
    summary: str
    notes: str
    notes_html: str
    visibility: str
    owner: str
    participants: list[PersonRef]
    source: str
    external_id: str | None
    signals: list[SignalKind]


class InteractionPage(Page):
    items: list[InteractionOut]


class InteractionFilters(PageParams):
    person_id: int | None = None
    kind: Kind | None = None
    focus: Focus | None = None
    topic: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def interaction_out(i: Interaction) -> InteractionOut:
    """The API view of an interaction (after `queries.attach_participants`, which also
    reads its signals)."""
    return InteractionOut.model_validate(
        {
            "id": i.pk,
            "kind": i.kind,
            "occurred_at": i.occurred_at,
            "duration_minutes": i.duration_minutes,
            "initiated_by": i.initiated_by,
            "focus": i.focus,
            "topics": i.topics,
            "summary": i.summary,
            "notes": i.notes,
            "notes_html": i.notes_html,
            "visibility": i.visibility,
            "owner": i.owner.get_username(),
            "participants": [
                PersonRef(id=p.pk, display_name=p.display_name)
                for p in i.visible_participants  # type: ignore[attr-defined]
            ],
            "source": i.source,
            "external_id": i.external_id,
            "signals": [chip.kind for chip in i.signal_chips],  # type: ignore[attr-defined]
        }
    )


def _people(request: HttpRequest, ids: list[int]) -> list[Any]:
    found = {p.pk: p for p in visible_people(request.user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({"participant_ids": f"no such person: {missing[0]}"})
    return list(found.values())


def _read(request: HttpRequest, interaction_id: int) -> InteractionOut:
    interaction = queries.interaction_for(request.user, interaction_id)
    return interaction_out(queries.attach_participants(request.user, [interaction])[0])


@router.get("", response=InteractionPage, summary="List interactions")
def list_interactions(request: HttpRequest, filters: Query[InteractionFilters]) -> dict[str, Any]:
    qs = queries.interactions_search(
        request.user,
        person_id=filters.person_id,
        kind=filters.kind,
        focus=filters.focus,
        topic=filters.topic,
        since=filters.since,
        until=filters.until,
    ).select_related("owner")
    page = queries.attach_participants(
        request.user, qs[filters.offset : filters.offset + filters.limit]
    )
    items = [interaction_out(i) for i in page]
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post("", response={201: InteractionOut}, summary="Log an interaction")
def create_interaction(request: HttpRequest, payload: InteractionIn) -> Status[InteractionOut]:
    data = payload.model_dump()
    participants = _people(request, data.pop("participant_ids"))
    interaction = services.interaction_create(
        actor=request.user, participants=participants, source="api", **data
    )
    return Status(201, _read(request, interaction.pk))


@router.get("/{interaction_id}", response=InteractionOut)
def get_interaction(request: HttpRequest, interaction_id: int) -> InteractionOut:
    return _read(request, interaction_id)


@router.patch("/{interaction_id}", response=InteractionOut)
def patch_interaction(
    request: HttpRequest, interaction_id: int, payload: InteractionPatch
) -> InteractionOut:
    interaction = queries.interaction_for(request.user, interaction_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    ids = data.pop("participant_ids", None)
    participants = _people(request, ids) if ids is not None else None
    services.interaction_update(
        actor=request.user, interaction=interaction, participants=participants, **data
    )
    return _read(request, interaction_id)


@router.delete("/{interaction_id}", response={204: None})
def delete_interaction(request: HttpRequest, interaction_id: int) -> Status[None]:
    interaction = queries.interaction_for(request.user, interaction_id, write=True)
    services.interaction_delete(actor=request.user, interaction=interaction)
    return Status(204, None)
