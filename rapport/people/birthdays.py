"""Birthdays in the solar or the Chinese lunar calendar: validation and next occurrence.

Pure functions over plain values (no Django), so they can be property-tested alone.
Rules we follow, as families usually do:
- a 29 February birthday is kept on 28 February in common years;
- a lunar birthday is kept in the ordinary month of that number each year, even if it
  fell in a leap month; day 30 of a short (29-day) lunar month is kept on day 29.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Literal

from lunardate import LunarDate

CalendarKind = Literal["solar", "lunar"]
# lunardate's tables run from 1900 to 2099.
LUNAR_FIRST_YEAR = 1900
LUNAR_LAST_YEAR = 2099


def gettext_noop(message: str) -> str:
    """Marks a message for translation (found by makemessages) without importing Django."""
    return message


class BirthdayError(ValueError):
    """A birthday that cannot exist, with the field that is wrong.

    `template % params` is the English message; callers may translate `template` first."""

    def __init__(self, field: str, template: str, **params: object) -> None:
        self.field = field
        self.template = template
        self.params = params
        self.message = template % params
        super().__init__(self.message)


@dataclass(frozen=True)
class Birthday:
    calendar: CalendarKind
    month: int
    day: int
    year: int | None = None
    leap_month: bool = False


def validate(b: Birthday) -> None:
    """Raise BirthdayError naming the field if `b` is not a real date in its calendar."""
    if b.calendar not in ("solar", "lunar"):
        raise BirthdayError(
            "birth_calendar", gettext_noop("unknown calendar %(value)s"), value=b.calendar
        )
    if not 1 <= b.month <= 12:
        raise BirthdayError("birth_month", gettext_noop("month must be between 1 and 12"))
    if b.calendar == "solar":
        if b.leap_month:
            raise BirthdayError(
                "birth_leap_month", gettext_noop("only a lunar birthday can be in a leap month")
            )
        # 2000 is a leap year, so 29 February is allowed when the year is unknown.
        year = b.year if b.year is not None else 2000
        if b.year is not None and not 1 <= b.year <= 9999:
            raise BirthdayError("birth_year", gettext_noop("year is out of range"))
        last = calendar.monthrange(year, b.month)[1]
        if not 1 <= b.day <= last:
            raise BirthdayError(
                "birth_day",
                gettext_noop("day must be between 1 and %(last)s for that month"),
                last=last,
            )
        return
    if not 1 <= b.day <= 30:
        raise BirthdayError("birth_day", gettext_noop("a lunar day is between 1 and 30"))
    if b.year is None:
        if b.leap_month:
            raise BirthdayError("birth_year", gettext_noop("a leap-month birthday needs its year"))
        return
    if not LUNAR_FIRST_YEAR <= b.year <= LUNAR_LAST_YEAR:
        raise BirthdayError(
            "birth_year",
            gettext_noop("lunar dates are supported from %(first)s to %(last)s"),
            first=LUNAR_FIRST_YEAR,
            last=LUNAR_LAST_YEAR,
        )
    try:
        LunarDate(b.year, b.month, b.day, b.leap_month).to_solar_date()
    except ValueError as exc:
        field = "birth_leap_month" if "month" in str(exc) else "birth_day"  # lunardate's wording
        raise BirthdayError(
            field,
            gettext_noop("there is no such lunar date in %(year)s"),
            year=b.year,
        ) from exc


def _solar_in_year(month: int, day: int, year: int) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day, last))


def _lunar_in_year(month: int, day: int, lunar_year: int) -> dt.date:
    try:
        return LunarDate(lunar_year, month, day).to_solar_date()
    except ValueError:
        return LunarDate(lunar_year, month, day - 1).to_solar_date()


def occurrence_in(b: Birthday, lunar_or_solar_year: int) -> dt.date:
    """The solar date on which the birthday is kept in the given year of its calendar."""
    if b.calendar == "solar":
        return _solar_in_year(b.month, b.day, lunar_or_solar_year)
    return _lunar_in_year(b.month, b.day, lunar_or_solar_year)


def next_occurrence(b: Birthday, today: dt.date) -> dt.date:
    """The first solar date on or after `today` on which the birthday is kept."""
    if b.calendar == "solar":
        this_year = _solar_in_year(b.month, b.day, today.year)
        return this_year if this_year >= today else _solar_in_year(b.month, b.day, today.year + 1)
    # A lunar year starts in late January or February, so the solar year's birthday may
    # belong to the previous lunar year: try the lunar years around today in order.
    for lunar_year in (today.year - 1, today.year, today.year + 1):
        if not LUNAR_FIRST_YEAR <= lunar_year <= LUNAR_LAST_YEAR:
            continue
        candidate = _lunar_in_year(b.month, b.day, lunar_year)
        if candidate >= today:
            return candidate
    raise BirthdayError("birth_year", gettext_noop("the date is outside the supported lunar range"))


def days_between(start: dt.date, end: dt.date) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The solar and the lunar (month, day) pairs on which a birthday kept between
    `start` and `end` (inclusive) can be recorded. A 29 February birthday is kept on
    28 February, and a lunar day 30 on day 29 of a short month, so those are added."""
    solar: set[tuple[int, int]] = set()
    lunar: set[tuple[int, int]] = set()
    day = start
    while day <= end:
        solar.add((day.month, day.day))
        if (day.month, day.day) == (2, 28):
            solar.add((2, 29))
        if LUNAR_FIRST_YEAR <= day.year <= LUNAR_LAST_YEAR:
            moon = LunarDate.from_solar_date(day.year, day.month, day.day)
            if not moon.is_leap_month:
                lunar.add((moon.month, moon.day))
                if moon.day == 29:
                    lunar.add((moon.month, 30))
        day += dt.timedelta(days=1)
    return solar, lunar


def age_on(b: Birthday, when: dt.date) -> int | None:
    """Completed years on `when` (by the calendar the birthday is kept in), if the year is known."""
    if b.year is None:
        return None
    if b.calendar == "solar":
        kept = _solar_in_year(b.month, b.day, when.year)
        return when.year - b.year - (1 if when < kept else 0)
    lunar_today = LunarDate.from_solar_date(when.year, when.month, when.day)
    kept = _lunar_in_year(b.month, b.day, lunar_today.year)
    return lunar_today.year - b.year - (1 if when < kept else 0)
