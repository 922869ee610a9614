"""Erasing a person: everything about them goes, from every table, and one audit entry
without their data says it happened."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.commitments.services import commitment_create
from rapport.interactions.models import Interaction
from rapport.interactions.services import interaction_create
from rapport.people.models import Person
from rapport.people.services import fact_create, person_update
from rapport.portal import survey as questions
from rapport.portal.services import share_link_create, survey_answer, survey_create
from rapport.transfer import erase, jobs
from rapport.transfer.erase import erase_person, erase_preview, unhandled_relations
from rapport.transfer.models import ImportedContact, ImportJob
from rapport.trust.models import TrustScore, TrustSnapshot
from rapport.trust.scoring import trust_refresh
from rapport.trust.services import claim_create, evidence_create, evidence_show
from tests.conftest import api_for, client_for

NAME = "Zelda Quintero"
EMAIL = "zelda.q@example.org"
PHONE = "+1 415 555 0199"
ZELDA_CARD = f"""BEGIN:VCARD
VERSION:3.0
N:Quintero;Zelda;;;
FN:{NAME}
EMAIL;TYPE=work:{EMAIL}
TEL;TYPE=cell:{PHONE}
ORG:Acme Widgets
CATEGORIES:golfers
NOTE:Met at the Lisbon fair
UID:zelda-uid-42
END:VCARD
"""


def _import_card(actor: Any, text: str = ZELDA_CARD, name: str = "zelda.vcf") -> ImportJob:
    path = jobs.imports_dir() / "0123456789abcdef0123456789abcdef.vcf"
    path.write_text(text)
    job = jobs.job_create(
        actor=actor,
        file_name=name,
        stored_name=path.name,
        file_size=path.stat().st_size,
        file_format="",
        options={"dry_run": True},
        enqueue=False,
    )
    jobs.job_run(job)  # a dry run keeps its report, naming her
    real = jobs.job_create(
        actor=actor,
        file_name=name,
        stored_name=path.name,
        file_size=path.stat().st_size,
        file_format="",
        options={},
        enqueue=False,
    )
    return jobs.job_run(real)


@pytest.fixture
def zelda(book: dict[str, Any], alice: Any) -> Person:
    """A client with a bit of everything: imported, with facts, tags, conversations
    alone and shared, promises both ways, evidence, a claim, an answered survey, a
    tracking link, trust history, someone she introduced, and mentions in others' notes."""
    job = _import_card(alice)
    assert job.status == "done", job.error
    zelda = Person.objects.get(display_name=NAME)
    anna = book["anna"]
    fact_create(actor=alice, person=zelda, category="hobby", value="Sailing")
    interaction_create(
        actor=alice,
        participants=[zelda],
        kind="call",
        occurred_at=timezone.now() - dt.timedelta(days=3),
        summary=f"Call with {NAME}",
        notes=f"Write to {EMAIL}",
    )
    interaction_create(
        actor=alice,
        participants=[zelda, anna],
        kind="meeting",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        summary=f"Introduced {NAME} to Anna",
        notes=f"{NAME} ({EMAIL}, {PHONE}) wants a demo",
        topics=["demo", NAME],
    )
    commitment_create(
        actor=alice,
        person=zelda,
        title=f"Send {NAME} the deck",
        due_on=timezone.localdate() + dt.timedelta(days=5),
    )
    commitment_create(
        actor=alice,
        person=anna,
        side="client",
        promised_by=zelda,
        title="Zelda will send Anna the specs",
        due_on=timezone.localdate() + dt.timedelta(days=5),
    )
    evidence = evidence_create(
        actor=alice, kind="award", title="Best advisory 2025", verified_on=timezone.localdate()
    )
    evidence_show(actor=alice, evidence=evidence, person=zelda, note=f"Shown to {NAME}")
    claim_create(actor=alice, person=zelda, statement="We ship in two weeks")
    survey, _token = survey_create(actor=alice, person=zelda)
    survey_answer(
        survey=survey,
        answers={q.key: "4" for q in questions.QUESTIONS},
        comment=f"-- {NAME}",
    )
    share_link_create(actor=alice, person=zelda)
    person_update(
        actor=alice, person=anna, introduced_by=zelda.pk, notes=f"Friend of {NAME}, {EMAIL}"
    )
    trust_refresh(person_ids=[zelda.pk, anna.pk])
    return zelda


