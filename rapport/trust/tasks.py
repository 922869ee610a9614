"""Background work of the trust engine: refresh the relationships a write touched, and
recompute every team each night, so that time alone (evidence fading, a silence growing
past the wanted cadence, a promise falling overdue) moves the scores and each day has
its snapshot for the trend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from rapport.accounts.models import Team
from rapport.trust import scoring

# Just after midnight (server time, the snapshots' day), when nobody is working.
NIGHTLY_AT = dt.time(0, 10)


@task()
def refresh_trust(person_ids: list[int], organisation_ids: list[int]) -> int:
    """Recompute the named people and organisations, storing their scores and today's
    snapshots. The organisations the people belong to follow in a task of their own:
    the relationship the write was about is up to date as soon as its own part is done,
    and pooling an organisation (it reads every member) does not hold it up."""
    stored = scoring.trust_refresh(
        person_ids=person_ids, organisation_ids=organisation_ids, their_organisations=False
    )
    follow = scoring.organisations_of(person_ids) - set(organisation_ids)
    if follow:
        refresh_trust.enqueue(person_ids=[], organisation_ids=sorted(follow))
    return stored


def next_night(now: dt.datetime) -> dt.datetime:
    """The next NIGHTLY_AT (server time) strictly after `now`."""
    zone = timezone.get_default_timezone()
    local = timezone.localtime(now, zone)
    at = dt.datetime.combine(local.date(), NIGHTLY_AT, tzinfo=zone)
    return at if at > local else at + dt.timedelta(days=1)


def _pending(team_id: int) -> Any:
    return DBTaskResult.objects.filter(
        task_path=recompute_trust_nightly.module_path,
        status="READY",
        args_kwargs__kwargs__team_id=team_id,
    )


def trust_nightly_schedule(*, now: dt.datetime | None = None) -> int:
    """Make sure every team has exactly one nightly recompute queued; run when the
    worker starts (and by `rapport worker --once` from cron). A queued one that is due
    now or by the next night is kept, so a worker started after 00:10 still runs
    tonight's. Returns how many teams are scheduled."""
    now = now or timezone.now()
    teams = list(Team.objects.values_list("pk", flat=True))
    for team_id in teams:
        _ensure_next(team_id, next_night(now))
    return len(teams)


def _ensure_next(team_id: int, run_at: dt.datetime) -> None:
    pending = _pending(team_id)
    due = (
        pending.filter(run_after__lte=run_at)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    if due is not None and len(pending[:2]) == 1:
        return
    pending.delete()
    recompute_trust_nightly.using(run_after=due or run_at).enqueue(team_id=team_id)


@task()
def recompute_trust_nightly(team_id: int) -> dict[str, Any]:
    """Recompute one team's relationships from their evidence as of now; the next
    night's is queued first, so one failed night does not end the chain."""
    if not Team.objects.filter(pk=team_id).exists():
        return {"team": team_id, "recomputed": False}
    _ensure_next(team_id, next_night(timezone.now()))
    people, organisations = scoring.trust_recompute_team(team_id)
    return {"team": team_id, "people": people, "organisations": organisations}
