"""Logging interactions: from a person page with htmx, from the log, and what is kept."""

import datetime as dt
import html
import re

from django.urls import reverse

from rapport.interactions.models import Interaction, Participation
from rapport.interactions.services import interaction_create, interaction_delete
from rapport.people.models import Person
from tests.conftest import SHANGHAI, client_for


def _form(**overrides):
    data = {
        "kind": "call",
        "occurred_at": "2026-11-20T15:30",
        "duration_minutes": "20",
        "initiated_by": "us",
        "focus": "personal",
        "topics_text": "golf, 孩子教育，Travel",
        "summary": "Asked about the golf trip",
        "notes": "She **loved** Hainan",
    }
    data.update(overrides)
    return data


def test_logging_from_the_person_page_returns_the_new_timeline(book, alice):
    web = client_for(alice)
    response = web.post(
        reverse("person_interaction_add", args=[book["wang"].pk]),
        _form(),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Asked about the golf trip" in response.text
    assert "Quarterly review" in response.text  # the older entry is still there, below
    assert response.text.index("Asked about the golf trip") < response.text.index(
        "Quarterly review"
    )
    assert "<strong>loved</strong>" in response.text
    interaction = Interaction.objects.get(summary="Asked about the golf trip")
    assert interaction.topics == ["golf", "孩子教育", "travel"]
    assert interaction.focus == "personal" and interaction.initiated_by == "us"
    assert list(interaction.participants.all()) == [book["wang"]]


def test_the_time_typed_is_read_in_the_users_time_zone(book, alice):
    member = alice.member
    member.time_zone = "Asia/Shanghai"
    member.save()
    client_for(alice).post(reverse("person_interaction_add", args=[book["wang"].pk]), _form())
    interaction = Interaction.objects.get(summary="Asked about the golf trip")
    assert interaction.occurred_at == dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.UTC)


def test_times_are_shown_in_each_users_time_zone(book, alice, bob):
    alice.member.time_zone = "Asia/Shanghai"
    alice.member.save()
    bob.member.time_zone = "Europe/London"
    bob.member.save()
    url = reverse("person_detail", args=[book["wang"].pk])
    # The meeting was at 10:00 in Shanghai, 02:00 in London.
    assert "2 Nov 2026 10:00" in client_for(alice).get(url).text
    assert "2 Nov 2026 02:00" in client_for(bob).get(url).text


def test_a_logging_error_is_shown_and_nothing_is_saved(book, alice):
    before = Interaction.objects.count()
    response = client_for(alice).post(
        reverse("person_interaction_add", args=[book["wang"].pk]),
        _form(summary="", kind="fax"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "This field is required" in response.text
    assert "Select a valid choice" in response.text
    assert Interaction.objects.count() == before


def test_notes_are_sanitised_against_scripts(book, alice):
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3)) ok'
    client_for(alice).post(
        reverse("person_interaction_add", args=[book["wang"].pk]), _form(notes=evil)
    )
    page = client_for(alice).get(reverse("person_detail", args=[book["wang"].pk])).text
    assert "<script>alert(1)" not in page
    assert "onerror" not in page
    assert "javascript:alert" not in page
    assert "ok" in Interaction.objects.get(summary="Asked about the golf trip").notes_html


def test_logging_with_several_people_from_the_log_page(book, alice):
    web = client_for(alice)
    page = web.get(reverse("interaction_create"), {"person": book["wang"].pk})
    assert "王小明" in page.text
    response = web.post(
        reverse("interaction_create"),
        {
            **_form(kind="meal", summary="Dinner with both"),
            "participant_ids": [book["wang"].pk, book["anna"].pk],
        },
    )
    assert response.status_code == 302
    meal = Interaction.objects.get(summary="Dinner with both")
    assert set(meal.participants.all()) == {book["wang"], book["anna"]}


def test_an_interaction_needs_someone_in_it(alice):
    response = client_for(alice).post(reverse("interaction_create"), _form())
    assert response.status_code == 422
    assert "an interaction needs at least one person" in response.text


def test_the_log_filters_by_kind_focus_and_topic(book, alice):
    web = client_for(alice)
    assert "Quarterly review" in web.get(reverse("interaction_list"), {"kind": "meeting"}).text
    assert "Quarterly review" not in web.get(reverse("interaction_list"), {"kind": "call"}).text
    assert "Quarterly review" in web.get(reverse("interaction_list"), {"topic": "golf"}).text
    assert "Quarterly review" not in web.get(reverse("interaction_list"), {"focus": "ours"}).text


def test_last_contact_follows_the_newest_interaction(book, alice):
    wang = book["wang"]
    later = dt.datetime(2026, 11, 21, 9, 0, tzinfo=SHANGHAI)
    newer = interaction_create(
        actor=alice, participants=[wang], kind="call", occurred_at=later, summary="Follow-up"
    )
    wang.refresh_from_db()
    assert wang.last_interaction_at == later
    interaction_delete(actor=alice, interaction=newer)
    wang.refresh_from_db()
    assert wang.last_interaction_at == book["meeting"].occurred_at


