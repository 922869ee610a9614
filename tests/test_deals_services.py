"""Deal services: pipelines made on first use, deals created, changed and moved, each
write audited, and bad input refused with an error naming the field and nothing saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.deals import queries, services
from rapport.deals.models import Deal, Pipeline, Stage, StageChange
from rapport.network.queries import referrers_to_thank
from rapport.network.services import referral_create
from tests.conftest import make_user

TOMORROW = timezone.localdate() + dt.timedelta(days=1)


def snapshot() -> dict[str, Any]:
    return {
        "deals": list(Deal.objects.order_by("pk").values()),
        "people": list(Deal.people.through.objects.order_by("pk").values()),
        "changes": list(StageChange.objects.order_by("pk").values()),
        "pipelines": list(Pipeline.objects.order_by("pk").values()),
        "stages": list(Stage.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


def new_deal(actor: Any, **extra: Any) -> Deal:
    fields: dict[str, Any] = {
        "title": "ERP rollout",
        "next_step": "Send the proposal",
        "next_step_on": TOMORROW,
        "amount": "120000.00",
        "margin": "30000",
        "client_benefit": "400000",
    }
    fields.update(extra)
    pipeline = fields.pop("pipeline", None) or services.pipelines_ensure(actor=actor)
    return services.deal_create(actor=actor, pipeline=pipeline, **fields)


def refused(field: str, call: Any) -> str:
    """Run `call`, expecting a ValidationError on `field` and no change at all."""
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert snapshot() == before
    return caught.value.message_dict[field][0]


def stage_named(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


# Pipelines


def test_a_team_s_first_use_of_deals_gives_it_a_default_pipeline_once(alice, bob):
    first = services.pipelines_ensure(actor=alice)
    again = services.pipelines_ensure(actor=bob)

    assert first == again and first.name == "Sales"
    assert [(s.name, s.outcome) for s in queries.stages_of(first)] == [
        ("Lead", "open"),
        ("Qualified", "open"),
        ("Proposal", "open"),
        ("Negotiation", "open"),
        ("Won", "won"),
        ("Lost", "lost"),
    ]
    assert Pipeline.objects.count() == 1
    assert AuditEntry.objects.filter(action="pipeline.create").count() == 1


def test_a_team_set_up_in_chinese_counts_in_yuan_and_others_in_dollars(alice, db):
    zhang = make_user("zhang", "上海团队", display_name="张伟", language="zh-hans")
    services.pipelines_ensure(actor=zhang)
    services.pipelines_ensure(actor=alice)

    assert queries.team_currency(zhang) == "CNY"
    assert queries.team_currency(alice) == "USD"
    assert new_deal(zhang).currency == "CNY"


def test_each_team_runs_several_pipelines_with_their_own_stages(alice, charlie):
    services.pipelines_ensure(actor=alice)
    renewals = services.pipeline_create(
        actor=alice,
        name="Renewals",
        stages=[
            {"name": "Due", "outcome": "open"},
            {"name": "Renewed", "outcome": "won"},
            {"name": "Churned", "outcome": "lost"},
        ],
        stale_after_days=14,
    )

    assert [p.name for p in queries.pipelines(alice)] == ["Sales", "Renewals"]
    assert [s.name for s in queries.stages_of(renewals)] == ["Due", "Renewed", "Churned"]
    assert list(queries.pipelines(charlie)) == []


@pytest.mark.parametrize(
    ("stages", "field"),
    [
        ([], "stages"),
        ([{"name": "Won", "outcome": "won"}, {"name": "Lost", "outcome": "lost"}], "stages"),
        ([{"name": "Open", "outcome": "open"}, {"name": "Lost", "outcome": "lost"}], "stages"),
        (
            [
                {"name": "Talk", "outcome": "open"},
                {"name": "talk", "outcome": "open"},
                {"name": "Won", "outcome": "won"},
                {"name": "Lost", "outcome": "lost"},
            ],
            "stages[1].name",
        ),
        ([{"name": " ", "outcome": "open"}], "stages[0].name"),
        ([{"name": "Talk", "outcome": "maybe"}], "stages[0].outcome"),
    ],
)
def test_a_pipeline_needs_open_won_and_lost_stages_with_distinct_names(alice, stages, field):
    refused(field, lambda: services.pipeline_create(actor=alice, name="Tenders", stages=stages))


def test_two_pipelines_of_a_team_cannot_share_a_name(alice):
    services.pipelines_ensure(actor=alice)

    message = refused(
        "name",
        lambda: services.pipeline_create(
            actor=alice,
            name="sales",
            stages=[
                {"name": "A"},
                {"name": "W", "outcome": "won"},
                {"name": "L", "outcome": "lost"},
            ],
        ),
    )
    assert "already a pipeline" in message


# Creating and changing deals


def test_a_new_deal_starts_in_the_first_stage_with_its_history_and_an_audit_entry(alice, book):
    deal = new_deal(alice, organisation=book["huawei"], people=[book["wang"]])

    assert deal.stage.name == "Lead" and deal.currency == "USD"
    assert deal.amount == Decimal("120000.00") and deal.owner == alice
    assert list(deal.people.all()) == [book["wang"]]
    [change] = StageChange.objects.filter(deal=deal)
    assert change.from_stage is None and change.to_stage == deal.stage and change.by == alice
    entry = AuditEntry.objects.get(action="deal.create", object_id=deal.pk)
    assert "ERP rollout" in entry.summary and entry.actor == alice


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"amount": "-5"}, "amount", "must not be negative"),
        ({"amount": "12.345"}, "amount", "two decimal places"),
        ({"amount": "lots"}, "amount", "amount of money"),
        ({"amount": "NaN"}, "amount", "amount of money"),
        ({"amount": "1e13"}, "amount", "too large"),
        ({"client_benefit": "-1"}, "client_benefit", "must not be negative"),
        ({"currency": "dollars"}, "currency", "three-letter code"),
        ({"title": "  "}, "title", "needs a title"),
        ({"next_step": ""}, "next_step", "needs a next step"),
        ({"next_step_on": "soon"}, "next_step_on", "date is required"),
        ({"next_step_on": dt.date(2020, 1, 1)}, "next_step_on", "in the past"),
        ({"owner": 999_999}, "owner", "no such teammate"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(alice, extra, field, words):
    services.pipelines_ensure(actor=alice)

    assert words in refused(field, lambda: new_deal(alice, **extra))


def test_a_negative_margin_is_allowed_and_makes_the_deal_one_sided(alice):
    deal = new_deal(alice, margin="-2500.50", client_benefit="500000")

    card = queries.card_for(deal, deal.stage, timezone.localdate())
    assert deal.margin == Decimal("-2500.50")
    assert card.winwin.reasons == ("negative_margin",)


def test_another_team_s_person_organisation_referral_or_member_cannot_be_attached(
    alice, charlie, book
):
    services.pipelines_ensure(actor=alice)
    theirs = referral_create(
        actor=charlie,
        referrer=book["charlies"],
        referred=make_person(charlie, "Charlie's Other Client"),
    )

    assert "no such person" in refused("people", lambda: new_deal(alice, people=[book["charlies"]]))
    assert "no such organisation" in refused(
        "organisation", lambda: new_deal(alice, organisation=book["charlies_org"])
    )
    assert "no such referral" in refused("referral", lambda: new_deal(alice, referral=theirs))
    assert "no such teammate" in refused("owner", lambda: new_deal(alice, owner=charlie))


def make_person(actor: Any, name: str) -> Any:
    from rapport.people.services import person_create

    return person_create(actor=actor, display_name=name)


def test_a_colleague_s_private_contact_is_refused_like_someone_who_does_not_exist(alice, book):
    services.pipelines_ensure(actor=alice)
    secret = book["bobs_secret"].pk

    message = refused("people", lambda: new_deal(alice, people=[secret]))
    nobody = refused("people", lambda: new_deal(alice, people=[999_999_999]))

    assert message.replace(str(secret), "N") == nobody.replace("999999999", "N")


def test_one_s_own_private_contact_stays_on_the_deal_unseen_when_a_colleague_edits_it(
    alice, bob, book
):
    deal = new_deal(bob, people=[book["bobs_secret"], book["wang"]])

    seen_by_alice = queries.deal_for(alice, deal.pk)
    services.deal_update(actor=alice, deal=deal, people=[book["anna"]])

    assert [p.display_name for p in seen_by_alice.shown_people] == ["王小明"]
    assert set(deal.people.all()) == {book["bobs_secret"], book["anna"]}
    assert [p.display_name for p in queries.deal_for(alice, deal.pk).shown_people] == ["Anna Lee"]


def test_a_referral_of_the_team_can_be_the_deal_s_source(alice, book):
    referral = referral_create(actor=alice, referrer=book["wang"], referred=book["anna"])
    deal = new_deal(alice, referral=referral)

    won = stage_named(deal.pipeline, "Won")
    services.deal_move(actor=alice, deal=deal, stage=won, reason="relationship")

    assert queries.deals_won_by_referral([referral.pk]) == {referral.pk: 1}


def test_a_deal_won_from_a_referral_shows_on_its_record_and_makes_the_referrer_due_thanks(
    alice, book
):
    """Anna never met us yet, so only the won deal makes Wang due a thank-you."""
    referral = referral_create(actor=alice, referrer=book["wang"], referred=book["anna"])
    assert referral.pk not in {o.referral.pk for o in referrers_to_thank(alice)}
    deal = new_deal(alice, referral=referral)
    services.deal_move(
        actor=alice, deal=deal, stage=stage_named(deal.pipeline, "Won"), reason="relationship"
    )
    [due] = [o for o in referrers_to_thank(alice) if o.referral.pk == referral.pk]
    assert due.deals_won == 1


def test_changing_the_next_step_restarts_the_stale_clock_and_is_audited(alice):
    deal = new_deal(alice)
    long_ago = timezone.now() - dt.timedelta(days=45)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=long_ago, next_step_updated_at=long_ago)
    deal.refresh_from_db()
    assert queries.card_for(deal, deal.stage, timezone.localdate()).staleness.quiet

    services.deal_update(actor=alice, deal=deal, next_step="Call the CFO", next_step_on=TOMORROW)

    deal.refresh_from_db()
    card = queries.card_for(deal, deal.stage, timezone.localdate())
    assert not card.stale and deal.next_step == "Call the CFO"
    entry = AuditEntry.objects.filter(object_id=deal.pk).first()
    assert entry.action == "deal.next_step"
    assert entry.changes["next_step"] == ["Send the proposal", "Call the CFO"]


def test_a_next_step_date_gone_by_flags_the_deal_however_recent_its_last_move(alice):
    deal = new_deal(alice)
    Deal.objects.filter(pk=deal.pk).update(next_step_on=timezone.localdate() - dt.timedelta(days=3))
    deal.refresh_from_db()

    card = queries.card_for(deal, deal.stage, timezone.localdate())

    assert card.stale and card.staleness.overdue_days == 3 and not card.staleness.quiet


def test_the_stale_threshold_is_the_pipeline_s_own(alice):
    quick = services.pipeline_create(
        actor=alice,
        name="Quick",
        stages=[
            {"name": "Talk"},
            {"name": "Yes", "outcome": "won"},
            {"name": "No", "outcome": "lost"},
        ],
        stale_after_days=7,
    )
    deal = new_deal(alice, pipeline=quick)
    eight_days_ago = timezone.now() - dt.timedelta(days=8)
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=eight_days_ago, next_step_updated_at=eight_days_ago
    )

    [card] = queries.board(alice, quick).cards

    assert card.staleness.quiet and card.staleness.idle_days == 8


def test_an_unknown_field_is_refused(alice):
    deal = new_deal(alice)

    refused("stage", lambda: services.deal_update(actor=alice, deal=deal, stage=1))


# Moving


def test_a_move_records_who_moved_it_from_where_to_where(alice, bob):
    deal = new_deal(alice)
    proposal = stage_named(deal.pipeline, "Proposal")

    services.deal_move(actor=bob, deal=deal, stage=proposal)

    deal.refresh_from_db()
    assert deal.stage == proposal and deal.closed_at is None
    last = StageChange.objects.filter(deal=deal).last()
    assert (last.from_stage.name, last.to_stage.name, last.by) == ("Lead", "Proposal", bob)
    assert AuditEntry.objects.filter(action="deal.move", object_id=deal.pk).exists()


def test_a_move_to_a_stage_of_another_pipeline_is_refused_and_changes_nothing(alice):
    deal = new_deal(alice)
    renewals = services.pipeline_create(
        actor=alice,
        name="Renewals",
        stages=[
            {"name": "Due"},
            {"name": "Renewed", "outcome": "won"},
            {"name": "Churned", "outcome": "lost"},
        ],
    )

    message = refused(
        "stage",
        lambda: services.deal_move(actor=alice, deal=deal, stage=stage_named(renewals, "Due")),
    )

    assert "“Due” is a stage of the pipeline “Renewals”, not of “Sales”" in message


def test_a_move_to_another_team_s_stage_is_refused_as_no_such_stage(alice, charlie):
    deal = new_deal(alice)
    theirs = stage_named(services.pipelines_ensure(actor=charlie), "Proposal")

    assert "no such stage" in refused(
        "stage", lambda: services.deal_move(actor=alice, deal=deal, stage=theirs)
    )


@pytest.mark.parametrize("outcome", ["Won", "Lost"])
def test_closing_a_deal_without_a_reason_is_refused_and_changes_nothing(alice, outcome):
    deal = new_deal(alice)

    message = refused(
        "reason",
        lambda: services.deal_move(
            actor=alice, deal=deal, stage=stage_named(deal.pipeline, outcome)
        ),
    )

    assert "needs a reason" in message


def test_other_as_a_reason_needs_words_and_an_unknown_reason_is_refused(alice):
    deal = new_deal(alice)
    lost = stage_named(deal.pipeline, "Lost")

    refused("note", lambda: services.deal_move(actor=alice, deal=deal, stage=lost, reason="other"))
    refused("reason", lambda: services.deal_move(actor=alice, deal=deal, stage=lost, reason="luck"))


def test_closing_with_a_reason_closes_the_deal_and_reopening_clears_it(alice):
    deal = new_deal(alice)
    lost = stage_named(deal.pipeline, "Lost")

    services.deal_move(actor=alice, deal=deal, stage=lost, reason="price", note="Rival at -20%")
    deal.refresh_from_db()
    assert deal.closed_at is not None and (deal.close_reason, deal.close_note) == (
        "price",
        "Rival at -20%",
    )
    last = StageChange.objects.filter(deal=deal).last()
    assert (last.reason, last.note) == ("price", "Rival at -20%")

    services.deal_move(actor=alice, deal=deal, stage=stage_named(deal.pipeline, "Negotiation"))
    deal.refresh_from_db()
    assert deal.closed_at is None and deal.close_reason == "" and deal.close_note == ""
    assert StageChange.objects.filter(deal=deal).count() == 3


def test_a_move_to_the_stage_it_is_in_changes_nothing(alice):
    deal = new_deal(alice)
    before = snapshot()

    services.deal_move(actor=alice, deal=deal, stage=deal.stage)

    assert snapshot() == before


def test_the_history_gives_the_days_spent_in_each_stage(alice):
    deal = new_deal(alice)
    pipeline = deal.pipeline
    services.deal_move(actor=alice, deal=deal, stage=stage_named(pipeline, "Qualified"))
    services.deal_move(
        actor=alice, deal=deal, stage=stage_named(pipeline, "Won"), reason="capability"
    )
    start = timezone.now() - dt.timedelta(days=20)
    changes = list(StageChange.objects.filter(deal=deal).order_by("at"))
    for change, days_ago in zip(changes, [20, 12, 2], strict=True):
        StageChange.objects.filter(pk=change.pk).update(at=start + dt.timedelta(days=20 - days_ago))
    Deal.objects.filter(pk=deal.pk).update(closed_at=start + dt.timedelta(days=18))
    deal.refresh_from_db()

    history = queries.stage_history(deal)

    assert [(h.change.to_stage.name, h.days) for h in history] == [
        ("Lead", 8),
        ("Qualified", 10),
        ("Won", 0),
    ]


def test_merging_two_people_leaves_their_deals_with_the_one_kept_once(alice, book):
    from rapport.transfer.merge import merge_people

    twin = make_person(alice, "Wang Xiaoming (old card)")
    both = new_deal(alice, title="Both", people=[book["wang"], twin])
    only_twin = new_deal(alice, title="Twin only", people=[twin])

    merge_people(actor=alice, keep=book["wang"], other=twin)

    assert list(both.people.all()) == [book["wang"]]
    assert list(only_twin.people.all()) == [book["wang"]]


def test_a_change_of_the_deal_s_money_is_audited_with_before_and_after(alice, book):
    deal = new_deal(alice)

    services.deal_update(
        actor=alice, deal=deal, amount="150000", organisation=book["huawei"], margin=None
    )

    entry = AuditEntry.objects.filter(object_id=deal.pk, action="deal.update").get()
    assert entry.changes == {
        "amount": ["120000.00", "150000.00"],
        "organisation": [None, "华为技术"],
        "margin": ["30000.00", None],
    }
    deal.refresh_from_db()
    assert deal.amount == Decimal("150000.00") and deal.margin is None
