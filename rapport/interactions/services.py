"""Writes to the interaction log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from rapport.accounts.models import AuditEntry
from rapport.accounts.services import audit_record
from rapport.core.markup import render_markdown
from rapport.interactions.models import Interaction, Participation, Signal, moment_bits
from rapport.people.models import Person, Visibility

INTERACTION_FIELDS = {
    "kind",
    "occurred_at",
    "duration_minutes",
    "initiated_by",
    "focus",
    "topics",
    "summary",
    "notes",
    "source",
    "external_id",
}


def clean_topics(topics: Iterable[str] | str | None) -> list[str]:
    """Topics as a list of distinct, trimmed, lowercased words or phrases."""
    if topics is None:
        return []
    if isinstance(topics, str):
        items = topics.replace("，", ",").replace("、", ",").split(",")
    else:
        items = list(topics)
    cleaned: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            raise ValidationError({"topics": _("topics must be text")})
        text = item.strip().lower()
        if len(text) > 60:
            raise ValidationError(
                {
                    "topics": _("topic “%(topic)s…” is longer than 60 characters")
                    % {"topic": text[:20]}
                }
            )
        if text:
            cleaned[text] = None
    return list(cleaned)


def clean_signals(signals: Iterable[str] | None) -> list[str]:
    """The moments recorded on an interaction, each kind once, in the order given.

    Refuses (on the field `signals`, naming it) a kind that is not one of `Signal.Kind`."""
    if signals is None:
        return []
    if isinstance(signals, str | bytes) or not isinstance(signals, Iterable):
        raise ValidationError({"signals": _("signals must be a list of kinds")})
    known = set(Signal.Kind.values)
    cleaned: dict[str, None] = {}
    for kind in signals:
        if not isinstance(kind, str) or kind not in known:
            raise ValidationError(
                {
                    "signals": _("unknown signal “%(kind)s”; expected one of: %(known)s")
                    % {"kind": str(kind)[:40], "known": ", ".join(Signal.Kind.values)}
                }
            )
        cleaned[kind] = None
    return list(cleaned)


def _set_signals(interaction: Interaction, kinds: Sequence[str]) -> tuple[list[str], list[str]]:
    """Make the interaction's signals exactly `kinds`; returns (before, after), sorted.

    New rows are saved one by one with `save()` (seven at most) rather than in bulk, so
    `post_save` fires for each; kinds no longer wanted are deleted (with `post_delete`)."""
    before = sorted(interaction.signals.values_list("kind", flat=True))
    wanted = set(kinds)
    gone = set(before) - wanted
    if gone:
        interaction.signals.filter(kind__in=gone).delete()
    for kind in kinds:
        if kind not in before:
            Signal(interaction=interaction, kind=kind).save()
    return before, sorted(wanted)


def _validate(interaction: Interaction, participants: Sequence[Person]) -> None:
    if not participants:
        raise ValidationError({"participants": _("an interaction needs at least one person")})
    if any(p.team_id != interaction.team_id for p in participants):
        raise ValidationError({"participants": _("no such person")})
    if interaction.occurred_at is not None and not isinstance(interaction.occurred_at, dt.datetime):
        raise ValidationError({"occurred_at": _("a date and time is required")})
    if interaction.occurred_at is not None and interaction.occurred_at.tzinfo is None:
        raise ValidationError({"occurred_at": _("the time must carry a time zone")})
    interaction.summary = (interaction.summary or "").strip()
    interaction.topics = clean_topics(interaction.topics)
    interaction.full_clean(exclude=["team", "owner", "participants"], validate_constraints=False)
    if interaction.external_id and (
        Interaction.objects.filter(
            team_id=interaction.team_id,
            source=interaction.source,
            external_id=interaction.external_id,
        )
        .exclude(pk=interaction.pk)
        .exists()
    ):
        raise ValidationError(
            {"external_id": _("an interaction with this id was already recorded")}
        )


def _visibility_for(actor: Any, participants: Sequence[Person]) -> str:
    private = any(p.visibility == Visibility.PRIVATE for p in participants)
    return Visibility.PRIVATE if private else Visibility.TEAM


def interactions_refresh_visibility(*, person: Person) -> int:
    """After a person's visibility changes, make each interaction they are in private
    exactly when one of its participants is private. Returns how many changed."""
    changed = 0
    for interaction in Interaction.objects.filter(participations__person=person).distinct():
        people = list(Person.objects.filter(participations__interaction=interaction))
        wanted = _visibility_for(None, people)
        if interaction.visibility != wanted:
            interaction.visibility = wanted
            interaction.save(update_fields=["visibility"])
            AuditEntry.objects.filter(
                team_id=interaction.team_id, object_type="interaction", object_id=interaction.pk
            ).update(private_to=interaction.owner if wanted == Visibility.PRIVATE else None)
            changed += 1
    return changed


def _refresh_last_contact(person_ids: Iterable[int]) -> None:
    for person_id in set(person_ids):
        latest = Participation.objects.filter(person_id=person_id).aggregate(m=Max("occurred_at"))
        Person.objects.filter(pk=person_id).update(last_interaction_at=latest["m"])


def _set_participants(interaction: Interaction, participants: Sequence[Person]) -> set[int]:
    old = set(interaction.participations.values_list("person_id", flat=True))
    interaction.participations.all().delete()
    moments = moment_bits(interaction.signals.values_list("kind", flat=True))
    Participation.objects.bulk_create(
        Participation.of(interaction, p.pk, moments)
        for p in {p.pk: p for p in participants}.values()
    )
    return old | {p.pk for p in participants}


@transaction.atomic
def interaction_create(
    *,
    actor: Any,
    participants: Sequence[Person],
    signals: Iterable[str] | None = None,
    **fields: Any,
) -> Interaction:
    """Log an interaction with the given people. Notes are Markdown, stored sanitised as HTML.

    `signals` are the moments that bear on trust (kinds of `Signal.Kind`, each kept once).
    It is private to the actor when any participant is someone's private contact."""
    unknown = sorted(set(fields) - INTERACTION_FIELDS)
    if unknown:
        raise ValidationError({name: "unknown field" for name in unknown})
    kinds = clean_signals(signals)
    interaction = Interaction(team_id=actor.member.team_id, owner=actor, **fields)
    _validate(interaction, participants)
    interaction.visibility = _visibility_for(actor, participants)
    interaction.notes_html = render_markdown(interaction.notes)
    interaction.save()
    touched = _set_participants(interaction, participants)
    _refresh_last_contact(touched)
    _set_signals(interaction, kinds)
    audit_record(
        actor=actor,
        team=interaction.team,
        action="interaction.create",
        obj=interaction,
        summary=interaction.summary,
        changes={"signals": sorted(kinds)} if kinds else None,
        private=interaction.visibility == Visibility.PRIVATE,
    )
    return interaction


