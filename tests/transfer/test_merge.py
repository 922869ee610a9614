"""Merging two records of one person: everything the other held ends up on the kept
person, nothing twice, one audit entry, and nobody can merge what they may not see."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, models
from django_tasks_db.models import DBTaskResult

from rapport.accounts.models import AuditEntry
from rapport.commitments.models import Commitment
from rapport.commitments.services import commitment_create
from rapport.interactions.models import Interaction, Participation
from rapport.interactions.services import interaction_create
from rapport.people.models import Channel, DistinctPair, Fact, Person, Role
from rapport.people.services import fact_create, person_create, role_create
from rapport.portal.models import ShareLink
from rapport.portal.services import share_link_create, survey_create
from rapport.transfer import duplicate_queries, merge
from rapport.transfer.merge import HANDLERS, merge_people, relation_label, relations_to_person
from rapport.transfer.models import ImportedContact
from rapport.trust import scoring
from rapport.trust.models import Claim, EvidenceShown, Survey, TrustScore, TrustSnapshot
from rapport.trust.services import claim_create, evidence_create, evidence_show
from tests.conftest import make_user

WHEN = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def twin(book: dict[str, Any], alice: Any) -> Person:
    """Wang Xiaoming entered a second time, from his business card, with a history."""
    other = person_create(
        actor=alice,
        display_name="Xiaoming Wang",
        headline="CFO, Huawei",
        how_we_met="Met again at the Shenzhen expo",
        notes="Prefers WeChat to email",
        channels=[
            {"kind": "email", "value": "Xiaoming.Wang@HUAWEI.example", "is_primary": True},
            {"kind": "email", "value": "xm@private.example"},
            {"kind": "phone", "value": "+86 138 0013 8000"},
        ],
        tags=["vip", "golf"],
    )
    role_create(actor=alice, person=other, organisation=book["huawei"], influence=4)
    role_create(actor=alice, person=other, organisation=book["northwind"], title="Advisor")
    fact_create(actor=alice, person=other, category="hobby", value="calligraphy")
    fact_create(actor=alice, person=other, category="sport", value="Golf on Sundays")
    # He was in the quarterly review too (entered twice), and in a call of his own.
    Participation.objects.create(
        interaction=book["meeting"], person=other, occurred_at=book["meeting"].occurred_at
    )
    interaction_create(
        actor=alice,
        participants=[other],
        kind="call",
        occurred_at=WHEN,
        summary="Budget call with Xiaoming",
    )
    commitment_create(
        actor=alice, title="Send the renewal terms", due_on=dt.date(2026, 12, 1), person=other
    )
    commitment_create(
        actor=alice,
        title="Introduce us to the CIO",
        due_on=dt.date(2026, 12, 5),
        person=other,
        side="client",
        promised_by=other,
    )
    evidence = evidence_create(
        actor=alice, kind="reference", title="Case study: Lenovo", verified_on=dt.date(2026, 11, 1)
    )
    evidence_show(actor=alice, evidence=evidence, person=other)
    claim_create(actor=alice, statement="We deliver in six weeks", person=other)
    survey_create(actor=alice, person=other)
    share_link_create(actor=alice, person=other)
    ImportedContact.objects.create(team=other.team, person=other, source_uid="uid:card-1")
    person_create(actor=alice, display_name="Lin Fang", introduced_by=other.pk)
    return other


def test_every_relation_to_a_person_is_handled_by_the_merge():
    """Add a model pointing at Person (ties, say) and this fails until HANDLERS says
    how a merge moves it: a relation with a uniqueness rule would otherwise stop merges,
    and one without would be moved blindly."""
    missing = sorted(
        relation_label(field)
        for field in relations_to_person()
        if relation_label(field) not in HANDLERS
    )
    assert missing == []
    stale = sorted(set(HANDLERS) - {relation_label(f) for f in relations_to_person()})
    assert stale == [], "handlers for relations that no longer exist"


def test_merging_keeps_every_fact_channel_role_interaction_and_commitment(
    book, alice, twin, django_capture_on_commit_callbacks
):
    wang = book["wang"]
    with django_capture_on_commit_callbacks(execute=True):
        kept = merge_people(actor=alice, keep=wang, other=twin)

    assert kept.pk == wang.pk
    assert not Person.objects.filter(pk=twin.pk).exists()
    # Channels: the same address in another case and the same phone are not doubled.
    channels = sorted(Channel.objects.filter(person=wang).values_list("kind", "value"))
    assert channels == [
        ("email", "xiaoming.wang@huawei.example"),
        ("email", "xm@private.example"),
        ("phone", "+86 138 0013 8000"),
        ("wechat", "wx_wangxm"),
    ]
    assert Channel.objects.filter(person=wang, kind="email", is_primary=True).count() <= 1
    # Facts: "calligraphy" is the fact Wang already had; golf is new.
    assert sorted(Fact.objects.filter(person=wang).values_list("value", flat=True)) == [
        "Calligraphy",
        "Golf on Sundays",
    ]
    # Roles: one at Huawei (still CFO, decision maker), plus the Northwind one.
    roles = sorted(
        Role.objects.filter(person=wang).values_list("organisation__name", "title", "influence")
    )
    assert roles == [("Northwind Logistics", "Advisor", 3), ("华为技术", "CFO", 5)]
    assert set(wang.tags.values_list("name", flat=True)) == {"vip", "golf"}
    # Interactions: the review once, and his own call.
    summaries = sorted(
        Interaction.objects.filter(participations__person=wang).values_list("summary", flat=True)
    )
    assert summaries == ["Budget call with Xiaoming", "Quarterly review"]
    assert Participation.objects.filter(interaction=book["meeting"], person=wang).count() == 1
    # Commitments made to him and by him.
    assert set(Commitment.objects.filter(person=wang).values_list("title", flat=True)) == {
        "Send the renewal terms",
        "Introduce us to the CIO",
    }
    assert Commitment.objects.get(title="Introduce us to the CIO").promised_by_id == wang.pk
    assert EvidenceShown.objects.filter(person=wang).count() == 1
    assert Claim.objects.filter(person=wang).count() == 1
    assert Survey.objects.filter(person=wang).count() == 1
    assert ShareLink.objects.filter(person=wang).count() == 1
    assert ImportedContact.objects.filter(person=wang, source_uid="uid:card-1").exists()
    assert Person.objects.get(display_name="Lin Fang").introduced_by_id == wang.pk
    # Empty fields filled, free text joined, nothing overwritten.
    wang.refresh_from_db()
    assert wang.headline == "CFO, Huawei"
    assert wang.romanised_name == "Wang Xiaoming"
    assert wang.how_we_met == "Alumni dinner in Shanghai\n\nMet again at the Shenzhen expo"
    assert wang.notes == "Prefers WeChat to email"
    assert (wang.birth_calendar, wang.birth_month, wang.birth_day) == ("lunar", 8, 15)
    assert wang.last_interaction_at == WHEN  # his own call, the latest of both
    # Found by what the other record was found by.
    assert "xm@private.example" in wang.search_text
    # Trust: the other's score is gone and the kept person's is refreshed after commit.
    queued = DBTaskResult.objects.filter(task_path__endswith="refresh_trust").latest("enqueued_at")
    assert wang.pk in queued.args_kwargs["kwargs"]["person_ids"]


def test_the_merge_is_audited_once_with_the_other_and_what_moved(book, alice, twin):
    twin_id = twin.pk
    earlier = AuditEntry.objects.filter(person=twin).count()
    merge_people(actor=alice, keep=book["wang"], other=twin)

    entry = AuditEntry.objects.get(action="person.merge")
    assert entry.actor == alice
    assert entry.person_id == book["wang"].pk
    assert entry.changes["merged"] == {"id": twin_id, "name": "Xiaoming Wang"}
    moved = entry.changes["moved"]
    assert moved["facts"] == 1 and moved["interactions"] == 1 and moved["commitments"] == 2
    assert entry.changes["dropped_as_copies"]["channels"] == 2
    assert "headline" in entry.changes["filled"]
    # The other's history now belongs to the kept person.
    assert AuditEntry.objects.filter(person=book["wang"]).count() >= earlier + 1


def _counts(person: Person) -> dict[str, int]:
    detail = TrustScore.objects.get(person=person).detail
    return {name: part["count"] for name, part in detail.items()}


def test_the_kept_persons_trust_is_recomputed_from_both_histories(
    book, alice, twin, django_capture_on_commit_callbacks
):
    wang = book["wang"]
    scoring.trust_refresh(person_ids=[wang.pk, twin.pk])
    before_wang, before_twin = _counts(wang), _counts(twin)
    assert sum(before_twin.values()) > 0, "the twin has trust evidence of his own"
    with django_capture_on_commit_callbacks(execute=True):
        merge_people(actor=alice, keep=wang, other=twin)
    queued = DBTaskResult.objects.filter(task_path__endswith="refresh_trust").latest("enqueued_at")
    kwargs = queued.args_kwargs["kwargs"]
    assert wang.pk in kwargs["person_ids"]

    scoring.trust_refresh(**kwargs)
    after = _counts(wang)
    # Every piece of evidence of either record counts for the kept person; the review
    # both were in counts once, so the total is below the plain sum.
    for name in after:
        assert after[name] >= max(before_wang[name], before_twin[name]), name
    assert sum(after.values()) > sum(before_wang.values())
    assert sum(after.values()) <= sum(before_wang.values()) + sum(before_twin.values())


def test_the_trend_lines_of_both_records_are_kept(book, alice, twin):
    wang = book["wang"]
    day = dt.date(2026, 10, 1)
    values = {"c": 50.0, "r": 50.0, "i": 50.0, "s": 50.0}
    TrustSnapshot.objects.create(team=wang.team, person=wang, day=day, t=40.0, **values)
    for offset, t in ((0, 10.0), (1, 20.0), (2, 30.0)):
        TrustSnapshot.objects.create(
            team=wang.team, person=twin, day=day + dt.timedelta(days=offset), t=t, **values
        )
    merge_people(actor=alice, keep=wang, other=twin)
    trend = list(TrustSnapshot.objects.filter(person=wang).values_list("day", "t"))
    # The kept person's own day stays theirs; the twin's other days join the line.
    assert trend == [
        (day, 40.0),
        (day + dt.timedelta(days=1), 20.0),
        (day + dt.timedelta(days=2), 30.0),
    ]
    entry = AuditEntry.objects.get(action="person.merge")
    assert entry.changes["moved"]["trust_snapshots"] == 2
    assert entry.changes["dropped_as_copies"]["trust_snapshots"] == 1


def test_a_pair_merged_away_by_someone_else_is_refused_with_a_clear_message(book, alice, twin):
    wang = book["wang"]
    merge_people(actor=alice, keep=wang, other=twin)
    # A second reviewer, looking at the same pair, merges the other way round.
    with pytest.raises(ValidationError) as err:
        merge_people(actor=alice, keep=twin, other=wang)
    assert err.value.message_dict["keep"] == ["this pair changed: reload the review"]
    assert Person.objects.filter(pk=wang.pk).exists()
    with pytest.raises(ValidationError) as err:
        merge_people(actor=alice, keep=wang, other=twin)
    assert err.value.message_dict["other"] == ["this pair changed: reload the review"]


def test_a_person_cannot_be_merged_with_themselves(book, alice):
    with pytest.raises(ValidationError) as err:
        merge_people(actor=alice, keep=book["wang"], other=book["wang"])
    assert "other" in err.value.message_dict


def test_people_of_another_team_cannot_be_merged(book, alice, charlie):
    with pytest.raises(ValidationError):
        merge_people(actor=alice, keep=book["wang"], other=book["charlies"])
    with pytest.raises(ValidationError):
        merge_people(actor=charlie, keep=book["charlies"], other=book["wang"])
    assert Person.objects.filter(pk=book["charlies"].pk).exists()


def test_a_colleagues_private_contact_cannot_be_merged(book, alice, bob):
    with pytest.raises(ValidationError) as err:
        merge_people(actor=alice, keep=book["anna"], other=book["bobs_secret"])
    assert err.value.message_dict["other"] == ["no such person"]
    with pytest.raises(ValidationError):
        merge_people(actor=alice, keep=book["bobs_secret"], other=book["anna"])
    assert Person.objects.filter(pk=book["bobs_secret"].pk).exists()


def test_a_team_members_own_record_is_kept_never_merged_away(book, alice, bob):
    bobs_own = bob.member.person
    card = person_create(actor=alice, display_name="Bob Brown", headline="Our partner lead")
    with pytest.raises(ValidationError) as err:
        merge_people(actor=alice, keep=card, other=bobs_own)
    assert "team member" in err.value.message_dict["other"][0]

    merge_people(actor=alice, keep=bobs_own, other=card)
    bobs_own.refresh_from_db()
    assert bobs_own.headline == "Our partner lead"
    bob.member.refresh_from_db()
    assert bob.member.person_id == bobs_own.pk


def test_a_shared_record_is_not_merged_away_into_a_private_one(book, alice):
    with pytest.raises(ValidationError) as err:
        merge_people(actor=alice, keep=book["alices_secret"], other=book["anna"])
    assert "keep" in err.value.message_dict


def test_merging_a_private_contact_into_a_shared_one_shares_its_history(book, alice, bob):
    secret = book["alices_secret"]
    call = interaction_create(
        actor=alice, participants=[secret], kind="call", occurred_at=WHEN, summary="Quiet call"
    )
    assert Interaction.objects.get(pk=call.pk).visibility == "private"
    merge_people(actor=alice, keep=book["anna"], other=secret)
    assert Interaction.objects.get(pk=call.pk).visibility == "team"


def test_a_failure_midway_leaves_both_people_as_they_were(book, alice, twin, monkeypatch):
    def broken(keep: Person, other: Person, field: models.Field) -> merge.Moved:
        raise RuntimeError("disk full")

    monkeypatch.setitem(HANDLERS, "trust.Survey.person", ("surveys", broken))
    facts_before = Fact.objects.filter(person=twin).count()
    with pytest.raises(RuntimeError):
        merge_people(actor=alice, keep=book["wang"], other=twin)
    assert Person.objects.filter(pk=twin.pk).exists()
    assert Fact.objects.filter(person=twin).count() == facts_before
    assert not AuditEntry.objects.filter(action="person.merge").exists()


def test_an_unlisted_relation_moves_unless_a_uniqueness_rule_could_break(
    book, alice, twin, monkeypatch
):
    monkeypatch.delitem(HANDLERS, "trust.Claim.person")
    merge_people(actor=alice, keep=book["wang"], other=twin)
    assert Claim.objects.filter(person=book["wang"]).count() == 1

    other = person_create(actor=alice, display_name="Anna Lee (card)")
    monkeypatch.delitem(HANDLERS, "transfer.ImportedContact.person")
    with pytest.raises(NotImplementedError, match=r"ImportedContact\.person"):
        merge_people(actor=alice, keep=book["anna"], other=other)


def test_pairs_reviewed_as_different_people_stay_reviewed_after_a_merge(book, alice, twin):
    wang, anna = book["wang"], book["anna"]
    # Someone sharing the twin's private address, reviewed as another person.
    namesake = person_create(
        actor=alice,
        display_name="Xiaoming Wang (Lenovo)",
        channels=[{"kind": "email", "value": "xm@private.example"}],
    )
    merge.distinct_pair_create(actor=alice, first=twin, second=namesake)
    merge.distinct_pair_create(actor=alice, first=twin, second=anna)
    merge.distinct_pair_create(actor=alice, first=wang, second=anna)  # said of both
    merge.distinct_pair_create(actor=alice, first=wang, second=twin)  # then merged anyway
    merge_people(actor=alice, keep=wang, other=twin)

    pairs = set(DistinctPair.objects.values_list("first_id", "second_id"))
    assert pairs == {tuple(sorted((wang.pk, namesake.pk))), tuple(sorted((wang.pk, anna.pk)))}
    # The kept person now has the shared address, and the review does not ask again.
    found = {c.pair for c in duplicate_queries.duplicate_candidates(alice)}
    assert tuple(sorted((wang.pk, namesake.pk))) not in found


def test_two_people_said_to_be_different_are_recorded_once_and_audited(book, alice):
    merge.distinct_pair_create(actor=alice, first=book["anna"], second=book["wang"])
    merge.distinct_pair_create(actor=alice, first=book["wang"], second=book["anna"])
    pair = DistinctPair.objects.get()
    assert (pair.first_id, pair.second_id) == tuple(sorted([book["anna"].pk, book["wang"].pk]))
    assert AuditEntry.objects.filter(action="person.distinct").count() == 1


def test_nobody_dismisses_a_pair_they_cannot_see(book, alice):
    with pytest.raises(ValidationError):
        merge.distinct_pair_create(actor=alice, first=book["anna"], second=book["bobs_secret"])
    with pytest.raises(ValidationError):
        merge.distinct_pair_create(actor=alice, first=book["anna"], second=book["anna"])


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_merging_one_pair_in_opposite_directions_end_with_one_person():
    """On PostgreSQL each merge locks both people: in one statement, in id order, so the
    second merge waits for the first and then finds the pair gone (a message, not a
    deadlock or an error page). SQLite runs one writer at a time anyway."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; row locks are PostgreSQL's")
    alice = make_user("alice", "Alpha Advisory")
    for _round in range(8):
        first = person_create(actor=alice, display_name="Wang Xiaoming")
        second = person_create(actor=alice, display_name="Xiaoming Wang")
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def merge_into(
            keep: Person, other: Person, start: threading.Barrier, outcomes: list[str]
        ) -> None:
            try:
                start.wait()
                merge_people(actor=alice, keep=keep, other=other)
                outcomes.append("merged")
            except ValidationError as exc:
                outcomes.append(exc.messages[0])
            except Exception as exc:  # a deadlock, or a vanished row
                outcomes.append(f"error: {exc!r}")
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=merge_into, args=(first, second, start, outcomes)),
            threading.Thread(target=merge_into, args=(second, first, start, outcomes)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["merged", "this pair changed: reload the review"]
        assert Person.objects.filter(pk__in=[first.pk, second.pk]).count() == 1
