"""Promises and how they were kept: commitments, their milestones, risks and
renegotiations, and the hygiene of the meetings they come out of."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rapport.people.models import Visibility


class Side(models.TextChoices):
    OURS = "ours", _("Our side")
    CLIENT = "client", _("The client's side")


class Commitment(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT = "kept", _("Kept")
        KEPT_LATE = "kept_late", _("Kept late")
        BROKEN = "broken", _("Broken")
        CANCELLED = "cancelled", _("Cancelled")

    class Match(models.TextChoices):
        EXCEEDED = "exceeded", _("Exceeded what was expected")
        MET = "met", _("Met what was expected")
        SHORT = "short", _("Fell short of what was expected")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="commitments")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commitments"
    )
    # Private when the client person is someone's private contact, like interactions.
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.TEAM
    )
    side = models.CharField(
        _("who promised"), max_length=6, choices=Side.choices, default=Side.OURS
    )
    promised_by = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises_made",
        verbose_name=_("promised by"),
    )
    # The client the promise is with: a person, an organisation, or both.
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("organisation"),
    )
    title = models.CharField(_("what was promised"), max_length=300)
    details = models.TextField(_("internal notes"), blank=True)
    expected = models.TextField(_("what the client expects"), blank=True)
    made_at = models.DateTimeField(_("made"))
    # The agreed date (and time, if one was named) in the zone it was agreed in, and the
    # resulting deadline instant, which every overdue test reads.
    due_on = models.DateField(_("due"))
    due_time = models.TimeField(_("due time"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    due_at = models.DateTimeField(editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    delivered = models.TextField(_("what was delivered"), blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    match = models.CharField(
        _("delivered against expected"), max_length=10, choices=Match.choices, blank=True
    )
    close_note = models.TextField(_("closing note"), blank=True)
    reported_back_at = models.DateTimeField(_("reported back to the client"), null=True, blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
        verbose_name=_("meeting"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The agenda: a team's open promises by deadline.
            models.Index(fields=["team", "status", "due_at"], name="commitment_due_idx"),
            models.Index(fields=["person", "status"], name="commitment_person_idx"),
            models.Index(fields=["organisation", "status"], name="commitment_org_idx"),
            models.Index(
                fields=["team", "closed_at"],
                condition=Q(reported_back_at__isnull=True) & ~Q(status="open"),
                name="commitment_unreported_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(organisation__isnull=False),
                name="commitment_has_client",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Renegotiation(models.Model):
    """A due date moved by agreement; `told_client_at` before the old deadline is what
    separates a renegotiation in time from a quiet slip."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="renegotiations"
    )
    at = models.DateTimeField()
    old_due_on = models.DateField()
    old_due_at = models.DateTimeField()
    new_due_on = models.DateField()
    new_due_at = models.DateTimeField()
    told_client_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.old_due_on} → {self.new_due_on}"

    @property
    def in_time(self) -> bool:
        return self.told_client_at is not None and self.told_client_at < self.old_due_at


class Milestone(models.Model):
    """A progress update the client can follow, like a parcel tracker's."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("progress"), max_length=300)
    detail = models.TextField(_("detail for the client"), blank=True)
    at = models.DateTimeField(_("when"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["commitment", "at"])]

    def __str__(self) -> str:
        return self.title


class Risk(models.Model):
    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(_("risk"), max_length=300)
    detail = models.TextField(_("internal notes"), blank=True)
    severity = models.CharField(
        _("severity"), max_length=6, choices=Severity.choices, default=Severity.MEDIUM
    )
    raised_at = models.DateTimeField(_("raised"))
    disclosed_at = models.DateTimeField(_("disclosed to the client"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [
            models.Index(
                fields=["commitment"],
                condition=Q(disclosed_at__isnull=True, resolved_at__isnull=True),
                name="risk_undisclosed_idx",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """The hygiene of one meeting: agenda shared, materials sent ahead, decisions."""

    interaction = models.OneToOneField(
        "interactions.Interaction", on_delete=models.CASCADE, related_name="meeting"
    )
    agenda_shared_at = models.DateTimeField(_("agenda shared"), null=True, blank=True)
    materials_sent_at = models.DateTimeField(_("materials sent"), null=True, blank=True)

    def __str__(self) -> str:
        return f"meeting {self.interaction_id}"

    @property
    def materials_lead(self):  # type: ignore[no-untyped-def]
        """How long before the meeting the materials went out (a timedelta), or None."""
        if self.materials_sent_at is None:
            return None
        return self.interaction.occurred_at - self.materials_sent_at


class Decision(models.Model):
    """Something decided in a meeting. It is followed up when it becomes a commitment,
    or when the user says it needs none."""

    interaction = models.ForeignKey(
        "interactions.Interaction", on_delete=models.CASCADE, related_name="decisions"
    )
    text = models.CharField(_("decision"), max_length=300)
    # The meeting's owner and time, copied so that "my decisions without a follow-up"
    # is one range of a small partial index instead of a walk over the interactions.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True
    )
    decided_at = models.DateTimeField(null=True)
    commitment = models.OneToOneField(
        Commitment, null=True, blank=True, on_delete=models.SET_NULL, related_name="decision"
    )
    no_follow_up = models.BooleanField(_("needs no follow-up"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["owner", "decided_at", "id"],
                condition=Q(commitment__isnull=True, no_follow_up=False),
                name="decision_open_idx",
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def followed_up(self) -> bool:
        return self.commitment_id is not None or self.no_follow_up
