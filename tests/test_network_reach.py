"""Reach as a user meets it: a person's circle (first and second degree, the Girard
estimate beside a small circle), the team's top connectors as a chart, the picture's
JSON for a person and an organisation; a colleague's private contact is never shown or
counted, and another team's records are 404."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.network import index
from rapport.network.services import tie_create
from rapport.people.services import organisation_create, person_create, role_create
from tests.conftest import client_for

SECRET = "Hidden Friend Of Bob"


@pytest.fixture(autouse=True)
def _fresh_graphs() -> Any:
    index.forget()
    yield
    index.forget()


@pytest.fixture
def web(alice: Any, bob: Any) -> dict[str, Any]:
    """Alice knows Carla (friend, 0.9) and Dev (colleague, 0.6); both know Erin. Bob
    knows Fay (client) and his private contact, who knows Carla too."""
    me, bob_me = alice.member.person, bob.member.person
    carla = person_create(actor=alice, display_name="Carla Client")
    dev = person_create(actor=alice, display_name="Dev Desai")
    erin = person_create(actor=alice, display_name="Erin Eng")
    fay = person_create(actor=bob, display_name="Fay Fong")
    secret = person_create(actor=bob, display_name=SECRET, visibility="private")

    def tie(actor: Any, a: Any, b: Any, strength: float, kind: str) -> None:
        tie_create(actor=actor, person_a=a, person_b=b, kind=kind, manual_strength=strength)

    tie(alice, me, carla, 0.9, "friend")
    tie(alice, me, dev, 0.6, "colleague")
    tie(alice, carla, erin, 0.8, "family")
    tie(alice, dev, erin, 0.5, "other")
    tie(bob, bob_me, fay, 0.7, "client")
    tie(bob, bob_me, secret, 0.9, "friend")
    tie(bob, secret, carla, 0.9, "friend")
    org = organisation_create(actor=alice, name="Carla Holdings")
    role_create(actor=alice, person=carla, organisation=org, title="CEO")
    return {
        "me": me,
        "bob_me": bob_me,
        "carla": carla,
        "dev": dev,
        "erin": erin,
        "fay": fay,
        "secret": secret,
        "org": org,
    }


def _text(response: Any) -> str:
    assert response.status_code == 200, response.content[:300]
    return str(response.content.decode())


def test_a_person_s_circle_counts_only_people_you_can_see(alice: Any, web: dict[str, Any]):
    page = _text(client_for(alice).get(f"/network/people/{web['me'].pk}/"))

    assert 'data-testid="first-degree">2<' in page
    # Erin through both; Bob's private contact (who knows Carla) is not counted.
    assert 'data-testid="second-degree">1<' in page
    assert page.index("Carla Client") < page.index("Dev Desai")
    assert "Friend" in page and "Colleague" in page and "90%" in page
    assert "about 250 (Girard&#x27;s rule of thumb)" in page
    assert SECRET not in page


def test_the_owner_sees_their_private_contact_in_the_circle(bob: Any, web: dict[str, Any]):
    page = _text(client_for(bob).get(f"/network/people/{web['carla'].pk}/"))

    # Carla knows Alice, Erin and (for Bob) his private contact.
    assert 'data-testid="first-degree">3<' in page
    assert SECRET in page


def test_the_picture_json_of_a_person(alice: Any, web: dict[str, Any]):
    graph = client_for(alice).get(f"/network/people/{web['me'].pk}/graph.json").json()

    nodes = {n["name"]: n for n in graph["nodes"]}
    assert set(nodes) == {"Alice Adams", "Carla Client", "Dev Desai", "Erin Eng"}
    assert nodes["Alice Adams"]["kind"] == "centre" and nodes["Alice Adams"]["teammate"]
    assert nodes["Carla Client"]["kind"] == "friend"
    assert nodes["Erin Eng"]["kind"] == "second"
    assert nodes["Dev Desai"]["url"] == f"/network/people/{web['dev'].pk}/"
    edges = {(e["source"], e["target"]): e for e in graph["edges"]}
    assert len(edges) == 4
    me, carla = web["me"].pk, web["carla"].pk
    key = (f"p{min(me, carla)}", f"p{max(me, carla)}")
    assert edges[key]["strength"] == 0.9 and edges[key]["kind"] == "friend"
    assert SECRET not in str(graph)


def test_the_picture_json_of_an_organisation(alice: Any, web: dict[str, Any]):
    graph = client_for(alice).get(f"/network/organisations/{web['org'].pk}/graph.json").json()

    kinds = {n["name"]: n["kind"] for n in graph["nodes"]}
    assert kinds == {
        "Carla Holdings": "centre",
        "Carla Client": "role",
        "Alice Adams": "second",
        "Erin Eng": "second",
    }
    assert SECRET not in str(graph)
    page = _text(client_for(alice).get(f"/network/organisations/{web['org'].pk}/"))
    assert "Carla Client" in page and 'data-url="/network/organisations/' in page


def test_top_connectors_chart_leaves_out_a_colleague_s_private_contact(
    alice: Any, bob: Any, web: dict[str, Any]
):
    page = _text(client_for(alice).get("/network/"))

    assert '<svg class="chart"' in page
    assert "Alice Adams: 2</title>" in page  # Carla and Dev
    assert "Bob Brown: 1</title>" in page  # Fay only: his private contact is not counted
    assert SECRET not in page
    # Bob may see his own contact, so for him it counts.
    assert "Bob Brown: 2</title>" in _text(client_for(bob).get("/network/"))


def test_search_finds_a_person_and_links_to_their_reach(alice: Any, web: dict[str, Any]):
    page = _text(client_for(alice).get("/network/", {"q": "Carla"}))

    assert f'href="/network/people/{web["carla"].pk}/"' in page
    assert f'href="/network/organisations/{web["org"].pk}/"' in page
    assert SECRET not in _text(client_for(alice).get("/network/", {"q": "Hidden"}))


def test_without_ties_the_page_says_so(alice: Any):
    page = _text(client_for(alice).get("/network/"))

    assert "No teammate has a tie to a client yet." in page


@pytest.mark.parametrize(
    "url",
    [
        "/network/people/{secret}/",
        "/network/people/{secret}/graph.json",
    ],
)
def test_a_colleague_s_private_contact_is_404(alice: Any, web: dict[str, Any], url: str):
    response = client_for(alice).get(url.format(secret=web["secret"].pk))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/network/people/{me}/",
        "/network/people/{me}/graph.json",
        "/network/organisations/{org}/",
        "/network/organisations/{org}/graph.json",
    ],
)
def test_another_team_s_records_are_404(charlie: Any, web: dict[str, Any], url: str):
    response = client_for(charlie).get(url.format(me=web["me"].pk, org=web["org"].pk))

    assert response.status_code == 404


def test_another_team_sees_none_of_these_connectors(charlie: Any, web: dict[str, Any]):
    page = _text(client_for(charlie).get("/network/"))

    assert "Alice Adams" not in page and "Bob Brown" not in page


def test_the_warm_path_page_links_to_reach(alice: Any):
    page = _text(client_for(alice).get("/network/path/"))

    assert 'href="/network/"' in page


# A teammate in the picture, and a picture that stays readable


def _tie(actor: Any, a: Any, b: Any, strength: float, kind: str = "friend") -> None:
    tie_create(actor=actor, person_a=a, person_b=b, kind=kind, manual_strength=strength)


def test_a_teammate_s_book_is_neither_counted_nor_drawn_around_a_client(alice: Any, bob: Any):
    bob_me = bob.member.person
    carla = person_create(actor=alice, display_name="Carla Client")
    dan = person_create(actor=alice, display_name="Dan Dong")
    erin = person_create(actor=alice, display_name="Erin Eng")
    _tie(alice, carla, bob_me, 0.9, "client")
    _tie(alice, carla, dan, 0.6)
    _tie(alice, dan, erin, 0.7)
    _tie(alice, dan, bob_me, 0.8, "client")
    book = [person_create(actor=bob, display_name=f"Bob's Client {n}") for n in range(10)]
    for n, person in enumerate(book):
        _tie(bob, bob_me, person, 0.5 + n / 100, "client")

    page = _text(client_for(alice).get(f"/network/people/{carla.pk}/"))
    graph = client_for(alice).get(f"/network/people/{carla.pk}/graph.json").json()

    assert 'data-testid="first-degree">2<' in page  # Bob and Dan
    assert 'data-testid="second-degree">1<' in page, "Erin; not Bob's ten clients"
    assert "on your team" in page and "knows 12 people" in page
    names = {n["name"]: n for n in graph["nodes"]}
    assert set(names) == {"Carla Client", "Bob Brown", "Dan Dong", "Erin Eng"}
    assert names["Bob Brown"]["teammate"] and names["Bob Brown"]["knows"] == 12
    assert names["Bob Brown"]["note"] == "knows 12 people"
    bob_id = f"p{bob_me.pk}"
    bobs_edges = [e for e in graph["edges"] if bob_id in (e["source"], e["target"])]
    assert {e["source"] if e["target"] == bob_id else e["target"] for e in bobs_edges} == {
        f"p{carla.pk}"
    }, "a teammate's ties are drawn only towards the centre"
    assert "left-out" not in page


def test_a_wide_neighbourhood_is_capped_and_the_page_says_what_was_left_out(alice: Any):
    centre = person_create(actor=alice, display_name="Hub Hu")
    friends = [person_create(actor=alice, display_name=f"Friend {n:02}") for n in range(30)]
    for n, friend in enumerate(friends):
        _tie(alice, centre, friend, 0.95 - n / 100)
    for n, friend in enumerate(friends[:10]):
        for m in range(5):
            far = person_create(actor=alice, display_name=f"Far {n:02}-{m}")
            _tie(alice, friend, far, 0.9 - m / 10)

    page = _text(client_for(alice).get(f"/network/people/{centre.pk}/"))
    graph = client_for(alice).get(f"/network/people/{centre.pk}/graph.json").json()

    kinds = [n["kind"] for n in graph["nodes"]]
    assert len(kinds) == 50 and kinds.count("friend") == 24 and kinds.count("second") == 25
    shown = {n["name"] for n in graph["nodes"]}
    assert "Friend 23" in shown and "Friend 24" not in shown, "the strongest first"
    assert not {f"Far {n:02}-{m}" for n in range(10) for m in (3, 4)} & shown, "3 per friend"
    assert graph["left_out"] == {"first": 6, "second": 25, "total": 31}
    assert 'data-testid="second-degree">50<' in page
    assert "And 31 more not drawn" in page and "(6 whom they know, 25 known through them)" in page


# An organisation's circle


def test_an_organisation_s_circle_counts_its_people_s_ties_once_each(
    alice: Any, bob: Any, web: dict[str, Any]
):
    page = _text(client_for(alice).get(f"/network/organisations/{web['org'].pk}/"))

    assert 'data-testid="org-people">1<' in page  # Carla
    assert 'data-testid="first-degree">2<' in page  # Alice and Erin
    assert 'data-testid="second-degree">1<' in page  # Dev, through Erin (not through Alice)
    assert "about 250 (Girard&#x27;s rule of thumb: about 250 for its one person)" in page
    assert SECRET not in page
    # Bob sees his private contact, who knows Carla, and through them himself.
    for_bob = _text(client_for(bob).get(f"/network/organisations/{web['org'].pk}/"))
    assert 'data-testid="first-degree">3<' in for_bob
    assert 'data-testid="second-degree">2<' in for_bob


def test_two_people_of_an_organisation_who_know_the_same_person_count_them_once(alice: Any):
    org = organisation_create(actor=alice, name="Twin Peaks Ltd")
    one = person_create(actor=alice, display_name="One Wu")
    two = person_create(actor=alice, display_name="Two Wu")
    shared = person_create(actor=alice, display_name="Shared Friend")
    for person in (one, two):
        role_create(actor=alice, person=person, organisation=org, title="Partner")
        _tie(alice, person, shared, 0.6)
    _tie(alice, one, two, 0.9, "colleague")

    page = _text(client_for(alice).get(f"/network/organisations/{org.pk}/"))

    assert 'data-testid="org-people">2<' in page
    assert 'data-testid="first-degree">1<' in page, "the shared friend once; not each other"
    assert 'data-testid="second-degree">0<' in page
    assert "about 500 (Girard&#x27;s rule of thumb: about 250 for each of its 2 people)" in page
