"""Large imports read their file in a second process (rapport.transfer.pipeline) while the
first one writes: what a user gets must not change, only how soon. Small files never
start a process, so these tests make "large" small (a few records read in the calling
process, then the rest in the reading process, a few at a time)."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rapport.interactions.models import Interaction
from rapport.people.models import Channel, Person
from rapport.people.services import person_create
from rapport.transfer import pipeline
from rapport.transfer.capture import capture_messages
from rapport.transfer.mail import read_mbox
from rapport.transfer.pipeline import read_ahead
from rapport.transfer.services import ImportAborted, import_contacts
from rapport.transfer.vcard import read_vcards


def cards(count: int, *, bad: int | None = None) -> bytes:
    """`count` vCards; card number `bad` (from 1) has a name no person may have."""
    out = []
    for n in range(1, count + 1):
        name = "X" * 500 if n == bad else f"Person {n}"
        out.append(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"FN:{name}\r\nN:{n};Person;;;\r\n"
            f"EMAIL;TYPE=WORK:person{n}@example.com\r\n"
            f"TEL;TYPE=CELL:+44 7700 900{n % 1000:03d}\r\n"
            "ORG:Acme Ltd\r\nCATEGORIES:Clients\r\n"
            "END:VCARD\r\n"
        )
    # The same person twice: found again among the people of this import.
    out.append(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person 2\r\n"
        "EMAIL:person2@example.com\r\nNOTE:met twice\r\nEND:VCARD\r\n"
    )
    return "".join(out).encode()


def mbox(count: int) -> bytes:
    out = []
    for n in range(count):
        out.append(
            "From anna@example.com Mon Jan  1 00:00:00 2024\n"
            "From: Anna Lee <anna@example.com>\n"
            "To: Someone <someone@example.org>\n"
            f"Subject: Note {n}\n"
            f"Date: Mon, 01 Jan 2024 10:{n % 60:02d}:00 +0000\n"
            f"Message-ID: <m{n}@example.com>\n\n"
            f"Hello {n}\n\n"
        )
    return "".join(out).encode()


@pytest.fixture
def reading_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "INLINE", 3)
    monkeypatch.setattr(pipeline, "CHUNK", 4)


def test_results_come_in_order_and_past_the_first_ones_from_another_process() -> None:
    with read_ahead(range(50), lambda n: (n, os.getpid()), inline=5, chunk=7) as results:
        out = list(results)
    assert [n for n, _pid in out] == list(range(50))
    assert {pid for _n, pid in out[:5]} == {os.getpid()}
    assert os.getpid() not in {pid for _n, pid in out[5:]}
    assert multiprocessing.active_children() == []


def test_a_small_file_starts_no_process() -> None:
    with read_ahead(range(5), lambda n: (n, os.getpid()), inline=5) as results:
        out = list(results)
    assert {pid for _n, pid in out} == {os.getpid()}


def test_an_error_while_reading_is_raised_in_the_importing_process() -> None:
    def items() -> Iterator[int]:
        yield from range(10)
        raise ValueError("line 11 cannot be read")

    seen = []
    with (
        pytest.raises(ValueError, match="line 11 cannot be read"),
        read_ahead(items(), lambda n: n, inline=2, chunk=3) as results,
    ):
        seen.extend(results)
    assert seen == list(range(10))  # everything read before the error
    assert multiprocessing.active_children() == []


def test_stopping_early_stops_the_reading_process() -> None:
    with read_ahead(itertools.count(), lambda n: n, inline=0, chunk=10) as results:
        for n in results:
            if n == 100:
                break
    assert multiprocessing.active_children() == []


def test_the_reader_keeps_reading_while_the_import_is_busy_but_only_so_far(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the importing process writes a batch, the reading process goes on reading
    (a pipe alone would stop it within a chunk), up to AHEAD chunks and no further."""
    monkeypatch.setattr(pipeline, "AHEAD", 5)
    progress = tmp_path / "read"

    def items() -> Iterator[int]:
        for n in itertools.count():
            # In the reading process; replaced whole, so it is never read half-written.
            (tmp_path / "read.new").write_text(str(n))
            os.replace(tmp_path / "read.new", progress)
            yield n

    def read_so_far() -> int:
        return int(progress.read_text()) if progress.exists() else -1

    big = "x" * 20_000  # 100 of these are far more than a pipe holds
    with read_ahead(items(), lambda n: (n, big), inline=0, chunk=100) as results:
        assert next(results)[0] == 0
        # "Busy writing": take nothing more for a while, and watch the reader.
        deadline = time.monotonic() + 20
        while (so_far := read_so_far()) < 500 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert so_far >= 500
        time.sleep(0.5)
        # Bounded: the chunks held, and the few on their way (taken, in the draining
        # thread's hands, in the pipe, being sent, being read), whatever the wait.
        assert read_so_far() < 100 * (5 + 6)
        time.sleep(0.5)
        assert read_so_far() < 100 * (5 + 6)
        assert [n for n, _ in itertools.islice(results, 300)] == list(range(1, 301))
    assert multiprocessing.active_children() == []


def report_of(actor: Any, data: bytes, **options: Any) -> Any:
    return import_contacts(
        actor, read_vcards(data, name="big.vcf"), source_name="big.vcf", **options
    )


def test_a_large_contacts_import_reports_what_a_small_one_would(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = cards(30, bad=20)
    monkeypatch.setattr(pipeline, "INLINE", 1_000_000)
    inline = report_of(alice, data, dry_run=True, on_error="skip")
    monkeypatch.setattr(pipeline, "INLINE", 3)
    monkeypatch.setattr(pipeline, "CHUNK", 4)
    ahead = report_of(alice, data, dry_run=True, on_error="skip")
    assert list(ahead.lines()) == list(inline.lines())
    assert (ahead.created, ahead.updated, ahead.skipped) == (29, 1, 1)
    assert Person.objects.filter(display_name__startswith="Person").count() == 0

    report = report_of(alice, data, on_error="skip")
    assert [o.text() for o in report.outcomes] == [o.text() for o in inline.outcomes]
    assert (report.created, report.updated, report.skipped) == (29, 1, 1)
    assert Channel.objects.filter(value="person29@example.com").count() == 1
    again = report_of(alice, data, on_error="skip")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 30)


def test_an_aborted_large_import_leaves_the_book_as_it_was(alice: Any, reading_ahead: None) -> None:
    people = Person.objects.count()
    with pytest.raises(ImportAborted, match="card 20"):
        report_of(alice, cards(30, bad=20), on_error="abort")
    assert Person.objects.count() == people
    assert multiprocessing.active_children() == []


def test_a_large_mbox_is_captured_once(alice: Any, reading_ahead: None) -> None:
    person_create(
        actor=alice,
        display_name="Anna Lee",
        channels=[{"kind": "email", "value": "anna@example.com"}],
    )
    report = capture_messages(
        alice, read_mbox(mbox(25), name="big.mbox"), on_error="skip", source_name="big.mbox"
    )
    assert (report.created, report.skipped) == (25, 0)
    assert Interaction.objects.filter(participants__display_name="Anna Lee").count() == 25
    again = capture_messages(
        alice, read_mbox(mbox(25), name="big.mbox"), on_error="skip", source_name="big.mbox"
    )
    assert (again.created, again.skipped) == (0, 25)
    assert Interaction.objects.count() == 25
