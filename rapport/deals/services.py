"""Every write to pipelines and deals: each validates, changes atomically and leaves an
audit entry. Views, the API and the CLI call only these.

Money is Decimal with at most two decimal places; a price or a benefit is never
negative, a margin may be. A deal's people, organisation and referral are the team's,
and a colleague's private contact can neither be attached nor learned of: it is
refused exactly as someone who does not exist, and kept (unseen) when the colleague who
cannot see it edits the deal."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from rapport.accounts.services import audit_record
from rapport.deals import queries
from rapport.deals.models import CloseReason, Deal, DealSettings, Pipeline, Stage, StageChange
from rapport.deals.stoploss import stop_loss
from rapport.network.models import Referral
from rapport.network.queries import visible_referrals
from rapport.people.models import Organisation, Person
from rapport.people.queries import visible_people

CURRENCY = re.compile(r"^[A-Z]{3}$")
CENT = Decimal("0.01")
LIMIT = Decimal("1000000000000")  # twelve digits before the point fit the column
HOURS_LIMIT = Decimal("100000000")
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
DEAL_FIELDS = {
    "title",
    "organisation",
    "people",
    "owner",
    "amount",
    "currency",
    "margin",
    "client_benefit",
    "next_step",
    "next_step_on",
    "referral",
    "notes",
    "stoploss_money",
    "stoploss_hours",
}
MAX_STAGES = 20
BIGGEST_ID = 2**63 - 1


def _pk(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, Model):
        return int(value.pk)
    if isinstance(value, bool):
        raise TypeError
    pk = int(value)
    if not 0 < pk <= BIGGEST_ID:
        raise ValueError  # no row has it, and PostgreSQL would refuse to look
    return pk


def _ref(value: Any, name: str, noun: str) -> int | None:
    try:
        return _pk(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("no such %(noun)s") % {"noun": noun}}) from exc


def money(value: Any, name: str, *, negative: bool = False) -> Decimal | None:
    """`value` as an amount of money (None when empty), or a ValidationError naming
    `name`: not a number, more than two decimal places, too large, or negative where
    that is not allowed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError({name: _("must be an amount of money, such as 1250.00")})
    text = str(value).strip()
    # Commas only as thousands separators: "12,50" is not guessed to mean 12.50 or 1250.
    if "," in text and not THOUSANDS.match(text):
        raise ValidationError({name: _("must be an amount of money, such as 1250.00")})
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationError({name: _("must be an amount of money, such as 1250.00")}) from exc
    if not amount.is_finite():
        raise ValidationError({name: _("must be an amount of money, such as 1250.00")})
    if abs(amount) >= LIMIT:
        raise ValidationError({name: _("is too large")})
    if amount != amount.quantize(CENT, rounding="ROUND_DOWN"):
        raise ValidationError({name: _("at most two decimal places")})
    if amount < 0 and not negative:
        raise ValidationError({name: _("must not be negative")})
    return amount.quantize(CENT)


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not CURRENCY.match(code):
        raise ValidationError(
            {"currency": _("a currency is a three-letter code such as USD, EUR or CNY")}
        )
    return code


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError({name: _("a date is required, such as 2026-12-01")})


def _reject_unknown(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: "unknown field" for name in unknown})


