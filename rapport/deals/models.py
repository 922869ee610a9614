"""Pipelines, their stages, deals and each deal's stage history.

Money is Decimal in the deal's currency (the team's by default); sums are made per
currency, never across currencies: in Python as Decimal, or by the database (exact on
PostgreSQL; on SQLite, which keeps decimals as floats, exact to the cent at any size a
board holds)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DealSettings(models.Model):
    """A team's deal settings: the currency new deals are in unless they say otherwise.
    Made on the team's first use of deals."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    def __str__(self) -> str:
        return f"{self.team_id}: {self.currency}"


class Pipeline(models.Model):
    """A sequence of stages a team runs deals through (new business, renewals, tenders)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    # A deal with no stage change nor next-step update for longer than this is stale.
    stale_after_days = models.PositiveSmallIntegerField(
        _("stale after (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="pipeline_unique_per_team"),
            models.CheckConstraint(
                condition=Q(stale_after_days__gte=1, stale_after_days__lte=3650),
                name="pipeline_stale_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """One column of a pipeline. A deal in a won or lost stage is closed."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    outcome = models.CharField(
        _("outcome"), max_length=4, choices=Outcome.choices, default=Outcome.OPEN
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_per_pipeline"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.outcome != self.Outcome.OPEN


class CloseReason(models.TextChoices):
    """Why a deal was won or lost; "other" needs words."""

    PRICE = "price", _("Price")
    CAPABILITY = "capability", _("Capability")
    RELATIONSHIP = "relationship", _("Relationship with the decision maker")
    TIMING = "timing", _("Timing")
    NO_DECISION = "no_decision", _("No decision")
    OTHER = "other", _("Other")
    ABANDONED = "abandoned", _("Abandoned at stop-loss")


def chosen_reasons() -> list[tuple[str, Any]]:
    """The reasons a user may give for closing a deal by hand (abandonment is recorded
    by a stop-loss decision), their labels still lazy (translated when shown)."""
    return [(value, label) for value, label in CloseReason.choices if value != "abandoned"]


class Deal(models.Model):
    """A pursuit of business with a client: what it is worth to each side, where it
    stands, and what happens next."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.RESTRICT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.RESTRICT, related_name="deals")
    title = models.CharField(_("title"), max_length=200)
    organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("organisation"),
    )
    people = models.ManyToManyField(
        "people.Person", blank=True, related_name="+", verbose_name=_("people")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    # Our margin in money, in the deal's currency: negative when we would lose money.
    margin = models.DecimalField(
        _("our margin"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # What the client expects to gain, in the deal's currency.
    client_benefit = models.DecimalField(
        _("client's expected benefit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    next_step = models.CharField(_("next step"), max_length=300)
    next_step_on = models.DateField(_("next step date"))
    next_step_updated_at = models.DateTimeField()
    referral = models.ForeignKey(
        "network.Referral",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("came from the referral"),
    )
    stage_entered_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(
        _("reason"), max_length=20, choices=CloseReason.choices, blank=True
    )
    close_note = models.TextField(_("about the reason"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The stop-loss: how much money (deal currency; discounts count) and how many hours
    # we will invest in winning it before deciding again. Either may be left out.
    stoploss_money = models.DecimalField(
        _("stop-loss: money"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    stoploss_hours = models.DecimalField(
        _("stop-loss: hours"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    # Totals of the deal's investment entries, kept by rapport.deals.investments.
    invested_money = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    invested_hours = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["next_step_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(client_benefit__isnull=True) | Q(client_benefit__gte=0),
                name="deal_benefit_not_negative",
            ),
        ]
        indexes = [
            # Each board column's count and sums per currency, read from the index alone.
            models.Index(
                fields=["team", "pipeline", "stage", "closed_at", "currency", "amount"],
                name="deal_board_sums_idx",
            ),
            # Each board column's most urgent deals, read in order without a sort.
            models.Index(fields=["stage", "next_step_on", "id"], name="deal_column_idx"),
            # The win/loss report's period.
            models.Index(fields=["team", "closed_at"], name="deal_closed_idx"),
            models.Index(fields=["team", "referral"], name="deal_referral_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class StageChange(models.Model):
    """A deal entering a stage (from none when it was created), when and by whom; a
    move into a closed stage carries the reason."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deal", "at"], name="stagechange_deal_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class Investment(models.Model):
    """Something we put into winning a deal: hours (at a rate, if known), an expense, or
    a discount given. Counts against the deal's stop-loss."""

    class Kind(models.TextChoices):
        HOURS = "hours", _("Hours")
        EXPENSE = "expense", _("Expense")
        DISCOUNT = "discount", _("Discount")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="investments")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(
        _("rate per hour"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # The money the entry counts for: hours × rate, or the expense or discount.
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="investment_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0), name="investment_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.kind} {self.amount}"


class StopLossDecision(models.Model):
    """What was decided when a deal crossed its stop-loss, why, by whom: raise the
    limit(s), or walk away (the deal closed as abandoned)."""

    class Choice(models.TextChoices):
        RAISE = "raise", _("Raise the limit")
        WALK_AWAY = "walk_away", _("Walk away")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stoploss_decisions")
    choice = models.CharField(_("decision"), max_length=9, choices=Choice.choices)
    reason = models.TextField(_("reason"))
    money_invested = models.DecimalField(max_digits=14, decimal_places=2)
    hours_invested = models.DecimalField(max_digits=10, decimal_places=2)
    money_limit_before = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    money_limit_after = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    hours_limit_before = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    hours_limit_after = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.choice}"


# -- bids and tenders --------------------------------------------------------------------


class Competitor(models.Model):
    """A firm the team meets in tenders, named once per team (any case)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="competitor_unique_per_team"),
        ]

    def __str__(self) -> str:
        return self.name


class Tender(models.Model):
    """A deal won or lost against other bidders: how many bid, what we bid, and once the
    deal is closed, the winning price and (when we lost) who won. Its money is in the
    deal's currency, copied here so a later change of the deal's currency cannot mix
    them."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    deal = models.OneToOneField(Deal, on_delete=models.CASCADE, related_name="tender")
    bidders = models.PositiveSmallIntegerField(_("number of bidders"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    our_bid = models.DecimalField(
        _("our bid"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    winning_price = models.DecimalField(
        _("winning price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    winner = models.ForeignKey(
        Competitor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("won by"),
    )
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(our_bid__isnull=True) | Q(our_bid__gte=0),
                name="tender_bid_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(winning_price__isnull=True) | Q(winning_price__gte=0),
                name="tender_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.bidders} bidders"


class Bid(models.Model):
    """A competitor in a tender, with its bid where we know it (in the tender's
    currency)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="bids")
    competitor = models.ForeignKey(Competitor, on_delete=models.RESTRICT, related_name="bids")
    amount = models.DecimalField(_("bid"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        ordering = ["tender", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "competitor"], name="bid_once_per_tender"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="bid_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competitor_id}: {self.amount} {self.currency}"
