"""The tie graph of each team, kept in this process and brought up to date cheaply.

`graph_for(team_id)` returns a `graph.TieGraph` of the team's ties. The first call
builds it from the database (one streamed query into numpy arrays); later calls compare
a stamp (the newest `updated_at` of the team's ties, read from an index) and, when it
moved, read only the ties written since and apply them with `TieGraph.update`, instead
of building again. Ties deleted since (a user deleting one, a person deleted with theirs,
a tie found in conversations whose conversations went) do not move that stamp: the
number of ties is compared too, at most every `COUNT_EVERY` seconds (counting a large
team's ties is not free) or on every call with `exact=True`, and when it differs the
ids are compared to find the ties that went.

The graph holds every tie of the team whatever its people's visibility, and a tie of
strength 0 not at all (nothing goes through it). Callers filter what a user may see.
A process keeps one graph per team it served; `forget()` drops them.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Max

from rapport.network.graph import TieGraph
from rapport.network.models import Tie

# How far back to read ties again when the stamp moves: a write whose transaction began
# before the newest one seen may commit after it, with an older `updated_at`.
SLACK = dt.timedelta(seconds=120)
COUNT_EVERY = 30.0
CHUNK = 50_000


@dataclass
class _Entry:
    graph: TieGraph
    stamp: dt.datetime | None
    # The ties the graph holds, by id (sorted), with their two people.
    ids: npt.NDArray[np.int64]
    a: npt.NDArray[np.int64]
    b: npt.NDArray[np.int64]
    counted_at: float


_cache: dict[int, _Entry] = {}
_lock = threading.Lock()


def forget(team_id: int | None = None) -> None:
    """Drop the cached graph of one team (or of all teams)."""
    with _lock:
        if team_id is None:
            _cache.clear()
        else:
            _cache.pop(team_id, None)


def _stamp(team_id: int) -> dt.datetime | None:
    found: dt.datetime | None = Tie.objects.filter(team_id=team_id).aggregate(m=Max("updated_at"))[
        "m"
    ]
    return found


def _chunks(team_id: int, since: dt.datetime | None = None) -> Iterator[npt.NDArray[np.float64]]:
    """The team's ties (written since `since`) as arrays of rows (id, a, b, strength),
    streamed: a large team's ties are never all held as Python tuples at once."""
    table = Tie._meta.db_table
    sql = f"SELECT id, person_a_id, person_b_id, strength FROM {table} WHERE team_id = %s"  # noqa: S608
    params: list[Any] = [team_id]
    if since is not None:
        sql += " AND updated_at >= %s"
        params.append(since)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id", params)
        while chunk := cursor.fetchmany(CHUNK):
            yield np.array(chunk, dtype=np.float64).reshape(-1, 4)


def _build(team_id: int) -> _Entry:
    stamp = _stamp(team_id)
    data = np.concatenate([np.zeros((0, 4)), *_chunks(team_id)])
    ids = data[:, 0].astype(np.int64)
    a = data[:, 1].astype(np.int64)
    b = data[:, 2].astype(np.int64)
    strength = data[:, 3]
    del data
    usable = strength > 0.0
    graph = TieGraph.build(a[usable], b[usable], strength[usable])
    return _Entry(graph, stamp, ids, a, b, time.monotonic())


def _catch_up(team_id: int, entry: _Entry, stamp: dt.datetime | None, count: bool) -> None:
    """Apply the ties written since the entry's stamp, and (with `count`) remove those
    deleted since."""
    changes: list[tuple[int, int, float | None]] = []
    if stamp != entry.stamp and stamp is not None:
        since = entry.stamp - SLACK if entry.stamp is not None else None
        new_ids, new_a, new_b = [], [], []
        rows = [
            (int(row[0]), int(row[1]), int(row[2]), float(row[3]))
            for chunk in _chunks(team_id, since)
            for row in chunk
        ]
        for pk, a, b, strength in rows:
            at = int(np.searchsorted(entry.ids, pk))
            known = at < len(entry.ids) and entry.ids[at] == pk
            if known and (entry.a[at], entry.b[at]) != (a, b):
                # Re-pointed (a merge of two records of one person): the old pair goes.
                changes.append((int(entry.a[at]), int(entry.b[at]), None))
                entry.a[at], entry.b[at] = a, b
            elif not known:
                new_ids.append(pk)
                new_a.append(a)
                new_b.append(b)
            changes.append((a, b, strength if strength > 0.0 else None))
        if new_ids:
            ids = np.concatenate([entry.ids, np.asarray(new_ids, dtype=np.int64)])
            order = np.argsort(ids, kind="stable")
            entry.ids = ids[order]
            entry.a = np.concatenate([entry.a, np.asarray(new_a, dtype=np.int64)])[order]
            entry.b = np.concatenate([entry.b, np.asarray(new_b, dtype=np.int64)])[order]
    if count:
        entry.counted_at = time.monotonic()
        if Tie.objects.filter(team_id=team_id).count() != len(entry.ids):
            current = np.fromiter(
                Tie.objects.filter(team_id=team_id).values_list("pk", flat=True).iterator(CHUNK),
                dtype=np.int64,
            )
            gone = ~np.isin(entry.ids, current)
            changes.extend(
                (int(a), int(b), None) for a, b in zip(entry.a[gone], entry.b[gone], strict=True)
            )
            keep = ~gone
            entry.ids, entry.a, entry.b = entry.ids[keep], entry.a[keep], entry.b[keep]
    if changes:
        entry.graph = entry.graph.update(changes)
    entry.stamp = stamp


def graph_for(team_id: int, *, exact: bool = False) -> TieGraph:
    """The team's tie graph, up to date with every tie written before the call (and
    every tie deleted, with `exact`, or as of at most COUNT_EVERY seconds ago)."""
    stamp = _stamp(team_id)
    with _lock:
        entry = _cache.get(team_id)
        if entry is None:
            entry = _cache[team_id] = _build(team_id)
            return entry.graph
        count = exact or time.monotonic() - entry.counted_at >= COUNT_EVERY
        if stamp != entry.stamp or count:
            _catch_up(team_id, entry, stamp, count)
        return entry.graph
