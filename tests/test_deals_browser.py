"""The deal board in a real browser: drag a card to another stage and it stays there
after a reload; drop it on "Won" and the board asks why before closing it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rapport.deals.models import Deal
from rapport.deals.services import deal_create, pipelines_ensure
from tests.conftest import make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def drag(page, card, column) -> None:
    """Drag with the mouse, in small steps, as a person does (SortableJS follows the
    pointer)."""
    start = card.bounding_box()
    end = column.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 5, start["y"] + 10, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=15)
    page.mouse.up()


def test_drag_a_card_to_another_stage_and_close_it_with_a_reason(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    pipeline = pipelines_ensure(actor=alice)
    deal = deal_create(
        actor=alice,
        pipeline=pipeline,
        title="ERP rollout",
        amount="120000",
        margin="30000",
        client_benefit="400000",
        next_step="Send the proposal",
        next_step_on=timezone.localdate() + dt.timedelta(days=2),
    )
    page = browser_page
    sign_in(page, f"{live_server.url}/deals/")
    column = page.locator('.deal-cards[data-stage-name="Qualified"]')
    card = page.locator('[data-testid=deal-card]:has-text("ERP rollout")')
    card.wait_for()

    # Wait for the server's answer to the move: the dragged card is in its new column
    # at once, before the move is saved.
    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST"):
        drag(page, card, column)

    page.locator('.deal-cards[data-stage-name="Qualified"] [data-testid=deal-card]').wait_for()
    page.wait_for_load_state("networkidle")
    page.reload()
    assert "ERP rollout" in page.locator('.deal-cards[data-stage-name="Qualified"]').inner_text()
    assert "ERP rollout" not in page.locator('.deal-cards[data-stage-name="Lead"]').inner_text()
    assert Deal.objects.get(pk=deal.pk).stage.name == "Qualified"

    drag(
        page,
        page.locator('[data-testid=deal-card]:has-text("ERP rollout")'),
        page.locator('.deal-cards[data-stage-name="Won"]'),
    )
    dialog = page.locator("[data-testid=close-dialog]")
    dialog.wait_for()
    page.select_option("#close-reason", "relationship")
    page.fill("#close-note", "The CFO knows our work")
    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST"):
        page.click("[data-testid=close-submit]")

    page.locator('.deal-cards[data-stage-name="Won"] [data-testid=deal-card]').wait_for()
    page.wait_for_load_state("networkidle")
    page.reload()
    assert "ERP rollout" in page.locator('.deal-cards[data-stage-name="Won"]').inner_text()
    closed = Deal.objects.get(pk=deal.pk)
    assert (closed.stage.name, closed.close_reason) == ("Won", "relationship")
    assert closed.close_note == "The CFO knows our work"
