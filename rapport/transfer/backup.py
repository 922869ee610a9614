"""Backup and restore of a whole team as one JSON document.

The document is versioned and written as it is read from the database, one row per
line, so a backup never holds a team in memory:

    {"format": "rapport-backup", "version": 1, "created_at": "...",
     "team": {"id": 3, "name": "Alpha Advisory"},
     "tables": {"accounts.team": {"fields": ["id", "name", ...], "rows": [[3, ...]]},
                "auth.user": ..., ...}}

`TABLES` lists every table a team owns, parents before children, so a restore can
insert them in that order. Columns are the model's concrete fields by their database
name (`person_id`, not `person`); dates and times are ISO 8601 with their offset;
JSON columns are kept as JSON. An evidence attachment travels inside the backup as an
extra column, `attachment.content`, holding the file's bytes in base64.

Users are the team's members plus anyone else a team row names (say, the author of
an audit entry), with their password hashes so they can log in after a restore.
API tokens, survey links, share links and calendar feeds are stored as digests only,
and backed up as digests: a backup never holds a secret that opens anything, and the
links the team sent out keep working after a restore. Left out: background-task rows,
sessions, login-attempt records, and Django groups and per-user permissions (Rapport
uses neither); and the few Rapport tables in `LEFT_OUT`, each with its reason.

Restore gives every row a new id. Ids are never reused from the file, so a team can
come back into a database that holds other teams, and the database's own counters
(PostgreSQL sequences) stay right. Rows go in in the order of their old ids, so ids
keep their relative order and every listing that breaks ties by id reads the same.
The whole restore is one transaction: any error (bad JSON, another format, a newer
version, a missing table or column, a row the database refuses) raises `BackupError`
naming what is wrong, and leaves the database as it was. A restore reads the whole
file into memory before it writes anything (the standard library has no streaming JSON
reader): fine for a team's book, a limit for a very large one.

An audit entry names its object by type and id; a restore points it at the object's
new id, or at nothing if that object was deleted before the backup. Ids written inside
JSON columns (an audit entry's `changes`) are kept as they were.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from rapport.accounts.models import Member, Team
from rapport.interactions.models import MIRRORED, Participation, copy_mirrored

FORMAT = "rapport-backup"
VERSION = 1
BATCH = 500


class BackupError(Exception):
    """A backup that cannot be read or restored; the message says what is wrong."""


@dataclass(frozen=True)
class _Scope:
    """Whose rows a backup takes: the team, its members' users, and every user that
    the team's rows name."""

    team_id: int
    member_user_ids: frozenset[int]
    user_ids: frozenset[int]


def _team(scope: _Scope) -> Q:
    return Q(team_id=scope.team_id)


def _via(path: str) -> Callable[[_Scope], Q]:
    return lambda scope: Q(**{f"{path}__team_id": scope.team_id})


def _members_own(scope: _Scope) -> Q:
    return Q(user_id__in=scope.member_user_ids)


