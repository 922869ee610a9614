"""Markdown tables from bench/run.py results: `python bench/report.py results.json ...`.

Prints, per file, the summary table (medians across runs when there were several), the
breakdown by kind of request and the slowest statements, ready to paste into RESULTS.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def ms(v: float) -> str:
    return f"{v:,.1f}"


def queries(q: dict[str, Any]) -> str:
    return str(q["min"]) if q["min"] == q["max"] else f"{q['min']}–{q['max']}"


def cpu(s: dict[str, Any]) -> str:
    """CPU time of the benchmark process (results from before it was recorded: blank)."""
    if "cpu_p50" not in s:
        return ""
    return f"{ms(s['cpu_p50'])} / {ms(s['cpu_p95'])}"


def report(path: Path) -> str:
    data = json.loads(path.read_text())
    gen = data["database"].get("generation") or {}
    runs = data["settings"]["runs"]
    lines = [
        f"### {path.name}: size {gen.get('size', '?')}, app {data['git']['commit'][:10]}",
        "",
        f"{data['settings']['requests']} timed requests per endpoint after "
        f"{data['settings']['warmup']} warm-up, "
        + (f"median of {runs} runs" if runs > 1 else "one run")
        + f"; measured {data['machine']['date']}, load average before/after "
        f"{data['load_average']['before'][0]} / {data['load_average']['after'][0]}.",
        "",
        "| endpoint | requests | p50 ms | p95 ms | p99 ms | max ms | queries/request "
        "| p95 target at M | CPU p50 / p95 ms |",
        "|---|--:|--:|--:|--:|--:|--:|---|--:|",
    ]
    targets = data.get("targets", {})
    for key, meta in data["endpoints"].items():
        if key not in data["summary"]:  # an operation, in results before they were apart
            continue
        s = data["summary"][key]
        target = ""
        if key in targets:
            t = targets[key]
            target = f"≤ {t['target']:g}: {'met' if t['met'] else '**missed**'}"
        lines.append(
            f"| `{meta['route']}` | {s['n']} | {ms(s['p50'])} | {ms(s['p95'])} | {ms(s['p99'])} "
            f"| {ms(s['max'])} | {queries(s['queries'])} | {target} "
            f"| {cpu(s)} |"
        )
    if runs > 1:
        lines += [
            "",
            "p50 / p95 of each run:",
            "",
            "| endpoint | " + " | ".join(f"run {i + 1}" for i in range(runs)) + " |",
            "|---|" + "--:|" * runs,
        ]
        for key, meta in data["endpoints"].items():
            if key not in data["summary"]:
                continue
            per = data["summary"][key]["per_run"]
            cells = [f"{ms(a)} / {ms(b)}" for a, b in zip(per["p50"], per["p95"], strict=True)]
            lines.append(f"| `{meta['route']}` | " + " | ".join(cells) + " |")
    lines += ["", "| endpoint | kind | n | p50 ms | p95 ms | max ms |", "|---|---|--:|--:|--:|--:|"]
    for key in (
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
    ):
        for label, s in data["breakdown"].get(key, {}).items():
            lines.append(
                f"| {key} | {label} | {s['n']} | {ms(s['p50'])} | {ms(s['p95'])} | {ms(s['max'])} |"
            )
    recompute = data.get("trust_recompute")
    if recompute:
        parts = ", ".join(f"`{k}` {v:,.1f} s" for k, v in recompute["median_parts_seconds"].items())
        lines += [
            "",
            "Full trust recompute (`trust_recompute_team`): median "
            f"{recompute['median_seconds']:,.1f} s "
            f"(CPU {recompute['median_cpu_seconds']:,.1f} s; runs "
            + ", ".join(f"{r['seconds']:,.1f}" for r in recompute["runs"])
            + f" s); target ≤ {recompute['target_seconds']:g} s at M: "
            + ("met" if recompute["met"] else "**missed**")
            + f". Median parts: {parts}.",
        ]
    if data.get("cli"):
        cli = data["cli"]
        lines += [
            "",
            f"`{cli['command']}` as its own process (Python start-up included): "
            + ", ".join(ms(v) for v in cli["wall_ms"])
            + f" ms, median {ms(cli['median_ms'])} ms; `rapport --help` median "
            f"{ms(cli['help_median_ms'])} ms.",
        ]
    if data.get("feed_first_request"):
        first = data["feed_first_request"]
        lines += [
            "",
            "Calendar feed, first request of a new feed (built, not cached): "
            f"{ms(first['ms'])} ms, {first['bytes']:,} bytes.",
        ]
    lines += [
        "",
        "Slowest statement per endpoint (re-run to its last row):",
        "",
        "| endpoint | max ms | median ms | statement (start) | plan |",
        "|---|--:|--:|---|---|",
    ]
    for key in data["endpoints"]:
        for s in data["slowest_queries"].get(key, [])[:1]:
            sql = " ".join(s["sql"].split())[:90].replace("|", "\\|")
            plan = "; ".join(s["plan"]).replace("|", "\\|")
            lines.append(f"| {key} | {ms(s['ms'])} | {ms(s['median_ms'])} | `{sql}…` | {plan} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    print("\n".join(report(Path(p)) for p in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
