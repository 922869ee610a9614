"""What imports remember: which person a contact of another address book became."""

from __future__ import annotations

from django.db import models


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
