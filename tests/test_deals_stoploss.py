"""The stop-loss on a deal: limits on money and hours, investment entries, the 80% flag,
the decision a crossed limit calls for (raise or walk away), the agenda section, the
API and the pages, and that none of it reaches another team or a private contact."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from rapport.accounts.models import AuditEntry
from rapport.cli import app
from rapport.core.agenda import agenda_for
from rapport.deals import investments, queries, services
from rapport.deals.models import Deal, Investment, StageChange, StopLossDecision
from rapport.deals.stoploss import entry_money, percent, share_status, stop_loss
from tests.conftest import api_for, client_for

TOMORROW = timezone.localdate() + dt.timedelta(days=1)
API = "/api/v1"

# -- the pure check ------------------------------------------------------------------------

cents = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
limits = st.decimals(
    min_value=Decimal("0.01"), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)
RANK = {"ok": 0, "near": 1, "crossed": 2}


@given(cents, cents, cents, cents)
def test_without_a_limit_a_deal_is_never_flagged(money, hours, more_money, more_hours):
    use = stop_loss(
        money_invested=money + more_money,
        hours_invested=hours + more_hours,
        money_limit=None,
        hours_limit=None,
    )
    assert use.status == "ok" and not use.flagged and not use.has_limit


@given(cents, cents, limits)
def test_investing_more_never_makes_the_status_better(invested, more, limit):
    before = share_status(invested, limit)
    after = share_status(invested + more, limit)
    assert RANK[after] >= RANK[before]


@given(cents, limits)
def test_a_deal_is_near_before_it_crosses(invested, limit):
    """Every path up from zero passes through "near" before "crossed" (80% < 100%)."""
    status = share_status(invested, limit)
    if status == "crossed":
        assert share_status(limit * Decimal("0.8"), limit) == "near"
    assert (status == "crossed") == (invested >= limit)
    assert (status != "ok") == (invested * 5 >= limit * 4)


@given(limits)
def test_the_boundaries_are_exact_at_80_and_100_percent(limit):
    near = limit * Decimal("0.8")  # exact in Decimal: no rounding
    tiny = Decimal("0.0001")
    assert share_status(near - tiny, limit) == "ok"
    assert share_status(near, limit) == "near"
    assert share_status(limit - tiny, limit) == "near"
    assert share_status(limit, limit) == "crossed"
    assert percent(limit, limit) == 100 and percent(near, limit) == 80


@given(cents, cents, limits, limits)
def test_the_worse_limit_decides_the_status(money, hours, money_limit, hours_limit):
    use = stop_loss(
        money_invested=money,
        hours_invested=hours,
        money_limit=money_limit,
        hours_limit=hours_limit,
    )
    worst = max(RANK[use.money_status], RANK[use.hours_status])
    assert RANK[use.status] == worst


def test_an_entry_counts_hours_times_rate_and_expenses_or_discounts_as_they_are():
    assert entry_money(kind="hours", hours=Decimal("7.5"), rate=Decimal("120"), amount=None) == (
        Decimal("900.00")
    )
    assert entry_money(kind="hours", hours=Decimal("3"), rate=None, amount=None) == 0
    assert entry_money(kind="discount", hours=None, rate=None, amount=Decimal("500")) == (
        Decimal("500.00")
    )


# -- services ------------------------------------------------------------------------------


def new_deal(actor: Any, **extra: Any) -> Deal:
    fields: dict[str, Any] = {
        "title": "ERP rollout",
        "next_step": "Send the proposal",
        "next_step_on": TOMORROW,
        "amount": "120000.00",
        "currency": "EUR",
        "stoploss_money": "5000",
        "stoploss_hours": "40",
    }
    fields.update(extra)
    pipeline = services.pipelines_ensure(actor=actor)
    return services.deal_create(actor=actor, pipeline=pipeline, **fields)


def snapshot() -> dict[str, Any]:
    return {
        "deals": list(Deal.objects.order_by("pk").values()),
        "entries": list(Investment.objects.order_by("pk").values()),
        "decisions": list(StopLossDecision.objects.order_by("pk").values()),
        "changes": StageChange.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def refused(field: str, call: Any) -> str:
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert snapshot() == before
    return caught.value.message_dict[field][0]


def fresh(deal: Deal) -> Deal:
    return Deal.objects.get(pk=deal.pk)


def log(actor: Any, deal: Deal, **fields: Any) -> Investment:
    return investments.investment_log(actor=actor, deal=deal, **fields)


def test_limits_are_set_on_a_new_deal_and_changed_later(alice):
    deal = new_deal(alice)
    assert (deal.stoploss_money, deal.stoploss_hours) == (Decimal("5000.00"), Decimal("40.00"))

    services.deal_update(actor=alice, deal=deal, stoploss_money="6000.50", stoploss_hours="")
    deal = fresh(deal)
    assert (deal.stoploss_money, deal.stoploss_hours) == (Decimal("6000.50"), None)
    entry = AuditEntry.objects.filter(action="deal.update").latest("pk")
    assert entry.changes["stoploss_money"] == ["5000.00", "6000.50"]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("stoploss_money", "-1", "negative"),
        ("stoploss_money", "0", "above zero"),
        ("stoploss_money", "10.001", "two decimal"),
        ("stoploss_hours", "-3", "negative"),
        ("stoploss_hours", "lots", "number of hours"),
        ("stoploss_hours", "0", "above zero"),
    ],
)
def test_a_bad_limit_is_refused_naming_the_field(alice, field, value, words):
    services.pipelines_ensure(actor=alice)
    assert words in refused(field, lambda: new_deal(alice, **{field: value}))


def test_investment_adds_up_money_and_hours_and_each_entry_is_audited(alice):
    deal = new_deal(alice)
    log(alice, deal, kind="hours", hours="10", rate="150", note="Discovery workshop")
    log(alice, deal, kind="hours", hours="6.5")  # no rate: hours only
    log(alice, deal, kind="expense", amount="800", on=timezone.localdate() - dt.timedelta(days=3))
    log(alice, deal, kind="discount", amount="1200")

    deal = fresh(deal)
    assert deal.invested_money == Decimal("3500.00")  # 1500 + 800 + 1200
    assert deal.invested_hours == Decimal("16.50")
    assert queries.stop_loss_of(deal).status == "ok"
    assert AuditEntry.objects.filter(action="deal.invest").count() == 4
    [first] = [e for e in queries.investments_of(deal) if e.note == "Discovery workshop"]
    assert first.amount == Decimal("1500.00") and first.by == alice


@pytest.mark.parametrize(
    ("field", "entry", "words"),
    [
        ("hours", {"kind": "hours", "hours": "-2", "rate": "100"}, "negative"),
        ("hours", {"kind": "hours"}, "how many hours"),
        ("amount", {"kind": "expense", "amount": "-50"}, "negative"),
        ("amount", {"kind": "discount"}, "how much"),
        ("rate", {"kind": "expense", "amount": "50", "rate": "100"}, "rate goes with hours"),
        ("hours", {"kind": "expense", "amount": "50", "hours": "2"}, "no hours"),
        ("amount", {"kind": "hours", "hours": "2", "amount": "50"}, "through their rate"),
        ("rate", {"kind": "hours", "hours": "2", "rate": "-1"}, "negative"),
        ("kind", {"kind": "bribe", "amount": "50"}, "hours, expense or discount"),
        ("on", {"kind": "expense", "amount": "5", "on": "TOMORROW"}, "future"),
        ("on", {"kind": "expense", "amount": "5", "on": "yesterday"}, "date"),
    ],
)
def test_bad_investment_is_refused_naming_the_field_and_nothing_is_saved(
    alice, field, entry, words
):
    if entry.get("on") == "TOMORROW":  # made now: a run may cross midnight
        entry = {**entry, "on": timezone.localdate() + dt.timedelta(days=1)}
    deal = new_deal(alice)
    assert words in refused(field, lambda: log(alice, deal, **entry))


def test_investment_on_a_closed_deal_is_refused(alice):
    deal = new_deal(alice)
    lost = deal.pipeline.stages.get(name="Lost")
    services.deal_move(actor=alice, deal=deal, stage=lost, reason="price")
    assert "closed" in refused("deal", lambda: log(alice, deal, kind="expense", amount="10"))


def test_at_80_percent_of_either_limit_the_deal_is_flagged_with_its_figures(alice):
    deal = new_deal(alice)
    log(alice, deal, kind="expense", amount="3999.99")
    assert queries.stop_loss_of(fresh(deal)).status == "ok"
    log(alice, deal, kind="hours", hours="31", rate="0.01")  # 0.31: 4000.30 of 5000
    deal = fresh(deal)
    use = queries.stop_loss_of(deal)
    assert use.status == "near" and use.money_percent == 80 and use.hours_percent == 77
    assert queries.stoploss_figures(use, deal.currency) == (
        "4,000.30 EUR of 5,000.00 EUR and 31 of 40 hours"
    )


def cross(actor: Any, deal: Deal) -> Deal:
    log(actor, deal, kind="hours", hours="30", rate="150")  # 4500, 30 h
    log(actor, deal, kind="discount", amount="600")  # 5100: crossed
    return fresh(deal)


def test_a_crossed_deal_refuses_more_investment_and_moving_on_until_decided(alice):
    deal = cross(alice, new_deal(alice))
    assert queries.stop_loss_of(deal).crossed
    assert "decide" in refused("deal", lambda: log(alice, deal, kind="expense", amount="1"))
    proposal = deal.pipeline.stages.get(name="Proposal")
    assert "stop-loss" in refused(
        "stage", lambda: services.deal_move(actor=alice, deal=deal, stage=proposal)
    )
    assert "decide" in refused(
        "stoploss_money",
        lambda: services.deal_update(actor=alice, deal=deal, stoploss_money="9000"),
    )
    # Closing it (won or lost) is still possible: that is a decision too.
    won = deal.pipeline.stages.get(name="Won")
    services.deal_move(actor=alice, deal=deal, stage=won, reason="relationship")
    assert fresh(deal).closed_at is not None


def test_raising_the_limit_records_the_decision_and_lets_the_deal_move_on(alice):
    deal = cross(alice, new_deal(alice))
    decision = investments.stoploss_decide(
        actor=alice,
        deal=deal,
        choice="raise",
        reason="The client asked for a second workshop and pays for it",
        money_limit="8000",
    )
    deal = fresh(deal)
    assert deal.stoploss_money == Decimal("8000.00") and deal.stoploss_hours == Decimal("40.00")
    assert decision.money_limit_before == Decimal("5000.00")
    assert decision.money_invested == Decimal("5100.00") and decision.by == alice
    assert queries.stop_loss_of(deal).status == "ok"
    log(alice, deal, kind="expense", amount="100")
    services.deal_move(actor=alice, deal=deal, stage=deal.pipeline.stages.get(name="Proposal"))
    assert [d.choice for d in queries.stoploss_decisions_of(deal)] == ["raise"]
    audit = AuditEntry.objects.get(action="deal.stoploss")
    assert audit.changes["stoploss_money"] == ["5000.00", "8000.00"]


@pytest.mark.parametrize(
    ("field", "decision", "words"),
    [
        ("reason", {"choice": "raise", "reason": " ", "money_limit": "9000"}, "reason"),
        ("money_limit", {"choice": "raise", "reason": "Worth it", "money_limit": "5100"}, "above"),
        ("money_limit", {"choice": "raise", "reason": "Worth it"}, "new limit"),
        (
            "money_limit",
            {"choice": "raise", "reason": "Worth it", "hours_limit": "80"},
            "money limit is crossed",
        ),
        (
            "hours_limit",
            {"choice": "raise", "reason": "Why", "money_limit": "9000", "hours_limit": "20"},
            "above",
        ),
        ("choice", {"choice": "shrug", "reason": "Worth it"}, "walk away"),
    ],
)
def test_a_bad_decision_is_refused_naming_the_field(alice, field, decision, words):
    deal = cross(alice, new_deal(alice))
    assert words in refused(
        field, lambda: investments.stoploss_decide(actor=alice, deal=deal, **decision)
    )


def test_there_is_nothing_to_decide_before_the_limit_is_crossed(alice):
    deal = new_deal(alice)
    assert "nothing to decide" in refused(
        "deal",
        lambda: investments.stoploss_decide(
            actor=alice, deal=deal, choice="walk_away", reason="Bored"
        ),
    )


def test_walking_away_closes_the_deal_as_abandoned_with_the_reason(alice):
    deal = cross(alice, new_deal(alice))
    investments.stoploss_decide(
        actor=alice, deal=deal, choice="walk_away", reason="They want a free pilot first"
    )
    deal = fresh(deal)
    assert deal.stage.name == "Lost" and deal.closed_at is not None
    assert deal.close_reason == "abandoned" and deal.close_note == "They want a free pilot first"
    assert deal.get_close_reason_display() == "Abandoned at stop-loss"
    last = StageChange.objects.filter(deal=deal).latest("at", "id")
    assert last.reason == "abandoned"
    assert [d.choice for d in queries.stoploss_decisions_of(deal)] == ["walk_away"]


def test_abandoned_is_not_a_reason_to_pick_by_hand(alice):
    """Only a stop-loss decision records a deal as abandoned at its stop-loss."""
    deal = new_deal(alice)
    lost = deal.pipeline.stages.get(name="Lost")
    with pytest.raises(ValidationError) as refused:
        services.deal_move(actor=alice, deal=deal, stage=lost, reason="abandoned")
    assert "reason" in refused.value.message_dict
    assert fresh(deal).closed_at is None
    page = client_for(alice).get(f"/deals/{deal.pk}/").content.decode()
    assert 'value="abandoned"' not in page and 'value="price"' in page


# -- the agenda ------------------------------------------------------------------------------


def section(user: Any) -> Any:
    return next(s for s in agenda_for(user).sections if s.name == "stoploss")


def test_the_agenda_lists_my_deals_near_or_past_their_stop_loss_crossed_first(alice, bob):
    near = new_deal(alice, title="Near one")
    log(alice, near, kind="expense", amount="4500")
    crossed = cross(alice, new_deal(alice, title="Crossed one"))
    calm = new_deal(alice, title="Calm one")
    log(alice, calm, kind="expense", amount="100")
    new_deal(alice, title="No limits", stoploss_money=None, stoploss_hours=None)
    bobs = new_deal(bob, title="Bob's near one")
    log(bob, bobs, kind="expense", amount="4500")
    walked = cross(alice, new_deal(alice, title="Walked away"))
    investments.stoploss_decide(actor=alice, deal=walked, choice="walk_away", reason="No")

    mine = section(alice)
    assert [i.title for i in mine.items] == ["Crossed one", "Near one"]
    assert mine.count == 2
    first, second = mine.items
    assert first.urgent and "raise the limit or walk away" in first.detail
    assert first.url.endswith(f"/deals/{crossed.pk}/#stoploss")
    assert not second.urgent and "4,500.00 EUR of 5,000.00 EUR" in second.detail
    assert [i.title for i in section(bob).items] == ["Bob's near one"]
    json.dumps(agenda_for(alice).as_json())


def test_the_agenda_section_reads_the_same_number_of_queries_for_one_deal_or_many(alice):
    log(alice, new_deal(alice, title="One"), kind="expense", amount="4500")
    with CaptureQueriesContext(connection) as few:
        section(alice)
    for n in range(5):
        log(alice, new_deal(alice, title=f"More {n}"), kind="expense", amount="4600")
    with CaptureQueriesContext(connection) as many:
        found = section(alice)
    assert found.count == 6
    assert len(many) == len(few)


def test_the_agenda_api_and_cli_carry_the_stop_loss_section(alice):
    log(alice, new_deal(alice, title="Near one"), kind="expense", amount="4500")
    body = api_for(alice).get(API + "/agenda").json()
    assert [i["title"] for i in body["sections"]["stoploss"]["items"]] == ["Near one"]
    runner = CliRunner()
    table = runner.invoke(app, ["agenda", "--user", "alice"])
    assert table.exit_code == 0, table.output
    assert "Deals near their stop-loss (1)" in table.output and "Near one" in table.output
    as_json = json.loads(runner.invoke(app, ["agenda", "--user", "alice", "--json"]).output)
    assert as_json["sections"]["stoploss"]["items"][0]["urgent"] is False


def test_rapport_deals_shows_where_each_deal_stands_against_its_stop_loss(alice, monkeypatch):
    from rapport import cli

    log(alice, new_deal(alice, title="Near one"), kind="expense", amount="4100")
    log(alice, new_deal(alice, title="Crossed one"), kind="hours", hours="41", rate="10")
    new_deal(alice, title="Calm one")
    monkeypatch.setattr(cli.console, "width", 250)
    runner = CliRunner()

    table = runner.invoke(app, ["deals", "--user", "alice"])
    body = json.loads(runner.invoke(app, ["deals", "--user", "alice", "--json"]).output)

    assert table.exit_code == 0, table.output
    rows = {line.split("│")[2].strip(): line for line in table.output.splitlines() if "one" in line}
    assert "80% of the stop-loss: 4,100.00 EUR of 5,000.00 EUR" in rows["Near one"]
    assert "Stop-loss crossed" in rows["Crossed one"] and "41 of 40 hours" in rows["Crossed one"]
    assert "stop-loss" not in rows["Calm one"].lower()
    cards = {c["title"]: c for s in body["pipelines"][0]["stages"] for c in s["deals"]}
    assert cards["Near one"]["stoploss"]["status"] == "near"
    assert cards["Near one"]["stoploss"]["money_percent"] == 82
    assert cards["Crossed one"]["stoploss"]["status"] == "crossed"
    assert cards["Crossed one"]["stoploss"]["hours_invested"] == "41.00"
    assert cards["Calm one"]["stoploss"]["status"] == "ok"


# -- the API ---------------------------------------------------------------------------------


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(API + path, body, content_type="application/json")


def assert_error(response: Any, status: int, field: str | None, words: str = "") -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == field and words in body["detail"], body


def test_the_api_sets_limits_logs_investment_and_records_the_decision(alice):
    api = api_for(alice)
    created = post(
        api,
        "/deals",
        {
            "title": "Data platform",
            "amount": "90000",
            "currency": "EUR",
            "next_step": "Scope call",
            "next_step_on": TOMORROW.isoformat(),
            "stoploss_money": "2000",
            "stoploss_hours": "10",
        },
    )
    assert created.status_code == 201, created.content
    deal = created.json()
    assert deal["stoploss_money"] == "2000.00" and deal["stoploss_status"] == "ok"
    url = f"/deals/{deal['id']}"

    entry = post(api, url + "/investments", {"kind": "hours", "hours": "8.5", "rate": "200"})
    assert entry.status_code == 201, entry.content
    assert entry.json()["amount"] == "1700.00" and entry.json()["by"]["name"] == "Alice Adams"
    listed = api.get(API + url + "/investments").json()
    assert listed["stoploss"]["status"] == "near"
    assert listed["stoploss"]["money_percent"] == 85 and listed["stoploss"]["hours_percent"] == 85

    assert_error(
        post(api, url + "/investments", {"kind": "hours", "hours": "-1"}), 422, "hours", "negative"
    )
    post(api, url + "/investments", {"kind": "expense", "amount": "300"})
    assert_error(
        post(api, url + "/investments", {"kind": "expense", "amount": "1"}), 422, "deal", "decide"
    )
    assert_error(
        post(api, url + "/stoploss-decision", {"choice": "raise", "reason": ""}), 422, "reason"
    )

    raised = post(
        api,
        url + "/stoploss-decision",
        {
            "choice": "raise",
            "reason": "Board meeting moved",
            "money_limit": "4000",
            "hours_limit": "20",
        },
    )
    assert raised.status_code == 200, raised.content
    assert raised.json()["stoploss_money"] == "4000.00"
    assert raised.json()["stoploss_status"] == "ok"
    history = api.get(API + url + "/investments").json()["decisions"]
    assert [(d["choice"], d["money_limit_after"]) for d in history] == [("raise", "4000.00")]

    patched = api.patch(API + url, {"stoploss_hours": None}, content_type="application/json").json()
    assert patched["stoploss_hours"] is None


def test_the_api_walks_away_and_the_deal_reads_as_abandoned(alice):
    deal = cross(alice, new_deal(alice))
    walked = post(
        api_for(alice),
        f"/deals/{deal.pk}/stoploss-decision",
        {"choice": "walk_away", "reason": "Scope keeps growing"},
    )
    assert walked.status_code == 200, walked.content
    body = walked.json()
    assert body["stage"]["outcome"] == "lost" and body["close_reason"] == "abandoned"


def test_another_team_cannot_read_or_write_a_deals_investment(alice, charlie):
    deal = cross(alice, new_deal(alice))
    api = api_for(charlie)
    assert api.get(f"{API}/deals/{deal.pk}/investments").status_code == 404
    assert (
        post(api, f"/deals/{deal.pk}/investments", {"kind": "expense", "amount": "1"}).status_code
        == 404
    )
    assert (
        post(
            api, f"/deals/{deal.pk}/stoploss-decision", {"choice": "walk_away", "reason": "x"}
        ).status_code
        == 404
    )
    page = client_for(charlie)
    assert page.post(f"/deals/{deal.pk}/investments/", {"kind": "expense"}).status_code == 404
    assert page.post(f"/deals/{deal.pk}/stoploss/", {"choice": "raise"}).status_code == 404
    assert section(charlie).count == 0
    assert fresh(deal).invested_money == Decimal("5100.00")
    assert not StopLossDecision.objects.exists()


def test_a_colleagues_private_contact_on_a_deal_is_not_named_by_the_stop_loss(alice, bob, book):
    deal = new_deal(
        bob, title="Quiet deal", organisation=book["northwind"], people=[book["bobs_secret"]]
    )
    services.deal_update(actor=bob, deal=deal, owner=alice.pk)
    log(alice, deal, kind="expense", amount="4500", note="Travel")
    agenda = json.dumps(agenda_for(alice).as_json())
    assert "Quiet deal" in agenda and "Bob's Private Contact" not in agenda
    listed = json.dumps(api_for(alice).get(f"{API}/deals/{deal.pk}/investments").json())
    assert "Bob's Private Contact" not in listed
    page = words(client_for(alice).get(f"/deals/{deal.pk}/"))
    assert "Travel" in page and "Bob's Private Contact" not in page


# -- the pages -------------------------------------------------------------------------------


def words(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode())).split())


def test_the_deal_form_sets_the_limits_and_the_page_shows_them(alice):
    deal = new_deal(alice, stoploss_money=None, stoploss_hours=None)
    client = client_for(alice)
    form = client.get(f"/deals/{deal.pk}/edit/")
    assert "Stop-loss: money" in words(form)
    data = {
        "title": deal.title,
        "owner": alice.pk,
        "amount": "120000.00",
        "currency": "EUR",
        "next_step": deal.next_step,
        "next_step_on": deal.next_step_on.isoformat(),
        "stoploss_money": "-5",
        "stoploss_hours": "40",
    }
    bad = client.post(f"/deals/{deal.pk}/edit/", data)
    assert bad.status_code == 422 and "must not be negative" in words(bad)
    assert fresh(deal).stoploss_hours is None
    saved = client.post(f"/deals/{deal.pk}/edit/", data | {"stoploss_money": "5000"})
    assert saved.status_code == 302
    page = words(client.get(f"/deals/{deal.pk}/"))
    assert "0.00 EUR of 5,000.00 EUR and 0 of 40 hours" in page


def test_logging_on_the_page_flags_the_deal_on_its_page_and_its_board_card(alice):
    deal = new_deal(alice)
    client = client_for(alice)
    today = timezone.localdate().isoformat()
    bad = client.post(
        f"/deals/{deal.pk}/investments/", {"kind": "hours", "on": today, "hours": "-3"}
    )
    assert bad.status_code == 422 and "must not be negative" in words(bad)
    done = client.post(
        f"/deals/{deal.pk}/investments/",
        {"kind": "hours", "on": today, "hours": "31", "rate": "132.26", "note": "Workshops"},
    )
    assert done.status_code == 302
    page = words(client.get(f"/deals/{deal.pk}/"))
    assert "80% of the stop-loss: 4,100.06 EUR of 5,000.00 EUR and 31 of 40 hours" in page
    board = words(client.get("/deals/"))
    assert "80% of the stop-loss" in board


def test_a_crossed_deal_shows_the_decision_panel_and_the_history_after(alice):
    deal = cross(alice, new_deal(alice))
    client = client_for(alice)
    page = client.get(f"/deals/{deal.pk}/")
    assert 'data-testid="stoploss-decision"' in page.content.decode()
    assert 'data-testid="investment-form"' not in page.content.decode()
    moved = client.post(
        f"/deals/{deal.pk}/move/", {"stage": deal.pipeline.stages.get(name="Proposal").pk}
    )
    assert moved.status_code == 422 and "crossed its stop-loss" in words(moved)
    missing = client.post(f"/deals/{deal.pk}/stoploss/", {"choice": "raise", "reason": "Worth it"})
    assert missing.status_code == 422 and "give the new limit" in words(missing)
    done = client.post(
        f"/deals/{deal.pk}/stoploss/",
        {"choice": "raise", "reason": "Worth it", "money_limit": "7000", "hours_limit": ""},
    )
    assert done.status_code == 302
    after = words(client.get(f"/deals/{deal.pk}/"))
    assert "Raise the limit" in after and "5,000.00 → 7,000.00 EUR" in after
    assert "Worth it" in after


def test_the_page_speaks_chinese_around_the_figures(alice):
    from rapport.accounts.services import member_update_preferences

    deal = cross(alice, new_deal(alice, title="数据平台"))
    member_update_preferences(actor=alice, language="zh-hans")
    with translation.override("en"):  # the page's language is not left active after it
        page = client_for(alice).get(f"/deals/{deal.pk}/")
    assert page.status_code == 200 and "数据平台" in words(page)
    assert "止损" in words(page) or "Stop-loss" in words(page)
