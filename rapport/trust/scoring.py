"""Turn evidence into stored scores: one relationship after a write, or a whole team
at once, with a daily snapshot for the trend and the week-over-week change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from rapport.accounts.models import Member
from rapport.people.models import Organisation, Person, Role
from rapport.trust import equation, evidence
from rapport.trust import weights as W
from rapport.trust.equation import Score, Sums, Views
from rapport.trust.models import TrustScore, TrustSnapshot

half_life = evidence.half_life_days


def person_views(person: Person, now: dt.datetime | None = None) -> Views:
    now = now or timezone.now()
    return equation.views(evidence.person_events(person, now), now=now, half_life_days=half_life())


def organisation_views(organisation: Organisation, now: dt.datetime | None = None) -> Views:
    now = now or timezone.now()
    return equation.views(
        evidence.organisation_events(organisation, now), now=now, half_life_days=half_life()
    )


@dataclass(frozen=True)
class Row:
    """What gets stored for one relationship."""

    score: Score
    ours: Score
    client: Mapping[str, float | None]


def _detail(row: Row) -> dict[str, dict[str, object]]:
    detail: dict[str, dict[str, object]] = {}
    for part, mine in zip(row.score.components, row.ours.components, strict=True):
        detail[part.name] = {
            "count": part.count,
            "weight": round(part.weight, 4),
            "uncertain": part.uncertain,
            "ours": round(mine.value, 4),
            "client": None
            if row.client.get(part.name) is None
            else round(row.client[part.name] or 0, 4),
        }
    return detail


def _rounded(score: Score) -> tuple[float, float, float, float, float]:
    return (
        round(score.c.value, 2),
        round(score.r.value, 2),
        round(score.i.value, 2),
        round(score.s.value, 2),
        round(score.t, 2),
    )


def _store(
    team_id: int,
    rows: Mapping[int, Row],
    *,
    subject: str,
    now: dt.datetime,
    day: dt.date,
) -> None:
    """Upsert scores and today's snapshots for `rows` (keyed by person or organisation
    id), with each one's change since its snapshot of a week or more ago."""
    if not rows:
        return
    field = f"{subject}_id"
    week_ago = day - dt.timedelta(days=7)
    ids = list(rows)
    before: dict[int, float] = {}
    for chunk in _chunks(ids, 900):
        latest = (
            TrustSnapshot.objects.filter(**{f"{field}__in": chunk}, day__lte=week_ago)
            .values(field)
            .annotate(day=Max("day"))
        )
        wanted = {(r[field], r["day"]) for r in latest}
        if wanted:
            days = {d for _, d in wanted}
            for sid, d, t in TrustSnapshot.objects.filter(
                **{f"{field}__in": [s for s, _ in wanted]}, day__in=days
            ).values_list(field, "day", "t"):
                if (sid, d) in wanted:
                    before[sid] = t
    stamp = connection.ops.adapt_datetimefield_value(now)
    today = connection.ops.adapt_datefield_value(day)
    scores = []
    snapshots = []
    for sid, row in rows.items():
        c, r, i, s, t = _rounded(row.score)
        previous = before.get(sid)
        delta = None if previous is None else round(t - previous, 2)
        detail = connection.ops.adapt_json_value(_detail(row), None)
        weakest = row.score.weakest.name
        scores.append((team_id, sid, c, r, i, s, t, weakest, detail, previous, delta, stamp))
        snapshots.append((team_id, sid, today, c, r, i, s, t))
    # Plain parameterised upserts: Django's bulk_create(update_conflicts=True) spends
    # most of a full recompute preparing each field of each model instance (24-34 s
    # for 113,000 rows at size M, against about 5 s for this).
    score_columns = ["team_id", field, *_SCORE_FIELDS]
    snapshot_columns = ["team_id", field, "day", "c", "r", "i", "s", "t"]
    with connection.cursor() as cursor:
        for chunk in _chunks(scores, 2000):
            cursor.executemany(
                _upsert_sql(TrustScore._meta.db_table, score_columns, [field], _SCORE_FIELDS),
                chunk,
            )
        for chunk in _chunks(snapshots, 2000):
            cursor.executemany(
                _upsert_sql(
                    TrustSnapshot._meta.db_table,
                    snapshot_columns,
                    [field, "day"],
                    ["c", "r", "i", "s", "t"],
                ),
                chunk,
            )


_SCORE_FIELDS = [
    "c",
    "r",
    "i",
    "s",
    "t",
    "weakest",
    "detail",
    "t_week_ago",
    "delta_week",
    "computed_at",
]


def _upsert_sql(table: str, columns: list[str], conflict: list[str], update: list[str]) -> str:
    """INSERT ... ON CONFLICT ... DO UPDATE, which SQLite and PostgreSQL both speak."""
    quote = connection.ops.quote_name
    # Only model column names are interpolated; every value is a parameter.
    return (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
    )


