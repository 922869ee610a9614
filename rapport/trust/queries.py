"""Reads for the trust card, the trust list, the CLI and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Member
from rapport.commitments.models import Commitment, Decision, Meeting, Risk
from rapport.commitments.queries import visible_commitments
from rapport.core.charts import trend_chart
from rapport.interactions.models import Interaction, Signal
from rapport.interactions.queries import visible_interactions
from rapport.people.common_ground import KnownFact, suggest_topic
from rapport.people.models import Fact, Organisation, Person, Role, Visibility
from rapport.trust import coaching, equation, evidence, scoring, texts
from rapport.trust.coaching import Ref, Situation
from rapport.trust.equation import Views
from rapport.trust.models import Claim, Evidence, EvidenceShown, Survey, TrustScore, TrustSnapshot

TREND_DAYS = 182
LINES_SHOWN = 5


@dataclass(frozen=True)
class Line:
    """One event in a component's explanation."""

    kind: str
    text: str
    label: str
    at: dt.datetime
    effect: float
    url: str


@dataclass(frozen=True)
class ComponentCard:
    name: str
    title: str
    question: str
    value: float
    ours: float
    client: float | None
    count: int
    uncertain: bool
    weakest: bool
    outlier: bool
    percent: float  # bar length: strength 0..100, so a long bar is always good
    lines: list[Line]

    @property
    def shown(self) -> list[Line]:
        return self.lines[:LINES_SHOWN]

    @property
    def more(self) -> list[Line]:
        return self.lines[LINES_SHOWN:]


@dataclass(frozen=True)
class ActionCard:
    code: str
    component: str
    text: str
    url: str
    gain: float


@dataclass
class TrustCard:
    name: str
    t: float
    t_ours: float
    components: list[ComponentCard]
    actions: list[ActionCard]
    has_survey: bool
    trend: Any = None
    delta_week: float | None = None
    as_of: dt.datetime = field(default_factory=timezone.now)

    @property
    def weakest(self) -> ComponentCard:
        return next(c for c in self.components if c.weakest)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "as_of": self.as_of.isoformat(),
            "t": round(self.t, 2),
            "t_ours": round(self.t_ours, 2),
            "delta_week": self.delta_week,
            "weakest": self.weakest.name,
            "components": {
                c.name: {
                    "name": c.title,
                    "value": round(c.value, 2),
                    "ours": round(c.ours, 2),
                    "client": None if c.client is None else round(c.client, 2),
                    "evidence": c.count,
                    "uncertain": c.uncertain,
                    "outlier": c.outlier,
                    "explanation": [
                        {
                            "kind": line.kind,
                            "what": line.text,
                            "about": line.label,
                            "at": line.at.isoformat(),
                            "effect": round(line.effect, 3),
                        }
                        for line in c.lines
                    ],
                }
                for c in self.components
            },
            "next_actions": [
                {"component": a.component, "action": a.text, "gain": round(a.gain, 3)}
                for a in self.actions
            ],
        }


def _component_cards(views: Views) -> list[ComponentCard]:
    score, ours = views.blended, views.ours
    weakest, outlier = score.weakest.name, score.outlier
    cards = []
    for part, mine in zip(score.components, ours.components, strict=True):
        lines = [
            Line(
                kind=c.event.kind,
                text=texts.kind_text(c.event.kind),
                label=c.event.label,
                at=c.event.at,
                effect=c.effect,
                url=c.event.url,
            )
            for c in part.contributions
            if abs(c.effect) >= 0.005
        ]
        cards.append(
            ComponentCard(
                name=part.name,
                title=str(texts.COMPONENT_NAMES[part.name]),
                question=str(texts.COMPONENT_QUESTIONS[part.name]),
                value=part.value,
                ours=mine.value,
                client=views.client.get(part.name),
                count=part.count,
                uncertain=part.uncertain,
                weakest=part.name == weakest,
                outlier=part.name == outlier,
                percent=round(100 * part.strength, 1),
                lines=lines,
            )
        )
    return cards


def _ref_commitment(c: Commitment, when: Any = None) -> Ref:
    return Ref(c.title, when, reverse("commitment_detail", args=[c.pk]))


