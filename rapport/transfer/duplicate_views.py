"""The duplicate review: likely duplicate people side by side, merged or dismissed with
one click (htmx swaps the pair for the result; without JavaScript the forms post and
a page answers). Thin: the finder and the merge do the work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.people.models import Person
from rapport.people.queries import person_for
from rapport.transfer import duplicate_queries, merge

PAIRS_PER_PAGE = 20


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Pairs of people the user may see who look like one person, best first."""
    candidates = duplicate_queries.live_candidates(request.user)
    page = Paginator(candidates, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    rows = duplicate_queries.duplicate_rows(request.user, list(page.object_list))
    return render(request, "transfer/duplicates.html", {"page": page, "rows": rows})


def _error(request: HttpRequest, exc: ValidationError, pair: str) -> HttpResponse:
    # 422 is swapped by htmx (see the htmx-config in base.html): the message replaces
    # the pair, where the user clicked.
    return render(
        request,
        "transfer/_duplicate_error.html",
        {"errors": exc.messages, "pair": pair},
        status=422,
    )


def _pair(request: HttpRequest, *names: str, write: bool = False) -> list[Person]:
    """The people a form names. One merged away, deleted or made private since the
    review was shown is a stale pair (ValidationError), not a missing page: the same
    answer whether the person is gone or was never visible, so it reveals nothing."""
    try:
        return [person_for(request.user, request.POST.get(n, ""), write=write) for n in names]
    except Http404 as exc:
        raise ValidationError(_("this pair changed: reload the review")) from exc


@login_required
@require_POST
def duplicate_merge(request: HttpRequest) -> HttpResponse:
    """Merge `other` into `keep` (both ids in the form); answers with the kept person."""
    pair = request.POST.get("pair", "")
    try:
        keep, other = _pair(request, "keep", "other", write=True)
        other_name = other.display_name
        kept = merge.merge_people(actor=request.user, keep=keep, other=other)
    except ValidationError as exc:
        return _error(request, exc, pair)
    context = {"kept": kept, "other_name": other_name, "pair": pair}
    template = (
        "transfer/_duplicate_merged.html"
        if _is_htmx(request)
        else "transfer/duplicates_merged.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest) -> HttpResponse:
    """Record that two people are not the same; the pair leaves the review for good."""
    pair = request.POST.get("pair", "")
    try:
        first, second = _pair(request, "first", "second")
        merge.distinct_pair_create(actor=request.user, first=first, second=second)
    except ValidationError as exc:
        return _error(request, exc, pair)
    if not _is_htmx(request):
        return redirect("duplicate_list")
    return render(
        request,
        "transfer/_duplicate_dismissed.html",
        {"first": first, "second": second, "pair": pair},
    )


# Included under people/duplicates/ by rapport/urls.py.
urlpatterns = [
    path("", duplicate_list, name="duplicate_list"),
    path("merge/", duplicate_merge, name="duplicate_merge"),
    path("dismiss/", duplicate_dismiss, name="duplicate_dismiss"),
]
