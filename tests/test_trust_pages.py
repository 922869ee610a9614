"""The trust list at /trust/: every relationship ranked by T from stored scores, its
filters, sorts and panels, the empty state with its "Recompute now" button, and what a
user may never see there."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.commitments.services import commitment_close, commitment_create
from rapport.interactions.services import interaction_create
from rapport.people.services import (
    fact_create,
    organisation_create,
    person_create,
    role_create,
)
from rapport.trust.models import TrustScore
from rapport.trust.scoring import trust_recompute_team
from tests.conftest import client_for


def promises(
    actor: Any, person: Any, n: int, status: str, *, now: dt.datetime, **extra: Any
) -> None:
    """`n` promises to `person`, made three weeks ago, due last week and closed `status`."""
    today = timezone.localdate(now)
    for k in range(n):
        c = commitment_create(
            actor=actor,
            title=f"Promise {k} to {person.display_name}",
            person=person,
            due_on=today - dt.timedelta(days=3),
            made_at=now - dt.timedelta(days=21),
            now=now,
        )
        commitment_close(
            actor=actor,
            commitment=c,
            status=status,
            now=now - dt.timedelta(days=5) if status == "kept" else now,
            **extra,
        )


def trusted_world(book: dict[str, Any], alice: Any, bob: Any, charlie: Any) -> dict[str, Any]:
    """Scores computed for both teams, eight days ago and now, so the week's change is
    known: Wang (Huawei's CFO) has kept every promise and is well known; Anna broke
    three promises since the week-old score, so her trust is falling; Dora is a new
    prospect with no evidence; Bob's private contact is well looked after by Bob."""
    now = timezone.now()
    week_ago = now - dt.timedelta(days=8)
    team = alice.member.team_id
    dora = person_create(actor=alice, display_name="Dora Prospect", tags=["prospect"])
    acme = organisation_create(actor=alice, name="Acme Quiet Ltd")
    role_create(actor=alice, person=dora, organisation=acme, title="Buyer")
    promises(alice, book["wang"], 4, "kept", now=now)
    for category, value in [("family", "Two daughters"), ("sport", "Tennis"), ("food", "Hotpot")]:
        fact_create(actor=alice, person=book["wang"], category=category, value=value)
    promises(bob, book["bobs_secret"], 3, "kept", now=now)
    # Anna's promises were open and not yet due a week ago.
    anna_promises = []
    for k in range(3):
        anna_promises.append(
            commitment_create(
                actor=alice,
                title=f"Anna promise {k}",
                person=book["anna"],
                due_on=timezone.localdate(now) - dt.timedelta(days=2),
                made_at=now - dt.timedelta(days=30),
                now=now,
            )
        )
    interaction_create(
        actor=charlie,
        participants=[book["charlies"]],
        kind="call",
        occurred_at=now - dt.timedelta(days=2),
        summary="Charlie's follow-up",
    )
    trust_recompute_team(team, now=week_ago)
    trust_recompute_team(charlie.member.team_id, now=week_ago)
    for c in anna_promises:
        commitment_close(actor=alice, commitment=c, status="broken")
    trust_recompute_team(team, now=now)
    trust_recompute_team(charlie.member.team_id, now=now)
    return {**book, "dora": dora, "acme": acme}


@pytest.fixture
def world(book: dict[str, Any], alice: Any, bob: Any, charlie: Any) -> dict[str, Any]:
    return trusted_world(book, alice, bob, charlie)


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def rows_of(response: Any) -> list[str]:
    """The names in the table, top to bottom."""
    body = response.content.decode()
    table = body.split('data-testid="trust-rows"', 1)[1].split("</table>", 1)[0]
    return [
        html.unescape(name)
        for name in re.findall(
            r'<tr data-subject="\w+" data-id="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', table
        )
    ]


def shown_ts(response: Any) -> list[float]:
    return [
        float(t) for t in re.findall(r"explanation\"><b>([\d.]+)</b>", response.content.decode())
    ]


def test_the_list_ranks_every_relationship_by_trust_lowest_first(world, alice):
    response = client_for(alice).get(reverse("trust_list"))

    assert response.status_code == 200
    names = rows_of(response)
    assert names[0] == "Anna Lee"
    assert sorted(names) == sorted(
        [
            "Anna Lee",
            "Northwind Logistics",
            "Alice's Private Contact",
            "Dora Prospect",
            "Acme Quiet Ltd",
            "王小明",
            "华为技术",
        ]
    )
    assert shown_ts(response) == sorted(shown_ts(response))
    page = text_of(response)
    assert f'<a href="/people/{world["anna"].pk}/">Anna Lee</a>' in page
    assert f'<a href="/organisations/{world["huawei"].pk}/">华为技术</a>' in page
    assert f'href="/people/{world["anna"].pk}/trust/"' in page
    assert "7 relationships" in page


def test_each_row_shows_the_components_evidence_uncertainty_and_the_week_s_change(world, alice):
    page = client_for(alice).get(reverse("trust_list")).content.decode()
    anna = page.split(f'data-id="{world["anna"].pk}">', 1)[1].split("</tr>", 1)[0]

    assert "▼ -0.5" in anna
    assert re.search(
        r'data-component="R" class="weakest">2\.5\s*<span[^>]*>\(3\)</span></td>', anna
    )
    assert re.search(
        r'data-component="C">5\.0\s*<span[^>]*>\(0\)</span> <span class="chip" title="uncertain',
        anna,
    )
    assert "Northwind Logistics" in anna  # her organisation, under her name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject=organisations", {"Northwind Logistics", "Acme Quiet Ltd", "华为技术"}),
        (
            "subject=people&mine=on",
            {"Anna Lee", "Alice's Private Contact", "Dora Prospect", "王小明"},
        ),
        ("tag=vip", {"王小明"}),
        ("weakest=R", {"王小明", "华为技术", "Northwind Logistics", "Anna Lee"}),
        ("weakest=C&subject=organisations", {"Acme Quiet Ltd"}),
        ("t_min=3.5", {"王小明", "华为技术"}),
        ("t_max=2.5", {"Anna Lee"}),
        ("falling=on", {"Anna Lee", "Northwind Logistics"}),
        # A bad value is ignored rather than failing the page.
        ("t_min=lots&weakest=Z", None),
    ],
)
def test_the_list_filters(world, alice, query, expected):
    everything = set(rows_of(client_for(alice).get(reverse("trust_list"))))

    response = client_for(alice).get(f"{reverse('trust_list')}?{query}")

    assert response.status_code == 200
    assert set(rows_of(response)) == (expected if expected is not None else everything)


