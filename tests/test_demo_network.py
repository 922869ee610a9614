"""The demo book's network, as a salesperson exploring it would find it: the team in the
graph, the named clients' families and friends, former colleagues across companies,
referrers waiting for a thank-you, and a warm route to the prospect's chairman.

The book is built once for the module (twice, to show it comes out the same each time)
inside a transaction that is rolled back at the end, so no other test sees it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rapport import demo
from rapport.accounts.models import Member, Team
from rapport.core.agenda import agenda_for
from rapport.network import index
from rapport.network import queries as network_queries
from rapport.network.models import Referral, Tie
from rapport.network.paths import warm_paths
from rapport.people.models import Person, Role

pytestmark = pytest.mark.slow

TEAMS = {
    "first": ("Demo Network Check", ("net-alice", "net-bob")),
    "again": ("Demo Network Again", ("net2-alice", "net2-bob")),
}


def _names(team: Team) -> dict[int, str]:
    """Every person's name, teammates by their place in the team (their names follow
    the usernames, which differ between the two builds)."""
    names = dict(Person.objects.filter(team=team).values_list("pk", "display_name"))
    for n, person_id in enumerate(
        Member.objects.filter(team=team).order_by("pk").values_list("person_id", flat=True)
    ):
        names[person_id] = f"teammate {n}"
    return names


def _signature(team: Team) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    names = _names(team)
    ties = sorted(
        (
            *sorted((names[t.person_a_id], names[t.person_b_id])),
            t.kind,
            t.source,
            t.strength,
            t.since,
            t.interaction_count,
        )
        for t in Tie.objects.filter(team=team)
    )
    referrals = sorted(
        (names[r.referrer_id], names[r.referred_id], r.referred_on, r.thanked_at)
        for r in Referral.objects.filter(team=team)
    )
    return ties, referrals


@pytest.fixture(scope="module")
def book(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    now = timezone.now().replace(microsecond=0)
    with django_db_blocker.unblock(), transaction.atomic():
        teams = {
            key: demo.generate(size=demo.DEMO, team_name=name, usernames=users, now=now)
            for key, (name, users) in TEAMS.items()
        }
        team = teams["first"]
        names = demo.profile_names()
        people = {key: Person.objects.get(team=team, display_name=n) for key, n in names.items()}
        alice, bob = (team.members.get(user__username=u).user for u in TEAMS["first"][1])
        chairman = Person.objects.get(team=team, romanised_name="Zheng Zhiyuan")
        yield {
            "team": team,
            "now": now,
            "alice": alice,
            "bob": bob,
            "people": people,
            "chairman": chairman,
            "signatures": {key: _signature(t) for key, t in teams.items()},
        }
        transaction.set_rollback(True)
    index.forget()


def _kinds(user: Any, person: Person) -> list[str]:
    return [tie.kind for _other, tie in network_queries.ties_of(user, person)]


def _section(user: Any, now: dt.datetime, name: str) -> Any:
    return next(s for s in agenda_for(user, now=now).sections if s.name == name)


def test_every_teammate_is_in_the_graph_with_ties(book, db):
    team = book["team"]
    members = list(Member.objects.filter(team=team).select_related("person"))
    assert len(members) == 2 and all(m.person_id for m in members)
    graph = index.graph_for(team.pk)
    a, b = (m.person for m in members)
    colleagues = Tie.objects.get(
        team=team, person_a_id=min(a.pk, b.pk), person_b_id=max(a.pk, b.pk)
    )
    assert colleagues.kind == Tie.Kind.COLLEAGUE and colleagues.strength > 0.3
    assert graph.strength(a.pk, b.pk) == pytest.approx(colleagues.strength)
    for member in members:
        # Their own clients, found in the conversations they logged.
        found = Tie.objects.filter(team=team, source=Tie.Source.INTERACTIONS).filter(
            Q(person_a=member.person) | Q(person_b=member.person)
        )
        assert found.count() >= 50
        assert len(graph.neighbours(member.person_id)) >= 50


def test_each_named_client_has_family_and_friends(book, db):
    alice, people = book["alice"], book["people"]
    expected = {
        "trusted": {"family", "friend"},
        "cooling": {"family", "friend"},
        "prospect": {"family", "classmate"},
        "pushy": {"family", "friend"},
    }
    for key, kinds in expected.items():
        assert kinds <= set(_kinds(alice, people[key])), key
    trusted_family = [
        other.display_name
        for other, tie in network_queries.ties_of(alice, people["trusted"])
        if tie.kind == Tie.Kind.FAMILY
    ]
    assert len(trusted_family) == 2
    # His daughter's birthday is this week: it is on Alice's agenda.
    birthdays = _section(alice, book["now"], "birthdays")
    assert any("林雨桐" in item.title for item in birthdays.items)


def test_former_colleagues_worked_at_one_organisation_and_moved_on(book, db):
    team = book["team"]
    former = list(Tie.objects.filter(team=team, kind=Tie.Kind.FORMER_COLLEAGUE))
    assert len(former) >= 15
    for tie in former:
        roles = Role.objects.filter(person_id__in=[tie.person_a_id, tie.person_b_id])
        orgs_a = set(roles.filter(person_id=tie.person_a_id).values_list("organisation_id"))
        orgs_b = set(roles.filter(person_id=tie.person_b_id).values_list("organisation_id"))
        shared = orgs_a & orgs_b
        assert shared, tie
        assert roles.filter(organisation_id__in=[o for (o,) in shared], ended_on__isnull=False)
    assert Tie.objects.filter(team=team, kind=Tie.Kind.CLASSMATE).count() >= 10
    assert Tie.objects.filter(team=team, kind=Tie.Kind.COLLEAGUE).count() >= 200


def test_referrers_who_started_something_are_on_the_agenda_and_one_was_thanked(book, db):
    alice, bob, people, now = book["alice"], book["bob"], book["people"], book["now"]
    due = _section(alice, now, "thank_referrers")
    assert people["trusted"].display_name in [item.who for item in due.items]
    # Margaret's introduction led to meetings too, and she has been thanked.
    record = network_queries.referral_record(alice, people["cooling"])
    assert record.succeeded == 1 and record.unthanked == 0
    assert people["cooling"].display_name not in [item.who for item in due.items]
    # The prospect's classmate was introduced three days ago: nothing has come of it yet.
    [pending] = network_queries.referral_record(alice, people["prospect"]).introduced
    assert not pending.succeeded
    assert "王建军" in [item.who for item in _section(bob, now, "thank_referrers").items]
    # The introduced client shows who introduced them, and the two are tied.
    referral = Referral.objects.get(referrer=people["trusted"])
    assert referral.referred.introduced_by_id == people["trusted"].pk
    assert (
        Tie.objects.get(
            person_a_id=min(referral.referrer_id, referral.referred_id),
            person_b_id=max(referral.referrer_id, referral.referred_id),
        ).kind
        == Tie.Kind.INTRODUCED_BY
    )


def test_introductions_led_to_deals_won_and_one_still_open(book, db):
    from rapport.deals.models import Deal

    deals = list(
        Deal.objects.filter(team=book["team"], referral__isnull=False).select_related("stage")
    )
    won = [d for d in deals if d.stage.outcome == "won"]
    assert len(won) == 2 and len(deals) == 3
    assert all(d.close_reason == "relationship" for d in won)
    # The referrer's record counts the deal their introduction brought.
    referrer = won[0].referral.referrer
    outcomes = network_queries.referral_record(book["alice"], referrer).introduced
    assert any(o.deals_won == 1 for o in outcomes)


def test_the_prospects_chairman_is_three_warm_hops_from_alice(book, db):
    team, alice, people, chairman = book["team"], book["alice"], book["people"], book["chairman"]
    assert Role.objects.get(person=chairman).organisation_id == (
        Role.objects.get(person=people["prospect"]).organisation_id
    )
    me = alice.member.person_id
    graph = index.graph_for(team.pk)
    # As Alice sees the graph: without her colleagues' private contacts.
    hidden = Person.objects.filter(team=team, visibility="private").exclude(owner=alice)
    found = graph.best_paths([me], [chairman.pk], k=3, avoid=hidden.values_list("pk", flat=True))
    names = dict(Person.objects.filter(team=team).values_list("pk", "display_name"))
    best = found[0]
    assert [names[n] for n in best.nodes] == [
        alice.member.person.display_name,
        people["trusted"].display_name,
        "何佩玲",
        "郑志远",
    ]
    assert best.score > 0.1
    # He is one of the organisation's decision makers, and the path page asks the
    # trusted client first, naming who he can put us in touch with.
    organisation = Role.objects.get(person=chairman).organisation_id
    report = warm_paths(alice, to_organisation=organisation, source="me", k=3)
    assert chairman.pk in {t.id for t in report.targets}
    route = warm_paths(alice, to_person=chairman.pk, source="me", k=3).paths[0]
    assert route.ask is not None and route.ask.name == people["trusted"].display_name
    assert "何佩玲" in route.draft.body


def test_a_route_through_bobs_private_friend_shows_only_as_ask_bob(book, db):
    alice, bob, chairman = book["alice"], book["bob"], book["chairman"]
    report = warm_paths(alice, to_person=chairman.pk, source="team", k=3)
    [ask] = report.asks
    assert ask.teammate == bob.member.person.display_name
    assert "Hartley" not in json.dumps(report.as_json(), ensure_ascii=False)
    assert all("Tom Hartley" not in [p.name for p in path.people] for path in report.paths)
    # Bob sees the route through his own friend.
    mine = warm_paths(bob, to_person=chairman.pk, source="me", k=3)
    assert [p.name for p in mine.paths[0].people][1] == "Tom Hartley"


def test_the_book_is_the_same_every_time_it_is_built(book):
    first, again = book["signatures"]["first"], book["signatures"]["again"]
    ties, referrals = first
    assert len(ties) > 1000 and len(referrals) >= 10
    assert first == again
