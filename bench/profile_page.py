"""Profile one page: `python bench/profile_page.py --data-dir DIR /people/123/ [--repeat 20]`.

Requests the URL in-process as alice (or with a bearer token for /api/ URLs) under
pyinstrument (`pip install pyinstrument`; not a project dependency), after one warm-up
request, and prints the call tree. --sql lists the queries of one request with their time
(each re-run to its last row) and SQLite query plan instead. The URL `agenda` stands for
the in-process call `rapport.core.agenda.agenda_for(alice)` that bench/run.py times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from run import explain, setup_django, time_statement


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("url")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--sql", action="store_true", help="list the queries and their plans")
    args = parser.parse_args(argv)

    setup_django(args.data_dir)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rapport.accounts.services import token_create, token_revoke

    alice = get_user_model().objects.select_related("member").get(username="alice")
    token = None
    if args.url == "agenda":
        from rapport.core.agenda import agenda_for

        class Call:
            """agenda_for(alice) where the other URLs make a request."""

            def get(self, _url: str) -> object:
                agenda_for(alice)
                return type("Done", (), {"status_code": 200, "content": b""})()

        client: object = Call()
    elif args.url.startswith("/api/"):
        token, secret = token_create(user=alice, name="bench/profile_page.py")
        client = Client(headers={"Authorization": f"Bearer {secret}"})
    else:
        client = Client()
        client.force_login(alice)
    try:
        response = client.get(args.url)
        if response.status_code != 200:
            raise SystemExit(f"error: {args.url} gave status {response.status_code}")
        if args.sql:
            with CaptureQueriesContext(connection) as ctx:
                client.get(args.url)
            for q in ctx.captured_queries:
                # Re-run to the last row: the captured time stops at the first one.
                ms = time_statement(q["sql"]) if q["sql"].lstrip().startswith("SELECT") else 0
                print(f"{ms:7.1f} ms  {q['sql'][:600]}")
                for line in explain(q["sql"]):
                    print(f"{'':12}plan: {line}")
            print(f"{len(ctx.captured_queries)} queries, {len(response.content):,} bytes")
            return 0
        try:
            from pyinstrument import Profiler
        except ImportError:
            raise SystemExit("error: pip install pyinstrument to profile") from None
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(args.repeat):
                client.get(args.url)
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    finally:
        if token is not None:
            token_revoke(actor=alice, token_id=token.pk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