# Every table a team owns, parents first. A foreign key to a table later in the list
# (or to its own table, as "introduced by") is filled in after all rows are in.
TABLES: tuple[tuple[str, Callable[[_Scope], Q]], ...] = (
    ("accounts.team", lambda scope: Q(pk=scope.team_id)),
    ("auth.user", lambda scope: Q(pk__in=scope.user_ids)),
    ("accounts.apitoken", _members_own),
    ("portal.calendarfeed", _members_own),
    ("people.tag", _team),
    ("people.organisation", _team),
    ("people.person", _team),
    ("people.person_tags", _via("person")),
    ("people.role", _via("person")),
    ("people.channel", _via("person")),
    ("people.fact", _via("person")),
    ("people.distinctpair", _team),
    ("accounts.member", _team),
    ("network.tie", _team),
    ("network.referral", _team),
    ("deals.dealsettings", _team),
    ("deals.pipeline", _team),
    ("deals.stage", _via("pipeline")),
    ("deals.deal", _team),
    ("deals.deal_people", _via("deal")),
    ("deals.stagechange", _via("deal")),
    ("deals.investment", _via("deal")),
    ("deals.stoplossdecision", _via("deal")),
    ("deals.competitor", _team),
    ("deals.tender", _team),
    ("deals.bid", _via("tender")),
    ("gifts.giftpolicy", _team),
    ("gifts.gift", _team),
    ("interactions.interaction", _team),
    ("interactions.participation", _via("interaction")),
    ("interactions.signal", _via("interaction")),
    ("commitments.commitment", _team),
    ("commitments.renegotiation", _via("commitment")),
    ("commitments.milestone", _via("commitment")),
    ("commitments.risk", _via("commitment")),
    ("commitments.meeting", _via("interaction")),
    ("commitments.decision", _via("interaction")),
    ("trust.evidence", _team),
    ("trust.evidenceshown", _team),
    ("trust.claim", _team),
    ("trust.survey", _team),
    ("trust.surveyanswer", _via("survey")),
    ("trust.trustscore", _team),
    ("trust.trustsnapshot", _team),
    ("portal.sharelink", _team),
    ("portal.sharelinkview", _via("link")),
    ("transfer.importedcontact", _team),
    ("value.valueitem", _team),
    ("value.valuereport", _team),
    ("agreements.agreement", _team),
    ("agreements.clause", _via("agreement")),
    ("agreements.obligation", _via("clause__agreement")),
    ("accounts.auditentry", _team),
)
LABELS = tuple(label for label, _ in TABLES)
# Rapport's own tables a backup leaves out on purpose, and why.
# Tables added since the first backups were written: a backup without one restores it
# empty (there was nothing in it then), like a column added since takes its default.
ADDED_LATER = frozenset(
    {
        "people.distinctpair",
        "network.tie",
        "network.referral",
        "deals.dealsettings",
        "deals.pipeline",
        "deals.stage",
        "deals.deal",
        "deals.deal_people",
        "deals.stagechange",
        "deals.investment",
        "deals.stoplossdecision",
        "deals.competitor",
        "deals.tender",
        "deals.bid",
        "value.valueitem",
        "value.valuereport",
        "agreements.agreement",
        "agreements.clause",
        "agreements.obligation",
        "gifts.giftpolicy",
        "gifts.gift",
    }
)
# Columns copied from another row, which a restore fills in again from that row (a
# backup made before they existed lacks them).
COPIED = {"interactions.participation": frozenset({*MIRRORED, "moments"}) - {"occurred_at"}}

LEFT_OUT = {
    "transfer.importjob": "a record of a past upload, whose file is not part of the backup",
    "trust.historyledger": "sums of older conversations that the next trust card rebuilds",
}
_POSITION = {label: n for n, label in enumerate(LABELS)}
CONTENT = ".content"  # suffix of the column that carries a file field's bytes
# Columns that hold another row's id without a foreign key: (id column, column naming
# the row's model). An audit entry names its object so; a restore points it at the
# object's new id, or at nothing when the object was deleted before the backup.
SOFT_REFERENCES = {"accounts.auditentry": ("object_id", "object_type")}


def soft_target(model_name: str) -> str | None:
    """The backup table of an audit entry's `object_type` (a model name), if any."""
    for label in LABELS:
        if table_model(label)._meta.model_name == model_name:
            return label
    return None


def table_model(label: str) -> type[models.Model]:
    """The model behind a backup table's label ("people.person_tags" is the table
    joining people to their tags)."""
    app_label, name = label.split(".")
    if label == "auth.user":
        return get_user_model()
    return apps.get_model(app_label, name)


def _label(model: type[models.Model]) -> str:
    return "auth.user" if model is get_user_model() else model._meta.label_lower


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _columns(model: type[models.Model]) -> list[str]:
    names = []
    for field in _fields(model):
        names.append(field.attname)
        if isinstance(field, models.FileField):
            names.append(field.attname + CONTENT)
    return names


def foreign_keys(model: type[models.Model]) -> dict[str, str]:
    """Each foreign key column of the model and the backup table it points into."""
    return {
        field.attname: _label(field.related_model)  # type: ignore[arg-type]
        for field in _fields(model)
        if field.is_relation and field.related_model is not None
    }


# -- writing ---------------------------------------------------------------------------


def _writer(stream: IO[Any]) -> Callable[[str], Any]:
    """Write text to a text stream, or UTF-8 to a binary one."""
    if isinstance(stream, io.TextIOBase):
        return stream.write
    return lambda text: stream.write(text.encode("utf-8"))


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


def _scope(team: Team) -> _Scope:
    members = frozenset(Member.objects.filter(team=team).values_list("user_id", flat=True))
    users = set(members)
    for label, where in TABLES:
        model = table_model(label)
        if label == "auth.user" or model is get_user_model():
            continue
        scope = _Scope(team.pk, members, members)
        for column, target in foreign_keys(model).items():
            if target == "auth.user":
                users.update(
                    model._base_manager.filter(where(scope))
                    .exclude(**{column: None})
                    .values_list(column, flat=True)
                    .distinct()
                )
    return _Scope(team.pk, members, frozenset(users))


