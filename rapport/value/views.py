"""The ledger card on a person's or an organisation's page (loaded by htmx, or a page
of its own without JavaScript), its forms, the reports made from it, and the client's
report page and PDF behind a secret link.

Thin: parse with a form, call `value.services` or `value.queries`, render."""

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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.core.forms import add_service_errors
from rapport.core.pdf import pdf_response, render_pdf
from rapport.people.models import Organisation, Person
from rapport.people.queries import organisation_for, person_for
from rapport.value import queries, services
from rapport.value.forms import ValueItemForm, ValueReportForm
from rapport.value.models import ValueItem, ValueReport


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _client(
    request: HttpRequest, person_id: int | None, organisation_id: int | None
) -> tuple[Person | None, Organisation | None]:
    if person_id is not None:
        return person_for(request.user, person_id), None
    assert organisation_id is not None
    return None, organisation_for(request.user, organisation_id)


def _card_url(person: Person | None, organisation: Organisation | None) -> str:
    if person is not None:
        return reverse("person_value", args=[person.pk])
    assert organisation is not None
    return reverse("organisation_value", args=[organisation.pk])


def _card(
    request: HttpRequest,
    person: Person | None,
    organisation: Organisation | None,
    *,
    form: ValueItemForm | None = None,
    report_form: ValueReportForm | None = None,
    created: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    book = queries.ledger(request.user, person=person, organisation=organisation)
    today = book.today
    context = {
        "person": person,
        "organisation": organisation,
        "client": person or organisation,
        "ledger": book,
        "form": form or ValueItemForm(initial={"delivered_on": today, "kind": "work"}),
        "report_form": report_form
        or ValueReportForm(
            initial={
                "period_from": book.first_day or today.replace(day=1),
                "period_to": today,
                "language": translation.get_language(),
                "days": services.DEFAULT_REPORT_DAYS,
            }
        ),
        "created": created,
        "card_url": _card_url(person, organisation),
        "open_form": form is not None,
        "open_report": report_form is not None or created is not None,
    }
    template = "value/_card.html" if _is_htmx(request) else "value/card_page.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def person_value(request: HttpRequest, person_id: int) -> HttpResponse:
    person, _org = _client(request, person_id, None)
    return _card(request, person, None)


@login_required
@require_GET
def organisation_value(request: HttpRequest, organisation_id: int) -> HttpResponse:
    _person, organisation = _client(request, None, organisation_id)
    return _card(request, None, organisation)


def _add(
    request: HttpRequest, person: Person | None, organisation: Organisation | None
) -> HttpResponse:
    form = ValueItemForm(request.POST)
    if form.is_valid():
        try:
            services.value_item_create(
                actor=request.user, person=person, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if _is_htmx(request):
                return _card(request, person, organisation)
            return redirect(_card_url(person, organisation))
    return _card(request, person, organisation, form=form, status=422)


@login_required
@require_POST
def person_value_add(request: HttpRequest, person_id: int) -> HttpResponse:
    person, _org = _client(request, person_id, None)
    return _add(request, person, None)


@login_required
@require_POST
def organisation_value_add(request: HttpRequest, organisation_id: int) -> HttpResponse:
    _person, organisation = _client(request, None, organisation_id)
    return _add(request, None, organisation)


def _item_back(item: ValueItem) -> str:
    return _card_url(item.person, item.organisation)


@login_required
@require_http_methods(["GET", "POST"])
def value_item_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = queries.item_for(request.user, item_id, write=True)
    if request.method == "POST":
        form = ValueItemForm(request.POST)
        if form.is_valid():
            try:
                services.value_item_update(actor=request.user, item=item, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
                item.refresh_from_db()
            else:
                return redirect(_item_back(item))
        status = 422
    else:
        form = ValueItemForm(
            initial={
                "kind": item.kind,
                "title": item.title,
                "details": item.details,
                "delivered_on": item.delivered_on,
                "amount": item.amount if item.amount is not None else "",
                "currency": item.currency,
                "hours": item.hours if item.hours is not None else "",
                "told": item.told_at is not None,
            }
        )
        status = 200
    return render(
        request,
        "value/item_edit.html",
        {"form": form, "item": item, "back": _item_back(item)},
        status=status,
    )


@login_required
@require_POST
def value_item_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    item = queries.item_for(request.user, item_id, write=True)
    person, organisation = item.person, item.organisation
    services.value_item_delete(actor=request.user, item=item)
    if _is_htmx(request):
        return _card(request, person, organisation)
    return redirect(_card_url(person, organisation))


# -- reports ------------------------------------------------------------------------------


def _report_create(
    request: HttpRequest, person: Person | None, organisation: Organisation | None
) -> HttpResponse:
    form = ValueReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            report, token = services.value_report_create(
                actor=request.user,
                person=person,
                organisation=organisation,
                period_from=data["period_from"],
                period_to=data["period_to"],
                language=data["language"],
                days=data["days"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            url = request.build_absolute_uri(reverse("value_report_page", args=[token]))
            return _card(request, person, organisation, created={"report": report, "url": url})
    return _card(request, person, organisation, report_form=form, status=422)


@login_required
@require_POST
def person_value_report_create(request: HttpRequest, person_id: int) -> HttpResponse:
    person, _org = _client(request, person_id, None)
    return _report_create(request, person, None)


@login_required
@require_POST
def organisation_value_report_create(request: HttpRequest, organisation_id: int) -> HttpResponse:
    _person, organisation = _client(request, None, organisation_id)
    return _report_create(request, None, organisation)


def _report_back(request: HttpRequest, report: ValueReport) -> HttpResponse:
    person, organisation = report.person, report.organisation
    if _is_htmx(request):
        return _card(request, person, organisation)
    return redirect(_card_url(person, organisation))


@login_required
@require_POST
def value_report_revoke(request: HttpRequest, report_id: int) -> HttpResponse:
    report = queries.report_for(request.user, report_id, write=True)
    with contextlib.suppress(ValidationError):  # already revoked: the card shows it so
        services.value_report_revoke(actor=request.user, report=report)
    return _report_back(request, report)


@login_required
@require_POST
def value_report_send(request: HttpRequest, report_id: int) -> HttpResponse:
    report = queries.report_for(request.user, report_id, write=True)
    with contextlib.suppress(ValidationError):  # already sent or revoked: the card says so
        services.value_report_send(actor=request.user, report=report)
    return _report_back(request, report)


def _pdf(request: HttpRequest, report: ValueReport) -> HttpResponse:
    with translation.override(report.language):
        view = queries.report_view(report)
        pdf = render_pdf("value/report_print.html", {"view": view, "report": report}, request)
    return pdf_response(pdf, f"value-report-{report.period_from}-{report.period_to}.pdf")


@login_required
@require_GET
def value_report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report as PDF for the user, whatever the state of its link."""
    return _pdf(request, queries.report_for(request.user, report_id))


# -- the client's page --------------------------------------------------------------------


def _public(response: HttpResponse, language: str) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Language"] = language
    return response


def _open(request: HttpRequest, token: str) -> ValueReport | HttpResponse:
    """The live report a token opens; a clear "no longer available" page for a revoked
    or expired one; 404 for a token never issued."""
    report = services.value_report_lookup(token)
    if report is None:
        raise Http404("No such page")
    if not services.value_report_live(report):
        with translation.override(report.language):
            response = render(request, "value/report_gone.html", {}, status=410)
        return _public(response, report.language)
    return report


@never_cache
@require_GET
def value_report_page(request: HttpRequest, token: str) -> HttpResponse:
    """What we did for the client in the period, in their language, without logging in."""
    found = _open(request, token)
    if isinstance(found, HttpResponse):
        return found
    services.value_report_viewed(report=found)
    with translation.override(found.language):
        view = queries.report_view(found)
        response = render(
            request,
            "value/report_page.html",
            {"view": view, "report": found, "token": token, "now": timezone.now()},
        )
    return _public(response, found.language)


@never_cache
@require_GET
def value_report_public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    found = _open(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _public(_pdf(request, found), found.language)
