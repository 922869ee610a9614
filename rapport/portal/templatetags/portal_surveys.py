"""`{% person_surveys person as rows %}`: a person's trust survey links for the person
page, so the page's section needs no change to the people app's view."""

from __future__ import annotations

from typing import Any

from django import template

from rapport.portal import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def person_surveys(context: Any, person: Any) -> list[queries.SurveyRow]:
    """The survey links of `person` that the requesting user may see (the page has
    already checked that the user sees the person)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return queries.surveys_with(request.user, person)
