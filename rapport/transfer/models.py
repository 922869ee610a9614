"""What imports remember: which person a contact of another address book became."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportedContact(models.Model):
    """A key a contact had in the file it was imported from, and the person it became,
    so importing the same file again finds that person instead of creating another.

    `source_uid` is the contact's own id (a vCard UID) as "uid:…", or for every contact
    a key made from its name and organisation as "name:…", used only for contacts that
    have no email, phone or LinkedIn profile to be matched by."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="import_keys"
    )
    source_uid = models.CharField(max_length=300)
    source = models.CharField(max_length=200, blank=True)  # the file it first came from
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source_uid"], name="imported_contact_unique_per_person"
            )
        ]
        indexes = [models.Index(fields=["team", "source_uid"], name="imported_contact_key_idx")]

    def __str__(self) -> str:
        return f"{self.source_uid} → person {self.person_id}"


class ImportJob(models.Model):
    """An import started from the web or the API: the uploaded file (kept in the data
    folder), the options chosen, how far the background task has got and its report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ABORTED = "aborted", _("Stopped at a bad record")

    class Format(models.TextChoices):
        VCARD = "vcard", "vCard"
        CSV = "csv", "CSV"
        MBOX = "mbox", "mbox"
        EML = "eml", ".eml"
        ICS = "ics", "iCalendar (.ics)"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    file_name = models.CharField(max_length=255)  # as uploaded, shown to the user
    stored_name = models.CharField(max_length=100)  # under DATA_DIR/imports
    file_size = models.BigIntegerField(default=0)
    file_format = models.CharField(max_length=8, choices=Format.choices)
    # dry_run, skip_bad, private, create_people, mapping ({column: field})
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    processed = models.PositiveIntegerField(default=0)  # records handled so far
    bytes_read = models.BigIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "owner", "-created_at"], name="import_job_owner_idx")
        ]

    def __str__(self) -> str:
        return f"import {self.pk}: {self.file_name} ({self.status})"

    @property
    def dry_run(self) -> bool:
        return bool(self.options.get("dry_run"))

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.ABORTED)
