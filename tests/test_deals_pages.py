"""The deal pages through the test client: the board, the table, a deal's page, the
forms, and moves posted from the board as htmx does."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from rapport.deals import services
from rapport.deals.models import Deal, StageChange
from tests.conftest import api_for, client_for

TOMORROW = timezone.localdate() + dt.timedelta(days=1)
HTMX = {"HX-Request": "true"}


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def words(response: Any) -> str:
    """What a reader sees: the text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


@pytest.fixture
def sales(alice: Any, book: dict[str, Any]) -> dict[str, Any]:
    pipeline = services.pipelines_ensure(actor=alice)
    fair = services.deal_create(
        actor=alice,
        pipeline=pipeline,
        title="ERP rollout",
        organisation=book["huawei"],
        people=[book["wang"]],
        amount="120000.00",
        margin="30000",
        client_benefit="400000",
        next_step="Send the proposal",
        next_step_on=TOMORROW,
    )
    squeezed = services.deal_create(
        actor=alice,
        pipeline=pipeline,
        title="Freight audit",
        organisation=book["northwind"],
        amount="50000",
        margin="5000",
        client_benefit="40000",
        next_step="Call Anna",
        next_step_on=TOMORROW,
    )
    yuan = services.deal_create(
        actor=alice,
        pipeline=pipeline,
        title="Shanghai office",
        amount="80000",
        currency="CNY",
        next_step="Site visit",
        next_step_on=TOMORROW,
    )
    return {"pipeline": pipeline, "fair": fair, "squeezed": squeezed, "yuan": yuan}


def stage(pipeline: Any, name: str) -> Any:
    return pipeline.stages.get(name=name)


def test_the_deals_page_gives_a_new_team_its_default_board(alice):
    response = client_for(alice).get("/deals/")

    assert response.status_code == 200
    page = text(response)
    for name in ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]:
        assert f'data-stage-name="{name}"' in page
    assert 'href="/deals/"' in page  # the header's "Deals" link


def test_the_board_shows_each_card_with_its_organisation_amount_next_step_and_flags(alice, sales):
    page = text(client_for(alice).get(f"/deals/pipelines/{sales['pipeline'].pk}/"))

    assert "ERP rollout" in page and "华为技术" in page and "120,000.00" in page
    assert "Send the proposal" in page
    assert (
        "One-sided: the client's benefit (40,000.00) does not exceed the price (50,000.00)" in page
    )
    assert "Win-win unchecked: no client benefit nor margin written down" in page
    assert "Sortable.min.js" in page


def test_the_board_reads_a_bounded_number_of_queries_however_many_deals(
    alice, sales, django_assert_max_num_queries
):
    client = client_for(alice)
    url = f"/deals/pipelines/{sales['pipeline'].pk}/"
    client.get(url)
    for n in range(10):
        services.deal_create(
            actor=alice,
            pipeline=sales["pipeline"],
            title=f"Extra {n}",
            next_step="Call",
            next_step_on=TOMORROW,
            people=[sales["fair"].people.first()],
        )

    # (The columns' counts and totals are one aggregate; the cards one capped read.)
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200


def test_the_table_totals_each_stage_by_currency_never_mixing_them(alice, sales):
    services.deal_move(
        actor=alice, deal=sales["squeezed"], stage=stage(sales["pipeline"], "Proposal")
    )

    page = words(client_for(alice).get(f"/deals/pipelines/{sales['pipeline'].pk}/table/"))

    assert "120,000.00 USD · 80,000.00 CNY" not in page  # sorted by currency
    assert "80,000.00 CNY · 120,000.00 USD" in page  # Lead: one deal in each
    assert "50,000.00 USD" in page  # Proposal
    assert "250,000" not in page and "200,000" not in page


