"""Keeping HistoryLedger honest: database triggers forget a person's ledger whenever a
participation it covers is written, whatever writes it (a form, an import, a merge
that moves rows, a restore, a cascade, or plain SQL).

The triggers are installed by migration trust 0002 and again after every `migrate`:
SQLite rebuilds a table for some schema changes, which drops its triggers."""

from __future__ import annotations

from typing import Any

# The columns a ledger sums over: an update of any other column leaves it valid.
COLUMNS = "person_id, occurred_at, kind, focus, visibility, moments"

_SQLITE_FORGET = """DELETE FROM trust_historyledger WHERE person_id = {row}.person_id
    AND julianday(upto) >= julianday({row}.occurred_at);"""

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS trust_ledger_forget_insert
        AFTER INSERT ON interactions_participation
        BEGIN {_SQLITE_FORGET.format(row="NEW")} END""",
    f"""CREATE TRIGGER IF NOT EXISTS trust_ledger_forget_update
        AFTER UPDATE OF {COLUMNS} ON interactions_participation
        BEGIN {_SQLITE_FORGET.format(row="OLD")} {_SQLITE_FORGET.format(row="NEW")} END""",
    f"""CREATE TRIGGER IF NOT EXISTS trust_ledger_forget_delete
        AFTER DELETE ON interactions_participation
        BEGIN {_SQLITE_FORGET.format(row="OLD")} END""",
]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION trust_ledger_forget() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           DELETE FROM trust_historyledger
           WHERE person_id = OLD.person_id AND upto >= OLD.occurred_at;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           DELETE FROM trust_historyledger
           WHERE person_id = NEW.person_id AND upto >= NEW.occurred_at;
         END IF;
         RETURN NULL;
       END $$""",
    "DROP TRIGGER IF EXISTS trust_ledger_forget ON interactions_participation",
    f"""CREATE TRIGGER trust_ledger_forget
        AFTER INSERT OR DELETE OR UPDATE OF {COLUMNS} ON interactions_participation
        FOR EACH ROW EXECUTE FUNCTION trust_ledger_forget()""",
]

REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS trust_ledger_forget_insert",
        "DROP TRIGGER IF EXISTS trust_ledger_forget_update",
        "DROP TRIGGER IF EXISTS trust_ledger_forget_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS trust_ledger_forget ON interactions_participation",
        "DROP FUNCTION IF EXISTS trust_ledger_forget()",
    ],
}


def install(connection: Any) -> None:
    """Create the triggers (idempotent). Any other database gets none, and its cards
    never use a ledger (see `usable`)."""
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in REMOVE.get(connection.vendor, []):
            cursor.execute(sql)


def usable(connection: Any) -> bool:
    """Whether this database keeps its ledgers honest."""
    return connection.vendor in ("sqlite", "postgresql")


def after_migrate(using: str = "default", **_kwargs: Any) -> None:
    from django.db import connections

    connection = connections[using]
    if "trust_historyledger" in connection.introspection.table_names():
        install(connection)
