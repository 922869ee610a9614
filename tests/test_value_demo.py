"""The demo's value ledgers: clients with value recorded, some told through a sent
report (logged as an email on their agenda), some not yet, and a report link ready."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from rapport.interactions.models import Interaction
from rapport.value import demo
from rapport.value.models import ValueItem, ValueReport


def test_the_demo_records_value_some_told_and_a_report_link(
    alice: Any, book: dict[str, Any]
) -> None:
    recorded = demo.seed(team=alice.member.team, user=alice, now=timezone.now())

    assert recorded == ValueItem.objects.count() == 5
    clients = {i.person for i in ValueItem.objects.all()}
    assert clients == {book["wang"], book["anna"]}
    assert ValueItem.objects.filter(told_at__isnull=False).count() == 3
    assert ValueItem.objects.filter(told_at__isnull=True).count() == 2
    sent, ready = ValueReport.objects.order_by("pk")
    assert sent.sent_at is not None and ready.sent_at is None
    assert Interaction.objects.filter(pk=sent.interaction_id, focus="client").exists()


def test_the_benchmark_ledger_gives_organisations_their_people_s_items(alice, bob, book):
    import datetime as dt

    from rapport.people.models import Role
    from rapport.value import queries
    from rapport.value.demo import generate
    from rapport.value.models import ValueItem

    now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    added = generate(team=alice.member.team, users=[alice, bob], seed=3, now=now, count=60)

    items = list(ValueItem.objects.filter(team=alice.member.team))
    assert added == len(items) == 60
    assert all((i.person_id is None) != (i.organisation_id is None) for i in items)
    assert all(i.delivered_on <= now.date() for i in items)
    firm = book["huawei"]
    theirs = {i.pk for i in items if i.organisation_id == firm.pk}
    people = set(Role.objects.filter(organisation=firm).values_list("person_id", flat=True))
    through = {i.pk for i in items if i.person_id in people}
    assert through, "some items went to the firm's people"
    assert {i.pk for i in queries.ledger(alice, organisation=firm).items} == theirs | through
