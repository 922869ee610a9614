"""The trust card of a person or an organisation: loaded into their page by htmx, or
shown as a page of its own with the whole explanation."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.people.queries import organisation_for, person_for
from rapport.trust import queries


def _respond(
    request: HttpRequest, card: queries.TrustCard, context: dict[str, object]
) -> HttpResponse:
    if request.GET.get("format") == "json":
        return JsonResponse(card.as_json())
    partial = request.headers.get("HX-Request") == "true"
    template = "trust/_card.html" if partial else "trust/card_page.html"
    return render(request, template, {"card": card, "partial": partial, **context})


@login_required
@require_GET
def person_trust(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_for(request.user, person_id)
    card = queries.person_card(request.user, person)
    return _respond(request, card, {"person": person})


@login_required
@require_GET
def organisation_trust(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_for(request.user, organisation_id)
    card = queries.organisation_card(request.user, organisation)
    return _respond(request, card, {"organisation": organisation})
