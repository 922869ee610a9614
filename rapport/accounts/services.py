"""Writes for teams, members, API tokens, and the audit trail every service leaves."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import ApiToken, AuditEntry, Member, Team
from rapport.core import tokens

TOKEN_PREFIX = "rpt_"  # noqa: S105 - a marker, not a secret


def audit_record(
    *,
    actor: Any,
    team: Team,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    private: bool = False,
    person: Any = None,
) -> AuditEntry:
    """Append an audit entry. Called inside the same transaction as the write it records.

    A `private` entry (about someone's private contact) is shown only to its actor;
    `person` names the person it is about, so it can follow their visibility later."""
    user = actor if actor is not None and not isinstance(actor, AnonymousUser) else None
    return AuditEntry.objects.create(
        team=team,
        actor=user,
        private_to=user if private else None,
        person=person,
        action=action,
        object_type=object_type or (obj._meta.model_name or "" if obj is not None else ""),
        object_id=obj.pk if obj is not None else None,
        summary=summary[:300],
        changes=changes or {},
    )


def team_get_or_create(*, name: str) -> tuple[Team, bool]:
    """The team called `name`, creating it if missing."""
    name = name.strip()
    if not name:
        raise ValidationError({"team": _("team name must not be empty")})
    return Team.objects.get_or_create(name=name)


@transaction.atomic
def user_add(
    *,
    username: str,
    team_name: str,
    password: str | None = None,
    email: str = "",
    display_name: str = "",
    language: str = "en",
    time_zone: str = "UTC",
    actor: Any = None,
) -> tuple[Any, str | None]:
    """Create a user in a team (creating the team if missing) with their own Person.

    Returns the user and, if no password was given, the generated one to show once.
    """
    from rapport.people.services import person_create

    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("username must not be empty")})
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            {"username": _("user “%(name)s” already exists") % {"name": username}}
        )
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    user = User(username=username, email=email)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    team, _created = team_get_or_create(name=team_name)
    member = Member(user=user, team=team, language=language, time_zone=time_zone)
    if not Member.objects.filter(team=team).exists():
        member.role = Member.Role.ADMIN
    member.full_clean(exclude=["person"])
    member.save()
    person = person_create(
        actor=user,
        display_name=display_name or username,
        visibility="team",
        channels=[{"kind": "email", "value": email}] if email else [],
    )
    member.person = person
    member.save(update_fields=["person"])
    audit_record(actor=actor or user, team=team, action="user.add", obj=user, summary=username)
    return user, generated


def member_update_preferences(
    *,
    actor: Any,
    language: str | None = None,
    time_zone: str | None = None,
    agenda_email: bool | None = None,
    agenda_hour: int | None = None,
) -> Member:
    """Change the actor's own language, time zone and morning agenda email."""
    member: Member = actor.member
    fields = []
    for name, value in (
        ("language", language),
        ("time_zone", time_zone),
        ("agenda_email", agenda_email),
        ("agenda_hour", agenda_hour),
    ):
        if value is not None:
            setattr(member, name, value)
            fields.append(name)
    member.full_clean(exclude=["person"])
    member.save(update_fields=fields)
    audit_record(
        actor=actor,
        team=member.team,
        action="member.preferences",
        obj=member,
        changes={f: getattr(member, f) for f in fields},
    )
    return member


@transaction.atomic
def token_create(*, user: Any, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`. The secret is returned once; only its hash is stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:10], digest=tokens.digest(secret)
    )
    member = Member.objects.get(user=user)
    audit_record(actor=user, team=member.team, action="token.create", obj=token, summary=name)
    return token, secret


def token_authenticate(secret: str) -> Any | None:
    """The active user a bearer secret belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__member__team")
        .filter(digest=tokens.digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    token = ApiToken.objects.get(pk=token_id, user=actor)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, team=actor.member.team, action="token.revoke", obj=token)
    return token
