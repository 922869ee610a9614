"""Reads of promises for pages, the API, the agenda and the client tracking page.

Every `*_for(actor, id)` answers 404 when the record is not the actor's to see: another
team's, or tied to a colleague's private contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from rapport.commitments import deadlines
from rapport.commitments.models import Commitment, Decision, Milestone, Renegotiation, Risk
from rapport.interactions.queries import visible_interactions
from rapport.people.models import Organisation, Person, Visibility


def visible_commitments(actor: Any) -> QuerySet[Commitment]:
    return Commitment.objects.filter(team_id=actor.member.team_id).filter(
        Q(visibility=Visibility.TEAM) | Q(owner_id=actor.pk)
    )


def with_history(qs: QuerySet[Commitment]) -> QuerySet[Commitment]:
    """Commitments with everything their card shows, in a fixed number of queries."""
    return qs.select_related("person", "organisation", "promised_by", "owner").prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("at", "id")),
        Prefetch("risks", queryset=Risk.objects.order_by("raised_at", "id")),
        Prefetch("renegotiations", queryset=Renegotiation.objects.order_by("at", "id")),
    )


def commitment_for(actor: Any, commitment_id: int | str, *, write: bool = False) -> Commitment:
    try:
        return with_history(visible_commitments(actor)).get(pk=int(commitment_id))
    except (Commitment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such commitment") from exc


def milestone_for(actor: Any, milestone_id: int | str, *, write: bool = False) -> Milestone:
    try:
        return Milestone.objects.select_related("commitment__team").get(
            pk=int(milestone_id), commitment__in=visible_commitments(actor)
        )
    except (Milestone.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such milestone") from exc


def risk_for(actor: Any, risk_id: int | str, *, write: bool = False) -> Risk:
    try:
        return Risk.objects.select_related("commitment__team").get(
            pk=int(risk_id), commitment__in=visible_commitments(actor)
        )
    except (Risk.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such risk") from exc


def decision_for(actor: Any, decision_id: int | str, *, write: bool = False) -> Decision:
    try:
        return Decision.objects.select_related("interaction__team", "commitment").get(
            pk=int(decision_id), interaction__in=visible_interactions(actor)
        )
    except (Decision.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such decision") from exc


def party_for(actor: Any, person: Person | None) -> Person | None:
    """A person named on a commitment (its client or who promised it), if the actor may
    see them; None for a colleague's private contact (say, one made private after the
    promise was recorded), who is never named."""
    if person is None:
        return None
    visible = person.team_id == actor.member.team_id and (
        person.visibility == Visibility.TEAM or person.owner_id == actor.pk
    )
    return person if visible else None


def commitments_search(
    actor: Any,
    *,
    status: str | None = None,
    side: str | None = None,
    person_id: int | None = None,
    organisation_id: int | None = None,
    due_before: dt.datetime | None = None,
    overdue_at: dt.datetime | None = None,
    mine: bool = False,
) -> QuerySet[Commitment]:
    """Filtered commitments, soonest deadline first."""
    qs = visible_commitments(actor)
    if status:
        qs = qs.filter(status=status)
    if side:
        qs = qs.filter(side=side)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if due_before is not None:
        qs = qs.filter(due_at__lt=due_before)
    if overdue_at is not None:
        qs = qs.filter(status=Commitment.Status.OPEN, due_at__lte=overdue_at)
    if mine:
        qs = qs.filter(_mine(actor))
    return qs.order_by("due_at", "id")


def _mine(actor: Any, prefix: str = "") -> Q:
    """Promises the actor recorded or made (`prefix` to reach them from a related model)."""
    person_id = actor.member.person_id
    mine = Q(**{f"{prefix}owner_id": actor.pk})
    if person_id:
        mine |= Q(**{f"{prefix}promised_by_id": person_id})
    return mine


CARD_FIELDS = (
    "id",
    "title",
    "side",
    "status",
    "due_on",
    "due_time",
    "time_zone",
    "due_at",
    "closed_at",
    "person_id",
    "organisation_id",
)


def commitments_with(
    actor: Any, *, person: Person | None = None, organisation: Organisation | None = None
) -> list[Commitment]:
    """A client's commitments for their card, each with `undisclosed_risks`: open ones
    first by deadline, then the closed ones, most recently closed first. For an
    organisation, promises made to its people count too."""
    qs = visible_commitments(actor)
    if person is not None:
        # The person is the actor's team's (the caller resolved it through person_for),
        # so no team test: it would lead SQLite to walk the team's index over every
        # promise instead of the person's.
        qs = Commitment.objects.filter(person=person).filter(
            Q(visibility=Visibility.TEAM) | Q(owner_id=actor.pk)
        )
    elif organisation is not None:
        qs = qs.filter(
            Q(organisation=organisation) | Q(person__roles__organisation=organisation)
        ).distinct()
    # The card shows each promise's title, side, due date and status, and flags an
    # undisclosed risk: load that much, not the whole history.
    items: list[Commitment] = list(
        qs.only(*CARD_FIELDS).prefetch_related(
            Prefetch(
                "risks",
                queryset=Risk.objects.filter(
                    disclosed_at__isnull=True, resolved_at__isnull=True
                ).only("id", "title", "commitment_id", "disclosed_at", "resolved_at"),
                to_attr="undisclosed_risks",
            )
        )
    )
    open_items = sorted((c for c in items if c.is_open), key=lambda c: (c.due_at, c.pk))
    closed = sorted(
        (c for c in items if not c.is_open),
        key=lambda c: (c.closed_at or c.due_at, c.pk),
        reverse=True,
    )
    return open_items + closed


def record_for(commitments: list[Commitment]) -> deadlines.Record:
    """Our on-time record: how many promises by our side were kept, kept late, broken."""
    return deadlines.record_of([c.status for c in commitments if c.side == "ours"])


def meeting_hygiene(interaction: Any) -> tuple[Any, list[Decision]]:
    """A meeting's hygiene record (or None) and its decisions."""
    from rapport.commitments.models import Meeting

    meeting = Meeting.objects.filter(interaction=interaction).first()
    decisions = list(
        Decision.objects.filter(interaction=interaction).select_related("commitment").order_by("id")
    )
    return meeting, decisions
