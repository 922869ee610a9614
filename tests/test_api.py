"""The REST API under /api/v1/, as someone writing a client for it would find it.

Bearer tokens, pages of results, filters, the five resources end to end, errors that
name the field at fault (and leave nothing half-saved), safe Markdown, and an audit
entry for every change."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from rapport.accounts.models import AuditEntry
from rapport.accounts.services import token_create, token_revoke
from rapport.interactions.models import Interaction, Participation, Signal
from rapport.interactions.services import interaction_create
from rapport.people.models import Channel, Fact, Organisation, Person, Role, Tag
from rapport.people.services import fact_create, organisation_create, person_create, role_create
from tests.conftest import api_for, client_for

API = "/api/v1"
RESOURCES = ["people", "organisations", "roles", "facts", "interactions"]


# Helpers


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get(API + path, params)


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(API + path)
    return getattr(client, method)(API + path, body, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def assert_error(response: Any, status: int, field: str | None) -> dict[str, Any]:
    """A JSON error with a message, naming `field`."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["field"] == field, body
    return body


def counts() -> dict[str, int]:
    """How many rows of everything a write could leave behind."""
    models = [
        Person,
        Channel,
        Tag,
        Organisation,
        Role,
        Fact,
        Interaction,
        Participation,
        Signal,
        AuditEntry,
    ]
    return {m.__name__: m.objects.count() for m in models}


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def names(page: dict[str, Any]) -> set[str]:
    return {item["display_name"] for item in page["items"]}


def summaries(page: dict[str, Any]) -> set[str]:
    return {item["summary"] for item in page["items"]}


def role_of(person: Person) -> Role:
    return Role.objects.get(person=person)


@pytest.fixture
def api(book: dict[str, Any], alice: Any) -> Client:
    return api_for(alice)


# Signing in with a token


@pytest.mark.parametrize("path", ["/people", "/organisations", "/roles", "/facts", "/interactions"])
def test_it_answers_a_request_without_a_token_with_401_and_a_json_detail(book, path):
    response = Client().get(API + path)

    assert_error(response, 401, None)
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rpt_not-a-token-anyone-was-given",
        "Bearer not-even-shaped-like-one",
        "Bearer ",
        "Basic YWxpY2U6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5",
    ],
)
def test_it_refuses_a_wrong_token_with_401(book, header):
    response = Client(headers={"Authorization": header}).get(API + "/people")

    assert_error(response, 401, None)


def test_it_refuses_a_good_token_with_one_character_changed(book, alice):
    _, secret = token_create(user=alice, name="laptop")
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    response = Client(headers={"Authorization": f"Bearer {tampered}"}).get(API + "/people")

    assert_error(response, 401, None)


def test_it_refuses_a_token_once_it_is_revoked(book, alice):
    token, secret = token_create(user=alice, name="laptop")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(API + "/people").status_code == 200

    token_revoke(actor=alice, token_id=token.pk)

    assert_error(client.get(API + "/people"), 401, None)


def test_it_refuses_the_token_of_someone_whose_account_was_closed(book, alice):
    client = api_for(alice)
    alice.is_active = False
    alice.save()

    assert_error(client.get(API + "/people"), 401, None)


def test_a_signed_in_browser_session_is_not_a_token(book, alice):
    assert_error(client_for(alice).get(API + "/people"), 401, None)


def test_a_good_token_lists_the_team_s_people(api):
    page = ok(get(api, "/people"))

    assert {"王小明", "Anna Lee", "Alice Adams", "Bob Brown"} <= names(page)


# The description of the API


def test_it_serves_an_openapi_description_listing_every_resource(book):
    response = Client().get(API + "/openapi.json")

    schema = ok(response)
    paths = schema["paths"]
    for resource in RESOURCES:
        assert {"get", "post"} <= set(paths[f"{API}/{resource}"]), resource
    assert set(paths[f"{API}/people/{{person_id}}"]) == {"get", "patch", "put", "delete"}
    for resource, key in [
        ("organisations", "organisation_id"),
        ("roles", "role_id"),
        ("facts", "fact_id"),
        ("interactions", "interaction_id"),
    ]:
        assert set(paths[f"{API}/{resource}/{{{key}}}"]) == {"get", "patch", "delete"}
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()


# Pages


@pytest.fixture
def more(book: dict[str, Any], alice: Any) -> dict[str, Any]:
    """Four more of everything, so each list runs to several pages."""
    people = [person_create(actor=alice, display_name=f"Extra Person {n}") for n in range(4)]
    orgs = [organisation_create(actor=alice, name=f"Extra Org {n}") for n in range(4)]
    for n, person in enumerate(people):
        role_create(actor=alice, person=person, organisation=orgs[n], title=f"Role {n}")
        fact_create(actor=alice, person=person, category="food", value=f"Dish {n}")
        interaction_create(
            actor=alice,
            participants=[person],
            kind="call",
            summary=f"Call {n}",
            occurred_at=dt.datetime(2026, 1, n + 1, 9, 0, tzinfo=dt.UTC),
        )
    return book


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_pages_through_every_record_exactly_once(api, more, resource):
    everything = ok(get(api, f"/{resource}", limit=500))
    assert everything["count"] == len(everything["items"]) >= 5

    seen: list[int] = []
    offset = 0
    while offset < everything["count"]:
        page = ok(get(api, f"/{resource}", limit=2, offset=offset))
        assert (page["count"], page["limit"], page["offset"]) == (everything["count"], 2, offset)
        assert len(page["items"]) == min(2, everything["count"] - offset)
        seen += ids(page)
        offset += 2

    assert seen == ids(everything)


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_list_without_a_limit_says_which_page_it_gave(api, more, resource):
    page = ok(get(api, f"/{resource}"))

    assert (page["limit"], page["offset"]) == (50, 0)
    assert page["count"] == len(page["items"])


