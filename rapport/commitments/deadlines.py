"""When a promise falls due, and whether it is late: pure date arithmetic, no Django.

A promise is usually made for a day ("by Friday"), sometimes for a time ("before the
10:00 call"). A day-only promise is kept if delivered before the end of that day in
the time zone it was made in, so its deadline is the next local midnight. Local
midnight is found with zoneinfo, so a day that is 23 or 25 hours long (a daylight
saving change) still ends at the right instant.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from enum import StrEnum


class DeadlineError(ValueError):
    """Bad dates for a promise; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class State(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    KEPT_LATE = "kept_late"
    BROKEN = "broken"
    CANCELLED = "cancelled"


CLOSED = frozenset({State.KEPT, State.KEPT_LATE, State.BROKEN, State.CANCELLED})


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: name too long
        raise DeadlineError("time_zone", f"{name} is not a known time zone") from exc


def local_midnight(day: dt.date, time_zone: str) -> dt.datetime:
    """The first instant of `day` in `time_zone`, in UTC.

    Where midnight does not exist (a zone that springs forward at 00:00) the day begins
    at the clock change that skipped it; a day skipped altogether (Samoa's 30 December
    2011) begins where the next one does, so it holds no instant."""
    zone = _zone(time_zone)
    naive = dt.datetime.combine(day, dt.time())
    # fold=0 reads a midnight that happens twice as the first one, and a skipped one
    # with the offset from before the change, which lands after the change.
    after = naive.replace(tzinfo=zone).astimezone(dt.UTC)
    if after.astimezone(zone).replace(tzinfo=None) == naive:
        return after
    # Midnight was skipped: find the change, the first second (offsets and changes are
    # whole seconds) whose local date is `day` or later. Two days back is still before.
    low, high = -2 * 86400, 0
    while high - low > 1:
        middle = (low + high) // 2
        if (after + dt.timedelta(seconds=middle)).astimezone(zone).date() < day:
            low = middle
        else:
            high = middle
    return after + dt.timedelta(seconds=high)


def day_bounds(day: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local day, in UTC."""
    return local_midnight(day, time_zone), local_midnight(day + dt.timedelta(days=1), time_zone)


def deadline(due_on: dt.date, due_time: dt.time | None, time_zone: str) -> dt.datetime:
    """The instant (UTC) by which a promise due on `due_on` (at `due_time`, if given) in
    `time_zone` must be delivered. Without a time, the end of that local day."""
    if due_time is None:
        return local_midnight(due_on + dt.timedelta(days=1), time_zone)
    zone = _zone(time_zone)
    local = dt.datetime.combine(due_on, due_time).replace(tzinfo=zone, fold=0)
    return local.astimezone(dt.UTC)


def local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    """The calendar date of an aware instant in `time_zone`."""
    if moment.tzinfo is None:
        raise DeadlineError("at", "the time must carry a time zone")
    return moment.astimezone(_zone(time_zone)).date()


def is_overdue(due_at: dt.datetime, now: dt.datetime) -> bool:
    """An open promise is overdue once its deadline has passed."""
    return now >= due_at


def days_overdue(due_at: dt.datetime, now: dt.datetime, time_zone: str) -> int:
    """Whole local days since the deadline (0 on the day it passed, -n when n days ahead)."""
    last_day = local_date(due_at - dt.timedelta(microseconds=1), time_zone)
    return (local_date(now, time_zone) - last_day).days


def check_made_and_due(made_at: dt.datetime, due_at: dt.datetime) -> None:
    if made_at.tzinfo is None or due_at.tzinfo is None:
        raise DeadlineError("due_on", "times must carry a time zone")
    if due_at <= made_at:
        raise DeadlineError("due_on", "the due date is before the promise was made")


def outcome_for(due_at: dt.datetime, delivered_at: dt.datetime) -> State:
    """Kept if delivered by the deadline, else kept late."""
    return State.KEPT if delivered_at < due_at else State.KEPT_LATE


@dataclass(frozen=True)
class Record:
    """How reliably promises to one client were kept: closed ones only, cancelled aside."""

    kept: int = 0
    kept_late: int = 0
    broken: int = 0

    @property
    def closed(self) -> int:
        return self.kept + self.kept_late + self.broken

    @property
    def on_time_share(self) -> float | None:
        """Share kept on time, or None with nothing closed yet."""
        return self.kept / self.closed if self.closed else None


def record_of(states: list[str]) -> Record:
    return Record(
        kept=states.count(State.KEPT),
        kept_late=states.count(State.KEPT_LATE),
        broken=states.count(State.BROKEN),
    )
