"""HTML forms for agreements. They parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rapport.commitments.models import Side


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


def _choice(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, required=False, empty_value=None)


class AgreementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language of the agreement"), choices=settings.LANGUAGES)
    effective_on = _date(_("Effective date"))
    our_signatory = _choice(_("Party A (us): signed by"))
    client_organisation = _choice(_("Party B (the client): organisation"))
    client_person = _choice(_("Party B: signed by"))

    def __init__(
        self,
        *args: Any,
        users: list[tuple[int, str]],
        organisations: list[tuple[int, str]],
        people: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        empty: list[tuple[Any, str]] = [("", "—")]
        cast(forms.ChoiceField, self.fields["our_signatory"]).choices = [*empty, *users]
        cast(forms.ChoiceField, self.fields["client_organisation"]).choices = [
            *empty,
            *organisations,
        ]
        cast(forms.ChoiceField, self.fields["client_person"]).choices = [*empty, *people]


class ClauseForm(forms.Form):
    heading = forms.CharField(label=_("Heading"), max_length=200)
    text = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ObligationForm(forms.Form):
    side = forms.ChoiceField(label=_("Owed by"), choices=Side.choices)
    owner = forms.CharField(label=_("Owner"), required=False)
    what = forms.CharField(label=_("What is owed"), max_length=300)
    due_on = _date(_("Due"), required=False)

    def service_fields(self) -> dict[str, Any]:
        """The owner as the service takes it: a user id on our side, a person id on the
        client's ("u:3" / "p:7" from the page's select)."""
        data = dict(self.cleaned_data)
        owner = (data.pop("owner") or "").strip()
        kind, _sep, pk = owner.partition(":")
        if owner and (kind not in ("u", "p") or not pk.isdigit()):
            data["owner"] = "x"  # refused by the service as no such owner
        elif owner:
            wanted = "u" if data["side"] == Side.OURS else "p"
            data["owner"] = int(pk) if kind == wanted else "x"
        else:
            data["owner"] = None
        return data


class SignForm(forms.Form):
    our_signed_at = forms.DateTimeField(
        label=_("Signed for us at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    client_signed_at = forms.DateTimeField(
        label=_("Signed for the client at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