def _rows(label: str, scope: _Scope) -> Iterator[list[Any]]:
    model = table_model(label)
    fields = _fields(model)
    where = dict(TABLES)[label]
    names = [f.attname for f in fields]
    files = [n for n, f in enumerate(fields) if isinstance(f, models.FileField)]
    query = model._base_manager.filter(where(scope)).order_by("pk").values_list(*names)
    for values in query.iterator(chunk_size=2000):
        row = []
        for n, value in enumerate(values):
            row.append(_encode(value))
            if n in files:
                row.append(_file_content(fields[n], value))
        yield row


def _file_content(field: models.Field[Any, Any], name: str | None) -> str | None:
    """A stored file's bytes in base64, or None when there is no file (or it is gone
    from the storage, in which case only its name is kept)."""
    if not name:
        return None
    storage = field.storage  # type: ignore[attr-defined]
    try:
        with storage.open(name, "rb") as handle:
            return base64.b64encode(handle.read()).decode("ascii")
    except OSError:
        return None


def _write_team(write: Callable[[str], Any], team: Team) -> None:
    scope = _scope(team)
    write(f'"team": {json.dumps({"id": team.pk, "name": team.name}, ensure_ascii=False)}')
    write(',\n"tables": {')
    for t, label in enumerate(LABELS):
        columns = json.dumps(_columns(table_model(label)))
        write(f'{"," if t else ""}\n{json.dumps(label)}: {{"fields": {columns}, "rows": [')
        for r, row in enumerate(_rows(label, scope)):
            write(("," if r else "") + "\n" + json.dumps(row, ensure_ascii=False))
        write("]}")
    write("\n}")


def _header() -> str:
    created = timezone.now().isoformat()
    return f'{{"format": "{FORMAT}", "version": {VERSION}, "created_at": "{created}",\n'


def _consistent_read() -> None:
    """Make the backup one consistent picture even while others write: PostgreSQL needs
    repeatable read for that (SQLite's transactions read a snapshot anyway). Only the
    outermost transaction can choose, before its first query."""
    if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def backup_team(team: Team, stream: IO[Any]) -> None:
    """Write the team and everything it owns to `stream` (text, or binary as UTF-8)."""
    write = _writer(stream)
    with transaction.atomic():
        _consistent_read()
        write(_header())
        _write_team(write, team)
        write("}\n")


def backup_all(stream: IO[Any]) -> None:
    """Write every team of the database to `stream`, one document with a list of teams."""
    write = _writer(stream)
    with transaction.atomic():
        _consistent_read()
        write(_header())
        write('"teams": [')
        for n, team in enumerate(Team.objects.order_by("pk")):
            write(("," if n else "") + "\n{")
            _write_team(write, team)
            write("}")
        write("\n]}\n")


# -- reading ---------------------------------------------------------------------------


