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

    def add(self, won: bool, currency: str, amount: Decimal, count: int = 1) -> None:
        """Count `count` deals won (or lost) worth `amount` together in `currency`."""
        if won:
            self.won += count
            self._won_sums[currency] += amount
        else:
            self.lost += count
            self._lost_sums[currency] += amount

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
    _gap_sums: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    _gap_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def average_gap(self) -> list[tuple[str, Decimal]]:
        return sorted(
            (c, (total / self._gap_counts[c]).quantize(CENT, rounding=ROUND_HALF_EVEN))
            for c, total in self._gap_sums.items()
            if self._gap_counts[c]
        )

    @property
    def priced(self) -> int:
        return sum(self._gap_counts.values())

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


# -- the report from groups -----------------------------------------------------------------
# A large team closes thousands of deals a year: the database counts and sums them in
# groups alike in everything the report breaks them down by, and the report is made from
# the groups. `summarise` makes the same groups from single deals.


@dataclass(frozen=True)
class DealGroup:
    """`count` closed deals alike in outcome, currency, reason, pipeline, whether they
    came from a referral and whether they were tenders, worth `amount` together."""

    won: bool
    currency: str
    reason: str
    pipeline: str
    referred: bool
    tendered: bool
    count: int
    amount: Decimal


@dataclass(frozen=True)
class ReferrerGroup:
    """`count` deals from one referrer's referrals, alike in outcome and currency."""

    referrer: str
    won: bool
    currency: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class BidGroup:
    """A competitor's `met` bids in tenders alike in outcome and currency, whether the
    competitor was the winner, and over the `priced` of them where both bids are known,
    the sum of their bid less ours."""

    competitor: str
    won: bool
    beat_us: bool
    currency: str | None
    met: int
    priced: int
    gap: Decimal


@dataclass
class Summary:
    deals: list[DealGroup]
    referrers: list[ReferrerGroup]
    bids: list[BidGroup]


def summarise(deals: Iterable[ClosedDeal]) -> Summary:
    """Single deals as the groups the report is made from."""
    groups: dict[tuple[bool, str, str, str, bool, bool], list[Any]] = {}
    referrers: dict[tuple[str, bool, str], list[Any]] = {}
    bids: dict[tuple[str, bool, bool, str | None], list[Any]] = {}
    for deal in deals:
        key = (
            deal.won,
            deal.currency,
            deal.reason,
            deal.pipeline,
            deal.referrer is not None,
            deal.tender_currency is not None,
        )
        found = groups.setdefault(key, [0, Decimal(0)])
        found[0] += 1
        found[1] += deal.amount
        if deal.referrer is not None:
            found = referrers.setdefault((deal.referrer, deal.won, deal.currency), [0, Decimal(0)])
            found[0] += 1
            found[1] += deal.amount
        for name, amount in deal.bids:
            beat_us = not deal.won and deal.winner == name
            found = bids.setdefault((name, deal.won, beat_us, deal.tender_currency), [0, 0, 0])
            found[0] += 1
            if amount is not None and deal.our_bid is not None and deal.tender_currency:
                found[1] += 1
                found[2] += amount - deal.our_bid
    return Summary(
        deals=[DealGroup(*key, n, a) for key, (n, a) in groups.items()],
        referrers=[ReferrerGroup(*key, n, a) for key, (n, a) in referrers.items()],
        bids=[BidGroup(*key, n, p, Decimal(g)) for key, (n, p, g) in bids.items()],
    )


def report_of(summary: Summary, *, reasons: Iterable[str] = ()) -> Report:
    """The report from the groups. `reasons` lists the close reasons in the order shown
    (each shown even when no deal has it); other reasons follow in order of name."""
    known = list(reasons)
    overall = Tally()
    tenders = Tally()
    by_reason: dict[str, Tally] = {r: Tally() for r in known}
    by_pipeline: dict[str, Tally] = {}
    with_referral, without_referral = Tally(), Tally()
    for g in summary.deals:
        tally = (g.won, g.currency, g.amount, g.count)
        overall.add(*tally)
        by_reason.setdefault(g.reason, Tally()).add(*tally)
        by_pipeline.setdefault(g.pipeline, Tally()).add(*tally)
        (with_referral if g.referred else without_referral).add(*tally)
        if g.tendered:
            tenders.add(*tally)
    referrers: dict[str, Tally] = {}
    for r in summary.referrers:
        referrers.setdefault(r.referrer, Tally()).add(r.won, r.currency, r.amount, r.count)
    competitors: dict[str, CompetitorRow] = {}
    for b in summary.bids:
        row = competitors.setdefault(b.competitor, CompetitorRow(name=b.competitor))
        row.met += b.met
        if b.won:
            row.won_against += b.met
        elif b.beat_us:
            row.lost_to += b.met
        if b.priced and b.currency:
            row._gap_sums[b.currency] += b.gap
            row._gap_counts[b.currency] += b.priced
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


def win_loss(deals: Iterable[ClosedDeal], *, reasons: Iterable[str] = ()) -> Report:
    """The report over single deals (see `report_of`)."""
    return report_of(summarise(deals), reasons=reasons)
