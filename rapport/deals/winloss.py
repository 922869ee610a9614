"""The win/loss report as pure arithmetic over closed deals: counts, win rate and
amounts per currency, broken down by close reason, competitor, pipeline and referral.

No Django here: `report_queries.py` reads the closed deals and feeds them in. Money is
Decimal and summed per currency, never across currencies and never through a float."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
TOP_REFERRERS = 10


@dataclass(frozen=True)
class ClosedDeal:
    """A won or lost deal as the report needs it. `bids` are the competitors it met with
    their bids where known, in `tender_currency` like `our_bid`; `winner` is the
    competitor who won it when we lost it, where known."""

    won: bool
    amount: Decimal
    currency: str
    reason: str
    pipeline: str
    referrer: str | None = None
    tender_currency: str | None = None
    our_bid: Decimal | None = None
    bids: tuple[tuple[str, Decimal | None], ...] = ()
    winner: str | None = None


def _sorted(sums: dict[str, Decimal]) -> list[tuple[str, Decimal]]:
    return sorted((c, v.quantize(CENT)) for c, v in sums.items())


@dataclass
class Tally:
    """Deals won and lost, with their amounts per currency."""

    won: int = 0
    lost: int = 0
    _won_sums: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    _lost_sums: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, deal: ClosedDeal) -> None:
        if deal.won:
            self.won += 1
            self._won_sums[deal.currency] += deal.amount
        else:
            self.lost += 1
            self._lost_sums[deal.currency] += deal.amount

    @property
    def total(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        """Won out of closed, in percent to one decimal; None with nothing closed."""
        if not self.total:
            return None
        return (Decimal(100 * self.won) / Decimal(self.total)).quantize(
            TENTH, rounding=ROUND_HALF_EVEN
        )

    @property
    def won_amounts(self) -> list[tuple[str, Decimal]]:
        return _sorted(self._won_sums)

    @property
    def lost_amounts(self) -> list[tuple[str, Decimal]]:
        return _sorted(self._lost_sums)

    def as_json(self) -> dict[str, Any]:
        return {
            "won": self.won,
            "lost": self.lost,
            "win_rate": None if self.win_rate is None else str(self.win_rate),
            "won_amounts": {c: str(v) for c, v in self.won_amounts},
            "lost_amounts": {c: str(v) for c, v in self.lost_amounts},
        }


@dataclass
class CompetitorRow:
    """A competitor over the period: the tenders we met them in, those we won against
    them and those they won, and their average bid less ours per currency (positive:
    they bid higher) over the tenders where both bids are known."""

    name: str
    met: int = 0
    won_against: int = 0
    lost_to: int = 0
    _gaps: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))

    @property
    def average_gap(self) -> list[tuple[str, Decimal]]:
        return sorted(
            (c, (sum(gaps, Decimal(0)) / len(gaps)).quantize(CENT, rounding=ROUND_HALF_EVEN))
            for c, gaps in self._gaps.items()
            if gaps
        )

    @property
    def priced(self) -> int:
        return sum(len(g) for g in self._gaps.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "met": self.met,
            "won_against": self.won_against,
            "lost_to": self.lost_to,
            "average_gap": {c: str(v) for c, v in self.average_gap},
            "bids_compared": self.priced,
        }


@dataclass
class Report:
    overall: Tally
    by_reason: dict[str, Tally]
    by_pipeline: dict[str, Tally]
    by_competitor: list[CompetitorRow]
    with_referral: Tally
    without_referral: Tally
    top_referrers: list[tuple[str, Tally]]
    tenders: Tally

    def as_json(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_json(),
            "tenders": self.tenders.as_json(),
            "by_reason": {r: t.as_json() for r, t in self.by_reason.items()},
            "by_pipeline": [{"name": n, **t.as_json()} for n, t in self.by_pipeline.items()],
            "by_competitor": [c.as_json() for c in self.by_competitor],
            "referral": {
                "with": self.with_referral.as_json(),
                "without": self.without_referral.as_json(),
                "top_referrers": [{"name": n, **t.as_json()} for n, t in self.top_referrers],
            },
        }


def win_loss(deals: Iterable[ClosedDeal], *, reasons: Iterable[str] = ()) -> Report:
    """The report over `deals`. `reasons` lists the close reasons in the order shown
    (each shown even when no deal has it); other reasons follow in order of name."""
    overall = Tally()
    tenders = Tally()
    by_reason: dict[str, Tally] = {r: Tally() for r in reasons}
    by_pipeline: dict[str, Tally] = {}
    competitors: dict[str, CompetitorRow] = {}
    with_referral, without_referral = Tally(), Tally()
    referrers: dict[str, Tally] = {}
    for deal in deals:
        overall.add(deal)
        by_reason.setdefault(deal.reason, Tally()).add(deal)
        by_pipeline.setdefault(deal.pipeline, Tally()).add(deal)
        if deal.referrer is None:
            without_referral.add(deal)
        else:
            with_referral.add(deal)
            referrers.setdefault(deal.referrer, Tally()).add(deal)
        if deal.tender_currency is not None:
            tenders.add(deal)
        for name, amount in deal.bids:
            row = competitors.setdefault(name, CompetitorRow(name=name))
            row.met += 1
            if deal.won:
                row.won_against += 1
            elif deal.winner == name:
                row.lost_to += 1
            if amount is not None and deal.our_bid is not None and deal.tender_currency:
                row._gaps[deal.tender_currency].append(amount - deal.our_bid)
    known = list(reasons)
    ordered = {r: by_reason[r] for r in known}
    ordered.update({r: by_reason[r] for r in sorted(set(by_reason) - set(known))})
    return Report(
        overall=overall,
        by_reason=ordered,
        by_pipeline=dict(sorted(by_pipeline.items(), key=lambda kv: (-kv[1].total, kv[0]))),
        by_competitor=sorted(
            competitors.values(), key=lambda c: (-c.lost_to, -c.met, c.name.lower())
        ),
        with_referral=with_referral,
        without_referral=without_referral,
        top_referrers=sorted(
            referrers.items(), key=lambda kv: (-kv[1].won, -kv[1].total, kv[0].lower())
        )[:TOP_REFERRERS],
        tenders=tenders,
    )
