"""Trust: the team's evidence library, claims made to clients, client surveys, and the
computed scores with their daily snapshots."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rapport.people.models import Visibility


class Evidence(models.Model):
    """Something that backs what we say: a certificate, an award, a reference client."""

    class Kind(models.TextChoices):
        CERTIFICATION = "certification", _("Certification")
        LICENCE = "licence", _("Licence")
        AWARD = "award", _("Award")
        REFERENCE = "reference", _("Reference client")
        TESTIMONIAL = "testimonial", _("Testimonial letter")
        CASE_STUDY = "case_study", _("Case study")
        PUBLICATION = "publication", _("Publication")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    url = models.URLField(_("link"), blank=True, max_length=500)
    attachment = models.FileField(_("attachment"), upload_to="evidence/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "evidence"
        indexes = [models.Index(fields=["team", "kind", "title"], name="evidence_team_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(verified_on__isnull=True)
                | Q(expires_on__gte=models.F("verified_on")),
                name="evidence_expires_after_verified",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_expired(self, on: dt.date) -> bool:
        return self.expires_on is not None and self.expires_on < on

    @property
    def is_verified(self) -> bool:
        return self.verified_on is not None


class EvidenceShown(models.Model):
    """Evidence shown to a client, and whether it was sound on that day."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="showings")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        "people.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.TEAM
    )
    shown_at = models.DateTimeField(_("shown"))
    shown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the evidence was when shown: renewing it later does not undo showing it stale.
    was_verified = models.BooleanField(default=True)
    was_expired = models.BooleanField(default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-shown_at", "-id"]
        indexes = [
            models.Index(fields=["person", "-shown_at"], name="evidence_shown_person_idx"),
            models.Index(fields=["organisation", "-shown_at"], name="evidence_shown_org_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(organisation__isnull=False),
                name="evidence_shown_has_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} → {self.person_id or self.organisation_id}"


class Claim(models.Model):
    """Something we told a client about ourselves, later found accurate or not."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not yet checked")
        ACCURATE = "accurate", _("Accurate")
        EXAGGERATED = "exaggerated", _("Exaggerated")
        FALSE = "false", _("False")

    class Kind(models.TextChoices):
        STATEMENT = "statement", _("Statement of fact")
        CAPABILITY = "capability", _("Promise of capability")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="claims")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.TEAM
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="claims",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="claims",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STATEMENT)
    statement = models.CharField(_("what we said"), max_length=500)
    made_at = models.DateTimeField(_("said"))
    status = models.CharField(
        _("how it held up"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    assessed_at = models.DateTimeField(_("checked"), null=True, blank=True)
    assessment = models.TextField(_("what we found"), blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        indexes = [
            models.Index(fields=["person", "status"], name="claim_person_idx"),
            models.Index(fields=["organisation", "status"], name="claim_org_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(organisation__isnull=False),
                name="claim_has_client",
            )
        ]

    def __str__(self) -> str:
        return self.statement


class Survey(models.Model):
    """A revocable link asking one client for their view of us."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="surveys")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="surveys")
    language = models.CharField(_("client's language"), max_length=10, choices=settings.LANGUAGES)
    prefix = models.CharField(max_length=10)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.person_id}"


class SurveyAnswer(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=20)
    component = models.CharField(max_length=1)
    answer = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "question"], name="survey_answer_once"),
            models.CheckConstraint(
                condition=Q(answer__gte=1, answer__lte=5), name="survey_answer_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}={self.answer}"


class TrustScore(models.Model):
    """The latest computed trust of one relationship (a person or an organisation)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    person = models.OneToOneField(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="trust"
    )
    organisation = models.OneToOneField(
        "people.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="trust"
    )
    c = models.FloatField()
    r = models.FloatField()
    i = models.FloatField()
    s = models.FloatField()
    t = models.FloatField()
    weakest = models.CharField(max_length=1)
    # Per component: evidence count, evidence weight, the client's survey view.
    detail = models.JSONField(default=dict)
    t_week_ago = models.FloatField(null=True, blank=True)
    delta_week = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["team", "t"], name="trust_team_t_idx"),
            models.Index(fields=["team", "delta_week"], name="trust_team_delta_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) ^ Q(organisation__isnull=False),
                name="trust_score_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"T={self.t:.1f}"


class TrustSnapshot(models.Model):
    """A relationship's trust on one day: the trend line."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        "people.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    c = models.FloatField()
    r = models.FloatField()
    i = models.FloatField()
    s = models.FloatField()
    t = models.FloatField()

    class Meta:
        ordering = ["day"]
        constraints = [
            # Not partial, so bulk upserts can name them; NULLs never collide.
            models.UniqueConstraint(fields=["person", "day"], name="trust_snapshot_person_day"),
            models.UniqueConstraint(fields=["organisation", "day"], name="trust_snapshot_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: T={self.t:.1f}"


class HistoryLedger(models.Model):
    """A long history's older conversations and their moments, summed per (focus,
    moments) with their decay as of `upto`, so a trust card need not read them again.

    Derived data, never backed up: database triggers on interactions_participation
    (migration 0002) delete a person's ledger whenever a row it covers is written,
    and the next card rebuilds it. Decay multiplies exactly, so sums kept at `upto`
    are carried to any later "now" by one factor."""

    person = models.OneToOneField(
        "people.Person", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the sums were taken over and with: a change of either makes them unusable.
    private = models.BooleanField()
    rate = models.FloatField()
    upto = models.DateTimeField()
    # [[focus, moments, decayed at upto, count, latest occurred_at], ...]
    groups = models.JSONField()
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"ledger of {self.person_id} up to {self.upto}"
