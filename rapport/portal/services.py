"""Secret links: create, resolve and revoke a client's tracking link, a client's trust
survey or a user's calendar feed. A token is 43 random URL-safe characters (256 bits);
only its SHA-256 digest is stored, so a database leak reveals no working link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.services import audit_record
from rapport.core import tokens
from rapport.people.models import Organisation, Person, Visibility
from rapport.portal import survey as survey_questions
from rapport.portal.models import CalendarFeed, ShareLink, ShareLinkView
from rapport.trust.models import Survey, SurveyAnswer
from rapport.trust.scoring import trust_refresh

DEFAULT_LINK_DAYS = 90
MAX_LINK_DAYS = 366


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
    token, secret = tokens.issue()
    link = ShareLink.objects.create(
        team_id=team_id,
        created_by=actor,
        person=person,
        organisation=organisation,
        language=language,
        **secret,
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
    return tokens.find(
        ShareLink.objects.select_related("team", "person", "organisation").filter(
            revoked_at__isnull=True, expires_at__gt=now
        ),
        token,
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
    token, secret = tokens.issue()
    feed = CalendarFeed.objects.create(user=actor, **secret)
    audit_record(actor=actor, team=actor.member.team, action="calendar_feed.create", obj=feed)
    return feed, token


def calendar_feed_resolve(token: str) -> CalendarFeed | None:
    feed = tokens.find(
        CalendarFeed.objects.select_related("user__member").filter(
            revoked_at__isnull=True, user__is_active=True
        ),
        token,
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


# --- The client trust survey ------------------------------------------------------


@transaction.atomic
def survey_create(
    *,
    actor: Any,
    person: Person,
    language: str | None = None,
    days: int = survey_questions.DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> tuple[Survey, str]:
    """A link asking one client for their view of us, in their language, valid for
    `days`. Returns the survey and its token, which is shown once."""
    now = now or timezone.now()
    team_id = actor.member.team_id
    if person.team_id != team_id or (_client_private(person) and person.owner_id != actor.pk):
        raise ValidationError({"person": _("no such person")})
    if not isinstance(days, int) or not 1 <= days <= survey_questions.MAX_DAYS:
        raise ValidationError(
            {"days": _("a link lasts from 1 to %(max)s days") % {"max": survey_questions.MAX_DAYS}}
        )
    language = language or actor.member.language
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            {"language": _("%(value)s is not a language Rapport speaks") % {"value": language}}
        )
    token, secret = tokens.issue()
    survey = Survey(
        team_id=team_id,
        created_by=actor,
        person=person,
        language=language,
        **secret,
        expires_at=now + dt.timedelta(days=days),
    )
    survey.full_clean()
    survey.save()
    audit_record(
        actor=actor,
        team=survey.team,
        action="survey.create",
        obj=survey,
        summary=person.display_name,
        private=_client_private(person),
        person=person,
    )
    return survey, token


def survey_resolve(token: str, *, now: dt.datetime | None = None) -> Survey | None:
    """The survey behind a token while its link lives (answered or not); None for
    unknown, revoked and expired ones alike."""
    now = now or timezone.now()
    return tokens.find(
        Survey.objects.select_related("team", "person", "created_by__member__person").filter(
            revoked_at__isnull=True, expires_at__gt=now
        ),
        token,
    )


class SurveyAlreadyAnswered(ValidationError):
    """The client answered this survey before; answers are never replaced."""


class SurveyClosed(ValidationError):
    """The link was revoked or ran out while the client was answering."""


@transaction.atomic
def survey_answer(
    *,
    survey: Survey,
    answers: Mapping[str, object],
    comment: str = "",
    now: dt.datetime | None = None,
) -> Survey:
    """Store the client's answers (one per question, each 1..5) and comment, once.

    Raises ValidationError naming each question left out or out of range (nothing is
    stored), SurveyAlreadyAnswered when it was answered before and SurveyClosed when the
    link died meanwhile. The person's trust is recomputed once the answers are saved."""
    now = now or timezone.now()
    cleaned, errors = survey_questions.clean_answers(answers)
    comment = (comment or "").strip()
    if len(comment) > survey_questions.COMMENT_MAX:
        errors["comment"] = _("Please keep the comment under %(max)s characters.") % {
            "max": survey_questions.COMMENT_MAX
        }
    if errors:
        raise ValidationError(errors)
    rows = [
        SurveyAnswer(
            survey=survey,
            question=q.key,
            component=q.component,
            answer=cleaned[q.key],
        )
        for q in survey_questions.QUESTIONS
    ]
    for row in rows:
        row.full_clean(exclude=["survey"], validate_unique=False, validate_constraints=False)
    # A conditional update rather than read-then-save: two submissions racing each other
    # (a double click, two devices) cannot both get past it, on SQLite or PostgreSQL.
    claimed = Survey.objects.filter(
        pk=survey.pk, answered_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(answered_at=now, comment=comment)
    if not claimed:
        current = Survey.objects.filter(pk=survey.pk).values("answered_at").first()
        if current is not None and current["answered_at"] is not None:
            raise SurveyAlreadyAnswered({"survey": _("This survey was already answered.")})
        raise SurveyClosed({"survey": _("This survey is closed.")})
    survey.answered_at, survey.comment = now, comment
    SurveyAnswer.objects.bulk_create(rows)
    person = survey.person
    entry = audit_record(
        actor=None,
        team=survey.team,
        action="survey.answer",
        obj=survey,
        summary=person.display_name,
        changes={row.question: row.answer for row in rows},
        person=person,
    )
    if _client_private(person):
        # The client, not a user, wrote this; it stays as private as the contact is.
        entry.private_to_id = person.owner_id
        entry.save(update_fields=["private_to"])
    # Robust: the answers are saved whatever happens; a failed refresh is logged and the
    # next write or full recompute catches up, rather than showing the client an error.
    transaction.on_commit(lambda: trust_refresh(person_ids=[person.pk]), robust=True)
    return survey


@transaction.atomic
def survey_revoke(*, actor: Any, survey: Survey) -> Survey:
    """Kill an unanswered survey's link. An answered survey keeps its answers."""
    if survey.answered_at is not None:
        raise ValidationError({"survey": _("this survey was already answered")})
    if survey.revoked_at is not None:
        raise ValidationError({"survey": _("this survey link was already revoked")})
    survey.revoked_at = timezone.now()
    survey.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        team=survey.team,
        action="survey.revoke",
        obj=survey,
        summary=survey.person.display_name,
        private=_client_private(survey.person),
        person=survey.person,
    )
    return survey