def test_creating_a_deal_through_the_form(alice, book):
    client = client_for(alice)
    pipeline = services.pipelines_ensure(actor=alice)
    form = client.get(f"/deals/new/?pipeline={pipeline.pk}")
    assert form.status_code == 200 and 'value="USD"' in text(form)

    response = client.post(
        "/deals/new/",
        {
            "pipeline": pipeline.pk,
            "title": "Training programme",
            "organisation_name": "huawei",
            "people_names": "王小明, anna lee",
            "stage": stage(pipeline, "Qualified").pk,
            "owner": alice.pk,
            "amount": "12,500.50",
            "currency": "usd",
            "margin": "-100",
            "client_benefit": "",
            "next_step": "Agree the syllabus",
            "next_step_on": TOMORROW.isoformat(),
            "referral": "",
            "notes": "",
        },
    )

    deal = Deal.objects.get(title="Training programme")
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    assert deal.amount == Decimal("12500.50") and deal.currency == "USD"
    assert deal.organisation == book["huawei"] and deal.stage.name == "Qualified"
    assert {p.display_name for p in deal.people.all()} == {"王小明", "Anna Lee"}
    page = text(client.get(f"/deals/{deal.pk}/"))
    assert "One-sided: our margin is negative (-100.00)" in page
    assert "Win-win unchecked: no client benefit written down" not in page  # one-sided says more


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "-10"}, "must not be negative"),
        ({"people_names": "Bob's Private Contact"}, "nobody called “Bob's Private Contact”"),
        ({"people_names": "Charlie's Client"}, "nobody called “Charlie's Client”"),
        ({"organisation_name": "Charlie Holdings"}, "no organisation called “Charlie Holdings”"),
    ],
)
def test_the_form_shows_what_is_wrong_and_saves_nothing(alice, book, change, message):
    pipeline = services.pipelines_ensure(actor=alice)
    data = {
        "pipeline": pipeline.pk,
        "title": "Bad deal",
        "organisation_name": "",
        "people_names": "",
        "stage": stage(pipeline, "Lead").pk,
        "owner": alice.pk,
        "amount": "10",
        "currency": "USD",
        "next_step": "Call",
        "next_step_on": TOMORROW.isoformat(),
    } | change

    response = client_for(alice).post("/deals/new/", data)

    assert response.status_code == 422
    assert message in text(response)
    assert not Deal.objects.exists()


def test_the_deal_page_shows_details_history_and_time_in_stage(alice, sales):
    deal = sales["fair"]
    services.deal_move(actor=alice, deal=deal, stage=stage(sales["pipeline"], "Proposal"))
    StageChange.objects.filter(deal=deal, from_stage=None).update(
        at=timezone.now() - dt.timedelta(days=6, hours=1)
    )

    page = words(client_for(alice).get(f"/deals/{deal.pk}/"))

    assert "ERP rollout" in page and "400,000.00 USD" in page and "30,000.00 USD" in page
    assert "0 days in this stage" in page
    assert "— Lead alice 6" in page  # six days in Lead
    assert "Lead Proposal alice 0 so far" in page
    assert "王小明" in page


def test_setting_the_next_step_from_the_deal_page(alice, sales):
    deal = sales["fair"]
    client = client_for(alice)
    later = TOMORROW + dt.timedelta(days=7)

    response = client.post(
        f"/deals/{deal.pk}/next-step/",
        {"next_step": "Workshop with IT", "next_step_on": later.isoformat()},
    )
    past = client.post(
        f"/deals/{deal.pk}/next-step/", {"next_step": "Too late", "next_step_on": "2020-01-01"}
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.next_step, deal.next_step_on) == ("Workshop with IT", later)
    assert past.status_code == 422 and "in the past" in text(past)


def test_editing_a_deal_through_the_form(alice, sales):
    deal = sales["squeezed"]
    client = client_for(alice)
    form = client.get(f"/deals/{deal.pk}/edit/")
    assert form.status_code == 200 and 'value="Northwind Logistics"' in text(form)

    response = client.post(
        f"/deals/{deal.pk}/edit/",
        {
            "title": "Freight audit",
            "organisation_name": "Northwind Logistics",
            "people_names": "Anna Lee",
            "owner": alice.pk,
            "amount": "50000",
            "currency": "USD",
            "margin": "5000",
            "client_benefit": "90000",
            "next_step": "Call Anna",
            "next_step_on": TOMORROW.isoformat(),
        },
    )

    assert response.status_code == 302
    page = text(client.get(f"/deals/{deal.pk}/"))
    assert "One-sided" not in page and "Anna Lee" in page


