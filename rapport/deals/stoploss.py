"""The stop-loss check: pure functions over plain values (no Django).

A pursuit may carry a limit on the money invested in it (hours × rate, expenses and
discounts, all in the deal's currency) and a limit on the hours invested. At 80% of
either limit the deal is "near" its stop-loss; at 100% of either it has "crossed" it,
and someone must decide: raise the limit, or walk away. A deal without limits is never
flagged. Comparisons are exact (Decimal, cross-multiplied: no division, no rounding)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

Status = Literal["ok", "near", "crossed"]
NEAR_PERCENT = 80
CROSSED_PERCENT = 100
ORDER: dict[Status, int] = {"ok": 0, "near": 1, "crossed": 2}


def share_status(invested: Decimal, limit: Decimal | None) -> Status:
    """How `invested` stands against one `limit` (None: no limit, never flagged)."""
    if limit is None or limit <= 0:
        return "ok"
    if invested * 100 >= limit * CROSSED_PERCENT:
        return "crossed"
    if invested * 100 >= limit * NEAR_PERCENT:
        return "near"
    return "ok"


def percent(invested: Decimal, limit: Decimal | None) -> int | None:
    """Whole percent of the limit used, rounded down (None without a limit)."""
    if limit is None or limit <= 0:
        return None
    return int((invested * 100 / limit).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class StopLoss:
    """Where a deal stands against its limits."""

    money_invested: Decimal
    hours_invested: Decimal
    money_limit: Decimal | None
    hours_limit: Decimal | None

    @property
    def money_status(self) -> Status:
        return share_status(self.money_invested, self.money_limit)

    @property
    def hours_status(self) -> Status:
        return share_status(self.hours_invested, self.hours_limit)

    @property
    def status(self) -> Status:
        """The worse of the two limits' statuses."""
        return max(self.money_status, self.hours_status, key=ORDER.__getitem__)

    @property
    def money_percent(self) -> int | None:
        return percent(self.money_invested, self.money_limit)

    @property
    def hours_percent(self) -> int | None:
        return percent(self.hours_invested, self.hours_limit)

    @property
    def has_limit(self) -> bool:
        return self.money_limit is not None or self.hours_limit is not None

    @property
    def near(self) -> bool:
        return self.status == "near"

    @property
    def crossed(self) -> bool:
        return self.status == "crossed"

    @property
    def flagged(self) -> bool:
        return self.status != "ok"


def stop_loss(
    *,
    money_invested: Decimal,
    hours_invested: Decimal,
    money_limit: Decimal | None,
    hours_limit: Decimal | None,
) -> StopLoss:
    return StopLoss(
        money_invested=money_invested,
        hours_invested=hours_invested,
        money_limit=money_limit,
        hours_limit=hours_limit,
    )


def entry_money(
    *, kind: str, hours: Decimal | None, rate: Decimal | None, amount: Decimal | None
) -> Decimal:
    """The money one investment entry counts for: hours × rate (nothing without a
    rate), or the expense or discount's amount. Rounded to the cent, half up."""
    if kind == "hours":
        if hours is None or rate is None:
            return Decimal("0.00")
        return (hours * rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    return (amount or Decimal("0")).quantize(Decimal("0.01"))
