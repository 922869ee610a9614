"""Secret links: create, resolve and revoke a client's tracking link or a user's
calendar feed. A token is 43 random URL-safe characters (256 bits); only its SHA-256
digest is stored, so a database leak reveals no working link."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.services import audit_record
from rapport.people.models import Organisation, Person, Visibility
from rapport.portal.models import CalendarFeed, ShareLink, ShareLinkView

DEFAULT_LINK_DAYS = 90
MAX_LINK_DAYS = 366


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _client_private(person: Person | None) -> bool:
    return person is not None and person.visibility == Visibility.PRIVATE


@transaction.atomic
def share_link_create(
    *,
    actor: Any,
    person: Person | None = None,
    organisation: Organisation | None = None,
    language: str | None = None,
    days: int = DEFAULT_LINK_DAYS,
    now: dt.datetime | None = None,
) -> tuple[ShareLink, str]:
    """A tracking link for one client (a person or an organisation), valid for `days`.
    Returns the link and its token, which is shown once."""
    now = now or timezone.now()
    team_id = actor.member.team_id
    if (person is None) == (organisation is None):
        raise ValidationError({"person": _("share with exactly one person or one organisation")})
    if person is not None and person.team_id != team_id:
        raise ValidationError({"person": _("no such person")})
    if organisation is not None and organisation.team_id != team_id:
        raise ValidationError({"organisation": _("no such organisation")})
    if not isinstance(days, int) or not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError(
            {"days": _("a link lasts from 1 to %(max)s days") % {"max": MAX_LINK_DAYS}}
        )
    language = language or actor.member.language
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            {"language": _("%(value)s is not a language Rapport speaks") % {"value": language}}
        )
    token = _new_token()
    link = ShareLink.objects.create(
        team_id=team_id,
        created_by=actor,
        person=person,
        organisation=organisation,
        language=language,
        prefix=token[:8],
        digest=_digest(token),
        expires_at=now + dt.timedelta(days=days),
    )
    audit_record(
        actor=actor,
        team=link.team,
        action="share_link.create",
        obj=link,
        summary=(person.display_name if person else organisation.name if organisation else ""),
        private=_client_private(person),
        person=person,
    )
    return link, token


def share_link_resolve(token: str, *, now: dt.datetime | None = None) -> ShareLink | None:
    """The live link for a token; None for unknown, revoked and expired ones alike."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        return None
    return (
        ShareLink.objects.select_related("team", "person", "organisation")
        .filter(digest=_digest(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )


def share_link_viewed(*, link: ShareLink, user_agent: str = "") -> None:
    """Log one opening of the page."""
    ShareLinkView.objects.create(link=link, user_agent=user_agent[:200])
    ShareLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )


@transaction.atomic
def share_link_revoke(*, actor: Any, link: ShareLink) -> ShareLink:
    if link.revoked_at is not None:
        raise ValidationError({"link": _("this link was already revoked")})
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        team=link.team,
        action="share_link.revoke",
        obj=link,
        private=_client_private(link.person),
        person=link.person,
    )
    return link


@transaction.atomic
def calendar_feed_create(*, actor: Any) -> tuple[CalendarFeed, str]:
    """A new secret calendar address for the actor. Earlier ones keep working until
    revoked, so a phone already subscribed does not break."""
    token = _new_token()
    feed = CalendarFeed.objects.create(user=actor, prefix=token[:8], digest=_digest(token))
    audit_record(actor=actor, team=actor.member.team, action="calendar_feed.create", obj=feed)
    return feed, token


def calendar_feed_resolve(token: str) -> CalendarFeed | None:
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user__member")
        .filter(digest=_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is not None:
        now = timezone.now()
        if feed.last_fetched_at is None or (now - feed.last_fetched_at).total_seconds() > 60:
            CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    return feed


@transaction.atomic
def calendar_feed_revoke(*, actor: Any, feed: CalendarFeed) -> CalendarFeed:
    if feed.user_id != actor.pk:
        raise ValidationError({"feed": _("no such calendar feed")})
    if feed.revoked_at is not None:
        raise ValidationError({"feed": _("this calendar feed was already revoked")})
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit_record(actor=actor, team=actor.member.team, action="calendar_feed.revoke", obj=feed)
    return feed
