"""Today's agenda for one user: what to do about promises, people and meetings.

The same agenda feeds the dashboard, `rapport agenda`, the API and the morning email.
Each section lists at most `limit` items (most urgent first) with its full count, and
every item links to the page where it is resolved."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.commitments import deadlines
from rapport.commitments.models import Commitment, Decision, Risk
from rapport.commitments.queries import _mine, visible_commitments
from rapport.interactions import queries as interaction_queries
from rapport.network import queries as network_queries
from rapport.people import queries as people_queries
from rapport.people.common_ground import KnownFact, suggest_topic
from rapport.people.models import Fact, Visibility

SECTIONS = (
    "commitments",
    "risks",
    "unreported",
    "decisions",
    "birthdays",
    "going_cold",
    "thank_referrers",
    "stoploss",
)
BIRTHDAY_DAYS = 7


@dataclass
class Item:
    kind: str
    title: str
    url: str
    when: str | None = None
    who: str = ""
    detail: str = ""
    days: int | None = None
    urgent: bool = False


@dataclass
class Section:
    name: str
    heading: str
    count: int = 0
    items: list[Item] = field(default_factory=list)


@dataclass
class Agenda:
    user: str
    date: dt.date
    time_zone: str
    sections: list[Section]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)

    def as_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "date": self.date.isoformat(),
            "time_zone": self.time_zone,
            "total": self.total,
            "sections": {
                s.name: {
                    "heading": s.heading,
                    "count": s.count,
                    "items": [asdict(i) for i in s.items],
                }
                for s in self.sections
            },
        }


def _who(actor: Any, commitment: Commitment) -> str:
    """Who the promise is with, never naming a colleague's private contact (a person made
    private after the promise was recorded): the promise stays its owner's, the name not."""
    person = commitment.person
    names = []
    if person is not None and (person.visibility == Visibility.TEAM or person.owner_id == actor.pk):
        names.append(person.display_name)
    if commitment.organisation is not None:
        names.append(commitment.organisation.name)
    return " · ".join(names)


def _commitment_url(commitment_id: int) -> str:
    return reverse("commitment_detail", args=[commitment_id])


def _due(actor: Any, day_end: dt.datetime, now: dt.datetime, zone: str, limit: int) -> Section:
    section = Section("commitments", _("Promises due today or overdue"))
    qs = (
        visible_commitments(actor)
        # A promise due on the day falls due at its end: due_at == day_end is today's.
        .filter(_mine(actor), status=Commitment.Status.OPEN, due_at__lte=day_end)
        .order_by("due_at", "id")
    )
    section.count = qs.count()
    for c in qs.select_related("person", "organisation")[:limit]:
        late = deadlines.days_overdue(c.due_at, now, zone)
        overdue = deadlines.is_overdue(c.due_at, now)
        if c.side == "client":
            detail = _("the client promised this")
        elif overdue:
            detail = _("overdue: keep it, or renegotiate and tell the client")
        else:
            detail = _("due today")
        section.items.append(
            Item(
                kind="overdue" if overdue else "due",
                title=c.title,
                url=_commitment_url(c.pk),
                when=c.due_on.isoformat(),
                who=_who(actor, c),
                detail=detail,
                days=late if overdue else 0,
                urgent=overdue,
            )
        )
    return section


def _risks(actor: Any, limit: int) -> Section:
    section = Section("risks", _("Risks not yet disclosed to the client"))
    # From the few undisclosed risks (a partial index) to their promises, rather than
    # from all of the actor's promises to their risks.
    qs = (
        Risk.objects.filter(
            disclosed_at__isnull=True,
            resolved_at__isnull=True,
            commitment__team_id=actor.member.team_id,
            commitment__status=Commitment.Status.OPEN,
        )
        .filter(_mine(actor, prefix="commitment__"))
        .filter(Q(commitment__visibility=Visibility.TEAM) | Q(commitment__owner_id=actor.pk))
        .select_related("commitment__person", "commitment__organisation")
        .order_by("raised_at", "id")
    )
    section.count = qs.count()
    for risk in qs[:limit]:
        section.items.append(
            Item(
                kind="risk",
                title=risk.title,
                url=_commitment_url(risk.commitment_id) + "#risks",
                when=timezone.localtime(risk.raised_at).date().isoformat(),
                who=_who(actor, risk.commitment),
                detail=_("on “%(promise)s”: tell the client early")
                % {"promise": risk.commitment.title},
                urgent=risk.severity == Risk.Severity.HIGH,
            )
        )
    return section


def _unreported(actor: Any, limit: int) -> Section:
    section = Section("unreported", _("Closed but not yet reported back"))
    qs = (
        visible_commitments(actor)
        .filter(_mine(actor), side="ours", reported_back_at__isnull=True)
        # Two excludes, not one `status__in`: SQLite matches `NOT status = 'open'` to
        # the partial index of unreported closes, not `NOT status IN (...)`.
        .exclude(status=Commitment.Status.OPEN)
        .exclude(status=Commitment.Status.CANCELLED)
        .order_by("closed_at", "id")
    )
    section.count = qs.count()
    for c in qs.select_related("person", "organisation")[:limit]:
        section.items.append(
            Item(
                kind="unreported",
                title=c.title,
                url=_commitment_url(c.pk),
                when=timezone.localtime(c.closed_at).date().isoformat() if c.closed_at else None,
                who=_who(actor, c),
                detail=_("%(status)s: tell the client how it ended")
                % {"status": c.get_status_display()},
            )
        )
    return section


