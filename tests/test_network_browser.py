"""Finding a warm path in a real browser: type a name, pick it, see the two-hop route and
reveal the drafted introduction request."""

from __future__ import annotations

import pytest

from rapport.network import index
from rapport.network.services import tie_create
from rapport.people.services import organisation_create, person_create, role_create
from tests.conftest import make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_search_a_target_see_a_two_hop_path_and_reveal_the_draft(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    index.forget()
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    grace = person_create(
        actor=alice,
        display_name="Grace Hopper",
        channels=[{"kind": "email", "value": "grace@example.com"}],
    )
    zhou = person_create(actor=alice, display_name="Zhou Min")
    org = organisation_create(actor=alice, name="Orion Shipping")
    role_create(actor=alice, person=zhou, organisation=org, title="CEO", is_decision_maker=True)
    tie_create(
        actor=alice,
        person_a=alice.member.person,
        person_b=grace,
        kind="friend",
        manual_strength=0.8,
    )
    tie_create(actor=alice, person_a=grace, person_b=zhou, kind="classmate", manual_strength=0.7)

    page = browser_page
    sign_in(page, f"{live_server.url}/network/path/")
    page.fill("#path-q", "Orion")
    page.click("[data-testid=path-suggest] button")
    page.click("button[type=submit]")
    path = page.locator("[data-testid=path]").first
    path.wait_for()
    assert "Alice Adams" in path.inner_text() and "Zhou Min" in path.inner_text()
    assert "Classmate" in path.inner_text() and "Warmth 56%" in path.inner_text()
    page.click("[data-testid=draft-button]")
    body = page.locator("[data-testid=draft-body]")
    body.wait_for()
    assert "Could you introduce me to Zhou Min?" in body.input_value()
    mailto = page.locator("[data-testid=draft-mailto]").get_attribute("href")
    assert mailto is not None and mailto.startswith("mailto:grace@example.com?")
    index.forget()
