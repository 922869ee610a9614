"""The value ledger: what we did for a client (work delivered, savings, training,
introductions made, advice given) and whether they were told; and the "what we did for
you" reports that tell them, each behind a revocable, expiring secret link.

Money is Decimal with two places in the item's own currency; totals are made per
currency, never across currencies. Only a SHA-256 digest of a report's token is kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ValueKind(models.TextChoices):
    WORK = "work", _("Work delivered")
    SAVING = "saving", _("Saving")
    TRAINING = "training", _("Training")
    INTRODUCTION = "introduction", _("Introduction made")
    ADVICE = "advice", _("Advice given")


class ValueItem(models.Model):
    """One thing of value delivered to a client (a person or an organisation), maybe
    for a deal, with its money and/or hours, and when the client was told of it."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="value_items",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="value_items",
        verbose_name=_("organisation"),
    )
    deal = models.ForeignKey(
        "deals.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("deal"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ValueKind.choices)
    title = models.CharField(_("title"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    delivered_on = models.DateField(_("delivered on"))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2, null=True, blank=True)
    told_at = models.DateTimeField(_("client told"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(organisation__isnull=True))
                | (Q(person__isnull=True) & Q(organisation__isnull=False)),
                name="value_item_one_client",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="value_item_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0),
                name="value_item_hours_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | ~Q(currency=""),
                name="value_item_amount_has_currency",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "delivered_on"], name="value_item_person_idx"),
            models.Index(fields=["organisation", "delivered_on"], name="value_item_org_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ValueReport(models.Model):
    """A "what we did for you" report for one client and period, in the client's
    language, behind a secret link. Sending it marks its items as told."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="value_reports",
    )
    organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="value_reports",
    )
    period_from = models.DateField(_("from"))
    period_to = models.DateField(_("to"))
    language = models.CharField(_("client's language"), max_length=10, choices=settings.LANGUAGES)
    prefix = models.CharField(max_length=10)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The conversation logged when it was sent (kept when that is deleted).
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(organisation__isnull=True))
                | (Q(person__isnull=True) & Q(organisation__isnull=False)),
                name="value_report_one_client",
            ),
            models.CheckConstraint(
                condition=Q(period_from__lte=models.F("period_to")),
                name="value_report_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.period_from}–{self.period_to}"