@transaction.atomic
def interaction_update(
    *,
    actor: Any,
    interaction: Interaction,
    participants: Sequence[Person] | None = None,
    signals: Iterable[str] | None = None,
    **fields: Any,
) -> Interaction:
    """Change an interaction's fields and, if given, its participants and its signals
    (the given kinds replace the recorded ones; None leaves them as they are)."""
    unknown = sorted(set(fields) - INTERACTION_FIELDS)
    if unknown:
        raise ValidationError({name: "unknown field" for name in unknown})
    kinds = clean_signals(signals) if signals is not None else None
    for name, value in fields.items():
        setattr(interaction, name, value)
    people = (
        list(participants)
        if participants is not None
        else list(Person.objects.filter(participations__interaction=interaction))
    )
    _validate(interaction, people)
    interaction.visibility = _visibility_for(actor, people)
    interaction.notes_html = render_markdown(interaction.notes)
    interaction.save()
    if "occurred_at" in fields:
        from rapport.commitments.models import Decision

        Decision.objects.filter(interaction=interaction).update(decided_at=interaction.occurred_at)
    touched = _set_participants(interaction, people)
    _refresh_last_contact(touched)
    changes: dict[str, Any] = {"fields": sorted(fields)}
    if kinds is not None:
        before, after = _set_signals(interaction, kinds)
        if before != after:
            changes = {"fields": sorted([*fields, "signals"]), "signals": [before, after]}
    audit_record(
        actor=actor,
        team=interaction.team,
        action="interaction.update",
        obj=interaction,
        summary=interaction.summary,
        changes=changes,
        private=interaction.visibility == Visibility.PRIVATE,
    )
    return interaction


@transaction.atomic
def interaction_delete(*, actor: Any, interaction: Interaction) -> None:
    person_ids = list(interaction.participations.values_list("person_id", flat=True))
    audit_record(
        actor=actor,
        team=interaction.team,
        action="interaction.delete",
        obj=interaction,
        summary=interaction.summary,
        private=interaction.visibility == Visibility.PRIVATE,
    )
    interaction.delete()
    _refresh_last_contact(person_ids)
