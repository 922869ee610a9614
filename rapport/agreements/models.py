"""Agreements between Party A (our team, signed by one of us) and Party B (the client:
an organisation and/or a person, signed by a named person): ordered clauses, and each
clause's obligations, owed by one side or the other on a date.

Signing locks an agreement and turns every obligation into a Commitment, so that the
reliability of both sides is tracked like any promise. An amendment is a new draft
copied from a signed agreement and linked to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rapport.commitments.models import Side
from rapport.people.models import Visibility


class Agreement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Private when a person of Party B is someone's private contact, like promises.
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.TEAM
    )
    deal = models.ForeignKey(
        "deals.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("deal"),
    )
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    effective_on = models.DateField(_("effective date"))
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.DRAFT
    )
    # Party A: our team, signed by one of its users.
    our_signatory = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("signs for us"),
    )
    # Party B: the client, an organisation and/or a person, signed by a named person.
    client_organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("client organisation"),
    )
    client_person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("signs for the client"),
    )
    our_signed_at = models.DateTimeField(_("signed for us"), null=True, blank=True)
    client_signed_at = models.DateTimeField(_("signed for the client"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("signing recorded by"),
    )
    amends = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="amendments",
        verbose_name=_("amends"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-effective_on", "-id"]
        indexes = [models.Index(fields=["team", "status"], name="agreement_team_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class Clause(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="clauses")
    position = models.PositiveIntegerField(default=0)
    heading = models.CharField(_("heading"), max_length=200)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.heading


class Obligation(models.Model):
    """What one side owes under a clause, by whom and by when. Owned by a user on our
    side, by a person of the client on theirs."""

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="obligations")
    position = models.PositiveIntegerField(default=0)
    side = models.CharField(_("side"), max_length=6, choices=Side.choices, default=Side.OURS)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    what = models.CharField(_("what is owed"), max_length=300)
    due_on = models.DateField(_("due"), null=True, blank=True)
    # Made when the agreement is signed.
    commitment = models.OneToOneField(
        "commitments.Commitment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="obligation",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_user__isnull=True) | Q(owner_person__isnull=True),
                name="obligation_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.what

    @property
    def owner_name(self) -> str:
        if self.owner_user is not None:
            person = getattr(getattr(self.owner_user, "member", None), "person", None)
            return person.display_name if person else self.owner_user.get_username()
        if self.owner_person is not None:
            return self.owner_person.display_name
        return ""
