"""A gift written or deleted refreshes its person's trust once the write commits (the
register feeds intimacy and self-orientation: rapport.gifts.rules)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from rapport.gifts.models import Gift


def _on_gift(instance: Gift, **_: Any) -> None:
    from rapport.trust.signals import touch

    touch(people=[instance.person_id])


def connect() -> None:
    post_save.connect(_on_gift, sender=Gift, dispatch_uid="trust-Gift-save")
    post_delete.connect(_on_gift, sender=Gift, dispatch_uid="trust-Gift-delete")
