"""What to do next: the two or three concrete actions that would raise trust most.

Pure (no Django). The caller describes the relationship's open situation (overdue
promises, hidden risks, an unprepared meeting, what we do not know of the person, how
the last conversations went); each possible action names the evidence it would add or
remove, `equation.gain` says how much T would rise, and the best are chosen. Whatever T
is, one action always addresses the weakest component, so a high score never hides a
weak one (credibility must not mask broken promises).

Actions carry a code and parameters, not sentences: the pages word them in the user's
language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapport.trust import equation
from rapport.trust import weights as W
from rapport.trust.equation import Score, Sums

# Common ground worth knowing, most telling first (a dislike is worth knowing too, to avoid).
GROUND = ("family", "hobby", "goal", "sport", "food", "book", "film", "history")


@dataclass(frozen=True)
class Ref:
    """A record the action is about: what to call it, when, and where to resolve it."""

    title: str
    when: dt.datetime | dt.date | None = None
    url: str = ""
    other: str = ""


@dataclass(frozen=True)
class Situation:
    name: str
    now: dt.datetime
    overdue: tuple[Ref, ...] = ()
    due_soon: tuple[Ref, ...] = ()
    hidden_risks: tuple[Ref, ...] = ()  # other = the promise's title
    unreported: tuple[Ref, ...] = ()
    open_decisions: tuple[Ref, ...] = ()
    meetings_without_agenda: tuple[Ref, ...] = ()  # when = the meeting's start
    evidence_to_show: tuple[Ref, ...] = ()
    stale_evidence: tuple[Ref, ...] = ()  # shown to them before, now expired
    pending_claims: tuple[Ref, ...] = ()
    known_categories: frozenset[str] = frozenset()
    topic: str = ""
    silence_days: int | None = None
    cadence_days: int | None = None
    recent_focus: tuple[str, ...] = ()  # newest first
    recent_signals: frozenset[str] = frozenset()
    surveyed: bool = False
    gifts_over_limit: tuple[Ref, ...] = ()  # newest first (rapport.gifts)


@dataclass(frozen=True)
class Action:
    code: str
    component: str
    gain: float
    params: Mapping[str, object] = field(default_factory=dict)
    url: str = ""


Candidate = tuple[str, str, list[tuple[str, float]], Mapping[str, object], str]


def _candidates(s: Situation) -> list[Candidate]:
    out: list[Candidate] = []

    grace = dt.timedelta(days=W.RISK_GRACE_DAYS)
    for risk in s.hidden_risks:
        hidden = isinstance(risk.when, dt.datetime) and risk.when <= s.now - grace
        changes = [("risk_disclosed", 1.0)] + ([("risk_hidden", -1.0)] if hidden else [])
        out.append(
            ("disclose_risk", W.R, changes, {"risk": risk.title, "promise": risk.other}, risk.url)
        )
    for promise in s.overdue:
        changes = [("promise_overdue", -1.0), ("promise_late", 1.0)]
        out.append(
            ("overdue", W.R, changes, {"promise": promise.title, "due": promise.when}, promise.url)
        )
    for promise in s.due_soon:
        out.append(
            (
                "keep",
                W.R,
                [("promise_kept", 1.0)],
                {"promise": promise.title, "due": promise.when},
                promise.url,
            )
        )
    for meeting in s.meetings_without_agenda:
        params = {"meeting": meeting.title, "when": meeting.when}
        out.append(("send_agenda", W.R, [("agenda_ahead", 1.0)], params, meeting.url))
    for promise in s.unreported:
        out.append(
            ("report_back", W.R, [("reported_back", 1.0)], {"promise": promise.title}, promise.url)
        )
    for decision in s.open_decisions:
        changes = [("decision_followed_up", 1.0)]
        if isinstance(decision.when, dt.datetime) and decision.when <= s.now - dt.timedelta(
            days=W.DECISION_GRACE_DAYS
        ):
            changes.append(("decision_dropped", -1.0))
        out.append(("follow_up", W.R, changes, {"decision": decision.title}, decision.url))
    for evidence in s.stale_evidence[:1]:
        out.append(
            (
                "renew_evidence",
                W.C,
                [("evidence_verified", 1.0)],
                {"evidence": evidence.title, "expired": evidence.when},
                evidence.url,
            )
        )
    for evidence in s.evidence_to_show[:1]:
        out.append(
            (
                "show_evidence",
                W.C,
                [("evidence_verified", 1.0)],
                {"evidence": evidence.title, "kind": evidence.other},
                evidence.url,
            )
        )
    if not s.evidence_to_show and not s.stale_evidence:
        out.append(("add_evidence", W.C, [("evidence_verified", 1.0)], {}, ""))
    for claim in s.pending_claims[:1]:
        out.append(
            (
                "check_claim",
                W.C,
                [("claim_accurate", 1.0)],
                {"claim": claim.title, "said": claim.when},
                claim.url,
            )
        )
    missing = [c for c in GROUND if c not in s.known_categories]
    if len(missing) >= len(GROUND) - 1:
        out.append(("ask_about", W.I, [("fact_known", 2.0)], {"topics": tuple(missing[:2])}, ""))
    elif missing:
        out.append(("learn_more", W.I, [("fact_known", 1.0)], {"topics": tuple(missing[:2])}, ""))
    if s.silence_days is not None and s.cadence_days and s.silence_days > s.cadence_days:
        scale = min(
            s.silence_days / s.cadence_days, W.QUIET_WEIGHT_CAP / W.RULES["gone_quiet"].weight
        )
        changes = [("gone_quiet", -scale), ("in_touch", 1.0), ("contact", 1.0)]
        quiet: dict[str, object] = {
            "days": s.silence_days,
            "cadence": s.cadence_days,
            "topic": s.topic,
        }
        out.append(("get_in_touch", W.I, changes, quiet, ""))
    elif s.recent_focus and "personal" not in s.recent_focus[:5]:
        out.append(
            (
                "talk_personally",
                W.I,
                [("personal_talk", 1.0), ("contact", 1.0)],
                {"topic": s.topic},
                "",
            )
        )
    pitch = 0
    for focus in s.recent_focus:
        if focus != "ours":
            break
        pitch += 1
    if pitch >= 2:
        out.append(
            (
                "start_from_problem",
                W.S,
                [("their_agenda", 1.0), ("summarised_first", 1.0)],
                {"count": pitch},
                "",
            )
        )
    if s.recent_signals & {"price_pressure", "unsolicited_upsell"}:
        out.append(("ease_pressure", W.S, [("their_agenda", 1.0)], {}, ""))
    if "answered_too_soon" in s.recent_signals or "summarised_first" not in s.recent_signals:
        out.append(("summarise_first", W.S, [("summarised_first", 1.0)], {}, ""))
    if not s.surveyed:
        out.append(("ask_view", W.S, [], {}, ""))
    # A gift over the limits: settling it (returned, repaid, or shown to be within
    # policy after all) takes its boundary events away; talking it through keeps the
    # professional distance from slipping further.
    for gift in s.gifts_over_limit[:1]:
        changes = [("gift_obligation", -1.0), ("gift_over_limit", -1.0)]
        out.append(("settle_gift", W.S, changes, {"gift": gift.title, "when": gift.when}, gift.url))
    return out


def next_actions(
    score: Score, sums: Mapping[str, Sums], situation: Situation, *, limit: int = 3
) -> list[Action]:
    """The actions that would raise T most, one of them always for the weakest component."""
    actions = [
        Action(code, component, equation.gain(sums, changes) if changes else 0.0, params, url)
        for code, component, changes, params, url in _candidates(situation)
    ]
    # Biggest gain first; ties by the order the candidates were listed in (most urgent).
    ranked = [a for _, a in sorted(enumerate(actions), key=lambda p: (-round(p[1].gain, 9), p[0]))]
    chosen = [a for a in ranked if a.gain > 0][:limit]
    weakest = score.weakest.name
    if not any(a.component == weakest for a in chosen):
        for_weakest = [a for a in ranked if a.component == weakest]
        if for_weakest:
            chosen = [*chosen[: limit - 1], for_weakest[0]]
    if len(chosen) < 2:
        chosen += [a for a in ranked if a not in chosen][: 2 - len(chosen)]
    return chosen
