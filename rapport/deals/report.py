"""Open deals by stage with totals, as plain data for `rapport deals` (JSON or a table)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rapport.deals.queries import Board, Card


def _totals(pairs: list[tuple[str, Decimal]]) -> dict[str, str]:
    # Decimal strings: money never passes through a float on its way out.
    return {currency: str(total) for currency, total in pairs}


def _card(card: Card) -> dict[str, Any]:
    d = card.deal
    return {
        "id": d.pk,
        "title": d.title,
        "organisation": d.organisation.name if d.organisation else None,
        "amount": str(d.amount),
        "currency": d.currency,
        "next_step": d.next_step,
        "next_step_on": d.next_step_on.isoformat(),
        "days_in_stage": card.stage_days,
        "one_sided": list(card.winwin.reasons),
        "stale": card.stale,
        "stoploss": None if card.stoploss is None else _stoploss(card),
    }


def _stoploss(card: Card) -> dict[str, Any]:
    use = card.stoploss
    assert use is not None
    return {
        "status": use.status,
        "money_invested": str(use.money_invested),
        "money_limit": None if use.money_limit is None else str(use.money_limit),
        "money_percent": use.money_percent,
        "hours_invested": str(use.hours_invested),
        "hours_limit": None if use.hours_limit is None else str(use.hours_limit),
        "hours_percent": use.hours_percent,
    }


def flags(card: Card) -> list[str]:
    """The card's warnings in words, as its chips say them on the board."""
    return [flag.text for flag in card.flags]


def boards_as_json(boards: list[Board]) -> dict[str, Any]:
    """Each pipeline's open stages with their deals and totals per currency."""
    return {
        "pipelines": [
            {
                "id": b.pipeline.pk,
                "name": b.pipeline.name,
                "totals": _totals(b.open_totals),
                "stages": [
                    {
                        "id": col.stage.pk,
                        "name": col.stage.name,
                        "count": len(col.cards),
                        "totals": _totals(col.totals),
                        "deals": [_card(c) for c in col.cards],
                    }
                    for col in b.columns
                ],
            }
            for b in boards
        ]
    }


def money_line(pairs: list[tuple[str, Decimal]]) -> str:
    return " + ".join(f"{total:,.2f} {currency}" for currency, total in pairs) or "0"
