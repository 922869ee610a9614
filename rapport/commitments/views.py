"""Promise and meeting pages. Thin: parse with a form, call a service or query, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.commitments import deadlines, queries, services
from rapport.commitments.forms import (
    CloseForm,
    CommitmentEditForm,
    CommitmentForm,
    DecisionForm,
    MeetingForm,
    MilestoneForm,
    RenegotiateForm,
    RiskForm,
    cleaned,
)
from rapport.commitments.models import Commitment
from rapport.core.forms import add_service_errors
from rapport.interactions.queries import attach_participants, interaction_for
from rapport.people.models import Organisation, Role
from rapport.people.queries import organisation_for, person_for, visible_people

PER_PAGE = 50


@login_required
def commitment_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    scope = request.GET.get("scope", "mine")
    now = timezone.now()
    qs = queries.commitments_search(
        request.user,
        status=None if show in ("all", "overdue") else show,
        overdue_at=now if show == "overdue" else None,
        mine=scope == "mine",
    ).select_related("person", "organisation", "promised_by")
    if show not in ("open", "overdue"):
        qs = qs.order_by("-due_at", "-id")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "commitments/commitment_list.html",
        {
            "page": page,
            "show": show,
            "scope": scope,
            "now": now,
            "statuses": Commitment.Status.choices,
        },
    )


def _client_choices(
    actor: Any, person: Any, organisation: Any
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Who the form offers: the person and their organisations, or the organisation and
    its people."""
    people: list[tuple[int, str]] = []
    organisations: list[tuple[int, str]] = []
    if person is not None:
        people = [(person.pk, person.display_name)]
        organisations = list(
            Organisation.objects.filter(roles__person=person, roles__ended_on__isnull=True)
            .distinct()
            .values_list("pk", "name")
        )
    if organisation is not None:
        organisations = [(organisation.pk, organisation.name)]
        people += [
            (r.person_id, r.person.display_name)
            for r in Role.objects.filter(
                organisation=organisation,
                ended_on__isnull=True,
                person__in=visible_people(actor),
            ).select_related("person")
            if r.person_id not in {p for p, _ in people}
        ]
    return people, organisations