def test_the_list_sorts(world, alice):
    client = client_for(alice)
    url = reverse("trust_list")

    highest = client.get(f"{url}?sort=-t")
    falling = rows_of(client.get(f"{url}?sort=falling"))
    by_name = rows_of(client.get(f"{url}?sort=name&subject=organisations"))

    assert shown_ts(highest) == sorted(shown_ts(highest), reverse=True)
    assert rows_of(highest)[-1] == "Anna Lee"
    assert falling[:2] == ["Anna Lee", "Northwind Logistics"]
    assert set(falling[-2:]) == {"王小明", "华为技术"}  # they rose this week
    assert by_name == ["Acme Quiet Ltd", "Northwind Logistics", "华为技术"]


def test_the_list_pages(world, alice, monkeypatch):
    from rapport.trust import listviews

    monkeypatch.setattr(listviews, "PER_PAGE", 3)
    client = client_for(alice)

    first = client.get(f"{reverse('trust_list')}?sort=name&subject=people")
    second = client.get(f"{reverse('trust_list')}?sort=name&subject=people&page=2")

    assert rows_of(first) == ["Alice's Private Contact", "Anna Lee", "Dora Prospect"]
    assert rows_of(second) == ["王小明"]
    assert "Page 1 of 2" in text_of(first)
    assert "?sort=name&subject=people&page=2" in first.content.decode()


def test_the_panels_show_the_week_s_falls_and_the_key_accounts(world, alice):
    page = client_for(alice).get(reverse("trust_list")).content.decode()
    falling = page.split('data-testid="falling-panel"', 1)[1].split("</section>", 1)[0]
    accounts = page.split('data-testid="key-accounts-panel"', 1)[1].split("</section>", 1)[0]

    assert re.findall(r">([^<]+)</a>", falling) == ["Anna Lee", "Northwind Logistics"]
    assert falling.count("R Reliability") == 2 and "▼ -0.5" in falling
    assert re.findall(r">([^<]+)</a>", accounts) == ["华为技术", "Northwind Logistics"]
    assert "8 pieces of evidence" in accounts  # Wang's, pooled: Acme has none
    assert "R Reliability 7.8" in accounts


