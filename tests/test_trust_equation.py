"""How the trust numbers must behave, checked over random histories of evidence.

Pure: no database. Each history is a list of events of the kinds in `weights.RULES`,
spread over about three years before `NOW`, with random scales (a person's influence,
a long silence) and random survey answers."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from rapport.trust import equation as E
from rapport.trust import weights as W
from rapport.trust.equation import Event, Score, Sums
from rapport.trust.weights import COMPONENTS, RULES, SURVEY_KINDS

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
THREE_YEARS = 3 * 365 * 86400
HALF_LIFE = W.HALF_LIFE_DAYS
TOLERANCE = 1e-9

KINDS = sorted(RULES)
DECAYING = sorted(k for k, rule in RULES.items() if rule.decays)
STEADY = sorted(k for k, rule in RULES.items() if not rule.decays)
NOT_SURVEY = sorted(k for k in RULES if k not in SURVEY_KINDS)


def at(seconds_ago: int) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds_ago)


@st.composite
def events(draw: st.DrawFn, kinds: list[str] = KINDS, max_age: int = THREE_YEARS) -> Event:
    kind = draw(st.sampled_from(kinds))
    value = None
    if kind in SURVEY_KINDS:
        component = RULES[kind].component
        # Mostly real answers (1..5 on the component's scale); sometimes a raw number,
        # out of range too, which must be clamped.
        value = draw(
            st.one_of(
                st.integers(1, 5).map(lambda a: E.survey_value(component, a)),
                st.floats(-5.0, 15.0, allow_nan=False),
            )
        )
    return Event(
        kind,
        at(draw(st.integers(0, max_age))),
        scale=draw(st.floats(0.05, 4.0, allow_nan=False)),
        value=value,
        key=(
            draw(st.sampled_from(("interaction", "commitment", "meeting"))),
            draw(st.integers(1, 30)),
        ),
    )


def histories(
    kinds: list[str] = KINDS, min_size: int = 0, max_size: int = 20, max_age: int = THREE_YEARS
) -> st.SearchStrategy[list[Event]]:
    return st.lists(events(kinds, max_age), min_size=min_size, max_size=max_size)


ages = st.integers(0, THREE_YEARS)
scales = st.floats(0.05, 4.0, allow_nan=False)


def score(history: list[Event]) -> Score:
    return E.score(history, now=NOW, half_life_days=HALF_LIFE)


def sums(history: list[Event]) -> dict[str, Sums]:
    return E.sums_of(history, now=NOW, half_life_days=HALF_LIFE)


def values(s: Score) -> list[float]:
    return [part.value for part in s.components] + [s.t]


def assert_bounded(s: Score) -> None:
    for part in (s.c, s.r, s.i):
        assert 0.0 <= part.value <= 10.0, part
    assert 1.0 <= s.s.value <= 10.0, s.s
    assert 0.0 <= s.t <= 30.0
    assert s.t == pytest.approx((s.c.value + s.r.value + s.i.value) / s.s.value)


# --- Bounds ---------------------------------------------------------------------------


@given(histories())
def test_every_number_stays_on_its_scale(history: list[Event]) -> None:
    assert_bounded(score(history))
    views = E.views(history, now=NOW, half_life_days=HALF_LIFE)
    assert_bounded(views.blended)
    assert_bounded(views.ours)
    assert_bounded(E.score_from_sums(sums(history)))


# A client who strongly agreed twice, a month apart: 10 x w1 + 10 x w2 over w1 + w2
# comes out a hair above 10 in floating point.
DELIGHTED = [
    Event("survey_R", at(0), value=10.0, key=("survey", 1)),
    Event("survey_R", at(30 * 86400), value=10.0, key=("survey", 2)),
]


@example(history=DELIGHTED)
@given(histories())
def test_the_clients_view_stays_on_its_scale(history: list[Event]) -> None:
    views = E.views(history, now=NOW, half_life_days=HALF_LIFE)
    for name, value in views.client.items():
        if value is not None:
            assert W.LOW[name] <= value <= W.HIGH[name]


@st.composite
def raw_sums(draw: st.DrawFn) -> dict[str, Sums]:
    """Any sums a query could produce: a total weight and a weighted total whose mean
    lies on the component's scale."""
    out = {}
    for name in COMPONENTS:
        weight = draw(st.floats(0.0, 1e6, allow_nan=False))
        mean = draw(st.floats(W.LOW[name], W.HIGH[name], allow_nan=False))
        out[name] = Sums(weight, weight * mean, draw(st.integers(0, 10**6)))
    return out


