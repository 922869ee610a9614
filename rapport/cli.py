"""The `rapport` command: a thin layer over the same services the web app uses."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

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


def _serve(host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from rapport.wsgi import application

    console.print(f"Serving Rapport at [bold]http://{host}:{port}[/bold]  (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="rapport")


def _is_loopback(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads")] = 8,
) -> None:
    """Serve the web app and API (migrating the database first).

    Example: rapport serve --host 127.0.0.1 --port 8000
    """
    _setup(local_http=_is_loopback(host))
    _migrate()
    _serve(host, port, threads)


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


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run what is due now, then stop (for cron)")
    ] = False,
) -> None:
    """Run background work: the morning agenda emails, through django.tasks' database
    queue. Keep one running beside `rapport serve`.

    Example: rapport worker
    """
    _setup()
    from django.core.management import call_command

    from rapport.core.tasks import agenda_emails_schedule

    _migrate()
    queued = agenda_emails_schedule()
    console.print(f"Morning agenda emails queued for {queued} member(s).")
    call_command("db_worker", batch=once, verbosity=1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
