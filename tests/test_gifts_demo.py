"""The demo's gift register: the policy set, gifts both ways, one over the limit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from rapport.gifts.demo import seed
from rapport.gifts.models import Gift, GiftPolicy

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_the_demo_sets_the_policy_and_records_believable_gifts_both_ways(alice, book):
    team = alice.member.team
    added = seed(
        team=team, user=alice, profiles={"trusted": book["wang"], "pushy": book["anna"]}, now=NOW
    )

    assert added == 4
    policy = GiftPolicy.objects.get(team=team)
    assert policy.per_gift_limit == Decimal("100.00")
    gifts = list(Gift.objects.filter(team=team))
    assert {g.direction for g in gifts} == {"given", "received"}
    mooncakes = next(g for g in gifts if "mooncakes" in g.description)
    assert mooncakes.occasion == "mid_autumn"
    # Mid-Autumn 2026 fell on 25 September.
    assert mooncakes.given_on == dt.date(2026, 9, 23)
    [over] = [g for g in gifts if g.over_limit]
    assert over.person == book["anna"] and over.reason
    assert all(g.given_on <= NOW.date() for g in gifts)


def test_the_benchmark_register_flags_each_entry_as_the_policy_would(alice, bob, book):
    from collections import defaultdict

    from rapport.gifts.demo import generate
    from rapport.gifts.rules import limits_crossed

    team = alice.member.team
    added = generate(team=team, users=[alice, bob], seed=3, today=NOW.date(), count=120)

    assert added == 120
    policy = GiftPolicy.objects.get(team=team)
    gifts = list(Gift.objects.filter(team=team).order_by("given_on", "pk"))
    assert {g.direction for g in gifts} == {"given", "received"}
    assert all(g.person.visibility == "team" for g in gifts)
    totals: dict[tuple[int, str, int], Decimal] = defaultdict(Decimal)
    for g in gifts:
        key = (g.person_id, g.direction, g.given_on.year)
        crossed = limits_crossed(
            g.value, totals[key], policy.per_gift_limit, policy.per_person_year_limit
        )
        totals[key] += g.value
        assert g.over_limit == bool(crossed) and g.limits_crossed == ",".join(crossed)
        assert bool(g.reason) == g.over_limit
    assert any(g.over_limit for g in gifts) and not all(g.over_limit for g in gifts)
