"""The client's tracking page and trust survey, and creating and revoking the secret
links to them and to a user's calendar feed."""

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
from rapport.portal import queries, services, survey, tracking


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


# --- The client trust survey ------------------------------------------------------


@login_required
@require_POST
def person_survey_create(request: HttpRequest, person_id: int) -> HttpResponse:
    """Create a survey link for a client and show it once."""
    person = person_for(request.user, person_id, write=True)
    back = reverse("person_detail", args=[person.pk]) + "#surveys"
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            created, token = services.survey_create(
                actor=request.user,
                person=person,
                language=form.cleaned_data["language"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        else:
            url = request.build_absolute_uri(reverse("survey_page", args=[token]))
            return render(
                request,
                "portal/survey_created.html",
                {"survey": created, "url": url, "back": back, "client": person},
            )
    else:
        error = "; ".join(f"{f}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items())
    return render(request, "portal/survey_error.html", {"error": error, "back": back}, status=422)


@login_required
@require_POST
def survey_revoke(request: HttpRequest, survey_id: int) -> HttpResponse:
    found = queries.survey_for(request.user, survey_id, write=True)
    with contextlib.suppress(ValidationError):  # answered or already revoked: the page says so
        services.survey_revoke(actor=request.user, survey=found)
    return redirect(reverse("person_detail", args=[found.person_id]) + "#surveys")


def _asker(found: Any) -> str:
    member = getattr(found.created_by, "member", None)
    if member is not None and member.person is not None:
        return str(member.person.display_name)
    return str(found.created_by.get_full_name() or found.created_by.get_username())


def _public(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """Render a page of the client's survey (inside its language override)."""
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Not "no-referrer" as on the tracking page: under it browsers send `Origin: null`
    # with the form, and the CSRF check refuses the answers. Same-origin still keeps
    # the token out of any request to another site.
    response["Referrer-Policy"] = "same-origin"
    response["Content-Language"] = context["survey"].language
    return response


def _questions(values: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "key": q.key,
            "number": n,
            "text": q.text,
            "value": values.get(q.key, ""),
            "error": errors.get(q.key, ""),
        }
        for n, q in enumerate(survey.QUESTIONS, start=1)
    ]


@never_cache
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """The client's trust survey, in their language, without logging in. Unknown,
    revoked and expired links all answer the same 404; an answered one thanks them and
    refuses new answers."""
    found = services.survey_resolve(token)
    if found is None:
        raise Http404("No such page")
    with translation.override(found.language):
        context: dict[str, Any] = {"survey": found, "asker": _asker(found), "team": found.team.name}
        thanks = "portal/survey_thanks.html"
        refused = 409 if request.method == "POST" else 200
        if found.answered_at is not None:
            return _public(request, thanks, {**context, "already": True}, status=refused)
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        comment = ""
        if request.method == "POST":
            values = {q.key: request.POST.get(q.key, "") for q in survey.QUESTIONS}
            comment = request.POST.get("comment", "")
            try:
                services.survey_answer(survey=found, answers=values, comment=comment)
            except services.SurveyAlreadyAnswered:  # a second submission won the race
                found.refresh_from_db(fields=["answered_at"])
                return _public(request, thanks, {**context, "already": True}, status=409)
            except services.SurveyClosed as exc:
                raise Http404("No such page") from exc
            except ValidationError as exc:
                errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
            else:
                return _public(request, thanks, {**context, "already": False})
        ordered = [q.key for q in survey.QUESTIONS] + ["comment"]
        context.update(
            questions=_questions(values, errors),
            errors=[errors[k] for k in ordered if k in errors],
            scale=survey.SCALE,
            comment=comment,
            comment_error=errors.get("comment", ""),
            comment_max=survey.COMMENT_MAX,
        )
        return _public(request, "portal/survey.html", context, status=422 if errors else 200)
