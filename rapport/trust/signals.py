"""Which relationships a write touches, so their trust is refreshed once the write is
committed: one queued task per transaction, whatever the number of rows it changed.

Bulk loads (the demo, imports) bypass model signals; they recompute the team at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from rapport.commitments.models import Commitment, Decision, Meeting, Milestone, Renegotiation, Risk
from rapport.interactions.models import Interaction, Participation, Signal
from rapport.people.models import Fact, Person, Role
from rapport.trust.models import Claim, EvidenceShown, Survey, SurveyAnswer

_local = threading.local()


def _flush() -> None:
    from rapport.trust.tasks import refresh_trust

    people, organisations, interactions = _local.__dict__.pop("pending", (set(), set(), set()))
    if interactions:
        # Resolved now, after the commit: a new interaction's participants exist by then.
        people |= set(
            Participation.objects.filter(interaction_id__in=interactions).values_list(
                "person_id", flat=True
            )
        )
    if people or organisations:
        refresh_trust.enqueue(person_ids=sorted(people), organisation_ids=sorted(organisations))


def _queued() -> bool:
    return any(entry[1] is _flush for entry in connection.run_on_commit)


def touch(
    people: Iterable[int | None] = (),
    organisations: Iterable[int | None] = (),
    interactions: Iterable[int | None] = (),
) -> None:
    """Note relationships to refresh after the current transaction commits (or now,
    outside one). Notes left by a rolled-back transaction are dropped with it; every
    call registers the flush again, and the first flush to run takes all the notes."""
    pending: tuple[set[int], set[int], set[int]] | None = getattr(_local, "pending", None)
    if pending is None or (connection.in_atomic_block and not _queued()):
        pending = _local.pending = (set(), set(), set())
    pending[0].update(p for p in people if p)
    pending[1].update(o for o in organisations if o)
    pending[2].update(i for i in interactions if i)
    transaction.on_commit(_flush)


def _commitment_parties(commitment_id: int) -> tuple[list[int | None], list[int | None]]:
    row = (
        Commitment.objects.filter(pk=commitment_id)
        .values_list("person_id", "organisation_id")
        .first()
    )
    return ([row[0]], [row[1]]) if row else ([], [])


def _on_participation(instance: Participation, **_: Any) -> None:
    touch(people=[instance.person_id])


def _on_interaction(instance: Interaction, **_: Any) -> None:
    # Deleting one deletes its participations, which note their people themselves.
    touch(interactions=[instance.pk])


def _on_part_of_interaction(instance: Signal | Meeting | Decision, **_: Any) -> None:
    touch(interactions=[instance.interaction_id])


def _on_commitment(instance: Commitment, **_: Any) -> None:
    touch(people=[instance.person_id], organisations=[instance.organisation_id])


def _on_commitment_part(instance: Renegotiation | Milestone | Risk, **_: Any) -> None:
    people, organisations = _commitment_parties(instance.commitment_id)
    touch(people=people, organisations=organisations)


def _on_person_part(instance: Fact | Role, **_: Any) -> None:
    touch(people=[instance.person_id], organisations=[getattr(instance, "organisation_id", None)])


def _on_client_record(instance: EvidenceShown | Claim, **_: Any) -> None:
    touch(people=[instance.person_id], organisations=[instance.organisation_id])


def _on_survey(instance: Survey, **_: Any) -> None:
    if instance.answered_at is not None:
        touch(people=[instance.person_id])


def _on_survey_answer(instance: SurveyAnswer, **_: Any) -> None:
    touch(
        people=[
            Survey.objects.filter(pk=instance.survey_id).values_list("person_id", flat=True).first()
        ]
    )


def _on_person(
    instance: Person, created: bool = False, update_fields: Any = None, **_: Any
) -> None:
    # The wanted cadence moves intimacy; a new person has nothing to score yet.
    if not created and (update_fields is None or "contact_cadence_days" in update_fields):
        touch(people=[instance.pk])


RECEIVERS: list[tuple[Any, Any]] = [
    (Participation, _on_participation),
    (Interaction, _on_interaction),
    (Signal, _on_part_of_interaction),
    (Meeting, _on_part_of_interaction),
    (Decision, _on_part_of_interaction),
    (Commitment, _on_commitment),
    (Renegotiation, _on_commitment_part),
    (Milestone, _on_commitment_part),
    (Risk, _on_commitment_part),
    (Fact, _on_person_part),
    (Role, _on_person_part),
    (EvidenceShown, _on_client_record),
    (Claim, _on_client_record),
    (Survey, _on_survey),
    (SurveyAnswer, _on_survey_answer),
]


def connect() -> None:
    for model, receiver in RECEIVERS:
        post_save.connect(receiver, sender=model, dispatch_uid=f"trust-{model.__name__}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"trust-{model.__name__}-delete")
    post_save.connect(_on_person, sender=Person, dispatch_uid="trust-Person-save")
