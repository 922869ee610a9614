"""The warm path page: pick a target by name and where to start, see the warmest routes
and draft the introduction request. Thin: parse, call `paths.warm_paths`, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.accounts.models import Member
from rapport.network.paths import MAX_K, PathReport, WarmPath, warm_paths
from rapport.trust.queries import trust_subjects_named

SUGGESTED = 8


@dataclass
class PathQuery:
    """The page's query string: `to` is "person:ID" or "organisation:ID"; `q` the name typed."""

    to: str
    q: str
    source: str
    k: int

    @classmethod
    def read(cls, request: HttpRequest) -> PathQuery:
        try:
            k = int(request.GET.get("k", "3"))
        except ValueError:
            k = 3
        return cls(
            to=request.GET.get("to", "").strip(),
            q=request.GET.get("q", "").strip(),
            source=request.GET.get("source", "me").strip() or "me",
            k=min(max(k, 1), MAX_K),
        )

    def target(self) -> tuple[int | str | None, int | str | None]:
        """(to_person, to_organisation) from `to`."""
        kind, _, ident = self.to.partition(":")
        if kind == "person":
            return ident, None
        if kind == "organisation":
            return None, ident
        return None, None


def _teammates(request: HttpRequest) -> list[tuple[str, str]]:
    """(username, name) of the actor's teammates, for the "from" choice."""
    member = request.user.member  # type: ignore[union-attr]
    rows = (
        Member.objects.filter(team_id=member.team_id)
        .exclude(pk=member.pk)
        .select_related("user", "person")
        .order_by("user__username")
    )
    return [(m.user.username, m.person.display_name if m.person else m.user.username) for m in rows]


def _report(request: HttpRequest, query: PathQuery) -> tuple[PathReport | None, str, list[Any]]:
    """(report, error, candidates): candidates when the typed name matches several."""
    if not query.to and query.q:
        found = trust_subjects_named(request.user, query.q, limit=SUGGESTED)
        if len(found) != 1:
            if not found:
                return None, "no-match", []
            return None, "", found
        query.to = f"{found[0].subject}:{found[0].id}"
    if not query.to:
        return None, "", []
    to_person, to_organisation = query.target()
    if to_person is None and to_organisation is None:
        return None, "no-match", []
    try:
        report = warm_paths(
            request.user,
            to_person=to_person,
            to_organisation=to_organisation,
            source=query.source,
            k=query.k,
        )
    except ValidationError as exc:
        return None, "; ".join(exc.messages), []
    return report, "", []


@login_required
@require_GET
def path_page(request: HttpRequest) -> HttpResponse:
    query = PathQuery.read(request)
    report, error, candidates = _report(request, query)
    context = {
        "query": query,
        "report": report,
        "error": error,
        "candidates": candidates,
        "teammates": _teammates(request),
        "k_choices": range(1, MAX_K + 1),
        "target_name": query.q
        or (report.targets[0].name if report and len(report.targets) == 1 else ""),
    }
    partial = request.headers.get("HX-Request") == "true"
    template = "network/_path_results.html" if partial else "network/path.html"
    return render(request, template, context)


@login_required
@require_GET
def path_suggest(request: HttpRequest) -> HttpResponse:
    """People and organisations matching the typed name, as an htmx fragment."""
    query = request.GET.get("q", "").strip()
    found = trust_subjects_named(request.user, query, limit=SUGGESTED) if query else []
    return render(request, "network/_path_suggest.html", {"found": found[:SUGGESTED]})


@login_required
@require_GET
def path_draft(request: HttpRequest) -> HttpResponse:
    """The drafted introduction request of the path numbered `n` (from 1) of a report."""
    query = PathQuery.read(request)
    report, _error, _candidates = _report(request, query)
    try:
        n = int(request.GET.get("n", ""))
    except ValueError as exc:
        raise Http404("No such path") from exc
    items = report.items if report else []
    if not 1 <= n <= len(items) or not isinstance(items[n - 1], WarmPath):
        raise Http404("No such path")
    path = items[n - 1]
    assert isinstance(path, WarmPath)
    if path.draft is None:
        raise Http404("No introduction needed")
    return render(request, "network/_draft.html", {"draft": path.draft, "n": n})
