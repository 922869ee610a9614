"""The board's deal cards as HTML, made in Python.

A board shows up to 25 cards a stage, 150 or more in all. Through the template engine
each card cost about half a millisecond (variable lookups, filters, nested tags); here a
card is one f-string of escaped values. Every value that comes from a user goes through
`html.escape`; the words are the same translated messages as the rest of the deal pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from rapport.deals.queries import Card


def _flags(card: Card) -> str:
    chips = "".join(
        f'<span class="chip{" warn" if flag.warn else ""}" data-testid="{flag.testid}"'
        + (f' title="{escape(flag.title)}"' if flag.title else "")
        + f">{escape(flag.text)}</span>"
        for flag in card.flags
    )
    return f'<div class="deal-flags">{chips}</div>'


def card_html(card: Card, next_word: str, day: str) -> str:
    """One card: title (a link to the deal), organisation, amount, next step and its
    date `day` (marked when overdue), and its warning chips."""
    d = card.deal
    classes = "deal-card"
    if card.winwin.one_sided:
        classes += " one-sided"
    if card.stale:
        classes += " stale"
    overdue = ' class="warn"' if card.staleness is not None and card.staleness.overdue_days else ""
    organisation = (
        f'<div class="small muted">{escape(d.organisation.name)}</div>'
        if d.organisation is not None
        else ""
    )
    return (
        f'<article class="{classes}" data-deal="{d.pk}" data-move-url="{escape(card.move_url)}"'
        f' data-testid="deal-card"><a class="deal-title" href="{escape(card.url)}">'
        f"{escape(d.title)}</a>{organisation}"
        f'<div class="deal-amount"><b>{floatformat(d.amount, "2g")}</b> {escape(d.currency)}</div>'
        f'<div class="small">{escape(next_word)}: {escape(d.next_step)} · '
        f"<span{overdue}>{escape(day)}</span></div>"
        f"{_flags(card)}</article>"
    )


def cards_html(cards: Iterable[Card]) -> SafeString:
    """A column's cards, one after the other."""
    next_word = _("Next")
    days: dict[dt.date, str] = {}
    out = []
    for card in cards:
        when = card.deal.next_step_on
        if when not in days:
            days[when] = date_format(when, "DATE_FORMAT")
        out.append(card_html(card, next_word, days[when]))
    return mark_safe("\n".join(out))  # noqa: S308 - every value in them is escaped above