def _load(stream: IO[Any] | bytes | str) -> Any:
    data = stream if isinstance(stream, (bytes, str)) else stream.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BackupError(
                f"not a Rapport backup: the file is not UTF-8 text (byte {exc.start})"
            ) from exc
    if not data.strip():
        raise BackupError("not a Rapport backup: the file is empty")
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        # A whole backup ends with its closing brace; one cut short by a full disk or an
        # interrupted copy does not.
        cut = not data.rstrip().endswith("}")
        hint = " (it ends too early: is the file truncated?)" if cut else ""
        raise BackupError(
            f"not a Rapport backup: the file is not valid JSON{hint}: "
            f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc


def _check_header(doc: Any) -> None:
    if not isinstance(doc, dict):
        raise BackupError("not a Rapport backup: the file holds no JSON object")
    found = doc.get("format")
    if found != FORMAT:
        what = "no “format”" if found is None else f"format “{found}”"
        raise BackupError(f"not a Rapport backup: the file has {what}, expected “{FORMAT}”")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BackupError(f"the backup's version {version!r} is not a number")
    if version != VERSION:
        newer = " (made by a newer Rapport)" if version > VERSION else ""
        raise BackupError(
            f"unknown backup version {version}{newer}; this Rapport reads version {VERSION}"
        )


@dataclass
class _Table:
    label: str
    model: type[models.Model]
    fields: list[models.Field[Any, Any]]
    positions: dict[str, int]  # column name → position in the file's rows
    rows: list[list[Any]]


def _tables(body: Any, where: str) -> dict[str, _Table]:
    at = f"{where}: " if where else ""
    if not isinstance(body, dict):
        raise BackupError(f"{at}a team must be a JSON object")
    tables = body.get("tables")
    if not isinstance(tables, dict):
        raise BackupError(f"{at}the backup has no “tables” object")
    unknown = sorted(set(tables) - set(LABELS))
    if unknown:
        raise BackupError(f"{at}unknown table “{unknown[0]}” (is the backup newer?)")
    result = {}
    for label in LABELS:
        if label not in tables:
            if label not in ADDED_LATER:
                raise BackupError(f"{at}the backup is missing table “{label}”")
            # A backup made before this table existed: it had no rows then.
            columns = list(_columns(table_model(label)))
            tables = {**tables, label: {"fields": columns, "rows": []}}
        result[label] = _table(label, tables[label], where)
    return result


def _table(label: str, raw: Any, where: str) -> _Table:
    at = f"{where}: " if where else ""
    model = table_model(label)
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
        raise BackupError(f"{at}table “{label}” has no list of “fields”")
    if not isinstance(raw.get("rows"), list):
        raise BackupError(f"{at}table “{label}” has no list of “rows”")
    names = raw["fields"]
    expected = _columns(model)
    unknown = [n for n in names if n not in expected]
    if unknown:
        raise BackupError(f"{at}table “{label}” has unknown field “{unknown[0]}”")
    if len(set(names)) != len(names):
        raise BackupError(f"{at}table “{label}” names a field twice")
    fields = _fields(model)
    for field in fields:
        # A column added to the model since the backup was made takes its default.
        if field.attname in COPIED.get(label, ()):
            continue
        if field.attname not in names and not (field.has_default() or field.null):
            raise BackupError(f"{at}table “{label}” lacks field “{field.attname}”")
    if model._meta.pk.attname not in names:  # type: ignore[union-attr]
        raise BackupError(f"{at}table “{label}” lacks its id field")
    rows = raw["rows"]
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(names):
            raise BackupError(f"{at}table “{label}” row {n} does not have {len(names)} values")
    return _Table(label, model, fields, {name: n for n, name in enumerate(names)}, rows)


class _Restore:
    """One team's rows going in: new ids by table, files written so far, and the
    foreign keys that wait for their target rows."""

    def __init__(self, where: str) -> None:
        self.where = f"{where}: " if where else ""
        self.ids: dict[str, dict[Any, int]] = {label: {} for label in LABELS}
        self.deferred: list[tuple[str, models.Model, str, str, Any, int]] = []
        self.files: list[tuple[Any, str]] = []

    def fail(self, table: _Table, n: int, row: list[Any], message: str) -> BackupError:
        pk = row[table.positions[table.model._meta.pk.attname]]  # type: ignore[union-attr]
        return BackupError(f"{self.where}table “{table.label}” row {n} (id {pk!r}): {message}")

    def insert(self, table: _Table) -> None:
        pk_name = table.model._meta.pk.attname  # type: ignore[union-attr]
        targets = foreign_keys(table.model)
        position = _POSITION[table.label]
        pending: list[tuple[int, list[Any], models.Model]] = []
        rows = sorted(
            enumerate(table.rows, start=1),
            key=lambda item: _sort_key(item[1][table.positions[pk_name]]),
        )
        seen: set[Any] = set()
        soft = SOFT_REFERENCES.get(table.label)
        for n, row in rows:
            old = row[table.positions[pk_name]]
            if not isinstance(old, int) or isinstance(old, bool) or old in seen:
                raise self.fail(table, n, row, "the id is not a number, or not unique")
            seen.add(old)
            values: dict[str, Any] = {}
            later: list[tuple[str, str, Any]] = []
            for field in table.fields:
                name = field.attname
                if name == pk_name:
                    continue
                if name not in table.positions:
                    continue  # takes the model's default
                value = row[table.positions[name]]
                if name in targets:
                    target = targets[name]
                    if value is None:
                        values[name] = None
                    elif _POSITION[target] >= position:
                        values[name] = None
                        later.append((name, target, value))
                    else:
                        values[name] = self.new_id(table, n, row, name, target, value)
                elif isinstance(field, models.FileField):
                    values[name] = self.file(table, n, row, field, value)
                elif soft is not None and name == soft[0] and value is not None:
                    values[name] = self.soft(table, n, row, soft, value)
                else:
                    values[name] = self.python(table, n, row, field, value)
            obj = table.model(**values)
            self.deferred.extend((table.label, obj, *item, n) for item in later)
            pending.append((n, row, obj))
            if len(pending) >= BATCH:
                self.flush(table, pending)
                pending = []
        if pending:
            self.flush(table, pending)

    def new_id(
        self, table: _Table, n: int, row: list[Any], name: str, target: str, old: Any
    ) -> int:
        try:
            return self.ids[target][old]
        except (KeyError, TypeError):
            raise self.fail(
                table, n, row, f"{name} {old!r} is not a row of “{target}” in the backup"
            ) from None

    def soft(self, table: _Table, n: int, row: list[Any], soft: tuple[str, str], value: Any) -> Any:
        kind = row[table.positions[soft[1]]] if soft[1] in table.positions else None
        target = soft_target(kind) if isinstance(kind, str) else None
        if target is None:
            field = next(f for f in table.fields if f.attname == soft[0])
            return self.python(table, n, row, field, value)
        return self.ids[target].get(value)

    def python(
        self, table: _Table, n: int, row: list[Any], field: models.Field[Any, Any], value: Any
    ) -> Any:
        if value is None or isinstance(field, models.JSONField):
            return value
        try:
            result = field.to_python(value)
        except (ValidationError, TypeError, ValueError) as exc:
            raise self.fail(table, n, row, f"{field.attname} {value!r} is not valid") from exc
        if isinstance(result, dt.datetime) and timezone.is_naive(result):
            raise self.fail(table, n, row, f"{field.attname} {value!r} has no time zone")
        return result

    def file(
        self, table: _Table, n: int, row: list[Any], field: models.Field[Any, Any], name: Any
    ) -> str:
        if not name:
            return ""
        if not isinstance(name, str):
            raise self.fail(table, n, row, f"{field.attname} {name!r} is not a file name")
        encoded = row[table.positions[field.attname + CONTENT]]
        if encoded is None:
            return name  # the file was already missing when the backup was made
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, TypeError, ValueError) as exc:
            raise self.fail(table, n, row, f"{field.attname}{CONTENT} is not base64") from exc
        storage = field.storage  # type: ignore[attr-defined]
        if storage.exists(name):
            with storage.open(name, "rb") as handle:
                if handle.read() == content:
                    return name
        saved: str = storage.save(name, ContentFile(content))
        self.files.append((storage, saved))
        return saved

    def flush(self, table: _Table, pending: list[tuple[int, list[Any], models.Model]]) -> None:
        try:
            with transaction.atomic():
                new_ids = _insert(table.model, [obj for _, _, obj in pending])
        except DatabaseError:
            self.blame(table, pending)
            raise
        pk_name = table.model._meta.pk.attname  # type: ignore[union-attr]
        for (n, row, obj), pk in zip(pending, new_ids, strict=True):
            if pk is None:  # pragma: no cover - every supported database returns ids
                raise self.fail(table, n, row, "the database returned no id")
            obj.pk = pk
            self.ids[table.label][row[table.positions[pk_name]]] = pk

    def blame(self, table: _Table, pending: list[tuple[int, list[Any], models.Model]]) -> None:
        """Find the row the database refused, inserting one at a time, and raise for it."""
        for n, row, obj in pending:
            try:
                with transaction.atomic():
                    _insert(table.model, [obj])
            except DatabaseError as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise self.fail(table, n, row, f"the database refused it: {message}") from exc

    def finish(self, tables: dict[str, _Table]) -> None:
        """Fill in the foreign keys that point forward or into their own table: one
        update per (column, new value), as few rows have them."""
        updates: dict[tuple[str, str, int], list[Any]] = {}
        for label, obj, name, target, value, n in self.deferred:
            table = tables[label]
            new = self.new_id(table, n, table.rows[n - 1], name, target, value)
            updates.setdefault((label, name, new), []).append(obj.pk)
        for (label, name, new), pks in updates.items():
            tables[label].model._base_manager.filter(pk__in=pks).update(**{name: new})

    def remove_files(self) -> None:
        for storage, name in self.files:
            storage.delete(name)


