"""The warm introduction path: from me, a teammate or the whole team to a person or an
organisation's decision makers, each hop explained, a colleague's private contact never
shown (only "ask <colleague>"), and a drafted introduction request."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.accounts.models import Member
from rapport.network import index
from rapport.network.models import Tie
from rapport.network.paths import AskTeammate, WarmPath, warm_paths
from rapport.network.services import tie_create
from rapport.people.models import Person, Visibility
from rapport.people.services import organisation_create, person_create, role_create
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _fresh_graphs() -> Any:
    """Team ids repeat between tests (rolled back): never reuse another test's graph."""
    index.forget()
    yield
    index.forget()


def me(user: Any) -> Person:
    return user.member.person


def tie(actor: Any, a: Person, b: Person, strength: float, kind: str = "friend") -> Tie:
    return tie_create(actor=actor, person_a=a, person_b=b, kind=kind, manual_strength=strength)


def names(path: WarmPath) -> list[str]:
    return [p.name for p in path.people]


@pytest.fixture
def web(book: dict[str, Any], alice: Any, bob: Any) -> dict[str, Any]:
    """Alice knows Anna well; Anna works with Wang (Huawei's decision maker); Bob knows
    Alice; Bob's private contact knows Wang better than anyone."""
    anna, wang, secret = book["anna"], book["wang"], book["bobs_secret"]
    tie(alice, me(alice), anna, 0.8, "friend")
    tie(alice, anna, wang, 0.5, "colleague")
    tie(alice, me(alice), me(bob), 0.9, "colleague")
    tie(bob, me(bob), secret, 0.95, "family")
    tie(bob, secret, wang, 0.9, "former_colleague")
    return book


def test_it_finds_a_two_hop_path_and_explains_each_hop(web, alice):
    # Anna and Wang met in the book's quarterly review (10:00 in Shanghai).
    when = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    report = warm_paths(alice, to_person=web["wang"].pk)
    path = report.paths[0]
    assert names(path) == ["Alice Adams", "Anna Lee", "王小明"]
    assert path.score == pytest.approx(0.4)
    first, second = path.hops
    assert (first.link.kind_label, first.link.strength) == ("Friend", 0.8)
    assert (second.link.kind_label, second.link.strength) == ("Colleague", 0.5)
    assert (second.link.last_contact_at, second.link.interaction_count) == (when, 1)
    # Alice logged that meeting, so it is her last contact with Anna too.
    assert first.link.last_contact_at == path.last_contact_at == when
    assert first.target.url == f"/people/{web['anna'].pk}/"
    assert path.ask is not None and path.ask.name == "Anna Lee"


def test_the_first_hop_gets_a_drafted_request_with_a_mailto_link(web, alice):
    path = warm_paths(alice, to_person=web["wang"].pk).paths[0]
    draft = path.draft
    assert draft is not None
    assert draft.to.name == "Anna Lee" and draft.email == "anna@northwind.example"
    assert draft.subject == "Could you introduce me to 王小明?"
    assert "Dear Anna Lee," in draft.body and "Alice Adams" in draft.body
    assert draft.mailto is not None and draft.mailto.startswith("mailto:anna@northwind.example?")
    assert unquote(draft.mailto).endswith(draft.body)
    assert draft.text.startswith(draft.subject)


def test_the_draft_is_in_the_actor_s_language(web, alice):
    Member.objects.filter(user=alice).update(language="zh-hans")
    alice.member.refresh_from_db()
    draft = warm_paths(alice, to_person=web["wang"].pk).paths[0].draft
    assert draft is not None and "王小明" in draft.subject and "Anna Lee" in draft.body


def test_a_direct_tie_needs_no_introduction(web, alice):
    report = warm_paths(alice, to_person=web["anna"].pk)
    direct = report.paths[0]
    assert names(direct) == ["Alice Adams", "Anna Lee"]
    assert direct.ask is None and direct.draft is None


