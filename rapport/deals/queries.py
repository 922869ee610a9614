"""Reads of pipelines and deals: the board, the table, a deal's history, and the open
deals by stage for the CLI.

Deals are the team's; every fetch by id goes through `*_for`, which raises Http404 for
another team's rows. A deal's people are shown only as far as the reader may see them:
a colleague's private contact on a deal is left out, never named."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.http import Http404
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.core.links import links
from rapport.deals.models import (
    Deal,
    DealSettings,
    Investment,
    Pipeline,
    Stage,
    StageChange,
    StopLossDecision,
)
from rapport.deals.stoploss import StopLoss, stop_loss
from rapport.deals.winwin import Staleness, WinWin, staleness, win_win
from rapport.network.queries import visible_referrals
from rapport.people.models import Organisation, Person
from rapport.people.queries import visible_people

# Closed columns of the board show deals closed this recently; the table shows them all.
RECENTLY_CLOSED_DAYS = 90
# The board shows each stage's most urgent deals (next step first) and counts the rest:
# a book with thousands of open deals is read in the table, a stage at a time.
BOARD_CARDS = 25
CENT = Decimal("0.01")
# The table lists this many deals of each stage, or of one stage a page.
TABLE_ROWS = 200


def team_currency(actor: Any) -> str:
    """The currency the actor's team counts deals in by default."""
    found = DealSettings.objects.filter(team_id=actor.member.team_id).first()
    return found.currency if found is not None else default_currency(actor.member.language)


def default_currency(language: str) -> str:
    """The currency a new team starts with: yuan for a team set up in Chinese."""
    return "CNY" if language.startswith("zh") else "USD"


def pipelines(actor: Any) -> QuerySet[Pipeline]:
    """The actor's team's pipelines, in their order."""
    return Pipeline.objects.filter(team_id=actor.member.team_id).order_by("position", "id")


