"""Time the pages and the agenda server-side: `python bench/run.py --data-dir DIR`.

Requests go in-process through django.test.Client, signed in as alice (force_login) for
the pages and with a bearer token for the API, against a book made by bench/generate.py.
The agenda is also timed as a plain call of `rapport.core.agenda.agenda_for(alice)`, which
is what `rapport agenda`, the dashboard, the API and the morning email all run. The client
tracking pages and the calendar feed are fetched through secret links made for the run
(share_link_create, calendar_feed_create) and revoked at the end.
The trust engine is timed three ways: the full recompute of every relationship
(`trust_recompute_team` over the book's team, with where its time goes), the incremental
refresh after one new interaction (`trust_refresh` for that person, which takes in the
organisations they work for, and one organisation's refresh alone), and the trust cards
as htmx loads them into the person and organisation pages.
For each endpoint: a few warm-up requests, then --requests timed ones; p50/p95/p99/max in
ms and the SQL queries per request. Every response must be a 200 with real content, or the
run stops: a benchmark that times error pages is worthless.

Timing and query counts come from the same requests: queries are counted with a cheap
`connection.execute_wrapper`. CaptureQueriesContext is then used on a sample of the same
URLs, untimed, to confirm the counts; each statement it captured is run again to its last
row to find the slowest, which are kept with their SQLite query plan. (It is kept out of
the timed requests because on SQLite it quotes every statement's parameters with an extra
query, which would inflate the figures.)

--runs R repeats the whole measurement and reports the median of each figure across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

# Targets at size M (p95, ms), applied to the page and to its API twin.
TARGETS = {
    "person": 50.0,
    "api_person": 50.0,
    "search": 100.0,
    "api_search": 100.0,
    "agenda": 200.0,
    "api_agenda": 200.0,
    "trust_card": 50.0,
    "trust_org_card": 50.0,
    "refresh_person": 50.0,
    "refresh_org": 50.0,
    "deal_board": 150.0,
    "winloss": 150.0,
    "api_winloss": 150.0,
    "gift_register": 150.0,
    "value_org_card": 150.0,
}
# The full recompute of every relationship at size M, seconds.
RECOMPUTE_TARGET_SECONDS = 60.0

ENDPOINTS = [
    ("list", "GET /people/", "people list, first page"),
    ("list_page", "GET /people/?page=N", "people list, random page"),
    ("search", "GET /people/?q=…", "search page, mixed queries"),
    ("person", "GET /people/<id>/", "person page"),
    ("api_search", "GET /api/v1/people?q=…", "API search"),
    ("api_person", "GET /api/v1/people/<id>", "API person"),
    ("agenda", "agenda_for(alice)", "alice's agenda, rapport.core.agenda.agenda_for in-process"),
    ("api_agenda", "GET /api/v1/agenda", "API agenda"),
    ("dashboard", "GET /", "dashboard (shows the agenda)"),
    (
        "commitments",
        "GET /commitments/?show=overdue&scope=team",
        "overdue promises of the whole team, first page",
    ),
    ("commitment", "GET /commitments/<id>/", "promise page, random promise alice can see"),
    ("tracking", "GET /p/<token>/", "client tracking page, share links made for the run"),
    ("feed", "GET /feed/<token>.ics", "alice's calendar feed"),
    (
        "feed_304",
        "GET /feed/<token>.ics, If-None-Match",
        "alice's calendar feed polled with the ETag it gave (304 when unchanged)",
    ),
    (
        "trust_card",
        "GET /people/<id>/trust/ (htmx)",
        "a person's trust card as the person page loads it (HX-Request)",
    ),
    (
        "trust_org_card",
        "GET /organisations/<id>/trust/ (htmx)",
        "an organisation's trust card as its page loads it (HX-Request)",
    ),
    ("deal_board", "GET /deals/pipelines/<id>/", "kanban board of each of the team's pipelines"),
    (
        "winloss",
        "GET /deals/report/?from=&to=",
        "win/loss report: last 12 months, a whole year back, one pipeline",
    ),
    ("api_winloss", "GET /api/v1/deals/report", "API win/loss report, the same periods"),
    (
        "gift_register",
        "GET /gifts/?…",
        "gift register: all of it, given only, over-limit only, this year",
    ),
    (
        "value_org_card",
        "GET /organisations/<id>/value/ (htmx)",
        "an organisation's value card with its people's items, the largest organisations",
    ),
]
# Plain calls, not requests: timed in a transaction that is rolled back (see OPERATIONS).
OPERATIONS = [
    (
        "recompute",
        "trust_recompute_team(team)",
        "full recompute of every person and organisation of the book's team",
    ),
    (
        "refresh",
        "trust_refresh(person) after one interaction",
        "incremental refresh after one new interaction (the person and their organisations),"
        " and one organisation's refresh alone",
    ),
]
REFRESH_ROWS = [
    (
        "refresh_person",
        "trust_refresh(person_ids=[p], their_organisations=False)",
        "the task after one new interaction with p",
    ),
    ("refresh_org", "trust_refresh(organisation_ids=[o])", "the follow-up task: one organisation"),
    (
        "refresh_person_and_orgs",
        "trust_refresh(person_ids=[p])",
        "both in one go, as the task did before",
    ),
]
TRUST_ENDPOINTS = {"trust_card", "trust_org_card"}
DEAL_ENDPOINTS = {"deal_board", "winloss", "api_winloss"}
REGISTER_ENDPOINTS = {"gift_register", "value_org_card"}
# Endpoints that need the promises of the book (bench/generate.py adds them).
COMMITMENT_ENDPOINTS = {
    "agenda",
    "api_agenda",
    "dashboard",
    "commitments",
    "commitment",
    "tracking",
    "feed",
    "feed_304",
}
BREAKDOWN = (
    "search",
    "api_search",
    "person",
    "api_person",
    "commitment",
    "tracking",
    "trust_card",
    "trust_org_card",
    "refresh_person",
    "refresh_org",
    "refresh_person_and_orgs",
)
SEARCH_KINDS = [
    "han_name",
    "pinyin",
    "latin_partial",
    "email_part",
    "phone_digits",
    "organisation",
    "tag",
]


def setup_django(data_dir: Path) -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["RAPPORT_DATA_DIR"] = str(data_dir.expanduser().resolve())
    # Not DEBUG: it wraps every cursor to record SQL, which costs time. TESTING turns
    # Secure cookies off; the default ALLOWED_HOSTS has "testserver".
    os.environ["RAPPORT_DEBUG"] = "0"
    os.environ["RAPPORT_TESTING"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()


def migrate_if_needed() -> None:
    """Apply migrations added since the book was generated, as a deployment would."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan)
        print(f"Applying migrations newer than the book: {names}", flush=True)
        call_command("migrate", interactive=False, verbosity=0)


