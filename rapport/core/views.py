"""The dashboard: what needs attention today and how contact is going."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from rapport.core.agenda import agenda_for
from rapport.core.charts import bar_chart
from rapport.interactions import queries as interaction_queries
from rapport.people import queries as people_queries

AGENDA_SHOWN = 8


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate()
    activity = interaction_queries.monthly_activity(request.user, months=12, now=now)
    agenda = agenda_for(request.user, now=now, limit=AGENDA_SHOWN)
    context = {
        "agenda": agenda,
        "people_count": people_queries.visible_people(request.user).count(),
        "organisation_count": people_queries.organisations(request.user).count(),
        "recent": interaction_queries.recent_interactions(request.user),
        "activity_chart": bar_chart(
            [(date_format(start, "M"), count) for start, count in activity],
            title=f"{activity[0][0]:%Y-%m} – {activity[-1][0]:%Y-%m}",
        ),
        "activity_total": sum(count for _, count in activity),
        "today": today,
    }
    return render(request, "core/dashboard.html", context)