def _hours(value: Any, name: str) -> Decimal | None:
    """`value` as a number of hours (None when empty): at most two decimal places, not
    negative; else a ValidationError naming `name`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError({name: _("must be a number of hours, such as 7.5")})
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError({name: _("must be a number of hours, such as 7.5")}) from exc
    if not hours.is_finite():
        raise ValidationError({name: _("must be a number of hours, such as 7.5")})
    if hours < 0:
        raise ValidationError({name: _("must not be negative")})
    if hours >= HOURS_LIMIT:
        raise ValidationError({name: _("is too large")})
    if hours != hours.quantize(CENT, rounding="ROUND_DOWN"):
        raise ValidationError({name: _("at most two decimal places")})
    return hours.quantize(CENT)


def limit_money(value: Any, name: str) -> Decimal | None:
    """A stop-loss money limit: empty (no limit) or an amount above zero."""
    found = money(value, name)
    if found is not None and found <= 0:
        raise ValidationError({name: _("a limit must be above zero (leave it empty for none)")})
    return found


def limit_hours(value: Any, name: str) -> Decimal | None:
    """A stop-loss hours limit: empty (no limit) or a number of hours above zero."""
    found = _hours(value, name)
    if found is not None and found <= 0:
        raise ValidationError({name: _("a limit must be above zero (leave it empty for none)")})
    return found


def _undecided(deal: Deal, before: Mapping[str, Any] | None = None) -> bool:
    """Whether the open deal has crossed its stop-loss (with its limits as they were
    before this change), which only a decision can settle."""
    if deal.closed_at is not None:
        return False
    before = before or {}
    use = stop_loss(
        money_invested=deal.invested_money,
        hours_invested=deal.invested_hours,
        money_limit=before.get("stoploss_money", deal.stoploss_money),
        hours_limit=before.get("stoploss_hours", deal.stoploss_hours),
    )
    return use.crossed


def _undecided_message() -> str:
    return _(
        "this deal has crossed its stop-loss: decide first, with a reason, whether to raise "
        "the limit or walk away"
    )


# -- pipelines ---------------------------------------------------------------------------


def _settings_for(actor: Any) -> DealSettings:
    found, _created = DealSettings.objects.get_or_create(
        team_id=actor.member.team_id,
        defaults={"currency": queries.default_currency(actor.member.language)},
    )
    return found


def _default_stages() -> list[tuple[str, str]]:
    return [
        (pgettext("deal stage", "Lead"), Stage.Outcome.OPEN),
        (pgettext("deal stage", "Qualified"), Stage.Outcome.OPEN),
        (pgettext("deal stage", "Proposal"), Stage.Outcome.OPEN),
        (pgettext("deal stage", "Negotiation"), Stage.Outcome.OPEN),
        (pgettext("deal stage", "Won"), Stage.Outcome.WON),
        (pgettext("deal stage", "Lost"), Stage.Outcome.LOST),
    ]


@transaction.atomic
def pipelines_ensure(*, actor: Any) -> Pipeline:
    """The team's first pipeline; on the team's first use of deals, a default one (lead,
    qualified, proposal, negotiation, won, lost), named in the actor's language, and
    the team's currency (yuan for a team starting in Chinese, else US dollars)."""
    _settings_for(actor)
    first = queries.pipelines(actor).first()
    if first is not None:
        return first
    with translation.override(actor.member.language):
        name = pgettext("deal pipeline", "Sales")
        stages = [{"name": n, "outcome": o} for n, o in _default_stages()]
    try:
        with transaction.atomic():
            return pipeline_create(actor=actor, name=name, stages=stages)
    except (IntegrityError, ValidationError):
        # A teammate's first visit made it at the same moment: theirs is the one.
        found = queries.pipelines(actor).first()
        if found is None:
            raise
        return found


def _clean_stages(stages: Any) -> list[tuple[str, str]]:
    if not isinstance(stages, list | tuple) or not stages:
        raise ValidationError({"stages": _("a pipeline needs stages")})
    if len(stages) > MAX_STAGES:
        raise ValidationError({"stages": _("at most %(n)d stages") % {"n": MAX_STAGES}})
    cleaned: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        name = str((stage or {}).get("name") or "").strip()
        outcome = str((stage or {}).get("outcome") or Stage.Outcome.OPEN)
        if not name:
            raise ValidationError({f"stages[{index}].name": _("a stage needs a name")})
        if len(name) > 100:
            raise ValidationError({f"stages[{index}].name": _("at most 100 characters")})
        if name.lower() in seen:
            raise ValidationError(
                {f"stages[{index}].name": _("“%(name)s” is there twice") % {"name": name}}
            )
        if outcome not in Stage.Outcome.values:
            raise ValidationError({f"stages[{index}].outcome": _("open, won or lost")})
        seen.add(name.lower())
        cleaned.append((name, outcome))
    outcomes = {o for _n, o in cleaned}
    if Stage.Outcome.OPEN not in outcomes:
        raise ValidationError({"stages": _("a pipeline needs at least one open stage")})
    if Stage.Outcome.WON not in outcomes or Stage.Outcome.LOST not in outcomes:
        raise ValidationError(
            {"stages": _("a pipeline needs a won stage and a lost stage to close deals in")}
        )
    return cleaned


