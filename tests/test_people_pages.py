"""People and organisation pages, as a salesperson uses them."""

import datetime as dt

import pytest
from django.urls import reverse
from lunardate import LunarDate

from rapport.accounts.models import AuditEntry
from rapport.people.models import Channel, Fact, Person
from rapport.people.services import person_create
from tests.conftest import client_for


@pytest.fixture
def web(alice):
    return client_for(alice)


@pytest.mark.parametrize(
    "query",
    [
        "王小明",
        "小明",
        "xiaoming",
        "Wang Xiaoming",
        "wxm",
        "huawei.example",
        "13800138000",
        "138-0013-8000",
        "华为",
        "Huawei",
        "vip",
        "WX_WANGXM",
    ],
)
def test_a_person_is_found_by_any_of_their_names_and_details(book, web, query):
    response = web.get(reverse("person_list"), {"q": query})
    assert response.status_code == 200
    assert "王小明" in response.text
    assert "Anna Lee" not in response.text


def test_search_by_tag_and_organisation_filters(book, web):
    by_tag = web.get(reverse("person_list"), {"tag": "vip"})
    assert "王小明" in by_tag.text and "Anna Lee" not in by_tag.text
    by_org = web.get(reverse("person_list"), {"organisation": book["northwind"].pk})
    assert "Anna Lee" in by_org.text and "王小明" not in by_org.text


def test_live_search_answers_htmx_with_just_the_rows(book, web):
    response = web.get(reverse("person_list"), {"q": "anna"}, headers={"HX-Request": "true"})
    assert "Anna Lee" in response.text
    assert "<html" not in response.text


def test_people_list_needs_a_constant_number_of_queries(
    book, alice, web, django_assert_max_num_queries
):
    for n in range(30):
        person_create(
            actor=alice,
            display_name=f"Extra {n}",
            channels=[{"kind": "email", "value": f"e{n}@x.example"}],
        )
    with django_assert_max_num_queries(12):
        response = web.get(reverse("person_list"))
    assert response.text.count('href="/people/') >= 25


def test_the_person_page_shows_the_whole_person(book, web):
    response = web.get(reverse("person_detail", args=[book["wang"].pk]))
    page = response.text
    assert response.status_code == 200
    for expected in [
        "王小明",
        "Wang Xiaoming",
        "华为技术",
        "CFO",
        "decision maker",
        "xiaoming.wang@huawei.example",
        "+86 138 0013 8000",
        "wx_wangxm",
        "Alumni dinner in Shanghai",
        "Calligraphy",
        "Hobbies",
        "Quarterly review",
        "Anna Lee",
        "every 30 days",
        "#vip",
    ]:
        assert expected in page, expected
    # Lunar 8/15 with the next solar date shown.
    assert "Lunar month 8, day 15" in page
    assert "<strong>two</strong>" in page


def test_the_next_lunar_birthday_is_shown_as_a_solar_date(book, web, settings):
    response = web.get(reverse("person_detail", args=[book["wang"].pk]))
    from django.utils import timezone

    from rapport.people.queries import next_birthday

    expected = next_birthday(book["wang"], timezone.localdate())
    assert expected is not None
    assert f"{expected.day} {expected:%b} {expected.year}" in response.text


def test_introducer_is_linked_from_the_person_they_introduced(book, web):
    page = web.get(reverse("person_detail", args=[book["anna"].pk])).text
    assert reverse("person_detail", args=[book["wang"].pk]) in page
    assert "29 February" in page


