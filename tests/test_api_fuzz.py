"""Random input to the API: never a server error, always 201 or a 4xx naming the field,
and a refused write leaves nothing behind."""

import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rapport.accounts.models import AuditEntry
from rapport.commitments.models import Commitment, Decision, Milestone, Renegotiation, Risk
from rapport.commitments.services import commitment_close, commitment_create
from rapport.interactions.models import Interaction
from rapport.interactions.services import interaction_create
from rapport.people.models import Channel, Person
from rapport.people.services import organisation_create, person_create
from rapport.portal.models import ShareLink
from tests.conftest import SHANGHAI, api_for

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=40),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
person_payloads = st.fixed_dictionaries(
    {},
    optional={
        "display_name": st.one_of(st.text(max_size=210), json_values),
        "given_name": st.text(max_size=20),
        "name_order": st.sampled_from(["given_first", "family_first", "sideways"]),
        "visibility": st.sampled_from(["private", "team", "public"]),
        "birth_calendar": st.sampled_from(["solar", "lunar", "mayan"]),
        "birth_year": st.one_of(st.none(), st.integers(-5, 12000)),
        "birth_month": st.one_of(st.none(), st.integers(-1, 14)),
        "birth_day": st.one_of(st.none(), st.integers(-1, 33)),
        "birth_leap_month": st.booleans(),
        "contact_cadence_days": st.one_of(st.none(), st.integers(-3, 5000)),
        "introduced_by": st.one_of(st.none(), st.integers(-3, 10**6)),
        "channels": st.lists(
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(["email", "phone", "wechat", "fax"]),
                    "value": st.one_of(
                        st.text(max_size=30),
                        st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.com", fullmatch=True),
                        st.from_regex(r"\+86 1[0-9]{10}", fullmatch=True),
                    ),
                }
            ),
            max_size=3,
        ),
        "tags": st.lists(st.text(max_size=60), max_size=3),
        "unexpected": json_values,
    },
)


def _check_error(response):
    assert response.status_code in (400, 404, 422), response.content
    body = response.json()
    assert body["detail"]
    if response.status_code == 422:
        assert body["field"]


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=person_payloads)
def test_creating_people_from_random_input_never_fails_badly(alice_api, payload):
    before = (Person.objects.count(), Channel.objects.count())
    response = alice_api.post(
        "/api/v1/people", json.dumps(payload), content_type="application/json"
    )
    if response.status_code == 201:
        assert Person.objects.count() == before[0] + 1
        Person.objects.filter(pk=response.json()["id"]).delete()
    else:
        _check_error(response)
        assert (Person.objects.count(), Channel.objects.count()) == before


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.fixed_dictionaries(
        {},
        optional={
            "kind": st.sampled_from(["call", "meeting", "telepathy"]),
            "occurred_at": st.one_of(
                st.sampled_from(
                    ["2026-11-20T10:00:00+08:00", "2026-11-20T10:00:00", "yesterday", ""]
                ),
                st.datetimes().map(lambda d: d.isoformat()),
            ),
            "summary": st.text(max_size=310),
            "participant_ids": st.lists(st.integers(-2, 10**6), max_size=3),
            "topics": st.one_of(st.lists(st.text(max_size=70), max_size=3), json_values),
            "focus": st.sampled_from(["client", "ours", "theirs"]),
            "duration_minutes": st.one_of(st.none(), st.integers(-5, 2000)),
        },
    )
)
def test_logging_interactions_from_random_input_never_fails_badly(
    alice_api, alice_person_id, payload
):
    before = Interaction.objects.count()
    if payload.get("participant_ids"):
        payload["participant_ids"] = [
            alice_person_id if i % 2 else i for i in payload["participant_ids"]
        ]
    response = alice_api.post(
        "/api/v1/interactions", json.dumps(payload), content_type="application/json"
    )
    if response.status_code == 201:
        Interaction.objects.filter(pk=response.json()["id"]).delete()
    else:
        _check_error(response)
        assert Interaction.objects.count() == before


@pytest.fixture
def alice_api(alice):
    return api_for(alice)


@pytest.fixture
def alice_person_id(alice):
    return alice.member.person_id


# Promises, meetings and share links

