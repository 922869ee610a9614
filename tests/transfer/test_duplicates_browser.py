"""Reviewing duplicates in a real browser: open the review, merge a pair, and find the
kept person with what both records knew."""

from __future__ import annotations

import pytest

from rapport.people.models import Person
from rapport.people.services import fact_create, person_create
from rapport.transfer.merge import merge_people
from tests.conftest import make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser


def test_merging_a_pair_from_the_review_shows_the_kept_person_with_both_facts(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    alice = make_user("alice", "Alpha Advisory")
    wang = person_create(
        actor=alice,
        display_name="王小明",
        channels=[{"kind": "email", "value": "xm@huawei.example"}],
    )
    card = person_create(
        actor=alice,
        display_name="Xiaoming Wang",
        channels=[{"kind": "email", "value": "XM@huawei.example"}],
    )
    fact_create(actor=alice, person=wang, category="hobby", value="Calligraphy")
    fact_create(actor=alice, person=card, category="food", value="Sichuan hotpot")

    page = browser_page
    sign_in(page, f"{live_server.url}/people/", "alice")
    page.click("[data-testid=duplicates-link]")
    page.wait_for_selector("[data-testid=pair]:has-text('same email xm@huawei.example')")
    page.evaluate("window.__marker = 'still here'")

    # Keep 王小明, whichever side the review shows him on.
    left = page.locator("[data-testid=pair] .duplicate-person").first.get_attribute("data-testid")
    keep_left = left == f"person-{wang.pk}"
    page.click("[data-testid=merge-left]" if keep_left else "[data-testid=merge-right]")
    page.wait_for_selector("[data-testid=merged]")
    assert page.evaluate("window.__marker") == "still here"  # swapped in place by htmx
    assert not Person.objects.filter(pk=card.pk).exists()

    page.click("[data-testid=kept-link]")
    page.wait_for_selector("h1:has-text('王小明')")
    facts = page.inner_text("#facts")
    assert "Calligraphy" in facts and "Sichuan hotpot" in facts
    assert "Xiaoming Wang" in page.inner_text("h1")  # the other spelling kept as romanised


def test_a_pair_merged_by_someone_else_meanwhile_says_so_in_place(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    alice = make_user("alice", "Alpha Advisory")
    wang = person_create(
        actor=alice,
        display_name="王小明",
        channels=[{"kind": "email", "value": "xm@huawei.example"}],
    )
    card = person_create(
        actor=alice,
        display_name="Xiaoming Wang",
        channels=[{"kind": "email", "value": "XM@huawei.example"}],
    )
    page = browser_page
    sign_in(page, f"{live_server.url}/people/duplicates/", "alice")
    page.wait_for_selector("[data-testid=pair]")

    # A colleague merges the pair while Alice still looks at it.
    merge_people(actor=alice, keep=wang, other=card)
    page.click("[data-testid=merge-right]")
    error = page.wait_for_selector("[data-testid=duplicate-error]")
    assert "this pair changed: reload the review" in error.inner_text()
    assert page.locator("[data-testid=pair]").count() == 0  # swapped where it was
    assert Person.objects.filter(pk=wang.pk).exists()
