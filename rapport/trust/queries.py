# ruff: noqa: S608 (SQL below interpolates only fixed snippets and placeholders; values are parameters)
"""Reads for the trust card, the trust list, the CLI and the API."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.commitments.models import Commitment
from rapport.core.charts import bar_chart, trend_chart
from rapport.core.links import links
from rapport.interactions.models import Interaction
from rapport.people.common_ground import KnownFact, suggest_topic
from rapport.people.models import Organisation, Person, Role, Tag, Visibility
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
from rapport.trust.models import Claim, Evidence, TrustScore, TrustSnapshot
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
    # (A long history explains itself in hundreds of lines of a few dozen kinds.)
    kind_texts: dict[str, str] = {}
    for part, mine in zip(score.components, ours.components, strict=True):
        pooled = members is not None
        lines = [
            Line(
                kind=c.event.kind,
                text=kind_texts.get(c.event.kind)
                or kind_texts.setdefault(c.event.kind, texts.kind_text(c.event.kind)),
                label=c.event.label,
                at=c.event.shown_at,
                effect=c.effect,
                url=c.event.url,
            )
            for c in part.contributions
            if not (pooled and c.event.who) and abs(c.effect) >= 0.005
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


def _db_time(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _situation(
    actor: Any, name: str, people: list[Person], organisation: Organisation | None, now: dt.datetime
) -> Situation:
    """What is open with these people (and the organisation): the raw material of the
    next actions, read from what the actor may see. (Plain SQL: a card makes a dozen
    small reads here, and building each as a queryset would cost more than running it.)"""
    ids = [p.pk for p in people]
    team_id = actor.member.team_id
    marks = evidence._marks(ids)
    rows = evidence._rows
    about, about_params = f"person_id IN ({marks})", list(ids)
    if organisation is not None:
        about, about_params = f"({about} OR organisation_id = %s)", [*ids, organisation.pk]
    now_db = _db_time(now)
    # Our open promises and the kept ones not yet reported back, in one read, sorted
    # into what coaching needs here (few rows: closed promises drop out once reported).
    promises = [
        (pk, title, status, evidence._as_datetime(due_at), _day(due_on), evidence._when(closed))
        for pk, title, status, due_at, due_on, closed in rows(
            f"""SELECT id, title, status, due_at, due_on, closed_at FROM commitments_commitment
                WHERE team_id = %s AND (visibility = 'team' OR owner_id = %s)
                AND side = 'ours' AND {about}
                AND (status = 'open'
                     OR (status IN ('kept', 'kept_late') AND reported_back_at IS NULL))""",
            [team_id, actor.pk, *about_params],
        )
    ]

    def promise(c: tuple[Any, ...], when: Any = None) -> Ref:
        return Ref(c[1], when, reverse("commitment_detail", args=[c[0]]))

    open_ = sorted((c for c in promises if c[2] == Commitment.Status.OPEN), key=lambda c: c[3])
    overdue = [promise(c, c[4]) for c in open_ if c[3] < now][:3]
    soon = now + dt.timedelta(days=7)
    due_soon = [promise(c, c[4]) for c in open_ if now <= c[3] < soon][:2]
    hidden = []
    if open_:
        open_ids = [c[0] for c in open_]
        hidden = [
            Ref(title, evidence._as_datetime(raised), reverse("commitment_detail", args=[cid]), of)
            for title, raised, cid, of in rows(
                f"""SELECT r.title, r.raised_at, r.commitment_id, c.title
                    FROM commitments_risk r JOIN commitments_commitment c ON c.id = r.commitment_id
                    WHERE r.commitment_id IN ({evidence._marks(open_ids)})
                    AND r.disclosed_at IS NULL AND r.resolved_at IS NULL
                    ORDER BY r.raised_at, r.id LIMIT 3""",
                open_ids,
            )
        ]
    kept = (Commitment.Status.KEPT, Commitment.Status.KEPT_LATE)
    unreported = [
        promise(c)
        for c in sorted(
            (c for c in promises if c[2] in kept), key=lambda c: c[5] or now, reverse=True
        )[:2]
    ]
    # The newest conversations with these people and the next fortnight's, through the
    # (person, -occurred_at) index of participations, never their whole history: a client
    # of ten years may have thousands. Only conversations the actor may see count towards
    # the 50 (and each once, though several of an organisation's people took part).
    horizon = now + dt.timedelta(days=14)
    talks = [
        {
            "pk": pk,
            "kind": kind,
            "focus": focus,
            "occurred_at": evidence._as_datetime(at),
            "topics": _json(topics),
            "summary": summary,
        }
        for pk, kind, focus, at, topics, summary in rows(
            f"""SELECT x.id, x.kind, x.focus, x.occurred_at, x.topics, x.summary
                FROM (SELECT DISTINCT pa.interaction_id, pa.occurred_at
                      FROM interactions_participation pa
                      CROSS JOIN interactions_interaction i
                      WHERE pa.person_id IN ({marks}) AND pa.occurred_at <= %s
                      AND i.id = pa.interaction_id AND i.team_id = %s AND i.kind <> 'note'
                      AND (i.visibility = 'team' OR i.owner_id = %s)
                      ORDER BY pa.occurred_at DESC LIMIT {RECENT_READ}) newest
                JOIN interactions_interaction x ON x.id = newest.interaction_id
                ORDER BY x.occurred_at DESC, x.id DESC""",
            [*ids, _db_time(horizon), team_id, actor.pk],
        )
    ]
    upcoming = [
        t
        for t in reversed(talks)
        if now < t["occurred_at"] <= horizon
        and t["kind"] in (Interaction.Kind.MEETING, Interaction.Kind.VIDEO, Interaction.Kind.CALL)
    ]
    prepared: set[int] = set()
    if upcoming:
        upcoming_ids = [t["pk"] for t in upcoming]
        prepared = {
            row[0]
            for row in rows(
                f"""SELECT interaction_id FROM commitments_meeting
                    WHERE interaction_id IN ({evidence._marks(upcoming_ids)})
                    AND agenda_shared_at IS NOT NULL""",
                upcoming_ids,
            )
        }
    meeting_url = links("meeting_detail")
    without_agenda = [
        Ref(
            t["summary"],
            timezone.localtime(t["occurred_at"]),
            meeting_url(t["pk"]),
        )
        for t in upcoming
        if t["pk"] not in prepared
    ][:2]
    # Decisions still without a promise, in any conversation with them the actor may see:
    # read outwards from the participations' covering index (a CROSS JOIN keeps it first
    # on SQLite), so a long history's conversations are looked up only where a decision
    # was taken.
    decisions = [
        Ref(text, evidence._as_datetime(at), meeting_url(interaction_id))
        for _id, text, at, interaction_id in sorted(
            set(
                rows(
                    f"""SELECT d.id, d.text, d.decided_at, d.interaction_id
                        FROM interactions_participation pa
                        CROSS JOIN commitments_decision d
                        CROSS JOIN interactions_interaction x
                        WHERE pa.person_id IN ({marks})
                        AND d.interaction_id = pa.interaction_id AND x.id = pa.interaction_id
                        AND d.commitment_id IS NULL AND d.no_follow_up = %s
                        AND d.decided_at IS NOT NULL AND d.decided_at <= %s
                        AND x.team_id = %s AND (x.visibility = 'team' OR x.owner_id = %s)""",
                    [*ids, False, now_db, team_id, actor.pk],
                )
            ),
            key=lambda d: (evidence._as_datetime(d[2]), d[0]),
        )
    ][:2]
    recent = [t for t in talks if t["occurred_at"] <= now and t["kind"] != Interaction.Kind.NOTE][
        :5
    ]
    signals: frozenset[str] = frozenset()
    if recent:
        recent_ids = [r["pk"] for r in recent]
        signals = frozenset(
            row[0]
            for row in rows(
                f"""SELECT kind FROM interactions_signal
                    WHERE interaction_id IN ({evidence._marks(recent_ids)})""",
                recent_ids,
            )
        )
    facts = [
        (category, value, _day(learned_on))
        for category, value, learned_on in rows(
            f"SELECT category, value, learned_on FROM people_fact WHERE person_id IN ({marks})",
            ids,
        )
    ]
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
        row[0].lower()
        for row in rows(
            f"""SELECT industry FROM people_organisation WHERE id IN (
                    SELECT organisation_id FROM people_role
                    WHERE person_id IN ({marks}) AND ended_on IS NULL)""",
            ids,
        )
        if row[0]
    }
    if organisation is not None and organisation.industry:
        industries.add(organisation.industry.lower())
    today = timezone.localdate(now)
    today_db = connection.ops.adapt_datefield_value(today)
    shown = f"SELECT evidence_id FROM trust_evidenceshown WHERE {about}"
    kinds = dict(Evidence.Kind.choices)
    candidates = [
        (pk, title, kind)
        for pk, title, kind, tags in rows(
            f"""SELECT id, title, kind, industries FROM trust_evidence
                WHERE team_id = %s AND verified_on IS NOT NULL
                AND (expires_on IS NULL OR expires_on >= %s)
                AND id NOT IN ({shown})
                ORDER BY verified_on DESC, id LIMIT 50""",
            [team_id, today_db, *about_params],
        )
        if not industries or not (found := _json(tags)) or industries & {x.lower() for x in found}
    ]
    to_show = [
        Ref(title, None, reverse("evidence_detail", args=[pk]), kinds.get(kind, kind))
        for pk, title, kind in candidates[:1]
    ]
    stale = [
        Ref(title, _day(expires_on), reverse("evidence_detail", args=[pk]))
        for pk, title, expires_on in rows(
            f"""SELECT id, title, expires_on FROM trust_evidence
                WHERE id IN ({shown}) AND expires_on < %s ORDER BY title, id LIMIT 1""",
            [*about_params, today_db],
        )
    ]
    claims = rows(
        f"""SELECT id, statement, made_at FROM trust_claim
            WHERE {about} AND (visibility = 'team' OR owner_id = %s)
            AND status = %s AND made_at < %s ORDER BY made_at, id LIMIT 1""",
        [*about_params, actor.pk, Claim.Status.PENDING, _db_time(now - dt.timedelta(days=14))],
    )
    over_gifts = rows(
        f"""SELECT id, description, given_on FROM gifts_gift
            WHERE person_id IN ({marks}) AND over_limit AND given_on <= %s
            ORDER BY given_on DESC, id DESC LIMIT 1""",
        [*ids, today_db],
    )
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
            Ref(statement, evidence._as_datetime(made_at), reverse("claim_detail", args=[pk]))
            for pk, statement, made_at in claims
        ),
        known_categories=known if len(people) == 1 else frozenset(coaching.GROUND),
        topic=topic.value if topic else "",
        silence_days=silence,
        cadence_days=cadence,
        recent_focus=tuple(r["focus"] for r in recent),
        recent_signals=signals,
        surveyed=bool(
            rows(f"SELECT 1 FROM trust_survey WHERE person_id IN ({marks}) LIMIT 1", ids)
        ),
        gifts_over_limit=tuple(
            Ref(text, _day(on), reverse("gift_edit", args=[pk])) for pk, text, on in over_gifts
        ),
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
    person_url = links("person_detail")
    explained = {
        p.pk: Member(p.display_name, p.pk in deciders, person_url(p.pk)) for p, _w in members
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
