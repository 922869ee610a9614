"""The `rapport` command: a thin layer over the same services the web app uses."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(
    help="Rapport, the trust-first CRM. Example: rapport demo",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)
user_app = typer.Typer(help="Manage users. Example: rapport user add alice --team Acme")
app.add_typer(user_app, name="user")
report_app = typer.Typer(
    help="Reports: what we did for a client, deals won and lost. "
    "Example: rapport report value Wang --from 2026-01-01 --to 2026-06-30"
)
app.add_typer(report_app, name="report")
console = Console()
err = Console(stderr=True)


def _setup(*, local_http: bool = False) -> None:
    """Configure Django. For a server on this machine over plain HTTP, cookies must not
    be marked Secure or the browser would never send them back."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    if local_http:
        os.environ.setdefault("RAPPORT_SECURE_COOKIES", "0")
    import django

    django.setup()


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=1)


def _validation_message(exc: Any) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


def _migrate(verbose: bool = False) -> None:
    from django.conf import settings
    from django.core.management import call_command

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


@app.command()
def init(verbose: Annotated[bool, typer.Option(help="Show each migration")] = False) -> None:
    """Create the data folder and bring the database schema up to date.

    Example: rapport init  (with RAPPORT_DATA_DIR=~/rapport-data to choose the folder)
    """
    _setup()
    from django.conf import settings
    from django.db import connection

    _migrate(verbose)
    where = connection.settings_dict["NAME"]
    console.print(f"Database ready: {connection.vendor} [bold]{where}[/bold]")
    console.print(f"Data folder: {settings.DATA_DIR}")


def _start_worker() -> None:
    """Run the task queue in a background thread of this process: trust refreshes and
    the morning emails work out of the box. A deployment that runs `rapport worker`
    separately passes --no-worker."""
    import os
    import threading

    from django_tasks_db.management.commands.db_worker import Worker

    from rapport.core.tasks import agenda_emails_schedule
    from rapport.network.tasks import ties_nightly_schedule
    from rapport.trust.tasks import trust_nightly_schedule

    agenda_emails_schedule()
    trust_nightly_schedule()
    ties_nightly_schedule()
    worker = Worker(
        queue_names=["default"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"serve-{os.getpid()}",
        excluded_queue_names=[],
    )
    threading.Thread(target=worker.run, name="rapport-worker", daemon=True).start()


def _serve(host: str, port: int, threads: int, *, worker: bool = True) -> None:
    from django.conf import settings
    from waitress import serve as waitress_serve

    from rapport.wsgi import application

    # Imports run by this process's worker thread read in the same process: forking a
    # process that runs other threads can leave the child waiting on a lock (see
    # rapport.transfer.pipeline). `rapport import` and `rapport worker` do fork.
    settings.RAPPORT_IMPORT_READ_AHEAD = False
    if worker:
        _start_worker()
    console.print(f"Serving Rapport at [bold]http://{host}:{port}[/bold]  (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="rapport")


def _is_loopback(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads")] = 8,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run background tasks in this process")
    ] = False,
) -> None:
    """Serve the web app and API (migrating the database first), running background
    tasks in the same process unless --no-worker is given.

    Example: rapport serve --host 127.0.0.1 --port 8000
    """
    _setup(local_http=_is_loopback(host))
    _migrate()
    _serve(host, port, threads, worker=not no_worker)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    size: Annotated[str, typer.Option(help="Book size: demo (300 people), S or M")] = "demo",
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load the data and stop")] = False,
) -> None:
    """Load the bilingual demo book (once) and serve it, printing the demo login.

    Example: rapport demo --port 8000
    """
    _setup(local_http=_is_loopback(host))
    from rapport import demo as demo_book
    from rapport.accounts.models import Team

    if size not in demo_book.SIZES:
        _fail(f"--size must be one of {', '.join(demo_book.SIZES)}")
    _migrate()
    team_name = "Demo Advisory"
    if not Team.objects.filter(name=team_name, people__isnull=False).exists():
        book = demo_book.SIZES[size]
        with _progress() as bar:
            tasks = {
                "organisations": bar.add_task("organisations", total=book.organisations),
                "people": bar.add_task("people", total=book.people),
                "interactions": bar.add_task("interactions", total=book.interactions),
                "commitments": bar.add_task("commitments", total=book.commitments),
            }
            demo_book.generate(
                size=book,
                team_name=team_name,
                progress=lambda step, n: bar.advance(tasks[step], n),
            )
    console.print(
        f"Demo login: user [bold]alice[/bold] (or bob), password "
        f"[bold]{demo_book.DEMO_PASSWORD}[/bold]"
    )
    if not no_serve:
        _serve(host, port, 8)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:>14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name")],
    team: Annotated[str, typer.Option(help="Team to join (created if missing)")],
    password: Annotated[
        str | None, typer.Option(help="Password; one is generated and printed if omitted")
    ] = None,
    email: Annotated[str, typer.Option(help="Email address")] = "",
    name: Annotated[str, typer.Option(help="Display name")] = "",
    language: Annotated[str, typer.Option(help="en or zh-hans")] = "en",
    time_zone: Annotated[str, typer.Option(help="IANA time zone, e.g. Asia/Shanghai")] = "UTC",
) -> None:
    """Create a user in a team (the team is created if missing).

    Example: rapport user add alice --team "Acme Advisory" --time-zone Asia/Shanghai
    """
    _setup()
    from django.core.exceptions import ValidationError

    from rapport.accounts import services

    try:
        user, generated = services.user_add(
            username=username,
            team_name=team,
            password=password,
            email=email,
            display_name=name,
            language=language,
            time_zone=time_zone,
        )
    except ValidationError as exc:
        _fail(_validation_message(exc))
        return
    console.print(f"Created user [bold]{user.get_username()}[/bold] in team [bold]{team}[/bold]")
    if generated:
        console.print(f"Password (shown once): [bold]{generated}[/bold]")


