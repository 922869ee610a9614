"""Ties and referrals: recorded by hand, found in conversations, kept private, merged,
erased, refreshed in the background and indexed for the path search."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from rapport.accounts.models import AuditEntry
from rapport.interactions.services import interaction_create, interaction_delete
from rapport.network import index, queries
from rapport.network.models import Referral, Tie
from rapport.network.services import (
    Affiliations,
    inferred_kind,
    referral_create,
    referral_thank,
    tie_create,
    tie_delete,
    tie_set_strength,
    tie_update,
    ties_refresh,
)
from rapport.people.models import Person
from rapport.people.services import person_create, role_create
from rapport.transfer.erase import erase_person
from rapport.transfer.merge import merge_people
from tests.conftest import client_for


def me(user: Any) -> Person:
    return user.member.person


def tie_between(a: Person, b: Person) -> Tie:
    low, high = sorted((a.pk, b.pk))
    return Tie.objects.get(person_a_id=low, person_b_id=high)


def pairs(actor: Any, person: Person) -> dict[str, Tie]:
    return {other.display_name: tie for other, tie in queries.ties_of(actor, person)}


def refresh(user: Any) -> None:
    ties_refresh(team_id=user.member.team_id)


def talk(actor: Any, people: list[Person], days_ago: float = 1, **fields: Any) -> Any:
    fields.setdefault("kind", "meeting")
    fields.setdefault("summary", "A talk")
    return interaction_create(
        actor=actor,
        participants=people,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        **fields,
    )


# Ties found in conversations


def test_a_meeting_booked_ahead_is_not_contact_yet(book, alice):
    newcomer = person_create(actor=alice, display_name="Zhou Ahead")
    talk(alice, [newcomer], days_ago=-7, summary="Booked for next week")
    refresh(alice)
    assert pairs(alice, newcomer) == {}, "nothing has happened between them yet"
    talk(alice, [newcomer], days_ago=3, summary="First call")
    refresh(alice)
    tie = tie_between(alice.member.person, newcomer)
    assert tie.interaction_count == 1
    assert tie.last_contact_at <= timezone.now()


def test_people_who_met_are_tied_and_so_is_the_teammate_who_logged_the_meeting(book, alice):
    refresh(alice)

    wang, anna = book["wang"], book["anna"]
    assert set(pairs(alice, wang)) == {"Alice Adams", "Anna Lee"}
    found = tie_between(wang, anna)
    assert found.source == "interactions" and found.interaction_count == 1
    assert 0 < found.strength < 1
    assert tie_between(me(alice), wang).last_contact_at == book["meeting"].occurred_at


def test_a_colleague_s_private_conversation_shows_no_tie_to_anyone_else(book, alice, bob):
    refresh(alice)

    secret = book["bobs_secret"]
    assert pairs(bob, secret).keys() == {"Bob Brown"}
    assert not queries.visible_ties(alice).filter(person_b=secret).exists()
    assert not queries.visible_ties(alice).filter(person_a=secret).exists()
    with pytest.raises(Exception, match="No such tie"):
        queries.tie_for(alice, tie_between(me(bob), secret).pk)


def test_another_team_s_ties_are_never_seen(book, alice, charlie):
    refresh(charlie)
    refresh(alice)

    assert queries.visible_ties(charlie).exists()
    assert not queries.visible_ties(alice).filter(team_id=charlie.member.team_id).exists()
    assert not queries.visible_ties(charlie).filter(team_id=alice.member.team_id).exists()


def test_a_private_conversation_between_shared_people_does_not_move_their_shared_tie(
    book, alice, bob
):
    wang, anna, secret = book["wang"], book["anna"], book["alices_secret"]
    refresh(alice)
    before = tie_between(wang, anna).strength
    talk(alice, [wang, anna, secret], days_ago=0, focus="personal")
    refresh(alice)

    assert tie_between(wang, anna).strength == before, "Bob sees this tie: no hint of it"
    assert tie_between(wang, secret).interaction_count == 1, "Alice's own tie shows it"


def test_more_and_fresher_contact_makes_a_tie_stronger(book, alice):
    wang, anna = book["wang"], book["anna"]
    refresh(alice)
    before = tie_between(wang, anna).strength
    talk(alice, [wang, anna], days_ago=0, initiated_by="them")
    talk(alice, [wang, anna], days_ago=0, kind="call")
    refresh(alice)

    after = tie_between(wang, anna)
    assert after.interaction_count == 3
    assert after.strength > before


def test_when_the_conversations_go_the_tie_they_showed_goes_but_a_recorded_one_stays(book, alice):
    wang, anna = book["wang"], book["anna"]
    refresh(alice)
    tie_update(actor=alice, tie=tie_between(me(alice), anna), kind="client")
    interaction_delete(actor=alice, interaction=book["meeting"])
    refresh(alice)

    assert (
        not Tie.objects.filter(pk__in=[t.pk for t in pairs(alice, wang).values()])
        .filter(source="interactions")
        .exists()
    )
    kept = tie_between(me(alice), anna)
    assert kept.kind == "client" and kept.interaction_count == 0
    assert kept.strength > 0, "the kind a user stated still counts"


def test_a_whole_team_refresh_reads_the_evidence_in_a_fixed_number_of_queries(
    book, alice, django_assert_max_num_queries
):
    people = [person_create(actor=alice, display_name=f"Guest {n}") for n in range(12)]
    for n in range(0, 12, 3):
        talk(alice, [*people[n : n + 3], book["wang"]])
    with django_assert_max_num_queries(8):
        done = ties_refresh(team_id=alice.member.team_id)
    assert done.created >= 4 * 6


def test_notes_to_oneself_are_not_contact(book, alice):
    lone = person_create(actor=alice, display_name="Nora Note")
    talk(alice, [lone, book["wang"]], kind="note")
    refresh(alice)
    assert not pairs(alice, lone)


# The kind of a tie found in conversations


def test_a_tie_found_in_conversations_gets_a_believable_kind(book, alice, bob):
    wang, anna = book["wang"], book["anna"]
    huawei, northwind = book["huawei"], book["northwind"]
    peer = person_create(actor=alice, display_name="Li Peer")
    role_create(actor=alice, person=peer, organisation=huawei, title="CTO")
    old_hand = person_create(actor=alice, display_name="Old Hand")
    role_create(
        actor=alice,
        person=old_hand,
        organisation=northwind,
        title="Buyer",
        started_on=dt.date(2015, 1, 1),
        ended_on=dt.date(2020, 1, 1),
    )
    stranger = person_create(actor=alice, display_name="Sam Stranger")
    talk(alice, [wang, peer, me(bob)])
    talk(alice, [anna, old_hand, stranger])
    refresh(alice)

    assert tie_between(me(alice), wang).kind == "client", "a teammate with an outsider"
    assert tie_between(me(alice), me(bob)).kind == "colleague", "two teammates"
    assert tie_between(wang, peer).kind == "colleague", "both at Huawei now"
    assert tie_between(anna, old_hand).kind == "former_colleague", "both once at Northwind"
    neutral = tie_between(anna, stranger)
    assert neutral.kind == "other" and neutral.source == "interactions"
    assert neutral.get_kind_display() == "Met in conversations"
    assert {t.kind for t in Tie.objects.filter(source="interactions")} <= {
        "client",
        "colleague",
        "former_colleague",
        "other",
    }


def test_the_guess_follows_a_change_of_job_but_never_overrides_a_user(book, alice):
    wang, anna = book["wang"], book["anna"]
    refresh(alice)
    assert tie_between(wang, anna).kind == "other"
    stated = tie_update(actor=alice, tie=tie_between(me(alice), wang), kind="friend")

    role_create(actor=alice, person=anna, organisation=book["huawei"], title="Advisor")
    refresh(alice)

    assert tie_between(wang, anna).kind == "colleague"
    assert tie_between(me(alice), wang).kind == "friend" == stated.kind
    assert tie_between(me(alice), wang).get_kind_display() == "Friend"


def test_a_tie_a_user_described_then_deleted_falls_back_to_the_guess(book, alice):
    tie = tie_update(actor=alice, tie=_found(alice, book["anna"]), kind="friend")

    kept = tie_delete(actor=alice, tie=tie)

    assert kept is not None and (kept.source, kept.kind) == ("interactions", "client")


def _found(user: Any, person: Person) -> Tie:
    refresh(user)
    return tie_between(me(user), person)


def test_a_tie_met_only_in_conversations_is_not_called_other_on_the_pages(book, alice):
    refresh(alice)
    page = client_for(alice).get(f"/people/{book['wang'].pk}/ties/").content.decode()

    assert '<span class="chip">Met in conversations</span>' in page
    assert '<span class="chip">Client</span>' in page
    assert '<span class="chip">Other</span>' not in page


def test_guessing_kinds_takes_the_same_number_of_queries_for_many_pairs(book, alice):
    def guests(n: int, org: Any) -> None:
        people = [person_create(actor=alice, display_name=f"Guest {n} {i}") for i in range(n)]
        for person in people:
            role_create(actor=alice, person=person, organisation=org, title="Staff")
        for i in range(0, n, 3):
            talk(alice, people[i : i + 3])

    guests(3, book["huawei"])
    ties_refresh(team_id=alice.member.team_id)
    with CaptureQueriesContext(connection) as few:
        ties_refresh(team_id=alice.member.team_id, now=timezone.now() + dt.timedelta(days=1))
    guests(30, book["northwind"])
    with CaptureQueriesContext(connection) as many:
        done = ties_refresh(team_id=alice.member.team_id)

    assert done.created >= 30 + 10 * 3
    assert Tie.objects.filter(kind="colleague", source="interactions").count() >= 33
    # Updating and creating add a statement each; the guessing adds none per pair.
    assert len(many.captured_queries) <= len(few.captured_queries) + 2


@given(
    a=st.integers(1, 6),
    b=st.integers(1, 6),
    teammates=st.sets(st.integers(1, 6)),
    current=st.dictionaries(st.integers(1, 6), st.sets(st.integers(1, 3))),
    past=st.dictionaries(st.integers(1, 6), st.sets(st.integers(1, 3))),
)
def test_the_guessed_kind_does_not_depend_on_the_order_of_the_two(a, b, teammates, current, past):
    known = Affiliations(teammates=teammates, current=current, past=past)

    kind = inferred_kind(a, b, known)

    assert kind == inferred_kind(b, a, known)
    assert kind in Tie.Kind.values
    if (a in teammates) != (b in teammates):
        assert kind == "client"


# Ties recorded by hand


def test_a_recorded_tie_takes_the_kind_and_is_strong_for_family(book, alice):
    wang, anna = book["wang"], book["anna"]
    brother = person_create(actor=alice, display_name="Wang Da")
    tie = tie_create(actor=alice, person_a=brother, person_b=wang, kind="family", note="brother")

    assert tie.person_a_id < tie.person_b_id
    assert tie.source == "manual" and tie.owner == alice
    assert tie.strength >= 0.55
    weak = tie_create(actor=alice, person_a=brother, person_b=anna, kind="introduced_by")
    assert weak.strength < tie.strength
    entry = AuditEntry.objects.get(action="tie.create", object_id=tie.pk)
    assert "Wang Da" in entry.summary and entry.private_to is None


def test_recording_a_tie_the_conversations_showed_makes_it_the_user_s(book, alice):
    wang, anna = book["wang"], book["anna"]
    refresh(alice)
    found = tie_between(wang, anna)

    tie = tie_create(actor=alice, person_a=anna, person_b=wang, kind="former_colleague")
    assert tie.pk == found.pk
    assert (tie.source, tie.kind, tie.interaction_count) == ("manual", "former_colleague", 1)
    with pytest.raises(ValidationError) as err:
        tie_create(actor=alice, person_a=wang, person_b=anna, kind="friend")
    assert "person_b" in err.value.message_dict


@pytest.mark.parametrize(
    ("who", "field"),
    [("same", "person_b"), ("charlies", "person_b"), ("bobs_secret", "person_b")],
)
def test_a_tie_needs_two_different_people_the_user_may_see(book, alice, who, field):
    other = book["wang"] if who == "same" else book[who]
    before = (Tie.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as err:
        tie_create(actor=alice, person_a=book["wang"], person_b=other)
    assert field in err.value.message_dict
    assert (Tie.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"manual_strength": 1.5}, "manual_strength"),
        ({"manual_strength": -0.1}, "manual_strength"),
        ({"kind": "nemesis"}, "kind"),
        ({"since": dt.date(2999, 1, 1)}, "since"),
    ],
)
def test_a_bad_tie_is_refused_naming_the_field(book, alice, fields, field):
    with pytest.raises(ValidationError) as err:
        tie_create(actor=alice, person_a=book["wang"], person_b=book["anna"], **fields)
    assert field in err.value.message_dict
    assert not Tie.objects.exists()


def test_a_strength_set_by_hand_wins_until_it_is_cleared(book, alice):
    refresh(alice)
    tie = tie_between(book["wang"], book["anna"])
    computed = tie.strength

    tie_set_strength(actor=alice, tie=tie, strength=0.9)
    assert tie_between(book["wang"], book["anna"]).strength == 0.9
    tie_set_strength(actor=alice, tie=tie, strength=None)
    assert tie_between(book["wang"], book["anna"]).strength == pytest.approx(computed, abs=1e-4)
    with pytest.raises(ValidationError) as err:
        tie_set_strength(actor=alice, tie=tie, strength=2)
    assert "strength" in err.value.message_dict


def test_a_tie_with_a_private_contact_is_seen_and_audited_only_by_its_owner(book, alice, bob):
    secret = book["alices_secret"]
    tie = tie_create(actor=alice, person_a=secret, person_b=book["wang"], kind="friend")

    assert "Alice's Private Contact" in pairs(alice, book["wang"])
    assert "Alice's Private Contact" not in pairs(bob, book["wang"])
    assert AuditEntry.objects.get(action="tie.create", object_id=tie.pk).private_to == alice


def test_deleting_a_tie_leaves_what_the_conversations_show(book, alice):
    refresh(alice)
    tie = tie_update(
        actor=alice, tie=tie_between(book["wang"], book["anna"]), kind="friend", note="golf"
    )
    kept = tie_delete(actor=alice, tie=tie)
    assert kept is not None and (kept.source, kept.kind, kept.note) == ("interactions", "other", "")

    lone = tie_create(actor=alice, person_a=book["wang"], person_b=book["alices_secret"])
    assert tie_delete(actor=alice, tie=lone) is None
    assert not Tie.objects.filter(pk=lone.pk).exists()
    assert AuditEntry.objects.filter(action="tie.delete").count() == 2


# Referrals


def test_a_referral_sets_the_referral_source_and_ties_the_two(book, alice):
    wang = book["wang"]
    newcomer = person_create(actor=alice, display_name="Li Lei")
    referral = referral_create(actor=alice, referrer=wang, referred=newcomer, note="golf club")

    newcomer.refresh_from_db()
    assert newcomer.introduced_by == wang
    assert tie_between(wang, newcomer).kind == "introduced_by"
    assert referral.referred_on == timezone.localdate()
    # Anna was introduced by Wang already; a later referral does not rewrite history.
    referral_create(actor=alice, referrer=me(alice), referred=book["anna"])
    book["anna"].refresh_from_db()
    assert book["anna"].introduced_by == wang


@pytest.mark.parametrize(
    ("referrer", "referred", "field"),
    [
        ("wang", "wang", "referred"),
        ("charlies", "wang", "referrer"),
        ("wang", "bobs_secret", "referred"),
    ],
)
def test_a_bad_referral_is_refused_naming_the_field(book, alice, referrer, referred, field):
    with pytest.raises(ValidationError) as err:
        referral_create(actor=alice, referrer=book[referrer], referred=book[referred])
    assert field in err.value.message_dict
    assert not Referral.objects.exists()


def test_a_referrer_is_due_thanks_once_the_person_they_introduced_meets_us(book, alice, bob):
    wang = book["wang"]
    newcomer = person_create(actor=alice, display_name="Li Lei")
    referral = referral_create(
        actor=alice,
        referrer=wang,
        referred=newcomer,
        referred_on=timezone.localdate() - dt.timedelta(days=10),
    )
    assert queries.referrers_to_thank(alice) == []
    talk(alice, [newcomer], days_ago=30, kind="email")  # before the referral: not its fruit
    talk(alice, [newcomer], days_ago=2, kind="email")  # mail is not a meeting
    assert queries.referrers_to_thank(alice) == []

    talk(alice, [newcomer], days_ago=1)
    [due] = queries.referrers_to_thank(alice)
    assert due.referral == referral and due.meetings == 1
    record = queries.referral_record(alice, wang)
    assert (record.succeeded, record.unthanked) == (1, 1)
    section = queries.agenda_section(alice, limit=5)
    assert section.count == 1
    assert section.items[0].title == wang.display_name
    assert "Li Lei" in section.items[0].detail
    morning = client_for(alice).get("/").content.decode()
    assert "Thank a referrer" in morning and "introduced Li Lei" in morning
    assert queries.referrers_to_thank(bob) == [], "Bob neither recorded it nor owns Li Lei"

    referral_thank(actor=alice, referral=referral)
    assert queries.referrers_to_thank(alice) == []
    assert queries.referral_record(alice, wang).unthanked == 0


def test_a_referral_naming_a_private_contact_is_not_seen_by_colleagues(book, alice, bob):
    secret = book["alices_secret"]
    referral_create(actor=alice, referrer=secret, referred=book["wang"])
    book["wang"].refresh_from_db()
    assert book["wang"].introduced_by is None, "Wang is shared: no hidden introducer on him"
    assert queries.visible_referrals(alice).count() == 1
    assert queries.visible_referrals(bob).count() == 0
    assert queries.referral_record(bob, book["wang"]).introduced_by == []


# Merging and erasing


def test_merging_two_records_of_one_person_joins_their_ties_and_referrals(book, alice):
    wang, anna = book["wang"], book["anna"]
    twin = person_create(actor=alice, display_name="Xiaoming Wang")
    tie_create(actor=alice, person_a=twin, person_b=anna, kind="friend", note="badminton")
    tie_create(actor=alice, person_a=twin, person_b=wang, kind="other")
    friend = person_create(actor=alice, display_name="Zhou Yu")
    tie_create(actor=alice, person_a=twin, person_b=friend, kind="classmate")
    referral_create(actor=alice, referrer=twin, referred=friend)
    refresh(alice)

    merge_people(actor=alice, keep=wang, other=twin)

    joined = tie_between(wang, anna)
    assert (joined.kind, joined.source, joined.note) == ("friend", "manual", "badminton")
    assert tie_between(wang, friend).kind == "classmate"
    assert not Tie.objects.filter(person_a=twin).exists()
    assert Referral.objects.get().referrer == wang


def test_erasing_a_person_removes_their_ties_and_referrals(book, alice):
    newcomer = person_create(actor=alice, display_name="Li Lei")
    referral_create(actor=alice, referrer=book["wang"], referred=newcomer)
    tie_create(actor=alice, person_a=newcomer, person_b=book["anna"], kind="friend")

    erase_person(actor=alice, person=newcomer, reason="request")
    assert not Referral.objects.exists()
    assert not Tie.objects.filter(person_b=book["anna"], kind="friend").exists()
    assert not Tie.objects.filter(person_a_id=newcomer.pk).exists()


# Background refresh and the index


def _tie_tasks() -> Any:
    return DBTaskResult.objects.filter(task_path__endswith="refresh_ties")


def test_logging_a_conversation_queues_one_tie_refresh_that_the_worker_runs(
    transactional_db, book, alice
):
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    _tie_tasks().delete()
    wang, anna = book["wang"], book["anna"]
    lead = person_create(actor=alice, display_name="New Lead")

    talk(alice, [wang, lead])
    queued = _tie_tasks().filter(status="READY").get()
    assert set(queued.args_kwargs["kwargs"]["person_ids"]) == {wang.pk, lead.pk, me(alice).pk}
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    assert tie_between(wang, lead).interaction_count == 1
    assert tie_between(me(alice), lead).source == "interactions"
    assert not Tie.objects.filter(person_a__in=[anna], person_b=lead).exists()


def test_the_index_follows_writes_without_building_again(book, alice):
    team_id = alice.member.team_id
    index.forget()
    refresh(alice)
    wang, anna = book["wang"], book["anna"]
    graph = index.graph_for(team_id)
    assert graph.strength(wang.pk, anna.pk) == pytest.approx(tie_between(wang, anna).strength)
    assert graph.overlay_size == 0

    friend = person_create(actor=alice, display_name="Zhou Yu")
    tie_create(actor=alice, person_a=friend, person_b=wang, kind="friend")
    tie_set_strength(actor=alice, tie=tie_between(wang, anna), strength=0.8)
    updated = index.graph_for(team_id)
    assert updated.overlay_size > 0, "applied as changes, not rebuilt"
    assert updated.strength(wang.pk, anna.pk) == 0.8
    assert updated.strength(friend.pk, wang.pk) == tie_between(friend, wang).strength

    tie_delete(actor=alice, tie=tie_between(friend, wang))
    assert index.graph_for(team_id, exact=True).strength(friend.pk, wang.pk) is None
    assert graph.strength(wang.pk, anna.pk) != 0.8, "a reader's graph never changes"
    index.forget()
