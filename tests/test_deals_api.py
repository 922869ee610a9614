"""Pipelines and deals over the API, and `rapport deals`: the same services as the
pages, money as decimal strings, errors as JSON naming the field."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rapport.cli import app
from rapport.deals import services
from rapport.deals.models import Deal, StageChange
from tests.conftest import api_for

API = "/api/v1"
TOMORROW = (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.fixture
def api(alice: Any, book: dict[str, Any]) -> Client:
    return api_for(alice)


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(API + path, body, content_type="application/json")


def deal_body(**extra: Any) -> dict[str, Any]:
    return {
        "title": "ERP rollout",
        "amount": "120000.00",
        "margin": 30000,
        "client_benefit": "400000",
        "next_step": "Send the proposal",
        "next_step_on": TOMORROW,
    } | extra


def stages(client: Client) -> dict[str, int]:
    [pipeline] = client.get(API + "/pipelines").json()
    return {s["name"]: s["id"] for s in pipeline["stages"]}


def assert_error(response: Any, status: int, field: str | None, words: str = "") -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == field and words in body["detail"], body


def test_listing_pipelines_gives_a_new_team_its_default_one(api):
    body = api.get(API + "/pipelines").json()

    assert [p["name"] for p in body] == ["Sales"]
    assert [(s["name"], s["outcome"]) for s in body[0]["stages"]][-2:] == [
        ("Won", "won"),
        ("Lost", "lost"),
    ]


def test_creating_a_pipeline_and_its_errors(api):
    created = post(
        api,
        "/pipelines",
        {
            "name": "Tenders",
            "stale_after_days": 10,
            "stages": [
                {"name": "Bid"},
                {"name": "Awarded", "outcome": "won"},
                {"name": "Lost", "outcome": "lost"},
            ],
        },
    )
    no_won = post(api, "/pipelines", {"name": "Odd", "stages": [{"name": "A"}]})
    bad_outcome = post(
        api, "/pipelines", {"name": "Odd", "stages": [{"name": "A", "outcome": "maybe"}]}
    )

    assert created.status_code == 201
    assert created.json()["stale_after_days"] == 10
    assert [s["name"] for s in created.json()["stages"]] == ["Bid", "Awarded", "Lost"]
    assert_error(no_won, 422, "stages", "won stage and a lost stage")
    assert_error(bad_outcome, 422, "stages[0].outcome")


def test_creating_reading_and_listing_a_deal_with_money_as_decimal_strings(api, book):
    created = post(
        api,
        "/deals",
        deal_body(organisation=book["huawei"].pk, people=[book["wang"].pk], amount=0.1),
    )

    assert created.status_code == 201, created.content
    deal = created.json()
    assert deal["amount"] == "0.10" and deal["margin"] == "30000.00"
    assert deal["currency"] == "USD" and deal["stage"]["name"] == "Lead"
    assert deal["organisation"]["name"] == "华为技术"
    assert [p["name"] for p in deal["people"]] == ["王小明"]
    assert deal["one_sided"] is False and deal["stale"] is False
    assert api.get(f"{API}/deals/{deal['id']}").json() == deal
    listing = api.get(API + "/deals?outcome=open").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == deal["id"]
    assert api.get(API + "/deals?outcome=won").json()["count"] == 0


def test_a_one_sided_deal_says_why(api):
    deal = post(api, "/deals", deal_body(client_benefit="100000", margin="-1")).json()

    assert deal["one_sided"] is True
    assert deal["one_sided_reasons"] == ["benefit_not_above_price", "negative_margin"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"client_benefit": -5}, "client_benefit"),
        ({"currency": "US"}, "currency"),
        ({"next_step": ""}, "next_step"),
        ({"next_step_on": "2020-01-01"}, "next_step_on"),
        ({"pipeline": 999_999}, "pipeline"),
        ({"stage": 999_999}, "stage"),
        ({"referral": 999_999}, "referral"),
        ({"people": [2**70]}, "people"),
        ({"stage": 2**70}, "stage"),
        ({"pipeline": 2**70}, "pipeline"),
        ({"organisation": -1}, "organisation"),
    ],
)
def test_bad_deal_input_is_refused_naming_the_field_and_nothing_is_saved(api, change, field):
    assert_error(post(api, "/deals", deal_body(**change)), 422, field)
    assert not Deal.objects.exists()


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)
deal_payloads = st.fixed_dictionaries(
    {},
    optional={
        "title": st.one_of(st.text(max_size=210), scalars),
        "amount": scalars,
        "margin": scalars,
        "client_benefit": scalars,
        "currency": st.one_of(st.sampled_from(["USD", "cny", "EURO"]), scalars),
        "next_step": st.one_of(st.text(max_size=20), scalars),
        "next_step_on": st.one_of(st.sampled_from([TOMORROW, "2020-01-01", "soon"]), scalars),
        "people": st.one_of(st.lists(scalars, max_size=3), scalars),
        "stage": scalars,
        "pipeline": scalars,
        "referral": scalars,
        "owner": scalars,
    },
)


@pytest.mark.django_db
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=deal_payloads)
def test_random_deal_input_is_created_or_refused_naming_the_field_never_half_saved(api, payload):
    before = Deal.objects.count(), StageChange.objects.count()

    response = post(api, "/deals", payload)

    if response.status_code == 201:
        assert Deal.objects.count() == before[0] + 1
        assert StageChange.objects.count() == before[1] + 1
        return
    assert response.status_code == 422, response.content
    assert response.json()["field"] and response.json()["detail"]
    assert (Deal.objects.count(), StageChange.objects.count()) == before


def test_another_team_s_or_a_colleague_s_private_people_are_refused_alike(api, book):
    theirs = post(api, "/deals", deal_body(people=[book["charlies"].pk]))
    secret = post(api, "/deals", deal_body(people=[book["bobs_secret"].pk]))
    org = post(api, "/deals", deal_body(organisation=book["charlies_org"].pk))

    assert_error(theirs, 422, "people", "no such person")
    assert_error(secret, 422, "people", "no such person")
    assert_error(org, 422, "organisation", "no such organisation")
    assert not Deal.objects.exists()


def test_patching_a_deal_changes_only_what_it_names(api):
    deal = post(api, "/deals", deal_body()).json()

    patched = api.patch(
        f"{API}/deals/{deal['id']}",
        {"next_step": "Workshop", "client_benefit": None},
        content_type="application/json",
    )
    nulled = api.patch(
        f"{API}/deals/{deal['id']}", {"amount": None}, content_type="application/json"
    )

    assert patched.status_code == 200
    body = patched.json()
    assert body["next_step"] == "Workshop" and body["client_benefit"] is None
    assert body["title"] == "ERP rollout" and body["winwin_missing"] == ["client_benefit"]
    assert_error(nulled, 422, "amount", "must not be null")


def test_moving_a_deal_and_closing_it_with_a_reason(api):
    deal = post(api, "/deals", deal_body()).json()
    ids = stages(api)

    moved = post(api, f"/deals/{deal['id']}/move", {"stage": ids["Negotiation"]})
    unexplained = post(api, f"/deals/{deal['id']}/move", {"stage": ids["Won"]})
    won = post(
        api,
        f"/deals/{deal['id']}/move",
        {"stage": ids["Won"], "reason": "relationship", "note": "The CFO trusts us"},
    )

    assert moved.json()["stage"]["name"] == "Negotiation"
    assert_error(unexplained, 422, "reason", "needs a reason")
    body = won.json()
    assert body["stage"]["outcome"] == "won" and body["close_reason"] == "relationship"
    assert body["closed_at"] is not None and body["stale"] is False
    assert StageChange.objects.filter(deal_id=deal["id"]).count() == 3


def test_a_move_to_another_pipeline_s_stage_is_refused_and_changes_nothing(api):
    deal = post(api, "/deals", deal_body()).json()
    other = post(
        api,
        "/pipelines",
        {
            "name": "Tenders",
            "stages": [
                {"name": "Bid"},
                {"name": "W", "outcome": "won"},
                {"name": "L", "outcome": "lost"},
            ],
        },
    ).json()

    response = post(api, f"/deals/{deal['id']}/move", {"stage": other["stages"][0]["id"]})

    assert_error(response, 422, "stage", "“Bid” is a stage of the pipeline “Tenders”")
    assert api.get(f"{API}/deals/{deal['id']}").json()["stage"]["name"] == "Lead"
    assert StageChange.objects.count() == 1


def test_another_team_s_deal_is_not_found(api, charlie):
    deal = post(api, "/deals", deal_body()).json()
    theirs = api_for(charlie)

    assert_error(theirs.get(f"{API}/deals/{deal['id']}"), 404, None)
    assert_error(post(theirs, f"/deals/{deal['id']}/move", {"stage": 1}), 404, None)
    assert theirs.get(API + "/deals").json()["count"] == 0


def test_the_openapi_document_lists_the_deal_paths():
    paths = Client().get(API + "/openapi.json").json()["paths"]

    assert {"get", "post"} <= set(paths[f"{API}/pipelines"])
    assert {"get", "post"} <= set(paths[f"{API}/deals"])
    assert {"get", "patch"} <= set(paths[f"{API}/deals/{{deal_id}}"])
    assert "post" in paths[f"{API}/deals/{{deal_id}}/move"]


def test_rapport_deals_lists_open_deals_by_stage_with_totals(alice, book, monkeypatch):
    from rapport import cli

    pipeline = services.pipelines_ensure(actor=alice)
    for title, amount, currency in [("ERP", "1200.50", "USD"), ("Audit", "300", "USD")]:
        services.deal_create(
            actor=alice,
            pipeline=pipeline,
            title=title,
            amount=amount,
            currency=currency,
            next_step="Call",
            next_step_on=TOMORROW,
        )
    services.deal_create(
        actor=alice,
        pipeline=pipeline,
        title="Office",
        amount="9000",
        currency="CNY",
        client_benefit="1",
        next_step="Visit",
        next_step_on=TOMORROW,
    )
    monkeypatch.setattr(cli.console, "width", 200)
    runner = CliRunner()

    table = runner.invoke(app, ["deals", "--user", "alice"])
    result = runner.invoke(app, ["deals", "--pipeline", "sales", "--user", "alice", "--json"])
    unknown = runner.invoke(app, ["deals", "--pipeline", "Nope", "--user", "alice"])

    assert table.exit_code == 0, table.output
    assert "Sales: 9,000.00 CNY + 1,500.50 USD open" in table.output
    assert "One-sided: the client's benefit (1.00) does not exceed the price (9,000.00)" in (
        " ".join(table.output.split())
    )
    body = json.loads(result.stdout)
    [sales] = body["pipelines"]
    lead = sales["stages"][0]
    assert lead["name"] == "Lead" and lead["count"] == 3
    assert lead["totals"] == {"CNY": "9000.00", "USD": "1500.50"}
    assert [s["name"] for s in sales["stages"]] == ["Lead", "Qualified", "Proposal", "Negotiation"]
    assert unknown.exit_code == 1 and "no pipeline called 'Nope'" in unknown.output