@pytest.mark.parametrize("resource", RESOURCES)
def test_an_offset_past_the_end_gives_an_empty_page_with_the_full_count(api, more, resource):
    count = ok(get(api, f"/{resource}"))["count"]

    page = ok(get(api, f"/{resource}", offset=count))

    assert page["items"] == []
    assert page["count"] == count


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
@pytest.mark.parametrize("resource", RESOURCES)
def test_a_page_size_out_of_range_is_refused_naming_it(api, resource, params, field):
    assert_error(get(api, f"/{resource}", **params), 422, field)


# Finding people


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("王小明", {"王小明"}),
        ("小明", {"王小明"}),
        ("wangxiaoming", {"王小明"}),
        ("Wang Xiaoming", {"王小明"}),
        ("wxm", {"王小明"}),
        ("xiaoming.wang@huawei.example", {"王小明"}),
        ("XiaoMing.Wang@Huawei.Example", {"王小明"}),
        ("anna@northwind", {"Anna Lee"}),
        ("13800138000", {"王小明"}),
        ("+86 138-0013-8000", {"王小明"}),
        ("0013 8000", {"王小明"}),
        ("华为", {"王小明"}),
        ("logistics", {"Anna Lee"}),
        ("anna lee", {"Anna Lee"}),
        ("nobody-is-called-this", set()),
    ],
)
def test_people_are_found_by_han_characters_pinyin_email_phone_digits_and_organisation(
    api, q, expected
):
    page = ok(get(api, "/people", q=q))

    assert names(page) == expected
    assert page["count"] == len(expected)


def test_a_person_s_list_entry_shows_their_email_phone_and_organisations(api, book):
    [item] = ok(get(api, "/people", q="王小明"))["items"]

    assert item["email"] == "xiaoming.wang@huawei.example"
    assert item["phone"] == "+86 138 0013 8000"
    assert item["organisations"] == ["华为技术"]
    assert item["romanised_name"] == "Wang Xiaoming"


@pytest.mark.parametrize("tag", ["vip", "VIP", " vip "])
def test_people_are_filtered_by_tag_whatever_its_case(api, tag):
    assert names(ok(get(api, "/people", tag=tag))) == {"王小明"}


def test_a_tag_nobody_has_finds_nobody(api):
    assert ok(get(api, "/people", tag="golfer"))["count"] == 0


def test_people_are_filtered_by_organisation(api, book):
    assert names(ok(get(api, "/people", organisation_id=book["northwind"].pk))) == {"Anna Lee"}
    assert names(ok(get(api, "/people", organisation_id=book["huawei"].pk))) == {"王小明"}


def test_people_filters_combine(api, book):
    huawei = book["huawei"].pk
    assert names(ok(get(api, "/people", q="wxm", tag="vip", organisation_id=huawei))) == {"王小明"}
    assert ok(get(api, "/people", q="anna", organisation_id=huawei))["count"] == 0


# Finding interactions


@pytest.fixture
def log(api: Client, book: dict[str, Any], alice: Any) -> dict[str, Any]:
    """Besides the quarterly review (2 Nov, Wang and Anna): a call with Wang in October
    and an email to Anna in December."""
    interaction_create(
        actor=alice,
        participants=[book["wang"]],
        kind="call",
        summary="Golf chat",
        occurred_at=dt.datetime(2026, 10, 1, 10, 0, tzinfo=dt.UTC),
        focus="personal",
        topics=["golf"],
    )
    interaction_create(
        actor=alice,
        participants=[book["anna"]],
        kind="email",
        summary="Price list sent",
        occurred_at=dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC),
        focus="ours",
        topics=["pricing"],
    )
    return book


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "call"}, {"Golf chat"}),
        ({"kind": "meeting"}, {"Quarterly review"}),
        ({"focus": "client"}, {"Quarterly review"}),
        ({"focus": "ours"}, {"Price list sent"}),
        ({"topic": "golf"}, {"Quarterly review", "Golf chat"}),
        ({"topic": "GOLF"}, {"Quarterly review", "Golf chat"}),
        ({"topic": "pricing"}, {"Price list sent"}),
        ({"since": "2026-11-01T00:00:00Z"}, {"Quarterly review", "Price list sent"}),
        ({"until": "2026-11-01T00:00:00Z"}, {"Golf chat"}),
        ({"since": "2026-11-01T00:00:00Z", "until": "2026-11-30T00:00:00Z"}, {"Quarterly review"}),
        (
            {"since": "2026-11-02T10:00:00+08:00", "until": "2026-11-02T10:00:01+08:00"},
            {"Quarterly review"},
        ),
        ({"kind": "meeting", "topic": "pricing"}, set()),
    ],
)
def test_interactions_are_filtered_by_kind_focus_topic_and_time(api, log, params, expected):
    page = ok(get(api, "/interactions", **params))

    assert summaries(page) == expected
    assert page["count"] == len(expected)


