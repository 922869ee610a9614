"""The tie graph: who knows whom, as compact arrays, and the warm paths through it.

Pure maths over plain data (no Django import): `rapport.network.index` loads the ties
of a team from the database into a `TieGraph` and keeps it fresh with `update`.

Storage. Person ids (any ints, sparse) are mapped to dense indices 0..n-1 by a sorted
id array. Each tie is stored in both directions in CSR arrays (`indptr`, `indices`,
`weights`); within a row the ties are ordered strongest first, so "the ties of `a`
stronger than w" is a prefix of its row. A parallel key `row + (1 - weight)`, sorted
over the whole array, finds the length of that prefix for thousands of rows in one
`searchsorted`. At 10M ties this is about 400 MB.

Changes after the build go to a small overlay (a dict per touched person); a row with
changes is merged from its CSR slice and the overlay when read. `update` returns a new
graph sharing the arrays, so a reader holding the old one never sees half a change.
The overlay is folded into fresh arrays once it holds `COMPACT_AT` changed ties.

Paths. A path's score is the product of its tie strengths; the search minimises the
sum of -ln(strength), which is the same order. An introduction longer than four hops
is not an introduction, so the search is bounded: it expands at most two hops from the
sources and two from the targets and joins the halves on the middle person (1 hop:
source-target; 2: 1+1; 3: 2+1; 4: 2+2). Each half is gathered for a whole frontier at
once with numpy. To stay fast around hubs it first finds an upper bound for the k-th
best cost using only each person's strongest few ties, then repeats the search over
all ties, keeping only half-paths that can still beat that bound.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["COMPACT_AT", "MAX_HOPS", "Path", "TieGraph"]

MAX_HOPS = 4
# Changed ties the overlay holds before `update` folds it into fresh arrays.
COMPACT_AT = 100_000
# Ties per person used by the first, cheap passes that find an upper bound for the k-th
# best path; the last pass uses every tie that can still beat that bound.
_BOUND_CAPS = (8, 64)
# Relative slack on costs: two paths whose costs differ by less are equal (the final
# order then comes from the exact product and the nodes).
_REL_EPS = 1e-9

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
IdsLike = Sequence[int] | npt.ArrayLike


@dataclass(frozen=True, slots=True)
class Path:
    """A chain of people, source first, target last, with the strength of each tie."""

    nodes: tuple[int, ...]
    strengths: tuple[float, ...]

    @property
    def score(self) -> float:
        """The product of the strengths: 1.0 is the warmest possible introduction."""
        return math.prod(self.strengths)

    @property
    def hops(self) -> int:
        return len(self.strengths)


@dataclass(slots=True)
class _Halves:
    """Half-paths as arrays: nodes (dense, path order), strengths per hop, cost."""

    nodes: Ints  # (count, hops + 1)
    strengths: Floats  # (count, hops)
    cost: Floats  # (count,)

    def __len__(self) -> int:
        return int(self.cost.shape[0])

    def take(self, keep: Bools) -> _Halves:
        return _Halves(self.nodes[keep], self.strengths[keep], self.cost[keep])


def _as_ids(values: Any, name: str) -> Ints:
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of person ids")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer person ids, not {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_strength(value: float, where: str) -> float:
    s = float(value)
    if not (0.0 < s <= 1.0):  # also rejects NaN
        raise ValueError(f"{where} has strength {value!r}; a tie's strength must be in (0, 1]")
    return s


class TieGraph:
    """Undirected, weighted ties between people; see the module docstring."""

    __slots__ = (
        "_dirty",
        "_edge_count",
        "_extra_ids",
        "_extra_index",
        "_gk",
        "_ids",
        "_indices",
        "_indptr",
        "_over",
        "_owned",
        "_rows",
        "_slack",
        "_weights",
    )

    def __init__(
        self,
        ids: Ints,
        indptr: Ints,
        indices: npt.NDArray[np.int32] | Ints,
        weights: Floats,
        gk: Floats,
    ) -> None:
        self._ids = ids
        self._indptr = indptr
        self._indices = indices
        self._weights = weights
        self._gk = gk
        n = len(ids)
        # `gk` is `row + (1 - w)`; its rounding error grows with the row number.
        self._slack = max(1e-9, 8.0 * float(np.spacing(float(max(n, 1)))))
        self._edge_count = int(len(indices) // 2)
        # Changes since the build: dense -> {dense: strength, or None for removed}.
        self._over: dict[int, dict[int, float | None]] = {}
        self._owned: set[int] = set()  # overlay rows this object may mutate (see update)
        self._extra_ids: list[int] = []  # ids of people added since the build (dense >= n)
        self._extra_index: dict[int, int] = {}
        self._dirty: Bools | None = None  # rows to read through the overlay
        self._rows: dict[int, tuple[Ints, Floats]] = {}  # merged rows, built when read
        for arr in (ids, indptr, indices, weights, gk):
            arr.flags.writeable = False

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls, src: IdsLike, dst: IdsLike, strength: Sequence[float] | npt.ArrayLike
    ) -> TieGraph:
        """Index ties `src[i]`-`dst[i]` of strength `strength[i]`.

        Ties are undirected: duplicates in either direction collapse to the strongest.
        A strength outside (0, 1] raises ValueError naming the row; self-ties are ignored.
        """
        s = _as_ids(src, "src")
        d = _as_ids(dst, "dst")
        w = np.asarray(strength, dtype=np.float64)
        if w.ndim != 1 or not (len(s) == len(d) == len(w)):
            raise ValueError(
                f"src, dst and strength must be flat and of one length "
                f"(got {len(s)}, {len(d)} and {w.size})"
            )
        bad = ~((w > 0.0) & (w <= 1.0))
        if bad.any():
            i = int(np.argmax(bad))
            _check_strength(w[i], f"row {i} (tie {int(s[i])}-{int(d[i])})")
        keep = s != d
        if not keep.all():
            s, d, w = s[keep], d[keep], w[keep]
        ids = np.unique(np.concatenate([s, d]))
        dense = np.int32 if len(ids) < 2**31 else np.int64
        u = np.searchsorted(ids, s).astype(dense)
        v = np.searchsorted(ids, d).astype(dense)
        del s, d
        return cls._from_dense(ids, u, v, w)

    @classmethod
    def _from_dense(
        cls, ids: Ints, u: npt.NDArray[Any], v: npt.NDArray[Any], w: Floats
    ) -> TieGraph:
        n = len(ids)
        lo = np.minimum(u, v).astype(np.int64)
        hi = np.maximum(u, v).astype(np.int64)
        key = lo * n + hi
        del lo, hi
        order = np.argsort(key)
        key = key[order]
        w = w[order]
        del order
        if len(key):
            first = np.empty(len(key), dtype=bool)
            first[0] = True
            np.not_equal(key[1:], key[:-1], out=first[1:])
            starts = np.flatnonzero(first)
            del first
            w = np.maximum.reduceat(w, starts)
            key = key[starts]
            del starts
        rows, cols, ww = cls._csr_order(key, w, n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        gk = rows.astype(np.float64)
        del rows
        gk += 1.0
        gk -= ww
        return cls(ids, indptr, cols, ww, gk)

    @staticmethod
    def _csr_order(
        key: Ints, w: Floats, n: int
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], Floats]:
        """Both directions of each tie (`key` = lo * n + hi, sorted), ordered by row,
        then strongest first, then by neighbour: (rows, cols, strengths)."""
        dtype = np.int32 if n < 2**31 else np.int64
        if not len(key):
            return np.zeros(0, dtype), np.zeros(0, dtype), np.zeros(0, np.float64)
        lo = (key // max(n, 1)).astype(dtype)
        hi = (key % max(n, 1)).astype(dtype)
        rows = np.concatenate([hi, lo])
        cols = np.concatenate([lo, hi])
        del lo, hi
        distinct, rank = np.unique(w, return_inverse=True)
        bits_n = max(1, (n - 1).bit_length())
        bits_w = max(1, (len(distinct) - 1).bit_length())
        if 2 * bits_n + bits_w > 64:
            ww = np.concatenate([w, w])
            order = np.lexsort((cols, -ww, rows))
            return rows[order], cols[order], ww[order]
        # One sort of packed (row, rank of strength from the strongest, col) values is
        # several times faster than an argsort on three keys at 20M entries.
        down = np.uint64(len(distinct) - 1) - rank.astype(np.uint64)
        del rank
        packed = np.concatenate([down, down])
        del down
        packed <<= np.uint64(bits_n)
        packed |= cols.astype(np.uint64)
        del cols
        packed |= rows.astype(np.uint64) << np.uint64(bits_n + bits_w)
        del rows
        packed.sort()
        cols = (packed & np.uint64((1 << bits_n) - 1)).astype(dtype)
        strength = distinct[
            np.uint64(len(distinct) - 1)
            - ((packed >> np.uint64(bits_n)) & np.uint64((1 << bits_w) - 1))
        ]
        packed >>= np.uint64(bits_n + bits_w)
        return packed.astype(dtype), cols, strength

    # ------------------------------------------------------------------ size and lookups

    @property
    def node_count(self) -> int:
        """People in the graph: those with a tie at the build and those added since."""
        return len(self._ids) + len(self._extra_ids)

    @property
    def edge_count(self) -> int:
        """Ties in the graph now (each undirected tie once)."""
        return self._edge_count

    @property
    def overlay_size(self) -> int:
        """Changed ties held apart from the arrays (both directions counted)."""
        return sum(len(row) for row in self._over.values())

    def __contains__(self, person: object) -> bool:
        return isinstance(person, int | np.integer) and self._dense(int(person)) is not None

    @property
    def _n(self) -> int:
        return len(self._ids) + len(self._extra_ids)

    def _dense(self, person: int) -> int | None:
        ids = self._ids
        i = int(np.searchsorted(ids, person))
        if i < len(ids) and int(ids[i]) == person:
            return i
        return self._extra_index.get(person)

    def _resolve(self, people: Collection[int] | npt.ArrayLike) -> Ints:
        """Dense indices of the known people among `people` (unknown ones dropped)."""
        if isinstance(people, np.ndarray):
            arr = _as_ids(people, "people")
        else:
            arr = _as_ids(list(people), "people")  # type: ignore[arg-type]
        if arr.size == 0:
            return arr
        ids = self._ids
        pos = np.searchsorted(ids, arr)
        found = np.zeros(len(arr), dtype=bool)
        if len(ids):
            ok = pos < len(ids)
            found[ok] = ids[pos[ok]] == arr[ok]
        out = pos[found].astype(np.int64)
        if self._extra_index and not found.all():
            extra = [self._extra_index.get(int(p)) for p in arr[~found]]
            out = np.concatenate([out, np.array([e for e in extra if e is not None], np.int64)])
        return np.unique(out)

    def _person_ids(self, dense: Ints) -> Ints:
        if not self._extra_ids:
            return self._ids[dense]
        nb = len(self._ids)
        extra = np.array(self._extra_ids, dtype=np.int64)
        base = self._ids[np.minimum(dense, max(nb - 1, 0))] if nb else np.zeros_like(dense)
        return np.where(dense < nb, base, extra[np.maximum(dense - nb, 0)])

    def _base_row(self, u: int) -> tuple[Ints, Floats]:
        if u >= len(self._ids):
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        a, b = int(self._indptr[u]), int(self._indptr[u + 1])
        return self._indices[a:b].astype(np.int64), self._weights[a:b]

    def _row(self, u: int) -> tuple[Ints, Floats]:
        """The ties of dense `u`, strongest first (then by neighbour)."""
        over = self._over.get(u)
        if not over and u < len(self._ids):
            return self._base_row(u)
        cached = self._rows.get(u)
        if cached is not None:
            return cached
        nbr, w = self._base_row(u)
        if over:
            changed = np.fromiter(over, dtype=np.int64, count=len(over))
            keep = ~np.isin(nbr, changed)
            added = [(v, s) for v, s in over.items() if s is not None]
            nbr = np.concatenate([nbr[keep], np.array([v for v, _ in added], np.int64)])
            w = np.concatenate([w[keep], np.array([s for _, s in added], np.float64)])
            # Same order as a fresh build: by person id among equal strengths (people
            # added since the build have dense numbers out of id order).
            order = np.lexsort((self._person_ids(nbr), -w))
            nbr, w = nbr[order], w[order]
        self._rows[u] = (nbr, w)
        return nbr, w

    def _base_weight(self, u: int, v: int) -> float | None:
        nbr, w = self._base_row(u)
        hit = np.flatnonzero(nbr == v)
        return float(w[hit[0]]) if len(hit) else None

    def _weight(self, u: int, v: int) -> float | None:
        over = self._over.get(u)
        if over is not None and v in over:
            return over[v]
        return self._base_weight(u, v)

    def strength(self, a: int, b: int) -> float | None:
        """The strength of the tie between people `a` and `b`, or None if there is none."""
        u, v = self._dense(a), self._dense(b)
        if u is None or v is None or u == v:
            return None
        return self._weight(u, v)

    def neighbours(self, node: int) -> dict[int, float]:
        """The ties of `node`: {person id: strength}, strongest first."""
        u = self._dense(node)
        if u is None:
            return {}
        nbr, w = self._row(u)
        return dict(zip(self._person_ids(nbr).tolist(), w.tolist(), strict=True))

    # ------------------------------------------------------------------ changes

    def update(self, changes: Iterable[tuple[int, int, float | None]]) -> TieGraph:
        """A new graph with `changes` applied; this one is left as it was.

        Each change `(a, b, strength)` sets the tie a-b to that strength (adding it and
        any new person), or removes it when strength is None. A bad strength raises
        ValueError naming the change, and nothing is applied. Self-ties are ignored.
        """
        g = self._clone()
        touched: list[int] = []
        for i, change in enumerate(changes):
            a, b, s = change
            if s is not None:
                s = _check_strength(s, f"change {i} (tie {a}-{b})")
            if a == b:
                continue
            u = g._dense_or_add(int(a), create=s is not None)
            v = g._dense_or_add(int(b), create=s is not None)
            if u is None or v is None:
                continue  # removing a tie of someone the graph never had
            current = g._weight(u, v)
            if current is None and s is None:
                continue
            g._edge_count += int(current is None) - int(s is None)
            base = g._base_weight(u, v)
            for x, y in ((u, v), (v, u)):
                row = g._own_row(x)
                if s == base:
                    row.pop(y, None)
                else:
                    row[y] = s
                g._rows.pop(x, None)
                touched.append(x)
        dirty = np.zeros(g._n, dtype=bool)
        if self._dirty is not None:
            dirty[: len(self._dirty)] = self._dirty
        dirty[touched] = True
        dirty[len(g._ids) :] = True
        g._dirty = dirty if dirty.any() else None
        if g.overlay_size >= 2 * COMPACT_AT:
            return g.compact()
        return g

    def _clone(self) -> TieGraph:
        g = TieGraph.__new__(TieGraph)
        g._ids, g._indptr, g._indices = self._ids, self._indptr, self._indices
        g._weights, g._gk, g._slack = self._weights, self._gk, self._slack
        g._edge_count = self._edge_count
        g._over = dict(self._over)  # rows shared until written (see _own_row)
        g._owned = set()
        g._extra_ids = list(self._extra_ids)
        g._extra_index = dict(self._extra_index)
        g._dirty = self._dirty
        g._rows = dict(self._rows)
        return g

    def _own_row(self, u: int) -> dict[int, float | None]:
        if u not in self._owned:
            self._over[u] = dict(self._over.get(u, {}))
            self._owned.add(u)
        return self._over[u]

    def _dense_or_add(self, person: int, *, create: bool) -> int | None:
        u = self._dense(person)
        if u is None and create:
            u = self._n
            self._extra_ids.append(person)
            self._extra_index[person] = u
        return u

    def to_arrays(self) -> tuple[Ints, Ints, Floats]:
        """Every tie once as (src ids, dst ids, strengths), src < dst in dense order."""
        nb = len(self._ids)
        rows = np.repeat(np.arange(nb, dtype=np.int64), np.diff(self._indptr))
        cols = self._indices.astype(np.int64)
        upper = rows < cols
        lo, hi, w = rows[upper], cols[upper], self._weights[upper]
        del rows, cols, upper
        if self._over:
            n = self._n
            pairs = [(u, v, s) for u, row in self._over.items() for v, s in row.items() if u < v]
            if pairs:
                changed = np.array([u * n + v for u, v, _ in pairs], dtype=np.int64)
                keep = ~np.isin(lo * n + hi, changed)
                added = [(u, v, s) for u, v, s in pairs if s is not None]
                lo = np.concatenate([lo[keep], np.array([p[0] for p in added], np.int64)])
                hi = np.concatenate([hi[keep], np.array([p[1] for p in added], np.int64)])
                w = np.concatenate([w[keep], np.array([p[2] for p in added], np.float64)])
        return self._person_ids(lo), self._person_ids(hi), w

    def compact(self) -> TieGraph:
        """The same ties in fresh arrays, with an empty overlay."""
        if not self._over and not self._extra_ids:
            return self
        src, dst, w = self.to_arrays()
        return TieGraph.build(src, dst, w)

    # ------------------------------------------------------------------ gathering rows

    def _gather(
        self, rows: Ints, limit: Floats, cap: int | None
    ) -> tuple[Ints, Ints, Floats, bool]:
        """The ties of each of `rows`, strongest first, at most `cap` each, and (give or
        take a few at the boundary, which callers filter) only those of cost
        -ln(strength) <= limit[i].

        Returns (position in `rows`, neighbour, strength, whether the cap cut any row).
        """
        parts_pos: list[Ints] = []
        parts_nbr: list[Ints] = []
        parts_w: list[Floats] = []
        truncated = False
        clean = np.ones(len(rows), dtype=bool)
        if self._dirty is not None and len(rows):
            clean = ~self._dirty[rows]
        clean_at = np.flatnonzero(clean) if not clean.all() else None
        r = rows if clean_at is None else rows[clean_at]
        lim = limit if clean_at is None else limit[clean_at]
        if len(r):
            start = self._indptr[r]
            end = self._indptr[r + 1]
            finite = np.isfinite(lim)
            if finite.any():
                with np.errstate(over="ignore"):
                    wmin = np.exp(-lim[finite])
                bound = r[finite] + (1.0 - wmin) + self._slack
                end[finite] = np.minimum(end[finite], np.searchsorted(self._gk, bound, "right"))
            if cap is not None:
                capped = start + cap
                truncated = bool((end > capped).any())
                end = np.minimum(end, capped)
            counts = np.maximum(end - start, 0)
            total = int(counts.sum())
            if total:
                offsets = np.cumsum(counts) - counts
                idx = np.repeat(start - offsets, counts) + np.arange(total, dtype=np.int64)
                local = np.repeat(np.arange(len(r), dtype=np.int64), counts)
                parts_pos.append(local if clean_at is None else clean_at[local])
                parts_nbr.append(self._indices[idx].astype(np.int64))
                parts_w.append(self._weights[idx])
        if clean_at is not None:
            for i in np.flatnonzero(~clean).tolist():
                nbr, w = self._row(int(rows[i]))
                count = len(w)
                room = float(limit[i])
                if room < 0:
                    count = 0
                elif math.isfinite(room):
                    floor = math.exp(-room) * (1 - 1e-12)
                    count = int(np.searchsorted(-w, -floor, "right"))
                if cap is not None and count > cap:
                    truncated = True
                    count = cap
                if count > 0:
                    parts_pos.append(np.full(count, i, dtype=np.int64))
                    parts_nbr.append(nbr[:count])
                    parts_w.append(w[:count])
        if not parts_pos:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64), truncated
        if len(parts_pos) == 1:
            return parts_pos[0], parts_nbr[0], parts_w[0], truncated
        return (
            np.concatenate(parts_pos),
            np.concatenate(parts_nbr),
            np.concatenate(parts_w),
            truncated,
        )

    # ------------------------------------------------------------------ paths

    def best_paths(
        self,
        sources: Collection[int],
        targets: Collection[int],
        *,
        k: int = 3,
        max_hops: int = MAX_HOPS,
        avoid: Collection[int] = (),
    ) -> list[Path]:
        """The `k` warmest simple paths of 1..`max_hops` ties from any source to any target.

        Best first: highest product of strengths, ties broken by the nodes tuple. People
        in `avoid` appear in no path at all (not even as an end). A path never passes
        through another source or target (its tail or head would be the better
        introduction), and a source that is also a target is not a path to itself.
        """
        if not 1 <= max_hops <= MAX_HOPS:
            raise ValueError(f"max_hops must be between 1 and {MAX_HOPS}, not {max_hops}")
        if k <= 0:
            return []
        hidden = self._resolve(avoid)
        src = self._resolve(sources)
        dst = self._resolve(targets)
        if len(hidden):
            src = np.setdiff1d(src, hidden, assume_unique=True)
            dst = np.setdiff1d(dst, hidden, assume_unique=True)
        if not len(src) or not len(dst):
            return []
        n = self._n
        is_target = np.zeros(n, dtype=bool)
        is_target[dst] = True
        blocked = is_target.copy()  # never an intermediate hop
        blocked[src] = True
        blocked[hidden] = True
        theta = math.inf
        for cap in _BOUND_CAPS:
            found, truncated = self._search(src, dst, is_target, blocked, max_hops, theta, cap)
            if not truncated:  # no row was longer than the cap: this was the full search
                return self._select(found, k)
            costs = np.concatenate([f.cost for f in found]) if found else np.zeros(0)
            if len(costs) >= k:
                kth = float(np.partition(costs, k - 1)[k - 1])
                theta = kth + _REL_EPS * max(1.0, kth)
                break
        found, _ = self._search(src, dst, is_target, blocked, max_hops, theta, None)
        return self._select(found, k)

    def _search(
        self,
        src: Ints,
        dst: Ints,
        is_target: Bools,
        blocked: Bools,
        max_hops: int,
        theta: float,
        cap: int | None,
    ) -> tuple[list[_Halves], bool]:
        """Every path of cost <= theta (within the cap), grouped by length."""
        found: list[_Halves] = []
        cut = False
        # Left, one hop: source - a.
        pos, a, w, t = self._gather(src, np.full(len(src), theta), cap)
        cut |= t
        c = -np.log(w)
        s = src[pos]
        direct = is_target[a]
        if direct.any():
            found.append(
                _Halves(np.stack([s[direct], a[direct]], 1), w[direct][:, None], c[direct])
            )
        if max_hops == 1:
            return found, cut
        mid = ~blocked[a]
        left1 = _Halves(np.stack([s[mid], a[mid]], 1), w[mid][:, None], c[mid])
        # Right, one hop: b - target.
        pos, b, w, t = self._gather(dst, np.full(len(dst), theta), cap)
        cut |= t
        mid = ~blocked[b]
        right1 = _Halves(np.stack([b[mid], dst[pos][mid]], 1), w[mid][:, None], -np.log(w[mid]))
        if not len(right1) or not len(left1):
            return found, cut
        found.extend(self._join(left1, right1, theta))
        if max_hops == 2:
            return found, cut
        # Left, two hops: source - a - m, for m that may still reach a target.
        pos, m, w, t = self._gather(
            left1.nodes[:, -1], theta - left1.cost - float(right1.cost.min()), cap
        )
        cut |= t
        ok = ~blocked[m]
        pos, m, w = pos[ok], m[ok], w[ok]
        left2 = _Halves(
            np.column_stack([left1.nodes[pos], m]),
            np.column_stack([left1.strengths[pos], w]),
            left1.cost[pos] - np.log(w),
        )
        if not len(left2):
            return found, cut
        right2 = None
        if max_hops >= 4:
            # Right, two hops: m - b - target.
            pos, m, w, t = self._gather(
                right1.nodes[:, 0], theta - right1.cost - float(left2.cost.min()), cap
            )
            cut |= t
            ok = ~blocked[m]
            pos, m, w = pos[ok], m[ok], w[ok]
            right2 = _Halves(
                np.column_stack([m, right1.nodes[pos]]),
                np.column_stack([w, right1.strengths[pos]]),
                right1.cost[pos] - np.log(w),
            )
        # Around a hub most half-paths lead nowhere: keep those whose middle person the
        # other side reaches, so that the joins sort far fewer rows.
        meets = np.zeros(self._n, dtype=bool)
        meets[right1.nodes[:, 0]] = True
        if right2 is not None:
            meets[right2.nodes[:, 0]] = True
        left2 = left2.take(meets[left2.nodes[:, -1]])
        found.extend(self._join(left2, right1, theta))
        if right2 is not None and len(right2) and len(left2):
            meets = np.zeros(self._n, dtype=bool)
            meets[left2.nodes[:, -1]] = True
            right2 = right2.take(meets[right2.nodes[:, 0]])
            found.extend(self._join(left2, right2, theta))
        return found, cut

    @staticmethod
    def _join(left: _Halves, right: _Halves, theta: float) -> list[_Halves]:
        """Simple paths left + right meeting on left's last node = right's first, of
        cost <= theta."""
        tol = theta + _REL_EPS * max(1.0, theta) if math.isfinite(theta) else math.inf
        lm, rm = left.nodes[:, -1], right.nodes[:, 0]
        lo = np.lexsort((left.cost, lm))
        ro = np.lexsort((right.cost, rm))
        lu, ls, ln = np.unique(lm[lo], return_index=True, return_counts=True)
        ru, rs, rn = np.unique(rm[ro], return_index=True, return_counts=True)
        _, jl, jr = np.intersect1d(lu, ru, assume_unique=True, return_indices=True)
        if not len(jl):
            return []
        lmin = left.cost[lo][ls[jl]]
        rmin = right.cost[ro][rs[jr]]
        keep = lmin + rmin <= tol
        jl, jr, lmin, rmin = jl[keep], jr[keep], lmin[keep], rmin[keep]
        if not len(jl):
            return []
        groups = len(jl)

        def members(
            order: Ints, starts: Ints, counts: Ints, j: Ints, cost: Floats, other_min: Floats
        ) -> tuple[Ints, Ints]:
            # Entries of the kept groups that can still make a path within theta.
            g = np.repeat(np.arange(groups, dtype=np.int64), counts[j])
            idx = np.repeat(starts[j] - (np.cumsum(counts[j]) - counts[j]), counts[j])
            idx = order[idx + np.arange(len(g), dtype=np.int64)]
            ok = cost[idx] + other_min[g] <= tol
            return idx[ok], g[ok]

        li, lg = members(lo, ls, ln, jl, left.cost, rmin)
        ri, rg = members(ro, rs, rn, jr, right.cost, lmin)
        nl = np.bincount(lg, minlength=groups)
        nr = np.bincount(rg, minlength=groups)
        pairs = nl * nr
        total = int(pairs.sum())
        if not total:
            return []
        lstart = np.cumsum(nl) - nl
        rstart = np.cumsum(nr) - nr
        g = np.repeat(np.arange(groups, dtype=np.int64), pairs)
        local = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(pairs) - pairs, pairs)
        il = li[lstart[g] + local // nr[g]]
        ir = ri[rstart[g] + local % nr[g]]
        cost = left.cost[il] + right.cost[ir]
        nodes = np.column_stack([left.nodes[il], right.nodes[ir][:, 1:]])
        ok = cost <= tol
        width = nodes.shape[1]
        for x in range(width):
            for y in range(x + 1, width):
                ok &= nodes[:, x] != nodes[:, y]
        if not ok.any():
            return []
        return [
            _Halves(
                nodes[ok],
                np.column_stack([left.strengths[il[ok]], right.strengths[ir[ok]]]),
                cost[ok],
            )
        ]

    def _select(self, found: list[_Halves], k: int) -> list[Path]:
        found = [f for f in found if len(f)]
        if not found:
            return []
        costs = np.concatenate([f.cost for f in found])
        kth = float(np.partition(costs, k - 1)[k - 1]) if len(costs) > k else float(costs.max())
        tol = kth + _REL_EPS * max(1.0, kth)
        paths: list[Path] = []
        for f in found:
            sel = f.cost <= tol
            if not sel.any():
                continue
            nodes = self._person_ids(f.nodes[sel].ravel()).reshape(-1, f.nodes.shape[1])
            for ns, ws in zip(nodes.tolist(), f.strengths[sel].tolist(), strict=True):
                paths.append(Path(tuple(ns), tuple(ws)))
        paths.sort(key=lambda p: (-p.score, p.nodes))
        return paths[:k]

    # ------------------------------------------------------------------ reach

    def circle(self, node: int) -> tuple[int, int]:
        """(first-degree size, second-degree size): the people `node` knows, and the
        people they know who are neither `node` nor in the first degree."""
        u = self._dense(node)
        if u is None:
            return 0, 0
        first, _ = self._row(u)
        if not len(first):
            return 0, 0
        _, second, _, _ = self._gather(first, np.full(len(first), np.inf), None)
        seen = np.zeros(self._n, dtype=bool)
        seen[second] = True
        seen[first] = False
        seen[u] = False
        return len(first), int(np.count_nonzero(seen))

    def connectors(
        self, members: Collection[int], clients: Collection[int], *, limit: int = 10
    ) -> list[tuple[int, int]]:
        """[(member, clients they have a tie with)], most first (then by id); members with
        no tie to any client are left out."""
        team = self._resolve(members)
        wanted = self._resolve(clients)
        if not len(team) or not len(wanted) or limit <= 0:
            return []
        is_client = np.zeros(self._n, dtype=bool)
        is_client[wanted] = True
        pos, nbr, _, _ = self._gather(team, np.full(len(team), np.inf), None)
        counts = np.bincount(pos[is_client[nbr]], minlength=len(team))
        ids = self._person_ids(team)
        order = np.lexsort((ids, -counts))
        return [(int(ids[i]), int(counts[i])) for i in order[:limit].tolist() if counts[i] > 0]

    def neighbourhood(
        self, node: int, *, radius: int = 1, limit: int = 200, edge_limit: int | None = None
    ) -> tuple[list[int], list[tuple[int, int, float]]]:
        """The people around `node` for a picture, and the ties among them.

        Nodes: `node` first, then its ties strongest first, then (radius 2) the people
        they know, warmest product first; at most `limit` people. Edges: every tie among
        those people as (a, b, strength), strongest first, at most `edge_limit` (default
        five per person).
        """
        if radius not in (1, 2):
            raise ValueError(f"radius must be 1 or 2, not {radius}")
        u = self._dense(node)
        if u is None or limit <= 0:
            return [], []
        first, w1 = self._row(u)
        chosen = [np.array([u], dtype=np.int64), first[: limit - 1]]
        room = limit - 1 - len(chosen[1])
        if radius == 2 and room > 0 and len(first):
            pos, second, w2, _ = self._gather(first, np.full(len(first), np.inf), None)
            near = np.zeros(self._n, dtype=bool)
            near[first] = True
            near[u] = True
            far = ~near[second]
            second, score = second[far], w1[pos[far]] * w2[far]
            order = np.lexsort((second, -score))
            second = second[order]
            _, once = np.unique(second, return_index=True)
            chosen.append(second[np.sort(once)][:room])
        people = np.concatenate(chosen)
        inside = np.zeros(self._n, dtype=bool)
        inside[people] = True
        pos, nbr, w, _ = self._gather(people, np.full(len(people), np.inf), None)
        a = people[pos]
        ok = inside[nbr] & (a < nbr)
        a, b, w = a[ok], nbr[ok], w[ok]
        order = np.lexsort((b, a, -w))[: (edge_limit if edge_limit is not None else 5 * limit)]
        ids = self._person_ids(people).tolist()
        ea, eb = self._person_ids(a[order]).tolist(), self._person_ids(b[order]).tolist()
        return ids, list(zip(ea, eb, w[order].tolist(), strict=True))
