"""Writes for the stop-loss: logging what we invest in winning a deal, and the decision
taken when a deal crosses its limit. Each validates, changes atomically and leaves an
audit entry; nothing is half-saved.

The deal keeps the totals of its entries (`invested_money`, `invested_hours`), updated
here under a row lock, so the board and the agenda read them without summing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.services import audit_record
from rapport.deals.models import CloseReason, Deal, Investment, Stage, StopLossDecision
from rapport.deals.services import (
    _date,
    _hours,
    _reject_unknown,
    _undecided_message,
    deal_move,
    limit_hours,
    limit_money,
    money,
)
from rapport.deals.stoploss import entry_money, stop_loss

ENTRY_FIELDS = {"kind", "on", "hours", "rate", "amount", "note"}
MAX_ENTRY_HOURS = Decimal("10000")


def _locked(actor: Any, deal: Deal) -> Deal:
    deal = Deal.objects.select_for_update().select_related("pipeline", "stage").get(pk=deal.pk)
    if deal.team_id != actor.member.team_id:
        raise ValidationError({"deal": _("no such deal")})
    return deal


def _use(deal: Deal) -> Any:
    return stop_loss(
        money_invested=deal.invested_money,
        hours_invested=deal.invested_hours,
        money_limit=deal.stoploss_money,
        hours_limit=deal.stoploss_hours,
    )


@transaction.atomic
def investment_log(*, actor: Any, deal: Deal, **fields: Any) -> Investment:
    """Log an investment entry on an open deal: `kind` hours (with `hours`, and a `rate`
    per hour if the hours are to count as money), expense or discount (with `amount`),
    on a date (`on`, today by default, not in the future), with an optional `note`.
    Refused on a closed deal and on one that has crossed its stop-loss until someone
    decides what to do."""
    _reject_unknown(fields, ENTRY_FIELDS)
    deal = _locked(actor, deal)
    if deal.closed_at is not None:
        raise ValidationError({"deal": _("the deal is closed: nothing more goes into winning it")})
    if _use(deal).crossed:
        raise ValidationError({"deal": _undecided_message()})
    kind = str(fields.get("kind") or "").strip()
    if kind not in Investment.Kind.values:
        raise ValidationError({"kind": _("hours, expense or discount")})
    on = fields.get("on")
    day = timezone.localdate() if on in (None, "") else _date(on, "on")
    if day > timezone.localdate():
        raise ValidationError({"on": _("the date is in the future")})
    hours = _hours(fields.get("hours"), "hours")
    rate = money(fields.get("rate"), "rate")
    amount = money(fields.get("amount"), "amount")
    note = str(fields.get("note") or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("at most 300 characters")})
    if kind == Investment.Kind.HOURS:
        if hours is None or hours == 0:
            raise ValidationError({"hours": _("how many hours? (more than zero)")})
        if hours > MAX_ENTRY_HOURS:
            raise ValidationError({"hours": _("is too large")})
        if amount is not None:
            raise ValidationError(
                {"amount": _("hours count as money through their rate, not an amount")}
            )
    else:
        if hours is not None:
            raise ValidationError({"hours": _("an expense or a discount has no hours")})
        if rate is not None:
            raise ValidationError({"rate": _("a rate goes with hours")})
        if amount is None or amount == 0:
            raise ValidationError({"amount": _("how much? (more than zero)")})
    value = entry_money(kind=kind, hours=hours, rate=rate, amount=amount)
    if deal.invested_money + value >= Decimal("1000000000000"):
        raise ValidationError({"amount": _("is too large")})
    entry = Investment.objects.create(
        deal=deal, kind=kind, on=day, hours=hours, rate=rate, amount=value, note=note, by=actor
    )
    before = _use(deal).status
    deal.invested_money += value
    deal.invested_hours += hours or Decimal("0")
    deal.save(update_fields=["invested_money", "invested_hours", "updated_at"])
    after = _use(deal).status
    changes: dict[str, Any] = {
        "kind": kind,
        "on": day.isoformat(),
        "amount": str(value),
        "hours": str(hours) if hours is not None else None,
    }
    if after != before:
        changes["stoploss"] = [before, after]
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="deal.invest",
        obj=deal,
        summary=f"{deal.title} ({value} {deal.currency}, {hours or 0} h)",
        changes=changes,
    )
    return entry


def _lost_stage(deal: Deal) -> Stage:
    stage = deal.pipeline.stages.filter(outcome=Stage.Outcome.LOST).order_by("position").first()
    if stage is None:  # pragma: no cover - a pipeline always has one
        raise ValidationError({"stage": _("the pipeline has no lost stage")})
    return stage


@transaction.atomic
def stoploss_decide(
    *,
    actor: Any,
    deal: Deal,
    choice: str,
    reason: str,
    money_limit: Any = None,
    hours_limit: Any = None,
) -> StopLossDecision:
    """Decide about a deal that has crossed its stop-loss, with a `reason`: `raise` the
    crossed limit(s) to new values above what is already invested, or `walk_away`,
    which closes the deal in its pipeline's lost stage as abandoned at stop-loss, with
    the reason as its note."""
    deal = _locked(actor, deal)
    reason = (reason or "").strip()
    if choice not in StopLossDecision.Choice.values:
        raise ValidationError({"choice": _("raise the limit, or walk away")})
    if not reason:
        raise ValidationError({"reason": _("say why: the decision needs a reason")})
    if deal.closed_at is not None:
        raise ValidationError({"deal": _("the deal is closed: there is nothing to decide")})
    use = _use(deal)
    if not use.crossed:
        raise ValidationError(
            {"deal": _("the deal has not crossed its stop-loss: there is nothing to decide")}
        )
    new_money, new_hours = deal.stoploss_money, deal.stoploss_hours
    if choice == StopLossDecision.Choice.RAISE:
        wanted_money = limit_money(money_limit, "money_limit")
        wanted_hours = limit_hours(hours_limit, "hours_limit")
        if wanted_money is None and wanted_hours is None:
            raise ValidationError({"money_limit": _("give the new limit(s)")})
        if wanted_money is not None:
            if deal.stoploss_money is None:
                raise ValidationError({"money_limit": _("the deal has no money limit to raise")})
            if wanted_money <= deal.invested_money:
                raise ValidationError(
                    {
                        "money_limit": _("must be above what is invested already (%(v)s)")
                        % {"v": deal.invested_money}
                    }
                )
            new_money = wanted_money
        if wanted_hours is not None:
            if deal.stoploss_hours is None:
                raise ValidationError({"hours_limit": _("the deal has no hours limit to raise")})
            if wanted_hours <= deal.invested_hours:
                raise ValidationError(
                    {
                        "hours_limit": _("must be above the hours invested already (%(v)s)")
                        % {"v": deal.invested_hours}
                    }
                )
            new_hours = wanted_hours
        if use.money_status == "crossed" and new_money == deal.stoploss_money:
            raise ValidationError({"money_limit": _("the money limit is crossed: raise it")})
        if use.hours_status == "crossed" and new_hours == deal.stoploss_hours:
            raise ValidationError({"hours_limit": _("the hours limit is crossed: raise it")})
    decision = StopLossDecision.objects.create(
        deal=deal,
        choice=choice,
        reason=reason,
        money_invested=deal.invested_money,
        hours_invested=deal.invested_hours,
        money_limit_before=deal.stoploss_money,
        money_limit_after=new_money,
        hours_limit_before=deal.stoploss_hours,
        hours_limit_after=new_hours,
        by=actor,
        at=timezone.now(),
    )
    changes: dict[str, Any] = {"choice": choice, "reason": reason}
    if choice == StopLossDecision.Choice.RAISE:
        changes["stoploss_money"] = [_text(deal.stoploss_money), _text(new_money)]
        changes["stoploss_hours"] = [_text(deal.stoploss_hours), _text(new_hours)]
        deal.stoploss_money, deal.stoploss_hours = new_money, new_hours
        deal.save(update_fields=["stoploss_money", "stoploss_hours", "updated_at"])
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="deal.stoploss",
        obj=deal,
        summary=f"{deal.title}: {choice}",
        changes=changes,
    )
    if choice == StopLossDecision.Choice.WALK_AWAY:
        deal_move(
            actor=actor,
            deal=deal,
            stage=_lost_stage(deal),
            reason=CloseReason.ABANDONED,
            note=reason,
            walked_away=True,
        )
    return decision


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
