"""The "Evidence shown and claims" section of person and organisation pages, loaded by
the section itself so those pages' views need not know about it."""

from __future__ import annotations

from typing import Any

from django import template

from rapport.trust import library

register = template.Library()


@register.inclusion_tag("trust/_evidence_and_claims.html", takes_context=True)
def evidence_and_claims(context: Any) -> dict[str, Any]:
    """Showings and claims for the page's `person` or `organisation`, as the viewer may
    see them (two queries)."""
    request = context["request"]
    person = context.get("person")
    organisation = None if person is not None else context.get("organisation")
    actor = request.user
    return {
        "person": person,
        "organisation": organisation,
        "showings": library.client_showings(actor, person=person, organisation=organisation),
        "claims": library.client_claims(actor, person=person, organisation=organisation),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
