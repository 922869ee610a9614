"""The trust equation T = (C + R + I) / S, from evidence, with its explanation.

Pure functions over plain data (no Django), so every number can be checked alone. Each
component is a recency-weighted Bayesian mean (see `weights`): a neutral prior worth a
few pseudo-events, plus each event's value weighted by its rule's weight and its age.
Each event's *contribution* is how far it moved its component from the prior; the
contributions of a component add up exactly to `value - prior`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapport.trust import weights as W
from rapport.trust.weights import COMPONENTS, RULES, SURVEY_KINDS


@dataclass(frozen=True)
class Event:
    """One piece of evidence: its kind (a key of `weights.RULES`), when it happened,
    an optional scale of its weight (a long silence, a person's influence in an
    organisation) and value (a survey answer), and what to show for it."""

    kind: str
    at: dt.datetime
    scale: float = 1.0
    value: float | None = None
    label: str = ""
    url: str = ""
    key: tuple[str, int] = ("", 0)
    # How many records this event stands for: 1, or more for a summed event (a long
    # history's older conversations), whose scale then carries their summed weight.
    count: int = 1
    # A summed event is weighed as of `at` (now), but shown dated at its newest record.
    dated: dt.datetime | None = None
    # In an organisation's pool, the person the event concerns (0: the organisation).
    who: int = 0

    @property
    def shown_at(self) -> dt.datetime:
        return self.dated or self.at


@dataclass
class Sums:
    """What the estimate needs from a component's events: total weight, total
    weighted value and the number of events. Set-based SQL fills these directly."""

    weight: float = 0.0
    weighted: float = 0.0
    count: int = 0

    def add(self, weight: float, value: float, count: int = 1) -> None:
        self.weight += weight
        self.weighted += weight * value
        self.count += count


@dataclass(frozen=True)
class Contribution:
    event: Event
    weight: float
    effect: float


@dataclass(frozen=True)
class Component:
    name: str
    value: float
    prior: float
    weight: float
    count: int
    contributions: tuple[Contribution, ...] = ()
    weighted: float = 0.0  # the sum of weight × value behind `value`

    @property
    def uncertain(self) -> bool:
        return self.weight < W.UNCERTAIN_BELOW

    @property
    def strength(self) -> float:
        """0 (worst) .. 1 (best), so S (where low is good) compares with the others."""
        if self.name == W.S:
            return (W.HIGH[W.S] - self.value) / (W.HIGH[W.S] - W.LOW[W.S])
        return (self.value - W.LOW[self.name]) / (W.HIGH[self.name] - W.LOW[self.name])


@dataclass(frozen=True)
class Score:
    c: Component
    r: Component
    i: Component
    s: Component

    @property
    def t(self) -> float:
        return trust(self.c.value, self.r.value, self.i.value, self.s.value)

    @property
    def components(self) -> tuple[Component, Component, Component, Component]:
        return (self.c, self.r, self.i, self.s)

    def component(self, name: str) -> Component:
        return {W.C: self.c, W.R: self.r, W.I: self.i, W.S: self.s}[name]

    def sums(self) -> dict[str, Sums]:
        """The sums behind this score (what coaching weighs possible actions against)."""
        return {c.name: Sums(c.weight, c.weighted, c.count) for c in self.components}

    @property
    def weakest(self) -> Component:
        """The component with the lowest strength among those with enough evidence (an
        uncertain component is unknown, not weak); if none has, the lowest of all."""
        known = [c for c in self.components if not c.uncertain] or list(self.components)
        return min(known, key=lambda c: (round(c.strength, 6), COMPONENTS.index(c.name)))

    @property
    def outlier(self) -> str | None:
        """A component far from the others (uneven components go with lower trust)."""
        strengths = {c.name: c.strength for c in self.components}
        for name, value in strengths.items():
            others = [v for n, v in strengths.items() if n != name]
            if abs(value - sum(others) / len(others)) >= 0.3:
                return name
        return None


def trust(c: float, r: float, i: float, s: float) -> float:
    return (c + r + i) / s


def decay(age_days: float, half_life_days: float) -> float:
    """The share of its weight an event keeps after `age_days` (future events keep all)."""
    return 0.5 ** (max(age_days, 0.0) / half_life_days)


def event_weight(event: Event, now: dt.datetime, half_life_days: float) -> float:
    rule = RULES[event.kind]
    weight = rule.weight * event.scale
    if rule.decays:
        age = (now - event.at).total_seconds() / 86400.0
        weight *= decay(age, half_life_days)
    return weight


def event_value(event: Event) -> float:
    rule = RULES[event.kind]
    value = rule.value if event.value is None else event.value
    return min(max(value, W.LOW[rule.component]), W.HIGH[rule.component])


def estimate(name: str, sums: Sums) -> float:
    prior_w, prior_m = W.PRIOR_WEIGHT[name], W.PRIOR_MEAN[name]
    value = (prior_w * prior_m + sums.weighted) / (prior_w + sums.weight)
    return min(max(value, W.LOW[name]), W.HIGH[name])


def survey_value(component: str, answer: int) -> float:
    """A 1..5 agreement answer on the component's scale. The S question asks whether we
    put the client first, so agreeing means *low* self-orientation."""
    share = (min(max(answer, 1), 5) - 1) / 4
    if component == W.S:
        return W.HIGH[W.S] - share * (W.HIGH[W.S] - W.LOW[W.S])
    return W.LOW[component] + share * (W.HIGH[component] - W.LOW[component])


def client_view(name: str, sums: Sums) -> float | None:
    """The client's own answers alone (recent ones counting more), on the component's
    scale; None when they were not asked about it."""
    if sums.weight <= 0:
        return None
    return min(max(sums.weighted / sums.weight, W.LOW[name]), W.HIGH[name])


def component_from_sums(name: str, sums: Sums) -> Component:
    return Component(
        name=name,
        value=estimate(name, sums),
        prior=W.PRIOR_MEAN[name],
        weight=sums.weight,
        count=sums.count,
        weighted=sums.weighted,
    )


def score_from_sums(sums: Mapping[str, Sums]) -> Score:
    parts = [component_from_sums(name, sums.get(name, Sums())) for name in COMPONENTS]
    return Score(*parts)


def _canonical(event: Event) -> tuple[dt.datetime, str, tuple[str, int], float, float, str, str]:
    """One fixed order for events, so neither the float sums nor the order of equal
    contributions depends on the order the records were read in."""
    value = -math.inf if event.value is None else event.value
    return (event.at, event.kind, event.key, event.scale, value, event.label, event.url)


def _order(contribution: Contribution) -> tuple[float, float, str, int]:
    # Largest first; among equals the newest; then a stable key so output never wobbles.
    return (
        -round(abs(contribution.effect), 9),
        -contribution.event.at.timestamp(),
        contribution.event.key[0],
        -contribution.event.key[1],
    )


def score(
    events: Iterable[Event],
    *,
    now: dt.datetime,
    half_life_days: float = W.HALF_LIFE_DAYS,
    include: frozenset[str] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> Score:
    """Score a relationship from its events as of `now` (later events are ignored),
    each component explained by its events' contributions."""
    weighted: dict[str, list[tuple[Event, float, float]]] = {n: [] for n in COMPONENTS}
    sums = {n: Sums() for n in COMPONENTS}
    for event in sorted(events, key=_canonical):
        if event.at > now or event.kind in exclude:
            continue
        if include is not None and event.kind not in include:
            continue
        rule = RULES[event.kind]
        weight = event_weight(event, now, half_life_days)
        if weight <= 0 or not math.isfinite(weight):
            continue
        value = event_value(event)
        weighted[rule.component].append((event, weight, value))
        sums[rule.component].add(weight, value, event.count)
    parts = []
    for name in COMPONENTS:
        total = W.PRIOR_WEIGHT[name] + sums[name].weight
        prior = W.PRIOR_MEAN[name]
        contributions = sorted(
            (Contribution(e, w, w * (v - prior) / total) for e, w, v in weighted[name]),
            key=_order,
        )
        parts.append(
            Component(
                name=name,
                value=estimate(name, sums[name]),
                prior=prior,
                weight=sums[name].weight,
                count=sums[name].count,
                contributions=tuple(contributions),
                weighted=sums[name].weighted,
            )
        )
    return Score(*parts)


