"""Warm introduction paths: from me, a teammate or the whole team to a person or to an
organisation's decision makers, each hop explained, with a drafted request to the
person to ask first.

Privacy. The team's graph holds every tie, including those of a colleague's private
contacts. Such a person never appears in a report: not their id, name or ties. When
one of the best routes runs through one, the report says only which colleague to ask
(the contact's owner). The search runs twice: once over the whole graph, to find those
routes and mask them, and once avoiding every hidden person, for the routes shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.accounts.models import Member
from rapport.network import index
from rapport.network.graph import MAX_HOPS, Path
from rapport.network.models import Tie
from rapport.people.models import Channel, Person, Role, Visibility
from rapport.people.queries import organisation_for, person_for, visible_people

MAX_K = 10


@dataclass(frozen=True)
class PersonRef:
    id: int
    name: str

    @property
    def url(self) -> str:
        return reverse("person_detail", args=[self.id])

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class Link:
    """How two neighbours on a path know each other."""

    kind: str
    kind_label: str
    strength: float
    last_contact_at: dt.datetime | None
    interaction_count: int

    @property
    def percent(self) -> int:
        return round(self.strength * 100)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "kind_label": self.kind_label,
            "strength": round(self.strength, 4),
            "last_contact_at": self.last_contact_at.isoformat() if self.last_contact_at else None,
            "interaction_count": self.interaction_count,
        }


@dataclass(frozen=True)
class Hop:
    """One step of a path: from one person to the next, and how they know each other."""

    source: PersonRef
    target: PersonRef
    link: Link

    def as_json(self) -> dict[str, Any]:
        return {"from": self.source.as_json(), "to": self.target.as_json(), **self.link.as_json()}


@dataclass(frozen=True)
class Draft:
    """An introduction request to the person to ask first, ready to send or copy."""

    to: PersonRef
    email: str | None
    subject: str
    body: str

    @property
    def mailto(self) -> str | None:
        if not self.email:
            return None
        return (
            f"mailto:{quote(self.email, safe='@')}"
            f"?subject={quote(self.subject, safe='')}&body={quote(self.body, safe='')}"
        )

    @property
    def text(self) -> str:
        return f"{self.subject}\n\n{self.body}"

    def as_json(self) -> dict[str, Any]:
        return {
            "to": self.to.as_json(),
            "email": self.email,
            "subject": self.subject,
            "body": self.body,
            "mailto": self.mailto,
        }


@dataclass(frozen=True)
class WarmPath:
    """A visible route: people source first, target last, the tie between each pair."""

    people: tuple[PersonRef, ...]
    hops: tuple[Hop, ...]
    score: float
    ask: PersonRef | None  # whom to ask for the introduction; None when it is direct
    draft: Draft | None
    hidden: bool = False

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def last_contact_at(self) -> dt.datetime | None:
        """The oldest last contact along the path: the coldest tie is the weak point."""
        dates = [h.link.last_contact_at for h in self.hops]
        if any(d is None for d in dates):
            return None
        return min(d for d in dates if d is not None)

    def as_json(self) -> dict[str, Any]:
        return {
            "hidden": False,
            "score": round(self.score, 6),
            "people": [p.as_json() for p in self.people],
            "hops": [h.as_json() for h in self.hops],
            "ask": self.ask.as_json() if self.ask else None,
            "draft": self.draft.as_json() if self.draft else None,
        }


@dataclass(frozen=True)
class AskTeammate:
    """A route through a colleague's private contact, shown only as whom to ask."""

    teammate: str  # the colleague's name ("" when the contact's owner is gone)
    target: PersonRef
    score: float  # for ordering only; never shown or serialised
    hidden: bool = True

    @property
    def message(self) -> str:
        if not self.teammate:
            return _("Someone on your team has a strong tie here.")
        return _("%(name)s on your team has a strong tie here: ask %(name)s") % {
            "name": self.teammate
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "hidden": True,
            "ask": self.teammate or None,
            "target": self.target.as_json(),
            "message": self.message,
        }


@dataclass
class PathReport:
    source: str
    sources: list[PersonRef]
    targets: list[PersonRef]
    k: int
    items: list[WarmPath | AskTeammate] = field(default_factory=list)

    @property
    def paths(self) -> list[WarmPath]:
        return [i for i in self.items if isinstance(i, WarmPath)]

    @property
    def asks(self) -> list[AskTeammate]:
        return [i for i in self.items if isinstance(i, AskTeammate)]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sources": [s.as_json() for s in self.sources],
            "targets": [t.as_json() for t in self.targets],
            "k": self.k,
            "paths": [i.as_json() for i in self.items],
        }


# -- resolving who from and who to ----------------------------------------------------------


