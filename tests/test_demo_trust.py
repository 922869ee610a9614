"""The demo book's trust: four relationships a salesperson tells apart at a glance, read
from the same cards the pages and `rapport trust` show.

The book is built once for the module (it takes seconds) inside a transaction that is
rolled back at the end, so no other test sees it."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from rapport import demo
from rapport.accounts.models import Team
from rapport.interactions.models import Signal
from rapport.people.models import Person
from rapport.trust import queries
from rapport.trust.models import Claim, Evidence, EvidenceShown, Survey, TrustScore, TrustSnapshot

pytestmark = pytest.mark.slow

TEAM = "Demo Trust Check"
USERS = ("demo-alice", "demo-bob")


@pytest.fixture(scope="module")
def book(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    now = timezone.now().replace(microsecond=0)
    with django_db_blocker.unblock(), transaction.atomic():
        team = demo.generate(size=demo.DEMO, team_name=TEAM, usernames=USERS, now=now)
        names = demo.profile_names()
        people = {key: Person.objects.get(team=team, display_name=n) for key, n in names.items()}
        alice = team.members.get(user__username=USERS[0]).user
        cards = {key: queries.person_card(alice, p, now=now) for key, p in people.items()}
        yield {"team": team, "now": now, "alice": alice, "people": people, "cards": cards}
        transaction.set_rollback(True)


@pytest.fixture
def cards(book: dict[str, Any], db: Any) -> dict[str, queries.TrustCard]:
    return book["cards"]


def test_trusted_client_beats_the_cooling_one_who_beats_the_pushy_sale(cards):
    assert cards["trusted"].t > cards["cooling"].t > cards["pushy"].t
    assert cards["trusted"].t > cards["prospect"].t > cards["pushy"].t


def test_the_long_trusted_client_tops_alices_trust_list(book, db):
    best = queries.trust_scores(book["alice"]).filter(person__isnull=False).order_by("-t").first()
    assert best is not None and best.person_id == book["people"]["trusted"].pk


def test_the_pushy_sale_has_the_highest_self_orientation_and_it_is_its_weakest(cards):
    s = {key: card.components[3].value for key, card in cards.items()}
    assert max(s, key=s.__getitem__) == "pushy"
    pushy = cards["pushy"]
    assert pushy.weakest.name == "S"
    kinds = {line.kind for line in pushy.components[3].lines}
    assert {"price_pressure", "unsolicited_upsell", "answered_too_soon"} <= kinds
    assert "claim_false" in {line.kind for line in pushy.components[0].lines}


def test_the_new_prospect_is_uncertain_on_every_component(cards):
    prospect = cards["prospect"]
    assert all(c.uncertain for c in prospect.components)
    assert sum(c.count for c in prospect.components) <= 6


def test_the_cooling_client_is_falling_and_her_broken_promise_explains_it(book, cards):
    person = book["people"]["cooling"]
    score = TrustScore.objects.get(person=person)
    assert score.delta_week is not None and score.delta_week < 0
    month_ago = book["now"].date() - dt.timedelta(days=28)
    then = TrustSnapshot.objects.filter(person=person, day__lte=month_ago).order_by("-day")[0]
    assert score.t < then.t - 1
    cooling = cards["cooling"]
    assert cooling.weakest.name == "R"
    reliability = cooling.components[1]
    assert reliability.lines[0].kind == "promise_broken" and reliability.lines[0].effect < 0
    assert {"renegotiated_late", "risk_hidden"} <= {line.kind for line in reliability.lines}
    assert "gone_quiet" in {line.kind for line in cooling.components[2].lines}


def test_the_trusted_client_answered_a_survey_and_both_views_show(cards):
    trusted = cards["trusted"]
    assert trusted.has_survey
    assert all(c.client is not None for c in trusted.components)
    assert trusted.components[1].value > 9  # years of promises kept on time
    assert not any(c.uncertain for c in trusted.components)


def test_every_profile_has_two_or_three_actions_one_for_its_weakest_component(cards):
    for key, card in cards.items():
        assert 2 <= len(card.actions) <= 3, key
        assert card.weakest.name in {a.component for a in card.actions}, key
        assert all(a.text for a in card.actions), key


def test_every_profile_has_a_weekly_trend_from_its_first_evidence(book, cards):
    for key, person in book["people"].items():
        days = sorted(TrustSnapshot.objects.filter(person=person).values_list("day", flat=True))
        # Half a year for the long relationships; the new prospect's starts when we met.
        if key == "prospect":
            assert 2 <= len(days) < 27
        else:
            assert len(days) == 27, key
        assert all((b - a).days == 7 for a, b in itertools.pairwise(days)), key
        assert cards[key].trend is not None, key


def test_the_library_has_every_kind_some_expired_and_one_unverified(book, db):
    team: Team = book["team"]
    library = Evidence.objects.filter(team=team)
    today = book["now"].date()
    assert {e.kind for e in library} == set(Evidence.Kind.values)
    assert 10 <= library.count() <= 15
    assert sum(e.is_expired(today) for e in library) >= 2
    assert sum(not e.is_verified for e in library) == 1
    # A showing records what the evidence was on that day.
    for shown in EvidenceShown.objects.filter(team=team).select_related("evidence")[:200]:
        assert shown.was_expired == shown.evidence.is_expired(shown.shown_at.date())
        assert shown.was_verified == shown.evidence.is_verified


def test_claims_signals_and_surveys_are_spread_realistically(book, db):
    team: Team = book["team"]
    claims = Claim.objects.filter(team=team)
    statuses = {s: claims.filter(status=s).count() for s in Claim.Status.values}
    assert statuses["accurate"] > statuses["pending"] > 0
    assert statuses["exaggerated"] >= 1 and statuses["false"] >= 1
    signals = Signal.objects.filter(interaction__team=team)
    assert {k for k in signals.values_list("kind", flat=True)} == set(Signal.Kind.values)
    assert Survey.objects.filter(team=team, answered_at__isnull=False).exists()


def test_the_demo_book_has_duplicates_to_review(book, db):
    """The demo brings two people in twice, as a phone's address book would: the
    prospect under her Latin name at her company, the cooling client by her email."""
    from rapport.transfer.duplicate_queries import duplicate_candidates

    people = book["people"]
    pairs = {
        (c.first, c.second): {r.kind for r in c.reasons}
        for c in duplicate_candidates(book["alice"])
    }
    of = {pid: (pair, kinds) for pair, kinds in pairs.items() for pid in pair}
    pair, kinds = of[people["prospect"].pk]
    assert "name" in kinds
    twin = Person.objects.get(pk=sum(pair) - people["prospect"].pk)
    assert twin.display_name == "Xiaolan Song"
    pair, kinds = of[people["cooling"].pk]
    assert "email" in kinds
    assert Person.objects.get(pk=sum(pair) - people["cooling"].pk).given_name == "Maggie"
