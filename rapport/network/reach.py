"""Reach and influence, as far as the actor may see: a person's circle (first and
second degree), the teammates who bridge the most clients, and the neighbourhood of a
person or an organisation for a picture.

Everything here counts and names only "people you can see": a colleague's private
contact is left out entirely (never named, never counted, never walked through), so no
number on these pages tells anything about contacts the actor may not see.

A teammate's ties are the team's own book, not a client's reach: the second degree is
never walked through a teammate (a teammate is shown with how many people they know
instead), and the picture keeps only the strongest ties and says what it left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.accounts.models import Member
from rapport.network.index import graph_for
from rapport.network.models import Tie
from rapport.people.models import Organisation, Person, Role
from rapport.people.queries import visible_people

# Dunbar-style estimates vary; Girard's "law of 250" says each of us knows about 250
# people well enough to invite to a wedding or a funeral.
GIRARD = 250
FIRST_SHOWN = 20
# The picture stays readable: at most this many people in all, this many of the first
# degree, and this many second-degree people brought in by each first-degree person (their
# strongest ties); what is left out is counted and said on the page.
PICTURE_NODES = 50
PICTURE_FIRST = 24
SECOND_EACH = 3
# Ties weaker than this (people who met once in a meeting) are drawn only when they are
# what links a person to the centre: dozens of them would hide the rest.
PICTURE_WEAK = 0.3
CENTRE = "centre"
SECOND = "second"
ROLE = "role"
# A tie only conversations showed, with nothing more known of it (kind "other").
MET = "met"


def _visible_ids(actor: Any) -> set[int]:
    return set(visible_people(actor).values_list("pk", flat=True))


def _member_people(team_id: int) -> set[int]:
    return set(
        Member.objects.filter(team_id=team_id, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )


def _kinds(team_id: int, ids: set[int]) -> dict[tuple[int, int], str]:
    """The kind of every tie among `ids`, keyed by (lower id, higher id); a tie only
    conversations showed and nothing more is known of is MET."""
    rows = Tie.objects.filter(team_id=team_id, person_a__in=ids, person_b__in=ids).values_list(
        "person_a_id", "person_b_id", "kind", "source"
    )
    return {
        (a, b): MET if (kind, source) == (Tie.Kind.OTHER, Tie.Source.INTERACTIONS) else kind
        for a, b, kind, source in rows
    }


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _kind_label(kind: str) -> str:
    if kind == MET:
        return Tie.label_of(Tie.Kind.OTHER, Tie.Source.INTERACTIONS)
    return Tie.label_of(kind, Tie.Source.MANUAL)


def _knows(n: int) -> str:
    return ngettext("knows %(n)s person", "knows %(n)s people", n) % {"n": n}


@dataclass
class Friend:
    person: Person
    strength: float
    kind: str
    # For a teammate: how many people (that the actor can see) they know. Their ties are
    # the team's book, not this person's reach: they are never counted in turn.
    knows: int | None = None

    @property
    def kind_label(self) -> str:
        return _kind_label(self.kind)

    @property
    def knows_label(self) -> str:
        return _knows(self.knows) if self.knows is not None else ""


@dataclass
class Circle:
    """A person's (or an organisation's people's) circle among the people the actor can
    see: the first degree, and the second (people those know in turn, never walked
    through a teammate)."""

    first: int
    second: int
    person: Person | None = None
    friends: list[Friend] = field(default_factory=list)
    # How many people the circle is of: 1 for a person, an organisation's people.
    people: int = 1
    organisation: Organisation | None = None

    @property
    def girard(self) -> int:
        return GIRARD * self.people

    @property
    def girard_applies(self) -> bool:
        return self.people > 0 and self.first < self.girard

    @property
    def estimate(self) -> str:
        """The stated estimate beside the known size, when the known circle is small."""
        if not self.girard_applies:
            return ""
        if self.organisation is None:
            return _("about %(n)s (Girard's rule of thumb)") % {"n": GIRARD}
        return ngettext(
            "about %(n)s (Girard's rule of thumb: about %(each)s for its one person)",
            "about %(n)s (Girard's rule of thumb: about %(each)s for each of its %(people)s"
            " people)",
            self.people,
        ) % {"n": f"{self.girard:,}", "each": GIRARD, "people": self.people}


def _seen_neighbours(graph: Any, node: int, seen: set[int]) -> dict[int, float]:
    return {p: s for p, s in graph.neighbours(node).items() if p in seen}


def _second_degree(
    graph: Any,
    first: dict[int, float],
    seen: set[int],
    members: set[int],
    exclude: set[int],
    each: int | None = None,
    via: dict[int, int] | None = None,
) -> dict[int, float]:
    """The people known by those in `first` who are not in `exclude`, each with their
    warmest product of two strengths. A teammate in `first` is not walked through (their
    ties are the team's book, not this circle); with `each`, only the strongest `each`
    ties of every first-degree person count. `via`, if given, is filled with the
    first-degree person each was reached through most warmly."""
    score: dict[int, float] = {}
    for friend, s1 in first.items():
        if friend in members:
            continue
        taken = 0
        for p, s2 in graph.neighbours(friend).items():  # strongest first
            if each is not None and taken >= each:
                break
            if p in exclude or p not in seen:
                continue
            taken += 1
            if s1 * s2 > score.get(p, -1.0):
                score[p] = s1 * s2
                if via is not None:
                    via[p] = friend
    return score


def _strongest(scores: dict[int, float], n: int | None = None) -> list[int]:
    ranked = [p for p, _s in sorted(scores.items(), key=lambda i: (-i[1], i[0]))]
    return ranked if n is None else ranked[: max(0, n)]


def _counts(graph: Any, ids: Iterable[int], seen: set[int]) -> dict[int, int]:
    return {p: len(_seen_neighbours(graph, p, seen)) for p in ids}


def circle_of(actor: Any, person: Person, *, shown: int = FIRST_SHOWN) -> Circle:
    """First- and second-degree sizes of `person` and their strongest ties (with kind),
    counting only people the actor can see, and walking only through them (and never
    through a teammate: a teammate's ties are the team's book, so a teammate in the
    first degree is listed with how many people they know instead)."""
    team_id = actor.member.team_id
    graph = graph_for(team_id)
    seen = _visible_ids(actor)
    members = _member_people(team_id)
    first = _seen_neighbours(graph, person.pk, seen)
    second = _second_degree(graph, first, seen, members, {person.pk, *first})
    top = _strongest(first, shown)
    people = Person.objects.in_bulk(top)
    kinds = _kinds(team_id, {person.pk, *people})
    knows = _counts(graph, [p for p in top if p in members], seen)
    friends = [
        Friend(people[p], first[p], kinds.get(_pair(person.pk, p), Tie.Kind.OTHER), knows.get(p))
        for p in top
        if p in people
    ]
    return Circle(person=person, first=len(first), second=len(second), friends=friends)


def _staff(actor: Any, organisation: Organisation) -> list[int]:
    """The people with a current role at the organisation whom the actor can see."""
    return list(
        Role.objects.filter(organisation=organisation, ended_on__isnull=True)
        .filter(person__in=visible_people(actor))
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()
    )


def organisation_people(actor: Any, organisation: Organisation) -> list[Person]:
    """The organisation's people (current roles) whom the actor can see, by name."""
    people = Person.objects.in_bulk(_staff(actor, organisation))
    return sorted(people.values(), key=lambda p: (p.display_name.casefold(), p.pk))


def organisation_circle(actor: Any, organisation: Organisation) -> Circle:
    """The combined circle of an organisation's people (current roles) among the people
    the actor can see: the distinct people outside it whom any of them knows, and the
    distinct people those know in turn (not its own people, not the first degree, never
    through a teammate). Girard's estimate is 250 for each of its people."""
    team_id = actor.member.team_id
    graph = graph_for(team_id)
    seen = _visible_ids(actor)
    members = _member_people(team_id)
    staff = _staff(actor, organisation)
    first: dict[int, float] = {}
    for p in staff:
        for q, s in _seen_neighbours(graph, p, seen).items():
            first[q] = max(first.get(q, 0.0), s)
    for p in staff:
        first.pop(p, None)
    second = _second_degree(graph, first, seen, members, {*staff, *first})
    return Circle(
        first=len(first), second=len(second), people=len(staff), organisation=organisation
    )


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


def _node(person: Person, kind: str, members: set[int], knows: dict[int, int]) -> dict[str, Any]:
    node = {
        "id": f"p{person.pk}",
        "name": person.display_name,
        "kind": kind,
        "teammate": person.pk in members,
        "url": reverse("network_person", args=[person.pk]),
    }
    if person.pk in knows:
        node["knows"] = knows[person.pk]
        node["note"] = _knows(knows[person.pk])
    return node


@dataclass
class LeftOut:
    """What a picture leaves out to stay readable."""

    first: int = 0
    second: int = 0

    @property
    def total(self) -> int:
        return self.first + self.second

    def as_json(self) -> dict[str, Any]:
        return {"first": self.first, "second": self.second, "total": self.total}


def _drawn(
    a: int, b: int, strength: float, ring: dict[int, int], members: set[int], via: dict[int, int]
) -> bool:
    """Whether the picture draws the tie between `a` and `b`: every tie of the centre, the
    tie each outer person was reached through, and other ties within or out of the first
    ring when they are not weak; never a tie among the outer ring, and a teammate's only
    towards the centre (the rest of their ties are the team's book, which would fill the
    picture)."""
    near, far = sorted((a, b), key=lambda p: ring[p])
    if ring[far] == 2 and ring[near] == 2:
        return False
    if ring[near] == 0:
        return True
    if near in members or (ring[near] == ring[far] and far in members):
        return False
    return via.get(far) == near or strength >= PICTURE_WEAK


def neighbourhood_of(
    actor: Any,
    person: Person | None = None,
    organisation: Organisation | None = None,
    *,
    limit: int = PICTURE_NODES,
    first_limit: int = PICTURE_FIRST,
    each: int = SECOND_EACH,
) -> dict[str, Any]:
    """{"nodes": [...], "edges": [...], "left_out": {...}} around a person (their
    strongest ties, then the people those know) or an organisation (its people with a
    current role, then their ties), only people the actor can see.

    At most `limit` nodes, `first_limit` of them in the first ring, and at most `each`
    people brought in by each of those (their strongest ties). A teammate is a node but
    never brings their own book in: their node says how many people they know
    ("knows"). "left_out" counts the distinct people of each ring not drawn."""
    if (person is None) == (organisation is None):
        raise ValueError("give exactly one of person and organisation")
    team_id = actor.member.team_id
    graph = graph_for(team_id)
    seen = _visible_ids(actor)
    members = _member_people(team_id)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    ring_room = max(0, min(first_limit, limit - 1))
    # Whom each outer person was reached through.
    via: dict[int, int] = {}
    if person is not None:
        first = _seen_neighbours(graph, person.pk, seen)
        inner = _strongest(first, ring_room)
        near = {person.pk, *first}
        every = _second_degree(graph, first, seen, members, near)
        shown = {p: first[p] for p in inner}
        outer = _strongest(
            _second_degree(graph, shown, seen, members, near, each, via), limit - 1 - len(inner)
        )
        # Each outer person next to whom they were reached through: the rings then line
        # up, and few lines cross the picture.
        place = {p: n for n, p in enumerate(inner)}
        outer.sort(key=lambda p: place[via[p]])
        left = LeftOut(first=len(first) - len(inner), second=len(every) - len(outer))
        ids = [person.pk, *inner, *outer]
        kinds = _kinds(team_id, set(ids))
        people = Person.objects.in_bulk(ids)
        knows = _counts(graph, [p for p in ids if p in members], seen)
        nodes.append(_node(person, CENTRE, members, knows))
        for p in inner:
            kind = kinds.get(_pair(person.pk, p), Tie.Kind.OTHER)
            nodes.append(_node(people[p], kind, members, knows))
        nodes.extend(_node(people[p], SECOND, members, knows) for p in outer)
    else:
        assert organisation is not None
        staff = _staff(actor, organisation)
        inner = staff[:ring_room]
        # Here the ring around the staff is the organisation's first degree: everyone its
        # people know, teammates' books included (a teammate who works there is its people).
        there = set(staff)
        around_all = {q for p in staff for q in _seen_neighbours(graph, p, seen) if q not in there}
        around = _second_degree(graph, {p: 1.0 for p in inner}, seen, members, there, each, via)
        outer = _strongest(around, limit - 1 - len(inner))
        place = {p: n for n, p in enumerate(inner)}
        outer.sort(key=lambda p: place[via[p]])
        left = LeftOut(first=len(staff) - len(inner), second=len(around_all) - len(outer))
        ids = [*inner, *outer]
        kinds = _kinds(team_id, set(ids))
        people = Person.objects.in_bulk(ids)
        knows = _counts(graph, [p for p in ids if p in members], seen)
        nodes.append(
            {
                "id": f"o{organisation.pk}",
                "name": organisation.name,
                "kind": CENTRE,
                "teammate": False,
                "url": reverse("network_organisation", args=[organisation.pk]),
            }
        )
        for p in inner:
            nodes.append(_node(people[p], ROLE, members, knows))
            edges.append(
                {"source": f"o{organisation.pk}", "target": f"p{p}", "strength": 1.0, "kind": ROLE}
            )
        nodes.extend(_node(people[p], SECOND, members, knows) for p in outer)
    ring = {p: 2 for p in outer} | {p: 1 for p in inner}
    if person is not None:
        ring[person.pk] = 0
    for node in nodes:
        node["ring"] = ring.get(int(node["id"][1:]), 0) if node["id"][0] == "p" else 0
    for a in ids:
        for b, strength in graph.neighbours(a).items():
            if a < b and b in ring and _drawn(a, b, strength, ring, members, via):
                edges.append(
                    {
                        "source": f"p{a}",
                        "target": f"p{b}",
                        "strength": round(strength, 3),
                        "kind": kinds.get((a, b), Tie.Kind.OTHER),
                    }
                )
    return {"nodes": nodes, "edges": edges, "left_out": left.as_json()}


KIND_COLOURS = {
    CENTRE: "#1d2430",
    Tie.Kind.FAMILY: "#d92d20",
    Tie.Kind.FRIEND: "#f79009",
    Tie.Kind.COLLEAGUE: "#1f6f5c",
    Tie.Kind.FORMER_COLLEAGUE: "#66c61c",
    Tie.Kind.CLIENT: "#2e90fa",
    Tie.Kind.CLASSMATE: "#7a5af8",
    Tie.Kind.INTRODUCED_BY: "#ee46bc",
    Tie.Kind.OTHER: "#667085",
    MET: "#98a2b3",
    ROLE: "#0e9384",
    SECOND: "#d0d5dd",
}


def kind_legend() -> list[tuple[str, str, str]]:
    """(kind, label, colour) of every colour the picture uses, for the legend (which
    network.js reads its colours from)."""
    labels = {
        CENTRE: _("Centre"),
        **{str(v): str(label) for v, label in Tie.Kind.choices},
        MET: _kind_label(MET),
        ROLE: _("Works there"),
        SECOND: _("Known through a tie"),
    }
    return [(str(kind), labels[str(kind)], colour) for kind, colour in KIND_COLOURS.items()]
