"""The gift register feeds the trust model: a modest gift on a personal occasion is a
little intimacy; a gift or hospitality over the limits, either way, is a boundary
incident (intimacy down, self-orientation up). The full recompute agrees with the card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rapport.gifts import rules, services
from rapport.people.services import person_create
from rapport.trust import equation, scoring
from rapport.trust import weights as W
from rapport.trust.equation import Event
from tests.test_trust_evidence import check_team

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
OCCASIONS = ["birthday", "spring_festival", "mid_autumn", "festival", "thank_you", "closing"]
OCCASIONS.append("other")
KINDS = [k for k in W.RULES if k not in W.SURVEY_KINDS]


def history() -> st.SearchStrategy[list[Event]]:
    event = st.builds(
        lambda kind, age, scale: Event(kind, NOW - age * DAY, scale=scale),
        st.sampled_from(KINDS),
        st.integers(0, 1000),
        st.floats(0.05, 4.0, allow_nan=False),
    )
    return st.lists(event, max_size=40)


def gift_events(over: bool, occasion: str, age: int) -> list[Event]:
    at = NOW - age * DAY
    return [Event(kind, at, key=("gift", 1)) for kind in rules.trust_kinds(over, occasion)]


@given(history(), st.sampled_from(OCCASIONS), st.integers(0, 1000))
def test_a_gift_over_the_limits_never_raises_trust(
    past: list[Event], occasion: str, age: int
) -> None:
    before = equation.score(past, now=NOW)
    after = equation.score(past + gift_events(True, occasion, age), now=NOW)
    assert after.t <= before.t + 1e-9
    assert after.i.value <= before.i.value + 1e-9
    assert after.s.value >= before.s.value - 1e-9


@given(history(), st.sampled_from(sorted(rules.PERSONAL_OCCASIONS)), st.integers(0, 1000))
def test_a_personal_gift_within_the_policy_never_lowers_intimacy(
    past: list[Event], occasion: str, age: int
) -> None:
    before = equation.score(past, now=NOW)
    after = equation.score(past + gift_events(False, occasion, age), now=NOW)
    assert after.i.value >= before.i.value - 1e-9
    assert after.t >= before.t - 1e-9


def test_a_closing_gift_within_the_policy_tells_nothing() -> None:
    assert rules.trust_kinds(False, "closing") == ()
    assert rules.trust_kinds(False, "other") == ()


def card_kinds(person: Any) -> dict[str, float]:
    views = scoring.person_views(person, NOW)
    return {
        c.event.kind: c.effect
        for part in views.blended.components
        for c in part.contributions
        if c.event.key[0] == "gift"
    }


def test_the_card_shows_gifts_as_intimacy_and_boundary_events(alice, book):
    services.policy_update(actor=alice, per_gift_limit="500", per_person_year_limit="800")
    wang, anna = book["wang"], book["anna"]
    services.gift_create(
        actor=alice,
        person=wang,
        direction="given",
        description="Mooncakes",
        occasion="mid_autumn",
        given_on=dt.date(2026, 9, 25),
        value="300",
    )
    services.gift_create(
        actor=alice,
        person=anna,
        direction="received",
        kind="hospitality",
        description="Banquet",
        occasion="closing",
        given_on=dt.date(2026, 10, 2),
        value="1200",
        reason="Could not refuse at the signing",
    )

    assert set(card_kinds(wang)) == {"gift_personal"}
    assert card_kinds(wang)["gift_personal"] > 0
    assert set(card_kinds(anna)) == {"gift_over_limit", "gift_obligation"}
    plain = person_create(actor=alice, display_name="Nobody gave anything")
    bare = scoring.person_views(plain, NOW).blended
    with_banquet = scoring.person_views(anna, NOW).blended
    assert with_banquet.i.value < bare.i.value
    assert with_banquet.s.value > bare.s.value


def test_the_full_recompute_agrees_with_the_card_for_gifts(alice, bob, book):
    services.policy_update(actor=alice, per_gift_limit="500", per_person_year_limit="600")
    entries = [
        (alice, book["wang"], "given", "birthday", "200", dt.date(2026, 3, 1), ""),
        (alice, book["wang"], "given", "festival", "500", dt.date(2026, 4, 1), "Wedding"),
        (alice, book["wang"], "received", "closing", "900", dt.date(2025, 6, 1), "Dinner"),
        (alice, book["anna"], "received", "thank_you", "50", dt.date(2026, 11, 19), ""),
        (bob, book["bobs_secret"], "given", "other", "700", dt.date(2026, 1, 9), "Old friend"),
        (bob, book["bobs_secret"], "received", "birthday", "10", dt.date(2026, 2, 9), ""),
        # Recorded ahead of time: not counted until the day comes.
        (alice, book["anna"], "given", "birthday", "20", dt.date(2026, 12, 24), ""),
    ]
    for actor, person, direction, occasion, value, on, reason in entries:
        services.gift_create(
            actor=actor,
            person=person,
            direction=direction,
            description=f"{occasion} {value}",
            occasion=occasion,
            given_on=on,
            value=value,
            reason=reason,
        )
    seen = check_team(alice.member.team_id, NOW)
    assert {"gift_personal", "gift_over_limit", "gift_obligation"} <= seen
    # Bob's private contact's gifts count on Bob's card (only he sees that person).
    assert set(card_kinds(book["bobs_secret"])) == {
        "gift_personal",
        "gift_over_limit",
        "gift_obligation",
    }
    assert set(card_kinds(book["anna"])) == {"gift_personal"}


def test_coaching_names_an_over_limit_gift_when_self_orientation_is_the_weak_spot() -> None:
    from rapport.trust import coaching

    pushy = [Event("price_pressure", NOW - n * DAY) for n in range(1, 8)]
    pushy += [Event(k, NOW - DAY) for k in ("promise_kept", "claim_accurate", "fact_known")] * 4
    gift = coaching.Ref("Golf day", dt.date(2026, 11, 1), "/gifts/1/edit/")
    score = equation.score(pushy, now=NOW)
    assert score.weakest.name == W.S
    situation = coaching.Situation(
        name="Li",
        now=NOW,
        surveyed=True,
        recent_signals=frozenset({"summarised_first"}),
        gifts_over_limit=(gift,),
    )

    actions = coaching.next_actions(score, score.sums(), situation)

    settle = [a for a in actions if a.code == "settle_gift"]
    assert settle and settle[0].params["gift"] == "Golf day" and settle[0].gain > 0
    assert settle[0].url == "/gifts/1/edit/"


def test_the_trust_card_coaches_on_an_over_limit_gift(alice, book):
    from rapport.trust import queries as trust_queries

    services.policy_update(actor=alice, per_gift_limit="100", per_person_year_limit=None)
    entry = services.gift_create(
        actor=alice,
        person=book["anna"],
        direction="given",
        kind="hospitality",
        description="Golf day for the purchasing team",
        occasion="closing",
        given_on=dt.date(2026, 11, 1),
        value="900",
        reason="Framework signing",
    )
    card = trust_queries.person_card(alice, book["anna"], now=NOW)
    texts = [a.text for a in card.actions]
    assert any("Golf day for the purchasing team" in t for t in texts), texts
    assert any(a.url.endswith(f"/gifts/{entry.pk}/edit/") for a in card.actions)
