"""A salesperson's first session, in a real browser (Debian's Chromium via Playwright)."""

import os
from pathlib import Path
from typing import Any

import pytest

from rapport.interactions.models import Interaction
from rapport.people.models import Fact, Person
from tests.conftest import PASSWORD, make_user

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("RAPPORT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(locale="en-GB")
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def sign_in(page: Any, url: str, username: str = "alice") -> None:
    """Open `url` (the login page comes first) and sign in with the test password."""
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_sign_in_add_a_person_a_fact_and_an_interaction_then_switch_to_chinese(
    live_server, browser_page, transactional_db
):
    make_user("alice", "Alpha Advisory")
    page = browser_page
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Good to see you")

    # Add a person
    page.click("text=People")
    page.click("text=Add a person")
    page.fill("#id_given_name", "小明")
    page.fill("#id_family_name", "王")
    page.select_option("#id_name_order", "family_first")
    page.fill("#id_romanised_name", "Wang Xiaoming")
    page.fill("#id_channels-0-value", "not an email")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=is not a valid email address")
    assert Person.objects.filter(display_name="王小明").count() == 0
    page.fill("#id_channels-0-value", "xm@huawei.example")
    page.select_option("#id_birth_calendar", "lunar")
    page.fill("#id_birth_month", "8")
    page.fill("#id_birth_day", "15")
    page.click("button:has-text('Save')")
    page.wait_for_selector("h1:has-text('王小明')")
    assert page.locator("[data-testid=birthday]").inner_text().startswith("Lunar month 8, day 15")
    person_url = page.url

    # Add a fact without reloading the page
    page.evaluate("window.__marker = 'still here'")
    page.select_option("#facts select[name=category]", "hobby")
    page.fill("#facts input[name=value]", "Calligraphy")
    page.click("#facts button:has-text('Add fact')")
    page.wait_for_selector("#facts .fact:has-text('Calligraphy')")
    assert page.evaluate("window.__marker") == "still here"
    assert Fact.objects.filter(value="Calligraphy").exists()

    # Log an interaction from the same page, also without a reload
    page.click("summary:has-text('Log an interaction')")
    page.select_option("#timeline select[name=kind]", "meal")
    page.select_option("#timeline select[name=focus]", "personal")
    page.fill("#timeline input[name=topics_text]", "golf, family")
    page.fill("#timeline input[name=summary]", "Dim sum near the office")
    page.fill("#timeline textarea[name=notes]", "Her son got into **Fudan**")
    page.click("#timeline button:has-text('Save to timeline')")
    page.wait_for_selector("#timeline .timeline li:has-text('Dim sum near the office')")
    assert page.locator("#timeline .notes strong").first.inner_text() == "Fudan"
    assert page.evaluate("window.__marker") == "still here"
    assert page.url == person_url
    assert Interaction.objects.get(summary="Dim sum near the office").focus == "personal"

    # Switch the interface to Chinese
    page.click("[data-testid=switch-language]")
    page.wait_for_selector("html[lang=zh-hans]")
    assert "共同点" in page.inner_text("#facts")
    assert "联系人" in page.inner_text("header")
    assert "Dim sum near the office" in page.inner_text("#timeline")


def test_a_promise_from_a_person_page_tracked_by_the_client_until_the_link_is_revoked(
    live_server, browser_page, transactional_db
):
    from rapport.commitments.models import Commitment
    from rapport.people.services import person_create

    alice = make_user("alice", "Alpha Advisory")
    wang = person_create(actor=alice, display_name="王小明", romanised_name="Wang Xiaoming")
    page = browser_page
    page.goto(f"{live_server.url}/people/{wang.pk}/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('王小明')")

    # Record a promise from the person page
    page.click("[data-testid=new-commitment]")
    page.fill("#id_title", "Send the revised proposal")
    page.fill("#id_due_on", "2099-01-15")
    page.fill("#id_expected", "Three options on one page")
    page.click("button:has-text('Record the promise')")
    page.wait_for_selector("h1:has-text('Send the revised proposal')")
    commitment = Commitment.objects.get(title="Send the revised proposal")
    assert commitment.person == wang and commitment.status == "open"

    # Add a milestone
    page.click("[data-testid=add-milestone]")
    page.fill("#progress input[name=title]", "Draft written")
    page.click("#progress button:has-text('Add progress')")
    page.wait_for_selector("[data-testid=milestones] >> text=Draft written")

    # Share the tracking link from the person page
    page.click("a:has-text('王小明')")
    page.click("summary:has-text('Client tracking page')")
    page.select_option("#share-language", "zh-hans")
    page.click("[data-testid=create-share]")
    url = page.locator("[data-testid=share-url]").inner_text().strip()
    assert "/p/" in url

    # The client opens it without signing in and sees the milestone
    client = page.context.browser.new_context(locale="zh-CN").new_page()
    client.goto(url)
    client.wait_for_selector("[data-testid=milestone] >> text=Draft written")
    assert "Send the revised proposal" in client.content()
    assert "Three options on one page" not in client.content()

    # Revoke it; the client's next visit is a 404
    page.click("text=Done")
    page.click("[data-testid=revoke-share]")
    page.wait_for_selector("text=revoked")
    response = client.goto(url)
    assert response is not None and response.status == 404
