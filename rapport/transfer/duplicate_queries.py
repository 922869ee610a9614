"""Reads for the duplicate review: the likely duplicate pairs among the people an actor
may see, and what the review page and API show of each pair.

Only people the actor may see are ever compared, so a pair never reveals a colleague's
private contact. Pairs a user reviewed as different people (DistinctPair) are left out.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Prefetch
from django.utils.translation import gettext as _

from rapport.accounts.models import Team
from rapport.commitments.models import Commitment
from rapport.interactions.models import Participation
from rapport.people.models import Channel, DistinctPair, Fact, Organisation, Person, Role
from rapport.people.queries import visible_people
from rapport.transfer.duplicates import Candidate, PersonRecord, Reason, find_candidates

PHONE_KINDS = (Channel.Kind.PHONE, Channel.Kind.WHATSAPP)
CACHE_SECONDS = 3600
ID_CHUNK = 5000  # ids per IN (...) list: well under SQLite's limit on parameters


def duplicate_records(actor: Any) -> list[PersonRecord]:
    """The names, emails, phones and organisations of every person the actor may see,
    in four queries whatever the size of the book."""
    team_id = actor.member.team_id
    people = (
        visible_people(actor)
        .order_by()
        .values_list("pk", "display_name", "given_name", "family_name", "romanised_name")
    )
    rows = list(people)
    visible = {row[0] for row in rows}
    # The team's channels and roles, then only the visible people's: joining to the
    # team is about twice as fast as testing each row against the visibility rule.
    emails: dict[int, list[str]] = defaultdict(list)
    phones: dict[int, list[str]] = defaultdict(list)
    for person_id, kind, value in (
        Channel.objects.filter(person__team_id=team_id)
        .filter(kind__in=(Channel.Kind.EMAIL, *PHONE_KINDS))
        .values_list("person_id", "kind", "value")
        .order_by()
    ):
        if person_id in visible:
            (emails if kind == Channel.Kind.EMAIL else phones)[person_id].append(value)
    names = dict(Organisation.objects.filter(team_id=team_id).values_list("pk", "name"))
    organisations: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for person_id, organisation_id in (
        Role.objects.filter(person__team_id=team_id)
        .values_list("person_id", "organisation_id")
        .order_by()
    ):
        if person_id in visible and organisation_id in names:
            organisations[person_id].append((organisation_id, names[organisation_id]))
    return [
        PersonRecord(
            id=pk,
            display_name=display,
            given_name=given,
            family_name=family,
            romanised_name=romanised,
            emails=tuple(emails.get(pk, ())),
            phones=tuple(phones.get(pk, ())),
            organisations=tuple(organisations.get(pk, ())),
        )
        for pk, display, given, family, romanised in rows
    ]


def dismissed_pairs(actor: Any) -> list[tuple[int, int]]:
    """The pairs the actor's team reviewed as different people."""
    return list(
        DistinctPair.objects.filter(team_id=actor.member.team_id).values_list("first", "second")
    )


def _fingerprint(actor: Any) -> str:
    """Changes whenever anything the finder reads changes, in the actor's team only:
    people (their last save, which every edit of a person's channels goes through),
    channels and roles (added, removed or moved to another person: a merge deletes a
    person), organisations (renamed) and dismissals."""
    team_id = actor.member.team_id
    parts: list[Any] = [team_id, actor.pk]
    channels, roles = Channel.objects.all(), Role.objects.all()
    if Team.objects.exclude(pk=team_id).exists():
        # The join to people costs a few hundred milliseconds on 100k people (measured
        # with SQLite): only paid when there is another team whose changes to leave out.
        channels = channels.filter(person__team_id=team_id)
        roles = roles.filter(person__team_id=team_id)
    for rows, stamp in (
        (Person.objects.filter(team_id=team_id), Max("updated_at")),
        (channels, Max("id")),
        (roles, Max("id")),
        (Organisation.objects.filter(team_id=team_id), Max("updated_at")),
        (DistinctPair.objects.filter(team_id=team_id), Max("id")),
    ):
        found = rows.order_by().aggregate(n=Count("id"), last=stamp)
        parts.extend([found["n"], str(found["last"])])
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def duplicate_candidates(actor: Any) -> list[Candidate]:
    """Likely duplicate pairs among the people the actor may see, best first, without
    the pairs the team dismissed.

    Finding them in a book of 100k people takes seconds, so the result is cached until
    something it depends on changes (paging through the review reads it again)."""
    key = f"duplicates:{_fingerprint(actor)}"
    found: list[Candidate] | None = cache.get(key)
    if found is None:
        found = find_candidates(
            duplicate_records(actor),
            region=getattr(settings, "RAPPORT_PHONE_REGION", None),
            excluded=dismissed_pairs(actor),
        )
        cache.set(key, found, CACHE_SECONDS)
    return found


def live_candidates(actor: Any) -> list[Candidate]:
    """The candidate pairs whose two people the actor can still see (one may have been
    deleted or made private since the pairs were found): what the review counts and
    pages through."""
    found = duplicate_candidates(actor)
    ids = sorted({i for c in found for i in c.pair})
    visible: set[int] = set()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        visible.update(visible_people(actor).filter(pk__in=chunk).values_list("pk", flat=True))
    return [c for c in found if c.first in visible and c.second in visible]


def reason_text(reason: Reason) -> str:
    """One reason in the user's language."""
    if reason.kind == "email":
        return _("same email %(value)s") % {"value": reason.value}
    if reason.kind == "phone":
        return _("same phone %(value)s") % {"value": reason.value}
    names = {"first": reason.names[0], "second": reason.names[1]}
    if reason.organisation:
        return _("names %(first)s / %(second)s sound alike at %(organisation)s") % {
            **names,
            "organisation": reason.organisation,
        }
    return _("names %(first)s / %(second)s sound alike") % names


@dataclass
class PairRow:
    """One pair as the review shows it: both people (with roles, channels and counts
    of interactions, facts and commitments loaded), the score and the reasons."""

    candidate: Candidate
    left: Person
    right: Person

    @property
    def score(self) -> int:
        return self.candidate.score

    @property
    def reasons(self) -> list[str]:
        return [reason_text(r) for r in self.candidate.reasons]


def duplicate_rows(actor: Any, candidates: list[Candidate]) -> list[PairRow]:
    """The people of a page of candidates, loaded in a fixed number of queries. A pair
    whose person the actor can no longer see (deleted, made private) is dropped."""
    ids = {i for c in candidates for i in c.pair}
    people = {
        p.pk: p
        for p in visible_people(actor)
        .filter(pk__in=ids)
        .prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("organisation")),
            "channels",
        )
    }
    # One grouped count per kind: counting all three in one join multiplies the rows.
    counts = {
        "interaction_count": Participation.objects.filter(person_id__in=ids),
        "fact_count": Fact.objects.filter(person_id__in=ids),
        "commitment_count": Commitment.objects.filter(person_id__in=ids),
    }
    for name, rows in counts.items():
        found = dict(rows.order_by().values_list("person_id").annotate(n=Count("id")))
        for pk, person in people.items():
            setattr(person, name, found.get(pk, 0))
    return [
        PairRow(candidate=c, left=people[c.first], right=people[c.second])
        for c in candidates
        if c.first in people and c.second in people
    ]