def pipeline_for(actor: Any, pipeline_id: int | str, *, write: bool = False) -> Pipeline:
    """The pipeline if it is the actor's team's; else Http404."""
    try:
        pk = int(pipeline_id)
        if not 0 < pk < 2**63:
            raise Pipeline.DoesNotExist
        return pipelines(actor).get(pk=pk)
    except (Pipeline.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such pipeline") from exc


def pipeline_named(actor: Any, name: str) -> Pipeline | None:
    """The team's pipeline called `name` (any case), if there is one."""
    return pipelines(actor).filter(name__iexact=name.strip()).first()


def stages_of(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position", "id"))


def visible_deals(actor: Any) -> QuerySet[Deal]:
    """The actor's team's deals, each with `referral_shown`: whether the actor may see
    the referral it came from (one about a colleague's private contact is not named)."""
    return Deal.objects.filter(team_id=actor.member.team_id).annotate(
        referral_shown=Exists(visible_referrals(actor).filter(pk=OuterRef("referral_id")))
    )


def with_visible_people(actor: Any, qs: QuerySet[Deal]) -> QuerySet[Deal]:
    """Deals with `shown_people`: their people the actor may see, by name."""
    return qs.prefetch_related(
        Prefetch(
            "people",
            queryset=visible_people(actor).order_by("display_name", "id"),
            to_attr="shown_people",
        )
    )


def deal_for(actor: Any, deal_id: int | str, *, write: bool = False) -> Deal:
    """The deal if it is the actor's team's (with its pipeline, stage, organisation,
    owner, referral and the people the actor may see); else Http404."""
    try:
        return with_visible_people(
            actor,
            visible_deals(actor).select_related(
                "pipeline",
                "stage",
                "organisation",
                "owner",
                "referral__referrer",
                "referral__referred",
            ),
        ).get(pk=int(deal_id))
    except (Deal.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such deal") from exc


@dataclass(frozen=True)
class Flag:
    """A warning chip on a deal's card: its words, a longer explanation on hover, and
    the test id that names its kind."""

    testid: str
    text: str
    title: str = ""
    warn: bool = True


def _flags(card: Card) -> list[Flag]:
    """The card's chips, in words (the board shows hundreds of cards: made here rather
    than in the template, where each took about a millisecond)."""
    d = card.deal
    found: list[Flag] = []
    for reason in card.winwin.reasons:
        if reason == "benefit_not_above_price":
            text = _(
                "One-sided: the client's benefit (%(benefit)s) does not exceed the price "
                "(%(price)s)"
            ) % {
                "benefit": floatformat(d.client_benefit, "2g"),
                "price": floatformat(d.amount, "2g"),
            }
            found.append(
                Flag(
                    "one-sided",
                    f"⚖ {text}",
                    _(
                        "A deal the client gains nothing from does not last: the next round "
                        "remembers."
                    ),
                )
            )
        elif reason == "negative_margin":
            text = _("One-sided: our margin is negative (%(margin)s)") % {
                "margin": floatformat(d.margin, "2g")
            }
            found.append(Flag("one-sided", f"⚖ {text}"))
    unchecked = card.winwin.missing
    if card.winwin.unchecked and not card.winwin.one_sided:
        if "client_benefit" in unchecked and "margin" in unchecked:
            text = _("Win-win unchecked: no client benefit nor margin written down")
        elif "client_benefit" in unchecked:
            text = _("Win-win unchecked: no client benefit written down")
        else:
            text = _("Win-win unchecked: no margin written down")
        found.append(Flag("unchecked", text, warn=False))
    stale = card.staleness
    if stale is not None and stale.quiet:
        days = stale.idle_days
        text = ngettext(
            "Stale: nothing moved for %(days)s day", "Stale: nothing moved for %(days)s days", days
        ) % {"days": days}
        found.append(Flag("stale", f"◷ {text}"))
    if stale is not None and stale.overdue_days:
        days = stale.overdue_days
        text = ngettext(
            "Next step %(days)s day overdue", "Next step %(days)s days overdue", days
        ) % {"days": days}
        found.append(Flag("overdue", f"◷ {text}"))
    use = card.stoploss
    if use is not None and use.crossed:
        text = _("Stop-loss crossed: %(figures)s. Decide: raise the limit or walk away") % {
            "figures": card.stoploss_figures
        }
        found.append(Flag("stoploss-crossed", f"⛔ {text}"))
    elif use is not None and use.near:
        text = _("80%% of the stop-loss: %(figures)s") % {"figures": card.stoploss_figures}
        found.append(Flag("stoploss-near", f"⚠ {text}"))
    return found


@dataclass
class Card:
    """A deal as the board and the table show it, with its flags."""

    deal: Deal
    winwin: WinWin
    staleness: Staleness | None  # None for a closed deal
    stage_days: int
    stoploss: StopLoss | None = None  # None for a closed deal
    url: str = ""  # the deal's page (set by `board`, made once for all its cards)
    move_url: str = ""

    @property
    def stale(self) -> bool:
        return self.staleness is not None and self.staleness.stale

    @property
    def people(self) -> list[Person]:
        return list(getattr(self.deal, "shown_people", []))

    @property
    def stoploss_figures(self) -> str:
        if self.stoploss is None:
            return ""
        return stoploss_figures(self.stoploss, self.deal.currency)

    @cached_property
    def flags(self) -> list[Flag]:
        return _flags(self)


def card_for(deal: Deal, stage: Stage, today: dt.date) -> Card:
    """A deal's card: its win-win check, whether it went stale, days in its stage."""
    entered = timezone.localtime(deal.stage_entered_at).date()
    stale = None
    if not stage.is_closed:
        touched = max(deal.stage_entered_at, deal.next_step_updated_at)
        stale = staleness(
            last_activity=timezone.localtime(touched).date(),
            next_step_on=deal.next_step_on,
            today=today,
            threshold_days=deal.pipeline.stale_after_days,
        )
    return Card(
        deal=deal,
        winwin=win_win(amount=deal.amount, margin=deal.margin, client_benefit=deal.client_benefit),
        staleness=stale,
        stage_days=max(0, (today - entered).days),
        stoploss=None if stage.is_closed else stop_loss_of(deal),
    )


def stop_loss_of(deal: Deal) -> StopLoss:
    """Where the deal stands against its stop-loss limits."""
    return stop_loss(
        money_invested=deal.invested_money,
        hours_invested=deal.invested_hours,
        money_limit=deal.stoploss_money,
        hours_limit=deal.stoploss_hours,
    )


@dataclass
class Column:
    stage: Stage
    cards: list[Card] = field(default_factory=list)
    older: int = 0  # closed deals older than the board shows
    # Every deal of the stage the board counts (`cards` may hold only the first of them),
    # and their amounts per currency.
    count: int = 0
    sums: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def totals(self) -> list[tuple[str, Decimal]]:
        return self.sums

    @property
    def more(self) -> int:
        """Deals of the stage not shown as cards."""
        return self.count - len(self.cards)

    @property
    def cards_html(self) -> SafeString:
        from rapport.deals.cards import cards_html

        return cards_html(self.cards)


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]

    @property
    def cards(self) -> list[Card]:
        return [card for column in self.columns for card in column.cards]

    @property
    def open_totals(self) -> list[tuple[str, Decimal]]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for column in self.columns:
            if not column.stage.is_closed:
                for currency, total in column.sums:
                    sums[currency] += total
        return sorted(sums.items())


def stage_in(pipeline: Pipeline, value: str | None) -> Stage | None:
    """The pipeline's stage with this id (from a query string), else None."""
    if not value or not str(value).isdigit():
        return None
    return next((s for s in stages_of(pipeline) if s.pk == int(value)), None)


def board(
    actor: Any,
    pipeline: Pipeline,
    *,
    today: dt.date | None = None,
    recent_only: bool = True,
    open_only: bool = False,
    per_stage: int | None = None,
    skip: int = 0,
    only: Stage | None = None,
) -> Board:
    """The pipeline's stages in order, each with its deals' cards (next step first), its
    count and its totals per currency. With `recent_only`, closed stages hold only deals
    closed in the last RECENTLY_CLOSED_DAYS and count the older ones; with `open_only`,
    closed stages are left out; with `only`, just that stage. `per_stage` caps the cards
    of each stage, after the first `skip` (the counts and totals are of all of them)."""
    today = today or timezone.localdate()
    stages = [
        s
        for s in stages_of(pipeline)
        if not (open_only and s.is_closed) and (only is None or s.pk == only.pk)
    ]
    by_stage = {s.pk: s for s in stages}
    # A card names no referral (nor people): the team's deals, without `referral_shown`.
    qs = Deal.objects.filter(team_id=actor.member.team_id, pipeline=pipeline, stage__in=stages)
    columns = {s.pk: Column(stage=s) for s in stages}
    old = Q(pk__in=[])  # nothing
    if recent_only:
        since = timezone.now() - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
        old = Q(stage_id__in=[s.pk for s in stages if s.is_closed], closed_at__lt=since)
    # Every column's count and totals (and the closed deals too old to show) in one pass.
    sums = (
        Deal.objects.filter(team_id=pipeline.team_id, pipeline=pipeline, stage__in=stages)
        .annotate(old=Case(When(old, then=Value(True)), default=Value(False)))
        .order_by()
        .values("stage_id", "currency", "old")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("stage_id", "currency", "old", "n", "total")
    )
    for stage_id, currency, too_old, n, total in sums:
        column = columns[stage_id]
        if too_old:
            column.older += n
            continue
        column.count += n
        # Summed by the database: exact on PostgreSQL (numeric); on SQLite, which keeps
        # decimals as 64-bit floats, exact to the cent below ten billion a stage.
        column.sums.append((currency, Decimal(total or 0).quantize(CENT)))
    for column in columns.values():
        column.sums.sort()
    if recent_only:
        qs = qs.exclude(old)
    # A card names no people: their names are on the deal's page, not loaded here.
    deals = qs.select_related("organisation").order_by("next_step_on", "id")
    if per_stage is not None:
        deals = deals.filter(pk__in=_most_urgent(qs, stages, skip, per_stage))
    detail_url, move_url = links("deal_detail"), links("deal_move")
    for deal in deals:
        deal.pipeline = pipeline
        stage = by_stage[deal.stage_id]
        deal.stage = stage
        card = card_for(deal, stage, today)
        card.url, card.move_url = detail_url(deal.pk), move_url(deal.pk)
        columns[stage.pk].cards.append(card)
    return Board(pipeline=pipeline, columns=list(columns.values()))


def _most_urgent(qs: QuerySet[Deal], stages: list[Stage], skip: int, count: int) -> list[int]:
    """The ids of each stage's `count` most urgent deals of `qs` (next step first) after
    the first `skip`: by the index on (stage, next step, id), read in order without a
    sort. One statement, each stage's part a sub-select of its own (Django puts no LIMIT
    inside a UNION on SQLite)."""
    if count <= 0 or not stages:
        return []
    parts = [
        qs.filter(stage_id=s.pk)
        .order_by("next_step_on", "id")
        .values_list("pk", flat=True)[skip : skip + count]
        .query.sql_with_params()
        for s in stages
    ]
    sql = " UNION ALL ".join(
        f"SELECT * FROM ({part}) AS s{n}"  # noqa: S608 - SQL made by the ORM, values are parameters
        for n, (part, _params) in enumerate(parts)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for _sql, params in parts for value in params])
        return [pk for (pk,) in cursor.fetchall()]


@dataclass
class HistoryEntry:
    change: StageChange
    days: int  # days spent in the stage entered here (to now, for the current one)
    current: bool


def stage_history(deal: Deal, *, now: dt.datetime | None = None) -> list[HistoryEntry]:
    """The stages the deal went through, oldest first, with the days spent in each."""
    now = now or timezone.now()
    changes = list(
        StageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "by")
        .order_by("at", "id")
    )
    entries = []
    for index, change in enumerate(changes):
        last = index == len(changes) - 1
        until = now if last else changes[index + 1].at
        if last and deal.closed_at is not None:
            until = deal.closed_at
        entries.append(
            HistoryEntry(change=change, days=max(0, (until - change.at).days), current=last)
        )
    return entries


