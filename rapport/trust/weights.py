"""Every number the trust equation uses, with the reason it has that value.

Pure data: no Django. Each kind of evidence moves one component towards a *value*
(where a long run of that kind of event would leave the component) with a *weight*
(how many "ordinary events" one such event is worth). The estimate of a component is a
Bayesian mean: a neutral prior worth `PRIOR_WEIGHT` pseudo-events, plus every event
weighted by its weight and by its age (half-life decay). So one event moves a new
relationship a little and a long record hardly at all, and old news fades.

Values sit at the ends of the scale on purpose: an event that is good news is worth the
top of the scale, so adding it can never lower its component (the invariants the
property tests check rest on this), and its *weight* says how much good news it is.
"""

from __future__ import annotations

from dataclasses import dataclass

C, R, I, S = "C", "R", "I", "S"  # noqa: E741 (the equation's own letters)
COMPONENTS = (C, R, I, S)

# Default half-life of evidence in days (RAPPORT_TRUST_HALF_LIFE_DAYS overrides it).
# Half a year: a promise kept last spring still counts half as much as one kept today;
# one kept three years ago barely counts. Trust is "what have you done for me lately".
HALF_LIFE_DAYS = 180.0

# Neutral priors. C, R and I start mid-scale. S starts mid-scale too (5.5 on 1..10) but
# with twice the prior weight: S divides the whole equation, so it must not swing far on
# two or three interactions (the known pitfall of T = (C + R + I) / S).
PRIOR_MEAN = {C: 5.0, R: 5.0, I: 5.0, S: 5.5}
PRIOR_WEIGHT = {C: 3.0, R: 3.0, I: 3.0, S: 6.0}
LOW = {C: 0.0, R: 0.0, I: 0.0, S: 1.0}
HIGH = {C: 10.0, R: 10.0, I: 10.0, S: 10.0}

# Below this much (decayed) evidence weight a component is called "uncertain" on the
# card instead of being shown as low or high.
UNCERTAIN_BELOW = 2.0

# One answer of a client's survey counts as this many ordinary events: the client's own
# view is the best evidence there is, but one survey must not erase a year's record.
SURVEY_WEIGHT = 2.0


@dataclass(frozen=True)
class Rule:
    component: str
    value: float
    weight: float
    decays: bool = True


