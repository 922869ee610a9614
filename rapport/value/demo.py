"""The demo book's value ledgers: what the team did for a few clients, some of it
already told them through a sent report, some not yet, and one report link ready."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.accounts.models import Member, Team
from rapport.people.models import Person, Role
from rapport.value import services

LEDGERS = [
    [
        ("saving", "运费重新谈判，节省物流成本", {"amount": "86000", "currency": "CNY"}, 40),
        ("training", "财务团队 Excel 建模培训", {"hours": "12"}, 25),
        ("introduction", "Introduced their CFO to a customs broker", {}, 12),
    ],
    [
        (
            "work",
            "Supplier audit, three plants",
            {"hours": "36", "amount": "15000", "currency": "USD"},
            30,
        ),
        ("advice", "Advice on the new export-control rules", {"hours": "2"}, 9),
    ],
    [
        ("saving", "Licence consolidation", {"amount": "12400", "currency": "EUR"}, 55),
        ("advice", "税务结构建议", {}, 20),
        ("training", "Negotiation workshop for the buyers", {"hours": "6"}, 4),
    ],
]


def seed(*, team: Team, user: Any, now: dt.datetime) -> int:
    """Value ledgers for the team's first few shared clients at work somewhere: the first
    told through a sent report, the second with a report link not yet sent, the third
    half told. Returns how many items were recorded."""
    members = Member.objects.filter(team=team, person__isnull=False).values("person_id")
    at_work = Role.objects.filter(person__team=team, ended_on__isnull=True).values("person_id")
    clients = list(
        Person.objects.filter(team=team, visibility="team", pk__in=at_work)
        .exclude(pk__in=members)
        .order_by("pk")[: len(LEDGERS)]
    )
    today = now.date()
    recorded = 0
    for n, (client, ledger) in enumerate(zip(clients, LEDGERS, strict=False)):
        for k, (kind, title, money, days_ago) in enumerate(ledger):
            services.value_item_create(
                actor=user,
                person=client,
                kind=kind,
                title=title,
                delivered_on=today - dt.timedelta(days=days_ago),
                told=n == 2 and k == 0,
                now=now,
                **money,
            )
            recorded += 1
        if n < 2:
            report, _token = services.value_report_create(
                actor=user,
                person=client,
                period_from=today - dt.timedelta(days=60),
                period_to=today,
                language=user.member.language,
                now=now,
            )
            if n == 0:
                services.value_report_send(actor=user, report=report, now=now)
    return recorded


def generate(
    *, team: Team, users: list[Any], seed: int, now: dt.datetime, count: int, years: int = 3
) -> int:
    """Value items in bulk for a benchmark book: `count` items over the last `years`, a
    fifth for organisations and the rest for people at work in them (so organisation
    cards gather their people's), two in three told. Bulk inserts (the services audit
    each row). Returns how many items were added."""
    import random
    from decimal import Decimal

    from rapport.value.models import ValueItem, ValueKind

    rng = random.Random(seed * 17 + 3)  # noqa: S311 - benchmark data, not secrets
    roles = list(
        Role.objects.filter(person__team=team, person__visibility="team", ended_on__isnull=True)
        .order_by("pk")
        .values_list("person_id", "organisation_id")[: count * 2]
    )
    if not roles:
        return 0
    kinds = list(ValueKind.values)
    today = now.date()
    rows: list[ValueItem] = []
    for _ in range(count):
        person, organisation = rng.choice(roles)
        kind = rng.choice(kinds)
        money = kind in ("work", "saving") and rng.random() < 0.8
        day = today - dt.timedelta(days=rng.randrange(365 * years))
        told = rng.random() < 0.66
        # One client each: a person, or a fifth of the time their organisation.
        for_firm = rng.random() < 0.2
        rows.append(
            ValueItem(
                team=team,
                person_id=None if for_firm else person,
                organisation_id=organisation if for_firm else None,
                kind=kind,
                title=f"{ValueKind(kind).label} {len(rows) + 1}",
                delivered_on=day,
                amount=Decimal(rng.randrange(500, 90_000)) if money else None,
                currency=rng.choice(["CNY", "USD"]) if money else "",
                hours=Decimal(rng.randrange(1, 40)) if kind in ("training", "advice") else None,
                told_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) if told else None,
                recorded_by=rng.choice(users),
            )
        )
    ValueItem.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
