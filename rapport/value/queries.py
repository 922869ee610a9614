"""Reads of the value ledger and its reports, for the pages, the API, the CLI and the
client's report page.

Every fetch by id goes through `*_for`, which raises Http404 for another team's rows and
for the items and reports of a colleague's private contact."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rapport.people.models import Organisation, Person, Role
from rapport.people.queries import seen_person
from rapport.value import totals
from rapport.value.models import ValueItem, ValueKind, ValueReport

KIND_ORDER = list(ValueKind.values)


def _visible(actor: Any) -> Q:
    return Q(team_id=actor.member.team_id) & (Q(person__isnull=True) | seen_person(actor))


def visible_items(actor: Any) -> QuerySet[ValueItem]:
    """The team's items whose client the actor may see, newest delivery first."""
    return ValueItem.objects.filter(_visible(actor)).order_by("-delivered_on", "-id")


def item_for(actor: Any, item_id: int | str, *, write: bool = False) -> ValueItem:
    """The item if the actor may see its client; else Http404."""
    try:
        pk = int(item_id)
        if not 0 < pk < 2**63:
            raise ValueItem.DoesNotExist
        return visible_items(actor).select_related("person", "organisation", "deal").get(pk=pk)
    except (ValueItem.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such value item") from exc


def of_organisation(organisation: Organisation | int, viewer: Any) -> Q:
    """The items an organisation's ledger and reports count: those recorded for it, and
    those recorded for a person who held a role there on the day it was delivered (the
    work went to the firm through them), as far as `viewer` may see that person. A
    colleague's private contact's items are never counted."""
    at_the_time = Role.objects.filter(
        person_id=OuterRef("person_id"), organisation=organisation
    ).filter(
        Q(started_on__isnull=True) | Q(started_on__lte=OuterRef("delivered_on")),
        Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("delivered_on")),
    )
    return Q(organisation=organisation) | (Q(Exists(at_the_time)) & seen_person(viewer))


def items_of(
    actor: Any,
    *,
    person: Person | None = None,
    organisation: Organisation | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[ValueItem]:
    """One client's items (or all visible ones), optionally within dates, newest first.
    An organisation's include its people's while they were there (`of_organisation`)."""
    qs = visible_items(actor)
    if person is not None:
        qs = qs.filter(person=person)
    if organisation is not None:
        qs = qs.filter(of_organisation(organisation, actor))
    if since is not None:
        qs = qs.filter(delivered_on__gte=since)
    if until is not None:
        qs = qs.filter(delivered_on__lte=until)
    return qs


def visible_reports(actor: Any) -> QuerySet[ValueReport]:
    return ValueReport.objects.filter(_visible(actor))


def report_for(actor: Any, report_id: int | str, *, write: bool = False) -> ValueReport:
    """The report if the actor may see its client; else Http404."""
    try:
        pk = int(report_id)
        if not 0 < pk < 2**63:
            raise ValueReport.DoesNotExist
        return visible_reports(actor).select_related("person", "organisation", "team").get(pk=pk)
    except (ValueReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such report") from exc


def report_items(report: ValueReport) -> QuerySet[ValueItem]:
    """The items a report covers: its client's, delivered within its period (for an
    organisation, with its people's while they were there, as its author may see them)."""
    qs = ValueItem.objects.filter(
        team_id=report.team_id,
        delivered_on__gte=report.period_from,
        delivered_on__lte=report.period_to,
    )
    if report.person_id is not None:
        qs = qs.filter(person_id=report.person_id)
    else:
        assert report.organisation_id is not None
        qs = qs.filter(of_organisation(report.organisation_id, report.created_by))
    return qs.select_related("person").order_by("delivered_on", "id")


def report_state(report: ValueReport, now: dt.datetime) -> str:
    """revoked, expired, sent or ready."""
    if report.revoked_at is not None:
        return "revoked"
    if report.expires_at <= now:
        return "expired"
    return "sent" if report.sent_at is not None else "ready"


@dataclass
class Ledger:
    """A client's ledger card: items newest first, their totals, and the reports."""

    items: list[ValueItem]
    totals: totals.Totals
    reports: list[tuple[ValueReport, str]]
    first_day: dt.date | None
    today: dt.date


def ledger(
    actor: Any, *, person: Person | None = None, organisation: Organisation | None = None
) -> Ledger:
    """Everything the ledger card shows, in three queries."""
    now = timezone.now()
    items = list(
        items_of(actor, person=person, organisation=organisation).select_related(
            "person", "deal", "recorded_by__member__person"
        )
    )
    reports = visible_reports(actor)
    reports = (
        reports.filter(person=person)
        if person is not None
        else reports.filter(organisation=organisation)
    )
    return Ledger(
        items=items,
        totals=totals.totals(items),
        reports=[(r, report_state(r, now)) for r in reports.order_by("-created_at", "-id")[:20]],
        first_day=min((i.delivered_on for i in items), default=None),
        today=timezone.localdate(now),
    )


@dataclass
class ReportGroup:
    kind: str
    label: str
    items: list[ValueItem]
    totals: totals.Totals


@dataclass
class ReportView:
    """What the client sees: who it is for and from, the period, items by kind."""

    client: str
    team: str
    author: str
    period_from: dt.date
    period_to: dt.date
    groups: list[ReportGroup] = field(default_factory=list)
    totals: totals.Totals = field(default_factory=totals.Totals)
    # An organisation's report names the person each of its people's items went to.
    for_organisation: bool = False


def _author(user: Any) -> str:
    member = getattr(user, "member", None)
    if member is not None and member.person is not None:
        return str(member.person.display_name)
    return str(user.get_full_name() or user.get_username())


def report_view(report: ValueReport) -> ReportView:
    """The report's content. Call inside the report's language (translation.override):
    kind names are translated, the client's and our own words are shown as typed.
    Only the items' kind, title, details, date, money and hours are shown; never who
    recorded them, deals, notes or anything about other clients."""
    items = list(report_items(report))
    labels = dict(ValueKind.choices)
    view = ReportView(
        client=report.person.display_name if report.person else report.organisation.name,  # type: ignore[union-attr]
        team=report.team.name,
        author=_author(report.created_by),
        period_from=report.period_from,
        period_to=report.period_to,
        totals=totals.totals(items),
        for_organisation=report.organisation_id is not None,
    )
    for kind, group, subtotal in totals.by_kind(items, KIND_ORDER):
        view.groups.append(
            ReportGroup(kind=kind, label=str(labels.get(kind, kind)), items=group, totals=subtotal)
        )
    return view
