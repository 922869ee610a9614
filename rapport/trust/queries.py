"""Reads for the trust card, the trust list, the CLI and the API."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Func, IntegerField, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.commitments.models import Commitment, Decision, Meeting, Risk
from rapport.commitments.queries import visible_commitments
from rapport.core.charts import bar_chart, trend_chart
from rapport.interactions.models import Interaction, Participation, Signal
from rapport.people.common_ground import KnownFact, suggest_topic
from rapport.people.models import Fact, Organisation, Person, Role, Tag, Visibility
from rapport.people.queries import (
    organisation_for,
    organisations,
    people_search,
    person_for,
    visible_people,
)
from rapport.people.searchkey import fold, normalise_query, pinyin_forms
from rapport.trust import coaching, equation, evidence, scoring, texts
from rapport.trust.coaching import Ref, Situation
from rapport.trust.equation import Views
from rapport.trust.models import Claim, Evidence, EvidenceShown, Survey, TrustScore, TrustSnapshot
from rapport.trust.weights import COMPONENTS as W_COMPONENTS

TREND_DAYS = 182
LINES_SHOWN = 5
# How many of a relationship's newest conversations (up to a fortnight ahead) the card
# reads for its coaching.
RECENT_READ = 50


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


@dataclass(frozen=True)
class Member:
    """A person in an organisation's pool, as its card explains them."""

    name: str
    decides: bool
    url: str


def _member_lines(
    contributions: Iterable[equation.Contribution], members: Mapping[int, Member]
) -> list[Line]:
    """One line per person of an organisation: the sum of their events' contributions
    (their own card itemises them), newest date of the lot."""
    effect: dict[int, float] = defaultdict(float)
    count: dict[int, int] = defaultdict(int)
    newest: dict[int, dt.datetime] = {}
    for c in contributions:
        who = c.event.who
        effect[who] += c.effect
        count[who] += c.event.count
        newest[who] = max(newest.get(who, c.event.shown_at), c.event.shown_at)
    lines = []
    for who, total in effect.items():
        member = members[who]
        pieces = ngettext(
            "%(count)d piece of evidence", "%(count)d pieces of evidence", count[who]
        ) % {"count": count[who]}
        lines.append(
            Line(
                kind="decision_maker" if member.decides else "member",
                text=member.name,
                label=f"{_('decision maker')} · {pieces}" if member.decides else pieces,
                at=newest[who],
                effect=total,
                url=member.url,
            )
        )
    return lines


