"""`rapport gifts`: the gift register in the terminal, registered by rapport/cli.py."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer


def gifts_command(
    person: Annotated[
        str | None, typer.Option(help="Only this person's gifts, by name as in the book")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Only this calendar year")] = None,
    over_limit: Annotated[
        bool, typer.Option("--over-limit", help="Only the entries over the limits")
    ] = False,
    user: Annotated[str | None, typer.Option(help="Whose view (default: the only user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Gifts and hospitality given and received, with totals per currency; entries over
    the team's limits are flagged with their reason.

    Example: rapport gifts --person "Wang Xiaoming" --year 2026
    """
    from rapport import cli

    cli._setup()
    from django.utils import translation

    from rapport.deals.queries import people_named
    from rapport.gifts import queries, services

    actor = cli._user_named(user or cli._trust_user())
    with translation.override(actor.member.language):
        chosen = None
        if person is not None:
            found, errors = people_named(actor, [person.strip()])
            if errors:
                cli._fail(errors[0])
            chosen = found[0]
        if year is not None and not 1 <= year <= 9999:
            cli._fail("--year takes a year such as 2026")
        register = queries.register(actor, person=chosen, year=year, over_only=over_limit)
        policy = services.policy_of(actor)
        if as_json:
            data = {
                "policy": {
                    "currency": policy.currency,
                    "per_gift_limit": _money(policy.per_gift_limit),
                    "per_person_year_limit": _money(policy.per_person_year_limit),
                },
                "totals": {
                    "given": {c: str(t) for c, t in register.given},
                    "received": {c: str(t) for c, t in register.received},
                },
                "over_limit": register.over_limit,
                "gifts": [queries.gift_as_json(g) for g in register.gifts],
            }
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        _print(register)


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def _line(totals: list[Any]) -> str:
    return " · ".join(f"{total:,.2f} {currency}" for currency, total in totals) or "—"


def _print(register: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    title = f"Given {_line(register.given)}; received {_line(register.received)}"
    if register.over_limit:
        title += f"; {register.over_limit} over the limits"
    table = Table(title=title)
    for name in ("Date", "Person", "Direction", "What", "Occasion", "Value", "Flag"):
        table.add_column(name, justify="right" if name == "Value" else "left")
    for gift in register.gifts:
        flag = ""
        if gift.over_limit:
            flag = "over limit"
            if gift.reason:
                flag += f": {escape(gift.reason)}"
        table.add_row(
            gift.given_on.isoformat(),
            escape(gift.person.display_name),
            gift.direction,
            f"{escape(gift.description)} ({gift.kind})",
            gift.occasion.replace("_", " "),
            f"{gift.value:,.2f} {gift.currency}",
            flag,
        )
    Console(width=160).print(table)
