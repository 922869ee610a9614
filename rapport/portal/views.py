"""The client's tracking page, and creating and revoking the secret links to it and to
a user's calendar feed."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from rapport.commitments.forms import ShareForm
from rapport.people.queries import organisation_for, person_for
from rapport.portal import queries, services, tracking


def _share_create(
    request: HttpRequest, *, person: Any = None, organisation: Any = None
) -> HttpResponse:
    form = ShareForm(request.POST)
    back = (
        reverse("person_detail", args=[person.pk])
        if person is not None
        else reverse("organisation_detail", args=[organisation.pk])
    )
    error = ""
    if form.is_valid():
        try:
            link, token = services.share_link_create(
                actor=request.user,
                person=person,
                organisation=organisation,
                language=form.cleaned_data["language"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        else:
            url = request.build_absolute_uri(reverse("tracking_page", args=[token]))
            return render(
                request,
                "portal/share_created.html",
                {"link": link, "url": url, "back": back, "client": person or organisation},
            )
    else:
        error = "; ".join(f"{f}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items())
    return render(request, "portal/share_error.html", {"error": error, "back": back}, status=422)


@login_required
@require_POST
def person_share_create(request: HttpRequest, person_id: int) -> HttpResponse:
    return _share_create(request, person=person_for(request.user, person_id, write=True))


@login_required
@require_POST
def organisation_share_create(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _share_create(
        request, organisation=organisation_for(request.user, organisation_id, write=True)
    )


@login_required
@require_POST
def share_link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    link = queries.share_link_for(request.user, link_id, write=True)
    with contextlib.suppress(ValidationError):  # already revoked: the page shows it so
        services.share_link_revoke(actor=request.user, link=link)
    if link.person_id:
        return redirect(reverse("person_detail", args=[link.person_id]) + "#commitments")
    return redirect(reverse("organisation_detail", args=[link.organisation_id]) + "#commitments")


@never_cache
def tracking_page(request: HttpRequest, token: str) -> HttpResponse:
    """What we promised one client and how it is going, in the client's language.
    Unknown, revoked and expired links all answer the same 404."""
    link = services.share_link_resolve(token)
    if link is None:
        raise Http404("No such page")
    services.share_link_viewed(link=link, user_agent=request.headers.get("User-Agent", ""))
    with translation.override(link.language):
        page = tracking.tracking_view(link, now=timezone.now())
        response = render(request, "portal/tracking.html", {"page": page, "link": link})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    feed, token = services.calendar_feed_create(actor=request.user)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    return render(request, "portal/feed_created.html", {"feed": feed, "url": url})


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest, feed_id: int) -> HttpResponse:
    feed = queries.calendar_feed_for(request.user, feed_id, write=True)
    with contextlib.suppress(ValidationError):
        services.calendar_feed_revoke(actor=request.user, feed=feed)
    return redirect(reverse("preferences") + "#calendar")