def test_a_card_dragged_to_an_open_stage_moves_and_the_board_comes_back(alice, sales):
    proposal = stage(sales["pipeline"], "Proposal")

    response = client_for(alice).post(
        f"/deals/{sales['fair'].pk}/move/",
        {"stage": proposal.pk, "view": "board"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert 'id="board"' in text(response) and "<html" not in text(response)
    sales["fair"].refresh_from_db()
    assert sales["fair"].stage == proposal


def test_a_card_dropped_on_won_without_a_reason_stays_put_with_the_error(alice, sales):
    won = stage(sales["pipeline"], "Won")

    response = client_for(alice).post(
        f"/deals/{sales['fair'].pk}/move/", {"stage": won.pk, "view": "board"}, headers=HTMX
    )

    assert response.status_code == 422
    assert "closing a deal (won or lost) needs a reason" in text(response)
    sales["fair"].refresh_from_db()
    assert sales["fair"].stage.name == "Lead"


def test_a_card_dropped_on_lost_with_a_reason_closes_the_deal(alice, sales):
    lost = stage(sales["pipeline"], "Lost")

    response = client_for(alice).post(
        f"/deals/{sales['squeezed'].pk}/move/",
        {"stage": lost.pk, "view": "board", "reason": "price", "note": "Too dear"},
        headers=HTMX,
    )

    assert response.status_code == 200
    deal = Deal.objects.get(pk=sales["squeezed"].pk)
    assert (deal.stage, deal.close_reason, deal.close_note) == (lost, "price", "Too dear")
    page = text(client_for(alice).get(f"/deals/{deal.pk}/"))
    assert "Price: Too dear" in page


def test_a_move_to_another_pipeline_s_stage_from_the_deal_page_is_refused(alice, sales):
    other = services.pipeline_create(
        actor=alice,
        name="Tenders",
        stages=[
            {"name": "Bid"},
            {"name": "Awarded", "outcome": "won"},
            {"name": "Lost", "outcome": "lost"},
        ],
    )

    response = client_for(alice).post(
        f"/deals/{sales['fair'].pk}/move/", {"stage": stage(other, "Bid").pk}
    )

    assert response.status_code == 422
    assert "“Bid” is a stage of the pipeline “Tenders”, not of “Sales”" in text(response)
    assert Deal.objects.get(pk=sales["fair"].pk).stage.name == "Lead"


def test_creating_a_pipeline_through_the_form(alice):
    client = client_for(alice)

    response = client.post(
        "/deals/pipelines/new/",
        {
            "name": "Renewals",
            "open_stages": "Due\nIn talks\n\n",
            "won_stage": "Renewed",
            "lost_stage": "Churned",
            "stale_after_days": "14",
        },
    )
    again = client.post(
        "/deals/pipelines/new/",
        {
            "name": "renewals",
            "open_stages": "Due",
            "won_stage": "Won",
            "lost_stage": "Lost",
            "stale_after_days": "14",
        },
    )

    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Renewals" in page and 'data-stage-name="In talks"' in page
    assert again.status_code == 422 and "already a pipeline called “renewals”" in text(again)


def test_a_colleague_s_private_contact_on_a_deal_is_never_shown(alice, bob, book):
    pipeline = services.pipelines_ensure(actor=bob)
    deal = services.deal_create(
        actor=bob,
        pipeline=pipeline,
        title="Bob's deal",
        people=[book["bobs_secret"], book["wang"]],
        next_step="Lunch",
        next_step_on=TOMORROW,
    )

    for url in [f"/deals/{deal.pk}/", f"/deals/{deal.pk}/edit/", "/deals/"]:
        page = text(client_for(alice).get(url))
        assert "Bob's deal" in page and "Bob's Private Contact" not in page
    assert "Bob's Private Contact" in text(client_for(bob).get(f"/deals/{deal.pk}/"))


def test_another_team_s_deal_and_pipeline_are_not_found(charlie, sales):
    client = client_for(charlie)
    deal = sales["fair"].pk

    assert client.get(f"/deals/{deal}/").status_code == 404
    assert client.get(f"/deals/pipelines/{sales['pipeline'].pk}/").status_code == 404
    assert client.post(f"/deals/{deal}/move/", {"stage": 1}).status_code == 404
    assert "ERP rollout" not in text(client.get("/deals/"))


def edit_form(deal: Deal, **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it in, with `changes`."""
    data = {
        "title": deal.title,
        "organisation_name": deal.organisation.name if deal.organisation else "",
        "people_names": ", ".join(p.display_name for p in deal.people.order_by("display_name")),
        "owner": "",
        "amount": str(deal.amount),
        "currency": deal.currency,
        "margin": "" if deal.margin is None else str(deal.margin),
        "client_benefit": "" if deal.client_benefit is None else str(deal.client_benefit),
        "next_step": deal.next_step,
        "next_step_on": deal.next_step_on.isoformat(),
        "referral": deal.referral_id or "",
        "notes": deal.notes,
    }
    data.update(changes)
    return data


def test_a_referral_about_a_colleagues_private_contact_is_not_named_and_survives_their_edit(
    alice, bob, book
):
    """Alice's deal came from her private contact's introduction: Bob sees the deal but
    not who introduced whom, and saving his edit keeps the referral."""
    from rapport.network.services import referral_create

    referral = referral_create(actor=alice, referrer=book["alices_secret"], referred=book["wang"])
    deal = services.deal_create(
        actor=alice,
        pipeline=services.pipelines_ensure(actor=alice),
        title="Private lead",
        next_step="Call",
        next_step_on=TOMORROW,
        referral=referral,
    )
    assert "Alice's Private Contact" in text(client_for(alice).get(f"/deals/{deal.pk}/"))
    bobs = client_for(bob)
    page = text(bobs.get(f"/deals/{deal.pk}/"))
    assert "Private Contact" not in page and "Private lead" in page
    assert "Private Contact" not in text(bobs.get(f"/deals/{deal.pk}/edit/"))
    api = api_for(bob).get(f"/api/v1/deals/{deal.pk}")
    assert api.status_code == 200 and api.json()["referral_id"] is None

    saved = bobs.post(f"/deals/{deal.pk}/edit/", edit_form(deal, next_step="Call again"))
    assert saved.status_code == 302
    deal.refresh_from_db()
    assert (deal.referral_id, deal.next_step) == (referral.pk, "Call again")


def test_a_deal_whose_people_share_a_name_can_still_be_edited(alice, sales):
    from rapport.people.services import person_create

    twins = [person_create(actor=alice, display_name="Chen Jing") for _ in range(2)]
    deal = sales["squeezed"]
    deal.people.set(twins)
    response = client_for(alice).post(
        f"/deals/{deal.pk}/edit/", edit_form(deal, title="Freight audit, phase 2")
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.title == "Freight audit, phase 2"
    assert set(deal.people.all()) == set(twins)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("1e27", "is too large"),
        ("9" * 29, "is too large"),
        ("12,50", "must be an amount of money"),
        ("1.250,00", "must be an amount of money"),
    ],
)
def test_a_bad_amount_in_the_form_is_named_not_a_crash_nor_a_guess(alice, sales, typed, error):
    deal = sales["squeezed"]
    response = client_for(alice).post(f"/deals/{deal.pk}/edit/", edit_form(deal, amount=typed))
    assert response.status_code in (200, 422) and error in html.unescape(text(response))
    deal.refresh_from_db()
    assert deal.amount == Decimal("50000.00")


def test_thousands_separators_are_read_and_saving_nothing_new_audits_nothing(alice, sales):
    from rapport.accounts.models import AuditEntry

    deal = sales["squeezed"]
    client = client_for(alice)
    before = AuditEntry.objects.count()
    assert client.post(f"/deals/{deal.pk}/edit/", edit_form(deal)).status_code == 302
    assert AuditEntry.objects.count() == before
    client.post(f"/deals/{deal.pk}/edit/", edit_form(deal, amount="1,250,000.50"))
    deal.refresh_from_db()
    assert deal.amount == Decimal("1250000.50")
    assert AuditEntry.objects.count() == before + 1


def test_a_deal_whose_owner_has_left_keeps_its_owner_when_edited(alice, bob, sales):
    deal = sales["squeezed"]
    Deal.objects.filter(pk=deal.pk).update(owner=bob)
    bob.is_active = False
    bob.save()
    client = client_for(alice)
    form = text(client.get(f"/deals/{deal.pk}/edit/"))
    owner_select = form[form.index('name="owner"') :].split("</select>", 1)[0]
    # A browser submits the first option when none is selected: it must keep the owner.
    first = owner_select.split("<option", 2)[1]
    assert first.startswith(' value=""') and "selected" not in owner_select
    assert client.post(f"/deals/{deal.pk}/edit/", edit_form(deal, title="Kept")).status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.owner_id) == ("Kept", bob.pk)


def test_a_crowded_stage_shows_its_most_urgent_deals_and_counts_the_rest(alice, sales, monkeypatch):
    from rapport.deals import queries

    monkeypatch.setattr(queries, "BOARD_CARDS", 3)
    pipeline = sales["pipeline"]
    lead = stage(pipeline, "Lead")
    before = Deal.objects.filter(stage=lead).count()
    for n in range(5):
        services.deal_create(
            actor=alice,
            pipeline=pipeline,
            title=f"Crowd {n}",
            amount="1000",
            currency="USD",
            next_step="Call",
            next_step_on=TOMORROW + dt.timedelta(days=n),
        )
    count = before + 5
    client = client_for(alice)
    response = client.get(f"/deals/pipelines/{pipeline.pk}/")
    page = text(response)
    column = page.split('data-stage-name="Lead"', 1)[1].split("<section", 1)[0]
    assert column.count('data-testid="deal-card"') == 3
    assert f'data-testid="column-count">{count}<' in column
    assert f"{count - 3} more: see the stage in the table" in column
    # The column's total is of every deal in it, not of the three shown.
    total = sum(d.amount for d in Deal.objects.filter(stage=lead, currency="USD"))
    assert f"{total:,.2f} USD" in column
    # The most urgent next steps come first; the latest ones wait in the table.
    assert "Crowd 4" not in column

    table = client.get(f"/deals/pipelines/{pipeline.pk}/table/?stage={lead.pk}")
    assert "Crowd 4" in words(table)


def test_the_table_shows_one_stage_a_page_at_a_time(alice, sales, monkeypatch):
    from rapport.deals import queries

    monkeypatch.setattr(queries, "TABLE_ROWS", 2)
    pipeline = sales["pipeline"]
    lead = stage(pipeline, "Lead")
    for n in range(4):
        services.deal_create(
            actor=alice,
            pipeline=pipeline,
            title=f"Row {n}",
            next_step="Call",
            next_step_on=TOMORROW + dt.timedelta(days=10 + n),
        )
    total = Deal.objects.filter(stage=lead).count()
    pages = (total + 1) // 2
    shown = [
        [t for t in (f"Row {n}" for n in range(4)) if t in words(client_for(alice).get(url))]
        for url in (
            f"/deals/pipelines/{pipeline.pk}/table/?stage={lead.pk}&page={p}"
            for p in range(1, pages + 1)
        )
    ]
    assert sorted(t for s in shown for t in s) == [f"Row {n}" for n in range(4)]  # each once
    assert all(len(s) <= 2 for s in shown)
    # The latest next step is on the last page.
    assert "Row 3" in shown[-1]
    page = words(client_for(alice).get(f"/deals/pipelines/{pipeline.pk}/table/?stage={lead.pk}"))
    assert f"Page 1 of {pages}" in page
    # All stages: each lists its first rows and links to the rest.
    everything = text(client_for(alice).get(f"/deals/pipelines/{pipeline.pk}/table/"))
    assert f"{total - 2} more in this stage" in everything


def test_a_card_shows_what_was_typed_as_text_never_as_markup(alice: Any, book: dict[str, Any]):
    pipeline = services.pipelines_ensure(actor=alice)
    organisation = book["northwind"]
    organisation.name = 'Acme <img src=x onerror="alert(1)">'
    organisation.save()
    deal = services.deal_create(
        actor=alice,
        pipeline=pipeline,
        title="<script>alert('t')</script> & sons",
        organisation=organisation,
        amount="1234567.5",
        next_step='Say "hi" <b>now</b>',
        next_step_on=timezone.localdate() + dt.timedelta(days=1),
    )
    # (Today read now, not when the module was loaded: a run may cross midnight.)
    overdue = timezone.localdate() - dt.timedelta(days=3)
    Deal.objects.filter(pk=deal.pk).update(next_step_on=overdue)

    response = client_for(alice).get(f"/deals/pipelines/{pipeline.pk}/")
    raw = response.content.decode()
    card = raw.split(f'data-deal="{deal.pk}"', 1)[1].split("</article>", 1)[0]

    assert "<script>" not in card and "<img" not in card and "<b>now" not in card
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; &amp; sons" in card
    assert "Acme &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in card
    assert "Say &quot;hi&quot; &lt;b&gt;now&lt;/b&gt;" in card
    assert "1,234,567.50" in card
    # Three days overdue: the date is marked and a chip says so.
    assert '<span class="warn">' in card and "Next step 3 days overdue" in card
    assert f'href="/deals/{deal.pk}/"' in card
