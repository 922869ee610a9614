"""Trust over the API: cards, the list and recomputing under /api/v1/trust; the evidence
library, claims and client surveys. Another team's records and a colleague's private
contact are 404s; bad input is a 422 naming the field."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.people.models import Role
from rapport.trust import equation, evidence, scoring
from rapport.trust.models import Claim, Evidence, EvidenceShown, Survey, TrustScore
from tests.conftest import api_for
from tests.test_trust_pages import trusted_world

COMPONENTS = {"C", "R", "I", "S"}


@pytest.fixture
def world(book: dict[str, Any], alice: Any, bob: Any, charlie: Any) -> dict[str, Any]:
    return trusted_world(book, alice, bob, charlie)


def post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def patch(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, body, content_type="application/json")


# Cards


def test_a_person_s_card_has_every_component_with_its_evidence_and_explanation(world, alice):
    response = api_for(alice).get(f"/api/v1/trust/people/{world['wang'].pk}")

    assert response.status_code == 200
    card = response.json()
    assert card["name"] == "王小明"
    assert set(card["components"]) == COMPONENTS
    r = card["components"]["R"]
    assert r["name"] == "Reliability" and r["evidence"] >= 4 and not r["uncertain"]
    assert {line["kind"] for line in r["explanation"]} >= {"promise_kept"}
    assert card["weakest"] in COMPONENTS
    assert card["t"] == pytest.approx(
        (
            card["components"]["C"]["value"]
            + card["components"]["R"]["value"]
            + card["components"]["I"]["value"]
        )
        / card["components"]["S"]["value"],
        abs=0.02,
    )
    assert card["delta_week"] == TrustScore.objects.get(person=world["wang"]).delta_week
    assert all({"component", "action", "gain"} <= set(a) for a in card["next_actions"])


def test_an_organisation_s_card_pools_its_people(world, alice):
    response = api_for(alice).get(f"/api/v1/trust/organisations/{world['huawei'].pk}")

    assert response.status_code == 200
    card = response.json()
    assert card["name"] == "华为技术"
    assert card["components"]["R"]["evidence"] >= 4
    # One line per person (their own card itemises), worth the sum of their events.
    lines = [line for line in card["components"]["R"]["explanation"] if line["what"] == "王小明"]
    assert len(lines) == 1
    decides = Role.objects.filter(person=world["wang"], is_decision_maker=True).exists()
    assert lines[0]["kind"] == ("decision_maker" if decides else "member")
    assert "piece" in lines[0]["about"]
    now = dt.datetime.fromisoformat(card["as_of"])
    pooled = equation.score(
        evidence.organisation_events(world["huawei"], now, itemised=10_000),
        now=now,
        half_life_days=scoring.half_life(),
    )
    his = [c.effect for c in pooled.r.contributions if c.event.who == world["wang"].pk]
    assert len(his) >= 2
    assert lines[0]["effect"] == pytest.approx(sum(his), abs=0.002)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("charlie", "/api/v1/trust/people/{wang}"),
        ("charlie", "/api/v1/trust/organisations/{huawei}"),
        ("alice", "/api/v1/trust/people/{bobs_secret}"),
        ("alice", "/api/v1/trust/organisations/{charlies_org}"),
        ("alice", "/api/v1/trust/people/999999"),
    ],
)
def test_a_card_out_of_reach_is_a_json_404(world, alice, charlie, who, path):
    user = {"alice": alice, "charlie": charlie}[who]
    url = path.format(**{k: getattr(v, "pk", None) for k, v in world.items()})

    response = api_for(user).get(url)

    assert response.status_code == 404
    assert response.json()["detail"]


# The list


def names(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["items"]]


def test_the_list_is_lowest_trust_first_with_components_and_counts(world, alice):
    body = api_for(alice).get("/api/v1/trust").json()

    ts = [item["t"] for item in body["items"]]
    assert ts == sorted(ts)
    assert body["items"][0]["name"] == "Anna Lee"
    assert body["count"] == len(body["items"]) == sum(body["by_weakest"].values())
    anna = body["items"][0]
    assert anna["subject"] == "person" and anna["organisation"] == "Northwind Logistics"
    assert anna["weakest"] == "R" and anna["delta_week"] < 0
    assert anna["components"]["R"] == {
        "value": TrustScore.objects.get(person=world["anna"]).r,
        "evidence": 3,
        "uncertain": False,
    }
    assert anna["components"]["C"]["uncertain"] is True
    computed = dt.datetime.fromisoformat(anna["computed_at"].replace("Z", "+00:00"))
    stored = TrustScore.objects.get(person=world["anna"]).computed_at
    assert abs(computed - stored) < dt.timedelta(milliseconds=1)


def test_the_list_never_shows_another_team_or_a_colleague_s_private_contact(world, alice, bob):
    seen_by_alice = names(api_for(alice).get("/api/v1/trust?limit=500").json())
    seen_by_bob = names(api_for(bob).get("/api/v1/trust?limit=500").json())

    assert "Bob's Private Contact" not in seen_by_alice
    assert "Charlie's Client" not in seen_by_alice and "Charlie Holdings" not in seen_by_alice
    assert "Alice Adams" not in seen_by_alice and "Bob Brown" not in seen_by_alice
    assert "Bob's Private Contact" in seen_by_bob
    assert "Alice's Private Contact" not in seen_by_bob


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject=organisations", ["Northwind Logistics", "Acme Quiet Ltd", "华为技术"]),
        (
            "subject=people&mine=true",
            ["Anna Lee", "Alice's Private Contact", "Dora Prospect", "王小明"],
        ),
        ("tag=prospect", ["Dora Prospect"]),
        ("tag=vip", ["王小明"]),
        ("falling=true", ["Anna Lee", "Northwind Logistics"]),
        ("weakest=R&subject=people&sort=-t", ["王小明", "Anna Lee"]),
        ("t_min=3&t_max=4", ["王小明", "华为技术"]),
        ("sort=falling&limit=2", ["Anna Lee", "Northwind Logistics"]),
        ("sort=name&subject=organisations", ["Acme Quiet Ltd", "Northwind Logistics", "华为技术"]),
    ],
)
def test_the_list_filters_and_sorts(world, alice, query, expected):
    got = names(api_for(alice).get(f"/api/v1/trust?{query}").json())

    if "sort" in query:
        assert got == expected
    else:
        assert sorted(got) == sorted(expected)


def test_the_list_pages_with_limit_and_offset(world, alice):
    client = api_for(alice)
    everything = names(client.get("/api/v1/trust").json())

    page = client.get("/api/v1/trust?limit=2&offset=2").json()

    assert page["count"] == len(everything) and (page["limit"], page["offset"]) == (2, 2)
    assert names(page) == everything[2:4]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("weakest=X", "weakest"),
        ("t_min=-1", "t_min"),
        ("sort=random", "sort"),
        ("limit=0", "limit"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(world, alice, query, field):
    response = api_for(alice).get(f"/api/v1/trust?{query}")

    assert response.status_code == 422
    assert response.json()["field"] == field


def test_recompute_scores_the_whole_team_and_no_other(book, alice, bob, charlie):
    response = post(api_for(alice), "/api/v1/trust/recompute")

    assert response.status_code == 200
    body = response.json()
    # Two organisations; Wang, Anna and the two private contacts (the two members are
    # not relationships and get no score).
    assert (body["people"], body["organisations"]) == (4, 2)
    assert TrustScore.objects.filter(team_id=alice.member.team_id).count() == 6
    assert not TrustScore.objects.filter(person__in=[alice.member.person_id, bob.member.person_id])
    assert not TrustScore.objects.filter(team_id=charlie.member.team_id).exists()
    assert api_for(alice).get("/api/v1/trust").json()["count"] == 5


def test_the_api_needs_a_token(world, client):
    assert client.get("/api/v1/trust").status_code == 401
    assert client.post("/api/v1/trust/recompute").status_code == 401


# Evidence


def evidence_body(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "certification",
        "title": "ISO 27001",
        "issuer": "BSI",
        "verified_on": "2026-01-10",
        "expires_on": "2029-01-10",
        "industries": ["Technology", "Finance"],
        **extra,
    }


def test_evidence_is_created_listed_read_changed_and_deleted(book, alice):
    client = api_for(alice)

    created = post(client, "/api/v1/evidence", evidence_body())
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["title"] == "ISO 27001" and item["flags"] == [] and not item["stale"]
    assert item["showings"] == []

    listed = client.get("/api/v1/evidence?industry=finance").json()
    assert [e["title"] for e in listed["items"]] == ["ISO 27001"]
    assert listed["items"][0]["shown_count"] == 0

    changed = patch(client, f"/api/v1/evidence/{item['id']}", {"expires_on": "2026-02-01"})
    assert changed.status_code == 200
    assert changed.json()["flags"] == ["expired"] and changed.json()["stale"]
    assert [e["title"] for e in client.get("/api/v1/evidence?attention=true").json()["items"]] == [
        "ISO 27001"
    ]

    assert client.delete(f"/api/v1/evidence/{item['id']}").status_code == 204
    assert client.get(f"/api/v1/evidence/{item['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (evidence_body(kind="rumour"), "kind"),
        (evidence_body(title=""), "title"),
        (evidence_body(verified_on="2099-01-01", expires_on=None), "verified_on"),
        (evidence_body(verified_on="2026-01-10", expires_on="2025-01-01"), "expires_on"),
    ],
)
def test_bad_evidence_is_a_422_naming_the_field(book, alice, body, field):
    response = post(api_for(alice), "/api/v1/evidence", body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Evidence.objects.exists()


def test_showing_stale_evidence_needs_confirmation_and_then_counts_as_stale(book, alice):
    client = api_for(alice)
    stale = post(
        client, "/api/v1/evidence", evidence_body(verified_on="2024-01-01", expires_on="2025-01-01")
    ).json()
    url = f"/api/v1/evidence/{stale['id']}/show"

    refused = post(client, url, {"person_id": book["wang"].pk})
    assert refused.status_code == 422
    assert refused.json()["field"] == "evidence_id"
    assert "expired" in refused.json()["detail"]
    assert not EvidenceShown.objects.exists()

    shown = post(client, url, {"person_id": book["wang"].pk, "confirm_stale": True})
    assert shown.status_code == 201
    assert shown.json()["was_expired"] is True
    assert shown.json()["person"] == {"id": book["wang"].pk, "display_name": "王小明"}
    detail = client.get(f"/api/v1/evidence/{stale['id']}").json()
    assert [s["id"] for s in detail["showings"]] == [shown.json()["id"]]

    assert client.delete(f"/api/v1/evidence-showings/{shown.json()['id']}").status_code == 204
    assert not EvidenceShown.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"person_id": "bobs_secret"}, "person_id"),
        ({"person_id": "charlies"}, "person_id"),
        ({"organisation_id": "charlies_org"}, "organisation_id"),
        ({}, "person_id"),
        ({"person_id": "wang", "interaction_id": "charlies_call"}, "interaction_id"),
    ],
)
def test_evidence_cannot_be_shown_to_someone_out_of_reach(book, alice, body, field):
    client = api_for(alice)
    evidence = post(client, "/api/v1/evidence", evidence_body()).json()
    body = {k: book[v].pk for k, v in body.items()}

    response = post(client, f"/api/v1/evidence/{evidence['id']}/show", body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not EvidenceShown.objects.exists()


def test_another_team_s_evidence_is_a_404(book, alice, charlie):
    evidence = post(api_for(alice), "/api/v1/evidence", evidence_body()).json()
    client = api_for(charlie)

    assert client.get(f"/api/v1/evidence/{evidence['id']}").status_code == 404
    assert patch(client, f"/api/v1/evidence/{evidence['id']}", {"title": "x"}).status_code == 404
    assert client.delete(f"/api/v1/evidence/{evidence['id']}").status_code == 404
    assert client.get("/api/v1/evidence").json()["count"] == 0
    assert Evidence.objects.get().title == "ISO 27001"


# Claims


def test_a_claim_is_recorded_assessed_listed_and_deleted(book, alice):
    client = api_for(alice)

    created = post(
        client,
        "/api/v1/claims",
        {
            "statement": "We have 40 engineers in Shenzhen",
            "person_id": book["wang"].pk,
            "made_at": "2026-11-02T10:30:00+08:00",
            "interaction_id": book["meeting"].pk,
        },
    )
    assert created.status_code == 201, created.content
    claim = created.json()
    assert claim["status"] == "pending" and claim["owner"] == "alice"
    assert claim["interaction_id"] == book["meeting"].pk

    assessed = post(
        client,
        f"/api/v1/claims/{claim['id']}/assess",
        {"status": "exaggerated", "assessment": "Thirty, in fact"},
    )
    assert assessed.status_code == 200
    assert assessed.json()["status"] == "exaggerated"
    assert assessed.json()["assessment"] == "Thirty, in fact"

    assert [c["id"] for c in client.get("/api/v1/claims?status=exaggerated").json()["items"]] == [
        claim["id"]
    ]
    assert client.get("/api/v1/claims?status=pending").json()["count"] == 0
    assert client.get(f"/api/v1/claims?person_id={book['anna'].pk}").json()["count"] == 0
    assert client.delete(f"/api/v1/claims/{claim['id']}").status_code == 204
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"statement": "x", "person_id": "bobs_secret"}, "person_id"),
        ({"statement": "x", "person_id": "charlies"}, "person_id"),
        ({"statement": "", "person_id": "wang"}, "statement"),
        ({"statement": "x"}, "person_id"),
        ({"statement": "x", "person_id": "wang", "made_at": "2099-01-01T00:00:00Z"}, "made_at"),
    ],
)
def test_a_bad_claim_is_a_422_naming_the_field(book, alice, body, field):
    body = {k: book[v].pk if k.endswith("_id") and k != "made_at" else v for k, v in body.items()}

    response = post(api_for(alice), "/api/v1/claims", body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Claim.objects.exists()


def test_a_claim_to_a_colleague_s_private_contact_is_out_of_reach(book, alice, bob):
    claim = post(
        api_for(bob),
        "/api/v1/claims",
        {"statement": "Bob's secret claim", "person_id": book["bobs_secret"].pk},
    ).json()
    client = api_for(alice)

    assert client.get(f"/api/v1/claims/{claim['id']}").status_code == 404
    assert (
        post(client, f"/api/v1/claims/{claim['id']}/assess", {"status": "false"}).status_code == 404
    )
    assert client.delete(f"/api/v1/claims/{claim['id']}").status_code == 404
    assert client.get("/api/v1/claims").json()["count"] == 0
    assert Claim.objects.get().status == "pending"


def test_assessing_needs_a_verdict(book, alice):
    client = api_for(alice)
    claim = post(client, "/api/v1/claims", {"statement": "x", "person_id": book["wang"].pk}).json()

    response = post(client, f"/api/v1/claims/{claim['id']}/assess", {"status": "pending"})

    assert response.status_code == 422 and response.json()["field"] == "status"


# Surveys


def test_a_survey_link_is_made_listed_and_revoked(book, alice):
    client = api_for(alice)
    url = f"/api/v1/people/{book['wang'].pk}/surveys"

    created = post(client, url, {"language": "zh-hans", "days": 14})
    assert created.status_code == 201, created.content
    survey = created.json()
    assert survey["token"] and survey["url"] == f"/p/survey/{survey['token']}/"
    assert survey["state"] == "sent" and survey["language"] == "zh-hans"
    assert survey["token"].startswith(survey["prefix"])
    stored = Survey.objects.get()
    assert survey["token"] not in stored.digest
    assert stored.expires_at - stored.created_at == pytest.approx(
        dt.timedelta(days=14), abs=dt.timedelta(seconds=5)
    )

    listed = client.get(url).json()
    assert listed["count"] == 1 and "token" not in listed["items"][0]

    revoked = post(client, f"/api/v1/surveys/{survey['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    again = post(client, f"/api/v1/surveys/{survey['id']}/revoke")
    assert again.status_code == 422 and again.json()["field"] == "survey"


@pytest.mark.parametrize(
    ("body", "field"), [({"days": 0}, "days"), ({"language": "fr"}, "language")]
)
def test_a_bad_survey_is_a_422_naming_the_field(book, alice, body, field):
    response = post(api_for(alice), f"/api/v1/people/{book['wang'].pk}/surveys", body)

    assert response.status_code == 422 and response.json()["field"] == field
    assert not Survey.objects.exists()


@pytest.mark.parametrize(("who", "person"), [("alice", "bobs_secret"), ("charlie", "wang")])
def test_surveys_of_someone_out_of_reach_are_404s(book, alice, bob, charlie, who, person):
    owner = bob if person == "bobs_secret" else alice
    made = post(api_for(owner), f"/api/v1/people/{book[person].pk}/surveys").json()
    client = api_for({"alice": alice, "charlie": charlie}[who])

    assert client.get(f"/api/v1/people/{book[person].pk}/surveys").status_code == 404
    assert post(client, f"/api/v1/people/{book[person].pk}/surveys").status_code == 404
    assert post(client, f"/api/v1/surveys/{made['id']}/revoke").status_code == 404
    assert Survey.objects.get().revoked_at is None


# Random input: never a server error; 201 or a 4xx naming the field, and nothing stored
# when refused.

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=30),
    st.floats(allow_nan=False, allow_infinity=False),
)
dates = st.one_of(
    scalars,
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(str),
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01"]),
)
moments = st.one_of(
    scalars,
    st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)).map(
        lambda d: d.isoformat()
    ),
    st.sampled_from(
        ["2026-11-02T10:00:00", "2026-11-02T10:00:00+14:00", "9999-12-31T23:59:59-12:00"]
    ),
)
evidence_payloads = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.one_of(st.sampled_from(["award", "licence", "rumour"]), scalars),
        "title": st.one_of(st.text(max_size=210), scalars),
        "issuer": st.text(max_size=210),
        "verified_on": dates,
        "expires_on": dates,
        "industries": st.one_of(st.lists(st.text(max_size=70), max_size=25), scalars),
        "url": st.one_of(st.text(max_size=30), st.just("https://example.com/award.pdf")),
    },
)
claim_payloads = st.fixed_dictionaries(
    {},
    optional={
        "statement": st.one_of(st.text(max_size=510), scalars),
        "kind": st.one_of(st.sampled_from(["statement", "capability", "boast"]), scalars),
        "person_id": st.one_of(st.none(), st.integers(-3, 10**6), st.just("wang")),
        "organisation_id": st.one_of(st.none(), st.integers(-3, 10**6)),
        "made_at": moments,
    },
)
list_params = st.dictionaries(
    st.sampled_from(
        [
            "subject",
            "mine",
            "tag",
            "weakest",
            "t_min",
            "t_max",
            "falling",
            "sort",
            "limit",
            "offset",
        ]
    ),
    st.one_of(
        st.text(max_size=12),
        st.integers(-5, 10**9).map(str),
        st.sampled_from(["R", "-t", "people", "true", "1e309"]),
    ),
    max_size=4,
)


def _check_error(response: Any) -> None:
    assert response.status_code in (400, 404, 422), response.content
    body = response.json()
    assert body["detail"]
    if response.status_code == 422:
        assert body["field"]


@pytest.fixture
def alice_api(alice: Any) -> Any:
    return api_for(alice)


@pytest.mark.django_db
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=evidence_payloads)
def test_random_evidence_never_fails_badly(alice_api, payload):
    before = Evidence.objects.count()

    response = alice_api.post(
        "/api/v1/evidence", json.dumps(payload), content_type="application/json"
    )

    if response.status_code == 201:
        assert Evidence.objects.count() == before + 1
    else:
        _check_error(response)
        assert Evidence.objects.count() == before


@pytest.mark.django_db
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=claim_payloads,
    verdict=st.one_of(st.sampled_from(["accurate", "false", "maybe"]), scalars),
    when=moments,
)
def test_random_claims_and_verdicts_never_fail_badly(book, alice_api, payload, verdict, when):
    if payload.get("person_id") == "wang":
        payload["person_id"] = book["wang"].pk
    before = Claim.objects.count()

    response = alice_api.post(
        "/api/v1/claims", json.dumps(payload), content_type="application/json"
    )

    if response.status_code != 201:
        _check_error(response)
        assert Claim.objects.count() == before
        return
    claim = response.json()
    assessed = alice_api.post(
        f"/api/v1/claims/{claim['id']}/assess",
        json.dumps({"status": verdict, "assessed_at": when}),
        content_type="application/json",
    )
    if assessed.status_code == 200:
        assert Claim.objects.get(pk=claim["id"]).status == verdict
    else:
        _check_error(assessed)
        assert Claim.objects.get(pk=claim["id"]).status == "pending"


@pytest.mark.django_db
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=list_params)
def test_random_list_filters_never_fail_badly(book, alice_api, params):
    response = alice_api.get("/api/v1/trust", params)

    if response.status_code == 200:
        assert response.json()["count"] >= len(response.json()["items"])
    else:
        _check_error(response)
