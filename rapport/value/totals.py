"""Totals of a value ledger: money per currency, hours, and how much the client has not
yet been told of. Pure: plain values in, plain values out, no Django.

Money is summed per currency, never across currencies and never in floats."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, TypeVar


class Entry(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def amount(self) -> Decimal | None: ...

    @property
    def currency(self) -> str: ...

    @property
    def hours(self) -> Decimal | None: ...

    @property
    def told_at(self) -> object: ...


@dataclass
class Totals:
    """What a set of items adds up to."""

    count: int = 0
    money: dict[str, Decimal] = field(default_factory=dict)
    hours: Decimal = Decimal("0.00")
    not_told: int = 0

    @property
    def money_rows(self) -> list[tuple[str, Decimal]]:
        """(currency, total), currencies in alphabetical order."""
        return sorted(self.money.items())

    def add(self, entry: Entry) -> None:
        self.count += 1
        if entry.amount is not None and entry.currency:
            self.money[entry.currency] = self.money.get(entry.currency, Decimal("0.00")) + (
                entry.amount
            )
        if entry.hours is not None:
            self.hours += entry.hours
        if entry.told_at is None:
            self.not_told += 1


def totals(entries: Iterable[Entry]) -> Totals:
    """The totals of `entries`."""
    out = Totals()
    for entry in entries:
        out.add(entry)
    return out


E = TypeVar("E", bound=Entry)


def by_kind(entries: Iterable[E], order: Iterable[str]) -> list[tuple[str, list[E], Totals]]:
    """The entries grouped by kind in the given order of kinds (kinds not in it last,
    alphabetically), each group with its totals; empty kinds left out. Within a group
    the entries keep the order they came in."""
    groups: dict[str, list[E]] = {}
    for entry in entries:
        groups.setdefault(entry.kind, []).append(entry)
    ranked = list(order)
    keys = sorted(groups, key=lambda k: (ranked.index(k) if k in ranked else len(ranked), k))
    return [(k, groups[k], totals(groups[k])) for k in keys]