def test_interactions_are_filtered_by_person(api, log):
    by_anna = ok(get(api, "/interactions", person_id=log["anna"].pk))
    by_wang = ok(get(api, "/interactions", person_id=log["wang"].pk))

    assert summaries(by_anna) == {"Quarterly review", "Price list sent"}
    assert summaries(by_wang) == {"Quarterly review", "Golf chat"}


def test_interactions_come_newest_first(api, log):
    page = ok(get(api, "/interactions"))

    assert [i["summary"] for i in page["items"]] == [
        "Price list sent",
        "Quarterly review",
        "Golf chat",
    ]


def test_interactions_are_found_by_a_topic_in_chinese(api, log, alice):
    interaction_create(
        actor=alice,
        participants=[log["wang"]],
        kind="meal",
        summary="Lunch",
        occurred_at=dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC),
        topics=["高尔夫"],
    )

    assert summaries(ok(get(api, "/interactions", topic="高尔夫"))) == {"Lunch"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "telegram"}, "kind"),
        ({"focus": "theirs"}, "focus"),
        ({"since": "last tuesday"}, "since"),
        ({"person_id": "wang"}, "person_id"),
    ],
)
def test_a_bad_interaction_filter_is_refused_naming_it(api, params, field):
    assert_error(get(api, "/interactions", **params), 422, field)


# Finding facts and roles


@pytest.fixture
def ground(book: dict[str, Any], alice: Any) -> dict[str, Any]:
    fact_create(actor=alice, person=book["wang"], category="food", value="Hotpot")
    fact_create(actor=alice, person=book["anna"], category="hobby", value="Tennis")
    role_create(actor=alice, person=book["anna"], organisation=book["huawei"], title="Advisor")
    return book


def test_facts_are_filtered_by_person_and_category(api, ground):
    wang = ground["wang"].pk

    def values(**params: Any) -> set[str]:
        return {f["value"] for f in ok(get(api, "/facts", **params))["items"]}

    assert values(person_id=wang) == {"Calligraphy", "Hotpot"}
    assert values(category="hobby") == {"Calligraphy", "Tennis"}
    assert values(person_id=wang, category="hobby") == {"Calligraphy"}
    assert values(category="film") == set()


def test_an_unknown_fact_category_filter_is_refused_naming_it(api):
    assert_error(get(api, "/facts", category="astrology"), 422, "category")


def test_roles_are_filtered_by_person_and_organisation(api, ground):
    def titles(**params: Any) -> set[str]:
        return {r["title"] for r in ok(get(api, "/roles", **params))["items"]}

    assert titles(person_id=ground["wang"].pk) == {"CFO"}
    assert titles(person_id=ground["anna"].pk) == {"Head of Procurement", "Advisor"}
    assert titles(organisation_id=ground["huawei"].pk) == {"CFO", "Advisor"}
    assert titles(organisation_id=ground["northwind"].pk) == {"Head of Procurement"}
    assert titles(person_id=ground["wang"].pk, organisation_id=ground["northwind"].pk) == set()


# People: create, read, change, delete


def test_it_creates_a_person_and_reads_them_back(api, alice):
    created = ok(
        send(
            api,
            "post",
            "/people",
            {
                "given_name": "雷",
                "family_name": "李",
                "name_order": "family_first",
                "romanised_name": "Li Lei",
                "headline": "Partner",
                "birth_month": 3,
                "birth_day": 14,
                "birth_year": 1980,
                "channels": [
                    {"kind": "email", "value": "li.lei@Example.COM", "is_primary": True},
                    {"kind": "phone", "value": "+8613900139000"},
                ],
                "tags": ["VIP", " Golf "],
            },
        ),
        201,
    )

    assert created["display_name"] == "李雷"
    assert created["owner"] == "alice"
    assert created["visibility"] == "team"
    assert {(c["kind"], c["value"]) for c in created["channels"]} == {
        ("email", "li.lei@example.com"),
        ("phone", "+86 139 0013 9000"),
    }
    assert sorted(created["tags"]) == ["golf", "vip"]
    assert created["birthday"]["month"] == 3
    assert created["birthday"]["day"] == 14
    assert ok(get(api, f"/people/{created['id']}")) == created
    assert names(ok(get(api, "/people", q="lilei"))) == {"李雷"}


def test_a_person_s_roles_and_introducer_show_on_their_record(api, book):
    anna = ok(get(api, f"/people/{book['anna'].pk}"))

    assert anna["introduced_by"] == {"id": book["wang"].pk, "display_name": "王小明"}
    assert [(r["organisation_name"], r["title"]) for r in anna["roles"]] == [
        ("Northwind Logistics", "Head of Procurement"),
    ]


def test_a_patch_changes_only_the_fields_it_names(api, book):
    wang = book["wang"].pk
    before = ok(get(api, f"/people/{wang}"))

    after = ok(send(api, "patch", f"/people/{wang}", {"headline": "CFO, Huawei"}))

    assert after["headline"] == "CFO, Huawei"
    unchanged = [
        "display_name",
        "channels",
        "tags",
        "birthday",
        "how_we_met",
        "roles",
        "introduced_by",
        "contact_cadence_days",
    ]
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert ok(get(api, f"/people/{wang}")) == after