def test_a_colleague_s_private_contact_shows_only_as_ask_the_colleague(web, alice):
    report = warm_paths(alice, to_person=web["wang"].pk, k=3)
    asks = report.asks
    assert len(asks) == 1
    assert asks[0].message == "Bob Brown on your team has a strong tie here: ask Bob Brown"
    # The masked route (0.9 * 0.95 * 0.9) is warmer than the visible one, and comes first.
    assert isinstance(report.items[0], AskTeammate)
    assert all("Bob's Private Contact" not in names(p) for p in report.paths)
    text = json.dumps(report.as_json(), ensure_ascii=False)
    assert "Bob's Private Contact" not in text
    assert f'"id": {web["bobs_secret"].pk},' not in text
    assert report.as_json()["paths"][0] == {
        "hidden": True,
        "ask": "Bob Brown",
        "target": {"id": web["wang"].pk, "name": "王小明"},
        "message": "Bob Brown on your team has a strong tie here: ask Bob Brown",
    }


def test_the_owner_sees_their_own_private_contact_on_the_path(web, bob):
    report = warm_paths(bob, to_person=web["wang"].pk)
    assert not report.asks
    assert names(report.paths[0]) == ["Bob Brown", "Bob's Private Contact", "王小明"]


def test_from_a_teammate_or_the_whole_team(web, alice, bob):
    from_bob = warm_paths(alice, to_person=web["anna"].pk, source="bob")
    assert names(from_bob.paths[0]) == ["Bob Brown", "Alice Adams", "Anna Lee"]
    # Starting from a teammate, the teammate is the one to ask.
    assert from_bob.paths[0].ask is not None and from_bob.paths[0].ask.name == "Bob Brown"
    team = warm_paths(alice, to_person=web["anna"].pk, source="team")
    assert [names(p) for p in team.paths] == [["Alice Adams", "Anna Lee"]]


def test_an_organisation_means_its_current_decision_makers(web, alice):
    report = warm_paths(alice, to_organisation=web["huawei"].pk)
    assert [t.name for t in report.targets] == ["王小明"]
    assert names(report.paths[0])[-1] == "王小明"


def test_an_organisation_without_decision_makers_means_all_its_current_people(web, alice):
    report = warm_paths(alice, to_organisation=web["northwind"].pk)
    assert [t.name for t in report.targets] == ["Anna Lee"]
    assert names(report.paths[0]) == ["Alice Adams", "Anna Lee"]


def test_a_past_decision_maker_is_not_a_target(web, alice):
    org = organisation_create(actor=alice, name="Contoso")
    role_create(
        actor=alice,
        person=web["anna"],
        organisation=org,
        is_decision_maker=True,
        ended_on=dt.date(2020, 1, 1),
    )
    with pytest.raises(ValidationError) as caught:
        warm_paths(alice, to_organisation=org.pk)
    assert caught.value.message_dict == {
        "to_organisation": ["nobody you can see works at Contoso yet"]
    }


def test_no_path_is_an_empty_report_not_an_error(web, alice):
    loner = person_create(actor=alice, display_name="Nobody Knows")
    report = warm_paths(alice, to_person=loner.pk)
    assert report.items == [] and [t.name for t in report.targets] == ["Nobody Knows"]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "to_person"),
        ({"to_person": "wang", "to_organisation": "huawei"}, "to_person"),
        ({"to_person": "bobs_secret"}, "to_person"),
        ({"to_person": "charlies"}, "to_person"),
        ({"to_person": 999_999}, "to_person"),
        ({"to_organisation": "charlies_org"}, "to_organisation"),
        ({"to_person": "wang", "source": "charlie"}, "source"),
        ({"to_person": "wang", "source": "nobody"}, "source"),
        ({"to_person": "wang", "k": 0}, "k"),
        ({"to_person": "wang", "k": 11}, "k"),
    ],
)
def test_bad_input_is_refused_naming_the_field(web, alice, arguments, field):
    resolved = {
        key: (web[value].pk if isinstance(value, str) and value in web else value)
        for key, value in arguments.items()
    }
    with pytest.raises(ValidationError) as caught:
        warm_paths(alice, **resolved)
    assert list(caught.value.message_dict) == [field]


def test_an_actor_without_a_person_of_their_own_is_told_so(web, alice):
    Member.objects.filter(user=alice).update(person=None)
    alice.member.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        warm_paths(alice, to_person=web["wang"].pk)
    assert caught.value.message_dict == {
        "source": ["you have no person of your own in the book yet"]
    }


