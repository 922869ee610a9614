"""The win-win check and the stale check: pure functions over plain values (no Django).

A deal is one-sided when the client would not gain more than they pay (their expected
benefit does not exceed the price), or when we would lose money on it (a negative
margin). A deal whose benefit or margin nobody has written down is "unchecked": that is
a gap to fill, not a verdict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Reason = Literal["benefit_not_above_price", "negative_margin"]
Missing = Literal["client_benefit", "margin"]


@dataclass(frozen=True)
class WinWin:
    """What the check found: the reasons a deal is one-sided (none: it is not), and
    which figures are missing so that a side could not be checked."""

    reasons: tuple[Reason, ...] = ()
    missing: tuple[Missing, ...] = field(default=())

    @property
    def one_sided(self) -> bool:
        return bool(self.reasons)

    @property
    def unchecked(self) -> bool:
        return bool(self.missing)


def win_win(*, amount: Decimal, margin: Decimal | None, client_benefit: Decimal | None) -> WinWin:
    """Check a deal: `amount` is the price the client pays, `margin` what we keep (may be
    negative), `client_benefit` what the client expects to gain, all in one currency."""
    reasons: list[Reason] = []
    missing: list[Missing] = []
    if client_benefit is None:
        missing.append("client_benefit")
    elif client_benefit <= amount:
        reasons.append("benefit_not_above_price")
    if margin is None:
        missing.append("margin")
    elif margin < 0:
        reasons.append("negative_margin")
    return WinWin(reasons=tuple(reasons), missing=tuple(missing))


@dataclass(frozen=True)
class Staleness:
    """Whether an open deal has gone quiet, and why."""

    idle_days: int
    quiet: bool  # no stage change nor next-step update for longer than the threshold
    overdue_days: int  # how far the next step's date is in the past (0: not past)

    @property
    def stale(self) -> bool:
        return self.quiet or self.overdue_days > 0


def staleness(
    *,
    last_activity: dt.date,
    next_step_on: dt.date,
    today: dt.date,
    threshold_days: int,
) -> Staleness:
    """An open deal is stale when nothing moved it (its stage or its next step) for more
    than `threshold_days`, or when its next step's date has passed."""
    idle = max(0, (today - last_activity).days)
    overdue = max(0, (today - next_step_on).days)
    return Staleness(idle_days=idle, quiet=idle > threshold_days, overdue_days=overdue)
