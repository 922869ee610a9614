"""The client trust survey: a private link a client opens without logging in, answers
once in their own language, and whose answers show on the person's trust card and
blend into the score."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from rapport.accounts.models import AuditEntry
from rapport.accounts.services import member_update_preferences
from rapport.people.services import person_create
from rapport.portal import survey as questions
from rapport.portal.services import survey_answer, survey_create, survey_revoke
from rapport.trust.equation import survey_value
from rapport.trust.models import Survey, SurveyAnswer, TrustScore
from rapport.trust.scoring import person_views
from tests.conftest import client_for, make_user

KEYS = [q.key for q in questions.QUESTIONS]
CHROMIUM = Path("/usr/bin/chromium")


def _all(value: int) -> dict[str, str]:
    return {key: str(value) for key in KEYS}


def _created_token(web: Client, person_id: int, **data: str) -> str:
    response = web.post(
        reverse("person_survey_create", args=[person_id]), {"language": "en", "days": "30", **data}
    )
    assert response.status_code == 200, response.content[:500]
    match = re.search(r"/p/survey/([A-Za-z0-9_-]+)/", response.text)
    assert match, "the new link is shown once"
    return match.group(1)


def _csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def _answer_on_the_web(client: Client, token: str, answers: dict[str, str], **extra: str) -> Any:
    """What a client's browser does: open the page, then send the form with its token."""
    url = reverse("survey_page", args=[token])
    page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF token"
    return client.post(url, {"csrfmiddlewaretoken": match.group(1), **answers, **extra})


# --- creating a link from the person page ------------------------------------------


def test_a_survey_link_is_shown_once_and_only_its_digest_is_stored(book, alice):
    web = client_for(alice)
    wang = book["wang"]

    token = _created_token(web, wang.pk)

    survey = Survey.objects.get()
    assert len(token) >= 40
    assert survey.digest == hashlib.sha256(token.encode()).hexdigest()
    assert survey.prefix == token[:8]
    assert token not in json.dumps(list(Survey.objects.values()), default=str)
    assert token not in json.dumps(list(AuditEntry.objects.values()), default=str)
    assert (survey.person, survey.created_by, survey.language) == (wang, alice, "en")
    days = (survey.expires_at - timezone.now()).total_seconds() / 86400
    assert 29.9 < days <= 30
    page = web.get(reverse("person_detail", args=[wang.pk])).text
    assert token not in page, "the person page never shows the token again"
    assert survey.prefix in page
    assert AuditEntry.objects.filter(action="survey.create", object_id=survey.pk).exists()


def test_the_person_page_offers_a_survey_in_the_user_s_language_for_30_days(book, alice):
    member_update_preferences(actor=alice, language="zh-hans")

    page = client_for(alice).get(reverse("person_detail", args=[book["wang"].pk])).text

    form = page[page.index('id="surveys"') :]
    assert 'name="days" min="1" max="366" value="30"' in form
    assert '<option value="zh-hans" selected>' in form
    survey, _token = survey_create(actor=alice, person=book["wang"])
    assert survey.language == "zh-hans", "without a choice, the user's own language"


@pytest.mark.parametrize("days", ["0", "367", "many"])
def test_a_survey_link_lasts_from_one_day_to_a_year(book, alice, days):
    response = client_for(alice).post(
        reverse("person_survey_create", args=[book["wang"].pk]), {"language": "en", "days": days}
    )

    assert response.status_code == 422
    assert not Survey.objects.exists()


def test_the_person_page_shows_each_survey_s_state(book, alice):
    wang = book["wang"]
    web = client_for(alice)
    sent, _ = survey_create(actor=alice, person=wang)
    answered, _ = survey_create(actor=alice, person=wang)
    survey_answer(survey=answered, answers=_all(4), comment="Keep it up")
    revoked, _ = survey_create(actor=alice, person=wang)
    web.post(reverse("survey_revoke", args=[revoked.pk]))
    survey_create(actor=alice, person=wang, days=1, now=timezone.now() - dt.timedelta(days=2))

    page = web.get(reverse("person_detail", args=[wang.pk])).text

    states = re.findall(r'data-testid="survey-state">([^<]+)<', page)
    assert sorted(states) == ["answered", "expired", "revoked", "sent"]
    assert "Keep it up" in page
    assert str(questions.QUESTIONS[0].text) in page, "the answers show with their questions"
    assert page.count('data-testid="revoke-survey"') == 1, "only the open link can be revoked"
    assert reverse("survey_revoke", args=[sent.pk]) in page


