"""Backup and restore: a team comes back exactly as it was, and a bad file changes nothing.

The book is the shared cast's plus a small generated demo book in Alice's team (people,
interactions, promises with their history, evidence, claims, surveys, trust scores and
snapshots), and what the demo leaves out: links, feeds, tokens, an attachment."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from rapport import demo
from rapport.accounts.models import ApiToken, AuditEntry, Member, Team
from rapport.accounts.services import token_authenticate, token_create
from rapport.commitments.models import Commitment, Decision, Meeting, Milestone, Renegotiation, Risk
from rapport.deals.investments import investment_log, stoploss_decide
from rapport.deals.services import deal_create, deal_move, pipelines_ensure
from rapport.interactions.models import Signal
from rapport.network.services import referral_create
from rapport.people.models import DistinctPair, Person
from rapport.people.services import fact_create, organisation_create, person_create, role_create
from rapport.portal import survey as survey_questions
from rapport.portal.models import CalendarFeed, ShareLink, ShareLinkView
from rapport.portal.services import (
    calendar_feed_create,
    share_link_create,
    share_link_resolve,
    share_link_viewed,
    survey_answer,
    survey_create,
)
from rapport.transfer import backup, merge
from rapport.transfer.backup import BackupError, backup_all, backup_team, restore_all, restore_team
from rapport.transfer.models import ImportedContact
from rapport.trust.models import (
    Claim,
    Evidence,
    EvidenceShown,
    Survey,
    SurveyAnswer,
    TrustScore,
    TrustSnapshot,
)
from rapport.trust.services import evidence_create
from rapport.value.services import value_item_create, value_report_create, value_report_send
from tests.conftest import PASSWORD, make_user

SMALL = demo.BookSize(
    people=40, organisations=8, interactions=250, commitments=30, profiles=True, trust_weeks=3
)
ATTACHMENT = "证书 scan ✓".encode() + bytes(range(256))


@pytest.fixture(scope="module")
def _built(django_db_setup: Any, django_db_blocker: Any) -> Iterator[int]:
    """The book, built once for the module in a transaction rolled back at its end (each
    test runs in a savepoint inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        alice = make_user("alice", "Alpha Advisory", display_name="Alice Adams")
        bob = make_user("bob", "Alpha Advisory", display_name="Bob Brown")
        charlie = make_user("charlie", "Charlie Corp", display_name="Charlie Chen")
        huawei = organisation_create(actor=alice, name="华为技术", name_romanised="Huawei")
        wang = person_create(
            actor=alice,
            given_name="小明",
            family_name="王",
            name_order="family_first",
            birth_calendar="lunar",
            birth_month=8,
            birth_day=15,
            channels=[{"kind": "email", "value": "xiaoming.wang@huawei.example"}],
            tags=["vip"],
        )
        role_create(actor=alice, person=wang, organisation=huawei, title="CFO", influence=5)
        anna = person_create(
            actor=alice, given_name="Anna", family_name="Lee", introduced_by=wang.pk
        )
        person_create(actor=bob, display_name="Bob's Private Contact", visibility="private")
        charlies = person_create(actor=charlie, display_name="Charlie's Client")
        fact_create(actor=charlie, person=charlies, category="food", value="Dim sum")
        team = demo.generate(
            size=SMALL,
            team_name="Alpha Advisory",
            usernames=("alice", "bob"),
            now=timezone.now().replace(microsecond=0),
        )
        evidence_create(
            actor=alice,
            kind="certification",
            title="ISO 27001 证书",
            verified_on=dt.date(2026, 1, 5),
            industries=["银行", "Insurance"],
            attachment=SimpleUploadedFile("iso.pdf", ATTACHMENT, "application/pdf"),
        )
        link, _ = share_link_create(actor=alice, person=wang)
        share_link_viewed(link=link, user_agent="Mozilla/5.0")
        share_link_create(actor=alice, organisation=huawei)
        calendar_feed_create(actor=bob)
        token_create(user=alice, name="laptop")
        survey, _ = survey_create(actor=alice, person=anna)
        survey_answer(
            survey=survey, answers={q.key: 4 for q in survey_questions.QUESTIONS}, comment="很好"
        )
        ImportedContact.objects.create(team=team, person=wang, source_uid="uid:abc", source="a.vcf")
        # Reviewed as two people (the higher id given first: stored the other way round).
        merge.distinct_pair_create(actor=alice, first=anna, second=wang)
        referral = referral_create(actor=alice, referrer=wang, referred=anna)  # and a tie
        deal = deal_create(
            actor=alice,
            pipeline=pipelines_ensure(actor=alice),
            title="ERP 升级",
            next_step="Send the proposal",
            next_step_on=timezone.localdate() + dt.timedelta(days=3),
            organisation=huawei,
            people=[wang, anna],
            amount="120000.00",
            margin="30000",
            client_benefit="400000",
            referral=referral,
            stoploss_money="1000.00",
            stoploss_hours="10",
        )
        deal_move(actor=alice, deal=deal, stage=deal.pipeline.stages.order_by("position")[1])
        investment_log(actor=alice, deal=deal, kind="hours", hours="8", rate="150", note="研讨会")
        stoploss_decide(
            actor=alice,
            deal=deal,
            choice="raise",
            reason="值得",
            money_limit="2000",
            hours_limit="20",
        )
        value_item_create(
            actor=alice,
            person=wang,
            kind="saving",
            title="运费节省",
            amount="8000",
            currency="CNY",
            delivered_on=timezone.localdate(),
            deal=deal.pk,
        )
        report, _ = value_report_create(
            actor=alice,
            person=wang,
            period_from=timezone.localdate(),
            period_to=timezone.localdate(),
        )
        value_report_send(actor=alice, report=report)
        yield team.pk
        transaction.set_rollback(True)


@pytest.fixture
def team(_built: int, db: Any) -> Team:
    """Alice's team with a bit of everything a team can own."""
    return Team.objects.get(pk=_built)


@pytest.fixture
def alice(team: Team) -> Any:
    return get_user_model().objects.get(username="alice")


@pytest.fixture
def charlie(team: Team) -> Any:
    return get_user_model().objects.get(username="charlie")


def backup_text(team: Team) -> str:
    out = io.StringIO()
    backup_team(team, out)
    return out.getvalue()


def canonical(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A team's tables with every id replaced by its rank in its table, so two backups
    of the same content compare equal whatever ids the database gave the rows."""
    tables = doc["tables"]
    ranks: dict[str, dict[int, int]] = {}
    for label, table in tables.items():
        pk = backup.table_model(label)._meta.pk.attname
        ids = sorted(dict(zip(table["fields"], row, strict=True))[pk] for row in table["rows"])
        ranks[label] = {old: n for n, old in enumerate(ids)}
    result = {}
    for label, table in tables.items():
        model = backup.table_model(label)
        pk = model._meta.pk.attname
        fks = backup.foreign_keys(model)
        soft = backup.SOFT_REFERENCES.get(label)
        rows = []
        for row in table["rows"]:
            record = dict(zip(table["fields"], row, strict=True))
            record[pk] = ranks[label][record[pk]]
            for column, target in fks.items():
                if record[column] is not None:
                    record[column] = ranks[target][record[column]]
            if soft and record[soft[0]] is not None:
                target = backup.soft_target(record[soft[1]])
                if target is not None:
                    record[soft[0]] = ranks[target].get(record[soft[0]])
            rows.append(record)
        result[label] = sorted(rows, key=lambda r: r[pk])
    return result


def whole_database() -> str:
    """Every team's backup, without the time it was made: equal means unchanged."""
    out = io.StringIO()
    backup_all(out)
    doc = json.loads(out.getvalue())
    del doc["created_at"]
    return json.dumps(doc, sort_keys=True)


def remove(team: Team) -> None:
    users = list(Member.objects.filter(team=team).values_list("user_id", flat=True))
    team.delete()
    get_user_model().objects.filter(pk__in=users).delete()


def test_a_deleted_team_comes_back_from_its_backup_with_identical_content(team, charlie):
    text = backup_text(team)
    before = canonical(json.loads(text))
    charlies_before = backup_text(charlie.member.team)
    remove(team)
    assert not Person.objects.filter(team_id=team.pk).exists()

    restored = restore_team(io.StringIO(text))

    assert restored.name == "Alpha Advisory"
    assert canonical(json.loads(backup_text(restored))) == before
    pair = DistinctPair.objects.get(team=restored)
    assert (pair.first.display_name, pair.second.display_name) == ("王小明", "Anna Lee")
    assert pair.first.team_id == pair.second.team_id == restored.pk
    assert pair.created_by is not None and pair.created_by.username == "alice"
    assert backup_text(charlie.member.team).split("\n", 1)[1] == charlies_before.split("\n", 1)[1]


def test_the_backup_covers_every_kind_of_row_the_team_owns(team):
    doc = json.loads(backup_text(team))
    empty = [label for label, table in doc["tables"].items() if not table["rows"]]
    assert empty == []
    for model in (Commitment, Milestone, Risk, Renegotiation, Meeting, Decision, Signal):
        assert doc["tables"][model._meta.label_lower]["rows"], model
    for model in (Evidence, EvidenceShown, Claim, Survey, SurveyAnswer, TrustScore):
        assert doc["tables"][model._meta.label_lower]["rows"], model
    for model in (TrustSnapshot, ShareLink, ShareLinkView, CalendarFeed, ApiToken, AuditEntry):
        assert doc["tables"][model._meta.label_lower]["rows"], model
    assert doc["tables"]["interactions.participation"]["rows"]


def test_every_model_of_rapport_is_backed_up_or_deliberately_left_out():
    ours = {
        model._meta.label_lower
        for model in apps.get_models(include_auto_created=True)
        if model.__module__.startswith("rapport.")
        or model._meta.app_config.name.startswith("rapport.")
    }
    assert ours - set(backup.LABELS) == set(backup.LEFT_OUT)  # each with its reason
    assert all(backup.LEFT_OUT.values()) and not set(backup.LEFT_OUT) & set(backup.LABELS)


def test_the_restored_team_can_log_in_and_use_its_tokens_and_links(team, alice):
    _, secret = token_create(user=alice, name="cli")
    link, link_token = share_link_create(
        actor=alice, person=Person.objects.get(pk=alice.member.person_id)
    )
    text = backup_text(team)
    remove(team)
    restore_team(text.encode())

    user = get_user_model().objects.get(username="alice")
    assert user.check_password(PASSWORD) and user.member.team.name == "Alpha Advisory"
    assert token_authenticate(secret) == user
    resolved = share_link_resolve(link_token)
    assert resolved is not None and resolved.person is not None
    assert resolved.person.display_name == link.person.display_name


def test_a_backup_holds_digests_and_password_hashes_but_no_secret(team, alice):
    _, secret = token_create(user=alice, name="phone")
    _, link_token = share_link_create(actor=alice, person=Person.objects.filter(team=team).first())
    text = backup_text(team)
    assert secret not in text and link_token not in text and PASSWORD not in text
    users = json.loads(text)["tables"]["auth.user"]
    passwords = [dict(zip(users["fields"], row, strict=True))["password"] for row in users["rows"]]
    assert passwords and all(p.startswith("md5$") for p in passwords)


def test_an_evidence_attachment_travels_inside_the_backup(team, settings, tmp_path):
    text = backup_text(team)
    remove(team)
    settings.MEDIA_ROOT = tmp_path  # a new machine: none of the files are there
    restored = restore_team(text)
    evidence = Evidence.objects.get(team=restored, title="ISO 27001 证书")
    with evidence.attachment.open("rb") as handle:
        assert handle.read() == ATTACHMENT


def test_a_teams_backup_holds_nothing_of_another_team(team, charlie):
    text = backup_text(team)
    assert "Charlie" not in text and "Dim sum" not in text and "charlie" not in text
    assert "Bob's Private Contact" in text  # a backup is the whole team, private rows too


def test_restoring_a_team_that_exists_is_refused_and_changes_nothing(team):
    text = backup_text(team)
    before = whole_database()
    with pytest.raises(BackupError, match="team “Alpha Advisory” already exists"):
        restore_team(text)
    assert whole_database() == before


def test_restoring_users_that_exist_elsewhere_is_refused(team):
    text = backup_text(team)
    team.name = "Renamed"
    team.save(update_fields=["name"])
    with pytest.raises(BackupError, match="user “alice” already exists"):
        restore_team(text)


def test_into_empty_false_replaces_the_team_with_its_backup(team):
    text = backup_text(team)
    before = canonical(json.loads(text))
    Person.objects.filter(team=team).update(notes="changed after the backup")
    restored = restore_team(text, into_empty=False)
    assert restored.pk != team.pk and not Team.objects.filter(pk=team.pk).exists()
    assert canonical(json.loads(backup_text(restored))) == before


def test_backup_all_and_restore_all_bring_back_every_team(team, charlie):
    out = io.BytesIO()
    backup_all(out)
    before = [canonical(t) for t in json.loads(out.getvalue())["teams"]]
    for each in Team.objects.all():
        remove(each)
    teams = restore_all(io.BytesIO(out.getvalue()))
    assert [t.name for t in teams] == ["Alpha Advisory", "Charlie Corp"]
    after = [canonical(json.loads(backup_text(t))) for t in teams]
    assert after == before


def _table(doc: dict[str, Any], label: str) -> dict[str, Any]:
    return doc["tables"][label]


def _set(doc: dict[str, Any], label: str, column: str, value: Any, row: int = 0) -> None:
    table = _table(doc, label)
    table["rows"][row][table["fields"].index(column)] = value


def _second_tag_named_like_the_first(doc: dict[str, Any]) -> None:
    tags = _table(doc, "people.tag")
    tags["rows"][1][tags["fields"].index("name")] = tags["rows"][0][tags["fields"].index("name")]


CORRUPTIONS = {
    "bad JSON": (lambda text: text.replace('"tables"', "tables", 1), "not valid JSON"),
    "truncated": (lambda text: text[: len(text) // 2], "truncated"),
    "empty": (lambda text: "", "empty"),
    "not UTF-8": (lambda text: b"\xff\xfe\x00garbage", "not UTF-8"),
    "a list": (lambda text: "[1, 2]", "no JSON object"),
    "another format": (
        lambda text: text.replace('"rapport-backup"', '"monica-export"', 1),
        "format “monica-export”",
    ),
    "a newer version": (
        lambda text: text.replace('"version": 1', '"version": 2', 1),
        "unknown backup version 2 (made by a newer Rapport)",
    ),
}
EDITS = {
    "a missing table": (
        lambda doc: doc["tables"].pop("people.fact"),
        "missing table “people.fact”",
    ),
    "an unknown table": (
        lambda doc: doc["tables"].__setitem__("deals.forecast", {"fields": [], "rows": []}),
        "unknown table “deals.forecast”",
    ),
    "an unknown field": (
        lambda doc: _table(doc, "people.person")["fields"].__setitem__(3, "shoe_size"),
        "table “people.person” has unknown field “shoe_size”",
    ),
    "a short row": (
        lambda doc: _table(doc, "people.channel")["rows"][2].pop(),
        "table “people.channel” row 3 does not have",
    ),
    "an influence out of range": (
        lambda doc: _set(doc, "people.role", "influence", 9, row=1),
        "table “people.role” row 2 (id",
    ),
    "a duplicate tag": (_second_tag_named_like_the_first, "table “people.tag” row 2"),
    "a bad date": (
        lambda doc: _set(doc, "interactions.interaction", "occurred_at", "yesterday"),
        "occurred_at 'yesterday' is not valid",
    ),
    "a dangling reference": (
        lambda doc: _set(doc, "people.fact", "person_id", 999_999),
        "person_id 999999 is not a row of “people.person”",
    ),
    "bad attachment bytes": (
        lambda doc: _corrupt_attachment(doc),
        "attachment.content is not base64",
    ),
}


def _corrupt_attachment(doc: dict[str, Any]) -> None:
    table = _table(doc, "trust.evidence")
    column = table["fields"].index("attachment.content")
    row = next(r for r in table["rows"] if r[column])
    row[column] = "%%% not base64"


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_damaged_file_gives_a_clear_error_and_changes_nothing(team, case):
    damage, message = CORRUPTIONS[case]
    text = backup_text(team)
    remove(team)
    before = whole_database()
    damaged = damage(text)
    with pytest.raises(BackupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        restore_team(damaged.encode() if isinstance(damaged, str) else damaged)
    assert whole_database() == before


@pytest.mark.parametrize("case", sorted(EDITS))
def test_a_backup_with_a_bad_table_or_row_names_it_and_changes_nothing(
    team, case, tmp_path, settings
):
    edit, message = EDITS[case]
    doc = json.loads(backup_text(team))
    remove(team)
    settings.MEDIA_ROOT = tmp_path
    before = whole_database()
    edit(doc)
    with pytest.raises(BackupError) as raised:
        restore_team(json.dumps(doc))
    assert message in str(raised.value)
    assert whole_database() == before
    assert not Team.objects.filter(name="Alpha Advisory").exists()
    assert not any(tmp_path.rglob("*.pdf"))  # files written before the error are gone


def test_restore_all_refuses_a_second_copy_of_a_team_and_restores_none(team):
    doc = json.loads(backup_text(team))
    remove(team)
    before = whole_database()
    together = {"format": "rapport-backup", "version": 1, "teams": [doc, doc]}
    with pytest.raises(BackupError, match="team 2"):
        restore_all(json.dumps(together))
    assert whole_database() == before


def test_a_backup_from_before_a_table_existed_restores_it_empty(team, tmp_path, settings):
    """A backup written before "not the same person" reviews were kept has no such
    table: it restores, with none (a missing older table is still an error above)."""
    from rapport.people.models import DistinctPair
    from rapport.transfer import backup

    doc = json.loads(backup_text(team))
    remove(team)
    settings.MEDIA_ROOT = tmp_path
    assert "people.distinctpair" in backup.ADDED_LATER
    del doc["tables"]["people.distinctpair"]
    restore_team(json.dumps(doc))
    restored = Team.objects.get(name="Alpha Advisory")
    assert restored.people.filter(display_name="王小明").exists()
    assert not DistinctPair.objects.filter(team=restored).exists()
