"""Reach and influence, as far as the actor may see: a person's circle (first and
second degree), the teammates who bridge the most clients, and the neighbourhood of a
person or an organisation for a picture.

Everything here counts and names only "people you can see": a colleague's private
contact is left out entirely (never named, never counted, never walked through), so no
number on these pages tells anything about contacts the actor may not see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from rapport.accounts.models import Member
from rapport.network.index import graph_for
from rapport.network.models import Tie
from rapport.people.models import Organisation, Person, Role
from rapport.people.queries import visible_people

# Dunbar-style estimates vary; Girard's "law of 250" says each of us knows about 250
# people well enough to invite to a wedding or a funeral.
GIRARD = 250
FIRST_SHOWN = 20
PICTURE_NODES = 60
CENTRE = "centre"
SECOND = "second"
ROLE = "role"


def _visible_ids(actor: Any) -> set[int]:
    return set(visible_people(actor).values_list("pk", flat=True))


def _member_people(team_id: int) -> set[int]:
    return set(
        Member.objects.filter(team_id=team_id, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )


def _kinds(team_id: int, ids: set[int]) -> dict[tuple[int, int], str]:
    """The kind of every tie among `ids`, keyed by (lower id, higher id)."""
    rows = Tie.objects.filter(team_id=team_id, person_a__in=ids, person_b__in=ids).values_list(
        "person_a_id", "person_b_id", "kind"
    )
    return {(a, b): kind for a, b, kind in rows}


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@dataclass
class Friend:
    person: Person
    strength: float
    kind: str

    @property
    def kind_label(self) -> str:
        return str(Tie.Kind(self.kind).label) if self.kind in Tie.Kind.values else self.kind


@dataclass
class Circle:
    """A person's circle among the people the actor can see."""

    person: Person
    first: int
    second: int
    friends: list[Friend] = field(default_factory=list)

    @property
    def girard_applies(self) -> bool:
        return self.first < GIRARD

    @property
    def estimate(self) -> str:
        """The stated estimate beside the known size, when the known circle is small."""
        if not self.girard_applies:
            return ""
        return _("about %(n)s (Girard's rule of thumb)") % {"n": GIRARD}


def _seen_neighbours(graph: Any, node: int, seen: set[int]) -> dict[int, float]:
    return {p: s for p, s in graph.neighbours(node).items() if p in seen}


def circle_of(actor: Any, person: Person, *, shown: int = FIRST_SHOWN) -> Circle:
    """First- and second-degree sizes of `person` and their strongest ties (with kind),
    counting only people the actor can see, and walking only through them."""
    team_id = actor.member.team_id
    graph = graph_for(team_id)
    seen = _visible_ids(actor)
    first = _seen_neighbours(graph, person.pk, seen)
    second: set[int] = set()
    for friend in first:
        second.update(_seen_neighbours(graph, friend, seen))
    second.difference_update(first)
    second.discard(person.pk)
    top = sorted(first.items(), key=lambda item: (-item[1], item[0]))[:shown]
    people = Person.objects.in_bulk([p for p, _s in top])
    kinds = _kinds(team_id, {person.pk, *people})
    friends = [
        Friend(people[p], s, kinds.get(_pair(person.pk, p), Tie.Kind.OTHER))
        for p, s in top
        if p in people
    ]
    return Circle(person=person, first=len(first), second=len(second), friends=friends)


@dataclass
class Connector:
    person: Person
    clients: int


def top_connectors(actor: Any, limit: int = 10) -> list[Connector]:
    """Teammates (their own Person records) with ties to the most clients: the people
    the actor can see who are not members of the team."""
    team_id = actor.member.team_id
    members = _member_people(team_id)
    if not members:
        return []
    clients = _visible_ids(actor) - members
    ranked = graph_for(team_id).connectors(members, clients, limit=limit)
    people = Person.objects.in_bulk([p for p, _n in ranked])
    return [Connector(people[p], n) for p, n in ranked if p in people]


def _node(person: Person, kind: str, members: set[int]) -> dict[str, Any]:
    return {
        "id": f"p{person.pk}",
        "name": person.display_name,
        "kind": kind,
        "teammate": person.pk in members,
        "url": reverse("network_person", args=[person.pk]),
    }