def test_a_patch_with_channels_or_tags_replaces_them(api, book):
    wang = book["wang"].pk

    after = ok(
        send(
            api,
            "patch",
            f"/people/{wang}",
            {
                "channels": [{"kind": "wechat", "value": "wx_new"}],
                "tags": [],
            },
        )
    )

    assert [(c["kind"], c["value"]) for c in after["channels"]] == [("wechat", "wx_new")]
    assert after["tags"] == []
    assert ok(get(api, "/people", q="xiaoming.wang@huawei.example"))["count"] == 0
    assert ok(get(api, "/people", tag="vip"))["count"] == 0


def test_a_put_replaces_the_whole_person(api, book):
    wang = book["wang"].pk

    after = ok(send(api, "put", f"/people/{wang}", {"display_name": "Xiaoming W."}))

    assert after["display_name"] == "Xiaoming W."
    assert after["romanised_name"] == ""
    assert after["channels"] == []
    assert after["tags"] == []
    assert after["birthday"] is None
    assert after["how_we_met"] == ""
    assert ok(get(api, f"/people/{wang}")) == after


def test_it_deletes_a_person_who_is_then_gone(api, book):
    anna = book["anna"].pk

    assert send(api, "delete", f"/people/{anna}").status_code == 204

    assert_error(get(api, f"/people/{anna}"), 404, None)
    assert_error(send(api, "delete", f"/people/{anna}"), 404, None)
    assert "Anna Lee" not in names(ok(get(api, "/people")))
    assert ok(get(api, "/roles", person_id=anna))["count"] == 0


def test_a_team_member_s_own_record_cannot_be_deleted(api, alice):
    own = alice.member.person.pk

    assert_error(send(api, "delete", f"/people/{own}"), 422, "person")

    assert ok(get(api, f"/people/{own}"))["display_name"] == "Alice Adams"


def test_reading_a_person_who_does_not_exist_is_a_json_404(api):
    assert_error(get(api, "/people/999999"), 404, None)


# Organisations: create, read, change, delete


def test_it_creates_reads_changes_and_deletes_an_organisation(api):
    created = ok(
        send(
            api,
            "post",
            "/organisations",
            {
                "name": "Acme Trading",
                "industry": "Import",
                "website": "https://acme.example",
                "city": "Ningbo",
            },
        ),
        201,
    )
    path = f"/organisations/{created['id']}"
    assert created["name"] == "Acme Trading"
    assert ok(get(api, path)) == created

    changed = ok(send(api, "patch", path, {"city": "Hangzhou"}))
    assert (changed["city"], changed["name"], changed["industry"]) == (
        "Hangzhou",
        "Acme Trading",
        "Import",
    )
    assert ok(get(api, path)) == changed

    assert send(api, "delete", path).status_code == 204
    assert_error(get(api, path), 404, None)
    assert "Acme Trading" not in {o["name"] for o in ok(get(api, "/organisations"))["items"]}


def test_organisations_are_found_by_name_or_romanised_name(api):
    assert [o["name"] for o in ok(get(api, "/organisations", q="huawei"))["items"]] == ["华为技术"]
    assert [o["name"] for o in ok(get(api, "/organisations", q="华为"))["items"]] == ["华为技术"]


def test_renaming_an_organisation_makes_its_people_findable_by_the_new_name(api, book):
    ok(
        send(
            api, "patch", f"/organisations/{book['huawei'].pk}", {"name_romanised": "Huawei Cloud"}
        )
    )

    assert names(ok(get(api, "/people", q="cloud"))) == {"王小明"}


def test_deleting_an_organisation_removes_its_roles_but_not_its_people(api, book):
    assert send(api, "delete", f"/organisations/{book['huawei'].pk}").status_code == 204

    wang = ok(get(api, f"/people/{book['wang'].pk}"))
    assert wang["roles"] == []
    assert ok(get(api, "/people", q="华为技术"))["count"] == 0


# Roles: create, read, change, delete


def test_it_creates_reads_changes_and_deletes_a_role(api, book):
    created = ok(
        send(
            api,
            "post",
            "/roles",
            {
                "person_id": book["wang"].pk,
                "organisation_id": book["northwind"].pk,
                "title": "Board advisor",
                "influence": 4,
                "started_on": "2025-01-01",
            },
        ),
        201,
    )
    path = f"/roles/{created['id']}"
    assert (created["organisation_name"], created["title"], created["influence"]) == (
        "Northwind Logistics",
        "Board advisor",
        4,
    )
    assert ok(get(api, path)) == created
    assert names(ok(get(api, "/people", q="logistics"))) == {"王小明", "Anna Lee"}

    changed = ok(send(api, "patch", path, {"title": "Chair", "is_decision_maker": True}))
    assert (changed["title"], changed["is_decision_maker"], changed["influence"]) == (
        "Chair",
        True,
        4,
    )
    assert ok(get(api, path)) == changed

    assert send(api, "delete", path).status_code == 204
    assert_error(get(api, path), 404, None)
    assert names(ok(get(api, "/people", q="logistics"))) == {"Anna Lee"}


# Facts: create, read, change, delete


