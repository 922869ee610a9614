"""Background work of the trust engine: refresh the relationships a write touched."""

from __future__ import annotations

from django_tasks import task

from rapport.trust import scoring


@task()
def refresh_trust(person_ids: list[int], organisation_ids: list[int]) -> int:
    """Recompute the named people and organisations (and the organisations the people
    belong to), storing their scores and today's snapshots."""
    return scoring.trust_refresh(person_ids=person_ids, organisation_ids=organisation_ids)
