"""Interaction pages: the log, logging one (also from a person page, via htmx)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors
from rapport.interactions import queries, services
from rapport.interactions.forms import InteractionForm
from rapport.interactions.models import Interaction
from rapport.people.queries import person_for, visible_people


def _participants(request: HttpRequest, *, required: list[Any]) -> list[Any]:
    ids = [int(i) for i in request.POST.getlist("participant_ids") if str(i).isdigit()]
    found = list(visible_people(request.user).filter(pk__in=ids)) if ids else []
    people = {p.pk: p for p in [*required, *found]}
    return list(people.values())


@login_required
def interaction_list(request: HttpRequest) -> HttpResponse:
    qs = queries.interactions_search(
        request.user,
        kind=request.GET.get("kind") or None,
        focus=request.GET.get("focus") or None,
        topic=request.GET.get("topic") or None,
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    page.object_list = queries.attach_participants(request.user, page.object_list)
    return render(
        request,
        "interactions/interaction_list.html",
        {
            "page": page,
            "kinds": Interaction.Kind.choices,
            "focuses": Interaction.Focus.choices,
            "filters": request.GET,
        },
    )


@login_required
def interaction_create(request: HttpRequest) -> HttpResponse:
    form = InteractionForm(request.POST or None)
    chosen: list[Any] = []
    if request.method == "POST":
        chosen = _participants(request, required=[])
        if form.is_valid():
            try:
                interaction = services.interaction_create(
                    actor=request.user, participants=chosen, **form.service_fields()
                )
                people = interaction.participants.all()
                if len(people) == 1:
                    return redirect("person_detail", person_id=people[0].pk)
                return redirect("interaction_list")
            except ValidationError as exc:
                add_service_errors(form, exc)
    elif request.GET.get("person"):
        chosen = [person_for(request.user, request.GET["person"])]
    return render(
        request,
        "interactions/interaction_form.html",
        {"form": form, "chosen": chosen},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def person_interaction_add(request: HttpRequest, person_id: int) -> HttpResponse:
    """Log an interaction from a person page; htmx gets the refreshed timeline back."""
    person = person_for(request.user, person_id, write=True)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.interaction_create(
                actor=request.user,
                participants=_participants(request, required=[person]),
                **form.service_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if request.headers.get("HX-Request") != "true" and not form.errors:
        return redirect("person_detail", person_id=person.pk)
    timeline = queries.person_timeline(request.user, person)
    context = {
        "person": person,
        "timeline": timeline,
        "more_url": timeline_more_url(person, timeline),
        "interaction_form": form if form.errors else None,
    }
    return render(
        request, "interactions/_timeline.html", context, status=422 if form.errors else 200
    )


@login_required
@require_POST
def interaction_delete(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction = queries.interaction_for(request.user, interaction_id, write=True)
    services.interaction_delete(actor=request.user, interaction=interaction)
    return redirect("interaction_list")


def timeline_more_url(person: Any, timeline: list[Interaction]) -> str | None:
    """Where the next, older page of a person's timeline is, if there may be one."""
    if len(timeline) < queries.TIMELINE_PAGE:
        return None
    before = timeline[-1].occurred_at.isoformat()
    return f"{reverse('person_timeline', args=[person.pk])}?{urlencode({'before': before})}"


@login_required
def person_timeline_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """The next page of a person's timeline (older than `before`), as list items."""
    person = person_for(request.user, person_id)
    before = parse_datetime(request.GET.get("before", ""))
    if before is None or before.tzinfo is None:
        return HttpResponse("before must be an ISO date and time with a time zone", status=400)
    items = queries.person_timeline(request.user, person, before=before)
    return render(
        request,
        "interactions/_items.html",
        {"interactions": items, "more_url": timeline_more_url(person, items)},
    )


@login_required
def person_interaction_form(request: HttpRequest, person_id: int) -> HttpResponse:
    """The empty "log an interaction" form, fetched when its section is opened."""
    person = person_for(request.user, person_id, write=True)
    return render(
        request,
        "interactions/_log_form.html",
        {"person": person, "interaction_form": InteractionForm()},
    )
