"""The demo book generator: a realistic bilingual client book of any size.

`rapport demo` loads a small one (about 300 people, 40 organisations, two years of
interactions); `bench/generate.py` builds the same kind of book at size S (1k people)
or M (100k people, 2M interactions) for the benchmark. Rows go in with bulk inserts in
batches, which is how an import writes; one audit entry records the load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from rapport import demo_words as w
from rapport.accounts.models import Member, Team
from rapport.accounts.services import audit_record, user_add
from rapport.commitments import deadlines
from rapport.commitments.models import (
    Commitment,
    Decision,
    Meeting,
    Milestone,
    Renegotiation,
    Risk,
)
from rapport.core.markup import render_markdown
from rapport.deals import demo as deals_demo
from rapport.interactions.models import (
    Interaction,
    Participation,
    Signal,
    copy_moments,
    moment_bits,
)
from rapport.people import searchkey
from rapport.people.models import Channel, Fact, Organisation, Person, Role, Tag
from rapport.people.services import display_name_for
from rapport.portal import survey as survey_questions
from rapport.trust import scoring
from rapport.trust.models import Claim, Evidence, EvidenceShown, Survey, SurveyAnswer

DEMO_PASSWORD = "rapport-demo"  # noqa: S105 - printed for the local demo on purpose


@dataclass(frozen=True)
class BookSize:
    people: int
    organisations: int
    interactions: int
    commitments: int = 0
    days: int = 730
    # The four named relationships of `PROFILES`, and weeks of trust history to compute.
    profiles: bool = False
    trust_weeks: int = 0


DEMO = BookSize(
    people=300,
    organisations=40,
    interactions=4_000,
    commitments=240,
    profiles=True,
    trust_weeks=26,
)
SIZES = {
    "demo": DEMO,
    "S": BookSize(people=1_000, organisations=130, interactions=20_000, commitments=800),
    "M": BookSize(people=100_000, organisations=13_000, interactions=2_000_000, commitments=40_000),
}

Progress = Callable[[str, int], None]
BATCH = 5_000


def _batches(items: Iterator[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _org_name(rng: random.Random, taken: set[str]) -> tuple[str, str, str]:
    while True:
        if rng.random() < 0.5:
            prefix = rng.choice(w.CN_ORG_PREFIX)
            suffix, english = rng.choice(w.CN_ORG_SUFFIX)
            name = prefix + suffix
            industry = w.CN_INDUSTRY[suffix]
            romanised = f"{''.join(searchkey.pinyin_forms(prefix)[:1]).title()} {english}"
        else:
            first = rng.choice(w.EN_ORG_FIRST)
            second, industry = rng.choice(w.EN_ORG_SECOND)
            name, romanised = f"{first} {second}", ""
        if name in taken:
            name = f"{name} {len(taken) + 1}"
        taken.add(name)
        return name, romanised, industry


def _person_names(rng: random.Random) -> dict[str, str]:
    if rng.random() < 0.5:
        family = rng.choice(w.CN_FAMILY)
        given = rng.choice(w.CN_GIVEN)
        pinyin = (
            searchkey.pinyin_forms(family)[1].title()
            + " "
            + "".join(searchkey.pinyin_forms(given)[0]).title()
        )
        return {
            "given_name": given,
            "family_name": family,
            "name_order": "family_first",
            "display_name": display_name_for(given, family, "family_first"),
            "romanised_name": pinyin,
        }
    given = rng.choice(w.EN_GIVEN)
    family = rng.choice(w.EN_FAMILY)
    return {
        "given_name": given,
        "family_name": family,
        "name_order": "given_first",
        "display_name": display_name_for(given, family, "given_first"),
        "romanised_name": "",
    }


def _email_local(names: dict[str, str], index: int) -> str:
    base = names["romanised_name"] or f"{names['given_name']} {names['family_name']}"
    ascii_only = searchkey.fold(base).encode("ascii", "ignore").decode()
    return ".".join(ascii_only.replace("'", "").split()) + str(index)


def ensure_team(team_name: str, usernames: list[str], password: str) -> tuple[Team, list[Any]]:
    """The team with these users (created through the account services if missing)."""
    User = get_user_model()
    users = []
    for username in usernames:
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _ = user_add(
                username=username,
                team_name=team_name,
                password=password,
                email=f"{username}@example.com",
                display_name=username.title(),
            )
        users.append(user)
    team = Team.objects.get(name=team_name)
    return team, users


@transaction.atomic
def generate(
    *,
    size: BookSize,
    team_name: str = "Demo Advisory",
    usernames: tuple[str, ...] = ("alice", "bob"),
    password: str = DEMO_PASSWORD,
    seed: int = 7,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> Team:
    """Fill a team with a generated book of the given size. Deterministic for a seed."""
    rng = random.Random(seed)
    now = now or timezone.now()
    report = progress or (lambda _step, _n: None)
    team, users = ensure_team(team_name, list(usernames), password)
    members = list(Member.objects.filter(team=team, user__in=users).select_related("person"))

    # Organisations
    taken: set[str] = set(Organisation.objects.filter(team=team).values_list("name", flat=True))
    orgs: list[Organisation] = []
    for batch in _batches(
        (
            Organisation(team=team, name=n, name_romanised=r, industry=i, city=rng.choice(w.CITIES))
            for n, r, i in (_org_name(rng, taken) for _ in range(size.organisations))
        )
    ):
        orgs.extend(Organisation.objects.bulk_create(batch))
        report("organisations", len(batch))

    tags = [Tag.objects.get_or_create(team=team, name=t)[0] for t in w.TAGS]

    # People, with their channels, roles, facts and tags
    people: list[Person] = []
    index = 0
    for batch_no in range(0, size.people, BATCH):
        count = min(BATCH, size.people - batch_no)
        rows, extras = [], []
        for _ in range(count):
            index += 1
            names = _person_names(rng)
            owner = rng.choice(users)
            person = Person(
                team=team,
                owner=owner,
                **names,
                visibility="private" if rng.random() < 0.08 else "team",
                headline="",
                how_we_met=rng.choice(w.HOW_WE_MET) if rng.random() < 0.5 else "",
                contact_cadence_days=rng.choice([14, 30, 30, 60, 90])
                if rng.random() < 0.3
                else None,
            )
            if rng.random() < 0.7:
                lunar = names["name_order"] == "family_first" and rng.random() < 0.4
                person.birth_calendar = "lunar" if lunar else "solar"
                person.birth_month = rng.randint(1, 12)
                person.birth_day = rng.randint(1, 29 if lunar else 28)
                person.birth_year = rng.randint(1955, 1998) if rng.random() < 0.5 else None
            current = rng.choice(orgs)
            title, decides = rng.choice(w.TITLES)
            roles: list[tuple[Organisation, str, bool, dt.date | None]] = [
                (current, title, decides, None)
            ]
            if rng.random() < 0.2:
                past = rng.choice(orgs)
                if past.pk != current.pk:
                    roles.append(
                        (
                            past,
                            rng.choice(w.TITLES)[0],
                            False,
                            (now - dt.timedelta(days=rng.randint(200, 3000))).date(),
                        )
                    )
            person.headline = f"{title}, {current.name}"
            channels = []
            if rng.random() < 0.9:
                channels.append(("email", f"{_email_local(names, index)}@example.com"))
            if rng.random() < 0.8:
                prefix = "+86 138" if names["name_order"] == "family_first" else "+44 7700"
                channels.append(
                    ("phone", f"{prefix} {rng.randint(1000, 9999)} {index % 10000:04d}")
                )
            if names["name_order"] == "family_first" and rng.random() < 0.7:
                channels.append(("wechat", f"wx_{_email_local(names, index)}"))
            if rng.random() < 0.4:
                channels.append(
                    ("linkedin", f"https://www.linkedin.com/in/{_email_local(names, index)}")
                )
            my_tags = rng.sample(tags, k=rng.choice([0, 0, 1, 1, 2]))
            person.search_text = searchkey.build(
                names=[
                    person.display_name,
                    person.given_name,
                    person.family_name,
                    person.romanised_name,
                ],
                emails=[v for k, v in channels if k == "email"],
                phones=[v for k, v in channels if k == "phone"],
                others=[v for k, v in channels if k == "wechat"]
                + [o.name for o, *_ in roles]
                + [o.name_romanised for o, *_ in roles]
                + [t.name for t in my_tags],
            )
            rows.append(person)
            extras.append((roles, channels, my_tags))
        created = Person.objects.bulk_create(rows)
        channel_rows: list[Channel] = []
        role_rows: list[Role] = []
        fact_rows: list[Fact] = []
        tag_rows: list[Any] = []
        for person, (roles, channels, my_tags) in zip(created, extras, strict=True):
            for n, (kind, value) in enumerate(channels):
                channel_rows.append(
                    Channel(person=person, kind=kind, value=value, is_primary=n < 2)
                )
            for org, title, decides, ended in roles:
                role_rows.append(
                    Role(
                        person=person,
                        organisation=org,
                        title=title,
                        is_decision_maker=decides,
                        influence=5 if decides else rng.randint(1, 4),
                        ended_on=ended,
                    )
                )
            for category in rng.sample(list(w.FACTS), k=rng.choice([0, 1, 2, 3, 4, 6])):
                fact_rows.append(
                    Fact(
                        person=person,
                        category=category,
                        value=rng.choice(w.FACTS[category]),
                        learned_how=rng.choice(["over lunch", "on a call", "微信聊天", ""]),
                        created_by=person.owner,
                    )
                )
            tag_rows.extend(Person.tags.through(person_id=person.pk, tag_id=t.pk) for t in my_tags)
        Channel.objects.bulk_create(channel_rows)
        Role.objects.bulk_create(role_rows)
        Fact.objects.bulk_create(fact_rows)
        Person.tags.through.objects.bulk_create(tag_rows)
        people.extend(created)
        report("people", count)

    # Introductions: some people were introduced by others in the book
    introduced = []
    for person in rng.sample(people, k=len(people) // 7):
        introducer = rng.choice(people)
        if introducer.pk != person.pk:
            person.introduced_by = introducer
            introduced.append(person)
    for batch in _batches(iter(introduced)):
        Person.objects.bulk_update(batch, ["introduced_by"])

    # Interactions over the last `days`, more with some people than others
    weights = [rng.paretovariate(1.5) for _ in people]
    start = now - dt.timedelta(days=size.days)
    kinds = ["meeting", "call", "video", "email", "email", "message", "meal", "event", "note"]
    focuses = ["client", "client", "mutual", "mutual", "ours", "personal"]
    for batch_start in range(0, size.interactions, BATCH):
        count = min(BATCH, size.interactions - batch_start)
        chosen = rng.choices(people, weights=weights, k=count)
        interaction_rows: list[Interaction] = []
        who: list[list[Person]] = []
        for person in chosen:
            kind = rng.choice(kinds)
            when = start + dt.timedelta(seconds=rng.randint(0, size.days * 86_400))
            owner = person.owner if rng.random() < 0.8 else rng.choice(users)
            note = rng.choice(w.NOTES)
            others = [
                p
                for p in rng.sample(people, k=rng.choice([0, 0, 0, 1, 2]))
                if p.visibility == "team"
            ]
            participants = {person.pk: person, **{p.pk: p for p in others}}
            me = next((m.person for m in members if m.user_id == owner.pk), None)
            if me is not None:
                participants[me.pk] = me
            private = any(p.visibility == "private" for p in participants.values())
            if private:
                owner = person.owner
            interaction_rows.append(
                Interaction(
                    team=team,
                    owner=owner,
                    visibility="private" if private else "team",
                    kind=kind,
                    occurred_at=when,
                    duration_minutes=rng.choice([15, 30, 45, 60, 90])
                    if kind in ("meeting", "call", "video", "meal")
                    else None,
                    initiated_by="us" if rng.random() < 0.55 else "them",
                    focus=rng.choice(focuses),
                    topics=rng.sample(w.TOPICS, k=rng.choice([0, 1, 1, 2, 3])),
                    summary=rng.choice(w.SUMMARIES[kind]),
                    notes=note,
                    notes_html=render_markdown(note) if note else "",
                )
            )
            who.append(list(participants.values()))
        created_interactions = Interaction.objects.bulk_create(interaction_rows)
        Participation.objects.bulk_create(
            Participation.of(i, p.pk)
            for i, ps in zip(created_interactions, who, strict=True)
            for p in ps
        )
        report("interactions", count)

    latest = (
        Participation.objects.filter(person=OuterRef("pk"))
        .values("person")
        .annotate(m=Max("occurred_at"))
        .values("m")
    )
    Person.objects.filter(team=team).update(last_interaction_at=Subquery(latest))
    generate_commitments(team=team, count=size.commitments, seed=seed, now=now, progress=report)
    backdate_facts(team=team, seed=seed, now=now)
    # The trust steps report no progress: `rapport demo` shows bars for the steps above.
    trusted = generate_trust(team=team, seed=seed, now=now)
    if size.profiles:
        profiles = demo_profiles(team=team, user=users[0], now=now)
        demo_duplicates(user=users[0], profiles=profiles)
        demo_network(team=team, users=users, profiles=profiles, now=now, seed=seed)
        demo_referral_deals(team=team, user=users[0], now=now)
        deals_demo.seed(team=team, users=users, now=now)
        from rapport.deals import demo_bids

        demo_bids.seed(team=team, user=users[0], now=now, seed=seed)
        from rapport.value import demo as value_demo

        value_demo.seed(team=team, user=users[0], now=now)
        from rapport.agreements.demo import seed as seed_agreement

        seed_agreement(team=team, users=users, now=now)
        from rapport.gifts.demo import seed as seed_gifts

        seed_gifts(team=team, user=users[0], profiles=profiles, now=now)
    if size.trust_weeks:
        _analyze()
        scoring.trust_backfill(team.pk, size.trust_weeks, now=now)
    audit_record(
        actor=users[0],
        team=team,
        action="demo.load",
        object_type="team",
        summary=(
            f"generated {size.people} people, {size.organisations} organisations, "
            f"{size.interactions} interactions, {size.commitments} commitments, "
            f"{trusted['shown']} evidence showings, {trusted['claims']} claims, "
            f"{trusted['signals']} conversation signals, {trusted['surveys']} surveys"
        ),
    )
    return team


def _analyze() -> None:
    """Planner statistics for the tables just loaded, before the trust backfill reads
    them. PostgreSQL gathers them itself only after the load commits; inside the load's
    transaction it would plan the aggregates as if the tables were still empty (nested
    loops: minutes for the demo book instead of seconds). SQLite plans without them."""
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (
            Person,
            Role,
            Fact,
            Interaction,
            Participation,
            Signal,
            Commitment,
            Renegotiation,
            Milestone,
            Risk,
            Meeting,
            Decision,
            EvidenceShown,
            Claim,
            Survey,
            SurveyAnswer,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _close(
    rng: random.Random, c: Commitment, now: dt.datetime
) -> tuple[Commitment, list[Renegotiation]]:
    """Decide how a promise whose date has passed turned out: mostly kept, some late,
    a few broken or cancelled, some renegotiated first (mostly in time)."""
    moves: list[Renegotiation] = []
    if rng.random() < 0.2:
        old_on, old_at = c.due_on, c.due_at
        in_time = rng.random() < 0.7
        told = (
            old_at - dt.timedelta(days=rng.randint(1, 3))
            if in_time
            else old_at + dt.timedelta(days=1)
        )
        told = max(told, c.made_at + dt.timedelta(hours=1))
        c.due_on = c.due_on + dt.timedelta(days=rng.randint(3, 14))
        c.due_at = deadlines.deadline(c.due_on, None, c.time_zone)
        moves.append(
            Renegotiation(
                commitment=c,
                at=min(told, now),
                old_due_on=old_on,
                old_due_at=old_at,
                new_due_on=c.due_on,
                new_due_at=c.due_at,
                told_client_at=min(told, now) if rng.random() < 0.95 else None,
                reason=rng.choice(["Waiting for their data", "Scope grew", "客户要求延期", ""]),
            )
        )
    if c.due_at > now:
        return c, moves
    if now - c.due_at < dt.timedelta(days=21) and rng.random() < 0.3:
        return c, moves  # recently due and still open: overdue
    roll = rng.random()
    if roll < 0.64:
        c.status = "kept"
        c.delivered_at = c.due_at - dt.timedelta(hours=rng.randint(2, 24 * 5))
        c.delivered_at = max(c.delivered_at, c.made_at + dt.timedelta(hours=1))
    elif roll < 0.84:
        c.status = "kept_late"
        c.delivered_at = min(c.due_at + dt.timedelta(hours=rng.randint(2, 24 * 6)), now)
    elif roll < 0.94:
        c.status = "broken"
    else:
        c.status = "cancelled"
    c.closed_at = c.delivered_at or min(c.due_at + dt.timedelta(days=rng.randint(0, 5)), now)
    if c.status in ("kept", "kept_late"):
        c.delivered = "Done as agreed" if rng.random() < 0.5 else "已按约定完成"
        c.match = rng.choice(["met", "met", "met", "exceeded", "short"])
    if c.status != "cancelled" and rng.random() < 0.75:
        c.reported_back_at = min(c.closed_at + dt.timedelta(hours=rng.randint(1, 48)), now)
    return c, moves


def generate_commitments(
    *,
    team: Team,
    count: int,
    seed: int = 7,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Add `count` promises to a team's book over the last 300 days, with a realistic mix
    of kept, late, broken, renegotiated and open ones, their milestones and risks, and
    the hygiene and decisions of recent meetings. Returns how many were added."""
    rng = random.Random(seed * 31 + 1)
    now = now or timezone.now()
    report = progress or (lambda _step, _n: None)
    if count <= 0:
        return 0
    members = {m.user_id: m for m in Member.objects.filter(team=team).select_related("person")}
    people = list(
        Person.objects.filter(team=team)
        .exclude(pk__in=[m.person_id for m in members.values() if m.person_id])
        .values_list("pk", "owner_id", "visibility")
    )
    if not people:
        return 0
    current_org = dict(
        Role.objects.filter(person__team=team, ended_on__isnull=True).values_list(
            "person_id", "organisation_id"
        )
    )
    added = 0
    for batch_start in range(0, count, BATCH):
        n = min(BATCH, count - batch_start)
        rows: list[Commitment] = []
        moves: list[list[Renegotiation]] = []
        for _ in range(n):
            person_id, owner_id, visibility = rng.choice(people)
            member = members.get(owner_id)
            zone = member.time_zone if member else "UTC"
            made_at = now - dt.timedelta(days=rng.uniform(0, 300))
            due_on = deadlines.local_date(made_at, zone) + dt.timedelta(days=rng.randint(2, 45))
            client_side = rng.random() < 0.12
            title, expected = rng.choice(w.PROMISES)
            c = Commitment(
                team=team,
                owner_id=owner_id,
                visibility=visibility,
                side="client" if client_side else "ours",
                promised_by_id=None if client_side else (member.person_id if member else None),
                person_id=person_id,
                organisation_id=current_org.get(person_id),
                title=rng.choice(w.THEIR_PROMISES) if client_side else title,
                expected="" if client_side else expected,
                made_at=made_at,
                due_on=due_on,
                time_zone=zone,
                due_at=deadlines.deadline(due_on, None, zone),
            )
            c, renegotiations = _close(rng, c, now)
            rows.append(c)
            moves.append(renegotiations)
        created = Commitment.objects.bulk_create(rows)
        Renegotiation.objects.bulk_create(r for rs in moves for r in rs)
        milestones: list[Milestone] = []
        risks: list[Risk] = []
        for c in created:
            end = min(c.closed_at or now, now)
            span = (end - c.made_at).total_seconds()
            if c.side == "ours" and span > 3600:
                for _ in range(rng.choice([0, 1, 1, 2, 3])):
                    title, detail = rng.choice(w.MILESTONES)
                    at = c.made_at + dt.timedelta(seconds=rng.uniform(0, span))
                    milestones.append(Milestone(commitment=c, title=title, detail=detail, at=at))
            if c.side == "ours" and span > 3600 and rng.random() < 0.15:
                raised = c.made_at + dt.timedelta(seconds=rng.uniform(0, span))
                disclosed = (
                    min(raised + dt.timedelta(hours=rng.randint(1, 72)), now)
                    if rng.random() < 0.6 or c.status != "open"
                    else None
                )
                risks.append(
                    Risk(
                        commitment=c,
                        title=rng.choice(w.RISKS),
                        severity=rng.choice(["low", "medium", "medium", "high"]),
                        raised_at=raised,
                        disclosed_at=disclosed,
                        resolved_at=c.closed_at if c.status != "open" else None,
                    )
                )
        Milestone.objects.bulk_create(milestones)
        Risk.objects.bulk_create(risks)
        added += n
        report("commitments", n)
    _meeting_hygiene(rng, team, now)
    return added


