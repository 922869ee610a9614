"""Reads of the gift register for pages, the API and the CLI.

An entry is seen by whoever may see its person: everyone in the team for a shared
client, only the owner for a private contact. Every fetch by id goes through
`gift_for`, which raises Http404 for anything else."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from rapport.core.links import links
from rapport.gifts.models import Direction, Gift, Kind, Occasion
from rapport.people.models import Person
from rapport.people.queries import seen_person


def visible_gifts(actor: Any) -> QuerySet[Gift]:
    return Gift.objects.filter(seen_person(actor), team_id=actor.member.team_id).select_related(
        "person", "organisation", "deal"
    )


def gift_for(actor: Any, gift_id: int | str, *, write: bool = False) -> Gift:
    try:
        pk = int(gift_id)
        if not 0 < pk < 2**63:
            raise Gift.DoesNotExist
        return visible_gifts(actor).get(pk=pk)
    except (Gift.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such gift") from exc


@dataclass
class Register:
    """Entries (the newest `limit` of them, if limited) with the totals of all of them
    per direction and currency, how many there are and how many are over the limits."""

    gifts: list[Gift]
    given: list[tuple[str, Decimal]] = field(default_factory=list)
    received: list[tuple[str, Decimal]] = field(default_factory=list)
    over_limit: int = 0
    count: int = 0


def totals(gifts: list[Gift], direction: str) -> list[tuple[str, Decimal]]:
    """Sums per currency, in currency order: never across currencies."""
    sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for gift in gifts:
        if gift.direction == direction:
            sums[gift.currency] += gift.value
    return sorted(sums.items())


def register(
    actor: Any,
    *,
    direction: str | None = None,
    person: Person | None = None,
    year: int | None = None,
    over_only: bool = False,
    limit: int | None = None,
) -> Register:
    qs = visible_gifts(actor)
    if direction in Direction.values:
        qs = qs.filter(direction=direction)
    if person is not None:
        qs = qs.filter(person=person)
    if year is not None:
        qs = qs.filter(given_on__year=year)
    if over_only:
        qs = qs.filter(over_limit=True)
    # Summed here from the Decimal values, not in SQL: SQLite would add them as floats.
    sums: dict[str, dict[str, Decimal]] = {
        Direction.GIVEN: defaultdict(lambda: Decimal("0.00")),
        Direction.RECEIVED: defaultdict(lambda: Decimal("0.00")),
    }
    count = over = 0
    for way, currency, value, flagged in qs.order_by().values_list(
        "direction", "currency", "value", "over_limit"
    ):
        sums[way][currency] += value
        count += 1
        over += bool(flagged)
    ordered = qs.order_by("-given_on", "-id")
    gifts = _labelled(list(ordered if limit is None else ordered[:limit]))
    return Register(
        gifts=gifts,
        given=sorted(sums[Direction.GIVEN].items()),
        received=sorted(sums[Direction.RECEIVED].items()),
        over_limit=over,
        count=count,
    )


def _labelled(gifts: list[Gift]) -> list[Gift]:
    """The entries with their choices in words and their links, worked out once for the
    page (Django's get_FOO_display hashes every lazily translated choice on each call:
    a third of the register's time with 200 rows)."""
    direction = {value: str(label) for value, label in Direction.choices}
    kind = {value: str(label) for value, label in Kind.choices}
    occasion = {value: str(label) for value, label in Occasion.choices}
    person_url, edit_url = links("person_detail"), links("gift_edit")
    for gift in gifts:
        vars(gift).update(
            direction_label=direction.get(gift.direction, gift.direction),
            kind_label=kind.get(gift.kind, gift.kind),
            occasion_label=occasion.get(gift.occasion, gift.occasion),
            person_url=person_url(gift.person_id),
            edit_url=edit_url(gift.pk),
        )
    return gifts


def years(actor: Any) -> list[int]:
    return sorted(
        {d.year for d in visible_gifts(actor).values_list("given_on", flat=True)}, reverse=True
    )


def gift_as_json(gift: Gift) -> dict[str, Any]:
    return {
        "id": gift.pk,
        "person": {"id": gift.person_id, "name": gift.person.display_name},
        "organisation": {"id": gift.organisation_id, "name": gift.organisation.name}
        if gift.organisation
        else None,
        "deal": {"id": gift.deal_id, "name": gift.deal.title} if gift.deal else None,
        "direction": gift.direction,
        "kind": gift.kind,
        "description": gift.description,
        "occasion": gift.occasion,
        "given_on": gift.given_on.isoformat(),
        "value": str(gift.value),
        "currency": gift.currency,
        "over_limit": gift.over_limit,
        "limits_crossed": [x for x in gift.limits_crossed.split(",") if x],
        "reason": gift.reason,
    }
