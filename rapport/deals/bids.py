"""Every write to competitors, tenders and bids: each validates everything first,
changes atomically and leaves an audit entry. Views, the API and the CLI call only these.

A tender's money is in its deal's currency. Bad input is refused naming the field, and
nothing is half-saved: a competitor typed new is created only with the tender it is in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rapport.accounts.services import audit_record
from rapport.deals.models import Bid, Competitor, Deal, Stage, Tender
from rapport.deals.services import BIGGEST_ID, money

MAX_BIDDERS = 1000
MAX_COMPETITORS = 50


def _name(value: Any, field: str) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ValidationError({field: _("a competitor needs a name")})
    if len(name) > 200:
        raise ValidationError({field: _("at most 200 characters")})
    return name


def competitor_named(actor: Any, name: str) -> Competitor | None:
    """The team's competitor called `name` (any case), if there is one."""
    return (
        Competitor.objects.filter(team_id=actor.member.team_id, name__iexact=name.strip())
        .order_by("id")
        .first()
    )


@transaction.atomic
def competitor_create(*, actor: Any, name: str) -> Competitor:
    """A new competitor on the team's list; a name already there (any case) is refused."""
    name = _name(name, "name")
    if competitor_named(actor, name) is not None:
        raise ValidationError(
            {"name": _("there is already a competitor called “%(name)s”") % {"name": name}}
        )
    competitor = Competitor.objects.create(team_id=actor.member.team_id, name=name)
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="competitor.create",
        obj=competitor,
        summary=name,
    )
    return competitor


@dataclass
class _Entry:
    competitor: Competitor | None  # None: typed new, made when the tender is saved
    name: str
    amount: Decimal | None


def _entries(actor: Any, bids: Iterable[Mapping[str, Any]]) -> list[_Entry]:
    if isinstance(bids, str | bytes) or not isinstance(bids, Iterable):
        raise ValidationError({"competitors": _("a list of competitors")})
    rows = list(bids)
    if len(rows) > MAX_COMPETITORS:
        raise ValidationError({"competitors": _("at most %(n)d competitors") % {"n": 50}})
    team_id = actor.member.team_id
    entries: list[_Entry] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        field = f"competitors[{index}]"
        if not isinstance(row, Mapping):
            raise ValidationError({field: _("a competitor and its bid")})
        ref = row.get("competitor")
        found: Competitor | None = None
        if ref not in (None, ""):
            try:
                pk = int(str(ref))
                if isinstance(ref, bool) or not 0 < pk <= BIGGEST_ID:
                    raise ValueError
            except (TypeError, ValueError) as exc:
                raise ValidationError({f"{field}.competitor": _("no such competitor")}) from exc
            found = Competitor.objects.filter(team_id=team_id, pk=pk).first()
            if found is None:
                raise ValidationError(
                    {f"{field}.competitor": _("no such competitor: %(id)s") % {"id": pk}}
                )
            name = found.name
        else:
            name = _name(row.get("name"), f"{field}.name")
            found = competitor_named(actor, name)
            name = found.name if found is not None else name
        if name.lower() in seen:
            raise ValidationError(
                {f"{field}.name": _("“%(name)s” is named twice") % {"name": name}}
            )
        seen.add(name.lower())
        amount = money(row.get("amount"), f"{field}.amount")
        entries.append(_Entry(competitor=found, name=name, amount=amount))
    return entries


def _bidders(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value)
        if isinstance(value, float | Decimal) and number != value:
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ValidationError({"bidders": _("a whole number of bidders")}) from exc
    if not 1 <= number <= MAX_BIDDERS:
        raise ValidationError({"bidders": _("from 1 to %(n)d bidders") % {"n": MAX_BIDDERS}})
    return number


