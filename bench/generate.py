"""Generate a benchmark book: `python bench/generate.py --size S|M --data-dir DIR`.

Builds the same bilingual book as `rapport demo`, at size S (1k people, 800 promises) or
M (100k people, 13k organisations, 2M interactions, 40k promises), for team "Bench Team"
with users alice and bob. The database goes to DIR/rapport.sqlite3 unless DATABASE_URL is
set. Refuses to add a second book to a database that already holds people (exit status 1).
Asking again for the size it already holds is a no-op (exit status 0), except that a book
generated before promises existed gets them added: the promises step of the generator
(`rapport.demo.generate_commitments`) runs alone on it, with the book's seed, after
migrating. Likewise a book generated before the trust engine gets its trust evidence
(`rapport.demo.generate_trust`: the evidence library, showings, claims, conversation
signals and surveys). Writes DIR/bench-generate.json with the elapsed time and row
counts, which bench/run.py copies into its results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TEAM = "Bench Team"
USERS = ("alice", "bob")


def setup_django(data_dir: Path | None) -> None:
    if data_dir is not None and not os.environ.get("DATABASE_URL"):
        os.environ["RAPPORT_DATA_DIR"] = str(data_dir.expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()


def _database_bytes() -> int | None:
    """Size on disk of the SQLite database (main file plus WAL), None for PostgreSQL."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    name = Path(connection.settings_dict["NAME"])
    return sum(p.stat().st_size for p in (name, Path(f"{name}-wal")) if p.exists())


def _git_commit() -> str:
    """The commit of the app code imported (see bench/run.py git_info)."""
    import rapport

    app_dir = Path(rapport.__file__).resolve().parent.parent
    if not (app_dir / ".git").exists():
        marker = app_dir / "COMMIT"
        return marker.read_text().strip() if marker.exists() else ""
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=app_dir, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def row_counts() -> dict[str, int]:
    from rapport.commitments.models import (
        Commitment,
        Decision,
        Meeting,
        Milestone,
        Renegotiation,
        Risk,
    )
    from rapport.deals.models import Deal, Tender
    from rapport.gifts.models import Gift
    from rapport.interactions.models import Interaction, Signal
    from rapport.people.models import Organisation, Person
    from rapport.trust.models import Claim, Evidence, EvidenceShown, Survey, SurveyAnswer
    from rapport.value.models import ValueItem

    return {
        "people": Person.objects.count(),
        "organisations": Organisation.objects.count(),
        "interactions": Interaction.objects.count(),
        "commitments": Commitment.objects.count(),
        "milestones": Milestone.objects.count(),
        "risks": Risk.objects.count(),
        "renegotiations": Renegotiation.objects.count(),
        "meetings": Meeting.objects.count(),
        "decisions": Decision.objects.count(),
        "evidence": Evidence.objects.count(),
        "evidence_shown": EvidenceShown.objects.count(),
        "claims": Claim.objects.count(),
        "signals": Signal.objects.count(),
        "surveys": Survey.objects.count(),
        "survey_answers": SurveyAnswer.objects.count(),
        "deals": Deal.objects.count(),
        "tenders": Tender.objects.count(),
        "gifts": Gift.objects.count(),
        "value_items": ValueItem.objects.count(),
    }


def checkpoint() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _book_team() -> Any:
    """The benchmark book's team, or None (said on stderr)."""
    from rapport.accounts.models import Team

    team = Team.objects.filter(name=TEAM).first()
    if team is None:
        print(f"error: no team {TEAM!r} in this book", file=sys.stderr)
    return team


def _book_users() -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(
        get_user_model().objects.filter(username__in=USERS).select_related("member").order_by("pk")
    )


