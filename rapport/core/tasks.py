"""The morning agenda email, run by django.tasks' database-backed worker (`rapport worker`).

Each member who wants it has exactly one queued task: "send the agenda for day D at
their local hour H". When it runs it sends that day's agenda and queues the next
day's, so the chain needs no scheduler loop of its own; `agenda_emails_schedule()`
(run when the worker starts, and when a member changes their preferences) repairs a
missing or outdated link in the chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from rapport.accounts.models import Member
from rapport.commitments import deadlines
from rapport.core.agenda import agenda_for


def next_send_time(time_zone: str, hour: int, now: dt.datetime) -> dt.datetime:
    """The next instant (UTC) at `hour`:00 local time strictly after `now`.

    On a day when that wall time does not exist (a daylight saving jump) it is sent
    at the first valid time after it."""
    today = deadlines.local_date(now, time_zone)
    for offset in range(3):
        day = today + dt.timedelta(days=offset)
        start = deadlines.local_midnight(day, time_zone)
        at = deadlines.deadline(day, dt.time(hour), time_zone)
        at = max(at, start)
        if at > now:
            return at
    raise AssertionError("unreachable: a later day always has the hour")  # pragma: no cover


def _pending(member_id: int) -> Any:
    return DBTaskResult.objects.filter(
        task_path=send_morning_agenda.module_path,
        status="READY",
        args_kwargs__kwargs__member_id=member_id,
    )


def agenda_email_schedule(member: Member, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """Make sure the member's next morning email is queued (or none, if they opted out
    or have no address). Returns when it will be sent."""
    now = now or timezone.now()
    pending = _pending(member.pk)
    if not member.agenda_email or not member.user.email or not member.user.is_active:
        pending.delete()
        return None
    run_at = next_send_time(member.time_zone, member.agenda_hour, now)
    if pending.filter(run_after=run_at).exists():
        return run_at
    pending.delete()
    day = deadlines.local_date(run_at, member.time_zone)
    send_morning_agenda.using(run_after=run_at).enqueue(member_id=member.pk, day=day.isoformat())
    return run_at


def agenda_emails_schedule(*, now: dt.datetime | None = None) -> int:
    """Queue the next morning email for every member who wants one; returns how many."""
    count = 0
    for member in Member.objects.select_related("user"):
        if agenda_email_schedule(member, now=now) is not None:
            count += 1
    return count


def agenda_email_message(member: Member, day: dt.date) -> EmailMultiAlternatives:
    """The agenda for `day` as an email in the member's language and time zone."""
    user = member.user
    with translation.override(member.language), timezone.override(member.time_zone):
        agenda = agenda_for(user, day=day)
        context = {"agenda": agenda, "member": member, "site": settings.RAPPORT_SITE_URL}
        subject = render_to_string("core/agenda_email_subject.txt", context).strip()
        text = render_to_string("core/agenda_email.txt", context)
        html = render_to_string("core/agenda_email.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


@task()
def send_morning_agenda(member_id: int, day: str) -> dict[str, Any]:
    """Send one member's agenda for `day`, then queue the next morning's."""
    member = Member.objects.select_related("user").filter(pk=member_id).first()
    if member is None:
        return {"sent": False, "reason": "no such member"}
    sent = False
    if member.agenda_email and member.user.email and member.user.is_active:
        agenda_email_message(member, dt.date.fromisoformat(day)).send()
        sent = True
    agenda_email_schedule(member)
    return {"sent": sent, "to": member.user.email if sent else None, "day": day}