def _insert(model: type[models.Model], objs: list[models.Model]) -> list[Any]:
    """Insert rows as they are and return their new ids, in order.

    A raw insert, as Django's own fixture loading does: `bulk_create` would stamp
    `auto_now` fields (created_at, updated_at) with the current time, and the backup's
    times must survive. This is the manager's `_insert`, the call `Model.save` and
    `bulk_create` are built on."""
    pk = model._meta.pk
    fields = [f for f in model._meta.local_concrete_fields if f is not pk]
    manager: Any = model._base_manager
    if connection.features.can_return_rows_from_bulk_insert:
        size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
        ids: list[Any] = []
        for start in range(0, len(objs), size):
            rows = manager._insert(
                objs[start : start + size], fields=fields, returning_fields=[pk], raw=True
            )
            ids.extend(row[0] for row in rows)
        return ids
    return [  # pragma: no cover - SQLite before 3.35
        manager._insert([obj], fields=fields, returning_fields=[pk], raw=True)[0][0] for obj in objs
    ]


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int) else (1, str(value))


def _check_free(tables: dict[str, _Table], where: str, *, replace: bool) -> Team | None:
    at = f"{where}: " if where else ""
    teams = tables["accounts.team"]
    if len(teams.rows) != 1:
        raise BackupError(f"{at}table “accounts.team” must hold one team, not {len(teams.rows)}")
    name = teams.rows[0][teams.positions["name"]]
    existing = Team.objects.filter(name=name).first()
    if existing is not None and not replace:
        raise BackupError(f"{at}team “{name}” already exists in this database")
    users = tables["auth.user"]
    field = get_user_model().USERNAME_FIELD
    usernames = [row[users.positions[field]] for row in users.rows]
    taken = get_user_model()._default_manager.filter(**{f"{field}__in": usernames})
    if existing is not None:
        taken = taken.exclude(member__team=existing)
    clash = sorted(str(u) for u in taken.values_list(field, flat=True))
    if clash:
        raise BackupError(
            f"{at}user “{clash[0]}” already exists in this database"
            + (f" (and {len(clash) - 1} more)" if len(clash) > 1 else "")
        )
    return existing