RULES: dict[str, Rule] = {
    # --- Credibility: facts shown, claims that held, and any falsehood found out.
    # Verified, current evidence shown to the client: the rational basis of belief.
    "evidence_verified": Rule(C, 10.0, 1.0),
    # Evidence shown after it expired, or never verified: one discovered hollow claim
    # costs more than several good ones earn (the deregistered reference client).
    "evidence_expired": Rule(C, 0.0, 2.0),
    "evidence_unverified": Rule(C, 0.0, 1.0),
    # A claim later found accurate builds belief; exaggeration and falsehood ruin it.
    "claim_accurate": Rule(C, 10.0, 1.0),
    "claim_exaggerated": Rule(C, 0.0, 2.5),
    "claim_false": Rule(C, 0.0, 4.0),
    # Value delivered and told to the client (an item of the value ledger marked told):
    # effort that is shown is believed, and it is a fact they can check, so it adds to
    # credibility; a little, since it is our own account of our work, not a third party's.
    "value_reported": Rule(C, 10.0, 0.5),
    # --- Reliability: small promises kept on time, again and again.
    "promise_kept": Rule(R, 10.0, 1.0),
    # Late is better than never but it is not reliability: it pulls towards the middle.
    "promise_late": Rule(R, 4.0, 1.0),
    "promise_broken": Rule(R, 0.0, 2.0),
    # Past its deadline and still open: the client is already noticing.
    "promise_overdue": Rule(R, 0.0, 1.0, decays=False),
    # Moving a date but telling the client first is mostly good news; a quiet slip is not.
    "renegotiated_in_time": Rule(R, 10.0, 0.4),
    "renegotiated_late": Rule(R, 0.0, 1.0),
    "reported_back": Rule(R, 10.0, 0.5),
    "delivered_exceeded": Rule(R, 10.0, 0.6),
    "delivered_met": Rule(R, 10.0, 0.3),
    "delivered_short": Rule(R, 0.0, 1.0),
    # Progress reported like a parcel tracker.
    "milestone": Rule(R, 10.0, 0.25),
    # Problems flagged early: a risk told to the client within a week of being raised.
    "risk_disclosed": Rule(R, 10.0, 0.5),
    "risk_disclosed_late": Rule(R, 0.0, 0.5),
    "risk_hidden": Rule(R, 0.0, 0.75, decays=False),
    # Meeting hygiene: agenda and materials sent ahead, decisions followed up.
    "agenda_ahead": Rule(R, 10.0, 0.3),
    "materials_ahead": Rule(R, 10.0, 0.3),
    "decision_followed_up": Rule(R, 10.0, 0.3),
    "decision_dropped": Rule(R, 0.0, 0.5),
    # --- Intimacy: common ground known, openness returned, contact kept, boundaries kept.
    "fact_known": Rule(I, 10.0, 0.3),
    # Talking often builds closeness, each contact a little.
    "contact": Rule(I, 10.0, 0.05),
    "personal_talk": Rule(I, 10.0, 0.4),
    "they_opened_up": Rule(I, 10.0, 0.8),
    "we_opened_up": Rule(I, 10.0, 0.3),
    # Openness offered and returned in the same conversation: intimacy's real engine.
    "reciprocal_openness": Rule(I, 10.0, 1.2),
    # Pushing a closeness the relationship has not reached backfires.
    "boundary_crossed": Rule(I, 0.0, 2.0),
    # Silence past the wanted cadence breeds suspicion (weight grows with the silence).
    "gone_quiet": Rule(I, 0.0, 0.5, decays=False),
    "in_touch": Rule(I, 10.0, 0.3, decays=False),
    # Gifts and hospitality (rapport.gifts). A modest gift on a personal occasion (a
    # birthday, a festival, a thank-you), given or received within the team's policy,
    # is a small sign of knowing the person: worth about as much as a fact learned.
    "gift_personal": Rule(I, 10.0, 0.3),
    # A gift or hospitality over the policy, either way, is a boundary incident: the
    # relationship is drifting from professional distance, where buying starts to feel
    # like a favour to a friend and standards slip (domain.md §4). It costs intimacy a
    # little less than pushing closeness on someone ("boundary_crossed") ...
    "gift_over_limit": Rule(I, 0.0, 1.5),
    # ... and it puts independence in question, which reads as self-interest: a client
    # who was given too much wonders what it was for, one who gave too much expects
    # something back. Counted on S like pressing on price, a little less heavily.
    "gift_obligation": Rule(S, 10.0, 1.0),
    # --- Self-orientation: whose agenda the conversations serve (1 = theirs, 10 = ours).
    "our_agenda": Rule(S, 10.0, 0.4),
    "their_agenda": Rule(S, 1.0, 0.4),
    "mutual_agenda": Rule(S, 1.0, 0.1),
    # Listening and summarising before proposing earns the right to give answers.
    "summarised_first": Rule(S, 1.0, 0.8),
    "answered_too_soon": Rule(S, 10.0, 0.8),
    "price_pressure": Rule(S, 10.0, 1.2),
    "unsolicited_upsell": Rule(S, 10.0, 1.2),
    # A client's survey answer: value comes from the answer, weight from SURVEY_WEIGHT.
    "survey_C": Rule(C, 5.0, SURVEY_WEIGHT),
    "survey_R": Rule(R, 5.0, SURVEY_WEIGHT),
    "survey_I": Rule(I, 5.0, SURVEY_WEIGHT),
    "survey_S": Rule(S, 5.5, SURVEY_WEIGHT),
}

SURVEY_KINDS = frozenset({"survey_C", "survey_R", "survey_I", "survey_S"})

# How much each person counts in an organisation's trust: decision makers most, then by
# the influence (1-5) recorded on their role.
DECISION_MAKER_WEIGHT = 1.0


# ... and no one person's volume of evidence outweighs that: in an organisation's pool,
# each person's evidence on a component counts for at most this much (about a dozen
# fresh conversations' worth) before their influence scales it. Without the cap a
# junior contact with five hundred emails would drown out the decision maker met five
# times; with it the decision maker weighs most once both are well known, while a
# person with little evidence still counts for little.
POOL_CAP = 12.0


def influence_weight(influence: int, is_decision_maker: bool) -> float:
    if is_decision_maker:
        return DECISION_MAKER_WEIGHT
    return 0.15 * max(1, min(5, influence))


# "Gone quiet": the silence's weight per wanted cadence overdue, and its cap.
QUIET_WEIGHT_PER_CADENCE = 0.5
QUIET_WEIGHT_CAP = 2.0
# A risk not told to the client within this many days counts as hidden.
RISK_GRACE_DAYS = 7
# A decision left without a promise or a "no follow-up" for this long counts as dropped.
DECISION_GRACE_DAYS = 7
