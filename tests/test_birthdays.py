"""Birthdays in both calendars: known dates, and properties over many random ones."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lunardate import LunarDate

from rapport.people.birthdays import (
    Birthday,
    BirthdayError,
    age_on,
    days_between,
    next_occurrence,
    validate,
)

days_in_range = st.dates(min_value=dt.date(1902, 1, 1), max_value=dt.date(2097, 12, 31))
solar_birthdays = st.builds(
    lambda m, d, y: Birthday("solar", m, d, y),
    st.integers(1, 12),
    st.integers(1, 28),
    st.one_of(st.none(), st.integers(1900, 2020)),
)
lunar_birthdays = st.builds(
    lambda m, d: Birthday("lunar", m, d), st.integers(1, 12), st.integers(1, 30)
)


def test_mid_autumn_lunar_birthday_falls_on_the_festival_in_2026():
    assert next_occurrence(Birthday("lunar", 8, 15), dt.date(2026, 1, 1)) == dt.date(2026, 9, 25)


def test_lunar_new_year_birthday_comes_with_the_new_year():
    assert next_occurrence(Birthday("lunar", 1, 1), dt.date(2026, 2, 18)) == dt.date(2027, 2, 6)
    assert next_occurrence(Birthday("lunar", 1, 1), dt.date(2026, 2, 17)) == dt.date(2026, 2, 17)


def test_a_lunar_birthday_late_in_the_year_may_still_belong_to_the_previous_lunar_year():
    # 29th of the 12th month of lunar 2025 is 16 February 2026.
    assert next_occurrence(Birthday("lunar", 12, 29), dt.date(2026, 1, 10)) == dt.date(2026, 2, 16)


def test_day_30_of_a_short_lunar_month_is_kept_on_day_29():
    # Month 12 of lunar 2025 has 29 days.
    assert next_occurrence(Birthday("lunar", 12, 30), dt.date(2026, 1, 10)) == dt.date(2026, 2, 16)


def test_29_february_is_kept_on_28_february_in_common_years():
    assert next_occurrence(Birthday("solar", 2, 29), dt.date(2027, 1, 1)) == dt.date(2027, 2, 28)
    assert next_occurrence(Birthday("solar", 2, 29), dt.date(2028, 1, 1)) == dt.date(2028, 2, 29)


def test_it_rejects_impossible_birthdays_naming_the_field():
    with pytest.raises(BirthdayError) as err:
        validate(Birthday("solar", 2, 30))
    assert err.value.field == "birth_day"
    with pytest.raises(BirthdayError) as err:
        validate(Birthday("solar", 13, 1))
    assert err.value.field == "birth_month"
    with pytest.raises(BirthdayError) as err:
        validate(Birthday("solar", 2, 29, year=2023))
    assert err.value.field == "birth_day"
    with pytest.raises(BirthdayError) as err:
        validate(Birthday("lunar", 6, 1, year=2026, leap_month=True))  # 2026 has no leap 6th
    assert err.value.field == "birth_leap_month"
    with pytest.raises(BirthdayError) as err:
        validate(Birthday("solar", 5, 1, leap_month=True))
    assert err.value.field == "birth_leap_month"


def test_a_real_leap_month_birthday_is_accepted():
    validate(Birthday("lunar", 6, 10, year=2025, leap_month=True))  # 2025 has a leap 6th month


def test_age_counts_completed_years():
    b = Birthday("solar", 11, 22, year=1980)
    assert age_on(b, dt.date(2026, 11, 21)) == 45
    assert age_on(b, dt.date(2026, 11, 22)) == 46
    assert age_on(Birthday("solar", 1, 1), dt.date(2026, 1, 1)) is None


@given(solar_birthdays, days_in_range)
def test_next_solar_occurrence_is_the_same_day_within_a_year(b, today):
    when = next_occurrence(b, today)
    assert today <= when < today + dt.timedelta(days=366)
    assert (when.month, when.day) == (b.month, b.day)


@given(lunar_birthdays, days_in_range)
def test_next_lunar_occurrence_is_that_lunar_day_within_a_lunar_year(b, today):
    when = next_occurrence(b, today)
    # A lunar year with a leap month has up to 385 days.
    assert today <= when <= today + dt.timedelta(days=385)
    lunar = LunarDate.from_solar_date(when.year, when.month, when.day)
    assert lunar.month == b.month and not lunar.is_leap_month
    assert lunar.day == b.day or (b.day == 30 and lunar.day == 29)


@given(lunar_birthdays, days_in_range)
def test_no_earlier_day_from_today_is_the_lunar_birthday(b, today):
    when = next_occurrence(b, today)
    # The day before the answer, if not before today, is not the birthday.
    day_before = when - dt.timedelta(days=1)
    if day_before >= today:
        lunar = LunarDate.from_solar_date(day_before.year, day_before.month, day_before.day)
        assert not (lunar.month == b.month and lunar.day == b.day and not lunar.is_leap_month)


@given(st.integers(1, 12), st.integers(1, 31), st.one_of(st.none(), st.integers(1, 9999)))
def test_validate_accepts_exactly_the_real_solar_dates(month, day, year):
    try:
        dt.date(year or 2000, month, day)
        real = True
    except ValueError:
        real = False
    try:
        validate(Birthday("solar", month, day, year))
        accepted = True
    except BirthdayError:
        accepted = False
    assert accepted == real


@given(st.one_of(solar_birthdays, lunar_birthdays), days_in_range, st.integers(0, 60))
def test_a_birthday_in_the_window_is_one_of_its_days(b, today, days):
    end = today + dt.timedelta(days=days)
    solar, lunar = days_between(today, end)
    if next_occurrence(b, today) <= end:
        assert (b.month, b.day) in (solar if b.calendar == "solar" else lunar)