def _component_cards(
    views: Views, members: Mapping[int, Member] | None = None
) -> list[ComponentCard]:
    """Each component with its explanation, largest effect first. With `members` (an
    organisation's card) its people's events are summed into one line per person."""
    score, ours = views.blended, views.ours
    weakest, outlier = score.weakest.name, score.outlier
    cards = []
    for part, mine in zip(score.components, ours.components, strict=True):
        pooled = members is not None
        lines = [
            Line(
                kind=c.event.kind,
                text=texts.kind_text(c.event.kind),
                label=c.event.label,
                at=c.event.shown_at,
                effect=c.effect,
                url=c.event.url,
            )
            for c in part.contributions
            if not (pooled and c.event.who)
        ]
        if members is not None:
            lines += _member_lines((c for c in part.contributions if c.event.who), members)
            lines.sort(key=lambda line: (-round(abs(line.effect), 9), -line.at.timestamp()))
        lines = [line for line in lines if abs(line.effect) >= 0.005]
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
    # Our open promises and the kept ones not yet reported back, in one read, sorted
    # into what coaching needs here (few rows: closed promises drop out once reported).
    kept = [Commitment.Status.KEPT, Commitment.Status.KEPT_LATE]
    promises = list(
        visible_commitments(actor)
        .filter(about, side="ours")
        .filter(
            Q(status=Commitment.Status.OPEN) | Q(status__in=kept, reported_back_at__isnull=True)
        )
        .only("pk", "title", "status", "due_at", "due_on", "closed_at")
    )
    open_ = sorted(
        (c for c in promises if c.status == Commitment.Status.OPEN), key=lambda c: c.due_at
    )
    overdue = [_ref_commitment(c, c.due_on) for c in open_ if c.due_at < now][:3]
    soon = now + dt.timedelta(days=7)
    due_soon = [_ref_commitment(c, c.due_on) for c in open_ if now <= c.due_at < soon][:2]
    hidden = [
        Ref(
            r.title,
            r.raised_at,
            reverse("commitment_detail", args=[r.commitment_id]),
            r.commitment.title,
        )
        for r in Risk.objects.filter(
            commitment_id__in=[c.pk for c in open_],
            disclosed_at__isnull=True,
            resolved_at__isnull=True,
        )
        .select_related("commitment")
        .order_by("raised_at")[:3]
    ]
    unreported = [
        _ref_commitment(c)
        for c in sorted(
            (c for c in promises if c.status in kept),
            key=lambda c: c.closed_at or now,
            reverse=True,
        )[:2]
    ]
    # The newest conversations with these people and the next fortnight's, through the
    # (person, -occurred_at) index of participations, never their whole history: a client
    # of ten years may have thousands. Read by id and filtered here, so SQLite never
    # walks the team's history by time.
    team_id = actor.member.team_id
    horizon = now + dt.timedelta(days=14)
    mine = Participation.objects.filter(person_id__in=ids)
    # Only conversations the actor may see count towards the 50 (and each once, though
    # several of an organisation's people took part).
    talk_ids = {
        interaction_id
        for interaction_id, _at in mine.filter(
            Q(interaction__visibility=Visibility.TEAM) | Q(interaction__owner_id=actor.pk),
            occurred_at__lte=horizon,
            interaction__team_id=team_id,
        )
        .exclude(interaction__kind=Interaction.Kind.NOTE)
        .order_by("-occurred_at")
        .values_list("interaction_id", "occurred_at")
        .distinct()[:RECENT_READ]
    }
    talks = sorted(
        (
            t
            for t in Interaction.objects.filter(pk__in=talk_ids)
            .order_by()
            .values(
                "pk",
                "kind",
                "focus",
                "occurred_at",
                "topics",
                "summary",
                "team_id",
                "visibility",
                "owner_id",
            )
            if t["team_id"] == team_id
            and (t["visibility"] == Visibility.TEAM or t["owner_id"] == actor.pk)
        ),
        key=lambda t: (t["occurred_at"], t["pk"]),
        reverse=True,
    )
    upcoming = [
        t
        for t in reversed(talks)
        if now < t["occurred_at"] <= horizon
        and t["kind"] in (Interaction.Kind.MEETING, Interaction.Kind.VIDEO, Interaction.Kind.CALL)
    ]
    prepared = set(
        Meeting.objects.filter(
            interaction_id__in=[t["pk"] for t in upcoming], agenda_shared_at__isnull=False
        ).values_list("interaction_id", flat=True)
    )
    without_agenda = [
        Ref(
            t["summary"],
            timezone.localtime(t["occurred_at"]),
            reverse("meeting_detail", args=[t["pk"]]),
        )
        for t in upcoming
        if t["pk"] not in prepared
    ][:2]
    # Decisions still without a promise, in any conversation with them the actor may see
    # (few rows: read from the participations' side, visibility checked here).
    decisions = [
        Ref(d.text, d.decided_at, reverse("meeting_detail", args=[d.interaction_id]))
        for d in Decision.objects.filter(
            interaction_id__in=mine.values("interaction_id"),
            commitment__isnull=True,
            no_follow_up=False,
            decided_at__isnull=False,
            decided_at__lte=now,
        )
        .select_related("interaction")
        .order_by("decided_at")
        if d.interaction.team_id == team_id
        and (d.interaction.visibility == Visibility.TEAM or d.interaction.owner_id == actor.pk)
    ][:2]
    recent = [t for t in talks if t["occurred_at"] <= now and t["kind"] != Interaction.Kind.NOTE][
        :5
    ]
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
    # Through the roles' organisation ids: an OR across the roles join makes SQLite
    # scan every organisation of the book.
    industries = {
        i.lower()
        for i in Organisation.objects.filter(
            pk__in=Role.objects.filter(person_id__in=ids, ended_on__isnull=True).values(
                "organisation_id"
            )
        ).values_list("industry", flat=True)
        if i
    }
    if organisation is not None and organisation.industry:
        industries.add(organisation.industry.lower())
    shown = EvidenceShown.objects.filter(about)
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
        Ref(e.title, None, reverse("evidence_detail", args=[e.pk]), e.get_kind_display())
        for e in candidates[:1]
    ]
    stale = [
        Ref(e.title, e.expires_on, reverse("evidence_detail", args=[e.pk]))
        for e in Evidence.objects.filter(pk__in=shown.values("evidence_id"), expires_on__lt=today)[
            :1
        ]
    ]
    claims = Claim.objects.filter(
        about,
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
        pending_claims=tuple(
            Ref(c.statement, c.made_at, reverse("claim_detail", args=[c.pk])) for c in claims
        ),
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
    members: Mapping[int, Member] | None = None,
) -> TrustCard:
    half_life = scoring.half_life()
    views = equation.views(events, now=now, half_life_days=half_life)
    sums = views.blended.sums()
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
        components=_component_cards(views, members),
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
    members = evidence.organisation_members(organisation)
    # Coaching looks at the people who weigh most: decision makers first, then by
    # influence (their weight orders them so).
    leaders = [p for p, _w in sorted(members, key=lambda m: (-m[1], m[0].pk))[:5]]
    deciders = set(
        Role.objects.filter(
            organisation=organisation, ended_on__isnull=True, is_decision_maker=True
        ).values_list("person_id", flat=True)
    )
    explained = {
        p.pk: Member(p.display_name, p.pk in deciders, reverse("person_detail", args=[p.pk]))
        for p, _w in members
    }
    return _card(
        actor,
        organisation.name,
        evidence.organisation_events(organisation, now, members),
        leaders,
        organisation,
        TrustSnapshot.objects.filter(organisation=organisation),
        TrustScore.objects.filter(organisation=organisation).first(),
        now,
        explained,
    )


