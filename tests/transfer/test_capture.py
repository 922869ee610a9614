"""Mail and calendar archives into the interaction log: matching, direction, dedup, the
transaction (dry run, abort) and the walls between users and teams."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from rapport.accounts.models import AuditEntry
from rapport.accounts.services import member_update_preferences
from rapport.interactions.models import Interaction, Participation
from rapport.people.models import Person
from rapport.people.services import person_create
from rapport.transfer.calendar_import import read_calendar
from rapport.transfer.capture import CaptureAborted, capture_meetings, capture_messages
from rapport.transfer.mail import read_eml_folder, read_mbox

MAIL = Path(__file__).parent / "corpus" / "mail"
MBOX = MAIL / "archive.mbox"


def counts() -> tuple[int, int, int, int]:
    return (
        Interaction.objects.count(),
        Participation.objects.count(),
        Person.objects.count(),
        AuditEntry.objects.count(),
    )


def import_mbox(actor: Any, **options: Any) -> Any:
    options.setdefault("on_error", "skip")
    return capture_messages(actor, read_mbox(MBOX), source_name="archive.mbox", **options)


def emails(actor: Any) -> dict[str, Interaction]:
    return {
        i.external_id: i
        for i in Interaction.objects.filter(team_id=actor.member.team_id, source="email")
    }


def test_it_records_each_message_with_the_known_people_on_it(book: dict[str, Any], alice: Any):
    report = import_mbox(alice)
    assert (report.created, report.skipped, report.errors) == (3, 3, 1)
    logged = emails(alice)
    assert set(logged) == {
        "thread-1@huawei.example",
        "reply-2@example.com",
        "reply-3@northwind.example",
    }
    first = logged["thread-1@huawei.example"]
    assert first.kind == "email" and first.owner == alice
    assert first.summary == "关于合作的建议——朱镕基"
    assert list(first.participants.all()) == [book["wang"]]
    assert first.occurred_at == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    assert "Thread: `thread-1@huawei.example`" in first.notes
    assert "quote.pdf" in first.notes
    reply = logged["reply-2@example.com"]
    assert set(reply.participants.all()) == {book["wang"], book["anna"]}
    # The thread's root is kept on every message of it.
    assert "Thread: `thread-1@huawei.example`" in logged["reply-3@northwind.example"].notes


def test_direction_comes_from_the_users_own_addresses(book: dict[str, Any], alice: Any):
    import_mbox(alice)
    logged = emails(alice)
    assert logged["thread-1@huawei.example"].initiated_by == "them"
    assert logged["reply-2@example.com"].initiated_by == "us"
    assert logged["reply-3@northwind.example"].initiated_by == "them"


def test_an_address_on_the_users_own_person_counts_as_ours(book: dict[str, Any], alice: Any):
    from rapport.people.services import person_update

    own = alice.member.person
    person_update(
        actor=alice,
        person=own,
        channels=[
            {"kind": "email", "value": "alice@example.com"},
            {"kind": "email", "value": "alice.private@home.example"},
        ],
    )
    data = (
        b"From alice.private@home.example Mon Mar  2 03:00:00 2026\n"
        b"From: Alice <Alice.Private@home.example>\nTo: anna@northwind.example\n"
        b"Subject: from home\nDate: Mon, 2 Mar 2026 03:00:00 +0000\nMessage-ID: <home-1@x>\n\nhi\n"
    )
    report = capture_messages(alice, read_mbox(data), source_name="home.mbox")
    assert report.created == 1
    interaction = emails(alice)["home-1@x"]
    assert interaction.initiated_by == "us"
    assert list(interaction.participants.all()) == [book["anna"]]


def test_a_message_with_nobody_known_is_skipped_with_the_reason(book: dict[str, Any], alice: Any):
    report = import_mbox(alice)
    skipped = report.lines("skipped")
    assert any(
        "message 6, line 73" in line and "stranger@unknown.example" in line for line in skipped
    )
    assert any("message 5, line 70" in line and "header" in line for line in skipped)


def test_re_importing_adds_nothing(book: dict[str, Any], alice: Any):
    import_mbox(alice)
    before = counts()
    again = import_mbox(alice)
    assert again.created == 0
    assert counts() == before
    assert any("already recorded" in line for line in again.lines("skipped"))


def test_re_importing_with_create_people_adds_nothing(book: dict[str, Any], alice: Any):
    first = import_mbox(alice, create_people=True)
    assert first.created == 5 and first.people_created == 2
    before = counts()
    again = import_mbox(alice, create_people=True)
    assert (again.created, again.people_created) == (0, 0)
    assert counts() == before


def test_people_are_created_only_when_asked_named_from_the_header(book: dict[str, Any], alice: Any):
    report = import_mbox(alice, create_people=True)
    assert report.people_created == 2
    stranger = Person.objects.get(channels__value="stranger@unknown.example")
    assert stranger.display_name == "Stranger" and stranger.owner == alice
    newsletter = Person.objects.get(channels__value="newsletter@example.org")
    assert newsletter.display_name == "newsletter"
    generated = [i for i in emails(alice) if i.endswith("@generated.rapport")]
    assert len(generated) == 1


def test_a_dry_run_reports_exact_counts_and_writes_nothing(book: dict[str, Any], alice: Any):
    before = counts()
    dry = import_mbox(alice, dry_run=True, create_people=True)
    assert counts() == before
    real = import_mbox(alice, create_people=True)
    assert (dry.created, dry.skipped, dry.people_created) == (
        real.created,
        real.skipped,
        real.people_created,
    )
    assert dry.lines()[0].startswith("would ")


def test_an_abort_leaves_the_database_as_it_was(book: dict[str, Any], alice: Any):
    before = counts()
    with pytest.raises(CaptureAborted) as caught:
        import_mbox(alice, on_error="abort", create_people=True)
    assert "archive.mbox, message 5, line 70" in str(caught.value)
    assert counts() == before


def test_last_contact_and_audit_follow_the_import(book: dict[str, Any], alice: Any):
    import_mbox(alice, create_people=True)
    stranger = Person.objects.get(channels__value="stranger@unknown.example")
    assert stranger.last_interaction_at == dt.datetime(2026, 3, 6, 7, 0, tzinfo=dt.UTC)
    # An older message never moves the last contact back (Anna met Alice in November).
    anna = Person.objects.get(pk=book["anna"].pk)
    assert anna.last_interaction_at == book["meeting"].occurred_at
    reply = emails(alice)["reply-3@northwind.example"]
    entry = AuditEntry.objects.get(object_type="interaction", object_id=reply.pk)
    assert entry.action == "interaction.create" and entry.actor == alice


def test_another_team_is_never_matched_nor_touched(book: dict[str, Any], charlie: Any):
    before = Interaction.objects.filter(team_id=book["wang"].team_id).count()
    report = import_mbox(charlie, create_people=False)
    assert report.created == 0
    assert Interaction.objects.filter(team_id=book["wang"].team_id).count() == before
    assert not Participation.objects.filter(interaction__team_id=charlie.member.team_id).exclude(
        person__team_id=charlie.member.team_id
    )


def test_the_same_message_in_two_teams_is_recorded_in_each(
    book: dict[str, Any], alice: Any, charlie: Any
):
    person_create(
        actor=charlie,
        display_name="Anna at Charlie's",
        channels=[{"kind": "email", "value": "anna@northwind.example"}],
    )
    import_mbox(alice)
    report = import_mbox(charlie)
    assert report.created == 2  # Anna is on two messages; Charlie's book knows her too
    theirs = emails(charlie)["reply-3@northwind.example"]
    assert [p.team_id for p in theirs.participants.all()] == [charlie.member.team_id]


def test_a_colleagues_private_contact_is_never_matched(book: dict[str, Any], alice: Any, bob: Any):
    person_create(
        actor=bob,
        display_name="Bob's secret",
        visibility="private",
        channels=[{"kind": "email", "value": "stranger@unknown.example"}],
    )
    report = import_mbox(alice)
    assert report.created == 3
    assert "cold-6@unknown.example" not in emails(alice)
    # Bob matches his own private contact, and the interaction is private to him.
    import_mbox(bob)
    cold = Interaction.objects.get(external_id="cold-6@unknown.example")
    assert cold.owner == bob and cold.visibility == "private"


def test_an_eml_folder_is_recorded_with_its_bad_file_reported(book: dict[str, Any], alice: Any):
    report = capture_messages(
        alice, read_eml_folder(MAIL / "eml"), source_name="eml", on_error="skip"
    )
    assert (report.created, report.errors) == (2, 1)
    assert emails(alice)["eml-2@huawei.example"].summary == "会议纪要"
    assert any("03-broken.eml" in line for line in report.lines("skipped"))


def test_progress_is_told_how_many_records_were_handled(book: dict[str, Any], alice: Any):
    seen: list[int] = []
    import_mbox(alice, progress=seen.append)
    assert sum(seen) == 6


# -- meetings --------------------------------------------------------------------------


def import_ics(actor: Any, name: str, **options: Any) -> Any:
    options.setdefault("on_error", "skip")
    return capture_meetings(actor, read_calendar(MAIL / name), source_name=name, **options)


def meetings(actor: Any) -> dict[str, Interaction]:
    return {
        i.external_id: i
        for i in Interaction.objects.filter(team_id=actor.member.team_id, source="calendar")
    }


def test_a_meeting_is_recorded_with_its_attendees_at_the_right_time(
    book: dict[str, Any], alice: Any
):
    report = import_ics(alice, "outlook.ics")
    assert report.created == 2
    logged = sorted(meetings(alice).values(), key=lambda i: i.occurred_at)
    master, moved = logged
    assert master.kind == "meeting" and master.initiated_by == "us"
    assert master.occurred_at == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    assert master.duration_minutes == 60
    assert set(master.participants.all()) == {book["wang"], book["anna"]}
    assert "only its first occurrence" in master.notes
    assert moved.external_id.endswith("#20260309T020000Z")
    assert moved.occurred_at == dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC)


def test_a_cancelled_event_is_skipped_and_an_all_day_one_sits_in_the_users_zone(
    book: dict[str, Any], alice: Any
):
    member_update_preferences(actor=alice, time_zone="Asia/Shanghai")
    alice.member.refresh_from_db()
    report = import_ics(alice, "google.ics")
    assert (report.created, report.skipped) == (2, 1)
    assert any("cancelled" in line for line in report.lines("skipped"))
    offsite = meetings(alice)["allday-offsite@google.com"]
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert offsite.occurred_at == dt.datetime(2026, 7, 20, 0, 0, tzinfo=shanghai)
    assert offsite.duration_minutes is None
    check_in = meetings(alice)["7kukuqrfedlm2f9t1d7ikbfg6g@google.com"]
    assert check_in.initiated_by == "them"
    assert check_in.occurred_at == dt.datetime(2026, 7, 15, 13, 0, tzinfo=dt.UTC)


def test_re_importing_a_calendar_adds_nothing(book: dict[str, Any], alice: Any):
    for name in ("outlook.ics", "google.ics", "apple.ics"):
        import_ics(alice, name)
    before = counts()
    for name in ("outlook.ics", "google.ics", "apple.ics"):
        assert import_ics(alice, name).created == 0
    assert counts() == before


def test_a_calendar_dry_run_writes_nothing(book: dict[str, Any], alice: Any):
    before = counts()
    report = import_ics(alice, "apple.ics", dry_run=True, create_people=True)
    assert (report.created, report.people_created) == (2, 1)
    assert counts() == before


def test_a_bad_event_aborts_the_calendar_import(book: dict[str, Any], alice: Any):
    before = counts()
    with pytest.raises(CaptureAborted) as caught:
        import_ics(alice, "broken.ics", on_error="abort")
    assert "broken.ics, event 1, line 3" in str(caught.value)
    assert counts() == before
    report = import_ics(alice, "broken.ics")
    assert (report.created, report.errors) == (1, 3)
