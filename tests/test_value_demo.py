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
