"""The import page: upload, the job page's progress and report (the task run by the real
database worker), the dry run then "Import for real", the CSV mapping form, the export
page's downloads, and the walls between users and teams."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from rapport.interactions.models import Interaction
from rapport.people.models import Channel, Person
from rapport.transfer import jobs
from rapport.transfer.models import ImportJob
from tests.conftest import client_for

CORPUS = Path(__file__).parent / "corpus"
CARDS = b"""BEGIN:VCARD
VERSION:4.0
FN:Maya Okafor
N:Okafor;Maya;;;
EMAIL:maya@okafor.example
ORG:Lagos Freight
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Tomas Berg
EMAIL:tomas@berg.example
END:VCARD
"""
ODD_CSV = "Who,Mail,Cell,Firm\nLina Park,lina@park.example,+44 20 7946 0958,Park & Co\n"


def _run_worker() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def _upload(web: Any, name: str, content: bytes, **options: Any) -> Any:
    return web.post(
        reverse("import_upload"), {"file": SimpleUploadedFile(name, content), **options}
    )


def _job_of(response: Any) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_the_nav_links_to_import_and_export(alice: Any) -> None:
    page = client_for(alice).get(reverse("dashboard")).text
    assert reverse("import_upload") in page


def test_an_uploaded_vcard_is_queued_then_imported_by_the_worker(
    transactional_db: Any, alice: Any
) -> None:
    web = client_for(alice)
    job = _job_of(_upload(web, "friends.vcf", CARDS))
    assert job.status == "queued" and job.file_format == "vcard"
    waiting = web.get(reverse("import_job", args=[job.pk])).text
    assert 'hx-trigger="every 1s"' in waiting

    _run_worker()

    job.refresh_from_db()
    assert job.status == "done", job.error
    assert job.report["created"] == 2
    done = web.get(reverse("import_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' not in done.text, "polling stops when the job is done"
    assert 'value="100"' in done.text
    assert "Maya Okafor" in done.text
    maya = Person.objects.get(display_name="Maya Okafor")
    assert maya.owner == alice and maya.visibility == "team"
    assert not jobs.job_path(job).exists(), "an imported file is not kept"
    people = web.get(reverse("person_list")).text
    assert "Maya Okafor" in people


def test_a_dry_run_saves_nothing_and_can_then_be_imported_for_real(
    transactional_db: Any, alice: Any
) -> None:
    web = client_for(alice)
    dry = _job_of(_upload(web, "friends.vcf", CARDS, dry_run="on", private="on"))
    _run_worker()
    dry.refresh_from_db()
    assert dry.status == "done" and dry.report["created"] == 2
    assert not Person.objects.filter(display_name="Maya Okafor").exists()
    page = web.get(reverse("import_job", args=[dry.pk])).text
    assert "Import for real" in page and "would be created" in page

    real = _job_of(web.post(reverse("import_again", args=[dry.pk])))
    assert real.options["private"] and not real.dry_run
    _run_worker()

    real.refresh_from_db()
    assert real.status == "done"
    assert Person.objects.get(display_name="Maya Okafor").visibility == "private"


def test_a_bad_record_stops_the_import_naming_it_and_skipping_is_offered(
    transactional_db: Any, alice: Any
) -> None:
    web = client_for(alice)
    stopped = _job_of(_upload(web, "broken.vcf", (CORPUS / "broken.vcf").read_bytes()))
    _run_worker()
    stopped.refresh_from_db()
    assert stopped.status == "aborted"
    assert "broken.vcf" in stopped.error and "line" in stopped.error
    assert not Person.objects.filter(display_name="Dave Warnings").exists()
    page = web.get(reverse("import_job", args=[stopped.pk])).text
    assert "nothing was saved" in page

    skipping = _job_of(web.post(reverse("import_again", args=[stopped.pk]), {"skip_bad": "1"}))
    _run_worker()
    skipping.refresh_from_db()
    assert skipping.status == "done"
    assert skipping.report["skipped"] >= 1
    assert Person.objects.filter(display_name="Dave Warnings").exists()
    page = web.get(reverse("import_job", args=[skipping.pk])).text
    assert "line" in page and "Skipped" in page


def test_an_unknown_csv_asks_for_a_mapping_with_sample_values(
    transactional_db: Any, alice: Any
) -> None:
    web = client_for(alice)
    form = _upload(web, "odd.csv", ODD_CSV.encode())
    assert form.status_code == 200
    assert "Map the columns" in form.text
    assert "lina@park.example" in form.text  # a sample value
    token = form.context["token"]
    guessed = {r["column"]: r["chosen"] for r in form.context["rows"]}
    assert guessed["Mail"] == "email" and guessed["Cell"] == "phone:mobile"

    job = _job_of(
        web.post(
            reverse("import_mapping"),
            {
                "token": token,
                "column": ["Who", "Mail", "Cell", "Firm"],
                "map_0": "display_name",
                "map_1": "email",
                "map_2": "phone:mobile",
                "map_3": "organisation",
            },
        )
    )
    assert job.options["mapping"]["Who"] == "display_name"
    _run_worker()
    job.refresh_from_db()
    assert job.status == "done", job.error
    lina = Person.objects.get(display_name="Lina Park")
    assert Channel.objects.filter(person=lina, kind="email", value="lina@park.example").exists()
    assert lina.roles.get().organisation.name == "Park & Co"


def test_a_mapping_that_does_not_fit_is_asked_again_with_the_reason(alice: Any) -> None:
    web = client_for(alice)
    token = _upload(web, "odd.csv", ODD_CSV.encode()).context["token"]
    again = web.post(
        reverse("import_mapping"),
        {"token": token, "column": ["Who", "Mail", "Cell", "Firm"], "map_1": "birthday:x"},
    )
    assert again.status_code == 422
    assert "Map the columns" in again.text
    assert again.context["problem"]
    assert not ImportJob.objects.exists()


def test_a_forged_mapping_token_leads_back_to_the_upload(alice: Any) -> None:
    response = client_for(alice).post(reverse("import_mapping"), {"token": "nope", "column": []})
    assert response.status_code == 302 and response["Location"] == reverse("import_upload")


def test_a_file_of_unknown_kind_is_refused_naming_it(alice: Any) -> None:
    response = _upload(client_for(alice), "notes.docx", b"hello")
    assert response.status_code == 422
    assert "notes.docx" in response.text
    assert not ImportJob.objects.exists()


def test_an_mbox_upload_records_conversations_and_creates_people_when_asked(
    transactional_db: Any, book: dict[str, Any], alice: Any
) -> None:
    web = client_for(alice)
    archive = (CORPUS / "mail" / "archive.mbox").read_bytes()
    job = _job_of(_upload(web, "archive.mbox", archive, skip_bad="on", create_people="on"))
    _run_worker()
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert job.report["created"] >= 3 and job.report["people_created"] >= 1
    assert Interaction.objects.filter(source="email", team=alice.member.team).count() >= 3
    page = web.get(reverse("import_job", args=[job.pk])).text
    assert "conversations added" in page


def test_progress_shows_records_and_bytes_while_running(alice: Any) -> None:
    path = jobs.imports_dir() / "fedcba9876543210fedcba9876543210.vcf"
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
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    with open(path, "rb") as stream:
        stream.read(len(CARDS) // 2)
        progress = jobs._Progress(job.pk, stream)
        progress(1)
    page = client_for(alice).get(reverse("import_job", args=[job.pk])).text
    assert "1 record handled" in page
    assert f'value="{jobs.job_progress(job)["percent"]}"' in page
    assert 40 <= jobs.job_progress(job)["percent"] <= 60
    progress.remove()


def test_another_users_or_teams_import_is_404(alice: Any, bob: Any, charlie: Any) -> None:
    job = _job_of(_upload(client_for(alice), "friends.vcf", CARDS))
    for other in (bob, charlie):
        web = client_for(other)
        assert web.get(reverse("import_job", args=[job.pk])).status_code == 404
        assert web.post(reverse("import_again", args=[job.pk])).status_code == 404
    assert "friends.vcf" not in client_for(bob).get(reverse("import_upload")).text


# -- export ----------------------------------------------------------------------------


def test_the_export_page_downloads_people_and_everything_but_not_others_private_ones(
    book: dict[str, Any], alice: Any
) -> None:
    web = client_for(alice)
    assert web.get(reverse("export_page")).status_code == 200

    vcard = web.get(reverse("export_vcard"))
    assert vcard["Content-Type"].startswith("text/vcard")
    assert "attachment" in vcard["Content-Disposition"]
    cards = b"".join(vcard.streaming_content).decode()
    assert "BEGIN:VCARD" in cards and "VERSION:4.0" in cards
    assert "Anna" in cards and "Alice's Private Contact" in cards
    assert "Bob's Private Contact" not in cards and "Charlie's Client" not in cards

    sheet = b"".join(web.get(reverse("export_csv")).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(sheet)))
    names = {row[0] for row in rows[1:]}
    assert "Anna Lee" in names and "Bob's Private Contact" not in names

    everything = json.loads(b"".join(web.get(reverse("export_everything")).streaming_content))
    assert everything["team"] == "Alpha Advisory"
    dumped = json.dumps(everything)
    assert "Bob's secret call" not in dumped
    assert "Charlie's Client" not in dumped


@pytest.mark.parametrize("name", ["export_vcard", "export_csv", "export_everything"])
def test_exports_need_a_signed_in_user(client: Any, name: str) -> None:
    assert client.get(reverse(name)).status_code == 302


def test_a_dry_runs_upload_is_deleted_a_day_after_it_finished(alice: Any) -> None:
    path = jobs.imports_dir() / "00112233445566778899aabbccddeeff.vcf"
    path.write_bytes(CARDS)
    job = jobs.job_create(
        actor=alice,
        file_name="friends.vcf",
        stored_name=path.name,
        file_size=len(CARDS),
        file_format="vcard",
        options={"dry_run": True},
        enqueue=False,
    )
    jobs.job_run(job)
    assert path.exists(), "kept for Import for real"
    assert jobs.forget_old_uploads() == 0
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=2))
    assert jobs.forget_old_uploads() == 1
    assert not path.exists()
    page = client_for(alice).get(reverse("import_job", args=[job.pk])).text
    assert "Import for real" not in page


def test_a_job_left_queued_says_the_worker_may_not_be_running(alice: Any) -> None:
    job = _job_of(_upload(client_for(alice), "friends.vcf", CARDS))
    page = client_for(alice).get(reverse("import_job", args=[job.pk])).text
    assert 'data-testid="no-worker"' not in page
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    page = client_for(alice).get(reverse("import_job", args=[job.pk])).text
    assert 'data-testid="no-worker"' in page


# -- uploads do not linger, stuck jobs end, the mapping token is the uploader's -----------


def _age(path: Path, days: float) -> None:
    then = (timezone.now() - dt.timedelta(days=days)).timestamp()
    os.utime(path, (then, then))


def test_an_upload_left_on_the_mapping_form_is_deleted_a_day_later(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    web = client_for(alice)
    form = _upload(web, "odd.csv", ODD_CSV.encode())
    assert "Map the columns" in form.text
    (left,) = jobs.imports_dir().iterdir()  # the mapping form is never submitted
    _upload(web, "friends.vcf", CARDS)
    assert left.exists(), "kept while the mapping form may still be answered"

    _age(left, days=2)
    queued = _job_of(_upload(web, "friends.vcf", CARDS))  # any later upload sweeps

    assert not left.exists()
    assert jobs.job_path(queued).exists(), "a queued job's file is not swept"
    again = web.post(
        reverse("import_mapping"),
        {"token": form.context["token"], "column": ["Who"], "map_0": "display_name"},
    )
    assert again.status_code == 302 and again["Location"] == reverse("import_upload")


def test_the_sweep_keeps_old_files_that_jobs_still_use_and_files_it_does_not_know(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    queued = _job_of(_upload(client_for(alice), "friends.vcf", CARDS))
    other = jobs.imports_dir() / "README.txt"
    other.write_text("not an upload")
    orphan = jobs.imports_dir() / "aaaabbbbccccddddeeeeffff00001111.vcf"
    orphan.write_bytes(CARDS)
    for path in (jobs.job_path(queued), other, orphan):
        _age(path, days=3)

    assert jobs.forget_old_uploads() == 1

    assert not orphan.exists()
    assert jobs.job_path(queued).exists() and other.exists()


def test_an_upload_over_the_size_limit_is_refused_naming_the_limit(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    settings.RAPPORT_MAX_IMPORT_BYTES = 100
    response = _upload(client_for(alice), "friends.vcf", CARDS)  # CARDS is over 100 bytes
    assert response.status_code == 422
    assert "100\xa0bytes" in response.text and "RAPPORT_MAX_IMPORT_BYTES" in response.text
    assert not ImportJob.objects.exists()
    assert list(jobs.imports_dir().iterdir()) == []


class _Upload(SimpleUploadedFile):
    """An upload that says it is smaller than it is, or whose disk fills up midway."""

    def __init__(self, content: bytes, *, claimed: int, fail: bool = False) -> None:
        super().__init__("friends.vcf", content)
        self.size = claimed
        self.fail = fail

    def chunks(self, chunk_size: int | None = None) -> Any:
        for start in range(0, len(self.file.getvalue()), 64):
            if self.fail and start:
                raise OSError(errno.ENOSPC, "No space left on device")
            yield self.file.getvalue()[start : start + 64]


def test_storing_stops_at_the_limit_and_leaves_no_partial_file(
    settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    settings.RAPPORT_MAX_IMPORT_BYTES = 100
    with pytest.raises(ValidationError) as lying:
        jobs.store_upload(_Upload(CARDS, claimed=10))
    assert "100\xa0bytes" in lying.value.message_dict["file"][0]
    assert list(jobs.imports_dir().iterdir()) == []

    settings.RAPPORT_MAX_IMPORT_BYTES = 10_000
    with pytest.raises(ValidationError) as full:
        jobs.store_upload(_Upload(CARDS, claimed=len(CARDS), fail=True))
    assert "No space left on device" in full.value.message_dict["file"][0]
    assert list(jobs.imports_dir().iterdir()) == []


def _running_job(alice: Any) -> ImportJob:
    job = _job_of(_upload(client_for(alice), "friends.vcf", CARDS, dry_run="on"))
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", started_at=timezone.now() - dt.timedelta(hours=1)
    )
    jobs._Progress(job.pk, None).write()
    job.refresh_from_db()
    return job


def test_a_job_whose_worker_died_is_marked_failed_and_can_be_tried_again(
    transactional_db: Any, alice: Any
) -> None:
    web = client_for(alice)
    job = _running_job(alice)
    alive = web.get(reverse("import_job", args=[job.pk]), headers={"HX-Request": "true"}).text
    assert 'data-status="running"' in alive and 'hx-trigger="every 1s"' in alive

    _age(jobs._progress_path(job.pk), days=1 / 24)  # no heartbeat for an hour
    page = web.get(reverse("import_job", args=[job.pk]), headers={"HX-Request": "true"}).text

    assert 'data-status="failed"' in page
    assert 'hx-trigger="every 1s"' not in page, "polling stops"
    assert "the worker was interrupted; nothing was saved" in page
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert 'data-testid="try-again"' in page

    again = _job_of(web.post(reverse("import_again", args=[job.pk]), {"retry": "1"}))
    assert again.dry_run, "trying again keeps the options, a dry run stays one"
    _run_worker()
    again.refresh_from_db()
    assert again.status == "done" and again.report["created"] == 2


def test_a_stuck_job_nobody_looks_at_is_ended_and_its_file_cleaned_later(
    alice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    job = _running_job(alice)
    _age(jobs._progress_path(job.pk), days=1 / 24)
    jobs.forget_old_uploads()
    job.refresh_from_db()
    assert job.status == "failed"
    assert not jobs._progress_path(job.pk).exists()
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=2))
    jobs.forget_old_uploads()
    assert not jobs.job_path(job).exists()


def test_a_mapping_token_works_only_for_the_user_who_uploaded(
    alice: Any, bob: Any, charlie: Any
) -> None:
    token = _upload(client_for(alice), "odd.csv", ODD_CSV.encode()).context["token"]
    answer = {
        "token": token,
        "column": ["Who", "Mail", "Cell", "Firm"],
        "map_0": "display_name",
        "map_1": "email",
    }
    for other in (bob, charlie):
        response = client_for(other).post(reverse("import_mapping"), answer)
        assert response.status_code == 302 and response["Location"] == reverse("import_upload")
    assert not ImportJob.objects.exists()
    assert _job_of(client_for(alice).post(reverse("import_mapping"), answer)).owner == alice


def test_the_mapping_form_names_fields_in_words_and_sends_their_keys(alice: Any) -> None:
    form = _upload(client_for(alice), "odd.csv", ODD_CSV.encode())
    assert '<option value="phone:mobile" selected>Mobile phone</option>' in form.text
    assert ">phone:mobile<" not in form.text and ">display_name" not in form.text


def test_the_report_in_chinese_uses_report_words_not_those_of_other_pages(
    transactional_db: Any, alice: Any
) -> None:
    alice.member.language = "zh-hans"
    alice.member.save()
    web = client_for(alice)
    job = _job_of(_upload(web, "friends.vcf", CARDS))
    _run_worker()
    page = web.get(reverse("import_job", args=[job.pk])).text
    assert "Maya Okafor" in page
    assert "创建时间" not in page and "创建于" not in page, "a creation time is not a count"
