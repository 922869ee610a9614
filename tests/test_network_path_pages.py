"""The warm path as a user meets it: the page (search, paths, the draft revealed), the
API and `rapport path`; a colleague's private contact is never shown on any of them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from rapport.cli import app
from rapport.network import index
from rapport.network.services import tie_create
from rapport.people.services import person_create
from tests.conftest import api_for, client_for, make_user
from tests.test_browser import browser_page  # noqa: F401 - the fixture

API = "/api/v1/network/path"


@pytest.fixture(autouse=True)
def _fresh_graphs() -> Any:
    index.forget()
    yield
    index.forget()


@pytest.fixture
def web(book: dict[str, Any], alice: Any, bob: Any) -> dict[str, Any]:
    """Alice → Anna → Wang, and Bob → his private contact → Wang (warmer)."""
    me, bob_me = alice.member.person, bob.member.person

    def tie(actor: Any, a: Any, b: Any, strength: float, kind: str) -> None:
        tie_create(actor=actor, person_a=a, person_b=b, kind=kind, manual_strength=strength)

    tie(alice, me, book["anna"], 0.8, "friend")
    tie(alice, book["anna"], book["wang"], 0.5, "colleague")
    tie(alice, me, bob_me, 0.9, "colleague")
    tie(bob, bob_me, book["bobs_secret"], 0.95, "family")
    tie(bob, book["bobs_secret"], book["wang"], 0.9, "former_colleague")
    return book


def test_the_page_shows_each_hop_and_the_masked_route(web, alice):
    page = client_for(alice).get("/network/path/", {"to": f"person:{web['wang'].pk}"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Anna Lee" in html and "Friend →" in html and "Colleague →" in html
    assert "Bob Brown on your team has a strong tie here: ask Bob Brown" in html
    assert "Bob&#x27;s Private Contact" not in html and "Bob's Private Contact" not in html
    assert "Ask Anna Lee for an introduction" in html


def test_the_masked_route_starts_with_an_icon_every_browser_can_draw(web, alice):
    html = client_for(alice).get("/network/path/", {"to": f"person:{web['wang'].pk}"})
    line = re.search(r'<p data-testid="ask-teammate">(.*?)</p>', html.content.decode(), re.S)

    assert line is not None
    assert line.group(1).lstrip().startswith('<svg class="lock"'), "drawn, not a font glyph"
    # No emoji or pictograph that a plain Linux Chromium has no font for (a box shows).
    pictographs = [c for c in line.group(1) if 0x2300 <= ord(c) < 0x2C00 or ord(c) >= 0x1F000]
    assert not pictographs


@pytest.mark.browser
def test_the_lock_before_the_masked_route_is_drawn_in_a_browser(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    from tests.test_browser import sign_in

    index.forget()
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    bob = make_user("bob", "Alpha Advisory", display_name="Bob Brown")
    target = person_create(actor=alice, display_name="Wang Target")
    secret = person_create(actor=bob, display_name="Bob's Secret", visibility="private")
    tie_create(actor=bob, person_a=bob.member.person, person_b=secret, manual_strength=0.9)
    tie_create(actor=bob, person_a=secret, person_b=target, manual_strength=0.9)

    page = browser_page
    sign_in(page, f"{live_server.url}/network/path/?to=person:{target.pk}&source=team")
    line = page.locator("[data-testid=ask-teammate]")
    line.wait_for()

    # Nothing but the drawn lock before the words: no glyph that needs an emoji font.
    assert line.inner_text().strip().startswith("Bob Brown on your team has a strong tie here")
    lock = line.locator("svg.lock")
    box = lock.bounding_box()
    assert box is not None and box["width"] >= 10 and box["height"] >= 10
    assert lock.evaluate("e => getComputedStyle(e).display") != "none"
    index.forget()


def test_a_name_typed_finds_the_target_or_lists_candidates(web, alice):
    client = client_for(alice)
    one = client.get("/network/path/", {"q": "Wang Xiaoming"}).content.decode()
    assert "Ask Anna Lee for an introduction" in one
    several = client.get("/network/path/", {"q": "a"}, headers={"HX-Request": "true"})
    assert "which one?" in several.content.decode()
    none = client.get("/network/path/", {"q": "Zebedee"}).content.decode()
    assert "Nobody you can see matches" in none
    suggest = client.get("/network/path/suggest/", {"q": "huawei"}).content.decode()
    assert f'data-to="organisation:{web["huawei"].pk}"' in suggest


def test_the_draft_is_revealed_with_a_mailto_link(web, alice):
    draft = client_for(alice).get(
        "/network/path/draft/",
        {"to": f"person:{web['wang'].pk}", "source": "me", "k": 3, "n": 2},
    )
    html = draft.content.decode()
    assert draft.status_code == 200
    assert "Could you introduce me to 王小明?" in html
    assert 'href="mailto:anna@northwind.example?subject=' in html
    masked = client_for(alice).get(
        "/network/path/draft/", {"to": f"person:{web['wang'].pk}", "n": 1}
    )
    assert masked.status_code == 404


def test_a_colleague_s_private_contact_is_refused_as_a_target_on_the_page(web, alice):
    page = client_for(alice).get("/network/path/", {"to": f"person:{web['bobs_secret'].pk}"})
    assert "no such person" in page.content.decode()


def test_person_and_organisation_pages_link_to_the_warm_path(web, alice):
    client = client_for(alice)
    person = client.get(f"/people/{web['wang'].pk}/").content.decode()
    assert f"/network/path/?to=person:{web['wang'].pk}" in person
    org = client.get(f"/organisations/{web['huawei'].pk}/").content.decode()
    assert f"/network/path/?to=organisation:{web['huawei'].pk}" in org


def test_the_api_returns_paths_and_masked_entries(web, alice):
    body = api_for(alice).get(API, {"to_organisation": web["huawei"].pk, "k": 3}).json()
    assert body["targets"] == [{"id": web["wang"].pk, "name": "王小明"}]
    masked, visible = body["paths"][0], body["paths"][1]
    assert masked["hidden"] is True and masked["ask"] == "Bob Brown"
    assert [p["name"] for p in visible["people"]] == ["Alice Adams", "Anna Lee", "王小明"]
    assert visible["hops"][0]["from"]["name"] == "Alice Adams"
    assert visible["hops"][1]["kind"] == "colleague" and visible["hops"][1]["strength"] == 0.5
    assert visible["draft"]["mailto"].startswith("mailto:anna@northwind.example?")
    assert masked["people"] is None and masked["hops"] is None and masked["score"] is None
    assert "Private Contact" not in json.dumps(body)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to_person": "secret"}, "to_person"),
        ({"to_person": "wang", "source": "nobody"}, "source"),
        ({}, "to_person"),
        ({"to_person": "wang", "k": 99}, "k"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(web, alice, params, field):
    ids = {"secret": web["bobs_secret"].pk, "wang": web["wang"].pk}
    query = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in params.items()}
    response = api_for(alice).get(API, query)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_the_openapi_document_lists_the_path_endpoint(book):
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    assert "get" in schema["paths"][API]


def test_rapport_path_prints_a_table_and_json(web, alice, bob, monkeypatch):
    from rapport import cli

    monkeypatch.setattr(cli.console, "width", 240)  # one line per path
    runner = CliRunner()
    table = runner.invoke(app, ["path", "--to", "Wang Xiaoming", "--user", "alice"])
    assert table.exit_code == 0, table.output
    assert "Anna Lee" in table.output and "ask Bob Brown" in table.output
    assert "Private Contact" not in table.output
    result = runner.invoke(
        app, ["path", "--to", "huawei", "--from", "team", "--k", "2", "--user", "alice", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["source"] == "team" and len(body["paths"]) >= 1
    assert "Private Contact" not in result.stdout


def test_rapport_path_names_candidates_or_the_bad_field(web, alice, bob):
    runner = CliRunner()
    ambiguous = runner.invoke(app, ["path", "--to", "a", "--user", "alice"])
    assert ambiguous.exit_code == 1 and "be more specific" in ambiguous.output
    unknown = runner.invoke(app, ["path", "--to", "Zebedee", "--user", "alice"])
    assert unknown.exit_code == 1 and "can see matches 'Zebedee'" in unknown.output
    bad = runner.invoke(app, ["path", "--to", "wxm", "--from", "nobody", "--user", "alice"])
    assert bad.exit_code == 1 and "source: no teammate named nobody" in bad.output
