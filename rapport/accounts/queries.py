"""Reads for accounts: tokens and the team's audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from rapport.accounts.models import ApiToken, AuditEntry


def user_tokens(actor: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor).order_by("-created_at")


def team_audit(actor: Any) -> QuerySet[AuditEntry]:
    """The actor's team's audit trail, newest first."""
    return (
        AuditEntry.objects.filter(team_id=actor.member.team_id)
        .filter(Q(private_to__isnull=True) | Q(private_to=actor))
        .select_related("actor")
    )
