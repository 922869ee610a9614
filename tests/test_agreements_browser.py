"""An agreement in a real browser: draft it from a deal, add a clause and an obligation
for each side, sign it, and find both promises among the commitments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rapport.agreements.models import Agreement
from rapport.commitments.models import Commitment
from rapport.deals.services import deal_create, pipelines_ensure
from rapport.people.services import organisation_create, person_create, role_create
from tests.conftest import make_user
from tests.test_browser import browser_page, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_draft_from_a_deal_add_obligations_on_both_sides_sign_and_see_the_promises(
    live_server,
    browser_page,  # noqa: F811
    transactional_db,
):
    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    huawei = organisation_create(actor=alice, name="华为技术")
    wang = person_create(actor=alice, display_name="王小明")
    role_create(actor=alice, person=wang, organisation=huawei, title="CFO")
    deal = deal_create(
        actor=alice,
        pipeline=pipelines_ensure(actor=alice),
        title="ERP rollout",
        organisation=huawei,
        people=[wang],
        amount="120000",
        next_step="Send the agreement",
        next_step_on=timezone.localdate() + dt.timedelta(days=2),
    )
    due = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    page = browser_page
    sign_in(page, f"{live_server.url}/deals/{deal.pk}/")

    page.click("[data-testid=draft-agreement]")
    assert page.input_value("#id_title") == "ERP rollout"
    page.click("button[type=submit].primary")
    page.fill("#new-clause-heading", "Delivery")
    page.fill("#new-clause-text", "Party A installs; Party B gives access.")
    page.click("[data-testid=clause-form] button")
    form = page.locator("[data-testid=obligation-form]")
    form.wait_for()
    form.locator("select[name=side]").select_option("ours")
    form.locator("select[name=owner]").select_option(f"u:{alice.pk}")
    form.locator("input[name=what]").fill("Install the ERP")
    form.locator("input[name=due_on]").fill(due)
    form.locator("button").click()
    form = page.locator("[data-testid=obligation-form]")
    form.locator("select[name=side]").select_option("client")
    form.locator("select[name=owner]").select_option(f"p:{wang.pk}")
    form.locator("input[name=what]").fill("Give server access")
    form.locator("input[name=due_on]").fill(due)
    form.locator("button").click()
    page.locator("[data-testid=obligation]:has-text('Give server access')").wait_for()
    page.click("[data-testid=sign]")

    page.locator("[data-testid=agreement-status]:has-text('Signed')").wait_for()
    assert page.locator("[data-testid=obligation-commitment]").count() == 2
    agreement = Agreement.objects.get()
    assert agreement.status == "signed" and agreement.deal_id == deal.pk
    page.goto(f"{live_server.url}/commitments/")
    listing = page.inner_text("main")
    assert "Install the ERP" in listing and "Give server access" in listing
    assert set(Commitment.objects.values_list("side", flat=True)) == {"ours", "client"}
    page.click("text=Give server access")
    page.click("[data-testid=from-agreement]")
    page.locator("[data-testid=agreement-status]").wait_for()
    assert "ERP rollout" in page.inner_text("h1")
