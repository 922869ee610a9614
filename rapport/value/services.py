"""Every write to the value ledger and its reports: each validates, changes atomically
and leaves an audit entry. Views, the API and the CLI call only these.

A client is a person or an organisation the actor may see; a colleague's private
contact is refused exactly as someone who does not exist. An item is something already
delivered: its date is never in the future, its money and hours never negative, and an
amount always names its currency. A report's token is 43 random URL-safe characters;
only its SHA-256 digest is stored, so a database leak reveals no working link."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.accounts.models import Member
from rapport.accounts.services import audit_record
from rapport.core import tokens
from rapport.deals.models import Deal
from rapport.deals.queries import visible_deals
from rapport.deals.services import money
from rapport.interactions.models import Interaction
from rapport.interactions.services import interaction_create
from rapport.people.models import Organisation, Person, Role, Visibility
from rapport.people.queries import organisations, visible_people
from rapport.trust.signals import touch
from rapport.value.models import ValueItem, ValueKind, ValueReport

ITEM_FIELDS = {
    "kind",
    "title",
    "details",
    "delivered_on",
    "amount",
    "currency",
    "hours",
    "told",
    "deal",
}
MAX_HOURS = Decimal("99999.99")
CENT = Decimal("0.01")
DEFAULT_REPORT_DAYS = 90
MAX_REPORT_DAYS = 366
BIGGEST_ID = 2**63 - 1


# -- checks -------------------------------------------------------------------------------


def _id(value: Any, name: str, noun: str) -> int:
    if isinstance(value, Model):
        return int(value.pk)
    try:
        if isinstance(value, bool):
            raise TypeError
        pk = int(value)
        if not 0 < pk <= BIGGEST_ID:
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("no such %(noun)s") % {"noun": noun}}) from exc
    return pk


def client_of(
    actor: Any, *, person: Any = None, organisation: Any = None
) -> tuple[Person | None, Organisation | None]:
    """The one client named (a person or an organisation the actor may see), else a
    ValidationError naming the field."""
    given_person = person is not None and person != ""
    given_organisation = organisation is not None and organisation != ""
    if given_person == given_organisation:
        raise ValidationError({"person": _("name exactly one person or one organisation")})
    if given_person:
        pk = _id(person, "person", _("person"))
        found = visible_people(actor).filter(pk=pk).first()
        if found is None:
            raise ValidationError({"person": _("no such person")})
        return found, None
    pk = _id(organisation, "organisation", _("organisation"))
    found_org = organisations(actor).filter(pk=pk).first()
    if found_org is None:
        raise ValidationError({"organisation": _("no such organisation")})
    return None, found_org


def _deal(actor: Any, value: Any) -> Deal | None:
    if value is None or value == "":
        return None
    pk = _id(value, "deal", _("deal"))
    found = visible_deals(actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError({"deal": _("no such deal")})
    return found


def _hours(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError({"hours": _("must be a number of hours, such as 2.5")})
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError({"hours": _("must be a number of hours, such as 2.5")}) from exc
    if not hours.is_finite():
        raise ValidationError({"hours": _("must be a number of hours, such as 2.5")})
    if hours < 0:
        raise ValidationError({"hours": _("must not be negative")})
    if hours > MAX_HOURS:
        raise ValidationError({"hours": _("is too large")})
    if hours != hours.quantize(CENT, rounding="ROUND_DOWN"):
        raise ValidationError({"hours": _("at most two decimal places")})
    return hours.quantize(CENT)


def _delivered_on(value: Any, today: dt.date) -> dt.date:
    day: dt.date | None = None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and value.strip():
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if day is None:
        raise ValidationError({"delivered_on": _("a date is required, such as 2026-12-01")})
    if day > today:
        raise ValidationError({"delivered_on": _("delivered work cannot be dated in the future")})
    if day.year < 1900:
        raise ValidationError({"delivered_on": _("a date is required, such as 2026-12-01")})
    return day


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    if code and not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise ValidationError(
            {"currency": _("a currency is a three-letter code such as USD, EUR or CNY")}
        )
    return code


def _private(item: ValueItem | ValueReport) -> bool:
    return item.person is not None and item.person.visibility == Visibility.PRIVATE


def _apply(actor: Any, item: ValueItem, fields: dict[str, Any], now: dt.datetime) -> list[str]:
    """Set the given fields on `item` after checking each; the names changed."""
    unknown = sorted(set(fields) - ITEM_FIELDS)
    if unknown:
        raise ValidationError({name: "unknown field" for name in unknown})
    changed: list[str] = []

    def put(name: str, value: Any) -> None:
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)

    if "kind" in fields:
        kind = str(fields["kind"] or "")
        if kind not in ValueKind.values:
            raise ValidationError(
                {"kind": _("one of: %(kinds)s") % {"kinds": ", ".join(ValueKind.values)}}
            )
        put("kind", kind)
    if "title" in fields:
        title = str(fields["title"] or "").strip()
        if not title:
            raise ValidationError({"title": _("say what was delivered")})
        if len(title) > 200:
            raise ValidationError({"title": _("at most 200 characters")})
        put("title", title)
    if "details" in fields:
        details = str(fields["details"] or "").strip()
        if len(details) > 10000:
            raise ValidationError({"details": _("at most 10000 characters")})
        put("details", details)
    if "delivered_on" in fields:
        put("delivered_on", _delivered_on(fields["delivered_on"], timezone.localdate(now)))
    if "amount" in fields:
        put("amount", money(fields["amount"], "amount"))
    if "currency" in fields:
        put("currency", _currency(fields["currency"]))
    if "hours" in fields:
        put("hours", _hours(fields["hours"]))
    if "deal" in fields:
        deal = _deal(actor, fields["deal"])
        if item.deal_id != (deal.pk if deal else None):
            item.deal = deal
            changed.append("deal")
    if "told" in fields:
        told = bool(fields["told"])
        if told and item.told_at is None:
            item.told_at = now
            changed.append("told_at")
        elif not told and item.told_at is not None:
            item.told_at = None
            changed.append("told_at")
    if item.amount is not None and not item.currency:
        raise ValidationError({"currency": _("an amount needs its currency, such as USD")})
    if item.amount is None and item.currency and "currency" in changed:
        # A currency alone means nothing; keep the row tidy rather than refuse.
        item.currency = ""
    return changed


@transaction.atomic
def value_item_create(
    *,
    actor: Any,
    person: Any = None,
    organisation: Any = None,
    now: dt.datetime | None = None,
    **fields: Any,
) -> ValueItem:
    """Record something delivered to a client. `told=True` marks the client as told now."""
    now = now or timezone.now()
    client, org = client_of(actor, person=person, organisation=organisation)
    for name in ("kind", "title", "delivered_on"):
        fields.setdefault(name, None)
    item = ValueItem(team_id=actor.member.team_id, person=client, organisation=org)
    item.recorded_by = actor
    _apply(actor, item, fields, now)
    item.save()
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="value_item.create",
        obj=item,
        summary=item.title,
        private=_private(item),
        person=client,
    )
    if item.told_at is not None:
        touch(people=[item.person_id], organisations=[item.organisation_id])
    return item


@transaction.atomic
def value_item_update(
    *, actor: Any, item: ValueItem, now: dt.datetime | None = None, **fields: Any
) -> ValueItem:
    """Change an item; only the fields given change."""
    now = now or timezone.now()
    changed = _apply(actor, item, fields, now)
    if not changed:
        return item
    item.save(update_fields=[*sorted(set(changed)), "updated_at"])
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="value_item.update",
        obj=item,
        summary=item.title,
        changes={"fields": sorted(changed)},
        private=_private(item),
        person=item.person,
    )
    if "told_at" in changed:
        touch(people=[item.person_id], organisations=[item.organisation_id])
    return item


@transaction.atomic
def value_item_delete(*, actor: Any, item: ValueItem) -> None:
    """Remove an item recorded by mistake."""
    told = item.told_at is not None
    people, orgs = [item.person_id], [item.organisation_id]
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="value_item.delete",
        obj=item,
        summary=item.title,
        private=_private(item),
        person=item.person,
    )
    item.delete()
    if told:
        touch(people=people, organisations=orgs)


# -- reports ------------------------------------------------------------------------------


def _period_day(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError({name: _("a date is required, such as 2026-12-01")})


@transaction.atomic
def value_report_create(
    *,
    actor: Any,
    person: Any = None,
    organisation: Any = None,
    period_from: Any,
    period_to: Any,
    language: str | None = None,
    days: int = DEFAULT_REPORT_DAYS,
    now: dt.datetime | None = None,
) -> tuple[ValueReport, str]:
    """A "what we did for you" report for one client and period, in `language` (the
    actor's by default), behind a link valid for `days`. Returns the report and its
    token, which is shown once."""
    now = now or timezone.now()
    client, org = client_of(actor, person=person, organisation=organisation)
    start = _period_day(period_from, "from")
    end = _period_day(period_to, "to")
    if start > end:
        raise ValidationError({"to": _("the period ends before it starts")})
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_REPORT_DAYS:
        raise ValidationError(
            {"days": _("a link lasts from 1 to %(max)s days") % {"max": MAX_REPORT_DAYS}}
        )
    language = language or actor.member.language
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            {"language": _("%(value)s is not a language Rapport speaks") % {"value": language}}
        )
    token, secret = tokens.issue()
    report = ValueReport.objects.create(
        team_id=actor.member.team_id,
        created_by=actor,
        person=client,
        organisation=org,
        period_from=start,
        period_to=end,
        language=language,
        **secret,
        expires_at=now + dt.timedelta(days=days),
    )
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="value_report.create",
        obj=report,
        summary=client.display_name if client else org.name if org else "",
        private=_private(report),
        person=client,
    )
    return report, token


def value_report_lookup(token: str) -> ValueReport | None:
    """The report a token opens, live or not (None for a token never issued)."""
    return tokens.find(
        ValueReport.objects.select_related("team", "person", "organisation", "created_by"), token
    )


def value_report_live(report: ValueReport, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return report.revoked_at is None and report.expires_at > now


def value_report_viewed(*, report: ValueReport) -> None:
    """Count one opening of the page."""
    ValueReport.objects.filter(pk=report.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )


@transaction.atomic
def value_report_revoke(*, actor: Any, report: ValueReport) -> ValueReport:
    """Close the link for good."""
    if report.revoked_at is not None:
        raise ValidationError({"report": _("this link was already revoked")})
    report.revoked_at = timezone.now()
    report.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="value_report.revoke",
        obj=report,
        private=_private(report),
        person=report.person,
    )
    return report


def _recipients(actor: Any, report: ValueReport) -> list[Person]:
    """Whom the report went to: the person, or the organisation's current people the
    actor may see (not the team's own members)."""
    if report.person is not None:
        return [report.person]
    members = Member.objects.filter(team_id=report.team_id, person__isnull=False).values(
        "person_id"
    )
    ids = (
        Role.objects.filter(organisation=report.organisation, ended_on__isnull=True)
        .exclude(person_id__in=members)
        .values("person_id")
    )
    return list(visible_people(actor).filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def value_report_send(
    *, actor: Any, report: ValueReport, now: dt.datetime | None = None
) -> ValueReport:
    """Record that the report was sent: every item of its client and period not yet told
    is marked told now, and an email on the client's agenda is logged with the client
    (for an organisation, with its current people), so it feeds the relationship record
    and credibility."""
    now = now or timezone.now()
    if report.sent_at is not None:
        raise ValidationError({"report": _("this report was already marked as sent")})
    if report.revoked_at is not None:
        raise ValidationError({"report": _("this link was revoked: create a new report")})
    from rapport.value.queries import report_items

    told = report_items(report).filter(told_at__isnull=True).update(told_at=now)
    recipients = _recipients(actor, report)
    if recipients:
        with translation.override(actor.member.language):
            summary = _("Sent a report of what we did for you")
        report.interaction = interaction_create(
            actor=actor,
            participants=recipients,
            kind=Interaction.Kind.EMAIL,
            focus=Interaction.Focus.CLIENT,
            occurred_at=now,
            summary=summary,
        )
    report.sent_at = now
    report.save(update_fields=["sent_at", "interaction"])
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="value_report.send",
        obj=report,
        changes={"items_told": told},
        private=_private(report),
        person=report.person,
    )
    touch(people=[report.person_id], organisations=[report.organisation_id])
    return report