def _sources(actor: Any, source: str) -> list[Person]:
    member = actor.member
    wanted = (source or "me").strip()
    if wanted == "me":
        if member.person_id is None:
            raise ValidationError({"source": _("you have no person of your own in the book yet")})
        return [Person.objects.get(pk=member.person_id)]
    members = Member.objects.filter(team_id=member.team_id, person__isnull=False)
    if wanted == "team":
        ids = list(members.values_list("person_id", flat=True))
    else:
        ids = list(members.filter(user__username=wanted).values_list("person_id", flat=True)[:1])
        if not ids:
            raise ValidationError({"source": _("no teammate named %(name)s") % {"name": wanted}})
    people = list(visible_people(actor).filter(pk__in=ids).order_by("display_name", "pk"))
    if not people:
        raise ValidationError({"source": _("nobody on the team has a person in the book yet")})
    return people


def _targets(
    actor: Any, to_person: int | str | None, to_organisation: int | str | None
) -> list[Person]:
    if (to_person is None) == (to_organisation is None):
        raise ValidationError({"to_person": _("name one person or one organisation to reach")})
    if to_person is not None:
        try:
            return [person_for(actor, to_person)]
        except Http404 as exc:
            raise ValidationError(
                {"to_person": _("no such person: %(id)s") % {"id": to_person}}
            ) from exc
    try:
        organisation = organisation_for(actor, to_organisation)  # type: ignore[arg-type]
    except Http404 as exc:
        raise ValidationError(
            {"to_organisation": _("no such organisation: %(id)s") % {"id": to_organisation}}
        ) from exc
    current = Role.objects.filter(
        organisation=organisation, ended_on__isnull=True, person__in=visible_people(actor)
    )
    ids = list(current.filter(is_decision_maker=True).values_list("person_id", flat=True))
    if not ids:
        ids = list(current.values_list("person_id", flat=True))
    if not ids:
        raise ValidationError(
            {
                "to_organisation": _("nobody you can see works at %(name)s yet")
                % {"name": organisation.name}
            }
        )
    return list(Person.objects.filter(pk__in=ids).order_by("display_name", "pk"))


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ValidationError(
            {"k": _("k must be a whole number from 1 to %(max)s") % {"max": MAX_K}}
        )
    return k


def _hidden_ids(actor: Any) -> list[int]:
    """The team's people the actor may not see: colleagues' private contacts."""
    return list(
        Person.objects.filter(team_id=actor.member.team_id, visibility=Visibility.PRIVATE)
        .exclude(owner_id=actor.pk)
        .values_list("pk", flat=True)
    )


def _ties(team_id: int, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Tie]:
    """The ties of these pairs (lower id first), in one query."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    condition = Q()
    for a, b in wanted:
        condition |= Q(person_a_id=a, person_b_id=b)
    return {
        (t.person_a_id, t.person_b_id): t
        for t in Tie.objects.filter(condition, team_id=team_id).only(
            "person_a_id",
            "person_b_id",
            "kind",
            "source",
            "strength",
            "last_contact_at",
            "interaction_count",
        )
    }


def _emails(person_ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    rows = Channel.objects.filter(person_id__in=set(person_ids), kind=Channel.Kind.EMAIL)
    for person_id, value in rows.order_by("person_id", "-is_primary", "id").values_list(
        "person_id", "value"
    ):
        found.setdefault(person_id, value)
    return found


def _owner_names(owner_ids: Iterable[int]) -> dict[int, str]:
    """Teammates' names as the team knows them (their own person), else their username."""
    ids = set(owner_ids)
    names = {
        user_id: name
        for user_id, name in Member.objects.filter(
            user_id__in=ids, person__isnull=False
        ).values_list("user_id", "person__display_name")
    }
    for user_id, username in (
        get_user_model().objects.filter(pk__in=ids - names.keys()).values_list("pk", "username")
    ):
        names[user_id] = username
    return names


def draft_request(
    actor: Any, *, ask: PersonRef, target: PersonRef, via: PersonRef | None, email: str | None
) -> Draft:
    """The introduction request to `ask`, in the actor's language, names filled in.
    `via` is the next person on the path when `ask` does not know the target directly."""
    me = actor.member.person.display_name if actor.member.person_id else actor.get_username()
    with translation.override(actor.member.language):
        subject = _("Could you introduce me to %(target)s?") % {"target": target.name}
        if via is None:
            how = _("I understand you know %(target)s well.") % {"target": target.name}
        else:
            how = _("I understand you know %(via)s, who can put me in touch with %(target)s.") % {
                "via": via.name,
                "target": target.name,
            }
        body = "\n\n".join(
            [
                _("Dear %(name)s,") % {"name": ask.name},
                _("I hope you are well. I would very much like to meet %(target)s.")
                % {"target": target.name}
                + " "
                + how,
                _(
                    "Would you be willing to introduce us? A short note from you saying why "
                    "we should talk would mean a great deal, and I am happy to send you a "
                    "few lines about me that you can forward."
                ),
                _("Thank you, and best regards,") + "\n" + me,
            ]
        )
    return Draft(to=ask, email=email, subject=subject, body=body)