@transaction.atomic
def pipeline_create(
    *, actor: Any, name: str, stages: list[dict[str, Any]], stale_after_days: int = 30
) -> Pipeline:
    """A new pipeline of the actor's team with `stages` in order (each a name and an
    outcome: open, won or lost; at least one open, one won and one lost). A deal in it
    with no stage change nor next-step update for `stale_after_days` is stale."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("a pipeline needs a name")})
    if queries.pipeline_named(actor, name) is not None:
        raise ValidationError(
            {"name": _("there is already a pipeline called “%(name)s”") % {"name": name}}
        )
    if isinstance(stale_after_days, bool) or not isinstance(stale_after_days, int):
        raise ValidationError({"stale_after_days": _("a whole number of days")})
    if not 1 <= stale_after_days <= 3650:
        raise ValidationError({"stale_after_days": _("from 1 to 3650 days")})
    cleaned = _clean_stages(stages)
    last = queries.pipelines(actor).aggregate(m=Max("position"))["m"]
    pipeline = Pipeline(
        team_id=actor.member.team_id,
        name=name,
        stale_after_days=stale_after_days,
        position=0 if last is None else last + 1,
    )
    pipeline.full_clean(exclude=["team"], validate_constraints=False)
    pipeline.save()
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=n, outcome=o, position=i) for i, (n, o) in enumerate(cleaned)
    )
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="pipeline.create",
        obj=pipeline,
        summary=name,
        changes={"stages": [n for n, _o in cleaned], "stale_after_days": stale_after_days},
    )
    return pipeline


# -- deals -------------------------------------------------------------------------------


def _organisation(actor: Any, value: Any) -> Organisation | None:
    pk = _ref(value, "organisation", _("organisation"))
    if pk is None:
        return None
    found = Organisation.objects.filter(team_id=actor.member.team_id, pk=pk).first()
    if found is None:
        raise ValidationError({"organisation": _("no such organisation: %(id)s") % {"id": pk}})
    return found


def _people(actor: Any, values: Any) -> list[Person]:
    if values is None:
        return []
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationError({"people": _("a list of people")})
    ids: list[int] = []
    for value in values:
        pk = _ref(value, "people", _("person"))
        if pk is not None and pk not in ids:
            ids.append(pk)
    found = visible_people(actor).in_bulk(ids)
    for pk in ids:
        if pk not in found:
            raise ValidationError({"people": _("no such person: %(id)s") % {"id": pk}})
    return [found[pk] for pk in ids]


def _referral(actor: Any, value: Any) -> Referral | None:
    pk = _ref(value, "referral", _("referral"))
    if pk is None:
        return None
    found = visible_referrals(actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError({"referral": _("no such referral: %(id)s") % {"id": pk}})
    return found


def _owner(actor: Any, value: Any) -> Any:
    pk = _ref(value, "owner", _("user"))
    if pk is None:
        raise ValidationError({"owner": _("a deal needs an owner")})
    found = (
        get_user_model()
        .objects.filter(pk=pk, is_active=True, member__team_id=actor.member.team_id)
        .first()
    )
    if found is None:
        raise ValidationError({"owner": _("no such teammate: %(id)s") % {"id": pk}})
    return found


def _stage_of(pipeline: Pipeline, value: Any) -> Stage:
    pk = _ref(value, "stage", _("stage"))
    if pk is None:
        raise ValidationError({"stage": _("a stage is required")})
    stage = (
        Stage.objects.select_related("pipeline")
        .filter(pk=pk, pipeline__team_id=pipeline.team_id)
        .first()
    )
    if stage is None:
        raise ValidationError({"stage": _("no such stage: %(id)s") % {"id": pk}})
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError(
            {
                "stage": _(
                    "“%(stage)s” is a stage of the pipeline “%(other)s”, not of “%(this)s”: "
                    "a deal moves only between the stages of its own pipeline"
                )
                % {"stage": stage.name, "other": stage.pipeline.name, "this": pipeline.name}
            }
        )
    return stage


def _validate(deal: Deal) -> None:
    deal.title = (deal.title or "").strip()
    if not deal.title:
        raise ValidationError({"title": _("a deal needs a title")})
    deal.next_step = (deal.next_step or "").strip()
    if not deal.next_step:
        raise ValidationError({"next_step": _("a deal needs a next step")})
    deal.notes = (deal.notes or "").strip()
    deal.full_clean(
        exclude=[
            "team",
            "pipeline",
            "stage",
            "organisation",
            "people",
            "owner",
            "referral",
            "created_by",
        ],
        validate_constraints=False,
    )


def _summary(deal: Deal) -> str:
    return f"{deal.title} ({deal.amount} {deal.currency})"


def _check_close(
    stage: Stage, reason: str | None, note: str, *, walked_away: bool = False
) -> tuple[str, str]:
    """The reason and note a move to `stage` records: required for a closed stage.
    "Abandoned at stop-loss" is only ever the record of a stop-loss decision."""
    reason = (reason or "").strip()
    note = (note or "").strip()
    if not stage.is_closed:
        return "", note
    if not reason:
        raise ValidationError(
            {
                "reason": _(
                    "closing a deal (won or lost) needs a reason: price, capability, "
                    "relationship with the decision maker, timing, no decision or other"
                )
            }
        )
    if reason not in CloseReason.values:
        raise ValidationError({"reason": _("unknown reason “%(r)s”") % {"r": reason}})
    if reason == CloseReason.ABANDONED and not walked_away:
        raise ValidationError(
            {"reason": _("a deal is abandoned at its stop-loss by deciding to walk away")}
        )
    if reason == CloseReason.OTHER and not note:
        raise ValidationError({"note": _("say what the other reason was")})
    return reason, note


@transaction.atomic
def deal_create(
    *,
    actor: Any,
    pipeline: Pipeline,
    title: str,
    next_step: str,
    next_step_on: Any,
    stage: Stage | int | None = None,
    organisation: Organisation | int | None = None,
    people: Iterable[Person | int] = (),
    owner: Any = None,
    amount: Any = 0,
    currency: str | None = None,
    margin: Any = None,
    client_benefit: Any = None,
    referral: Referral | int | None = None,
    notes: str = "",
    stoploss_money: Any = None,
    stoploss_hours: Any = None,
) -> Deal:
    """A new deal in `pipeline` (its first stage unless an open `stage` of it is named),
    owned by the actor unless a teammate is named, in the team's currency unless another
    is given, with its first stage change recorded."""
    if pipeline.team_id != actor.member.team_id:
        raise ValidationError({"pipeline": _("no such pipeline")})
    chosen = _stage_of(pipeline, stage) if stage not in (None, "") else None
    if chosen is None:
        chosen = pipeline.stages.filter(outcome=Stage.Outcome.OPEN).order_by("position").first()
    if chosen is None or chosen.is_closed:
        raise ValidationError({"stage": _("a new deal starts in an open stage")})
    now = timezone.now()
    when = _date(next_step_on, "next_step_on")
    if when < timezone.localdate():
        raise ValidationError({"next_step_on": _("the next step's date is in the past")})
    deal = Deal(
        team_id=actor.member.team_id,
        pipeline=pipeline,
        stage=chosen,
        title=title,
        organisation=_organisation(actor, organisation),
        owner=_owner(actor, actor if owner in (None, "") else owner),
        amount=money(amount, "amount") or Decimal("0.00"),
        currency=_currency(currency or _settings_for(actor).currency),
        margin=money(margin, "margin", negative=True),
        client_benefit=money(client_benefit, "client_benefit"),
        next_step=next_step,
        next_step_on=when,
        next_step_updated_at=now,
        referral=_referral(actor, referral),
        stage_entered_at=now,
        notes=notes,
        created_by=actor,
        stoploss_money=limit_money(stoploss_money, "stoploss_money"),
        stoploss_hours=limit_hours(stoploss_hours, "stoploss_hours"),
    )
    chosen_people = _people(actor, people)
    _validate(deal)
    deal.save()
    deal.people.set(chosen_people)
    StageChange.objects.create(deal=deal, from_stage=None, to_stage=chosen, at=now, by=actor)
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="deal.create",
        obj=deal,
        summary=_summary(deal),
        changes={"pipeline": pipeline.name, "stage": chosen.name},
    )
    return deal


def _show(value: Any) -> Any:
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, Decimal | dt.date):
        return str(value)
    if isinstance(value, list):
        return sorted(int(p.pk) for p in value)
    return value


@transaction.atomic
def deal_update(*, actor: Any, deal: Deal, **fields: Any) -> Deal:
    """Change a deal's details or its next step (a new next step restarts the stale
    clock). Setting its people keeps those the actor cannot see (a colleague's private
    contacts on the deal stay on it, unseen)."""
    _reject_unknown(fields, DEAL_FIELDS)
    deal = Deal.objects.select_for_update().select_related("pipeline").get(pk=deal.pk)
    if deal.team_id != actor.member.team_id:
        raise ValidationError({"deal": _("no such deal")})
    resolvers = {
        "organisation": lambda v: _organisation(actor, v),
        "owner": lambda v: _owner(actor, v),
        "amount": lambda v: money(v, "amount") or Decimal("0.00"),
        "currency": _currency,
        "margin": lambda v: money(v, "margin", negative=True),
        "client_benefit": lambda v: money(v, "client_benefit"),
        "referral": lambda v: _referral(actor, v),
        "next_step_on": lambda v: _date(v, "next_step_on"),
        "stoploss_money": lambda v: limit_money(v, "stoploss_money"),
        "stoploss_hours": lambda v: limit_hours(v, "stoploss_hours"),
    }
    if "referral" in fields and _pk(fields["referral"]) == deal.referral_id:
        # Unchanged: kept even when the editor may not see it (a colleague's contact).
        fields = {k: v for k, v in fields.items() if k != "referral"}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    new_people = None
    for name, value in fields.items():
        if name == "people":
            new_people = _people(actor, value)
            continue
        value = resolvers[name](value) if name in resolvers else value
        before[name], after[name] = getattr(deal, name), value
        setattr(deal, name, value)
    step_changed = any(
        name in after and after[name] != before[name] for name in ("next_step", "next_step_on")
    )
    for name in ("stoploss_money", "stoploss_hours"):
        if name in after and after[name] != before[name] and _undecided(deal, before):
            raise ValidationError({name: _undecided_message()})
    if (
        "next_step_on" in after
        and after["next_step_on"] != before["next_step_on"]
        and deal.next_step_on < timezone.localdate()
    ):
        raise ValidationError({"next_step_on": _("the next step's date is in the past")})
    if step_changed:
        deal.next_step_updated_at = timezone.now()
    _validate(deal)
    changed = [name for name in after if after[name] != before[name]]
    if step_changed:
        changed.append("next_step_updated_at")
    if changed:
        deal.save(update_fields=[*changed, "updated_at"])
    changes = {
        name: [_show(before[name]), _show(after[name])]
        for name in after
        if _show(before[name]) != _show(after[name])
    }
    if new_people is not None:
        hidden = list(deal.people.exclude(pk__in=visible_people(actor).values("pk")))
        old = sorted(deal.people.values_list("pk", flat=True))
        deal.people.set([*new_people, *hidden])
        new = sorted(p.pk for p in [*new_people, *hidden])
        if old != new:
            seen = set(visible_people(actor).values_list("pk", flat=True))
            changes["people"] = [[p for p in old if p in seen], [p for p in new if p in seen]]
    if not changes:
        return deal
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="deal.next_step" if set(changes) <= {"next_step", "next_step_on"} else "deal.update",
        obj=deal,
        summary=_summary(deal),
        changes=changes,
    )
    return deal


@transaction.atomic
def deal_move(
    *,
    actor: Any,
    deal: Deal,
    stage: Stage | int,
    reason: str | None = None,
    note: str = "",
    walked_away: bool = False,
) -> Deal:
    """Move a deal to another stage of its own pipeline, recording the change. A move to
    a won or lost stage closes the deal and needs a reason (and words for "other"); a
    move back to an open stage reopens it. A move to the stage it is in changes nothing."""
    deal = Deal.objects.select_for_update().select_related("pipeline", "stage").get(pk=deal.pk)
    if deal.team_id != actor.member.team_id:
        raise ValidationError({"deal": _("no such deal")})
    target = _stage_of(deal.pipeline, stage)
    if target.pk == deal.stage_id:
        return deal
    if not target.is_closed and _undecided(deal):
        raise ValidationError({"stage": _undecided_message()})
    reason, note = _check_close(target, reason, note, walked_away=walked_away)
    now = timezone.now()
    origin = deal.stage
    deal.stage = target
    deal.stage_entered_at = now
    deal.closed_at = now if target.is_closed else None
    deal.close_reason = reason
    deal.close_note = note if target.is_closed else ""
    deal.save(
        update_fields=[
            "stage",
            "stage_entered_at",
            "closed_at",
            "close_reason",
            "close_note",
            "updated_at",
        ]
    )
    StageChange.objects.create(
        deal=deal, from_stage=origin, to_stage=target, at=now, by=actor, reason=reason, note=note
    )
    changes: dict[str, Any] = {"stage": [origin.name, target.name]}
    if reason:
        changes["reason"] = reason
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="deal.move",
        obj=deal,
        summary=_summary(deal),
        changes=changes,
    )
    return deal
