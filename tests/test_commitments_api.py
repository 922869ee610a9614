"""Promises over the API, as someone writing a client for it would find them.

Recording a promise and reading it back, deadlines and overdue, closing it honestly
(kept on time or late, broken, cancelled), renegotiating in time or not, milestones and
risks, meeting decisions turned into commitments, the day's agenda, share links and
calendar feeds whose secret is shown once, and an audit entry for every change."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.commitments.models import (
    Commitment,
    Decision,
    Meeting,
    Milestone,
    Renegotiation,
    Risk,
)
from rapport.commitments.services import commitment_create
from rapport.interactions.services import interaction_create
from rapport.people.services import person_create, person_update
from rapport.portal.models import CalendarFeed, ShareLink
from rapport.portal.services import calendar_feed_resolve, share_link_resolve
from tests.conftest import api_for

API = "/api/v1"


# Helpers


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    if body is None and method == "post":  # no body at all, as `curl -X POST` sends
        return client.post(API + path, "", content_type="application/json")
    if body is None:
        return getattr(client, method)(API + path)
    return getattr(client, method)(API + path, body, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def assert_error(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"]
    assert body["field"] == field, body
    return body


def counts() -> dict[str, int]:
    models = [
        Commitment,
        Milestone,
        Risk,
        Renegotiation,
        Meeting,
        Decision,
        ShareLink,
        CalendarFeed,
        AuditEntry,
    ]
    return {m.__name__: m.objects.count() for m in models}


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def days_from_today(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


def ago(**delta: float) -> str:
    return (timezone.now() - dt.timedelta(**delta)).isoformat()


def promise(client: Client, person_id: int | None, **extra: Any) -> dict[str, Any]:
    """Record a promise through the API: made 10 days ago, due in 5 days by default."""
    body = {
        "title": "Send the renewal proposal",
        "person_id": person_id,
        "made_at": ago(days=10),
        "due_on": days_from_today(5),
        **extra,
    }
    return ok(send(client, "post", "/commitments", body), 201)


@pytest.fixture
def api(book: dict[str, Any], alice: Any) -> Client:
    return api_for(alice)


@pytest.fixture
def wang(book: dict[str, Any]) -> int:
    return book["wang"].pk


# Recording a promise and reading it back


def test_a_recorded_promise_reads_back_with_its_deadline_and_who_made_it(api, book, alice, wang):
    made = promise(
        api,
        wang,
        organisation_id=book["huawei"].pk,
        expected="Two options with prices",
        details="Check the discount with finance first",
        due_time="17:00:00",
        time_zone="Asia/Shanghai",
    )

    read = ok(send(api, "get", f"/commitments/{made['id']}"))

    assert read == made
    assert read["title"] == "Send the renewal proposal"
    assert read["person"] == {"id": wang, "display_name": "王小明"}
    assert read["organisation"] == {"id": book["huawei"].pk, "name": "华为技术"}
    assert read["side"] == "ours"
    assert read["promised_by"] == {"id": alice.member.person_id, "display_name": "Alice Adams"}
    assert read["status"] == "open"
    assert read["overdue"] is False
    assert read["owner"] == "alice"
    assert read["visibility"] == "team"
    assert read["expected"] == "Two options with prices"
    # 17:00 in Shanghai is 09:00 UTC.
    assert read["due_at"].startswith(f"{days_from_today(5)}T09:00:00")
    assert (read["milestones"], read["risks"], read["renegotiations"]) == ([], [], [])
    ids = [c["id"] for c in ok(send(api, "get", "/commitments"))["items"]]
    assert made["id"] in ids


def test_a_day_only_promise_is_due_at_the_end_of_that_day_where_it_was_made(api, wang):
    made = promise(api, wang, time_zone="Asia/Shanghai")

    # Midnight after the due day in Shanghai is 16:00 UTC on the due day.
    assert made["due_at"].startswith(f"{days_from_today(5)}T16:00:00")
    assert made["due_time"] is None


def test_a_client_s_promise_names_who_on_their_side_made_it(api, book, wang):
    made = promise(api, wang, side="client", promised_by_id=book["anna"].pk)

    assert made["side"] == "client"
    assert made["promised_by"] == {"id": book["anna"].pk, "display_name": "Anna Lee"}


def test_a_promise_past_its_deadline_reads_as_overdue(api, wang):
    late = promise(api, wang, due_on=days_from_today(-2))
    soon = promise(api, wang, due_on=days_from_today(2))

    assert late["overdue"] is True
    assert soon["overdue"] is False
    overdue = ok(send(api, "get", "/commitments?overdue=true"))
    not_overdue = ok(send(api, "get", "/commitments?overdue=false"))
    assert [c["id"] for c in overdue["items"]] == [late["id"]]
    assert [c["id"] for c in not_overdue["items"]] == [soon["id"]]


def test_a_closed_promise_is_never_overdue(api, wang):
    late = promise(api, wang, due_on=days_from_today(-2))

    closed = ok(send(api, "post", f"/commitments/{late['id']}/close", {"status": "broken"}))

    assert closed["overdue"] is False
    assert closed["status"] == "broken"


def test_the_list_filters_by_status_side_client_and_mine(api, book, bob, wang):
    ours = promise(api, wang)
    theirs = promise(api, book["anna"].pk, side="client", promised_by_id=book["anna"].pk)
    to_huawei = promise(api, None, organisation_id=book["huawei"].pk)
    bobs = promise(api_for(bob), wang, title="Bob's promise")
    ok(send(api, "post", f"/commitments/{to_huawei['id']}/close", {"status": "cancelled"}))

    def listed(query: str) -> list[int]:
        return [c["id"] for c in ok(send(api, "get", f"/commitments?{query}"))["items"]]

    assert set(listed("")) == {ours["id"], theirs["id"], to_huawei["id"], bobs["id"]}
    assert set(listed("status=open")) == {ours["id"], theirs["id"], bobs["id"]}
    assert listed("status=cancelled") == [to_huawei["id"]]
    assert listed("side=client") == [theirs["id"]]
    assert set(listed(f"person_id={wang}")) == {ours["id"], bobs["id"]}
    assert listed(f"organisation_id={book['huawei'].pk}") == [to_huawei["id"]]
    assert bobs["id"] not in listed("mine=true")
    assert listed("limit=1&offset=1") == listed("")[1:2]
    assert_error(send(api, "get", "/commitments?status=forgotten"), 422, "status")


# What a promise cannot be


def test_a_promise_due_before_it_was_made_is_refused_and_nothing_is_saved(api, wang):
    before = counts()

    response = send(
        api,
        "post",
        "/commitments",
        {
            "title": "Back-dated",
            "person_id": wang,
            "made_at": ago(days=1),
            "due_on": days_from_today(-5),
        },
    )

    assert_error(response, 422, "due_on")
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"due_on": "next friday"}, "due_on"),
        ({"due_on": "9999-12-31"}, "due_on"),
        ({"due_time": "25:00"}, "due_time"),
        ({"due_time": "10:00+08:00"}, "due_time"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"side": "theirs"}, "side"),
        ({"made_at": "2026-01-01T10:00:00"}, "made_at"),
        ({"made_at": "2999-01-01T10:00:00Z"}, "made_at"),
        ({"person_id": None}, "person_id"),
    ],
)
def test_a_bad_promise_is_refused_naming_the_field(api, wang, change, field):
    before = counts()
    body = {"title": "A promise", "person_id": wang, "due_on": days_from_today(3), **change}

    assert_error(send(api, "post", "/commitments", body), 422, field)
    assert counts() == before


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
@pytest.mark.parametrize("field", ["person_id", "promised_by_id"])
def test_someone_out_of_reach_cannot_be_named_on_a_promise(api, book, wang, who, field):
    before = counts()
    body = {"title": "Probe", "person_id": wang, "due_on": days_from_today(3)}
    body[field] = book[who].pk

    response = send(api, "post", "/commitments", body)

    assert_error(response, 422, field)
    assert "Private" not in response.json()["detail"]
    assert counts() == before


def test_another_team_s_organisation_or_meeting_cannot_be_named_on_a_promise(api, book, wang):
    before = counts()
    base = {"title": "Probe", "person_id": wang, "due_on": days_from_today(3)}

    org = send(api, "post", "/commitments", {**base, "organisation_id": book["charlies_org"].pk})
    call = send(api, "post", "/commitments", {**base, "interaction_id": book["charlies_call"].pk})

    assert_error(org, 422, "organisation_id")
    assert_error(call, 422, "interaction_id")
    assert counts() == before


def test_a_promise_to_a_private_contact_is_seen_by_its_owner_only(api, book, bob):
    made = promise(api, book["alices_secret"].pk)

    assert made["visibility"] == "private"
    bobs_api = api_for(bob)
    assert_error(send(bobs_api, "get", f"/commitments/{made['id']}"), 404, None)
    assert made["id"] not in [c["id"] for c in ok(send(bobs_api, "get", "/commitments"))["items"]]


# Changing a promise


def test_what_was_promised_can_be_changed_but_not_its_dates(api, book, wang):
    made = promise(api, wang)

    changed = ok(
        send(
            api,
            "patch",
            f"/commitments/{made['id']}",
            {"title": "Send both renewal options", "expected": "Prices in RMB"},
        )
    )
    moved = send(api, "patch", f"/commitments/{made['id']}", {"due_on": days_from_today(30)})

    assert changed["title"] == "Send both renewal options"
    assert changed["expected"] == "Prices in RMB"
    assert changed["details"] == made["details"]
    assert_error(moved, 422, "due_on")
    assert ok(send(api, "get", f"/commitments/{made['id']}"))["due_on"] == made["due_on"]


def test_who_promised_can_be_changed_to_someone_visible_only(api, book, wang):
    made = promise(api, wang, side="client")

    changed = ok(
        send(api, "patch", f"/commitments/{made['id']}", {"promised_by_id": book["anna"].pk})
    )
    refused = send(
        api, "patch", f"/commitments/{made['id']}", {"promised_by_id": book["bobs_secret"].pk}
    )

    assert changed["promised_by"]["id"] == book["anna"].pk
    assert_error(refused, 422, "promised_by_id")
    assert ok(send(api, "get", f"/commitments/{made['id']}"))["promised_by"]["id"] == (
        book["anna"].pk
    )


def test_a_promise_can_be_deleted(api, wang):
    made = promise(api, wang)

    assert send(api, "delete", f"/commitments/{made['id']}").status_code == 204
    assert_error(send(api, "get", f"/commitments/{made['id']}"), 404, None)


# Closing a promise


def test_kept_on_time_with_what_was_delivered_and_reported_back(api, wang):
    made = promise(api, wang)

    closed = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/close",
            {
                "status": "kept",
                "delivered": "Both options, in Chinese",
                "match": "exceeded",
                "note": "Wang was pleased",
                "reported_back": True,
            },
        )
    )

    assert closed["status"] == "kept"
    assert closed["closed_at"] is not None
    assert closed["delivered_at"] is not None
    assert closed["delivered"] == "Both options, in Chinese"
    assert closed["match"] == "exceeded"
    assert closed["close_note"] == "Wang was pleased"
    assert closed["reported_back_at"] is not None


def test_closing_as_kept_after_the_deadline_is_refused_naming_status(api, wang):
    late = promise(api, wang, due_on=days_from_today(-2))
    before = counts()

    response = send(api, "post", f"/commitments/{late['id']}/close", {"status": "kept"})

    body = assert_error(response, 422, "status")
    assert "kept late" in body["detail"]
    assert counts() == before
    assert ok(send(api, "get", f"/commitments/{late['id']}"))["status"] == "open"
    kept_late = send(api, "post", f"/commitments/{late['id']}/close", {"status": "kept_late"})
    assert ok(kept_late)["status"] == "kept_late"


def test_closing_as_kept_late_before_the_deadline_is_refused(api, wang):
    made = promise(api, wang)

    response = send(api, "post", f"/commitments/{made['id']}/close", {"status": "kept_late"})

    assert_error(response, 422, "status")


def test_a_promise_cannot_be_closed_twice(api, wang):
    made = promise(api, wang)
    ok(send(api, "post", f"/commitments/{made['id']}/close", {"status": "kept"}))
    before = counts()

    again = send(api, "post", f"/commitments/{made['id']}/close", {"status": "broken"})

    assert_error(again, 422, "status")
    assert counts() == before
    assert ok(send(api, "get", f"/commitments/{made['id']}"))["status"] == "kept"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "open"}, "status"),
        ({"status": "forgotten"}, "status"),
        ({"status": "broken", "match": "met"}, "match"),
        ({"status": "cancelled", "delivered_at": "2026-01-01T00:00:00Z"}, "delivered_at"),
        ({"status": "kept", "delivered_at": "2999-01-01T00:00:00Z"}, "delivered_at"),
        ({"status": "kept", "match": "so-so"}, "match"),
    ],
)
def test_a_bad_close_is_refused_naming_the_field(api, wang, body, field):
    made = promise(api, wang)
    before = counts()

    assert_error(send(api, "post", f"/commitments/{made['id']}/close", body), 422, field)
    assert counts() == before


def test_a_closed_promise_is_reported_back_once(api, wang):
    made = promise(api, wang)
    open_report = send(api, "post", f"/commitments/{made['id']}/report-back")
    ok(send(api, "post", f"/commitments/{made['id']}/close", {"status": "broken"}))

    reported = ok(send(api, "post", f"/commitments/{made['id']}/report-back"))
    again = send(api, "post", f"/commitments/{made['id']}/report-back", {"at": ago(minutes=5)})

    assert_error(open_report, 422, "status")
    assert reported["reported_back_at"] is not None
    assert again.status_code == 422


def test_report_back_takes_when_the_client_was_told(api, wang):
    made = promise(api, wang)
    ok(send(api, "post", f"/commitments/{made['id']}/close", {"status": "broken"}))
    when = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)

    reported = ok(
        send(api, "post", f"/commitments/{made['id']}/report-back", {"at": when.isoformat()})
    )

    assert dt.datetime.fromisoformat(reported["reported_back_at"]) == when


# Renegotiating


def test_a_date_moved_before_the_deadline_with_the_client_told_is_in_time(api, wang):
    made = promise(api, wang)

    moved = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/renegotiate",
            {
                "new_due_on": days_from_today(12),
                "told_client_at": ago(minutes=1),
                "reason": "Finance needs another week",
            },
        )
    )

    assert moved["due_on"] == days_from_today(12)
    [change] = moved["renegotiations"]
    assert change["old_due_on"] == made["due_on"]
    assert change["new_due_on"] == days_from_today(12)
    assert change["reason"] == "Finance needs another week"
    assert change["in_time"] is True


def test_a_date_moved_after_the_deadline_passed_is_not_in_time(api, wang):
    late = promise(api, wang, due_on=days_from_today(-2))

    moved = ok(
        send(
            api,
            "post",
            f"/commitments/{late['id']}/renegotiate",
            {"new_due_on": days_from_today(3), "told_client_at": ago(minutes=1)},
        )
    )

    assert moved["renegotiations"][0]["in_time"] is False
    assert moved["overdue"] is False


def test_a_date_moved_without_telling_the_client_is_not_in_time(api, wang):
    made = promise(api, wang)

    moved = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/renegotiate",
            {"new_due_on": days_from_today(9)},
        )
    )

    assert moved["renegotiations"][0]["in_time"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # (Days from today as numbers, made dates when the test runs: a run may cross
        # midnight after the parameters were made.)
        ({"new_due_on": 5}, "new_due_on"),  # the same date
        ({"new_due_on": "2000-01-01"}, "new_due_on"),  # before it was made
        ({"new_due_on": "9999-12-31"}, "new_due_on"),
        ({"new_due_on": 8, "told_client_at": "2999-01-01T00:00:00Z"}, None),
    ],
)
def test_a_bad_renegotiation_is_refused_and_changes_nothing(api, wang, body, field):
    if isinstance(body["new_due_on"], int):
        body = {**body, "new_due_on": days_from_today(body["new_due_on"])}
    made = promise(api, wang)
    before = counts()

    response = send(api, "post", f"/commitments/{made['id']}/renegotiate", body)

    assert_error(response, 422, field or "told_client_at")
    assert counts() == before
    assert ok(send(api, "get", f"/commitments/{made['id']}"))["due_on"] == made["due_on"]


def test_a_closed_promise_cannot_be_renegotiated(api, wang):
    made = promise(api, wang)
    ok(send(api, "post", f"/commitments/{made['id']}/close", {"status": "cancelled"}))

    response = send(
        api, "post", f"/commitments/{made['id']}/renegotiate", {"new_due_on": days_from_today(9)}
    )

    assert_error(response, 422, "status")


# Milestones and risks


def test_milestones_show_on_the_promise_in_order_and_can_be_deleted(api, wang):
    made = promise(api, wang)
    first = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/milestones",
            {"title": "Draft ready", "at": ago(days=3)},
        ),
        201,
    )
    second = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/milestones",
            {"title": "Reviewed by finance", "detail": "Prices approved"},
        ),
        201,
    )

    read = ok(send(api, "get", f"/commitments/{made['id']}"))
    assert [m["title"] for m in read["milestones"]] == ["Draft ready", "Reviewed by finance"]
    assert read["milestones"][1]["detail"] == "Prices approved"

    assert send(api, "delete", f"/milestones/{first['id']}").status_code == 204
    read = ok(send(api, "get", f"/commitments/{made['id']}"))
    assert [m["id"] for m in read["milestones"]] == [second["id"]]


def test_a_milestone_on_a_cancelled_promise_is_refused_and_nothing_is_saved(api, wang):
    made = promise(api, wang)
    ok(send(api, "post", f"/commitments/{made['id']}/close", {"status": "cancelled"}))
    before = counts()

    response = send(api, "post", f"/commitments/{made['id']}/milestones", {"title": "Too late"})

    assert response.status_code == 422
    assert "cancelled" in response.json()["detail"]
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "Before", "at": "2000-01-01T00:00:00Z"}, "at"),
        ({"title": "Future", "at": "2999-01-01T00:00:00Z"}, "at"),
        ({"title": "Naive", "at": "2026-01-01T00:00:00"}, "at"),
    ],
)
def test_a_bad_milestone_is_refused_naming_the_field(api, wang, body, field):
    made = promise(api, wang)
    before = counts()

    response = send(api, "post", f"/commitments/{made['id']}/milestones", body)

    assert_error(response, 422, field)
    assert counts() == before


def test_a_risk_is_flagged_until_it_is_disclosed_to_the_client(api, wang):
    made = promise(api, wang)

    risk = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/risks",
            {"title": "Finance may not approve", "severity": "high", "raised_at": ago(hours=3)},
        ),
        201,
    )
    agenda_before = ok(send(api, "get", "/agenda"))["sections"]["risks"]
    disclosed = ok(send(api, "post", f"/risks/{risk['id']}/disclose", {"at": ago(hours=1)}))
    agenda_after = ok(send(api, "get", "/agenda"))["sections"]["risks"]

    assert risk["disclosed"] is False
    assert risk["severity"] == "high"
    assert (agenda_before["count"], agenda_before["items"][0]["title"]) == (
        1,
        "Finance may not approve",
    )
    assert agenda_before["items"][0]["urgent"] is True
    assert disclosed["disclosed"] is True
    assert agenda_after["count"] == 0
    read = ok(send(api, "get", f"/commitments/{made['id']}"))
    assert read["risks"][0]["disclosed"] is True
    assert_error(send(api, "post", f"/risks/{risk['id']}/disclose"), 422, "disclosed_at")


def test_a_risk_cannot_be_disclosed_before_it_was_raised(api, wang):
    made = promise(api, wang)
    risk = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/risks",
            {"title": "Late data", "raised_at": ago(hours=1)},
        ),
        201,
    )

    response = send(api, "post", f"/risks/{risk['id']}/disclose", {"at": ago(hours=2)})

    assert_error(response, 422, "disclosed_at")
    assert Risk.objects.get(pk=risk["id"]).disclosed_at is None


def test_a_resolved_risk_leaves_the_agenda(api, wang):
    made = promise(api, wang)
    risk = ok(send(api, "post", f"/commitments/{made['id']}/risks", {"title": "Late data"}), 201)

    resolved = ok(send(api, "post", f"/risks/{risk['id']}/resolve"))

    assert resolved["resolved_at"] is not None
    assert resolved["disclosed"] is False
    assert ok(send(api, "get", "/agenda"))["sections"]["risks"]["count"] == 0
    assert_error(send(api, "post", f"/risks/{risk['id']}/resolve"), 422, "resolved_at")


def test_a_risk_raised_already_disclosed_is_not_flagged(api, wang):
    made = promise(api, wang)

    risk = ok(
        send(
            api,
            "post",
            f"/commitments/{made['id']}/risks",
            {"title": "Holiday week", "raised_at": ago(hours=2), "disclosed_at": ago(hours=1)},
        ),
        201,
    )

    assert risk["disclosed"] is True
    assert ok(send(api, "get", "/agenda"))["sections"]["risks"]["count"] == 0


def test_a_risk_on_a_closed_promise_is_refused(api, wang):
    made = promise(api, wang)
    ok(send(api, "post", f"/commitments/{made['id']}/close", {"status": "kept"}))
    before = counts()

    response = send(api, "post", f"/commitments/{made['id']}/risks", {"title": "Too late"})

    assert response.status_code == 422
    assert counts() == before


# Meetings and decisions


def test_a_meeting_records_when_agenda_and_materials_went_out(api, book):
    meeting = book["meeting"]
    sent = meeting.occurred_at - dt.timedelta(hours=36)

    empty = ok(send(api, "get", f"/meetings/{meeting.pk}"))
    put = ok(
        send(
            api,
            "put",
            f"/meetings/{meeting.pk}",
            {"agenda_shared_at": sent.isoformat(), "materials_sent_at": sent.isoformat()},
        )
    )
    cleared = ok(
        send(api, "put", f"/meetings/{meeting.pk}", {"agenda_shared_at": sent.isoformat()})
    )

    assert empty["agenda_shared_at"] is None
    assert empty["decisions"] == []
    assert dt.datetime.fromisoformat(put["materials_sent_at"]) == sent
    assert put["materials_lead_hours"] == 36
    assert cleared["materials_sent_at"] is None
    assert cleared["materials_lead_hours"] is None


def test_only_a_meeting_has_an_agenda_and_decisions(api, book, alice):
    call = interaction_create(
        actor=alice,
        participants=[book["wang"]],
        kind="call",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        summary="A call",
    )
    before = counts()

    put = send(api, "put", f"/meetings/{call.pk}", {"agenda_shared_at": ago(days=2)})
    decided = send(api, "post", f"/meetings/{call.pk}/decisions", {"text": "Nothing"})

    assert_error(put, 422, "interaction")
    assert_error(decided, 422, "interaction")
    assert counts() == before


def test_a_decision_followed_up_becomes_a_commitment_of_the_meeting_and_leaves_the_agenda(
    api, book, wang
):
    meeting = book["meeting"]
    decision = ok(
        send(api, "post", f"/meetings/{meeting.pk}/decisions", {"text": "Send two options"}),
        201,
    )
    waiting = ok(send(api, "get", "/agenda"))["sections"]["decisions"]

    commitment = ok(
        send(
            api,
            "post",
            f"/decisions/{decision['id']}/follow-up",
            {"side": "ours", "due_on": days_from_today(7), "expected": "Two priced options"},
        ),
        201,
    )

    assert (waiting["count"], waiting["items"][0]["title"]) == (1, "Send two options")
    assert commitment["title"] == "Send two options"
    assert commitment["interaction_id"] == meeting.pk
    assert commitment["person"] == {"id": wang, "display_name": "王小明"}
    assert commitment["expected"] == "Two priced options"
    assert commitment["status"] == "open"
    read = ok(send(api, "get", f"/meetings/{meeting.pk}"))
    assert read["decisions"] == [
        {
            "id": decision["id"],
            "text": "Send two options",
            "commitment_id": commitment["id"],
            "no_follow_up": False,
            "followed_up": True,
        }
    ]
    assert ok(send(api, "get", "/agenda"))["sections"]["decisions"]["count"] == 0
    again = send(
        api,
        "post",
        f"/decisions/{decision['id']}/follow-up",
        {"side": "ours", "due_on": days_from_today(7)},
    )
    assert_error(again, 422, "decision")


def test_a_decision_follow_up_may_be_the_client_s_with_a_named_client(api, book):
    meeting = book["meeting"]
    decision = ok(
        send(api, "post", f"/meetings/{meeting.pk}/decisions", {"text": "Share usage data"}), 201
    )

    commitment = ok(
        send(
            api,
            "post",
            f"/decisions/{decision['id']}/follow-up",
            {
                "side": "client",
                "due_on": days_from_today(3),
                "person_id": book["anna"].pk,
                "promised_by_id": book["anna"].pk,
                "organisation_id": book["northwind"].pk,
                "title": "Anna shares last year's usage",
            },
        ),
        201,
    )

    assert commitment["side"] == "client"
    assert commitment["person"]["id"] == book["anna"].pk
    assert commitment["promised_by"]["id"] == book["anna"].pk
    assert commitment["organisation"]["name"] == "Northwind Logistics"
    assert commitment["title"] == "Anna shares last year's usage"


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_a_decision_cannot_be_followed_up_with_someone_out_of_reach(api, book, who):
    decision = ok(
        send(api, "post", f"/meetings/{book['meeting'].pk}/decisions", {"text": "Probe"}), 201
    )
    before = counts()

    response = send(
        api,
        "post",
        f"/decisions/{decision['id']}/follow-up",
        {"side": "ours", "due_on": days_from_today(3), "person_id": book[who].pk},
    )

    assert_error(response, 422, "person_id")
    assert counts() == before


def test_a_dismissed_decision_needs_no_follow_up(api, book):
    meeting = book["meeting"]
    decision = ok(
        send(api, "post", f"/meetings/{meeting.pk}/decisions", {"text": "Lunch next time"}), 201
    )

    dismissed = ok(send(api, "post", f"/decisions/{decision['id']}/dismiss"))

    assert (dismissed["no_follow_up"], dismissed["followed_up"]) == (True, True)
    assert ok(send(api, "get", "/agenda"))["sections"]["decisions"]["count"] == 0
    assert_error(send(api, "post", f"/decisions/{decision['id']}/dismiss"), 422, "decision")


def test_a_blank_decision_is_refused(api, book):
    before = counts()

    response = send(api, "post", f"/meetings/{book['meeting'].pk}/decisions", {"text": "  "})

    assert_error(response, 422, "text")
    assert counts() == before


# The agenda


def test_the_agenda_has_every_section_with_counts_and_links(api, book, alice, wang):
    late = promise(api, wang, due_on=days_from_today(-3), title="Overdue proposal")
    promise(api, wang, due_on=days_from_today(10), title="Not due yet")

    agenda = ok(send(api, "get", "/agenda"))

    assert agenda["user"] == "alice"
    assert agenda["date"] == today().isoformat()
    assert agenda["time_zone"] == "UTC"
    assert set(agenda["sections"]) == {
        "commitments",
        "risks",
        "unreported",
        "decisions",
        "birthdays",
        "going_cold",
        "thank_referrers",
        "stoploss",
    }
    for section in agenda["sections"].values():
        assert section["heading"]
        assert section["count"] >= len(section["items"])
    due = agenda["sections"]["commitments"]
    assert due["count"] == 1
    [item] = due["items"]
    assert (item["kind"], item["title"], item["urgent"], item["days"]) == (
        "overdue",
        "Overdue proposal",
        True,
        3,
    )
    assert item["url"] == f"/commitments/{late['id']}/"
    assert agenda["total"] == sum(s["count"] for s in agenda["sections"].values())


def test_a_promise_due_today_is_on_today_s_agenda_but_not_yet_overdue(api, wang):
    made = promise(api, wang, due_on=days_from_today(0), title="Due today")
    promise(api, wang, due_on=days_from_today(1), title="Due tomorrow")

    due = ok(send(api, "get", "/agenda"))["sections"]["commitments"]

    assert made["overdue"] is False
    assert due["count"] == 1
    [item] = due["items"]
    assert (item["title"], item["kind"], item["urgent"], item["days"]) == (
        "Due today",
        "due",
        False,
        0,
    )


def test_the_agenda_for_another_day_shows_what_will_be_due_by_then(api, wang):
    promise(api, wang, due_on=days_from_today(4), title="Due in four days")

    ahead = ok(send(api, "get", f"/agenda?date={days_from_today(4)}"))
    now = ok(send(api, "get", "/agenda"))

    assert [i["title"] for i in ahead["sections"]["commitments"]["items"]] == ["Due in four days"]
    assert ahead["date"] == days_from_today(4)
    assert now["sections"]["commitments"]["count"] == 0


def test_a_closed_promise_not_yet_reported_back_is_on_the_agenda(api, wang):
    made = promise(api, wang, title="Proposal")
    ok(send(api, "post", f"/commitments/{made['id']}/close", {"status": "kept"}))

    unreported = ok(send(api, "get", "/agenda"))["sections"]["unreported"]
    ok(send(api, "post", f"/commitments/{made['id']}/report-back"))

    assert [i["title"] for i in unreported["items"]] == ["Proposal"]
    assert ok(send(api, "get", "/agenda"))["sections"]["unreported"]["count"] == 0


@pytest.mark.parametrize("date", ["tomorrow", "2026-02-30", "0001-01-01", "9999-12-31"])
def test_the_agenda_refuses_a_bad_date(api, date):
    assert_error(send(api, "get", f"/agenda?date={date}"), 422, "date")


def test_a_colleague_s_promises_are_not_on_my_agenda(api, bob, wang):
    promise(api_for(bob), wang, due_on=days_from_today(-1), title="Bob's overdue promise")

    agenda = ok(send(api, "get", "/agenda"))

    assert agenda["sections"]["commitments"]["count"] == 0


# Share links


def test_a_share_link_s_token_is_shown_once_and_only_its_digest_is_stored(api, book, wang):
    created = ok(send(api, "post", "/share-links", {"person_id": wang, "language": "zh-hans"}), 201)

    token = created["token"]
    assert len(token) >= 43
    assert created["url"] == f"/p/{token}/"
    assert created["person"] == {"id": wang, "display_name": "王小明"}
    assert created["language"] == "zh-hans"
    assert created["active"] is True
    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert dt.timedelta(days=89) < expires - timezone.now() <= dt.timedelta(days=90)
    row = ShareLink.objects.get(pk=created["id"])
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(v) for v in ShareLink.objects.filter(pk=row.pk).values().get().values())
    assert token not in stored
    listed = ok(send(api, "get", f"/share-links?person_id={wang}"))
    assert [link["id"] for link in listed["items"]] == [created["id"]]
    assert "token" not in listed["items"][0]
    assert token not in str(listed)
    assert share_link_resolve(token) == row


def test_a_share_link_for_an_organisation_lasts_the_days_asked(api, book):
    created = ok(
        send(api, "post", "/share-links", {"organisation_id": book["huawei"].pk, "days": 7}), 201
    )

    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert dt.timedelta(days=6) < expires - timezone.now() <= dt.timedelta(days=7)
    assert created["organisation"] == {"id": book["huawei"].pk, "name": "华为技术"}
    assert created["language"] == "en"


def test_a_revoked_share_link_stops_working(api, wang):
    created = ok(send(api, "post", "/share-links", {"person_id": wang}), 201)

    revoked = ok(send(api, "post", f"/share-links/{created['id']}/revoke"))

    assert revoked["revoked_at"] is not None
    assert revoked["active"] is False
    assert "token" not in revoked
    assert share_link_resolve(created["token"]) is None
    assert_error(send(api, "post", f"/share-links/{created['id']}/revoke"), 422, "link")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "person_id"),
        ({"person_id": "wang", "organisation_id": "huawei"}, "person_id"),
        ({"person_id": "charlies"}, "person_id"),
        ({"person_id": "bobs_secret"}, "person_id"),
        ({"organisation_id": "charlies_org"}, "organisation_id"),
        ({"person_id": "wang", "days": 0}, "days"),
        ({"person_id": "wang", "days": 367}, "days"),
        ({"person_id": "wang", "language": "fr"}, "language"),
    ],
)
def test_a_bad_share_link_is_refused_naming_the_field(api, book, body, field):
    body = {
        k: book[v].pk if isinstance(v, str) and k.endswith("_id") else v for k, v in body.items()
    }
    before = counts()

    assert_error(send(api, "post", "/share-links", body), 422, field)
    assert counts() == before


def test_a_share_link_for_a_private_contact_is_seen_by_its_owner_only(api, book, bob):
    created = ok(send(api, "post", "/share-links", {"person_id": book["alices_secret"].pk}), 201)
    bobs_api = api_for(bob)

    assert created["id"] not in [
        i["id"] for i in ok(send(bobs_api, "get", "/share-links"))["items"]
    ]
    assert_error(send(bobs_api, "post", f"/share-links/{created['id']}/revoke"), 404, None)
    assert ShareLink.objects.get(pk=created["id"]).revoked_at is None


# Calendar feeds


def test_a_calendar_feed_s_token_is_shown_once_and_it_can_be_revoked(api, alice):
    created = ok(send(api, "post", "/calendar-feeds"), 201)

    token = created["token"]
    assert created["url"] == f"/feed/{token}.ics"
    row = CalendarFeed.objects.get(pk=created["id"])
    assert (row.user, row.digest) == (alice, hashlib.sha256(token.encode()).hexdigest())
    listed = ok(send(api, "get", "/calendar-feeds"))
    assert [f["id"] for f in listed["items"]] == [created["id"]]
    assert token not in str(listed)
    assert calendar_feed_resolve(token) == row

    revoked = ok(send(api, "post", f"/calendar-feeds/{created['id']}/revoke"))

    assert (revoked["active"], revoked["revoked_at"] is not None) == (False, True)
    assert calendar_feed_resolve(token) is None
    assert_error(send(api, "post", f"/calendar-feeds/{created['id']}/revoke"), 422, "feed")


def test_a_colleague_s_calendar_feed_is_neither_listed_nor_revocable(api, bob):
    bobs_api = api_for(bob)
    created = ok(send(bobs_api, "post", "/calendar-feeds"), 201)

    assert ok(send(api, "get", "/calendar-feeds"))["items"] == []
    assert_error(send(api, "post", f"/calendar-feeds/{created['id']}/revoke"), 404, None)
    assert CalendarFeed.objects.get(pk=created["id"]).revoked_at is None


# The audit trail


def test_every_write_leaves_an_audit_entry(api, book, alice, wang):
    def audited(action: str, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        before = AuditEntry.objects.count()
        answer = ok(send(api, method, path, body), status)
        entries = list(AuditEntry.objects.order_by("-id")[: AuditEntry.objects.count() - before])
        assert [e.action for e in entries] == [action], action
        assert entries[0].actor == alice
        return answer

    body = {"title": "P", "person_id": wang, "due_on": days_from_today(5)}
    cid = audited("commitment.create", "post", "/commitments", body, 201)["id"]
    audited("commitment.update", "patch", f"/commitments/{cid}", {"details": "d"})
    audited(
        "commitment.renegotiate",
        "post",
        f"/commitments/{cid}/renegotiate",
        {"new_due_on": days_from_today(6)},
    )
    milestone = audited(
        "milestone.add", "post", f"/commitments/{cid}/milestones", {"title": "M"}, 201
    )
    audited("milestone.delete", "delete", f"/milestones/{milestone['id']}", status=204)
    risk = audited("risk.add", "post", f"/commitments/{cid}/risks", {"title": "R"}, 201)
    audited("risk.disclose", "post", f"/risks/{risk['id']}/disclose")
    audited("risk.resolve", "post", f"/risks/{risk['id']}/resolve")
    audited("commitment.close", "post", f"/commitments/{cid}/close", {"status": "kept"})
    audited("commitment.report_back", "post", f"/commitments/{cid}/report-back")
    audited("commitment.delete", "delete", f"/commitments/{cid}", status=204)
    meeting = book["meeting"].pk
    audited("meeting.update", "put", f"/meetings/{meeting}", {"agenda_shared_at": None})
    decision = audited("decision.add", "post", f"/meetings/{meeting}/decisions", {"text": "D"}, 201)
    audited(
        "commitment.create",
        "post",
        f"/decisions/{decision['id']}/follow-up",
        {"side": "ours", "due_on": days_from_today(2)},
        201,
    )
    other = audited("decision.add", "post", f"/meetings/{meeting}/decisions", {"text": "E"}, 201)
    audited("decision.dismiss", "post", f"/decisions/{other['id']}/dismiss")
    link = audited("share_link.create", "post", "/share-links", {"person_id": wang}, 201)
    audited("share_link.revoke", "post", f"/share-links/{link['id']}/revoke")
    feed = audited("calendar_feed.create", "post", "/calendar-feeds", status=201)
    audited("calendar_feed.revoke", "post", f"/calendar-feeds/{feed['id']}/revoke")


def test_the_audit_entry_of_a_promise_to_a_private_contact_is_private(api, book, alice):
    made = promise(api, book["alices_secret"].pk)

    entry = AuditEntry.objects.get(action="commitment.create", object_id=made["id"])

    assert entry.private_to == alice


# Names made private later


def test_someone_made_private_later_is_no_longer_named_on_the_team_s_promises(
    api, book, alice, bob
):
    later = person_create(actor=bob, display_name="Bob's Later Secret")
    made = commitment_create(
        actor=alice,
        title="Introduce the CFO",
        person=book["wang"],
        side="client",
        promised_by=later,
        due_on=today() + dt.timedelta(days=3),
    )
    person_update(actor=bob, person=later, visibility="private")

    read = ok(send(api, "get", f"/commitments/{made.pk}"))

    assert read["promised_by"] is None
    assert "Bob's Later Secret" not in str(ok(send(api, "get", "/commitments")))


# The description of the API


def test_the_openapi_description_lists_the_new_paths_and_the_agenda_shape(book):
    schema = ok(Client().get(API + "/openapi.json"))

    paths = schema["paths"]
    assert {"get", "post"} <= set(paths[f"{API}/commitments"])
    assert set(paths[f"{API}/commitments/{{commitment_id}}"]) == {"get", "patch", "delete"}
    for path in [
        "/commitments/{commitment_id}/close",
        "/commitments/{commitment_id}/renegotiate",
        "/commitments/{commitment_id}/report-back",
        "/commitments/{commitment_id}/milestones",
        "/commitments/{commitment_id}/risks",
        "/risks/{risk_id}/disclose",
        "/risks/{risk_id}/resolve",
        "/meetings/{interaction_id}/decisions",
        "/decisions/{decision_id}/follow-up",
        "/decisions/{decision_id}/dismiss",
        "/share-links",
        "/share-links/{link_id}/revoke",
        "/calendar-feeds",
        "/calendar-feeds/{feed_id}/revoke",
    ]:
        assert "post" in paths[API + path], path
    assert set(paths[f"{API}/meetings/{{interaction_id}}"]) == {"get", "put"}
    assert "AgendaOut" in schema["components"]["schemas"]
    assert "commitments" in schema["info"]["description"]
