"""Helpers shared by HTML views."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

ROW_FIELD = re.compile(r"^(?P<prefix>\w+)\[(?P<index>\d+)\]\.(?P<field>\w+)$")


def add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    formsets: dict[str, forms.BaseFormSet] | None = None,
) -> None:
    """Show a service's ValidationError on the matching form fields (or the form itself).

    Errors named like `channels[1].value` go to that row of the `channels` formset."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        row = ROW_FIELD.match(field)
        if row and formsets and row["prefix"] in formsets:
            forms_list = formsets[row["prefix"]].forms
            index = int(row["index"])
            if index < len(forms_list) and row["field"] in forms_list[index].fields:
                for message in errors:
                    forms_list[index].add_error(row["field"], message)
                continue
        target = field if field in form.fields else None
        for message in errors:
            form.add_error(target, message if target else f"{field}: {message}")
