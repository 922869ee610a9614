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
from rapport.commitments.models import Commitment
from rapport.commitments.services import commitment_create
from rapport.core.markup import render_markdown
from rapport.interactions.models import Interaction
from rapport.interactions.services import interaction_create
from rapport.people.models import Organisation, Person
from rapport.people.services import (
    fact_create,
    organisation_create,
    person_create,
    person_update,
    role_create,
)
from rapport.portal import survey as questions
from rapport.portal.services import share_link_create, survey_answer, survey_create
from rapport.transfer import erase, jobs
from rapport.transfer.capture import capture_messages
from rapport.transfer.erase import erase_person, erase_preview, unhandled_relations
from rapport.transfer.mail import read_mbox
from rapport.transfer.models import ImportedContact, ImportJob
from rapport.trust.models import TrustScore, TrustSnapshot
from rapport.trust.scoring import trust_refresh
from rapport.trust.services import claim_create, evidence_create, evidence_show
from tests.conftest import api_for, client_for

NAME = "Sam Lee"
EMAIL = "sam_lee@example.org"
# How imported mail and calendar notes store it (Markdown punctuation escaped).
EMAIL_IN_NOTES = "sam\\_lee@example.org"
PHONE = "+1 415 555 0199"
WECHAT = "wx_samlee"
SAM_CARD = f"""BEGIN:VCARD
VERSION:3.0
N:Lee;Sam;;;
FN:{NAME}
EMAIL;TYPE=work:{EMAIL}
TEL;TYPE=cell:{PHONE}
X-WECHAT:{WECHAT}
ORG:Acme Widgets
CATEGORIES:golfers
NOTE:Met at the Lisbon fair
UID:sam-uid-42
END:VCARD
"""


def _import_card(actor: Any, text: str = SAM_CARD, name: str = "sam.vcf") -> ImportJob:
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
def sam(book: dict[str, Any], alice: Any) -> Person:
    """A client with a bit of everything: imported, with facts, tags, conversations
    alone and shared, promises both ways, evidence, a claim, an answered survey, a
    tracking link, trust history, someone she introduced, and mentions in others' notes."""
    job = _import_card(alice)
    assert job.status == "done", job.error
    sam = Person.objects.get(display_name=NAME)
    anna = book["anna"]
    fact_create(actor=alice, person=sam, category="hobby", value="Sailing")
    interaction_create(
        actor=alice,
        participants=[sam],
        kind="call",
        occurred_at=timezone.now() - dt.timedelta(days=3),
        summary=f"Call with {NAME}",
        notes=f"Write to {EMAIL}",
    )
    interaction_create(
        actor=alice,
        participants=[sam, anna],
        kind="meeting",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        summary=f"Introduced {NAME} to Anna",
        notes=f"{NAME} ({EMAIL}, {PHONE}) wants a demo",
        topics=["demo", NAME],
    )
    commitment_create(
        actor=alice,
        person=sam,
        title=f"Send {NAME} the deck",
        due_on=timezone.localdate() + dt.timedelta(days=5),
    )
    commitment_create(
        actor=alice,
        person=anna,
        side="client",
        promised_by=sam,
        title="Sam will send Anna the specs",
        due_on=timezone.localdate() + dt.timedelta(days=5),
    )
    evidence = evidence_create(
        actor=alice, kind="award", title="Best advisory 2025", verified_on=timezone.localdate()
    )
    evidence_show(actor=alice, evidence=evidence, person=sam, note=f"Shown to {NAME}")
    claim_create(actor=alice, person=sam, statement="We ship in two weeks")
    survey, _token = survey_create(actor=alice, person=sam)
    survey_answer(
        survey=survey,
        answers={q.key: "4" for q in questions.QUESTIONS},
        comment=f"-- {NAME}",
    )
    share_link_create(actor=alice, person=sam)
    person_update(
        actor=alice, person=anna, introduced_by=sam.pk, notes=f"Friend of {NAME}, {EMAIL}"
    )
    # Anna's mail, imported: its notes hold the address with "_" escaped as "\\_".
    mail = (
        "From anna@northwind.example Mon Mar  2 03:00:00 2026\n"
        "From: Anna Lee <anna@northwind.example>\nTo: alice@example.com\n"
        "Subject: intro\nDate: Mon, 2 Mar 2026 03:00:00 +0000\nMessage-ID: <intro-1@x>\n\n"
        f"Please write to {EMAIL}, he is on WeChat as {WECHAT} too.\n"
    )
    capture_messages(alice, read_mbox(mail.encode()), source_name="anna.mbox")
    trust_refresh(person_ids=[sam.pk, anna.pk])
    return sam


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


