"""The client's value report in a real browser, without logging in: the items show by
kind, the PDF downloads and its text lists them (in Chinese too); a revoked link says it
is no longer available."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from rapport.people.services import person_create
from rapport.value.services import value_item_create, value_report_create, value_report_revoke
from tests.conftest import make_user
from tests.test_browser import browser_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_the_client_opens_the_report_link_and_downloads_the_pdf(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
    tmp_path: Path,
):
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    wang = person_create(actor=alice, display_name="王小明")
    today = timezone.localdate()
    value_item_create(
        actor=alice,
        person=wang,
        kind="saving",
        title="运费节省",
        amount="8000",
        currency="CNY",
        delivered_on=today - dt.timedelta(days=3),
    )
    value_item_create(
        actor=alice,
        person=wang,
        kind="training",
        title="Excel workshop",
        hours="6",
        delivered_on=today - dt.timedelta(days=1),
    )
    report, token = value_report_create(
        actor=alice,
        person=wang,
        period_from=today - dt.timedelta(days=30),
        period_to=today,
        language="zh-hans",
    )
    page = browser_page

    page.goto(f"{live_server.url}/p/value/{token}/")

    items = page.locator("[data-testid=report-item]")
    items.first.wait_for()
    assert items.count() == 2
    body = page.inner_text("main")
    assert "运费节省" in body and "Excel workshop" in body and "CNY" in body
    with page.expect_download() as caught:
        page.click("[data-testid=download-pdf]")
    saved = tmp_path / "report.pdf"
    caught.value.save_as(saved)
    text = " ".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "运费节省" in text and "王小明" in text and "Excel workshop" in text

    value_report_revoke(actor=alice, report=report)
    page.goto(f"{live_server.url}/p/value/{token}/")
    page.locator("[data-testid=report-gone]").wait_for()
    assert "运费节省" not in page.inner_text("body")
