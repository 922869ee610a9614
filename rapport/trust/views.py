"""Trust pages. Thin: parse with a form, call a service or query, render."""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors
from rapport.interactions.queries import interaction_for
from rapport.people.models import Organisation, Person
from rapport.people.queries import organisation_for, person_for
from rapport.trust import library, services
from rapport.trust.forms import (
    AssessForm,
    ClaimFilterForm,
    ClaimForm,
    EvidenceFilterForm,
    EvidenceForm,
    ShowForm,
)
from rapport.trust.models import Claim, Evidence

PER_PAGE = 50
# Attachments a browser may display in place; anything else is downloaded.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}

# ---------------------------------------------------------------------------------------
# Evidence library


@login_required
def evidence_list(request: HttpRequest) -> HttpResponse:
    """The team's evidence, expired or unverified items flagged, filterable by kind,
    industry and whether it needs attention."""
    today = library.today_for(request.user)
    form = EvidenceFilterForm(request.GET, industries=library.evidence_industries(request.user))
    filters: dict[str, Any] = {"kind": "", "industry": "", "attention": False}
    if form.is_valid():
        filters.update(form.cleaned_data)
    qs = library.evidence_search(request.user, today=today, **filters)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = library.with_flags(page.object_list, today)
    return render(
        request,
        "trust/evidence_list.html",
        {"page": page, "form": form, "today": today, "filtered": any(filters.values())},
    )


def _evidence_fields(form: EvidenceForm) -> dict[str, Any]:
    data = form.cleaned_data
    names = ("kind", "title", "issuer", "summary", "verified_on", "expires_on", "industries", "url")
    return {name: data.get(name) for name in names}


@login_required
def evidence_create(request: HttpRequest) -> HttpResponse:
    form = EvidenceForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            evidence = services.evidence_create(
                actor=request.user,
                attachment=form.cleaned_data.get("attachment"),
                **_evidence_fields(form),
            )
            return redirect("evidence_detail", evidence_id=evidence.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "trust/evidence_form.html",
        {"form": form, "evidence": None},
        status=422 if form.errors else 200,
    )