def test_it_creates_reads_changes_and_deletes_a_fact(api, book):
    created = ok(
        send(
            api,
            "post",
            "/facts",
            {
                "person_id": book["wang"].pk,
                "category": "food",
                "value": "Hotpot",
                "learned_how": "Dinner in Chengdu",
                "learned_on": "2026-03-01",
            },
        ),
        201,
    )
    path = f"/facts/{created['id']}"
    assert (created["person_id"], created["category"], created["value"]) == (
        book["wang"].pk,
        "food",
        "Hotpot",
    )
    assert ok(get(api, path)) == created

    changed = ok(send(api, "patch", path, {"value": "Sichuan hotpot"}))
    assert (changed["value"], changed["learned_how"]) == ("Sichuan hotpot", "Dinner in Chengdu")
    assert ok(get(api, path)) == changed

    assert send(api, "delete", path).status_code == 204
    assert_error(get(api, path), 404, None)


# Interactions: create, read, change, delete


def test_it_logs_reads_changes_and_deletes_an_interaction(api, book):
    wang, anna = book["wang"].pk, book["anna"].pk
    created = ok(
        send(
            api,
            "post",
            "/interactions",
            {
                "kind": "meal",
                "occurred_at": "2026-11-20T12:30:00+08:00",
                "duration_minutes": 90,
                "summary": "  Lunch at Din Tai Fung  ",
                "topics": ["Golf", " golf ", "Family"],
                "notes": "Daughter starts university",
                "participant_ids": [wang, anna],
                "signals": ["they_opened_up", "summarised_first"],
            },
        ),
        201,
    )
    path = f"/interactions/{created['id']}"
    assert created["summary"] == "Lunch at Din Tai Fung"
    assert created["topics"] == ["golf", "family"]
    assert created["signals"] == ["summarised_first", "they_opened_up"]
    assert {p["id"] for p in created["participants"]} == {wang, anna}
    assert (created["owner"], created["source"], created["visibility"]) == ("alice", "api", "team")
    assert dt.datetime.fromisoformat(created["occurred_at"]) == dt.datetime(
        2026, 11, 20, 4, 30, tzinfo=dt.UTC
    )
    assert ok(get(api, path)) == created

    changed = ok(send(api, "patch", path, {"summary": "Lunch", "participant_ids": [wang]}))
    assert changed["summary"] == "Lunch"
    assert [p["id"] for p in changed["participants"]] == [wang]
    assert changed["topics"] == ["golf", "family"]
    assert changed["signals"] == ["summarised_first", "they_opened_up"]
    assert ok(get(api, path)) == changed
    assert ok(send(api, "patch", path, {"signals": ["we_opened_up"]}))["signals"] == [
        "we_opened_up"
    ]
    assert summaries(ok(get(api, "/interactions", person_id=anna))) == {"Quarterly review"}

    assert send(api, "delete", path).status_code == 204
    assert_error(get(api, path), 404, None)


def test_logging_an_interaction_moves_the_last_contact_and_deleting_it_moves_it_back(api, book):
    wang = book["wang"].pk
    before = ok(get(api, f"/people/{wang}"))["last_interaction_at"]

    created = ok(
        send(
            api,
            "post",
            "/interactions",
            {
                "kind": "call",
                "occurred_at": "2026-11-21T09:00:00Z",
                "summary": "Check-in",
                "participant_ids": [wang],
            },
        ),
        201,
    )
    during = ok(get(api, f"/people/{wang}"))["last_interaction_at"]
    send(api, "delete", f"/interactions/{created['id']}")
    after = ok(get(api, f"/people/{wang}"))["last_interaction_at"]

    assert dt.datetime.fromisoformat(during) == dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
    assert after == before


def test_an_interaction_with_a_private_contact_is_private_to_whoever_logged_it(api, book, bob):
    created = ok(
        send(
            api,
            "post",
            "/interactions",
            {
                "kind": "call",
                "occurred_at": "2026-11-21T09:00:00Z",
                "summary": "Quiet word",
                "participant_ids": [book["wang"].pk, book["alices_secret"].pk],
            },
        ),
        201,
    )

    assert created["visibility"] == "private"
    assert_error(get(api_for(bob), f"/interactions/{created['id']}"), 404, None)


def test_the_same_external_id_cannot_be_recorded_twice(api, book):
    body = {
        "kind": "email",
        "occurred_at": "2026-11-21T09:00:00Z",
        "summary": "Re: terms",
        "participant_ids": [book["wang"].pk],
        "external_id": "<msg-1@mail.example>",
    }
    ok(send(api, "post", "/interactions", body), 201)
    before = counts()

    assert_error(send(api, "post", "/interactions", body), 422, "external_id")
    assert counts() == before


