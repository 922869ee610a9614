"""The evidence behind trust, read from a real book: the set-based path (aggregate SQL
for a whole team, what a full recompute stores) must agree with the per-person path
(events one by one, what the trust card explains), on SQLite and PostgreSQL.

Small random books are built through the services where they exist (people, roles,
facts, interactions, promises with milestones, risks, renegotiations and closes,
meetings and decisions) and with the ORM for the rest (signals, evidence shown,
claims, survey answers). Several seeds, not hypothesis: each book needs a fresh
database, and a few seeds keep the run short."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest

from rapport.commitments import services as promises
from rapport.commitments.models import Commitment, Side
from rapport.gifts import services as gifts
from rapport.interactions.models import Interaction, Signal
from rapport.interactions.services import interaction_create
from rapport.people.models import Fact, Organisation, Person, Visibility
from rapport.people.services import fact_create, organisation_create, person_create, role_create
from rapport.portal.survey import QUESTIONS
from rapport.trust import equation, evidence, scoring
from rapport.trust import weights as W
from rapport.trust.equation import Score, Views
from rapport.trust.models import (
    Claim,
    Evidence,
    EvidenceShown,
    Survey,
    SurveyAnswer,
    TrustScore,
    TrustSnapshot,
)
from rapport.value.models import ValueItem

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(days=200, hours=5)
DAY = dt.timedelta(days=1)
TOLERANCE = 1e-6
SEEDS = [11, 22, 33]


# ---------------------------------------------------------------------------------------
# A random small book.


@dataclass
class Book:
    people: list[Person] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)


def when(
    rng: random.Random, earliest_days: float = 3 * 365, latest_days: float = -20
) -> dt.datetime:
    """A moment between `earliest_days` before NOW and `-latest_days` after it, sometimes
    with microseconds (they must not upset comparisons on either database)."""
    seconds = rng.randint(int(latest_days * 86400), int(earliest_days * 86400))
    moment = NOW - dt.timedelta(seconds=seconds)
    if rng.random() < 0.3:
        moment += dt.timedelta(microseconds=rng.randint(1, 999_999))
    return moment


def visible_to(actor: Any, people: list[Person]) -> list[Person]:
    return [p for p in people if p.visibility == Visibility.TEAM or p.owner_id == actor.pk]


def build_book(rng: random.Random, alice: Any, bob: Any, *, size: int = 20) -> Book:
    """About `size` conversations and three quarters as many promises, with everything
    around them, plus a few fixed records so that every kind of event turns up."""
    book = Book()
    actors = [alice, bob]
    for n in range(8):
        actor = alice if n < 5 else bob
        private = n in (4, 7)  # one private contact each
        book.people.append(
            person_create(
                actor=actor,
                display_name=f"Client {n}",
                visibility="private" if private else "team",
                contact_cadence_days=rng.choice([None, None, 14, 30, 90]),
            )
        )
    for n in range(3):
        book.organisations.append(organisation_create(actor=alice, name=f"Organisation {n}"))
    for person in book.people:
        actor = alice if person.owner_id == alice.pk else bob
        for organisation in rng.sample(book.organisations, rng.randint(0, 2)):
            role_create(
                actor=actor,
                person=person,
                organisation=organisation,
                is_decision_maker=rng.random() < 0.3,
                influence=rng.randint(1, 5),
                ended_on=dt.date(2025, 1, 1) if rng.random() < 0.15 else None,
            )
    # The same person twice in one organisation: the larger weight counts.
    role_create(
        actor=alice,
        person=book.people[0],
        organisation=book.organisations[0],
        influence=rng.randint(1, 5),
        is_decision_maker=rng.random() < 0.5,
    )

    for person in book.people:
        actor = alice if person.owner_id == alice.pk else bob
        for _ in range(rng.randint(0, 3)):
            fact = fact_create(actor=actor, person=person, category="hobby", value="Go")
            Fact.objects.filter(pk=fact.pk).update(created_at=when(rng))

    _interactions(rng, book, actors, size)
    _promises(rng, book, actors, size)
    _evidence_and_claims(rng, book, alice, bob)
    _surveys(rng, book, alice, bob)
    _value_items(rng, book, alice, bob)
    _every_kind(book, alice)
    return book


def _every_kind(book: Book, alice: Any) -> None:
    """What a small random book may miss: openness returned in one conversation, a
    decision left without follow-up, contact kept to the wanted rhythm, and promises
    kept short of expectations, kept late beyond them, and broken."""
    client = book.people[0]
    Person.objects.filter(pk=client.pk).update(contact_cadence_days=90)
    meeting = interaction_create(
        actor=alice,
        participants=[client, book.people[1]],
        kind="meeting",
        focus="personal",
        occurred_at=NOW - 30 * DAY,
        summary="Dinner after the review",
    )
    for kind in ("they_opened_up", "we_opened_up", "summarised_first"):
        Signal.objects.create(interaction=meeting, kind=kind)
    promises.decision_add(actor=alice, interaction=meeting, text="Visit the plant")
    for n, (status, match) in enumerate(
        [("kept", "short"), ("kept_late", "exceeded"), ("broken", "")]
    ):
        made = NOW - (60 + 90 * n) * DAY
        promise = promises.commitment_create(
            actor=alice,
            title=f"Fixed promise {n}",
            person=client,
            made_at=made,
            due_on=(made + 10 * DAY).date(),
            now=made,
        )
        closed = made + (5 if status == "kept" else 15) * DAY
        promises.commitment_close(
            actor=alice,
            commitment=promise,
            status=status,
            delivered_at=closed if status != "broken" else None,
            match=match,
            now=closed,
        )
    # Gifts (rapport.gifts): a personal one within the policy, hospitality over it.
    gifts.policy_update(actor=alice, per_gift_limit="100", per_person_year_limit=None)
    gifts.gift_create(
        actor=alice,
        person=client,
        direction="given",
        description="Mooncakes",
        occasion="mid_autumn",
        given_on=(NOW - 60 * DAY).date(),
        value="80",
    )
    gifts.gift_create(
        actor=alice,
        person=book.people[1],
        direction="received",
        kind="hospitality",
        description="Banquet",
        occasion="closing",
        given_on=(NOW - 20 * DAY).date(),
        value="400",
        reason="At the signing",
    )


def _interactions(rng: random.Random, book: Book, actors: list[Any], size: int) -> None:
    kinds = [k.value for k in Interaction.Kind] + ["meeting", "meeting"]
    for n in range(size):
        actor = rng.choice(actors)
        people = visible_to(actor, book.people)
        occurred = when(rng)
        interaction = interaction_create(
            actor=actor,
            participants=rng.sample(people, rng.randint(1, 3)),
            kind=rng.choice(kinds),
            occurred_at=occurred,
            focus=rng.choice([f.value for f in Interaction.Focus]),
            summary=f"Conversation {n}",
        )
        book.interactions.append(interaction)
        for kind in rng.sample([k.value for k in Signal.Kind], rng.choice([0, 0, 1, 2, 3])):
            Signal.objects.create(interaction=interaction, kind=kind)
        if interaction.kind != Interaction.Kind.MEETING:
            continue
        agenda = occurred - dt.timedelta(hours=rng.randint(-24, 96)) if rng.random() < 0.7 else None
        materials = (
            occurred - dt.timedelta(hours=rng.randint(-24, 96)) if rng.random() < 0.6 else None
        )
        latest = max(t for t in (agenda, materials, occurred, NOW) if t is not None)
        promises.meeting_update(
            actor=actor,
            interaction=interaction,
            agenda_shared_at=agenda,
            materials_sent_at=materials,
            now=latest,
        )
        for d in range(rng.randint(0, 3)):
            decision = promises.decision_add(actor=actor, interaction=interaction, text=f"Do {d}")
            fate = rng.random()
            if fate < 0.35:
                commitment = promises.decision_follow_up(
                    actor=actor,
                    decision=decision,
                    side=rng.choice([Side.OURS, Side.OURS, Side.CLIENT]),
                    due_on=(occurred + dt.timedelta(days=rng.randint(2, 40))).date(),
                    now=occurred + dt.timedelta(hours=1),
                )
                book.commitments.append(commitment)
            elif fate < 0.55:
                promises.decision_dismiss(actor=actor, decision=decision)


def _promises(rng: random.Random, book: Book, actors: list[Any], size: int) -> None:
    for n in range(size * 3 // 4):
        actor = rng.choice(actors)
        person = rng.choice(visible_to(actor, book.people))
        organisation = rng.choice(book.organisations)
        to = rng.random()
        made = when(rng, latest_days=5)
        commitment = promises.commitment_create(
            actor=actor,
            title=f"Promise {n}",
            person=None if to < 0.2 else person,
            organisation=organisation if to < 0.35 else None,
            side=Side.CLIENT if rng.random() < 0.2 else Side.OURS,
            promised_by=person if rng.random() < 0.1 else None,
            made_at=made,
            due_on=(made + dt.timedelta(days=rng.randint(2, 60))).date(),
            now=made,
        )
        book.commitments.append(commitment)
    for commitment in book.commitments:
        _live(rng, commitment)


def _live(rng: random.Random, commitment: Commitment) -> None:
    """Milestones, risks and a renegotiation while it is open, then (usually) a close."""
    actor = commitment.owner
    clock = commitment.made_at
    for m in range(rng.randint(0, 2)):
        clock += dt.timedelta(hours=rng.randint(1, 200))
        promises.milestone_add(
            actor=actor, commitment=commitment, title=f"Step {m}", at=clock, now=clock
        )
    for k in range(rng.randint(0, 2)):
        raised = clock + dt.timedelta(hours=rng.randint(0, 100))
        risk = promises.risk_add(
            actor=actor, commitment=commitment, title=f"Risk {k}", raised_at=raised, now=raised
        )
        fate = rng.random()
        if fate < 0.35:  # told promptly
            at = raised + dt.timedelta(hours=rng.randint(0, 24 * W.RISK_GRACE_DAYS - 1))
            promises.risk_disclose(actor=actor, risk=risk, at=at, now=at)
        elif fate < 0.6:  # told late
            at = raised + dt.timedelta(days=rng.randint(W.RISK_GRACE_DAYS + 1, 60))
            promises.risk_disclose(actor=actor, risk=risk, at=at, now=at)
        elif fate < 0.75:  # dealt with, never told
            at = raised + dt.timedelta(days=rng.randint(1, 30))
            promises.risk_resolve(actor=actor, risk=risk, at=at, now=at)
        # else hidden
    commitment.refresh_from_db()
    if rng.random() < 0.35:
        in_time = rng.random() < 0.6
        at = (
            commitment.due_at - dt.timedelta(hours=rng.randint(1, 20))
            if in_time
            else commitment.due_at + dt.timedelta(days=rng.randint(1, 10))
        )
        at = max(at, commitment.made_at + dt.timedelta(minutes=1))
        promises.commitment_renegotiate(
            actor=actor,
            commitment=commitment,
            new_due_on=commitment.due_on + dt.timedelta(days=rng.randint(3, 30)),
            told_client_at=at if rng.random() < 0.8 else None,
            now=at,
        )
        commitment.refresh_from_db()
    status = rng.choice(["open", "kept", "kept", "kept_late", "broken", "cancelled"])
    if status == "open":
        return
    if status == "kept":
        closed = commitment.made_at + (commitment.due_at - commitment.made_at) * rng.random()
    elif status == "kept_late":
        closed = commitment.due_at + dt.timedelta(hours=rng.randint(1, 24 * 30))
    else:
        closed = commitment.made_at + dt.timedelta(hours=rng.randint(1, 24 * 90))
    kept = status in ("kept", "kept_late")
    reported = rng.random() < 0.5
    promises.commitment_close(
        actor=actor,
        commitment=commitment,
        status=status,
        delivered_at=closed if kept else None,
        match=rng.choice(["", "exceeded", "met", "short"]) if kept else "",
        reported_back=reported,
        reported_back_at=closed if reported else None,
        now=closed,
    )
    if not reported and rng.random() < 0.4:
        later = closed + dt.timedelta(days=rng.randint(1, 20))
        promises.commitment_report_back(actor=actor, commitment=commitment, at=later, now=later)


def _evidence_and_claims(rng: random.Random, book: Book, alice: Any, bob: Any) -> None:
    library = [
        Evidence.objects.create(team_id=alice.member.team_id, kind="award", title=f"Award {n}")
        for n in range(3)
    ]
    for _ in range(12):
        user = rng.choice([alice, bob])
        person = rng.choice(visible_to(user, book.people)) if rng.random() < 0.8 else None
        EvidenceShown.objects.create(
            team_id=alice.member.team_id,
            evidence=rng.choice(library),
            person=person,
            organisation=rng.choice(book.organisations) if person is None else None,
            visibility=person.visibility if person else Visibility.TEAM,
            shown_at=when(rng),
            shown_by=user,
            was_verified=rng.random() < 0.7,
            was_expired=rng.random() < 0.2,
        )
    for n in range(12):
        user = rng.choice([alice, bob])
        person = rng.choice(visible_to(user, book.people)) if rng.random() < 0.8 else None
        status = rng.choice([s.value for s in Claim.Status])
        made = when(rng)
        Claim.objects.create(
            team_id=alice.member.team_id,
            owner=user,
            visibility=person.visibility if person else Visibility.TEAM,
            person=person,
            organisation=rng.choice(book.organisations) if person is None else None,
            statement=f"Claim {n}",
            made_at=made,
            status=status,
            assessed_at=None
            if status == "pending"
            else made + dt.timedelta(days=rng.randint(0, 90)),
        )


def _surveys(rng: random.Random, book: Book, alice: Any, bob: Any) -> None:
    for person in rng.sample(book.people, 3):
        user = alice if person.owner_id == alice.pk else bob
        answered = when(rng) if rng.random() < 0.8 else None
        survey = Survey.objects.create(
            team_id=user.member.team_id,
            created_by=user,
            person=person,
            language="en",
            prefix=secrets.token_hex(3),
            digest=secrets.token_hex(32),
            expires_at=NOW + dt.timedelta(days=30),
            answered_at=answered,
        )
        for question in rng.sample(QUESTIONS, rng.randint(1, len(QUESTIONS))):
            SurveyAnswer.objects.create(
                survey=survey,
                question=question.key,
                component=question.component,
                answer=rng.randint(1, 5),
            )


def _value_items(rng: random.Random, book: Book, alice: Any, bob: Any) -> None:
    """What we did for clients (to a person or an organisation), some told them (at
    times before and after NOW), some not yet."""
    for n in range(10):
        user = rng.choice([alice, bob])
        person = rng.choice(visible_to(user, book.people)) if rng.random() < 0.75 else None
        delivered = when(rng, latest_days=1)
        ValueItem.objects.create(
            team_id=alice.member.team_id,
            person=person,
            organisation=rng.choice(book.organisations) if person is None else None,
            kind=rng.choice(["work", "saving", "training", "introduction", "advice"]),
            title=f"Value {n}",
            delivered_on=delivered.date(),
            told_at=delivered + dt.timedelta(days=rng.randint(0, 60))
            if rng.random() < 0.7
            else None,
            recorded_by=user,
        )


def build_charlies_book(charlie: Any) -> None:
    """Another team's records, which must never reach Alpha's sums."""
    client = person_create(actor=charlie, display_name="Charlie's client")
    interaction_create(
        actor=charlie,
        participants=[client],
        kind="call",
        focus="ours",
        occurred_at=NOW - 3 * DAY,
        summary="Pitch",
    )
    made = NOW - 40 * DAY
    promise = promises.commitment_create(
        actor=charlie,
        title="Quote",
        person=client,
        due_on=(NOW - 30 * DAY).date(),
        made_at=made,
        now=made,
    )
    promises.commitment_close(
        actor=charlie, commitment=promise, status="broken", now=NOW - 20 * DAY
    )


# ---------------------------------------------------------------------------------------
# The two paths, side by side.


def assert_same_score(set_based: Score, per_person: Score, what: str) -> None:
    for mine, theirs in zip(set_based.components, per_person.components, strict=True):
        label = f"{what} {mine.name}"
        assert mine.value == pytest.approx(theirs.value, abs=TOLERANCE), label
        assert mine.weight == pytest.approx(theirs.weight, abs=TOLERANCE), label
        assert mine.count == theirs.count, label
    assert set_based.t == pytest.approx(per_person.t, abs=TOLERANCE), what


def assert_same_views(row: scoring.Row, views: Views, what: str) -> None:
    assert_same_score(row.score, views.blended, f"{what} blended")
    assert_same_score(row.ours, views.ours, f"{what} ours")
    for name in W.COMPONENTS:
        mine, theirs = row.client.get(name), views.client.get(name)
        assert (mine is None) == (theirs is None), f"{what} client {name}"
        if mine is not None and theirs is not None:
            assert mine == pytest.approx(theirs, abs=TOLERANCE), f"{what} client {name}"


def assert_stored(stored: TrustScore, views: Views, what: str) -> None:
    """Stored rows keep two decimals; their details keep counts exactly."""
    score = views.blended
    for name, value in (("c", score.c.value), ("r", score.r.value), ("i", score.i.value)):
        assert getattr(stored, name) == pytest.approx(value, abs=0.005 + TOLERANCE), (what, name)
    assert stored.s == pytest.approx(score.s.value, abs=0.005 + TOLERANCE), what
    assert stored.t == pytest.approx(score.t, abs=0.005 + TOLERANCE), what
    for part, ours in zip(score.components, views.ours.components, strict=True):
        detail = stored.detail[part.name]
        assert detail["count"] == part.count, (what, part.name)
        assert detail["weight"] == pytest.approx(part.weight, abs=5e-5 + TOLERANCE)
        assert detail["uncertain"] == part.uncertain or abs(part.weight - W.UNCERTAIN_BELOW) < 1e-6
        assert detail["ours"] == pytest.approx(ours.value, abs=5e-5 + TOLERANCE)


def check_team(team_id: int, now: dt.datetime) -> set[str]:
    """Compare both paths for every person and organisation of a team; return the kinds
    of event seen (so a test can tell it checked something real)."""
    sums = evidence.team_sums(team_id, now, scoring.half_life())
    members = set(evidence.team_members(team_id).values_list("person_id", flat=True))
    assert members, "the team's members have people of their own"
    people = list(Person.objects.filter(team_id=team_id).exclude(pk__in=members).order_by("pk"))
    organisations = list(Organisation.objects.filter(team_id=team_id).order_by("pk"))
    person_rows = scoring._rows_from_sums(sums.people, sums.surveys, [p.pk for p in people])
    pooled = evidence.organisation_sums(team_id, sums)
    organisation_rows = scoring._rows_from_sums(
        pooled.ours, pooled.surveys, [o.pk for o in organisations]
    )
    assert scoring.trust_recompute_team(team_id, now=now) == (len(people), len(organisations))
    stored_people = {s.person_id: s for s in TrustScore.objects.filter(person__team_id=team_id)}
    assert not members & set(stored_people), "members are not relationships"
    stored_organisations = {
        s.organisation_id: s for s in TrustScore.objects.filter(organisation__team_id=team_id)
    }
    seen: set[str] = set()
    for person in people:
        views = scoring.person_views(person, now)
        what = f"{person.display_name} at {now:%Y-%m-%d}"
        assert_same_views(person_rows[person.pk], views, what)
        assert_stored(stored_people[person.pk], views, what)
        seen |= kinds(views)
    for organisation in organisations:
        views = scoring.organisation_views(organisation, now)
        what = f"{organisation.name} at {now:%Y-%m-%d}"
        assert_same_views(organisation_rows[organisation.pk], views, what)
        assert_stored(stored_organisations[organisation.pk], views, what)
        seen |= kinds(views)
    return seen


def kinds(views: Views) -> set[str]:
    return {c.event.kind for part in views.blended.components for c in part.contributions}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_full_recompute_agrees_with_each_trust_card(
    seed: int, alice: Any, bob: Any, charlie: Any
) -> None:
    rng = random.Random(seed)
    book = build_book(rng, alice, bob)
    build_charlies_book(charlie)
    team_id = alice.member.team_id
    # Nearly every kind of event is in play (a random book may miss one).
    assert len(set(W.RULES) - check_team(team_id, NOW)) <= 1
    assert len(check_team(team_id, PAST)) >= 25
    check_team(charlie.member.team_id, NOW)
    # Neither team's records reach the other's sums.
    alpha = evidence.team_sums(team_id, NOW, scoring.half_life())
    charlies = evidence.team_sums(charlie.member.team_id, NOW, scoring.half_life())
    charlie_ids = set(
        Person.objects.filter(team_id=charlie.member.team_id).values_list("pk", flat=True)
    )
    assert charlie_ids & set(charlies.people)
    assert not charlie_ids & set(alpha.people)
    assert not {p.pk for p in book.people} & set(charlies.people)


@pytest.mark.parametrize("seed", SEEDS)
def test_summing_a_long_history_leaves_every_score_as_it_was(
    seed: int, alice: Any, bob: Any
) -> None:
    """A person's older conversations are read as one summed event per kind; only the
    explanation changes (one line for them), never the numbers."""
    build_book(random.Random(seed), alice, bob)
    summed_some = False
    for person in Person.objects.filter(team_id=alice.member.team_id):
        itemised = evidence.person_events(person, NOW, itemised=10_000)
        summed = evidence.person_events(person, NOW, itemised=1)
        earlier = [e for e in summed if e.key[0] == "earlier"]
        summed_some |= bool(earlier)
        for event in earlier:
            assert event.count > 0 and "earlier conversation" in event.label
        assert sum(e.count for e in summed) == len(itemised)
        half_life = scoring.half_life()
        assert_same_score(
            equation.score(summed, now=NOW, half_life_days=half_life),
            equation.score(itemised, now=NOW, half_life_days=half_life),
            person.display_name,
        )
    assert summed_some, "some history was long enough to be summed"
    # The same for organisations, whose people are read together.
    # Summing every conversation (as an organisation's card and refresh do) too.
    totalled_some = False
    for organisation in Organisation.objects.filter(team_id=alice.member.team_id):
        itemised = evidence.organisation_events(organisation, NOW, itemised=10_000)
        for cut in (1, 0):
            summed = evidence.organisation_events(organisation, NOW, itemised=cut)
            assert sum(e.count for e in summed) == len(itemised), organisation.name
            assert_same_score(
                equation.score(summed, now=NOW, half_life_days=half_life),
                equation.score(itemised, now=NOW, half_life_days=half_life),
                organisation.name,
            )
        totals = [e for e in summed if e.key[0] == "conversations"]
        totalled_some |= bool(totals)
        for event in totals:
            # Weighed as of now, shown at its newest conversation; its person marked.
            assert event.at == NOW and event.dated is not None and event.dated <= NOW
            assert event.who and "conversation" in event.label
        assert {e.who for e in itemised} - {0} <= {
            p.pk for p, _w in evidence.organisation_members(organisation)
        }
    assert totalled_some, "some organisation had conversations"


# ---------------------------------------------------------------------------------------
# What counts and what does not.


def test_a_colleagues_private_interaction_with_a_shared_person_is_not_counted(
    alice: Any, bob: Any
) -> None:
    shared = person_create(actor=alice, display_name="Shared client")
    secret = person_create(actor=bob, display_name="Bob's friend", visibility="private")
    call = interaction_create(
        actor=bob,
        participants=[shared, secret],
        kind="meeting",
        focus="ours",
        occurred_at=NOW - 10 * DAY,
        summary="Bob's private pitch",
    )
    assert call.visibility == Visibility.PRIVATE
    Signal.objects.create(interaction=call, kind="price_pressure")
    promises.meeting_update(
        actor=bob, interaction=call, agenda_shared_at=NOW - 11 * DAY, now=NOW - 11 * DAY
    )
    promises.decision_add(actor=bob, interaction=call, text="Send a quote")

    views = scoring.person_views(shared, NOW)
    assert all(
        c.event.key != ("interaction", call.pk)
        for p in views.blended.components
        for c in p.contributions
    )
    assert kinds(views) == set()
    assert [p.value for p in views.blended.components] == [W.PRIOR_MEAN[n] for n in W.COMPONENTS]
    # Bob's own private contact carries the whole conversation.
    assert {"contact", "our_agenda", "price_pressure", "agenda_ahead", "decision_dropped"} <= kinds(
        scoring.person_views(secret, NOW)
    )
    sums = evidence.team_sums(alice.member.team_id, NOW, scoring.half_life())
    assert shared.pk not in sums.people or all(
        s.count == 0 for s in sums.people[shared.pk].values()
    )
    assert sums.people[secret.pk][W.S].count == 2
    check_team(alice.member.team_id, NOW)


def test_the_clients_own_promises_do_not_count_towards_our_reliability(alice: Any) -> None:
    client = person_create(actor=alice, display_name="Client")
    made = NOW - 30 * DAY
    for status in ("kept", "broken"):
        theirs = promises.commitment_create(
            actor=alice,
            title=f"They send the data ({status})",
            person=client,
            side=Side.CLIENT,
            promised_by=client,
            made_at=made,
            due_on=(NOW - 20 * DAY).date(),
            now=made,
        )
        closed = NOW - 25 * DAY
        promises.commitment_close(
            actor=alice,
            commitment=theirs,
            status=status,
            delivered_at=closed if status == "kept" else None,
            reported_back=True,
            now=closed,
        )
    promises.commitment_create(
        actor=alice,
        title="They sign (overdue)",
        person=client,
        side=Side.CLIENT,
        made_at=made,
        due_on=(NOW - 10 * DAY).date(),
        now=made,
    )
    views = scoring.person_views(client, NOW)
    assert views.blended.r.count == 0
    assert views.blended.r.value == W.PRIOR_MEAN[W.R]
    check_team(alice.member.team_id, NOW)
    assert TrustScore.objects.get(person=client).detail["R"]["count"] == 0

    ours = promises.commitment_create(
        actor=alice,
        title="We send the plan",
        person=client,
        made_at=made,
        due_on=(NOW - 20 * DAY).date(),
        now=made,
    )
    promises.commitment_close(
        actor=alice, commitment=ours, status="kept", delivered_at=NOW - 25 * DAY, now=NOW - 25 * DAY
    )
    assert scoring.person_views(client, NOW).blended.r.value > W.PRIOR_MEAN[W.R]


def test_risk_and_decision_grace_periods_agree_at_their_edges(alice: Any) -> None:
    """A risk told exactly a week after it was raised is prompt, and a decision exactly
    a week old without follow-up is dropped, in both paths and on both databases."""
    client = person_create(actor=alice, display_name="Client")
    made = NOW - 60 * DAY
    promise = promises.commitment_create(
        actor=alice, title="Report", person=client, made_at=made, due_on=NOW.date(), now=made
    )
    raised = NOW - 30 * DAY
    risk = promises.risk_add(
        actor=alice, commitment=promise, title="Late data", raised_at=raised, now=raised
    )
    told = raised + dt.timedelta(days=W.RISK_GRACE_DAYS)
    promises.risk_disclose(actor=alice, risk=risk, at=told, now=told)
    quiet = promises.risk_add(
        actor=alice, commitment=promise, title="Unspoken", raised_at=NOW - 7 * DAY, now=NOW
    )
    assert quiet.disclosed_at is None
    meeting = interaction_create(
        actor=alice,
        participants=[client],
        kind="meeting",
        occurred_at=NOW - dt.timedelta(days=W.DECISION_GRACE_DAYS),
        summary="Review",
    )
    promises.decision_add(actor=alice, interaction=meeting, text="Decide")
    found = kinds(scoring.person_views(client, NOW))
    assert {"risk_disclosed", "risk_hidden", "decision_dropped"} <= found
    assert "risk_disclosed_late" not in found
    check_team(alice.member.team_id, NOW)


# ---------------------------------------------------------------------------------------
# Storing: one relationship after a write, snapshots and the week-over-week change.


def promise_closed(actor: Any, person: Person, closed: dt.datetime, status: str = "kept") -> None:
    made = closed - 5 * DAY
    promise = promises.commitment_create(
        actor=actor,
        title=f"Promise closed {closed:%m-%d}",
        person=person,
        made_at=made,
        due_on=(closed + DAY).date() if status == "kept" else (closed - 2 * DAY).date(),
        now=made,
    )
    promises.commitment_close(
        actor=actor,
        commitment=promise,
        status=status,
        delivered_at=closed if status == "kept" else None,
        now=closed,
    )


def test_trust_refresh_stores_one_person_and_measures_the_week_against_a_week_ago(
    alice: Any,
) -> None:
    client = person_create(actor=alice, display_name="Client")
    bystander = person_create(actor=alice, display_name="Bystander")
    firm = organisation_create(actor=alice, name="Firm")
    role_create(actor=alice, person=client, organisation=firm, is_decision_maker=True)
    today = NOW
    promise_closed(alice, client, today - 20 * DAY)
    promise_closed(alice, bystander, today - 20 * DAY)
    stored_t, week_ago = {}, {}
    for days_ago in (10, 7, 3):
        moment = today - days_ago * DAY
        promise_closed(alice, client, moment - dt.timedelta(hours=1))
        assert scoring.trust_refresh(person_ids=[client.pk], now=moment) == 2  # and the firm
        score = TrustScore.objects.get(person=client)
        stored_t[days_ago], week_ago[days_ago] = score.t, score.t_week_ago
    assert len(set(stored_t.values())) == 3
    # Three days ago, the snapshot of ten days ago was the latest one a week old or more.
    assert week_ago == {10: None, 7: None, 3: stored_t[10]}

    promise_closed(alice, client, today - 2 * DAY, status="broken")
    scoring.trust_refresh(person_ids=[client.pk], now=today)
    score = TrustScore.objects.get(person=client)
    views = scoring.person_views(client, today)
    assert score.t == round(views.blended.t, 2)
    assert score.computed_at == today
    # The latest snapshot at least seven days old: the one of exactly a week ago.
    assert score.t_week_ago == stored_t[7]
    assert score.delta_week == round(score.t - stored_t[7], 2)
    assert score.delta_week < 0  # the broken promise
    snapshot = TrustSnapshot.objects.get(person=client, day=today.date())
    assert (snapshot.c, snapshot.r, snapshot.i, snapshot.s, snapshot.t) == (
        score.c,
        score.r,
        score.i,
        score.s,
        score.t,
    )
    assert TrustSnapshot.objects.filter(person=client).count() == 4
    assert TrustScore.objects.filter(organisation=firm).exists()
    # Only the person named (and their organisation) was touched.
    assert not TrustScore.objects.filter(person=bystander).exists()

    # A second refresh the same day replaces today's snapshot rather than adding one.
    promise_closed(alice, client, today - dt.timedelta(hours=2))
    scoring.trust_refresh(person_ids=[client.pk], now=today)
    assert TrustSnapshot.objects.filter(person=client).count() == 4
    assert TrustSnapshot.objects.get(person=client, day=today.date()).t == (
        TrustScore.objects.get(person=client).t
    )


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_recomputing_twice_stores_identical_rows(seed: int, alice: Any, bob: Any) -> None:
    build_book(random.Random(seed), alice, bob, size=8)
    team_id = alice.member.team_id

    def stored() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        fields = [
            "person_id",
            "organisation_id",
            "c",
            "r",
            "i",
            "s",
            "t",
            "weakest",
            "detail",
            "t_week_ago",
            "delta_week",
            "computed_at",
        ]
        scores = list(
            TrustScore.objects.filter(team_id=team_id)
            .order_by("person_id", "organisation_id")
            .values_list(*fields)
        )
        snapshots = list(
            TrustSnapshot.objects.filter(team_id=team_id)
            .order_by("person_id", "organisation_id", "day")
            .values_list("person_id", "organisation_id", "day", "c", "r", "i", "s", "t")
        )
        return scores, snapshots

    scoring.trust_recompute_team(team_id, now=NOW)
    first = stored()
    scoring.trust_recompute_team(team_id, now=NOW)
    assert stored() == first
    relationships = Person.objects.filter(team_id=team_id).exclude(
        pk__in=evidence.team_members(team_id)
    )
    assert len(first[0]) == relationships.count() + (
        Organisation.objects.filter(team_id=team_id).count()
    )


def test_a_backfilled_trend_starts_with_the_relationships_first_evidence(alice: Any) -> None:
    old = person_create(actor=alice, display_name="Known for months")
    new = person_create(actor=alice, display_name="Met three weeks ago")
    for person, ago in ((old, 70 * DAY), (new, 20 * DAY)):
        interaction_create(
            actor=alice,
            participants=[person],
            kind="meeting",
            focus="client",
            occurred_at=NOW - ago,
            summary="First meeting",
        )

    assert scoring.trust_backfill(alice.member.team_id, weeks=8, now=NOW) == 9

    def days(person: Person) -> list[dt.date]:
        return list(
            TrustSnapshot.objects.filter(person=person)
            .order_by("day")
            .values_list("day", flat=True)
        )

    weekly = [(NOW - dt.timedelta(weeks=back)).date() for back in range(8, 0, -1)] + [NOW.date()]
    assert days(old) == weekly
    # No made-up history at the neutral prior before the first meeting.
    assert days(new) == [d for d in weekly if d >= (NOW - 20 * DAY).date()]
    assert TrustScore.objects.get(person=new).computed_at == NOW


def test_a_decision_maker_outweighs_a_junior_contact_s_volume(alice: Any) -> None:
    """A junior contact with sixty conversations about our agenda must not drown out the
    decision maker, met six times about theirs: each person's evidence is capped in the
    organisation's pool before their influence scales it."""
    firm = organisation_create(actor=alice, name="Volume Ltd")
    boss = person_create(actor=alice, display_name="The decision maker")
    junior = person_create(actor=alice, display_name="A junior contact")
    role_create(actor=alice, person=boss, organisation=firm, is_decision_maker=True)
    role_create(actor=alice, person=junior, organisation=firm, influence=1)
    for day in range(60):
        interaction_create(
            actor=alice,
            participants=[junior],
            kind="email",
            focus="ours",
            occurred_at=NOW - dt.timedelta(days=day, hours=1),
            summary=f"Our offer, again ({day})",
        )
    for day in range(6):
        interaction_create(
            actor=alice,
            participants=[boss],
            kind="meeting",
            focus="client",
            occurred_at=NOW - dt.timedelta(days=3 * day, hours=2),
            summary=f"Their problem ({day})",
        )
    s_of = {who: scoring.person_views(who, NOW).blended.s.value for who in (boss, junior)}
    organisation = scoring.organisation_views(firm, NOW).blended.s.value
    # The junior's self-oriented record is the stronger one alone...
    assert abs(s_of[junior] - W.PRIOR_MEAN["S"]) > abs(s_of[boss] - W.PRIOR_MEAN["S"])
    # ...yet the organisation's S sits on the decision maker's side of neutral.
    assert organisation < W.PRIOR_MEAN["S"]
    assert abs(organisation - s_of[boss]) < abs(organisation - s_of[junior])
    # Without the cap the volume would have won: the junior's weight on S is 60 × 0.4 × decay.
    uncapped = equation.pool(
        [
            (
                W.influence_weight(1, False),
                equation.sums_of(
                    evidence.person_events(junior, NOW), now=NOW, half_life_days=scoring.half_life()
                ),
            ),
            (
                W.DECISION_MAKER_WEIGHT,
                equation.sums_of(
                    evidence.person_events(boss, NOW), now=NOW, half_life_days=scoring.half_life()
                ),
            ),
        ]
    )
    assert equation.score_from_sums(uncapped).s.value > W.PRIOR_MEAN["S"]
    # And the full recompute pools the same way.
    scoring.trust_recompute_team(alice.member.team_id, now=NOW)
    assert TrustScore.objects.get(organisation=firm).s == pytest.approx(organisation, abs=0.01)