@login_required
def evidence_edit(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = library.evidence_for(request.user, evidence_id, write=True)
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data.get("attachment")
            attachment: Any = services.KEEP
            if upload:
                attachment = upload
            elif form.cleaned_data.get("remove_attachment"):
                attachment = None
            try:
                services.evidence_update(
                    actor=request.user,
                    evidence=evidence,
                    attachment=attachment,
                    **_evidence_fields(form),
                )
                return redirect("evidence_detail", evidence_id=evidence.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
    else:
        form = EvidenceForm(initial=EvidenceForm.initial_for(evidence))
    return render(
        request,
        "trust/evidence_form.html",
        {"form": form, "evidence": evidence},
        status=422 if form.errors else 200,
    )


@login_required
def evidence_detail(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """One piece of evidence, what is wrong with it today, and to whom and when it was
    shown."""
    evidence = library.evidence_for(request.user, evidence_id)
    today = library.today_for(request.user)
    flags = library.evidence_flags(evidence, today)
    return render(
        request,
        "trust/evidence_detail.html",
        {
            "evidence": evidence,
            "flags": flags,
            "stale": any(f.stale for f in flags),
            "showings": library.evidence_showings(request.user, evidence),
            "attachment_name": os.path.basename(evidence.attachment.name or ""),
        },
    )


@login_required
@require_POST
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = library.evidence_for(request.user, evidence_id, write=True)
    title = evidence.title
    services.evidence_delete(actor=request.user, evidence=evidence)
    messages.success(request, _("Deleted: %(title)s") % {"title": title})
    return redirect("evidence_list")


@login_required
def evidence_attachment(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The attached file, to members of the evidence's team only (uploads are never
    served from a public /media/ address)."""
    evidence = library.evidence_for(request.user, evidence_id)
    if not evidence.attachment:
        raise Http404("No attachment")
    try:
        handle = evidence.attachment.open("rb")
    except FileNotFoundError as exc:
        raise Http404("No attachment") from exc
    name = os.path.basename(evidence.attachment.name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=name,
        content_type=content_type if inline else "application/octet-stream",
    )
    if content_type != "application/pdf":
        # Whatever the file holds, it runs no script with this site's authority. (A PDF
        # opens in the browser's own viewer, which a sandboxed page may not load.)
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------
# Showing evidence to a client


def _client_page(person: Person | None, organisation: Organisation | None) -> HttpResponse:
    """Back to the client's page, at its evidence and claims."""
    if person is not None:
        url = reverse("person_detail", args=[person.pk])
    elif organisation is not None:
        url = reverse("organisation_detail", args=[organisation.pk])
    else:
        return redirect("claim_list")
    return redirect(f"{url}#evidence-claims")


def _show_page(
    request: HttpRequest, person: Person | None, organisation: Organisation | None
) -> HttpResponse:
    """The "show evidence" form for a person or organisation. Stale evidence is flagged
    in the list; choosing it is refused until the user confirms."""
    actor = request.user
    today = library.today_for(actor)
    choices = library.evidence_choices(actor, today)
    interactions = library.interaction_choices(actor, person=person, organisation=organisation)
    needs_confirm = False
    chosen: Evidence | None = None
    if request.method == "POST":
        form = ShowForm(request.POST, evidence=choices, interactions=interactions)
        if form.is_valid():
            data = form.cleaned_data
            chosen = library.evidence_for(actor, data["evidence"])
            interaction = (
                interaction_for(actor, data["interaction"]) if data.get("interaction") else None
            )
            try:
                services.evidence_show(
                    actor=actor,
                    evidence=chosen,
                    person=person,
                    organisation=organisation,
                    shown_at=data.get("shown_at"),
                    note=data.get("note") or "",
                    interaction=interaction,
                    confirm_stale=bool(data.get("confirm_stale")),
                )
                messages.success(
                    request,
                    _("Recorded: %(title)s was shown to %(client)s")
                    % {
                        "title": chosen.title,
                        "client": person.display_name if person else organisation.name,  # type: ignore[union-attr]
                    },
                )
                return _client_page(person, organisation)
            except ValidationError as exc:
                add_service_errors(form, exc)
                needs_confirm = "evidence" in form.errors
    else:
        initial: dict[str, Any] = {}
        wanted = request.GET.get("evidence", "")
        if wanted.isdigit() and any(pk == int(wanted) for pk, _label in choices):
            initial["evidence"] = int(wanted)
            chosen = library.evidence_for(actor, wanted)
        form = ShowForm(evidence=choices, interactions=interactions, initial=initial)
    warning = ""
    shown_at = getattr(form, "cleaned_data", {}).get("shown_at")
    day = library.today_for(actor, shown_at) if shown_at else today
    if chosen is not None and library.is_stale(chosen, day):
        needs_confirm = True
        # Said once: as the field's error when the service refused it, else above the form.
        if "evidence" not in form.errors:
            warning = services.stale_warning(chosen, chosen.is_expired(day), chosen.is_verified)
    return render(
        request,
        "trust/evidence_show.html",
        {
            "form": form,
            "person": person,
            "organisation": organisation,
            "needs_confirm": needs_confirm,
            "warning": warning,
            "empty_library": not choices,
        },
        status=422 if form.errors else 200,
    )


@login_required
def person_evidence_show(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_for(request.user, person_id, write=request.method == "POST")
    return _show_page(request, person, None)


@login_required
def organisation_evidence_show(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_for(request.user, organisation_id, write=request.method == "POST")
    return _show_page(request, None, organisation)


@login_required
@require_POST
def showing_delete(request: HttpRequest, showing_id: int) -> HttpResponse:
    showing = library.showing_for(request.user, showing_id, write=True)
    evidence_id = showing.evidence_id
    person, organisation = showing.person, showing.organisation
    services.evidence_shown_delete(actor=request.user, showing=showing)
    if request.POST.get("back") == "evidence":
        return redirect("evidence_detail", evidence_id=evidence_id)
    return _client_page(person, organisation)


# ---------------------------------------------------------------------------------------
# Claims


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    """Claims made to clients, by how they held up; "waiting" keeps the ones nobody has
    checked for more than 30 days."""
    form = ClaimFilterForm(request.GET)
    filters: dict[str, Any] = {"status": "", "waiting": False, "mine": False}
    if form.is_valid():
        filters.update(form.cleaned_data)
    now = timezone.now()
    qs = library.claims_search(
        request.user,
        status=filters["status"] or None,
        pending_since=now - dt.timedelta(days=library.CLAIM_PENDING_DAYS)
        if filters["waiting"]
        else None,
        mine=filters["mine"],
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "trust/claim_list.html",
        {
            "page": page,
            "form": form,
            "waiting_before": now - dt.timedelta(days=library.CLAIM_PENDING_DAYS),
        },
    )


def _claim_page(
    request: HttpRequest, person: Person | None, organisation: Organisation | None
) -> HttpResponse:
    actor = request.user
    interactions = library.interaction_choices(actor, person=person, organisation=organisation)
    form = ClaimForm(request.POST if request.method == "POST" else None, interactions=interactions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        interaction = (
            interaction_for(actor, data["interaction"]) if data.get("interaction") else None
        )
        try:
            services.claim_create(
                actor=actor,
                person=person,
                organisation=organisation,
                kind=data["kind"],
                statement=data["statement"],
                made_at=data.get("made_at"),
                interaction=interaction,
            )
            return _client_page(person, organisation)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "trust/claim_form.html",
        {"form": form, "person": person, "organisation": organisation},
        status=422 if form.errors else 200,
    )


@login_required
def person_claim_create(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_for(request.user, person_id, write=request.method == "POST")
    return _claim_page(request, person, None)


@login_required
def organisation_claim_create(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_for(request.user, organisation_id, write=request.method == "POST")
    return _claim_page(request, None, organisation)


def _claim_detail(
    request: HttpRequest, claim: Claim, form: AssessForm | None = None, status: int = 200
) -> HttpResponse:
    initial = {"status": claim.status} if claim.status != Claim.Status.PENDING else {}
    return render(
        request,
        "trust/claim_detail.html",
        {
            "claim": claim,
            "form": form or AssessForm(initial=initial),
            "history": library.claim_history(claim),
        },
        status=status,
    )


@login_required
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _claim_detail(request, library.claim_for(request.user, claim_id))


@login_required
@require_POST
def claim_assess(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = library.claim_for(request.user, claim_id, write=True)
    form = AssessForm(request.POST)
    if form.is_valid():
        try:
            services.claim_assess(actor=request.user, claim=claim, **form.cleaned_data)
            return redirect("claim_detail", claim_id=claim.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _claim_detail(request, claim, form, status=422)


@login_required
@require_POST
def claim_delete(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = library.claim_for(request.user, claim_id, write=True)
    person, organisation = claim.person, claim.organisation
    services.claim_delete(actor=request.user, claim=claim)
    return _client_page(person, organisation)
