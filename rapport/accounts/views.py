"""Sign-in extras, preferences (language, time zone), API tokens and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.accounts import queries, services
from rapport.accounts.forms import PreferencesForm, TokenForm
from rapport.core.tasks import agenda_email_schedule
from rapport.portal.queries import calendar_feeds


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    member = request.user.member  # type: ignore[union-attr]
    form = PreferencesForm(
        request.POST or None,
        initial={
            "language": member.language,
            "time_zone": member.time_zone,
            "agenda_email": member.agenda_email,
            "agenda_hour": member.agenda_hour,
        },
    )
    if request.method == "POST" and form.is_valid():
        member = services.member_update_preferences(actor=request.user, **form.cleaned_data)
        agenda_email_schedule(member)
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Preferences saved."))
        return redirect("preferences")
    return render(
        request,
        "accounts/preferences.html",
        {
            "form": form,
            "tokens": queries.user_tokens(request.user),
            "token_form": TokenForm(),
            "feeds": calendar_feeds(request.user),
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language: saved on the member when signed in, else in a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        services.member_update_preferences(actor=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        max_age=365 * 24 * 3600,
    )
    return response


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    token, secret = services.token_create(user=request.user, name=name)
    return render(request, "accounts/token_created.html", {"token": token, "secret": secret})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = queries.user_tokens(request.user).filter(pk=token_id).first()
    if token is None:
        from django.http import Http404

        raise Http404("No such token")
    services.token_revoke(actor=request.user, token_id=token.pk)
    messages.success(request, _("Token revoked."))
    return redirect("preferences")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.team_audit(request.user), 100).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"page": page})
