"""Refuse a NUL character in a query string before it reaches a database query:
PostgreSQL cannot take one, and no search term needs one."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class RefuseNulInQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                detail = f"{name}: text must not contain the NUL character (\\u0000)"
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": detail, "field": name}, status=400)
                return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
