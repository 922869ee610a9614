"""The interaction log: every call, meeting, message and meal with the people in it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if not adding and (fields is None or set(MIRRORED).intersection(fields)):
            self.participations.update(**{name: getattr(self, name) for name in MIRRORED})


# What each participation copies from its interaction (kept equal by Interaction.save
# and by every bulk writer through Participation.of).
MIRRORED = ("occurred_at", "kind", "focus", "visibility")


class Participation(models.Model):
    """A person in an interaction. The interaction's time, kind, focus and visibility are
    copied here (`MIRRORED`), and the index holds them with the interaction, so a long
    history is read and summed from the index alone: a client of ten years, 7,000
    conversations, in 2 ms instead of 35 ms spent looking up each conversation."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="participations"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="participations"
    )
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Interaction.Kind.choices)
    focus = models.CharField(max_length=10, choices=Interaction.Focus.choices)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    # The interaction's signals as bits (`MOMENT_BITS`), so a history's moments are
    # summed with its conversations instead of looked up one conversation at a time.
    moments = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=[
                    "person",
                    "-occurred_at",
                    "interaction",
                    "kind",
                    "focus",
                    "visibility",
                    "moments",
                ],
                name="participation_history",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "person"], name="participation_unique_person"
            ),
            # A row written without its copies (by a bulk path that forgot `of`) fails
            # here, rather than hiding a conversation from the trust card.
            models.CheckConstraint(
                condition=~Q(kind="") & ~Q(focus="") & ~Q(visibility=""),
                name="participation_copies_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.interaction_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and not self.kind:
            # Saved alone (bulk writers use `of`): take the interaction's copies here.
            interaction = self.interaction
            for name in MIRRORED:
                setattr(self, name, getattr(interaction, name))
            self.moments = moment_bits(interaction.signals.values_list("kind", flat=True))
        super().save(*args, **kwargs)

    @classmethod
    def of(cls, interaction: Interaction, person_id: int, moments: int = 0) -> Participation:
        """`person_id` in `interaction`, with the interaction's mirrored fields and the
        bits of its signals."""
        return cls(
            interaction=interaction,
            person_id=person_id,
            moments=moments,
            **{name: getattr(interaction, name) for name in MIRRORED},
        )


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

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        signals_changed(self.interaction_id)


def signals_changed(interaction_id: int, **_: Any) -> None:
    """Bring the signal bits of the interaction's participations up to date (after a
    signal is saved or deleted; bulk writers call `copy_moments`)."""
    # One statement, the bits summed by the database: nothing read in between to go stale.
    Participation.objects.filter(interaction_id=interaction_id).update(
        moments=_moments_of_interaction()
    )


# Each signal kind's bit in Participation.moments. Stored data: never renumber; a new
# kind takes the next free bit.
MOMENT_BITS = {
    Signal.Kind.SUMMARISED_FIRST.value: 1,
    Signal.Kind.ANSWERED_TOO_SOON.value: 2,
    Signal.Kind.PRICE_PRESSURE.value: 4,
    Signal.Kind.UNSOLICITED_UPSELL.value: 8,
    Signal.Kind.THEY_OPENED_UP.value: 16,
    Signal.Kind.WE_OPENED_UP.value: 32,
    Signal.Kind.BOUNDARY_CROSSED.value: 64,
}


def moment_bits(kinds: Iterable[str]) -> int:
    return sum({MOMENT_BITS[kind] for kind in kinds})


def moment_kinds(bits: int) -> frozenset[str]:
    return _KINDS[bits]


_KINDS = [
    frozenset(kind for kind, bit in MOMENT_BITS.items() if bits & bit)
    for bits in range(1 << len(MOMENT_BITS))
]


def _moments_of_interaction() -> Any:
    bits = Case(
        *(When(kind=kind, then=Value(bit)) for kind, bit in MOMENT_BITS.items()),
        default=Value(0),
    )
    summed = (
        Signal.objects.filter(interaction_id=OuterRef("interaction_id"))
        .order_by()
        .values("interaction_id")
        .annotate(bits=Sum(bits))
        .values("bits")
    )
    return Coalesce(Subquery(summed), Value(0))


def copy_mirrored(participations: models.QuerySet[Participation]) -> int:
    """Copy each participation's mirrored fields and signal bits from its interaction
    again (after a restore, whose file may predate them; after signals written in
    bulk). Returns how many rows were written."""
    source = Interaction.objects.filter(pk=OuterRef("interaction_id"))
    return participations.update(
        moments=_moments_of_interaction(),
        **{name: Subquery(source.values(name)[:1]) for name in MIRRORED},
    )


def copy_moments(interaction_ids: Iterable[int]) -> int:
    """Set the signal bits of these interactions' participations from their signals."""
    ids = list(interaction_ids)
    done = 0
    for start in range(0, len(ids), 500):
        done += Participation.objects.filter(interaction_id__in=ids[start : start + 500]).update(
            moments=_moments_of_interaction()
        )
    return done
