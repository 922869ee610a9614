"""HTML forms for the gift register and policy. They parse input; the services decide
what is valid (money is parsed there, never rounded by a form field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.gifts.models import Direction, Kind, Occasion


def _money(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class GiftForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    person_name = forms.CharField(
        label=_("Person"),
        max_length=200,
        required=False,
        help_text=_("Their name as in your book"),
        widget=forms.TextInput(attrs={"list": "gift-people", "autocomplete": "off"}),
    )
    person_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    organisation_name = forms.CharField(
        label=_("Organisation"), required=False, max_length=200, help_text=_("Optional")
    )
    deal = forms.TypedChoiceField(label=_("Deal"), coerce=int, required=False, empty_value=None)
    description = forms.CharField(label=_("Description"), max_length=300)
    occasion = forms.ChoiceField(label=_("Occasion"), choices=Occasion.choices)
    given_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    value = _money(_("Value"))
    currency = forms.CharField(label=_("Currency"), max_length=3)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the entry is over the team's limits"),
    )

    def __init__(self, *args: Any, deals: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", "—"), *deals]
        self.fields["deal"].choices = choices  # type: ignore[attr-defined]


class PolicyForm(forms.Form):
    per_gift_limit = _money(_("Limit per gift"), _("Empty: no limit"))
    per_person_year_limit = _money(
        _("Limit per person per year"),
        _("In each direction, over a calendar year. Empty: no limit"),
    )