def _meeting_hygiene(rng: random.Random, team: Team, now: dt.datetime) -> None:
    """Agendas, materials and decisions for the last 60 days of meetings."""
    recent = list(
        Interaction.objects.filter(
            team=team, kind="meeting", occurred_at__gte=now - dt.timedelta(days=60)
        ).values_list("pk", "occurred_at", "owner_id")
    )
    meetings, decisions = [], []
    for pk, when, owner_id in recent:
        agenda = when - dt.timedelta(hours=rng.randint(4, 96)) if rng.random() < 0.6 else None
        materials = when - dt.timedelta(hours=rng.randint(1, 72)) if rng.random() < 0.4 else None
        meetings.append(
            Meeting(interaction_id=pk, agenda_shared_at=agenda, materials_sent_at=materials)
        )
        for text in rng.sample(w.DECISIONS, k=rng.choice([0, 0, 1, 2])):
            decisions.append(
                Decision(
                    interaction_id=pk,
                    owner_id=owner_id,
                    decided_at=when,
                    text=text,
                    no_follow_up=rng.random() < 0.3,
                )
            )
    Meeting.objects.bulk_create(meetings, batch_size=BATCH)
    Decision.objects.bulk_create(decisions, batch_size=BATCH)


# ---------------------------------------------------------------------------------------
# Trust evidence: the team's evidence library, what was shown to whom, claims made to
# clients, moments in conversations and a few client surveys, at a realistic density.