_members = evidence.team_members


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


# ---------------------------------------------------------------------------------------
# The trust list, its panels, and finding a relationship by name (list page, API, CLI).
# Everything reads the stored TrustScore rows: filtered and ordered in SQL on the
# (team, t) and (team, delta_week) indexes, one page loaded at a time.


TRUST_SORTS = ("t", "-t", "falling", "name")
TRUST_SUBJECTS = ("people", "organisations")


@dataclass(frozen=True)
class TrustFilters:
    """What the trust list shows. `subject`: "" (both), "people" or "organisations";
    `mine`: only people the actor owns; `tag`: people with that tag; `weakest`: one of
    C R I S; `t_min`/`t_max`: a range of T; `falling`: only those whose T fell over the
    week; `sort`: "t" (lowest first: who needs attention), "-t", "falling" (fastest
    fall first) or "name"."""

    subject: str = ""
    mine: bool = False
    tag: str = ""
    weakest: str = ""
    t_min: float | None = None
    t_max: float | None = None
    falling: bool = False
    sort: str = "t"

    @property
    def narrowed(self) -> bool:
        return bool(
            self.subject
            or self.mine
            or self.tag
            or self.weakest
            or self.t_min is not None
            or self.t_max is not None
            or self.falling
        )


@dataclass(frozen=True)
class TrustPart:
    """One component of a listed relationship."""

    name: str
    value: float
    count: int
    uncertain: bool
    weakest: bool