def test_another_team_s_graph_is_out_of_reach(web, charlie):
    charlies = web["charlies"]
    with pytest.raises(ValidationError):
        warm_paths(charlie, to_person=web["wang"].pk)
    assert warm_paths(charlie, to_person=charlies.pk).items == []


def test_hop_details_cost_the_same_queries_however_many_paths(web, alice):
    def queries_for(k: int) -> int:
        warm_paths(alice, to_person=web["wang"].pk, k=k)  # the graph brought up to date
        with CaptureQueriesContext(connection) as seen:
            report = warm_paths(alice, to_person=web["wang"].pk, k=k)
        assert len(report.paths) == k
        return len(seen.captured_queries)

    one = queries_for(1)
    for n in range(4):
        middle = person_create(actor=alice, display_name=f"Middle {n}")
        tie(alice, me(alice), middle, 0.3)
        tie(alice, middle, web["wang"], 0.3)
    assert queries_for(5) == one


# -- privacy, on random graphs ----------------------------------------------------------------

OWNERS = ("alice", "bob", "carol")


@st.composite
def graphs(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(min_value=3, max_value=9))
    # Each person: shared with the team, or private to one of the three teammates.
    people = draw(st.lists(st.sampled_from(("team", *OWNERS)), min_size=n, max_size=n))
    pairs = [(a, b) for a in range(n + 3) for b in range(a + 1, n + 3)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=3 * n))
    strengths = draw(st.lists(st.floats(0.05, 1.0), min_size=len(chosen), max_size=len(chosen)))
    target = draw(st.integers(min_value=0, max_value=n - 1))
    source = draw(st.sampled_from(("me", "team", "bob", "carol")))
    k = draw(st.integers(min_value=1, max_value=4))
    return {
        "people": people,
        "ties": list(zip(chosen, strengths, strict=True)),
        "target": target,
        "source": source,
        "k": k,
    }


@pytest.fixture
def trio(alice: Any, bob: Any) -> dict[str, Any]:
    carol = make_user("carol", "Alpha Advisory", display_name="Carol Cruz")
    return {"alice": alice, "bob": bob, "carol": carol}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(graph=graphs())
def test_a_hidden_person_never_leaks_into_a_report(trio, graph):
    alice = trio["alice"]
    team_id = alice.member.team_id
    with transaction.atomic():
        index.forget()
        people = []
        for i, owner in enumerate(graph["people"]):
            private = owner != "team"
            people.append(
                Person.objects.create(
                    team_id=team_id,
                    owner=trio[owner] if private else alice,
                    visibility=Visibility.PRIVATE if private else Visibility.TEAM,
                    display_name=f"Hidden Q{i}Z" if private else f"Shown Q{i}Z",
                )
            )
        # The three teammates' own people come after the book's people.
        people += [me(trio[name]) for name in OWNERS]
        for (a, b), strength in graph["ties"]:
            low, high = sorted((people[a].pk, people[b].pk))
            Tie.objects.create(
                team_id=team_id, person_a_id=low, person_b_id=high, strength=strength
            )
        target = people[graph["target"]]
        hidden = {
            p.pk: p.owner.username
            for p in people
            if p.visibility == Visibility.PRIVATE and p.owner_id != alice.pk
        }
        try:
            report = warm_paths(alice, to_person=target.pk, source=graph["source"], k=graph["k"])
        except ValidationError as exc:
            # Only a target Alice may not see is refused.
            assert target.pk in hidden and list(exc.message_dict) == ["to_person"]
            transaction.set_rollback(True)
            return
        text = json.dumps(report.as_json(), ensure_ascii=False)
        for pk in hidden:
            person = next(p for p in people if p.pk == pk)
            assert person.display_name not in text
        for path in report.paths:
            assert not {p.id for p in path.people} & hidden.keys()
            for hop in path.hops:
                low, high = sorted((hop.source.id, hop.target.id))
                assert Tie.objects.filter(person_a_id=low, person_b_id=high).exists()
            assert len(path.hops) <= 4
        owner_names = {"alice": "Alice Adams", "bob": "Bob Brown", "carol": "Carol Cruz"}
        for ask in report.asks:
            assert ask.teammate in {owner_names[o] for o in hidden.values()}
            assert ask.teammate != "Alice Adams"
        assert len(report.paths) <= graph["k"]
        transaction.set_rollback(True)
    index.forget()