# ---------------------------------------------------------------------------- targets


@dataclass
class Target:
    url: str
    label: str  # breakdown within the endpoint (search kind, heavy/random person...)
    expect: str = ""  # text the response must contain (pages) or the id (API)
    query: str = ""
    call: Any = None  # timed instead of a request (the in-process agenda)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200  # the status the response must have


@dataclass
class Sample:
    ms: float
    queries: int
    label: str
    cpu_ms: float = math.nan  # CPU time of this process (SQLite runs in it too)


@dataclass
class EndpointResult:
    samples: list[Sample] = field(default_factory=list)
    captured: list[int] = field(default_factory=list)
    slowest: list[dict[str, Any]] = field(default_factory=list)


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarise(samples: list[Sample]) -> dict[str, Any]:
    ms = [s.ms for s in samples]
    qs = [s.queries for s in samples]
    cpu = [s.cpu_ms for s in samples]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
        "mean": round(statistics.fmean(ms), 2),
        "queries": {"min": min(qs), "max": max(qs), "mean": round(statistics.fmean(qs), 2)},
        # CPU time of the process over the same requests: on a shared machine the wall
        # clock also counts the time other work held the core; this does not.
        "cpu_p50": round(percentile(cpu, 50), 2),
        "cpu_p95": round(percentile(cpu, 95), 2),
    }


class SearchPool:
    """Realistic search strings drawn from the book, by kind, each known to find someone."""

    def __init__(self, alice: Any, rng: random.Random) -> None:
        from rapport.people.models import Channel, Organisation, Role, Tag
        from rapport.people.queries import visible_people

        visible = visible_people(alice)
        people = list(
            visible.values_list("pk", "name_order", "given_name", "family_name", "romanised_name")
        )
        rng.shuffle(people)
        han = [p for p in people if p[1] == "family_first" and p[4]][:2000]
        latin = [p for p in people if p[1] == "given_first" and p[3]][:2000]
        sample_ids = [p[0] for p in people[:4000]]
        emails = list(
            Channel.objects.filter(person_id__in=sample_ids, kind="email").values_list(
                "value", flat=True
            )
        )
        phones = list(
            Channel.objects.filter(person_id__in=sample_ids, kind="phone").values_list(
                "value", flat=True
            )
        )
        org_ids = list(
            Role.objects.filter(person__in=visible, ended_on__isnull=True)
            .values_list("organisation_id", flat=True)
            .distinct()[:5000]
        )
        orgs = list(Organisation.objects.filter(pk__in=org_ids).values_list("name", flat=True))
        tags = list(
            Tag.objects.filter(team_id=alice.member.team_id, people__isnull=False)
            .values_list("name", flat=True)
            .distinct()
        )
        self.rng = rng
        self.sources: dict[str, Any] = {
            # 王小明: family + given in Han characters
            "han_name": lambda: (lambda p: p[3] + p[2])(rng.choice(han)),
            # "Wang Xiaoming" or "wangxiaoming"
            "pinyin": lambda: (lambda r: r if rng.random() < 0.5 else r.replace(" ", "").lower())(
                rng.choice(han)[4]
            ),
            # the start of a family name ("Thomp"), or given name + start of family name
            "latin_partial": lambda: self._latin_partial(rng.choice(latin)),
            # part of an address: the local part, or its name part
            "email_part": lambda: self._email_part(rng.choice(emails)),
            # the last 4 to 8 digits of a phone number
            "phone_digits": lambda: (lambda d: d[-rng.randint(4, 8) :])(
                "".join(c for c in rng.choice(phones) if c.isdigit())
            ),
            "organisation": lambda: rng.choice(orgs),
            "tag": lambda: rng.choice(tags),
        }
        empty = [
            k
            for k, pool in (
                ("han_name", han),
                ("pinyin", han),
                ("latin_partial", latin),
                ("email_part", emails),
                ("phone_digits", phones),
                ("organisation", orgs),
                ("tag", tags),
            )
            if not pool
        ]
        if empty:
            raise SystemExit(f"error: the book has nothing to draw {empty} searches from")

    def _latin_partial(self, p: tuple[Any, ...]) -> str:
        family = p[3]
        cut = family[: max(3, min(len(family), self.rng.randint(3, 6)))]
        return cut if self.rng.random() < 0.5 else f"{p[2]} {cut}"

    def _email_part(self, address: str) -> str:
        local = address.split("@")[0]
        if self.rng.random() < 0.5:
            return local
        return local.rstrip("0123456789")

    def draw(self, kind: str) -> str:
        return self.sources[kind]()


