"""Activate the signed-in member's time zone and language for each request."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class MemberPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member = getattr(request.user, "member", None) if request.user.is_authenticated else None
        if member is not None:
            timezone.activate(zoneinfo.ZoneInfo(member.time_zone))
            translation.activate(member.language)
            request.LANGUAGE_CODE = member.language  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        if member is not None:
            response.headers.setdefault("Content-Language", member.language)
        return response
