"""Import and export pages, and a person's data-subject export and erasure. Thin: parse,
call rapport.transfer.jobs / export / erase, render."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from rapport.people.queries import person_for
from rapport.transfer import erase, export, jobs
from rapport.transfer.contacts_csv import MappingError
from rapport.transfer.models import ImportJob

_MAPPING_SALT = "rapport.transfer.mapping"
WORKER_PATIENCE = dt.timedelta(seconds=15)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", gettext_lazy("From the file's name")), *ImportJob.Format.choices],
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: show what would happen, save nothing"), required=False
    )
    skip_bad = forms.BooleanField(
        label=gettext_lazy(
            "Skip bad records and report them (otherwise a bad record stops the import)"
        ),
        required=False,
    )
    private = forms.BooleanField(label=gettext_lazy("New people are private to me"), required=False)
    create_people = forms.BooleanField(
        label=gettext_lazy("Email and calendars: add people who are not in the book yet"),
        required=False,
    )


def _options(data: Any) -> dict[str, bool]:
    return {name: bool(data.get(name)) for name in jobs.OPTION_NAMES}


def _mapping_page(
    request: HttpRequest,
    *,
    token: str,
    file_name: str,
    columns: tuple[str, ...],
    chosen: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    pending = signing.loads(token, salt=_MAPPING_SALT)
    samples = jobs.csv_samples(jobs.stored_path(pending["stored"]), columns)
    rows = [
        {
            "index": i,
            "column": column,
            "samples": samples[i],
            "chosen": (chosen or {}).get(column, jobs.guess_field(column)),
        }
        for i, column in enumerate(columns)
    ]
    context = {
        "token": token,
        "file_name": file_name,
        "rows": rows,
        "choices": list(jobs.MAPPING_LABELS.items()),
        "problem": problem,
        "options": pending["options"],
    }
    return render(request, "transfer/import_mapping.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file to import; a CSV nobody recognises goes on to the mapping form."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        jobs.forget_old_uploads()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = upload.name or "upload"
        try:
            kind = jobs.detect_format(name, form.cleaned_data["file_format"])
            stored, size = jobs.store_upload(upload)
        except ValidationError as exc:
            form.add_error("file", exc.message_dict.get("file", exc.messages)[0])
        else:
            options = _options(form.cleaned_data)
            if kind == "csv":
                problem = jobs.mapping_problem(jobs.stored_path(stored), name, {})
                if isinstance(problem, MappingError) and problem.columns:
                    # Signed for this user only: a leaked token imports nothing elsewhere.
                    token = signing.dumps(
                        {
                            "stored": stored,
                            "name": name,
                            "size": size,
                            "options": options,
                            "user": request.user.pk,
                        },
                        salt=_MAPPING_SALT,
                    )
                    return _mapping_page(
                        request, token=token, file_name=name, columns=problem.columns
                    )
                if problem is not None:
                    jobs.stored_path(stored).unlink(missing_ok=True)
                    form.add_error("file", str(problem))
                    return _upload_page(request, form, status=422)
            job = jobs.job_create(
                actor=request.user,
                file_name=name,
                stored_name=stored,
                file_size=size,
                file_format=kind,
                options=options,
            )
            return redirect("import_job", job_id=job.pk)
    return _upload_page(request, form, status=422 if form.errors else 200)


def _upload_page(request: HttpRequest, form: ImportForm, *, status: int = 200) -> HttpResponse:
    recent = [jobs.job_check_alive(job) for job in jobs.jobs_of(request.user)[:10]]
    return render(
        request, "transfer/import_upload.html", {"form": form, "recent": recent}, status=status
    )


@login_required
@require_POST
def import_mapping(request: HttpRequest) -> HttpResponse:
    """The mapping form's answer: check the mapping against the file, then queue it."""
    token = request.POST.get("token", "")
    try:
        pending = signing.loads(token, salt=_MAPPING_SALT, max_age=jobs.UPLOADS_KEPT)
        if pending.get("user") != request.user.pk:
            raise signing.BadSignature("another user's upload")
        path = jobs.stored_path(pending["stored"])  # gone once UPLOADS_KEPT has passed
    except (signing.BadSignature, Http404):
        messages.error(request, _("That upload has expired: upload the file again."))
        return redirect("import_upload")
    columns = tuple(request.POST.getlist("column"))
    mapping: dict[str, str] = {}
    for i, column in enumerate(columns):
        field = request.POST.get(f"map_{i}", "").strip()
        mapping[column] = field or "ignore"
    problem = jobs.mapping_problem(path, pending["name"], mapping)
    if problem is None and all(v == "ignore" for v in mapping.values()):
        problem = _("map at least one column to a field")
    if problem is not None:
        return _mapping_page(
            request,
            token=token,
            file_name=pending["name"],
            columns=getattr(problem, "columns", ()) or columns,
            chosen=mapping,
            problem=str(problem),
            status=422,
        )
    job = jobs.job_create(
        actor=request.user,
        file_name=pending["name"],
        stored_name=pending["stored"],
        file_size=pending["size"],
        file_format="csv",
        options={**pending["options"], "mapping": mapping},
    )
    return redirect("import_job", job_id=job.pk)


