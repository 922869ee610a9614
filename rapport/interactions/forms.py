from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.interactions.models import Interaction, Signal
from rapport.interactions.queries import SIGNAL_GROUPS


class InteractionForm(forms.ModelForm):
    topics_text = forms.CharField(
        label=_("Topics"), required=False, help_text=_("Separated by commas, e.g. pricing, golf")
    )
    participant_ids = forms.CharField(required=False, widget=forms.MultipleHiddenInput)
    signals = forms.MultipleChoiceField(
        label=_("What happened"),
        choices=Signal.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Interaction
        fields = [
            "kind",
            "occurred_at",
            "duration_minutes",
            "initiated_by",
            "focus",
            "summary",
            "notes",
        ]
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "notes": forms.Textarea(attrs={"rows": 4, "placeholder": _("Markdown welcome")}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        when = self.fields["occurred_at"]
        assert isinstance(when, forms.DateTimeField)
        when.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if not self.is_bound and not self.initial.get("occurred_at"):
            self.initial["occurred_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def signal_groups(self) -> list[tuple[Any, list[Any]]]:
        """The "What happened" checkboxes in their labelled groups (Listening, Openness)."""
        boxes = {box.data["value"]: box for box in self["signals"]}
        return [(label, [boxes[kind] for kind in kinds]) for label, kinds in SIGNAL_GROUPS]

    def service_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["topics"] = self.cleaned_data.get("topics_text", "")
        data["notes"] = data["notes"] or ""
        data["signals"] = self.cleaned_data.get("signals") or []
        return data
