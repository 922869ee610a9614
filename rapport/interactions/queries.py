"""Reads of the interaction log, filtered to what the actor may see."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from rapport.interactions.models import Interaction, Participation
from rapport.people.models import Person, Visibility


def visible_interactions(actor: Any) -> QuerySet[Interaction]:
    return Interaction.objects.filter(team_id=actor.member.team_id).filter(
        Q(visibility=Visibility.TEAM) | Q(owner_id=actor.pk)
    )


def interaction_for(actor: Any, interaction_id: int | str, *, write: bool = False) -> Interaction:
    """The interaction if the actor may see it; else Http404."""
    try:
        return visible_interactions(actor).get(pk=int(interaction_id))
    except (Interaction.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such interaction") from exc


def _with_participants(actor: Any, qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
    """Load participants, keeping only those the actor may see: a colleague's private
    contact never shows up by name, even on an interaction the actor may see."""
    from rapport.people.queries import visible_people

    return qs.prefetch_related(
        Prefetch(
            "participants",
            queryset=visible_people(actor).only("id", "display_name").order_by("display_name"),
        )
    )


def person_timeline(actor: Any, person: Person, *, limit: int = 50) -> list[Interaction]:
    """The person's most recent interactions the actor may see, newest first.

    Reads the (person, occurred_at) index of participations, then the interactions."""
    ids = list(
        Participation.objects.filter(person=person)
        .order_by("-occurred_at")
        .values_list("interaction_id", flat=True)[: limit * 2]
    )
    qs = visible_interactions(actor).filter(pk__in=ids).order_by("-occurred_at", "-id")
    return list(_with_participants(actor, qs)[:limit])


def interactions_search(
    actor: Any,
    *,
    person_id: int | None = None,
    kind: str | None = None,
    focus: str | None = None,
    topic: str | None = None,
    since: Any = None,
    until: Any = None,
) -> QuerySet[Interaction]:
    qs = visible_interactions(actor)
    if person_id is not None:
        qs = qs.filter(participations__person_id=person_id)
    if kind:
        qs = qs.filter(kind=kind)
    if focus:
        qs = qs.filter(focus=focus)
    if topic:
        wanted = topic.strip().lower()
        # SQLite keeps JSON text with \uXXXX escapes for non-ASCII (PostgreSQL does not),
        # so match the escaped spelling too: 高尔夫 is stored as "\u9ad8\u5c14\u592b".
        escaped = json.dumps(wanted)[1:-1]
        qs = qs.filter(Q(topics__icontains=wanted) | Q(topics__icontains=escaped))
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lt=until)
    return _with_participants(actor, qs.order_by("-occurred_at", "-id"))


def monthly_activity(actor: Any, *, months: int, now: dt.datetime) -> list[tuple[dt.date, int]]:
    """Interactions the actor may see per calendar month (in the active time zone),
    oldest first, for the last `months` months including the current one."""
    local_now = timezone.localtime(now)
    first = local_now.date().replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    starts.reverse()
    since = timezone.make_aware(dt.datetime.combine(starts[0], dt.time()))
    counts = dict(
        visible_interactions(actor)
        .filter(occurred_at__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values_list("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    by_date = {(m.date() if isinstance(m, dt.datetime) else m): n for m, n in counts.items()}
    return [(start, by_date.get(start, 0)) for start in starts]


def recent_interactions(actor: Any, *, limit: int = 8) -> list[Interaction]:
    return list(
        _with_participants(actor, visible_interactions(actor).order_by("-occurred_at"))[:limit]
    )


def going_cold(actor: Any, *, now: dt.datetime, limit: int = 10) -> list[tuple[Person, int]]:
    """People with a wanted contact cadence whose silence has outrun it, most overdue
    first, with the days overdue."""
    from rapport.people.queries import visible_people

    rows = []
    for person in (
        visible_people(actor)
        .filter(contact_cadence_days__isnull=False)
        .only("id", "display_name", "contact_cadence_days", "last_interaction_at", "created_at")
    ):
        last = person.last_interaction_at or person.created_at
        due = last + dt.timedelta(days=person.contact_cadence_days or 0)
        if due < now:
            rows.append((person, (now - due).days))
    rows.sort(key=lambda pair: -pair[1])
    return rows[:limit]


def organisation_timeline(actor: Any, organisation: Any, *, limit: int = 20) -> list[Interaction]:
    """Recent interactions the actor may see with anyone who holds or held a role there."""
    qs = (
        visible_interactions(actor)
        .filter(participations__person__roles__organisation=organisation)
        .distinct()
        .order_by("-occurred_at", "-id")
    )
    return list(_with_participants(actor, qs)[:limit])
