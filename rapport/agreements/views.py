"""Agreement pages: the list, drafting (from a deal or alone), the agreement page with
its clauses and obligations, signing, amending and the PDF. Thin: parse with a form,
call a service or query, render. A refused change shows the agreement again with the
error, naming the field."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_POST

from rapport.agreements import queries, services
from rapport.agreements.forms import AgreementForm, ClauseForm, ObligationForm, SignForm
from rapport.agreements.models import Agreement
from rapport.core.forms import add_service_errors
from rapport.core.pdf import pdf_response, render_pdf
from rapport.deals.queries import deal_for
from rapport.people.queries import organisations, visible_people


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, found in exc.message_dict.items() for m in found]
    return list(exc.messages)


def _user_name(user: Any) -> str:
    person = getattr(getattr(user, "member", None), "person", None)
    return person.display_name if person else user.get_username()


def _form(request: HttpRequest, data: Any = None, **kwargs: Any) -> AgreementForm:
    return AgreementForm(
        data,
        users=[(u.pk, _user_name(u)) for u in queries.teammates(request.user)],
        organisations=[(o.pk, o.name) for o in organisations(request.user).order_by("name", "id")],
        people=[
            (p.pk, p.display_name)
            for p in visible_people(request.user).order_by("display_name", "id")
        ],
        **kwargs,
    )


def _detail(
    request: HttpRequest,
    agreement: Agreement,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement.pk)
    context = {
        "agreement": agreement,
        "sides": queries.obligations_by_side(agreement),
        "errors": errors or [],
        "users": [(u.pk, _user_name(u)) for u in queries.teammates(request.user)],
        "client_people": queries.client_people(request.user, agreement),
        "side_choices": [("ours", "ours"), ("client", "client")],
        "sign_form": SignForm(),
        "amendments": queries.visible_agreements(request.user).filter(amends=agreement),
    }
    return render(request, "agreements/agreement_detail.html", context, status=status)


def _then(request: HttpRequest, agreement: Agreement, action: Any) -> HttpResponse:
    """Run a service; back to the agreement page, or the page again with the error."""
    try:
        action()
    except ValidationError as exc:
        return _detail(request, agreement, errors=_messages(exc), status=422)
    return redirect("agreement_detail", agreement_id=agreement.pk)


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *Agreement.Status.values):
        status = None
    return render(
        request,
        "agreements/agreement_list.html",
        {"agreements": queries.agreement_list(request.user, status=status), "status": status},
    )


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    deal = None
    deal_id = request.POST.get("deal") or request.GET.get("deal")
    if deal_id:
        deal = deal_for(request.user, deal_id)
    initial: dict[str, Any] = {
        "language": request.user.member.language,  # type: ignore[union-attr]
    }
    if deal is not None:
        start = services.draft_from_deal(request.user, deal)
        initial |= {
            "title": start["title"],
            "language": start["language"],
            "effective_on": start["effective_on"],
            "client_organisation": getattr(start["client_organisation"], "pk", None),
            "client_person": getattr(start["client_person"], "pk", None),
            "our_signatory": start["our_signatory"].pk,
        }
    else:
        initial["our_signatory"] = request.user.pk
    form = _form(request, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_create(
                actor=request.user, deal=deal, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("agreement_detail", agreement_id=agreement.pk)
    status = 422 if form.errors else 200
    return render(
        request, "agreements/agreement_form.html", {"form": form, "deal": deal}, status=status
    )


@login_required
def agreement_detail(request: HttpRequest, agreement_id: int) -> HttpResponse:
    return _detail(request, queries.agreement_for(request.user, agreement_id))


@login_required
def agreement_edit(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement_id, write=True)
    initial = {
        "title": agreement.title,
        "language": agreement.language,
        "effective_on": agreement.effective_on,
        "our_signatory": agreement.our_signatory_id,
        "client_organisation": agreement.client_organisation_id,
        "client_person": agreement.client_person_id,
    }
    form = _form(request, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_update(actor=request.user, agreement=agreement, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("agreement_detail", agreement_id=agreement.pk)
    status = 422 if form.errors else 200
    return render(
        request,
        "agreements/agreement_form.html",
        {"form": form, "agreement": agreement, "deal": agreement.deal},
        status=status,
    )


@login_required
@require_POST
def clause_add(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement_id, write=True)
    form = ClauseForm(request.POST)
    if not form.is_valid():
        return _detail(request, agreement, errors=_form_errors(form), status=422)
    return _then(
        request,
        agreement,
        lambda: services.clause_add(actor=request.user, agreement=agreement, **form.cleaned_data),
    )


def _form_errors(form: Any) -> list[str]:
    return [f"{field}: {e}" for field, errors in form.errors.items() for e in errors]


@login_required
@require_POST
def clause_edit(request: HttpRequest, clause_id: int) -> HttpResponse:
    clause = queries.clause_for(request.user, clause_id)
    form = ClauseForm(request.POST)
    if not form.is_valid():
        return _detail(request, clause.agreement, errors=_form_errors(form), status=422)
    return _then(
        request,
        clause.agreement,
        lambda: services.clause_update(actor=request.user, clause=clause, **form.cleaned_data),
    )


@login_required
@require_POST
def clause_move(request: HttpRequest, clause_id: int) -> HttpResponse:
    clause = queries.clause_for(request.user, clause_id)
    direction = request.POST.get("direction", "")
    return _then(
        request,
        clause.agreement,
        lambda: services.clause_move(actor=request.user, clause=clause, direction=direction),
    )


@login_required
@require_POST
def clause_delete(request: HttpRequest, clause_id: int) -> HttpResponse:
    clause = queries.clause_for(request.user, clause_id)
    return _then(
        request, clause.agreement, lambda: services.clause_delete(actor=request.user, clause=clause)
    )


@login_required
@require_POST
def obligation_add(request: HttpRequest, clause_id: int) -> HttpResponse:
    clause = queries.clause_for(request.user, clause_id)
    form = ObligationForm(request.POST)
    if not form.is_valid():
        return _detail(request, clause.agreement, errors=_form_errors(form), status=422)
    return _then(
        request,
        clause.agreement,
        lambda: services.obligation_add(actor=request.user, clause=clause, **form.service_fields()),
    )


@login_required
@require_POST
def obligation_edit(request: HttpRequest, obligation_id: int) -> HttpResponse:
    obligation = queries.obligation_for(request.user, obligation_id)
    agreement = obligation.clause.agreement
    form = ObligationForm(request.POST)
    if not form.is_valid():
        return _detail(request, agreement, errors=_form_errors(form), status=422)
    return _then(
        request,
        agreement,
        lambda: services.obligation_update(
            actor=request.user, obligation=obligation, **form.service_fields()
        ),
    )


@login_required
@require_POST
def obligation_delete(request: HttpRequest, obligation_id: int) -> HttpResponse:
    obligation = queries.obligation_for(request.user, obligation_id)
    return _then(
        request,
        obligation.clause.agreement,
        lambda: services.obligation_delete(actor=request.user, obligation=obligation),
    )


@login_required
@require_POST
def agreement_sign(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement_id, write=True)
    form = SignForm(request.POST)
    if not form.is_valid():
        return _detail(request, agreement, errors=_form_errors(form), status=422)
    return _then(
        request,
        agreement,
        lambda: services.agreement_sign(
            actor=request.user, agreement=agreement, **form.cleaned_data
        ),
    )


@login_required
@require_POST
def agreement_amend(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement_id, write=True)
    try:
        copy = services.agreement_amend(actor=request.user, agreement=agreement)
    except ValidationError as exc:
        return _detail(request, agreement, errors=_messages(exc), status=422)
    return redirect("agreement_detail", agreement_id=copy.pk)


@login_required
@require_POST
def agreement_delete(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement_id, write=True)
    try:
        services.agreement_delete(actor=request.user, agreement=agreement)
    except ValidationError as exc:
        return _detail(request, agreement, errors=_messages(exc), status=422)
    return redirect("agreement_list")


def agreement_pdf_bytes(agreement: Agreement, request: HttpRequest | None = None) -> bytes:
    """The agreement as a PDF, in the agreement's own language."""
    with translation.override(agreement.language):
        return render_pdf(
            "agreements/agreement_print.html",
            {"agreement": agreement, "sides": queries.obligations_by_side(agreement)},
            request,
        )


@login_required
def agreement_pdf(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = queries.agreement_for(request.user, agreement_id)
    return pdf_response(agreement_pdf_bytes(agreement, request), f"agreement-{agreement.pk}.pdf")
