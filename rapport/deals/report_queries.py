# ruff: noqa: S608 (SQL below interpolates only table names from the models and fixed snippets; values are parameters)
"""Reads for tenders and the win/loss report, used by the pages, the API and the CLI.

The report counts only deals the reader may see whole: a deal with a colleague's
private contact on it, or which came from a referral about one, is left out of every
count and sum (counting it would tell of a contact the reader may not know of)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.deals.models import Bid, CloseReason, Competitor, Deal, Pipeline, Stage, Tender
from rapport.deals.winloss import (
    BidGroup,
    ClosedDeal,
    DealGroup,
    ReferrerGroup,
    Report,
    Summary,
    report_of,
)
from rapport.network.models import Referral
from rapport.network.queries import visible_referrals
from rapport.people.models import Person, Visibility

DEFAULT_MONTHS = 12


def competitors(actor: Any) -> QuerySet[Competitor]:
    """The team's competitors, by name."""
    return Competitor.objects.filter(team_id=actor.member.team_id).order_by("name", "id")


def tender_of(deal: Deal) -> Tender | None:
    """The deal's tender with its bids (competitor first named first), or None. The deal
    must come from `deal_for`, which checked the reader may see it."""
    return (
        Tender.objects.filter(deal_id=deal.pk)
        .select_related("winner")
        .prefetch_related("bids__competitor")
        .first()
    )


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months up to today, both ends included."""
    today = today or timezone.localdate()
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + dt.timedelta(days=1), today


def _day(value: Any, name: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationError({name: _("a date is required, such as 2026-12-01")}) from exc


def period(start: Any = None, end: Any = None) -> tuple[dt.date, dt.date]:
    """The report's period from what the reader gave (dates or ISO text, either may be
    left out): by default the twelve months up to today, or a year back from the end
    given. An end before the start is refused naming "to"."""
    first = _day(start, "from")
    last = _day(end, "to")
    if last is None:
        last = max(default_period()[1], first) if first is not None else default_period()[1]
    if first is None:
        first = default_period(last)[0]
    if last < first:
        raise ValidationError({"to": _("the end of the period is before its start")})
    return first, last


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class WinLoss:
    start: dt.date
    end: dt.date
    pipeline: Pipeline | None
    report: Report

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "pipeline": None
            if self.pipeline is None
            else {"id": self.pipeline.pk, "name": self.pipeline.name},
            **self.report.as_json(),
        }


def closed_deals(
    actor: Any, *, start: dt.date, end: dt.date, pipeline: Pipeline | None = None
) -> list[ClosedDeal]:
    """The deals won or lost from `start` to `end` (both days included, in the current
    time zone) that the actor may count, one by one, as the report's plain rows (the
    report itself is summed by the database: `summary`)."""
    # (The reference `summary` is checked against in tests/test_deals_winloss.py.)
    qs = Deal.objects.filter(
        team_id=actor.member.team_id,
        stage__outcome__in=[Stage.Outcome.WON, Stage.Outcome.LOST],
        closed_at__gte=_start_of(start),
        closed_at__lt=_start_of(end + dt.timedelta(days=1)),
    )
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    hidden = set(
        # (The period's deals only: the team's every deal would be read otherwise.)
        Deal.people.through.objects.filter(
            deal__in=qs.order_by().values("pk"), person__visibility=Visibility.PRIVATE
        )
        .exclude(person__owner_id=actor.pk)
        .values_list("deal_id", flat=True)
    )
    shown_referrals = set(visible_referrals(actor).values_list("pk", flat=True))
    rows = [
        row[:-1]
        for row in qs.order_by().values_list(
            "pk",
            "stage__outcome",
            "amount",
            "currency",
            "close_reason",
            "pipeline__name",
            "referral__referrer__display_name",
            "tender__currency",
            "tender__our_bid",
            "tender__winner__name",
            "referral_id",
        )
        if row[0] not in hidden and (row[-1] is None or row[-1] in shown_referrals)
    ]
    bids: dict[int, list[tuple[str, Decimal | None]]] = defaultdict(list)
    tendered = [r[0] for r in rows if r[7] is not None]
    for chunk in range(0, len(tendered), 5000):
        for deal_id, name, amount in (
            Bid.objects.filter(tender__deal_id__in=tendered[chunk : chunk + 5000])
            .order_by("id")
            .values_list("tender__deal_id", "competitor__name", "amount")
        ):
            bids[deal_id].append((name, amount))
    return [
        ClosedDeal(
            won=outcome == Stage.Outcome.WON,
            amount=amount,
            currency=currency,
            reason=reason or "",
            pipeline=pipeline_name,
            referrer=referrer,
            tender_currency=tender_currency,
            our_bid=our_bid,
            bids=tuple(bids.get(pk, ())),
            winner=winner,
        )
        for (
            pk,
            outcome,
            amount,
            currency,
            reason,
            pipeline_name,
            referrer,
            tender_currency,
            our_bid,
            winner,
        ) in rows
    ]


def _db_time(value: dt.datetime) -> Any:
    return (
        connection.ops.adapt_datetimefield_value(value) if connection.vendor == "sqlite" else value
    )


def _closes(
    actor: Any, start: dt.date, end: dt.date, pipeline: Pipeline | None
) -> tuple[str, list[Any]]:
    """A WITH clause naming `closes`: the deals won or lost from `start` to `end` that
    the actor may count (as `closed_deals` chooses them), with their id, amount,
    currency, reason, pipeline, referral and whether they were won."""
    person = Person._meta.db_table
    # A colleague's private contacts (by the index on team, visibility and owner), then
    # the deals and referrals they are on: each list made once, not asked again per deal.
    sql = f"""WITH unseen AS (
        SELECT p.id FROM {person} p
        WHERE p.team_id = %s AND p.visibility = %s AND (p.owner_id IS NULL OR p.owner_id <> %s)
    ), closes AS (
        SELECT d.id, d.amount, d.currency, d.close_reason, d.pipeline_id, d.referral_id,
               CASE WHEN s.outcome = %s THEN 1 ELSE 0 END AS won
        FROM {Deal._meta.db_table} d JOIN {Stage._meta.db_table} s ON s.id = d.stage_id
        WHERE d.team_id = %s AND s.outcome IN (%s, %s)
          AND d.closed_at >= %s AND d.closed_at < %s
          {"AND d.pipeline_id = %s" if pipeline is not None else ""}
          AND d.id NOT IN (
            SELECT dp.deal_id FROM {Deal.people.through._meta.db_table} dp
            WHERE dp.person_id IN (SELECT id FROM unseen))
          AND (d.referral_id IS NULL OR d.referral_id NOT IN (
            SELECT r.id FROM {Referral._meta.db_table} r
            WHERE r.referrer_id IN (SELECT id FROM unseen)
               OR r.referred_id IN (SELECT id FROM unseen)))
    )"""
    params: list[Any] = [
        actor.member.team_id,
        Visibility.PRIVATE,
        actor.pk,
        Stage.Outcome.WON,
        actor.member.team_id,
        Stage.Outcome.WON,
        Stage.Outcome.LOST,
        _db_time(_start_of(start)),
        _db_time(_start_of(end + dt.timedelta(days=1))),
        *([pipeline.pk] if pipeline is not None else []),
    ]
    return sql, params


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _money(cents: Any) -> Decimal:
    # Summed by the database in whole cents (ROUND(amount * 100)): exact on SQLite too,
    # which keeps decimals as floats, up to 2**53 cents.
    return Decimal(int(cents or 0)) / 100


def summary(
    actor: Any, *, start: dt.date, end: dt.date, pipeline: Pipeline | None = None
) -> Summary:
    """The period's countable closes counted and summed by the database, in the groups
    the report is made from (`winloss.report_of`): one statement, whatever the number of
    deals. Plain SQL: the ORM took longer to write it than the database to run it."""
    closes, params = _closes(actor, start, end, pipeline)
    tender = Tender._meta.db_table
    # One statement, so that the database chooses the period's countable deals once: the
    # deal groups, the referrer groups and the bid groups, told apart by their first
    # column (the columns mean what each part's names say).
    rows = _rows(
        f"""{closes}
        SELECT 'deal' AS part, c.won, c.currency, c.close_reason AS name, pl.name AS pipeline,
               CASE WHEN c.referral_id IS NULL THEN 0 ELSE 1 END AS flag,
               CASE WHEN EXISTS (SELECT 1 FROM {tender} t WHERE t.deal_id = c.id)
                    THEN 1 ELSE 0 END AS tendered,
               COUNT(*) AS n, SUM(ROUND(c.amount * 100)) AS cents, 0 AS priced
        FROM closes c JOIN {Pipeline._meta.db_table} pl ON pl.id = c.pipeline_id
        GROUP BY c.won, c.currency, c.close_reason, pl.name, 6, 7
        UNION ALL
        SELECT 'referrer', c.won, c.currency, p.display_name, NULL, 0, 0,
               COUNT(*), SUM(ROUND(c.amount * 100)), 0
        FROM closes c JOIN {Referral._meta.db_table} r ON r.id = c.referral_id
        JOIN {Person._meta.db_table} p ON p.id = r.referrer_id
        GROUP BY c.won, c.currency, p.display_name
        UNION ALL
        SELECT 'bid', c.won, t.currency, co.name, NULL,
               CASE WHEN c.won = 0 AND t.winner_id = b.competitor_id THEN 1 ELSE 0 END, 0,
               COUNT(*), SUM(ROUND((b.amount - t.our_bid) * 100)), COUNT(b.amount - t.our_bid)
        FROM closes c JOIN {tender} t ON t.deal_id = c.id
        JOIN {Bid._meta.db_table} b ON b.tender_id = t.id
        JOIN {Competitor._meta.db_table} co ON co.id = b.competitor_id
        GROUP BY c.won, t.currency, co.name, 6""",
        params,
    )
    deals = [r[1:] for r in rows if r[0] == "deal"]
    referrers = [r[1:] for r in rows if r[0] == "referrer"]
    bids = [r[1:] for r in rows if r[0] == "bid"]
    return Summary(
        deals=[
            DealGroup(
                won=bool(won),
                currency=currency,
                reason=reason or "",
                pipeline=name,
                referred=bool(referred),
                tendered=bool(tendered),
                count=int(n),
                amount=_money(cents),
            )
            for won, currency, reason, name, referred, tendered, n, cents, _priced in deals
        ],
        referrers=[
            ReferrerGroup(
                referrer=name, won=bool(won), currency=currency, count=int(n), amount=_money(c)
            )
            for won, currency, name, _pipeline, _flag, _tendered, n, c, _priced in referrers
        ],
        bids=[
            BidGroup(
                competitor=name,
                won=bool(won),
                beat_us=bool(beat),
                currency=currency,
                met=int(n),
                priced=int(priced),
                gap=_money(cents),
            )
            for won, currency, name, _pipeline, beat, _tendered, n, cents, priced in bids
        ],
    )


def winloss_report(
    actor: Any,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    pipeline: Pipeline | None = None,
) -> WinLoss:
    """The win/loss report of the actor's team for a period (default: the last twelve
    months) and optionally one pipeline."""
    default_start, default_end = default_period()
    start = start or default_start
    end = end or default_end
    return WinLoss(
        start=start,
        end=end,
        pipeline=pipeline,
        report=report_of(
            summary(actor, start=start, end=end, pipeline=pipeline), reasons=CloseReason.values
        ),
    )
