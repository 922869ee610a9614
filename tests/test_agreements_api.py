"""Agreements over the API and `rapport agreements` / `rapport agreement`: the same
services as the pages, errors as JSON naming the field, nothing half-saved."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader
from typer.testing import CliRunner

from rapport.agreements.models import Agreement, Clause, Obligation
from rapport.cli import app
from rapport.commitments.models import Commitment
from tests.conftest import api_for

API = "/api/v1"
TODAY = timezone.localdate()
LATER = (TODAY + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def api(alice: Any, book: dict[str, Any]) -> Client:
    return api_for(alice)


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(API + path, body, content_type="application/json")


def body(alice: Any, book: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "title": "Support agreement",
        "effective_on": TODAY.isoformat(),
        "client_organisation": book["huawei"].pk,
        "client_person": book["wang"].pk,
        "our_signatory": alice.pk,
        "clauses": [
            {
                "heading": "Support",
                "text": "Party A answers within a day.",
                "obligations": [
                    {
                        "side": "ours",
                        "owner": alice.pk,
                        "what": "Set up the helpdesk",
                        "due_on": LATER,
                    },
                    {
                        "side": "client",
                        "owner": book["wang"].pk,
                        "what": "Name two contacts",
                        "due_on": LATER,
                    },
                ],
            }
        ],
    } | extra


def assert_error(response: Any, status: int, field: str | None) -> None:
    assert response.status_code == status, response.content
    assert response.json()["field"] == field, response.json()


def test_an_agreement_is_drafted_read_changed_signed_and_printed(api, alice, book):
    created = post(api, "/agreements", body(alice, book))
    assert created.status_code == 201, created.content
    agreement = created.json()
    pk = agreement["id"]
    assert agreement["status"] == "draft"
    assert [o["side"] for o in agreement["clauses"][0]["obligations"]] == ["ours", "client"]
    assert agreement["client_person"]["name"] == "王小明"

    patched = api.patch(
        f"{API}/agreements/{pk}",
        {"title": "Support agreement 2027"},
        content_type="application/json",
    )
    signed = post(api, f"/agreements/{pk}/sign", {})
    listed = api.get(f"{API}/agreements?status=signed").json()
    pdf = api.get(f"{API}/agreements/{pk}/pdf")

    assert patched.json()["title"] == "Support agreement 2027"
    assert signed.status_code == 200, signed.content
    obligations = signed.json()["clauses"][0]["obligations"]
    assert all(o["commitment_id"] and o["commitment_status"] == "open" for o in obligations)
    assert [a["id"] for a in listed["items"]] == [pk]
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Set up the helpdesk" in text and "Support agreement 2027" in text


def test_signing_twice_over_the_api_is_refused(api, alice, book):
    pk = post(api, "/agreements", body(alice, book)).json()["id"]
    post(api, f"/agreements/{pk}/sign", {})

    again = post(api, f"/agreements/{pk}/sign", {})
    changed = api.patch(f"{API}/agreements/{pk}", {"title": "x"}, content_type="application/json")

    assert_error(again, 422, "status")
    assert_error(changed, 422, "status")
    assert Commitment.objects.count() == 2


def test_patching_clauses_replaces_them_all(api, alice, book):
    pk = post(api, "/agreements", body(alice, book)).json()["id"]

    patched = api.patch(
        f"{API}/agreements/{pk}",
        {"clauses": [{"heading": "Only this one"}]},
        content_type="application/json",
    ).json()

    assert [c["heading"] for c in patched["clauses"]] == ["Only this one"]
    assert Obligation.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client_person": "bobs_secret"}, "client_person"),
        ({"client_person": "charlies"}, "client_person"),
        ({"client_organisation": "charlies_org"}, "client_organisation"),
        ({"title": ""}, "title"),
        ({"effective_on": "not a date"}, "effective_on"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    api, alice, book, change, field
):
    change = {k: book[v].pk if v in book else v for k, v in change.items()}

    assert_error(post(api, "/agreements", body(alice, book, **change)), 422, field)
    assert not Agreement.objects.exists() and not Clause.objects.exists()


def test_an_obligation_owned_by_a_colleague_s_private_contact_is_refused(api, alice, book):
    bad = body(alice, book)
    bad["clauses"][0]["obligations"][1]["owner"] = book["bobs_secret"].pk

    assert_error(post(api, "/agreements", bad), 422, "clauses[0].obligations[1].owner")
    assert not Agreement.objects.exists()


def test_an_obligation_without_a_due_date_cannot_be_signed(api, alice, book):
    draft = body(alice, book)
    draft["clauses"][0]["obligations"][0]["due_on"] = None
    pk = post(api, "/agreements", draft).json()["id"]

    assert_error(post(api, f"/agreements/{pk}/sign", {}), 422, "clauses[0].obligations[0].due_on")
    assert not Commitment.objects.exists()


def test_another_team_and_a_colleague_cannot_reach_a_private_agreement(alice, bob, charlie, book):
    secret = post(
        api_for(bob),
        "/agreements",
        {
            "title": "Bob's secret agreement",
            "effective_on": TODAY.isoformat(),
            "client_person": book["bobs_secret"].pk,
        },
    ).json()
    assert secret["private"] is True

    for intruder in (alice, charlie):
        client = api_for(intruder)
        for path in ("", "/pdf"):
            assert client.get(f"{API}/agreements/{secret['id']}{path}").status_code == 404
        assert post(client, f"/agreements/{secret['id']}/sign", {}).status_code == 404
        assert client.get(f"{API}/agreements").json()["count"] == 0


def test_the_openapi_document_lists_the_agreement_paths():
    paths = Client().get(API + "/openapi.json").json()["paths"]

    assert {"get", "post"} <= set(paths[f"{API}/agreements"])
    assert {"get", "patch"} <= set(paths[f"{API}/agreements/{{agreement_id}}"])
    assert "post" in paths[f"{API}/agreements/{{agreement_id}}/sign"]
    assert "get" in paths[f"{API}/agreements/{{agreement_id}}/pdf"]


def test_rapport_agreements_lists_and_rapport_agreement_shows_and_prints(
    api, alice, book, bob, tmp_path, monkeypatch
):
    from rapport import cli

    pk = post(api, "/agreements", body(alice, book)).json()["id"]
    post(api, f"/agreements/{pk}/sign", {})
    secret = post(
        api_for(bob),
        "/agreements",
        {
            "title": "Bob's secret agreement",
            "effective_on": TODAY.isoformat(),
            "client_person": book["bobs_secret"].pk,
        },
    ).json()["id"]
    monkeypatch.setattr(cli.console, "width", 200)
    runner = CliRunner()
    target = tmp_path / "agreement.pdf"

    table = runner.invoke(app, ["agreements", "--user", "alice"])
    listed = runner.invoke(app, ["agreements", "--user", "alice", "--json"])
    shown = runner.invoke(app, ["agreement", str(pk), "--user", "alice"])
    printed = runner.invoke(app, ["agreement", str(pk), "--user", "alice", "--pdf", str(target)])
    refused = runner.invoke(app, ["agreement", str(secret), "--user", "alice"])

    assert table.exit_code == 0, table.output
    assert "Support agreement" in table.output and "Bob's secret" not in table.output
    assert [a["title"] for a in json.loads(listed.stdout)] == ["Support agreement"]
    assert "Set up the helpdesk" in shown.output and "open" in shown.output
    assert printed.exit_code == 0, printed.output
    assert target.read_bytes().startswith(b"%PDF")
    assert refused.exit_code == 1 and "Bob's secret" not in refused.output
