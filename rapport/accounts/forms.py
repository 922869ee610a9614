from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones())],
    )
    agenda_email = forms.BooleanField(label=_("Email me the agenda each morning"), required=False)
    agenda_hour = forms.TypedChoiceField(
        label=_("at"), coerce=int, choices=[(h, f"{h:02d}:00") for h in range(24)]
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What is it for?"), max_length=100, required=False)