def _chunks(items: list, size: int) -> Iterable[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row(views: Views) -> Row:
    return Row(score=views.blended, ours=views.ours, client=views.client)


def _today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


@transaction.atomic
def trust_refresh(
    *,
    person_ids: Iterable[int] = (),
    organisation_ids: Iterable[int] = (),
    now: dt.datetime | None = None,
    their_organisations: bool = True,
) -> int:
    """Recompute a few relationships after a write: the people and organisations named,
    and (unless told not to) every organisation the people hold a current role in.
    Returns how many were stored."""
    now = now or timezone.now()
    # Members' own people are not relationships (see evidence.team_members).
    people = list(
        Person.objects.filter(pk__in=set(person_ids)).exclude(
            pk__in=Member.objects.filter(person__isnull=False).values("person_id")
        )
    )
    organisation_set = set(organisation_ids)
    if their_organisations:
        organisation_set |= organisations_of(p.pk for p in people)
    organisations = list(Organisation.objects.filter(pk__in=organisation_set))
    by_team: dict[int, tuple[dict[int, Row], dict[int, Row]]] = {}
    for person in people:
        by_team.setdefault(person.team_id, ({}, {}))[0][person.pk] = _row(person_views(person, now))
    for organisation in organisations:
        by_team.setdefault(organisation.team_id, ({}, {}))[1][organisation.pk] = _row(
            organisation_views(organisation, now)
        )
    for team_id, (person_rows, organisation_rows) in by_team.items():
        _store(team_id, person_rows, subject="person", now=now, day=_today(now))
        _store(team_id, organisation_rows, subject="organisation", now=now, day=_today(now))
    return len(people) + len(organisations)


def organisations_of(person_ids: Iterable[int]) -> set[int]:
    """The organisations these people hold a current role in."""
    return set(
        Role.objects.filter(person_id__in=list(person_ids), ended_on__isnull=True).values_list(
            "organisation_id", flat=True
        )
    )


def _rows_from_sums(
    ours: Mapping[int, dict[str, Sums]], surveys: Mapping[int, dict[str, Sums]], ids: Iterable[int]
) -> dict[int, Row]:
    rows = {}
    unasked: dict[str, float | None] = dict.fromkeys(W.COMPONENTS)
    for sid in ids:
        mine = ours.get(sid) or {}
        asked = surveys.get(sid)
        if not asked:
            # Most relationships: no survey, so the blended score is ours (scored once).
            score = equation.score_from_sums(equation.pool([(1.0, mine)]))
            rows[sid] = Row(score=score, ours=score, client=unasked)
            continue
        blended = equation.pool([(1.0, mine), (1.0, asked)])
        client = {
            name: equation.client_view(name, asked.get(name, Sums())) for name in W.COMPONENTS
        }
        rows[sid] = Row(
            score=equation.score_from_sums(blended),
            ours=equation.score_from_sums(mine),
            client=client,
        )
    return rows


def trust_recompute_team(
    team_id: int, *, now: dt.datetime | None = None, evidenced_only: bool = False
) -> tuple[int, int]:
    """Recompute every person and organisation of one team from set-based aggregates
    (with `evidenced_only`, only those with some evidence by `now`: a backfilled trend
    starts where the relationship's record does). Returns (people, organisations)
    stored."""
    now = now or timezone.now()
    sums = evidence.team_sums(team_id, now, half_life())
    person_ids = list(
        Person.objects.filter(team_id=team_id)
        .exclude(pk__in=evidence.team_members(team_id))
        .values_list("pk", flat=True)
    )
    organisation_ids = list(
        Organisation.objects.filter(team_id=team_id).values_list("pk", flat=True)
    )
    people = _rows_from_sums(sums.people, sums.surveys, person_ids)
    pooled = evidence.organisation_sums(team_id, sums)
    organisations = _rows_from_sums(pooled.ours, pooled.surveys, organisation_ids)
    if evidenced_only:
        people = {k: row for k, row in people.items() if _evidenced(row)}
        organisations = {k: row for k, row in organisations.items() if _evidenced(row)}
    with transaction.atomic():
        _store(team_id, people, subject="person", now=now, day=_today(now))
        _store(team_id, organisations, subject="organisation", now=now, day=_today(now))
    return len(people), len(organisations)


def _evidenced(row: Row) -> bool:
    return any(part.count for part in row.score.components)


def trust_backfill(team_id: int, weeks: int, now: dt.datetime | None = None) -> int:
    """Give a team's relationships a trend: a snapshot for each of the past `weeks` weeks,
    oldest first, each computed from the evidence as it stood that day (a relationship
    with no evidence yet that day gets no snapshot), then today's
    full recompute (so the stored scores and the week-over-week change are today's).
    For a book loaded with its history at once (the demo, an import). Returns how many
    recomputes were run."""
    now = now or timezone.now()
    for back in range(max(weeks, 0), 0, -1):
        trust_recompute_team(team_id, now=now - dt.timedelta(weeks=back), evidenced_only=True)
    trust_recompute_team(team_id, now=now)
    return max(weeks, 0) + 1