# Invalid input: the error names the field, and nothing is half-saved


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"display_name": "X", "channels": [{"kind": "email", "value": "not-an-email"}]},
            "channels[0].value",
        ),
        (
            {
                "display_name": "X",
                "channels": [
                    {"kind": "email", "value": "x@example.com"},
                    {"kind": "email", "value": "x@@example"},
                ],
            },
            "channels[1].value",
        ),
        (
            {"display_name": "X", "channels": [{"kind": "phone", "value": "12"}]},
            "channels[0].value",
        ),
        ({"display_name": "X", "channels": [{"kind": "phone", "value": ""}]}, "channels[0].value"),
        (
            {"display_name": "X", "channels": [{"kind": "fax", "value": "+86 21 1234 5678"}]},
            "channels[0].kind",
        ),
        ({"display_name": "X", "channels": [{"kind": "email"}]}, "channels[0].value"),
        ({"display_name": "X", "birth_month": 13, "birth_day": 1}, "birth_month"),
        ({"display_name": "X", "birth_month": 4, "birth_day": 31}, "birth_day"),
        ({"display_name": "X", "birth_month": 4}, "birth_day"),
        ({"display_name": "X", "visibility": "secret"}, "visibility"),
        ({"display_name": "X", "name_order": "surname_last"}, "name_order"),
        ({"display_name": "X", "contact_cadence_days": 0}, "contact_cadence_days"),
        ({"display_name": "X", "introduced_by": 999999}, "introduced_by"),
        ({"display_name": "X", "tags": ["x" * 51]}, "tags"),
        ({"display_name": "X" * 201}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({}, "display_name"),
    ],
)
def test_a_person_that_cannot_be_saved_is_refused_naming_the_field_and_nothing_is_kept(
    api, body, field
):
    before = counts()

    assert_error(send(api, "post", "/people", body), 422, field)

    assert counts() == before


def test_a_person_with_a_valid_name_but_an_invalid_second_channel_leaves_no_trace(api):
    before = counts()

    assert_error(
        send(
            api,
            "post",
            "/people",
            {
                "display_name": "Half Saved",
                "channels": [
                    {"kind": "email", "value": "half@example.com"},
                    {"kind": "email", "value": "half-at-example"},
                ],
                "tags": ["brand-new-tag"],
            },
        ),
        422,
        "channels[1].value",
    )

    assert counts() == before
    assert not Person.objects.filter(display_name="Half Saved").exists()
    assert not Channel.objects.filter(value="half@example.com").exists()
    assert not Tag.objects.filter(name="brand-new-tag").exists()


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        (
            "patch",
            {
                "headline": "Changed",
                "channels": [
                    {"kind": "email", "value": "new@example.com"},
                    {"kind": "email", "value": "bad"},
                ],
            },
            "channels[1].value",
        ),
        ("patch", {"headline": "Changed", "birth_month": 13}, "birth_month"),
        ("patch", {"headline": "Changed", "tags": ["ok", "y" * 51]}, "tags"),
        ("patch", {"headline": "Changed", "introduced_by": 999999}, "introduced_by"),
        (
            "patch",
            {"headline": "Changed", "channels": [{"kind": "pager", "value": "1"}]},
            "channels[0].kind",
        ),
        (
            "put",
            {
                "display_name": "Changed",
                "channels": [
                    {"kind": "phone", "value": "+86 138 0013 8000"},
                    {"kind": "phone", "value": "abc"},
                ],
            },
            "channels[1].value",
        ),
        ("put", {"headline": "Changed"}, "display_name"),
    ],
)
def test_a_failed_change_to_a_person_leaves_them_as_they_were(api, book, method, body, field):
    path = f"/people/{book['wang'].pk}"
    before_record = ok(get(api, path))
    before = counts()

    assert_error(send(api, method, path, body), 422, field)

    assert ok(get(api, path)) == before_record
    assert counts() == before


def test_a_duplicate_organisation_name_is_refused_naming_the_name(api):
    before = counts()

    assert_error(send(api, "post", "/organisations", {"name": "华为技术"}), 422, "name")
    assert_error(send(api, "post", "/organisations", {"name": "  华为技术 "}), 422, "name")

    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({}, "name"),
        ({"name": "Acme", "website": "not a url"}, "website"),
        ({"name": "N" * 201}, "name"),
    ],
)
def test_an_organisation_that_cannot_be_saved_is_refused_naming_the_field(api, body, field):
    before = counts()

    assert_error(send(api, "post", "/organisations", body), 422, field)

    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Northwind Logistics", "city": "Hamburg"}, "name"),
        ({"name": "", "city": "Hamburg"}, "name"),
        ({"city": "Hamburg", "website": "ftp:/nope"}, "website"),
    ],
)
def test_a_failed_change_to_an_organisation_leaves_it_as_it_was(api, book, body, field):
    path = f"/organisations/{book['huawei'].pk}"
    before_record = ok(get(api, path))
    before = counts()

    assert_error(send(api, "patch", path, body), 422, field)

    assert ok(get(api, path)) == before_record
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"influence": 6}, "influence"),
        ({"influence": 0}, "influence"),
        pytest.param({"started_on": "2026-05-01", "ended_on": "2026-01-01"}, "ended_on"),
        ({"started_on": "the first of May"}, "started_on"),
        ({"person_id": 999999}, "person_id"),
        ({"organisation_id": 999999}, "organisation_id"),
        ({"title": "T" * 151}, "title"),
    ],
)
def test_a_role_that_cannot_be_saved_is_refused_naming_the_field(api, book, body, field):
    full = {
        "person_id": book["wang"].pk,
        "organisation_id": book["northwind"].pk,
        "title": "Advisor",
    }
    before = counts()

    assert_error(send(api, "post", "/roles", {**full, **body}), 422, field)

    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "Chair", "influence": 9}, "influence"),
        ({"title": "Chair", "started_on": "someday"}, "started_on"),
        pytest.param(
            {"title": "Chair", "started_on": "2000-01-01", "ended_on": "1999-01-01"},
            "ended_on",
        ),
    ],
)
def test_a_failed_change_to_a_role_leaves_it_as_it_was(api, book, body, field):
    path = f"/roles/{role_of(book['wang']).pk}"
    before_record = ok(get(api, path))
    before = counts()

    assert_error(send(api, "patch", path, body), 422, field)

    assert ok(get(api, path)) == before_record
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "astrology"}, "category"),
        ({"value": ""}, "value"),
        ({"value": "   "}, "value"),
        ({"value": "V" * 301}, "value"),
        ({"person_id": 999999}, "person_id"),
        ({"learned_on": "2026-02-30"}, "learned_on"),
    ],
)
def test_a_fact_that_cannot_be_saved_is_refused_naming_the_field(api, book, body, field):
    full = {"person_id": book["wang"].pk, "category": "food", "value": "Hotpot"}
    before = counts()

    assert_error(send(api, "post", "/facts", {**full, **body}), 422, field)

    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"detail": "x", "category": "astrology"}, "category"),
        ({"detail": "x", "value": ""}, "value"),
        ({"detail": "x", "category": None}, "category"),
        ({"detail": "x", "value": "   "}, "value"),
    ],
)
def test_a_failed_change_to_a_fact_leaves_it_as_it_was(api, book, body, field):
    path = f"/facts/{book['fact'].pk}"
    before_record = ok(get(api, path))
    before = counts()

    assert_error(send(api, "patch", path, body), 422, field)

    assert ok(get(api, path)) == before_record
    assert counts() == before


