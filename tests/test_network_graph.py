"""The tie graph (rapport.network.graph), checked against networkx on random graphs.

Pure: no database. networkx is the oracle: paths by brute force (every simple path of
at most `max_hops` ties) or by Yen's k shortest simple paths on -ln(strength), circles
and connectors from its neighbour sets."""

from __future__ import annotations

import itertools
import math
import random
import time

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rapport.network import graph as graph_module
from rapport.network.graph import Path, TieGraph

TOLERANCE = 1e-9
# Sparse, large person ids: the graph must not assume 0..n-1.
ID_BASE = 10**12


def person(i: int) -> int:
    return ID_BASE + 7919 * i


strengths = st.one_of(
    st.floats(min_value=0.01, max_value=1.0, allow_nan=False),
    st.sampled_from([1.0, 0.5, 0.25, 0.8]),  # equal strengths make equal scores
)


@st.composite
def tie_lists(draw: st.DrawFn, max_nodes: int = 30, max_ties: int = 80) -> list:
    n = draw(st.integers(2, max_nodes))
    ties = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), strengths),
            max_size=max_ties,
        )
    )
    return [(person(a), person(b), w) for a, b, w in ties]


def nx_graph(ties: list) -> nx.Graph:
    """The oracle's graph: duplicates in either direction keep the strongest."""
    g = nx.Graph()
    for a, b, w in ties:
        if a == b:
            continue
        if not g.has_edge(a, b) or g[a][b]["strength"] < w:
            g.add_edge(a, b, strength=w, cost=-math.log(w))
    return g


def tie_graph(ties: list) -> TieGraph:
    return TieGraph.build(
        [t[0] for t in ties], [t[1] for t in ties], np.array([t[2] for t in ties], float)
    )


def path_cost(g: nx.Graph, nodes) -> float:
    return sum(g[a][b]["cost"] for a, b in itertools.pairwise(nodes))


def brute_force(g: nx.Graph, sources, targets, *, max_hops: int, avoid=()) -> list:
    """Every allowed path as (cost, nodes), best first: simple, 1..max_hops ties, never
    through an avoided person or another source or target, avoided ends left out."""
    hidden = set(avoid)
    blocked = set(sources) | set(targets) | hidden
    out = []
    for s in set(sources) - hidden:
        for t in set(targets) - hidden:
            if s == t or s not in g or t not in g:
                continue
            for p in nx.all_simple_paths(g, s, t, cutoff=max_hops):
                if not any(x in blocked for x in p[1:-1]):
                    out.append((path_cost(g, p), tuple(p)))
    out.sort()
    return out


def assert_valid(path: Path, g: nx.Graph, sources, targets, max_hops: int, avoid=()) -> None:
    assert path.nodes[0] in set(sources) and path.nodes[-1] in set(targets)
    assert 1 <= path.hops <= max_hops
    assert len(set(path.nodes)) == len(path.nodes), "a path visits each person once"
    assert not set(path.nodes) & set(avoid), "an avoided person never shows in a path"
    for (a, b), s in zip(
        zip(path.nodes, path.nodes[1:], strict=False), path.strengths, strict=True
    ):
        assert g.has_edge(a, b) and g[a][b]["strength"] == s


def assert_same_as_oracle(ours: list[Path], expected: list, k: int) -> None:
    """Same count, same scores in the same order; the paths themselves agree except
    where several share the k-th score (either may be chosen)."""
    best = expected[:k]
    assert len(ours) == len(best)
    for path, (cost, _) in zip(ours, best, strict=True):
        assert -math.log(path.score) == pytest.approx(cost, rel=TOLERANCE, abs=TOLERANCE)
    if best:
        last = best[-1][0]
        sure = {nodes for cost, nodes in best if cost < last - 1e-7}
        assert sure <= {p.nodes for p in ours}
    keys = [(-p.score, p.nodes) for p in ours]
    assert keys == sorted(keys), "best first, equal scores by nodes"


