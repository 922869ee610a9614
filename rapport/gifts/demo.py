"""The demo book's gift register: the team's policy and a few believable entries both
ways (mooncakes at Mid-Autumn, a dinner, a Spring Festival gift received, and one gift
over the limit, given with a reason)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from lunardate import LunarDate

from rapport.accounts.models import Team
from rapport.deals.queries import team_currency
from rapport.gifts import services
from rapport.people.models import Person, Role


def _festival(month: int, day: int, today: dt.date) -> dt.date:
    """The latest solar date, on or before `today`, of a lunar-calendar festival."""
    for year in (today.year, today.year - 1):
        found = LunarDate(year, month, day).to_solar_date()
        if found <= today:
            return found
    return today - dt.timedelta(days=300)


def seed(*, team: Team, user: Any, profiles: dict[str, Person], now: dt.datetime) -> int:
    """Set the team's limits (scaled to its currency) and record the entries. Returns
    how many entries were added."""
    today = now.date()
    currency = team_currency(user)
    # Limits a compliance officer might set: about 100 dollars a gift, 250 a year.
    scale = Decimal("7") if currency == "CNY" else Decimal("1")
    services.policy_update(
        actor=user,
        per_gift_limit=Decimal("100") * scale,
        per_person_year_limit=Decimal("250") * scale,
    )
    trusted, pushy = profiles.get("trusted"), profiles.get("pushy")
    added = 0

    def organisation_of(person: Person) -> Any:
        role = Role.objects.filter(person=person, ended_on__isnull=True).first()
        return role.organisation if role else None

    if trusted is not None:
        mid_autumn = _festival(8, 15, today)
        spring = _festival(1, 1, today)
        entries = [
            {
                "direction": "given",
                "kind": "gift",
                "description": "A box of mooncakes (lotus seed)",
                "occasion": "mid_autumn",
                "given_on": mid_autumn - dt.timedelta(days=2),
                "value": Decimal("48") * scale,
            },
            {
                "direction": "received",
                "kind": "hospitality",
                "description": "Dinner after the annual review",
                "occasion": "thank_you",
                "given_on": today - dt.timedelta(days=40),
                "value": Decimal("60") * scale,
            },
            {
                "direction": "received",
                "kind": "gift",
                "description": "Tea and a calligraphy card for Spring Festival",
                "occasion": "spring_festival",
                "given_on": spring - dt.timedelta(days=3),
                "value": Decimal("30") * scale,
            },
        ]
        for entry in entries:
            services.gift_create(
                actor=user,
                person=trusted,
                organisation=organisation_of(trusted),
                currency=currency,
                **entry,
            )
            added += 1
    if pushy is not None:
        services.gift_create(
            actor=user,
            person=pushy,
            organisation=organisation_of(pushy),
            direction="given",
            kind="hospitality",
            description="Golf day and dinner for the purchasing team",
            occasion="closing",
            given_on=today - dt.timedelta(days=20),
            value=Decimal("420") * scale,
            currency=currency,
            reason="Approved by the sales director for the framework signing; not to be repeated",
        )
        added += 1
    return added


GIFT_WORDS = [
    ("given", "gift", "mid_autumn", "Mooncakes"),
    ("given", "gift", "spring_festival", "Tea set for Spring Festival"),
    ("given", "hospitality", "thank_you", "Dinner after the review"),
    ("received", "gift", "spring_festival", "Red envelope returned with thanks"),
    ("received", "hospitality", "closing", "Banquet for the signing"),
    ("given", "gift", "birthday", "Birthday flowers"),
    ("given", "hospitality", "closing", "Golf day"),
]


def generate(
    *, team: Team, users: list[Any], seed: int, today: dt.date, count: int, years: int = 3
) -> int:
    """Gifts in bulk for a benchmark book: `count` entries both ways over the last
    `years`, for a few thousand of the team's shared people, under a policy of 100 a gift
    and 250 a person a year in the team's currency; entries over either limit carry a
    reason, as the services would ask. Bulk inserts (the services audit each row).
    Returns how many entries were added."""
    import random

    from rapport.gifts.models import Gift, GiftPolicy
    from rapport.gifts.rules import limits_crossed
    from rapport.people.models import Visibility

    rng = random.Random(seed * 31 + 7)  # noqa: S311 - benchmark data, not secrets
    currency = team_currency(users[0])
    scale = Decimal("7") if currency == "CNY" else Decimal("1")
    per_gift, per_year = Decimal("100") * scale, Decimal("250") * scale
    GiftPolicy.objects.update_or_create(
        team=team,
        defaults={
            "currency": currency,
            "per_gift_limit": per_gift,
            "per_person_year_limit": per_year,
        },
    )
    people = list(
        Person.objects.filter(team=team, visibility=Visibility.TEAM)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(count // 2, 1)]
    )
    if not people:
        return 0
    employer = dict(
        Role.objects.filter(person_id__in=people, ended_on__isnull=True).values_list(
            "person_id", "organisation_id"
        )
    )
    drafts = []
    for _ in range(count):
        direction, kind, occasion, words = rng.choice(GIFT_WORDS)
        person = rng.choice(people)
        value = Decimal(rng.choice([20, 35, 48, 60, 80, 95, 120, 180, 420])) * scale
        day = today - dt.timedelta(days=rng.randrange(365 * years))
        drafts.append((day, person, direction, kind, occasion, words, value))
    drafts.sort()
    totals: dict[tuple[int, str, int], Decimal] = {}
    rows = []
    for day, person, direction, kind, occasion, words, value in drafts:
        key = (person, direction, day.year)
        before = totals.get(key, Decimal(0))
        crossed = limits_crossed(value, before, per_gift, per_year)
        totals[key] = before + value
        rows.append(
            Gift(
                team=team,
                person_id=person,
                organisation_id=employer.get(person),
                direction=direction,
                kind=kind,
                description=words,
                occasion=occasion,
                given_on=day,
                value=value,
                currency=currency,
                over_limit=bool(crossed),
                limits_crossed=",".join(crossed),
                reason="Approved by the sales director" if crossed else "",
                recorded_by=rng.choice(users),
            )
        )
    Gift.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
