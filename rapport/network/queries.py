"""Reads of the network: ties and referrals a user may see, the evidence between people,
and referrers waiting for a thank-you.

A tie or a referral is visible to a user exactly when both of its people are (shared
with the team, or the user's own private contact): nothing here ever names a
colleague's private contact."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rapport.accounts.models import Member
from rapport.interactions.models import Interaction, Participation
from rapport.network.models import Referral, Tie
from rapport.network.strength import Evidence, Group, evidence_from_groups
from rapport.people.models import Person, Visibility
from rapport.people.queries import visible_people

# What counts as "something came of it" for a referral: time spent together.
MEETING_KINDS = ("meeting", "video", "meal", "event", "call")


def _seen(actor: Any, prefix: str) -> Q:
    """Rows whose person at `prefix` the actor may see (people.queries.visible_people)."""
    return Q(**{f"{prefix}__in": visible_people(actor).values("pk")})


def visible_ties(actor: Any) -> QuerySet[Tie]:
    """Ties of the actor's team whose two people the actor may both see."""
    return Tie.objects.filter(team_id=actor.member.team_id).filter(
        _seen(actor, "person_a"), _seen(actor, "person_b")
    )


def tie_for(actor: Any, tie_id: int | str, *, write: bool = False) -> Tie:
    """The tie if the actor may see (and so change) it; else Http404."""
    try:
        return visible_ties(actor).select_related("person_a", "person_b").get(pk=int(tie_id))
    except (Tie.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such tie") from exc


def ties_list(
    actor: Any, *, person_id: int | None = None, kind: str | None = None
) -> QuerySet[Tie]:
    """Visible ties, strongest first, optionally of one person or one kind."""
    qs = visible_ties(actor)
    if person_id is not None:
        qs = qs.filter(Q(person_a_id=person_id) | Q(person_b_id=person_id))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("person_a", "person_b").order_by("-strength", "id")


def ties_of(actor: Any, person: Person) -> list[tuple[Person, Tie]]:
    """The person's visible ties, strongest first, each with the person at the other end."""
    return [
        (tie.person_b if tie.person_a_id == person.pk else tie.person_a, tie)
        for tie in ties_list(actor, person_id=person.pk)
    ]


def visible_referrals(actor: Any) -> QuerySet[Referral]:
    return Referral.objects.filter(team_id=actor.member.team_id).filter(
        _seen(actor, "referrer"), _seen(actor, "referred")
    )


def referral_for(actor: Any, referral_id: int | str, *, write: bool = False) -> Referral:
    try:
        return (
            visible_referrals(actor).select_related("referrer", "referred").get(pk=int(referral_id))
        )
    except (Referral.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such referral") from exc


def _meetings_since(actor: Any) -> QuerySet[Participation]:
    """The referred person's meetings (and calls) on or after the referral's date, among
    conversations the actor may see; for a Subquery on Referral."""
    return Participation.objects.annotate(day=TruncDate("occurred_at")).filter(
        Q(interaction__visibility=Visibility.TEAM) | Q(interaction__owner_id=actor.pk),
        person_id=OuterRef("referred_id"),
        interaction__kind__in=MEETING_KINDS,
        day__gte=OuterRef("referred_on"),
    )


def with_outcome(actor: Any, qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate each referral with `meetings` (how many meetings or calls the referred
    person had with us since) and `first_meeting_at` (the first of them)."""
    since = _meetings_since(actor)
    return qs.annotate(
        meetings=Coalesce(
            Subquery(
                since.order_by().values("person_id").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
        first_meeting_at=Subquery(
            since.order_by().values("person_id").annotate(m=Min("occurred_at")).values("m")[:1]
        ),
    )


def deals_won_after(referral_ids: Iterable[int]) -> dict[int, int]:
    """Deals won that a referral led to (deals whose source is it), by referral id; a
    won deal also makes its referrer due a thank-you."""
    from rapport.deals.queries import deals_won_by_referral

    return deals_won_by_referral(referral_ids)


@dataclass
class ReferralOutcome:
    referral: Referral
    meetings: int
    first_meeting_at: dt.datetime | None
    deals_won: int = 0

    @property
    def succeeded(self) -> bool:
        return self.meetings > 0 or self.deals_won > 0

    @property
    def thanked(self) -> bool:
        return self.referral.thanked_at is not None


def _outcomes(actor: Any, qs: QuerySet[Referral]) -> list[ReferralOutcome]:
    rows = list(with_outcome(actor, qs.select_related("referrer", "referred")))
    deals = deals_won_after(r.pk for r in rows)
    return [
        ReferralOutcome(
            referral=r,
            meetings=r.meetings,  # type: ignore[attr-defined]
            first_meeting_at=r.first_meeting_at,  # type: ignore[attr-defined]
            deals_won=deals.get(r.pk, 0),
        )
        for r in rows
    ]


def referrals_list(
    actor: Any, *, referrer_id: int | None = None, referred_id: int | None = None
) -> QuerySet[Referral]:
    qs = visible_referrals(actor)
    if referrer_id is not None:
        qs = qs.filter(referrer_id=referrer_id)
    if referred_id is not None:
        qs = qs.filter(referred_id=referred_id)
    return qs.order_by("-referred_on", "-id")


def referral_outcomes(actor: Any, qs: QuerySet[Referral]) -> list[ReferralOutcome]:
    """The given referrals with what came of each (meetings since, deals won)."""
    return _outcomes(actor, qs)


@dataclass
class ReferralRecord:
    """A person's record as a referrer, and who introduced them to us."""

    person: Person
    introduced: list[ReferralOutcome] = field(default_factory=list)
    introduced_by: list[ReferralOutcome] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return sum(1 for o in self.introduced if o.succeeded)

    @property
    def unthanked(self) -> int:
        return sum(1 for o in self.introduced if o.succeeded and not o.thanked)


def referral_record(actor: Any, person: Person) -> ReferralRecord:
    """Whom the person introduced (with what came of each and whether they were
    thanked), and who introduced them, as far as the actor may see."""
    return ReferralRecord(
        person=person,
        introduced=_outcomes(actor, referrals_list(actor, referrer_id=person.pk)),
        introduced_by=_outcomes(actor, referrals_list(actor, referred_id=person.pk)),
    )


def referrers_to_thank(actor: Any, *, limit: int | None = None) -> list[ReferralOutcome]:
    """Referrals the actor recorded or whose referred person is theirs, not yet thanked,
    where the referred person has since met us: the referrer is due a thank-you. The
    longest-waiting first (by the first meeting)."""
    qs = (
        visible_referrals(actor)
        .filter(thanked_at__isnull=True)
        .filter(Q(created_by_id=actor.pk) | Q(referred__owner_id=actor.pk))
    )
    outcomes = [o for o in _outcomes(actor, qs) if o.succeeded]
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    outcomes.sort(key=lambda o: (o.first_meeting_at or far_future, o.referral.pk))
    return outcomes[:limit] if limit is not None else outcomes


def agenda_section(actor: Any, limit: int) -> Any:
    """The "thank your referrer" section for the morning agenda (rapport.core.agenda)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from rapport.core.agenda import Item, Section

    section = Section("thank_referrers", _("Thank a referrer: someone they introduced met us"))
    due = referrers_to_thank(actor)
    section.count = len(due)
    for outcome in due[:limit]:
        r = outcome.referral
        when = outcome.first_meeting_at
        section.items.append(
            Item(
                kind="thank_referrer",
                title=r.referrer.display_name,
                url=reverse("person_detail", args=[r.referrer_id]),
                when=timezone.localtime(when).date().isoformat() if when else None,
                who=r.referrer.display_name,
                detail=_("introduced %(name)s, who has met us since: say thank you")
                % {"name": r.referred.display_name},
            )
        )
    return section


# -- evidence between people ---------------------------------------------------------------


def _aware(value: Any) -> dt.datetime:
    """A datetime from a raw aggregate (SQLite gives text, PostgreSQL a datetime)."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:  # pragma: no cover - the database wrote it
            raise ValueError(f"not a datetime: {value!r}")
        value = parsed
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value  # type: ignore[no-any-return]


def _in(column: str, ids: list[int] | None, params: list[Any]) -> str:
    if ids is None:
        return ""
    params.extend(ids)
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})"


def pair_groups(
    team_id: int, person_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> dict[tuple[int, int], list[tuple[Group, str]]]:
    """Evidence between every pair of the team's people (or only pairs within
    `person_ids`), grouped in one SQL query: (lower id, higher id) → rows of
    (Group, visibility of those interactions). Only conversations that have happened
    count: a meeting booked for next week is not contact yet.

    Two people share evidence when both took part in an interaction, or when one is the
    teammate who logged it (their own Person) and the other took part: that is how the
    team's own relationships enter the graph. Notes are not contact and are left out."""
    ids = sorted(set(person_ids)) if person_ids is not None else None
    if ids is not None and len(ids) < 2:
        return {}
    participation = Participation._meta.db_table
    interaction = Interaction._meta.db_table
    member = Member._meta.db_table
    params: list[Any] = [team_id]
    first = _in("p.person_id", ids, params)
    params.append(team_id)
    second = _in("m.person_id", ids, params)
    personal = "CASE WHEN i.focus = 'personal' THEN 1 ELSE 0 END"
    params.append(connection.ops.adapt_datetimefield_value(now or timezone.now()))
    sql = f"""
        WITH people AS (
            SELECT p.interaction_id AS iid, p.person_id AS pid
            FROM {participation} p JOIN {interaction} i ON i.id = p.interaction_id
            WHERE i.team_id = %s{first}
            UNION
            SELECT i.id AS iid, m.person_id AS pid
            FROM {interaction} i JOIN {member} m ON m.user_id = i.owner_id
            WHERE i.team_id = %s AND m.person_id IS NOT NULL{second}
        )
        SELECT a.pid, b.pid, i.kind, i.initiated_by, {personal}, i.visibility,
               COUNT(*), MIN(i.occurred_at), MAX(i.occurred_at)
        FROM people a
        JOIN people b ON b.iid = a.iid AND a.pid < b.pid
        JOIN {interaction} i ON i.id = a.iid
        WHERE i.kind <> 'note' AND i.occurred_at <= %s
        GROUP BY a.pid, b.pid, i.kind, i.initiated_by, {personal}, i.visibility
    """  # noqa: S608 - table names come from the models, values are parameters
    found: dict[tuple[int, int], list[tuple[Group, str]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for a, b, kind, initiated_by, is_personal, visibility, n, first_at, last_at in cursor:
            group = Group(
                kind=kind,
                initiated_by=initiated_by,
                personal=bool(is_personal),
                count=int(n),
                first_at=_aware(first_at),
                last_at=_aware(last_at),
            )
            found[(int(a), int(b))].append((group, visibility))
    return dict(found)


def pair_evidence(
    team_id: int, person_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> dict[tuple[int, int], Evidence]:
    """The Evidence between pairs of the team's people (see `pair_groups`).

    A private conversation (one with someone's private contact) counts only for pairs
    that include a private person: such a tie is seen only by that contact's owner, so
    its strength and dates never tell the team about a conversation it cannot see."""
    groups = pair_groups(team_id, person_ids, now)
    if not groups:
        return {}
    involved = {p for pair in groups for p in pair}
    private = set(
        Person.objects.filter(
            team_id=team_id, pk__in=involved, visibility=Visibility.PRIVATE
        ).values_list("pk", flat=True)
    )
    result = {}
    for pair, rows in groups.items():
        hidden_ok = bool(private & set(pair))
        usable = [g for g, vis in rows if vis == Visibility.TEAM or hidden_ok]
        evidence = evidence_from_groups(usable)
        if evidence.count:
            result[pair] = evidence
    return result
