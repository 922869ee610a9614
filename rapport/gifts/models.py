"""The gift and hospitality register: what was given to or received from a client, and
the team's policy that says how much is too much.

Gifts and hospitality, both ways, are a risk to independence (domain.md §4): a manager
who never accepted a dealer's meal could demand full performance. So every entry is
recorded, with its value in Decimal and its currency, and an entry over the team's
limits carries the reason it was accepted or given anyway."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    GIVEN = "given", _("Given")
    RECEIVED = "received", _("Received")


class Kind(models.TextChoices):
    GIFT = "gift", _("Gift")
    HOSPITALITY = "hospitality", _("Hospitality (a meal, an event)")
    OTHER = "other", _("Other")


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
    FESTIVAL = "festival", _("Another festival or holiday")
    THANK_YOU = "thank_you", _("Thank-you")
    CLOSING = "closing", _("Closing a deal")
    OTHER = "other", _("Other")


class GiftPolicy(models.Model):
    """A team's limits, in the team's currency: per gift, and per person per calendar
    year in each direction. Either may be left empty (no limit)."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    per_gift_limit = models.DecimalField(
        _("limit per gift"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    per_person_year_limit = models.DecimalField(
        _("limit per person per year"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(per_gift_limit__isnull=True) | Q(per_gift_limit__gte=0),
                name="giftpolicy_gift_limit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(per_person_year_limit__isnull=True) | Q(per_person_year_limit__gte=0),
                name="giftpolicy_year_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.per_gift_limit} / {self.per_person_year_limit}"


class Gift(models.Model):
    """One gift or piece of hospitality, given to or received from a client.

    `over_limit` is decided when the entry is saved, under the policy then in force:
    the entry alone above the per-gift limit, or the person's total that calendar year
    in that direction (this entry included) above the per-person limit. A later change
    of policy does not rewrite what was over the limit when it happened."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.GIFT)
    description = models.CharField(_("description"), max_length=300)
    occasion = models.CharField(
        _("occasion"), max_length=16, choices=Occasion.choices, default=Occasion.OTHER
    )
    given_on = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    over_limit = models.BooleanField(default=False)
    # Which limits it was over ("gift", "year" or both), for the flag's wording.
    limits_crossed = models.CharField(max_length=20, blank=True)
    reason = models.TextField(_("reason (needed over the limit)"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="gift_value_not_negative"),
        ]
        indexes = [
            models.Index(fields=["team", "given_on"], name="gift_team_date_idx"),
            models.Index(fields=["person", "direction", "given_on"], name="gift_person_idx"),
        ]

    def __str__(self) -> str:
        return self.description
