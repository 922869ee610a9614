"""Forms for the evidence library, showing evidence to a client, and claims. They parse
input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.trust.models import Claim, Evidence
from rapport.trust.services import MAX_ATTACHMENT_BYTES, split_industries

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _when(label: Any, required: bool = False, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=LOCAL_INPUT,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _date(label: Any, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Evidence.Kind.choices)
    title = forms.CharField(label=pgettext_lazy("evidence", "Title"), max_length=200)
    issuer = forms.CharField(
        label=_("Issuer"),
        max_length=200,
        required=False,
        help_text=_("Who awarded, certified or wrote it"),
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    verified_on = _date(
        _("Verified on"), help_text=_("When someone last checked it is genuine and current")
    )
    expires_on = _date(_("Expires on"), help_text=_("Leave empty if it does not expire"))
    industries = forms.CharField(
        label=_("Industries"),
        required=False,
        help_text=_("Separate with commas, e.g. banking, logistics"),
    )
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        widget=forms.FileInput,
        help_text=format_lazy(
            _("At most {mb} MB. Only your team can open it."),
            mb=MAX_ATTACHMENT_BYTES // (1024 * 1024),
        ),
    )
    remove_attachment = forms.BooleanField(label=_("Remove the attachment"), required=False)

    def clean_industries(self) -> list[str]:
        return split_industries(self.cleaned_data.get("industries") or "")

    @staticmethod
    def initial_for(evidence: Evidence) -> dict[str, Any]:
        return {
            "kind": evidence.kind,
            "title": evidence.title,
            "issuer": evidence.issuer,
            "summary": evidence.summary,
            "verified_on": evidence.verified_on,
            "expires_on": evidence.expires_on,
            "industries": ", ".join(evidence.industries or []),
            "url": evidence.url,
        }


class EvidenceFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Evidence.Kind.choices]
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False, choices=[])
    attention = forms.BooleanField(label=_("Needs attention"), required=False)

    def __init__(self, *args: Any, industries: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [  # type: ignore[attr-defined]
            ("", _("Any industry")),
            *((name, name) for name in industries or []),
        ]


class ShowForm(forms.Form):
    evidence = forms.TypedChoiceField(label=_("Evidence"), coerce=int)
    shown_at = _when(_("When"), help_text=_("Now if empty"))
    interaction = forms.TypedChoiceField(
        label=_("In which conversation"), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    confirm_stale = forms.BooleanField(
        label=_("I know it is expired or unverified: record that it was shown as it is"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        evidence: list[tuple[int, str]] | None = None,
        interactions: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [("", "—"), *(evidence or [])]  # type: ignore[attr-defined]
        self.fields["interaction"].choices = [("", "—"), *(interactions or [])]  # type: ignore[attr-defined]


class ClaimForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Claim.Kind.choices, initial=Claim.Kind.STATEMENT
    )
    statement = forms.CharField(
        label=_("What we said"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("In the words used with the client, so it can be checked later"),
    )
    made_at = _when(_("When"), help_text=_("Now if empty"))
    interaction = forms.TypedChoiceField(
        label=_("In which conversation"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self, *args: Any, interactions: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["interaction"].choices = [("", "—"), *(interactions or [])]  # type: ignore[attr-defined]


class AssessForm(forms.Form):
    status = forms.ChoiceField(
        label=_("How it held up"),
        choices=[(v, label) for v, label in Claim.Status.choices if v != Claim.Status.PENDING],
    )
    assessment = forms.CharField(
        label=_("What we found"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    assessed_at = _when(_("Checked"), help_text=_("Now if empty"))


class ClaimFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Claim.Status.choices]
    )
    waiting = forms.BooleanField(label=_("Unchecked for more than 30 days"), required=False)
    mine = forms.BooleanField(label=_("Mine only"), required=False)