@st.composite
def path_queries(draw: st.DrawFn):
    ties = draw(tie_lists())
    people = sorted({t[0] for t in ties} | {t[1] for t in ties} | {person(99)})
    pick = st.lists(st.sampled_from(people), min_size=1, max_size=4, unique=True)
    sources = draw(pick)
    targets = draw(pick)
    avoid = draw(st.lists(st.sampled_from(people), max_size=3, unique=True))
    k = draw(st.integers(1, 6))
    max_hops = draw(st.integers(1, 4))
    return ties, sources, targets, avoid, k, max_hops


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path_queries())
def test_best_paths_are_the_k_warmest_simple_paths(query) -> None:
    ties, sources, targets, avoid, k, max_hops = query
    g = nx_graph(ties)
    ours = tie_graph(ties).best_paths(sources, targets, k=k, max_hops=max_hops, avoid=avoid)
    for path in ours:
        assert_valid(path, g, sources, targets, max_hops, avoid)
    expected = brute_force(g, sources, targets, max_hops=max_hops, avoid=avoid)
    assert_same_as_oracle(ours, expected, k)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path_queries())
def test_the_bounded_passes_find_the_same_paths(query) -> None:
    """The search first bounds the k-th best cost with each person's strongest ties
    only, then prunes with that bound. With tiny first passes even these small graphs
    take that route, which must not lose a path."""
    ties, sources, targets, avoid, k, max_hops = query
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_module, "_BOUND_CAPS", (1, 2))
        ours = tie_graph(ties).best_paths(sources, targets, k=k, max_hops=max_hops, avoid=avoid)
    expected = brute_force(nx_graph(ties), sources, targets, max_hops=max_hops, avoid=avoid)
    assert_same_as_oracle(ours, expected, k)


@settings(max_examples=150, deadline=None)
@given(tie_lists(max_nodes=9, max_ties=18), st.integers(1, 5), st.data())
def test_one_pair_matches_yens_k_shortest_paths(ties, k, data) -> None:
    g = nx_graph(ties)
    assume(g.number_of_nodes() >= 2)
    s, t = data.draw(st.lists(st.sampled_from(sorted(g)), min_size=2, max_size=2, unique=True))
    expected = []
    if nx.has_path(g, s, t):
        for p in nx.shortest_simple_paths(g, s, t, weight="cost"):
            if len(p) - 1 <= 4:
                expected.append((path_cost(g, p), tuple(p)))
    expected.sort()
    ours = tie_graph(ties).best_paths([s], [t], k=k)
    assert_same_as_oracle(ours, expected, k)


@settings(max_examples=200, deadline=None)
@given(path_queries())
def test_an_avoided_person_is_never_in_a_path_nor_changes_the_answer(query) -> None:
    """Hiding people (a colleague's private contacts) must be the same as if they were
    not in the graph at all: no path through them, none to them, none lost because of
    them beyond those."""
    ties, sources, targets, avoid, k, max_hops = query
    hidden = set(avoid)
    ours = tie_graph(ties).best_paths(sources, targets, k=k, max_hops=max_hops, avoid=avoid)
    assert all(not hidden & set(p.nodes) for p in ours)
    without = [t for t in ties if t[0] not in hidden and t[1] not in hidden]
    alone = tie_graph(without).best_paths(
        [s for s in sources if s not in hidden],
        [t for t in targets if t not in hidden],
        k=k,
        max_hops=max_hops,
    )
    assert [p.score for p in ours] == pytest.approx([p.score for p in alone], rel=TOLERANCE)


def bounded_best_cost(g: nx.Graph, sources, targets, max_hops: int) -> float | None:
    """The cheapest path of at most max_hops ties, by Bellman-Ford rounds from each source
    (never through another source or target). With costs >= 0 the cheapest walk is as
    cheap as the cheapest simple path."""
    blocked = set(sources) | set(targets)
    answer = math.inf
    for s in set(sources) & set(g):
        ends = set(targets) - {s}
        best = {s: 0.0}
        for _ in range(max_hops):
            step: dict = {}
            for u, c in best.items():
                for v, attrs in g[u].items():
                    cost = c + attrs["cost"]
                    if v in ends:
                        answer = min(answer, cost)
                    if v not in blocked and cost < step.get(v, math.inf):
                        step[v] = cost
            best = step
    return None if answer == math.inf else answer


