"""Import, export, a person's data-subject export and erasure over the API. The same
jobs, export and erase functions as the pages."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from rapport.people.queries import person_for
from rapport.transfer import erase, export, jobs
from rapport.transfer.contacts_csv import MAPPABLE_FIELDS, MappingError
from rapport.transfer.models import ImportJob

router = Router(tags=["import and export"])

ImportFormat = Literal["", "vcard", "csv", "mbox", "eml", "ics"]
EraseReason = Literal["", "request", "consent", "retention", "mistake", "other"]


class ImportOptions(Schema):
    file_format: ImportFormat = ""
    dry_run: bool = False
    skip_bad: bool = False
    private: bool = False
    create_people: bool = False
    mapping: list[str] = []  # CSV only: "COLUMN=FIELD", as `rapport import --map`


class ImportJobOut(Schema):
    id: int
    status: str
    file_name: str
    file_format: str
    file_size: int
    options: dict[str, Any]
    processed: int
    bytes_read: int
    percent: int
    report: dict[str, Any] | None
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class EraseIn(Schema):
    reason: EraseReason = ""


class EraseOut(Schema):
    person_id: int
    audit_id: int
    removed: dict[str, int]


def job_out(job: ImportJob) -> ImportJobOut:
    progress = jobs.job_progress(job)
    return ImportJobOut(
        id=job.pk,
        status=job.status,
        file_name=job.file_name,
        file_format=job.file_format,
        file_size=job.file_size,
        options=job.options,
        processed=progress["processed"],
        bytes_read=progress["bytes_read"],
        percent=progress["percent"],
        report=job.report,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _mapping(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        column, equals, target = item.rpartition("=")
        if not equals or not column.strip() or not target.strip():
            raise ValidationError(
                {
                    "mapping": _(
                        "mapping takes COLUMN=FIELD, e.g. 'Mobile=phone:mobile', not %(item)s"
                    )
                    % {"item": repr(item)}
                }
            )
        mapping[column.strip()] = target.strip()
    return mapping


@router.post(
    "/import",
    response={200: ImportJobOut, 202: ImportJobOut},
    summary="Import a file (vCard, CSV, mbox, .eml, .ics)",
    description=(
        "A file of up to 5 MB is imported at once and the finished job (with its report) "
        "comes back with 200; a larger one is queued and comes back with 202: follow it "
        "with GET /import/{id}. A CSV that is not a Google, Outlook or LinkedIn export "
        "needs `mapping` (COLUMN=FIELD, repeatable); without it the 422 error lists the "
        "file's columns. A file over the server's limit (RAPPORT_MAX_IMPORT_BYTES, 2 GiB "
        "unless set) is refused with 422 naming the limit. A job whose worker stopped "
        "(killed, out of memory) reads as failed."
    ),
)
def import_file(
    request: HttpRequest, file: File[UploadedFile], options: Form[ImportOptions]
) -> Status[ImportJobOut]:
    name = file.name or "upload"
    kind = jobs.detect_format(name, options.file_format)
    mapping = _mapping(options.mapping)
    if mapping and kind != "csv":
        raise ValidationError({"mapping": _("a column mapping is for CSV files")})
    jobs.forget_old_uploads()
    stored, size = jobs.store_upload(file)
    if kind == "csv":
        problem = jobs.mapping_problem(jobs.stored_path(stored), name, mapping)
        if problem is not None:
            jobs.stored_path(stored).unlink(missing_ok=True)
            detail = str(problem)
            if isinstance(problem, MappingError) and problem.columns:
                detail = _("%(problem)s. Its columns: %(columns)s. Fields: %(fields)s") % {
                    "problem": detail,
                    "columns": ", ".join(problem.columns),
                    "fields": ", ".join(MAPPABLE_FIELDS),
                }
            raise ValidationError({"mapping": detail})
    fields = options.dict()
    small = size <= jobs.SYNC_LIMIT
    job = jobs.job_create(
        actor=request.user,
        file_name=name,
        stored_name=stored,
        file_size=size,
        file_format=kind,
        options={**{k: fields[k] for k in jobs.OPTION_NAMES}, "mapping": mapping},
        enqueue=not small,
    )
    if small:
        job = jobs.job_run(job)
        return Status(200, job_out(job))
    return Status(202, job_out(job))


@router.get("/import/{job_id}", response=ImportJobOut, summary="An import's status and report")
def get_import(request: HttpRequest, job_id: int) -> ImportJobOut:
    return job_out(jobs.job_check_alive(jobs.job_for(request.user, job_id)))


def _download(writer: Any, request: HttpRequest, filename: str, content_type: str) -> FileResponse:
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    writer(request.user, spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=content_type)


def _stamp() -> str:
    return f"{timezone.localdate():%Y-%m-%d}"


@router.get(
    "/export/people.vcf",
    summary="The people you may see, as vCard 4.0",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"text/vcard": {}}}}},
)
def export_vcard(request: HttpRequest) -> FileResponse:
    return _download(
        export.export_people_vcard, request, f"rapport-people-{_stamp()}.vcf", "text/vcard"
    )


@router.get(
    "/export/people.csv",
    summary="The people you may see, as CSV",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def export_csv(request: HttpRequest) -> FileResponse:
    return _download(
        export.export_people_csv, request, f"rapport-people-{_stamp()}.csv", "text/csv"
    )


@router.get(
    "/export/everything.json",
    summary="Everything you may see, as one JSON document",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"application/json": {}}}}},
)
def export_everything(request: HttpRequest) -> FileResponse:
    return _download(export.export_json, request, f"rapport-{_stamp()}.json", "application/json")


@router.get(
    "/people/{person_id}/export",
    response=dict[str, Any],
    tags=["people"],
    summary="Everything held about one person (a data-subject request)",
)
def export_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    person = person_for(request.user, person_id)
    return export.person_data_export(request.user, person)


@router.post(
    "/people/{person_id}/erase",
    response=EraseOut,
    tags=["people"],
    summary="Erase everything held about one person",
    description=(
        "Removes the person, their channels, facts, roles, tags, promises, claims, "
        "evidence shown, surveys and trust history; deletes conversations only they were "
        "in and removes them from shared ones; replaces their name, addresses and "
        "numbers wherever the team's records mention them; blanks the audit entries "
        "about them. Leaves one audit entry without personal data. Refused (422) for a "
        "team member's own person."
    ),
)
def erase_person(request: HttpRequest, person_id: int, payload: EraseIn | None = None) -> EraseOut:
    person = person_for(request.user, person_id, write=True)
    entry = erase.erase_person(
        actor=request.user, person=person, reason=payload.reason if payload else ""
    )
    return EraseOut(
        person_id=person_id, audit_id=entry.pk, removed=entry.changes.get("removed", {})
    )