@given(raw_sums())
def test_scores_from_sums_stay_on_their_scale(parts: dict[str, Sums]) -> None:
    assert_bounded(E.score_from_sums(parts))


def test_a_relationship_without_evidence_sits_at_the_neutral_prior() -> None:
    s = score([])
    assert [p.value for p in s.components] == [W.PRIOR_MEAN[n] for n in COMPONENTS]
    assert s.t == pytest.approx(15 / 5.5)
    assert all(p.uncertain and p.count == 0 and p.contributions == () for p in s.components)


@given(histories())
def test_the_set_based_sums_give_the_same_score_as_the_events(history: list[Event]) -> None:
    one_by_one = score(history)
    from_sums = E.score_from_sums(sums(history))
    for a, b in zip(one_by_one.components, from_sums.components, strict=True):
        assert a.value == pytest.approx(b.value, abs=TOLERANCE)
        assert a.weight == pytest.approx(b.weight, abs=TOLERANCE)
        assert a.count == b.count


@given(histories())
def test_a_score_carries_the_sums_coaching_weighs_actions_against(history: list[Event]) -> None:
    carried, summed = score(history).sums(), sums(history)
    for name in W.COMPONENTS:
        assert carried[name].weight == pytest.approx(summed[name].weight, abs=TOLERANCE)
        assert carried[name].weighted == pytest.approx(summed[name].weighted, abs=TOLERANCE)
        assert carried[name].count == summed[name].count


# --- One more event moves its component the right way --------------------------------

# (kind, component, +1 if it can only raise the component, -1 if it can only lower it)
DIRECTIONS = [
    ("promise_kept", W.R, +1),
    ("claim_false", W.C, -1),
    ("promise_broken", W.R, -1),
    ("our_agenda", W.S, +1),
    ("answered_too_soon", W.S, +1),
    ("price_pressure", W.S, +1),
    ("unsolicited_upsell", W.S, +1),
    ("evidence_expired", W.C, -1),
    ("boundary_crossed", W.I, -1),
]


@pytest.mark.parametrize(("kind", "component", "direction"), DIRECTIONS)
@given(history=histories(), age=ages, scale=scales)
def test_one_more_event_moves_its_component_only_one_way(
    kind: str, component: str, direction: int, history: list[Event], age: int, scale: float
) -> None:
    assert RULES[kind].component == component
    before = score(history)
    after = score([*history, Event(kind, at(age), scale=scale)])
    moved = after.component(component).value - before.component(component).value
    assert direction * moved >= -TOLERANCE
    # And T the same way: up for good news in C, R or I, down for more self-orientation.
    sign = -direction if component == W.S else direction
    assert sign * (after.t - before.t) >= -TOLERANCE
    # The other components do not notice.
    for name in COMPONENTS:
        if name != component:
            assert after.component(name).value == pytest.approx(before.component(name).value)


def test_every_rule_at_an_end_of_its_scale_is_pure_good_or_bad_news() -> None:
    """The invariants above rest on rule values at the ends of the scale: an event worth
    the top of the scale can never lower its component."""
    for kind, component, direction in DIRECTIONS:
        end = W.HIGH[component] if direction > 0 else W.LOW[component]
        assert RULES[kind].value == end, kind


@given(history=histories(), kind=st.sampled_from(NOT_SURVEY), age=ages, scale=scales)
def test_an_event_at_either_end_of_its_scale_never_moves_against_it(
    history: list[Event], kind: str, age: int, scale: float
) -> None:
    rule = RULES[kind]
    assume(rule.value in (W.LOW[rule.component], W.HIGH[rule.component]))
    before = score(history).component(rule.component).value
    after = score([*history, Event(kind, at(age), scale=scale)]).component(rule.component).value
    if rule.value == W.HIGH[rule.component]:
        assert after >= before - TOLERANCE
    else:
        assert after <= before + TOLERANCE