@dataclass(frozen=True)
class Views:
    """The blended score, our own view (no survey) and the client's view (their survey
    answers alone, recency-weighted; None for a component they were not asked about)."""

    blended: Score
    ours: Score
    client: dict[str, float | None] = field(default_factory=dict)

    @property
    def has_survey(self) -> bool:
        return any(v is not None for v in self.client.values())


def views(
    events: Iterable[Event], *, now: dt.datetime, half_life_days: float = W.HALF_LIFE_DAYS
) -> Views:
    events = list(events)
    answers = [e for e in events if e.kind in SURVEY_KINDS]
    blended = score(events, now=now, half_life_days=half_life_days)
    # Without survey answers (most relationships) our view is the blended one.
    ours = (
        score(events, now=now, half_life_days=half_life_days, exclude=SURVEY_KINDS)
        if answers
        else blended
    )
    # The client's view: their answers alone, recent ones counting more.
    asked = sums_of(answers, now=now, half_life_days=half_life_days)
    client = {name: client_view(name, asked[name]) for name in COMPONENTS}
    return Views(blended=blended, ours=ours, client=client)


def pool(
    members: Iterable[tuple[float, Mapping[str, Sums]]], *, cap: float | None = None
) -> dict[str, Sums]:
    """An organisation's sums: each member's sums scaled by their weight (influence),
    so a decision maker's record counts most, added together. With `cap`, a member's
    evidence on a component first counts for at most that much (`capped`)."""
    pooled = {n: Sums() for n in COMPONENTS}
    for scale, sums in members:
        for name, part in sums.items():
            share = scale * capped(part.weight, cap)
            pooled[name].weight += share * part.weight
            pooled[name].weighted += share * part.weighted
            pooled[name].count += part.count
    return pooled


def capped(weight: float, cap: float | None) -> float:
    """The factor that brings a person's evidence weight down to `cap` (1 when under it),
    keeping its mean: only how much it counts in a pool changes, not what it says."""
    if cap is None or weight <= cap:
        return 1.0
    return cap / weight


def gain(base: Mapping[str, Sums], changes: Iterable[tuple[str, float]]) -> float:
    """How much T would rise if events of these kinds were added (scale > 0) or
    taken away (scale < 0), as of now. Coaching ranks its next actions by this."""
    after = {n: Sums(s.weight, s.weighted, s.count) for n, s in base.items()}
    for name in COMPONENTS:
        after.setdefault(name, Sums())
    for kind, scale in changes:
        rule = RULES[kind]
        part = after[rule.component]
        part.weight = max(part.weight + rule.weight * scale, 0.0)
        part.weighted = max(part.weighted + rule.weight * scale * rule.value, 0.0)
    return score_from_sums(after).t - score_from_sums(base).t


def sums_of(events: Iterable[Event], *, now: dt.datetime, half_life_days: float) -> dict[str, Sums]:
    sums = {n: Sums() for n in COMPONENTS}
    for event in sorted(events, key=_canonical):
        if event.at > now:
            continue
        rule = RULES[event.kind]
        weight = event_weight(event, now, half_life_days)
        sums[rule.component].add(weight, event_value(event), event.count)
    return sums
