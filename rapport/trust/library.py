"""Reads of the evidence library, what was shown to whom, and claims made to clients.

Every `*_for(actor, id)` answers 404 when the record is not the actor's to see: another
team's, or tied to a colleague's private contact. The library itself is the team's
(evidence has no owner), but a showing or claim follows the person it was for."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _

from rapport.accounts.models import AuditEntry
from rapport.interactions.models import Interaction
from rapport.interactions.queries import visible_interactions
from rapport.people.models import Organisation, Person, Role, Visibility
from rapport.people.queries import visible_people
from rapport.trust.models import Claim, Evidence, EvidenceShown

# Evidence this close to its expiry is worth renewing before the next meeting.
EXPIRES_SOON_DAYS = 30
# A claim nobody has checked after this long is one we may have forgotten.
CLAIM_PENDING_DAYS = 30


def zone_of(actor: Any) -> zoneinfo.ZoneInfo:
    """The actor's own time zone (UTC if theirs is unknown)."""
    try:
        return zoneinfo.ZoneInfo(actor.member.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def today_for(actor: Any, at: dt.datetime | None = None) -> dt.date:
    """The actor's calendar day at `at` (now if None), in their own time zone."""
    return (at or dt.datetime.now(dt.UTC)).astimezone(zone_of(actor)).date()


# ---------------------------------------------------------------------------------------
# Flags: what is wrong with a piece of evidence on a given day.


@dataclass(frozen=True)
class Flag:
    code: str  # "expired", "unverified", "expires_soon"
    label: str
    stale: bool  # showing it costs credibility


def _day(day: dt.date) -> str:
    return str(formats.date_format(day, "DATE_FORMAT"))


def evidence_flags(evidence: Evidence, on: dt.date) -> list[Flag]:
    """Why `evidence` needs attention on day `on`: expired or never verified (showing it
    costs credibility), or expiring within EXPIRES_SOON_DAYS (a reminder only)."""
    flags: list[Flag] = []
    if evidence.expires_on is not None and evidence.expires_on < on:
        flags.append(
            Flag(
                "expired",
                _("expired on %(date)s") % {"date": _day(evidence.expires_on)},
                True,
            )
        )
    elif evidence.expires_on is not None and (evidence.expires_on - on).days <= EXPIRES_SOON_DAYS:
        flags.append(
            Flag(
                "expires_soon",
                _("expires on %(date)s") % {"date": _day(evidence.expires_on)},
                False,
            )
        )
    if evidence.verified_on is None:
        flags.append(Flag("unverified", _("never verified"), True))
    return flags


def is_stale(evidence: Evidence, on: dt.date) -> bool:
    return any(f.stale for f in evidence_flags(evidence, on))


# ---------------------------------------------------------------------------------------
# Access, checked once per model.


def _reachable(actor: Any, prefix: str = "") -> Q:
    """Rows about nobody in particular, a shared person, or the actor's own private
    contact. A colleague's private contact is never reachable."""
    return (
        Q(**{f"{prefix}person__isnull": True})
        | Q(**{f"{prefix}person__visibility": Visibility.TEAM})
        | Q(**{f"{prefix}person__owner_id": actor.pk})
    )


def visible_evidence(actor: Any) -> QuerySet[Evidence]:
    return Evidence.objects.filter(team_id=actor.member.team_id)


def evidence_for(actor: Any, evidence_id: int | str, *, write: bool = False) -> Evidence:
    """The team's piece of evidence, or Http404."""
    try:
        return visible_evidence(actor).get(pk=int(evidence_id))
    except (Evidence.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such evidence") from exc


def visible_showings(actor: Any) -> QuerySet[EvidenceShown]:
    return EvidenceShown.objects.filter(team_id=actor.member.team_id).filter(_reachable(actor))


def showing_for(actor: Any, showing_id: int | str, *, write: bool = False) -> EvidenceShown:
    try:
        return (
            visible_showings(actor)
            .select_related("evidence", "person", "organisation")
            .get(pk=int(showing_id))
        )
    except (EvidenceShown.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such showing") from exc


def visible_claims(actor: Any) -> QuerySet[Claim]:
    return Claim.objects.filter(team_id=actor.member.team_id).filter(_reachable(actor))


def claim_for(actor: Any, claim_id: int | str, *, write: bool = False) -> Claim:
    """A claim the actor may see, or Http404."""
    try:
        return (
            visible_claims(actor)
            .select_related("person", "organisation", "owner", "interaction")
            .get(pk=int(claim_id))
        )
    except (Claim.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such claim") from exc


# ---------------------------------------------------------------------------------------
# The library page.


def evidence_search(
    actor: Any,
    *,
    kind: str | None = None,
    industry: str | None = None,
    attention: bool = False,
    today: dt.date | None = None,
) -> QuerySet[Evidence]:
    """The team's evidence by title, each with `shown_count` and `last_shown_at` (over
    the showings the actor may see). `attention` keeps what is expired or unverified on
    `today`; `industry` matches one of its industries, ignoring case."""
    today = today or today_for(actor)
    reachable = _reachable(actor, "showings__")
    qs = visible_evidence(actor)
    if kind:
        qs = qs.filter(kind=kind)
    if attention:
        qs = qs.filter(Q(verified_on__isnull=True) | Q(expires_on__lt=today))
    if industry:
        # JSON containment is not portable to SQLite; a team's library is small, so the
        # match is made here and handed back as ids.
        wanted = industry.strip().casefold()
        ids = [
            pk
            for pk, values in qs.values_list("pk", "industries")
            if any(str(v).casefold() == wanted for v in values or [])
        ]
        qs = qs.filter(pk__in=ids)
    return qs.annotate(
        shown_count=Count("showings", filter=reachable),
        last_shown_at=Max("showings__shown_at", filter=reachable),
    ).order_by("title", "id")


def with_flags(items: Any, today: dt.date) -> list[Evidence]:
    """Evidence with `flags` (see evidence_flags) and `stale` set on each."""
    rows = list(items)
    for e in rows:
        e.flags = evidence_flags(e, today)  # type: ignore[attr-defined]
        e.stale = any(f.stale for f in e.flags)  # type: ignore[attr-defined]
    return rows


def evidence_industries(actor: Any) -> list[str]:
    """Every industry named in the team's library, once each, sorted."""
    seen: dict[str, str] = {}
    for values in visible_evidence(actor).values_list("industries", flat=True):
        for v in values or []:
            seen.setdefault(str(v).casefold(), str(v))
    return sorted(seen.values(), key=str.casefold)


def evidence_showings(actor: Any, evidence: Evidence) -> list[EvidenceShown]:
    """To whom and when `evidence` was shown, newest first; only showings the actor may
    see (never those to a colleague's private contact)."""
    return list(
        visible_showings(actor)
        .filter(evidence=evidence)
        .select_related("person", "organisation", "shown_by", "interaction")
        .order_by("-shown_at", "-id")
    )


def evidence_choices(actor: Any, today: dt.date) -> list[tuple[int, str]]:
    """The library as choices for the "show evidence" form, stale items flagged in
    their label so the warning is seen before choosing."""
    choices = []
    for e in visible_evidence(actor).order_by("title", "id"):
        flags = evidence_flags(e, today)
        label = f"{e.title} ({e.get_kind_display()})"
        stale = [f.label for f in flags if f.stale]
        if stale:
            label = f"⚠ {label}: {', '.join(stale)}"
        choices.append((e.pk, label))
    return choices


# ---------------------------------------------------------------------------------------
# A person's or organisation's page.


def client_showings(
    actor: Any, *, person: Person | None = None, organisation: Organisation | None = None
) -> list[EvidenceShown]:
    """Evidence shown to a person, or to an organisation directly and to the people who
    work there now (those the actor may see), newest first."""
    qs = visible_showings(actor)
    if person is not None:
        qs = qs.filter(person=person)
    elif organisation is not None:
        qs = qs.filter(
            Q(organisation=organisation) | Q(person__in=_current_people(actor, organisation))
        )
    else:
        return []
    return list(
        qs.select_related("evidence", "person", "organisation", "shown_by").order_by(
            "-shown_at", "-id"
        )
    )


def client_claims(
    actor: Any, *, person: Person | None = None, organisation: Organisation | None = None
) -> list[Claim]:
    """Claims made to a person, or to an organisation directly and to its current
    people (those the actor may see), newest first."""
    qs = visible_claims(actor)
    if person is not None:
        qs = qs.filter(person=person)
    elif organisation is not None:
        qs = qs.filter(
            Q(organisation=organisation) | Q(person__in=_current_people(actor, organisation))
        )
    else:
        return []
    return list(qs.select_related("person", "organisation", "owner").order_by("-made_at", "-id"))


def _current_people(actor: Any, organisation: Organisation) -> QuerySet[Person]:
    return visible_people(actor).filter(
        pk__in=Role.objects.filter(organisation=organisation, ended_on__isnull=True).values(
            "person_id"
        )
    )


def interaction_choices(
    actor: Any,
    *,
    person: Person | None = None,
    organisation: Organisation | None = None,
    limit: int = 30,
) -> list[tuple[int, str]]:
    """Recent conversations with the client the actor may see, to link a showing or a
    claim to the one it happened in."""
    qs = visible_interactions(actor)
    if person is not None:
        qs = qs.filter(participations__person=person)
    elif organisation is not None:
        qs = qs.filter(participations__person__in=_current_people(actor, organisation))
    else:
        return []
    rows = (
        qs.exclude(kind=Interaction.Kind.NOTE)
        .order_by("-occurred_at", "-id")
        .values_list("pk", "occurred_at", "summary")
        .distinct()[:limit]
    )
    zone = zone_of(actor)
    return [
        (pk, f"{at.astimezone(zone):%Y-%m-%d %H:%M} · {summary or _('(no summary)')}")
        for pk, at, summary in rows
    ]


# ---------------------------------------------------------------------------------------
# The claims page.


def claims_search(
    actor: Any,
    *,
    status: str | None = None,
    pending_since: dt.datetime | None = None,
    mine: bool = False,
) -> QuerySet[Claim]:
    """Claims the actor may see, newest first. `pending_since` keeps the unchecked ones
    made before that moment (the ones waiting too long)."""
    qs = visible_claims(actor)
    if status:
        qs = qs.filter(status=status)
    if pending_since is not None:
        qs = qs.filter(status=Claim.Status.PENDING, made_at__lt=pending_since)
    if mine:
        qs = qs.filter(owner_id=actor.pk)
    return qs.select_related("person", "organisation", "owner").order_by("-made_at", "-id")


def claim_history(claim: Claim) -> list[AuditEntry]:
    """Every assessment of the claim, oldest first (re-assessing keeps the earlier ones),
    each with `to_label` and `from_label`: the statuses as the user reads them."""
    labels = dict(Claim.Status.choices)
    entries = list(
        AuditEntry.objects.filter(
            team_id=claim.team_id,
            object_type="claim",
            object_id=claim.pk,
            action="claim.assess",
        )
        .select_related("actor")
        .order_by("at", "id")
    )
    for entry in entries:
        changes = entry.changes or {}
        entry.to_label = labels.get(changes.get("to", ""), changes.get("to", ""))  # type: ignore[attr-defined]
        entry.from_label = labels.get(changes.get("from", ""), changes.get("from", ""))  # type: ignore[attr-defined]
    return entries