# --- Old news fades --------------------------------------------------------------------


@given(
    history=histories(),
    kind=st.sampled_from(DECAYING),
    newer=st.integers(0, THREE_YEARS - 3600),
    gap=st.integers(3600, THREE_YEARS),
    scale=scales,
)
def test_an_older_event_weighs_less_than_a_newer_one_of_the_same_kind(
    history: list[Event], kind: str, newer: int, gap: int, scale: float
) -> None:
    rule = RULES[kind]
    # A survey answer at the prior moves nothing; give it an answer that does.
    value = W.LOW[rule.component] if kind in SURVEY_KINDS else None
    young = Event(kind, at(newer), scale=scale, value=value, key=("probe", 1))
    old = Event(kind, at(newer + gap), scale=scale, value=value, key=("probe", 2))
    assert E.event_weight(old, NOW, HALF_LIFE) < E.event_weight(young, NOW, HALF_LIFE)
    part = score([*history, old, young]).component(rule.component)
    effect = {c.event.key: c for c in part.contributions}
    assert abs(effect[("probe", 2)].effect) < abs(effect[("probe", 1)].effect)
    assert effect[("probe", 2)].weight < effect[("probe", 1)].weight
    # The explanation lists the newer one first.
    keys = [c.event.key for c in part.contributions]
    assert keys.index(("probe", 1)) < keys.index(("probe", 2))


@given(kind=st.sampled_from(STEADY), first=ages, second=ages)
def test_standing_facts_do_not_fade(kind: str, first: int, second: int) -> None:
    """An open overdue promise, a hidden risk, the contact rhythm: true now, whatever
    their date, so they keep their full weight."""
    assert E.event_weight(Event(kind, at(first)), NOW, HALF_LIFE) == E.event_weight(
        Event(kind, at(second)), NOW, HALF_LIFE
    )


@given(age=st.floats(0, 3650, allow_nan=False))
def test_evidence_keeps_half_its_weight_after_one_half_life(age: float) -> None:
    assert E.decay(age + HALF_LIFE, HALF_LIFE) == pytest.approx(E.decay(age, HALF_LIFE) / 2)
    assert 0 < E.decay(age, HALF_LIFE) <= 1


# --- The explanation -------------------------------------------------------------------


@given(histories())
def test_contributions_add_up_to_the_move_from_the_prior(history: list[Event]) -> None:
    for part in score(history).components:
        total = math.fsum(c.effect for c in part.contributions)
        assert total == pytest.approx(part.value - part.prior, abs=TOLERANCE)
        assert len(part.contributions) == part.count
        assert math.fsum(c.weight for c in part.contributions) == pytest.approx(part.weight)


@given(histories())
def test_the_explanation_lists_the_largest_first_then_the_newest(history: list[Event]) -> None:
    for part in score(history).components:
        for a, b in zip(part.contributions, part.contributions[1:], strict=False):
            big_a, big_b = round(abs(a.effect), 9), round(abs(b.effect), 9)
            assert big_a >= big_b
            if big_a == big_b:
                assert a.event.at >= b.event.at


# --- Determinism -----------------------------------------------------------------------


def explanation(s: Score) -> list[list[tuple[str, dt.datetime, tuple[str, int]]]]:
    return [
        [(c.event.kind, c.event.at, c.event.key) for c in p.contributions] for p in s.components
    ]


@given(data=st.data(), history=histories())
def test_the_same_events_in_any_order_give_the_same_score(
    data: st.DataObject, history: list[Event]
) -> None:
    shuffled = data.draw(st.permutations(history))
    a, b = score(history), score(shuffled)
    assert values(a) == pytest.approx(values(b), abs=1e-12)
    assert [p.count for p in a.components] == [p.count for p in b.components]


def test_the_same_events_in_the_same_order_give_identical_results() -> None:
    """What a recompute over unchanged records (read back in the same order) sees."""
    history = [
        Event(kind, at(i * 86400 * 13), scale=1 + (i % 3) / 2, key=("interaction", i))
        for i, kind in enumerate(NOT_SURVEY * 3)
    ]
    assert values(score(history)) == values(score(list(history)))
    assert explanation(score(history)) == explanation(score(list(history)))