moments = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2026-11-20T10:00:00+08:00",
            "2026-11-20T10:00:00",
            "0001-01-01T00:00:00+08:00",
            "9999-12-31T23:59:59-08:00",
            "2999-01-01T00:00:00Z",
            "yesterday",
            "",
        ]
    ),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC, SHANGHAI])).map(lambda d: d.isoformat()),
    json_values,
)
days = st.one_of(
    st.sampled_from(["2027-03-01", "2099-12-31"]),
    st.sampled_from(["2026-11-30", "0001-01-01", "9999-12-31", "2026-02-30", "soon", ""]),
    st.dates().map(lambda d: d.isoformat()),
    json_values,
)
clock_times = st.one_of(
    st.none(),
    st.sampled_from(["10:00", "24:00", "10:00+08:00", "23:59:59.999999", "noon", ""]),
    st.times().map(lambda t: t.isoformat()),
)
zones = st.one_of(
    st.none(),
    st.sampled_from(["Asia/Shanghai", "Europe/London", "UTC", "Mars/Base", "../etc", "x" * 300]),
    st.text(max_size=70),
)
some_ids = st.one_of(st.none(), st.integers(-2, 10**6), json_values)
titles = st.one_of(st.just("Send the proposal"), st.text(max_size=310), json_values)

commitment_payloads = st.fixed_dictionaries(
    {"title": titles, "due_on": days},
    optional={
        "person_id": some_ids,
        "organisation_id": some_ids,
        "side": st.sampled_from(["ours", "client", "nobody"]),
        "promised_by_id": some_ids,
        "made_at": moments,
        "due_time": clock_times,
        "time_zone": zones,
        "expected": st.text(max_size=30),
        "details": st.one_of(st.text(max_size=30), json_values),
        "interaction_id": some_ids,
        "unexpected": json_values,
    },
)
# (path under /commitments/<id>/, body) for the writes on one commitment.
commitment_writes = st.one_of(
    st.tuples(
        st.just("close"),
        st.fixed_dictionaries(
            {"status": st.sampled_from(["kept", "kept_late", "broken", "cancelled", "open", "x"])},
            optional={
                "delivered": st.text(max_size=20),
                "delivered_at": moments,
                "match": st.sampled_from(["exceeded", "met", "short", "", "meh", None]),
                "note": st.one_of(st.text(max_size=20), json_values),
                "reported_back": st.one_of(st.booleans(), json_values),
                "reported_back_at": moments,
            },
        ),
    ),
    st.tuples(
        st.just("renegotiate"),
        st.fixed_dictionaries(
            {"new_due_on": days},
            optional={
                "new_due_time": clock_times,
                "told_client_at": moments,
                "reason": st.text(max_size=20),
            },
        ),
    ),
    st.tuples(
        st.just("milestones"),
        st.fixed_dictionaries(
            {"title": titles}, optional={"detail": st.text(max_size=20), "at": moments}
        ),
    ),
    st.tuples(
        st.just("risks"),
        st.fixed_dictionaries(
            {"title": titles},
            optional={
                "detail": st.text(max_size=20),
                "severity": st.sampled_from(["low", "medium", "high", "extreme", None]),
                "raised_at": moments,
                "disclosed_at": moments,
            },
        ),
    ),
    st.tuples(st.just("report-back"), st.fixed_dictionaries({}, optional={"at": moments})),
)


