"""Bids and tenders: marking a deal as a tender with its bidders, competitors and bids,
the outcome and winning price once it closes; bad input refused naming the field with
nothing half-saved; the card on the deal's page and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.deals import bids, services
from rapport.deals.models import Bid, Competitor, Deal, Tender
from tests.conftest import api_for, client_for

API = "/api/v1"
TOMORROW = timezone.localdate() + dt.timedelta(days=1)


def new_deal(actor: Any, **extra: Any) -> Deal:
    fields: dict[str, Any] = {
        "title": "Port cranes tender",
        "next_step": "Submit the bid",
        "next_step_on": TOMORROW,
        "amount": "500000.00",
    } | extra
    pipeline = services.pipelines_ensure(actor=actor)
    return services.deal_create(actor=actor, pipeline=pipeline, **fields)


def close(actor: Any, deal: Deal, outcome: str, reason: str = "price") -> Deal:
    stage = deal.pipeline.stages.get(outcome=outcome)
    return services.deal_move(actor=actor, deal=deal, stage=stage, reason=reason)


def snapshot() -> dict[str, Any]:
    return {
        "tenders": list(Tender.objects.order_by("pk").values()),
        "bids": list(Bid.objects.order_by("pk").values()),
        "competitors": list(Competitor.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


def refused(field: str, call: Any) -> str:
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert snapshot() == before
    return caught.value.message_dict[field][0]


# -- services ----------------------------------------------------------------------------


def test_marking_a_deal_as_a_tender_records_bidders_bids_and_new_competitors(alice):
    known = bids.competitor_create(actor=alice, name="Zoomlion")
    deal = new_deal(alice)

    tender = bids.tender_save(
        actor=alice,
        deal=deal,
        bidders=4,
        our_bid="480000",
        competitors=[
            {"competitor": known.pk, "amount": "455000.50"},
            {"name": "  Liebherr  ", "amount": None},
            {"name": "Konecranes", "amount": "510000"},
        ],
    )

    assert tender.bidders == 4 and tender.our_bid == Decimal("480000.00")
    assert tender.currency == deal.currency
    rows = [(b.competitor.name, b.amount) for b in tender.bids.order_by("id")]
    assert rows == [
        ("Zoomlion", Decimal("455000.50")),
        ("Liebherr", None),
        ("Konecranes", Decimal("510000.00")),
    ]
    assert sorted(Competitor.objects.values_list("name", flat=True)) == [
        "Konecranes",
        "Liebherr",
        "Zoomlion",
    ]
    assert AuditEntry.objects.filter(action="tender.create").count() == 1


def test_a_competitor_typed_in_another_case_is_the_one_on_the_list(alice):
    bids.competitor_create(actor=alice, name="Zoomlion")
    deal = new_deal(alice)

    bids.tender_save(actor=alice, deal=deal, competitors=[{"name": "ZOOMLION"}])

    assert Competitor.objects.count() == 1


def test_saving_again_replaces_the_bids_and_audits_the_change(alice):
    deal = new_deal(alice)
    bids.tender_save(actor=alice, deal=deal, competitors=[{"name": "A"}, {"name": "B"}])

    bids.tender_save(actor=alice, deal=deal, bidders=3, competitors=[{"name": "B"}])

    assert list(Bid.objects.values_list("competitor__name", flat=True)) == ["B"]
    assert AuditEntry.objects.filter(action="tender.update").count() == 1


def test_the_winning_price_and_winner_are_kept_once_a_lost_deal_closes(alice):
    deal = close(alice, new_deal(alice), "lost")

    tender = bids.tender_save(
        actor=alice,
        deal=deal,
        our_bid="480000",
        winning_price="455000",
        winner="zoomlion",
        competitors=[{"name": "Zoomlion", "amount": "455000"}],
    )

    assert tender.winner is not None and tender.winner.name == "Zoomlion"
    assert tender.winning_price == Decimal("455000.00")


@pytest.mark.parametrize(
    ("field", "kwargs", "words"),
    [
        ("our_bid", {"our_bid": "-1"}, "negative"),
        ("competitors[0].amount", {"competitors": [{"name": "A", "amount": "-5"}]}, "negative"),
        ("competitors[0].amount", {"competitors": [{"name": "A", "amount": "1.234"}]}, "two"),
        (
            "bidders",
            {"bidders": 2, "competitors": [{"name": "A"}, {"name": "B"}]},
            "at least 3",
        ),
        ("bidders", {"bidders": 0}, "from 1"),
        ("bidders", {"bidders": "many"}, "whole number"),
        ("winning_price", {"winning_price": "100"}, "still open"),
        ("winner", {"winner": "A", "competitors": [{"name": "A"}]}, "still open"),
        ("competitors[1].name", {"competitors": [{"name": "A"}, {"name": " a "}]}, "twice"),
        ("competitors[0].name", {"competitors": [{"name": "  "}]}, "name"),
        ("competitors[0].competitor", {"competitors": [{"competitor": 999999}]}, "no such"),
    ],
)
def test_bad_tender_input_is_refused_naming_the_field_and_nothing_is_saved(
    alice, field, kwargs, words
):
    deal = new_deal(alice)
    # A typed-new competitor before the bad field must not be left on the list.
    message = refused(field, lambda: bids.tender_save(actor=alice, deal=deal, **kwargs))
    assert words in message


def test_a_winner_must_be_a_named_competitor_and_not_on_a_deal_we_won(alice):
    lost = close(alice, new_deal(alice), "lost")
    won = close(alice, new_deal(alice, title="Won one"), "won")

    refused(
        "winner",
        lambda: bids.tender_save(
            actor=alice, deal=lost, winner="Nobody", competitors=[{"name": "New Co"}]
        ),
    )
    assert "we won" in refused(
        "winner",
        lambda: bids.tender_save(actor=alice, deal=won, winner="A", competitors=[{"name": "A"}]),
    )


def test_another_teams_competitor_cannot_be_named_by_id(alice, charlie):
    theirs = bids.competitor_create(actor=charlie, name="Charlie's rival")
    deal = new_deal(alice)

    refused(
        "competitors[0].competitor",
        lambda: bids.tender_save(actor=alice, deal=deal, competitors=[{"competitor": theirs.pk}]),
    )


def test_a_competitor_name_already_on_the_list_is_refused(alice):
    bids.competitor_create(actor=alice, name="Zoomlion")

    refused("name", lambda: bids.competitor_create(actor=alice, name="zoomlion "))


def test_a_deal_that_is_no_longer_a_tender_loses_its_bids_but_not_the_competitors(alice):
    deal = new_deal(alice)
    bids.tender_save(actor=alice, deal=deal, competitors=[{"name": "A"}])

    bids.tender_remove(actor=alice, deal=deal)

    assert not Tender.objects.exists() and not Bid.objects.exists()
    assert Competitor.objects.count() == 1


# -- API ---------------------------------------------------------------------------------


@pytest.fixture
def api(alice: Any) -> Client:
    return api_for(alice)


def put(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.put(API + path, body, content_type="application/json")


def test_the_api_puts_and_gets_a_tender_with_money_as_strings(api, alice):
    deal = new_deal(alice)

    answer = put(
        api,
        f"/deals/{deal.pk}/tender",
        {
            "bidders": 3,
            "our_bid": "480000.00",
            "competitors": [{"name": "Zoomlion", "amount": 455000}],
        },
    )

    assert answer.status_code == 200, answer.content
    body = api.get(f"{API}/deals/{deal.pk}/tender").json()
    assert body["is_tender"] is True and body["bidders"] == 3
    assert body["our_bid"] == "480000.00"
    assert body["competitors"][0]["competitor"]["name"] == "Zoomlion"
    assert body["competitors"][0]["amount"] == "455000.00"
    names = [c["name"] for c in api.get(f"{API}/competitors").json()]
    assert names == ["Zoomlion"]


def test_the_api_refuses_bad_tender_input_as_json_naming_the_field(api, alice):
    deal = new_deal(alice)

    answer = put(api, f"/deals/{deal.pk}/tender", {"our_bid": "-10"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "our_bid"

    answer = put(api, f"/deals/{deal.pk}/tender", {"winning_price": "10"})
    assert answer.json()["field"] == "winning_price"
    assert not Tender.objects.exists()


def test_the_api_adds_competitors_and_refuses_a_duplicate(api):
    assert (
        api.post(
            f"{API}/competitors", {"name": "Zoomlion"}, content_type="application/json"
        ).status_code
        == 201
    )
    again = api.post(f"{API}/competitors", {"name": "ZOOMLION"}, content_type="application/json")
    assert again.status_code == 422 and again.json()["field"] == "name"


def test_the_api_unmarks_a_tender(api, alice):
    deal = new_deal(alice)
    put(api, f"/deals/{deal.pk}/tender", {"competitors": [{"name": "A"}]})

    body = put(api, f"/deals/{deal.pk}/tender", {"is_tender": False}).json()

    assert body["is_tender"] is False and not Tender.objects.exists()


def test_another_teams_tender_and_competitors_are_not_reachable(alice, charlie):
    deal = new_deal(alice)
    bids.tender_save(actor=alice, deal=deal, competitors=[{"name": "Secret rival"}])
    theirs = api_for(charlie)

    assert theirs.get(f"{API}/deals/{deal.pk}/tender").status_code == 404
    assert put(theirs, f"/deals/{deal.pk}/tender", {"bidders": 9}).status_code == 404
    assert theirs.get(f"{API}/competitors").json() == []
    assert client_for(charlie).get(f"/deals/{deal.pk}/tender/").status_code == 404


# -- the card on the deal's page ---------------------------------------------------------


def test_the_deal_page_loads_the_tender_card(alice):
    deal = new_deal(alice)
    page = client_for(alice).get(f"/deals/{deal.pk}/").content.decode()

    assert f'hx-get="/deals/{deal.pk}/tender/"' in page


def test_the_card_saves_a_tender_from_the_form(alice):
    deal = new_deal(alice)
    web = client_for(alice)

    answer = web.post(
        f"/deals/{deal.pk}/tender/",
        {
            "bidders": "3",
            "our_bid": "480,000.00",
            "competitor_name": ["Zoomlion", "", "Liebherr"],
            "competitor_amount": ["455000", "", ""],
        },
        HTTP_HX_REQUEST="true",
    )

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Zoomlion" in html and "Liebherr" in html and "480,000.00" in html
    assert Tender.objects.get().bids.count() == 2


def test_the_card_shows_a_refused_tender_with_its_reason_and_keeps_what_was_typed(alice):
    deal = new_deal(alice)

    answer = client_for(alice).post(
        f"/deals/{deal.pk}/tender/",
        {
            "bidders": "1",
            "competitor_name": ["Zoomlion"],
            "competitor_amount": ["-3"],
        },
        HTTP_HX_REQUEST="true",
    )

    assert answer.status_code == 422
    html = answer.content.decode()
    assert "Competitor 1: must not be negative" in html
    assert 'value="Zoomlion"' in html
    assert not Tender.objects.exists() and not Competitor.objects.exists()


def test_the_card_works_in_chinese(alice):
    alice.member.language = "zh-hans"
    alice.member.save()
    deal = new_deal(alice)
    bids.tender_save(actor=alice, deal=deal, competitors=[{"name": "中联重科", "amount": "1"}])

    html = client_for(alice).get(f"/deals/{deal.pk}/tender/").content.decode()

    assert "中联重科" in html
