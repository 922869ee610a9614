"""Time the people pages server-side: `python bench/run.py --data-dir DIR`.

Requests go in-process through django.test.Client, signed in as alice (force_login) for
the pages and with a bearer token for the API, against a book made by bench/generate.py.
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
TARGETS = {"person": 50.0, "api_person": 50.0, "search": 100.0, "api_search": 100.0}

ENDPOINTS = [
    ("list", "GET /people/", "people list, first page"),
    ("list_page", "GET /people/?page=N", "people list, random page"),
    ("search", "GET /people/?q=…", "search page, mixed queries"),
    ("person", "GET /people/<id>/", "person page"),
    ("api_search", "GET /api/v1/people?q=…", "API search"),
    ("api_person", "GET /api/v1/people/<id>", "API person"),
]
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


@dataclass
class Sample:
    ms: float
    queries: int
    label: str


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
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
        "mean": round(statistics.fmean(ms), 2),
        "queries": {"min": min(qs), "max": max(qs), "mean": round(statistics.fmean(qs), 2)},
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


# ---------------------------------------------------------------------------- requests


class QueryCounter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def check(name: str, target: Target, response: Any) -> None:
    """Stop the benchmark on anything but a 200 with the expected content."""
    body = response.content
    problem = None
    if response.status_code != 200:
        problem = f"status {response.status_code}"
    elif len(body) < 200:
        problem = f"only {len(body)} bytes"
    elif name.startswith("api"):
        data = json.loads(body)
        if name == "api_person" and str(data.get("id")) != target.expect:
            problem = f"id {data.get('id')!r}"
        if name == "api_search" and not data.get("count"):
            problem = "no results"
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


def measure(name: str, client: Any, targets: list[Target], n: int, warmup: int) -> EndpointResult:
    from django.db import connection

    result = EndpointResult()
    for i in range(warmup):
        t = targets[i % len(targets)]
        check(name, t, client.get(t.url))
    for i in range(n):
        t = targets[i % len(targets)]
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            response = client.get(t.url)
            elapsed = (time.perf_counter() - start) * 1000
        check(name, t, response)
        result.samples.append(Sample(elapsed, counter.n, t.label))
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
            check(name, t, client.get(t.url))
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
    for col in ("endpoint", "n", "p50", "p95", "p99", "max", "queries/req", "p95 target (M)"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    for key, route, _ in ENDPOINTS:
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
        )
    console.print(table)

    detail = Table(title="Breakdown by kind of request, ms")
    for col in ("endpoint", "kind", "n", "p50", "p95", "max", "queries/req"):
        detail.add_column(col, justify="left" if col in ("endpoint", "kind") else "right")
    for key in ("search", "api_search", "person", "api_person"):
        for label, s in breakdown[key].items():
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
    for key, _, _ in ENDPOINTS:
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
            for f in ("p50", "p95", "p99", "max", "mean")
        }
        merged["n"] = rows[0]["n"]
        merged["queries"] = {
            "min": min(r["queries"]["min"] for r in rows),
            "max": max(r["queries"]["max"] for r in rows),
            "mean": round(statistics.fmean(r["queries"]["mean"] for r in rows), 2),
        }
        if len(rows) > 1:
            merged["per_run"] = {f: [r[f] for r in rows] for f in ("p50", "p95", "p99", "max")}
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
    args = parser.parse_args(argv)

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

    page = Client()
    page.force_login(alice)
    token, secret = token_create(user=alice, name="bench/run.py")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    clients = {key: (api if key.startswith("api") else page) for key, _, _ in ENDPOINTS}

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
    per_run: list[dict[str, Any]] = []
    breakdown_runs: list[dict[str, dict[str, Any]]] = []
    captured: dict[str, EndpointResult] = {}
    started = time.perf_counter()
    load_before = os.getloadavg()
    try:
        for run in range(args.runs):
            rng = random.Random(args.seed + run)
            targets = build_targets(alice, args.requests, rng)
            summary, breakdown = {}, {}
            for key, route, _ in ENDPOINTS:
                result = measure(key, clients[key], targets[key], args.requests, args.warmup)
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
    print_tables(summary, breakdown, args.runs, slowest, args.plans)

    targets_met = {
        key: {"p95": summary[key]["p95"], "target": t, "met": summary[key]["p95"] <= t}
        for key, t in TARGETS.items()
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
        },
        "endpoints": {key: {"route": route, "what": what} for key, route, what in ENDPOINTS},
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
