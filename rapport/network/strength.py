"""How strong a tie is, in 0..1, from the evidence between two people. Pure: no Django.

The weights live here, each with its reason. The shape follows what the field has
learned (Granovetter; Gilbert & Karahalios 2009, where days since last contact and days
since first contact were the strongest predictors of tie strength) and the published
formulas of relationship-intelligence products (points for meetings and reciprocated
emails, times a recency multiplier that decays over years):

    volume   = 1 - exp(-points / VOLUME_SCALE)         how much contact, saturating
    recency  = 0.5 ** (days since last contact / RECENCY_HALF_LIFE_DAYS)
    duration = 1 - exp(-years known / DURATION_SCALE_YEARS)
    evidence = volume * recency * (DURATION_BASE + (1 - DURATION_BASE) * duration)
    prior    = KIND_PRIOR[kind] * (PRIOR_BASE + (1 - PRIOR_BASE) * duration)
    strength = 1 - (1 - prior) * (1 - evidence)        either can make a tie strong

A strength set by hand replaces all of this. Every term rises with more contact, more
reciprocity, more recent contact and a longer acquaintance, and none of them falls: the
property tests rest on that.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

# --- What a conversation is worth ------------------------------------------------------
# Time spent together says most about a relationship; a call is a deliberate act; a
# message is cheap. A note to oneself is no contact at all.
MEETING_KINDS = frozenset({"meeting", "video", "meal", "event"})
CALL_KINDS = frozenset({"call"})
WRITTEN_KINDS = frozenset({"email", "message"})
POINTS_MEETING = 3.0
POINTS_CALL = 2.0
POINTS_WRITTEN = 1.0
# Each exchange that went both ways (one started by either side) adds this much on top:
# a relationship both sides keep up is stronger than mail that goes one way.
POINTS_RECIPROCATED = 2.0
# Personal, confiding conversations (focus "personal") raise a tie beyond their kind.
POINTS_PERSONAL = 1.5
# Points at which volume reaches 63 % of its ceiling: about five meetings, or a dozen
# mails answered both ways.
VOLUME_SCALE = 15.0

# --- Time --------------------------------------------------------------------------------
# A year of silence halves what the conversations say; five years leave a thirtieth.
RECENCY_HALF_LIFE_DAYS = 365.0
# Two years of knowing each other take the duration term to 63 %.
DURATION_SCALE_YEARS = 2.0
# A new acquaintance's contact still counts for most of its worth; duration adds the rest.
DURATION_BASE = 0.6
PRIOR_BASE = 0.8

# --- What a user said the tie is ---------------------------------------------------------
# Family and friends are strong whatever the log shows (we rarely log a dinner with a
# client's brother); colleagues see each other daily but are not always close; an
# introduction means little more than that they have met. A tie found only in
# conversations has no stated kind and no prior.
KIND_PRIOR: dict[str, float] = {
    "family": 0.7,
    "friend": 0.55,
    "colleague": 0.4,
    "former_colleague": 0.3,
    "classmate": 0.3,
    "client": 0.3,
    "introduced_by": 0.15,
    "other": 0.1,
}


@dataclass(frozen=True)
class Evidence:
    """The conversations two people had, as counts and dates (notes left out)."""

    meetings: int = 0
    calls: int = 0
    written: int = 0
    personal: int = 0
    initiated_by_us: int = 0
    initiated_by_them: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None

    @property
    def count(self) -> int:
        return self.meetings + self.calls + self.written

    @property
    def reciprocated(self) -> int:
        return min(self.initiated_by_us, self.initiated_by_them)


@dataclass(frozen=True)
class Group:
    """One row of the grouped evidence query: interactions of one kind, initiator and
    focus between a pair, with their number and first and last times."""

    kind: str
    initiated_by: str
    personal: bool
    count: int
    first_at: dt.datetime
    last_at: dt.datetime


def evidence_from_groups(groups: Iterable[Group]) -> Evidence:
    """Fold a pair's grouped rows into its Evidence (notes and unknown kinds ignored)."""
    counts = {"meetings": 0, "calls": 0, "written": 0, "personal": 0, "us": 0, "them": 0}
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    for g in groups:
        if g.kind in MEETING_KINDS:
            counts["meetings"] += g.count
        elif g.kind in CALL_KINDS:
            counts["calls"] += g.count
        elif g.kind in WRITTEN_KINDS:
            counts["written"] += g.count
        else:
            continue
        if g.personal:
            counts["personal"] += g.count
        counts["them" if g.initiated_by == "them" else "us"] += g.count
        first = g.first_at if first is None else min(first, g.first_at)
        last = g.last_at if last is None else max(last, g.last_at)
    return Evidence(
        meetings=counts["meetings"],
        calls=counts["calls"],
        written=counts["written"],
        personal=counts["personal"],
        initiated_by_us=counts["us"],
        initiated_by_them=counts["them"],
        first_at=first,
        last_at=last,
    )


@dataclass(frozen=True)
class Strength:
    """A tie's strength and the terms it came from, for an explanation."""

    value: float
    prior: float
    evidence: float
    volume: float
    recency: float
    duration: float
    manual: bool = False


def _days(later: dt.datetime | dt.date, earlier: dt.datetime | dt.date) -> float:
    if isinstance(later, dt.datetime) and isinstance(earlier, dt.datetime):
        return max(0.0, (later - earlier).total_seconds() / 86400.0)
    later_day = later.date() if isinstance(later, dt.datetime) else later
    earlier_day = earlier.date() if isinstance(earlier, dt.datetime) else earlier
    return float(max(0, (later_day - earlier_day).days))


def points(evidence: Evidence) -> float:
    return (
        POINTS_MEETING * evidence.meetings
        + POINTS_CALL * evidence.calls
        + POINTS_WRITTEN * evidence.written
        + POINTS_RECIPROCATED * evidence.reciprocated
        + POINTS_PERSONAL * evidence.personal
    )


def tie_strength(
    evidence: Evidence,
    *,
    now: dt.datetime,
    kind: str | None = None,
    since: dt.date | None = None,
    manual: float | None = None,
) -> Strength:
    """The strength of a tie in [0, 1] as of `now`.

    `kind` is the kind a user stated (None for a tie found only in conversations),
    `since` when they say the two have known each other, `manual` a strength a user
    set by hand, which wins."""
    if manual is not None:
        value = min(1.0, max(0.0, float(manual)))
        return Strength(value, 0.0, 0.0, 0.0, 0.0, 0.0, manual=True)
    starts = [d for d in (evidence.first_at, since) if d is not None]
    years = max((_days(now, d) for d in starts), default=0.0) / 365.25
    duration = 1.0 - math.exp(-years / DURATION_SCALE_YEARS)
    volume = 1.0 - math.exp(-points(evidence) / VOLUME_SCALE)
    recency = (
        0.5 ** (_days(now, evidence.last_at) / RECENCY_HALF_LIFE_DAYS)
        if evidence.last_at is not None
        else 0.0
    )
    evidence_part = volume * recency * (DURATION_BASE + (1.0 - DURATION_BASE) * duration)
    prior = KIND_PRIOR.get(kind, 0.0) if kind else 0.0
    prior_part = prior * (PRIOR_BASE + (1.0 - PRIOR_BASE) * duration)
    value = 1.0 - (1.0 - prior_part) * (1.0 - evidence_part)
    return Strength(
        value=min(1.0, max(0.0, value)),
        prior=prior_part,
        evidence=evidence_part,
        volume=volume,
        recency=recency,
        duration=duration,
    )
