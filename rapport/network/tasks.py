"""Background work of the network: after a conversation is logged, changed or deleted,
the ties between the people in it (the teammate who logged it included) are refreshed
once the write commits, in one queued task per transaction and team. `refresh_ties`
without people refreshes a whole team (after a bulk load). Each night every team's
ties are refreshed too (`refresh_ties_nightly`, a chain that queues the next night's),
so silence alone lowers strengths: recency decays them.

Bulk loads (the demo, imports) bypass model signals; they refresh the team at the end.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django_tasks import task

from rapport.accounts.models import Member, Team
from rapport.core import nightly
from rapport.interactions.models import Interaction, Participation

_local = threading.local()


@task()
def refresh_ties(team_id: int, person_ids: list[int] | None = None) -> dict[str, int]:
    """Refresh the team's ties between `person_ids` (all of them when None)."""
    from rapport.network.services import ties_refresh

    done = ties_refresh(team_id=team_id, person_ids=person_ids)
    return {"created": done.created, "updated": done.updated, "deleted": done.deleted}


# Server time, just before the nightly trust recompute (rapport.trust.tasks, 00:10).
NIGHTLY_AT = dt.time(0, 5)


def next_night(now: dt.datetime) -> dt.datetime:
    """The next NIGHTLY_AT (server time) strictly after `now`."""
    return nightly.next_night(now, NIGHTLY_AT)


def ties_nightly_schedule(*, now: dt.datetime | None = None) -> int:
    """Make sure every team has exactly one nightly tie refresh queued; run when the
    worker starts (and by `rapport worker`). Returns how many teams are scheduled."""
    return nightly.schedule_every_team(refresh_ties_nightly, NIGHTLY_AT, now)


@task()
def refresh_ties_nightly(team_id: int) -> dict[str, Any]:
    """Refresh all of one team's ties as of now, so a silence that grew since the last
    conversation lowers their strength; the next night's is queued first, so one failed
    night does not end the chain."""
    if not Team.objects.filter(pk=team_id).exists():
        return {"team": team_id, "refreshed": False}
    nightly.ensure_one_queued(refresh_ties_nightly, team_id, next_night(timezone.now()))
    from rapport.network.services import ties_refresh

    done = ties_refresh(team_id=team_id)
    return {
        "team": team_id,
        "created": done.created,
        "updated": done.updated,
        "deleted": done.deleted,
    }


def _flush() -> None:
    people, interactions, owners = _local.__dict__.pop("pending", (set(), set(), set()))
    if interactions:
        # Resolved after the commit: a new interaction's participants exist by then.
        rows = Participation.objects.filter(interaction_id__in=interactions).values_list(
            "person_id", "interaction__owner_id"
        )
        for person_id, owner_id in rows:
            people.add(person_id)
            owners.add(owner_id)
    if owners:
        people |= set(
            Member.objects.filter(user_id__in=owners, person__isnull=False).values_list(
                "person_id", flat=True
            )
        )
    if len(people) < 2:
        return
    by_team: dict[int, list[int]] = {}
    from rapport.people.models import Person

    for person_id, team_id in Person.objects.filter(pk__in=people).values_list("pk", "team_id"):
        by_team.setdefault(team_id, []).append(person_id)
    for team_id, ids in sorted(by_team.items()):
        if len(ids) >= 2:
            refresh_ties.enqueue(team_id=team_id, person_ids=sorted(ids))


def _queued() -> bool:
    return any(entry[1] is _flush for entry in connection.run_on_commit)


def touch(
    people: Iterable[int | None] = (),
    interactions: Iterable[int | None] = (),
    owners: Iterable[int | None] = (),
) -> None:
    """Note people (and interactions, and users whose own Person took part) whose ties
    to refresh once the current transaction commits (or now, outside one)."""
    pending: tuple[set[int], set[int], set[int]] | None = getattr(_local, "pending", None)
    if pending is None or (connection.in_atomic_block and not _queued()):
        pending = _local.pending = (set(), set(), set())
    pending[0].update(p for p in people if p)
    pending[1].update(i for i in interactions if i)
    pending[2].update(o for o in owners if o)
    transaction.on_commit(_flush)


def _on_interaction(instance: Interaction, **_: Any) -> None:
    # Deleted: its participations report their people themselves, the owner is noted here.
    touch(interactions=[instance.pk], owners=[instance.owner_id])


def _on_participation(instance: Participation, **_: Any) -> None:
    touch(people=[instance.person_id])


def connect() -> None:
    post_save.connect(_on_interaction, sender=Interaction, dispatch_uid="network-interaction-save")
    post_delete.connect(
        _on_interaction, sender=Interaction, dispatch_uid="network-interaction-delete"
    )
    post_delete.connect(
        _on_participation, sender=Participation, dispatch_uid="network-participation-delete"
    )
