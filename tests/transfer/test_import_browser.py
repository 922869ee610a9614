"""Importing an address book from the web, in a real browser: the job page polls while
the worker runs the import, the bar fills, the report appears, and the people are there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from rapport.people.models import Person
from tests.conftest import make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401 - the shared browser fixture

pytestmark = pytest.mark.browser

CARDS = """BEGIN:VCARD
VERSION:4.0
FN:Maya Okafor
EMAIL:maya@okafor.example
ORG:Lagos Freight
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:李;娜;;;
FN:李娜
TEL;TYPE=CELL:+86 139 1234 5678
END:VCARD
"""


def test_upload_a_vcard_watch_it_finish_and_find_the_people(
    live_server: Any,
    browser_page: Any,  # noqa: F811
    transactional_db: Any,
    tmp_path: Path,
) -> None:
    make_user("alice", "Alpha Advisory")
    cards = tmp_path / "friends.vcf"
    cards.write_text(CARDS, encoding="utf-8")
    page = browser_page
    sign_in(page, f"{live_server.url}/", "alice")
    page.wait_for_selector("text=Good to see you")

    page.click("nav >> text=Import / export")
    page.set_input_files("input[name=file]", str(cards))
    page.click("button:has-text('Upload and import')")
    page.wait_for_selector("[data-testid=job-status][data-status=queued]")
    assert "friends.vcf" in page.inner_text("h1")

    # The worker (a thread of `rapport serve` in production) picks the job up; the
    # page, polling every second, follows it to the end without a reload.
    url = page.url
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    page.wait_for_selector("[data-testid=job-status][data-status=done]", timeout=10_000)
    assert page.url == url
    assert page.get_attribute("[data-testid=job-progress]", "value") == "100"
    report = page.inner_text("[data-testid=job-report]")
    assert "2" in report and "created" in report
    assert "Maya Okafor" in page.inner_text("[data-testid=created]")

    page.click("nav >> text=People")
    page.wait_for_selector("text=Maya Okafor")
    page.wait_for_selector("text=李娜")
    assert Person.objects.filter(display_name="李娜").exists()