def deals_won_by_referral(referral_ids: Iterable[int]) -> dict[int, int]:
    """How many deals each referral led to that were won, by referral id."""
    rows = (
        Deal.objects.filter(referral_id__in=list(referral_ids), stage__outcome=Stage.Outcome.WON)
        .order_by()
        .values("referral_id")
        .annotate(n=Count("pk"))
        .values_list("referral_id", "n")
    )
    return {int(r): int(n) for r, n in rows}


def teammates(actor: Any) -> list[tuple[int, str]]:
    """The actor's team's active users as (id, name), for choosing a deal's owner."""
    users = (
        get_user_model()
        .objects.filter(member__team_id=actor.member.team_id, is_active=True)
        .select_related("member__person")
        .order_by("username")
    )
    return [
        (u.pk, u.member.person.display_name if u.member.person else u.get_username()) for u in users
    ]


def referral_choices(actor: Any, *, limit: int = 200) -> list[tuple[int, str]]:
    """Referrals the actor may see, newest first, as (id, "referrer → referred, date")."""
    rows = visible_referrals(actor).select_related("referrer", "referred")[:limit]
    return [
        (r.pk, f"{r.referrer.display_name} → {r.referred.display_name}, {r.referred_on}")
        for r in rows
    ]


def organisation_names(actor: Any, *, limit: int = 500) -> list[str]:
    return list(
        Organisation.objects.filter(team_id=actor.member.team_id)
        .order_by("name")
        .values_list("name", flat=True)[:limit]
    )