@dataclass(frozen=True)
class TrustRow:
    """One relationship on the trust list."""

    subject: str  # "person" or "organisation"
    id: int
    name: str
    url: str
    card_url: str
    organisation: str  # a person's current organisation, to tell namesakes apart
    private: bool
    t: float
    delta_week: float | None
    weakest: str
    parts: list[TrustPart]
    computed_at: dt.datetime

    @property
    def evidence(self) -> int:
        return sum(p.count for p in self.parts)

    @property
    def weakest_title(self) -> str:
        return str(texts.COMPONENT_NAMES[self.weakest])

    @property
    def weakest_part(self) -> TrustPart:
        return next(p for p in self.parts if p.name == self.weakest)

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "id": self.id,
            "name": self.name,
            "organisation": self.organisation or None,
            "t": self.t,
            "delta_week": self.delta_week,
            "weakest": self.weakest,
            "evidence": self.evidence,
            "components": {
                p.name: {"value": p.value, "evidence": p.count, "uncertain": p.uncertain}
                for p in self.parts
            },
            "computed_at": self.computed_at.isoformat(),
        }


def _trust_visible(actor: Any) -> QuerySet[TrustScore]:
    """The rows of trust_scores(actor), shaped for a big book: no join, and only the few
    people kept out (a colleague's private contacts, the team's own members) looked up,
    so a page walks the (team, t) or (team, delta_week) index and stops."""
    team_id = actor.member.team_id
    private = (
        Person.objects.filter(team_id=team_id, visibility=Visibility.PRIVATE)
        .exclude(owner_id=actor.pk)
        .values("pk")
    )
    return (
        TrustScore.objects.filter(team_id=team_id)
        .exclude(person_id__in=private)
        .exclude(person_id__in=_members(team_id))
    )


def _trust_filtered(
    actor: Any, filters: TrustFilters, *, by_weakest: bool = True
) -> QuerySet[TrustScore]:
    team_id = actor.member.team_id
    qs = _trust_visible(actor)
    if filters.subject == "people":
        qs = qs.filter(person_id__isnull=False)
    elif filters.subject == "organisations":
        qs = qs.filter(organisation_id__isnull=False)
    if filters.mine:
        # Organisations have no owner: "mine" is the people the actor looks after.
        mine = Person.objects.filter(team_id=team_id, owner_id=actor.pk).values("pk")
        qs = qs.filter(person_id__in=mine)
    if filters.tag:
        tagged = Person.tags.through.objects.filter(
            tag__team_id=team_id, tag__name=filters.tag
        ).values("person_id")
        qs = qs.filter(person_id__in=tagged)
    if filters.t_min is not None:
        qs = qs.filter(t__gte=filters.t_min)
    if filters.t_max is not None:
        qs = qs.filter(t__lte=filters.t_max)
    if filters.falling:
        qs = qs.filter(delta_week__lt=0)
    if by_weakest and filters.weakest:
        qs = qs.filter(weakest=filters.weakest)
    return qs


class TrustResults:
    """Scores with a known change first (fastest fall first), then those without one:
    sliced like a list, one page at a time, each part read along its index."""

    def __init__(self, qs: QuerySet[TrustScore]) -> None:
        self.known = qs.filter(delta_week__isnull=False).order_by("delta_week", "pk")
        # Along the same index: no change known yet, oldest first.
        self.unknown = qs.filter(delta_week__isnull=True).order_by("pk")

    def __getitem__(self, index: slice) -> list[TrustScore]:
        start, stop = index.start or 0, index.stop
        assert stop is not None and stop >= start
        rows = list(self.known[start:stop])
        if len(rows) == stop - start:
            return rows
        # The known part ends on this page; how far into the unknown part it reaches.
        known = start + len(rows) if rows else self.known.count()
        return rows + list(self.unknown[max(start - known, 0) : stop - known])


def trust_search(actor: Any, filters: TrustFilters) -> QuerySet[TrustScore] | TrustResults:
    """The stored scores the actor may see that match `filters`, in its order, each
    with its person or organisation. Lazy: slice it to load a page."""
    qs = _trust_filtered(actor, filters).select_related("person", "organisation")
    if filters.sort == "-t":
        return qs.order_by("-t", "-pk")
    if filters.sort == "falling":
        return TrustResults(qs)
    if filters.sort == "name":
        return qs.annotate(
            sort_name=Coalesce("person__display_name", "organisation__name")
        ).order_by("sort_name", "pk")
    return qs.order_by("t", "pk")