def _record_step(
    meta_file: Path,
    previous: dict,
    key: str,
    *,
    seconds: float,
    migrate_seconds: float,
    now: dt.datetime,
    seed: int,
    note: str,
    **facts: Any,
) -> dict:
    """Write what one added step did into the book's bench-generate.json (after a
    checkpoint, so that the database's size is its size on disk) and return it."""
    from django.db import connection

    checkpoint()
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else dict(previous)
    meta.update({k: v for k, v in previous.items() if k not in meta})
    if connection.vendor == "sqlite":
        meta["database_path"] = str(connection.settings_dict["NAME"])
    meta["rows"] = row_counts()
    meta["database_bytes"] = _database_bytes()
    meta[key] = {
        "seconds": round(seconds, 1),
        "migrate_seconds_before": migrate_seconds,
        "added_at": now.isoformat(timespec="seconds"),
        "seed": seed,
        **facts,
        "generator_commit": _git_commit(),
        "note": note,
    }
    meta_file.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def add_commitments(
    size_name: str, previous: dict, meta_file: Path, seed: int, migrate_seconds: float
) -> int:
    """The promises step alone, on a book generated before promises existed."""
    from django.db import connection, transaction

    from rapport import demo

    book_seed = previous.get("seed", seed)
    if book_seed != seed:
        print(
            f"error: the book was generated with seed {book_seed}, not {seed}; "
            f"its promises must use the same seed (--seed {book_seed}).",
            file=sys.stderr,
        )
        return 1
    team = _book_team()
    if team is None:
        return 1
    count = demo.SIZES[size_name].commitments
    print(
        f"{connection.settings_dict['NAME']} holds the size {size_name} book generated "
        f"{previous.get('generated_at')} without promises; adding {count:,} "
        f"(seed {seed}).",
        flush=True,
    )
    started = time.perf_counter()
    done = [0]

    def progress(step: str, n: int) -> None:
        done[0] += n if step == "commitments" else 0
        print(
            f"  [{time.perf_counter() - started:7.1f}s] {step:<13} {done[0]:>10,} / {count:,}",
            flush=True,
        )

    now = dt.datetime.now(dt.UTC)
    # One transaction: a failure leaves the book as it was, and the step can run again.
    with transaction.atomic():
        demo.generate_commitments(team=team, count=count, seed=seed, now=now, progress=progress)
    seconds = time.perf_counter() - started
    meta = _record_step(
        meta_file,
        previous,
        "commitments_step",
        seconds=seconds,
        migrate_seconds=migrate_seconds,
        now=now,
        seed=seed,
        count=count,
        note="added to a book generated before promises existed (generate_commitments "
        "alone, after migrating); the rest of the book is as generated_at says",
    )
    print(f"Promises added in {seconds:,.1f} s.")
    print(f"Rows: {meta['rows']}")
    return 0


def add_trust(
    size_name: str, previous: dict, meta_file: Path, seed: int, migrate_seconds: float
) -> int:
    """The trust evidence step alone, on a book generated before the trust engine."""
    from django.db import connection, transaction

    from rapport import demo

    team = _book_team()
    if team is None:
        return 1
    print(
        f"{connection.settings_dict['NAME']} holds the size {size_name} book generated "
        f"{previous.get('generated_at')} without trust evidence; adding it (seed {seed}).",
        flush=True,
    )
    started = time.perf_counter()
    done = [0, 0.0]

    def progress(step: str, n: int) -> None:
        done[0] += n
        if time.perf_counter() - done[1] >= 5:
            done[1] = time.perf_counter()
            print(f"  [{done[1] - started:7.1f}s] {step:<13} {done[0]:>10,} rows", flush=True)

    now = dt.datetime.now(dt.UTC)
    # One transaction: a failure leaves the book as it was, and the step can run again.
    with transaction.atomic():
        added = demo.generate_trust(team=team, seed=seed, now=now, progress=progress)
    seconds = time.perf_counter() - started
    meta = _record_step(
        meta_file,
        previous,
        "trust_step",
        seconds=seconds,
        migrate_seconds=migrate_seconds,
        now=now,
        seed=seed,
        added=added,
        note="added to a book generated before the trust engine (generate_trust alone, "
        "after migrating); the rest of the book is as generated_at says",
    )
    print(f"Trust evidence added in {seconds:,.1f} s: {added}")
    print(f"Rows: {meta['rows']}")
    return 0


# Open and closed deals per size (closed over three years); about a third are tenders.
DEAL_COUNTS = {"demo": (0, 0), "S": (300, 2_000), "M": (3_000, 20_000)}