@pytest.mark.parametrize("seed", range(12))
def test_the_best_path_through_hubs_is_found(seed: int) -> None:
    """Preferential attachment makes hubs with well over 64 ties, so the search has to
    go past its first passes over the strongest ties; the best path must still be the
    one networkx finds."""
    rng = random.Random(seed)
    g0 = nx.barabasi_albert_graph(600, 3, seed=seed)
    g0.add_edges_from((600, v) for v in rng.sample(range(600), 150))  # one more hub
    ties = [
        (person(a), person(b), rng.choice([1.0, 0.9, rng.random() or 1.0])) for a, b in g0.edges
    ]
    g = nx_graph(ties)
    assert max(d for _, d in g.degree) > 64
    tg = tie_graph(ties)
    people = sorted(g)
    hubs = sorted(g, key=g.degree, reverse=True)[:5]
    for _ in range(15):
        sources = rng.sample(people, rng.choice([1, 1, 3])) + rng.sample(hubs, rng.choice([0, 1]))
        targets = rng.sample(people, rng.choice([1, 2])) + rng.sample(hubs, rng.choice([0, 1]))
        max_hops = rng.choice([2, 3, 4])
        expected = bounded_best_cost(g, set(sources), set(targets), max_hops)
        ours = tg.best_paths(sources, targets, k=3, max_hops=max_hops)
        if expected is None:
            assert ours == []
            continue
        assert ours, "a path exists"
        assert -math.log(ours[0].score) == pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE)
        for path in ours:
            assert_valid(path, g, sources, targets, max_hops)


def test_a_hub_with_ten_thousand_ties_answers_fast() -> None:
    rng = np.random.default_rng(1)
    hub, n = 0, 20_000
    src = np.concatenate([np.zeros(10_000, np.int64), rng.integers(1, n, 60_000)])
    dst = np.concatenate([np.arange(1, 10_001), rng.integers(1, n, 60_000)])
    w = rng.uniform(0.05, 1.0, len(src))
    tg = TieGraph.build(src, dst, w)
    assert len(tg.neighbours(hub)) == 10_000
    started = time.perf_counter()
    for target in rng.integers(10_001, n, 20).tolist():
        for path in tg.best_paths([hub], [target], k=3):
            assert path.nodes[0] == hub and path.nodes[-1] == target
    assert (time.perf_counter() - started) / 20 < 0.5


def test_equal_scores_are_ordered_by_their_people() -> None:
    tg = TieGraph.build([1, 1, 3, 2, 1], [3, 2, 4, 4, 4], [0.5, 0.5, 0.5, 0.5, 0.25])
    assert [p.nodes for p in tg.best_paths([1], [4], k=5)] == [(1, 2, 4), (1, 3, 4), (1, 4)]
    assert tg.best_paths([1], [4], k=1)[0] == Path((1, 2, 4), (0.5, 0.5))
    assert tg.best_paths([1], [4], k=1)[0].score == 0.25


def test_a_source_that_is_a_target_is_no_introduction() -> None:
    tg = TieGraph.build([1, 2], [2, 3], [0.9, 0.9])
    assert tg.best_paths([1], [1]) == []
    # Reaching another target is fine, but never through a source or target.
    assert [p.nodes for p in tg.best_paths([1, 2], [1, 3])] == [(2, 1), (2, 3)]


def test_unknown_people_and_bad_limits() -> None:
    tg = TieGraph.build([1], [2], [0.5])
    assert tg.best_paths([42], [2]) == []
    assert tg.best_paths([1], [2], k=0) == []
    with pytest.raises(ValueError, match="max_hops"):
        tg.best_paths([1], [2], max_hops=5)
    assert tg.neighbours(42) == {}
    assert tg.circle(42) == (0, 0)
    assert tg.strength(1, 2) == 0.5 and tg.strength(2, 1) == 0.5 and tg.strength(1, 42) is None
    assert 1 in tg and 42 not in tg


# ------------------------------------------------------------------------- building