@dataclass(frozen=True)
class TrustOverview:
    """Counts over the filtered list: how many match, and how many have each component
    as their weakest (ignoring the weakest filter, so the chart reads as a whole)."""

    total: int
    by_weakest: dict[str, int]

    def chart(self) -> Any:
        bars = [
            (f"{name} {texts.COMPONENT_NAMES[name]}", self.by_weakest.get(name, 0))
            for name in W_COMPONENTS
        ]
        return bar_chart(bars, title=_("Relationships by weakest component"), height=150)


def trust_overview(actor: Any, filters: TrustFilters) -> TrustOverview:
    """The list's size and the chart's counts, in one pass over the matching rows."""
    counts = _trust_filtered(actor, filters, by_weakest=False).aggregate(
        total=Count("pk"),
        **{name: Count("pk", filter=Q(weakest=name)) for name in W_COMPONENTS},
    )
    by_weakest = {name: counts[name] or 0 for name in W_COMPONENTS}
    total = by_weakest[filters.weakest] if filters.weakest else counts["total"] or 0
    return TrustOverview(total=total, by_weakest=by_weakest)


def trust_rows(scores: Iterable[TrustScore]) -> list[TrustRow]:
    """List rows for a page of scores (read with their person or organisation), with
    each person's current organisation in one more query."""
    scores = list(scores)
    person_ids = [s.person_id for s in scores if s.person_id]
    employer: dict[int, str] = {}
    for person_id, name in (
        Role.objects.filter(person_id__in=person_ids, ended_on__isnull=True)
        .order_by("-is_decision_maker", "-influence", "pk")
        .values_list("person_id", "organisation__name")
    ):
        employer.setdefault(person_id, name)
    rows = []
    for s in scores:
        detail = s.detail or {}
        parts = [
            TrustPart(
                name=name,
                value=getattr(s, name.lower()),
                count=int((detail.get(name) or {}).get("count", 0)),
                uncertain=bool((detail.get(name) or {}).get("uncertain", False)),
                weakest=name == s.weakest,
            )
            for name in W_COMPONENTS
        ]
        common = {
            "t": s.t,
            "delta_week": s.delta_week,
            "weakest": s.weakest,
            "parts": parts,
            "computed_at": s.computed_at,
        }
        if s.person_id:
            person = s.person
            assert person is not None
            rows.append(
                TrustRow(
                    subject="person",
                    id=person.pk,
                    name=person.display_name,
                    url=reverse("person_detail", args=[person.pk]),
                    card_url=reverse("person_trust", args=[person.pk]),
                    organisation=employer.get(person.pk, ""),
                    private=person.visibility == Visibility.PRIVATE,
                    **common,  # type: ignore[arg-type]
                )
            )
        else:
            organisation = s.organisation
            assert organisation is not None
            rows.append(
                TrustRow(
                    subject="organisation",
                    id=organisation.pk,
                    name=organisation.name,
                    url=reverse("organisation_detail", args=[organisation.pk]),
                    card_url=reverse("organisation_trust", args=[organisation.pk]),
                    organisation="",
                    private=False,
                    **common,  # type: ignore[arg-type]
                )
            )
    return rows


def trust_falling(actor: Any, *, limit: int = 5) -> list[TrustRow]:
    """The relationships whose trust fell most over the week (only falls), worst first."""
    qs = _trust_visible(actor).filter(delta_week__lt=0).order_by("delta_week", "pk")
    return trust_rows(qs.select_related("person", "organisation")[:limit])


