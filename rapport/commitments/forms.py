"""Forms for promises and meetings. They parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.commitments.models import Commitment, Risk, Side

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _when(label: Any, required: bool = False, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=LOCAL_INPUT,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


def _time(label: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Leave empty for the end of the day"),
    )


def now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class CommitmentForm(forms.Form):
    title = forms.CharField(label=_("What was promised"), max_length=300)
    side = forms.ChoiceField(label=_("Who promised"), choices=Side.choices, initial=Side.OURS)
    person = forms.TypedChoiceField(label=_("To whom"), coerce=int, required=False)
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int, required=False)
    due_on = _date(_("Due"))
    due_time = _time(_("Due time"))
    made_at = _when(_("Made"), help_text=_("When the promise was made; now if empty"))
    expected = forms.CharField(
        label=_("What the client expects"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    details = forms.CharField(
        label=_("Internal notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Never shown to the client"),
    )

    def __init__(
        self,
        *args: Any,
        people: list[tuple[int, str]] | None = None,
        organisations: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—"), *(people or [])]  # type: ignore[attr-defined]
        self.fields["organisation"].choices = [("", "—"), *(organisations or [])]  # type: ignore[attr-defined]


class CommitmentEditForm(forms.Form):
    title = forms.CharField(label=_("What was promised"), max_length=300)
    expected = forms.CharField(
        label=_("What the client expects"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    details = forms.CharField(
        label=_("Internal notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(v, label) for v, label in Commitment.Status.choices if v != "open"],
    )
    delivered_at = _when(_("Delivered"), help_text=_("For a kept promise; now if empty"))
    delivered = forms.CharField(
        label=_("What was delivered"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    match = forms.ChoiceField(
        label=_("Against what was expected"),
        choices=[("", "—"), *Commitment.Match.choices],
        required=False,
    )
    note = forms.CharField(label=_("Closing note"), required=False)
    reported_back = forms.BooleanField(
        label=_("I have told the client how it ended"), required=False
    )


class RenegotiateForm(forms.Form):
    new_due_on = _date(_("New due date"))
    new_due_time = _time(_("New due time"))
    told_client_at = _when(
        _("Client told"), help_text=_("When the client agreed to the new date; empty if not yet")
    )
    reason = forms.CharField(label=_("Why"), required=False)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Progress"), max_length=300)
    detail = forms.CharField(
        label=_("Detail for the client"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    at = _when(_("When"))


class RiskForm(forms.Form):
    title = forms.CharField(label=_("Risk"), max_length=300)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Risk.Severity.choices, initial=Risk.Severity.MEDIUM
    )
    detail = forms.CharField(
        label=_("Internal notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    disclosed = forms.BooleanField(label=_("Already told the client"), required=False)


class MeetingForm(forms.Form):
    agenda_shared_at = _when(_("Agenda shared"))
    materials_sent_at = _when(_("Materials sent"))


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=300)


class ShareForm(forms.Form):
    language = forms.ChoiceField(label=_("Client's language"), choices=[])
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]


def cleaned(form: forms.Form, *names: str) -> dict[str, Any]:
    return {name: form.cleaned_data.get(name) for name in names}