@transaction.atomic
def tender_save(
    *,
    actor: Any,
    deal: Deal,
    bidders: Any = None,
    our_bid: Any = None,
    winning_price: Any = None,
    winner: Any = None,
    competitors: Iterable[Mapping[str, Any]] = (),
    notes: str = "",
) -> Tender:
    """Mark the deal as a tender, or change its tender, as a whole: the number of
    bidders (at least the competitors named plus us), our bid, the competitors (each
    from the team's list by id, or by name, new names added to the list) with their bids
    where known, and once the deal is closed the winning price and, when we lost, the
    competitor who won (one of those named)."""
    deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
    if deal.team_id != actor.member.team_id:
        raise ValidationError({"deal": _("no such deal")})
    entries = _entries(actor, competitors)
    count = _bidders(bidders)
    if count is not None and count < len(entries) + 1:
        raise ValidationError(
            {
                "bidders": _(
                    "%(n)d competitors are named, so there were at least %(least)d bidders "
                    "(with us)"
                )
                % {"n": len(entries), "least": len(entries) + 1}
            }
        )
    bid = money(our_bid, "our_bid")
    price = money(winning_price, "winning_price")
    outcome = deal.stage.outcome
    if price is not None and outcome == Stage.Outcome.OPEN:
        raise ValidationError(
            {"winning_price": _("the deal is still open: the winning price comes once it closes")}
        )
    winner_name = " ".join(str(winner or "").split()) if not isinstance(winner, int) else ""
    chosen: _Entry | None = None
    if winner not in (None, ""):
        if outcome == Stage.Outcome.OPEN:
            raise ValidationError({"winner": _("the deal is still open: nobody has won it yet")})
        if outcome == Stage.Outcome.WON:
            raise ValidationError({"winner": _("we won this deal")})
        for entry in entries:
            if (
                isinstance(winner, int)
                and entry.competitor is not None
                and entry.competitor.pk == winner
            ) or (winner_name and entry.name.lower() == winner_name.lower()):
                chosen = entry
                break
        if chosen is None:
            raise ValidationError(
                {"winner": _("the winner must be one of the competitors named in the tender")}
            )
    notes = (notes or "").strip()
    if len(notes) > 10000:
        raise ValidationError({"notes": _("at most 10000 characters")})

    for entry in entries:
        if entry.competitor is None:
            entry.competitor = Competitor.objects.create(team_id=deal.team_id, name=entry.name)
    tender, created = Tender.objects.select_for_update().get_or_create(
        deal=deal, defaults={"team_id": deal.team_id, "currency": deal.currency}
    )
    before = None if created else _snapshot(tender)
    tender.currency = deal.currency
    tender.bidders = count
    tender.our_bid = bid
    tender.winning_price = price
    tender.winner = chosen.competitor if chosen is not None else None
    tender.notes = notes
    tender.save()
    tender.bids.all().delete()
    Bid.objects.bulk_create(
        Bid(tender=tender, competitor=e.competitor, amount=e.amount, currency=deal.currency)
        for e in entries
        if e.competitor is not None
    )
    after = _snapshot(tender)
    if after != before:
        audit_record(
            actor=actor,
            team=actor.member.team,
            action="tender.create" if created else "tender.update",
            obj=deal,
            summary=deal.title,
            changes=after if before is None else {"before": before, "after": after},
        )
    return tender


def _snapshot(tender: Tender) -> dict[str, Any]:
    return {
        "bidders": tender.bidders,
        "our_bid": None if tender.our_bid is None else str(tender.our_bid),
        "winning_price": None if tender.winning_price is None else str(tender.winning_price),
        "winner": tender.winner.name if tender.winner_id and tender.winner else None,
        "competitors": [
            [b.competitor.name, None if b.amount is None else str(b.amount)]
            for b in tender.bids.select_related("competitor").order_by("id")
        ],
        "currency": tender.currency,
    }


@transaction.atomic
def tender_remove(*, actor: Any, deal: Deal) -> None:
    """The deal is no longer a tender: its tender and bids go (competitors stay listed)."""
    if deal.team_id != actor.member.team_id:
        raise ValidationError({"deal": _("no such deal")})
    tender = Tender.objects.select_for_update().filter(deal_id=deal.pk).first()
    if tender is None:
        return
    before = _snapshot(tender)
    tender.delete()
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="tender.remove",
        obj=deal,
        summary=deal.title,
        changes=before,
    )
