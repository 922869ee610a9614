"""The ledger's pure maths and its part in trust, property-tested without a database:
totals are made per currency and never mix currencies or lose a cent, grouping by kind
keeps every item once, and telling a client of value delivered never lowers
credibility (nor touches any other component)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.trust import equation as E
from rapport.trust import weights as W
from rapport.trust.equation import Event
from rapport.value.totals import by_kind, totals

KINDS = ["work", "saving", "training", "introduction", "advice"]
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Item:
    kind: str
    amount: Decimal | None
    currency: str
    hours: Decimal | None
    told_at: object


# The machine's cores are shared: a stalled draw must not fail a check of the maths.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow])
cents = st.integers(0, 10**12).map(lambda c: Decimal(c) / 100)
items = st.builds(
    Item,
    kind=st.sampled_from(KINDS),
    amount=st.none() | cents,
    currency=st.sampled_from(["CNY", "EUR", "USD"]),
    hours=st.none() | st.integers(0, 10**6).map(lambda c: Decimal(c) / 100),
    told_at=st.none() | st.just(NOW),
)


@relaxed
@given(st.lists(items, max_size=40))
def test_money_is_summed_per_currency_to_the_cent(entries: list[Item]) -> None:
    found = totals(entries)

    for currency, total in found.money_rows:
        exact = sum(
            (e.amount for e in entries if e.currency == currency and e.amount is not None),
            Decimal("0"),
        )
        assert total == exact and isinstance(total, Decimal)
    assert set(found.money) == {e.currency for e in entries if e.amount is not None}
    assert found.hours == sum((e.hours for e in entries if e.hours is not None), Decimal("0"))
    assert found.count == len(entries)
    assert found.not_told == sum(1 for e in entries if e.told_at is None)


@relaxed
@given(st.lists(items, max_size=40))
def test_grouping_by_kind_keeps_every_item_once_in_the_ledger_s_order(entries: list[Item]) -> None:
    groups = by_kind(entries, KINDS)

    assert [k for k, _i, _t in groups] == [k for k in KINDS if any(e.kind == k for e in entries)]
    assert sorted(map(id, (i for _k, g, _t in groups for i in g))) == sorted(map(id, entries))
    for kind, group, subtotal in groups:
        assert all(e.kind == kind for e in group)
        assert subtotal == totals(group)


history = st.lists(
    st.builds(
        Event,
        st.sampled_from(sorted(k for k in W.RULES if k not in W.SURVEY_KINDS)),
        st.integers(0, 3 * 365 * 86400).map(lambda s: NOW - dt.timedelta(seconds=s)),
        st.floats(0.05, 4.0, allow_nan=False),
    ),
    max_size=25,
)


@relaxed
@given(history, st.integers(0, 3 * 365 * 86400), st.floats(0.05, 4.0, allow_nan=False))
def test_telling_a_client_of_value_never_lowers_credibility(
    events: list[Event], seconds_ago: int, scale: float
) -> None:
    told = Event("value_reported", NOW - dt.timedelta(seconds=seconds_ago), scale=scale)

    before = E.score(events, now=NOW)
    after = E.score([*events, told], now=NOW)

    assert after.c.value >= before.c.value - 1e-9
    assert after.c.count == before.c.count + 1
    for mine, theirs in ((after.r, before.r), (after.i, before.i), (after.s, before.s)):
        assert mine.value == theirs.value


def test_value_reported_is_a_small_credibility_gain() -> None:
    rule = W.RULES["value_reported"]
    assert rule.component == W.C and rule.value == W.HIGH[W.C]
    assert 0 < rule.weight < W.RULES["evidence_verified"].weight
