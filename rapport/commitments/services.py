"""Writes for promises: make, renegotiate, close and report them; milestones, risks,
and the hygiene and decisions of meetings. Every write is atomic and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.services import audit_record
from rapport.commitments import deadlines
from rapport.commitments.models import (
    Commitment,
    Decision,
    Meeting,
    Milestone,
    Renegotiation,
    Risk,
    Side,
)
from rapport.core.validation import aware_instant, not_in_future
from rapport.interactions.models import Interaction
from rapport.people.models import Organisation, Person, Visibility
from rapport.people.queries import visible_people

Status = Commitment.Status
EDITABLE = {"title", "details", "expected", "promised_by", "side"}


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


_aware = aware_instant
_not_future = not_in_future


def _deadline(due_on: Any, due_time: Any, time_zone: str, *, prefix: str = "") -> dt.datetime:
    """The deadline instant; errors name `due_on`/`due_time` (or `new_due_on`/... with
    prefix "new_")."""
    if not isinstance(due_on, dt.date) or isinstance(due_on, dt.datetime):
        raise ValidationError({f"{prefix}due_on": _("a due date is required")})
    if due_time is not None and not isinstance(due_time, dt.time):
        raise ValidationError({f"{prefix}due_time": _("enter a valid time")})
    if due_time is not None and due_time.tzinfo is not None:
        # The zone is the promise's time_zone; a TimeField cannot store an offset.
        raise ValidationError({f"{prefix}due_time": _("give the time without a time zone")})
    try:
        return deadlines.deadline(due_on, due_time, time_zone)
    except deadlines.DeadlineError as exc:
        if exc.field != "time_zone":
            raise ValidationError({f"{prefix}due_on": exc.message}) from exc
        raise ValidationError(
            {"time_zone": _("%(value)s is not a known time zone") % {"value": time_zone}}
        ) from exc
    except OverflowError as exc:
        raise ValidationError({f"{prefix}due_on": _("this date is out of range")}) from exc


def _visibility(person: Person | None) -> str:
    if person is not None and person.visibility == Visibility.PRIVATE:
        return Visibility.PRIVATE
    return Visibility.TEAM


def _audit(actor: Any, commitment: Commitment, action: str, obj: Any = None, **extra: Any) -> None:
    audit_record(
        actor=actor,
        team=commitment.team,
        action=action,
        obj=obj if obj is not None else commitment,
        summary=extra.pop("summary", commitment.title),
        private=commitment.visibility == Visibility.PRIVATE,
        person=commitment.person,
        **extra,
    )


def _check_parties(
    actor: Any, person: Person | None, organisation: Organisation | None, promised_by: Any
) -> None:
    team_id = actor.member.team_id

    def seen(p: Person) -> bool:
        # The actor's team's, and shared or the actor's own: a colleague's private
        # contact is no more reachable here than through the pages.
        return p.team_id == team_id and (p.visibility == Visibility.TEAM or p.owner_id == actor.pk)

    if person is None and organisation is None:
        raise ValidationError({"person": _("say who the promise is to: a person or organisation")})
    if person is not None and not seen(person):
        raise ValidationError({"person": _("no such person")})
    if organisation is not None and organisation.team_id != team_id:
        raise ValidationError({"organisation": _("no such organisation")})
    if promised_by is not None and not seen(promised_by):
        raise ValidationError({"promised_by": _("no such person")})


@transaction.atomic
def commitment_create(
    *,
    actor: Any,
    title: str,
    due_on: dt.date,
    person: Person | None = None,
    organisation: Organisation | None = None,
    side: str = Side.OURS,
    promised_by: Person | None = None,
    due_time: dt.time | None = None,
    time_zone: str | None = None,
    made_at: dt.datetime | None = None,
    expected: str = "",
    details: str = "",
    interaction: Interaction | None = None,
    now: dt.datetime | None = None,
) -> Commitment:
    """Record a promise: who made it, to whom, what, and by when.

    A promise by our side is made by the actor unless `promised_by` says otherwise."""
    now = _now(now)
    _check_parties(actor, person, organisation, promised_by)
    made_at = _aware(made_at, "made_at") or now
    _not_future(made_at, "made_at", now)
    zone = time_zone or actor.member.time_zone
    if side == Side.OURS and promised_by is None:
        promised_by = actor.member.person
    commitment = Commitment(
        team_id=actor.member.team_id,
        owner=actor,
        side=side,
        promised_by=promised_by,
        person=person,
        organisation=organisation,
        title=(title or "").strip(),
        details=details or "",
        expected=expected or "",
        made_at=made_at,
        due_on=due_on,
        due_time=due_time,
        time_zone=zone,
        interaction=interaction,
        visibility=_visibility(person),
    )
    commitment.due_at = _deadline(due_on, due_time, zone)
    if commitment.due_at <= made_at:
        raise ValidationError({"due_on": _("the due date is before the promise was made")})
    commitment.full_clean(exclude=["team", "owner", "due_at"])
    commitment.save()
    _audit(actor, commitment, "commitment.create")
    return commitment


@transaction.atomic
def commitment_update(*, actor: Any, commitment: Commitment, **fields: Any) -> Commitment:
    """Change what was promised or who promised it. Dates move by renegotiation."""
    unknown = sorted(set(fields) - EDITABLE)
    if unknown:
        raise ValidationError({name: _("this cannot be changed here") for name in unknown})
    for name, value in fields.items():
        setattr(commitment, name, value.strip() if name == "title" else value)
    _check_parties(actor, commitment.person, commitment.organisation, commitment.promised_by)
    commitment.full_clean(exclude=["team", "owner", "due_at"])
    commitment.save()
    _audit(actor, commitment, "commitment.update", changes={"fields": sorted(fields)})
    return commitment


def _require_open(commitment: Commitment, field: str = "status") -> None:
    if commitment.status != Status.OPEN:
        raise ValidationError(
            {
                field: _("this commitment is already closed (%(status)s)")
                % {"status": commitment.get_status_display()}
            }
        )


@transaction.atomic
def commitment_renegotiate(
    *,
    actor: Any,
    commitment: Commitment,
    new_due_on: dt.date,
    new_due_time: dt.time | None = None,
    told_client_at: dt.datetime | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Renegotiation:
    """Move the due date by agreement. Telling the client before the old deadline
    passed is what makes it a renegotiation in time rather than a slip."""
    now = _now(now)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    _require_open(commitment)
    told_client_at = _aware(told_client_at, "told_client_at")
    _not_future(told_client_at, "told_client_at", now)
    new_due_at = _deadline(new_due_on, new_due_time, commitment.time_zone, prefix="new_")
    if new_due_at <= commitment.made_at:
        raise ValidationError({"new_due_on": _("the due date is before the promise was made")})
    if new_due_on == commitment.due_on and new_due_time == commitment.due_time:
        raise ValidationError({"new_due_on": _("the new due date is the same as the old one")})
    change = Renegotiation.objects.create(
        commitment=commitment,
        at=now,
        old_due_on=commitment.due_on,
        old_due_at=commitment.due_at,
        new_due_on=new_due_on,
        new_due_at=new_due_at,
        told_client_at=told_client_at,
        reason=reason or "",
        actor=actor,
    )
    commitment.due_on, commitment.due_time, commitment.due_at = new_due_on, new_due_time, new_due_at
    commitment.save(update_fields=["due_on", "due_time", "due_at", "updated_at"])
    _audit(
        actor,
        commitment,
        "commitment.renegotiate",
        changes={
            "from": change.old_due_on.isoformat(),
            "to": new_due_on.isoformat(),
            "in_time": change.in_time,
        },
    )
    return change


@transaction.atomic
def commitment_close(
    *,
    actor: Any,
    commitment: Commitment,
    status: str,
    delivered: str = "",
    delivered_at: dt.datetime | None = None,
    match: str = "",
    note: str = "",
    reported_back: bool = False,
    reported_back_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Commitment:
    """Close a promise as kept, kept late, broken or cancelled, with what was delivered
    against what was expected, and whether the close was reported back to the client."""
    now = _now(now)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    _require_open(commitment)
    closing = {Status.KEPT, Status.KEPT_LATE, Status.BROKEN, Status.CANCELLED}
    if status not in closing:
        raise ValidationError({"status": _("close as kept, kept late, broken or cancelled")})
    delivered_at = _aware(delivered_at, "delivered_at")
    _not_future(delivered_at, "delivered_at", now)
    if status in (Status.KEPT, Status.KEPT_LATE):
        delivered_at = delivered_at or now
        if delivered_at < commitment.made_at:
            raise ValidationError(
                {"delivered_at": _("it cannot be delivered before the promise was made")}
            )
        on_time = deadlines.outcome_for(commitment.due_at, delivered_at) == deadlines.State.KEPT
        if status == Status.KEPT and not on_time:
            raise ValidationError(
                {"status": _("it was delivered after the deadline: close it as kept late")}
            )
        if status == Status.KEPT_LATE and on_time:
            raise ValidationError(
                {"status": _("it was delivered before the deadline: close it as kept")}
            )
    elif delivered_at is not None:
        raise ValidationError({"delivered_at": _("only a kept promise has a delivery time")})
    if match and status not in (Status.KEPT, Status.KEPT_LATE):
        raise ValidationError({"match": _("only a kept promise is compared with expectations")})
    reported_back_at = _aware(reported_back_at, "reported_back_at")
    _not_future(reported_back_at, "reported_back_at", now)
    if reported_back and reported_back_at is None:
        reported_back_at = now
    commitment.status = status
    commitment.closed_at = now
    commitment.delivered = delivered or ""
    commitment.delivered_at = delivered_at
    commitment.match = match or ""
    commitment.close_note = note or ""
    commitment.reported_back_at = reported_back_at
    commitment.full_clean(exclude=["team", "owner", "due_at"])
    commitment.save()
    _audit(
        actor,
        commitment,
        "commitment.close",
        changes={"status": status, "reported_back": reported_back_at is not None},
    )
    return commitment


@transaction.atomic
def commitment_report_back(
    *,
    actor: Any,
    commitment: Commitment,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Commitment:
    """Record that the client was told how a closed promise ended."""
    now = _now(now)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.status == Status.OPEN:
        raise ValidationError({"status": _("close the commitment before reporting it back")})
    if commitment.reported_back_at is not None:
        raise ValidationError({"reported_back_at": _("this close was already reported back")})
    at = _aware(at, "reported_back_at") or now
    _not_future(at, "reported_back_at", now)
    commitment.reported_back_at = at
    commitment.save(update_fields=["reported_back_at", "updated_at"])
    _audit(actor, commitment, "commitment.report_back")
    return commitment


@transaction.atomic
def commitment_delete(*, actor: Any, commitment: Commitment) -> None:
    _audit(actor, commitment, "commitment.delete")
    commitment.delete()


def _require_progressing(commitment: Commitment, field: str) -> None:
    if commitment.status == Status.CANCELLED:
        raise ValidationError({field: _("this commitment was cancelled")})
    _require_open(commitment, field)


@transaction.atomic
def milestone_add(
    *,
    actor: Any,
    commitment: Commitment,
    title: str,
    detail: str = "",
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Milestone:
    """A progress update on an open promise; the client sees it on the tracking page."""
    now = _now(now)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    _require_progressing(commitment, "commitment")
    at = _aware(at, "at") or now
    _not_future(at, "at", now)
    if at < commitment.made_at:
        raise ValidationError({"at": _("progress cannot come before the promise was made")})
    milestone = Milestone(
        commitment=commitment, title=(title or "").strip(), detail=detail or "", at=at
    )
    milestone.created_by = actor
    milestone.full_clean(exclude=["commitment", "created_by"])
    milestone.save()
    _audit(actor, commitment, "milestone.add", obj=milestone, summary=milestone.title)
    return milestone


@transaction.atomic
def milestone_delete(*, actor: Any, milestone: Milestone) -> None:
    _audit(actor, milestone.commitment, "milestone.delete", obj=milestone, summary=milestone.title)
    milestone.delete()


@transaction.atomic
def risk_add(
    *,
    actor: Any,
    commitment: Commitment,
    title: str,
    detail: str = "",
    severity: str = Risk.Severity.MEDIUM,
    raised_at: dt.datetime | None = None,
    disclosed_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Risk:
    """A risk to an open promise. Until it is disclosed to the client it is flagged."""
    now = _now(now)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    _require_progressing(commitment, "commitment")
    raised_at = _aware(raised_at, "raised_at") or now
    disclosed_at = _aware(disclosed_at, "disclosed_at")
    _not_future(raised_at, "raised_at", now)
    _not_future(disclosed_at, "disclosed_at", now)
    if disclosed_at is not None and disclosed_at < raised_at:
        raise ValidationError(
            {"disclosed_at": _("a risk cannot be disclosed before it was raised")}
        )
    risk = Risk(
        commitment=commitment,
        title=(title or "").strip(),
        detail=detail or "",
        severity=severity,
        raised_at=raised_at,
        disclosed_at=disclosed_at,
        created_by=actor,
    )
    risk.full_clean(exclude=["commitment", "created_by"])
    risk.save()
    _audit(actor, commitment, "risk.add", obj=risk, summary=risk.title)
    return risk


def _risk_stamp(
    *,
    actor: Any,
    risk: Risk,
    field: str,
    at: dt.datetime | None,
    now: dt.datetime | None,
    already: str,
    too_early: str,
    action: str,
) -> Risk:
    """Set one of a risk's moments (disclosed, resolved) once, not before it was raised."""
    now = _now(now)
    risk = Risk.objects.select_for_update().select_related("commitment").get(pk=risk.pk)
    if getattr(risk, field) is not None:
        raise ValidationError({field: already})
    at = _aware(at, field) or now
    _not_future(at, field, now)
    if at < risk.raised_at:
        raise ValidationError({field: too_early})
    setattr(risk, field, at)
    risk.save(update_fields=[field])
    _audit(actor, risk.commitment, action, obj=risk, summary=risk.title)
    return risk