def _job_context(job: ImportJob) -> dict[str, Any]:
    report = job.report or {}
    records = report.get("records", [])
    return {
        "job": job,
        "progress": jobs.job_progress(job),
        "report": report,
        "skipped": [r for r in records if r.get("action") == "skipped"],
        "updated": [r for r in records if r.get("action") == "updated"],
        "created": [r for r in records if r.get("action") == "created"][:200],
        "warned": [r for r in records if r.get("warnings")],
        "file_kept": jobs.job_path(job).is_file(),
        "interrupted": jobs.job_interrupted(job),
        # Queued for long: no worker is running (`rapport serve --no-worker` alone).
        "waiting_long": job.status == ImportJob.Status.QUEUED
        and job.created_at < timezone.now() - WORKER_PATIENCE,
    }


@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """An import's progress, then its report; htmx polls the status part every second."""
    job = jobs.job_check_alive(jobs.job_for(request.user, job_id))
    context = _job_context(job)
    if request.headers.get("HX-Request"):
        return render(request, "transfer/_job_status.html", context)
    return render(request, "transfer/import_job.html", context)


@login_required
@require_POST
def import_again(request: HttpRequest, job_id: int) -> HttpResponse:
    """Run a dry run's file for real (or an aborted one again, skipping bad records; or
    an interrupted one again as it was, with `retry`)."""
    job = jobs.job_for(request.user, job_id)
    if not job.finished:
        return redirect("import_job", job_id=job.pk)
    if not jobs.job_path(job).is_file():
        messages.error(request, _("The uploaded file is gone: upload it again."))
        return redirect("import_upload")
    options = dict(job.options)
    if request.POST.get("skip_bad"):
        options["skip_bad"] = True
    try:
        again = jobs.job_create(
            actor=request.user,
            file_name=job.file_name,
            stored_name=job.stored_name,
            file_size=job.file_size,
            file_format=job.file_format,
            options={**options, "dry_run": job.dry_run and bool(request.POST.get("retry"))},
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("import_job", job_id=job.pk)
    return redirect("import_job", job_id=again.pk)


# -- export --------------------------------------------------------------------------------


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    return render(request, "transfer/export.html", {})


def _download(writer: Any, request: HttpRequest, filename: str, content_type: str) -> FileResponse:
    """Write the export to a temporary file (memory stays bounded however large the
    book) and stream it back."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    writer(request.user, spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=content_type)


def _stamp() -> str:
    return f"{timezone.localdate():%Y-%m-%d}"


@login_required
def export_vcard(request: HttpRequest) -> FileResponse:
    return _download(
        export.export_people_vcard, request, f"rapport-people-{_stamp()}.vcf", "text/vcard"
    )


@login_required
def export_csv(request: HttpRequest) -> FileResponse:
    return _download(
        export.export_people_csv, request, f"rapport-people-{_stamp()}.csv", "text/csv"
    )


@login_required
def export_everything(request: HttpRequest) -> FileResponse:
    return _download(export.export_json, request, f"rapport-{_stamp()}.json", "application/json")


# -- one person: data-subject export and erasure -------------------------------------------


@login_required
def person_export(request: HttpRequest, person_id: int) -> HttpResponse:
    """Everything held about one person, as a JSON download."""
    person = person_for(request.user, person_id)
    data = export.person_data_export(request.user, person)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def person_erase(request: HttpRequest, person_id: int) -> HttpResponse:
    """Confirm, by typing the name, then erase everything about the person."""
    person = person_for(request.user, person_id, write=True)
    problem = ""
    try:
        plan = erase.erase_preview(actor=request.user, person=person)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("person_detail", person_id=person.pk)
    if request.method == "POST":
        typed = request.POST.get("confirm_name", "").strip()
        if typed != person.display_name.strip():
            problem = _("Type the name exactly as shown to confirm.")
        else:
            try:
                erase.erase_person(
                    actor=request.user, person=person, reason=request.POST.get("reason", "")
                )
            except ValidationError as exc:
                problem = "; ".join(exc.messages)
            else:
                messages.success(request, _("Everything about that person was erased."))
                return redirect("person_list")
    context = {
        "person": person,
        "plan": plan,
        "lines": _plan_lines(plan.counts),
        "reasons": list(erase.REASONS.items()),
        "problem": problem,
        "chosen_reason": request.POST.get("reason", ""),
    }
    return render(request, "transfer/erase_confirm.html", context, status=422 if problem else 200)


def _plan_lines(counts: dict[str, int]) -> list[tuple[str, int]]:
    labels = {
        "facts": _("Common-ground facts"),
        "channels": _("Email addresses, phones and other channels"),
        "roles": _("Roles in organisations"),
        "tags": _("Tags"),
        "interactions_deleted": _("Conversations with only them (deleted)"),
        "interactions_left": _("Shared conversations (they are removed from them)"),
        "commitments": _("Promises made to them or by them"),
        "evidence_shown": _("Evidence shown to them"),
        "claims": _("Claims made to them"),
        "surveys": _("Trust surveys and answers"),
        "trust_scores": _("Trust scores"),
        "trust_snapshots": _("Trust history snapshots"),
        "share_links": _("Tracking links"),
        "import_keys": _("Links to imported contacts"),
        "introductions_cleared": _("People they introduced (the link is cleared)"),
        "audit_entries": _("Audit entries about them (their text is erased)"),
        "duplicate_reviews": _("Duplicate reviews naming them"),
    }
    return [(labels.get(k, k), n) for k, n in counts.items() if n]