def _remove_team(team: Team) -> None:
    """Delete a team with every row it owns and its members' user accounts."""
    user_ids = list(Member.objects.filter(team=team).values_list("user_id", flat=True))
    team.delete()
    get_user_model()._default_manager.filter(pk__in=user_ids).delete()


def _restore_body(body: Any, where: str, *, replace: bool) -> Team:
    tables = _tables(body, where)
    existing = _check_free(tables, where, replace=replace)
    if existing is not None:
        _remove_team(existing)
    restore = _Restore(where)
    try:
        for label in LABELS:
            restore.insert(tables[label])
        restore.finish(tables)
        teams = tables["accounts.team"]
        team_id = restore.ids["accounts.team"][teams.rows[0][teams.positions["id"]]]
        copy_mirrored(Participation.objects.filter(interaction__team_id=team_id))
    except BaseException:
        restore.remove_files()
        raise
    return Team.objects.get(pk=team_id)


def restore_team(stream: IO[Any] | bytes | str, *, into_empty: bool = True) -> Team:
    """Restore one team from a backup made by `backup_team`, in one transaction.

    With `into_empty` (the default) the team and its users must not exist in this
    database (other teams may); otherwise `BackupError`. With `into_empty=False` a
    team of the same name is replaced: it and its members' accounts are deleted in
    the same transaction, so a failed restore leaves it as it was.
    Raises `BackupError` naming what is wrong; the database is then unchanged."""
    doc = _load(stream)
    _check_header(doc)
    if "teams" in doc and "tables" not in doc:
        raise BackupError("this is a backup of every team: restore it with restore_all")
    try:
        with transaction.atomic():
            return _restore_body(doc, "", replace=not into_empty)
    except DatabaseError as exc:  # pragma: no cover - rows are checked one by one above
        raise BackupError(f"the database refused the backup: {exc}") from exc


def restore_all(stream: IO[Any] | bytes | str) -> list[Team]:
    """Restore every team of a backup made by `backup_all` (or a one-team backup), in
    one transaction; no team of the backup nor any of their users may exist yet."""
    doc = _load(stream)
    _check_header(doc)
    bodies: Iterable[Any]
    if "tables" in doc:
        bodies = [doc]
    elif isinstance(doc.get("teams"), list):
        bodies = doc["teams"]
    else:
        raise BackupError("the backup has neither “tables” nor a list of “teams”")
    restored = []
    with transaction.atomic():
        for n, body in enumerate(bodies, start=1):
            where = f"team {n}"
            if isinstance(body, dict) and isinstance(body.get("team"), dict):
                where = f"team {n} (“{body['team'].get('name', '?')}”)"
            restored.append(_restore_body(body, where, replace=False))
    return restored