def _decisions(actor: Any, limit: int) -> Section:
    section = Section("decisions", _("Meeting decisions without a follow-up"))
    # The actor's own meetings are always theirs to see; the decision carries the
    # meeting's owner and time, so this is one range of the open-decisions index.
    qs = Decision.objects.filter(
        owner_id=actor.pk, commitment__isnull=True, no_follow_up=False
    ).order_by("decided_at", "id")
    section.count = qs.count()
    page = qs.select_related("interaction").only(
        "id", "text", "decided_at", "interaction_id", "interaction__summary"
    )
    for d in page[:limit]:
        section.items.append(
            Item(
                kind="decision",
                title=d.text,
                url=reverse("meeting_detail", args=[d.interaction_id]) + f"#decision-{d.pk}",
                when=timezone.localtime(d.decided_at).date().isoformat() if d.decided_at else None,
                who=d.interaction.summary,
                detail=_("make it a commitment with an owner, or mark it as needing none"),
            )
        )
    return section


def _birthdays(actor: Any, today: dt.date, limit: int) -> Section:
    section = Section("birthdays", _("Birthdays in the next 7 days"))
    found = people_queries.birthdays_upcoming(actor, today, days=BIRTHDAY_DAYS, owned_only=True)
    section.count = len(found)
    for when, person in found[:limit]:
        lunar = person.birth_calendar == "lunar"
        section.items.append(
            Item(
                kind="birthday",
                title=person.display_name,
                url=reverse("person_detail", args=[person.pk]),
                when=when.isoformat(),
                who=person.display_name,
                detail=_("lunar birthday") if lunar else _("birthday"),
                days=(when - today).days,
                urgent=when == today,
            )
        )
    return section


def _going_cold(actor: Any, now: dt.datetime, limit: int) -> Section:
    section = Section("going_cold", _("Going cold: past the wanted contact cadence"))
    cold = interaction_queries.going_cold(actor, now=now, limit=limit, owned_only=True)
    section.count = interaction_queries.going_cold_count(actor, now=now, owned_only=True)
    facts: dict[int, list[KnownFact]] = {}
    for person_id, category, value, learned_on in Fact.objects.filter(
        person_id__in=[p.pk for p, _days in cold]
    ).values_list("person_id", "category", "value", "learned_on"):
        facts.setdefault(person_id, []).append(KnownFact(category, value, learned_on))
    for person, days in cold:
        topic = suggest_topic(facts.get(person.pk, []))
        if topic is not None:
            detail = _("ask about: %(topic)s (%(category)s)") % {
                "topic": topic.value,
                "category": Fact.Category(topic.category).label,
            }
        else:
            detail = _("you know little of them yet: ask about family or hobbies")
        section.items.append(
            Item(
                kind="going_cold",
                title=person.display_name,
                url=reverse("person_detail", args=[person.pk]),
                when=timezone.localtime(person.last_interaction_at).date().isoformat()
                if person.last_interaction_at
                else None,
                who=person.display_name,
                detail=detail,
                days=days,
                urgent=days > (person.contact_cadence_days or 0),
            )
        )
    return section


def _stoploss(actor: Any, limit: int) -> Section:
    from rapport.deals.queries import near_stoploss, stoploss_figures

    section = Section("stoploss", _("Deals near their stop-loss"))
    found = near_stoploss(actor)
    section.count = len(found)
    for deal in found[:limit]:
        use = deal.stoploss  # type: ignore[attr-defined]
        figures = stoploss_figures(use, deal.currency)
        if use.crossed:
            detail = _("crossed its stop-loss (%(figures)s): raise the limit or walk away") % {
                "figures": figures
            }
        else:
            detail = _("near its stop-loss: %(figures)s") % {"figures": figures}
        section.items.append(
            Item(
                kind="stoploss",
                title=deal.title,
                url=reverse("deal_detail", args=[deal.pk]) + "#stoploss",
                who=deal.organisation.name if deal.organisation else "",
                detail=detail,
                urgent=use.crossed,
            )
        )
    return section


def agenda_for(
    actor: Any, *, day: dt.date | None = None, now: dt.datetime | None = None, limit: int = 20
) -> Agenda:
    """The actor's agenda for `day` (their local today by default), in their time zone."""
    zone = actor.member.time_zone
    now = now or timezone.now()
    day = day or deadlines.local_date(now, zone)
    _start, day_end = deadlines.day_bounds(day, zone)
    # For a day other than today, "now" is the end of that day: what will be due by then.
    if deadlines.local_date(now, zone) != day:
        now = day_end - dt.timedelta(microseconds=1)
    with timezone.override(zone):
        sections = [
            _due(actor, day_end, now, zone, limit),
            _risks(actor, limit),
            _unreported(actor, limit),
            _decisions(actor, limit),
            _birthdays(actor, day, limit),
            _going_cold(actor, now, limit),
            network_queries.agenda_section(actor, limit),
            _stoploss(actor, limit),
        ]
    return Agenda(user=actor.get_username(), date=day, time_zone=zone, sections=sections)
