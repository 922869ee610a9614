"""Imports started from the web or the API, run by the task worker.

An upload is saved under the data folder, an ImportJob row records it with its options,
and the `run_import` task reads the file with the same readers and services as
`rapport import`. The import itself is one transaction, so the progress it makes cannot
go through the database (nobody else would see it before the end): it is written to a
small file beside the upload, throttled, and read by the job page while it runs.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from rapport.transfer.models import ImportJob
from rapport.transfer.sources import CAPTURE_FORMATS, FORMATS_BY_SUFFIX

# Uploads up to this size are imported at once by the API; larger ones are queued.
SYNC_LIMIT = 5 * 1024 * 1024
# Progress is written at most this often (seconds) ...
PROGRESS_EVERY = 0.5
# ... and the report keeps at most this many records (skipped ones first).
REPORT_RECORDS = 2000
OPTION_NAMES = ("dry_run", "skip_bad", "private", "create_people")
# A dry run's upload is kept this long after it finished, for "Import for real".
UPLOADS_KEPT = dt.timedelta(days=1)
# A running import touches its progress file at least this often (seconds) ...
HEARTBEAT_EVERY = 30
# ... and one whose file has not been touched for this long lost its worker (killed, out
# of memory): it is marked failed. Its transaction never committed, so nothing was saved.
STALLED_AFTER = dt.timedelta(minutes=5)


def imports_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def job_path(job: ImportJob) -> Path:
    return imports_dir() / job.stored_name


def _progress_path(job_id: int) -> Path:
    return imports_dir() / f"job-{job_id}.progress"


def detect_format(file_name: str, chosen: str = "") -> str:
    """The format chosen, else the one the file name's extension says; ValidationError
    naming the file when neither tells."""
    if chosen:
        if chosen not in ImportJob.Format.values:
            raise ValidationError(
                {
                    "file_format": _("format must be one of: %(formats)s")
                    % {"formats": ", ".join(ImportJob.Format.values)}
                }
            )
        return chosen
    found = FORMATS_BY_SUFFIX.get(Path(file_name).suffix.lower())
    if found is None:
        raise ValidationError(
            {
                "file": _(
                    "cannot tell the format of %(name)s: choose vCard, CSV, mbox, .eml or .ics"
                )
                % {"name": file_name}
            }
        )
    return found


# -- storing uploads ---------------------------------------------------------------------


def _too_large(name: str, limit: int) -> ValidationError:
    return ValidationError(
        {
            "file": _(
                "%(name)s is too large: the largest file Rapport imports is %(limit)s "
                "(RAPPORT_MAX_IMPORT_BYTES)"
            )
            % {"name": name, "limit": filesizeformat(limit)}
        }
    )


def store_upload(upload: UploadedFile) -> tuple[str, int]:
    """Save an uploaded file under the data folder; its stored name and size.
    ValidationError naming the file when it is over RAPPORT_MAX_IMPORT_BYTES or cannot
    be written (a full disk); no partial file is left behind."""
    name = upload.name or "upload"
    limit = int(settings.RAPPORT_MAX_IMPORT_BYTES)
    if upload.size is not None and upload.size > limit:
        raise _too_large(name, limit)
    suffix = Path(name).suffix.lower()[:10]
    stored = f"{uuid.uuid4().hex}{suffix if suffix.isascii() else ''}"
    path = imports_dir() / stored
    size = 0
    try:
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:  # the upload said it was smaller
                    raise _too_large(name, limit)
                out.write(chunk)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise ValidationError(
            {
                "file": _("could not save %(name)s: %(error)s")
                % {"name": name, "error": exc.strerror or exc}
            }
        ) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return stored, size


def _is_upload_name(name: str) -> bool:
    """Whether a file name is one store_upload makes (a uuid and the file's suffix)."""
    return len(name) >= 32 and all(c.isalnum() or c == "." for c in name)


def stored_path(stored_name: str) -> Path:
    """The path of a stored upload, refusing any name that is not one store_upload made."""
    name = Path(stored_name).name
    if name != stored_name or not _is_upload_name(name):
        raise Http404("No such upload")
    path = imports_dir() / name
    if not path.is_file():
        raise Http404("No such upload")
    return path


def clean_options(data: Any) -> dict[str, Any]:
    """The import options from a form or request: booleans and an optional mapping."""
    options: dict[str, Any] = {name: bool(data.get(name)) for name in OPTION_NAMES}
    return options


@transaction.atomic
def job_create(
    *,
    actor: Any,
    file_name: str,
    stored_name: str,
    file_size: int,
    file_format: str,
    options: dict[str, Any],
    enqueue: bool = True,
) -> ImportJob:
    """Record an import of a stored upload by the actor into their team, and queue it
    (once the transaction commits) unless `enqueue` is False. Options: dry_run,
    skip_bad, private, create_people (email and calendars), mapping (CSV: column →
    field, as `rapport import --map`)."""
    from rapport.accounts.services import audit_record

    file_format = detect_format(file_name, file_format)
    mapping = options.get("mapping") or {}
    if mapping and file_format != "csv":
        raise ValidationError({"mapping": _("a column mapping is for CSV files")})
    job = ImportJob(
        team_id=actor.member.team_id,
        owner=actor,
        file_name=file_name[:255],
        stored_name=stored_name,
        file_size=file_size,
        file_format=file_format,
        options={**{k: bool(options.get(k)) for k in OPTION_NAMES}, "mapping": dict(mapping)},
    )
    job.full_clean()
    job.save()
    audit_record(
        actor=actor,
        team=job.team,
        action="import.queue",
        obj=job,
        summary=f"{job.file_format} import queued" + (" (dry run)" if job.dry_run else ""),
    )
    if enqueue:
        job_id = job.pk
        transaction.on_commit(lambda: run_import.enqueue(job_id=job_id))
    return job


def job_again(*, actor: Any, job: ImportJob, dry_run: bool = False) -> ImportJob:
    """The same file imported again with the same options (for real, after a dry run)."""
    if not job_path(job).is_file():
        raise ValidationError({"file": _("the uploaded file is gone: upload it again")})
    return job_create(
        actor=actor,
        file_name=job.file_name,
        stored_name=job.stored_name,
        file_size=job.file_size,
        file_format=job.file_format,
        options={**job.options, "dry_run": dry_run},
    )


def jobs_of(actor: Any) -> QuerySet[ImportJob]:
    """The actor's own imports, newest first."""
    return ImportJob.objects.filter(team_id=actor.member.team_id, owner=actor)


def job_for(actor: Any, job_id: int | str) -> ImportJob:
    """The actor's import with this id; Http404 for anyone else's."""
    try:
        return jobs_of(actor).get(pk=int(job_id))
    except (ImportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such import") from exc


# -- progress ------------------------------------------------------------------------------


def _heartbeat(job: ImportJob) -> dt.datetime:
    """When the job's worker last showed it was alive: the progress file's time (the
    worker touches it while it runs), else when the job started."""
    try:
        return dt.datetime.fromtimestamp(_progress_path(job.pk).stat().st_mtime, tz=dt.UTC)
    except OSError:
        return job.started_at or job.created_at


def job_check_alive(job: ImportJob) -> ImportJob:
    """The job, marked failed if it is running but its worker stopped showing signs of
    life STALLED_AFTER ago (killed, out of memory): its page then stops waiting, and
    its file is forgotten with the others. The import is one transaction that never
    committed, so nothing was saved."""
    if job.status != ImportJob.Status.RUNNING:
        return job
    if _heartbeat(job) > timezone.now() - STALLED_AFTER:
        return job
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.FAILED,
        error=_("the import stopped: the worker was interrupted; nothing was saved"),
        report={"interrupted": True},
        finished_at=timezone.now(),
    )
    _progress_path(job.pk).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def job_interrupted(job: ImportJob) -> bool:
    """Whether the job failed because its worker stopped (so trying again may work)."""
    return job.status == ImportJob.Status.FAILED and bool((job.report or {}).get("interrupted"))


def job_progress(job: ImportJob) -> dict[str, Any]:
    """How far the job has got: records handled, bytes read of the file, and a percent."""
    processed, read = job.processed, job.bytes_read
    if job.status == ImportJob.Status.RUNNING:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(_progress_path(job.pk).read_text())
            processed, read = int(data["processed"]), int(data["bytes_read"])
    if job.finished:
        percent = 100
    elif job.file_size:
        percent = min(99, int(100 * read / job.file_size))
    else:
        percent = 0
    return {"processed": processed, "bytes_read": read, "percent": percent}


class _Progress:
    """Counts records as the import hands them over and writes, now and then, how far
    through the file it is."""

    def __init__(self, job_id: int, stream: IO[bytes] | None) -> None:
        self.job_id = job_id
        self.stream = stream
        self.processed = 0
        self.last = 0.0
        self.path = _progress_path(job_id)

    def bytes_read(self) -> int:
        if self.stream is None:
            return 0
        with contextlib.suppress(OSError, ValueError):
            return self.stream.tell()
        return 0

    def __call__(self, n: int) -> None:
        self.processed += n
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            self.write()

    def write(self) -> None:
        part = self.path.with_suffix(".part")
        part.write_text(json.dumps({"processed": self.processed, "bytes_read": self.bytes_read()}))
        os.replace(part, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class _Heartbeat:
    """Touches the progress file every HEARTBEAT_EVERY seconds while the import runs,
    however long one batch or the final commit takes: only a worker that is gone
    leaves it untouched for STALLED_AFTER."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="import-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_EVERY):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def _trimmed(report: dict[str, Any]) -> dict[str, Any]:
    """The report with at most REPORT_RECORDS records: every skipped one first (they
    say what was lost), then those with warnings, then the rest in file order."""
    records = report.get("records", [])
    if len(records) <= REPORT_RECORDS:
        return {**report, "records_total": len(records)}

    def rank(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        index, record = item
        if record.get("action") == "skipped":
            return (0, index)
        return (1 if record.get("warnings") else 2, index)

    kept = sorted(sorted(enumerate(records), key=rank)[:REPORT_RECORDS])
    return {**report, "records": [r for _i, r in kept], "records_total": len(records)}


def _contacts(job: ImportJob, stream: BinaryIO) -> Any:
    from rapport.transfer.contacts_csv import open_contacts_csv
    from rapport.transfer.vcard import read_vcards

    if job.file_format == "vcard":
        return read_vcards(stream, name=job.file_name)
    return open_contacts_csv(stream, name=job.file_name, mapping=job.options.get("mapping") or None)


def _captured(job: ImportJob, stream: BinaryIO) -> tuple[Any, Callable[..., Any]]:
    from rapport.transfer.calendar_import import read_calendar
    from rapport.transfer.capture import capture_meetings, capture_messages
    from rapport.transfer.mail import read_eml, read_mbox

    if job.file_format == "ics":
        return read_calendar(stream, name=job.file_name), capture_meetings
    if job.file_format == "eml":
        return read_eml(stream, name=job.file_name), capture_messages
    return read_mbox(stream, name=job.file_name), capture_messages


def _finish(job: ImportJob, status: str, report: dict[str, Any] | None, error: str = "") -> None:
    job.status = status
    job.report = _trimmed(report) if report is not None else None
    job.error = error
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "report",
            "error",
            "finished_at",
            "processed",
            "bytes_read",
        ]
    )


def job_run(job: ImportJob) -> ImportJob:
    """Run a queued import now (the task calls this; the API too, for a small file):
    the job ends done, aborted (a bad record stopped it; nothing was saved) or failed
    (the file could not be read at all), with the report or the error."""
    from rapport.transfer.capture import CaptureAborted
    from rapport.transfer.records import ParseError
    from rapport.transfer.services import ImportAborted, import_contacts

    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    job.refresh_from_db()
    if not claimed:
        return job  # already run (a task delivered twice)
    actor = job.owner
    options = job.options
    on_error: Literal["abort", "skip"] = "skip" if options.get("skip_bad") else "abort"
    visibility = "private" if options.get("private") else "team"
    progress = _Progress(job.pk, None)
    # The progress file goes only once the job is finished: without it a running job
    # would look as if its worker had stopped.
    try:
        with open(job_path(job), "rb") as stream, _Heartbeat(progress.path):
            progress.stream = stream
            progress.write()
            try:
                if job.file_format in CAPTURE_FORMATS:
                    records, capture = _captured(job, stream)
                    result = capture(
                        actor,
                        records,
                        dry_run=job.dry_run,
                        on_error=on_error,
                        create_people=bool(options.get("create_people")),
                        source_name=job.file_name,
                        progress=progress,
                        visibility=visibility,
                    )
                else:
                    records = _contacts(job, stream)
                    result = import_contacts(
                        actor,
                        records,
                        dry_run=job.dry_run,
                        on_error=on_error,
                        source_name=job.file_name,
                        progress=progress,
                        visibility=visibility,
                        record_unit="card" if job.file_format == "vcard" else "row",
                    )
            except (ImportAborted, CaptureAborted) as exc:
                job.processed, job.bytes_read = progress.processed, progress.bytes_read()
                _finish(job, ImportJob.Status.ABORTED, exc.report.as_json(), str(exc))
                return job
            except ParseError as exc:  # a CSV whose header cannot be read or mapped
                _finish(job, ImportJob.Status.FAILED, None, str(exc))
                return job
            job.processed = result.total
            job.bytes_read = job.file_size
    except OSError as exc:
        _finish(job, ImportJob.Status.FAILED, None, f"{job.file_name}: {exc.strerror or exc}")
        return job
    except Exception as exc:
        _finish(job, ImportJob.Status.FAILED, None, f"{job.file_name}: {exc}")
        raise
    else:
        _finish(job, ImportJob.Status.DONE, result.as_json())
    finally:
        progress.remove()
    if not job.dry_run:
        _forget_upload(job)
    return job


def _unlink(path: Path) -> bool:
    """Delete a file another worker may be deleting too; whether this call deleted it."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _older_than(path: Path, cutoff: dt.datetime) -> bool:
    try:
        return path.stat().st_mtime < cutoff.timestamp()
    except FileNotFoundError:
        return False


def forget_old_uploads(*, older_than: dt.timedelta = UPLOADS_KEPT) -> int:
    """Delete uploads whose imports all finished more than `older_than` ago (a dry run
    keeps its file for a while, for "Import for real"), and uploads no import names
    that are that old (a CSV whose mapping form was never answered): an address book
    should not linger on disk. Jobs whose worker died are marked failed first, so their
    files go too, and so do old progress files. Returns how many uploads went."""
    for running in ImportJob.objects.filter(status=ImportJob.Status.RUNNING):
        job_check_alive(running)
    cutoff = timezone.now() - older_than
    busy = set(
        ImportJob.objects.exclude(finished_at__lt=cutoff).values_list("stored_name", flat=True)
    )
    gone = 0
    for stored in (
        ImportJob.objects.filter(finished_at__lt=cutoff)
        .values_list("stored_name", flat=True)
        .distinct()
    ):
        if stored not in busy:
            gone += _unlink(imports_dir() / Path(stored).name)
    old = [p for p in imports_dir().iterdir() if p.is_file() and _older_than(p, cutoff)]
    uploads = {path.name: path for path in old if _is_upload_name(path.name)}
    named = set(
        ImportJob.objects.filter(stored_name__in=list(uploads)).values_list(
            "stored_name", flat=True
        )
    )
    for name, path in uploads.items():
        if name not in named:
            gone += _unlink(path)
    for path in old:
        if path.name.startswith("job-") and path.suffix in (".progress", ".part"):
            _unlink(path)
    return gone


def _forget_upload(job: ImportJob) -> None:
    """An imported file is not kept: its contents now live in the book (or nowhere)."""
    others = ImportJob.objects.filter(stored_name=job.stored_name).exclude(pk=job.pk)
    if not others.filter(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]).exists():
        job_path(job).unlink(missing_ok=True)


@task()
def run_import(job_id: int) -> str:
    """Run the queued import `job_id`; its status afterwards."""
    job = ImportJob.objects.select_related("owner__member__team").filter(pk=job_id).first()
    if job is None:
        return "gone"
    status = job_run(job).status
    forget_old_uploads()
    return status


# -- CSV column mapping ----------------------------------------------------------------

# The choices the mapping form offers: every field, and the usual labels, each with the
# words the form shows for it.
MAPPING_LABELS = {
    "display_name": gettext_lazy("Name as shown"),
    "given_name": gettext_lazy("Given (first) name"),
    "middle_name": gettext_lazy("Middle name"),
    "family_name": gettext_lazy("Family (last) name"),
    "nickname": gettext_lazy("Nickname"),
    "phonetic_given": gettext_lazy("Given name as pronounced (e.g. pinyin)"),
    "phonetic_family": gettext_lazy("Family name as pronounced (e.g. pinyin)"),
    "organisation": gettext_lazy("Company or organisation"),
    "department": gettext_lazy("Department"),
    "title": gettext_lazy("Job title"),
    "email": gettext_lazy("Email"),
    "email:work": gettext_lazy("Work email"),
    "email:home": gettext_lazy("Home email"),
    "phone": gettext_lazy("Phone"),
    "phone:mobile": gettext_lazy("Mobile phone"),
    "phone:work": gettext_lazy("Work phone"),
    "phone:home": gettext_lazy("Home phone"),
    "url": gettext_lazy("Website"),
    "address": gettext_lazy("Postal address"),
    "address:work": gettext_lazy("Work address"),
    "address:home": gettext_lazy("Home address"),
    "social:wechat": gettext_lazy("WeChat ID"),
    "social:linkedin": gettext_lazy("LinkedIn profile"),
    "social:whatsapp": gettext_lazy("WhatsApp number"),
    "birthday": gettext_lazy("Birthday"),
    "lunar_birthday": gettext_lazy("Chinese lunar birthday"),
    "anniversary": gettext_lazy("Anniversary"),
    "related": gettext_lazy("Related person"),
    "related:spouse": gettext_lazy("Spouse"),
    "note": gettext_lazy("Notes"),
    "categories": gettext_lazy("Tags"),
    "how_we_met": gettext_lazy("How we met"),
    "photo_url": gettext_lazy("Photo web address"),
    "uid": gettext_lazy("Contact ID in the other system"),
}
MAPPING_CHOICES = list(MAPPING_LABELS)
_GUESSES = {
    "name": "display_name",
    "full name": "display_name",
    "display name": "display_name",
    "姓名": "display_name",
    "first name": "given_name",
    "given name": "given_name",
    "名": "given_name",
    "last name": "family_name",
    "surname": "family_name",
    "family name": "family_name",
    "姓": "family_name",
    "company": "organisation",
    "organization": "organisation",
    "organisation": "organisation",
    "公司": "organisation",
    "job title": "title",
    "position": "title",
    "职位": "title",
    "e-mail": "email",
    "mail": "email",
    "邮箱": "email",
    "mobile": "phone:mobile",
    "cell": "phone:mobile",
    "手机": "phone:mobile",
    "telephone": "phone",
    "tel": "phone",
    "电话": "phone",
    "wechat": "social:wechat",
    "微信": "social:wechat",
    "notes": "note",
    "备注": "note",
    "tags": "categories",
    "birth date": "birthday",
    "生日": "birthday",
}


def guess_field(column: str) -> str:
    """A likely field for a column header, or "" (ignore)."""
    key = column.strip().lower()
    if key in MAPPING_CHOICES:
        return key
    return _GUESSES.get(key, "")


def _decoded_head(path: Path, size: int = 64 * 1024) -> str:
    with open(path, "rb") as stream:
        head = stream.read(size)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:  # a character cut at the end of the head
                return head[: exc.start].decode(encoding)
    return head.decode("latin-1")


def csv_samples(path: Path, columns: tuple[str, ...], rows: int = 3) -> list[list[str]]:
    """Each column's first few values (for the mapping form), read from the file's start."""
    text = _decoded_head(path)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    wanted = [c.strip() for c in columns]
    samples: list[list[str]] = [[] for _c in columns]
    reader: Iterator[list[str]] = csv.reader(io.StringIO(text), dialect)
    with contextlib.suppress(csv.Error):
        for cells in reader:
            if [c.strip() for c in cells] == wanted:
                break
        else:
            return samples
        for n, cells in enumerate(reader):
            if n >= rows:
                break
            for i in range(len(columns)):
                value = cells[i].strip() if i < len(cells) else ""
                if value:
                    samples[i].append(value[:60])
    return samples


def mapping_problem(path: Path, file_name: str, mapping: dict[str, str]) -> Any:
    """The MappingError the CSV gives with this mapping (None if it reads), so a form
    can ask again before any job is queued."""
    from rapport.transfer.contacts_csv import MappingError, open_contacts_csv
    from rapport.transfer.records import ParseError

    try:
        reader = open_contacts_csv(str(path), name=file_name, mapping=mapping or None)
    except MappingError as exc:
        return exc
    except ParseError as exc:
        return exc
    reader.close()
    return None