@pytest.fixture
def call_body(book: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "call",
        "occurred_at": "2026-11-21T09:00:00Z",
        "summary": "Check-in",
        "participant_ids": [book["wang"].pk],
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": None}, "summary"),
        ({"summary": ""}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"summary": "S" * 301}, "summary"),
        ({"participant_ids": []}, "participant_ids"),
        ({"participant_ids": None}, "participant_ids"),
        ({"participant_ids": [999999]}, "participant_ids"),
        ({"kind": "telegram"}, "kind"),
        ({"kind": None}, "kind"),
        ({"focus": "theirs"}, "focus"),
        ({"initiated_by": "nobody"}, "initiated_by"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-11-21T09:00:00"}, "occurred_at"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"topics": ["t" * 61]}, "topics"),
        ({"signals": ["price_pressure", "flattery"]}, "signals"),
    ],
)
def test_an_interaction_that_cannot_be_saved_is_refused_naming_the_field(
    api, call_body, change, field
):
    body = {**call_body, **change}
    body = {k: v for k, v in body.items() if v is not None}
    before = counts()

    assert_error(send(api, "post", "/interactions", body), 422, field)

    assert counts() == before


def test_an_interaction_with_someone_from_another_team_is_refused_and_not_saved(
    api, book, call_body
):
    before = counts()

    assert_error(
        send(
            api,
            "post",
            "/interactions",
            {
                **call_body,
                "participant_ids": [book["wang"].pk, book["charlies"].pk],
            },
        ),
        422,
        "participant_ids",
    )

    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"summary": "Changed", "participant_ids": [999999]}, "participant_ids"),
        ({"summary": "Changed", "participant_ids": []}, "participant_ids"),
        ({"summary": "Changed", "kind": "telegram"}, "kind"),
        ({"summary": "   "}, "summary"),
        ({"summary": "Changed", "occurred_at": "2026-11-21T09:00:00"}, "occurred_at"),
        ({"summary": "Changed", "signals": ["we_opened_up", "flattery"]}, "signals"),
    ],
)
def test_a_failed_change_to_an_interaction_leaves_it_as_it_was(api, book, body, field):
    path = f"/interactions/{book['meeting'].pk}"
    before_record = ok(get(api, path))
    before = counts()

    assert_error(send(api, "patch", path, body), 422, field)

    assert ok(get(api, path)) == before_record
    assert counts() == before


def test_a_body_that_is_not_json_gets_a_json_error(api):
    response = api.post(API + "/people", "{not json", content_type="application/json")

    assert_error(response, 400, None)


# Markdown notes