def test_an_answered_survey_cannot_be_revoked(book, alice):
    survey, _ = survey_create(actor=alice, person=book["wang"])
    survey_answer(survey=survey, answers=_all(5))

    client_for(alice).post(reverse("survey_revoke", args=[survey.pk]))

    survey.refresh_from_db()
    assert survey.revoked_at is None
    assert survey.answers.count() == len(KEYS)


# --- the client's page --------------------------------------------------------------


def test_the_survey_page_says_who_asks_and_asks_every_question(book, alice):
    _survey, token = survey_create(actor=alice, person=book["wang"])

    page = Client().get(reverse("survey_page", args=[token]))

    assert page.status_code == 200
    assert "Alice Adams" in page.text
    assert "Alpha Advisory" in page.text
    for q in questions.QUESTIONS:
        assert str(q.text) in page.text
    assert page.text.count('type="radio"') == 5 * len(questions.QUESTIONS)
    assert "Strongly disagree" in page.text and "Strongly agree" in page.text
    assert 'name="comment"' in page.text
    assert 'name="viewport"' in page.text, "made for a phone too"
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    # "no-referrer" would make browsers send `Origin: null` and fail the CSRF check.
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-store" in page["Cache-Control"]
    assert "Calligraphy" not in page.text, "nothing we know about the client is shown"


def test_the_questions_cover_every_component_and_agreeing_on_s_means_client_first():
    components = [q.component for q in questions.QUESTIONS]

    assert 5 <= len(components) <= 7
    assert set(components) == {"C", "R", "I", "S"}
    assert len(set(KEYS)) == len(KEYS) and all(len(k) <= 20 for k in KEYS)
    # Strong agreement on the S question is the best self-orientation there is.
    assert survey_value("S", 5) == 1.0
    assert survey_value("S", 1) == 10.0