def test_duplicated_and_reversed_ties_collapse_to_the_strongest() -> None:
    tg = TieGraph.build([5, 9, 5, 9, 7, 7], [9, 5, 9, 5, 7, 5], [0.2, 0.7, 0.4, 0.3, 1.0, 0.1])
    assert tg.edge_count == 2
    assert tg.node_count == 3
    assert tg.neighbours(5) == {9: 0.7, 7: 0.1}
    assert list(tg.neighbours(5)) == [9, 7], "strongest first"
    assert tg.neighbours(9) == {5: 0.7}
    assert tg.neighbours(7) == {5: 0.1}, "the self-tie 7-7 is ignored"


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5, float("nan"), float("inf")])
def test_a_strength_outside_zero_one_is_refused_naming_the_row(bad: float) -> None:
    with pytest.raises(ValueError, match=r"row 2 \(tie 3-4\).*\(0, 1\]"):
        TieGraph.build([1, 2, 3], [2, 3, 4], [0.5, 1.0, bad])


def test_bad_input_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="one length"):
        TieGraph.build([1, 2], [2], [0.5, 0.5])
    with pytest.raises(ValueError, match="integer person ids"):
        TieGraph.build([1.5], [2.0], [0.5])
    empty = TieGraph.build([], [], [])
    assert empty.node_count == 0 and empty.edge_count == 0
    assert empty.best_paths([1], [2]) == []


# ------------------------------------------------------------------------- changes


@st.composite
def changes_of(draw: st.DrawFn, ties: list):
    people = [*sorted({t[0] for t in ties} | {t[1] for t in ties}), person(40), person(41)]
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(people),
                st.sampled_from(people),
                st.one_of(st.none(), strengths),
            ),
            max_size=25,
        )
    )


def apply_to_list(ties: list, changes: list) -> list:
    """The changes applied the slow way: a dict of ties, one per pair."""
    current: dict = {}
    for a, b, w in ties:
        if a != b:
            key = (min(a, b), max(a, b))
            current[key] = max(current.get(key, 0.0), w)
    for a, b, w in changes:
        if a == b:
            continue
        key = (min(a, b), max(a, b))
        if w is None:
            current.pop(key, None)
        else:
            current[key] = w
    return [(a, b, w) for (a, b), w in current.items()]


def assert_same_graph(ours: TieGraph, fresh: TieGraph, ties: list, rng: random.Random) -> None:
    g = nx_graph(ties)
    assert ours.edge_count == fresh.edge_count == g.number_of_edges()
    for p in g:
        assert ours.neighbours(p) == fresh.neighbours(p)
        assert list(ours.neighbours(p)) == list(fresh.neighbours(p))
        assert ours.circle(p) == fresh.circle(p)
    people = sorted(g)
    for _ in range(10):
        if not people:
            break
        sources, targets = rng.sample(people, min(2, len(people))), rng.sample(people, 1)
        assert ours.best_paths(sources, targets, k=4) == fresh.best_paths(sources, targets, k=4)
    src, dst, w = ours.to_arrays()
    assert sorted(
        (min(a, b), max(a, b), s)
        for a, b, s in zip(src.tolist(), dst.tolist(), w.tolist(), strict=True)
    ) == sorted((min(a, b), max(a, b), s) for a, b, s in g.edges(data="strength"))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_updates_give_the_same_graph_as_a_fresh_build(data) -> None:
    ties = data.draw(tie_lists(max_nodes=20, max_ties=60))
    changes = data.draw(changes_of(ties))
    split = data.draw(st.integers(0, len(changes)))
    original = tie_graph(ties)
    before = {p: original.neighbours(p) for p in nx_graph(ties)}
    updated = original.update(changes[:split]).update(changes[split:])
    final = apply_to_list(ties, changes)
    fresh = tie_graph(final)
    assert_same_graph(updated, fresh, final, random.Random(len(changes)))
    assert_same_graph(updated.compact(), fresh, final, random.Random(1))
    assert {p: original.neighbours(p) for p in nx_graph(ties)} == before, (
        "the old graph is unchanged"
    )
    assert original.edge_count == nx_graph(ties).number_of_edges()


def test_a_large_overlay_is_folded_into_fresh_arrays(monkeypatch) -> None:
    monkeypatch.setattr(graph_module, "COMPACT_AT", 3)
    tg = TieGraph.build([1, 2], [2, 3], [0.5, 0.5])
    one = tg.update([(1, 3, 0.9)])
    assert one.overlay_size == 2
    more = one.update([(3, 4, 0.8), (4, 5, 0.7)])
    assert more.overlay_size == 0, "compacted"
    assert more.edge_count == 5
    assert [p.nodes for p in more.best_paths([1], [5])] == [(1, 3, 4, 5), (1, 2, 3, 4, 5)]


