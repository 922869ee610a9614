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