class _EvidenceTotal(Func):
    """How many pieces of evidence a stored score rests on: the sum of its components'
    counts in `detail`, read with each database's own JSON operator (one extraction per
    component, which matters over thousands of organisations)."""

    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__(F("detail"))

    def _terms(self, compiler: Any, template: str) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        terms = [template.format(column=column, name=name) for name in W_COMPONENTS]
        return "(" + " + ".join(terms) + ")", list(params) * len(terms)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._terms(compiler, "COALESCE(JSON_EXTRACT({column}, '$.{name}.count'), 0)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._terms(compiler, "COALESCE(({column} -> '{name}' ->> 'count')::integer, 0)")


def trust_key_accounts(actor: Any, *, limit: int = 8) -> list[TrustRow]:
    """The organisations with the most evidence behind their score (the accounts we
    work with most), most first, each with its weakest component."""
    qs = (
        # Driven from the team's organisations (thousands), not its scores (100k+).
        TrustScore.objects.filter(organisation__team_id=actor.member.team_id)
        .annotate(evidence_total=_EvidenceTotal())
        .filter(evidence_total__gt=0)
        .order_by("-evidence_total", "t", "pk")
        .select_related("organisation")
    )
    return trust_rows(qs[:limit])


def trust_tags(actor: Any) -> list[str]:
    """The team's tags, for the list's filter."""
    return list(Tag.objects.filter(team_id=actor.member.team_id).values_list("name", flat=True))


@dataclass(frozen=True)
class TrustSubject:
    """A person or organisation found by name, for `rapport trust NAME`."""

    subject: str  # "person" or "organisation"
    id: int
    name: str
    organisation: str  # a person's current organisation
    person: Person | None = None
    org: Organisation | None = None


def trust_subjects_named(actor: Any, name: str, *, limit: int = 20) -> list[TrustSubject]:
    """Organisations (by name, romanised name or pinyin), then people (as the people
    search finds them: any name, pinyin, email, phone) the actor may see, matching
    `name`; the team's own members are left out. "person:ID" or "organisation:ID" names
    one directly. When exactly one carries exactly that name, it alone is returned.
    At most `limit` + 1 are returned, so that a caller can tell there are more."""
    wanted = name.strip()
    for prefix in ("person:", "organisation:"):
        if wanted.lower().startswith(prefix):
            named = wanted[len(prefix) :].strip()
            try:
                if prefix == "person:":
                    return [_subject_of_person(person_for(actor, named))]
                return [_subject_of_organisation(organisation_for(actor, named))]
            except Http404:
                return []
    terms = normalise_query(wanted)
    if not terms:
        return []
    key = fold(wanted)
    orgs: list[int] = []
    exact_orgs: list[int] = []
    for org_pk, org_name, romanised in organisations(actor).values_list(
        "pk", "name", "name_romanised"
    ):
        haystack = "\n".join([fold(org_name), fold(romanised or ""), *pinyin_forms(org_name)])
        if all(term in haystack for term in terms):
            orgs.append(org_pk)
            if key in (fold(org_name), fold(romanised or "")):
                exact_orgs.append(org_pk)
    members = _members(actor.member.team_id)
    exact_people = list(
        visible_people(actor)
        .exclude(pk__in=members)
        .filter(Q(display_name__iexact=wanted) | Q(romanised_name__iexact=wanted))[:2]
    )
    if len(exact_people) + len(exact_orgs) == 1:
        if exact_people:
            return [_subject_of_person(exact_people[0])]
        return [_subject_of_organisation(Organisation.objects.get(pk=exact_orgs[0]))]
    found = [
        _subject_of_organisation(o) for o in Organisation.objects.filter(pk__in=orgs[: limit + 1])
    ]
    found.sort(key=lambda s: fold(s.name))
    if len(found) <= limit:
        member_ids = set(members.values_list("person_id", flat=True))
        people = people_search(actor, query=wanted)[: limit + 1 + len(member_ids)]
        found += [_subject_of_person(p) for p in people if p.pk not in member_ids]
    return found[: limit + 1]


def _subject_of_organisation(org: Organisation) -> TrustSubject:
    return TrustSubject("organisation", org.pk, org.name, "", org=org)


def _subject_of_person(person: Person) -> TrustSubject:
    role = (
        Role.objects.filter(person=person, ended_on__isnull=True)
        .select_related("organisation")
        .order_by("-is_decision_maker", "-influence", "pk")
        .first()
    )
    return TrustSubject(
        "person",
        person.pk,
        person.display_name,
        role.organisation.name if role else "",
        person=person,
    )
