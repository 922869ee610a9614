"""How trust evidence and coaching read, in the user's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.people.models import Fact
from rapport.trust import weights as W

COMPONENT_NAMES = {
    W.C: gettext_lazy("Credibility"),
    W.R: gettext_lazy("Reliability"),
    W.I: gettext_lazy("Intimacy"),
    W.S: gettext_lazy("Self-orientation"),
}
COMPONENT_QUESTIONS = {
    W.C: gettext_lazy("Can they believe what we say?"),
    W.R: gettext_lazy("Can they count on us?"),
    W.I: gettext_lazy("Do they feel safe sharing with us?"),
    W.S: gettext_lazy("How much do we seem to serve ourselves? Lower is better."),
}

KINDS = {
    "evidence_verified": gettext_lazy("Verified evidence shown"),
    "evidence_expired": gettext_lazy("Expired evidence shown"),
    "evidence_unverified": gettext_lazy("Unverified evidence shown"),
    "claim_accurate": gettext_lazy("Claim held up"),
    "claim_exaggerated": gettext_lazy("Claim found exaggerated"),
    "claim_false": gettext_lazy("Claim found false"),
    "value_reported": gettext_lazy("Told them of value we delivered"),
    "promise_kept": gettext_lazy("Promise kept on time"),
    "promise_late": gettext_lazy("Promise kept late"),
    "promise_broken": gettext_lazy("Promise broken"),
    "promise_overdue": gettext_lazy("Promise overdue"),
    "renegotiated_in_time": gettext_lazy("New date agreed before the deadline"),
    "renegotiated_late": gettext_lazy("Date moved without telling them in time"),
    "reported_back": gettext_lazy("Told them it was done"),
    "delivered_exceeded": gettext_lazy("Delivered more than expected"),
    "delivered_met": gettext_lazy("Delivered what was expected"),
    "delivered_short": gettext_lazy("Delivered less than expected"),
    "milestone": gettext_lazy("Progress reported"),
    "risk_disclosed": gettext_lazy("Risk told to them early"),
    "risk_disclosed_late": gettext_lazy("Risk told to them late"),
    "risk_hidden": gettext_lazy("Risk not yet told to them"),
    "agenda_ahead": gettext_lazy("Agenda sent ahead"),
    "materials_ahead": gettext_lazy("Materials sent ahead"),
    "decision_followed_up": gettext_lazy("Decision followed up"),
    "decision_dropped": gettext_lazy("Decision left without follow-up"),
    "fact_known": gettext_lazy("Common ground learned"),
    "contact": gettext_lazy("In contact"),
    "personal_talk": gettext_lazy("Personal conversation"),
    "they_opened_up": gettext_lazy("They opened up"),
    "we_opened_up": gettext_lazy("We opened up"),
    "reciprocal_openness": gettext_lazy("Openness returned both ways"),
    "boundary_crossed": gettext_lazy("Pushed closer than they were ready for"),
    "gone_quiet": gettext_lazy("Silence past the wanted rhythm"),
    "in_touch": gettext_lazy("In touch at the wanted rhythm"),
    "gift_personal": gettext_lazy("A modest gift on a personal occasion"),
    "gift_over_limit": gettext_lazy("A gift or hospitality over the team's limits"),
    "gift_obligation": gettext_lazy("Independence in question after a gift over the limits"),
    "our_agenda": gettext_lazy("Conversation on our agenda"),
    "their_agenda": gettext_lazy("Conversation on their agenda"),
    "mutual_agenda": gettext_lazy("Conversation on a shared agenda"),
    "summarised_first": gettext_lazy("Summarised their problem before proposing"),
    "answered_too_soon": gettext_lazy("Answered before understanding the problem"),
    "price_pressure": gettext_lazy("Pressed on price"),
    "unsolicited_upsell": gettext_lazy("Offered more than they asked for"),
    "survey_C": gettext_lazy("Their survey answer on credibility"),
    "survey_R": gettext_lazy("Their survey answer on reliability"),
    "survey_I": gettext_lazy("Their survey answer on intimacy"),
    "survey_S": gettext_lazy("Their survey answer on putting them first"),
}


def kind_text(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def _date(value: object) -> str:
    if not isinstance(value, dt.date):
        return ""
    return str(formats.date_format(value, "DATE_FORMAT"))


def _weekday(value: object) -> str:
    return str(formats.date_format(value, "l")) if isinstance(value, dt.date) else ""


def _topics(codes: object) -> str:
    labels = dict(Fact.Category.choices)
    names = [str(labels.get(code, code)).lower() for code in (codes or ())]  # type: ignore[attr-defined]
    return _(" or ").join(names)


def action_text(code: str, params: Mapping[str, object], name: str) -> str:
    """One coaching action as a sentence a salesperson can act on."""
    p = dict(params)
    if code == "disclose_risk":
        return _(
            "You have not told %(name)s about the risk “%(risk)s” on “%(promise)s”: "
            "tell them now, with your options."
        ) % {"name": name, "risk": p["risk"], "promise": p["promise"]}
    if code == "overdue":
        return _(
            "“%(promise)s” was due on %(due)s: deliver it, or agree a new date with %(name)s today."
        ) % {"promise": p["promise"], "due": _date(p["due"]), "name": name}
    if code == "keep":
        return _("Keep “%(promise)s” by %(due)s, and tell %(name)s when it is done.") % {
            "promise": p["promise"],
            "due": _date(p["due"]),
            "name": name,
        }
    if code == "send_agenda":
        when = p["when"]
        before = when - dt.timedelta(days=1) if when is not None else None  # type: ignore[operator]
        return _("Send the agenda for %(weekday)s's meeting (“%(meeting)s”) before %(before)s.") % {
            "weekday": _weekday(when),
            "meeting": p["meeting"],
            "before": _weekday(before),
        }
    if code == "report_back":
        return _(
            "Tell %(name)s that “%(promise)s” is done: effort they do not see is not valued."
        ) % {"name": name, "promise": p["promise"]}
    if code == "follow_up":
        return _("Follow up the decision “%(decision)s”: make it a promise with a date.") % {
            "decision": p["decision"]
        }
    if code == "renew_evidence":
        return _(
            "“%(evidence)s” expired on %(expired)s: renew it before showing it to anyone again."
        ) % {"evidence": p["evidence"], "expired": _date(p["expired"])}
    if code == "show_evidence":
        return _("Show %(name)s facts, not adjectives: “%(evidence)s” fits their industry.") % {
            "name": name,
            "evidence": p["evidence"],
        }
    if code == "add_evidence":
        return _(
            "Back what you say to %(name)s with facts: add a relevant reference client, "
            "case study or certificate to the evidence library and show it."
        ) % {"name": name}
    if code == "check_claim":
        return _(
            "Check whether “%(claim)s” held up; if it did not, correct it with %(name)s "
            "before they find out."
        ) % {"claim": p["claim"], "name": name}
    if code == "ask_about":
        return _(
            "You know nothing of %(name)s's %(topics)s: ask about them next time you talk."
        ) % {"name": name, "topics": _topics(p["topics"])}
    if code == "learn_more":
        return _(
            "Learn more about %(name)s as a person: you know nothing yet of their %(topics)s."
        ) % {"name": name, "topics": _topics(p["topics"])}
    if code == "get_in_touch":
        text = _(
            "No contact for %(days)s days (you wanted every %(cadence)s days): get in touch."
        ) % {
            "days": p["days"],
            "cadence": p["cadence"],
        }
        if p.get("topic"):
            text += " " + _("Ask about %(topic)s.") % {"topic": p["topic"]}
        return text
    if code == "talk_personally":
        text = _("Your recent talks with %(name)s were all business: talk about life too.") % {
            "name": name
        }
        if p.get("topic"):
            text += " " + _("Ask about %(topic)s.") % {"topic": p["topic"]}
        return text
    if code == "start_from_problem":
        return _(
            "Your last %(count)s conversations were your pitch: next time start from their problem."
        ) % {"count": p["count"]}
    if code == "ease_pressure":
        return _("Stop pressing on price and extras with %(name)s: ask what they need instead.") % {
            "name": name
        }
    if code == "summarise_first":
        return _(
            "Before you propose anything, summarise what you heard from %(name)s "
            "and check you got it right."
        ) % {"name": name}
    if code == "settle_gift":
        return _(
            "“%(gift)s” (%(when)s) was over the team's gift limits: talk it through with "
            "%(name)s and keep a professional distance; if it can be returned or repaid, "
            "do so and update the register."
        ) % {"gift": p["gift"], "when": _date(p["when"]), "name": name}
    if code == "ask_view":
        return _("Ask %(name)s for their own view with a short trust survey.") % {"name": name}
    return code