@app.command()
def token(
    username: Annotated[str, typer.Argument(help="Whose token")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "",
) -> None:
    """Create an API token and print it once (only its hash is stored).

    Example: rapport token alice --name "laptop script"
    """
    _setup()
    from django.contrib.auth import get_user_model

    from rapport.accounts import services

    user = get_user_model().objects.filter(username=username, member__isnull=False).first()
    if user is None:
        _fail(f"no user {username!r} in any team")
        return
    _, secret = services.token_create(user=user, name=name)
    console.print(secret, highlight=False, soft_wrap=True)


def _user_named(username: str) -> Any:
    from django.contrib.auth import get_user_model

    user = (
        get_user_model()
        .objects.select_related("member__team")
        .filter(username=username, member__isnull=False)
        .first()
    )
    if user is None:
        _fail(f"no user {username!r} in any team")
    return user


def _default_user() -> str:
    """The only user, when there is just one; otherwise --user is needed."""
    from django.contrib.auth import get_user_model

    names = list(
        get_user_model().objects.filter(member__isnull=False).values_list("username", flat=True)[:2]
    )
    if len(names) != 1:
        _fail("say whose agenda with --user NAME" if names else "no users yet: rapport user add")
    return names[0]


@app.command()
def agenda(
    user: Annotated[str | None, typer.Option(help="Whose agenda (default: the only user)")] = None,
    date: Annotated[
        str | None, typer.Option(help="Day as YYYY-MM-DD (default: today in the user's zone)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    email: Annotated[
        bool, typer.Option("--email", help="Send it by email now instead of printing it")
    ] = False,
) -> None:
    """Today's agenda: promises due or overdue, undisclosed risks, closes not reported
    back, meeting decisions without follow-up, birthdays in the next 7 days and people
    going cold.

    Example: rapport agenda --user alice --date 2026-11-23 --json
    """
    import datetime as dt
    import json

    _setup()
    from django.utils import timezone, translation

    from rapport.core.agenda import agenda_for

    person = _user_named(user or _default_user())
    day = None
    if date is not None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            _fail(f"--date must be a date like 2026-11-23, not {date!r}")
    if email:
        from rapport.commitments.deadlines import local_date
        from rapport.core.tasks import agenda_email_message

        member = person.member
        if not person.email:
            _fail(f"{person.get_username()} has no email address")
        message = agenda_email_message(member, day or local_date(timezone.now(), member.time_zone))
        message.send()
        console.print(f"Sent the agenda to [bold]{person.email}[/bold]")
        return
    with translation.override(person.member.language):
        result = agenda_for(person, day=day)
        if as_json:
            sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n")
            return
        _print_agenda(result)


def _print_agenda(result: Any) -> None:
    from rich.table import Table

    console.print(
        f"[bold]Agenda for {result.user}, {result.date.isoformat()}[/bold] ({result.time_zone})"
    )
    for section in result.sections:
        if not section.count:
            continue
        table = Table(title=f"{section.heading} ({section.count})", title_justify="left")
        table.add_column("", no_wrap=True)
        table.add_column("What")
        table.add_column("Who")
        table.add_column("When", no_wrap=True)
        table.add_column("Next step")
        for item in section.items:
            mark = "[red]![/red]" if item.urgent else ""
            who = "" if item.who == item.title else item.who
            table.add_row(mark, item.title, who, item.when or "", item.detail)
        if section.count > len(section.items):
            table.add_row("", f"… {section.count - len(section.items)} more", "", "", "")
        console.print(table)
    if not result.total:
        console.print("Nothing needs you today.")


def _trust_user() -> str:
    """The only user, when there is just one; otherwise --user is needed."""
    from django.contrib.auth import get_user_model

    names = list(
        get_user_model().objects.filter(member__isnull=False).values_list("username", flat=True)[:2]
    )
    if len(names) != 1:
        _fail("say whose view with --user NAME" if names else "no users yet: rapport user add")
    return names[0]


def _recompute_everything(user: str | None) -> None:
    """Every team's relationships (or only the user's team), with a progress line."""
    import time

    from rich.markup import escape

    from rapport.accounts.models import Team
    from rapport.trust.scoring import trust_recompute_team

    teams = list(Team.objects.order_by("pk"))
    if user is not None:
        teams = [_user_named(user).member.team]
    started = time.perf_counter()
    people = organisations = 0
    with _progress() as bar:
        task = bar.add_task("teams", total=len(teams))
        for team in teams:
            bar.update(task, description=escape(team.name[:14]))
            p, o = trust_recompute_team(team.pk)
            people, organisations = people + p, organisations + o
            bar.advance(task)
    elapsed = time.perf_counter() - started
    console.print(
        f"Recomputed trust for [bold]{people}[/bold] {_plural(people, 'person', 'people')} and "
        f"[bold]{organisations}[/bold] {_plural(organisations, 'organisation')} "
        f"in {len(teams)} {_plural(len(teams), 'team')} in {elapsed:.1f} s"
    )


def _plural(n: int, one: str, many: str = "") -> str:
    return one if n == 1 else many or f"{one}s"


@app.command()
def trust(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A person or organisation: a name (汉字 or pinyin), email or phone; "
            "or person:ID / organisation:ID"
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="Whose view of the book (default: the only user)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    recompute: Annotated[
        bool,
        typer.Option(
            "--recompute",
            help="Recompute first: NAME's relationship; without NAME, every relationship of "
            "every team (or of --user's team)",
        ),
    ] = False,
) -> None:
    """Where trust stands with a client, why, and what to do next: C, R, I and S with
    their evidence, T and its change over the week, the events behind each component and
    the next actions that would raise T most.

    Example: rapport trust "Wang Xiaoming" --user alice --json
    (or rapport trust --recompute to recompute every relationship after an import)
    """
    import json

    _setup()
    from django.utils import translation

    from rapport.trust.queries import organisation_card, person_card, trust_subjects_named
    from rapport.trust.scoring import trust_refresh

    if name is None:
        if not recompute:
            _fail(
                'name a person or organisation, e.g. rapport trust "Wang", or recompute '
                "every relationship with rapport trust --recompute"
            )
        _recompute_everything(user)
        return
    actor = _user_named(user or _trust_user())
    with translation.override(actor.member.language):
        found = trust_subjects_named(actor, name, limit=MATCHES_SHOWN)
        if not found:
            _fail(f"no person or organisation {actor.get_username()} can see matches {name!r}")
        if len(found) > 1:
            _print_matches(name, found)
            raise typer.Exit(code=1)
        subject = found[0]
        if recompute:
            if subject.person is not None:
                trust_refresh(person_ids=[subject.id])
            else:
                trust_refresh(organisation_ids=[subject.id])
        if subject.person is not None:
            card = person_card(actor, subject.person)
        else:
            card = organisation_card(actor, subject.org)  # type: ignore[arg-type]
        if as_json:
            sys.stdout.write(json.dumps(card.as_json(), ensure_ascii=False, indent=2) + "\n")
            return
        _print_card(card, subject, actor.member.time_zone)


MATCHES_SHOWN = 20


@app.command("path")
def path_command(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Whom to reach: a person or an organisation (its decision makers) by name, "
            "email or phone; or person:ID / organisation:ID",
        ),
    ],
    source: Annotated[
        str, typer.Option("--from", help='Start from "me", a teammate\'s username, or "team"')
    ] = "me",
    k: Annotated[int, typer.Option("--k", min=1, max=10, help="How many paths")] = 3,
    user: Annotated[
        str | None, typer.Option(help="Whose view of the book (default: the only user)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """The warmest introduction paths to a person or to an organisation's decision makers:
    each hop with how the two know each other, the tie's strength and the last contact,
    and whom to ask first. Routes through a colleague's private contact only name the
    colleague to ask.

    Example: rapport path --to "Huawei" --from team --user alice
    """
    import json

    _setup()
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from rapport.network.paths import warm_paths
    from rapport.trust.queries import trust_subjects_named

    actor = _user_named(user or _trust_user())
    with translation.override(actor.member.language):
        found = trust_subjects_named(actor, to, limit=MATCHES_SHOWN)
        if not found:
            _fail(f"no person or organisation {actor.get_username()} can see matches {to!r}")
        if len(found) > 1:
            _print_matches(to, found)
            raise typer.Exit(code=1)
        subject = found[0]
        try:
            report = warm_paths(
                actor,
                to_person=subject.id if subject.subject == "person" else None,
                to_organisation=subject.id if subject.subject == "organisation" else None,
                source=source,
                k=k,
            )
        except ValidationError as exc:
            _fail(_validation_message(exc))
            return
        if as_json:
            sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
            return
        _print_paths(report, actor.member.time_zone)


def _print_paths(report: Any, time_zone: str) -> None:
    import zoneinfo

    from rich.markup import escape
    from rich.table import Table

    zone = zoneinfo.ZoneInfo(time_zone)
    targets = ", ".join(t.name for t in report.targets)
    console.print(f"Warm paths to [bold]{escape(targets)}[/bold]", emoji=False)
    if not report.items:
        console.print("No warm path within four introductions.")
        return
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("Path")
    table.add_column("Warmth", justify="right")
    table.add_column("Coldest last contact", no_wrap=True)
    table.add_column("Ask")
    for n, item in enumerate(report.items, start=1):
        if item.hidden:
            table.add_row(str(n), escape(item.message), "", "", escape(item.teammate))
            continue
        route = escape(item.people[0].name)
        for hop in item.hops:
            link = f"{escape(hop.link.kind_label)} {hop.link.strength:.2f}"
            route += f" ─{link}→ {escape(hop.target.name)}"
        last = item.last_contact_at
        table.add_row(
            str(n),
            route,
            f"{item.percent}%",
            last.astimezone(zone).date().isoformat() if last else "-",
            escape(item.ask.name) if item.ask else "(direct)",
        )
    console.print(table, emoji=False)


def _print_matches(name: str, found: list[Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    shown = found[:MATCHES_SHOWN]
    many = f"more than {MATCHES_SHOWN}" if len(found) > MATCHES_SHOWN else str(len(found))
    err.print(
        f"{many} match {escape(repr(name))}; be more specific, or name one as "
        "person:ID or organisation:ID:",
        emoji=False,
    )
    table = Table()
    table.add_column("Name")
    table.add_column("Organisation")
    table.add_column("Id", no_wrap=True)
    for s in shown:
        table.add_row(
            escape(s.name),
            escape(s.organisation) if s.subject == "person" else "(organisation)",
            f"{s.subject}:{s.id}",
        )
    err.print(table)


def _print_card(card: Any, subject: Any, time_zone: str) -> None:
    import zoneinfo

    from rich.markup import escape
    from rich.table import Table

    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    where = f" ({escape(subject.organisation)})" if subject.organisation else ""
    change = ""
    if card.delta_week is not None:
        delta = round(card.delta_week, 1)
        arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
        colour = "green" if delta > 0 else "red" if delta < 0 else "dim"
        change = f"  [{colour}]{arrow} {delta:+.1f} this week[/{colour}]"
    console.print(
        f"[bold]Trust with {escape(card.name)}[/bold]{where}: T = [bold]{card.t:.1f}[/bold]{change}"
    )
    if card.has_survey:
        console.print(
            f"Our evidence alone: T = {card.t_ours:.1f}; the client's answers blended in."
        )
    table = Table(title="T = (C + R + I) / S", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("Component")
    table.add_column("Value", justify="right")
    if card.has_survey:
        table.add_column("Ours", justify="right")
        table.add_column("Client", justify="right")
    table.add_column("Evidence", justify="right")
    table.add_column("")
    for c in card.components:
        marks = []
        if c.weakest:
            marks.append("[yellow]weakest[/yellow]")
        if c.uncertain:
            marks.append("uncertain")
        if c.outlier and not c.weakest:
            marks.append("stands out")
        row = [c.name, escape(c.title), f"{c.value:.1f}"]
        if card.has_survey:
            row += [f"{c.ours:.1f}", "—" if c.client is None else f"{c.client:.1f}"]
        row += [str(c.count), ", ".join(marks)]
        table.add_row(*row)
    console.print(table)
    console.print("C, R and I: 0 to 10, higher is better. S: 1 to 10, lower is better.")
    console.print("\n[bold]Why[/bold]")
    for c in card.components:
        console.print(f"{c.name} {escape(c.title)} {c.value:.1f}")
        if not c.lines:
            console.print("   [dim]no evidence yet[/dim]")
        for line in c.lines[:3]:
            about = f": {escape(line.label)}" if line.label else ""
            day = line.at.astimezone(zone).date().isoformat()
            console.print(f"  {line.effect:+.2f}  {escape(line.text)}{about}  [dim]{day}[/dim]")
        if len(c.lines) > 3:
            console.print(f"   [dim]… {len(c.lines) - 3} more (see --json)[/dim]")
    console.print("\n[bold]Next actions[/bold]")
    if not card.actions:
        console.print("  Nothing to suggest yet: record what happens and the card will learn.")
    for number, a in enumerate(card.actions, start=1):
        console.print(f"  {number}. {escape(f'[{a.component}]')} {escape(a.text)}")


def _import_user(user: str | None, team: str | None) -> Any:
    """Who imports: --user (who must be in --team, if given), else the only member of
    --team, else the only user."""
    from django.contrib.auth import get_user_model

    if user is not None:
        found = _user_named(user)
        if team is not None and found.member.team.name != team:
            _fail(f"{user} is not in team {team!r}")
        return found
    members = get_user_model().objects.select_related("member__team").filter(member__isnull=False)
    if team is not None:
        members = members.filter(member__team__name=team)
    found = list(members[:2])
    if len(found) != 1:
        if found:
            _fail("say who imports with --user NAME: the people become theirs")
        _fail(f"no team {team!r} with members" if team else "no users yet: rapport user add")
    return found[0]


def _count_records(path: Any, kind: str) -> int | None:
    """About how many records the file holds, for the progress bar (None if unknown)."""
    boundary = b"begin:vcard" if kind == "vcard" else b"\n"
    count = 0
    try:
        with open(path, "rb") as stream:
            head = stream.read(2)
            if head in (b"\xff\xfe", b"\xfe\xff"):
                return None  # UTF-16: not worth decoding twice
            stream.seek(0)
            tail = b""  # shorter than the boundary, so nothing in it is counted twice
            while chunk := stream.read(1 << 20):
                text = tail + chunk.lower()
                count += text.count(boundary)
                tail = text[-len(boundary) + 1 :]
    except OSError:
        return None
    return count if kind == "vcard" else max(count - 1, 0)


def _parse_mapping(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        column, equals, target = item.rpartition("=")
        if not equals or not column.strip() or not target.strip():
            _fail(f"--map takes COLUMN=FIELD, e.g. --map 'Mobile=phone:mobile', not {item!r}")
        mapping[column.strip()] = target.strip()
    return mapping


@app.command("deals")
def deals_command(
    pipeline: Annotated[
        str | None, typer.Option(help="Only this pipeline, by name (default: all of them)")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Whose team (default: the only user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Open deals by stage, with totals per currency, one-sided and stale deals flagged.

    Example: rapport deals --pipeline Sales --user alice
    """
    import json

    _setup()
    from django.utils import translation

    from rapport.deals import queries, report, services

    actor = _user_named(user or _trust_user())
    with translation.override(actor.member.language):
        services.pipelines_ensure(actor=actor)
        chosen = None
        if pipeline is not None:
            chosen = queries.pipeline_named(actor, pipeline)
            if chosen is None:
                names = ", ".join(p.name for p in queries.pipelines(actor))
                _fail(f"no pipeline called {pipeline!r} (there are: {names})")
        boards = queries.open_deals(actor, chosen)
        if as_json:
            data = report.boards_as_json(boards)
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        _print_deals(boards)


def _print_deals(boards: list[Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from rapport.deals.report import flags, money_line

    for board in boards:
        table = Table(title=f"{board.pipeline.name}: {money_line(board.open_totals)} open")
        for name in ("Stage", "Deal", "Organisation", "Amount", "Next step", "Flags"):
            table.add_column(name, justify="right" if name == "Amount" else "left")
        for column in board.columns:
            table.add_row(
                f"[bold]{escape(column.stage.name)}[/bold]",
                f"{len(column.cards)} deals",
                "",
                money_line(column.totals),
                "",
                "",
            )
            for card in column.cards:
                deal = card.deal
                table.add_row(
                    "",
                    escape(deal.title),
                    escape(deal.organisation.name if deal.organisation else ""),
                    f"{deal.amount:,.2f} {deal.currency}",
                    f"{deal.next_step_on:%Y-%m-%d} {escape(deal.next_step)}",
                    escape("; ".join(flags(card))),
                )
        console.print(table, emoji=False)


@app.command("agreements")
def agreements_command(
    user: Annotated[str | None, typer.Option(help="Whose team (default: the only user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Agreements you may see, newest first, with their parties and status.

    Example: rapport agreements --user alice --json
    """
    _setup()
    from rapport.agreements import api as agreements_api
    from rapport.agreements import queries

    actor = _user_named(user or _trust_user())
    found = list(queries.agreement_list(actor))
    if as_json:
        _print_json(
            [
                agreements_api.agreement_out(queries.agreement_for(actor, a.pk)).model_dump(
                    mode="json"
                )
                for a in found
            ]
        )
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(found)} agreements")
    for name in ("ID", "Title", "Party B", "Effective", "Status"):
        table.add_column(name)
    for a in found:
        party = " · ".join(
            n
            for n in (
                getattr(a.client_organisation, "name", ""),
                getattr(a.client_person, "display_name", ""),
            )
            if n
        )
        table.add_row(
            str(a.pk), escape(a.title), escape(party), f"{a.effective_on:%Y-%m-%d}", a.status
        )
    console.print(table, emoji=False)


@app.command("agreement")
def agreement_command(
    agreement_id: Annotated[int, typer.Argument(help="The agreement's id")],
    pdf: Annotated[
        str | None, typer.Option("--pdf", help="Write the agreement as a PDF to this file")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Whose team (default: the only user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text")] = False,
) -> None:
    """One agreement: parties, clauses and obligations with the status of their promises.

    Example: rapport agreement 3 --pdf agreement.pdf
    """
    _setup()
    from django.http import Http404

    from rapport.agreements import api as agreements_api
    from rapport.agreements import queries
    from rapport.agreements.views import agreement_pdf_bytes

    actor = _user_named(user or _trust_user())
    try:
        agreement = queries.agreement_for(actor, agreement_id)
    except Http404:
        _fail(f"no agreement {agreement_id} that {actor.get_username()} may see")
        return
    if pdf is not None:
        import pathlib

        pathlib.Path(pdf).write_bytes(agreement_pdf_bytes(agreement))
        console.print(f"Wrote {pdf}", highlight=False)
        return
    body = agreements_api.agreement_out(agreement).model_dump(mode="json")
    if as_json:
        _print_json(body)
        return
    from rich.markup import escape

    console.print(f"[bold]{escape(agreement.title)}[/bold] ({agreement.status})", emoji=False)
    party = body["client_organisation"] or body["client_person"] or {"name": "?"}
    console.print(f"Effective {agreement.effective_on:%Y-%m-%d} · Party B: {escape(party['name'])}")
    for n, clause in enumerate(body["clauses"], start=1):
        console.print(f"{n}. {escape(clause['heading'])}", emoji=False)
        for o in clause["obligations"]:
            owner = o["owner"]["name"] if o["owner"] else "—"
            status = o["commitment_status"] or "not signed"
            console.print(
                f"   [{o['side']}] {escape(o['what'])} · {escape(owner)} · "
                f"{o['due_on'] or '—'} · {status}",
                emoji=False,
                highlight=False,
            )


@app.command("import")
def import_(
    file: Annotated[
        str,
        typer.Argument(
            help="The file: .vcf (vCard), .csv, .mbox, .eml (or a folder of them) or .ics"
        ),
    ],
    file_format: Annotated[
        str | None,
        typer.Option(
            "--format", help="vcard, csv, mbox, eml or ics (default: from the file's extension)"
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Say what would be created, updated and skipped; save nothing"
        ),
    ] = False,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad",
            help="Import the good records and report the bad (default: a bad record stops "
            "the import and nothing is saved)",
        ),
    ] = False,
    team: Annotated[str | None, typer.Option(help="Team to import into")] = None,
    user: Annotated[
        str | None, typer.Option(help="Whose contacts they become (default: the only user)")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="For a CSV that is not a Google, Outlook or LinkedIn export: COLUMN=FIELD, "
            "repeatable (fields: display_name, given_name, family_name, email, phone:mobile, "
            "organisation, title, birthday, note, categories, ignore, ...)",
        ),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="New people are private to the user")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON, one entry per record")
    ] = False,
    create_people: Annotated[
        bool,
        typer.Option(
            "--create-people",
            help="Email and calendars: add the people on a message or meeting who are not "
            "in the book yet (default: such messages are skipped, with the reason)",
        ),
    ] = False,
) -> None:
    """Import contacts from a vCard file (Apple, Google, Outlook, Android, Monica) or a
    CSV (Google Contacts, Outlook, LinkedIn connections, or any CSV with --map). A
    contact already in the book (same contact id as an earlier import, same email, same
    phone) gets what it lacks; nothing there is overwritten. An email archive (mbox, .eml)
    or a calendar (.ics) becomes conversations with the people on them, matched by
    address; importing it again adds nothing. Exit status 1 when records were skipped or
    the import stopped.

    Example: rapport import contacts.vcf --user alice --dry-run
    """
    import pathlib

    from rich.markup import escape

    from rapport.transfer.sources import CAPTURE_FORMATS, FORMATS_BY_SUFFIX

    path = pathlib.Path(file)
    kind = (file_format or "").lower() or FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if kind is None and path.is_dir():
        kind = "eml"  # a folder of .eml files
    if kind in CAPTURE_FORMATS:
        if mapping:
            err.print("[red]error:[/red] --map is for CSV files")
            raise typer.Exit(code=2)
        if not path.exists():
            _fail(f"no file {escape(file)}")
        _capture(kind, file, dry_run, skip_bad, team, user, private, create_people, as_json)
        return
    if kind not in ("vcard", "csv"):
        err.print(
            "[red]error:[/red] "
            + (
                f"--format must be vcard, csv, mbox, eml or ics, not {escape(repr(file_format))}"
                if file_format
                else f"cannot tell the format of {escape(file)}: say --format vcard, csv, "
                "mbox, eml or ics"
            )
        )
        raise typer.Exit(code=2)
    if mapping and kind != "csv":
        err.print("[red]error:[/red] --map is for CSV files")
        raise typer.Exit(code=2)
    if not pathlib.Path(file).is_file():
        _fail(f"no file {escape(file)}")
    _setup()
    from rapport.transfer.contacts_csv import MAPPABLE_FIELDS, MappingError, open_contacts_csv
    from rapport.transfer.records import ParseError
    from rapport.transfer.services import ImportAborted, import_contacts
    from rapport.transfer.vcard import read_vcards

    actor = _import_user(user, team)
    name = pathlib.Path(file).name
    records: Any
    if kind == "vcard":
        records = read_vcards(file)
    else:
        try:
            records = open_contacts_csv(file, mapping=_parse_mapping(mapping or []))
        except MappingError as exc:
            hint = ""
            if exc.columns:
                hint = (
                    f"\nIts columns: {', '.join(exc.columns)}"
                    f"\nMap them with --map COLUMN=FIELD; fields: {', '.join(MAPPABLE_FIELDS)}"
                )
            _fail(escape(str(exc) + hint))
            return
        except ParseError as exc:
            _fail(escape(str(exc)))
            return
    total = _count_records(file, kind)
    try:
        # With --json the bar goes to stderr, leaving stdout to the JSON.
        with Progress(*_progress().columns, console=err if as_json else console) as bar:
            task = bar.add_task("dry run" if dry_run else "importing", total=total)
            report = import_contacts(
                actor,
                records,
                dry_run=dry_run,
                on_error="skip" if skip_bad else "abort",
                source_name=name,
                progress=lambda n: bar.advance(task, n),
                visibility="private" if private else "team",
                record_unit="card" if kind == "vcard" else "row",
            )
            bar.update(task, total=report.total, completed=report.total)
    except ImportAborted as exc:
        _import_stopped(exc.message)
    if as_json:
        _print_json(report.as_json())
    else:
        _print_import(report)
    if report.skipped:
        raise typer.Exit(code=1)


IMPORT_LINES_SHOWN = 200


def _import_stopped(message: str) -> NoReturn:
    from rich.markup import escape

    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    err.print(
        "The import stopped and nothing was saved. Fix the file, or import the good "
        "records and get a report of the bad ones with --skip-bad."
    )
    raise typer.Exit(code=1)


def _print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _capture(
    kind: str,
    file: str,
    dry_run: bool,
    skip_bad: bool,
    team: str | None,
    user: str | None,
    private: bool,
    create_people: bool,
    as_json: bool,
) -> None:
    """Email archives and calendars: each message or meeting becomes an interaction."""
    import pathlib

    from rich.markup import escape

    _setup()
    from rapport.transfer.calendar_import import read_calendar
    from rapport.transfer.capture import CaptureAborted, capture_meetings, capture_messages
    from rapport.transfer.mail import read_eml, read_eml_folder, read_mbox

    actor = _import_user(user, team)
    path = pathlib.Path(file)
    if kind == "ics":
        records: Any = read_calendar(file)
        capture: Any = capture_meetings
    else:
        if kind == "eml":
            records = read_eml_folder(file) if path.is_dir() else read_eml(file)
        else:
            records = read_mbox(file)
        capture = capture_messages
    try:
        with Progress(*_progress().columns, console=err if as_json else console) as bar:
            task = bar.add_task("dry run" if dry_run else "importing", total=None)
            report = capture(
                actor,
                records,
                dry_run=dry_run,
                on_error="skip" if skip_bad else "abort",
                create_people=create_people,
                source_name=path.name,
                progress=lambda n: bar.advance(task, n),
                visibility="private" if private else "team",
            )
    except CaptureAborted as exc:
        _import_stopped(str(exc))
    if as_json:
        _print_json(report.as_json())
    else:
        what = "meetings" if kind == "ics" else "messages"
        title = f"{'Dry run of' if dry_run else 'Imported'} {path.name}"
        console.print(f"[bold]{escape(title)}[/bold]", soft_wrap=True)
        verb = "would be " if dry_run else ""
        console.print(
            f"{what.capitalize()} {verb}added as conversations: {report.created}; "
            f"skipped: {report.skipped}; new people: {report.people_created}"
        )
        for line in report.lines("skipped")[:IMPORT_LINES_SHOWN]:
            console.print(f"  {escape(line)}", soft_wrap=True, highlight=False)
        if dry_run:
            console.print("Dry run: nothing was saved.")
    if report.skipped:
        raise typer.Exit(code=1)


def _print_import(report: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    title = f"Dry run of {report.source}" if report.dry_run else f"Imported {report.source}"
    console.print(f"[bold]{escape(title)}[/bold]", soft_wrap=True)
    table = Table()
    table.add_column("Records" if not report.dry_run else "Records that would be")
    table.add_column("", justify="right")
    for label, count in (
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("skipped", report.skipped),
    ):
        table.add_row(label, str(count))
    table.add_row("new organisations", str(report.organisations_created))
    table.add_row("warnings", str(report.warnings))
    console.print(table)

    def show(lines: list[str], heading: str) -> None:
        if not lines:
            return
        console.print(f"[bold]{heading}[/bold]")
        for line in lines[:IMPORT_LINES_SHOWN]:
            console.print(f"  {escape(line)}", soft_wrap=True, highlight=False)
        if len(lines) > IMPORT_LINES_SHOWN:
            console.print(f"  … {len(lines) - IMPORT_LINES_SHOWN} more (see --json)")

    if report.dry_run:
        show(list(report.lines("created")), "Would create")
        show(list(report.lines("updated")), "Would update")
    else:
        show(list(report.lines("updated")), "Updated")
    show(list(report.lines("skipped")), "Skipped")
    show(
        [
            # A warning that names its own line needs only the record's number.
            f"{o.where.split(',')[0] if w.startswith('line ') else o.where}: {w}"
            for o in report.outcomes
            for w in o.warnings
        ],
        "Warnings (the rest of the record was kept)",
    )
    if report.dry_run:
        console.print("Dry run: nothing was saved.")


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run what is due now, then stop (for cron)")
    ] = False,
) -> None:
    """Run background work (trust and tie refreshes, the morning agenda emails) through
    django.tasks' database queue, for deployments that serve with --no-worker.

    Example: rapport worker
    """
    _setup()
    from django.core.management import call_command

    from rapport.core.tasks import agenda_emails_schedule
    from rapport.network.tasks import ties_nightly_schedule
    from rapport.trust.tasks import trust_nightly_schedule

    _migrate()
    queued = agenda_emails_schedule()
    console.print(f"Morning agenda emails queued for {queued} member(s).")
    teams = trust_nightly_schedule()
    console.print(f"Nightly trust recompute queued for {teams} team(s).")
    teams = ties_nightly_schedule()
    console.print(f"Nightly tie refresh queued for {teams} team(s).")
    call_command("db_worker", batch=once, verbosity=1)


@app.command()
def backup(
    file: Annotated[
        str | None,
        typer.Argument(
            help="Where to write (default: rapport-backup-DATE.json here; - for standard output)"
        ),
    ] = None,
    team: Annotated[str | None, typer.Option(help="Back up this team only")] = None,
) -> None:
    """Write every team (or one) and all it holds to one JSON file, read back by
    rapport restore. An existing file is never overwritten.

    Example: rapport backup acme.json --team Acme
    """
    from pathlib import Path

    from rich.markup import escape

    _setup()
    from django.utils import timezone

    from rapport.accounts.models import Team
    from rapport.transfer.backup import backup_all, backup_team

    _migrate()
    chosen = None
    if team is not None:
        chosen = Team.objects.filter(name=team).first()
        if chosen is None:
            _fail(f"no team {team!r}")

    def write(stream: Any) -> None:
        if chosen is not None:
            backup_team(chosen, stream)
        else:
            backup_all(stream)

    if file == "-":
        write(sys.stdout)
        return
    path = Path(file or f"rapport-backup-{timezone.localdate():%Y-%m-%d}.json")
    _check_new_file(path)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8") as stream:
            write(stream)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    what = f"team {chosen.name}" if chosen is not None else "every team"
    size = path.stat().st_size / 1_000_000
    console.print(f"Backed up {escape(what)} to [bold]{escape(str(path))}[/bold] ({size:.1f} MB)")


@app.command()
def restore(
    file: Annotated[str, typer.Argument(help="A file written by rapport backup")],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace the team of the same name and its members' accounts (one-team "
            "backups only); without it, the backup's teams and users must not exist yet",
        ),
    ] = False,
) -> None:
    """Load a backup into this database, in one transaction: if anything in the file is
    wrong, the error names it and nothing changes.

    Example: rapport restore acme.json
    """
    from rich.markup import escape

    _setup()
    from rapport.transfer.backup import BackupError, restore_all, restore_team

    _migrate()
    try:
        with open(file, "rb") as stream:
            teams = [restore_team(stream, into_empty=False)] if replace else restore_all(stream)
    except FileNotFoundError:
        _fail(f"no file {escape(file)}")
    except OSError as exc:
        _fail(f"cannot read {escape(file)}: {escape(exc.strerror or str(exc))}")
    except BackupError as exc:
        _fail(escape(f"{file}: {exc}"))
    names = ", ".join(team.name for team in teams)
    console.print(f"Restored {_plural(len(teams), 'team')}: [bold]{escape(names)}[/bold]")


def _check_new_file(path: Any) -> None:
    """A file the command is to write: its folder must exist, and it must not (never
    overwrite someone's file)."""
    from rich.markup import escape

    if path.exists():
        _fail(f"{escape(str(path))} exists: name another file or move it away first")
    if not path.parent.is_dir():
        _fail(f"no folder {escape(str(path.parent))} to write {escape(path.name)} in")


EXPORT_FORMATS = {".vcf": "vcard", ".vcard": "vcard", ".csv": "csv", ".json": "json"}


@app.command()
def export(
    file: Annotated[str, typer.Argument(help="Where to write: .vcf, .csv or .json")],
    export_format: Annotated[
        str | None,
        typer.Option("--format", help="vcard, csv or json (default: from the file's extension)"),
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="Export what this user may see (default: the only user)")
    ] = None,
    person: Annotated[
        int | None,
        typer.Option(
            help="Everything held about one person (by id), as JSON: a data-subject request"
        ),
    ] = None,
) -> None:
    """Export the people a user may see as vCard 4.0 or CSV, everything as JSON, or all
    that is held about one person. An existing file is never overwritten.

    Example: rapport export contacts.vcf --user alice
    """
    import json
    from pathlib import Path

    from rich.markup import escape

    _setup()
    from django.http import Http404

    from rapport.transfer import export as exports

    _migrate()
    actor = _user_named(user or _default_user())
    path = Path(file)
    kind = (
        "json" if person is not None else export_format or EXPORT_FORMATS.get(path.suffix.lower())
    )
    if kind not in ("vcard", "csv", "json"):
        _fail(f"say --format vcard, csv or json for {escape(file)}")
    _check_new_file(path)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="") as stream:
            if person is not None:
                from rapport.people.models import Person

                found = Person.objects.filter(pk=person).first()
                if found is None:
                    raise Http404
                json.dump(
                    exports.person_data_export(actor, found), stream, ensure_ascii=False, indent=2
                )
                what = f"everything held about {found.display_name}"
            elif kind == "vcard":
                what = f"{exports.export_people_vcard(actor, stream)} people as vCard 4.0"
            elif kind == "csv":
                what = f"{exports.export_people_csv(actor, stream)} people as CSV"
            else:
                exports.export_json(actor, stream)
                what = "everything you may see as JSON"
        part.replace(path)
    except Http404:
        part.unlink(missing_ok=True)
        _fail(f"{actor.username} has no person {person}")
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    console.print(f"Exported {escape(what)} to [bold]{escape(str(path))}[/bold]")


@app.command()
def erase(
    person_id: Annotated[int, typer.Argument(help="The person's id (see the address bar)")],
    user: Annotated[str | None, typer.Option(help="Who erases (default: the only user)")] = None,
    reason: Annotated[
        str,
        typer.Option(help="Why: request, consent, retention, mistake or other"),
    ] = "request",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase everything held about one person: their details, facts, channels, roles,
    promises, trust history, their part in conversations (those only they were in are
    deleted), and every mention of their name, addresses and numbers in the team's
    records and audit log. One audit entry, without their data, records the erasure.
    Export it first with rapport export FILE.json --person ID if they asked for a copy.

    Example: rapport erase 42 --user alice --reason request
    """
    from rich.markup import escape

    _setup()
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from rapport.people.models import Person
    from rapport.transfer.erase import erase_person, erase_preview

    _migrate()
    actor = _user_named(user or _default_user())
    found = Person.objects.filter(pk=person_id).first()
    try:
        if found is None:
            raise Http404
        plan = erase_preview(actor=actor, person=found)
    except Http404:
        _fail(f"{actor.username} has no person {person_id}")
        return
    except ValidationError as exc:
        _fail(escape(_validation_message(exc)))
        return
    console.print(f"Erasing [bold]{escape(plan.person.display_name)}[/bold] removes:")
    for kind, count in plan.counts.items():
        if count:
            console.print(f"  {kind.replace('_', ' ')}: {count}")
    if not yes and not typer.confirm("Erase everything about this person? This cannot be undone"):
        raise typer.Exit(code=1)
    try:
        entry = erase_person(actor=actor, person=plan.person, reason=reason)
    except ValidationError as exc:
        _fail(escape(_validation_message(exc)))
        return
    console.print(f"Erased person {person_id} (audit entry {entry.pk}).")


@report_app.command("winloss")
def report_winloss(
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (default: a year before --to)"),
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: today)")] = None,
    pipeline: Annotated[
        str | None, typer.Option(help="Only this pipeline, by name (default: all of them)")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Whose team (default: the only user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Deals won and lost over a period: win rate and amounts per currency, by reason,
    competitor, pipeline and referral source.

    Example: rapport report winloss --from 2026-01-01 --to 2026-06-30 --pipeline Sales
    """
    import json

    _setup()
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from rapport.deals import queries, report_queries

    actor = _user_named(user or _trust_user())
    with translation.override(actor.member.language):
        chosen = None
        if pipeline is not None:
            chosen = queries.pipeline_named(actor, pipeline)
            if chosen is None:
                names = ", ".join(p.name for p in queries.pipelines(actor))
                _fail(f"no pipeline called {pipeline!r} (there are: {names})")
        try:
            first, last = report_queries.period(start, end)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            _fail(f"--{field}: {messages[0]}")
            return
        result = report_queries.winloss_report(actor, start=first, end=last, pipeline=chosen)
        if as_json:
            sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n")
            return
        _print_winloss(result)


def _print_winloss(result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from rapport.deals.models import CloseReason
    from rapport.deals.report import money_line

    r = result.report
    where = f" · {result.pipeline.name}" if result.pipeline else ""
    rate = "—" if r.overall.win_rate is None else f"{r.overall.win_rate}%"
    console.print(
        f"[bold]Win/loss {result.start:%Y-%m-%d} – {result.end:%Y-%m-%d}{escape(where)}[/bold]: "
        f"{r.overall.won} won, {r.overall.lost} lost, {rate} won; "
        f"won {money_line(r.overall.won_amounts)}, lost {money_line(r.overall.lost_amounts)}"
    )

    def tallies(title: str, first: str, rows: list[tuple[str, Any]]) -> None:
        table = Table(title=title)
        for name in (first, "Won", "Lost", "Win rate", "Amount won"):
            table.add_column(name, justify="left" if name == first else "right")
        for label, t in rows:
            table.add_row(
                escape(label),
                str(t.won),
                str(t.lost),
                "—" if t.win_rate is None else f"{t.win_rate}%",
                money_line(t.won_amounts),
            )
        console.print(table, emoji=False)

    labels = dict(CloseReason.choices)
    tallies(
        "By reason",
        "Reason",
        [(str(labels.get(k, k or "No reason")), t) for k, t in r.by_reason.items()],
    )
    tallies("By pipeline", "Pipeline", list(r.by_pipeline.items()))
    tallies(
        "By referral source",
        "Source",
        [
            ("Came from a referral", r.with_referral),
            ("No referral", r.without_referral),
            *[(f"  {name}", t) for name, t in r.top_referrers],
        ],
    )
    table = Table(title="By competitor")
    for name in ("Competitor", "Met", "We won", "They won", "Their bid − ours (avg)"):
        table.add_column(name, justify="left" if name == "Competitor" else "right")
    for c in r.by_competitor:
        gap = ", ".join(f"{v:+,.2f} {cur}" for cur, v in c.average_gap) or "—"
        table.add_row(escape(c.name), str(c.met), str(c.won_against), str(c.lost_to), gap)
    console.print(table, emoji=False)


@report_app.command("value")
def report_value(
    client: Annotated[
        str,
        typer.Argument(
            help="A person or organisation: a name (汉字 or pinyin), email or phone; "
            "or person:ID / organisation:ID"
        ),
    ],
    period_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    period_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    pdf: Annotated[
        str | None, typer.Option("--pdf", help="Also write the report as a PDF to this file")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    user: Annotated[
        str | None, typer.Option(help="Whose view of the book (default: the only user)")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="The client's language: en or zh-hans (default: the user's)")
    ] = None,
    link: Annotated[
        bool,
        typer.Option("--link", help="Also create the client's secret link (printed this once)"),
    ] = False,
) -> None:
    """What we did for a client in a period ("what we did for you"), by kind, with totals
    per currency and hours, in the client's language; optionally as a PDF and a link.

    Example: rapport report value "Wang Xiaoming" --from 2026-01-01 --to 2026-06-30 --pdf wang.pdf
    """
    import datetime as dt
    import json
    import pathlib

    _setup()
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.utils import translation
    from rich.markup import escape
    from rich.table import Table

    from rapport.core.pdf import render_pdf
    from rapport.trust.queries import trust_subjects_named
    from rapport.value import queries, services
    from rapport.value.models import ValueReport

    actor = _user_named(user or _trust_user())
    days: list[dt.date] = []
    for name, text in (("--from", period_from), ("--to", period_to)):
        try:
            days.append(dt.date.fromisoformat(text))
        except ValueError:
            _fail(f"{name}: a date is required, such as 2026-12-01")
    if days[0] > days[1]:
        _fail("--to: the period ends before it starts")
    language = language or actor.member.language
    if language not in dict(settings.LANGUAGES):
        _fail(f"--language: {language} is not a language Rapport speaks (en, zh-hans)")
    with translation.override(actor.member.language):
        found = trust_subjects_named(actor, client, limit=MATCHES_SHOWN)
    if not found:
        _fail(f"no person or organisation {actor.get_username()} can see matches {client!r}")
    if len(found) > 1:
        _print_matches(client, found)
        raise typer.Exit(code=1)
    subject = found[0]
    report = ValueReport(
        team_id=actor.member.team_id,
        team=actor.member.team,
        created_by=actor,
        person=subject.person,
        organisation=subject.org,
        period_from=days[0],
        period_to=days[1],
        language=language,
    )
    url = ""
    if link:
        try:
            report, token = services.value_report_create(
                actor=actor,
                person=subject.person,
                organisation=subject.org,
                period_from=days[0],
                period_to=days[1],
                language=language,
            )
        except ValidationError as exc:
            _fail(escape(_validation_message(exc)))
        url = f"/p/value/{token}/"
    with translation.override(language):
        view = queries.report_view(report)
        if pdf is not None:
            pathlib.Path(pdf).write_bytes(
                render_pdf("value/report_print.html", {"view": view, "report": report})
            )
    if as_json:
        out = {
            "client": view.client,
            "from": str(view.period_from),
            "to": str(view.period_to),
            "language": language,
            "kinds": [
                {
                    "kind": g.kind,
                    "label": g.label,
                    "items": [
                        {
                            "id": i.pk,
                            "title": i.title,
                            "delivered_on": str(i.delivered_on),
                            "amount": str(i.amount) if i.amount is not None else None,
                            "currency": i.currency or None,
                            "hours": str(i.hours) if i.hours is not None else None,
                            "told": i.told_at is not None,
                            "through": i.person.display_name
                            if view.for_organisation and i.person is not None
                            else None,
                        }
                        for i in g.items
                    ],
                }
                for g in view.groups
            ],
            "totals": [{"currency": c, "amount": str(a)} for c, a in view.totals.money_rows],
            "hours": str(view.totals.hours),
            "not_told": view.totals.not_told,
            "link": url or None,
            "pdf": str(pdf) if pdf is not None else None,
        }
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    console.print(
        f"[bold]{escape(view.client)}[/bold]: {view.period_from} – {view.period_to}", emoji=False
    )
    table = Table()
    for column in ("Kind", "Delivered", "What", "Amount", "Hours", "Told"):
        table.add_column(column)
    for group in view.groups:
        for item in group.items:
            table.add_row(
                escape(group.label),
                str(item.delivered_on),
                escape(item.title),
                f"{item.amount:,.2f} {item.currency}" if item.amount is not None else "",
                f"{item.hours.normalize():f}" if item.hours is not None else "",
                "yes" if item.told_at else "not yet",
            )
    console.print(table, emoji=False)
    money = " · ".join(f"{a:,.2f} {c}" for c, a in view.totals.money_rows) or "-"
    console.print(
        f"{view.totals.count} items · {money} · {view.totals.hours.normalize():f} hours · "
        f"{view.totals.not_told} not yet told",
        highlight=False,
    )
    if pdf is not None:
        console.print(f"PDF written to {escape(str(pdf))}", highlight=False)
    if url:
        console.print(f"Client's link (shown once; prefix it with your site's address): {url}")


# The gift register (rapport/gifts/cli.py).
from rapport.gifts.cli import gifts_command as _gifts_command  # noqa: E402

app.command("gifts")(_gifts_command)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
