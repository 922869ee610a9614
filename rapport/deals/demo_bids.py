"""Demo tenders: a "Tenders" pipeline, the competitors the team meets, and tenders won
and lost over the last year for clear reasons (price, the relationship with the decision
maker, capability, timing), so the win/loss report shows something believable."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from rapport.deals import bids, services
from rapport.deals.models import Deal, StageChange

COMPETITORS = ["Zoomlion Advisory", "Sany Consulting", "Liebherr Services", "Bain & Partners"]
# (won, reason, note, our bid, their bids as a share of ours by competitor index, winner)
TENDERS: list[tuple[bool, str, str, int, dict[int, float | None], int | None]] = [
    (False, "price", "Undercut by 12% on the day rates", 420_000, {0: 0.88, 1: 1.05}, 0),
    (False, "price", "Their fixed price beat ours", 260_000, {0: 0.9, 3: None}, 0),
    (True, "relationship", "The CFO knew our team from the pilot", 380_000, {1: 0.95}, None),
    (
        True,
        "relationship",
        "Introduced by the chairman's adviser",
        510_000,
        {0: 0.92, 2: 1.1},
        None,
    ),
    (False, "capability", "No reference in cold-chain logistics", 300_000, {2: 1.15}, 2),
    (True, "capability", "Only bidder with a Mandarin-speaking team", 640_000, {3: 1.2}, None),
    (
        False,
        "relationship",
        "Incumbent's partner sits on the board",
        450_000,
        {3: 1.08, 1: 0.97},
        3,
    ),
    (True, "price", "Best value over five years", 275_000, {0: 1.02, 1: 1.04}, None),
    (False, "timing", "Budget frozen until next year", 190_000, {1: None}, None),
    (False, "no_decision", "Tender cancelled after two rounds", 330_000, {0: 0.95, 2: None}, None),
    (True, "relationship", "Decision maker asked for us by name", 720_000, {2: 1.06}, None),
    (False, "price", "Lost to a low-ball bid", 210_000, {1: 0.8}, 1),
]


def seed(*, team: Any, user: Any, now: dt.datetime, seed: int = 0) -> int:
    """Competitors, a tender pipeline and tenders closed over the last year (plus two
    still open) for the team's shared organisations. Returns how many tenders."""
    from rapport.people.models import Organisation

    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    organisations = list(Organisation.objects.filter(team=team).order_by("pk")[:40])
    if not organisations:
        return 0
    pipeline = services.pipeline_create(
        actor=user,
        name="Tenders",
        stages=[
            {"name": "Invitation"},
            {"name": "Bid submitted"},
            {"name": "Shortlisted"},
            {"name": "Awarded", "outcome": "won"},
            {"name": "Not awarded", "outcome": "lost"},
        ],
        stale_after_days=21,
    )
    stages = {s.outcome: s for s in reversed(list(pipeline.stages.order_by("position")))}
    shortlisted = pipeline.stages.get(name="Shortlisted")
    names = []
    for name in COMPETITORS:
        found = bids.competitor_named(user, name) or bids.competitor_create(actor=user, name=name)
        names.append(found.name)
    count = 0
    for n, (won, reason, note, our_bid, theirs, winner) in enumerate(TENDERS):
        organisation = organisations[n % len(organisations)]
        bid = Decimal(our_bid)
        deal = services.deal_create(
            actor=user,
            pipeline=pipeline,
            title=f"{organisation.name}: tender {2026 - n % 2}-{n + 1:02d}",
            organisation=organisation,
            amount=bid,
            margin=bid * Decimal("0.25"),
            client_benefit=bid * Decimal("2"),
            next_step="Debrief with the buyer",
            next_step_on=now.date() + dt.timedelta(days=7),
        )
        services.deal_move(
            actor=user, deal=deal, stage=stages["won" if won else "lost"], reason=reason, note=note
        )
        competitors = [
            {
                "name": names[i],
                "amount": None
                if share is None
                else (bid * Decimal(str(share))).quantize(Decimal(1)),
            }
            for i, share in theirs.items()
        ]
        winning = (
            bid
            if won
            else next(
                (c["amount"] for i, c in zip(theirs, competitors, strict=True) if i == winner), None
            )
        )
        bids.tender_save(
            actor=user,
            deal=deal,
            bidders=len(competitors) + 1 + rng.randint(0, 2),
            our_bid=bid,
            winning_price=winning,
            winner=names[winner] if winner is not None else None,
            competitors=competitors,
        )
        # Spread the closes over the last year, the way they happened.
        closed = now - dt.timedelta(days=20 + 27 * n + rng.randint(0, 9))
        Deal.objects.filter(pk=deal.pk).update(closed_at=closed, stage_entered_at=closed)
        StageChange.objects.filter(deal=deal, from_stage__isnull=False).update(at=closed)
        count += 1
    for n in range(2):
        organisation = organisations[(len(TENDERS) + n) % len(organisations)]
        deal = services.deal_create(
            actor=user,
            pipeline=pipeline,
            stage=shortlisted,
            title=f"{organisation.name}: framework tender",
            organisation=organisation,
            amount=Decimal(350_000 + 90_000 * n),
            margin=Decimal(80_000),
            client_benefit=Decimal(900_000),
            next_step="Clarification questions due",
            next_step_on=now.date() + dt.timedelta(days=5 + n),
        )
        bids.tender_save(
            actor=user,
            deal=deal,
            bidders=4,
            our_bid=deal.amount,
            competitors=[{"name": names[n]}, {"name": names[n + 1]}],
        )
        count += 1
    return count