# Two histories with the same events in a different order: the float sums come out in
# a different order, and so do the last bits of every component.
ORDERED = [
    Event("promise_kept", at(86400 * 3), key=("commitment", 1)),
    Event("promise_kept", at(86400 * 41), scale=0.7, key=("commitment", 2)),
    Event("milestone", at(86400 * 5), key=("commitment", 3)),
    Event("risk_disclosed", at(86400 * 200), scale=1.3, key=("commitment", 4)),
]


@st.composite
def reordered(draw: st.DrawFn) -> tuple[list[Event], list[Event]]:
    history = draw(histories(min_size=2))
    return history, draw(st.permutations(history))


@example(pair=(ORDERED, list(reversed(ORDERED))))
@given(pair=reordered())
def test_the_same_events_in_any_order_give_identical_numbers(
    pair: tuple[list[Event], list[Event]],
) -> None:
    history, shuffled = pair
    assert values(score(history)) == values(score(shuffled))


TIED = [
    # One pushy meeting: two moments of equal weight, same time, same interaction.
    Event("price_pressure", at(86400), key=("interaction", 7)),
    Event("unsolicited_upsell", at(86400), key=("interaction", 7)),
]


def test_the_same_events_in_any_order_explain_in_the_same_order() -> None:
    assert explanation(score(TIED)) == explanation(score(list(reversed(TIED))))


# --- A Bayesian prior: one event moves a new relationship more than a long record -------


@given(kind=st.sampled_from(NOT_SURVEY), scale=scales)
def test_one_event_moves_a_new_relationship_by_its_share_of_the_prior(
    kind: str, scale: float
) -> None:
    rule = RULES[kind]
    name = rule.component
    weight = rule.weight * scale
    expected = weight * (rule.value - W.PRIOR_MEAN[name]) / (W.PRIOR_WEIGHT[name] + weight)
    moved = score([Event(kind, NOW, scale=scale)]).component(name).value - W.PRIOR_MEAN[name]
    assert moved == pytest.approx(expected)


# Rules worth an end of their scale: all but a late promise and survey answers.
CLEAR_NEWS = [
    k
    for k in NOT_SURVEY
    if RULES[k].value in (W.LOW[RULES[k].component], W.HIGH[RULES[k].component])
]


@given(data=st.data(), kind=st.sampled_from(CLEAR_NEWS))
def test_one_event_moves_a_new_relationship_more_than_a_long_record(
    data: st.DataObject, kind: str
) -> None:
    name = RULES[kind].component
    same = [k for k in NOT_SURVEY if RULES[k].component == name and RULES[k].weight >= 0.3]
    record = data.draw(
        st.lists(
            st.builds(
                Event,
                st.sampled_from(same),
                st.integers(0, 365 * 86400).map(at),
                scale=st.floats(1.0, 4.0),
            ),
            min_size=15,
            max_size=40,
        )
    )
    long = score(record).component(name)
    weight = RULES[kind].weight
    # "Long" is exact: with more evidence than the prior and the event together, no
    # record (however far from the event's value) lets one event move it as far. (A
    # late promise, worth 4 of 10, is no surprise to a new relationship but is one after
    # a spotless record, so it can move a long record more: that is meant.)
    assume(long.weight > W.PRIOR_WEIGHT[name] + weight)
    new_move = abs(score([Event(kind, NOW)]).component(name).value - W.PRIOR_MEAN[name])
    long_move = abs(score([*record, Event(kind, NOW)]).component(name).value - long.value)
    assert new_move > long_move


