"""The demo book generator: a realistic bilingual client book of any size.

`rapport demo` loads a small one (about 300 people, 40 organisations, two years of
interactions); `bench/generate.py` builds the same kind of book at size S (1k people)
or M (100k people, 2M interactions) for the benchmark. Rows go in with bulk inserts in
batches, which is how an import writes; one audit entry records the load.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
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
from rapport.interactions.models import Interaction, Participation
from rapport.people import searchkey
from rapport.people.models import Channel, Fact, Organisation, Person, Role, Tag
from rapport.people.services import display_name_for

DEMO_PASSWORD = "rapport-demo"  # noqa: S105 - printed for the local demo on purpose


@dataclass(frozen=True)
class BookSize:
    people: int
    organisations: int
    interactions: int
    commitments: int = 0
    days: int = 730


DEMO = BookSize(people=300, organisations=40, interactions=4_000, commitments=240)
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
            Participation(interaction=i, person=p, occurred_at=i.occurred_at)
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
    audit_record(
        actor=users[0],
        team=team,
        action="demo.load",
        object_type="team",
        summary=(
            f"generated {size.people} people, {size.organisations} organisations, "
            f"{size.interactions} interactions, {size.commitments} commitments"
        ),
    )
    return team


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