def test_adding_a_fact_with_htmx_returns_the_refreshed_facts(book, web):
    response = web.post(
        reverse("fact_add", args=[book["wang"].pk]),
        {"category": "family", "value": "Daughter learns the piano", "learned_how": "lunch"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Daughter learns the piano" in response.text
    assert "Family" in response.text and "Calligraphy" in response.text
    assert "<html" not in response.text
    assert Fact.objects.filter(person=book["wang"], category="family").exists()


def test_a_fact_without_a_value_is_refused_with_a_message(book, web):
    response = web.post(
        reverse("fact_add", args=[book["wang"].pk]),
        {"category": "family", "value": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "This field is required" in response.text
    assert not Fact.objects.filter(person=book["wang"], category="family").exists()


def test_removing_a_fact(book, web):
    response = web.post(
        reverse("fact_delete", args=[book["fact"].pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Calligraphy" not in response.text
    assert not Fact.objects.filter(pk=book["fact"].pk).exists()


def _person_form(**overrides):
    data = {
        "given_name": "Mei",
        "family_name": "Lin",
        "name_order": "given_first",
        "display_name": "",
        "visibility": "team",
        "birth_calendar": "solar",
        "channels-TOTAL_FORMS": "2",
        "channels-INITIAL_FORMS": "0",
        "channels-MIN_NUM_FORMS": "0",
        "channels-MAX_NUM_FORMS": "20",
        "channels-0-kind": "email",
        "channels-0-value": "mei@lin.example",
        "channels-1-kind": "phone",
        "channels-1-value": "",
        "tags": "golf, Prospect",
    }
    data.update(overrides)
    return data


def test_creating_a_person_from_the_form(alice, web):
    response = web.post(reverse("person_create"), _person_form(birth_month="3", birth_day="4"))
    person = Person.objects.get(display_name="Mei Lin")
    assert response.status_code == 302
    assert response["Location"] == reverse("person_detail", args=[person.pk])
    assert person.owner == alice
    assert list(person.channels.values_list("value", flat=True)) == ["mei@lin.example"]
    assert sorted(person.tags.values_list("name", flat=True)) == ["golf", "prospect"]
    assert AuditEntry.objects.filter(action="person.create", object_id=person.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"channels-0-value": "not-an-email"}, "is not a valid email address"),
        ({"channels-1-value": "call me maybe"}, "is not a phone number"),
        ({"birth_month": "2", "birth_day": "30"}, "day must be between 1 and 29"),
        ({"birth_month": "13", "birth_day": "1"}, "Ensure this value is less than or equal to 12"),
        ({"birth_day": "5"}, "a birthday needs a month"),
        ({"given_name": "", "family_name": ""}, "a person needs a name"),
    ],
)
def test_bad_input_on_the_person_form_is_explained_and_nothing_is_saved(
    alice, web, overrides, message
):
    before = (Person.objects.count(), Channel.objects.count())
    response = web.post(reverse("person_create"), _person_form(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert (Person.objects.count(), Channel.objects.count()) == before


def test_editing_a_person_keeps_what_was_not_changed(book, web):
    wang = book["wang"]
    form = _person_form(
        given_name="小明",
        family_name="王",
        name_order="family_first",
        romanised_name="Wang Xiaoming",
        headline="CFO at Huawei",
        birth_calendar="lunar",
        birth_month="8",
        birth_day="15",
        tags="vip",
        **{
            "channels-0-value": "xiaoming.wang@huawei.example",
            "channels-1-value": "+86 138 0013 8000",
        },
    )
    response = web.post(reverse("person_edit", args=[wang.pk]), form)
    assert response.status_code == 302
    wang.refresh_from_db()
    assert wang.display_name == "王小明"
    assert wang.headline == "CFO at Huawei"
    assert wang.roles.count() == 1 and wang.facts.count() == 1
    entry = AuditEntry.objects.filter(action="person.update", object_id=wang.pk).first()
    assert entry is not None and entry.changes["headline"] == ["", "CFO at Huawei"]


def test_the_edit_form_is_prefilled(book, web):
    page = web.get(reverse("person_edit", args=[book["wang"].pk])).text
    assert 'value="Wang Xiaoming"' in page and "xiaoming.wang@huawei.example" in page


def test_adding_a_role_and_its_validation(book, web):
    url = reverse("role_add", args=[book["anna"].pk])
    bad = web.post(
        url,
        {
            "organisation_id": book["huawei"].pk,
            "organisation_name": "华为技术",
            "title": "Adviser",
            "influence": "3",
            "started_on": "2024-05-01",
            "ended_on": "2023-01-01",
        },
    )
    assert bad.status_code == 422
    assert "cannot end before it starts" in bad.text or "ended_on" in bad.text
    assert book["anna"].roles.count() == 1
    good = web.post(
        url,
        {
            "organisation_id": book["huawei"].pk,
            "organisation_name": "华为技术",
            "title": "Adviser",
            "influence": "3",
        },
    )
    assert good.status_code == 302
    assert book["anna"].roles.count() == 2
    # The new organisation makes her findable by it.
    assert "Anna Lee" in web.get(reverse("person_list"), {"q": "huawei"}).text


def test_organisations_list_detail_and_edit(book, web):
    listing = web.get(reverse("organisation_list")).text
    assert "华为技术" in listing and "Northwind Logistics" in listing
    detail = web.get(reverse("organisation_detail", args=[book["huawei"].pk])).text
    assert "王小明" in detail and "CFO" in detail
    rename = web.post(
        reverse("organisation_edit", args=[book["huawei"].pk]),
        {"name": "华为技术有限公司", "name_romanised": "Huawei Technologies"},
    )
    assert rename.status_code == 302
    # People follow the rename in search.
    assert "王小明" in web.get(reverse("person_list"), {"q": "technologies"}).text


def test_a_duplicate_organisation_name_is_refused_on_the_name_field(book, web):
    response = web.post(reverse("organisation_create"), {"name": "Northwind Logistics"})
    assert response.status_code == 200
    assert "exists" in response.text


def test_deleting_a_person_removes_them_and_their_facts(book, web):
    anna = book["anna"]
    response = web.post(reverse("person_delete", args=[anna.pk]))
    assert response.status_code == 302
    assert not Person.objects.filter(pk=anna.pk).exists()
    assert AuditEntry.objects.filter(action="person.delete", summary="Anna Lee").exists()


def test_a_team_members_own_person_cannot_be_deleted(alice, web):
    own = alice.member.person
    response = web.post(reverse("person_delete", args=[own.pk]))
    assert response.status_code == 400
    assert Person.objects.filter(pk=own.pk).exists()


def test_dashboard_shows_birthdays_going_cold_and_activity(book, web, alice):
    from django.utils import timezone

    today = timezone.localdate()
    soon = today + dt.timedelta(days=3)
    person_create(
        actor=alice, display_name="Birthday Soon", birth_month=soon.month, birth_day=soon.day
    )
    lunar_soon = LunarDate.from_solar_date(soon.year, soon.month, soon.day)
    person_create(
        actor=alice,
        display_name="Lunar Birthday Soon",
        birth_calendar="lunar",
        birth_month=lunar_soon.month,
        birth_day=lunar_soon.day,
    )
    far = today + dt.timedelta(days=40)
    person_create(
        actor=alice, display_name="Birthday Later", birth_month=far.month, birth_day=far.day
    )
    page = web.get(reverse("dashboard")).text
    assert "Birthday Soon" in page
    assert "Lunar Birthday Soon" in page
    assert "Birthday Later" not in page
    # Wang wants contact every 30 days; the last meeting was on 2 Nov 2026 (or the record
    # is newer than that), so he is going cold only once 30 days have passed.
    assert "<svg" in page and "Contact over the last 12 months" in page


def test_a_chinese_speaking_user_gets_validation_messages_in_chinese(alice, web):
    alice.member.language = "zh-hans"
    alice.member.save()
    response = web.post(reverse("person_create"), _person_form(**{"channels-0-value": "bad@"}))
    assert "“bad@”不是有效的电子邮箱地址" in response.text
    lunar = web.post(
        reverse("person_create"),
        _person_form(birth_calendar="lunar", birth_month="1", birth_day="31"),
    )
    assert "农历日期在 1 到 30 之间" in lunar.text


def test_the_organisation_page_shows_recent_interactions_with_its_people(book, web):
    page = web.get(reverse("organisation_detail", args=[book["huawei"].pk])).text
    assert "Quarterly review" in page
    other = web.get(reverse("organisation_detail", args=[book["northwind"].pk])).text
    assert "Quarterly review" in other  # Anna of Northwind was in the meeting too


def test_a_role_in_a_new_organisation_creates_it_and_an_existing_name_is_reused(book, web):
    from rapport.people.models import Organisation

    url = reverse("role_add", args=[book["anna"].pk])
    web.post(
        url, {"organisation_name": "Blue Harbour Partners", "title": "Adviser", "influence": "2"}
    )
    created = Organisation.objects.get(name="Blue Harbour Partners")
    assert created.team == book["anna"].team
    web.post(
        url, {"organisation_name": "northwind logistics", "title": "Board member", "influence": "4"}
    )
    assert Organisation.objects.filter(name__iexact="northwind logistics").count() == 1
    assert book["anna"].roles.count() == 3


def test_the_organisation_picker_suggests_only_the_teams_organisations(book, web):
    response = web.get(reverse("organisation_suggest"), {"organisation_name": "hold"})
    assert "Charlie Holdings" not in response.text
    response = web.get(reverse("organisation_suggest"), {"organisation_name": "north"})
    assert "Northwind Logistics" in response.text
