"""Forms of the ledger card. Money and hours are taken as typed and checked by the
services, so the page and the API refuse the same things with the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rapport.value.models import ValueKind


class ValueItemForm(forms.Form):
    # Its own ids: the card sits on a person's page beside other forms with a "title".
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "value_%s")
        super().__init__(*args, **kwargs)

    kind = forms.ChoiceField(label=_("Kind"), choices=ValueKind.choices)
    title = forms.CharField(label=_("What we did"), max_length=200)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    delivered_on = forms.DateField(
        label=_("Delivered on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=30,
        help_text=_("Money saved or the value of the work, if any"),
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    hours = forms.CharField(label=_("Hours"), required=False, max_length=12)
    told = forms.BooleanField(label=_("The client has been told"), required=False)


class ValueReportForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "value_report_%s")
        super().__init__(*args, **kwargs)

    period_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(label=_("Client's language"), choices=settings.LANGUAGES)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)
