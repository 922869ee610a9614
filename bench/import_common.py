"""What the import benches (import_bench.py, mail_bench.py) share: the book they import
into, Django's set-up, and the time, processor time and memory they measure.

An import may read its file in a second process (rapport.transfer.pipeline), so the
figures count both: processor time is this process's and its children's, and the peak
memory of the reading process is given beside this one's.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def prepare_book(data_dir: Path, book: Path | None) -> str | None:
    """Make `data_dir` the folder of the book to import into: empty (a new book is
    migrated there), or a copy of the book in `book` (say, bench-M), never the book
    itself. Returns why not, or None."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "rapport.sqlite3"
    if database.exists():
        return f"{data_dir} already holds a book; give an empty folder"
    if book is not None:
        source = book / "rapport.sqlite3"
        if not source.exists():
            return f"{book} holds no rapport.sqlite3"
        if source.resolve().parent == data_dir.resolve():
            return "--book must not be the data folder: the bench writes to a copy"
        shutil.copyfile(source, database)
        if (book / "secret_key").exists():
            shutil.copyfile(book / "secret_key", data_dir / "secret_key")
    return None


def setup_django(data_dir: Path) -> None:
    for name in [k for k in os.environ if k.startswith("RAPPORT_")] + ["DATABASE_URL"]:
        os.environ.pop(name, None)
    os.environ["RAPPORT_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "rapport.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def bench_user(*, fresh: bool, email: str = "") -> Any:
    """The importing user: a new user of a new team in a new book (migrated first), or
    alice of the generated book's "Bench Team"."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from rapport.accounts.services import user_add

    if not fresh:
        user = get_user_model().objects.get(username="alice")
        if email and user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        return user
    call_command("migrate", interactive=False, verbosity=0)
    user, _ = user_add(
        username="alice", team_name="Bench Team", password=secrets.token_urlsafe(), email=email
    )
    return user


def peak_rss_mb() -> float:
    """This process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def children_peak_rss_mb() -> float:
    """The largest peak resident memory of this process's finished children (the
    reading process of an import), 0 if none."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """Processor time, user and system, of this process (or its finished children)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Timed:
    seconds: float
    cpu_seconds: float  # the importing process's and its reading process's
    reader_cpu_seconds: float  # the reading process's alone


def timed(run: Callable[[], T]) -> tuple[T, Timed]:
    """run()'s result, its wall-clock time and the processor time it took (reading
    processes included, and apart). On an idle machine with two cores the wall-clock
    time is at least the larger of the two processes' times."""
    own, reader = cpu_seconds(), cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    own, reader = cpu_seconds() - own, cpu_seconds(resource.RUSAGE_CHILDREN) - reader
    return result, Timed(seconds, own + reader, reader)
