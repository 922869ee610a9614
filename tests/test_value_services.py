"""The value ledger's writes: recording what we did for a client, refusing bad input by
naming the field with nothing half-written, and reports that tell the client (sending
one marks its items as told and logs an email on the client's agenda)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.deals.services import deal_create, pipelines_ensure
from rapport.interactions.models import Interaction
from rapport.people.services import person_create, role_create
from rapport.value import queries, services
from rapport.value.models import ValueItem, ValueReport

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def record(actor: Any, client: Any, title: str, **fields: Any) -> ValueItem:
    fields.setdefault("kind", "work")
    fields.setdefault("delivered_on", TODAY - 10 * DAY)
    return services.value_item_create(actor=actor, person=client, title=title, **fields)


def test_an_item_keeps_its_money_hours_and_who_recorded_it(
    alice: Any, book: dict[str, Any]
) -> None:
    item = record(
        alice,
        book["wang"],
        "Cut the freight bill",
        kind="saving",
        amount="12,500.5",
        currency="cny",
        hours="3.25",
        details="Renegotiated with the carrier",
    )

    item.refresh_from_db()
    assert (item.amount, item.currency, item.hours) == (Decimal("12500.50"), "CNY", Decimal("3.25"))
    assert item.recorded_by == alice and item.told_at is None
    assert AuditEntry.objects.filter(action="value_item.create", object_id=item.pk).exists()


def test_an_item_said_to_be_told_is_told_now(alice: Any, book: dict[str, Any]) -> None:
    item = record(alice, book["wang"], "Trained the finance team", kind="training", told=True)

    assert item.told_at is not None
    services.value_item_update(actor=alice, item=item, told=False)
    assert ValueItem.objects.get(pk=item.pk).told_at is None


BAD = [
    ({"amount": "-5", "currency": "USD"}, "amount"),
    ({"hours": "-1"}, "hours"),
    ({"hours": "1.234"}, "hours"),
    ({"amount": "100"}, "currency"),
    ({"amount": "100", "currency": "dollars"}, "currency"),
    ({"delivered_on": "TOMORROW"}, "delivered_on"),  # made when the test runs
    ({"delivered_on": "yesterday"}, "delivered_on"),
    ({"kind": "bribe"}, "kind"),
    ({"title": "  "}, "title"),
    ({"amount": "abc", "currency": "USD"}, "amount"),
]


@pytest.mark.parametrize(("fields", "name"), BAD)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    alice: Any, book: dict[str, Any], fields: dict[str, Any], name: str
) -> None:
    today = timezone.localdate()  # (not the module's TODAY: a run may cross midnight)
    data = {"kind": "work", "title": "Audit", "delivered_on": today, **fields}
    if data["delivered_on"] == "TOMORROW":
        data["delivered_on"] = today + DAY
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as caught:
        services.value_item_create(actor=alice, person=book["wang"], **data)

    assert name in caught.value.message_dict
    assert not ValueItem.objects.exists()
    assert AuditEntry.objects.count() == before


def test_an_unknown_or_unreachable_client_is_refused_as_no_such_person(
    alice: Any, book: dict[str, Any]
) -> None:
    for person in (book["bobs_secret"], book["charlies"], 2**40, "x"):
        with pytest.raises(ValidationError) as caught:
            record(alice, person, "Advice")
        assert caught.value.message_dict == {"person": ["no such person"]}
    with pytest.raises(ValidationError) as caught:
        services.value_item_create(
            actor=alice,
            organisation=book["charlies_org"],
            kind="work",
            title="x",
            delivered_on=TODAY,
        )
    assert "organisation" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.value_item_create(actor=alice, kind="work", title="x", delivered_on=TODAY)
    assert "person" in caught.value.message_dict
    assert not ValueItem.objects.exists()


def test_an_item_may_name_the_team_s_deal_but_not_another_team_s(
    alice: Any, charlie: Any, book: dict[str, Any]
) -> None:
    def deal_of(user: Any) -> Any:
        return deal_create(
            actor=user,
            pipeline=pipelines_ensure(actor=user),
            title=f"{user.username} deal",
            next_step="Call",
            next_step_on=TODAY + DAY,
        )

    ours, theirs = deal_of(alice), deal_of(charlie)
    assert record(alice, book["wang"], "Scoping", deal=ours.pk).deal == ours
    with pytest.raises(ValidationError) as caught:
        record(alice, book["wang"], "Scoping", deal=theirs.pk)
    assert caught.value.message_dict == {"deal": ["no such deal"]}


def test_sending_a_report_marks_its_items_told_and_logs_an_email_on_their_agenda(
    alice: Any, book: dict[str, Any]
) -> None:
    wang = book["wang"]
    inside = record(
        alice,
        wang,
        "Introduced a logistics partner",
        kind="introduction",
        delivered_on=TODAY - 5 * DAY,
    )
    told_before = record(
        alice, wang, "Advice on tariffs", kind="advice", told=True, delivered_on=TODAY - 4 * DAY
    )
    first_told = told_before.told_at
    outside = record(alice, wang, "Old training", kind="training", delivered_on=TODAY - 90 * DAY)
    someone_else = record(alice, book["anna"], "Anna's saving", delivered_on=TODAY - 5 * DAY)
    report, token = services.value_report_create(
        actor=alice, person=wang, period_from=TODAY - 30 * DAY, period_to=TODAY, language="zh-hans"
    )
    assert len(token) >= 40 and token[:8] == report.prefix and token not in report.digest
    assert [i.pk for i in queries.report_items(report)] == [inside.pk, told_before.pk]

    services.value_report_send(actor=alice, report=report)

    assert ValueItem.objects.get(pk=inside.pk).told_at == report.sent_at
    assert ValueItem.objects.get(pk=told_before.pk).told_at == first_told
    assert ValueItem.objects.get(pk=outside.pk).told_at is None
    assert ValueItem.objects.get(pk=someone_else.pk).told_at is None
    email = Interaction.objects.get(pk=report.interaction_id)
    assert (email.kind, email.focus) == ("email", "client")
    assert email.summary == "Sent a report of what we did for you"
    assert list(email.participants.all()) == [wang]
    with pytest.raises(ValidationError):
        services.value_report_send(actor=alice, report=report)


def test_a_report_for_an_organisation_is_logged_with_its_current_people(
    alice: Any, bob: Any, book: dict[str, Any]
) -> None:
    huawei = book["huawei"]
    former = person_create(actor=alice, display_name="Former buyer")
    role_create(actor=alice, person=former, organisation=huawei, ended_on=TODAY - 100 * DAY)
    secret = person_create(actor=bob, display_name="Bob's man at Huawei", visibility="private")
    role_create(actor=bob, person=secret, organisation=huawei)
    item = services.value_item_create(
        actor=alice,
        organisation=huawei,
        kind="work",
        title="ERP health check",
        delivered_on=TODAY - DAY,
    )
    report, _token = services.value_report_create(
        actor=alice, organisation=huawei, period_from=TODAY - 7 * DAY, period_to=TODAY
    )

    services.value_report_send(actor=alice, report=report)

    assert ValueItem.objects.get(pk=item.pk).told_at is not None
    email = Interaction.objects.get(pk=report.interaction_id)
    assert list(email.participants.all()) == [book["wang"]]


def test_an_organisation_s_report_counts_its_people_s_items_while_they_were_there(
    alice: Any, bob: Any, book: dict[str, Any]
) -> None:
    huawei = book["huawei"]
    direct = services.value_item_create(
        actor=alice,
        organisation=huawei,
        kind="work",
        title="ERP health check",
        delivered_on=TODAY - 3 * DAY,
    )
    through_wang = record(alice, book["wang"], "Tariff advice to the CFO", kind="advice")
    former = person_create(actor=alice, display_name="Former buyer")
    role_create(
        actor=alice,
        person=former,
        organisation=huawei,
        started_on=TODAY - 400 * DAY,
        ended_on=TODAY - 20 * DAY,
    )
    while_there = record(alice, former, "Trained the buyer's team", delivered_on=TODAY - 25 * DAY)
    after_leaving = record(alice, former, "Advice after they left", delivered_on=TODAY - 5 * DAY)
    joiner = person_create(actor=alice, display_name="New joiner")
    role_create(actor=alice, person=joiner, organisation=huawei, started_on=TODAY - 2 * DAY)
    before_joining = record(alice, joiner, "Met before joining", delivered_on=TODAY - 6 * DAY)
    secret = person_create(actor=bob, display_name="Bob's man at Huawei", visibility="private")
    role_create(actor=bob, person=secret, organisation=huawei)
    hidden = services.value_item_create(
        actor=bob,
        person=secret,
        kind="saving",
        title="Bob's private saving",
        delivered_on=TODAY - 4 * DAY,
    )
    elsewhere = record(alice, book["anna"], "Anna's saving")

    report, _token = services.value_report_create(
        actor=alice, organisation=huawei, period_from=TODAY - 60 * DAY, period_to=TODAY
    )
    covered = {i.pk for i in queries.report_items(report)}
    card = {i.pk for i in queries.ledger(alice, organisation=huawei).items}
    bobs_card = {i.pk for i in queries.ledger(bob, organisation=huawei).items}
    services.value_report_send(actor=alice, report=report)

    assert covered == card == {direct.pk, through_wang.pk, while_there.pk}
    assert bobs_card == covered | {hidden.pk}
    told = set(ValueItem.objects.filter(told_at__isnull=False).values_list("pk", flat=True))
    assert told == covered
    assert not told & {after_leaving.pk, before_joining.pk, hidden.pk, elsewhere.pk}
    view = queries.report_view(report)
    assert view.for_organisation and view.totals.count == 3


def test_a_report_period_and_link_are_checked(alice: Any, book: dict[str, Any]) -> None:
    cases = [
        ({"period_from": TODAY, "period_to": TODAY - DAY}, "to"),
        ({"period_from": "soon", "period_to": TODAY}, "from"),
        ({"period_from": TODAY, "period_to": TODAY, "days": 0}, "days"),
        ({"period_from": TODAY, "period_to": TODAY, "language": "fr"}, "language"),
    ]
    for fields, name in cases:
        with pytest.raises(ValidationError) as caught:
            services.value_report_create(actor=alice, person=book["wang"], **fields)
        assert name in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.value_report_create(
            actor=alice, person=book["bobs_secret"], period_from=TODAY, period_to=TODAY
        )
    assert not ValueReport.objects.exists()


def test_a_revoked_report_cannot_be_sent(alice: Any, book: dict[str, Any]) -> None:
    report, token = services.value_report_create(
        actor=alice, person=book["wang"], period_from=TODAY, period_to=TODAY
    )
    services.value_report_revoke(actor=alice, report=report)

    assert services.value_report_lookup(token) == report
    assert not services.value_report_live(report)
    with pytest.raises(ValidationError):
        services.value_report_send(actor=alice, report=report)
    with pytest.raises(ValidationError):
        services.value_report_revoke(actor=alice, report=report)


def test_erasing_a_person_erases_their_ledger_and_reports(alice: Any, book: dict[str, Any]) -> None:
    from rapport.transfer.erase import erase_person, erase_preview

    anna = book["anna"]
    record(alice, anna, "Audit for Anna")
    services.value_report_create(actor=alice, person=anna, period_from=TODAY, period_to=TODAY)
    kept = record(alice, book["wang"], "Wang's saving")

    labels = dict(erase_preview(actor=alice, person=anna).lines)
    erase_person(actor=alice, person=anna, reason="request")

    assert labels["Value delivered to them (the ledger)"] == 1
    assert labels["Reports of what we did for them"] == 1
    assert list(ValueItem.objects.all()) == [kept]
    assert not ValueReport.objects.exists()
