"""Promises through the services and the real database: making, closing, renegotiating
and reporting them; milestones, risks and meeting decisions; who may see them; the audit
trail; and the agenda that turns them into today's work."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from rapport.accounts.models import AuditEntry
from rapport.accounts.services import member_update_preferences
from rapport.commitments.models import (
    Commitment,
    Decision,
    Meeting,
    Milestone,
    Renegotiation,
    Risk,
)
from rapport.commitments.queries import commitment_for, visible_commitments
from rapport.commitments.services import (
    commitment_close,
    commitment_create,
    commitment_delete,
    commitment_renegotiate,
    commitment_report_back,
    commitment_update,
    decision_add,
    decision_dismiss,
    decision_follow_up,
    meeting_update,
    milestone_add,
    milestone_delete,
    risk_add,
    risk_disclose,
    risk_resolve,
)
from rapport.core.agenda import agenda_for
from rapport.interactions.services import interaction_create
from rapport.people.services import fact_create, person_create, person_update
from tests.conftest import SHANGHAI

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MADE = dt.datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
MODELS = (Commitment, Milestone, Risk, Renegotiation, Meeting, Decision, AuditEntry)


def promise(actor, **fields):
    """A promise made on 10 November, due on the 25th by default, in UTC."""
    fields.setdefault("title", "Send the renewal proposal")
    fields.setdefault("due_on", dt.date(2026, 11, 25))
    fields.setdefault("time_zone", "UTC")
    fields.setdefault("made_at", MADE)
    fields.setdefault("now", NOW)
    return commitment_create(actor=actor, **fields)


def rows():
    return {model.__name__: model.objects.count() for model in MODELS}


def refused(field, service, **arguments):
    """The service refuses, naming `field`, and leaves no row and no audit entry behind."""
    before = rows()
    with pytest.raises(ValidationError) as raised:
        service(**arguments)
    assert field in raised.value.message_dict, raised.value.message_dict
    assert rows() == before
    return raised.value


# Making promises.


def test_a_promise_to_a_person_falls_due_at_the_end_of_the_day_where_it_was_made(book, alice):
    made = promise(
        alice, person=book["wang"], time_zone="Asia/Shanghai", expected="Two priced options"
    )
    made.refresh_from_db()
    assert made.due_at == dt.datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert made.team == alice.member.team and made.owner == alice
    assert made.side == "ours" and made.promised_by == alice.member.person
    assert made.status == "open" and made.visibility == "team"
    assert made.made_at == MADE
    entry = AuditEntry.objects.get(action="commitment.create", object_id=made.pk)
    assert entry.actor == alice and entry.person == book["wang"] and entry.private_to is None


def test_a_promise_to_an_organisation_at_a_time_is_read_in_the_makers_time_zone(book, alice):
    member_update_preferences(actor=alice, time_zone="America/New_York")
    made = commitment_create(
        actor=alice,
        organisation=book["northwind"],
        title="Call back with the freight rates",
        due_on=dt.date(2026, 11, 25),
        due_time=dt.time(15, 0),
        now=NOW,
    )
    assert made.person is None and made.organisation == book["northwind"]
    assert made.time_zone == "America/New_York"
    assert made.due_at == dt.datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert made.made_at == NOW


def test_a_promise_the_client_made_names_who_made_it(book, alice):
    made = promise(
        alice, person=book["wang"], side="client", promised_by=book["wang"], title="Sign the NDA"
    )
    assert made.side == "client" and made.promised_by == book["wang"]


@pytest.mark.parametrize(
    ("due_on", "due_time"),
    [
        (dt.date(2026, 11, 9), None),  # the day before it was made
        (dt.date(2026, 11, 10), dt.time(8, 59)),  # earlier the same day
        (dt.date(2026, 11, 10), dt.time(9, 0)),  # the very moment it was made
    ],
)
def test_a_promise_due_before_it_was_made_is_refused_and_nothing_saved(
    book, alice, due_on, due_time
):
    refused(
        "due_on",
        commitment_create,
        actor=alice,
        person=book["wang"],
        title="Backdated",
        due_on=due_on,
        due_time=due_time,
        time_zone="UTC",
        made_at=MADE,
        now=NOW,
    )


def test_a_promise_due_a_minute_after_it_was_made_is_fine(book, alice):
    made = promise(alice, person=book["wang"], due_on=dt.date(2026, 11, 10), due_time=dt.time(9, 1))
    assert made.due_at == MADE + dt.timedelta(minutes=1)


def test_a_promise_made_in_the_future_is_refused(book, alice):
    refused(
        "made_at",
        promise,
        actor=alice,
        person=book["wang"],
        made_at=NOW + dt.timedelta(hours=1),
    )


def test_a_promise_is_made_to_someone_in_the_team(book, alice):
    base = {"actor": alice, "title": "Something", "due_on": dt.date(2026, 11, 25), "now": NOW}
    refused("person", commitment_create, **base)  # to nobody
    refused("person", commitment_create, person=book["charlies"], **base)
    refused("organisation", commitment_create, organisation=book["charlies_org"], **base)
    refused(
        "promised_by",
        commitment_create,
        person=book["wang"],
        side="client",
        promised_by=book["charlies"],
        **base,
    )
    refused("time_zone", commitment_create, person=book["wang"], time_zone="Mars/Base", **base)


def test_only_what_was_promised_changes_by_update_and_dates_move_by_renegotiation(book, alice):
    made = promise(alice, person=book["wang"])
    refused("due_on", commitment_update, actor=alice, commitment=made, due_on=dt.date(2026, 12, 1))
    changed = commitment_update(actor=alice, commitment=made, title="  Send three options ")
    changed.refresh_from_db()
    assert changed.title == "Send three options"
    refused(
        "promised_by", commitment_update, actor=alice, commitment=made, promised_by=book["charlies"]
    )


# Closing.


def test_a_promise_kept_in_time_closes_once(book, alice):
    made = promise(alice, person=book["wang"])
    closed = commitment_close(
        actor=alice,
        commitment=made,
        status="kept",
        delivered="Proposal with two options",
        match="met",
        now=NOW,
    )
    assert closed.status == "kept" and closed.delivered_at == NOW and closed.closed_at == NOW
    assert closed.reported_back_at is None
    for status in ("broken", "kept", "cancelled"):
        refused("status", commitment_close, actor=alice, commitment=made, status=status, now=NOW)
    made.refresh_from_db()
    assert made.status == "kept"


def test_kept_and_kept_late_must_agree_with_the_deadline(book, alice):
    # Due on the 18th in Shanghai: by 16:00 UTC that day.
    made = promise(
        alice, person=book["wang"], due_on=dt.date(2026, 11, 18), time_zone="Asia/Shanghai"
    )
    deadline = dt.datetime(2026, 11, 18, 16, 0, tzinfo=UTC)
    close = {"actor": alice, "commitment": made, "now": NOW}
    refused("status", commitment_close, status="kept", **close)  # delivered now: late
    refused("status", commitment_close, status="kept", delivered_at=deadline, **close)
    refused(
        "status",
        commitment_close,
        status="kept_late",
        delivered_at=deadline - dt.timedelta(seconds=1),
        **close,
    )
    refused(
        "delivered_at",
        commitment_close,
        status="kept",
        delivered_at=MADE - dt.timedelta(minutes=1),
        **close,
    )
    refused(
        "delivered_at",
        commitment_close,
        status="kept",
        delivered_at=NOW.replace(tzinfo=None),
        **close,
    )
    refused("status", commitment_close, status="open", **close)
    refused("delivered_at", commitment_close, status="broken", delivered_at=deadline, **close)
    refused("match", commitment_close, status="cancelled", match="met", **close)
    made.refresh_from_db()
    assert made.status == "open" and made.closed_at is None
    closed = commitment_close(status="kept_late", delivered_at=deadline, **close)
    assert closed.status == "kept_late" and closed.delivered_at == deadline


def test_a_promise_delivered_just_before_the_deadline_was_kept(book, alice):
    made = promise(
        alice, person=book["wang"], due_on=dt.date(2026, 11, 18), time_zone="Asia/Shanghai"
    )
    just_in_time = dt.datetime(2026, 11, 18, 15, 59, 59, tzinfo=UTC)
    closed = commitment_close(
        actor=alice, commitment=made, status="kept", delivered_at=just_in_time, now=NOW
    )
    assert closed.status == "kept"


def test_a_close_is_reported_back_once_and_only_after_closing(book, alice):
    made = promise(alice, person=book["wang"])
    refused("status", commitment_report_back, actor=alice, commitment=made, now=NOW)
    closed = commitment_close(
        actor=alice, commitment=made, status="broken", note="Supplier let us down", now=NOW
    )
    assert closed.reported_back_at is None
    told = NOW - dt.timedelta(minutes=5)
    reported = commitment_report_back(actor=alice, commitment=closed, at=told, now=NOW)
    reported.refresh_from_db()
    assert reported.reported_back_at == told
    refused("reported_back_at", commitment_report_back, actor=alice, commitment=reported, now=NOW)


def test_closing_can_say_the_client_was_told_at_once(book, alice):
    made = promise(alice, person=book["wang"])
    closed = commitment_close(
        actor=alice, commitment=made, status="kept", reported_back=True, now=NOW
    )
    assert closed.reported_back_at == NOW
    refused("reported_back_at", commitment_report_back, actor=alice, commitment=closed, now=NOW)


# Renegotiating.


def test_a_new_date_agreed_before_the_old_deadline_is_a_renegotiation_in_time(book, alice):
    made = promise(alice, person=book["wang"])  # due by the end of the 25th, UTC
    change = commitment_renegotiate(
        actor=alice,
        commitment=made,
        new_due_on=dt.date(2026, 12, 2),
        told_client_at=NOW - dt.timedelta(hours=1),
        reason="Waiting for legal",
        now=NOW,
    )
    assert change.in_time
    assert change.old_due_on == dt.date(2026, 11, 25)
    assert change.old_due_at == dt.datetime(2026, 11, 26, tzinfo=UTC)
    assert change.new_due_at == dt.datetime(2026, 12, 3, tzinfo=UTC)
    made.refresh_from_db()
    assert made.due_on == dt.date(2026, 12, 2) and made.due_at == change.new_due_at
    entry = AuditEntry.objects.get(action="commitment.renegotiate")
    assert entry.changes == {"from": "2026-11-25", "to": "2026-12-02", "in_time": True}


def test_a_new_date_set_after_the_deadline_passed_is_a_slip(book, alice):
    made = promise(alice, person=book["wang"], due_on=dt.date(2026, 11, 18))  # by 19th 00:00
    late = commitment_renegotiate(
        actor=alice,
        commitment=made,
        new_due_on=dt.date(2026, 11, 27),
        told_client_at=dt.datetime(2026, 11, 19, 0, 0, tzinfo=UTC),  # the deadline itself
        now=NOW,
    )
    assert not late.in_time
    quiet = commitment_renegotiate(
        actor=alice, commitment=made, new_due_on=dt.date(2026, 11, 30), now=NOW
    )
    assert not quiet.in_time  # the client was never told
    assert [r.new_due_on for r in made.renegotiations.all()] == [
        dt.date(2026, 11, 27),
        dt.date(2026, 11, 30),
    ]
    move = {"actor": alice, "commitment": made, "now": NOW}
    refused("new_due_on", commitment_renegotiate, new_due_on=dt.date(2026, 11, 30), **move)
    refused("new_due_on", commitment_renegotiate, new_due_on=dt.date(2026, 11, 9), **move)
    refused(
        "told_client_at",
        commitment_renegotiate,
        new_due_on=dt.date(2026, 12, 5),
        told_client_at=NOW + dt.timedelta(days=1),
        **move,
    )
    commitment_close(actor=alice, commitment=made, status="cancelled", now=NOW)
    refused("status", commitment_renegotiate, new_due_on=dt.date(2026, 12, 5), **move)


# Milestones and risks.


def test_progress_is_recorded_on_an_open_promise_only(book, alice):
    made = promise(alice, person=book["wang"])
    step = milestone_add(
        actor=alice,
        commitment=made,
        title=" Draft written ",
        at=MADE + dt.timedelta(days=2),
        now=NOW,
    )
    assert step.title == "Draft written" and step.created_by == alice
    progress = {"actor": alice, "commitment": made, "now": NOW}
    refused("at", milestone_add, title="Too early", at=MADE - dt.timedelta(days=1), **progress)
    refused("at", milestone_add, title="Too soon", at=NOW + dt.timedelta(days=1), **progress)
    commitment_close(actor=alice, commitment=made, status="cancelled", now=NOW)
    refused("commitment", milestone_add, title="Sent anyway", **progress)
    refused("commitment", risk_add, title="Too late to matter", **progress)
    assert list(made.milestones.all()) == [step]


def test_a_risk_is_disclosed_after_it_was_raised_and_only_once(book, alice):
    made = promise(alice, person=book["wang"])
    raised = dt.datetime(2026, 11, 15, 9, 0, tzinfo=UTC)
    risk = risk_add(
        actor=alice,
        commitment=made,
        title="Legal review may slip",
        severity="high",
        raised_at=raised,
        now=NOW,
    )
    refused(
        "disclosed_at",
        risk_disclose,
        actor=alice,
        risk=risk,
        at=raised - dt.timedelta(minutes=1),
        now=NOW,
    )
    risk.refresh_from_db()
    assert risk.disclosed_at is None
    risk_disclose(actor=alice, risk=risk, at=raised + dt.timedelta(days=1), now=NOW)
    risk.refresh_from_db()
    assert risk.disclosed_at == raised + dt.timedelta(days=1)
    refused("disclosed_at", risk_disclose, actor=alice, risk=risk, now=NOW)
    refused(
        "disclosed_at",
        risk_add,
        actor=alice,
        commitment=made,
        title="Told before we knew",
        raised_at=raised,
        disclosed_at=raised - dt.timedelta(hours=1),
        now=NOW,
    )
    refused(
        "resolved_at",
        risk_resolve,
        actor=alice,
        risk=risk,
        at=raised - dt.timedelta(hours=1),
        now=NOW,
    )
    risk_resolve(actor=alice, risk=risk, now=NOW)
    refused("resolved_at", risk_resolve, actor=alice, risk=risk, now=NOW)


# Meetings and their decisions.


def test_only_a_meeting_has_an_agenda_and_decisions(book, alice):
    call = interaction_create(
        actor=alice,
        participants=[book["wang"]],
        kind="call",
        occurred_at=dt.datetime(2026, 11, 12, 9, 0, tzinfo=UTC),
        summary="Quick call",
    )
    refused(
        "interaction",
        meeting_update,
        actor=alice,
        interaction=call,
        agenda_shared_at=MADE,
        now=NOW,
    )
    refused("interaction", decision_add, actor=alice, interaction=call, text="Go ahead")
    meeting = meeting_update(
        actor=alice,
        interaction=book["meeting"],
        agenda_shared_at=dt.datetime(2026, 10, 30, 9, 0, tzinfo=SHANGHAI),
        materials_sent_at=dt.datetime(2026, 11, 1, 10, 0, tzinfo=SHANGHAI),
        now=NOW,
    )
    assert meeting.materials_lead == dt.timedelta(days=1)
    again = meeting_update(actor=alice, interaction=book["meeting"], now=NOW)
    assert again.pk == meeting.pk and Meeting.objects.count() == 1
    assert again.agenda_shared_at is None and again.materials_lead is None


def test_a_decision_followed_up_becomes_a_promise_made_at_the_meeting(book, alice):
    decision = decision_add(
        actor=alice, interaction=book["meeting"], text=" Send two pricing options "
    )
    assert decision.text == "Send two pricing options" and not decision.followed_up
    made = decision_follow_up(
        actor=alice, decision=decision, side="ours", due_on=dt.date(2026, 11, 27), now=NOW
    )
    assert made.interaction == book["meeting"]
    assert made.made_at == book["meeting"].occurred_at
    assert made.title == "Send two pricing options"
    assert made.person in (book["wang"], book["anna"])
    assert made.promised_by == alice.member.person
    decision.refresh_from_db()
    assert decision.commitment == made and decision.followed_up
    refused(
        "decision",
        decision_follow_up,
        actor=alice,
        decision=decision,
        side="client",
        due_on=dt.date(2026, 11, 28),
        now=NOW,
    )
    refused("decision", decision_dismiss, actor=alice, decision=decision)


def test_a_decision_needing_no_follow_up_is_dismissed_once(book, alice):
    decision = decision_add(actor=alice, interaction=book["meeting"], text="Revisit in Q2")
    dismissed = decision_dismiss(actor=alice, decision=decision)
    assert dismissed.no_follow_up and dismissed.followed_up
    refused(
        "decision",
        decision_follow_up,
        actor=alice,
        decision=decision,
        side="ours",
        due_on=dt.date(2026, 11, 28),
        now=NOW,
    )


def test_a_second_tab_cannot_repeat_or_undo_what_the_first_one_did(book, alice):
    """Each write reads the record afresh: a copy loaded before another write is not
    trusted (two browser tabs, a double-submitted form)."""
    made = promise(alice, person=book["wang"])
    stale = Commitment.objects.get(pk=made.pk)
    commitment_close(actor=alice, commitment=made, status="kept", now=NOW)
    refused("commitment", risk_add, actor=alice, commitment=stale, title="Late risk", now=NOW)

    first, second = Commitment.objects.get(pk=made.pk), Commitment.objects.get(pk=made.pk)
    told = NOW - dt.timedelta(hours=1)
    commitment_report_back(actor=alice, commitment=first, at=told, now=NOW)
    refused("reported_back_at", commitment_report_back, actor=alice, commitment=second, now=NOW)
    assert Commitment.objects.get(pk=made.pk).reported_back_at == told

    other = promise(alice, person=book["wang"], title="Another promise")
    risk = risk_add(actor=alice, commitment=other, title="Printer down", raised_at=MADE, now=NOW)
    first, second = Risk.objects.get(pk=risk.pk), Risk.objects.get(pk=risk.pk)
    risk_disclose(actor=alice, risk=first, at=told, now=NOW)
    refused("disclosed_at", risk_disclose, actor=alice, risk=second, now=NOW)
    risk_resolve(actor=alice, risk=first, at=told, now=NOW)
    refused("resolved_at", risk_resolve, actor=alice, risk=second, now=NOW)
    assert Risk.objects.get(pk=risk.pk).disclosed_at == told

    decision = decision_add(actor=alice, interaction=book["meeting"], text="Send the deck")
    stale = Decision.objects.get(pk=decision.pk)
    decision_follow_up(
        actor=alice, decision=decision, side="ours", due_on=dt.date(2026, 11, 27), now=NOW
    )
    refused("decision", decision_dismiss, actor=alice, decision=stale)
    assert not Decision.objects.get(pk=decision.pk).no_follow_up


# Who may see a promise.


def test_a_promise_to_a_private_contact_is_private_to_its_maker(book, alice, bob):
    made = promise(alice, person=book["alices_secret"])
    assert made.visibility == "private"
    assert visible_commitments(alice).filter(pk=made.pk).exists()
    assert not visible_commitments(bob).filter(pk=made.pk).exists()
    with pytest.raises(Http404):
        commitment_for(bob, made.pk)
    entry = AuditEntry.objects.get(action="commitment.create", object_id=made.pk)
    assert entry.private_to == alice


def test_promises_follow_their_person_between_shared_and_private(book, alice, bob):
    anna = book["anna"]
    alices = promise(alice, person=anna, title="Alice's promise to Anna")
    bobs = promise(bob, person=anna, title="Bob's promise to Anna")
    to_the_company = promise(bob, organisation=book["northwind"], title="To Northwind")
    assert {alices.visibility, bobs.visibility} == {"team"}
    assert visible_commitments(bob).filter(pk=alices.pk).exists()

    person_update(actor=alice, person=anna, visibility="private")
    for made in (alices, bobs, to_the_company):
        made.refresh_from_db()
    assert alices.visibility == bobs.visibility == "private"
    assert to_the_company.visibility == "team"
    assert not visible_commitments(bob).filter(pk=alices.pk).exists()
    assert not visible_commitments(alice).filter(pk=bobs.pk).exists()
    assert visible_commitments(bob).filter(pk=bobs.pk).exists()  # still his own
    assert AuditEntry.objects.get(action="commitment.create", object_id=alices.pk).private_to == (
        alice
    )

    person_update(actor=alice, person=anna, visibility="team")
    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert alices.visibility == bobs.visibility == "team"
    assert set(visible_commitments(bob).filter(person=anna)) == {alices, bobs}
    assert not visible_commitments(book["charlies"].owner).filter(person=anna).exists()


def test_another_teams_promises_are_not_found(book, alice, charlie):
    theirs = promise(charlie, person=book["charlies"], title="Charlie's promise")
    assert not visible_commitments(alice).filter(pk=theirs.pk).exists()
    with pytest.raises(Http404):
        commitment_for(alice, theirs.pk)


# The audit trail.


def test_every_write_leaves_one_audit_entry(book, alice):
    def audited(action, service, **arguments):
        before = AuditEntry.objects.count()
        result = service(actor=alice, **arguments)
        assert AuditEntry.objects.count() == before + 1, action
        entry = AuditEntry.objects.order_by("-id").first()
        assert (entry.action, entry.actor, entry.team) == (action, alice, alice.member.team)
        return result

    made = audited(
        "commitment.create",
        commitment_create,
        person=book["wang"],
        title="Send the proposal",
        due_on=dt.date(2026, 11, 25),
        made_at=MADE,
        now=NOW,
    )
    audited("commitment.update", commitment_update, commitment=made, details="Use the new logo")
    audited(
        "commitment.renegotiate",
        commitment_renegotiate,
        commitment=made,
        new_due_on=dt.date(2026, 11, 27),
        now=NOW,
    )
    step = audited("milestone.add", milestone_add, commitment=made, title="Draft", now=NOW)
    audited("milestone.delete", milestone_delete, milestone=step)
    risk = audited("risk.add", risk_add, commitment=made, title="Printer down", now=NOW)
    audited("risk.disclose", risk_disclose, risk=risk, now=NOW)
    audited("risk.resolve", risk_resolve, risk=risk, now=NOW)
    made = audited("commitment.close", commitment_close, commitment=made, status="kept", now=NOW)
    audited("commitment.report_back", commitment_report_back, commitment=made, now=NOW)
    audited("meeting.update", meeting_update, interaction=book["meeting"], now=NOW)
    decision = audited("decision.add", decision_add, interaction=book["meeting"], text="Price it")
    audited("decision.dismiss", decision_dismiss, decision=decision)
    other = audited("decision.add", decision_add, interaction=book["meeting"], text="Call legal")
    followed = audited(
        "commitment.create",
        decision_follow_up,
        decision=other,
        side="ours",
        due_on=dt.date(2026, 11, 30),
        now=NOW,
    )
    audited("commitment.delete", commitment_delete, commitment=followed)
    assert not Commitment.objects.filter(pk=followed.pk).exists()


# The agenda.

# 10:00 on Friday 20 November in Shanghai; 21:00 on Thursday the 19th in New York.
AGENDA_NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
LONG_AGO = dt.datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def made_on_the_1st(actor, title, due_on, due_time=None, **fields):
    fields.setdefault("person", None)
    return commitment_create(
        actor=actor,
        title=title,
        due_on=due_on,
        due_time=due_time,
        made_at=LONG_AGO,
        now=AGENDA_NOW,
        **fields,
    )


def sections(agenda):
    return {section.name: section for section in agenda.sections}


def items(agenda, name):
    return {item.title: item for item in sections(agenda)[name].items}


def test_the_agenda_lists_promises_due_today_or_overdue_in_the_users_own_day(
    book, alice, bob, charlie
):
    member_update_preferences(actor=alice, time_zone="Asia/Shanghai")
    member_update_preferences(actor=bob, time_zone="Asia/Shanghai")
    wang, nov = book["wang"], dt.date(2026, 11, 1).replace
    made_on_the_1st(alice, "Due today", nov(day=20), person=wang)
    made_on_the_1st(alice, "Due yesterday", nov(day=19), person=wang)
    made_on_the_1st(alice, "Due at nine today", nov(day=20), dt.time(9, 0), person=wang)
    made_on_the_1st(alice, "Due at six tonight", nov(day=20), dt.time(18, 0), person=wang)
    made_on_the_1st(alice, "Due tomorrow", nov(day=21), person=wang)
    made_on_the_1st(alice, "Due at midnight tonight", nov(day=21), dt.time(0, 0), person=wang)
    made_on_the_1st(
        alice,
        "Wang sends the contract",
        nov(day=19),
        person=wang,
        side="client",
        promised_by=wang,
    )
    kept = made_on_the_1st(alice, "Kept last week", nov(day=13), person=wang)
    commitment_close(
        actor=alice,
        commitment=kept,
        status="kept",
        delivered_at=dt.datetime(2026, 11, 12, tzinfo=UTC),
        now=AGENDA_NOW,
    )
    # Bob's: his own is not on Alice's agenda; one he recorded that Alice made is, unless it
    # is to Bob's private contact.
    made_on_the_1st(bob, "Bob's own promise", nov(day=19), person=wang)
    made_on_the_1st(
        bob, "Alice calls Wang", nov(day=20), person=wang, promised_by=alice.member.person
    )
    made_on_the_1st(
        bob,
        "Alice calls Bob's contact",
        nov(day=19),
        person=book["bobs_secret"],
        promised_by=alice.member.person,
    )
    made_on_the_1st(charlie, "Charlie's promise", nov(day=19), person=book["charlies"])

    agenda = agenda_for(alice, now=AGENDA_NOW)
    assert agenda.date == dt.date(2026, 11, 20) and agenda.time_zone == "Asia/Shanghai"
    due = sections(agenda)["commitments"]
    assert [item.title for item in due.items] == [
        "Due yesterday",  # 16:00 UTC on the 19th
        "Wang sends the contract",
        "Due at nine today",  # 01:00 UTC
        "Due at six tonight",  # 10:00 UTC
        "Due today",  # 16:00 UTC on the 20th, the end of Alice's day
        "Due at midnight tonight",
        "Alice calls Wang",
    ]
    assert due.count == 7
    found = {item.title: item for item in due.items}
    assert (found["Due yesterday"].kind, found["Due yesterday"].days) == ("overdue", 1)
    assert found["Due yesterday"].urgent and found["Due yesterday"].who == "王小明"
    assert (found["Due at nine today"].kind, found["Due at nine today"].days) == ("overdue", 0)
    for title in ("Due today", "Due at six tonight", "Due at midnight tonight"):
        assert (found[title].kind, found[title].days, found[title].urgent) == ("due", 0, False)
        assert found[title].detail == "due today"
    assert found["Wang sends the contract"].detail == "the client promised this"
    assert found["Due today"].when == "2026-11-20"
    json.dumps(agenda.as_json())

    # Tomorrow's agenda, as seen today: what will be due by its end.
    tomorrow = agenda_for(alice, day=dt.date(2026, 11, 21), now=AGENDA_NOW)
    listed = items(tomorrow, "commitments")
    assert "Due tomorrow" in listed and listed["Due tomorrow"].kind == "due"
    assert listed["Due today"].kind == "overdue" and listed["Due today"].days == 1


def test_the_same_promises_fall_on_different_days_in_shanghai_and_new_york(book, alice):
    # 22:00 on the 19th in Shanghai, 09:00 on the 19th in New York.
    now = dt.datetime(2026, 11, 19, 14, 0, tzinfo=UTC)
    wang = book["wang"]
    london = {"person": wang, "time_zone": "Europe/London", "made_at": LONG_AGO, "now": now}
    for title, due_on, due_time in [
        ("A: by the end of the 18th", dt.date(2026, 11, 18), None),  # 00:00 UTC on the 19th
        ("B: at 15:00 on the 19th", dt.date(2026, 11, 19), dt.time(15, 0)),
        ("C: by the end of the 19th", dt.date(2026, 11, 19), None),  # 00:00 UTC on the 20th
        ("D: at 03:00 on the 20th", dt.date(2026, 11, 20), dt.time(3, 0)),
        ("E: by the end of the 20th", dt.date(2026, 11, 20), None),
    ]:
        commitment_create(actor=alice, title=title, due_on=due_on, due_time=due_time, **london)

    member_update_preferences(actor=alice, time_zone="Asia/Shanghai")
    in_shanghai = items(agenda_for(alice, now=now), "commitments")
    assert sorted(in_shanghai) == ["A: by the end of the 18th", "B: at 15:00 on the 19th"]
    assert in_shanghai["A: by the end of the 18th"].kind == "overdue"
    assert in_shanghai["B: at 15:00 on the 19th"].kind == "due"

    member_update_preferences(actor=alice, time_zone="America/New_York")
    agenda = agenda_for(alice, now=now)
    assert agenda.date == dt.date(2026, 11, 19)
    in_new_york = items(agenda, "commitments")
    assert sorted(in_new_york) == [
        "A: by the end of the 18th",
        "B: at 15:00 on the 19th",
        "C: by the end of the 19th",
        "D: at 03:00 on the 20th",
    ]
    assert in_new_york["A: by the end of the 18th"].days == 1  # the 18th was yesterday there
    assert {in_new_york[t].kind for t in in_new_york if not t.startswith("A")} == {"due"}


def test_the_agenda_lists_what_to_do_about_risks_closes_decisions_birthdays_and_people(
    book, alice, bob, charlie
):
    member_update_preferences(actor=alice, time_zone="Asia/Shanghai")
    wang, meeting = book["wang"], book["meeting"]
    week_ago = dt.datetime(2026, 11, 13, 9, 0, tzinfo=UTC)

    # Risks: only undisclosed, unresolved ones on Alice's open promises.
    open_one = made_on_the_1st(alice, "Send two options", dt.date(2026, 11, 27), person=wang)
    risk = {"commitment": open_one, "raised_at": week_ago, "now": AGENDA_NOW}
    risk_add(actor=alice, title="Legal review may slip", severity="high", **risk)
    risk_add(actor=alice, title="Already told", disclosed_at=week_ago, **risk)
    risk_resolve(actor=alice, risk=risk_add(actor=alice, title="Went away", **risk), now=AGENDA_NOW)
    bobs = made_on_the_1st(bob, "Bob's promise", dt.date(2026, 11, 27), person=wang)
    risk_add(actor=bob, commitment=bobs, title="Bob's risk", now=AGENDA_NOW)
    bobs_private = made_on_the_1st(
        bob, "Bob's secret", dt.date(2026, 11, 27), person=book["bobs_secret"]
    )
    risk_add(actor=bob, commitment=bobs_private, title="Bob's secret risk", now=AGENDA_NOW)

    # Closes: kept or broken and not yet told; not cancelled, told, or the client's own.
    def closed(title, status, **close):
        made = made_on_the_1st(
            alice, title, dt.date(2026, 11, 25), person=wang, **close.pop("make", {})
        )
        commitment_close(actor=alice, commitment=made, status=status, now=AGENDA_NOW, **close)

    closed("Kept, not told", "kept")
    closed("Broken, not told", "broken")
    closed("Kept and told", "kept", reported_back=True)
    closed("Cancelled", "cancelled")
    closed("Wang's own, kept", "kept", make={"side": "client", "promised_by": wang})

    # Decisions: Alice's meeting's, not yet followed up.
    decision_add(actor=alice, interaction=meeting, text="Price two options")
    decision_dismiss(
        actor=alice, decision=decision_add(actor=alice, interaction=meeting, text="Revisit in Q2")
    )
    decision_follow_up(
        actor=alice,
        decision=decision_add(actor=alice, interaction=meeting, text="Draft the contract"),
        side="ours",
        due_on=dt.date(2026, 11, 30),
        now=AGENDA_NOW,
    )
    bobs_meeting = interaction_create(
        actor=bob,
        participants=[book["anna"]],
        kind="meeting",
        occurred_at=week_ago,
        summary="Bob's meeting",
    )
    decision_add(actor=bob, interaction=bobs_meeting, text="Bob's decision")

    # Birthdays in the coming week, of Alice's own people.
    person_create(actor=alice, display_name="Birthday Tuesday", birth_month=11, birth_day=24)
    person_create(
        actor=alice,
        display_name="Birthday Tomorrow",
        visibility="private",
        birth_month=11,
        birth_day=21,
    )
    person_create(actor=alice, display_name="Birthday Next Month", birth_month=12, birth_day=10)
    person_create(
        actor=bob, display_name="Bob's Friend", visibility="private", birth_month=11, birth_day=22
    )
    person_create(actor=charlie, display_name="Charlie's Friend", birth_month=11, birth_day=22)

    # Going cold, each with something to ask about (never what they dislike).
    last_september = dt.datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def silent_since(actor, name, **fields):
        person = person_create(actor=actor, display_name=name, contact_cadence_days=14, **fields)
        interaction_create(
            actor=actor,
            participants=[person],
            kind="call",
            occurred_at=last_september,
            summary="Hi",
        )
        return person

    grace = silent_since(alice, "Grace Cold")
    fact_create(actor=alice, person=grace, category="dislike", value="Karaoke")
    fact_create(actor=alice, person=grace, category="food", value="Sichuan hotpot")
    fact_create(actor=alice, person=grace, category="goal", value="Open a tea house")
    silent_since(alice, "Henry Unknown")
    silent_since(bob, "Bob's Cold Friend", visibility="private")
    silent_since(bob, "Bob's Shared Cold Friend")
    silent_since(charlie, "Charlie's Cold Friend")

    agenda = agenda_for(alice, now=AGENDA_NOW)
    risks = items(agenda, "risks")
    assert list(risks) == ["Legal review may slip"]
    assert risks["Legal review may slip"].urgent
    assert risks["Legal review may slip"].when == "2026-11-13"
    assert set(items(agenda, "unreported")) == {"Kept, not told", "Broken, not told"}
    decisions = items(agenda, "decisions")
    assert list(decisions) == ["Price two options"]
    assert decisions["Price two options"].when == "2026-11-02"  # in Shanghai
    birthdays = items(agenda, "birthdays")
    assert list(birthdays) == ["Birthday Tomorrow", "Birthday Tuesday"]
    assert birthdays["Birthday Tuesday"].days == 4
    assert birthdays["Birthday Tomorrow"].when == "2026-11-21"
    cold = items(agenda, "going_cold")
    assert set(cold) == {"Grace Cold", "Henry Unknown"}
    assert "Open a tea house" in cold["Grace Cold"].detail
    assert "Karaoke" not in cold["Grace Cold"].detail
    assert "know little" in cold["Henry Unknown"].detail
    assert cold["Grace Cold"].days == (AGENDA_NOW - last_september - dt.timedelta(days=14)).days
    counts = {section.name: section.count for section in agenda.sections}
    assert counts == {
        "commitments": 0,
        "risks": 1,
        "unreported": 2,
        "decisions": 1,
        "birthdays": 2,
        "going_cold": 2,
        "thank_referrers": 0,
        "stoploss": 0,
    }
    assert agenda.total == 8


def test_the_agenda_counts_everything_but_lists_at_most_the_limit(book, alice):
    for n in range(4):
        made_on_the_1st(alice, f"Overdue {n}", dt.date(2026, 11, 10 + n), person=book["wang"])
    due = sections(agenda_for(alice, now=AGENDA_NOW, limit=2))["commitments"]
    assert due.count == 4
    assert [item.title for item in due.items] == ["Overdue 0", "Overdue 1"]


def test_the_agenda_never_names_a_colleagues_private_contact(book, alice, bob):
    anna = book["anna"]
    made_on_the_1st(
        bob,
        "Send the freight rates",
        dt.date(2026, 11, 19),
        person=anna,
        organisation=book["northwind"],
    )
    person_update(actor=alice, person=anna, visibility="private")
    listed = items(agenda_for(bob, now=AGENDA_NOW), "commitments")
    assert listed["Send the freight rates"].who == "Northwind Logistics"
    assert "Anna" not in json.dumps(agenda_for(bob, now=AGENDA_NOW).as_json())
    # Alice still sees her own contact named, just not Bob's promise, which is his.
    assert "Send the freight rates" not in items(agenda_for(alice, now=AGENDA_NOW), "commitments")


def test_a_colleagues_private_contact_cannot_be_named_in_a_promise(book, alice, bob):
    secret = book["bobs_secret"]
    due = dt.date(2099, 1, 1)
    with pytest.raises(ValidationError) as refused:
        commitment_create(actor=alice, title="Sneaky", person=secret, due_on=due)
    assert "person" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        commitment_create(
            actor=alice, title="Sneaky", person=book["wang"], promised_by=secret, due_on=due
        )
    assert "promised_by" in refused.value.message_dict
    assert not Commitment.objects.filter(title="Sneaky").exists()


def test_moving_a_meeting_moves_its_open_decisions_on_the_agenda(book, alice):
    from rapport.interactions.services import interaction_update

    meeting = book["meeting"]
    decision = decision_add(actor=alice, interaction=meeting, text="Run a pilot")
    assert decision.owner == alice and decision.decided_at == meeting.occurred_at
    later = meeting.occurred_at + dt.timedelta(days=2)
    interaction_update(actor=alice, interaction=meeting, occurred_at=later)
    decision.refresh_from_db()
    assert decision.decided_at == later
    agenda = agenda_for(alice, now=later + dt.timedelta(hours=1))
    decisions = next(s for s in agenda.sections if s.name == "decisions")
    assert [i.title for i in decisions.items] == ["Run a pilot"]
    assert decisions.items[0].when == later.astimezone(dt.UTC).date().isoformat()