def organisation_named(actor: Any, name: str) -> Organisation | None:
    """The team's organisation called `name` (any case), else None."""
    name = name.strip()
    if not name:
        return None
    return (
        Organisation.objects.filter(team_id=actor.member.team_id)
        .filter(Q(name__iexact=name) | Q(name_romanised__iexact=name))
        .first()
    )


def people_named(actor: Any, names: Iterable[str]) -> tuple[list[Person], list[str]]:
    """The people the actor may see with each of these display names, and for each name
    that matches nobody or more than one person, an error saying so."""
    found: list[Person] = []
    errors: list[str] = []
    for name in names:
        matches = list(visible_people(actor).filter(display_name__iexact=name)[:2])
        if not matches:
            errors.append(_("nobody called “%(name)s” in your book") % {"name": name})
        elif len(matches) > 1:
            errors.append(_("more than one person is called “%(name)s”") % {"name": name})
        else:
            found.append(matches[0])
    return found, errors


def open_deals(actor: Any, pipeline: Pipeline | None = None) -> list[Board]:
    """Open deals by stage for each of the team's pipelines (or only `pipeline`)."""
    chosen = [pipeline] if pipeline is not None else list(pipelines(actor))
    return [board(actor, p, open_only=True) for p in chosen]


# -- the stop-loss -----------------------------------------------------------------------


