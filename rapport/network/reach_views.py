"""The reach pages: the team's top connectors, a person's or an organisation's circle
and the picture of their neighbourhood (drawn by static/rapport/network.js from the
graph.json beside each page). Thin: look up what the actor may see, call `reach`, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rapport.core.charts import bar_chart
from rapport.network.reach import (
    circle_of,
    kind_legend,
    neighbourhood_of,
    organisation_circle,
    organisation_people,
    top_connectors,
)
from rapport.people.queries import organisation_for, person_for
from rapport.trust.queries import trust_subjects_named

FOUND = 12


@login_required
@require_GET
def reach_page(request: HttpRequest) -> HttpResponse:
    connectors = top_connectors(request.user)
    chart = (
        bar_chart(
            [(c.person.display_name, c.clients) for c in connectors],
            title=_("Clients each teammate knows"),
        )
        if connectors
        else ""
    )
    query = request.GET.get("q", "").strip()
    found = [
        {
            "name": s.name,
            "subject": s.subject,
            "organisation": s.organisation,
            "url": reverse(
                "network_person" if s.subject == "person" else "network_organisation",
                args=[s.id],
            ),
        }
        for s in (trust_subjects_named(request.user, query, limit=FOUND) if query else [])
    ]
    context = {"connectors": connectors, "chart": chart, "query": query, "found": found[:FOUND]}
    return render(request, "network/reach.html", context)


@login_required
@require_GET
def person_reach(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_for(request.user, person_id)
    context = {
        "subject_name": person.display_name,
        "circle": circle_of(request.user, person),
        "left_out": neighbourhood_of(request.user, person=person)["left_out"],
        "graph_url": reverse("network_person_graph", args=[person.pk]),
        "detail_url": reverse("person_detail", args=[person.pk]),
        "legend": kind_legend(),
    }
    return render(request, "network/reach_subject.html", context)


@login_required
@require_GET
def organisation_reach(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_for(request.user, organisation_id)
    picture = neighbourhood_of(request.user, organisation=organisation)
    context = {
        "subject_name": organisation.name,
        "circle": organisation_circle(request.user, organisation),
        "staff": organisation_people(request.user, organisation),
        "left_out": picture["left_out"],
        "graph_url": reverse("network_organisation_graph", args=[organisation.pk]),
        "detail_url": reverse("organisation_detail", args=[organisation.pk]),
        "legend": kind_legend(),
    }
    return render(request, "network/reach_subject.html", context)


@login_required
@require_GET
def person_graph(request: HttpRequest, person_id: int) -> JsonResponse:
    person = person_for(request.user, person_id)
    return JsonResponse(neighbourhood_of(request.user, person=person))


@login_required
@require_GET
def organisation_graph(request: HttpRequest, organisation_id: int) -> JsonResponse:
    organisation = organisation_for(request.user, organisation_id)
    return JsonResponse(neighbourhood_of(request.user, organisation=organisation))


# Included under "network/" by rapport.urls.
