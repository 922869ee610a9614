"""A person's reach page in a real browser: the neighbourhood picture is drawn by the
vendored Cytoscape.js (no network needed) with every node of the page's JSON, and
clicking a node opens that person's reach page."""

from __future__ import annotations

import json

import pytest

from rapport.network import index
from rapport.network.services import tie_create
from rapport.people.services import person_create
from tests.conftest import make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_the_neighbourhood_picture_draws_every_node(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    index.forget()
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    me = alice.member.person
    grace = person_create(actor=alice, display_name="Grace Hopper")
    zhou = person_create(actor=alice, display_name="Zhou Min")
    tie_create(actor=alice, person_a=me, person_b=grace, kind="friend", manual_strength=0.8)
    tie_create(actor=alice, person_a=grace, person_b=zhou, kind="classmate", manual_strength=0.7)

    page = browser_page
    sign_in(page, f"{live_server.url}/network/people/{grace.pk}/")
    page.wait_for_selector("[data-testid=reach-graph] canvas")
    page.wait_for_function("() => window.__rapportGraph !== undefined")
    graph = json.loads(
        page.evaluate(f"fetch('/network/people/{grace.pk}/graph.json').then(r => r.text())")
    )
    drawn = page.evaluate("window.__rapportGraph.nodes().length")
    assert drawn == len(graph["nodes"]) == 3
    assert page.evaluate("window.__rapportGraph.edges().length") == len(graph["edges"]) == 2
    centre = page.evaluate("window.__rapportGraph.nodes('[centre = 1]').data('name')")
    assert centre == "Grace Hopper"
    assert "Friend" in page.locator("[data-testid=legend]").inner_text()

    # Clicking Zhou's node opens Zhou's reach page.
    page.locator("[data-testid=reach-graph]").scroll_into_view_if_needed()
    at = page.evaluate(f"window.__rapportGraph.getElementById('p{zhou.pk}').renderedPosition()")
    box = page.locator("[data-testid=reach-graph]").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    page.wait_for_url(f"**/network/people/{zhou.pk}/")
    assert "Reach of Zhou Min" in page.locator("h1").inner_text()
    index.forget()


def test_a_teammate_is_drawn_with_how_many_people_they_know_not_with_their_book(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    index.forget()
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    bob = make_user("bob", "Alpha Advisory", display_name="Bob Brown")
    client = person_create(actor=alice, display_name="Carla Client")
    tie_create(
        actor=alice,
        person_a=client,
        person_b=bob.member.person,
        kind="client",
        manual_strength=0.9,
    )
    for n in range(8):
        book = person_create(actor=bob, display_name=f"Bob's Client {n}")
        tie_create(actor=bob, person_a=bob.member.person, person_b=book, manual_strength=0.5)

    page = browser_page
    sign_in(page, f"{live_server.url}/network/people/{client.pk}/")
    page.wait_for_function("() => window.__rapportGraph !== undefined")

    labels = page.evaluate("window.__rapportGraph.nodes().map(n => n.data('label'))")
    assert sorted(labels) == ["Bob Brown\nknows 9 people", "Carla Client"]
    teammate = page.evaluate("window.__rapportGraph.nodes('[teammate = 1]').style('shape')")
    assert teammate == "round-rectangle"
    index.forget()