def test_a_bad_change_is_refused_and_nothing_is_applied() -> None:
    tg = TieGraph.build([1], [2], [0.5])
    with pytest.raises(ValueError, match=r"change 1 \(tie 2-3\)"):
        tg.update([(1, 3, 0.4), (2, 3, 2.0)])
    assert tg.neighbours(1) == {2: 0.5} and tg.edge_count == 1
    assert tg.update([(1, 1, 0.4), (7, 8, None)]).edge_count == 1, "self-ties and unknown removals"


# ------------------------------------------------------------------------- reach


@settings(max_examples=150, deadline=None)
@given(tie_lists(), st.data())
def test_circle_counts_first_and_second_degree(ties, data) -> None:
    g = nx_graph(ties)
    assume(len(g))
    tg = tie_graph(ties)
    for p in g:
        distances = nx.single_source_shortest_path_length(g, p, cutoff=2)
        first = sum(1 for d in distances.values() if d == 1)
        second = sum(1 for d in distances.values() if d == 2)
        assert tg.circle(p) == (first, second)


@settings(max_examples=150, deadline=None)
@given(tie_lists(), st.data())
def test_connectors_count_the_clients_each_member_knows(ties, data) -> None:
    g = nx_graph(ties)
    people = sorted(g) or [person(1)]
    members = data.draw(st.lists(st.sampled_from(people), max_size=8, unique=True))
    clients = set(data.draw(st.lists(st.sampled_from(people), max_size=15, unique=True)))
    limit = data.draw(st.integers(1, 10))
    expected = sorted(
        ((m, len(set(g[m]) & clients)) for m in members if m in g),
        key=lambda mc: (-mc[1], mc[0]),
    )
    expected = [(m, c) for m, c in expected if c > 0][:limit]
    assert tie_graph(ties).connectors(members, clients, limit=limit) == expected


@settings(max_examples=100, deadline=None)
@given(tie_lists(), st.integers(1, 2), st.data())
def test_neighbourhood_shows_the_person_their_ties_and_the_ties_among_them(
    ties, radius, data
) -> None:
    g = nx_graph(ties)
    assume(len(g))
    p = data.draw(st.sampled_from(sorted(g)))
    tg = tie_graph(ties)
    nodes, edges = tg.neighbourhood(p, radius=radius, limit=1000, edge_limit=10_000)
    assert nodes[0] == p
    reach = nx.single_source_shortest_path_length(g, p, cutoff=radius)
    assert sorted(nodes) == sorted(reach)
    strengths = [s for _, _, s in edges]
    assert strengths == sorted(strengths, reverse=True)
    assert {frozenset((a, b)) for a, b, _ in edges} == {
        frozenset(e) for e in g.subgraph(nodes).edges
    }
    first = list(tg.neighbours(p))
    assert nodes[1 : 1 + len(first)] == first, "the person's own ties first, strongest first"
    small, small_edges = tg.neighbourhood(p, radius=radius, limit=3, edge_limit=2)
    assert small == nodes[:3] and len(small_edges) <= 2


@pytest.mark.parametrize("seed", range(3))
def test_each_row_is_strongest_first_then_by_person(seed: int) -> None:
    """The build orders rows with one sort of packed values; it must equal the plain
    three-key sort (row, strongest first, neighbour), equal strengths included."""
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, 300, 4000), rng.integers(0, 300, 4000)
    w = rng.choice([0.1, 0.25, 0.5, 0.9, 1.0], 4000) * rng.choice([1.0, 0.999], 4000)
    tg = TieGraph.build(src * 1000 + 5, dst * 1000 + 5, w)
    g = nx_graph(
        list(zip((src * 1000 + 5).tolist(), (dst * 1000 + 5).tolist(), w.tolist(), strict=True))
    )
    for p in g:
        expected = sorted(g[p].items(), key=lambda item: (-item[1]["strength"], item[0]))
        assert list(tg.neighbours(p).items()) == [(q, a["strength"]) for q, a in expected]