@login_required
def commitment_create(request: HttpRequest) -> HttpResponse:
    """A new promise for a person or organisation, or from a meeting decision."""
    source = request.POST if request.method == "POST" else request.GET
    decision = None
    person = organisation = None
    if source.get("decision"):
        decision = queries.decision_for(request.user, source["decision"], write=True)
        people = attach_participants(request.user, [decision.interaction])[0].visible_participants  # type: ignore[attr-defined]
        person = next((p for p in people if p.pk != request.user.member.person_id), None)  # type: ignore[union-attr]
    if source.get("person"):
        person = person_for(request.user, source["person"], write=True)
    if source.get("organisation"):
        organisation = organisation_for(request.user, source["organisation"], write=True)
    people, organisations = _client_choices(request.user, person, organisation)
    initial: dict[str, Any] = {"person": person.pk if person else None}
    if organisation is not None:
        initial["organisation"] = organisation.pk
    if decision is not None:
        initial["title"] = decision.text
    form = CommitmentForm(
        request.POST if request.method == "POST" else None,
        people=people,
        organisations=organisations,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen_person = person_for(request.user, data["person"]) if data.get("person") else None
        chosen_org = (
            organisation_for(request.user, data["organisation"])
            if data.get("organisation")
            else None
        )
        fields = cleaned(form, "title", "side", "due_on", "due_time", "expected", "details")
        try:
            if decision is not None:
                commitment = services.decision_follow_up(
                    actor=request.user,
                    decision=decision,
                    person=chosen_person,
                    organisation=chosen_org,
                    **{k: v for k, v in fields.items() if k != "details"},
                )
            else:
                commitment = services.commitment_create(
                    actor=request.user,
                    person=chosen_person,
                    organisation=chosen_org,
                    made_at=data.get("made_at"),
                    **fields,
                )
            return redirect("commitment_detail", commitment_id=commitment.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "commitments/commitment_form.html",
        {"form": form, "person": person, "organisation": organisation, "decision": decision},
        status=422 if form.errors else 200,
    )


def _detail_context(request: HttpRequest, commitment: Commitment, **forms: Any) -> dict[str, Any]:
    now = timezone.now()
    context: dict[str, Any] = {
        "commitment": commitment,
        "now": now,
        "overdue": commitment.is_open and deadlines.is_overdue(commitment.due_at, now),
        "days_overdue": deadlines.days_overdue(
            commitment.due_at,
            now,
            request.user.member.time_zone,  # type: ignore[union-attr]
        ),
        "milestone_form": MilestoneForm(),
        "risk_form": RiskForm(),
        "close_form": CloseForm(),
        "renegotiate_form": RenegotiateForm(),
        "decision": getattr(commitment, "decision", None),
    }
    context.update(forms)
    return context


def _detail(
    request: HttpRequest, commitment_id: int, status: int = 200, **forms: Any
) -> HttpResponse:
    commitment = queries.commitment_for(request.user, commitment_id)
    return render(
        request,
        "commitments/commitment_detail.html",
        _detail_context(request, commitment, **forms),
        status=status,
    )


@login_required
def commitment_detail(request: HttpRequest, commitment_id: int) -> HttpResponse:
    return _detail(request, commitment_id)


@login_required
def commitment_edit(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    form = CommitmentEditForm(
        request.POST if request.method == "POST" else None,
        initial={
            "title": commitment.title,
            "expected": commitment.expected,
            "details": commitment.details,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_update(
                actor=request.user, commitment=commitment, **form.cleaned_data
            )
            return redirect("commitment_detail", commitment_id=commitment.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "commitments/commitment_edit.html",
        {"form": form, "commitment": commitment},
        status=422 if form.errors else 200,
    )


def _post_action(
    request: HttpRequest,
    commitment_id: int,
    form_class: type,
    form_name: str,
    action: Any,
) -> HttpResponse:
    """Run one form-backed action on a commitment; on error re-render the page with the
    form open and its errors shown."""
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(commitment, form.cleaned_data)
            return redirect("commitment_detail", commitment_id=commitment.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    # A closed promise shows no forms, so say what went wrong above the page instead.
    hidden = (
        [] if commitment.is_open else [str(e) for errors in form.errors.values() for e in errors]
    )
    return _detail(
        request,
        commitment_id,
        status=422,
        **{form_name: form, "open_form": form_name, "action_errors": hidden},
    )


@login_required
@require_POST
def commitment_close(request: HttpRequest, commitment_id: int) -> HttpResponse:
    def close(commitment: Commitment, data: dict[str, Any]) -> None:
        services.commitment_close(
            actor=request.user,
            commitment=commitment,
            status=data["status"],
            delivered=data["delivered"],
            delivered_at=data["delivered_at"],
            match=data["match"],
            note=data["note"],
            reported_back=data["reported_back"],
        )

    return _post_action(request, commitment_id, CloseForm, "close_form", close)


@login_required
@require_POST
def commitment_renegotiate(request: HttpRequest, commitment_id: int) -> HttpResponse:
    def renegotiate(commitment: Commitment, data: dict[str, Any]) -> None:
        services.commitment_renegotiate(actor=request.user, commitment=commitment, **data)

    return _post_action(request, commitment_id, RenegotiateForm, "renegotiate_form", renegotiate)


@login_required
@require_POST
def milestone_add(request: HttpRequest, commitment_id: int) -> HttpResponse:
    def add(commitment: Commitment, data: dict[str, Any]) -> None:
        services.milestone_add(actor=request.user, commitment=commitment, **data)

    return _post_action(request, commitment_id, MilestoneForm, "milestone_form", add)


@login_required
@require_POST
def risk_add(request: HttpRequest, commitment_id: int) -> HttpResponse:
    def add(commitment: Commitment, data: dict[str, Any]) -> None:
        services.risk_add(
            actor=request.user,
            commitment=commitment,
            title=data["title"],
            detail=data["detail"],
            severity=data["severity"],
            disclosed_at=timezone.now() if data["disclosed"] else None,
        )

    return _post_action(request, commitment_id, RiskForm, "risk_form", add)


def _simple_post(request: HttpRequest, commitment: Commitment, action: Any) -> HttpResponse:
    try:
        action()
    except ValidationError as exc:
        return _detail(request, commitment.pk, status=422, action_errors=exc.messages)
    return redirect("commitment_detail", commitment_id=commitment.pk)


@login_required
@require_POST
def commitment_report_back(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    return _simple_post(
        request,
        commitment,
        lambda: services.commitment_report_back(actor=request.user, commitment=commitment),
    )


@login_required
@require_POST
def commitment_delete(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = queries.commitment_for(request.user, commitment_id, write=True)
    person_id = commitment.person_id
    services.commitment_delete(actor=request.user, commitment=commitment)
    if person_id:
        return redirect("person_detail", person_id=person_id)
    return redirect("commitment_list")


@login_required
@require_POST
def milestone_delete(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone = queries.milestone_for(request.user, milestone_id, write=True)
    commitment_id = milestone.commitment_id
    services.milestone_delete(actor=request.user, milestone=milestone)
    return redirect("commitment_detail", commitment_id=commitment_id)


@login_required
@require_POST
def risk_disclose(request: HttpRequest, risk_id: int) -> HttpResponse:
    risk = queries.risk_for(request.user, risk_id, write=True)
    return _simple_post(
        request, risk.commitment, lambda: services.risk_disclose(actor=request.user, risk=risk)
    )


@login_required
@require_POST
def risk_resolve(request: HttpRequest, risk_id: int) -> HttpResponse:
    risk = queries.risk_for(request.user, risk_id, write=True)
    return _simple_post(
        request, risk.commitment, lambda: services.risk_resolve(actor=request.user, risk=risk)
    )


def _meeting_page(
    request: HttpRequest, interaction: Any, status: int = 200, **extra: Any
) -> HttpResponse:
    meeting, decisions = queries.meeting_hygiene(interaction)
    interaction = attach_participants(request.user, [interaction])[0]
    lead = meeting.materials_lead if meeting is not None else None
    context = {
        "interaction": interaction,
        "meeting": meeting,
        "decisions": decisions,
        "lead_hours": round(lead.total_seconds() / 3600, 1) if lead is not None else None,
        "meeting_form": MeetingForm(
            initial={
                "agenda_shared_at": meeting.agenda_shared_at if meeting else None,
                "materials_sent_at": meeting.materials_sent_at if meeting else None,
            }
        ),
        "decision_form": DecisionForm(),
        "is_meeting": interaction.kind in ("meeting", "video"),
    }
    context.update(extra)
    return render(request, "commitments/meeting_detail.html", context, status=status)


@login_required
def meeting_detail(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """A meeting's hygiene: agenda and materials ahead of it, decisions out of it."""
    interaction = interaction_for(request.user, interaction_id)
    if request.method == "POST":
        interaction = interaction_for(request.user, interaction_id, write=True)
        form = MeetingForm(request.POST)
        if form.is_valid():
            try:
                services.meeting_update(
                    actor=request.user, interaction=interaction, **form.cleaned_data
                )
                return redirect("meeting_detail", interaction_id=interaction.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
        return _meeting_page(request, interaction, status=422, meeting_form=form)
    return _meeting_page(request, interaction)


@login_required
@require_POST
def decision_add(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction = interaction_for(request.user, interaction_id, write=True)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decision_add(actor=request.user, interaction=interaction, **form.cleaned_data)
            return redirect("meeting_detail", interaction_id=interaction.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _meeting_page(request, interaction, status=422, decision_form=form)


@login_required
@require_POST
def decision_dismiss(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = queries.decision_for(request.user, decision_id, write=True)
    try:
        services.decision_dismiss(actor=request.user, decision=decision)
    except ValidationError as exc:
        return _meeting_page(request, decision.interaction, status=422, action_errors=exc.messages)
    return redirect("meeting_detail", interaction_id=decision.interaction_id)
