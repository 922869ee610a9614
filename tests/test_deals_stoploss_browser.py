"""The stop-loss in a real browser: log investment on the deal's page until the limit is
crossed, see the decision panel, raise the limit with a reason and find it in the
history; and on another deal, walk away and see it closed as abandoned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from rapport.deals.models import Deal, StopLossDecision
from rapport.deals.services import deal_create, pipelines_ensure
from tests.conftest import make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def a_deal(owner: Any, title: str) -> Deal:
    return deal_create(
        actor=owner,
        pipeline=pipelines_ensure(actor=owner),
        title=title,
        amount="90000",
        currency="EUR",
        next_step="Scope call",
        next_step_on=timezone.localdate() + dt.timedelta(days=2),
        stoploss_money="5000",
        stoploss_hours="40",
    )


def log_hours(page: Any, hours: str, rate: str, note: str) -> None:
    form = page.locator("[data-testid=investment-form]")
    form.locator("select[name=kind]").select_option("hours")
    form.locator("input[name=hours]").fill(hours)
    form.locator("input[name=rate]").fill(rate)
    form.locator("input[name=note]").fill(note)
    with page.expect_navigation():
        form.locator("[data-testid=investment-log]").click()


def test_cross_the_stop_loss_and_raise_the_limit_with_a_reason(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    deal = a_deal(alice, "Data platform")
    page = browser_page
    sign_in(page, f"{live_server.url}/deals/{deal.pk}/")

    log_hours(page, "31", "132.26", "Workshops")
    near = page.locator("[data-testid=stoploss-near]")
    near.first.wait_for()
    assert "4,100.06 EUR of 5,000.00 EUR and 31 of 40 hours" in near.first.inner_text()
    assert page.locator("[data-testid=stoploss-decision]").count() == 0

    log_hours(page, "8", "150", "Second workshop")
    panel = page.locator("[data-testid=stoploss-decision]")
    panel.wait_for()
    assert page.locator("[data-testid=investment-form]").count() == 0
    panel.locator("input[value=raise]").check()
    panel.locator("textarea[name=reason]").fill("The client pays for the extra workshop")
    panel.locator("input[name=money_limit]").fill("9000")
    panel.locator("input[name=hours_limit]").fill("60")
    panel.locator("[data-testid=stoploss-decide]").click()

    history = page.locator("[data-testid=stoploss-history]")
    history.wait_for()
    text = history.inner_text()
    assert "Raise the limit" in text and "The client pays for the extra workshop" in text
    assert "5,000.00 → 9,000.00 EUR" in text
    assert page.locator("[data-testid=stoploss-decision]").count() == 0
    assert page.locator("[data-testid=investment-form]").count() == 1
    saved = Deal.objects.get(pk=deal.pk)
    assert str(saved.stoploss_money) == "9000.00" and str(saved.stoploss_hours) == "60.00"


def test_cross_the_stop_loss_and_walk_away(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    deal = a_deal(alice, "Free pilot")
    page = browser_page
    sign_in(page, f"{live_server.url}/deals/{deal.pk}/")

    log_hours(page, "45", "120", "Pilot work")
    panel = page.locator("[data-testid=stoploss-decision]")
    panel.wait_for()
    panel.locator("input[value=walk_away]").check()
    panel.locator("textarea[name=reason]").fill("   ")
    with page.expect_navigation():
        panel.locator("[data-testid=stoploss-decide]").click()
    # No reason (only spaces): refused, nothing recorded.
    page.locator("[data-testid=stoploss-decision] .error").first.wait_for()
    assert not StopLossDecision.objects.exists()

    panel = page.locator("[data-testid=stoploss-decision]")
    panel.locator("input[value=walk_away]").check()
    panel.locator("textarea[name=reason]").fill("They want a third free pilot")
    panel.locator("[data-testid=stoploss-decide]").click()

    page.locator("[data-testid=stoploss-history]").wait_for()
    assert page.locator("[data-testid=deal-stage]").inner_text() == "Lost"
    assert "Abandoned at stop-loss: They want a third free pilot" in (
        page.locator("[data-testid=close-reason]").inner_text()
    )
    assert "Walk away" in page.locator("[data-testid=stoploss-history]").inner_text()
    closed = Deal.objects.get(pk=deal.pk)
    assert (closed.stage.name, closed.close_reason) == ("Lost", "abandoned")
