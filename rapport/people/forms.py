"""HTML forms for people, organisations, roles and facts. They parse; services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.people.models import Channel, Fact, Organisation, Person, Role
from rapport.people.services import PERSON_FIELDS

# Every field the person service accepts, except the introducer, which the form picks
# through a search box instead of a long select.
PERSON_FORM_FIELDS = [name for name in PERSON_FIELDS if name != "introduced_by"]


class PersonForm(forms.ModelForm):
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separated by commas, e.g. vip, golf")
    )
    introduced_by_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    introduced_by_name = forms.CharField(label=_("Introduced by"), required=False)

    class Meta:
        model = Person
        fields = PERSON_FORM_FIELDS
        widgets = {
            "how_we_met": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = False
        self.fields["display_name"].help_text = _("Left empty, it is made from the names")

    def tag_list(self) -> list[str]:
        raw = self.cleaned_data.get("tags", "").replace("，", ",").replace("、", ",")
        return [t.strip() for t in raw.split(",") if t.strip()]

    def service_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in PERSON_FORM_FIELDS}
        data["introduced_by"] = self.cleaned_data.get("introduced_by_id")
        return data


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Channel.Kind.choices)
    value = forms.CharField(label=_("Value"), max_length=300, required=False)
    label = forms.CharField(label=_("Label"), max_length=50, required=False)


ChannelFormSet = forms.formset_factory(ChannelForm, extra=2, max_num=20)


def channel_rows(formset: Any) -> list[dict[str, Any]]:
    return [
        {
            "kind": f.cleaned_data["kind"],
            "value": f.cleaned_data["value"],
            "label": f.cleaned_data.get("label", ""),
        }
        for f in formset.forms
        if f.cleaned_data.get("value")
    ]


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["name", "name_romanised", "industry", "website", "city", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The service checks the name per team and reports it on the name field."""


class RoleForm(forms.ModelForm):
    """The organisation is typed, with suggestions: a team may have thousands, too many
    for a select. A name that matches none creates the organisation."""

    organisation_name = forms.CharField(label=_("Organisation"), max_length=200)
    organisation_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Role
        fields = ["title", "is_decision_maker", "influence", "started_on", "ended_on"]
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "ended_on": forms.DateInput(attrs={"type": "date"}),
        }


class FactForm(forms.ModelForm):
    class Meta:
        model = Fact
        fields = ["category", "value", "detail", "learned_on", "learned_how"]
        widgets = {
            "learned_on": forms.DateInput(attrs={"type": "date"}),
            "detail": forms.Textarea(attrs={"rows": 2}),
        }
