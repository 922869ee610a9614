"""Who knows whom: ties between two people, and referrals (who introduced whom)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Tie(models.Model):
    """Two people who know each other, stored once per pair (lower id first).

    `strength` (0..1) is computed from the evidence between them (their conversations,
    the kind of tie, how long they have known each other) unless a user set
    `manual_strength`, which then is the strength. Ties found only in conversations are
    kept with source "interactions" and refreshed in the background."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Family")
        FRIEND = "friend", _("Friend")
        COLLEAGUE = "colleague", _("Colleague")
        FORMER_COLLEAGUE = "former_colleague", _("Former colleague")
        CLIENT = "client", _("Client")
        CLASSMATE = "classmate", _("Classmate")
        INTRODUCED_BY = "introduced_by", _("Introduced by")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        INTERACTIONS = "interactions", _("Found in conversations")
        IMPORT = "import", _("Import")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    person_a = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    strength = models.FloatField(_("strength"), default=0.0)
    manual_strength = models.FloatField(_("strength set by hand"), null=True, blank=True)
    since = models.DateField(_("known each other since"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.MANUAL
    )
    note = models.TextField(_("note"), blank=True)
    # What the conversations between the two show, as of the last refresh: a path's
    # hop is explained with these without reading the interaction log again.
    interaction_count = models.PositiveIntegerField(default=0, editable=False)
    first_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-strength", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "person_a", "person_b"], name="tie_once"),
            models.CheckConstraint(condition=Q(person_a__lt=F("person_b")), name="tie_ordered"),
            models.CheckConstraint(
                condition=Q(strength__gte=0.0, strength__lte=1.0), name="tie_strength_range"
            ),
            models.CheckConstraint(
                condition=Q(manual_strength__isnull=True)
                | Q(manual_strength__gte=0.0, manual_strength__lte=1.0),
                name="tie_manual_strength_range",
            ),
        ]
        indexes = [
            models.Index(fields=["person_a"], name="tie_person_a_idx"),
            models.Index(fields=["person_b"], name="tie_person_b_idx"),
            models.Index(fields=["team", "updated_at"], name="tie_team_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} – {self.person_b_id} ({self.kind}, {self.strength:.2f})"

    @staticmethod
    def label_of(kind: str, source: str) -> str:
        """How a tie of `kind` from `source` is named to users. A tie the conversations
        showed with nothing more to go on (no teammate in it, no organisation shared) is
        stored with the neutral kind "other" and called "Met in conversations"."""
        if kind == Tie.Kind.OTHER and source == Tie.Source.INTERACTIONS:
            return str(_("Met in conversations"))
        return str(Tie.Kind(kind).label) if kind in Tie.Kind.values else kind

    def get_kind_display(self) -> str:  # type: ignore[no-redef]
        # The source is read only when it matters (it may not have been loaded).
        if self.kind != Tie.Kind.OTHER:
            return Tie.label_of(self.kind, Tie.Source.MANUAL)
        return Tie.label_of(self.kind, self.source)

    def other(self, person_id: int) -> int:
        """The id of the person at the other end from `person_id`."""
        return self.person_b_id if person_id == self.person_a_id else self.person_a_id


class Referral(models.Model):
    """`referrer` introduced `referred` to us on `referred_on`. What came of it (meetings
    since, later deals won) is derived, not stored; `thanked_at` records the thank-you."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    referrer = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("introduced by"),
    )
    referred = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("introduced")
    )
    referred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    thanked_at = models.DateTimeField(_("thanked"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-referred_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=F("referred")), name="referral_not_self"),
        ]
        indexes = [
            models.Index(fields=["team", "referrer"], name="referral_referrer_idx"),
            models.Index(fields=["team", "referred"], name="referral_referred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referred_id} ({self.referred_on})"