def _promise_rows(commitment_id):
    """Everything a write on one commitment could change."""
    return {
        "commitment": list(Commitment.objects.filter(pk=commitment_id).values()),
        "milestones": Milestone.objects.count(),
        "risks": list(Risk.objects.order_by("pk").values()),
        "renegotiations": Renegotiation.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def _with_ids(payload, mapping):
    """Odd random ids become ones that exist and may be named, so some writes succeed."""
    for field, pk in mapping.items():
        value = payload.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value % 2:
            payload[field] = pk
    return payload


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=commitment_payloads)
def test_recording_promises_from_random_input_never_fails_badly(alice_api, client_person, payload):
    payload = _with_ids(
        payload,
        {"person_id": client_person.pk, "promised_by_id": client_person.pk},
    )
    before = (Commitment.objects.count(), AuditEntry.objects.count())
    response = alice_api.post(
        "/api/v1/commitments", json.dumps(payload), content_type="application/json"
    )
    event(f"status {response.status_code}")
    if response.status_code == 201:
        assert Commitment.objects.count() == before[0] + 1
        assert AuditEntry.objects.count() == before[1] + 1
        Commitment.objects.filter(pk=response.json()["id"]).delete()
    else:
        _check_error(response)
        assert (Commitment.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(write=commitment_writes, closed=st.booleans())
def test_writes_on_a_promise_from_random_input_never_fail_badly(
    alice, alice_api, client_person, write, closed
):
    path, body = write
    now = timezone.now()
    commitment = commitment_create(
        actor=alice,
        title="Fuzzed promise",
        person=client_person,
        made_at=now - dt.timedelta(days=10),
        due_on=(now + dt.timedelta(days=5)).date(),
    )
    if closed:
        commitment_close(actor=alice, commitment=commitment, status="cancelled")
    before = _promise_rows(commitment.pk)

    response = alice_api.post(
        f"/api/v1/commitments/{commitment.pk}/{path}",
        json.dumps(body),
        content_type="application/json",
    )

    event(f"{path}: status {response.status_code}")
    if response.status_code in (200, 201):
        assert AuditEntry.objects.count() == before["audit"] + 1
    else:
        _check_error(response)
        assert _promise_rows(commitment.pk) == before
    Commitment.objects.filter(pk=commitment.pk).delete()


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=titles,
    follow_up=st.fixed_dictionaries(
        {"side": st.sampled_from(["ours", "client", "nobody"]), "due_on": days},
        optional={
            "due_time": clock_times,
            "promised_by_id": some_ids,
            "person_id": some_ids,
            "organisation_id": some_ids,
            "title": titles,
            "expected": st.text(max_size=20),
        },
    ),
)
def test_meeting_decisions_from_random_input_never_fail_badly(
    alice_api, alice_meeting, client_person, text, follow_up
):
    before = (Decision.objects.count(), AuditEntry.objects.count())
    response = alice_api.post(
        f"/api/v1/meetings/{alice_meeting.pk}/decisions",
        json.dumps({"text": text}),
        content_type="application/json",
    )
    if response.status_code != 201:
        _check_error(response)
        assert (Decision.objects.count(), AuditEntry.objects.count()) == before
        return
    decision_id = response.json()["id"]
    follow_up = _with_ids(
        follow_up, {"person_id": client_person.pk, "promised_by_id": client_person.pk}
    )
    counted = (Commitment.objects.count(), AuditEntry.objects.count())

    response = alice_api.post(
        f"/api/v1/decisions/{decision_id}/follow-up",
        json.dumps(follow_up),
        content_type="application/json",
    )

    event(f"follow-up: status {response.status_code}")
    decision = Decision.objects.get(pk=decision_id)
    if response.status_code == 201:
        assert decision.commitment_id == response.json()["id"]
        assert Commitment.objects.get(pk=decision.commitment_id).interaction_id == alice_meeting.pk
        Commitment.objects.filter(pk=decision.commitment_id).delete()
    else:
        _check_error(response)
        assert decision.commitment_id is None
        assert (Commitment.objects.count(), AuditEntry.objects.count()) == counted
    decision.delete()


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.fixed_dictionaries(
        {},
        optional={
            "person_id": some_ids,
            "organisation_id": some_ids,
            "language": st.one_of(st.sampled_from(["en", "zh-hans", "fr", ""]), json_values),
            "days": st.one_of(st.integers(-5, 1000), json_values),
        },
    )
)
def test_share_links_from_random_input_never_fail_badly(
    alice_api, client_person, client_organisation, payload
):
    payload = _with_ids(
        payload, {"person_id": client_person.pk, "organisation_id": client_organisation.pk}
    )
    before = (ShareLink.objects.count(), AuditEntry.objects.count())
    response = alice_api.post(
        "/api/v1/share-links", json.dumps(payload), content_type="application/json"
    )
    event(f"status {response.status_code}")
    if response.status_code == 201:
        token = response.json()["token"]
        link = ShareLink.objects.get(pk=response.json()["id"])
        assert link.digest == hashlib.sha256(token.encode()).hexdigest()
        link.delete()
    else:
        _check_error(response)
        assert (ShareLink.objects.count(), AuditEntry.objects.count()) == before


@pytest.fixture
def client_person(alice):
    return person_create(actor=alice, display_name="Fuzz Client")


@pytest.fixture
def client_organisation(alice):
    return organisation_create(actor=alice, name="Fuzz Holdings")


@pytest.fixture
def alice_meeting(alice, client_person):
    return interaction_create(
        actor=alice,
        participants=[client_person],
        kind="meeting",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        summary="Fuzzed meeting",
    )
