"""Background work of the trust engine: refresh the relationships a write touched, and
recompute every team each night, so that time alone (evidence fading, a silence growing
past the wanted cadence, a promise falling overdue) moves the scores and each day has
its snapshot for the trend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task

from rapport.accounts.models import Team
from rapport.core import nightly
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
    return nightly.next_night(now, NIGHTLY_AT)


def trust_nightly_schedule(*, now: dt.datetime | None = None) -> int:
    """Make sure every team has exactly one nightly recompute queued; run when the
    worker starts (and by `rapport worker --once` from cron). A queued one that is due
    now or by the next night is kept, so a worker started after 00:10 still runs
    tonight's. Returns how many teams are scheduled."""
    return nightly.schedule_every_team(recompute_trust_nightly, NIGHTLY_AT, now)


@task()
def recompute_trust_nightly(team_id: int) -> dict[str, Any]:
    """Recompute one team's relationships from their evidence as of now; the next
    night's is queued first, so one failed night does not end the chain."""
    if not Team.objects.filter(pk=team_id).exists():
        return {"team": team_id, "recomputed": False}
    nightly.ensure_one_queued(recompute_trust_nightly, team_id, next_night(timezone.now()))
    people, organisations = scoring.trust_recompute_team(team_id)
    return {"team": team_id, "people": people, "organisations": organisations}