def test_the_fixture_really_spreads_her_data_everywhere(sam: Person) -> None:
    tables = {t for t, _r in _mentions([NAME, EMAIL])}
    assert {
        "people_person",
        "people_channel",
        "interactions_interaction",
        "commitments_commitment",
        "accounts_auditentry",
        "transfer_importjob",
    } <= tables
    assert ImportedContact.objects.filter(person=sam).exists()
    assert TrustScore.objects.filter(person=sam).exists()


def test_after_erasing_nothing_anywhere_holds_her_name_email_or_phone(
    sam: Person, alice: Any
) -> None:
    erase_person(actor=alice, person=sam, reason="request")

    assert (
        _mentions(
            [NAME, EMAIL, EMAIL_IN_NOTES, WECHAT, "wx\\_samlee", PHONE, PHONE.replace(" ", "")]
        )
        == []
    )
    assert not Person.objects.filter(pk=sam.pk).exists()
    assert not TrustSnapshot.objects.filter(person_id=sam.pk).exists()


def test_erasing_keeps_others_in_shared_conversations_and_deletes_her_own(
    sam: Person, book: dict[str, Any], alice: Any
) -> None:
    anna = book["anna"]
    shared = Interaction.objects.get(summary__startswith="Introduced")
    alone = Interaction.objects.get(summary=f"Call with {NAME}")

    erase_person(actor=alice, person=sam)

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


def test_one_audit_entry_says_she_was_erased_without_her_data(sam: Person, alice: Any) -> None:
    before = AuditEntry.objects.filter(person=sam).count()
    assert before > 0

    entry = erase_person(actor=alice, person=sam, reason="request")

    entry.refresh_from_db()
    assert entry.action == "person.erase"
    assert entry.object_id == sam.pk
    assert entry.actor == alice
    assert entry.changes["reason"] == "request"
    removed = entry.changes["removed"]
    assert removed["channels"] == 3
    assert removed["interactions_deleted"] == 1
    assert removed["interactions_left"] == 1
    # The promise made to her goes; the one she made to Anna stays, without her.
    assert removed["commitments"] == 1
    assert removed["commitments_kept"] == 1
    assert removed["surveys"] == 1
    assert removed["import_keys"] >= 1
    text = json.dumps(entry.changes) + entry.summary
    assert NAME not in text and EMAIL not in text
    # The earlier entries about her are still there, blanked.
    blanked = AuditEntry.objects.filter(summary=erase.ERASED_SUMMARY)
    assert blanked.count() >= before


def test_the_preview_counts_what_erasing_removes_and_changes_nothing(
    sam: Person, alice: Any
) -> None:
    plan = erase_preview(actor=alice, person=sam)

    assert plan.counts["channels"] == 3
    assert plan.counts["interactions_deleted"] == 1
    assert plan.counts["introductions_cleared"] == 1
    assert Person.objects.filter(pk=sam.pk).exists()


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


