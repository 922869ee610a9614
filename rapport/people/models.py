"""People, organisations, the roles that join them, contact channels and common ground."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Private to its owner")
    TEAM = "team", _("Shared with the team")


class Tag(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="tag_unique_per_team")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="organisations"
    )
    name = models.CharField(_("name"), max_length=200)
    name_romanised = models.CharField(_("romanised name"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="organisation_unique_per_team")
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    class NameOrder(models.TextChoices):
        GIVEN_FIRST = "given_first", _("Given name first (Anna Lee)")
        FAMILY_FIRST = "family_first", _("Family name first (王小明)")

    class Calendar(models.TextChoices):
        SOLAR = "solar", _("Solar (Gregorian)")
        LUNAR = "lunar", _("Chinese lunar")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="people")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_people"
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.TEAM
    )

    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    display_name = models.CharField(_("display name"), max_length=200)
    name_order = models.CharField(
        _("name order"), max_length=12, choices=NameOrder.choices, default=NameOrder.GIVEN_FIRST
    )
    romanised_name = models.CharField(
        _("romanised name"), max_length=200, blank=True, help_text=_("e.g. pinyin: Wang Xiaoming")
    )
    headline = models.CharField(_("headline"), max_length=200, blank=True)

    # A birthday has no time; the year is often unknown, and many Chinese clients keep
    # a lunar one, which no `date` can hold. Month/day are in the stated calendar.
    birth_calendar = models.CharField(
        _("birthday calendar"), max_length=5, choices=Calendar.choices, default=Calendar.SOLAR
    )
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9999)],
    )
    birth_month = models.PositiveSmallIntegerField(
        _("birth month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    birth_day = models.PositiveSmallIntegerField(
        _("birth day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    birth_leap_month = models.BooleanField(_("lunar leap month"), default=False)

    how_we_met = models.TextField(_("how we met"), blank=True)
    introduced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="introduced",
        verbose_name=_("introduced by"),
    )
    contact_cadence_days = models.PositiveIntegerField(
        _("wanted contact cadence (days)"), null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="people")

    # Lowercased names, pinyin, addresses, digits of phones, organisations and tags:
    # one column so search is a single indexed-table scan on SQLite and PostgreSQL alike.
    search_text = models.TextField(default="", editable=False)
    last_interaction_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [
            models.Index(fields=["team", "display_name"]),
            models.Index(fields=["team", "owner", "visibility"]),
            models.Index(fields=["team", "birth_month", "birth_day"], name="person_birthday_idx"),
            models.Index(
                fields=["team", "contact_cadence_days", "last_interaction_at"],
                name="person_cadence_idx",
            ),
            # The agenda is about one user's own people: covering indexes for their
            # cadences and birthdays.
            models.Index(
                fields=[
                    "team",
                    "owner",
                    "contact_cadence_days",
                    "last_interaction_at",
                    "created_at",
                ],
                name="person_owner_cadence_idx",
            ),
            models.Index(
                fields=["team", "owner", "birth_calendar", "birth_month", "birth_day"],
                name="person_owner_birthday_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_month__isnull=True) | Q(birth_month__gte=1, birth_month__lte=12),
                name="person_birth_month_range",
            ),
            models.CheckConstraint(
                condition=Q(birth_day__isnull=True) | Q(birth_day__gte=1, birth_day__lte=31),
                name="person_birth_day_range",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def has_birthday(self) -> bool:
        return self.birth_month is not None and self.birth_day is not None


class Role(models.Model):
    """A person's place in an organisation; decision makers weigh most in its trust."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles")
    title = models.CharField(_("title"), max_length=150, blank=True)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    influence = models.PositiveSmallIntegerField(
        _("influence (1-5)"),
        default=3,
        help_text=_("1 = little say, 5 = decides"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    started_on = models.DateField(_("started"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["ended_on", "-is_decision_maker", "organisation__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(influence__gte=1, influence__lte=5), name="role_influence_range"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="role_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.title} @ {self.organisation}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class Channel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        WECHAT = "wechat", _("WeChat")
        LINKEDIN = "linkedin", _("LinkedIn")
        WHATSAPP = "whatsapp", _("WhatsApp")
        WEBSITE = "website", _("Website")
        ADDRESS = "address", _("Postal address")
        OTHER = "other", _("Other")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=300)
    label = models.CharField(_("label"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["kind", "-is_primary", "id"]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Fact(models.Model):
    """A piece of common ground: what we know of the person behind the client."""

    class Category(models.TextChoices):
        HISTORY = "history", _("Personal history")
        FAMILY = "family", _("Family")
        SPORT = "sport", _("Sports")
        ADMIRED = "admired", _("Admired figures")
        HOBBY = "hobby", _("Hobbies")
        BOOK = "book", _("Books")
        FILM = "film", _("Films")
        FOOD = "food", _("Food")
        DISLIKE = "dislike", _("Dislikes")
        GOAL = "goal", _("Dreams and goals")
        OTHER = "other", _("Other")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="facts")
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    value = models.CharField(_("what"), max_length=300)
    detail = models.TextField(_("detail"), blank=True)
    learned_on = models.DateField(_("learned on"), null=True, blank=True)
    learned_how = models.CharField(_("learned how"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.value}"


class DistinctPair(models.Model):
    """Two people a user reviewed and found not to be the same person, so the duplicate
    finder stops suggesting them to anyone in the team. Stored once per pair, with the
    lower id first."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="distinct_pair_once"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="distinct_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["team", "first"], name="distinct_pair_team_idx")]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"