def test_s_needs_more_evidence_than_r_before_it_moves() -> None:
    """S divides the whole equation, so its prior is worth more pseudo-events: the same
    amount of bad news moves S a smaller share of its scale than it moves R."""
    assert W.PRIOR_WEIGHT[W.S] > W.PRIOR_WEIGHT[W.R]
    s_move = score([Event("our_agenda", NOW)]).s.value - W.PRIOR_MEAN[W.S]
    r_move = W.PRIOR_MEAN[W.R] - score([Event("promise_broken", NOW)]).r.value
    assert 0 < s_move < r_move
    # Worked through the weights: 0.4 x (10 - 5.5) / (6 + 0.4) against 2 x 5 / (3 + 2).
    assert s_move == pytest.approx(0.4 * 4.5 / 6.4)
    assert r_move == pytest.approx(2.0)


@given(
    s_kind=st.sampled_from([k for k in NOT_SURVEY if RULES[k].component == W.S]),
    scale=scales,
)
def test_the_same_weight_of_evidence_moves_s_a_smaller_share_than_r(
    s_kind: str, scale: float
) -> None:
    rule = RULES[s_kind]
    weight = rule.weight * scale
    span = {n: W.HIGH[n] - W.LOW[n] for n in COMPONENTS}
    s_share = abs(score([Event(s_kind, NOW, scale=scale)]).s.value - W.PRIOR_MEAN[W.S]) / span[W.S]
    # An R event of the same weight and the same direction (good or bad news).
    r_kind = "promise_kept" if rule.value < W.PRIOR_MEAN[W.S] else "promise_broken"
    r_scale = weight / RULES[r_kind].weight
    r_share = (
        abs(score([Event(r_kind, NOW, scale=r_scale)]).r.value - W.PRIOR_MEAN[W.R]) / span[W.R]
    )
    assert s_share < r_share


# --- Little evidence is "uncertain", not low --------------------------------------------


@given(histories())
def test_a_component_with_little_evidence_is_uncertain(history: list[Event]) -> None:
    for part in score(history).components:
        assert part.uncertain == (part.weight < W.UNCERTAIN_BELOW)


def test_two_fresh_kept_promises_are_enough_evidence_for_r() -> None:
    one = score([Event("promise_kept", NOW)])
    two = score([Event("promise_kept", NOW), Event("promise_kept", NOW)])
    assert one.r.uncertain and not two.r.uncertain
    # An old record fades back into uncertainty.
    old = score([Event("promise_kept", NOW - dt.timedelta(days=HALF_LIFE))] * 2)
    assert old.r.uncertain


# --- Coaching's estimate of a next action ----------------------------------------------


@given(history=histories(), kind=st.sampled_from(KINDS), scale=st.floats(0.1, 3.0))
def test_gain_predicts_the_change_in_t_when_an_event_is_added_now(
    history: list[Event], kind: str, scale: float
) -> None:
    before = score(history)
    after = score([*history, Event(kind, NOW, scale=scale)])
    predicted = E.gain(sums(history), [(kind, scale)])
    assert predicted == pytest.approx(after.t - before.t, abs=TOLERANCE)


@given(history=histories(), kind=st.sampled_from(KINDS))
def test_gain_of_taking_an_event_away_undoes_adding_it(history: list[Event], kind: str) -> None:
    with_it = [*history, Event(kind, NOW)]
    assert E.gain(sums(with_it), [(kind, -1.0)]) == pytest.approx(
        score(history).t - score(with_it).t, abs=TOLERANCE
    )


# --- Organisations: people pooled by influence -----------------------------------------

DECIDES = W.influence_weight(5, True)
LITTLE_SAY = W.influence_weight(1, False)


def test_decision_makers_weigh_most() -> None:
    assert max(W.influence_weight(i, d) for i in range(1, 6) for d in (True, False)) == DECIDES
    assert [W.influence_weight(i, False) for i in range(1, 6)] == sorted(
        W.influence_weight(i, False) for i in range(1, 6)
    )
    assert LITTLE_SAY < DECIDES


def test_an_organisation_leans_towards_its_decision_maker() -> None:
    """The decision maker kept every promise, a junior contact saw as many broken."""
    times = [at(86400 * d) for d in (2, 30, 90, 150)]
    boss = sums([Event("promise_kept", t) for t in times])
    junior = sums([Event("promise_broken", t) for t in times])
    org = E.score_from_sums(E.pool([(DECIDES, boss), (LITTLE_SAY, junior)]))
    boss_r, junior_r = E.score_from_sums(boss).r.value, E.score_from_sums(junior).r.value
    assert org.r.value > W.PRIOR_MEAN[W.R]
    assert abs(org.r.value - boss_r) < abs(org.r.value - junior_r)