def add_deals(
    size_name: str, previous: dict, meta_file: Path, seed: int, migrate_seconds: float
) -> int:
    """The deals step alone, on a book generated before deals existed."""
    from django.db import connection, transaction

    from rapport.deals import demo_bids

    team = _book_team()
    if team is None:
        return 1
    open_count, closed_count = DEAL_COUNTS[size_name]
    users = _book_users()
    print(
        f"{connection.settings_dict['NAME']} holds the size {size_name} book generated "
        f"{previous.get('generated_at')} without deals; adding {open_count:,} open and "
        f"{closed_count:,} closed (seed {seed}).",
        flush=True,
    )
    started = time.perf_counter()
    done = [0]

    def progress(step: str, n: int) -> None:
        done[0] += n
        print(
            f"  [{time.perf_counter() - started:7.1f}s] {step:<13} {done[0]:>10,} / "
            f"{open_count + closed_count:,}",
            flush=True,
        )

    now = dt.datetime.now(dt.UTC)
    # One transaction: a failure leaves the book as it was, and the step can run again.
    with transaction.atomic():
        added = demo_bids.generate(
            team=team,
            users=users,
            seed=seed,
            now=now,
            open_count=open_count,
            closed_count=closed_count,
            progress=progress,
        )
    seconds = time.perf_counter() - started
    _record_step(
        meta_file,
        previous,
        "deals_step",
        seconds=seconds,
        migrate_seconds=migrate_seconds,
        now=now,
        seed=seed,
        added=added,
        note="added to a book generated before deals existed (demo_bids.generate alone, "
        "after migrating); the rest of the book is as generated_at says",
    )
    print(f"Deals added in {seconds:,.1f} s: {added}")
    return 0


# Gift register entries and value items per size (over three years).
REGISTER_COUNTS = {"demo": (0, 0), "S": (300, 500), "M": (3_000, 5_000)}


