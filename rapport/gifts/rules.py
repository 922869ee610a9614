"""When a gift is over the policy, and what it tells the trust model. Pure: no Django.

A limit of None means no limit. Money is Decimal throughout; a limit applies only to
entries in its own currency (there is no exchange rate to compare another with)."""

from __future__ import annotations

from decimal import Decimal

GIFT = "gift"
YEAR = "year"

# Occasions that are about the person rather than the business: a birthday, a festival,
# a thank-you. A gift at a deal's closing is business, and tells nothing of closeness.
PERSONAL_OCCASIONS = frozenset(
    {"birthday", "spring_festival", "mid_autumn", "festival", "thank_you"}
)


def limits_crossed(
    value: Decimal,
    year_total_before: Decimal,
    per_gift: Decimal | None,
    per_year: Decimal | None,
) -> tuple[str, ...]:
    """Which limits an entry of `value` crosses, given the person's total that calendar
    year in the same direction before it (this entry left out): "gift", "year", both or
    none. Reaching a limit exactly is within it."""
    crossed: list[str] = []
    if per_gift is not None and value > per_gift:
        crossed.append(GIFT)
    if per_year is not None and year_total_before + value > per_year:
        crossed.append(YEAR)
    return tuple(crossed)


def trust_kinds(over_limit: bool, occasion: str) -> tuple[str, ...]:
    """The trust events one register entry stands for (keys of trust.weights.RULES).

    Over the limit, either way: the relationship is drifting from professional
    distance, which costs intimacy (a boundary crossed) and shows self-interest
    (independence bought or sold). Within the policy, on a personal occasion: a small
    sign of knowing the person. Anything else (a closing gift within the policy): none."""
    if over_limit:
        return ("gift_over_limit", "gift_obligation")
    if occasion in PERSONAL_OCCASIONS:
        return ("gift_personal",)
    return ()
