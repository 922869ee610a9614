"""The shared cast: Alice and Bob work in one team, Charlie in another.

Everything is built through the services, as a user would build it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from rapport.accounts.services import token_create, user_add
from rapport.interactions.services import interaction_create
from rapport.people.services import fact_create, organisation_create, person_create, role_create

PASSWORD = "correct-horse-battery"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def make_user(username: str, team: str, **extra: Any) -> Any:
    user, _ = user_add(
        username=username,
        team_name=team,
        password=PASSWORD,
        email=f"{username}@example.com",
        **extra,
    )
    return user


@pytest.fixture(autouse=True)
def _fresh_feed_cache() -> None:
    """Built calendar feeds are cached on disk by fingerprint; ids and clocks repeat
    between tests, so each test starts with none."""
    from django.core.cache import caches

    caches["feeds"].clear()


@pytest.fixture
def alice(db: Any) -> Any:
    return make_user("alice", "Alpha Advisory", display_name="Alice Adams")


@pytest.fixture
def bob(alice: Any) -> Any:
    return make_user("bob", "Alpha Advisory", display_name="Bob Brown")


@pytest.fixture
def charlie(db: Any) -> Any:
    return make_user("charlie", "Charlie Corp", display_name="Charlie Chen")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: Any) -> Client:
    _, secret = token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def book(alice: Any, bob: Any, charlie: Any) -> dict[str, Any]:
    """A small book: Alice's shared and private clients, Bob's private one, Charlie's."""
    huawei = organisation_create(
        actor=alice, name="华为技术", name_romanised="Huawei", industry="Technology"
    )
    northwind = organisation_create(actor=alice, name="Northwind Logistics")
    wang = person_create(
        actor=alice,
        given_name="小明",
        family_name="王",
        name_order="family_first",
        romanised_name="Wang Xiaoming",
        birth_calendar="lunar",
        birth_month=8,
        birth_day=15,
        how_we_met="Alumni dinner in Shanghai",
        contact_cadence_days=30,
        channels=[
            {"kind": "email", "value": "xiaoming.wang@huawei.example"},
            {"kind": "phone", "value": "+86 138 0013 8000"},
            {"kind": "wechat", "value": "wx_wangxm"},
        ],
        tags=["vip"],
    )
    role_create(
        actor=alice,
        person=wang,
        organisation=huawei,
        title="CFO",
        is_decision_maker=True,
        influence=5,
    )
    anna = person_create(
        actor=alice,
        given_name="Anna",
        family_name="Lee",
        birth_month=2,
        birth_day=29,
        introduced_by=wang.pk,
        channels=[{"kind": "email", "value": "anna@northwind.example"}],
    )
    role_create(actor=alice, person=anna, organisation=northwind, title="Head of Procurement")
    alices_secret = person_create(
        actor=alice, display_name="Alice's Private Contact", visibility="private"
    )
    bobs_secret = person_create(
        actor=bob, display_name="Bob's Private Contact", visibility="private"
    )
    charlies = person_create(
        actor=charlie,
        display_name="Charlie's Client",
        channels=[{"kind": "email", "value": "client@charlie.example"}],
    )
    charlies_org = organisation_create(actor=charlie, name="Charlie Holdings")
    fact = fact_create(actor=alice, person=wang, category="hobby", value="Calligraphy")
    charlies_fact = fact_create(actor=charlie, person=charlies, category="food", value="Dim sum")
    meeting = interaction_create(
        actor=alice,
        participants=[wang, anna],
        kind="meeting",
        occurred_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI),
        summary="Quarterly review",
        focus="client",
        initiated_by="them",
        topics=["renewal", "Golf"],
        notes="Wants **two** options",
    )
    charlies_call = interaction_create(
        actor=charlie,
        participants=[charlies],
        kind="call",
        occurred_at=dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC),
        summary="Charlie's call",
    )
    bobs_private_call = interaction_create(
        actor=bob,
        participants=[bobs_secret],
        kind="call",
        occurred_at=dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC),
        summary="Bob's secret call",
    )
    return {
        "huawei": huawei,
        "northwind": northwind,
        "wang": wang,
        "anna": anna,
        "alices_secret": alices_secret,
        "bobs_secret": bobs_secret,
        "charlies": charlies,
        "charlies_org": charlies_org,
        "fact": fact,
        "charlies_fact": charlies_fact,
        "meeting": meeting,
        "charlies_call": charlies_call,
        "bobs_private_call": bobs_private_call,
        "charlies_role": role_create(actor=charlie, person=charlies, organisation=charlies_org),
    }
