"""Promises, meetings, the client tracking page and the morning agenda, as users meet
them in the web app, the email and the command line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rapport.accounts.models import AuditEntry, Member
from rapport.commitments.models import Commitment, Decision, Milestone
from rapport.commitments.services import (
    commitment_close,
    commitment_create,
    decision_add,
    milestone_add,
    risk_add,
)
from rapport.core.tasks import agenda_email_schedule, next_send_time, send_morning_agenda
from rapport.portal.models import ShareLink, ShareLinkView
from rapport.portal.services import share_link_create, share_link_revoke
from tests.conftest import client_for

TODAY = dt.date(2026, 11, 22)


def _promise(actor, person=None, organisation=None, **extra):
    fields = {
        "title": "Send the revised proposal",
        "due_on": timezone.localdate() + dt.timedelta(days=7),
        "expected": "Three options on one page",
        "details": "Internal: margin is thin, do not discount",
    }
    fields.update(extra)
    return commitment_create(actor=actor, person=person, organisation=organisation, **fields)


def _share_token(web, url):
    response = web.post(url, {"language": "en", "days": "30"})
    assert response.status_code == 200, response.text
    match = re.search(r"/p/([A-Za-z0-9_-]+)/", response.text)
    assert match, "the new link is shown once"
    return match.group(1)


# --- promises from a person page -------------------------------------------------


def test_a_promise_recorded_from_a_person_page_shows_on_it(book, alice):
    wang = book["wang"]
    web = client_for(alice)
    page = web.get(reverse("person_detail", args=[wang.pk]))
    assert f"{reverse('commitment_create')}?person={wang.pk}" in page.text
    form = web.get(reverse("commitment_create") + f"?person={wang.pk}")
    assert book["huawei"].name in form.text, "the person's organisation is offered"
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = web.post(
        reverse("commitment_create"),
        {
            "title": "Send the pricing sheet",
            "side": "ours",
            "person": wang.pk,
            "organisation": book["huawei"].pk,
            "due_on": due,
            "expected": "Prices for 2027",
        },
    )
    commitment = Commitment.objects.get(title="Send the pricing sheet")
    assert response.status_code == 302
    assert response["Location"] == reverse("commitment_detail", args=[commitment.pk])
    assert commitment.promised_by == alice.member.person
    assert commitment.organisation == book["huawei"]
    assert "Send the pricing sheet" in web.get(reverse("person_detail", args=[wang.pk])).text
    assert (
        "Send the pricing sheet"
        in web.get(reverse("organisation_detail", args=[book["huawei"].pk])).text
    )


def test_a_due_date_before_the_promise_was_made_is_refused_on_the_form(book, alice):
    web = client_for(alice)
    response = web.post(
        reverse("commitment_create"),
        {
            "title": "Backdated",
            "side": "ours",
            "person": book["wang"].pk,
            "due_on": "2026-01-01",
            "made_at": "2026-02-01T10:00",
        },
    )
    assert response.status_code == 422
    assert "before the promise was made" in response.text
    assert not Commitment.objects.filter(title="Backdated").exists()


def test_closing_as_kept_after_the_deadline_is_refused_and_kept_late_accepted(book, alice):
    commitment = _promise(
        alice,
        person=book["wang"],
        made_at=timezone.now() - dt.timedelta(days=10),
        due_on=timezone.localdate() - dt.timedelta(days=2),
    )
    web = client_for(alice)
    url = reverse("commitment_close", args=[commitment.pk])
    refused = web.post(url, {"status": "kept", "delivered": "Sent"})
    assert refused.status_code == 422
    assert "close it as kept late" in refused.text
    commitment.refresh_from_db()
    assert commitment.status == "open"
    accepted = web.post(url, {"status": "kept_late", "delivered": "Sent", "match": "met"})
    assert accepted.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == "kept_late" and commitment.reported_back_at is None
    page = web.get(reverse("commitment_detail", args=[commitment.pk]))
    assert "not yet" in page.text, "an unreported close is flagged"
    web.post(reverse("commitment_report_back", args=[commitment.pk]))
    commitment.refresh_from_db()
    assert commitment.reported_back_at is not None
    again = web.post(url, {"status": "broken"})
    assert again.status_code == 422 and "already closed" in again.text


def test_a_milestone_on_a_cancelled_promise_is_refused_with_nothing_saved(book, alice):
    commitment = _promise(alice, person=book["wang"])
    commitment_close(actor=alice, commitment=commitment, status="cancelled")
    before = AuditEntry.objects.count()
    response = client_for(alice).post(
        reverse("milestone_add", args=[commitment.pk]), {"title": "Draft written"}
    )
    assert response.status_code == 422
    assert "cancelled" in response.text
    assert not Milestone.objects.filter(commitment=commitment).exists()
    assert AuditEntry.objects.count() == before


def test_renegotiating_moves_the_date_and_shows_whether_the_client_was_told(book, alice):
    commitment = _promise(alice, person=book["wang"])
    web = client_for(alice)
    new_due = commitment.due_on + dt.timedelta(days=7)
    told = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = web.post(
        reverse("commitment_renegotiate", args=[commitment.pk]),
        {"new_due_on": new_due.isoformat(), "told_client_at": told, "reason": "Data late"},
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.due_on == new_due
    page = web.get(reverse("commitment_detail", args=[commitment.pk]))
    assert "agreed in time" in page.text


def test_risks_are_flagged_until_disclosed(book, alice):
    commitment = _promise(alice, person=book["wang"])
    web = client_for(alice)
    web.post(
        reverse("risk_add", args=[commitment.pk]),
        {"title": "Analyst on leave", "severity": "high", "detail": "Only Li knows the model"},
    )
    risk = commitment.risks.get()
    assert risk.disclosed_at is None
    flag = 'title="Analyst on leave">⚠'
    assert flag in web.get(reverse("person_detail", args=[book["wang"].pk])).text
    web.post(reverse("risk_disclose", args=[risk.pk]))
    risk.refresh_from_db()
    assert risk.disclosed_at is not None
    assert flag not in web.get(reverse("person_detail", args=[book["wang"].pk])).text


def test_another_team_cannot_open_or_change_a_promise(book, alice, charlie):
    commitment = _promise(alice, person=book["wang"])
    web = client_for(charlie)
    assert web.get(reverse("commitment_detail", args=[commitment.pk])).status_code == 404
    assert (
        web.post(
            reverse("commitment_close", args=[commitment.pk]), {"status": "broken"}
        ).status_code
        == 404
    )
    commitment.refresh_from_db()
    assert commitment.status == "open"
    assert "Send the revised proposal" not in web.get(reverse("commitment_list")).text


# --- meetings ----------------------------------------------------------------------


def test_meeting_hygiene_and_a_decision_turned_into_a_promise(book, alice):
    meeting = book["meeting"]
    web = client_for(alice)
    response = web.post(
        reverse("meeting_detail", args=[meeting.pk]),
        {"agenda_shared_at": "2026-10-30T09:00", "materials_sent_at": "2026-11-01T09:00"},
    )
    assert response.status_code == 302
    page = web.get(reverse("meeting_detail", args=[meeting.pk]))
    assert "hours before" in page.text
    web.post(reverse("decision_add", args=[meeting.pk]), {"text": "Run a two-week pilot"})
    decision = Decision.objects.get(interaction=meeting)
    assert "Make it a promise" in web.get(reverse("meeting_detail", args=[meeting.pk])).text
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    form = web.get(reverse("commitment_create") + f"?decision={decision.pk}")
    assert "Run a two-week pilot" in form.text
    response = web.post(
        reverse("commitment_create"),
        {
            "decision": decision.pk,
            "title": "Run a two-week pilot",
            "side": "client",
            "person": book["wang"].pk,
            "due_on": due,
        },
    )
    assert response.status_code == 302, response.text
    decision.refresh_from_db()
    assert decision.commitment is not None
    assert decision.commitment.side == "client"
    assert decision.commitment.interaction == meeting


def test_only_meetings_carry_an_agenda(book, alice):
    call = book["charlies_call"]
    assert client_for(alice).get(reverse("meeting_detail", args=[call.pk])).status_code == 404


# --- the client's tracking page ----------------------------------------------------


@pytest.fixture
def tracked(book, alice):
    """Alice's promises to Wang and Huawei, with progress, a disclosed and an undisclosed
    risk, and one promise to another client that must never show."""
    now = timezone.now()
    kept = _promise(
        alice,
        person=book["wang"],
        title="Deliver the quarterly review",
        made_at=now - dt.timedelta(days=20),
        due_on=timezone.localdate() - dt.timedelta(days=5),
    )
    milestone_add(actor=alice, commitment=kept, title="Draft written", detail="Checking numbers")
    commitment_close(
        actor=alice,
        commitment=kept,
        status="kept",
        delivered_at=now - dt.timedelta(days=7),
        note="INTERNAL close note",
    )
    open_one = _promise(alice, person=book["wang"], title="Arrange the site visit")
    milestone_add(actor=alice, commitment=open_one, title="Two dates proposed")
    risk_add(
        actor=alice,
        commitment=open_one,
        title="Plant closed for audit",
        raised_at=now,
        disclosed_at=now,
    )
    risk_add(actor=alice, commitment=open_one, title="SECRET risk not yet told")
    _promise(alice, person=book["anna"], title="Promise to another client")
    return {"kept": kept, "open": open_one}


def test_the_tracking_page_shows_promises_progress_and_record_and_nothing_internal(
    tracked, book, alice
):
    web = client_for(alice)
    token = _share_token(web, reverse("person_share_create", args=[book["wang"].pk]))
    page = Client().get(reverse("tracking_page", args=[token]))
    assert page.status_code == 200
    text = page.text
    for shown in (
        "Deliver the quarterly review",
        "Arrange the site visit",
        "Draft written",
        "Two dates proposed",
        "Plant closed for audit",
        "1 of 1 promises kept on time",
    ):
        assert shown in text, shown
    for hidden in (
        "SECRET risk not yet told",
        "Internal: margin is thin",
        "INTERNAL close note",
        "Promise to another client",
        "Three options on one page",
    ):
        assert hidden not in text, hidden
    assert page["X-Robots-Tag"] == "noindex, nofollow"


def test_a_tracking_link_is_stored_hashed_logged_and_dies_when_revoked_or_expired(
    tracked, book, alice
):
    web = client_for(alice)
    token = _share_token(web, reverse("person_share_create", args=[book["wang"].pk]))
    link = ShareLink.objects.get()
    assert len(token) >= 40
    assert link.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(ShareLink.objects.values()), default=str)
    anonymous = Client()
    anonymous.get(reverse("tracking_page", args=[token]), headers={"User-Agent": "Mail app"})
    link.refresh_from_db()
    assert link.view_count == 1
    assert ShareLinkView.objects.get().user_agent == "Mail app"
    assert "viewed 1 time" in web.get(reverse("person_detail", args=[book["wang"].pk])).text
    assert anonymous.get(reverse("tracking_page", args=["x" * 43])).status_code == 404
    web.post(reverse("share_link_revoke", args=[link.pk]))
    assert anonymous.get(reverse("tracking_page", args=[token])).status_code == 404
    _link, expired = share_link_create(
        actor=alice, person=book["wang"], days=1, now=timezone.now() - dt.timedelta(days=2)
    )
    assert anonymous.get(reverse("tracking_page", args=[expired])).status_code == 404


def test_the_tracking_page_speaks_the_clients_language(tracked, book, alice):
    _link, token = share_link_create(actor=alice, person=book["wang"], language="zh-hans")
    page = Client().get(reverse("tracking_page", args=[token]))
    assert 'lang="zh-hans"' in page.text
    assert "年" in page.text, "dates are written the Chinese way"


def test_an_organisation_link_shows_only_that_organisations_promises(tracked, book, alice):
    _promise(alice, organisation=book["huawei"], title="Huawei security review")
    _promise(alice, organisation=book["northwind"], title="Northwind freight study")
    _link, token = share_link_create(actor=alice, organisation=book["huawei"])
    text = Client().get(reverse("tracking_page", args=[token])).text
    assert "Huawei security review" in text
    assert "Northwind freight study" not in text


def test_a_colleague_cannot_share_or_revoke_what_they_cannot_see(book, alice, bob, charlie):
    secret = book["alices_secret"]
    assert (
        client_for(bob)
        .post(reverse("person_share_create", args=[secret.pk]), {"language": "en", "days": 30})
        .status_code
        == 404
    )
    link, _token = share_link_create(actor=alice, person=book["wang"])
    assert client_for(charlie).post(reverse("share_link_revoke", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
    share_link_revoke(actor=alice, link=link)


def test_a_share_link_lasting_too_long_is_refused(book, alice):
    response = client_for(alice).post(
        reverse("person_share_create", args=[book["wang"].pk]), {"language": "en", "days": 999}
    )
    assert response.status_code == 422
    assert not ShareLink.objects.exists()


# --- the agenda ----------------------------------------------------------------------


def test_the_dashboard_shows_the_agenda_with_links_to_resolve_each_item(book, alice):
    overdue = _promise(
        alice,
        person=book["wang"],
        title="Overdue proposal",
        made_at=timezone.now() - dt.timedelta(days=9),
        due_on=timezone.localdate() - dt.timedelta(days=3),
    )
    decision_add(actor=alice, interaction=book["meeting"], text="Share the contract draft")
    page = client_for(alice).get(reverse("dashboard"))
    assert "Overdue proposal" in page.text
    assert reverse("commitment_detail", args=[overdue.pk]) in page.text
    assert "Share the contract draft" in page.text
    assert reverse("meeting_detail", args=[book["meeting"].pk]) in page.text


# The worker checks its database connection the way a request does, which a test wrapped
# in a transaction would fail on PostgreSQL: this one commits for real.
def test_the_morning_email_is_queued_at_the_local_hour_sent_by_the_worker_and_requeued(
    transactional_db, book, alice
):
    Member.objects.filter(user=alice).update(time_zone="Asia/Shanghai", agenda_hour=7)
    member = Member.objects.select_related("user").get(user=alice)
    now = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    run_at = agenda_email_schedule(member, now=now)
    assert run_at == dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC), "07:00 next day, local"
    assert agenda_email_schedule(member, now=now) == run_at
    agenda_tasks = DBTaskResult.objects.filter(task_path__endswith="send_morning_agenda")
    assert agenda_tasks.filter(status="READY").count() == 1, "scheduling is idempotent"
    _promise(
        alice,
        person=book["wang"],
        title="Overdue proposal",
        made_at=timezone.now() - dt.timedelta(days=9),
        due_on=timezone.localdate() - dt.timedelta(days=3),
    )
    # Make the queued task due now and let the real worker run it.
    DBTaskResult.objects.update(run_after=timezone.now() - dt.timedelta(seconds=1))
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "Overdue proposal" in message.body
    assert "/commitments/" in message.body
    html = message.alternatives[0][0]
    assert "Overdue proposal" in html
    pending = agenda_tasks.filter(status="READY").get()
    assert pending.run_after > timezone.now(), "the next morning is queued"


def test_opting_out_removes_the_queued_email(alice):
    member = Member.objects.select_related("user").get(user=alice)
    agenda_email_schedule(member)
    member.agenda_email = False
    assert agenda_email_schedule(member) is None
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        # The night New York springs forward, 07:00 still exists: EDT from then on.
        (
            "America/New_York",
            dt.datetime(2026, 3, 8, 5, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 8, 11, 0, tzinfo=dt.UTC),
        ),
        # After 07:00 local the next one is tomorrow.
        (
            "Europe/London",
            dt.datetime(2026, 10, 24, 8, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 25, 7, 0, tzinfo=dt.UTC),
        ),
        (
            "Asia/Shanghai",
            dt.datetime(2026, 11, 21, 22, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 21, 23, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_the_morning_email_time_follows_the_members_clock(zone, now, expected):
    assert next_send_time(zone, 7, now) == expected


def test_the_email_task_for_a_removed_member_does_nothing(db):
    result = send_morning_agenda.call(member_id=999_999, day=TODAY.isoformat())
    assert result["sent"] is False
    assert mail.outbox == []
