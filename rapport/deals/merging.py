"""How merging two people (rapport.transfer.merge) moves their places on deals: the
other's deals get the kept person, once. Registered in the merge's HANDLERS when the
app is ready."""

from __future__ import annotations

from typing import Any

from django.db import models

from rapport.deals.models import Deal
from rapport.people.models import Person


def deal_people(keep: Person, other: Person, field: models.Field[Any, Any]) -> Any:
    """The other's deals name the kept person instead; a deal naming both keeps one."""
    from rapport.transfer.merge import Moved

    through = Deal.people.through
    mine = through.objects.filter(person=keep).values("deal_id")
    dropped, _per_model = through.objects.filter(person=other, deal_id__in=mine).delete()
    moved = through.objects.filter(person=other).update(person=keep)
    return Moved(moved=moved, dropped=dropped)


def register() -> None:
    from rapport.transfer.merge import HANDLERS, _nothing

    # The many-to-many itself moves with its rows (the through table's person).
    HANDLERS.setdefault("deals.Deal.people", ("deals", _nothing))
    HANDLERS.setdefault("deals.Deal_people.person", ("deals", deal_people))
