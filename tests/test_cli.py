"""The `rapport` command, run as a user runs it: a real process on a fresh data folder."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

RAPPORT = str(Path(sys.executable).with_name("rapport"))


def run(data_dir, *args, check=True, timeout=120):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RAPPORT_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["RAPPORT_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [RAPPORT, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def query(data_dir, sql, *params):
    with sqlite3.connect(Path(data_dir) / "rapport.sqlite3") as db:
        return db.execute(sql, params).fetchall()


def test_init_creates_the_database_in_the_data_folder(tmp_path):
    result = run(tmp_path, "init")
    assert (tmp_path / "rapport.sqlite3").exists()
    assert "Database ready" in result.stdout
    assert query(tmp_path, "select count(*) from django_migrations")[0][0] > 10


def test_user_add_creates_the_team_and_prints_a_generated_password_once(tmp_path):
    run(tmp_path, "init")
    result = run(
        tmp_path, "user", "add", "dora", "--team", "Dora & Co", "--time-zone", "Asia/Shanghai"
    )
    assert "Created user dora in team Dora & Co" in result.stdout
    assert "Password (shown once):" in result.stdout
    assert query(tmp_path, "select name from accounts_team") == [("Dora & Co",)]
    assert query(tmp_path, "select time_zone from accounts_member") == [("Asia/Shanghai",)]
    again = run(tmp_path, "user", "add", "dora", "--team", "Other", check=False)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_user_add_with_a_password_and_a_bad_time_zone(tmp_path):
    run(tmp_path, "init")
    ok = run(tmp_path, "user", "add", "eve", "--team", "T", "--password", "a-long-passphrase")
    assert "shown once" not in ok.stdout
    bad = run(
        tmp_path,
        "user",
        "add",
        "fay",
        "--team",
        "T",
        "--password",
        "a-long-passphrase",
        "--time-zone",
        "Nowhere/Land",
        check=False,
    )
    assert bad.returncode == 1 and "time_zone" in bad.stderr


def test_token_prints_a_secret_whose_hash_alone_is_stored(tmp_path):
    import hashlib

    run(tmp_path, "init")
    run(tmp_path, "user", "add", "gus", "--team", "T", "--password", "a-long-passphrase")
    secret = run(tmp_path, "token", "gus", "--name", "script").stdout.strip()
    assert secret.startswith("rpt_") and len(secret) > 40
    stored = query(tmp_path, "select digest, prefix from accounts_apitoken")
    assert stored == [(hashlib.sha256(secret.encode()).hexdigest(), secret[:10])]
    missing = run(tmp_path, "token", "nobody", check=False)
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr


def test_agenda_prints_a_users_day_as_json_and_as_a_table(tmp_path):
    import json

    run(tmp_path, "init")
    run(
        tmp_path,
        "user",
        "add",
        "hal",
        "--team",
        "T",
        "--password",
        "a-long-passphrase",
        "--email",
        "hal@example.com",
    )
    run(tmp_path, "user", "add", "ivy", "--team", "T", "--password", "a-long-passphrase")
    ambiguous = run(tmp_path, "agenda", check=False)
    assert ambiguous.returncode == 1 and "--user" in ambiguous.stderr
    data = json.loads(
        run(tmp_path, "agenda", "--user", "hal", "--date", "2026-11-23", "--json").stdout
    )
    assert data["user"] == "hal" and data["date"] == "2026-11-23"
    assert set(data["sections"]) == {
        "commitments",
        "risks",
        "unreported",
        "decisions",
        "birthdays",
        "going_cold",
        "thank_referrers",
        "stoploss",
    }
    assert (
        "Agenda for hal, 2026-11-23"
        in run(tmp_path, "agenda", "--user", "hal", "--date", "2026-11-23").stdout
    )
    bad = run(tmp_path, "agenda", "--user", "hal", "--date", "23/11/2026", check=False)
    assert bad.returncode == 1 and "--date must be a date" in bad.stderr
    mailed = run(tmp_path, "agenda", "--user", "hal", "--email")
    assert "Subject: Your agenda for" in mailed.stdout  # the console email backend
    assert "Sent the agenda to hal@example.com" in mailed.stdout
    no_address = run(tmp_path, "agenda", "--user", "ivy", "--email", check=False)
    assert no_address.returncode == 1 and "has no email address" in no_address.stderr


def test_every_command_has_help_with_an_example():
    for command in [
        ["init"],
        ["serve"],
        ["demo"],
        ["user", "add"],
        ["token"],
        ["agenda"],
        ["worker"],
    ]:
        result = subprocess.run(
            [RAPPORT, *command, "--help"], capture_output=True, text=True, check=True
        )
        assert "Example: rapport " + command[0] in result.stdout, command


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_loads_a_bilingual_book_and_serves_it(tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RAPPORT_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["RAPPORT_DATA_DIR"] = str(tmp_path)
    server = subprocess.Popen(
        [RAPPORT, "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
                    assert page.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.5)
        else:
            pytest.fail("the demo server did not answer within 3 minutes")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Demo login: user alice" in output and "rapport-demo" in output
    people = query(tmp_path, "select count(*) from people_person")[0][0]
    organisations = query(tmp_path, "select count(*) from people_organisation")[0][0]
    # About 300 generated people, the named profiles and their duplicates, and the
    # demo network's families, friends and the prospect's new chairman.
    assert 300 <= people <= 330 and organisations == 40
    chinese = query(tmp_path, "select count(*) from people_person where name_order='family_first'")
    assert 100 < chinese[0][0] < 200
    span = query(
        tmp_path,
        "select julianday(max(occurred_at)) - julianday(min(occurred_at)) "
        "from interactions_interaction",
    )[0][0]
    assert span > 700  # two years of history
    assert query(tmp_path, "select count(*) from people_fact")[0][0] > 300
    # Running it again does not load a second book.
    run(tmp_path, "demo", "--no-serve")
    assert query(tmp_path, "select count(*) from people_person")[0][0] == people


SEED_BOOK = """
import datetime as dt
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from rapport.commitments.services import commitment_close, commitment_create
from rapport.people.services import organisation_create, person_create, role_create