def warm_paths(
    actor: Any,
    *,
    to_person: int | str | None = None,
    to_organisation: int | str | None = None,
    source: str = "me",
    k: int = 3,
) -> PathReport:
    """The `k` warmest introduction paths (product of tie strengths, at most four hops)
    from `source` ("me", "team" or a teammate's username) to a person or to an
    organisation's current decision makers (else all its current people), as the actor
    may see them. Routes through a colleague's private contact come back only as
    `AskTeammate` entries naming that colleague. Bad input raises ValidationError
    naming the field."""
    k = _check_k(k)
    sources = _sources(actor, source)
    targets = _targets(actor, to_person, to_organisation)
    team_id = actor.member.team_id
    hidden = set(_hidden_ids(actor))
    graph = index.graph_for(team_id)
    src = [p.pk for p in sources]
    dst = [p.pk for p in targets]
    every = graph.best_paths(src, dst, k=k, max_hops=MAX_HOPS)
    visible = graph.best_paths(src, dst, k=k, max_hops=MAX_HOPS, avoid=hidden)

    ordered: list[tuple[float, Path | tuple[int, int]]] = []  # (score, path or (hidden, target))
    seen: set[tuple[int, ...]] = set()
    for found in (*visible, *every):
        if found.nodes in seen:
            continue
        seen.add(found.nodes)
        blocked = [n for n in found.nodes if n in hidden]
        if blocked:
            ordered.append((found.score, (blocked[0], found.nodes[-1])))
        else:
            ordered.append((found.score, found))
    ordered.sort(key=lambda item: -item[0])

    shown_ids = {n for _s, item in ordered if isinstance(item, Path) for n in item.nodes}
    people = {
        p.pk: PersonRef(p.pk, p.display_name)
        for p in Person.objects.filter(pk__in=shown_ids | set(dst)).only("pk", "display_name")
    }
    owners = dict(
        Person.objects.filter(
            pk__in={item[0] for _s, item in ordered if not isinstance(item, Path)}
        ).values_list("pk", "owner_id")
    )
    owner_names = _owner_names(o for o in owners.values() if o is not None)
    ties = _ties(
        team_id,
        (
            (min(a, b), max(a, b))
            for _s, item in ordered
            if isinstance(item, Path)
            for a, b in pairwise(item.nodes)
        ),
    )
    own = actor.member.person_id
    asks = {
        (p.nodes[1] if p.nodes[0] == own else p.nodes[0])
        for _s, p in ordered
        if isinstance(p, Path) and (p.hops > 1 or p.nodes[0] != own)
    }
    emails = _emails(asks)

    report = PathReport(
        source=(source or "me").strip(),
        sources=[PersonRef(p.pk, p.display_name) for p in sources],
        targets=[PersonRef(p.pk, p.display_name) for p in targets],
        k=k,
    )
    asked: set[tuple[str, int]] = set()
    for score, item in ordered:
        if isinstance(item, Path) and len(report.paths) >= k:
            continue
        if not isinstance(item, Path):
            blocker, target = item
            owner = owners.get(blocker)
            name = owner_names.get(owner, "") if owner is not None else ""
            if (name, target) in asked:
                continue
            asked.add((name, target))
            report.items.append(AskTeammate(name, people[target], score))
            continue
        refs = tuple(people[n] for n in item.nodes)
        hops = []
        for (a, b), strength in zip(pairwise(refs), item.strengths, strict=True):
            tie = ties.get((min(a.id, b.id), max(a.id, b.id)))
            link = Link(
                kind=tie.kind if tie else Tie.Kind.OTHER,
                kind_label=str(tie.get_kind_display() if tie else Tie.Kind.OTHER.label),
                strength=strength,
                last_contact_at=tie.last_contact_at if tie else None,
                interaction_count=tie.interaction_count if tie else 0,
            )
            hops.append(Hop(a, b, link))
        ask: PersonRef | None = None
        via: PersonRef | None = None
        if refs[0].id != own:
            ask, via = refs[0], (refs[1] if item.hops > 1 else None)
        elif item.hops > 1:
            ask, via = refs[1], (refs[2] if item.hops > 2 else None)
        draft = None
        if ask is not None:
            draft = draft_request(
                actor, ask=ask, target=refs[-1], via=via, email=emails.get(ask.id)
            )
        report.items.append(WarmPath(refs, tuple(hops), score, ask, draft))
    return report
