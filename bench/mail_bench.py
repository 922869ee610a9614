"""Time an mbox import into a fresh SQLite book: `python bench/mail_bench.py --data-dir DIR`.

Writes an mbox of N messages (threads, Chinese RFC 2047 subjects and names, base64 and
quoted-printable bodies, some messages with nobody known on them) to DIR/archive.mbox,
migrates a new database in DIR (or, with --book, copies a generated book such as bench-M
there and imports as its user alice), adds known correspondents and imports the file
through `rapport.transfer.capture.capture_messages`, reading it with
`rapport.transfer.mail.read_mbox`. Prints messages per second (reading, matching and
writing together), the processor time (the reading process's included) and the peak
resident memory of the process and of its reading process; then imports the file again
(every message already recorded, nothing written) and times that too.
The issue's targets: at least 1,000 messages/s into SQLite, and a 1 GB mbox within
500 MB RSS (use --body-bytes to make a big file: 60,000 x 3,000 is about 200 MB,
280,000 x 3,000 about 1 GB; --mbox to put it elsewhere, --no-reimport to import once).
"""

from __future__ import annotations

import argparse
import base64
import json
import quopri
import random
import sys
import time
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from import_common import (
    bench_user,
    children_peak_rss_mb,
    peak_rss_mb,
    prepare_book,
    setup_django,
    timed,
)

TARGET_MESSAGES_PER_SECOND = 1000.0
CONTACTS = 500
SUBJECTS = ["Proposal", "Re: pricing", "Meeting notes", "关于合作的建议", "报价单", "Follow-up"]
NAMES = ["Anna Lee", "王小明", "Ben Okafor", "李晓红", "Chloe Rossi", "张建国", "David Smith"]
LOREM = (
    "Thanks for the call today. As discussed, here are the next steps for the pilot, "
    "with the timeline and the open questions on pricing. 我们下周再联系。 "
)


def encoded(text: str, charset: str = "utf-8") -> str:
    if text.isascii():
        return text
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def write_mbox(path: Path, messages: int, body_bytes: int, seed: int) -> None:
    rng = random.Random(seed)
    start = 1_700_000_000
    import datetime as dt

    with path.open("wb") as out:
        for n in range(messages):
            when = dt.datetime.fromtimestamp(start + n * 600, tz=dt.UTC)
            contact = rng.randrange(CONTACTS + CONTACTS // 5)  # a sixth are unknown
            address = f"contact{contact}@client{contact % 50}.example"
            name = NAMES[contact % len(NAMES)]
            ours = rng.random() < 0.4
            sender, recipient = (
                ("Alice Adams", "alice@example.com") if ours else (name, address),
                (name, address) if ours else ("Alice Adams", "alice@example.com"),
            )
            charset = "gbk" if n % 3 == 0 else "utf-8"
            subject = SUBJECTS[n % len(SUBJECTS)]
            thread = n - n % 4
            body = (LOREM * (body_bytes // len(LOREM) + 1))[:body_bytes]
            if n % 2:
                payload = base64.encodebytes(body.encode("utf-8")).decode()
                cte = "base64"
            else:
                payload = quopri.encodestring(body.encode("utf-8")).decode()
                cte = "quoted-printable"
            headers = [
                f"From {sender[1]} {when:%a %b %d %H:%M:%S %Y}",
                f"From: {encoded(sender[0], charset)} <{sender[1]}>",
                f"To: {encoded(recipient[0], charset)} <{recipient[1]}>",
                f"Subject: {encoded(subject, charset)}",
                f"Date: {format_datetime(when)}",
                f"Message-ID: <m{n}.{seed}@bench.example>",
            ]
            if thread != n:
                headers.append(f"In-Reply-To: <m{n - 1}.{seed}@bench.example>")
                headers.append(f"References: <m{thread}.{seed}@bench.example>")
            headers += [
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                f"Content-Transfer-Encoding: {cte}",
            ]
            out.write(("\n".join(headers) + "\n\n" + payload + "\n\n").encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="an empty folder")
    parser.add_argument("--messages", type=int, default=20000, help="how many (20000)")
    parser.add_argument("--body-bytes", type=int, default=600, help="body size (600)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--book",
        type=Path,
        help="import into a copy of the generated book in this folder (say, bench-M), "
        "as its user alice, instead of a new book",
    )
    parser.add_argument("--mbox", type=Path, help="write the mbox here instead of DIR/archive.mbox")
    parser.add_argument("--no-reimport", action="store_true", help="import once (for a big file)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    data_dir = args.data_dir.expanduser().resolve()
    problem = prepare_book(data_dir, args.book)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    mbox = args.mbox or data_dir / "archive.mbox"
    started = time.perf_counter()
    write_mbox(mbox, args.messages, args.body_bytes, args.seed)
    size_mb = mbox.stat().st_size / 1e6
    took = time.perf_counter() - started
    print(f"wrote {args.messages} messages ({size_mb:.1f} MB) in {took:.1f} s")

    setup_django(data_dir)
    from rapport.people.services import person_create
    from rapport.transfer.capture import capture_messages
    from rapport.transfer.mail import read_mbox

    user = bench_user(fresh=args.book is None, email="alice@example.com")
    for contact in range(CONTACTS):
        person_create(
            actor=user,
            display_name=f"Contact {contact}",
            channels=[{"kind": "email", "value": f"contact{contact}@client{contact % 50}.example"}],
        )
    rss_before = peak_rss_mb()

    def run() -> Any:
        return capture_messages(user, read_mbox(mbox), on_error="skip", source_name=mbox.name)

    report, first = timed(run)
    seconds = first.seconds
    rss_import = peak_rss_mb()
    reader_rss = children_peak_rss_mb()
    rate = args.messages / seconds
    figures: dict[str, Any] = {
        "messages": args.messages,
        "book": str(args.book) if args.book else "new",
        "file_mb": round(size_mb, 1),
        "created": report.created,
        "skipped": report.skipped,
        "errors": report.errors,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(first.cpu_seconds, 2),
        "reader_cpu_seconds": round(first.reader_cpu_seconds, 2),
        "messages_per_second": round(rate),
    }
    if not args.no_reimport:
        again, second = timed(run)
        figures |= {
            "reimport_created": again.created,
            "reimport_seconds": round(second.seconds, 2),
            "reimport_cpu_seconds": round(second.cpu_seconds, 2),
            "reimport_messages_per_second": round(args.messages / second.seconds),
        }
    figures |= {
        "peak_rss_mb_before_import": round(rss_before),
        "peak_rss_mb": round(rss_import),
        "reader_peak_rss_mb": round(reader_rss),
        "target_messages_per_second": TARGET_MESSAGES_PER_SECOND,
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if rate >= TARGET_MESSAGES_PER_SECOND else 2


if __name__ == "__main__":
    sys.exit(main())