def _around(graph: Any, start: dict[int, float], seen: set[int], room: int) -> list[int]:
    """People known by those in `start` (not themselves in it), warmest product first."""
    score: dict[int, float] = {}
    for friend, s1 in start.items():
        for p, s2 in _seen_neighbours(graph, friend, seen).items():
            if p not in start:
                score[p] = max(score.get(p, 0.0), s1 * s2)
    return [p for p, _s in sorted(score.items(), key=lambda i: (-i[1], i[0]))[:room]]


def neighbourhood_of(
    actor: Any,
    person: Person | None = None,
    organisation: Organisation | None = None,
    *,
    limit: int = PICTURE_NODES,
) -> dict[str, Any]:
    """{"nodes": [...], "edges": [...]} around a person (their ties, then the people
    those know) or an organisation (its people with a current role, then their ties),
    at most `limit` nodes, only people the actor can see."""
    if (person is None) == (organisation is None):
        raise ValueError("give exactly one of person and organisation")
    team_id = actor.member.team_id
    graph = graph_for(team_id)
    seen = _visible_ids(actor)
    members = _member_people(team_id)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    if person is not None:
        first = _seen_neighbours(graph, person.pk, seen)
        inner = [p for p, _s in sorted(first.items(), key=lambda i: (-i[1], i[0]))][: limit - 1]
        first = {p: first[p] for p in inner}
        outer = _around(graph, {person.pk: 1.0, **first}, seen, limit - 1 - len(inner))
        ids = [person.pk, *inner, *outer]
        kinds = _kinds(team_id, set(ids))
        people = Person.objects.in_bulk(ids)
        nodes.append(_node(person, CENTRE, members))
        for p in inner:
            nodes.append(_node(people[p], kinds.get(_pair(person.pk, p), Tie.Kind.OTHER), members))
        nodes.extend(_node(people[p], SECOND, members) for p in outer)
    else:
        assert organisation is not None
        staff = list(
            Role.objects.filter(organisation=organisation, ended_on__isnull=True)
            .filter(person__in=visible_people(actor))
            .values_list("person_id", flat=True)
            .distinct()
        )[: limit - 1]
        start = {p: 1.0 for p in staff}
        outer = _around(graph, start, seen, limit - 1 - len(staff))
        ids = [*staff, *outer]
        kinds = _kinds(team_id, set(ids))
        people = Person.objects.in_bulk(ids)
        nodes.append(
            {
                "id": f"o{organisation.pk}",
                "name": organisation.name,
                "kind": CENTRE,
                "teammate": False,
                "url": reverse("network_organisation", args=[organisation.pk]),
            }
        )
        for p in staff:
            nodes.append(_node(people[p], ROLE, members))
            edges.append(
                {"source": f"o{organisation.pk}", "target": f"p{p}", "strength": 1.0, "kind": ROLE}
            )
        nodes.extend(_node(people[p], SECOND, members) for p in outer)
    inside = set(ids)
    for a in ids:
        for b, strength in graph.neighbours(a).items():
            if a < b and b in inside:
                edges.append(
                    {
                        "source": f"p{a}",
                        "target": f"p{b}",
                        "strength": round(strength, 3),
                        "kind": kinds.get((a, b), Tie.Kind.OTHER),
                    }
                )
    return {"nodes": nodes, "edges": edges}


KIND_COLOURS = {
    CENTRE: "#1d2430",
    Tie.Kind.FAMILY: "#d92d20",
    Tie.Kind.FRIEND: "#f79009",
    Tie.Kind.COLLEAGUE: "#1f6f5c",
    Tie.Kind.FORMER_COLLEAGUE: "#66c61c",
    Tie.Kind.CLIENT: "#2e90fa",
    Tie.Kind.CLASSMATE: "#7a5af8",
    Tie.Kind.INTRODUCED_BY: "#ee46bc",
    Tie.Kind.OTHER: "#98a2b3",
    ROLE: "#0e9384",
    SECOND: "#d0d5dd",
}


def kind_legend() -> list[tuple[str, str, str]]:
    """(kind, label, colour) of every colour the picture uses, for the legend (which
    network.js reads its colours from)."""
    labels = {
        CENTRE: _("Centre"),
        **{str(v): str(label) for v, label in Tie.Kind.choices},
        ROLE: _("Works there"),
        SECOND: _("Known through a tie"),
    }
    return [(str(kind), labels[str(kind)], colour) for kind, colour in KIND_COLOURS.items()]
