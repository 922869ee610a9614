"""Import, export and a person's data-subject export over the API."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rapport.people.models import Person
from rapport.transfer import jobs
from rapport.transfer.models import ImportJob
from tests.conftest import api_for

CARDS = b"""BEGIN:VCARD
VERSION:4.0
FN:Maya Okafor
EMAIL:maya@okafor.example
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Tomas Berg
EMAIL:tomas@berg.example
END:VCARD
"""
ODD_CSV = b"Who,Mail\nLina Park,lina@park.example\n"


def _import(api: Client, name: str, content: bytes, **options: Any) -> Any:
    return api.post("/api/v1/import", {"file": SimpleUploadedFile(name, content), **options})


def test_a_small_file_is_imported_at_once_with_its_report(alice: Any) -> None:
    response = _import(api_for(alice), "friends.vcf", CARDS)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "done" and body["file_format"] == "vcard"
    assert body["report"]["created"] == 2 and body["percent"] == 100
    assert [r["name"] for r in body["report"]["records"]] == ["Maya Okafor", "Tomas Berg"]
    assert Person.objects.filter(display_name="Maya Okafor", owner=alice).exists()


def test_a_dry_run_over_the_api_saves_nothing(alice: Any) -> None:
    body = _import(api_for(alice), "friends.vcf", CARDS, dry_run="true").json()
    assert body["report"]["dry_run"] is True and body["report"]["created"] == 2
    assert not Person.objects.filter(display_name="Maya Okafor").exists()


def test_a_bad_record_stops_the_import_naming_the_record(alice: Any) -> None:
    broken = CARDS + b"BEGIN:VCARD\nVERSION:3.0\nFN:Half\n"
    body = _import(api_for(alice), "friends.vcf", broken).json()
    assert body["status"] == "aborted"
    assert "friends.vcf" in body["error"] and "card 3" in body["error"]
    assert not Person.objects.filter(display_name="Maya Okafor").exists()

    skipped = _import(api_for(alice), "friends.vcf", broken, skip_bad="true").json()
    assert skipped["status"] == "done" and skipped["report"]["skipped"] == 1


def test_an_unknown_csv_needs_a_mapping_and_the_error_lists_its_columns(alice: Any) -> None:
    api = api_for(alice)
    refused = _import(api, "odd.csv", ODD_CSV)
    assert refused.status_code == 422
    assert refused.json()["field"] == "mapping"
    assert "Who" in refused.json()["detail"] and "Mail" in refused.json()["detail"]

    mapped = _import(api, "odd.csv", ODD_CSV, mapping=["Who=display_name", "Mail=email"])
    assert mapped.status_code == 200, mapped.content
    assert mapped.json()["report"]["created"] == 1
    assert Person.objects.filter(display_name="Lina Park").exists()


@pytest.mark.parametrize(
    ("name", "options", "field"),
    [
        ("notes.docx", {}, "file"),
        ("friends.vcf", {"mapping": ["Who=display_name"]}, "mapping"),
        ("odd.csv", {"mapping": ["no equals sign"]}, "mapping"),
        ("friends.vcf", {"file_format": "xls"}, "file_format"),
    ],
)
def test_bad_requests_are_errors_naming_the_field(
    alice: Any, name: str, options: dict[str, Any], field: str
) -> None:
    response = _import(api_for(alice), name, CARDS, **options)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_a_large_file_is_queued_and_followed_until_done(
    transactional_db: Any, alice: Any, bob: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "SYNC_LIMIT", 100)  # CARDS is over 100 bytes
    api = api_for(alice)
    queued = _import(api, "friends.vcf", CARDS)
    assert queued.status_code == 202
    job_id = queued.json()["id"]
    assert api.get(f"/api/v1/import/{job_id}").json()["status"] == "queued"
    assert api_for(bob).get(f"/api/v1/import/{job_id}").status_code == 404

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    done = api.get(f"/api/v1/import/{job_id}").json()
    assert done["status"] == "done" and done["report"]["created"] == 2


def test_another_teams_import_is_404(alice: Any, charlie: Any) -> None:
    job_id = _import(api_for(alice), "friends.vcf", CARDS).json()["id"]
    response = api_for(charlie).get(f"/api/v1/import/{job_id}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_exports_over_the_api_hold_what_the_user_may_see(book: dict[str, Any], alice: Any) -> None:
    api = api_for(alice)
    cards = b"".join(api.get("/api/v1/export/people.vcf").streaming_content).decode()
    assert "FN:Anna Lee" in cards and "Bob's Private Contact" not in cards
    sheet = b"".join(api.get("/api/v1/export/people.csv").streaming_content).decode("utf-8-sig")
    assert "Anna Lee" in sheet and "Charlie's Client" not in sheet
    everything = json.loads(b"".join(api.get("/api/v1/export/everything.json").streaming_content))
    assert everything["team"] == "Alpha Advisory"


def test_the_data_subject_export_over_the_api(book: dict[str, Any], alice: Any) -> None:
    api = api_for(alice)
    wang = book["wang"]
    data = api.get(f"/api/v1/people/{wang.pk}/export").json()
    assert data["person"]["romanised_name"] == "Wang Xiaoming"
    assert [i["summary"] for i in data["interactions"]] == ["Quarterly review"]
    for other in ("bobs_secret", "charlies"):
        assert api.get(f"/api/v1/people/{book[other].pk}/export").status_code == 404


def test_the_endpoints_want_a_token(db: Any) -> None:
    anonymous = Client()
    for url in ("/api/v1/export/people.vcf", "/api/v1/import/1", "/api/v1/people/1/export"):
        assert anonymous.get(url).status_code == 401
    assert anonymous.post("/api/v1/people/1/erase").status_code == 401


def _age(path: Path, hours: float) -> None:
    then = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    settings.RAPPORT_MAX_IMPORT_BYTES = 100
    response = _import(api_for(alice), "friends.vcf", CARDS)
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    assert "100\xa0bytes" in response.json()["detail"]
    assert list(jobs.imports_dir().iterdir()) == []


def test_an_import_over_the_api_sweeps_uploads_left_behind(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    left = jobs.imports_dir() / "0000111122223333444455556666abcd.csv"
    left.write_bytes(ODD_CSV)  # a CSV whose mapping form was never answered
    _age(left, hours=48)
    assert _import(api_for(alice), "friends.vcf", CARDS).status_code == 200
    assert not left.exists()


def test_a_job_whose_worker_died_reads_as_failed(alice: Any) -> None:
    api = api_for(alice)
    path = jobs.imports_dir() / "99998888777766665555444433332222.vcf"
    path.write_bytes(CARDS)
    job = jobs.job_create(
        actor=alice,
        file_name="friends.vcf",
        stored_name=path.name,
        file_size=len(CARDS),
        file_format="vcard",
        options={},
        enqueue=False,
    )
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    jobs._Progress(job.pk, None).write()
    assert api.get(f"/api/v1/import/{job.pk}").json()["status"] == "running"

    _age(jobs._progress_path(job.pk), hours=1)
    body = api.get(f"/api/v1/import/{job.pk}").json()

    assert body["status"] == "failed" and body["finished_at"]
    assert "the worker was interrupted; nothing was saved" in body["error"]
    path.unlink()
