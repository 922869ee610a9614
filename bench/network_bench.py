"""Time the tie graph on a generated network, side by side with networkx.

    .venv/bin/python bench/network_bench.py --people 1000000 --ties 10000000 --queries 200

Generates a who-knows-whom graph (people in organisations and communities of
heavy-tailed sizes, a few very sociable people who become hubs with thousands of ties,
long ties across communities; strengths in (0, 1], family and close colleagues strong,
long ties weak), then measures, each in its own process so that its peak memory is its
own:

- ours (`rapport.network.graph.TieGraph`): index build from numpy arrays (what the
  database loader hands over), peak RSS of the process, `best_paths(k=3, max_hops=4)`
  on the same random queries (single people, hubs, a team of colleagues, the decision
  makers of an organisation), a small `update`, `circle` and `connectors`;
- networkx: build of an `nx.Graph` from the same arrays, its peak RSS, and the same
  queries by the same bounded search written over networkx's adjacency dicts in plain
  Python (every half-path of one or two ties from each end, joined on the middle
  person). Yen's k shortest simple paths (`nx.shortest_simple_paths`) is no contender:
  it ranks paths by cost whatever their length, and on the 100k/1M graph not one query
  finished in 10 s. A query that takes more than --nx-query-timeout seconds is cut
  there and counted at that time (so its figures are lower bounds).

If networkx cannot build the requested size within --nx-memory-gb or --nx-build-timeout,
both are run again at a tenth of the size (then a hundredth), and the ratio is quoted at
the largest size networkx managed. Results go to bench/out/network-<people>-<ties>.json.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))

# Targets at 1M people / 10M ties.
BUILD_TARGET_S = 60.0
MEMORY_TARGET_MB = 4096.0
PATH_P95_TARGET_MS = 100.0

K = 3
MAX_HOPS = 4


# ---------------------------------------------------------------------------- the graph


def generate(people: int, ties: int, seed: int) -> dict[str, np.ndarray]:
    """A who-knows-whom network as numpy arrays (person ids, tie ends, strengths).

    Each person has a sociability drawn from a heavy-tailed (Pareto) law, capped so the
    busiest have about 10k ties at 1M/10M; people sit in communities (organisations,
    families, schools) of lognormal size. 75% of ties join two people of one community,
    chosen by sociability; 25% are long ties between any two people, also chosen by
    sociability, which makes the hubs. Strengths: community ties Beta(2, 3), one in ten of
    them a close tie in 0.7..1; long ties Beta(1.2, 5); all in (0, 1].
    """
    rng = np.random.default_rng(seed)
    social = rng.pareto(1.6, people) + 1.0
    social = np.minimum(social / social.mean(), 2000.0)  # about 10k ties at mean degree 20
    # Communities: contiguous ranges of the people, sizes lognormal (median ~12, some 10k).
    sizes = np.maximum(rng.lognormal(2.5, 1.3, people // 4).astype(np.int64), 2)
    sizes = sizes[np.cumsum(sizes) <= people]
    sizes = np.append(sizes, people - sizes.sum()) if sizes.sum() < people else sizes
    starts = np.cumsum(sizes) - sizes
    community = np.repeat(np.arange(len(sizes)), sizes)
    p = social / social.sum()
    cdf = np.cumsum(p)
    cdf[-1] = 1.0

    def draw(count: int) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(count), "right"), people - 1)

    # Draw half as many again as asked, keep `ties` distinct pairs, then add 2% of them again
    # reversed with another strength: the loader must collapse those to the strongest.
    drawn = int(ties * 1.5) + 10
    local = int(drawn * 0.75)
    u_local = draw(local)
    c = community[u_local]
    v_local = starts[c] + (rng.random(local) * sizes[c]).astype(np.int64)
    u_long, v_long = draw(drawn - local), draw(drawn - local)
    src = np.concatenate([u_local, u_long])
    dst = np.concatenate([v_local, v_long])
    w = np.concatenate(
        [
            np.where(rng.random(local) < 0.1, rng.uniform(0.7, 1.0, local), rng.beta(2, 3, local)),
            rng.beta(1.2, 5, drawn - local),
        ]
    )
    keep = src != dst
    src, dst, w = src[keep], dst[keep], w[keep]
    pair = np.minimum(src, dst) * people + np.maximum(src, dst)
    _, first = np.unique(pair, return_index=True)
    del pair
    first = rng.permutation(first)[:ties]
    src, dst, w = src[first], dst[first], w[first]
    again = rng.choice(len(src), len(src) // 50, replace=False)
    src = np.concatenate([src, dst[again]])
    dst = np.concatenate([dst, src[again]])
    w = np.concatenate([w, rng.beta(2, 3, len(again))])
    w = np.clip(w, 0.01, 1.0)
    # Database ids: increasing, with gaps (deleted rows), not 0..n-1.
    ids = np.cumsum(rng.integers(1, 4, people)) + 1000
    return {
        "src": ids[src],
        "dst": ids[dst],
        "strength": w,
        "ids": ids,
        "community_starts": starts,
        "community_sizes": sizes,
    }


def make_queries(data: dict[str, np.ndarray], count: int, seed: int) -> list[dict[str, Any]]:
    """Random warm-path questions, in five kinds: one person to another, from a hub, to a
    hub, from a team of colleagues ("anyone on the team"), and to the decision makers of
    an organisation (three to five people of one community)."""
    rng = np.random.default_rng(seed + 1)
    ids = data["ids"]
    dense_src = np.searchsorted(ids, data["src"])
    dense_dst = np.searchsorted(ids, data["dst"])
    degree = np.bincount(dense_src, minlength=len(ids)) + np.bincount(dense_dst, minlength=len(ids))
    connected = np.flatnonzero(degree > 0)
    hubs = np.argsort(degree)[-200:]
    starts, sizes = data["community_starts"], data["community_sizes"]
    orgs = np.flatnonzero(sizes >= 5)
    team = rng.choice(connected, 25, replace=False)  # one team for the whole run

    def person() -> int:
        return int(ids[rng.choice(connected)])

    kinds = ["person", "from_hub", "to_hub", "team", "organisation"]
    queries = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        sources = [person()]
        targets = [person()]
        if kind == "from_hub":
            sources = [int(ids[rng.choice(hubs)])]
        elif kind == "to_hub":
            targets = [int(ids[rng.choice(hubs)])]
        elif kind == "team":
            sources = [int(x) for x in ids[team]]
        elif kind == "organisation":
            o = rng.choice(orgs)
            pick = starts[o] + rng.choice(sizes[o], int(rng.integers(3, 6)), replace=False)
            targets = [int(x) for x in ids[pick]]
        queries.append({"kind": kind, "sources": sources, "targets": targets})
    return queries


# ---------------------------------------------------------------------------- workers


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss
    across exec, so a worker would report the driver's size at the fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # KiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else math.nan


def summary(ms: list[float]) -> dict[str, Any]:
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2) if ms else math.nan,
        "mean": round(float(np.mean(ms)), 2) if ms else math.nan,
    }


def by_kind(queries: list[dict[str, Any]], ms: list[float]) -> dict[str, Any]:
    out: dict[str, list[float]] = {}
    for q, t in zip(queries, ms, strict=False):
        out.setdefault(q["kind"], []).append(t)
    return {kind: summary(values) for kind, values in out.items()}


def worker_ours(graph_file: Path, queries: list[dict[str, Any]]) -> dict[str, Any]:
    from rapport.network.graph import TieGraph

    data = np.load(graph_file)
    src, dst, w = data["src"], data["dst"], data["strength"]
    rss_arrays = peak_rss_mb()
    started = time.perf_counter()
    g = TieGraph.build(src, dst, w)
    build_s = time.perf_counter() - started
    rss_built = peak_rss_mb()
    del src, dst, w, data
    for q in queries[:5]:  # warm-up (page faults of the arrays)
        g.best_paths(q["sources"], q["targets"], k=K, max_hops=MAX_HOPS)
    ms, cpu, answers = [], [], []
    for q in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        paths = g.best_paths(q["sources"], q["targets"], k=K, max_hops=MAX_HOPS)
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        answers.append([round(p.score, 12) for p in paths])
    # A handful of changes, as after a write: set, add (with a new person), remove.
    some = [q["sources"][0] for q in queries[:3]] + [q["targets"][0] for q in queries[:3]]
    changes = [(some[0], some[3], 0.9), (some[1], 10**15, 0.5), (some[2], some[4], None)]
    t0 = time.perf_counter()
    g2 = g.update(changes)
    update_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    g2.best_paths(queries[0]["sources"], queries[0]["targets"], k=K)
    after_update_ms = (time.perf_counter() - t0) * 1000
    hubs = [q["sources"][0] for q in queries if q["kind"] == "from_hub"][:10]
    t0 = time.perf_counter()
    for h in hubs:
        g.circle(h)
    circle_ms = (time.perf_counter() - t0) * 1000 / max(len(hubs), 1)
    team = next((q["sources"] for q in queries if q["kind"] == "team"), [])
    clients = [q["targets"][0] for q in queries]
    t0 = time.perf_counter()
    g.connectors(team, clients)
    connectors_ms = (time.perf_counter() - t0) * 1000
    return {
        "nodes": g.node_count,
        "edges": g.edge_count,
        "build_s": round(build_s, 2),
        "rss_input_arrays_mb": round(rss_arrays, 1),
        "rss_after_build_mb": round(rss_built, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "paths_ms": summary(ms),
        "paths_cpu_ms": summary(cpu),
        "paths_by_kind_ms": by_kind(queries, ms),
        "found": sum(1 for a in answers if a),
        "update_3_changes_ms": round(update_ms, 2),
        "paths_after_update_ms": round(after_update_ms, 2),
        "circle_of_hub_ms": round(circle_ms, 2),
        "connectors_25_members_ms": round(connectors_ms, 2),
        "answers": answers,
        "ms": [round(x, 3) for x in ms],
    }


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def nx_best_paths(
    G: Any, sources: list[int], targets: list[int], k: int, deadline: float = math.inf
) -> list[float]:
    """The k best paths of at most four ties over the networkx graph, by the same bounded
    meet-in-the-middle search as ours, in plain Python over its adjacency dicts: every
    half-path of one or two ties from the sources and from the targets, joined on the
    middle person; the same rules (simple, never through another source or target)."""
    ends_s = {s for s in sources if s in G}
    ends_t = {t for t in targets if t in G}
    blocked = ends_s | ends_t
    found: list[tuple[float, tuple[int, ...]]] = []

    def halves(ends: set[int]) -> tuple[dict[int, list], dict[int, list]]:
        one: dict[int, list] = {}
        two: dict[int, list] = {}
        for e in ends:
            for a, attrs in G[e].items():
                if a in blocked:
                    continue
                if time.perf_counter() > deadline:
                    raise _Timeout
                c1 = attrs["cost"]
                one.setdefault(a, []).append((c1, (e, a)))
                for m, attrs2 in G[a].items():
                    if m not in blocked:
                        two.setdefault(m, []).append((c1 + attrs2["cost"], (e, a, m)))
        return one, two

    for s in ends_s:
        for t, attrs in G[s].items():
            if t in ends_t:
                found.append((attrs["cost"], (s, t)))
    left1, left2 = halves(ends_s)
    right1, right2 = halves(ends_t)  # stored target first: reversed when joined
    for left, right in ((left1, right1), (left2, right1), (left2, right2)):
        for m in left.keys() & right.keys():
            if time.perf_counter() > deadline:
                raise _Timeout
            for cl, pl in left[m]:
                for cr, pr in right[m]:
                    nodes = pl + pr[::-1][1:]
                    if len(set(nodes)) == len(nodes):
                        found.append((cl + cr, nodes))
    return [round(math.exp(-c), 12) for c, _ in heapq.nsmallest(k, found)]


def worker_networkx(
    graph_file: Path, queries: list[dict[str, Any]], per_query_s: float, budget_s: float
) -> dict[str, Any]:
    import networkx as nx

    data = np.load(graph_file)
    rss_arrays = peak_rss_mb()
    started = time.perf_counter()
    w = data["strength"]
    order = np.argsort(w, kind="stable")  # stronger duplicates added last win
    src, dst, w = data["src"][order].tolist(), data["dst"][order].tolist(), w[order]
    cost = (-np.log(w)).tolist()
    G = nx.Graph()
    G.add_edges_from((a, b, {"cost": c}) for a, b, c in zip(src, dst, cost, strict=True) if a != b)
    del src, dst, cost, w, order, data
    build_s = time.perf_counter() - started
    rss_built = peak_rss_mb()
    signal.signal(signal.SIGALRM, _alarm)
    ms, answers, timeouts = [], [], 0
    spent = time.perf_counter()
    for q in queries:
        if time.perf_counter() - spent > budget_s:
            break
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, per_query_s)
        try:
            deadline = t0 + per_query_s  # also checked in its loops: a signal waits
            answers.append(nx_best_paths(G, q["sources"], q["targets"], K, deadline))
        except _Timeout:
            answers.append(None)
            timeouts += 1
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        ms.append((time.perf_counter() - t0) * 1000)
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "build_s": round(build_s, 2),
        "rss_input_arrays_mb": round(rss_arrays, 1),
        "rss_after_build_mb": round(rss_built, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "paths_ms": summary(ms),
        "paths_by_kind_ms": by_kind(queries, ms),
        "queries_done": len(ms),
        "timeouts": timeouts,
        "per_query_timeout_s": per_query_s,
        "answers": answers,
        "ms": [round(x, 3) for x in ms],
    }


# ---------------------------------------------------------------------------- driver


def machine_info() -> dict[str, Any]:
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
    import networkx

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "networkx": networkx.__version__,
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def run_worker(
    kind: str, graph_file: Path, queries_file: Path, args: argparse.Namespace, timeout: float
) -> dict[str, Any] | None:
    out = graph_file.with_suffix(f".{kind}.json")
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--graph",
        str(graph_file),
        "--queries-file",
        str(queries_file),
        "--out",
        str(out),
        "--nx-query-timeout",
        str(args.nx_query_timeout),
        "--nx-query-budget",
        str(args.nx_query_budget),
        "--nx-memory-gb",
        str(args.nx_memory_gb),
    ]
    print(f"  {kind}: running (timeout {timeout:.0f} s)", flush=True)
    try:
        proc = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        print(f"  {kind}: gave up after {timeout:.0f} s", flush=True)
        return None
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        print(f"  {kind}: failed (exit {proc.returncode}): {' | '.join(tail)}", flush=True)
        return None
    return json.loads(out.read_text())


def measure_size(
    people: int, ties: int, args: argparse.Namespace, workdir: Path, with_nx: bool
) -> dict[str, Any]:
    print(f"Size {people:,} people / {ties:,} ties: generating", flush=True)
    t0 = time.perf_counter()
    data = generate(people, ties, args.seed)
    queries = make_queries(data, args.queries, args.seed)
    graph_file = workdir / f"graph-{people}-{ties}.npz"
    np.savez(graph_file, src=data["src"], dst=data["dst"], strength=data["strength"])
    del data
    queries_file = workdir / f"queries-{people}-{ties}.json"
    queries_file.write_text(json.dumps(queries))
    result: dict[str, Any] = {
        "people": people,
        "ties_generated": ties,
        "generate_s": round(time.perf_counter() - t0, 1),
        "queries": len(queries),
    }
    result["ours"] = run_worker("ours", graph_file, queries_file, args, timeout=1800)
    if with_nx:
        result["networkx"] = run_worker(
            "networkx",
            graph_file,
            queries_file,
            args,
            timeout=args.nx_build_timeout + args.nx_query_budget + 120,
        )
    graph_file.unlink()
    return result


def compare(result: dict[str, Any]) -> None:
    ours, theirs = result.get("ours"), result.get("networkx")
    if not ours or not theirs:
        return
    done = theirs["queries_done"]
    agree = sum(
        1
        for a, b in zip(ours["answers"][:done], theirs["answers"], strict=False)
        if b is not None
        and len(a) == len(b)
        and all(math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a, b, strict=True))
    )
    answered = sum(1 for b in theirs["answers"] if b is not None)
    ours_same = ours["ms"][:done]
    result["comparison"] = {
        "queries_networkx_answered": answered,
        "same_scores": agree,
        "build_ratio": round(theirs["build_s"] / max(ours["build_s"], 1e-9), 1),
        "memory_ratio": round(theirs["peak_rss_mb"] / max(ours["peak_rss_mb"], 1e-9), 1),
        "p50_ratio": round(percentile(theirs["ms"], 50) / max(percentile(ours_same, 50), 1e-9), 1),
        "p95_ratio": round(percentile(theirs["ms"], 95) / max(percentile(ours_same, 95), 1e-9), 1),
        "note": "networkx figures count a timed-out query at the timeout: lower bounds",
    }


def print_result(result: dict[str, Any]) -> None:
    print(f"\n## {result['people']:,} people, {result['ties_generated']:,} ties generated")
    print("| | ours | networkx |\n|---|---|---|")
    ours, theirs = result.get("ours") or {}, result.get("networkx") or {}

    def cell(d: dict[str, Any], *path: str) -> str:
        for p in path:
            if not isinstance(d, dict) or p not in d:
                return "n/a"
            d = d[p]
        return str(d)

    rows = [
        ("ties after collapsing duplicates", ("edges",)),
        ("build (s)", ("build_s",)),
        ("peak RSS (MB)", ("peak_rss_mb",)),
        ("path p50 (ms)", ("paths_ms", "p50")),
        ("path p95 (ms)", ("paths_ms", "p95")),
        ("path max (ms)", ("paths_ms", "max")),
        ("queries timed", ("paths_ms", "n")),
    ]
    for label, path in rows:
        print(f"| {label} | {cell(ours, *path)} | {cell(theirs, *path)} |")
    if ours:
        print("\nours by kind (p50 / p95 ms):")
        for kind, s in ours["paths_by_kind_ms"].items():
            print(f"  {kind}: {s['p50']} / {s['p95']}")
        print(
            f"update of 3 ties {ours['update_3_changes_ms']} ms; circle of a hub "
            f"{ours['circle_of_hub_ms']} ms; connectors {ours['connectors_25_members_ms']} ms"
        )
    if "comparison" in result:
        print(f"comparison: {json.dumps(result['comparison'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--ties", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-networkx", action="store_true", help="time ours only")
    parser.add_argument("--nx-memory-gb", type=float, default=16.0)
    parser.add_argument("--nx-build-timeout", type=float, default=900.0)
    parser.add_argument("--nx-query-timeout", type=float, default=10.0)
    parser.add_argument("--nx-query-budget", type=float, default=600.0)
    parser.add_argument("--worker", choices=["ours", "networkx"], help=argparse.SUPPRESS)
    parser.add_argument("--graph", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        queries = json.loads(args.queries_file.read_text())
        if args.worker == "ours":
            res = worker_ours(args.graph, queries)
        else:
            limit = int(args.nx_memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            res = worker_networkx(args.graph, queries, args.nx_query_timeout, args.nx_query_budget)
        args.out.write_text(json.dumps(res))
        return 0

    report: dict[str, Any] = {
        "machine": machine_info(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "targets": {
            "build_s": BUILD_TARGET_S,
            "peak_rss_mb": MEMORY_TARGET_MB,
            "path_p95_ms": PATH_P95_TARGET_MS,
        },
        "sizes": [],
    }
    with tempfile.TemporaryDirectory(prefix="network-bench-") as tmp:
        workdir = Path(tmp)
        people, ties = args.people, args.ties
        while True:
            result = measure_size(people, ties, args, workdir, with_nx=not args.no_networkx)
            compare(result)
            print_result(result)
            report["sizes"].append(result)
            if args.no_networkx or result.get("networkx") or people < 10_000:
                break
            people, ties = people // 10, ties // 10
            print("networkx did not manage this size: both again at a tenth", flush=True)
    first = report["sizes"][0]["ours"] or {}
    report["meets_targets"] = bool(first) and (
        first["build_s"] <= BUILD_TARGET_S
        and first["peak_rss_mb"] <= MEMORY_TARGET_MB
        and first["paths_ms"]["p95"] <= PATH_P95_TARGET_MS
    )
    report["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out = args.json or BENCH_DIR / "out" / f"network-{args.people}-{args.ties}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"\nmeets targets: {report['meets_targets']}; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
