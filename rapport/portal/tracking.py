"""What a client's tracking page shows, built as plain data so that nothing internal
(notes, undisclosed risks, other clients, closing notes, what we think of their
expectations) can reach the template by accident."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from rapport.commitments import deadlines
from rapport.commitments.models import Commitment, Milestone, Renegotiation, Risk
from rapport.core.charts import share_bar
from rapport.people.models import Visibility
from rapport.portal.models import ShareLink

# Closed promises older than this drop off the page; open ones always show.
HISTORY_DAYS = 365


@dataclass(frozen=True)
class Move:
    at: dt.datetime
    old_due_on: dt.date
    new_due_on: dt.date


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    title: str
    detail: str = ""


@dataclass(frozen=True)
class DisclosedRisk:
    title: str
    disclosed_at: dt.datetime
    resolved: bool


@dataclass
class Promise:
    title: str
    status: str
    status_label: str
    made_at: dt.datetime
    due_on: dt.date
    first_due_on: dt.date
    overdue: bool
    closed_at: dt.datetime | None
    moves: list[Move] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    risks: list[DisclosedRisk] = field(default_factory=list)


@dataclass
class TrackingPage:
    client: str
    team: str
    promises: list[Promise]
    record: deadlines.Record
    chart: str
    expires_at: dt.datetime


def _commitments(link: ShareLink, since: dt.datetime) -> list[Commitment]:
    # No team filter: the link's client is its team's (share_link_create checks), and
    # without statistics SQLite would walk the team index over every promise instead of
    # the client's index.
    qs = Commitment.objects.filter(side="ours")
    if link.person_id is not None:
        qs = qs.filter(person_id=link.person_id)
    else:
        # An organisation's page: promises made to it, not to a colleague's private contact.
        qs = qs.filter(organisation=link.organisation).filter(
            Q(visibility=Visibility.TEAM) | Q(owner_id=link.created_by_id)
        )
    qs = qs.filter(Q(status="open") | Q(closed_at__gte=since))
    return list(
        qs.prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("at", "id")),
            Prefetch("renegotiations", queryset=Renegotiation.objects.order_by("at", "id")),
            Prefetch(
                "risks",
                queryset=Risk.objects.filter(disclosed_at__isnull=False).order_by("disclosed_at"),
                to_attr="disclosed_risks",
            ),
        ).order_by("due_at", "id")
    )


def tracking_view(link: ShareLink, *, now: dt.datetime) -> TrackingPage:
    """The page for a live link, in the active (the client's) language."""
    items = _commitments(link, now - dt.timedelta(days=HISTORY_DAYS))
    promises = []
    for c in items:
        moves = [Move(r.at, r.old_due_on, r.new_due_on) for r in c.renegotiations.all()]
        promises.append(
            Promise(
                title=c.title,
                status=c.status,
                status_label=str(c.get_status_display()),
                made_at=c.made_at,
                due_on=c.due_on,
                first_due_on=moves[0].old_due_on if moves else c.due_on,
                overdue=c.is_open and deadlines.is_overdue(c.due_at, now),
                closed_at=c.closed_at,
                moves=moves,
                steps=[Step(m.at, m.title, m.detail) for m in c.milestones.all()],
                risks=[
                    DisclosedRisk(r.title, r.disclosed_at, r.resolved_at is not None)
                    for r in c.disclosed_risks  # type: ignore[attr-defined]
                    if r.disclosed_at is not None
                ],
            )
        )
    open_first = sorted(promises, key=lambda p: (p.status != "open", p.due_on))
    record = deadlines.record_of([c.status for c in items])
    chart = share_bar(
        [
            (_("On time"), record.kept, "kept"),
            (_("Late"), record.kept_late, "late"),
            (_("Not kept"), record.broken, "broken"),
        ],
        title=_("Our on-time record"),
    )
    client = (
        link.person.display_name
        if link.person
        else link.organisation.name
        if link.organisation
        else ""
    )
    return TrackingPage(
        client=client,
        team=link.team.name,
        promises=open_first,
        record=record,
        chart=chart,
        expires_at=link.expires_at,
    )