def build_targets(alice: Any, n: int, rng: random.Random) -> dict[str, list[Target]]:
    from django.db.models import Count
    from django.utils.html import escape

    from rapport.interactions.models import Participation
    from rapport.people.queries import people_search, visible_people

    visible = visible_people(alice)
    total = visible.count()
    pages = max(1, math.ceil(total / 50))
    ids = list(visible.values_list("pk", flat=True))
    names = dict(visible.values_list("pk", "display_name"))
    # Heavy people: those with the most interactions (the members' own records, which
    # join nearly every interaction, and the clients seen most often).
    heavy = [
        row["person_id"]
        for row in Participation.objects.filter(person__in=visible)
        .values("person_id")
        .annotate(c=Count("id"))
        .order_by("-c")[:25]
    ]

    targets: dict[str, list[Target]] = {"list": [Target("/people/", "first page")]}
    targets["list_page"] = [
        Target(f"/people/?page={rng.randint(2, max(2, pages))}", "random page") for _ in range(n)
    ]

    pool = SearchPool(alice, rng)
    searches: list[tuple[str, str]] = []
    while len(searches) < n:
        for kind in SEARCH_KINDS:
            q = pool.draw(kind)
            # Drawn from the data, so it must find someone; check once, untimed.
            if not people_search(alice, query=q).count():
                raise SystemExit(f"error: search {q!r} ({kind}) finds nobody; pool is wrong")
            searches.append((kind, q))
    searches = searches[:n]
    rng.shuffle(searches)
    targets["search"] = [
        Target("/people/?" + urlencode({"q": q}), kind, query=q) for kind, q in searches
    ]
    targets["api_search"] = [
        Target("/api/v1/people?" + urlencode({"q": q}), kind, query=q) for kind, q in searches
    ]

    chosen: list[tuple[int, str]] = []
    for i in range(n):
        if i % 5 == 0 and heavy:  # one request in five asks for a heavy person
            chosen.append((heavy[(i // 5) % len(heavy)], "heavy"))
        else:
            chosen.append((rng.choice(ids), "random"))
    rng.shuffle(chosen)
    targets["person"] = [
        Target(f"/people/{pk}/", label, expect=escape(names[pk])) for pk, label in chosen
    ]
    targets["api_person"] = [
        Target(f"/api/v1/people/{pk}", label, expect=str(pk)) for pk, label in chosen
    ]
    return targets


@dataclass
class Secrets:
    """Share links and a calendar feed made for the run, revoked at its end."""

    links: list[tuple[Any, str, str, str]] = field(default_factory=list)  # link, token, label, name
    feed: Any = None
    feed_token: str = ""
    feed_etag: str = ""  # the ETag of the feed's first answer, if the app sends one
    feed_first_ms: float = math.nan  # that first answer: built, not from a cache
    feed_bytes: int = 0

    def revoke(self, alice: Any) -> None:
        from rapport.portal.services import calendar_feed_revoke, share_link_revoke

        for link, *_ in self.links:
            share_link_revoke(actor=alice, link=link)
        if self.feed is not None:
            calendar_feed_revoke(actor=alice, feed=self.feed)


def make_secrets(alice: Any, rng: random.Random, links: int) -> Secrets:
    """Tracking links for random clients with promises from our side (people alice can see,
    and organisations, half each) and a calendar feed for alice."""
    from rapport.commitments.queries import visible_commitments
    from rapport.people.models import Organisation
    from rapport.people.queries import visible_people
    from rapport.portal.services import calendar_feed_create, share_link_create

    secrets = Secrets()
    ours = visible_commitments(alice).filter(side="ours")
    people_ids = sorted(
        set(ours.filter(person__in=visible_people(alice)).values_list("person_id", flat=True))
    )
    org_ids = sorted(
        set(ours.filter(organisation__isnull=False).values_list("organisation_id", flat=True))
    )
    people = visible_people(alice).in_bulk(rng.sample(people_ids, min(len(people_ids), links // 2)))
    orgs = Organisation.objects.in_bulk(rng.sample(org_ids, min(len(org_ids), links - len(people))))
    try:
        for person in people.values():
            link, token = share_link_create(actor=alice, person=person, language="en")
            secrets.links.append((link, token, "person", person.display_name))
        for org in orgs.values():
            link, token = share_link_create(actor=alice, organisation=org, language="en")
            secrets.links.append((link, token, "organisation", org.name))
        secrets.feed, secrets.feed_token = calendar_feed_create(actor=alice)
        # The first request for a new feed builds it; later ones may come from the app's
        # cache of built feeds, so this one is timed on its own.
        from django.test import Client
        from django.urls import reverse

        start = time.perf_counter()
        first = Client().get(reverse("calendar_feed", args=[secrets.feed_token]))
        secrets.feed_first_ms = (time.perf_counter() - start) * 1000
        if first.status_code != 200:
            raise SystemExit(f"error: a new calendar feed gave status {first.status_code}")
        secrets.feed_etag = first.get("ETag", "")
        secrets.feed_bytes = len(first.content)
        print(
            f"Calendar feed, first request (built): {secrets.feed_first_ms:,.0f} ms, "
            f"{secrets.feed_bytes:,} bytes, ETag {'yes' if secrets.feed_etag else 'none'}",
            flush=True,
        )
    except BaseException:
        secrets.revoke(alice)
        raise
    return secrets


def build_commitment_targets(
    alice: Any, n: int, rng: random.Random, secrets: Secrets, api_agenda: bool
) -> dict[str, list[Target]]:
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.html import escape

    from rapport.commitments.queries import commitments_search, visible_commitments
    from rapport.core.agenda import agenda_for

    targets: dict[str, list[Target]] = {
        "agenda": [
            Target("agenda_for(alice)", "alice", expect="alice", call=lambda: agenda_for(alice))
        ],
        "dashboard": [Target("/", "alice")],
    }
    if api_agenda:
        targets["api_agenda"] = [Target("/api/v1/agenda", "alice")]
    first = commitments_search(alice, overdue_at=timezone.now()).first()
    targets["commitments"] = [
        Target(
            "/commitments/?show=overdue&scope=team",
            "first page",
            expect=escape(first.title) if first else "",
        )
    ]
    visible = list(visible_commitments(alice).values_list("pk", "title"))
    targets["commitment"] = [
        Target(f"/commitments/{pk}/", "random", expect=escape(title))
        for pk, title in (rng.choice(visible) for _ in range(n))
    ]
    targets["tracking"] = [
        Target(reverse("tracking_page", args=[token]), label, expect=escape(name))
        for _link, token, label, name in secrets.links
    ]
    rng.shuffle(targets["tracking"])
    feed_url = reverse("calendar_feed", args=[secrets.feed_token])
    targets["feed"] = [Target(feed_url, "alice")]
    if secrets.feed_etag:
        targets["feed_304"] = [
            Target(feed_url, "alice", headers={"If-None-Match": secrets.feed_etag}, status=304)
        ]
    return targets


def _heavy_organisations(alice: Any, limit: int) -> list[int]:
    """The organisations with the most current roles of people alice may see."""
    from django.db.models import Count

    from rapport.people.models import Role
    from rapport.people.queries import visible_people

    return [
        row["organisation_id"]
        for row in Role.objects.filter(person__in=visible_people(alice), ended_on__isnull=True)
        .values("organisation_id")
        .annotate(c=Count("id"))
        .order_by("-c")[:limit]
    ]


def trust_sample(
    alice: Any, n: int, rng: random.Random
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """People and organisations to time the trust engine on: random ones, and one in five
    from those with the most history (people with the most interactions, organisations
    with the most people)."""
    from django.db.models import Count

    from rapport.accounts.models import Member
    from rapport.interactions.models import Participation
    from rapport.people.models import Organisation, Role
    from rapport.people.queries import visible_people

    visible = visible_people(alice).exclude(
        pk__in=Member.objects.filter(person__isnull=False).values("person_id")
    )
    ids = list(visible.values_list("pk", flat=True))
    heavy = [
        row["person_id"]
        for row in Participation.objects.filter(person__in=visible)
        .values("person_id")
        .annotate(c=Count("id"))
        .order_by("-c")[:25]
    ]
    org_ids = sorted(
        set(
            Role.objects.filter(person__in=visible, ended_on__isnull=True).values_list(
                "organisation_id", flat=True
            )
        )
    )
    org_ids = list(Organisation.objects.filter(pk__in=org_ids).values_list("pk", flat=True))
    heavy_orgs = _heavy_organisations(alice, 25)
    people: list[tuple[int, str]] = []
    orgs: list[tuple[int, str]] = []
    for i in range(n):
        if i % 5 == 0 and heavy:
            people.append((heavy[(i // 5) % len(heavy)], "heavy"))
            orgs.append((heavy_orgs[(i // 5) % len(heavy_orgs)], "heavy"))
        else:
            people.append((rng.choice(ids), "random"))
            orgs.append((rng.choice(org_ids), "random"))
    rng.shuffle(people)
    rng.shuffle(orgs)
    return people, orgs


def build_trust_targets(alice: Any, n: int, rng: random.Random) -> dict[str, list[Target]]:
    from django.urls import reverse

    people, orgs = trust_sample(alice, n, rng)
    hx = {"HX-Request": "true"}
    return {
        "trust_card": [
            Target(reverse("person_trust", args=[pk]), label, headers=hx) for pk, label in people
        ],
        "trust_org_card": [
            Target(reverse("organisation_trust", args=[pk]), label, headers=hx)
            for pk, label in orgs
        ],
    }


def build_deal_targets(alice: Any, n: int, rng: random.Random) -> dict[str, list[Target]]:
    """Each pipeline's board in turn; the report over the default twelve months, over the
    calendar year before, and for one pipeline, as the page and as the API."""
    from django.urls import reverse
    from django.utils import timezone

    from rapport.deals.queries import pipelines

    chosen = list(pipelines(alice))
    today = timezone.localdate()
    year = today.year - 1
    periods = [
        ("12 months", {}),
        (f"{year}", {"from": f"{year}-01-01", "to": f"{year}-12-31"}),
        *[(f"12 months, {p.name}", {"pipeline": str(p.pk)}) for p in chosen[:2]],
    ]
    boards = [Target(reverse("pipeline_board", args=[p.pk]), p.name, expect=p.name) for p in chosen]
    pages, apis = [], []
    for label, query in periods:
        pages.append(Target(f"/deals/report/?{urlencode(query)}", label, expect="won"))
        api_query = dict(query)
        if "pipeline" in api_query:
            api_query["pipeline_id"] = api_query.pop("pipeline")
        apis.append(Target(f"/api/v1/deals/report?{urlencode(api_query)}", label, expect="overall"))
    return {
        "deal_board": [boards[i % len(boards)] for i in range(n)],
        "winloss": [pages[i % len(pages)] for i in range(n)],
        "api_winloss": [apis[i % len(apis)] for i in range(n)],
    }


def build_register_targets(alice: Any, n: int, rng: random.Random) -> dict[str, list[Target]]:
    """The gift register with its filters, and the value cards of the twelve
    organisations with the most people at work in them."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from rapport.people.models import Organisation

    today = timezone.localdate()
    registers = [
        Target("/gifts/", "all", expect="gift"),
        Target("/gifts/?direction=given", "given", expect="gift"),
        Target("/gifts/?over=1", "over the limit", expect="gift"),
        Target(f"/gifts/?year={today.year}", "this year", expect="gift"),
    ]
    largest = list(
        Organisation.objects.filter(team_id=alice.member.team_id)
        .annotate(n=Count("roles"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)[:12]
    )
    cards = [
        Target(
            reverse("organisation_value", args=[pk]),
            "largest",
            expect="value",
            headers={"HX-Request": "true"},
        )
        for pk in largest
    ]
    return {
        "gift_register": [registers[i % len(registers)] for i in range(n)],
        "value_org_card": [cards[i % len(cards)] for i in range(n)] if cards else [],
    }


class Stopwatch:
    """Adds up the time spent in some functions while installed (the parts of the full
    recompute), then puts the originals back."""

    def __init__(self, parts: list[tuple[Any, str]]) -> None:
        self.parts = parts
        self.seconds: dict[str, float] = {name: 0.0 for _m, name in parts}
        self.saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> Stopwatch:
        for module, name in self.parts:
            original = getattr(module, name)
            self.saved.append((module, name, original))

            def timed(*args: Any, _f: Any = original, _n: str = name, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return _f(*args, **kwargs)
                finally:
                    self.seconds[_n] += time.perf_counter() - start

            setattr(module, name, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        for module, name, original in reversed(self.saved):
            setattr(module, name, original)


def time_recompute(team_id: int) -> dict[str, Any]:
    """One full recompute of the team, wall and CPU seconds, with the time spent reading
    the evidence (set-based SQL), pooling organisations, scoring and storing."""
    from django.db import connection

    from rapport.trust import evidence, scoring

    counter = QueryCounter()
    parts = [
        (evidence, "team_sums"),
        (evidence, "organisation_sums"),
        (scoring, "_rows_from_sums"),
        (scoring, "_store"),
    ]
    with Stopwatch(parts) as watch, connection.execute_wrapper(counter):
        cpu = time.process_time()
        start = time.perf_counter()
        people, organisations = scoring.trust_recompute_team(team_id)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "people": people,
        "organisations": organisations,
        "queries": counter.n,
        "parts_seconds": {name: round(v, 2) for name, v in watch.seconds.items()},
    }


def measure_refresh(
    alice: Any, n: int, warmup: int, rng: random.Random
) -> tuple[dict[str, EndpointResult], list[float]]:
    """For each sampled person: log one new interaction with them (a bulk insert, which
    queues nothing), then time the person's refresh as the task after the write runs it
    (`refresh_person`: the person alone; their organisations follow in a task of their
    own), one of their organisations' refresh (`refresh_org`, that follow-up task), and
    for comparison both in one go (`refresh_person_and_orgs`, what the task did before).
    Each in a transaction that is rolled back, so the book is left as it was. Also
    returns, per combined refresh, the ms of it spent on their organisations."""
    from django.db import connection, transaction
    from django.utils import timezone

    from rapport.interactions.models import Interaction, Participation
    from rapport.people.models import Role
    from rapport.trust import scoring

    people, _orgs = trust_sample(alice, n + warmup, rng)
    roles: dict[int, list[int]] = {}
    for person_id, org_id in Role.objects.filter(
        person_id__in=[p for p, _ in people], ended_on__isnull=True
    ).values_list("person_id", "organisation_id"):
        roles.setdefault(person_id, []).append(org_id)
    me = alice.member.person_id
    results = {
        "refresh_person": EndpointResult(),
        "refresh_org": EndpointResult(),
        "refresh_person_and_orgs": EndpointResult(),
    }
    organisations_ms: list[float] = []
    parts = [(scoring, "organisation_views")]
    for i, (person_id, label) in enumerate(people):
        with transaction.atomic():
            now = timezone.now()
            [talk] = Interaction.objects.bulk_create(
                [
                    Interaction(
                        team_id=alice.member.team_id,
                        owner=alice,
                        kind="call",
                        occurred_at=now,
                        focus="client",
                        summary="Benchmark call",
                    )
                ]
            )
            Participation.objects.bulk_create(
                Participation.of(talk, pid) for pid in {person_id, me} if pid
            )
            orgs = len(roles.get(person_id, []))
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                cpu = time.process_time()
                start = time.perf_counter()
                scoring.trust_refresh(person_ids=[person_id], now=now, their_organisations=False)
                ms = (time.perf_counter() - start) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
            if i >= warmup:
                results["refresh_person"].samples.append(Sample(ms, counter.n, label, cpu_ms))
            counter = QueryCounter()
            with Stopwatch(parts) as watch, connection.execute_wrapper(counter):
                cpu = time.process_time()
                start = time.perf_counter()
                scoring.trust_refresh(person_ids=[person_id], now=now)
                ms = (time.perf_counter() - start) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
            org_ms = watch.seconds["organisation_views"] * 1000
            if i >= warmup:
                results["refresh_person_and_orgs"].samples.append(
                    Sample(ms, counter.n, f"{label}, {orgs} organisation(s)", cpu_ms)
                )
                organisations_ms.append(org_ms)
            if roles.get(person_id):
                counter = QueryCounter()
                with connection.execute_wrapper(counter):
                    cpu = time.process_time()
                    start = time.perf_counter()
                    scoring.trust_refresh(organisation_ids=[roles[person_id][0]], now=now)
                    ms = (time.perf_counter() - start) * 1000
                    cpu_ms = (time.process_time() - cpu) * 1000
                if i >= warmup:
                    results["refresh_org"].samples.append(Sample(ms, counter.n, label, cpu_ms))
            transaction.set_rollback(True)
    return results, organisations_ms


def promises_shown(link: Any) -> int:
    """How many promises a tracking page lists (untimed)."""
    from django.utils import timezone

    from rapport.portal.tracking import tracking_view

    return len(tracking_view(link, now=timezone.now()).promises)


def agenda_counts(alice: Any) -> dict[str, int]:
    """What alice's agenda holds, section by section (untimed)."""
    from rapport.core.agenda import agenda_for

    return {s.name: s.count for s in agenda_for(alice).sections}


def time_cli(data_dir: Path, times: int) -> dict[str, Any]:
    """Wall-clock of `rapport agenda --user alice --json` as a separate process: Python
    start-up, imports and django.setup() included, unlike the in-process `agenda` figure.
    `rapport --help` (start-up and the CLI's own imports, no Django) is timed alongside."""
    exe = Path(sys.executable).with_name("rapport")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "rapport.cli"]
    env = {k: v for k, v in os.environ.items() if k != "RAPPORT_TESTING"}
    if not env.get("DATABASE_URL"):
        env["RAPPORT_DATA_DIR"] = str(data_dir.expanduser().resolve())

    def wall(args: list[str]) -> float:
        start = time.perf_counter()
        done = subprocess.run(base + args, env=env, capture_output=True, text=True)
        elapsed = (time.perf_counter() - start) * 1000
        if done.returncode != 0:
            raise SystemExit(f"error: rapport {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        if "--json" in args and not json.loads(done.stdout).get("sections"):
            raise SystemExit(f"error: rapport {' '.join(args)} printed no agenda")
        return elapsed

    agenda = [wall(["agenda", "--user", "alice", "--json"]) for _ in range(times)]
    start_up = [wall(["--help"]) for _ in range(times)]
    print(
        "`rapport agenda --user alice --json`, wall-clock of the process: "
        + ", ".join(f"{ms:,.0f}" for ms in agenda)
        + " ms (`rapport --help`: "
        + ", ".join(f"{ms:,.0f}" for ms in start_up)
        + " ms)",
        flush=True,
    )
    return {
        "command": "rapport agenda --user alice --json",
        "wall_ms": [round(ms, 1) for ms in agenda],
        "median_ms": round(statistics.median(agenda), 1),
        "help_wall_ms": [round(ms, 1) for ms in start_up],
        "help_median_ms": round(statistics.median(start_up), 1),
    }


def has_route(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


# ---------------------------------------------------------------------------- requests


class QueryCounter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def fetch(client: Any, target: Target) -> Any:
    """The response to a target's request, or what its call returns."""
    if target.call is not None:
        return target.call()
    return client.get(target.url, headers=target.headers)


def check(name: str, target: Target, response: Any) -> None:
    """Stop the benchmark on anything but a 200 with the expected content."""
    if target.call is not None:
        check_agenda(name, target, response)
        return
    body = response.content
    problem = None
    if response.status_code != target.status:
        problem = f"status {response.status_code}"
    elif target.status == 304:
        if response.get("ETag") != target.headers.get("If-None-Match"):
            problem = f"ETag {response.get('ETag')!r}"
    elif len(body) < 200:
        problem = f"only {len(body)} bytes"
    elif name.startswith("api"):
        data = json.loads(body)
        if name == "api_person" and str(data.get("id")) != target.expect:
            problem = f"id {data.get('id')!r}"
        if name == "api_search" and not data.get("count"):
            problem = "no results"
        if name == "api_agenda" and (
            set(data.get("sections", {})) != set(AGENDA_SECTIONS) or not data.get("total")
        ):
            problem = f"not an agenda with items: {sorted(data)}"
    elif name == "feed":
        if not response["Content-Type"].startswith("text/calendar"):
            problem = f"content type {response['Content-Type']}"
        elif not body.startswith(b"BEGIN:VCALENDAR") or b"BEGIN:VEVENT" not in body:
            problem = "not a calendar with events"
    elif name == "value_org_card":
        if "What we did for them" not in body.decode():
            problem = "not a value card"
    elif name in TRUST_ENDPOINTS:
        text = body.decode()
        if 'data-testid="trust-card"' not in text or 'data-testid="trust-t"' not in text:
            problem = "not a trust card"
    else:
        text = body.decode()
        if "<html" not in text:
            problem = "not an HTML page"
        elif target.expect and target.expect not in text:
            problem = f"{target.expect!r} missing from the page"
    if problem:
        raise SystemExit(
            f"error: {name} {target.url} gave {problem}; not timing error pages.\n{body[:500]!r}"
        )


AGENDA_SECTIONS = ("commitments", "risks", "unreported", "decisions", "birthdays", "going_cold")


def check_agenda(name: str, target: Target, agenda: Any) -> None:
    """The in-process agenda: all its sections, something in them, and it serialises."""
    data = agenda.as_json()
    if set(data["sections"]) != set(AGENDA_SECTIONS) or not data["total"]:
        raise SystemExit(f"error: {name} gave {data!r:.500}; not timing an empty agenda")
    if target.expect and data["user"] != target.expect:
        raise SystemExit(f"error: {name} gave the agenda of {data['user']!r}")


def measure(
    name: str,
    client: Any,
    targets: list[Target],
    n: int,
    warmup: int,
    budget: float = math.inf,
    at_least: int = 10,
) -> EndpointResult:
    """Time n requests after `warmup` untimed ones. An endpoint far over its target would
    take hours at n=200, so the timed requests stop once they have used `budget` seconds
    (but not before `at_least` of them), and the warm-up once it has used a quarter of
    that (after one); the figures then say how many requests they are from."""
    from django.db import connection

    result = EndpointResult()
    started = time.perf_counter()
    for i in range(warmup):
        if i and time.perf_counter() - started > budget / 4:
            break
        t = targets[i % len(targets)]
        check(name, t, fetch(client, t))
    started = time.perf_counter()
    for i in range(n):
        if i >= at_least and time.perf_counter() - started > budget:
            break
        t = targets[i % len(targets)]
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            cpu_start = time.process_time()
            start = time.perf_counter()
            response = fetch(client, t)
            elapsed = (time.perf_counter() - start) * 1000
            cpu_ms = (time.process_time() - cpu_start) * 1000
        check(name, t, response)
        result.samples.append(Sample(elapsed, counter.n, t.label, cpu_ms))
    return result


def explain(sql: str) -> list[str]:
    from django.db import connection

    if connection.vendor != "sqlite":
        return []
    try:
        rows = connection.connection.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
    except sqlite3.Error as exc:
        return [f"(could not explain: {exc})"]
    return [row[-1] for row in rows]


SHAPE_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
SHAPE_LISTS = re.compile(r"\((?:\?, )+\?\)")


def shape(sql: str) -> str:
    """The statement with its literals and IN lists folded, to group repeats."""
    return SHAPE_LISTS.sub("(…)", SHAPE_LITERALS.sub("?", sql))


def time_statement(sql: str) -> float:
    """ms to run a captured statement to its last row. CaptureQueriesContext only times
    execute(), which on SQLite returns at the first row; the rest of the work happens
    while the rows are fetched, so its figures understate slow scans."""
    from django.db import connection

    raw = connection.connection
    start = time.perf_counter()
    try:
        raw.execute(sql).fetchall()
    except sqlite3.Error:
        return math.nan
    return (time.perf_counter() - start) * 1000


def capture(
    name: str, client: Any, targets: list[Target], result: EndpointResult, sample: int
) -> None:
    """Untimed: count queries with CaptureQueriesContext, then re-run each captured
    statement to completion to find the slowest, and keep their query plans."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen: dict[str, dict[str, Any]] = {}
    step = max(1, len(targets) // sample)
    for t in targets[::step][:sample]:
        with CaptureQueriesContext(connection) as ctx:
            check(name, t, fetch(client, t))
        result.captured.append(len(ctx.captured_queries))
        if connection.vendor != "sqlite":
            continue
        for q in ctx.captured_queries:
            if not q["sql"].lstrip().upper().startswith("SELECT"):
                continue
            ms = time_statement(q["sql"])
            key = shape(q["sql"])
            entry = seen.setdefault(
                key, {"ms": 0.0, "runs": [], "label": t.label, "url": t.url, "sql": q["sql"]}
            )
            entry["runs"].append(ms)
            if ms > entry["ms"]:
                entry.update(ms=ms, label=t.label, url=t.url, sql=q["sql"])
    slowest = sorted(seen.values(), key=lambda s: -s["ms"])[:4]
    for s in slowest:
        runs = s.pop("runs")
        s["ms"] = round(s["ms"], 2)
        s["median_ms"] = round(statistics.median(runs), 2)
        s["times_seen"] = len(runs)
        s["plan"] = explain(s["sql"])
        if len(s["sql"]) > 3000:
            s["sql"] = s["sql"][:3000] + " …"
    result.slowest = slowest


# ---------------------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    import django

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram,
        "os": os_name,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "django": django.get_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def git_info() -> dict[str, Any]:
    """The commit of the app code actually imported. Usually this checkout; with
    PYTHONPATH pointing at an extracted tree (`git archive C | tar -x`), its COMMIT file."""
    import rapport

    app_dir = Path(rapport.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=app_dir, capture_output=True, text=True, check=True
            ).stdout.rstrip("\n")
        except (OSError, subprocess.CalledProcessError):
            return ""

    if (app_dir / ".git").exists():
        dirty = [
            line[3:]
            for line in git("status", "--porcelain").splitlines()
            if not line[3:].startswith("bench/")
        ]
        return {
            "app_dir": str(app_dir),
            "commit": git("rev-parse", "HEAD").strip(),
            "uncommitted_app_files": dirty,
        }
    marker = app_dir / "COMMIT"
    commit = marker.read_text().strip() if marker.exists() else "unknown"
    return {"app_dir": str(app_dir), "commit": commit, "uncommitted_app_files": []}


# ---------------------------------------------------------------------------- report


def fmt(v: float) -> str:
    return f"{v:,.1f}"


def print_tables(
    endpoints: list[tuple[str, str, str]],
    summary: dict[str, Any],
    breakdown: dict[str, Any],
    runs: int,
    slowest: dict[str, Any],
    show_plans: bool,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 130)
    title = "Server-side latency, ms" + (f" (median of {runs} runs)" if runs > 1 else "")
    table = Table(title=title)
    for col in (
        "endpoint",
        "n",
        "p50",
        "p95",
        "p99",
        "max",
        "queries/req",
        "p95 target (M)",
        "CPU p50/p95",
    ):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    for key, route, _ in endpoints:
        s = summary[key]
        q = s["queries"]
        queries = str(q["min"]) if q["min"] == q["max"] else f"{q['min']}–{q['max']}"
        target = TARGETS.get(key)
        verdict = ""
        if target is not None:
            ok = s["p95"] <= target
            verdict = f"[{'green' if ok else 'red'}]≤{target:g} {'met' if ok else 'MISSED'}[/]"
        table.add_row(
            route,
            str(s["n"]),
            fmt(s["p50"]),
            fmt(s["p95"]),
            fmt(s["p99"]),
            fmt(s["max"]),
            queries,
            verdict,
            f"{fmt(s['cpu_p50'])} / {fmt(s['cpu_p95'])}",
        )
    console.print(table)

    detail = Table(title="Breakdown by kind of request, ms")
    for col in ("endpoint", "kind", "n", "p50", "p95", "max", "queries/req"):
        detail.add_column(col, justify="left" if col in ("endpoint", "kind") else "right")
    for key in BREAKDOWN:
        for label, s in breakdown.get(key, {}).items():
            detail.add_row(
                key,
                label,
                str(s["n"]),
                fmt(s["p50"]),
                fmt(s["p95"]),
                fmt(s["max"]),
                f"{s['queries']['mean']:g}",
            )
    console.print(detail)

    slow = Table(title="Slowest statements per endpoint (captured, re-run to the last row)")
    for col in ("endpoint", "max ms", "median ms", "statement"):
        slow.add_column(col)
    for key, _, _ in endpoints:
        for s in slowest.get(key, [])[: 3 if show_plans else 1]:
            text = " ".join(s["sql"].split())
            text = text[:400] + " …" if show_plans and len(text) > 400 else text[:110]
            if show_plans:
                text += "\n  plan: " + " | ".join(s["plan"])
            slow.add_row(key, fmt(s["ms"]), fmt(s["median_ms"]), text)
    console.print(slow)


def median_summary(per_run: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in per_run[0]:
        rows = [r[key] for r in per_run]
        merged = {
            f: round(statistics.median(r[f] for r in rows), 2)
            for f in ("p50", "p95", "p99", "max", "mean", "cpu_p50", "cpu_p95")
        }
        merged["n"] = round(statistics.median(r["n"] for r in rows))  # --budget varies it
        merged["queries"] = {
            "min": min(r["queries"]["min"] for r in rows),
            "max": max(r["queries"]["max"] for r in rows),
            "mean": round(statistics.fmean(r["queries"]["mean"] for r in rows), 2),
        }
        if len(rows) > 1:
            merged["per_run"] = {
                f: [r[f] for r in rows] for f in ("n", "p50", "p95", "p99", "max", "cpu_p95")
            }
        out[key] = merged
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="repeat the whole measurement; report medians across runs",
    )
    parser.add_argument(
        "--capture",
        type=int,
        default=20,
        help="requests per endpoint re-run under CaptureQueriesContext",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--json", type=Path, help="write the results here (default bench/out/results-<size>.json)"
    )
    parser.add_argument("--plans", action="store_true", help="print query plans")
    parser.add_argument(
        "--only",
        help="comma-separated endpoints and operations to time (default all): "
        + ", ".join(key for key, _, _ in ENDPOINTS + OPERATIONS),
    )
    parser.add_argument(
        "--refreshes",
        type=int,
        default=50,
        help="people whose trust is refreshed (timed) per run, after 3 untimed",
    )
    parser.add_argument(
        "--links", type=int, default=6, help="share links to make for the tracking pages"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=120,
        help="seconds of timed requests per endpoint and run, after which a slow endpoint "
        "stops early (never before --at-least requests); 0: no limit",
    )
    parser.add_argument("--at-least", type=int, default=10, help="see --budget")
    parser.add_argument(
        "--cli",
        type=int,
        default=3,
        help="times to run `rapport agenda --user alice --json` end to end (0: not at all)",
    )
    args = parser.parse_args(argv)
    known = {key for key, _, _ in ENDPOINTS + OPERATIONS}
    only = set(args.only.split(",")) if args.only else known
    if only - known:
        parser.error(f"unknown endpoints {sorted(only - known)}; known: {sorted(known)}")

    setup_django(args.data_dir)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from rapport.accounts.services import token_create, token_revoke

    assert not settings.DEBUG, "DEBUG would record every query and distort the timings"
    migrate_if_needed()
    alice = get_user_model().objects.filter(username="alice").select_related("member").first()
    if alice is None or not alice.member.team.people.exists():
        raise SystemExit(
            f"error: no book for alice in {connection.settings_dict['NAME']}; "
            "run bench/generate.py first"
        )
    meta_file = settings.DATA_DIR / "bench-generate.json"
    generation = json.loads(meta_file.read_text()) if meta_file.exists() else None

    from rapport.commitments.queries import visible_commitments

    skipped: dict[str, str] = {}
    if only & COMMITMENT_ENDPOINTS and not visible_commitments(alice).exists():
        for key in sorted(only & COMMITMENT_ENDPOINTS):
            skipped[key] = "the book has no promises: run bench/generate.py on it again"
    if "api_agenda" in only and not has_route("/api/v1/agenda"):
        skipped["api_agenda"] = "no route /api/v1/agenda in this version of the app"
    from rapport.trust.models import Evidence

    if only & (TRUST_ENDPOINTS | {"recompute", "refresh"}) and not Evidence.objects.exists():
        print(
            "note: the book has no trust evidence (evidence, claims, signals, surveys); "
            "run bench/generate.py on it again to add it"
        )
    endpoints = [e for e in ENDPOINTS if e[0] in only and e[0] not in skipped]
    operations = [o for o in OPERATIONS if o[0] in only]
    for key, reason in skipped.items():
        print(f"Skipping {key}: {reason}")

    page = Client()
    page.force_login(alice)
    token, secret = token_create(user=alice, name="bench/run.py")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    clients = {key: (api if key.startswith("api") else page) for key, _, _ in ENDPOINTS}
    # The tracking pages and the feed are opened without a login, as a client would.
    anonymous = Client()
    clients["tracking"] = clients["feed"] = clients["feed_304"] = anonymous
    keys = {key for key, _, _ in endpoints}
    secrets = Secrets()
    if keys & {"tracking", "feed", "feed_304"}:
        secrets = make_secrets(alice, random.Random(args.seed), args.links)
    if "feed_304" in keys and not secrets.feed_etag:
        skipped["feed_304"] = "the calendar feed sends no ETag in this version of the app"
        print(f"Skipping feed_304: {skipped['feed_304']}")
        endpoints = [e for e in endpoints if e[0] != "feed_304"]
        keys.discard("feed_304")

    app = git_info()
    print(
        f"App: {app['app_dir']} at {app['commit'][:10]}"
        + (
            f" plus uncommitted {app['uncommitted_app_files']}"
            if app["uncommitted_app_files"]
            else ""
        )
    )
    print(
        f"Database: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{args.requests} requests per endpoint, {args.warmup} warm-up, {args.runs} run(s)",
        flush=True,
    )
    recomputes: list[dict[str, Any]] = []
    organisations_ms: list[float] = []
    per_run: list[dict[str, Any]] = []
    breakdown_runs: list[dict[str, dict[str, Any]]] = []
    captured: dict[str, EndpointResult] = {}
    started = time.perf_counter()
    load_before = os.getloadavg()
    try:
        for run in range(args.runs):
            rng = random.Random(args.seed + run)
            targets = {}
            if keys & {"list", "list_page", "search", "person", "api_search", "api_person"}:
                targets.update(build_targets(alice, args.requests, rng))
            if keys & COMMITMENT_ENDPOINTS:
                targets.update(
                    build_commitment_targets(
                        alice, args.requests, rng, secrets, "api_agenda" in keys
                    )
                )
            if keys & TRUST_ENDPOINTS:
                targets.update(build_trust_targets(alice, args.requests, rng))
            if keys & DEAL_ENDPOINTS:
                targets.update(build_deal_targets(alice, args.requests, rng))
            if keys & REGISTER_ENDPOINTS:
                targets.update(build_register_targets(alice, args.requests, rng))
            summary, breakdown = {}, {}
            # The trust operations first: the recompute stores the scores the cards show.
            if any(key == "recompute" for key, _, _ in operations):
                recomputes.append(time_recompute(alice.member.team_id))
                r = recomputes[-1]
                print(
                    f"  run {run + 1}/{args.runs} full trust recompute: {r['seconds']:,.1f} s "
                    f"(CPU {r['cpu_seconds']:,.1f} s, {r['queries']} queries) for "
                    f"{r['people']:,} people and {r['organisations']:,} organisations; "
                    + ", ".join(f"{k} {v:,.1f} s" for k, v in r["parts_seconds"].items())
                    + f"  [{time.perf_counter() - started:6.0f}s]",
                    flush=True,
                )
            if any(key == "refresh" for key, _, _ in operations):
                refreshed, org_ms = measure_refresh(alice, args.refreshes, 3, rng)
                if run == args.runs - 1:
                    organisations_ms = org_ms
                for key, result in refreshed.items():
                    summary[key] = summarise(result.samples)
                    by_label_r: dict[str, list[Sample]] = defaultdict(list)
                    for s in result.samples:
                        by_label_r[s.label].append(s)
                    breakdown[key] = {
                        label: summarise(ss) for label, ss in sorted(by_label_r.items())
                    }
                    print(
                        f"  run {run + 1}/{args.runs} {key:<26} p50 {summary[key]['p50']:8.1f}"
                        f"  p95 {summary[key]['p95']:8.1f}  max {summary[key]['max']:8.1f} ms"
                        f"  [{time.perf_counter() - started:6.0f}s]",
                        flush=True,
                    )
            for key, route, _ in endpoints:
                result = measure(
                    key,
                    clients[key],
                    targets[key],
                    args.requests,
                    args.warmup,
                    args.budget or math.inf,
                    args.at_least,
                )
                summary[key] = summarise(result.samples)
                by_label: dict[str, list[Sample]] = defaultdict(list)
                for s in result.samples:
                    by_label[s.label].append(s)
                breakdown[key] = {label: summarise(ss) for label, ss in sorted(by_label.items())}
                if run == args.runs - 1:
                    capture(key, clients[key], targets[key], result, args.capture)
                    captured[key] = result
                print(
                    f"  run {run + 1}/{args.runs} {route:<26} p50 {summary[key]['p50']:8.1f}"
                    f"  p95 {summary[key]['p95']:8.1f}  max {summary[key]['max']:8.1f} ms"
                    f"  [{time.perf_counter() - started:6.0f}s]",
                    flush=True,
                )
            per_run.append(summary)
            breakdown_runs.append(breakdown)
    finally:
        token_revoke(actor=alice, token_id=token.pk)
        secrets.revoke(alice)

    summary = median_summary(per_run)
    breakdown = {key: median_summary([b[key] for b in breakdown_runs]) for key in breakdown_runs[0]}
    for key, result in captured.items():
        timed = {s.queries for s in result.samples}
        summary[key]["queries_captured"] = sorted(set(result.captured))
        if not set(result.captured) <= timed:
            print(
                f"  note: {key}: CaptureQueriesContext saw {sorted(set(result.captured))} "
                f"queries, the timed requests {sorted(timed)}"
            )
    slowest = {key: r.slowest for key, r in captured.items()}
    shown = endpoints + [r for r in REFRESH_ROWS if r[0] in summary]
    print_tables(shown, summary, breakdown, args.runs, slowest, args.plans)
    recompute = None
    if recomputes:
        median = statistics.median(r["seconds"] for r in recomputes)
        recompute = {
            "target_seconds": RECOMPUTE_TARGET_SECONDS,
            "median_seconds": round(median, 2),
            "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in recomputes), 2),
            "median_parts_seconds": {
                part: round(statistics.median(r["parts_seconds"][part] for r in recomputes), 2)
                for part in recomputes[0]["parts_seconds"]
            },
            "met": median <= RECOMPUTE_TARGET_SECONDS,
            "runs": recomputes,
        }
        print(
            f"Full trust recompute: median {median:,.1f} s over {len(recomputes)} run(s) "
            f"(target ≤ {RECOMPUTE_TARGET_SECONDS:g} s at M: "
            f"{'met' if recompute['met'] else 'MISSED'}); per run: "
            + ", ".join(f"{r['seconds']:,.1f}" for r in recomputes)
            + " s; median parts: "
            + ", ".join(f"{k} {v:,.1f} s" for k, v in recompute["median_parts_seconds"].items())
        )
    if organisations_ms:
        print(
            "Of a person's refresh, their organisations took a median "
            f"{statistics.median(organisations_ms):,.1f} ms (last run)"
        )
    cli = time_cli(args.data_dir, args.cli) if args.cli and "agenda" in keys else None

    targets_met = {
        key: {"p95": summary[key]["p95"], "target": t, "met": summary[key]["p95"] <= t}
        for key, t in TARGETS.items()
        if key in summary
    }
    out = {
        "machine": machine_info(),
        "git": app,
        "database": {
            "vendor": connection.vendor,
            "name": str(connection.settings_dict["NAME"]),
            "generation": generation,
        },
        # Load average (1, 5, 15 min) before and after: anything else busy on the machine
        # shows here and makes the figures worse.
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "settings": {
            "requests": args.requests,
            "warmup": args.warmup,
            "runs": args.runs,
            "seed": args.seed,
            "capture": args.capture,
            "budget_seconds": args.budget,
            "at_least": args.at_least,
        },
        "endpoints": {
            key: {"route": route, "what": what}
            for key, route, what in endpoints + REFRESH_ROWS
            if key in summary
        },
        "operations": {key: {"call": call, "what": what} for key, call, what in operations},
        "trust_recompute": recompute,
        "refresh_organisations_ms_median": round(statistics.median(organisations_ms), 2)
        if organisations_ms
        else None,
        "skipped": skipped,
        "share_links": [
            {"client": label, "promises_shown": promises_shown(link)}
            for link, _token, label, _name in secrets.links
        ],
        "agenda_counts": agenda_counts(alice) if "agenda" in keys else None,
        "feed_first_request": {
            "ms": round(secrets.feed_first_ms, 1),
            "bytes": secrets.feed_bytes,
            "etag": bool(secrets.feed_etag),
        }
        if secrets.feed is not None
        else None,
        "cli": cli,
        "summary": summary,
        "breakdown": breakdown,
        "targets": targets_met,
        "runs": per_run,
        "slowest_queries": slowest,
    }
    if args.json is None:
        size = (generation or {}).get("size", "unknown")
        args.json = BENCH_DIR / "out" / f"results-{size}.json"
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        print(f"Results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
