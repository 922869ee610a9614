"""The win-win check and the stale check, alone: pure functions, property-tested."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rapport.deals.winwin import staleness, win_win

money = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("999999999999.99"), places=2, allow_nan=False
)
signed = st.decimals(
    min_value=Decimal("-999999999999.99"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@given(amount=money, margin=signed, benefit=money)
def test_a_deal_is_one_sided_exactly_when_the_client_gains_no_more_than_they_pay_or_we_lose(
    amount, margin, benefit
):
    result = win_win(amount=amount, margin=margin, client_benefit=benefit)

    assert result.one_sided == (benefit <= amount or margin < 0)
    assert ("benefit_not_above_price" in result.reasons) == (benefit <= amount)
    assert ("negative_margin" in result.reasons) == (margin < 0)
    assert not result.unchecked


@given(amount=money, margin=st.one_of(st.none(), signed), benefit=st.one_of(st.none(), money))
def test_a_missing_figure_is_named_and_never_counted_against_the_deal(amount, margin, benefit):
    result = win_win(amount=amount, margin=margin, client_benefit=benefit)

    assert ("client_benefit" in result.missing) == (benefit is None)
    assert ("margin" in result.missing) == (margin is None)
    if benefit is None and margin is None:
        assert not result.one_sided


@given(amount=money, margin=signed, benefit=money, more=money)
def test_a_bigger_client_benefit_never_makes_a_fair_deal_one_sided(amount, margin, benefit, more):
    before = win_win(amount=amount, margin=margin, client_benefit=benefit)
    after = win_win(amount=amount, margin=margin, client_benefit=benefit + more)

    assert set(after.reasons) <= set(before.reasons)


def test_a_benefit_equal_to_the_price_is_not_win_win():
    result = win_win(amount=Decimal("100.00"), margin=Decimal("0"), client_benefit=Decimal("100"))

    assert result.reasons == ("benefit_not_above_price",)


def test_one_cent_more_benefit_than_the_price_and_no_loss_is_win_win():
    result = win_win(
        amount=Decimal("100.00"), margin=Decimal("0.00"), client_benefit=Decimal("100.01")
    )

    assert not result.one_sided


@given(last=dates, step=dates, today=dates, threshold=st.integers(1, 3650))
def test_a_deal_is_stale_when_quiet_longer_than_the_threshold_or_its_next_step_is_past(
    last, step, today, threshold
):
    result = staleness(last_activity=last, next_step_on=step, today=today, threshold_days=threshold)

    assert result.quiet == ((today - last).days > threshold)
    assert result.overdue_days == max(0, (today - step).days)
    assert result.stale == (result.quiet or step < today)


def test_a_deal_touched_exactly_threshold_days_ago_is_not_yet_stale():
    today = dt.date(2026, 11, 23)
    result = staleness(
        last_activity=today - dt.timedelta(days=30),
        next_step_on=today,
        today=today,
        threshold_days=30,
    )

    assert not result.stale and result.idle_days == 30