SHOWN_PER_PERSON = 0.5
CLAIMS_PER_PERSON = 0.15
SURVEYED_SHARE = 0.02
# Moments in a conversation, by its focus: (signal, chance).
SIGNAL_ODDS: dict[str, tuple[tuple[str, float], ...]] = {
    "client": (("summarised_first", 0.25), ("answered_too_soon", 0.05)),
    "mutual": (("summarised_first", 0.1), ("answered_too_soon", 0.03)),
    "ours": (
        ("answered_too_soon", 0.1),
        ("price_pressure", 0.08),
        ("unsolicited_upsell", 0.08),
    ),
    "personal": (
        ("they_opened_up", 0.25),
        ("we_opened_up", 0.2),
        ("boundary_crossed", 0.003),
    ),
}
CLAIM_OUTCOMES = (("accurate", 0.8), ("pending", 0.12), ("exaggerated", 0.06), ("false", 0.02))


def _roll(rng: random.Random, odds: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for name, chance in odds:
        total += chance
        if roll < total:
            return name
    return odds[-1][0]


def evidence_library(*, team: Team, user: Any, now: dt.datetime) -> list[Evidence]:
    """The team's evidence library (`demo_words.EVIDENCE`), dated relative to `now`:
    current items, two expired ones and a reference client nobody has verified."""
    today = now.date()
    rows = [
        Evidence(
            team=team,
            kind=kind,
            title=title,
            issuer=issuer,
            summary=summary,
            verified_on=None if verified is None else today - dt.timedelta(days=verified),
            expires_on=None if expires is None else today + dt.timedelta(days=expires),
            industries=industries,
            created_by=user,
        )
        for kind, title, issuer, summary, verified, expires, industries in w.EVIDENCE
    ]
    return Evidence.objects.bulk_create(rows)


def _showing(
    rng: random.Random, library: list[Evidence], industry: str, at: dt.datetime
) -> Evidence:
    """What a salesperson would pick for a client in `industry` on that day: usually
    something from their industry, rarely something that had already expired."""
    fitting = [e for e in library if industry in e.industries] or library
    pool = fitting if rng.random() < 0.85 else library
    choice = rng.choice(pool)
    if choice.is_expired(at.date()) and rng.random() < 0.8:
        current = [e for e in pool if not e.is_expired(at.date())]
        choice = rng.choice(current) if current else choice
    return choice


def _shown(
    evidence: Evidence, person_id: int, owner_id: int, visibility: str, at: dt.datetime
) -> EvidenceShown:
    return EvidenceShown(
        team_id=evidence.team_id,
        evidence=evidence,
        person_id=person_id,
        visibility=visibility,
        shown_at=at,
        shown_by_id=owner_id,
        was_verified=evidence.is_verified,
        was_expired=evidence.is_expired(at.date()),
    )


def _survey_token(team: Team, seed: int, index: int) -> tuple[str, str]:
    """A survey's prefix and digest. Nobody holds the token: these links were "sent"
    before the demo began, so they only show as answered or waiting."""
    token = hashlib.sha256(f"demo-survey:{team.pk}:{seed}:{index}".encode()).hexdigest()
    return token[:8], hashlib.sha256(token.encode()).hexdigest()


def _survey_answers(survey: Survey, warmth: int, rng: random.Random) -> list[SurveyAnswer]:
    return [
        SurveyAnswer(
            survey=survey,
            question=q.key,
            component=q.component,
            answer=min(5, max(1, warmth + rng.choice([-1, 0, 0, 0, 1]))),
        )
        for q in survey_questions.QUESTIONS
    ]


def generate_trust(
    *,
    team: Team,
    seed: int = 7,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Add the trust evidence of a book: the team's evidence library, showings of it to
    about one person in two, claims to one in seven (mostly accurate), moments in about
    one conversation in five (listening, openness, pressure; the kind follows the
    conversation's focus) and surveys for one person in fifty, most of them answered.
    Returns the rows added by kind."""
    rng = random.Random(seed * 47 + 3)
    now = now or timezone.now()
    report = progress or (lambda _step, _n: None)
    members = {m.user_id: m for m in Member.objects.filter(team=team).select_related("user")}
    own = {m.person_id for m in members.values() if m.person_id}
    creator = next(iter(members.values())).user if members else None
    people = list(
        Person.objects.filter(team=team)
        .exclude(pk__in=own)
        .values_list("pk", "owner_id", "visibility", "display_name", "name_order")
    )
    added = {"evidence": 0, "shown": 0, "claims": 0, "signals": 0, "surveys": 0}
    if not people:
        return added
    library = evidence_library(team=team, user=creator, now=now)
    added["evidence"] = len(library)
    industry = dict(
        Role.objects.filter(person__team=team, ended_on__isnull=True).values_list(
            "person_id", "organisation__industry"
        )
    )
    span = dt.timedelta(days=700).total_seconds()

    def showings() -> Iterator[EvidenceShown]:
        for _ in range(int(len(people) * SHOWN_PER_PERSON)):
            pk, owner_id, visibility, _name, _order = rng.choice(people)
            at = now - dt.timedelta(seconds=rng.uniform(3600, span))
            evidence = _showing(rng, library, industry.get(pk) or "", at)
            yield _shown(evidence, pk, owner_id, visibility, at)

    shown = 0
    for batch in _batches(showings()):
        EvidenceShown.objects.bulk_create(batch)
        shown += len(batch)
        report("trust", len(batch))
    added["shown"] = shown

    claims = []
    for _ in range(int(len(people) * CLAIMS_PER_PERSON)):
        pk, owner_id, visibility, _name, _order = rng.choice(people)
        kind, statement = rng.choice(w.CLAIMS)
        made = now - dt.timedelta(seconds=rng.uniform(3600, span))
        status = _roll(rng, CLAIM_OUTCOMES)
        assessed = made + dt.timedelta(days=rng.uniform(7, 60))
        if status == "pending" or assessed > now:
            status, assessed_at, finding = "pending", None, ""
        else:
            assessed_at, finding = assessed, rng.choice(w.CLAIM_FINDINGS[status])
        claims.append(
            Claim(
                team=team,
                owner_id=owner_id,
                visibility=visibility,
                person_id=pk,
                kind=kind,
                statement=statement,
                made_at=made,
                status=status,
                assessed_at=assessed_at,
                assessment=finding,
            )
        )
    Claim.objects.bulk_create(claims, batch_size=BATCH)
    added["claims"] = len(claims)

    talks = (
        Interaction.objects.filter(team=team)
        .exclude(kind=Interaction.Kind.NOTE)
        .order_by("pk")
        .values_list("pk", "focus")
    )

    def moments() -> Iterator[Signal]:
        for pk, focus in talks.iterator(chunk_size=BATCH):
            for kind, chance in SIGNAL_ODDS.get(focus, ()):
                if rng.random() < chance:
                    yield Signal(interaction_id=pk, kind=kind)

    for batch in _batches(moments()):
        Signal.objects.bulk_create(batch)
        copy_moments({signal.interaction_id for signal in batch})
        added["signals"] += len(batch)
        report("trust", len(batch))

    shared = [p for p in people if p[2] == "team"]
    asked = rng.sample(shared, k=min(len(shared), max(1, round(len(people) * SURVEYED_SHARE))))
    surveys: list[Survey] = []
    for index, (pk, owner_id, _v, _name, order) in enumerate(asked):
        sent = now - dt.timedelta(days=rng.uniform(5, 400))
        answered = sent + dt.timedelta(days=rng.uniform(0.5, 10))
        prefix, digest = _survey_token(team, seed, index)
        surveys.append(
            Survey(
                team=team,
                created_by_id=owner_id,
                person_id=pk,
                language="zh-hans" if order == "family_first" else "en",
                prefix=prefix,
                digest=digest,
                expires_at=sent + dt.timedelta(days=30),
                answered_at=answered if rng.random() < 0.6 and answered < now else None,
                comment="",
            )
        )
    created = Survey.objects.bulk_create(surveys, batch_size=BATCH)
    answers: list[SurveyAnswer] = []
    for survey in created:
        # created_at is set on insert; the link was sent when it says it expires less 30 days.
        survey.created_at = survey.expires_at - dt.timedelta(days=30)
        if survey.answered_at is not None:
            survey.comment = rng.choice(w.SURVEY_COMMENTS)
            answers.extend(_survey_answers(survey, rng.choice([3, 4, 4, 5, 5]), rng))
    Survey.objects.bulk_update(created, ["created_at", "comment"], batch_size=BATCH)
    SurveyAnswer.objects.bulk_create(answers, batch_size=BATCH)
    added["surveys"] = len(created)
    return added


def backdate_facts(*, team: Team, seed: int = 7, now: dt.datetime | None = None) -> int:
    """Spread a book's common ground over the two years before `now`, as if learned
    along the way (rows are stamped with the time they were inserted), so the trend does
    not show everyone's intimacy jumping on the day the book was loaded. Facts go into
    one of a hundred days, a few set-based updates rather than one per row."""
    rng = random.Random(seed * 59 + 11)
    now = now or timezone.now()
    days: dict[int, list[int]] = {}
    for pk in Fact.objects.filter(person__team=team).order_by("pk").values_list("pk", flat=True):
        days.setdefault(rng.randrange(100), []).append(pk)
    for bucket, ids in days.items():
        at = now - dt.timedelta(days=1 + bucket * 7, hours=bucket % 9)
        for start in range(0, len(ids), 900):
            Fact.objects.filter(pk__in=ids[start : start + 900]).update(
                created_at=at, learned_on=at.date()
            )
    return sum(len(ids) for ids in days.values())


# ---------------------------------------------------------------------------------------
# Four relationships a salesperson recognises: a long-trusted client, a client cooling
# after a broken promise, a new prospect and a pushy sale.


@dataclass
class _Talk:
    at: dt.datetime
    kind: str
    focus: str
    summary: str
    signals: tuple[str, ...] = ()
    initiated_by: str = "us"
    agenda_ahead: bool = False
    decision: str = ""  # a decision taken, followed up by the promise made in this talk


@dataclass
class _Promise:
    title: str
    expected: str
    made_at: dt.datetime
    due_on: dt.date
    status: str = "kept"
    delivered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    match: str = ""
    reported_back_at: dt.datetime | None = None
    milestones: list[tuple[str, dt.datetime]] = field(default_factory=list)
    # (title, raised, disclosed, resolved)
    risks: list[tuple[str, dt.datetime, dt.datetime | None, dt.datetime | None]] = field(
        default_factory=list
    )
    # Dates moved: (when, the due date it replaced, when the client was told)
    moves: list[tuple[dt.datetime, dt.date, dt.datetime | None]] = field(default_factory=list)
    talk: int | None = None  # index of the talk it was made in


@dataclass
class _Profile:
    names: dict[str, str]
    title: str
    how_we_met: str
    cadence: int | None
    tags: tuple[str, ...]
    industries: tuple[str, ...]
    chinese_org: bool
    facts: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    talks: list[_Talk] = field(default_factory=list)
    promises: list[_Promise] = field(default_factory=list)
    shown: list[tuple[str, dt.datetime]] = field(default_factory=list)  # evidence title start
    claims: list[tuple[str, str, str, dt.datetime]] = field(default_factory=list)
    survey: tuple[dt.datetime, tuple[int, ...], str] | None = None


def _names(given: str, family: str, romanised: str = "") -> dict[str, str]:
    order = "family_first" if romanised else "given_first"
    return {
        "given_name": given,
        "family_name": family,
        "name_order": order,
        "display_name": display_name_for(given, family, order),
        "romanised_name": romanised,
    }


def _day(now: dt.datetime, days_ago: float, hour: int = 10) -> dt.datetime:
    """A working hour `days_ago` days before now (never later than now)."""
    at = (now - dt.timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return min(at, now - dt.timedelta(minutes=1)) if days_ago >= 0 else at


def _kept(
    title: str,
    expected: str,
    made: dt.datetime,
    days: int,
    *,
    match: str = "met",
    early_hours: int = 20,
    reported: bool = True,
) -> _Promise:
    due_on = made.date() + dt.timedelta(days=days)
    delivered = dt.datetime.combine(due_on, dt.time(16), tzinfo=dt.UTC) - dt.timedelta(
        hours=early_hours
    )
    delivered = max(delivered, made + dt.timedelta(hours=2))
    return _Promise(
        title,
        expected,
        made,
        due_on,
        delivered_at=delivered,
        closed_at=delivered,
        match=match,
        reported_back_at=delivered + dt.timedelta(hours=2) if reported else None,
    )


def _trusted(now: dt.datetime) -> _Profile:
    """Three years of promises kept on time and reported back, risks told at once,
    agendas ahead, plenty of common ground, openness both ways, a warm survey."""
    p = w.PROFILE_TRUSTED
    profile = _Profile(
        names=_names(p["given_name"], p["family_name"], p["romanised_name"]),
        title=p["title"],
        how_we_met=p["how_we_met"],
        cadence=30,
        tags=("vip", "key-account", "老客户"),
        industries=("Logistics", "Trading"),
        chinese_org=True,
    )
    for n, (category, value) in enumerate(p["facts"]):
        profile.facts.append((category, value, _day(now, 1050 - n * 130, 15)))
    work, personal = p["work"], p["personal"]
    day, n = 1095, 0
    while day >= 9:
        if n % 5 == 4:
            # Openness both ways in most personal moments, theirs alone in some.
            signals: tuple[str, ...] = ("they_opened_up",)
            if n % 10 == 9:
                signals = ("they_opened_up", "we_opened_up")
            kind = "meal" if n % 10 == 9 else "message"
            talk = _Talk(_day(now, day, 12), kind, "personal", personal[n % len(personal)], signals)
        else:
            focus = "ours" if n % 23 == 7 else ("mutual" if n % 4 == 2 else "client")
            kind = ("meeting", "call", "video", "meeting", "email")[n % 5]
            listened = focus == "client" and kind != "email"
            signals = ("summarised_first",) if listened else ()
            talk = _Talk(
                _day(now, day, 10),
                kind,
                focus,
                work[n % len(work)],
                signals,
                initiated_by="them" if n % 3 == 0 else "us",
                agenda_ahead=kind == "meeting",
            )
        profile.talks.append(talk)
        day -= 8
        n += 1
    # A promise out of most working meetings: kept before the day, reported back.
    promises = p["promises"]
    for i, talk in enumerate(profile.talks):
        if talk.kind != "meeting" or talk.at < now - dt.timedelta(days=1080):
            continue
        title, expected = promises[len(profile.promises) % len(promises)]
        made = talk.at + dt.timedelta(hours=1)
        promise = _kept(
            title, expected, made, 10, match="exceeded" if len(profile.promises) % 4 == 0 else "met"
        )
        if made + dt.timedelta(days=10) > now - dt.timedelta(days=2):
            continue
        promise.talk = i
        talk.decision = "Go ahead: " + title
        if len(profile.promises) % 3 == 0:
            promise.milestones.append(("Draft written", made + dt.timedelta(days=5)))
        if len(profile.promises) % 7 == 3:
            raised = made + dt.timedelta(days=3)
            promise.risks.append(
                (p["risk"], raised, raised + dt.timedelta(hours=3), promise.closed_at)
            )
        profile.promises.append(promise)
    # The next one is under way, its one risk already told.
    title, expected = p["open_promise"]
    made = _day(now, 9, 11)
    risk_at = _day(now, 4, 9)
    profile.promises.append(
        _Promise(
            title,
            expected,
            made,
            (now + dt.timedelta(days=5)).date(),
            status="open",
            milestones=[("初稿完成", _day(now, 3, 17))],
            risks=[(p["risk"], risk_at, risk_at + dt.timedelta(hours=2), None)],
        )
    )
    # The listing kick-off next week, agenda not yet sent.
    profile.talks.append(_Talk(_day(now, -4, 9), "meeting", "client", p["upcoming"]))
    # Everything fitting in the library has been shown to him, except the newest case study.
    for n, title in enumerate(("ISO 27001", "Logistics Advisory", "会计师事务所", "2023年度")):
        profile.shown.append((title, _day(now, 900 - n * 210, 11)))
    for n, (kind, statement, status) in enumerate(p["claims"]):
        profile.claims.append((kind, statement, status, _day(now, 800 - n * 260, 11)))
    profile.survey = (_day(now, 40, 20), (5, 5, 5, 5, 5, 4, 5), p["survey_comment"])
    return profile


def _cooling(now: dt.datetime) -> _Profile:
    """Two good years, then a promise moved after its date and broken, a risk kept from
    her, and no contact for well past the rhythm she is used to."""
    p = w.PROFILE_COOLING
    profile = _Profile(
        names=_names(p["given_name"], p["family_name"]),
        title=p["title"],
        how_we_met=p["how_we_met"],
        cadence=21,
        tags=("key-account",),
        industries=("Logistics", "Retail", "Trading"),
        chinese_org=False,
    )
    for n, (category, value) in enumerate(p["facts"]):
        profile.facts.append((category, value, _day(now, 680 - n * 150, 15)))
    day, n = 730, 0
    while day >= 45:
        if n % 6 == 5:
            talk = _Talk(
                _day(now, day, 12),
                "meal",
                "personal",
                p["personal"][n % 2],
                ("they_opened_up", "we_opened_up") if n % 12 == 11 else ("they_opened_up",),
            )
        else:
            focus = "mutual" if n % 3 == 1 else "client"
            kind = ("meeting", "call", "email", "video")[n % 4]
            talk = _Talk(
                _day(now, day, 14),
                kind,
                focus,
                p["work"][n % len(p["work"])],
                ("summarised_first",) if focus == "client" and n % 2 == 0 else (),
                agenda_ahead=kind == "meeting",
            )
        profile.talks.append(talk)
        day -= 14
        n += 1
    for i, talk in enumerate(profile.talks):
        if talk.kind != "meeting" or talk.at > now - dt.timedelta(days=100):
            continue
        title, expected = p["promises"][len(profile.promises) % len(p["promises"])]
        promise = _kept(title, expected, talk.at + dt.timedelta(hours=2), 12)
        promise.talk = i
        profile.promises.append(promise)
    # The benchmark: moved only after its date had passed, then given up.
    title, expected = p["broken"]
    old_due = (now - dt.timedelta(days=24)).date()
    broken = _Promise(
        title,
        expected,
        _day(now, 55, 15),
        old_due + dt.timedelta(days=14),
        status="broken",
        closed_at=_day(now, 3, 9),
        milestones=[("Data received", _day(now, 48, 11))],
        moves=[(_day(now, 20, 10), old_due, _day(now, 20, 10))],
    )
    profile.promises.append(broken)
    # The scorecard: due next week, and a risk on it nobody has told her about.
    title, expected = p["open_promise"]
    profile.promises.append(
        _Promise(
            title,
            expected,
            _day(now, 50, 16),
            (now + dt.timedelta(days=6)).date(),
            status="open",
            risks=[(p["risk"], _day(now, 12, 10), None, None)],
        )
    )
    for n, title in enumerate(("Logistics Advisory", "Case study", "ISO 27001", "2023年度")):
        profile.shown.append((title, _day(now, 600 - n * 150, 11)))
    for n, (kind, statement, status) in enumerate(p["claims"]):
        profile.claims.append((kind, statement, status, _day(now, 500 - n * 250, 11)))
    return profile


def _prospect(now: dt.datetime) -> _Profile:
    """Met twice, one thing known: too little evidence to judge any component."""
    p = w.PROFILE_PROSPECT
    profile = _Profile(
        names=_names(p["given_name"], p["family_name"], p["romanised_name"]),
        title=p["title"],
        how_we_met=p["how_we_met"],
        cadence=None,
        tags=("prospect", "潜在客户"),
        industries=("Technology", "Software"),
        chinese_org=True,
    )
    category, value = p["fact"]
    profile.facts.append((category, value, _day(now, 12, 18)))
    profile.talks.append(_Talk(_day(now, 12, 15), "event", "client", p["first"]))
    profile.talks.append(_Talk(_day(now, 5, 9), "message", "mutual", p["second"]))
    return profile


def _pushy(now: dt.datetime) -> _Profile:
    """Eight months of our agenda: pitches, price pressure, upsells, answers before the
    question was understood, one evening pushed too far and a claim that proved false."""
    p = w.PROFILE_PUSHY
    profile = _Profile(
        names=_names(p["given_name"], p["family_name"]),
        title=p["title"],
        how_we_met=p["how_we_met"],
        cadence=None,
        tags=("prospect",),
        industries=("Software", "Technology"),
        chinese_org=False,
    )
    category, value = p["fact"]
    profile.facts.append((category, value, _day(now, 230, 16)))
    day, n = 240, 0
    while day >= 6:
        if n == 1:
            talk = _Talk(
                _day(now, day, 11),
                "call",
                "client",
                p["their"],
                ("answered_too_soon",),
                initiated_by="them",
            )
        elif n == 6:
            talk = _Talk(
                _day(now, day, 21), "meal", "personal", p["boundary"], ("boundary_crossed",)
            )
        else:
            moments = [("price_pressure", "answered_too_soon", "unsolicited_upsell")[n % 3]]
            if n % 4 == 0:
                moments.append(
                    "unsolicited_upsell" if moments[0] != "unsolicited_upsell" else "price_pressure"
                )
            talk = _Talk(
                _day(now, day, 10),
                ("meeting", "call", "email", "video")[n % 4],
                "ours",
                p["pitches"][n % len(p["pitches"])],
                tuple(moments),
            )
        profile.talks.append(talk)
        day -= 14
        n += 1
    made = [_day(now, d, 16) for d in (225, 160, 95, 40)]
    (t1, e1), (t2, e2), (t3, e3) = p["promises"]
    profile.promises.append(_kept(t1, e1, made[0], 7, reported=False))
    late = _kept(t2, e2, made[1], 5, early_hours=-50, reported=False)
    late.status = "kept_late"
    profile.promises.append(late)
    late = _kept(t3, e3, made[2], 10, early_hours=-100, match="short")
    late.status = "kept_late"
    profile.promises.append(late)
    title, expected = p["open_promise"]
    due = (now + dt.timedelta(days=9)).date()
    profile.promises.append(_Promise(title, expected, made[3], due, status="open"))
    profile.shown.append(("ISO 27001", _day(now, 200, 11)))
    profile.shown.append(("SOC 2", _day(now, 40, 11)))
    for n, (kind, statement, status) in enumerate(p["claims"]):
        profile.claims.append((kind, statement, status, _day(now, 180 - n * 60, 11)))
    return profile


PROFILES = {
    "trusted": _trusted,
    "cooling": _cooling,
    "prospect": _prospect,
    "pushy": _pushy,
}


def profile_names() -> dict[str, str]:
    """The display name of each demo profile, by profile name."""
    now = timezone.now()
    return {name: build(now).names["display_name"] for name, build in PROFILES.items()}


def _pick_org(
    team: Team, industries: tuple[str, ...], chinese: bool, taken: set[int]
) -> Organisation:
    """An organisation of the book in one of these industries (Chinese-named or not),
    not already given to another profile; any free one if none fits."""
    free = Organisation.objects.filter(team=team).exclude(pk__in=taken).order_by("pk")
    fitting = [o for o in free.filter(industry__in=industries) if bool(o.name_romanised) == chinese]
    org = fitting[0] if fitting else free.first()
    if org is None:
        org = Organisation.objects.create(team=team, name="Demo Client", industry=industries[0])
    taken.add(org.pk)
    return org


def _write_profile(
    profile: _Profile,
    *,
    team: Team,
    member: Member,
    organisation: Organisation,
    library: list[Evidence],
    index: int,
    now: dt.datetime,
) -> Person:
    user, me = member.user, member.person
    names = profile.names
    chinese = names["name_order"] == "family_first"
    local = _email_local(names, 9000 + index)
    channels = [("email", f"{local}@example.com"), ("phone", f"+86 139 2000 {index:04d}")]
    if chinese:
        channels.append(("wechat", f"wx_{local}"))
    else:
        channels[1] = ("phone", f"+44 7700 900{index:03d}")
    tags = list(Tag.objects.filter(team=team, name__in=profile.tags))
    past = [t.at for t in profile.talks if t.at <= now]
    # Bulk inserts, as for the rest of the book: a load bypasses the per-write trust
    # refresh (the demo recomputes the whole team at the end).
    [person] = Person.objects.bulk_create(
        [
            Person(
                team=team,
                owner=user,
                visibility="team",
                **names,
                headline=f"{profile.title}, {organisation.name}",
                how_we_met=profile.how_we_met,
                contact_cadence_days=profile.cadence,
                last_interaction_at=max(past) if past else None,
                search_text=searchkey.build(
                    names=[
                        names["display_name"],
                        names["given_name"],
                        names["family_name"],
                        names["romanised_name"],
                    ],
                    emails=[v for k, v in channels if k == "email"],
                    phones=[v for k, v in channels if k == "phone"],
                    others=[organisation.name, organisation.name_romanised]
                    + [t.name for t in tags],
                ),
            )
        ]
    )
    Person.tags.through.objects.bulk_create(
        Person.tags.through(person_id=person.pk, tag_id=t.pk) for t in tags
    )
    Channel.objects.bulk_create(
        Channel(person=person, kind=k, value=v, is_primary=True) for k, v in channels
    )
    Role.objects.bulk_create(
        [
            Role(
                person=person,
                organisation=organisation,
                title=profile.title,
                is_decision_maker=True,
                influence=5,
            )
        ]
    )
    facts = Fact.objects.bulk_create(
        Fact(person=person, category=c, value=v, learned_how="", created_by=user)
        for c, v, _at in profile.facts
    )
    for fact, (_c, _v, at) in zip(facts, profile.facts, strict=True):
        fact.created_at, fact.learned_on = at, at.date()
    Fact.objects.bulk_update(facts, ["created_at", "learned_on"])

    talks = Interaction.objects.bulk_create(
        Interaction(
            team=team,
            owner=user,
            visibility="team",
            kind=t.kind,
            occurred_at=t.at,
            duration_minutes=60 if t.kind in ("meeting", "call", "video", "meal") else None,
            initiated_by=t.initiated_by,
            focus=t.focus,
            summary=t.summary,
        )
        for t in profile.talks
    )
    Participation.objects.bulk_create(
        Participation.of(i, p.pk, moment_bits(t.signals))
        for i, t in zip(talks, profile.talks, strict=True)
        for p in ([person, me] if me is not None else [person])
    )
    Signal.objects.bulk_create(
        Signal(interaction=i, kind=k)
        for i, t in zip(talks, profile.talks, strict=True)
        for k in t.signals
    )
    Meeting.objects.bulk_create(
        Meeting(
            interaction=i,
            agenda_shared_at=i.occurred_at - dt.timedelta(days=2),
            materials_sent_at=i.occurred_at - dt.timedelta(days=1),
        )
        for i, t in zip(talks, profile.talks, strict=True)
        if t.agenda_ahead
    )

    zone = member.time_zone
    rows = []
    for p in profile.promises:
        rows.append(
            Commitment(
                team=team,
                owner=user,
                visibility="team",
                side="ours",
                promised_by=me,
                person=person,
                organisation=organisation,
                title=p.title,
                expected=p.expected,
                made_at=p.made_at,
                due_on=p.due_on,
                time_zone=zone,
                due_at=deadlines.deadline(p.due_on, None, zone),
                status=p.status,
                closed_at=p.closed_at,
                delivered="Done as agreed" if p.delivered_at else "",
                delivered_at=p.delivered_at,
                match=p.match,
                reported_back_at=p.reported_back_at,
                interaction=talks[p.talk] if p.talk is not None else None,
            )
        )
    promises = Commitment.objects.bulk_create(rows)
    moves: list[Renegotiation] = []
    milestones: list[Milestone] = []
    risks: list[Risk] = []
    decisions: list[Decision] = []
    for c, p in zip(promises, profile.promises, strict=True):
        for n, (at, old_on, told) in enumerate(p.moves):
            new_on = p.moves[n + 1][1] if n + 1 < len(p.moves) else p.due_on
            moves.append(
                Renegotiation(
                    commitment=c,
                    at=at,
                    old_due_on=old_on,
                    old_due_at=deadlines.deadline(old_on, None, zone),
                    new_due_on=new_on,
                    new_due_at=deadlines.deadline(new_on, None, zone),
                    told_client_at=told,
                    actor=user,
                )
            )
        milestones.extend(
            Milestone(commitment=c, title=title, at=at, created_by=user)
            for title, at in p.milestones
        )
        risks.extend(
            Risk(
                commitment=c,
                title=title,
                severity="medium",
                raised_at=raised,
                disclosed_at=disclosed,
                resolved_at=resolved,
                created_by=user,
            )
            for title, raised, disclosed, resolved in p.risks
        )
        if p.talk is not None and profile.talks[p.talk].decision:
            decisions.append(
                Decision(
                    interaction=talks[p.talk],
                    owner=user,
                    decided_at=talks[p.talk].occurred_at,
                    text=profile.talks[p.talk].decision,
                    commitment=c,
                )
            )
    Renegotiation.objects.bulk_create(moves)
    Milestone.objects.bulk_create(milestones)
    Risk.objects.bulk_create(risks)
    Decision.objects.bulk_create(decisions)

    EvidenceShown.objects.bulk_create(
        _shown(
            next(e for e in library if e.title.startswith(prefix)),
            person.pk,
            user.pk,
            "team",
            at,
        )
        for prefix, at in profile.shown
    )
    Claim.objects.bulk_create(
        Claim(
            team=team,
            owner=user,
            visibility="team",
            person=person,
            kind=kind,
            statement=statement,
            made_at=made,
            status=status,
            assessed_at=None if status == "pending" else made + dt.timedelta(days=21),
            assessment="" if status == "pending" else w.CLAIM_FINDINGS[status][0],
        )
        for kind, statement, status, made in profile.claims
    )
    if profile.survey is not None:
        answered, answers, comment = profile.survey
        prefix, digest = _survey_token(team, 1000, index)
        [survey] = Survey.objects.bulk_create(
            [
                Survey(
                    team=team,
                    created_by=user,
                    person=person,
                    language="zh-hans" if chinese else "en",
                    prefix=prefix,
                    digest=digest,
                    expires_at=answered + dt.timedelta(days=27),
                    answered_at=answered,
                    comment=comment,
                )
            ]
        )
        Survey.objects.filter(pk=survey.pk).update(created_at=answered - dt.timedelta(days=3))
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(survey=survey, question=q.key, component=q.component, answer=a)
            for q, a in zip(survey_questions.QUESTIONS, answers, strict=False)
        )
    return person


def demo_profiles(*, team: Team, user: Any, now: dt.datetime | None = None) -> dict[str, Person]:
    """Add the four relationships of `PROFILES` to `user`'s book (shared with the team),
    each at an organisation of the book in a fitting industry. Needs the evidence
    library (`generate_trust`). Returns them by profile name."""
    now = now or timezone.now()
    member = Member.objects.select_related("user", "person").get(team=team, user=user)
    library = list(Evidence.objects.filter(team=team).order_by("pk"))
    taken: set[int] = set()
    people = {}
    for index, (name, build) in enumerate(PROFILES.items()):
        profile = build(now)
        organisation = _pick_org(team, profile.industries, profile.chinese_org, taken)
        people[name] = _write_profile(
            profile,
            team=team,
            member=member,
            organisation=organisation,
            library=library,
            index=index,
            now=now,
        )
    return people


def demo_duplicates(*, user: Any, profiles: dict[str, Person]) -> list[Person]:
    """Two second records, as a phone's address book brings them in, for the duplicate
    review to find: the prospect under her Latin name at the same company, and the
    cooling client as "Maggie" with her work email. Written through the services, as a
    user would have."""
    from rapport.people.services import fact_create, person_create, role_create

    prospect, cooling = profiles["prospect"], profiles["cooling"]
    role = prospect.roles.select_related("organisation").first()
    latin = person_create(
        actor=user,
        given_name=prospect.romanised_name.split()[-1],
        family_name=prospect.romanised_name.split()[0],
        name_order="given_first",
        display_name=" ".join(reversed(prospect.romanised_name.split())),
        how_we_met="Phone contacts",
        channels=[{"kind": "phone", "value": "+86 139 2000 7002", "label": "mobile"}],
    )
    if role is not None:
        role_create(actor=user, person=latin, organisation=role.organisation, title="GM")
    fact_create(actor=user, person=latin, category="food", value="Prefers tea to coffee")
    email = cooling.channels.filter(kind="email").values_list("value", flat=True).first()
    maggie = person_create(
        actor=user,
        given_name="Maggie",
        family_name=cooling.family_name,
        display_name=f"Maggie {cooling.family_name}",
        how_we_met="Phone contacts",
        channels=[{"kind": "email", "value": email or "maggie@example.com"}],
    )
    return [latin, maggie]


# ---------------------------------------------------------------------------------------
# The network: who knows whom around the book. Teammates and their ties, the named
# clients' families and friends, colleagues and former colleagues across the book's
# organisations, classmates, referrals (some that led to meetings, one thanked), and a
# warm route to the prospect's chairman: through the trusted client's former colleague,
# and through a teammate's private friend (shown to others only as "ask Bob").


@dataclass(frozen=True)
class _Known:
    """Someone in a named client's circle: (given, family, romanised), how they are
    tied to the client, and a few details."""

    given: str
    family: str
    romanised: str
    kind: str
    note: str
    headline: str = ""
    since_year: int | None = None
    # Days from now to their next birthday (a spouse or child with a birthday to mark).
    birthday_in: int | None = None
    birth_year: int | None = None
    fact: tuple[str, str] | None = None


CIRCLES: dict[str, tuple[_Known, ...]] = {
    "trusted": (
        _Known(
            "慧敏",
            "陈",
            "Chen Huimin",
            "family",
            "他的太太 · his wife",
            "Paediatrician, 仁济医院",
            1996,
            birthday_in=47,
            birth_year=1972,
            fact=("hobby", "Plays the guzheng; a recital every New Year"),
        ),
        _Known(
            "雨桐",
            "林",
            "Lin Yutong",
            "family",
            "女儿 · his daughter, doing a master's in London",
            "Master's student, London School of Economics",
            2000,
            birthday_in=5,
            birth_year=2000,
            fact=("goal", "Wants to work in sustainable finance after her master's"),
        ),
        _Known(
            "建军",
            "王",
            "Wang Jianjun",
            "friend",
            "Badminton partner every Wednesday night",
            "Owner, a sports club in Pudong",
            2004,
            fact=("sport", "Runs the Wednesday badminton group"),
        ),
    ),
    "cooling": (
        _Known(
            "Richard",
            "Holloway",
            "",
            "family",
            "Her husband",
            "Architect",
            2001,
            birthday_in=120,
            birth_year=1969,
        ),
        _Known(
            "Oliver",
            "Holloway",
            "",
            "family",
            "Her elder son; rows in his school's first eight",
            "Student",
            2008,
            birthday_in=33,
            birth_year=2008,
            fact=("sport", "Rows stroke in the school's first eight"),
        ),
        _Known(
            "Fiona",
            "Grant",
            "",
            "friend",
            "Restores old dinghies with her at the sailing club",
            "Solicitor",
            2012,
        ),
    ),
    "prospect": (
        _Known(
            "立",
            "陈",
            "Chen Li",
            "family",
            "她的先生 · her husband",
            "Surgeon",
            2010,
            birthday_in=200,
            birth_year=1980,
        ),
        _Known(
            "Rachel",
            "Tan",
            "",
            "classmate",
            "Studied together at NUS; now in Singapore",
            "Managing Director, a Singapore family office",
            2004,
            fact=("history", "Helped three Chinese firms open Singapore offices"),
        ),
    ),
    "pushy": (
        _Known(
            "Sarah",
            "Vance",
            "",
            "family",
            "His wife",
            "Teacher",
            2005,
            birthday_in=75,
            birth_year=1979,
        ),
        _Known(
            "Mike", "Donnelly", "", "friend", "Golf on Saturday mornings", "Sales Director", 2011
        ),
    ),
}
CLASS_NOTES = (
    "Fudan MBA, class of 2011",
    "复旦大学同学",
    "LSE, MSc 2009",
    "高中同学",
    "CEIBS EMBA",
)
FRIEND_NOTES = (
    "Neighbours for years",
    "同一个跑步群",
    "Play tennis together",
    "老朋友",
    "Book club",
)
TOM_TALKS = (
    ("meal", "Dinner with Tom; talked about his daughter's school"),
    ("call", "Tom called about the reunion in spring"),
    ("message", "微信：Tom 发了同学聚会的照片"),
    ("meal", "Lunch; he mentioned Zheng's board is looking at advisers"),
    ("call", "Caught up with Tom after his trip"),
    ("meal", "Yum cha with Tom and his wife"),
)


def _demo_person(
    *,
    team: Team,
    owner: Any,
    names: dict[str, str],
    headline: str = "",
    how_we_met: str = "",
    visibility: str = "team",
    email: str = "",
    others: tuple[str, ...] = (),
) -> Person:
    """A person as the rest of the book writes them (not saved), searchable by name."""
    return Person(
        team=team,
        owner=owner,
        visibility=visibility,
        **names,
        headline=headline,
        how_we_met=how_we_met,
        search_text=searchkey.build(
            names=[
                names["display_name"],
                names["given_name"],
                names["family_name"],
                names["romanised_name"],
            ],
            emails=[email] if email else [],
            others=list(others),
        ),
    )


def _since(year: int | None) -> dt.date | None:
    return dt.date(year, 3, 1) if year is not None else None


@transaction.atomic
def demo_referral_deals(*, team: Team, user: Any, now: dt.datetime) -> int:
    """Business that introductions brought: for the first referrals whose client has met
    us and works somewhere, a deal in the team's first pipeline, won (because of the
    relationship) for all but the newest. Returns how many deals were added."""
    from rapport.deals import services as deals
    from rapport.network.models import Referral

    people_at_work = Role.objects.filter(person__team=team, ended_on__isnull=True)
    met = {
        pk
        for pk in Participation.objects.filter(
            person__team=team, occurred_at__lte=now, kind__in=("meeting", "video", "meal")
        ).values_list("person_id", flat=True)
    }
    chosen = [
        r
        for r in Referral.objects.filter(team=team, referred__visibility="team")
        .select_related("referred")
        .order_by("referred_on", "pk")
        if r.referred_id in met and people_at_work.filter(person_id=r.referred_id).exists()
    ][-3:]
    if not chosen:
        return 0
    pipeline = deals.pipelines_ensure(actor=user)
    stages = {s.name: s for s in pipeline.stages.all()}
    by_outcome = {s.outcome: s for s in reversed(list(pipeline.stages.order_by("position")))}
    for n, referral in enumerate(chosen):
        role = people_at_work.filter(person_id=referral.referred_id).select_related("organisation")[
            0
        ]
        amount = Decimal(180_000 + 60_000 * n)
        deal = deals.deal_create(
            actor=user,
            pipeline=pipeline,
            title=f"{role.organisation.name}: advisory retainer",
            organisation=role.organisation,
            people=[referral.referred],
            amount=amount,
            margin=amount * Decimal("0.3"),
            client_benefit=amount * Decimal("2.5"),
            next_step="Kick-off meeting" if n < len(chosen) - 1 else "Send the proposal",
            next_step_on=now.date() + dt.timedelta(days=7),
            referral=referral,
        )
        if n < len(chosen) - 1:
            deals.deal_move(
                actor=user,
                deal=deal,
                stage=by_outcome["won"],
                reason="relationship",
                note="Came through a warm introduction",
            )
        else:
            deals.deal_move(actor=user, deal=deal, stage=stages.get("Proposal", deal.stage))
    return len(chosen)


def demo_network(
    *,
    team: Team,
    users: list[Any],
    profiles: dict[str, Person],
    now: dt.datetime,
    seed: int = 7,
) -> dict[str, int]:
    """The demo book's network (deterministic for a seed): every teammate a person with
    colleague ties to the others; families and friends of the named clients; colleagues,
    former colleagues, classmates and friends across the book's organisations;
    referrals (some due a thank-you, one thanked, one too new to have led anywhere); and
    the prospect's chairman, whom nobody on the team knows yet, reachable through the
    trusted client's former colleague and through a teammate's private friend. Then the
    ties found in conversations are computed for the whole team, as of `now`. Written in
    bulk, as the rest of the book is. Returns how many ties and referrals were added."""
    from rapport.network import index
    from rapport.network.models import Referral, Tie
    from rapport.network.services import ties_refresh

    rng = random.Random(seed * 71 + 5)
    today = now.date()
    lead = users[0]
    ties: dict[tuple[int, int], Tie] = {}

    def tie(a: Person | int, b: Person | int, kind: str, owner: Any, **extra: Any) -> None:
        x = a if isinstance(a, int) else a.pk
        y = b if isinstance(b, int) else b.pk
        if x == y or (min(x, y), max(x, y)) in ties:
            return
        since = extra.pop("since", None)
        ties[(min(x, y), max(x, y))] = Tie(
            team=team,
            person_a_id=min(x, y),
            person_b_id=max(x, y),
            kind=kind,
            since=min(since, today) if since else None,
            owner_id=owner if isinstance(owner, int) else owner.pk,
            source=Tie.Source.MANUAL,
            **extra,
        )

    # Teammates: each has a person of their own, and they are colleagues.
    members = list(Member.objects.filter(team=team).select_related("user", "person").order_by("pk"))
    missing = [m for m in members if m.person is None]
    if missing:
        made = Person.objects.bulk_create(
            _demo_person(
                team=team,
                owner=m.user,
                names=_names(m.user.username.title(), ""),
            )
            for m in missing
        )
        for member, person in zip(missing, made, strict=True):
            member.person = person
        Member.objects.bulk_update(missing, ["person"])
    mates = [m.person for m in members if m.person is not None]
    for n, first in enumerate(mates):
        for m, second in enumerate(mates[n + 1 :]):
            tie(
                first,
                second,
                Tie.Kind.COLLEAGUE,
                lead,
                since=today - dt.timedelta(days=365 * 3 + 120 * (n + m)),
                note="Same team",
            )
    mate_ids = {p.pk for p in mates}

    # The named clients' families and friends.
    circle_rows: list[tuple[Person, _Known, Person]] = []
    for key, known in CIRCLES.items():
        client = profiles.get(key)
        if client is None:
            continue
        for k in known:
            names = _names(k.given, k.family, k.romanised)
            person = _demo_person(
                team=team,
                owner=client.owner,
                names=names,
                headline=k.headline,
                how_we_met=f"{k.note} ({client.display_name})",
                others=(client.display_name,),
            )
            if k.birthday_in is not None:
                day = today + dt.timedelta(days=k.birthday_in)
                person.birth_calendar = "solar"
                person.birth_month, person.birth_day = day.month, day.day
                if (day.month, day.day) == (2, 29):
                    person.birth_day = 28
                person.birth_year = k.birth_year
            circle_rows.append((client, k, person))
    Person.objects.bulk_create([p for _c, _k, p in circle_rows])
    Fact.objects.bulk_create(
        Fact(
            person=p,
            category=k.fact[0],
            value=k.fact[1],
            learned_how=f"from {c.display_name}",
            learned_on=today - dt.timedelta(days=60),
            created_by=c.owner,
        )
        for c, k, p in circle_rows
        if k.fact is not None
    )
    for client, k, person in circle_rows:
        tie(client, person, k.kind, client.owner, since=_since(k.since_year), note=k.note)
    circle = {(c.pk, k.romanised or f"{k.given} {k.family}"): p for c, k, p in circle_rows}
    # The trusted client's wife and daughter are family too.
    trusted, prospect = profiles.get("trusted"), profiles.get("prospect")
    if trusted is not None:
        wife = circle[(trusted.pk, "Chen Huimin")]
        daughter = circle[(trusted.pk, "Lin Yutong")]
        tie(
            wife,
            daughter,
            Tie.Kind.FAMILY,
            lead,
            since=dt.date(2000, 6, 1),
            note="Mother and daughter",
        )

    # The book's organisations: colleagues, and former colleagues across them.
    designed = {p.pk for _c, _k, p in circle_rows} | {p.pk for p in profiles.values()}
    current: dict[int, list[int]] = {}
    past: list[tuple[int, int, dt.date]] = []
    owner_of = dict(Person.objects.filter(team=team).values_list("pk", "owner_id"))
    for person_id, org_id, ended in (
        Role.objects.filter(person__team=team)
        .exclude(person_id__in=designed | mate_ids)
        .order_by("pk")
        .values_list("person_id", "organisation_id", "ended_on")
    ):
        if ended is None:
            current.setdefault(org_id, []).append(person_id)
        else:
            past.append((person_id, org_id, ended))
    for org_id in sorted(current):
        staff = current[org_id]
        for n, person_id in enumerate(staff[1:], start=1):
            tie(
                person_id,
                rng.choice(staff[:n]),
                Tie.Kind.COLLEAGUE,
                owner_of[person_id],
                since=today - dt.timedelta(days=rng.randint(200, 3000)),
            )
    org_names = dict(Organisation.objects.filter(team=team).values_list("pk", "name"))
    for person_id, org_id, ended in past:
        staff = current.get(org_id, [])
        for other in rng.sample(staff, k=min(len(staff), rng.choice([1, 2]))):
            tie(
                person_id,
                other,
                Tie.Kind.FORMER_COLLEAGUE,
                owner_of[person_id],
                since=ended - dt.timedelta(days=rng.randint(365, 2500)),
                note=f"Worked together at {org_names[org_id]}",
            )
    book = sorted(p for staff in current.values() for p in staff)
    for kinds, notes, count in (
        (Tie.Kind.CLASSMATE, CLASS_NOTES, 14),
        (Tie.Kind.FRIEND, FRIEND_NOTES, 18),
    ):
        for _ in range(count):
            a, b = rng.sample(book, k=2)
            tie(
                a,
                b,
                kinds,
                owner_of[a],
                since=dt.date(rng.randint(1995, 2016), 9, 1),
                note=rng.choice(notes),
            )

    # The warm route to the prospect's chairman, whom nobody on the team knows yet.
    added: list[Person] = []
    if trusted is not None and prospect is not None:
        taken = set(
            Role.objects.filter(person__in=[trusted, prospect]).values_list(
                "organisation_id", flat=True
            )
        )
        trusted_org = Role.objects.filter(person=trusted).values_list("organisation_id", flat=True)[
            0
        ]
        prospect_org = Role.objects.filter(person=prospect).values_list(
            "organisation_id", flat=True
        )[0]
        elsewhere = sorted(set(org_names) - taken)
        her_org = rng.choice(elsewhere) if elsewhere else trusted_org
        peiling = _demo_person(
            team=team,
            owner=lead,
            names=_names("佩玲", "何", "He Peiling"),
            headline=f"CFO, {org_names[her_org]}",
            how_we_met=f"{trusted.display_name}'s former colleague",
            email="he.peiling@example.com",
            others=(org_names[her_org], org_names[trusted_org]),
        )
        chairman = _demo_person(
            team=team,
            owner=lead,
            names=_names("志远", "郑", "Zheng Zhiyuan"),
            headline=f"董事长 (Chairman), {org_names[prospect_org]}",
            how_we_met="Not met yet: signs off every adviser the group appoints",
            email="zheng.zhiyuan@example.com",
            others=(org_names[prospect_org],),
        )
        added = [peiling, chairman]
        Person.objects.bulk_create(added)
        Channel.objects.bulk_create(
            [
                Channel(
                    person=peiling, kind="email", value="he.peiling@example.com", is_primary=True
                ),
                Channel(
                    person=chairman,
                    kind="email",
                    value="zheng.zhiyuan@example.com",
                    is_primary=True,
                ),
            ]
        )
        Role.objects.bulk_create(
            [
                Role(person=peiling, organisation_id=her_org, title="CFO", influence=4),
                Role(
                    person=peiling,
                    organisation_id=trusted_org,
                    title="财务经理 (Finance Manager)",
                    influence=3,
                    ended_on=dt.date(2016, 6, 30),
                ),
                Role(
                    person=chairman,
                    organisation_id=prospect_org,
                    title="董事长 (Chairman)",
                    is_decision_maker=True,
                    influence=5,
                ),
            ]
        )
        tie(
            trusted,
            peiling,
            Tie.Kind.FORMER_COLLEAGUE,
            lead,
            since=dt.date(2005, 3, 1),
            note=f"Eleven years side by side in the finance team at {org_names[trusted_org]}",
        )
        tie(
            peiling,
            chairman,
            Tie.Kind.FRIEND,
            lead,
            since=dt.date(2012, 5, 1),
            note="Golf partners; she sits on his advisory board",
        )
        tie(
            prospect,
            chairman,
            Tie.Kind.COLLEAGUE,
            lead,
            since=dt.date(2019, 4, 1),
            note="Her chairman: signs off anything above her budget",
        )
        # A teammate's private friend who studied with the chairman.
        friend_of = next((m for m in members if m.user_id != lead.pk and m.person), None)
        mate = friend_of.person if friend_of is not None else None
        if friend_of is not None and mate is not None:
            tom = _demo_person(
                team=team,
                owner=friend_of.user,
                names=_names("Tom", "Hartley"),
                headline="Partner, a private-equity firm",
                how_we_met=f"{mate.display_name}'s friend from university",
                visibility="private",
            )
            Person.objects.bulk_create([tom])
            added.append(tom)
            talks = Interaction.objects.bulk_create(
                Interaction(
                    team=team,
                    owner=friend_of.user,
                    visibility="private",
                    kind=kind,
                    occurred_at=_day(now, 20 + 55 * n, 19 if kind == "meal" else 12),
                    duration_minutes=90 if kind == "meal" else (30 if kind == "call" else None),
                    initiated_by="them" if n % 2 else "us",
                    focus="personal",
                    summary=summary,
                )
                for n, (kind, summary) in enumerate(TOM_TALKS)
            )
            Participation.objects.bulk_create(
                Participation.of(i, p.pk) for i in talks for p in (tom, mate)
            )
            Person.objects.filter(pk=tom.pk).update(
                last_interaction_at=max(i.occurred_at for i in talks)
            )
            tie(
                mate,
                tom,
                Tie.Kind.FRIEND,
                friend_of.user,
                since=dt.date(2003, 9, 1),
                note="Friends since university",
            )
            tie(
                tom,
                chairman,
                Tie.Kind.CLASSMATE,
                friend_of.user,
                since=dt.date(2008, 9, 1),
                note="CEIBS MBA classmates; still meet every spring",
            )

    # Referrals: who introduced whom, and what came of it.
    first_seen: dict[int, dt.datetime] = {}
    first_meeting: dict[int, dt.datetime] = {}
    for person_id, kind, at in (
        Participation.objects.filter(person__team=team)
        .order_by("occurred_at", "pk")
        .values_list("person_id", "interaction__kind", "occurred_at")
    ):
        first_seen.setdefault(person_id, at)
        if kind in ("meeting", "video", "meal", "event", "call"):
            first_meeting.setdefault(person_id, at)
    shared = dict(
        Person.objects.filter(team=team, visibility="team").values_list("pk", "introduced_by_id")
    )
    referrals: list[Referral] = []
    introduced: list[tuple[int, int]] = []

    def refer(referrer: int, referred: int, on: dt.date, by: Any, **extra: Any) -> None:
        referrals.append(
            Referral(
                team=team,
                referrer_id=referrer,
                referred_id=referred,
                referred_on=min(on, today),
                created_by_id=by if isinstance(by, int) else by.pk,
                **extra,
            )
        )
        introduced.append((referred, referrer))
        tie(referrer, referred, Tie.Kind.INTRODUCED_BY, by, since=min(on, today))

    # New clients we first met in the last year and a half, each met since.
    newcomers = sorted(
        pk
        for pk, at in first_seen.items()
        if pk in shared
        and pk not in designed | mate_ids
        and pk in first_meeting
        and now - dt.timedelta(days=540) < at < now - dt.timedelta(days=30)
    )
    by_owner: dict[int, list[int]] = {}
    for pk in newcomers:
        by_owner.setdefault(owner_of[pk], []).append(pk)
    chosen: set[int] = set()

    def newcomer(owner: Any) -> int | None:
        pool = [pk for pk in by_owner.get(owner.pk, []) if pk not in chosen]
        if not pool:
            return None
        pick = rng.choice(pool)
        chosen.add(pick)
        return pick

    def days_before(pk: int, days: int) -> dt.date:
        return (first_seen[pk] - dt.timedelta(days=days)).date()

    cooling = profiles.get("cooling")
    if trusted is not None and (pick := newcomer(lead)) is not None:
        refer(trusted.pk, pick, days_before(pick, 10), lead, note="He rang me: 'you must meet'")
    if cooling is not None and (pick := newcomer(lead)) is not None:
        refer(
            cooling.pk,
            pick,
            days_before(pick, 6),
            lead,
            note="Introduced at the conference dinner",
            thanked_at=first_meeting[pick] + dt.timedelta(days=2),
        )
    if trusted is not None and len(members) > 1:
        friend = circle[(trusted.pk, "Wang Jianjun")]
        if (pick := newcomer(members[1].user)) is not None:
            refer(friend.pk, pick, days_before(pick, 14), members[1].user, note="羽毛球球友介绍")
    if prospect is not None:
        rachel = circle[(prospect.pk, "Rachel Tan")]
        refer(
            prospect.pk,
            rachel.pk,
            today - dt.timedelta(days=3),
            lead,
            note="For the Singapore office: not met yet",
        )
    # Introductions already in the book, recorded as referrals; the older ones thanked.
    for referred, referrer in sorted(shared.items()):
        if referrer is None or referrer not in shared or referred in chosen:
            continue
        start = first_seen.get(referred, now - dt.timedelta(days=rng.randint(60, 700)))
        met = first_meeting.get(referred)
        old = met is not None and met < now - dt.timedelta(days=90)
        refer(
            referrer,
            referred,
            (start - dt.timedelta(days=rng.randint(3, 30))).date(),
            owner_of[referred],
            thanked_at=met + dt.timedelta(days=rng.randint(1, 10)) if old and met else None,
        )
    Referral.objects.bulk_create(referrals, batch_size=BATCH)
    # Who first brought each of them to us.
    Person.objects.bulk_update(
        [Person(pk=referred, introduced_by_id=referrer) for referred, referrer in introduced],
        ["introduced_by"],
        batch_size=BATCH,
    )

    Tie.objects.bulk_create(list(ties.values()), batch_size=BATCH)
    _analyze()
    ties_refresh(team_id=team.pk, now=now)
    index.forget(team.pk)
    return {"ties": Tie.objects.filter(team=team).count(), "referrals": len(referrals)}
