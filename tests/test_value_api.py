"""The value ledger over the API: items with filters and totals per currency, errors
that name the field, report links returned once, revoked, sent and printed."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone
from pypdf import PdfReader

from rapport.interactions.models import Interaction
from rapport.value.models import ValueItem, ValueReport
from tests.conftest import api_for

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def post(api: Any, url: str, body: dict[str, Any]) -> Any:
    return api.post(url, body, content_type="application/json")


def test_items_are_created_listed_by_client_and_period_with_totals(
    alice: Any, book: dict[str, Any]
) -> None:
    api = api_for(alice)
    wang, anna = book["wang"].pk, book["anna"].pk
    made = [
        post(api, "/api/v1/value-items", body)
        for body in (
            {
                "person_id": wang,
                "kind": "saving",
                "title": "运费节省",
                "amount": "8000",
                "currency": "CNY",
                "delivered_on": str(TODAY - 3 * DAY),
            },
            {
                "person_id": wang,
                "kind": "saving",
                "title": "Refund",
                "amount": 250.5,
                "currency": "USD",
                "delivered_on": str(TODAY - 40 * DAY),
                "told": True,
            },
            {
                "person_id": wang,
                "kind": "training",
                "title": "Workshop",
                "hours": "6",
                "delivered_on": str(TODAY - DAY),
            },
            {"person_id": anna, "kind": "advice", "title": "Anna's", "delivered_on": str(TODAY)},
            {
                "organisation_id": book["huawei"].pk,
                "kind": "work",
                "title": "Health check",
                "delivered_on": str(TODAY),
            },
        )
    ]
    assert [r.status_code for r in made] == [201] * 5
    assert made[0].json()["amount"] == "8000.00" and made[1].json()["told"] is True

    page = api.get(f"/api/v1/value-items?person_id={wang}").json()
    assert [i["title"] for i in page["items"]] == ["Workshop", "运费节省", "Refund"]
    assert page["totals"] == [
        {"currency": "CNY", "amount": "8000.00"},
        {"currency": "USD", "amount": "250.50"},
    ]
    assert (page["count"], page["hours"], page["not_told"]) == (3, "6.00", 2)
    recent = api.get(f"/api/v1/value-items?person_id={wang}&from={TODAY - 7 * DAY}&to={TODAY}")
    assert recent.json()["count"] == 2
    org = api.get(f"/api/v1/value-items?organisation_id={book['huawei'].pk}").json()
    # With what went to Wang, the CFO there: an organisation's card counts it too.
    assert [i["title"] for i in org["items"]] == ["Health check", "Workshop", "运费节省", "Refund"]
    assert [i["person_id"] for i in org["items"]] == [None, wang, wang, wang]


def test_bad_input_names_the_field_and_writes_nothing(alice: Any, book: dict[str, Any]) -> None:
    api = api_for(alice)
    base = {"person_id": book["wang"].pk, "kind": "work", "title": "x", "delivered_on": str(TODAY)}
    cases = [
        ({"amount": "-1", "currency": "USD"}, "amount"),
        ({"hours": "-2"}, "hours"),
        ({"amount": "10"}, "currency"),
        ({"delivered_on": str(timezone.localdate() + DAY)}, "delivered_on"),
        ({"person_id": book["bobs_secret"].pk}, "person"),
        ({"person_id": book["charlies"].pk}, "person"),
        ({"person_id": None}, "person"),
        ({"kind": "bribe"}, "kind"),
    ]
    for change, field in cases:
        response = post(api, "/api/v1/value-items", {**base, **change})
        assert response.status_code == 422, change
        assert response.json()["field"] == field, (change, response.json())
    assert not ValueItem.objects.exists()


def test_an_item_is_changed_and_deleted(alice: Any, book: dict[str, Any]) -> None:
    api = api_for(alice)
    item = post(
        api,
        "/api/v1/value-items",
        {
            "person_id": book["wang"].pk,
            "kind": "advice",
            "title": "Tax",
            "delivered_on": str(TODAY),
        },
    ).json()
    url = f"/api/v1/value-items/{item['id']}"

    changed = api.patch(url, {"told": True, "hours": "2"}, content_type="application/json")

    assert changed.status_code == 200
    assert changed.json()["told"] and changed.json()["hours"] == "2.00"
    refused = api.patch(url, {"amount": "5"}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "currency"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_a_report_link_is_returned_once_sent_revoked_and_printed(
    alice: Any, book: dict[str, Any], client: Any
) -> None:
    api = api_for(alice)
    wang = book["wang"].pk
    post(
        api,
        "/api/v1/value-items",
        {
            "person_id": wang,
            "kind": "training",
            "title": "Workshop",
            "hours": "6",
            "delivered_on": str(TODAY - DAY),
        },
    )
    created = post(
        api,
        "/api/v1/value-reports",
        {"person_id": wang, "from": str(TODAY - 30 * DAY), "to": str(TODAY), "language": "zh-hans"},
    )
    assert created.status_code == 201
    report = created.json()
    assert report["state"] == "ready" and "/p/value/" in report["url"]
    assert client.get(report["url"].replace("http://testserver", "")).status_code == 200

    pdf = api.get(f"/api/v1/value-reports/{report['id']}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "Workshop" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()

    sent = post(api, f"/api/v1/value-reports/{report['id']}/send", {})
    assert sent.json()["state"] == "sent"
    assert ValueItem.objects.get().told_at is not None
    assert Interaction.objects.filter(summary="Sent a report of what we did for you").count() == 1
    again = post(api, f"/api/v1/value-reports/{report['id']}/send", {})
    assert again.status_code == 422 and again.json()["field"] == "report"

    revoked = post(api, f"/api/v1/value-reports/{report['id']}/revoke", {})
    assert revoked.json()["state"] == "revoked"
    assert client.get(report["url"].replace("http://testserver", "")).status_code == 410
    bad = post(
        api,
        "/api/v1/value-reports",
        {"person_id": wang, "from": str(TODAY), "to": str(TODAY - DAY)},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    assert ValueReport.objects.count() == 1


def test_another_team_s_report_and_items_are_404(
    alice: Any, charlie: Any, book: dict[str, Any]
) -> None:
    theirs = post(
        api_for(charlie),
        "/api/v1/value-items",
        {
            "person_id": book["charlies"].pk,
            "kind": "work",
            "title": "Secret",
            "delivered_on": str(TODAY),
        },
    ).json()
    api = api_for(alice)
    assert api.get(f"/api/v1/value-items/{theirs['id']}").status_code == 404
    assert api.get("/api/v1/value-items").json()["count"] == 0
    assert api.get(f"/api/v1/value-items?person_id={book['charlies'].pk}").json()["items"] == []
