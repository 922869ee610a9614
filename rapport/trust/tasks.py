"""Background work of the trust engine: refresh the relationships a write touched."""

from __future__ import annotations

from django_tasks import task

from rapport.trust import scoring


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