# -- a large book for the benchmark ------------------------------------------------------

BENCH_COMPETITORS = [
    *COMPETITORS,
    *(f"Rival {chr(65 + i // 26)}{chr(65 + i % 26)} Ltd" for i in range(26)),
]
BATCH = 2000


def generate(
    *,
    team: Any,
    users: list[Any],
    seed: int,
    now: dt.datetime,
    open_count: int,
    closed_count: int,
    years: int = 3,
    progress: Any = None,
) -> dict[str, int]:
    """Deals in bulk for a benchmark book: `open_count` open deals spread over the open
    stages of a sales and a tender pipeline, and `closed_count` won or lost over the last
    `years` with their reasons; about a third are tenders with one to four competitors
    (most bids known). People, organisations and referrals are drawn from the book;
    written with bulk inserts, not the services (which audit each row), so the book is
    made in minutes. Returns the rows added by kind."""
    from rapport.deals.models import (
        Bid,
        CloseReason,
        Competitor,
        DealSettings,
        Pipeline,
        Stage,
        Tender,
    )
    from rapport.network.models import Referral
    from rapport.people.models import Organisation, Person

    rng = random.Random(seed * 61 + 5)  # noqa: S311 - benchmark data, not secrets
    actor = users[0]
    sales = services.pipelines_ensure(actor=actor)
    tenders = Pipeline.objects.filter(team=team, name="Tenders").first() or (
        services.pipeline_create(
            actor=actor,
            name="Tenders",
            stages=[
                {"name": "Invitation"},
                {"name": "Bid submitted"},
                {"name": "Shortlisted"},
                {"name": "Awarded", "outcome": "won"},
                {"name": "Not awarded", "outcome": "lost"},
            ],
        )
    )
    currency = DealSettings.objects.get(team=team).currency
    stages = {p.pk: list(p.stages.order_by("position")) for p in (sales, tenders)}
    open_stages = {
        pk: [s for s in ss if s.outcome == Stage.Outcome.OPEN] for pk, ss in stages.items()
    }
    closed_stage = {
        (pk, outcome): next(s for s in ss if s.outcome == outcome)
        for pk, ss in stages.items()
        for outcome in (Stage.Outcome.WON, Stage.Outcome.LOST)
    }
    competitors = []
    for name in BENCH_COMPETITORS:
        found = Competitor.objects.filter(team=team, name=name).first()
        competitors.append(found or Competitor.objects.create(team=team, name=name))
    organisations = list(Organisation.objects.filter(team=team).values_list("pk", flat=True))
    people = list(
        Person.objects.filter(team=team, visibility="team").values_list("pk", flat=True)[:50000]
    )
    private = list(
        Person.objects.filter(team=team, visibility="private").values_list("pk", flat=True)[:5000]
    )
    referrals = list(Referral.objects.filter(team=team).values_list("pk", flat=True)[:5000])
    reasons = [r for r in CloseReason.values if r not in (CloseReason.OTHER, CloseReason.ABANDONED)]
    weights = [30, 18, 26, 10, 12]
    counts = {"deals": 0, "deal_people": 0, "stage_changes": 0, "tenders": 0, "bids": 0}
    span = years * 365 * 86400
    total = open_count + closed_count
    for start in range(0, total, BATCH):
        deals: list[Deal] = []
        for n in range(start, min(start + BATCH, total)):
            is_open = n < open_count
            pipeline = tenders if rng.random() < 0.33 else sales
            created = now - dt.timedelta(seconds=rng.randint(86400, span))
            if is_open:
                stage = rng.choice(open_stages[pipeline.pk])
                created = now - dt.timedelta(days=rng.randint(1, 200))
                entered = created + (now - created) * rng.random()
                closed_at, reason = None, ""
            else:
                won = rng.random() < 0.42
                stage = closed_stage[
                    (pipeline.pk, Stage.Outcome.WON if won else Stage.Outcome.LOST)
                ]
                closed_at = created + dt.timedelta(days=rng.randint(10, 180))
                closed_at = min(closed_at, now - dt.timedelta(hours=1))
                entered = closed_at
                reason = rng.choices(reasons, weights)[0]
            amount = Decimal(rng.randrange(5_000, 2_000_000, 500))
            deal = Deal(
                team=team,
                pipeline=pipeline,
                stage=stage,
                title=f"Deal {n + 1:06d}",
                organisation_id=rng.choice(organisations) if organisations else None,
                owner=rng.choice(users),
                amount=amount,
                currency=currency,
                margin=(amount * Decimal(rng.randint(-5, 40)) / 100).quantize(Decimal("0.01")),
                client_benefit=(amount * Decimal(rng.randint(50, 400)) / 100).quantize(
                    Decimal("0.01")
                ),
                next_step="Follow up",
                next_step_on=(now + dt.timedelta(days=rng.randint(-20, 40))).date(),
                next_step_updated_at=entered,
                referral_id=rng.choice(referrals) if referrals and rng.random() < 0.2 else None,
                stage_entered_at=entered,
                closed_at=closed_at,
                close_reason=reason,
                created_by=actor,
            )
            deals.append(deal)
        Deal.objects.bulk_create(deals)
        if deals[0].pk is None:  # a backend that does not return ids: fetch them back
            by_title = dict(
                Deal.objects.filter(team=team, title__in=[d.title for d in deals]).values_list(
                    "title", "pk"
                )
            )
            for d in deals:
                d.pk = by_title[d.title]
        links, changes, tender_rows = [], [], []
        for d in deals:
            chosen = set(rng.sample(people, k=min(len(people), rng.randint(1, 2))))
            links += [Deal.people.through(deal_id=d.pk, person_id=p) for p in chosen]
            if private and rng.random() < 0.03:
                links.append(Deal.people.through(deal_id=d.pk, person_id=rng.choice(private)))
            first = open_stages[d.pipeline_id][0]
            changes.append(
                StageChange(deal_id=d.pk, from_stage=None, to_stage=first, at=d.stage_entered_at)
            )
            if d.stage_id != first.pk:
                changes.append(
                    StageChange(
                        deal_id=d.pk,
                        from_stage=first,
                        to_stage=d.stage,
                        at=d.stage_entered_at,
                        reason=d.close_reason,
                    )
                )
            if d.pipeline_id == tenders.pk:
                tender_rows.append(d)
        Deal.people.through.objects.bulk_create(links, ignore_conflicts=True)
        StageChange.objects.bulk_create(changes)
        made = Tender.objects.bulk_create(
            [
                Tender(
                    team=team,
                    deal_id=d.pk,
                    bidders=rng.randint(2, 7),
                    currency=currency,
                    our_bid=d.amount,
                )
                for d in tender_rows
            ]
        )
        if made and made[0].pk is None:
            made = list(Tender.objects.filter(deal_id__in=[d.pk for d in tender_rows]))
        by_deal = {d.pk: d for d in tender_rows}
        bid_rows, winners = [], []
        for t in made:
            d = by_deal[t.deal_id]
            rivals = rng.sample(competitors, k=min((t.bidders or 2) - 1, 4))
            for c in rivals:
                known = rng.random() < 0.7
                share = Decimal(rng.randint(80, 125)) / 100
                bid_rows.append(
                    Bid(
                        tender_id=t.pk,
                        competitor=c,
                        amount=(d.amount * share).quantize(Decimal("0.01")) if known else None,
                        currency=currency,
                    )
                )
            if d.closed_at is not None and d.stage.outcome == Stage.Outcome.LOST and rivals:
                t.winner = rivals[0]
                t.winning_price = (d.amount * Decimal("0.93")).quantize(Decimal("0.01"))
                winners.append(t)
            elif d.closed_at is not None:
                t.winning_price = d.amount
                winners.append(t)
        Bid.objects.bulk_create(bid_rows)
        Tender.objects.bulk_update(winners, ["winner", "winning_price"])
        counts["deals"] += len(deals)
        counts["deal_people"] += len(links)
        counts["stage_changes"] += len(changes)
        counts["tenders"] += len(made)
        counts["bids"] += len(bid_rows)
        if progress is not None:
            progress("deals", len(deals))
    return counts
