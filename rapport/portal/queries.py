"""Reads for share links, trust surveys and calendar feeds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rapport.people.models import Visibility
from rapport.portal import survey as survey_questions
from rapport.portal.models import CalendarFeed, ShareLink
from rapport.trust.models import Survey


def visible_share_links(actor: Any) -> QuerySet[ShareLink]:
    """The team's links, except those for a colleague's private contact."""
    return ShareLink.objects.filter(team_id=actor.member.team_id).filter(
        Q(person__isnull=True)
        | Q(person__visibility=Visibility.TEAM)
        | Q(person__owner_id=actor.pk)
    )


def share_link_for(actor: Any, link_id: int | str, *, write: bool = False) -> ShareLink:
    try:
        return (
            visible_share_links(actor)
            .select_related("person", "organisation", "team")
            .get(pk=int(link_id))
        )
    except (ShareLink.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such link") from exc


def share_links_with(
    actor: Any, *, person: Any = None, organisation: Any = None
) -> list[ShareLink]:
    qs = visible_share_links(actor)
    qs = qs.filter(person=person) if person is not None else qs.filter(organisation=organisation)
    return list(qs.order_by("-created_at", "-id"))


def calendar_feeds(actor: Any) -> list[CalendarFeed]:
    return list(CalendarFeed.objects.filter(user=actor).order_by("-created_at", "-id"))


def calendar_feed_for(actor: Any, feed_id: int | str, *, write: bool = False) -> CalendarFeed:
    try:
        return CalendarFeed.objects.get(pk=int(feed_id), user=actor)
    except (CalendarFeed.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such calendar feed") from exc


def visible_surveys(actor: Any) -> QuerySet[Survey]:
    """The team's trust surveys, except those sent to a colleague's private contact."""
    return Survey.objects.filter(team_id=actor.member.team_id).filter(
        Q(person__visibility=Visibility.TEAM) | Q(person__owner_id=actor.pk)
    )


def survey_for(actor: Any, survey_id: int | str, *, write: bool = False) -> Survey:
    try:
        return visible_surveys(actor).select_related("person", "team").get(pk=int(survey_id))
    except (Survey.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such survey") from exc


@dataclass(frozen=True)
class SurveyRow:
    """One survey link as the person page lists it."""

    survey: Survey
    state: str  # sent, answered, revoked or expired
    answers: list[tuple[str, int]]  # (question asked, answer 1..5) once answered


def surveys_with(actor: Any, person: Any, *, now: dt.datetime | None = None) -> list[SurveyRow]:
    """The person's survey links, newest first, each with its state and answers."""
    now = now or timezone.now()
    rows = []
    surveys = (
        visible_surveys(actor)
        .filter(person=person)
        .select_related("created_by__member__person")
        .prefetch_related("answers")
        .order_by("-created_at", "-id")
    )
    for s in surveys:
        rows.append(
            SurveyRow(
                survey=s,
                state=survey_questions.state(
                    answered_at=s.answered_at,
                    revoked_at=s.revoked_at,
                    expires_at=s.expires_at,
                    now=now,
                ),
                answers=[
                    (survey_questions.question_text(a.question), a.answer) for a in s.answers.all()
                ],
            )
        )
    return rows