@transaction.atomic
def risk_disclose(
    *, actor: Any, risk: Risk, at: dt.datetime | None = None, now: dt.datetime | None = None
) -> Risk:
    """Record that the client was told of the risk."""
    return _risk_stamp(
        actor=actor,
        risk=risk,
        field="disclosed_at",
        at=at,
        now=now,
        already=_("this risk was already disclosed"),
        too_early=_("a risk cannot be disclosed before it was raised"),
        action="risk.disclose",
    )


@transaction.atomic
def risk_resolve(
    *, actor: Any, risk: Risk, at: dt.datetime | None = None, now: dt.datetime | None = None
) -> Risk:
    """The risk passed or was dealt with; it no longer needs disclosing."""
    return _risk_stamp(
        actor=actor,
        risk=risk,
        field="resolved_at",
        at=at,
        now=now,
        already=_("this risk was already resolved"),
        too_early=_("a risk cannot be resolved before it was raised"),
        action="risk.resolve",
    )


def _meeting_audit(
    actor: Any, interaction: Interaction, action: str, obj: Any, summary: str
) -> None:
    audit_record(
        actor=actor,
        team=interaction.team,
        action=action,
        obj=obj,
        summary=summary,
        private=interaction.visibility == Visibility.PRIVATE,
    )


def _require_meeting(interaction: Interaction) -> None:
    if interaction.kind not in (Interaction.Kind.MEETING, Interaction.Kind.VIDEO):
        raise ValidationError({"interaction": _("only a meeting has an agenda and decisions")})


