"""Ties and referrals over the REST API: the same rules as the services, JSON errors that
name the field, and nothing of another team or a colleague's private contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.accounts.models import AuditEntry
from rapport.interactions.services import interaction_create
from rapport.network.models import Referral, Tie
from rapport.network.services import ties_refresh
from rapport.people.services import person_create
from tests.conftest import api_for

API = "/api/v1"


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(API + path)
    return getattr(client, method)(API + path, body, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def error(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and body["field"] == field, body
    return body


@pytest.fixture
def api(book: dict[str, Any], alice: Any) -> Client:
    return api_for(alice)


@pytest.fixture
def bob_api(book: dict[str, Any], bob: Any) -> Client:
    return api_for(bob)


@pytest.fixture
def charlie_api(book: dict[str, Any], charlie: Any) -> Client:
    return api_for(charlie)


def test_it_records_a_tie_and_lists_it_strongest_first(api, book):
    wang, anna = book["wang"], book["anna"]
    brother = person_create(actor=wang.owner, display_name="Wang Da")
    made = ok(
        send(
            api,
            "post",
            "/ties",
            {"person_a": wang.pk, "person_b": brother.pk, "kind": "family", "since": "1990-01-01"},
        ),
        201,
    )
    assert made["kind"] == "family" and made["source"] == "manual"
    assert {made["person_a"]["id"], made["person_b"]["id"]} == {wang.pk, brother.pk}
    ok(
        send(api, "post", "/ties", {"person_a": wang.pk, "person_b": anna.pk, "kind": "client"}),
        201,
    )

    listed = ok(api.get(API + "/ties", {"person_id": wang.pk}))
    assert listed["count"] == 2
    strengths = [t["strength"] for t in listed["items"]]
    assert strengths == sorted(strengths, reverse=True)
    assert listed["items"][0]["kind"] == "family"
    assert ok(api.get(API + "/ties", {"kind": "client"}))["count"] == 1
    mine = ok(api.get(f"{API}/people/{brother.pk}/ties"))
    assert [t["id"] for t in mine] == [made["id"]]


def test_it_changes_a_tie_s_strength_by_hand_and_back(api, book):
    ties_refresh(team_id=book["wang"].team_id)
    tie = Tie.objects.get(
        person_a=min(book["wang"].pk, book["anna"].pk), person_b__in=[book["anna"], book["wang"]]
    )
    computed = tie.strength

    changed = ok(send(api, "patch", f"/ties/{tie.pk}", {"manual_strength": 0.95}))
    assert (changed["strength"], changed["manual_strength"]) == (0.95, 0.95)
    back = ok(send(api, "patch", f"/ties/{tie.pk}", {"manual_strength": None}))
    assert back["manual_strength"] is None
    assert back["strength"] == pytest.approx(computed, abs=1e-4)
    assert back["source"] == "interactions"
    described = ok(send(api, "patch", f"/ties/{tie.pk}", {"kind": "friend", "note": "golf"}))
    assert (described["source"], described["kind"], described["note"]) == (
        "manual",
        "friend",
        "golf",
    )
    assert described["strength"] > computed, "a friend, and they talk"
    error(send(api, "patch", f"/ties/{tie.pk}", {"kind": None}), 422, "kind")
    assert ok(send(api, "delete", f"/ties/{tie.pk}"), 204) is None
    # Their conversations still show the tie: it falls back to the kind guessed for it.
    kept = ok(api.get(API + "/ties", {"person_id": book["anna"].pk}))["items"]
    assert {t["id"]: t["kind"] for t in kept}[tie.pk] == "other"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"person_b": 1}, "person_a"),
        ({"person_a": "x", "person_b": 1}, "person_a"),
        ({"person_a": "wang", "person_b": "wang"}, "person_b"),
        ({"person_a": "wang", "person_b": "charlies"}, "person_b"),
        ({"person_a": "bobs_secret", "person_b": "wang"}, "person_a"),
        ({"person_a": "wang", "person_b": "anna", "manual_strength": 3}, "manual_strength"),
        ({"person_a": "wang", "person_b": "anna", "kind": "enemy"}, "kind"),
        ({"person_a": "wang", "person_b": "anna", "since": "yesterday"}, "since"),
    ],
)
def test_a_bad_tie_is_refused_naming_the_field_and_nothing_is_written(api, book, body, field):
    body = {k: book[v].pk if isinstance(v, str) and v in book else v for k, v in body.items()}
    before = (Tie.objects.count(), AuditEntry.objects.count())
    error(send(api, "post", "/ties", body), 422, field)
    assert (Tie.objects.count(), AuditEntry.objects.count()) == before


def test_another_team_s_and_a_colleague_s_private_ties_are_out_of_reach(
    api, bob_api, charlie_api, book, alice
):
    secret_tie = ok(
        send(
            api,
            "post",
            "/ties",
            {"person_a": book["alices_secret"].pk, "person_b": book["wang"].pk, "kind": "friend"},
        ),
        201,
    )
    shared_tie = ok(
        send(api, "post", "/ties", {"person_a": book["anna"].pk, "person_b": book["wang"].pk}),
        201,
    )
    for client in (bob_api, charlie_api):
        ids = {t["id"] for t in ok(client.get(API + "/ties"))["items"]}
        assert secret_tie["id"] not in ids
        error(send(client, "patch", f"/ties/{secret_tie['id']}", {"note": "x"}), 404, None)
        error(send(client, "delete", f"/ties/{secret_tie['id']}"), 404, None)
    assert shared_tie["id"] in {t["id"] for t in ok(bob_api.get(API + "/ties"))["items"]}
    error(send(charlie_api, "delete", f"/ties/{shared_tie['id']}"), 404, None)
    error(charlie_api.get(f"{API}/people/{book['wang'].pk}/ties"), 404, None)
    bobs_view = ok(bob_api.get(f"{API}/people/{book['wang'].pk}/ties"))
    assert [t["id"] for t in bobs_view] == [shared_tie["id"]]
    assert Tie.objects.filter(pk=secret_tie["id"], note="").exists()


def test_it_records_a_referral_and_shows_what_came_of_it(api, book, alice):
    wang = book["wang"]
    newcomer = person_create(actor=alice, display_name="Li Lei")
    made = ok(
        send(
            api,
            "post",
            "/referrals",
            {"referrer": wang.pk, "referred": newcomer.pk, "referred_on": "2026-01-10"},
        ),
        201,
    )
    assert (made["meetings_since"], made["due_thanks"], made["thanked_at"]) == (0, False, None)
    interaction_create(
        actor=alice,
        participants=[newcomer],
        kind="meeting",
        summary="First meeting",
        occurred_at=timezone.now() - dt.timedelta(days=1),
    )
    due = ok(api.get(API + "/referrals", {"due_thanks": "true"}))
    assert [r["id"] for r in due["items"]] == [made["id"]]
    assert due["items"][0]["meetings_since"] == 1

    thanked = ok(send(api, "post", f"/referrals/{made['id']}/thanked"))
    assert thanked["thanked_at"] and not thanked["due_thanks"]
    assert ok(api.get(API + "/referrals", {"due_thanks": "true"}))["count"] == 0
    by_wang = ok(api.get(API + "/referrals", {"referrer_id": wang.pk}))
    assert [r["referred"]["display_name"] for r in by_wang["items"]] == ["Li Lei"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"referrer": "wang", "referred": "wang"}, "referred"),
        ({"referrer": "charlies", "referred": "wang"}, "referrer"),
        ({"referrer": "wang", "referred": "bobs_secret"}, "referred"),
        ({"referrer": "wang", "referred": "anna", "referred_on": "2999-01-01"}, "referred_on"),
    ],
)
def test_a_bad_referral_is_refused_naming_the_field(api, book, body, field):
    body = {k: book[v].pk if v in book else v for k, v in body.items()}
    error(send(api, "post", "/referrals", body), 422, field)
    assert not Referral.objects.exists()


def test_a_colleague_cannot_see_or_thank_a_referral_naming_a_private_contact(
    api, bob_api, charlie_api, book
):
    made = ok(
        send(
            api,
            "post",
            "/referrals",
            {"referrer": book["alices_secret"].pk, "referred": book["wang"].pk},
        ),
        201,
    )
    for client in (bob_api, charlie_api):
        assert ok(client.get(API + "/referrals"))["count"] == 0
        error(send(client, "post", f"/referrals/{made['id']}/thanked"), 404, None)
    assert Referral.objects.get().thanked_at is None


def test_the_openapi_document_lists_the_network_endpoints(book):
    paths = ok(Client().get(API + "/openapi.json"))["paths"]
    assert {"get", "post"} <= set(paths[f"{API}/ties"])
    assert {"patch", "delete"} <= set(paths[f"{API}/ties/{{tie_id}}"])
    assert "get" in paths[f"{API}/people/{{person_id}}/ties"]
    assert {"get", "post"} <= set(paths[f"{API}/referrals"])
    assert "post" in paths[f"{API}/referrals/{{referral_id}}/thanked"]


tie_bodies = st.fixed_dictionaries(
    {},
    optional={
        "person_a": st.one_of(st.integers(-3, 10**6), st.text(max_size=5), st.none()),
        "person_b": st.one_of(st.integers(-3, 10**6), st.text(max_size=5), st.none()),
        "kind": st.sampled_from(["family", "friend", "other", "rival", ""]),
        "since": st.one_of(st.none(), st.dates().map(str), st.text(max_size=10)),
        "manual_strength": st.one_of(st.none(), st.floats(-2, 3), st.booleans()),
        "note": st.text(max_size=30),
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=tie_bodies)
def test_random_tie_input_never_fails_badly(api, book, body):
    response = send(api, "post", "/ties", body)
    assert response.status_code in (201, 422), response.content
    if response.status_code == 422:
        assert response.json()["field"]
    else:
        Tie.objects.filter(pk=response.json()["id"]).delete()


def test_listing_ties_and_referrals_costs_the_same_few_queries_however_many_there_are(
    api, book, alice, django_assert_max_num_queries
):
    wang = book["wang"]
    for n in range(8):
        friend = person_create(actor=alice, display_name=f"Friend {n}")
        send(api, "post", "/ties", {"person_a": wang.pk, "person_b": friend.pk, "kind": "friend"})
        send(api, "post", "/referrals", {"referrer": wang.pk, "referred": friend.pk})
    with django_assert_max_num_queries(6):
        assert ok(api.get(API + "/ties", {"person_id": wang.pk}))["count"] == 8
    with django_assert_max_num_queries(7):
        assert ok(api.get(API + "/referrals"))["count"] == 8
    with django_assert_max_num_queries(6):
        assert len(ok(api.get(f"{API}/people/{wang.pk}/ties"))) == 8
