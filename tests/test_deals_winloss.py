"""The win/loss report: the pure arithmetic (property-tested), the deals it counts (a
period, a pipeline, never another team's nor a colleague's private contact's), its page
with the chart, the API and `rapport report winloss`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rapport.cli import app
from rapport.deals import bids, report_queries, services
from rapport.deals.models import Deal
from rapport.deals.winloss import ClosedDeal, win_loss
from rapport.network.services import referral_create
from rapport.people.services import person_create
from tests.conftest import api_for, client_for

TOMORROW = timezone.localdate() + dt.timedelta(days=1)

# -- the arithmetic ----------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)
closed = st.builds(
    ClosedDeal,
    won=st.booleans(),
    amount=amounts,
    currency=st.sampled_from(["CNY", "USD", "EUR"]),
    reason=st.sampled_from(["price", "capability", "relationship", "timing", ""]),
    pipeline=st.sampled_from(["Sales", "Tenders"]),
    referrer=st.one_of(st.none(), st.sampled_from(["Wang", "Anna", "Li"])),
)


RELAXED = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=60)


@RELAXED
@given(st.lists(closed, max_size=40))
def test_every_breakdown_adds_up_to_the_whole(deals):
    report = win_loss(deals, reasons=["price", "capability"])
    overall = report.overall

    assert overall.won + overall.lost == len(deals)
    for parts in (report.by_reason.values(), report.by_pipeline.values()):
        assert sum(t.won for t in parts) == overall.won
        assert sum(t.lost for t in parts) == overall.lost
    assert report.with_referral.total + report.without_referral.total == len(deals)
    for currency in {d.currency for d in deals}:
        won = sum((d.amount for d in deals if d.won and d.currency == currency), Decimal(0))
        assert dict(overall.won_amounts).get(currency, Decimal(0)) == won
    if deals:
        assert overall.win_rate is not None and 0 <= overall.win_rate <= 100
    else:
        assert overall.win_rate is None
    assert list(report.by_reason)[:2] == ["price", "capability"]


@given(
    st.lists(st.tuples(amounts, amounts, st.sampled_from(["CNY", "USD"])), min_size=1, max_size=20)
)
def test_a_competitor_s_average_gap_lies_between_its_smallest_and_largest(pairs):
    deals = [
        ClosedDeal(
            won=False,
            amount=ours,
            currency=currency,
            reason="price",
            pipeline="Tenders",
            tender_currency=currency,
            our_bid=ours,
            bids=(("Zoomlion", theirs),),
            winner="Zoomlion",
        )
        for ours, theirs, currency in pairs
    ]
    [row] = win_loss(deals).by_competitor

    assert row.met == row.lost_to == len(pairs)
    for currency, gap in row.average_gap:
        gaps = [t - o for o, t, c in pairs if c == currency]
        assert min(gaps) - Decimal("0.01") <= gap <= max(gaps) + Decimal("0.01")
    assert {c for c, _ in row.average_gap} == {c for _, _, c in pairs}


def test_money_in_different_currencies_is_never_added_together():
    report = win_loss(
        [
            ClosedDeal(
                won=True, amount=Decimal("10.00"), currency="CNY", reason="price", pipeline="S"
            ),
            ClosedDeal(
                won=True, amount=Decimal("5.50"), currency="USD", reason="price", pipeline="S"
            ),
        ]
    )

    assert report.overall.won_amounts == [("CNY", Decimal("10.00")), ("USD", Decimal("5.50"))]


# -- the deals it counts -----------------------------------------------------------------


def new_deal(actor: Any, **extra: Any) -> Deal:
    fields: dict[str, Any] = {
        "title": "Deal",
        "next_step": "Call",
        "next_step_on": TOMORROW,
        "amount": "1000.00",
    } | extra
    pipeline = extra.pop("pipeline", None) or services.pipelines_ensure(actor=actor)
    fields.pop("pipeline", None)
    return services.deal_create(actor=actor, pipeline=pipeline, **fields)


def closed_deal(actor: Any, outcome: str, reason: str = "price", **extra: Any) -> Deal:
    deal = new_deal(actor, **extra)
    stage = deal.pipeline.stages.get(outcome=outcome)
    return services.deal_move(actor=actor, deal=deal, stage=stage, reason=reason)


@pytest.fixture
def deals(alice, bob, charlie, book):
    """Alice's team: two won and one lost deal in the open, a lost one with Bob's
    private contact on it, and a won one of Alice's own private contact; Charlie's team
    wins a deal of its own."""
    won = closed_deal(alice, "won", "relationship", amount="3000.00", title="Won A")
    closed_deal(alice, "won", "capability", amount="2000.00", title="Won B", currency="EUR")
    lost = closed_deal(alice, "lost", "price", amount="5000.00", title="Lost A")
    closed_deal(bob, "lost", "price", amount="7777.00", people=[book["bobs_secret"].pk])
    closed_deal(alice, "won", "timing", amount="100.00", people=[book["alices_secret"].pk])
    closed_deal(charlie, "won", "price", amount="999999.00")
    bids.tender_save(
        actor=alice,
        deal=lost,
        our_bid="5000",
        winning_price="4500",
        winner="Zoomlion",
        competitors=[{"name": "Zoomlion", "amount": "4500"}, {"name": "Sany", "amount": "5600"}],
    )
    bids.tender_save(actor=alice, deal=won, our_bid="3000", competitors=[{"name": "Sany"}])
    return {"won": won, "lost": lost}


def test_the_report_counts_the_team_s_closed_deals_by_reason_and_currency(alice, deals):
    report = report_queries.winloss_report(alice).report

    assert (report.overall.won, report.overall.lost) == (3, 1)
    assert report.overall.win_rate == Decimal("75.0")
    assert report.overall.won_amounts == [("EUR", Decimal("2000.00")), ("USD", Decimal("3100.00"))]
    assert report.by_reason["price"].lost == 1
    assert report.by_reason["relationship"].won == 1
    assert report.by_reason["no_decision"].total == 0  # shown, with nothing in it


def test_a_colleague_s_private_contact_s_deal_and_another_team_s_are_never_counted(
    alice, bob, charlie, deals
):
    bobs_view = report_queries.winloss_report(bob).report
    alices_view = report_queries.winloss_report(alice).report
    charlies_view = report_queries.winloss_report(charlie).report

    # Bob sees his own private contact's deal but not Alice's; Alice the reverse.
    assert (bobs_view.overall.won, bobs_view.overall.lost) == (2, 2)
    assert "7777.00" not in json.dumps(alices_view.as_json())
    assert "100.00" not in json.dumps([str(v) for _, v in bobs_view.overall.won_amounts])
    assert (charlies_view.overall.won, charlies_view.overall.lost) == (1, 0)
    assert charlies_view.by_competitor == []


def test_competitors_show_the_deals_met_lost_to_them_and_their_price_gap(alice, deals):
    rows = {c.name: c for c in report_queries.winloss_report(alice).report.by_competitor}

    assert (rows["Zoomlion"].met, rows["Zoomlion"].lost_to) == (1, 1)
    assert rows["Zoomlion"].average_gap == [("USD", Decimal("-500.00"))]
    assert (rows["Sany"].met, rows["Sany"].won_against, rows["Sany"].lost_to) == (2, 1, 0)
    assert rows["Sany"].average_gap == [("USD", Decimal("600.00"))]


def test_the_period_and_the_pipeline_narrow_the_report(alice, deals):
    later = timezone.localdate() + dt.timedelta(days=10)
    assert report_queries.winloss_report(alice, start=later, end=later).report.overall.total == 0

    other = services.pipeline_create(
        actor=alice,
        name="Tenders",
        stages=[
            {"name": "Bid"},
            {"name": "Won", "outcome": "won"},
            {"name": "Lost", "outcome": "lost"},
        ],
    )
    closed_deal(alice, "lost", "capability", pipeline=other)
    only = report_queries.winloss_report(alice, pipeline=other).report
    assert (only.overall.won, only.overall.lost) == (0, 1)


def test_referral_source_splits_deals_and_names_the_top_referrers(alice, book):
    referral = referral_create(actor=alice, referrer=book["wang"], referred=book["anna"])
    closed_deal(alice, "won", referral=referral.pk, amount="8000.00")
    closed_deal(alice, "lost")

    report = report_queries.winloss_report(alice).report

    assert (report.with_referral.won, report.without_referral.lost) == (1, 1)
    [(name, tally)] = report.top_referrers
    assert name == book["wang"].display_name and tally.won_amounts == [("USD", Decimal("8000.00"))]


def test_a_deal_from_a_referral_about_a_colleague_s_private_contact_is_not_counted(
    alice, bob, book
):
    mine = person_create(actor=bob, display_name="Bob's referrer", visibility="private")
    referral = referral_create(actor=bob, referrer=mine, referred=book["wang"])
    closed_deal(bob, "won", referral=referral.pk)

    assert report_queries.winloss_report(alice).report.overall.total == 0
    assert report_queries.winloss_report(bob).report.top_referrers[0][0] == "Bob's referrer"


CLOSE = st.fixed_dictionaries(
    {
        "by_bob": st.booleans(),
        "won": st.booleans(),
        "amount": st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False),
        "currency": st.sampled_from(["USD", "CNY"]),
        "reason": st.sampled_from(["price", "capability", "timing"]),
        "tenders": st.booleans(),
        "person": st.sampled_from([None, "wang", "bobs_secret", "alices_secret"]),
        "referral": st.sampled_from([None, "shared", "bobs"]),
        "our_bid": st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2)),
        "bids": st.lists(
            st.tuples(
                st.sampled_from(["Sany", "Zoomlion", "XCMG"]),
                st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2)),
            ),
            max_size=3,
            unique_by=lambda b: b[0],
        ),
    }
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(closes=st.lists(CLOSE, max_size=7))
def test_the_database_s_sums_are_the_report_of_the_deals_one_by_one(alice, bob, book, closes):
    Deal.objects.all().delete()
    hidden = person_create(actor=bob, display_name="Bob's referrer", visibility="private")
    referrals = {
        "shared": referral_create(actor=alice, referrer=book["wang"], referred=book["anna"]),
        "bobs": referral_create(actor=bob, referrer=hidden, referred=book["wang"]),
    }
    for n, close in enumerate(closes):
        actor = bob if close["by_bob"] else alice
        # One's own private contacts and referrals only: a colleague's cannot be chosen.
        if close["person"] == ("alices_secret" if close["by_bob"] else "bobs_secret"):
            close["person"] = None
        if close["referral"] == "bobs" and not close["by_bob"]:
            close["referral"] = None
        person, referral = close["person"], close["referral"]
        deal = closed_deal(
            actor,
            "won" if close["won"] else "lost",
            close["reason"],
            title=f"Deal {n}",
            amount=str(close["amount"]),
            currency=close["currency"],
            people=[book[person].pk] if person else [],
            referral=referrals[referral].pk if referral else None,
        )
        if close["tenders"]:
            named = [{"name": name, "amount": amount} for name, amount in close["bids"]]
            bids.tender_save(
                actor=actor,
                deal=deal,
                our_bid=close["our_bid"],
                competitors=named,
                winner=named[0]["name"] if named and not close["won"] else None,
            )
    start, end = report_queries.default_period()

    for reader, unseen in ((alice, "bobs_secret"), (bob, "alices_secret")):
        summed = report_queries.winloss_report(reader).report
        one_by_one = win_loss(
            report_queries.closed_deals(reader, start=start, end=end),
            reasons=report_queries.CloseReason.values,
        )
        assert summed.as_json() == one_by_one.as_json()
        countable = [
            c
            for c in closes
            if c["person"] != unseen and (reader is bob or c["referral"] != "bobs")
        ]
        assert summed.overall.total == len(countable)
        assert summed.overall.won == sum(c["won"] for c in countable)
        for currency, total in summed.overall.won_amounts:
            assert total == sum(
                (c["amount"] for c in countable if c["won"] and c["currency"] == currency),
                Decimal(0),
            )


# -- page, API and CLI -------------------------------------------------------------------


def test_the_report_page_shows_the_rates_tables_and_a_chart(alice, deals):
    page = client_for(alice).get("/deals/report/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="win-rate"' in html and "75.0%" in html
    assert '<svg class="chart grouped"' in html and "Deals won and lost by reason" in html
    assert "Zoomlion" in html and "Relationship with the decision maker" in html
    assert "7777" not in html


def test_the_board_links_to_the_report(alice, deals):
    html = client_for(alice).get("/deals/").content.decode()
    assert 'data-testid="winloss-link"' in html


def test_the_report_page_refuses_an_end_before_the_start(alice, deals):
    page = client_for(alice).get("/deals/report/?from=2026-05-01&to=2026-04-01")

    assert page.status_code == 422
    assert "before its start" in page.content.decode()


def test_another_team_s_pipeline_cannot_filter_the_report(alice, charlie, deals):
    theirs = services.pipelines_ensure(actor=charlie)
    assert client_for(alice).get(f"/deals/report/?pipeline={theirs.pk}").status_code == 422
    answer = api_for(alice).get(f"/api/v1/deals/report?pipeline_id={theirs.pk}")
    assert answer.status_code == 422 and answer.json()["field"] == "pipeline_id"


def test_the_report_page_works_in_chinese(alice, deals):
    alice.member.language = "zh-hans"
    alice.member.save()

    page = client_for(alice).get("/deals/report/")

    assert page.status_code == 200 and "Zoomlion" in page.content.decode()


def test_the_api_gives_the_report_with_money_as_strings(alice, deals):
    today = timezone.localdate().isoformat()
    body = api_for(alice).get(f"/api/v1/deals/report?from={today}&to={today}").json()

    assert body["from"] == today and body["overall"]["won"] == 3
    assert body["overall"]["won_amounts"] == {"EUR": "2000.00", "USD": "3100.00"}
    assert body["by_reason"]["price"]["lost"] == 1
    assert {c["name"] for c in body["by_competitor"]} == {"Zoomlion", "Sany"}


def test_the_api_refuses_a_bad_period_naming_the_field(alice, deals):
    answer = api_for(alice).get("/api/v1/deals/report?from=2026-05-01&to=2026-04-01")
    assert answer.status_code == 422 and answer.json()["field"] == "to"


def test_the_cli_prints_the_report_and_its_json(alice, deals):
    runner = CliRunner()
    today = timezone.localdate().isoformat()

    as_json = runner.invoke(
        app, ["report", "winloss", "--user", "alice", "--from", today, "--to", today, "--json"]
    )
    table = runner.invoke(app, ["report", "winloss", "--user", "alice"])

    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["overall"]["lost"] == 1
    assert table.exit_code == 0, table.output
    assert "75.0%" in table.output and "Zoomlion" in table.output


# -- the demo ----------------------------------------------------------------------------


def test_the_demo_tenders_give_a_believable_report(alice, book):
    from rapport.deals import demo_bids

    assert demo_bids.seed(team=alice.member.team, user=alice, now=timezone.now(), seed=7) == 14

    report = report_queries.winloss_report(alice).report
    assert (report.overall.won, report.overall.lost) == (5, 7)
    assert report.by_reason["price"].lost == 3 and report.by_reason["relationship"].won == 3
    rows = {c.name: c for c in report.by_competitor}
    assert rows["Zoomlion Advisory"].lost_to == 2
    [(currency, gap)] = rows["Zoomlion Advisory"].average_gap
    assert currency == "USD" and gap < 0  # they win on price by bidding under us


def test_the_benchmark_generator_makes_open_and_closed_deals_with_tenders(alice, bob, book):
    from rapport.deals import demo_bids

    counts = demo_bids.generate(
        team=alice.member.team,
        users=[alice, bob],
        seed=3,
        now=timezone.now(),
        open_count=30,
        closed_count=120,
    )

    assert counts["deals"] == 150 and counts["tenders"] > 10 and counts["bids"] > 10
    assert Deal.objects.filter(closed_at__isnull=True).count() == 30
    report = report_queries.winloss_report(alice).report
    assert 0 < report.overall.total < 120 and report.by_competitor
