"""A user's calendar feed (iCalendar): due promises, milestones and birthdays."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404("No such calendar feed")