def test_the_chart_counts_relationships_by_weakest_component(world, alice):
    page = html.unescape(client_for(alice).get(reverse("trust_list")).content.decode())
    chart = page.split('data-testid="weakest-chart"', 1)[1].split("</section>", 1)[0]

    assert "<svg" in chart
    assert "C Credibility: 3" in chart and "R Reliability: 4" in chart
    assert "I Intimacy: 0" in chart and "S Self-orientation: 0" in chart


def test_the_page_says_when_the_scores_were_computed(world, alice):
    page = client_for(alice).get(reverse("trust_list")).content.decode()

    assert 'data-testid="computed-at">Computed at' in page


def test_the_list_never_shows_another_team_or_a_colleague_s_private_contact(
    world, alice, bob, charlie
):
    seen_by_alice = text_of(client_for(alice).get(reverse("trust_list")))
    seen_by_bob = text_of(client_for(bob).get(f"{reverse('trust_list')}?sort=-t"))
    seen_by_charlie = text_of(client_for(charlie).get(reverse("trust_list")))

    for secret in ["Bob's Private Contact", "Charlie's Client", "Charlie Holdings"]:
        assert secret not in seen_by_alice
    assert "Bob's Private Contact" in seen_by_bob
    assert "Alice's Private Contact" not in seen_by_bob
    assert set(rows_of(client_for(charlie).get(reverse("trust_list")))) == {
        "Charlie's Client",
        "Charlie Holdings",
    }
    for name in ["王小明", "Anna Lee", "华为技术", "Northwind", "Alice", "Bob"]:
        assert name not in seen_by_charlie.split("<main>", 1)[1].replace("charlie", "")


def test_the_team_s_own_members_are_not_relationships(world, alice):
    assert "Bob Brown" not in rows_of(client_for(alice).get(reverse("trust_list")))


def test_the_list_runs_the_same_queries_whatever_its_length(world, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(alice)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("trust_list"))
    for k in range(12):
        person = person_create(actor=alice, display_name=f"Extra {k}")
        role_create(actor=alice, person=person, organisation=world["acme"])
    trust_recompute_team(alice.member.team_id)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("trust_list"))

    assert len(rows_of(response)) == 19
    assert len(many.captured_queries) == len(few.captured_queries)


def test_without_scores_the_page_says_how_to_compute_them(book, alice):
    page = text_of(client_for(alice).get(reverse("trust_list")))

    assert 'data-testid="trust-empty"' in page
    assert "No trust scores yet" in page and "rapport trust --recompute" in page
    assert f'action="{reverse("trust_recompute")}"' in page
    assert "csrfmiddlewaretoken" in page
    assert 'data-testid="trust-rows"' not in page


def test_recompute_now_scores_the_team_and_comes_back_to_the_list(book, alice, charlie):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(reverse("trust_list")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    assert client.post(reverse("trust_recompute")).status_code == 403
    assert not TrustScore.objects.exists()

    response = client.post(reverse("trust_recompute"), {"csrfmiddlewaretoken": token}, follow=True)

    assert response.redirect_chain == [(reverse("trust_list"), 302)]
    # The book's four clients; alice and bob are members, not relationships.
    assert "Trust recomputed for 4 people and 2 organisations." in text_of(response)
    assert set(rows_of(response)) == {
        "Anna Lee",
        "Alice's Private Contact",
        "王小明",
        "华为技术",
        "Northwind Logistics",
    }
    assert not TrustScore.objects.filter(team_id=charlie.member.team_id).exists()


def test_recompute_is_a_post(book, alice):
    assert client_for(alice).get(reverse("trust_recompute")).status_code == 405


def test_the_list_needs_a_login(client):
    response = client.get(reverse("trust_list"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_page_links_to_the_trust_list(book, alice):
    page = client_for(alice).get(reverse("person_list")).content.decode()

    assert f'<a href="{reverse("trust_list")}">Trust</a>' in page


def test_the_card_in_a_page_shows_five_reasons_a_component_and_links_to_all(book, alice):
    """Loaded into the person page (htmx), each component lists its five largest reasons
    and says how many there are; the card's own page lists every one."""
    now = timezone.now()
    promises(alice, book["wang"], 8, "kept", now=now)
    url = f"/people/{book['wang'].pk}/trust/"
    client = client_for(alice)

    def reasons(response: Any) -> list[str]:
        why = response.content.decode().split('data-testid="why-R"', 1)[1].split("</ul>", 1)[0]
        return re.findall(r"<li>", why)

    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert len(reasons(partial)) == 5
    assert "See all 8 events" in text_of(partial)
    whole = client.get(url)
    assert len(reasons(whole)) == 8
    assert "See all" not in text_of(whole)
