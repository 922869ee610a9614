"""Checks shared by the services: instants given by a caller, and error field names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def aware_instant(value: Any, field: str) -> dt.datetime | None:
    """`value` as a time-zone-aware datetime (None stays None), or an error on `field`."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise ValidationError({field: _("a date and time is required")})
    if value.tzinfo is None:
        raise ValidationError({field: _("the time must carry a time zone")})
    try:
        value.astimezone(dt.UTC)  # a zone offset can push year 1 or 9999 out of range
    except OverflowError as exc:
        raise ValidationError({field: _("this date is out of range")}) from exc
    return value


def not_in_future(value: dt.datetime | None, field: str, now: dt.datetime) -> None:
    # A minute of grace for clocks that disagree a little.
    if value is not None and value > now + dt.timedelta(minutes=1):
        raise ValidationError({field: _("this cannot be in the future")})


@contextmanager
def renamed_fields(names: Mapping[str, str]) -> Iterator[None]:
    """Let a service's error name the field as the caller spells it (an API body's
    `person_id` for the model's `person`)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {names.get(name, name): errors for name, errors in exc.error_dict.items()}
        raise ValidationError(renamed) from exc
