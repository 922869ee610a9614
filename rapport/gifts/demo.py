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