@pytest.mark.parametrize(
    "notes",
    [
        "<script>alert('x')</script>Hello",
        '<img src="x" onerror="alert(1)">',
        "<IMG SRC=x OnError=alert(1)>",
        '<a href="#" onclick="steal()">click</a>',
        "[click](javascript:alert(1))",
        "<iframe src='https://evil.example'></iframe>",
        "<svg onload=alert(1)></svg>",
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_notes_never_carry_a_script(api, book, call_body, notes):
    created = ok(send(api, "post", "/interactions", {**call_body, "notes": notes}), 201)
    changed = ok(send(api, "patch", f"/interactions/{book['meeting'].pk}", {"notes": notes}))

    for html in (created["notes_html"], changed["notes_html"]):
        lowered = html.lower()
        for danger in (
            "<script",
            "onerror",
            "onclick",
            "onload",
            "javascript:",
            "<iframe",
            "<svg",
            "style=",
        ):
            assert danger not in lowered, html
    assert created["notes"] == notes


def test_notes_in_markdown_come_back_as_html(api, call_body):
    created = ok(
        send(
            api,
            "post",
            "/interactions",
            {
                **call_body,
                "notes": "Wants **two** options:\n\n- *soon*\n- [site](https://example.com)",
            },
        ),
        201,
    )

    html = created["notes_html"]
    assert "<strong>two</strong>" in html
    assert "<em>soon</em>" in html
    assert "<li>" in html
    assert 'href="https://example.com"' in html


def test_changed_notes_are_rendered_again(api, book):
    path = f"/interactions/{book['meeting'].pk}"
    assert "<strong>two</strong>" in ok(get(api, path))["notes_html"]

    changed = ok(send(api, "patch", path, {"notes": "Now **three**"}))

    assert "<strong>three</strong>" in changed["notes_html"]
    assert "two" not in changed["notes_html"]


# The audit trail


def _create_person(c: Client, b: dict[str, Any]) -> tuple[Any, int | None]:
    r = send(c, "post", "/people", {"display_name": "New Person"})
    return r, r.json().get("id")


def _create_organisation(c: Client, b: dict[str, Any]) -> tuple[Any, int | None]:
    r = send(c, "post", "/organisations", {"name": "New Org"})
    return r, r.json().get("id")


def _create_role(c: Client, b: dict[str, Any]) -> tuple[Any, int | None]:
    r = send(c, "post", "/roles", {"person_id": b["wang"].pk, "organisation_id": b["northwind"].pk})
    return r, r.json().get("id")


def _create_fact(c: Client, b: dict[str, Any]) -> tuple[Any, int | None]:
    r = send(
        c,
        "post",
        "/facts",
        {"person_id": b["anna"].pk, "category": "book", "value": "Dream of the Red Chamber"},
    )
    return r, r.json().get("id")


def _create_interaction(c: Client, b: dict[str, Any]) -> tuple[Any, int | None]:
    r = send(
        c,
        "post",
        "/interactions",
        {
            "kind": "note",
            "summary": "Noted",
            "occurred_at": "2026-11-21T09:00:00Z",
            "participant_ids": [b["anna"].pk],
        },
    )
    return r, r.json().get("id")


def _on(method: str, path: str, key: str, body: Any = None) -> Any:
    def write(c: Client, b: dict[str, Any]) -> tuple[Any, int]:
        pk = role_of(b["wang"]).pk if key == "wang_role" else b[key].pk
        return send(c, method, path.format(pk), body), pk

    return write


WRITES = [
    ("person.create", 201, _create_person),
    ("person.update", 200, _on("patch", "/people/{}", "wang", {"headline": "CFO"})),
    ("person.update", 200, _on("put", "/people/{}", "wang", {"display_name": "Wang X."})),
    ("person.delete", 204, _on("delete", "/people/{}", "anna")),
    ("organisation.create", 201, _create_organisation),
    ("organisation.update", 200, _on("patch", "/organisations/{}", "huawei", {"city": "SZ"})),
    ("organisation.delete", 204, _on("delete", "/organisations/{}", "northwind")),
    ("role.create", 201, _create_role),
    ("role.update", 200, _on("patch", "/roles/{}", "wang_role", {"influence": 4})),
    ("role.delete", 204, _on("delete", "/roles/{}", "wang_role")),
    ("fact.create", 201, _create_fact),
    ("fact.update", 200, _on("patch", "/facts/{}", "fact", {"detail": "Since school"})),
    ("fact.delete", 204, _on("delete", "/facts/{}", "fact")),
    ("interaction.create", 201, _create_interaction),
    ("interaction.update", 200, _on("patch", "/interactions/{}", "meeting", {"summary": "QBR"})),
    ("interaction.delete", 204, _on("delete", "/interactions/{}", "meeting")),
]


@pytest.mark.parametrize(
    ("action", "status", "write"), WRITES, ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(WRITES)]
)
def test_every_successful_write_leaves_one_audit_entry_by_whoever_made_it(
    book, bob, action, status, write
):
    # Bob changes records Alice made: the entry must name Bob, not the owner.
    client = api_for(bob)
    already = set(AuditEntry.objects.values_list("pk", flat=True))

    response, pk = write(client, book)

    assert response.status_code == status, response.content
    [entry] = AuditEntry.objects.exclude(pk__in=already)
    assert (entry.actor, entry.action, entry.object_id) == (bob, action, pk)
    assert entry.team == bob.member.team


def test_an_audit_entry_for_a_change_says_what_changed(api, book, alice):
    ok(send(api, "patch", f"/people/{book['wang'].pk}", {"headline": "CFO, Huawei"}))

    entry = AuditEntry.objects.filter(action="person.update").latest("pk")
    assert entry.actor == alice
    assert entry.changes == {"headline": ["", "CFO, Huawei"]}


def test_a_nul_character_is_refused_naming_its_field_on_every_database(book, alice):
    api = api_for(alice)
    before = Person.objects.count()
    response = api.post(
        "/api/v1/people",
        json.dumps({"display_name": "Null\x00Person", "visibility": "team"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "display_name"
    assert Person.objects.count() == before
    nested = api.post(
        "/api/v1/people",
        json.dumps(
            {
                "display_name": "Fine",
                "visibility": "team",
                "channels": [{"kind": "email", "value": "a\x00@b.example"}],
            }
        ),
        content_type="application/json",
    )
    assert nested.status_code == 422 and nested.json()["field"] == "channels[0].value"
    for url in ("/api/v1/people?q=a%00", "/api/v1/interactions?topic=%00"):
        refused = api.get(url)
        assert refused.status_code == 400, url
        assert "NUL" in refused.json()["detail"] and refused.json()["field"], url
    page = client_for(alice).get("/people/?q=%00")
    assert page.status_code == 400 and "q: text must not contain" in page.text
