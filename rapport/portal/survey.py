"""The client trust survey: its questions and the pure rules for reading the answers.

Each question measures one component of T = (C + R + I) / S on a 1..5 agreement scale.
Every question is worded so that agreeing is good news for us; for the S question that
means agreeing says we put the client first, which `trust.equation.survey_value` turns
into a *low* self-orientation. No database here: the services store, the page shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rapport.trust.weights import C, I, R, S

LOWEST, HIGHEST = 1, 5
DEFAULT_DAYS = 30
MAX_DAYS = 366
# A comment is a few sentences, not a letter; the cap keeps one answer from filling a page.
COMMENT_MAX = 2000


@dataclass(frozen=True)
class Question:
    key: str  # stored in SurveyAnswer.question: never rename one that has answers
    component: str
    text: Promise


QUESTIONS: tuple[Question, ...] = (
    Question("c_expertise", C, _("We know our field, and our advice holds up.")),
    Question("c_candour", C, _("When we do not know something, we say so rather than guess.")),
    Question("r_follow_through", R, _("We do what we say we will, when we say we will.")),
    Question(
        "r_early_warning", R, _("If something is going to be late, you hear it from us first.")
    ),
    Question("i_openness", I, _("You can raise a worry or a delicate matter with us openly.")),
    Question("i_understanding", I, _("We understand what matters to you beyond this project.")),
    # Agreeing means we put the client first: low self-orientation (S is mapped inversely).
    Question("s_client_first", S, _("We put your interests ahead of making a sale.")),
)
BY_KEY = {q.key: q for q in QUESTIONS}

# The agreement scale, 1..5.
SCALE: tuple[tuple[int, Promise], ...] = (
    (1, _("Strongly disagree")),
    (2, _("Disagree")),
    (3, _("Neither agree nor disagree")),
    (4, _("Agree")),
    (5, _("Strongly agree")),
)


def question_text(key: str) -> str:
    """The question asked under `key`, or the key itself for one no longer asked."""
    question = BY_KEY.get(key)
    return str(question.text) if question is not None else key


def clean_answers(raw: Mapping[str, object]) -> tuple[dict[str, int], dict[str, str]]:
    """Read one answer per question from `raw` (form values or numbers). Returns the
    answers and, per question missing or out of range, an error naming the question.
    Keys that are not questions are ignored."""
    answers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for question in QUESTIONS:
        value = raw.get(question.key)
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 3:
            number = int(value.strip())
        if value is None or value == "":
            errors[question.key] = gettext("Please answer “%(question)s”") % {
                "question": question.text
            }
        elif number is None or not LOWEST <= number <= HIGHEST:
            errors[question.key] = gettext("Choose one of the five answers for “%(question)s”") % {
                "question": question.text
            }
        else:
            answers[question.key] = number
    return answers, errors


def state(
    *,
    answered_at: dt.datetime | None,
    revoked_at: dt.datetime | None,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> str:
    """Where a survey link stands: answered, revoked, expired or sent (still open).
    An answered survey stays answered whatever happens to its link afterwards."""
    if answered_at is not None:
        return "answered"
    if revoked_at is not None:
        return "revoked"
    if expires_at <= now:
        return "expired"
    return "sent"
