"""Random input to the API: never a server error, always 201 or a 4xx naming the field,
and a refused write leaves nothing behind."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.interactions.models import Interaction
from rapport.people.models import Channel, Person
from tests.conftest import api_for

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