def test_an_unknown_reason_is_refused_naming_the_field(sam: Person, alice: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        erase_person(actor=alice, person=sam, reason="because I said so")
    assert "reason" in caught.value.message_dict
    assert Person.objects.filter(pk=sam.pk).exists()


def test_a_private_contact_is_erased_by_its_owner(book: dict[str, Any], alice: Any) -> None:
    secret = book["alices_secret"]
    entry = erase_person(actor=alice, person=secret)
    assert entry.private_to == alice
    assert not Person.objects.filter(pk=secret.pk).exists()


# -- the page ----------------------------------------------------------------------------


def test_the_person_page_links_to_the_export_and_the_erasure(sam: Person, alice: Any) -> None:
    page = client_for(alice).get(reverse("person_detail", args=[sam.pk])).text
    assert reverse("person_export", args=[sam.pk]) in page
    assert reverse("person_erase", args=[sam.pk]) in page


def test_the_confirmation_lists_what_goes_and_wants_the_name_typed(sam: Person, alice: Any) -> None:
    web = client_for(alice)
    url = reverse("person_erase", args=[sam.pk])

    page = web.get(url)
    assert page.status_code == 200
    assert "Email addresses, phones and other channels: <b>3</b>" in page.text

    wrong = web.post(url, {"confirm_name": "Sam", "reason": "request"})
    assert wrong.status_code == 422
    assert Person.objects.filter(pk=sam.pk).exists()

    done = web.post(url, {"confirm_name": NAME, "reason": "request"})
    assert done.status_code == 302
    assert not Person.objects.filter(pk=sam.pk).exists()
    assert AuditEntry.objects.filter(action="person.erase", object_id=sam.pk).exists()


def test_the_erase_page_of_someone_out_of_reach_is_404(book: dict[str, Any], alice: Any) -> None:
    web = client_for(alice)
    for person in (book["bobs_secret"], book["charlies"]):
        assert web.get(reverse("person_erase", args=[person.pk])).status_code == 404
        assert web.post(reverse("person_erase", args=[person.pk]), {}).status_code == 404


def test_the_data_subject_download_holds_everything_about_her(sam: Person, alice: Any) -> None:
    response = client_for(alice).get(reverse("person_export", args=[sam.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["person"]["display_name"] == NAME
    assert len(data["interactions"]) == 2
    assert len(data["surveys"]) == 1


def test_erasing_over_the_api(sam: Person, alice: Any, charlie: Any) -> None:
    assert (
        api_for(charlie)
        .post(f"/api/v1/people/{sam.pk}/erase", {}, content_type="application/json")
        .status_code
        == 404
    )
    response = api_for(alice).post(
        f"/api/v1/people/{sam.pk}/erase", {"reason": "request"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["person_id"] == sam.pk
    assert body["removed"]["channels"] == 3
    assert not Person.objects.filter(pk=sam.pk).exists()


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
    cards = tmp_path / "sam.vcf"
    cards.write_text(SAM_CARD)
    run(tmp_path, "import", str(cards))
    (person_id,) = query(tmp_path, "select id from people_person where display_name = ?", NAME)[0]

    declined = run(tmp_path, "erase", str(person_id), check=False)
    assert declined.returncode == 1
    assert "channels: 3" in declined.stdout
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


# -- only the person's mentions go, and only the person's records ------------------------


def test_short_names_are_erased_only_where_they_name_her(
    book: dict[str, Any], alice: Any, charlie: Any
) -> None:
    """Erasing "Li Na" and "Mark" must not touch "client", "Li Nan", "marketing", nor
    "Sam Leeds"; it does replace "Li Na" in a colleague's note."""
    anna = book["anna"]
    li_na = person_create(actor=alice, given_name="Na", family_name="Li")
    mark = person_create(actor=alice, given_name="Mark")
    other_text = (
        "The client asked the same about marketing. Li Nan and Sam Leeds agree; "
        "Samuel Lee and Mark's brother Marko too."
    )
    person_update(
        actor=alice, person=anna, notes=f"{other_text} Li Na called; LI NA again. 和Li Na见面。"
    )
    note = interaction_create(
        actor=alice,
        participants=[anna],
        kind="note",
        occurred_at=timezone.now(),
        summary="Client lunch",
        notes=other_text,
    )
    org = organisation_create(actor=alice, name="Marketing Clients Ltd")
    tagged = person_create(actor=alice, display_name="Nan Li", tags=["client same"])
    theirs = interaction_create(
        actor=charlie,
        participants=[book["charlies"]],
        kind="note",
        occurred_at=timezone.now(),
        summary="Li Na called",
    )

    erase_person(actor=alice, person=li_na)
    erase_person(actor=alice, person=mark)

    anna.refresh_from_db()
    assert anna.notes == f"{other_text} [erased] called; [erased] again. 和[erased]见面。"
    note.refresh_from_db()
    assert (note.summary, note.notes) == ("Client lunch", other_text)
    org.refresh_from_db()
    assert org.name == "Marketing Clients Ltd"
    assert list(tagged.tags.values_list("name", flat=True)) == ["client same"]
    # Another team's records are not theirs to change.
    theirs.refresh_from_db()
    assert theirs.summary == "Li Na called"


def test_her_given_name_alone_goes_only_from_records_tied_to_her(
    sam: Person, book: dict[str, Any], alice: Any
) -> None:
    anna = book["anna"]
    samuel = person_create(actor=alice, given_name="Samuel", family_name="Ortiz")
    unrelated = interaction_create(
        actor=alice,
        participants=[samuel],
        kind="call",
        occurred_at=timezone.now(),
        summary="Sam from accounts called, same as last week",
        notes="Sam Leeds and Samuel Lee met the client; samples next week.",
    )

    erase_person(actor=alice, person=sam)

    promise = Commitment.objects.get(person=anna, title__endswith="will send Anna the specs")
    assert promise.title == "[erased] will send Anna the specs"
    assert promise.promised_by is None
    unrelated.refresh_from_db()
    assert unrelated.summary == "Sam from accounts called, same as last week"
    assert unrelated.notes == "Sam Leeds and Samuel Lee met the client; samples next week."


def test_mentions_in_imported_mail_and_rendered_notes_are_erased(
    sam: Person, book: dict[str, Any], alice: Any
) -> None:
    mail = Interaction.objects.get(external_id__contains="intro-1@x")
    assert EMAIL_IN_NOTES in mail.notes  # how capture stores it
    obrien = person_create(actor=alice, given_name="Siobhan", family_name="O'Brien")
    call = interaction_create(
        actor=alice,
        participants=[book["anna"]],
        kind="call",
        occurred_at=timezone.now(),
        summary="Call",
        notes="Ask **Siobhan O'Brien** about _the_ renewal",
    )

    erase_person(actor=alice, person=sam)
    erase_person(actor=alice, person=obrien)

    mail.refresh_from_db()
    assert "sam" not in (mail.notes + mail.notes_html).lower()
    assert "[erased]" in mail.notes_html
    call.refresh_from_db()
    assert call.notes == "Ask **[erased]** about _the_ renewal"
    assert call.notes_html == render_markdown(call.notes)
    assert "Brien" not in call.notes_html


def test_promises_claims_and_evidence_of_her_organisation_stay_without_her(
    sam: Person, book: dict[str, Any], alice: Any
) -> None:
    acme = Organisation.objects.get(name="Acme Widgets")
    anna = book["anna"]
    due = timezone.localdate() + dt.timedelta(days=9)
    to_acme = commitment_create(
        actor=alice, person=sam, organisation=acme, title="Pricing for Acme", due_on=due
    )
    both = commitment_create(
        actor=alice, person=sam, side="client", promised_by=sam, title="Sign", due_on=due
    )
    claim = claim_create(actor=alice, person=sam, organisation=acme, statement="ISO certified")
    evidence = evidence_create(
        actor=alice, kind="award", title="Top advisor", verified_on=timezone.localdate()
    )
    shown = evidence_show(actor=alice, evidence=evidence, person=sam, organisation=acme)
    anna_promises = Commitment.objects.filter(person=anna).count()

    plan = erase_preview(actor=alice, person=sam)
    # "Sign" is both to and by her: counted once.
    assert plan.counts["commitments"] == 2  # "Send Sam Lee the deck" and "Sign"
    assert plan.counts["commitments_kept"] == 2  # to Acme, and hers to Anna
    assert plan.counts["claims"] == 1 and plan.counts["claims_kept"] == 1
    assert plan.counts["evidence_shown"] == 1 and plan.counts["evidence_shown_kept"] == 1

    erase_person(actor=alice, person=sam)

    to_acme.refresh_from_db()
    assert (to_acme.person_id, to_acme.organisation_id) == (None, acme.pk)
    assert not Commitment.objects.filter(pk=both.pk).exists()
    claim.refresh_from_db()
    assert (claim.person_id, claim.organisation_id) == (None, acme.pk)
    shown.refresh_from_db()
    assert (shown.person_id, shown.organisation_id) == (None, acme.pk)
    assert Commitment.objects.filter(person=anna).count() == anna_promises


def test_an_organisation_named_after_her_is_renamed_without_a_clash(
    sam: Person, book: dict[str, Any], alice: Any
) -> None:
    anna = book["anna"]
    hers = organisation_create(actor=alice, name="Sam Lee Consulting")
    organisation_create(actor=alice, name="[erased] Consulting")
    role_create(actor=alice, person=anna, organisation=hers, title="Adviser")
    person_update(actor=alice, person=anna, tags=["Sam Lee fans"])
    anna.refresh_from_db()
    assert "sam lee" in anna.search_text.lower()

    erase_person(actor=alice, person=sam)

    hers.refresh_from_db()
    assert hers.name == "[erased] Consulting (2)"
    anna.refresh_from_db()
    assert list(anna.tags.values_list("name", flat=True)) == ["[erased] fans"]
    assert "sam" not in anna.search_text.lower()
    assert Person.objects.filter(search_text__contains="consulting").exists()


def test_kept_import_files_that_may_hold_her_are_deleted(
    sam: Person,
    book: dict[str, Any],
    alice: Any,
    charlie: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def upload(actor: Any, hex_name: str, status: str) -> ImportJob:
        path = jobs.imports_dir() / f"{hex_name * 32}.vcf"
        path.write_text(SAM_CARD)
        job = jobs.job_create(
            actor=actor,
            file_name="cards.vcf",
            stored_name=path.name,
            file_size=path.stat().st_size,
            file_format="",
            options={"dry_run": True},
            enqueue=False,
        )
        ImportJob.objects.filter(pk=job.pk).update(status=status)
        return job

    dry_run = upload(alice, "a", ImportJob.Status.DONE)
    running = upload(alice, "b", ImportJob.Status.RUNNING)
    other_team = upload(charlie, "c", ImportJob.Status.DONE)
    assert erase_preview(actor=alice, person=sam).counts["uploads"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        entry = erase_person(actor=alice, person=sam)

    assert entry.changes["removed"]["uploads"] == 1
    assert not jobs.job_path(dry_run).exists()
    assert jobs.job_path(running).exists()  # an import is reading it
    assert jobs.job_path(other_team).exists()
    dry_run.refresh_from_db()
    assert dry_run.stored_name == "a" * 32 + ".vcf"
