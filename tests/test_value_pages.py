"""The ledger card, its forms and reports through the test client, and the client's
report page and PDF behind the secret link (in the client's language, showing nothing
else of ours; revoked and expired links say so clearly)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from rapport.deals.services import deal_create, pipelines_ensure
from rapport.value import services
from rapport.value.models import ValueItem, ValueReport
from tests.conftest import client_for

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
HTMX = {"HX-Request": "true"}


def words(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode())).split())


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def ledger(alice: Any, book: dict[str, Any]) -> dict[str, Any]:
    wang = book["wang"]
    deal = deal_create(
        actor=alice,
        pipeline=pipelines_ensure(actor=alice),
        title="Secret deal name",
        next_step="Call",
        next_step_on=TODAY + DAY,
    )
    items = {
        "saving": services.value_item_create(
            actor=alice,
            person=wang,
            kind="saving",
            title="运费节省",
            amount="8000",
            currency="CNY",
            delivered_on=TODAY - 20 * DAY,
            deal=deal.pk,
            details="与承运商重新谈判",
        ),
        "usd": services.value_item_create(
            actor=alice,
            person=wang,
            kind="saving",
            title="Licence refund",
            amount="250.50",
            currency="USD",
            delivered_on=TODAY - 15 * DAY,
            told=True,
        ),
        "training": services.value_item_create(
            actor=alice,
            person=wang,
            kind="training",
            title="Excel workshop",
            hours="6",
            delivered_on=TODAY - 3 * DAY,
        ),
        "old": services.value_item_create(
            actor=alice,
            person=wang,
            kind="advice",
            title="Ancient advice",
            delivered_on=TODAY - 400 * DAY,
        ),
        "anna": services.value_item_create(
            actor=alice,
            person=book["anna"],
            kind="work",
            title="Anna's audit",
            delivered_on=TODAY - 5 * DAY,
        ),
    }
    return {"wang": wang, "items": items, "deal": deal}


def test_the_ledger_card_lists_items_newest_first_with_totals_per_currency(
    alice: Any, ledger: dict[str, Any]
) -> None:
    response = client_for(alice).get(
        reverse("person_value", args=[ledger["wang"].pk]), headers=HTMX
    )

    assert response.status_code == 200
    text = words(response)
    assert "<html" not in response.content.decode()
    order = [
        text.index(t) for t in ("Excel workshop", "Licence refund", "运费节省", "Ancient advice")
    ]
    assert order == sorted(order)
    assert "8,000.00 CNY" in text and "250.50 USD" in text and "6 hours" in text
    assert "3 not yet told" in text
    assert "Anna's audit" not in text
    assert response.content.decode().count('data-testid="told"') == 1


def test_the_card_is_a_page_of_its_own_without_javascript(
    alice: Any, ledger: dict[str, Any], book: dict[str, Any]
) -> None:
    client = client_for(alice)
    page = client.get(reverse("person_value", args=[ledger["wang"].pk]))
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert "What we did for 王小明" in words(page)
    person_page = client.get(reverse("person_detail", args=[ledger["wang"].pk]))
    assert reverse("person_value", args=[ledger["wang"].pk]) in person_page.content.decode()
    org_page = client.get(reverse("organisation_detail", args=[book["huawei"].pk]))
    assert reverse("organisation_value", args=[book["huawei"].pk]) in org_page.content.decode()


def test_an_organisation_s_card_and_report_name_the_person_each_item_went_through(
    alice: Any, ledger: dict[str, Any], book: dict[str, Any], client: Any
) -> None:
    huawei = book["huawei"]
    services.value_item_create(
        actor=alice,
        organisation=huawei,
        kind="work",
        title="ERP health check",
        delivered_on=TODAY - 2 * DAY,
    )
    user = client_for(alice)

    card = user.get(reverse("organisation_value", args=[huawei.pk]), headers=HTMX)
    created = user.post(
        reverse("organisation_value_report_create", args=[huawei.pk]),
        {
            "period_from": (TODAY - 60 * DAY).isoformat(),
            "period_to": TODAY.isoformat(),
            "language": "en",
            "days": "30",
        },
        headers=HTMX,
    )
    url = re.search(r'data-testid="value-report-url">([^<]+)<', created.content.decode())
    assert url
    page = client.get(url.group(1).replace("http://testserver", ""))

    text = words(card)
    for title in ("ERP health check", "Excel workshop", "运费节省", "Ancient advice"):
        assert title in text
    assert "Anna's audit" not in text
    assert text.count("through 王小明") == 4
    # Wang's items are edited on Wang's card; the organisation's own item here.
    assert card.content.decode().count('data-testid="delete-value"') == 1
    report = words(page)
    assert "ERP health check" in report and "Excel workshop" in report
    assert "through 王小明" in report and "Ancient advice" not in report


def test_adding_an_item_from_the_card_and_bad_input_named_on_the_form(
    alice: Any, book: dict[str, Any]
) -> None:
    client = client_for(alice)
    url = reverse("person_value_add", args=[book["wang"].pk])
    good = {
        "kind": "advice",
        "title": "Tax advice",
        "delivered_on": TODAY.isoformat(),
        "amount": "",
        "currency": "",
        "hours": "1.5",
        "told": "on",
    }

    response = client.post(url, good, headers=HTMX)

    assert response.status_code == 200 and "Tax advice" in words(response)
    item = ValueItem.objects.get()
    assert item.told_at is not None and str(item.hours) == "1.50"
    bad = client.post(
        url, {**good, "title": "Refund", "amount": "-3", "currency": "USD"}, headers=HTMX
    )
    assert bad.status_code == 422 and "must not be negative" in words(bad)
    missing = client.post(url, {**good, "title": "Refund", "amount": "30"})
    assert missing.status_code == 422 and "an amount needs its currency" in words(missing)
    future = (timezone.localdate() + DAY).isoformat()
    late = client.post(url, {**good, "title": "Refund", "delivered_on": future})
    assert late.status_code == 422 and "cannot be dated in the future" in words(late)
    assert ValueItem.objects.count() == 1


def test_editing_and_deleting_an_item(alice: Any, ledger: dict[str, Any]) -> None:
    client = client_for(alice)
    item = ledger["items"]["training"]
    form = client.get(reverse("value_item_edit", args=[item.pk]))
    assert form.status_code == 200 and "Excel workshop" in form.content.decode()
    response = client.post(
        reverse("value_item_edit", args=[item.pk]),
        {
            "kind": "training",
            "title": "Excel workshop (2 days)",
            "delivered_on": item.delivered_on,
            "hours": "12",
            "amount": "",
            "currency": "",
        },
    )
    assert response.status_code == 302
    assert ValueItem.objects.get(pk=item.pk).title == "Excel workshop (2 days)"
    client.post(reverse("value_item_delete", args=[item.pk]))
    assert not ValueItem.objects.filter(pk=item.pk).exists()


def _create_report(client: Any, wang: Any, language: str = "en") -> tuple[ValueReport, str]:
    response = client.post(
        reverse("person_value_report_create", args=[wang.pk]),
        {
            "period_from": (TODAY - 60 * DAY).isoformat(),
            "period_to": TODAY.isoformat(),
            "language": language,
            "days": "30",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    url = re.search(r'data-testid="value-report-url">([^<]+)<', response.content.decode())
    assert url, "the link is shown once"
    return ValueReport.objects.get(), url.group(1).replace("http://testserver", "")


def test_the_client_s_report_page_shows_what_we_did_by_kind_and_nothing_else(
    alice: Any, ledger: dict[str, Any], client: Any
) -> None:
    report, url = _create_report(client_for(alice), ledger["wang"])

    page = client.get(url)  # no login

    assert page.status_code == 200
    text = words(page)
    for title in ("运费节省", "与承运商重新谈判", "Licence refund", "Excel workshop"):
        assert title in text
    assert text.index("Saving") < text.index("Training")
    assert "8,000.00 CNY" in text and "250.50 USD" in text
    for hidden in ("Ancient advice", "Anna's audit", "Secret deal name", "Alice's Private Contact"):
        assert hidden not in text
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    client.get(url)
    assert ValueReport.objects.get(pk=report.pk).view_count == 2


def test_the_report_speaks_the_client_s_language(
    alice: Any, ledger: dict[str, Any], client: Any
) -> None:
    _report, url = _create_report(client_for(alice), ledger["wang"], language="zh-hans")

    page = client.get(url)

    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page.content.decode()
    assert "运费节省" in words(page)
    pdf = client.get(url + "report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "运费节省" in text and "Licence refund" in text


def test_the_user_downloads_the_pdf_and_its_text_lists_the_items(
    alice: Any, ledger: dict[str, Any]
) -> None:
    client = client_for(alice)
    report, _url = _create_report(client, ledger["wang"])

    pdf = client.get(reverse("value_report_pdf", args=[report.pk]))

    assert pdf.status_code == 200 and pdf["Content-Disposition"].startswith("attachment")
    text = pdf_text(pdf.content)
    assert "What we did for 王小明" in text
    assert "Excel workshop" in text and "8,000.00 CNY" in text
    assert "Ancient advice" not in text and "Secret deal name" not in text


def test_a_revoked_or_expired_link_says_it_is_no_longer_available(
    alice: Any, ledger: dict[str, Any], client: Any
) -> None:
    web = client_for(alice)
    report, url = _create_report(web, ledger["wang"])
    web.post(reverse("value_report_revoke", args=[report.pk]))

    for address in (url, url + "report.pdf"):
        gone = client.get(address)
        assert gone.status_code == 410
        assert "This report is no longer available" in words(gone)
        assert "Excel workshop" not in words(gone)
    ValueReport.objects.update(revoked_at=None, expires_at=timezone.now() - DAY)
    assert client.get(url).status_code == 410
    assert client.get("/p/value/not-a-token/").status_code == 404


def test_marking_a_report_sent_from_the_card_marks_items_told(
    alice: Any, ledger: dict[str, Any]
) -> None:
    web = client_for(alice)
    report, _url = _create_report(web, ledger["wang"])

    card = web.post(reverse("value_report_send", args=[report.pk]), headers=HTMX)

    assert card.status_code == 200
    items = ledger["items"]
    assert all(
        ValueItem.objects.get(pk=items[k].pk).told_at is not None
        for k in ("saving", "usd", "training")
    )
    assert ValueItem.objects.get(pk=items["old"].pk).told_at is None
    assert "1 not yet told" in words(card)
