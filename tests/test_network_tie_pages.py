"""The person page's Ties and Referrals cards: recording who knows whom and who
introduced whom, changing and deleting ties, thanking referrers, and never reaching
another team's people or a colleague's private contact."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.interactions.services import interaction_create
from rapport.network.models import Referral, Tie
from rapport.network.services import referral_create, tie_create
from rapport.people.services import person_create
from tests.conftest import client_for, make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401 - the fixture

# The chip that marks a strength set by hand.
MANUAL = 'data-testid="tie-manual"'


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def htmx_for(user: Any) -> Any:
    client = client_for(user)
    client.defaults["HTTP_HX_REQUEST"] = "true"
    return client


def ties_card(user: Any, person: Any) -> str:
    response = htmx_for(user).get(reverse("person_ties", args=[person.pk]))
    assert response.status_code == 200
    return text(response)


def referrals_card(user: Any, person: Any) -> str:
    response = htmx_for(user).get(reverse("person_referrals", args=[person.pk]))
    assert response.status_code == 200
    return text(response)


def add_tie(user: Any, person: Any, **data: Any) -> Any:
    return htmx_for(user).post(reverse("tie_add", args=[person.pk]), {"kind": "other", **data})


def the_tie(a: Any, b: Any) -> Tie:
    first, second = sorted((a, b), key=lambda p: p.pk)
    return Tie.objects.get(person_a=first, person_b=second)


# The person page


def test_the_person_page_loads_the_ties_and_referrals_cards(book, alice):
    wang = book["wang"]

    page = text(client_for(alice).get(reverse("person_detail", args=[wang.pk])))

    assert f'hx-get="{reverse("person_ties", args=[wang.pk])}"' in page
    assert f'hx-get="{reverse("person_referrals", args=[wang.pk])}"' in page


def test_the_ties_card_works_as_a_page_of_its_own_without_javascript(book, alice):
    wang = book["wang"]
    tie_create(actor=alice, person_a=wang, person_b=book["anna"], kind="friend")

    page = client_for(alice).get(reverse("person_ties", args=[wang.pk]))

    assert page.status_code == 200
    assert "<html" in text(page) and "Anna Lee" in text(page)


# Adding a tie


def test_a_tie_added_by_picking_the_other_person_shows_with_its_bar_and_percentage(book, alice):
    wang, anna = book["wang"], book["anna"]

    response = add_tie(
        alice,
        wang,
        other_id=anna.pk,
        other_name="Anna Lee",
        kind="friend",
        since="2019-05-01",
        note="Met at business school",
        strength="60",
    )

    assert response.status_code == 200
    card = text(response)
    assert "Anna Lee" in card and "Friend" in card
    assert 'style="width: 60%"' in card and "60%" in card
    assert MANUAL in card
    assert "Met at business school" in card
    tie = the_tie(wang, anna)
    assert (tie.kind, tie.manual_strength, tie.since) == ("friend", 0.6, dt.date(2019, 5, 1))
    assert AuditEntry.objects.filter(action="tie.create").count() == 1
    # The other person's card shows the same tie from their side.
    assert "王小明" in ties_card(alice, anna)


def test_a_computed_tie_shows_its_strength_source_and_last_contact(book, alice):
    wang, anna = book["wang"], book["anna"]

    card = text(add_tie(alice, wang, other_id=anna.pk, other_name="Anna Lee", kind="client"))

    tie = the_tie(wang, anna)
    assert tie.manual_strength is None and tie.strength > 0
    percent = round(tie.strength * 100)
    assert f'style="width: {percent}%"' in card
    assert MANUAL not in card
    assert "Entered by hand" in card  # the source: a user recorded it
    # Both were at the quarterly review: the tie knows its last contact.
    assert "last contact" in card and "(1 conversation)" in card


def test_a_full_name_typed_without_picking_is_accepted_when_only_one_person_has_it(book, alice):
    response = add_tie(alice, book["wang"], other_name="anna lee", kind="colleague")

    assert response.status_code == 200
    assert the_tie(book["wang"], book["anna"]).kind == "colleague"


def test_a_name_nobody_has_is_refused_on_the_name_field(book, alice):
    response = add_tie(alice, book["wang"], other_name="Nobody Known")

    assert response.status_code == 422
    assert "nobody you can see is called Nobody Known" in text(response)
    assert not Tie.objects.exists()


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_someone_out_of_reach_cannot_be_chosen_for_a_tie(book, alice, who):
    target = book[who]

    response = add_tie(alice, book["wang"], other_id=target.pk, other_name="Anyone")

    assert response.status_code == 422
    assert "no such person" in text(response)
    assert target.display_name not in text(response)
    assert not Tie.objects.exists()
    assert not AuditEntry.objects.filter(action="tie.create").exists()


def test_the_card_of_someone_out_of_reach_is_not_found(book, alice, charlie):
    assert htmx_for(charlie).get(reverse("person_ties", args=[book["wang"].pk])).status_code == 404
    assert (
        htmx_for(alice).get(reverse("person_ties", args=[book["bobs_secret"].pk])).status_code
        == 404
    )
    assert (
        add_tie(charlie, book["wang"], other_id=book["anna"].pk, other_name="x").status_code == 404
    )
    assert not Tie.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"strength": "150"}, "strength", "less than or equal to 100"),
        ({"strength": "-1"}, "strength", "greater than or equal to 0"),
        ({"since": "2999-01-01"}, "since", "this date is in the future"),
        ({"since": "not a date"}, "since", "Enter a valid date"),
        ({"kind": "enemy"}, "kind", "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_on_the_field_it_concerns_and_nothing_is_written(
    book, alice, data, field, message
):
    response = add_tie(alice, book["wang"], other_id=book["anna"].pk, other_name="Anna Lee", **data)

    assert response.status_code == 422
    card = text(response)
    # The error follows its field's input, inside that field's block.
    block = card[card.index(f'name="{field}"') :]
    assert message in block[: block.index("</div>")]
    assert not Tie.objects.exists()


def test_picking_nobody_is_refused(book, alice):
    response = add_tie(alice, book["wang"], other_name="")

    assert response.status_code == 422
    assert "pick a person from the suggestions" in text(response)


def test_a_second_tie_between_the_same_two_is_refused(book, alice):
    wang, anna = book["wang"], book["anna"]
    tie_create(actor=alice, person_a=wang, person_b=anna, kind="friend")

    response = add_tie(alice, anna, other_id=wang.pk, other_name="王小明", kind="family")

    assert response.status_code == 422
    assert "these two already have a tie" in text(response)
    assert the_tie(wang, anna).kind == "friend"


def test_without_htmx_a_new_tie_leads_back_to_the_person_page(book, alice):
    response = client_for(alice).post(
        reverse("tie_add", args=[book["wang"].pk]),
        {"other_id": book["anna"].pk, "other_name": "Anna Lee", "kind": "friend"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("person_detail", args=[book["wang"].pk])


# Changing and deleting a tie


def test_a_tie_s_kind_since_and_note_are_changed(book, alice):
    wang, anna = book["wang"], book["anna"]
    tie = tie_create(actor=alice, person_a=wang, person_b=anna, kind="other")
    form = htmx_for(alice).get(reverse("tie_edit_form", args=[tie.pk]) + f"?person={wang.pk}")
    assert form.status_code == 200 and 'name="kind"' in text(form)

    response = htmx_for(alice).post(
        reverse("tie_edit", args=[tie.pk]),
        {"person": wang.pk, "kind": "former_colleague", "since": "2015-09-01", "note": "At Acme"},
    )

    assert response.status_code == 200
    assert "Former colleague" in text(response) and "At Acme" in text(response)
    tie.refresh_from_db()
    assert (tie.kind, tie.since, tie.note) == ("former_colleague", dt.date(2015, 9, 1), "At Acme")
    assert AuditEntry.objects.filter(action="tie.update").count() == 1


def test_a_bad_change_keeps_the_change_form_open_with_its_error(book, alice):
    tie = tie_create(actor=alice, person_a=book["wang"], person_b=book["anna"], kind="friend")

    response = htmx_for(alice).post(
        reverse("tie_edit", args=[tie.pk]),
        {"person": book["wang"].pk, "kind": "friend", "since": "2999-01-01", "note": ""},
    )

    assert response.status_code == 422
    assert "this date is in the future" in text(response)
    assert "<details open>" in text(response)
    tie.refresh_from_db()
    assert tie.since is None


def test_a_tie_s_strength_is_set_by_hand_and_then_computed_again(book, alice):
    wang, anna = book["wang"], book["anna"]
    tie = tie_create(actor=alice, person_a=wang, person_b=anna, kind="client")
    computed = tie.strength
    client = htmx_for(alice)

    set_by_hand = client.post(
        reverse("tie_strength", args=[tie.pk]), {"person": anna.pk, "strength": "30"}
    )

    assert set_by_hand.status_code == 200
    assert 'style="width: 30%"' in text(set_by_hand) and MANUAL in text(set_by_hand)
    assert "王小明" in text(set_by_hand)  # the card of the page it was changed on: Anna's
    tie.refresh_from_db()
    assert (tie.manual_strength, tie.strength) == (0.3, 0.3)

    cleared = client.post(
        reverse("tie_strength", args=[tie.pk]), {"person": anna.pk, "strength": "", "clear": "1"}
    )

    assert cleared.status_code == 200
    assert MANUAL not in text(cleared)
    tie.refresh_from_db()
    assert tie.manual_strength is None and tie.strength == pytest.approx(computed)


def test_a_strength_out_of_range_is_refused(book, alice):
    tie = tie_create(actor=alice, person_a=book["wang"], person_b=book["anna"])

    response = htmx_for(alice).post(reverse("tie_strength", args=[tie.pk]), {"strength": "101"})

    assert response.status_code == 422
    assert "less than or equal to 100" in text(response)
    tie.refresh_from_db()
    assert tie.manual_strength is None


def test_a_tie_is_deleted_after_confirmation(book, alice):
    wang = book["wang"]
    tie = tie_create(actor=alice, person_a=wang, person_b=book["alices_secret"], kind="friend")
    form = text(htmx_for(alice).get(reverse("tie_edit_form", args=[tie.pk])))
    assert 'hx-confirm="Delete this tie?"' in form

    response = htmx_for(alice).post(reverse("tie_delete", args=[tie.pk]), {"person": wang.pk})

    assert response.status_code == 200
    assert "No ties recorded yet" in text(response)
    assert not Tie.objects.filter(pk=tie.pk).exists()
    assert AuditEntry.objects.filter(action="tie.delete").count() == 1


def test_a_colleague_cannot_change_or_delete_a_tie_to_their_private_contact(book, alice, bob):
    tie = tie_create(actor=bob, person_a=book["bobs_secret"], person_b=book["wang"])
    client = htmx_for(alice)

    assert client.get(reverse("tie_edit_form", args=[tie.pk])).status_code == 404
    assert (
        client.post(reverse("tie_strength", args=[tie.pk]), {"strength": "90"}).status_code == 404
    )
    assert client.post(reverse("tie_delete", args=[tie.pk])).status_code == 404
    tie.refresh_from_db()
    assert tie.manual_strength is None


def test_a_deleted_tie_their_conversations_show_stays_as_found_in_conversations(book, alice):
    wang, anna = book["wang"], book["anna"]  # both were at the quarterly review
    tie = tie_create(actor=alice, person_a=wang, person_b=anna, kind="friend", note="Old note")

    response = htmx_for(alice).post(reverse("tie_delete", args=[tie.pk]), {"person": wang.pk})

    assert response.status_code == 200
    card = text(response)
    assert "Found in conversations" in card and "Old note" not in card
    tie.refresh_from_db()
    assert (tie.source, tie.kind) == ("interactions", "other")


# Privacy of what the cards show


def test_a_colleague_s_private_contact_never_shows_on_a_shared_person_s_cards(book, alice, bob):
    wang = book["wang"]
    tie_create(actor=bob, person_a=book["bobs_secret"], person_b=wang, kind="friend")
    referral_create(actor=bob, referrer=book["bobs_secret"], referred=wang)

    assert "Bob's Private Contact" not in ties_card(alice, wang)
    assert "Bob's Private Contact" not in referrals_card(alice, wang)
    # Bob, whose contact it is, sees both.
    assert "Bob's Private Contact" in ties_card(bob, wang)
    assert "Bob's Private Contact" in referrals_card(bob, wang)


def test_the_picker_suggests_only_people_the_user_may_see(book, alice, charlie):
    url = reverse("tie_suggest")

    private = text(htmx_for(alice).get(url, {"q": "private"}))
    wang = text(htmx_for(alice).get(url, {"q": "wang", "exclude": book["wang"].pk}))
    from_charlie = text(htmx_for(charlie).get(url, {"q": "wang"}))

    assert "Alice's Private Contact" in private and "Bob's Private Contact" not in private
    assert "王小明" not in wang  # the page's own person is not offered
    assert "王小明" not in from_charlie


def test_the_ties_card_reads_the_same_few_queries_however_many_ties(book, alice):
    wang = book["wang"]
    tie_create(actor=alice, person_a=wang, person_b=book["anna"], kind="friend")

    def queries_for_card() -> int:
        with CaptureQueriesContext(connection) as captured:
            ties_card(alice, wang)
        return len(captured)

    one = queries_for_card()
    for n in range(4):
        other = person_create(actor=alice, display_name=f"Friend {n}")
        tie_create(actor=alice, person_a=wang, person_b=other, kind="friend")

    assert queries_for_card() == one


# Referrals


def test_a_referral_is_recorded_from_the_introduced_person_s_page(book, alice):
    wang, anna = book["wang"], book["anna"]
    url = reverse("referral_add", args=[anna.pk])
    day = timezone.localdate() - dt.timedelta(days=10)

    response = htmx_for(alice).post(
        url,
        {"referrer_id": wang.pk, "referrer_name": "王小明", "referred_on": day, "note": "Golf"},
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "ties-changed"  # the ties card reloads
    referral = Referral.objects.get()
    assert (referral.referrer, referral.referred, referral.referred_on) == (wang, anna, day)
    introduced_by = text(response).split("Whom")[0]
    assert "王小明" in introduced_by and "Golf" in introduced_by
    # The referrer's card lists whom they introduced, and the two now have a tie.
    assert "Anna Lee" in referrals_card(alice, wang).split("Whom")[1]
    assert "Introduced by" in ties_card(alice, anna)


def test_what_came_of_a_referral_shows_and_the_referrer_is_marked_thanked(book, alice):
    wang, anna = book["wang"], book["anna"]
    referral = referral_create(
        actor=alice,
        referrer=wang,
        referred=anna,
        referred_on=timezone.localdate() - dt.timedelta(days=5),
    )
    interaction_create(
        actor=alice,
        participants=[anna],
        kind="meeting",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        summary="First meeting",
    )

    card = referrals_card(alice, wang)

    assert "1 meeting since" in card and "say thank you" in card
    assert "1 waiting for a thank-you" in card

    thanked = htmx_for(alice).post(
        reverse("referral_thank", args=[referral.pk]), {"person": wang.pk}
    )

    assert thanked.status_code == 200
    assert "thanked" in text(thanked) and "say thank you" not in text(thanked)
    assert "Whom 王小明 introduced" in text(thanked)  # back on the referrer's card
    referral.refresh_from_db()
    assert referral.thanked_at is not None
    assert AuditEntry.objects.filter(action="referral.thanked").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"referrer_name": ""}, "pick a person from the suggestions"),
        ({"referrer_id": "self", "referrer_name": "Anna Lee"}, "cannot introduce themselves"),
        ({"referred_on": "2999-01-01"}, "this date is in the future"),
    ],
)
def test_a_bad_referral_is_refused_with_its_reason(book, alice, data, message):
    anna = book["anna"]
    if data.get("referrer_id") == "self":
        data = {**data, "referrer_id": anna.pk}
    posted = {"referrer_id": book["wang"].pk, "referrer_name": "王小明", **data}
    if posted["referrer_name"] == "":
        posted["referrer_id"] = ""

    response = htmx_for(alice).post(reverse("referral_add", args=[anna.pk]), posted)

    assert response.status_code == 422
    assert message in text(response)
    assert not Referral.objects.exists()


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_someone_out_of_reach_cannot_be_named_as_a_referrer(book, alice, who):
    response = htmx_for(alice).post(
        reverse("referral_add", args=[book["anna"].pk]),
        {"referrer_id": book[who].pk, "referrer_name": "Anyone"},
    )

    assert response.status_code == 422
    assert "no such person" in text(response)
    assert book[who].display_name not in text(response)
    assert not Referral.objects.exists()


# In a real browser


@pytest.mark.browser
def test_add_a_tie_by_picking_the_other_person_and_see_it_with_its_bar(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    grace = person_create(actor=alice, display_name="Grace Hopper")
    person_create(actor=alice, display_name="Zhou Min")

    page = browser_page
    sign_in(page, f"{live_server.url}/people/{grace.pk}/")
    page.locator("#ties >> text=No ties recorded yet").wait_for()
    page.click("#ties summary:has-text('Add a tie')")
    page.fill("#tie_other_name", "Zhou")
    page.click("[data-testid=tie-suggest] button:has-text('Zhou Min')")
    page.select_option("#tie_kind", "classmate")
    page.fill("#tie_strength", "70")
    page.click("[data-testid=tie-form] button[type=submit]")

    tie = page.locator("[data-testid=tie]").first
    tie.wait_for()
    assert "Zhou Min" in tie.inner_text() and "Classmate" in tie.inner_text()
    assert "70%" in tie.inner_text() and "set by hand" in tie.inner_text()
    bar = tie.locator(".meter span")
    assert bar.get_attribute("style") == "width: 70%"
    assert bar.evaluate("e => e.getBoundingClientRect().width") > 0