def _everything_in_the_database() -> list[tuple[str, str]]:
    """(table, row text) for every row of every table."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found.append((table, " ".join(str(v) for v in row)))
    return found


def _mentions(needles: list[str]) -> list[tuple[str, str]]:
    forms = {f for n in needles for f in (n.lower(), json.dumps(n)[1:-1].lower())}
    return [(t, r) for t, r in _everything_in_the_database() if any(f in r.lower() for f in forms)]


def test_every_relation_to_a_person_is_handled_by_erasing() -> None:
    assert unhandled_relations() == [], (
        "a model points at Person: say in rapport/transfer/erase.py HANDLED what erasing "
        "a person does with it"
    )


def test_the_fixture_really_spreads_her_data_everywhere(zelda: Person) -> None:
    tables = {t for t, _r in _mentions([NAME, EMAIL])}
    assert {
        "people_person",
        "people_channel",
        "interactions_interaction",
        "commitments_commitment",
        "accounts_auditentry",
        "transfer_importjob",
    } <= tables
    assert ImportedContact.objects.filter(person=zelda).exists()
    assert TrustScore.objects.filter(person=zelda).exists()


def test_after_erasing_nothing_anywhere_holds_her_name_email_or_phone(
    zelda: Person, alice: Any
) -> None:
    erase_person(actor=alice, person=zelda, reason="request")

    assert _mentions([NAME, EMAIL, PHONE, PHONE.replace(" ", "")]) == []
    assert not Person.objects.filter(pk=zelda.pk).exists()
    assert not TrustSnapshot.objects.filter(person_id=zelda.pk).exists()


def test_erasing_keeps_others_in_shared_conversations_and_deletes_her_own(
    zelda: Person, book: dict[str, Any], alice: Any
) -> None:
    anna = book["anna"]
    shared = Interaction.objects.get(summary__startswith="Introduced")
    alone = Interaction.objects.get(summary=f"Call with {NAME}")

    erase_person(actor=alice, person=zelda)

    shared.refresh_from_db()
    assert list(shared.participants.all()) == [anna]
    assert shared.summary == "Introduced [erased] to Anna"
    assert "[erased]" in shared.notes and "wants a demo" in shared.notes
    assert not Interaction.objects.filter(pk=alone.pk).exists()
    anna.refresh_from_db()
    assert anna.introduced_by is None
    assert anna.notes == "Friend of [erased], [erased]"
    # The rest of the book is untouched.
    assert Person.objects.filter(pk=book["wang"].pk).exists()
    assert Interaction.objects.filter(pk=book["meeting"].pk).exists()


def test_one_audit_entry_says_she_was_erased_without_her_data(zelda: Person, alice: Any) -> None:
    before = AuditEntry.objects.filter(person=zelda).count()
    assert before > 0

    entry = erase_person(actor=alice, person=zelda, reason="request")

    entry.refresh_from_db()
    assert entry.action == "person.erase"
    assert entry.object_id == zelda.pk
    assert entry.actor == alice
    assert entry.changes["reason"] == "request"
    removed = entry.changes["removed"]
    assert removed["channels"] == 2
    assert removed["interactions_deleted"] == 1
    assert removed["interactions_left"] == 1
    assert removed["commitments"] == 2
    assert removed["surveys"] == 1
    assert removed["import_keys"] >= 1
    text = json.dumps(entry.changes) + entry.summary
    assert "Zelda" not in text and EMAIL not in text
    # The earlier entries about her are still there, blanked.
    blanked = AuditEntry.objects.filter(summary=erase.ERASED_SUMMARY)
    assert blanked.count() >= before


def test_the_preview_counts_what_erasing_removes_and_changes_nothing(
    zelda: Person, alice: Any
) -> None:
    plan = erase_preview(actor=alice, person=zelda)

    assert plan.counts["channels"] == 2
    assert plan.counts["interactions_deleted"] == 1
    assert plan.counts["introductions_cleared"] == 1
    assert Person.objects.filter(pk=zelda.pk).exists()


def test_a_team_members_own_person_cannot_be_erased(alice: Any, bob: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        erase_person(actor=alice, person=bob.member.person)
    assert "member" in str(caught.value)
    assert Person.objects.filter(pk=bob.member.person_id).exists()


def test_another_users_private_contact_and_another_teams_person_are_out_of_reach(
    book: dict[str, Any], alice: Any
) -> None:
    for person in (book["bobs_secret"], book["charlies"]):
        with pytest.raises(Http404):
            erase_person(actor=alice, person=person)
        assert Person.objects.filter(pk=person.pk).exists()


def test_an_unknown_reason_is_refused_naming_the_field(zelda: Person, alice: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        erase_person(actor=alice, person=zelda, reason="because I said so")
    assert "reason" in caught.value.message_dict
    assert Person.objects.filter(pk=zelda.pk).exists()


def test_a_private_contact_is_erased_by_its_owner(book: dict[str, Any], alice: Any) -> None:
    secret = book["alices_secret"]
    entry = erase_person(actor=alice, person=secret)
    assert entry.private_to == alice
    assert not Person.objects.filter(pk=secret.pk).exists()


# -- the page ----------------------------------------------------------------------------


def test_the_person_page_links_to_the_export_and_the_erasure(zelda: Person, alice: Any) -> None:
    page = client_for(alice).get(reverse("person_detail", args=[zelda.pk])).text
    assert reverse("person_export", args=[zelda.pk]) in page
    assert reverse("person_erase", args=[zelda.pk]) in page


def test_the_confirmation_lists_what_goes_and_wants_the_name_typed(
    zelda: Person, alice: Any
) -> None:
    web = client_for(alice)
    url = reverse("person_erase", args=[zelda.pk])

    page = web.get(url)
    assert page.status_code == 200
    assert "Email addresses, phones and other channels: <b>2</b>" in page.text

    wrong = web.post(url, {"confirm_name": "Zelda", "reason": "request"})
    assert wrong.status_code == 422
    assert Person.objects.filter(pk=zelda.pk).exists()

    done = web.post(url, {"confirm_name": NAME, "reason": "request"})
    assert done.status_code == 302
    assert not Person.objects.filter(pk=zelda.pk).exists()
    assert AuditEntry.objects.filter(action="person.erase", object_id=zelda.pk).exists()


def test_the_erase_page_of_someone_out_of_reach_is_404(book: dict[str, Any], alice: Any) -> None:
    web = client_for(alice)
    for person in (book["bobs_secret"], book["charlies"]):
        assert web.get(reverse("person_erase", args=[person.pk])).status_code == 404
        assert web.post(reverse("person_erase", args=[person.pk]), {}).status_code == 404


def test_the_data_subject_download_holds_everything_about_her(zelda: Person, alice: Any) -> None:
    response = client_for(alice).get(reverse("person_export", args=[zelda.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["person"]["display_name"] == NAME
    assert len(data["interactions"]) == 2
    assert len(data["surveys"]) == 1


def test_erasing_over_the_api(zelda: Person, alice: Any, charlie: Any) -> None:
    assert (
        api_for(charlie)
        .post(f"/api/v1/people/{zelda.pk}/erase", {}, content_type="application/json")
        .status_code
        == 404
    )
    response = api_for(alice).post(
        f"/api/v1/people/{zelda.pk}/erase", {"reason": "request"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["person_id"] == zelda.pk
    assert body["removed"]["channels"] == 2
    assert not Person.objects.filter(pk=zelda.pk).exists()


def test_erasing_a_member_over_the_api_is_a_clear_error(alice: Any, bob: Any) -> None:
    response = api_for(alice).post(
        f"/api/v1/people/{bob.member.person_id}/erase", {}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "person"


# -- the command -------------------------------------------------------------------------


def test_rapport_erase_shows_what_goes_asks_and_erases(tmp_path: Any) -> None:
    from tests.test_cli import query, run

    run(tmp_path, "init")
    run(tmp_path, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")
    cards = tmp_path / "zelda.vcf"
    cards.write_text(ZELDA_CARD)
    run(tmp_path, "import", str(cards))
    (person_id,) = query(tmp_path, "select id from people_person where display_name = ?", NAME)[0]

    declined = run(tmp_path, "erase", str(person_id), check=False)
    assert declined.returncode == 1
    assert "channels: 2" in declined.stdout
    assert query(tmp_path, "select count(*) from people_person where id = ?", person_id) == [(1,)]

    done = run(tmp_path, "erase", str(person_id), "--yes", "--reason", "request")
    assert f"Erased person {person_id}" in done.stdout
    assert query(tmp_path, "select count(*) from people_person where id = ?", person_id) == [(0,)]
    rows = query(tmp_path, "select summary, changes from accounts_auditentry")
    assert not [r for r in rows if NAME in str(r) or EMAIL in str(r)]
    assert query(
        tmp_path, "select count(*) from accounts_auditentry where action = ?", "person.erase"
    ) == [(1,)]

    missing = run(tmp_path, "erase", "99999", "--yes", check=False)
    assert missing.returncode == 1 and "no person 99999" in missing.stderr


def test_a_chinese_name_is_erased_everywhere_too(book: dict[str, Any], alice: Any) -> None:
    wang = book["wang"]
    interaction_create(
        actor=alice,
        participants=[book["anna"]],
        kind="note",
        occurred_at=timezone.now(),
        summary="Anna mentioned 王小明 again",
        topics=["王小明"],
    )
    assert _mentions(["王小明"])

    erase_person(actor=alice, person=wang, reason="request")

    assert _mentions(["王小明", "Wang Xiaoming", "xiaoming.wang@huawei.example", "wx_wangxm"]) == []
    assert Interaction.objects.filter(summary="Anna mentioned [erased] again").exists()