def test_an_interaction_with_a_private_contact_is_private_to_its_author(book, alice, bob):
    call = interaction_create(
        actor=alice,
        participants=[book["wang"], book["alices_secret"]],
        kind="call",
        occurred_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
        summary="Three-way call",
    )
    assert call.visibility == "private"
    assert "Three-way call" in client_for(alice).get(reverse("interaction_list")).text
    assert "Three-way call" not in client_for(bob).get(reverse("interaction_list")).text
    # Bob still sees Wang's page, just not the private call on it.
    page = client_for(bob).get(reverse("person_detail", args=[book["wang"].pk])).text
    assert "Quarterly review" in page and "Three-way call" not in page


def test_participations_copy_the_time_for_the_timeline_index(book):
    rows = Participation.objects.filter(interaction=book["meeting"])
    assert {r.occurred_at for r in rows} == {book["meeting"].occurred_at}
    assert Person.objects.filter(participations__interaction=book["meeting"]).count() == 2


def test_making_a_contact_private_hides_their_interactions_from_the_team(book, alice, bob):
    from rapport.people.services import person_update

    person_update(actor=alice, person=book["anna"], visibility="private")
    bobs_log = client_for(bob).get(reverse("interaction_list")).text
    assert "Quarterly review" not in bobs_log
    assert "Anna Lee" not in bobs_log
    person_update(actor=alice, person=book["anna"], visibility="team")
    assert "Quarterly review" in client_for(bob).get(reverse("interaction_list")).text


def test_a_private_contact_is_never_named_on_an_interaction_another_user_sees(book, alice, bob):
    from rapport.people.services import person_update

    # Bob logged a call with Wang while Wang was shared; then Alice made Wang private.
    # The call stays Bob's, but it no longer names someone Bob may not see.
    call = interaction_create(
        actor=bob,
        participants=[book["wang"]],
        kind="call",
        occurred_at=dt.datetime(2026, 11, 6, tzinfo=dt.UTC),
        summary="Bob and Wang",
    )
    person_update(actor=alice, person=book["wang"], visibility="private")
    call.refresh_from_db()
    assert call.visibility == "private"
    bobs_log = client_for(bob).get(reverse("interaction_list")).text
    assert "Bob and Wang" in bobs_log  # his own interaction
    assert "王小明" not in bobs_log  # but not Alice's now-private contact


def test_a_long_timeline_comes_a_page_at_a_time_with_older_ones_on_demand(book, alice):
    wang = book["wang"]
    for n in range(24):
        interaction_create(
            actor=alice,
            participants=[wang],
            kind="call",
            summary=f"Call number {n:02d}",
            occurred_at=dt.datetime(2026, 10, 1 + n, 9, 0, tzinfo=dt.UTC),
        )
    web = client_for(alice)
    page = web.get(reverse("person_detail", args=[wang.pk])).text
    # 15 a page: the meeting and the 14 newest calls.
    assert "Call number 23" in page and "Call number 10" in page
    assert "Call number 09" not in page and "Quarterly review" in page
    more = re.search(r'hx-get="([^"]+)"[^>]*>Show older interactions', page)
    assert more is not None
    older = web.get(html.unescape(more.group(1)), headers={"HX-Request": "true"}).text
    assert "Call number 09" in older and "Call number 00" in older
    assert "Call number 10" not in older
    assert "Show older interactions" not in older


def test_the_older_page_needs_a_time_with_a_zone(book, alice):
    url = reverse("person_timeline", args=[book["wang"].pk])
    assert client_for(alice).get(url, {"before": "yesterday"}).status_code == 400


def test_going_cold_lists_people_silent_past_their_cadence_most_overdue_first(alice):
    from django.utils import timezone

    from rapport.interactions.queries import going_cold
    from rapport.people.services import person_create

    now = timezone.now()
    fortnightly = person_create(
        actor=alice, display_name="Every Fortnight", contact_cadence_days=14
    )
    quarterly = person_create(actor=alice, display_name="Every Quarter", contact_cadence_days=90)
    monthly = person_create(actor=alice, display_name="Every Month", contact_cadence_days=30)
    for person in (fortnightly, quarterly, monthly):
        interaction_create(
            actor=alice,
            participants=[person],
            kind="call",
            summary="Chat",
            occurred_at=now - dt.timedelta(days=40),
        )
    cold = going_cold(alice, now=now)
    assert [(p.display_name, days) for p, days in cold] == [
        ("Every Fortnight", 26),
        ("Every Month", 10),
    ]
    page = client_for(alice).get(reverse("dashboard")).text
    cold_card = page[page.index("Going cold") : page.index("Contact over the last 12 months")]
    assert "Every Fortnight" in cold_card and "26 days overdue" in cold_card
    assert "Every Quarter" not in cold_card