def _situation(
    actor: Any, name: str, people: list[Person], organisation: Organisation | None, now: dt.datetime
) -> Situation:
    """What is open with these people (and the organisation): the raw material of the
    next actions, read from what the actor may see."""
    ids = [p.pk for p in people]
    about = Q(person_id__in=ids)
    if organisation is not None:
        about |= Q(organisation=organisation)
    promises = visible_commitments(actor).filter(about, side="ours")
    open_ = promises.filter(status=Commitment.Status.OPEN)
    overdue = [
        _ref_commitment(c, c.due_on) for c in open_.filter(due_at__lt=now).order_by("due_at")[:3]
    ]
    due_soon = [
        _ref_commitment(c, c.due_on)
        for c in open_.filter(due_at__gte=now, due_at__lt=now + dt.timedelta(days=7)).order_by(
            "due_at"
        )[:2]
    ]
    hidden = [
        Ref(
            r.title,
            r.raised_at,
            reverse("commitment_detail", args=[r.commitment_id]),
            r.commitment.title,
        )
        for r in Risk.objects.filter(
            commitment__in=open_, disclosed_at__isnull=True, resolved_at__isnull=True
        )
        .select_related("commitment")
        .order_by("raised_at")[:3]
    ]
    unreported = [
        _ref_commitment(c)
        for c in promises.filter(
            status__in=[Commitment.Status.KEPT, Commitment.Status.KEPT_LATE],
            reported_back_at__isnull=True,
        ).order_by("-closed_at")[:2]
    ]
    talks = visible_interactions(actor).filter(participations__person_id__in=ids).distinct()
    meetings = Interaction.objects.filter(
        pk__in=talks.filter(
            occurred_at__gt=now,
            occurred_at__lte=now + dt.timedelta(days=14),
            kind__in=[Interaction.Kind.MEETING, Interaction.Kind.VIDEO, Interaction.Kind.CALL],
        ).values("pk")
    ).exclude(
        pk__in=Meeting.objects.filter(agenda_shared_at__isnull=False).values("interaction_id")
    )
    without_agenda = [
        Ref(m.summary, timezone.localtime(m.occurred_at), reverse("meeting_detail", args=[m.pk]))
        for m in meetings.order_by("occurred_at")[:2]
    ]
    decisions = [
        Ref(d.text, d.decided_at, reverse("meeting_detail", args=[d.interaction_id]))
        for d in Decision.objects.filter(
            interaction__in=talks.filter(occurred_at__lte=now).values("pk"),
            commitment__isnull=True,
            no_follow_up=False,
        ).order_by("decided_at")[:2]
    ]
    recent = list(
        talks.filter(occurred_at__lte=now)
        .exclude(kind=Interaction.Kind.NOTE)
        .order_by("-occurred_at")
        .values("pk", "focus", "occurred_at", "topics")[:5]
    )
    signals = frozenset(
        Signal.objects.filter(interaction_id__in=[r["pk"] for r in recent]).values_list(
            "kind", flat=True
        )
    )
    facts = list(
        Fact.objects.filter(person_id__in=ids).values_list("category", "value", "learned_on")
    )
    known = frozenset(c for c, _v, _d in facts)
    recent_topics = [t for r in recent for t in (r["topics"] or [])]
    topic = suggest_topic([KnownFact(c, v, d) for c, v, d in facts], recent_topics)
    silence = cadence = None
    if len(people) == 1 and people[0].contact_cadence_days:
        cadence = people[0].contact_cadence_days
        if recent:
            silence = (now - recent[0]["occurred_at"]).days
    industries = {
        i.lower()
        for i in Organisation.objects.filter(
            Q(roles__person_id__in=ids, roles__ended_on__isnull=True)
            | Q(pk=organisation.pk if organisation else None)
        ).values_list("industry", flat=True)
        if i
    }
    shown = EvidenceShown.objects.filter(Q(person_id__in=ids) | Q(organisation=organisation))
    today = timezone.localdate(now)
    library = Evidence.objects.filter(
        team_id=actor.member.team_id, verified_on__isnull=False
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    candidates = [
        e
        for e in library.exclude(pk__in=shown.values("evidence_id")).order_by("-verified_on", "pk")[
            :50
        ]
        if not industries or not e.industries or industries & {x.lower() for x in e.industries}
    ]
    to_show = [
        Ref(e.title, None, reverse("evidence_list"), e.get_kind_display()) for e in candidates[:1]
    ]
    stale = [
        Ref(e.title, e.expires_on, reverse("evidence_list"))
        for e in Evidence.objects.filter(pk__in=shown.values("evidence_id"), expires_on__lt=today)[
            :1
        ]
    ]
    claims = Claim.objects.filter(
        Q(person_id__in=ids) | Q(organisation=organisation),
        Q(visibility=Visibility.TEAM) | Q(owner_id=actor.pk),
        status=Claim.Status.PENDING,
        made_at__lt=now - dt.timedelta(days=14),
    ).order_by("made_at")[:1]
    return Situation(
        name=name,
        now=now,
        overdue=tuple(overdue),
        due_soon=tuple(due_soon),
        hidden_risks=tuple(hidden),
        unreported=tuple(unreported),
        open_decisions=tuple(decisions),
        meetings_without_agenda=tuple(without_agenda),
        evidence_to_show=tuple(to_show),
        stale_evidence=tuple(stale),
        pending_claims=tuple(Ref(c.statement, c.made_at, reverse("claim_list")) for c in claims),
        known_categories=known if len(people) == 1 else frozenset(coaching.GROUND),
        topic=topic.value if topic else "",
        silence_days=silence,
        cadence_days=cadence,
        recent_focus=tuple(r["focus"] for r in recent),
        recent_signals=signals,
        surveyed=Survey.objects.filter(person_id__in=ids).exists(),
    )


def _trend(snapshots: QuerySet[TrustSnapshot]) -> Any:
    points = [
        (str(formats.date_format(day, "SHORT_DATE_FORMAT")), t)
        for day, t in snapshots.order_by("day").values_list("day", "t")
    ]
    if len(points) < 2:
        return None
    return trend_chart(points, title=_("Trust over time"))


def _card(
    actor: Any,
    name: str,
    events: list[equation.Event],
    people: list[Person],
    organisation: Organisation | None,
    snapshots: QuerySet[TrustSnapshot],
    stored: TrustScore | None,
    now: dt.datetime,
) -> TrustCard:
    half_life = scoring.half_life()
    views = equation.views(events, now=now, half_life_days=half_life)
    sums = equation.sums_of(events, now=now, half_life_days=half_life)
    situation = _situation(actor, name, people, organisation, now)
    actions = [
        ActionCard(a.code, a.component, texts.action_text(a.code, a.params, name), a.url, a.gain)
        for a in coaching.next_actions(views.blended, sums, situation)
    ]
    since = timezone.localdate(now) - dt.timedelta(days=TREND_DAYS)
    return TrustCard(
        name=name,
        t=views.blended.t,
        t_ours=views.ours.t,
        components=_component_cards(views),
        actions=actions,
        has_survey=views.has_survey,
        trend=_trend(snapshots.filter(day__gte=since)),
        delta_week=stored.delta_week if stored else None,
        as_of=now,
    )


def person_card(actor: Any, person: Person, *, now: dt.datetime | None = None) -> TrustCard:
    """The trust card of a person the actor may see (resolve it with person_for)."""
    now = now or timezone.now()
    return _card(
        actor,
        person.display_name,
        evidence.person_events(person, now),
        [person],
        None,
        TrustSnapshot.objects.filter(person=person),
        TrustScore.objects.filter(person=person).first(),
        now,
    )


def organisation_card(
    actor: Any, organisation: Organisation, *, now: dt.datetime | None = None
) -> TrustCard:
    """An organisation's card: its shared people pooled by influence."""
    now = now or timezone.now()
    members = [p for p, _w in evidence.organisation_members(organisation)]
    # Coaching looks at the people who weigh most: decision makers first.
    key = Role.objects.filter(
        organisation=organisation, ended_on__isnull=True, person__in=members
    ).order_by("-is_decision_maker", "-influence", "person_id")
    leaders = list(Person.objects.filter(pk__in=list(key.values_list("person_id", flat=True)[:5])))
    return _card(
        actor,
        organisation.name,
        evidence.organisation_events(organisation, now),
        leaders,
        organisation,
        TrustSnapshot.objects.filter(organisation=organisation),
        TrustScore.objects.filter(organisation=organisation).first(),
        now,
    )


def _members(team_id: int) -> QuerySet[Member]:
    """The team's own people (each member's Person), who are not relationships."""
    return Member.objects.filter(team_id=team_id, person__isnull=False).values("person_id")


def trust_scores(actor: Any) -> QuerySet[TrustScore]:
    """Stored scores of the relationships the actor may see: shared people, the actor's
    own private people, and the team's organisations (team members themselves left out)."""
    team_id = actor.member.team_id
    people = Q(person__visibility=Visibility.TEAM) | Q(person__owner_id=actor.pk)
    return (
        TrustScore.objects.filter(team_id=team_id)
        .filter(Q(organisation__isnull=False) | (Q(person__isnull=False) & people))
        .exclude(person_id__in=_members(team_id))
        .select_related("person", "organisation")
    )
