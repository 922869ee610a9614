"""The tender card on a deal's page (htmx) and the win/loss report page. Thin: parse,
call a service or query, render."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from rapport.core.charts import grouped_bar_chart
from rapport.deals import bids, queries, report_queries
from rapport.deals.forms import ReportForm, TenderForm
from rapport.deals.models import CloseReason, Deal, Tender

BLANK_ROWS = 3
ROW = re.compile(r"^competitors\[(?P<index>\d+)\]\.(?P<field>\w+)$")


def _rows(
    tender: Tender | None, names: list[str] | None = None, amounts: list[str] | None = None
) -> list[tuple[str, str]]:
    if names is not None:
        rows = list(zip(names, amounts or [""] * len(names), strict=False))
    elif tender is not None:
        rows = [
            (b.competitor.name, "" if b.amount is None else str(b.amount))
            for b in tender.bids.all()
        ]
    else:
        rows = []
    filled = [(n, a) for n, a in rows if n.strip() or a.strip()]
    return [*filled, *[("", "")] * BLANK_ROWS]


def _card(
    request: HttpRequest,
    deal: Deal,
    *,
    form: TenderForm | None = None,
    rows: list[tuple[str, str]] | None = None,
    errors: list[str] | None = None,
    editing: bool = False,
    status: int = 200,
) -> HttpResponse:
    tender = report_queries.tender_of(deal)
    if form is None:
        initial: dict[str, Any] = {}
        if tender is not None:
            initial = {
                "bidders": tender.bidders,
                "our_bid": "" if tender.our_bid is None else tender.our_bid,
                "winning_price": "" if tender.winning_price is None else tender.winning_price,
                "winner": tender.winner.name if tender.winner else "",
                "notes": tender.notes,
            }
        form = TenderForm(initial=initial)
    return render(
        request,
        "deals/_tender.html",
        {
            "deal": deal,
            "tender": tender,
            "form": form,
            "rows": rows if rows is not None else _rows(tender),
            "errors": errors or [],
            "editing": editing or bool(errors),
            "competitors": list(
                report_queries.competitors(request.user).values_list("name", flat=True)
            ),
        },
        status=status,
    )


def _messages(exc: ValidationError, form: TenderForm) -> list[str]:
    """Errors not shown beside a field of the form, each saying where."""
    out: list[str] = []
    for field, messages in exc.message_dict.items():
        row = ROW.match(field)
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
            elif row:
                out.append(
                    _("Competitor %(n)s: %(message)s")
                    % {"n": int(row["index"]) + 1, "message": message}
                )
            else:
                out.append(message)
    return out


@login_required
def tender_card(request: HttpRequest, deal_id: int) -> HttpResponse:
    """GET: the deal's tender card (?edit=1: its form). POST: save it, or with
    `remove`, the deal is no longer a tender."""
    deal = queries.deal_for(request.user, deal_id, write=request.method == "POST")
    if request.method != "POST":
        return _card(request, deal, editing=request.GET.get("edit") == "1")
    if request.POST.get("remove"):
        bids.tender_remove(actor=request.user, deal=deal)
        return _card(request, deal)
    form = TenderForm(request.POST)
    names = request.POST.getlist("competitor_name")
    amounts = request.POST.getlist("competitor_amount")
    rows = _rows(None, names, amounts)
    if not form.is_valid():
        return _card(request, deal, form=form, rows=rows, editing=True, status=422)
    data = form.cleaned_data
    competitors = [
        {"name": name, "amount": amount}
        for name, amount in zip(names, amounts + [""] * len(names), strict=False)
        if name.strip() or amount.strip()
    ]
    try:
        bids.tender_save(
            actor=request.user,
            deal=deal,
            bidders=data["bidders"],
            our_bid=data["our_bid"],
            winning_price=data["winning_price"],
            winner=data["winner"],
            competitors=competitors,
            notes=data["notes"],
        )
    except ValidationError as exc:
        errors = _messages(exc, form)
        return _card(request, deal, form=form, rows=rows, errors=errors, editing=True, status=422)
    return _card(request, deal)


@login_required
def winloss_page(request: HttpRequest) -> HttpResponse:
    """Deals won and lost over a period: by reason (with a chart), competitor, pipeline
    and referral source."""
    choices = [(p.pk, p.name) for p in queries.pipelines(request.user)]
    form = ReportForm(request.GET or None, pipelines=choices)
    result = None
    status = 200
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        pipeline = (
            queries.pipeline_for(request.user, data["pipeline"]) if data.get("pipeline") else None
        )
        try:
            start, end = report_queries.period(data.get("from"), data.get("to"))
        except ValidationError as exc:
            form.add_error("to", exc.message_dict["to"])
            status = 422
        else:
            result = report_queries.winloss_report(
                request.user, start=start, end=end, pipeline=pipeline
            )
            if not request.GET:
                form = ReportForm(initial={"from": start, "to": end}, pipelines=choices)
    else:
        status = 422
    chart = None
    reasons = dict(CloseReason.choices)
    reason_rows = []
    if result is not None:
        reason_rows = [
            (str(reasons.get(r, r or _("No reason"))), t)
            for r, t in result.report.by_reason.items()
        ]
        chart = grouped_bar_chart(
            [(label, t.won, t.lost) for label, t in reason_rows],
            series=(_("Won"), _("Lost")),
            title=_("Deals won and lost by reason"),
        )
    return render(
        request,
        "deals/winloss.html",
        {"form": form, "result": result, "chart": chart, "reason_rows": reason_rows},
        status=status,
    )
