"""Deal pages: the board and the table of a pipeline, a deal's page, and the forms.
Thin: parse with a form, call a service or query, render. htmx requests from the board
get the board back (with the error, if the move was refused)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors
from rapport.deals import investments, queries, services
from rapport.deals.forms import (
    DealForm,
    DecisionForm,
    InvestmentForm,
    MoveForm,
    NextStepForm,
    PipelineForm,
)
from rapport.deals.models import Deal, Pipeline, chosen_reasons


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


def _board(
    request: HttpRequest, pipeline: Pipeline, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "board": queries.board(request.user, pipeline, per_stage=queries.BOARD_CARDS),
        "pipeline": pipeline,
        "pipelines": queries.pipelines(request.user),
        "reasons": chosen_reasons(),
        "errors": errors or [],
        "recent_days": queries.RECENTLY_CLOSED_DAYS,
    }
    template = "deals/_board.html" if request.headers.get("HX-Request") else "deals/board.html"
    return render(request, template, context, status=status)


@login_required
def board_page(request: HttpRequest) -> HttpResponse:
    """The team's first pipeline (made on first use)."""
    return _board(request, services.pipelines_ensure(actor=request.user))


@login_required
def pipeline_board(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    return _board(request, queries.pipeline_for(request.user, pipeline_id))


@login_required
def pipeline_table(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = queries.pipeline_for(request.user, pipeline_id)
    stage = queries.stage_in(pipeline, request.GET.get("stage"))
    page = None
    if stage is None:
        board = queries.board(
            request.user, pipeline, recent_only=False, per_stage=queries.TABLE_ROWS
        )
    else:
        # One stage, a page at a time, read a page at a time.
        count = (
            queries.board(request.user, pipeline, recent_only=False, only=stage, per_stage=0)
            .columns[0]
            .count
        )
        page = Paginator(range(count), queries.TABLE_ROWS).get_page(request.GET.get("page"))
        board = queries.board(
            request.user,
            pipeline,
            recent_only=False,
            only=stage,
            per_stage=queries.TABLE_ROWS,
            skip=page.start_index() - 1 if count else 0,
        )
    return render(
        request,
        "deals/table.html",
        {
            "board": board,
            "pipeline": pipeline,
            "pipelines": queries.pipelines(request.user),
            "stage": stage,
            "page": page,
        },
    )


@login_required
def pipeline_create(request: HttpRequest) -> HttpResponse:
    form = PipelineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                stages=form.stages(),
                stale_after_days=form.cleaned_data["stale_after_days"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("pipeline_board", pipeline_id=pipeline.pk)
    status = 422 if form.errors else 200
    return render(request, "deals/pipeline_form.html", {"form": form}, status=status)


def _deal_form(
    request: HttpRequest, data: Any = None, *, keep_referral: int | None = None, **kwargs: Any
) -> DealForm:
    referrals = queries.referral_choices(request.user)
    if keep_referral is not None and keep_referral not in {pk for pk, _label in referrals}:
        # One the user may not see (or an old one): kept as it is unless changed.
        referrals = [(keep_referral, _("The referral it came from (unchanged)")), *referrals]
    return DealForm(
        data,
        owners=queries.teammates(request.user),
        referrals=referrals,
        **kwargs,
    )


def _service_fields(
    request: HttpRequest, form: DealForm, *, people_as_they_were: str | None = None
) -> dict[str, Any] | None:
    """The service's fields from a valid form, or None after adding errors to it: an
    organisation or a person named that the user's book does not hold (once). People
    left as they were (`people_as_they_were`) are not looked up by name again, so a deal
    whose people share a name can still be edited."""
    data = form.cleaned_data
    unchanged = people_as_they_were is not None and data["people_names"] == people_as_they_were
    organisation = None
    if data["organisation_name"].strip():
        organisation = queries.organisation_named(request.user, data["organisation_name"])
        if organisation is None:
            form.add_error("organisation_name", _no_organisation(data["organisation_name"]))
    names = [n.strip() for n in data["people_names"].replace("，", ",").split(",") if n.strip()]
    people, errors = ([], []) if unchanged else queries.people_named(request.user, names)
    for error in errors:
        form.add_error("people_names", error)
    if form.errors:
        return None
    fields = {
        "title": data["title"],
        "organisation": organisation,
        "people": people,
        "owner": data["owner"],
        "amount": data["amount"] or "0",
        "currency": data["currency"],
        "margin": data["margin"],
        "client_benefit": data["client_benefit"],
        "next_step": data["next_step"],
        "next_step_on": data["next_step_on"],
        "referral": data["referral"],
        "notes": data["notes"],
        "stoploss_money": data["stoploss_money"],
        "stoploss_hours": data["stoploss_hours"],
    }
    if fields["owner"] is None:  # left empty: the deal keeps its owner (a new one: you)
        del fields["owner"]
    if unchanged:
        del fields["people"]
    return fields


def _no_organisation(name: str) -> str:
    return _("no organisation called “%(name)s” in your book") % {"name": name.strip()}


@login_required
def deal_create(request: HttpRequest) -> HttpResponse:
    """A new deal in the pipeline given (?pipeline=ID), else the team's first."""
    source = request.POST if request.method == "POST" else request.GET
    if source.get("pipeline"):
        pipeline = queries.pipeline_for(request.user, source["pipeline"], write=True)
    else:
        pipeline = services.pipelines_ensure(actor=request.user)
    stages = [(s.pk, s.name) for s in queries.stages_of(pipeline) if not s.is_closed]
    form = _deal_form(
        request,
        request.POST if request.method == "POST" else None,
        stages=stages,
        initial={
            "owner": request.user.pk,
            "currency": queries.team_currency(request.user),
            "next_step_on": timezone.localdate(),
        },
    )
    if request.method == "POST" and form.is_valid():
        fields = _service_fields(request, form)
        if fields is not None:
            try:
                deal = services.deal_create(
                    actor=request.user,
                    pipeline=pipeline,
                    stage=form.cleaned_data["stage"],
                    **fields,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("deal_detail", deal_id=deal.pk)
    return render(
        request,
        "deals/deal_form.html",
        {
            "form": form,
            "pipeline": pipeline,
            "organisations": queries.organisation_names(request.user),
        },
        status=422 if form.errors else 200,
    )


def _detail(
    request: HttpRequest,
    deal: Deal,
    *,
    next_form: NextStepForm | None = None,
    move_form: MoveForm | None = None,
    invest_form: InvestmentForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    card = queries.card_for(deal, deal.stage, timezone.localdate())
    use = queries.stop_loss_of(deal)
    return render(
        request,
        "deals/deal_detail.html",
        {
            "deal": deal,
            "card": card,
            "history": queries.stage_history(deal),
            "stages": queries.stages_of(deal.pipeline),
            "reasons": chosen_reasons(),
            "next_form": next_form
            or NextStepForm(
                initial={"next_step": deal.next_step, "next_step_on": deal.next_step_on}
            ),
            "move_form": move_form or MoveForm(),
            "use": use,
            "use_figures": queries.stoploss_figures(use, deal.currency),
            "investments": queries.investments_of(deal),
            "decisions": queries.stoploss_decisions_of(deal),
            "invest_form": invest_form
            or InvestmentForm(initial={"kind": "hours", "on": timezone.localdate()}),
            "decision_form": decision_form or DecisionForm(initial={"choice": "raise"}),
        },
        status=status,
    )


@login_required
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    return _detail(request, queries.deal_for(request.user, deal_id))


@login_required
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = queries.deal_for(request.user, deal_id, write=True)
    initial = {
        "title": deal.title,
        "organisation_name": deal.organisation.name if deal.organisation else "",
        "people_names": ", ".join(p.display_name for p in getattr(deal, "shown_people", [])),
        "owner": deal.owner_id,
        "amount": deal.amount,
        "currency": deal.currency,
        "margin": "" if deal.margin is None else deal.margin,
        "client_benefit": "" if deal.client_benefit is None else deal.client_benefit,
        "next_step": deal.next_step,
        "next_step_on": deal.next_step_on,
        "referral": deal.referral_id,
        "notes": deal.notes,
        "stoploss_money": "" if deal.stoploss_money is None else deal.stoploss_money,
        "stoploss_hours": "" if deal.stoploss_hours is None else deal.stoploss_hours,
    }
    form = _deal_form(
        request,
        request.POST if request.method == "POST" else None,
        keep_referral=deal.referral_id,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        fields = _service_fields(request, form, people_as_they_were=str(initial["people_names"]))
        if fields is not None:
            try:
                services.deal_update(actor=request.user, deal=deal, **fields)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("deal_detail", deal_id=deal.pk)
    return render(
        request,
        "deals/deal_form.html",
        {
            "form": form,
            "deal": deal,
            "pipeline": deal.pipeline,
            "organisations": queries.organisation_names(request.user),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def deal_next_step(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = queries.deal_for(request.user, deal_id, write=True)
    form = NextStepForm(request.POST)
    if form.is_valid():
        try:
            services.deal_update(actor=request.user, deal=deal, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("deal_detail", deal_id=deal.pk)
    return _detail(request, deal, next_form=form, status=422)


@login_required
@require_POST
def deal_move(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Move a deal to another stage of its pipeline. From the board (htmx), the board
    comes back, with the error if the move was refused (and the card where it was)."""
    deal = queries.deal_for(request.user, deal_id, write=True)
    from_board = bool(request.headers.get("HX-Request")) and request.POST.get("view") == "board"
    form = MoveForm(request.POST)
    error: ValidationError | None = None
    if form.is_valid():
        try:
            services.deal_move(
                actor=request.user,
                deal=deal,
                stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            error = exc
            add_service_errors(form, exc)
    else:
        error = ValidationError(
            {"stage": [str(m) for m in form.errors.get("stage", [_("a stage is required")])]}
        )
    if from_board:
        messages = _messages(error) if error is not None else []
        return _board(request, deal.pipeline, errors=messages, status=422 if error else 200)
    if error is None:
        return redirect("deal_detail", deal_id=deal.pk)
    return _detail(request, queries.deal_for(request.user, deal_id), move_form=form, status=422)


def _stoploss_post(
    request: HttpRequest, deal_id: int, form_class: Any, write: Any, form_name: str
) -> HttpResponse:
    """A stop-loss form posted from the deal page: back to its section when saved, else
    the page again with the form's errors."""
    deal = queries.deal_for(request.user, deal_id, write=True)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(actor=request.user, deal=deal, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(reverse("deal_detail", args=[deal.pk]) + "#stoploss")
    return _detail(request, deal, **{form_name: form}, status=422)


@login_required
@require_POST
def deal_invest(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Log an investment entry against the deal's stop-loss."""
    return _stoploss_post(
        request, deal_id, InvestmentForm, investments.investment_log, "invest_form"
    )


@login_required
@require_POST
def deal_stoploss_decide(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Record the decision about a deal that crossed its stop-loss."""
    return _stoploss_post(
        request, deal_id, DecisionForm, investments.stoploss_decide, "decision_form"
    )
