"""Reads for share links and calendar feeds, and what a client's tracking page shows."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from rapport.people.models import Visibility
from rapport.portal.models import CalendarFeed, ShareLink


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