@transaction.atomic
def meeting_update(
    *,
    actor: Any,
    interaction: Interaction,
    agenda_shared_at: dt.datetime | None = None,
    materials_sent_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Record when the agenda was shared and the materials sent (None clears either)."""
    now = _now(now)
    _require_meeting(interaction)
    agenda_shared_at = _aware(agenda_shared_at, "agenda_shared_at")
    materials_sent_at = _aware(materials_sent_at, "materials_sent_at")
    _not_future(agenda_shared_at, "agenda_shared_at", now)
    _not_future(materials_sent_at, "materials_sent_at", now)
    meeting, _created = Meeting.objects.get_or_create(interaction=interaction)
    meeting.agenda_shared_at = agenda_shared_at
    meeting.materials_sent_at = materials_sent_at
    meeting.save()
    _meeting_audit(actor, interaction, "meeting.update", meeting, interaction.summary)
    return meeting


@transaction.atomic
def decision_add(*, actor: Any, interaction: Interaction, text: str) -> Decision:
    """Something decided in a meeting; it waits on the agenda until it is followed up."""
    _require_meeting(interaction)
    decision = Decision(
        interaction=interaction,
        text=(text or "").strip(),
        owner_id=interaction.owner_id,
        decided_at=interaction.occurred_at,
    )
    decision.full_clean(exclude=["interaction", "commitment", "owner"])
    decision.save()
    _meeting_audit(actor, interaction, "decision.add", decision, decision.text)
    return decision


@transaction.atomic
def decision_follow_up(
    *,
    actor: Any,
    decision: Decision,
    side: str,
    due_on: dt.date,
    promised_by: Person | None = None,
    person: Person | None = None,
    organisation: Organisation | None = None,
    title: str = "",
    due_time: dt.time | None = None,
    expected: str = "",
    now: dt.datetime | None = None,
) -> Commitment:
    """Turn a decision into a commitment owned by our side or the client's."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.followed_up:
        raise ValidationError({"decision": _("this decision is already followed up")})
    interaction = decision.interaction
    if person is None and organisation is None:
        # Only someone the actor may see: never a colleague's private contact.
        people = visible_people(actor).filter(participations__interaction=interaction)
        own = getattr(actor.member, "person_id", None)
        person = next((p for p in people.order_by("pk") if p.pk != own), None)
    commitment = commitment_create(
        actor=actor,
        title=title or decision.text,
        due_on=due_on,
        due_time=due_time,
        person=person,
        organisation=organisation,
        side=side,
        promised_by=promised_by,
        made_at=min(interaction.occurred_at, _now(now)),
        expected=expected,
        interaction=interaction,
        now=now,
    )
    decision.commitment = commitment
    decision.save(update_fields=["commitment"])
    return commitment


@transaction.atomic
def decision_dismiss(*, actor: Any, decision: Decision) -> Decision:
    """Mark a decision as needing no follow-up."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.followed_up:
        raise ValidationError({"decision": _("this decision is already followed up")})
    decision.no_follow_up = True
    decision.save(update_fields=["no_follow_up"])
    _meeting_audit(actor, decision.interaction, "decision.dismiss", decision, decision.text)
    return decision


def commitments_refresh_visibility(*, person: Person) -> int:
    """After a person's visibility changes, their commitments follow it."""
    wanted = _visibility(person)
    changed = 0
    for commitment in Commitment.objects.filter(person=person).exclude(visibility=wanted):
        commitment.visibility = wanted
        commitment.save(update_fields=["visibility"])
        changed += 1
    return changed
