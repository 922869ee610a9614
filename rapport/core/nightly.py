"""Nightly chains of background work: one task per team queued for a time of night
(server time), which queues the next night's before it works, so one failed night does
not end the chain and no scheduler loop is needed. The trust recompute and the tie
refresh run this way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rapport.accounts.models import Team


def next_night(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The next `at` (server time) strictly after `now`."""
    zone = timezone.get_default_timezone()
    local = timezone.localtime(now, zone)
    when = dt.datetime.combine(local.date(), at, tzinfo=zone)
    return when if when > local else when + dt.timedelta(days=1)


def ensure_one_queued(task: Any, team_id: int, run_at: dt.datetime) -> None:
    """Leave exactly one of `task` queued for the team: a single one due by `run_at`
    stays (a worker started late still runs tonight's), anything else is replaced by
    one at `run_at`."""
    pending = DBTaskResult.objects.filter(
        task_path=task.module_path, status="READY", args_kwargs__kwargs__team_id=team_id
    )
    due = (
        pending.filter(run_after__lte=run_at)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    if due is not None and len(pending[:2]) == 1:
        return
    pending.delete()
    task.using(run_after=due or run_at).enqueue(team_id=team_id)


def schedule_every_team(task: Any, at: dt.time, now: dt.datetime | None = None) -> int:
    """Make sure every team has exactly one `task` queued for the next `at`. Returns how
    many teams are scheduled."""
    run_at = next_night(now or timezone.now(), at)
    teams = list(Team.objects.values_list("pk", flat=True))
    for team_id in teams:
        ensure_one_queued(task, team_id, run_at)
    return len(teams)