def test_answering_stores_the_answers_and_the_card_shows_the_client_s_view(
    book, alice, django_capture_on_commit_callbacks
):
    wang = book["wang"]
    _survey, token = survey_create(actor=alice, person=wang)
    answers = {
        q.key: {"C": "5", "R": "4", "I": "3", "S": "5"}[q.component] for q in questions.QUESTIONS
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = _answer_on_the_web(_csrf_client(), token, answers, comment="Fast and honest")

    assert response.status_code == 200
    assert "Thank you" in response.text
    assert "Alice Adams" in response.text
    survey = Survey.objects.get()
    assert survey.answered_at is not None
    assert survey.comment == "Fast and honest"
    stored = dict(SurveyAnswer.objects.values_list("question", "answer"))
    assert stored == {key: int(value) for key, value in answers.items()}
    assert set(SurveyAnswer.objects.values_list("question", "component")) == {
        (q.key, q.component) for q in questions.QUESTIONS
    }
    client_view = person_views(wang).client
    assert client_view == pytest.approx({"C": 10.0, "R": 7.5, "I": 5.0, "S": 1.0})
    # The trust score was refreshed once the answers were saved.
    detail = TrustScore.objects.get(person=wang).detail
    assert {name: detail[name]["client"] for name in "CRIS"} == pytest.approx(client_view)
    entry = AuditEntry.objects.get(action="survey.answer")
    assert entry.actor is None and entry.person == wang


@pytest.mark.parametrize(("answer", "direction"), [(5, 1), (1, -1)])
def test_the_answers_blend_into_the_score_towards_what_the_client_said(
    book, alice, answer, direction
):
    wang = book["wang"]
    later = timezone.now() + dt.timedelta(minutes=1)  # one clock for both views
    before = person_views(wang, later)
    survey, _ = survey_create(actor=alice, person=wang)

    survey_answer(survey=survey, answers=_all(answer))

    after = person_views(wang, later)
    for name in "CRI":
        moved = after.blended.component(name).value - before.blended.component(name).value
        assert moved * direction > 0, name
    # S runs the other way: agreeing that we put them first lowers self-orientation.
    assert (after.blended.s.value - before.blended.s.value) * direction < 0
    assert (after.blended.t - before.blended.t) * direction > 0
    assert [c.value for c in after.ours.components] == [c.value for c in before.ours.components]
    assert not before.has_survey and after.has_survey


def test_the_page_speaks_the_client_s_language(book, alice):
    _survey, token = survey_create(actor=alice, person=book["wang"], language="zh-hans")
    client = _csrf_client()

    page = client.get(reverse("survey_page", args=[token]))
    thanks = _answer_on_the_web(client, token, _all(4))

    assert 'lang="zh-hans"' in page.text
    assert page["Content-Language"] == "zh-hans"
    assert 'lang="zh-hans"' in thanks.text
    english = client_for(alice).get(reverse("person_detail", args=[book["wang"].pk]))
    assert 'lang="en"' in english.text, "the user's own pages stay in the user's language"


def test_a_missing_or_impossible_answer_is_named_and_nothing_is_stored(book, alice):
    _survey, token = survey_create(actor=alice, person=book["wang"])
    first, second, *_ = questions.QUESTIONS
    answers = _all(4)
    del answers[first.key]
    answers[second.key] = "7"

    response = _answer_on_the_web(_csrf_client(), token, answers, comment="Draft")

    assert response.status_code == 422
    errors = response.text[response.text.index('data-testid="errors"') :]
    errors = errors[: errors.index("</div>")]
    assert str(first.text) in errors
    assert str(second.text) in errors
    assert not SurveyAnswer.objects.exists()
    assert Survey.objects.get().answered_at is None
    # What was filled in stays filled in.
    third = questions.QUESTIONS[2].key
    assert f'name="{third}" value="4" required checked' in response.text
    assert "Draft" in response.text


def test_a_comment_too_long_is_refused_and_nothing_is_stored(book, alice):
    _survey, token = survey_create(actor=alice, person=book["wang"])

    response = _answer_on_the_web(
        _csrf_client(), token, _all(3), comment="x" * (questions.COMMENT_MAX + 1)
    )

    assert response.status_code == 422
    assert not SurveyAnswer.objects.exists()


def test_a_survey_is_answered_once(book, alice):
    survey, token = survey_create(actor=alice, person=book["wang"])
    client = _csrf_client()
    url = reverse("survey_page", args=[token])
    page = client.get(url)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf

    first = client.post(url, {"csrfmiddlewaretoken": csrf.group(1), **_all(5)})
    again = client.post(url, {"csrfmiddlewaretoken": csrf.group(1), **_all(1)})
    reopened = client.get(url)

    assert first.status_code == 200
    assert again.status_code == 409
    assert "already answered" in again.text
    assert "already answered" in reopened.text
    assert 'type="radio"' not in reopened.text
    assert set(SurveyAnswer.objects.values_list("answer", flat=True)) == {5}
    assert SurveyAnswer.objects.count() == len(KEYS)
    with pytest.raises(Exception, match="already answered"):
        survey_answer(survey=survey, answers=_all(2))


def test_the_anonymous_form_is_protected_against_cross_site_posts(book, alice):
    _survey, token = survey_create(actor=alice, person=book["wang"])

    forged = _csrf_client().post(reverse("survey_page", args=[token]), _all(1))

    assert forged.status_code == 403
    assert not SurveyAnswer.objects.exists()


@pytest.mark.browser
def test_a_client_answers_on_a_phone_in_a_real_browser(live_server, transactional_db):
    if not CHROMIUM.exists():
        if os.environ.get("RAPPORT_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
    client = person_create(actor=alice, display_name="王小明")
    _survey, token = survey_create(actor=alice, person=client)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}{reverse('survey_page', args=[token])}")
        width = page.evaluate("document.documentElement.scrollWidth")
        for n, q in enumerate(questions.QUESTIONS):
            page.check(f"input[name={q.key}][value='{n % 5 + 1}']")
        page.fill("#comment", "Quick to answer")
        page.click("[data-testid=send]")
        page.wait_for_selector("[data-testid=thanks]")
        browser.close()

    assert width <= 390, "nothing wider than the phone's screen"
    assert SurveyAnswer.objects.count() == len(KEYS)
    assert Survey.objects.get().comment == "Quick to answer"


def test_unknown_revoked_and_expired_links_all_give_the_same_404(book, alice):
    anonymous = Client()
    revoked, revoked_token = survey_create(actor=alice, person=book["wang"])
    client_for(alice).post(reverse("survey_revoke", args=[revoked.pk]))
    _expired, expired_token = survey_create(
        actor=alice, person=book["wang"], days=1, now=timezone.now() - dt.timedelta(days=2)
    )

    pages = [
        anonymous.get(reverse("survey_page", args=[token]))
        for token in ["x" * 43, revoked_token, expired_token]
    ]
    posted = anonymous.post(reverse("survey_page", args=[revoked_token]), _all(5))

    assert [p.status_code for p in pages] == [404, 404, 404]
    assert pages[0].content == pages[1].content == pages[2].content
    assert posted.status_code == 404
    assert not SurveyAnswer.objects.exists()
    revoked.refresh_from_db()
    assert revoked.revoked_at is not None


def test_a_link_revoked_while_the_client_answers_stores_nothing(book, alice):
    survey, _ = survey_create(actor=alice, person=book["wang"])
    survey_revoke(actor=alice, survey=Survey.objects.get(pk=survey.pk))

    with pytest.raises(Exception, match="closed"):
        survey_answer(survey=survey, answers=_all(5))

    assert not SurveyAnswer.objects.exists()


# --- who may ask --------------------------------------------------------------------


def test_another_team_cannot_ask_or_revoke_for_our_client(book, alice, charlie):
    survey, _token = survey_create(actor=alice, person=book["wang"])
    web = client_for(charlie)

    created = web.post(
        reverse("person_survey_create", args=[book["wang"].pk]), {"language": "en", "days": "30"}
    )
    revoked = web.post(reverse("survey_revoke", args=[survey.pk]))

    assert (created.status_code, revoked.status_code) == (404, 404)
    assert Survey.objects.count() == 1
    survey.refresh_from_db()
    assert survey.revoked_at is None
    with pytest.raises(Exception, match="no such person"):
        survey_create(actor=charlie, person=book["wang"])


def test_a_colleague_s_private_contact_cannot_be_surveyed_or_seen(book, alice, bob):
    secret = book["alices_secret"]
    survey, _ = survey_create(actor=alice, person=secret)
    web = client_for(bob)

    created = web.post(
        reverse("person_survey_create", args=[secret.pk]), {"language": "en", "days": "30"}
    )
    revoked = web.post(reverse("survey_revoke", args=[survey.pk]))

    assert (created.status_code, revoked.status_code) == (404, 404)
    assert Survey.objects.count() == 1
    with pytest.raises(Exception, match="no such person"):
        survey_create(actor=bob, person=secret)


def test_an_answer_about_a_private_contact_stays_private_in_the_audit_log(book, alice, bob):
    survey, _ = survey_create(actor=alice, person=book["alices_secret"])
    survey_answer(survey=survey, answers=_all(4))

    seen_by_bob = html.unescape(client_for(bob).get(reverse("audit_log")).text)
    seen_by_alice = html.unescape(client_for(alice).get(reverse("audit_log")).text)
    assert "survey.answer" in seen_by_alice and "survey.answer" not in seen_by_bob
    assert "Alice's Private Contact" not in seen_by_bob


# --- reading the answers ------------------------------------------------------------

answer_text = st.one_of(
    st.none(),
    st.integers(-10, 10).map(str),
    st.text(max_size=4),
    st.integers(-10, 10),
)


@given(st.dictionaries(st.sampled_from([*KEYS, "other"]), answer_text))
def test_each_answer_is_either_taken_as_1_to_5_or_named_in_an_error(raw):
    answers, errors = questions.clean_answers(raw)

    assert set(answers) | set(errors) == set(KEYS)
    assert not set(answers) & set(errors)
    assert all(1 <= v <= 5 for v in answers.values())
    for key, value in answers.items():
        assert str(raw[key]).strip() == str(value) or int(str(raw[key]).strip()) == value
    for key, message in errors.items():
        assert str(questions.BY_KEY[key].text) in message
