"""Signing in, throttling, language and time zone, API tokens, the audit log, settings."""

import hashlib
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import ApiToken, AuditEntry, Member
from rapport.accounts.services import token_authenticate, user_add
from tests.conftest import PASSWORD, client_for


def test_signing_in_leads_to_the_dashboard(alice):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Good to see you" in response.text


def test_pages_need_a_signed_in_user(book):
    response = Client().get(reverse("person_detail", args=[book["wang"].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_repeated_failed_sign_ins_lock_the_account_for_a_while(alice):
    client = Client()
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.text
    fifth = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert fifth.status_code == 429
    # Even the right password is refused while the lock holds.
    locked = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text


def test_switching_to_chinese_changes_the_ui_and_is_remembered(alice):
    web = client_for(alice)
    response = web.post(reverse("set_language"), {"language": "zh-hans", "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    page = web.get(reverse("person_list")).text
    assert '<html lang="zh-hans">' in page
    assert "联系人" in page
    assert Member.objects.get(user=alice).language == "zh-hans"
    # A new session (another device) keeps the choice.
    assert "联系人" in client_for(alice).get(reverse("person_list")).text


def test_the_language_switch_never_redirects_off_site(alice):
    response = client_for(alice).post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_anonymous_visitors_can_switch_the_login_page_to_chinese(db):
    client = Client()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"})
    assert "登录" in client.get(reverse("login")).text


def test_preferences_save_the_time_zone_and_reject_unknown_ones(alice):
    web = client_for(alice)
    ok = web.post(
        reverse("preferences"), {"language": "en", "time_zone": "Asia/Shanghai", "agenda_hour": 7}
    )
    assert ok.status_code == 302
    assert Member.objects.get(user=alice).time_zone == "Asia/Shanghai"
    bad = web.post(
        reverse("preferences"), {"language": "en", "time_zone": "Mars/Olympus", "agenda_hour": 7}
    )
    assert bad.status_code == 200 and "Select a valid choice" in bad.text
    assert Member.objects.get(user=alice).time_zone == "Asia/Shanghai"


def test_a_new_api_token_is_shown_once_and_only_its_hash_is_kept(alice):
    web = client_for(alice)
    response = web.post(reverse("token_create"), {"name": "laptop"})
    secret = response.context["secret"]
    assert secret in response.text
    token = ApiToken.objects.get(user=alice)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert token_authenticate(secret) == alice
    assert secret not in web.get(reverse("preferences")).text
    web.post(reverse("token_revoke", args=[token.pk]))
    assert token_authenticate(secret) is None


def test_nobody_can_revoke_someone_elses_token(alice, bob):
    client_for(alice).post(reverse("token_create"), {"name": "mine"})
    token = ApiToken.objects.get(user=alice)
    assert client_for(bob).post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_every_write_is_in_the_audit_log_with_who_and_what(book, alice):
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "user.add",
        "person.create",
        "organisation.create",
        "role.create",
        "fact.create",
        "interaction.create",
    } <= actions
    entry = AuditEntry.objects.filter(action="fact.create", actor=alice).first()
    assert entry is not None and entry.at is not None
    page = client_for(alice).get(reverse("audit_log")).text
    assert "person.create" in page and "Anna Lee" in page


def test_user_add_creates_the_team_and_the_users_own_person(db):
    user, generated = user_add(username="dora", team_name="New Team")
    assert generated and len(generated) >= 12
    member = Member.objects.get(user=user)
    assert member.team.name == "New Team" and member.role == "admin"
    assert member.person is not None and member.person.team == member.team


def test_user_add_refuses_a_weak_password_and_an_existing_name(alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        user_add(username="erin", team_name="T", password="123")
    with pytest.raises(ValidationError) as err:
        user_add(username="alice", team_name="T", password=PASSWORD)
    assert "already exists" in str(err.value)


def _settings_in_subprocess(**env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    full.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import rapport.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        capture_output=True,
        text=True,
        env=full,
        check=False,
    )


def test_production_settings_use_secure_cookies_and_a_real_secret(tmp_path):
    result = _settings_in_subprocess(RAPPORT_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["True", "True", "False"]
    assert len((tmp_path / "secret_key").read_text()) >= 40


def test_bad_settings_fail_at_start_naming_the_setting(tmp_path):
    short = _settings_in_subprocess(RAPPORT_DATA_DIR=str(tmp_path), RAPPORT_SECRET_KEY="short")
    assert short.returncode != 0 and "RAPPORT_SECRET_KEY" in short.stderr
    flag = _settings_in_subprocess(RAPPORT_DATA_DIR=str(tmp_path), RAPPORT_DEBUG="maybe")
    assert flag.returncode != 0 and "RAPPORT_DEBUG" in flag.stderr
    db = _settings_in_subprocess(RAPPORT_DATA_DIR=str(tmp_path), DATABASE_URL="mysql://x/y")
    assert db.returncode != 0 and "DATABASE_URL" in db.stderr


def test_dates_are_written_the_chinese_way_in_chinese(book, alice):
    alice.member.language = "zh-hans"
    alice.member.time_zone = "Asia/Shanghai"
    alice.member.save()
    page = client_for(alice).get(reverse("person_detail", args=[book["wang"].pk])).text
    assert "2026年11月2日 10:00" in page


def test_a_form_post_without_the_csrf_token_is_refused(book, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        reverse("fact_add", args=[book["wang"].pk]), {"category": "hobby", "value": "Forged"}
    )
    assert response.status_code == 403
    assert not book["wang"].facts.filter(value="Forged").exists()
