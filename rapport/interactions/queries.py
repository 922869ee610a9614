"""Reads of the interaction log, filtered to what the actor may see."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rapport.interactions.models import Interaction, Participation, Signal
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


class ParticipantRef(NamedTuple):
    pk: int
    display_name: str


# The two groups of moments a user can tick when logging an interaction.
LISTENING = (
    Signal.Kind.SUMMARISED_FIRST,
    Signal.Kind.ANSWERED_TOO_SOON,
    Signal.Kind.PRICE_PRESSURE,
    Signal.Kind.UNSOLICITED_UPSELL,
)
OPENNESS = (Signal.Kind.THEY_OPENED_UP, Signal.Kind.WE_OPENED_UP, Signal.Kind.BOUNDARY_CROSSED)
SIGNAL_GROUPS: tuple[tuple[Promise, tuple[Signal.Kind, ...]], ...] = (
    (_("Listening"), LISTENING),
    (_("Openness"), OPENNESS),
)
# The moments that cost trust: they raise self-orientation (S) or, for a boundary
# crossed, lower intimacy (I). Their chips stand out on the timeline.
HURTS_TRUST = frozenset(
    {
        Signal.Kind.ANSWERED_TOO_SOON,
        Signal.Kind.PRICE_PRESSURE,
        Signal.Kind.UNSOLICITED_UPSELL,
        Signal.Kind.BOUNDARY_CROSSED,
    }
)
# Short names for the chips; the full sentence (the kind's label) is the chip's title.
CHIP_LABELS: dict[str, Promise] = {
    Signal.Kind.SUMMARISED_FIRST: _("summarised first"),
    Signal.Kind.ANSWERED_TOO_SOON: _("answered too soon"),
    Signal.Kind.PRICE_PRESSURE: _("price pressure"),
    Signal.Kind.UNSOLICITED_UPSELL: _("unsolicited upsell"),
    Signal.Kind.THEY_OPENED_UP: _("they opened up"),
    Signal.Kind.WE_OPENED_UP: _("we opened up"),
    Signal.Kind.BOUNDARY_CROSSED: _("boundary crossed"),
}


class SignalChip(NamedTuple):
    kind: str
    label: Promise
    title: Promise
    hurts: bool


def signal_chip(kind: str) -> SignalChip:
    return SignalChip(kind, CHIP_LABELS[kind], Signal.Kind(kind).label, kind in HURTS_TRUST)


def attach_participants(actor: Any, interactions: Iterable[Interaction]) -> list[Interaction]:
    """Set `visible_participants` on each interaction: the people in it the actor may
    see, by name (a colleague's private contact is never named), and `signal_chips`:
    its recorded moments in a fixed order. Two queries, driven by the participation and
    signal rows of just these interactions, whatever their number."""
    items = list(interactions)
    people: dict[int, list[ParticipantRef]] = defaultdict(list)
    rows = Participation.objects.filter(interaction_id__in=[i.pk for i in items]).values_list(
        "interaction_id",
        "person_id",
        "person__display_name",
        "person__visibility",
        "person__owner_id",
    )
    for interaction_id, person_id, name, visibility, owner_id in rows:
        if visibility == Visibility.TEAM or owner_id == actor.pk:
            people[interaction_id].append(ParticipantRef(person_id, name))
    kinds: dict[int, set[str]] = defaultdict(set)
    for interaction_id, kind in Signal.objects.filter(
        interaction_id__in=[i.pk for i in items]
    ).values_list("interaction_id", "kind"):
        kinds[interaction_id].add(kind)
    for interaction in items:
        interaction.visible_participants = sorted(  # type: ignore[attr-defined]
            people.get(interaction.pk, []), key=lambda ref: ref.display_name
        )
        recorded = kinds.get(interaction.pk, set())
        interaction.signal_chips = [  # type: ignore[attr-defined]
            signal_chip(kind) for kind in Signal.Kind.values if kind in recorded
        ]
    return items


TIMELINE_PAGE = 15


def person_timeline(
    actor: Any, person: Person, *, limit: int = TIMELINE_PAGE, before: dt.datetime | None = None
) -> list[Interaction]:
    """The person's interactions the actor may see, newest first, `limit` at a time
    (older than `before` for the next page).

    Reads the (person, occurred_at) index of participations, then those interactions."""
    rows = Participation.objects.filter(person=person)
    if before is not None:
        rows = rows.filter(occurred_at__lt=before)
    ids = list(rows.order_by("-occurred_at").values_list("interaction_id", flat=True)[: limit * 2])
    # Fetch by primary key and sort here: ordered in SQL, SQLite walks the team's
    # (team, occurred_at) index over millions of rows looking for these few ids.
    found = list(visible_interactions(actor).filter(pk__in=ids).order_by())
    found.sort(key=lambda i: (i.occurred_at, i.pk), reverse=True)
    return attach_participants(actor, found[:limit])


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
    return qs.order_by("-occurred_at", "-id")


def monthly_activity(actor: Any, *, months: int, now: dt.datetime) -> list[tuple[dt.date, int]]:
    """Interactions the actor may see per calendar month (in the active time zone),
    oldest first, for the last `months` months including the current one."""
    local_now = timezone.localtime(now)
    first = local_now.date().replace(day=1)
    starts = []
    for _month in range(months):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    starts.reverse()
    bounds = [timezone.make_aware(dt.datetime.combine(d, dt.time())) for d in starts]
    next_month = (starts[-1] + dt.timedelta(days=32)).replace(day=1)
    bounds.append(timezone.make_aware(dt.datetime.combine(next_month, dt.time())))
    # One range count per month on the (team, occurred_at, visibility, owner) index:
    # truncating every row's date to its month reads the table, which is slow at
    # millions of interactions.
    visible = visible_interactions(actor).order_by()
    return [
        (start, visible.filter(occurred_at__gte=low, occurred_at__lt=high).count())
        for start, low, high in zip(starts, bounds, bounds[1:], strict=False)
    ]


def recent_interactions(actor: Any, *, limit: int = 8) -> list[Interaction]:
    return attach_participants(actor, visible_interactions(actor).order_by("-occurred_at")[:limit])


def _people_of(actor: Any, owned_only: bool) -> Any:
    """The people the actor may see, or only their own (always visible to them, so
    without the visibility test, which lets the owner indexes cover the query)."""
    from rapport.people.queries import visible_people

    if owned_only:
        return Person.objects.filter(team_id=actor.member.team_id, owner_id=actor.pk).order_by()
    return visible_people(actor).order_by()


def going_cold(
    actor: Any, *, now: dt.datetime, limit: int = 10, owned_only: bool = False
) -> list[tuple[Person, int]]:
    """People with a wanted contact cadence whose silence has outrun it, most overdue
    first, with the days overdue. With `owned_only`, only the actor's own people."""
    visible = _people_of(actor, owned_only)
    cadences = (
        Person.objects.filter(team_id=actor.member.team_id, contact_cadence_days__isnull=False)
        .order_by()
        .values_list("contact_cadence_days", flat=True)
        .distinct()
    )
    overdue: list[tuple[int, int]] = []
    for cadence in cadences:
        if cadence is None:
            continue
        # Within one cadence the longest silent are the most overdue: an index range
        # on (team, cadence, last contact) gives them first.
        cutoff = now - dt.timedelta(days=cadence)
        silent = visible.filter(contact_cadence_days=cadence, last_interaction_at__lt=cutoff)
        never = visible.filter(
            contact_cadence_days=cadence, last_interaction_at__isnull=True, created_at__lt=cutoff
        )
        for query, field in ((silent, "last_interaction_at"), (never, "created_at")):
            for pk, since in query.order_by(field).values_list("pk", field)[:limit]:
                overdue.append(((now - (since + dt.timedelta(days=cadence))).days, pk))
    overdue.sort(reverse=True)
    top = overdue[:limit]
    people = Person.objects.in_bulk([pk for _days, pk in top])
    return [(people[pk], days) for days, pk in top]


def going_cold_count(actor: Any, *, now: dt.datetime, owned_only: bool = False) -> int:
    """How many people `going_cold` would list without a limit."""
    visible = _people_of(actor, owned_only)
    # The team's cadences come from the covering (team, cadence, ...) index.
    cadences = (
        Person.objects.filter(team_id=actor.member.team_id, contact_cadence_days__isnull=False)
        .order_by()
        .values_list("contact_cadence_days", flat=True)
        .distinct()
    )
    total = 0
    for cadence in cadences:
        if cadence is None:
            continue
        cutoff = now - dt.timedelta(days=cadence)
        total += (
            visible.filter(contact_cadence_days=cadence)
            .filter(
                Q(last_interaction_at__lt=cutoff)
                | Q(last_interaction_at__isnull=True, created_at__lt=cutoff)
            )
            .count()
        )
    return total


def organisation_timeline(actor: Any, organisation: Any, *, limit: int = 20) -> list[Interaction]:
    """Recent interactions the actor may see with anyone who holds or held a role there."""
    qs = (
        visible_interactions(actor)
        .filter(participations__person__roles__organisation=organisation)
        .distinct()
        .order_by("-occurred_at", "-id")
    )
    return attach_participants(actor, qs[:limit])