dora = get_user_model().objects.get(username="dora")
huawei = organisation_create(actor=dora, name="华为技术", name_romanised="Huawei")
wang = person_create(
    actor=dora, given_name="小明", family_name="王", name_order="family_first",
    romanised_name="Wang Xiaoming",
)
role_create(actor=dora, person=wang, organisation=huawei, title="CFO", is_decision_maker=True)
for name in ["Anna Lee", "Brian Lee"]:
    person_create(actor=dora, display_name=name)
now = timezone.now()
for k in range(3):
    promise = commitment_create(
        actor=dora, title=f"Quote {k}", person=wang,
        due_on=timezone.localdate() - dt.timedelta(days=2), made_at=now - dt.timedelta(days=20),
    )
    commitment_close(actor=dora, commitment=promise, status="kept", now=now - dt.timedelta(days=5))
"""


def test_trust_prints_a_relationship_s_card_finds_names_and_recomputes(tmp_path):
    import json

    run(tmp_path, "init")
    run(tmp_path, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")
    # The seed writes to the same SQLite file the commands read, whatever database the
    # suite itself runs on.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_") and k != "DATABASE_URL"
    }
    env.update(RAPPORT_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="rapport.settings")
    subprocess.run([sys.executable, "-c", SEED_BOOK], env=env, check=True, timeout=120)

    # By pinyin initials, as JSON; the only user is the default.
    card = json.loads(run(tmp_path, "trust", "wxm", "--json").stdout)
    assert card["name"] == "王小明"
    assert set(card["components"]) == {"C", "R", "I", "S"}
    reliability = card["components"]["R"]
    assert reliability["evidence"] == 3 and reliability["value"] > 5
    assert {line["kind"] for line in reliability["explanation"]} == {"promise_kept"}
    assert card["next_actions"] and card["weakest"] in card["components"]

    # As a table, by its Chinese name.
    table = run(tmp_path, "trust", "王小明", "--user", "dora").stdout
    assert "Trust with 王小明 (华为技术): T = " in table
    for words in ["Reliability", "Self-orientation", "uncertain", "weakest", "Why"]:
        assert words in table, words
    assert "Promise kept on time: Quote" in table and "Next actions" in table

    # An organisation by its romanised name.
    assert json.loads(run(tmp_path, "trust", "huawei", "--json").stdout)["name"] == "华为技术"

    ambiguous = run(tmp_path, "trust", "lee", check=False)
    assert ambiguous.returncode == 1
    assert "2 match 'lee'; be more specific" in ambiguous.stderr
    assert "Anna Lee" in ambiguous.stderr and "Brian Lee" in ambiguous.stderr
    brian = query(tmp_path, "select id from people_person where display_name = 'Brian Lee'")[0][0]
    assert f"person:{brian}" in ambiguous.stderr
    # Naming one by its id, or by its whole name, settles it.
    by_id = json.loads(run(tmp_path, "trust", f"person:{brian}", "--json").stdout)
    assert by_id["name"] == "Brian Lee"
    assert json.loads(run(tmp_path, "trust", "anna lee", "--json").stdout)["name"] == "Anna Lee"

    unknown = run(tmp_path, "trust", "Nobody Here", check=False)
    assert unknown.returncode == 1
    assert "no person or organisation dora can see matches 'Nobody Here'" in unknown.stderr
    nothing = run(tmp_path, "trust", check=False)
    assert nothing.returncode == 1 and "rapport trust --recompute" in nothing.stderr

    # One relationship recomputed before printing: the person and their organisation.
    assert query(tmp_path, "select count(*) from trust_trustscore") == [(0,)]
    run(tmp_path, "trust", "wxm", "--recompute")
    stored = query(
        tmp_path, "select person_id is not null, organisation_id is not null from trust_trustscore"
    )
    assert sorted(stored) == [(0, 1), (1, 0)]

    everything = run(tmp_path, "trust", "--recompute")
    # Wang, Anna and Brian; Dora is a member, not a relationship. One organisation.
    assert "Recomputed trust for 3 people and 1 organisation in 1 team in " in everything.stdout
    assert query(tmp_path, "select count(*) from trust_trustscore") == [(4,)]

    run(tmp_path, "user", "add", "eve", "--team", "T", "--password", "a-long-passphrase")
    whose = run(tmp_path, "trust", "wxm", check=False)
    assert whose.returncode == 1 and "--user" in whose.stderr


def test_trust_help_has_an_example():
    result = subprocess.run(
        [RAPPORT, "trust", "--help"], capture_output=True, text=True, check=True
    )

    assert 'Example: rapport trust "Wang Xiaoming"' in result.stdout
    assert "--recompute" in result.stdout and "--json" in result.stdout