@given(boss_history=histories(kinds=NOT_SURVEY), junior_history=histories(kinds=NOT_SURVEY))
def test_the_pooled_evidence_sits_closer_to_the_decision_makers(
    boss_history: list[Event], junior_history: list[Event]
) -> None:
    """Where the decision maker has at least as much evidence, the organisation's
    evidence (its weighted mean, before the prior) sits closer to theirs."""
    boss, junior = sums(boss_history), sums(junior_history)
    pooled = E.pool([(DECIDES, boss), (LITTLE_SAY, junior)])
    for name in COMPONENTS:
        if 0 < junior[name].weight <= boss[name].weight:
            mean = pooled[name].weighted / pooled[name].weight
            boss_mean = boss[name].weighted / boss[name].weight
            junior_mean = junior[name].weighted / junior[name].weight
            assert abs(mean - boss_mean) <= abs(mean - junior_mean) + TOLERANCE
        assert pooled[name].count == boss[name].count + junior[name].count


@given(history=histories(kinds=NOT_SURVEY))
def test_the_same_record_moves_an_organisation_more_from_its_decision_maker(
    history: list[Event],
) -> None:
    record = sums(history)
    from_boss = E.score_from_sums(E.pool([(DECIDES, record)]))
    from_junior = E.score_from_sums(E.pool([(LITTLE_SAY, record)]))
    for name in COMPONENTS:
        prior = W.PRIOR_MEAN[name]
        boss_move = from_boss.component(name).value - prior
        junior_move = from_junior.component(name).value - prior
        assert abs(boss_move) >= abs(junior_move) - TOLERANCE
        assert boss_move * junior_move >= -TOLERANCE  # never in opposite directions


def test_one_member_at_full_weight_is_the_person_themself() -> None:
    history = [Event(k, at(86400 * i)) for i, k in enumerate(NOT_SURVEY)]
    alone = score(history)
    pooled = E.score_from_sums(E.pool([(1.0, sums(history))]))
    assert values(pooled) == pytest.approx(values(alone))


# --- The client's survey ---------------------------------------------------------------


def test_survey_answers_map_onto_each_components_scale() -> None:
    for name in (W.C, W.R, W.I):
        assert [E.survey_value(name, a) for a in range(1, 6)] == [0.0, 2.5, 5.0, 7.5, 10.0]
    # The S question asks whether we put the client first: agreeing means low S.
    assert [E.survey_value(W.S, a) for a in range(1, 6)] == [10.0, 7.75, 5.5, 3.25, 1.0]


@given(name=st.sampled_from(COMPONENTS), a=st.integers(-10, 20), b=st.integers(-10, 20))
def test_survey_values_are_monotonic_and_clamped(name: str, a: int, b: int) -> None:
    low, high = sorted((a, b))
    va, vb = E.survey_value(name, low), E.survey_value(name, high)
    assert W.LOW[name] <= va <= W.HIGH[name]
    assert W.LOW[name] <= vb <= W.HIGH[name]
    if name == W.S:
        assert vb <= va
    else:
        assert va <= vb
    if 1 <= low < high <= 5:
        assert va != vb


@given(
    history=histories(kinds=NOT_SURVEY),
    answers=st.dictionaries(st.sampled_from(COMPONENTS), st.integers(1, 5), min_size=1),
)
def test_the_clients_view_is_their_answers_and_ours_ignores_them(
    history: list[Event], answers: dict[str, int]
) -> None:
    survey = [
        Event(f"survey_{name}", at(86400 * 5), value=E.survey_value(name, a))
        for name, a in answers.items()
    ]
    views = E.views([*history, *survey], now=NOW, half_life_days=HALF_LIFE)
    for name in COMPONENTS:
        if name in answers:
            assert views.client[name] == pytest.approx(E.survey_value(name, answers[name]))
        else:
            assert views.client[name] is None
    assert values(views.ours) == pytest.approx(values(score(history)))
    assert views.has_survey