def investments_of(deal: Deal) -> list[Investment]:
    """The deal's investment entries, newest first, with who logged them."""
    return list(
        Investment.objects.filter(deal=deal)
        .select_related("by__member__person")
        .order_by("-on", "-id")
    )


def stoploss_decisions_of(deal: Deal) -> list[StopLossDecision]:
    """The decisions taken when the deal crossed its stop-loss, oldest first."""
    return list(
        StopLossDecision.objects.filter(deal=deal)
        .select_related("by__member__person")
        .order_by("at", "id")
    )


def near_stoploss(actor: Any) -> list[Deal]:
    """The actor's open deals at 80% or more of a stop-loss limit: those that crossed it
    (waiting for a decision) first, then the nearest to crossing. One query: the
    database picks the candidates loosely, the exact check is Decimal, here."""
    loose = Decimal("0.79")
    candidates = (
        Deal.objects.filter(
            team_id=actor.member.team_id,
            owner_id=actor.pk,
            closed_at__isnull=True,
            stage__outcome=Stage.Outcome.OPEN,
        )
        .filter(
            Q(stoploss_money__isnull=False, invested_money__gte=F("stoploss_money") * loose)
            | Q(stoploss_hours__isnull=False, invested_hours__gte=F("stoploss_hours") * loose)
        )
        .select_related("organisation")
        .order_by("id")
    )
    found = [(stop_loss_of(d), d) for d in candidates]
    flagged = [(use, d) for use, d in found if use.flagged]

    def most_used(use: StopLoss) -> int:
        return max(use.money_percent or 0, use.hours_percent or 0)

    flagged.sort(key=lambda pair: (not pair[0].crossed, -most_used(pair[0]), pair[1].pk))
    for use, deal in flagged:
        deal.stoploss = use  # type: ignore[attr-defined]
    return [deal for _use, deal in flagged]


def hours_text(value: Decimal) -> str:
    """Hours without trailing zeros: 31, 7.5."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def stoploss_figures(use: StopLoss, currency: str) -> str:
    """What is invested against each limit, in words: "4,100.00 EUR of 5,000.00 EUR and
    31 of 40 hours" (a part for each limit the deal has)."""
    parts = []
    if use.money_limit is not None:
        parts.append(
            _("%(invested)s of %(limit)s")
            % {
                "invested": f"{use.money_invested:,.2f} {currency}",
                "limit": f"{use.money_limit:,.2f} {currency}",
            }
        )
    if use.hours_limit is not None:
        parts.append(
            _("%(invested)s of %(limit)s hours")
            % {"invested": hours_text(use.hours_invested), "limit": hours_text(use.hours_limit)}
        )
    if len(parts) == 2:
        return _("%(money)s and %(hours)s") % {"money": parts[0], "hours": parts[1]}
    return parts[0] if parts else ""
