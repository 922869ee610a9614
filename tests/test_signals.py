"""Trust signals: the moments of a conversation a user ticks when logging it (did we
listen first, did we push, who opened up), kept on the interaction, shown as chips on
the timeline, served by the API, and felt in the trust score."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.accounts.models import AuditEntry
from rapport.interactions.models import Interaction, Signal
from rapport.interactions.queries import HURTS_TRUST, LISTENING, OPENNESS
from rapport.interactions.services import interaction_create, interaction_update
from rapport.people.services import person_create
from rapport.trust import weights as W
from rapport.trust.scoring import person_views
from tests.conftest import api_for, client_for

API = "/api/v1"
WHEN = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def kinds_of(interaction: Interaction) -> set[str]:
    return set(interaction.signals.values_list("kind", flat=True))


def chips(html: str) -> list[tuple[str, bool]]:
    """The signal chips on a page, as (text, shown as hurting trust)."""
    found = re.findall(
        r'<span class="chip signal signal-[a-z_]+( hurts warn)?"[^>]*>([^<]+)</span>', html
    )
    return [(text, bool(hurts)) for hurts, text in found]


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "call",
        "occurred_at": "2026-11-10T09:00",
        "initiated_by": "us",
        "focus": "mutual",
        "summary": "Renewal call",
        "notes": "",
    }
    data.update(overrides)
    return data


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "call",
        "occurred_at": WHEN.isoformat(),
        "summary": "Renewal call",
    }
    body.update(overrides)
    return body


def post(client: Any, path: str, body: Any, method: str = "post") -> Any:
    return getattr(client, method)(API + path, json.dumps(body), content_type="application/json")


def counts() -> dict[str, int]:
    return {
        "interactions": Interaction.objects.count(),
        "signals": Signal.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


# Logging them from the pages


def test_signals_ticked_on_the_person_page_are_kept_and_shown_on_the_timeline(book, alice):
    response = client_for(alice).post(
        reverse("person_interaction_add", args=[book["wang"].pk]),
        _form(signals=["price_pressure", "they_opened_up"]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    interaction = Interaction.objects.get(summary="Renewal call")
    assert kinds_of(interaction) == {"price_pressure", "they_opened_up"}
    assert chips(response.text) == [("price pressure", True), ("they opened up", False)]


def test_signals_ticked_on_the_full_log_form_are_kept(book, alice):
    response = client_for(alice).post(
        reverse("interaction_create"),
        _form(participant_ids=[book["wang"].pk, book["anna"].pk], signals=["summarised_first"]),
    )

    assert response.status_code == 302
    assert kinds_of(Interaction.objects.get(summary="Renewal call")) == {"summarised_first"}


def test_an_interaction_logged_without_ticking_anything_has_no_signals(book, alice):
    client_for(alice).post(reverse("person_interaction_add", args=[book["wang"].pk]), _form())

    assert kinds_of(Interaction.objects.get(summary="Renewal call")) == set()


@pytest.mark.parametrize("page", ["quick", "full"])
def test_what_happened_is_folded_away_in_two_labelled_groups(book, alice, page):
    url = (
        reverse("person_interaction_form", args=[book["wang"].pk])
        if page == "quick"
        else reverse("interaction_create")
    )
    html = client_for(alice).get(url).text

    details = re.search(r'<details class="signals"([^>]*)>(.*?)</details>', html, re.S)
    assert details is not None
    assert "open" not in details.group(1)  # the quick form stays short until opened
    inside = details.group(2)
    assert "<summary>What happened</summary>" in inside
    listening, openness = re.findall(r"<legend>(.*?)</legend>(.*?)</fieldset>", inside, re.S)
    assert listening[0] == "Listening" and openness[0] == "Openness"
    assert re.findall(r'value="([a-z_]+)"', listening[1]) == list(LISTENING)
    assert re.findall(r'value="([a-z_]+)"', openness[1]) == list(OPENNESS)
    assert "We summarised their problem before proposing" in listening[1]
    assert "They shared something personal" in openness[1]


def test_an_unknown_signal_from_the_page_is_refused_naming_it_and_nothing_is_saved(book, alice):
    before = counts()

    response = client_for(alice).post(
        reverse("person_interaction_add", args=[book["wang"].pk]),
        _form(signals=["price_pressure", "flattery"]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    details = re.search(r'<details class="signals"([^>]*)>(.*?)</details>', response.text, re.S)
    assert details is not None
    assert " open" in details.group(1)  # the error is not hidden in a folded group
    assert "flattery" in details.group(2)
    assert re.search(r'value="price_pressure"[^>]*checked', details.group(2))  # kept ticked
    assert counts() == before


# The service: validated, deduplicated, replaced on change, audited, atomic


def test_the_service_keeps_each_kind_once(book, alice):
    interaction = interaction_create(
        actor=alice,
        participants=[book["wang"]],
        kind="call",
        occurred_at=WHEN,
        summary="Call",
        signals=["we_opened_up", "they_opened_up", "we_opened_up"],
    )

    assert sorted(interaction.signals.values_list("kind", flat=True)) == [
        "they_opened_up",
        "we_opened_up",
    ]


@pytest.mark.parametrize("bad", ["flattery", "", "PRICE_PRESSURE", 3])
def test_the_service_refuses_an_unknown_kind_naming_it_and_keeps_nothing(book, alice, bad):
    before = counts()

    with pytest.raises(ValidationError) as caught:
        interaction_create(
            actor=alice,
            participants=[book["wang"]],
            kind="call",
            occurred_at=WHEN,
            summary="Call",
            signals=["summarised_first", bad],
        )

    [message] = caught.value.message_dict["signals"]
    assert f"“{bad}”" in message
    assert counts() == before


def test_the_service_refuses_a_bare_string_for_the_list(book, alice):
    with pytest.raises(ValidationError) as caught:
        interaction_create(
            actor=alice,
            participants=[book["wang"]],
            kind="call",
            occurred_at=WHEN,
            summary="Call",
            signals="price_pressure",
        )

    assert "signals" in caught.value.message_dict


def test_an_update_replaces_the_signals_and_leaves_them_when_not_given(book, alice):
    meeting = book["meeting"]
    interaction_update(
        actor=alice, interaction=meeting, signals=["answered_too_soon", "price_pressure"]
    )
    assert kinds_of(meeting) == {"answered_too_soon", "price_pressure"}

    interaction_update(
        actor=alice, interaction=meeting, signals=["summarised_first", "price_pressure"]
    )
    assert kinds_of(meeting) == {"summarised_first", "price_pressure"}

    interaction_update(actor=alice, interaction=meeting, summary="QBR")
    assert kinds_of(meeting) == {"summarised_first", "price_pressure"}

    interaction_update(actor=alice, interaction=meeting, signals=[])
    assert kinds_of(meeting) == set()


def test_a_refused_update_leaves_the_interaction_and_its_signals_as_they_were(book, alice):
    meeting = book["meeting"]
    interaction_update(actor=alice, interaction=meeting, signals=["we_opened_up"])
    before = counts()

    with pytest.raises(ValidationError):
        interaction_update(
            actor=alice, interaction=meeting, summary="Changed", signals=["we_opened_up", "x"]
        )

    meeting.refresh_from_db()
    assert meeting.summary == "Quarterly review"
    assert kinds_of(meeting) == {"we_opened_up"}
    assert counts() == before


def test_signals_are_audited_with_the_interaction_in_one_entry(book, alice):
    already = set(AuditEntry.objects.values_list("pk", flat=True))
    interaction = interaction_create(
        actor=alice,
        participants=[book["wang"]],
        kind="call",
        occurred_at=WHEN,
        summary="Call",
        signals=["price_pressure", "answered_too_soon"],
    )
    interaction_update(
        actor=alice, interaction=interaction, summary="Call back", signals=["summarised_first"]
    )

    created, changed = AuditEntry.objects.exclude(pk__in=already).order_by("pk")
    assert created.action == "interaction.create"
    assert created.changes == {"signals": ["answered_too_soon", "price_pressure"]}
    assert changed.action == "interaction.update"
    assert changed.changes == {
        "fields": ["signals", "summary"],
        "signals": [["answered_too_soon", "price_pressure"], ["summarised_first"]],
    }


# The API


def test_the_api_logs_signals_and_reads_them_back_in_a_fixed_order(book, alice):
    api = api_for(alice)
    response = post(
        api,
        "/interactions",
        _body(
            participant_ids=[book["wang"].pk],
            signals=["we_opened_up", "summarised_first", "we_opened_up"],
        ),
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["signals"] == ["summarised_first", "we_opened_up"]
    assert api.get(f"{API}/interactions/{created['id']}").json()["signals"] == created["signals"]
    listed = api.get(f"{API}/interactions", {"person_id": book["wang"].pk}).json()["items"]
    assert {i["summary"]: i["signals"] for i in listed} == {
        "Renewal call": ["summarised_first", "we_opened_up"],
        "Quarterly review": [],
    }


def test_an_api_patch_replaces_the_signals_only_when_it_names_them(book, alice):
    api = api_for(alice)
    path = f"/interactions/{book['meeting'].pk}"

    changed = post(api, path, {"signals": ["price_pressure"]}, "patch").json()
    assert changed["signals"] == ["price_pressure"]

    changed = post(api, path, {"summary": "QBR"}, "patch").json()
    assert (changed["summary"], changed["signals"]) == ("QBR", ["price_pressure"])

    changed = post(api, path, {"signals": ["they_opened_up", "we_opened_up"]}, "patch").json()
    assert changed["signals"] == ["they_opened_up", "we_opened_up"]

    assert post(api, path, {"signals": []}, "patch").json()["signals"] == []


@pytest.mark.parametrize("method", ["post", "patch"])
def test_an_unknown_kind_over_the_api_is_a_422_naming_signals_and_changes_nothing(
    book, alice, method
):
    api = api_for(alice)
    path = "/interactions" if method == "post" else f"/interactions/{book['meeting'].pk}"
    body = (
        _body(participant_ids=[book["wang"].pk], signals=["price_pressure", "flattery"])
        if method == "post"
        else {"summary": "Changed", "signals": ["price_pressure", "flattery"]}
    )
    before = counts()

    response = post(api, path, body, method)

    assert response.status_code == 422
    error = response.json()
    assert error["field"] == "signals"
    assert "flattery" in error["detail"]
    assert counts() == before
    assert api.get(f"{API}/interactions/{book['meeting'].pk}").json()["summary"] == (
        "Quarterly review"
    )


def test_the_openapi_document_lists_the_signal_kinds(book, alice):
    schema = api_for(alice).get(f"{API}/openapi.json").json()["components"]["schemas"]

    assert schema["InteractionOut"]["properties"]["signals"]["items"]["enum"] == list(
        Signal.Kind.values
    )
    assert "price_pressure" in schema["InteractionIn"]["properties"]["signals"]["description"]


def _log_many(alice: Any, person: Any, n: int) -> None:
    for k in range(n):
        interaction_create(
            actor=alice,
            participants=[person],
            kind="call",
            occurred_at=WHEN - dt.timedelta(hours=k),
            summary=f"Call {k}",
            signals=["price_pressure", "we_opened_up"] if k % 2 else ["summarised_first"],
        )


@pytest.mark.parametrize("where", ["api", "log", "person"])
def test_lists_read_the_signals_in_a_constant_number_of_queries(
    book, alice, django_assert_num_queries, where
):
    wang = book["wang"]
    api, web = api_for(alice), client_for(alice)

    def fetch() -> str:
        if where == "api":
            return api.get(f"{API}/interactions", {"limit": 50}).content.decode()
        if where == "log":
            return web.get(reverse("interaction_list")).text
        return web.get(reverse("person_detail", args=[wang.pk])).text

    _log_many(alice, wang, 2)
    fetch()  # warm whatever is cached per process
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        first = fetch()
    _log_many(alice, book["anna"], 12)
    _log_many(alice, wang, 12)

    with django_assert_num_queries(len(few)):
        second = fetch()
    assert second.count("price_pressure" if where == "api" else "price pressure") > first.count(
        "price_pressure" if where == "api" else "price pressure"
    )


# Chips on the timeline


def test_chips_mark_the_moments_that_cost_trust(book, alice):
    interaction_update(actor=alice, interaction=book["meeting"], signals=list(Signal.Kind.values))

    html = client_for(alice).get(reverse("person_detail", args=[book["wang"].pk])).text

    assert chips(html) == [
        ("summarised first", False),
        ("answered too soon", True),
        ("price pressure", True),
        ("unsolicited upsell", True),
        ("they opened up", False),
        ("we opened up", False),
        ("boundary crossed", True),
    ]
    assert 'title="We pressed on price"' in html


@pytest.mark.parametrize("page", ["dashboard", "interaction_list", "organisation"])
def test_chips_show_wherever_the_interaction_is_listed(book, alice, page):
    interaction_update(actor=alice, interaction=book["meeting"], signals=["unsolicited_upsell"])
    url = {
        "dashboard": reverse("dashboard"),
        "interaction_list": reverse("interaction_list"),
        "organisation": reverse("organisation_detail", args=[book["huawei"].pk]),
    }[page]

    html = client_for(alice).get(url).text

    assert ("unsolicited upsell", True) in chips(html)


def test_the_chips_agree_with_the_trust_weights_on_what_hurts():
    """A chip shown as costing trust raises self-orientation or lowers intimacy."""
    for kind in Signal.Kind.values:
        rule = W.RULES[kind]
        raises = rule.value > W.PRIOR_MEAN[rule.component]
        hurts = raises if rule.component == W.S else not raises
        assert (kind in HURTS_TRUST) == hurts, kind


# Private interactions


def test_a_private_interaction_s_signals_stay_hidden_from_colleagues(book, alice, bob):
    wang = book["wang"]
    shared_before = person_views(wang, NOW).blended
    secret = interaction_create(
        actor=alice,
        participants=[wang, book["alices_secret"]],
        kind="meal",
        occurred_at=WHEN,
        summary="Quiet dinner",
        signals=["boundary_crossed", "price_pressure"],
    )
    assert secret.visibility == "private"

    web, api = client_for(bob), api_for(bob)
    for url in [
        reverse("person_detail", args=[wang.pk]),
        reverse("interaction_list"),
        reverse("dashboard"),
    ]:
        html = web.get(url).text
        assert "Quiet dinner" not in html
        assert chips(html) == [], url
    listed = api.get(f"{API}/interactions", {"limit": 500}).json()["items"]
    assert all(i["signals"] == [] for i in listed)
    assert api.get(f"{API}/interactions/{secret.pk}").status_code == 404
    assert post(api, f"/interactions/{secret.pk}", {"signals": []}, "patch").status_code == 404
    assert kinds_of(secret) == {"boundary_crossed", "price_pressure"}
    # The team's view of Wang is not moved by what only Alice may see.
    assert person_views(wang, NOW).blended == shared_before

    # Alice, who logged it, sees it with its chips.
    html = client_for(alice).get(reverse("person_detail", args=[wang.pk])).text
    assert ("boundary crossed", True) in chips(html)


# What the user sees on the trust card


def _s_after_one_call(alice: Any, name: str, signals: list[str]) -> float:
    person = person_create(actor=alice, display_name=name)
    response = post(
        api_for(alice),
        "/interactions",
        _body(participant_ids=[person.pk], signals=signals),
    )
    assert response.status_code == 201, response.content
    return person_views(person, NOW).blended.s.value


def test_pressing_on_price_and_answering_too_soon_raise_s_and_summarising_first_lowers_it(alice):
    plain = _s_after_one_call(alice, "Plain", [])
    pushy = _s_after_one_call(alice, "Pushy", ["price_pressure", "answered_too_soon"])
    listened = _s_after_one_call(alice, "Listened", ["summarised_first"])

    assert pushy > plain > listened


def test_changing_the_signals_of_a_logged_call_moves_s_with_them(book, alice):
    person = person_create(actor=alice, display_name="Changing")
    web = client_for(alice)
    web.post(reverse("person_interaction_add", args=[person.pk]), _form())
    interaction = Interaction.objects.get(participations__person=person)
    plain = person_views(person, NOW).blended.s.value

    interaction_update(
        actor=alice, interaction=interaction, signals=["price_pressure", "answered_too_soon"]
    )
    pushy = person_views(person, NOW).blended.s.value
    interaction_update(actor=alice, interaction=interaction, signals=["summarised_first"])
    listened = person_views(person, NOW).blended.s.value

    assert pushy > plain > listened