def add_registers(
    size_name: str, previous: dict, meta_file: Path, seed: int, migrate_seconds: float
) -> int:
    """The gifts and value step alone, on a book generated before they existed."""
    from django.db import transaction

    from rapport.gifts import demo as gifts_demo
    from rapport.value import demo as value_demo

    team = _book_team()
    if team is None:
        return 1
    gifts, items = REGISTER_COUNTS[size_name]
    users = _book_users()
    print(f"Adding {gifts:,} gift register entries and {items:,} value items (seed {seed}).")
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        added = {
            "gifts": gifts_demo.generate(
                team=team, users=users, seed=seed, today=now.date(), count=gifts
            ),
            "value_items": value_demo.generate(
                team=team, users=users, seed=seed, now=now, count=items
            ),
        }
    seconds = time.perf_counter() - started
    _record_step(
        meta_file,
        previous,
        "registers_step",
        seconds=seconds,
        migrate_seconds=migrate_seconds,
        now=now,
        seed=seed,
        added=added,
        note="gift register entries and value items (gifts.demo.generate and "
        "value.demo.generate alone)",
    )
    print(f"Gifts and value added in {seconds:,.1f} s: {added}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", required=True, choices=["demo", "S", "M"])
    parser.add_argument(
        "--data-dir",
        required=True,
        type=Path,
        help="folder for the SQLite database (ignored if DATABASE_URL is set)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    setup_django(args.data_dir)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from rapport import demo
    from rapport.accounts.models import Member
    from rapport.commitments.models import Commitment
    from rapport.interactions.models import Interaction
    from rapport.people.models import Person
    from rapport.trust.models import Evidence

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    # On an existing book this can take minutes: on SQLite, Django's schema editor runs
    # `PRAGMA foreign_key_check` over the whole database at the end of every migration.
    migrate_started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_seconds = round(time.perf_counter() - migrate_started, 1)
    where = connection.settings_dict["NAME"]

    # The people that stand for the team's own members do not make a book.
    existing = Person.objects.exclude(
        pk__in=Member.objects.filter(person__isnull=False).values("person")
    ).count()
    if existing or Interaction.objects.exists():
        meta_file = settings.DATA_DIR / "bench-generate.json"
        previous = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        if previous.get("size") == args.size and previous.get("rows", {}).get("people") == (
            Person.objects.count()
        ):
            # Same book as asked for (e.g. `make bench-s` run twice): nothing to do, unless
            # it was generated before promises existed.
            if demo.SIZES[args.size].commitments and not Commitment.objects.exists():
                return add_commitments(args.size, previous, meta_file, args.seed, migrate_seconds)
            if not Evidence.objects.exists():
                return add_trust(args.size, previous, meta_file, args.seed, migrate_seconds)
            from rapport.deals.models import Deal

            if DEAL_COUNTS[args.size][0] and not Deal.objects.filter(title="Deal 000001").exists():
                return add_deals(args.size, previous, meta_file, args.seed, migrate_seconds)
            from rapport.gifts.models import Gift

            if REGISTER_COUNTS[args.size][0] and not Gift.objects.exists():
                return add_registers(args.size, previous, meta_file, args.seed, migrate_seconds)
            print(
                f"{where} already holds the size {args.size} book generated "
                f"{previous.get('generated_at')}; not generating a second one."
            )
            return 0
        print(
            f"error: {connection.vendor} database {where} already holds a book "
            f"({existing} people, {Interaction.objects.count()} interactions).\n"
            "Refusing to add a second book to it: the figures would be for neither size.\n"
            "Use a fresh --data-dir (or delete that database) and run again.",
            file=sys.stderr,
        )
        return 1

    size = demo.SIZES[args.size]
    print(
        f"Generating size {args.size}: {size.people:,} people, {size.organisations:,} "
        f"organisations, {size.interactions:,} interactions\n"
        f"into {connection.vendor} database {where}",
        flush=True,
    )
    started = time.perf_counter()
    done: dict[str, int] = {}
    totals = {
        "organisations": size.organisations,
        "people": size.people,
        "interactions": size.interactions,
        "commitments": size.commitments,
    }
    last_print = [0.0]
    # When each step finished (s since the start); the promises step starts after the
    # interactions and the people's last_interaction_at update.
    finished_at: dict[str, float] = {}

    def progress(step: str, n: int) -> None:
        done[step] = done.get(step, 0) + n
        now = time.perf_counter()
        finished_at[step] = round(now - started, 1)
        finished = done[step] >= totals.get(step, 0)
        if finished or now - last_print[0] >= 5:
            last_print[0] = now
            total = totals.get(step, 0)
            pct = 100 * done[step] / total if total else 100
            print(
                f"  [{now - started:7.1f}s] {step:<13} {done[step]:>10,} / {total:,} ({pct:5.1f}%)",
                flush=True,
            )

    demo.generate(size=size, team_name=TEAM, usernames=USERS, seed=args.seed, progress=progress)
    generated = time.perf_counter() - started
    if DEAL_COUNTS[args.size][0]:
        meta_file = settings.DATA_DIR / "bench-generate.json"
        meta_file.write_text(json.dumps({"size": args.size, "seed": args.seed}) + "\n")
        add_deals(args.size, {}, meta_file, args.seed, 0.0)
        if REGISTER_COUNTS[args.size][0]:
            add_registers(args.size, {}, meta_file, args.seed, 0.0)
        generated = time.perf_counter() - started

    checkpoint()
    meta = {
        "size": args.size,
        "seed": args.seed,
        "database": connection.vendor,
        "database_path": str(where) if connection.vendor == "sqlite" else None,
        "database_bytes": _database_bytes(),
        "generation_seconds": round(generated, 1),
        "steps_finished_at_seconds": finished_at,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generator_commit": _git_commit(),
        "rows": row_counts(),
    }
    (settings.DATA_DIR / "bench-generate.json").write_text(json.dumps(meta, indent=2) + "\n")
    size_txt = (
        f", database {meta['database_bytes'] / 1e6:,.1f} MB" if meta["database_bytes"] else ""
    )
    print(f"Done in {generated:,.1f} s ({generated / 60:.1f} min){size_txt}.")
    print(f"Rows: {meta['rows']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
