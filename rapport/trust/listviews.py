"""The trust list: every relationship the user may see, ranked by T, with the week's
biggest falls and the key accounts above it. Thin: parse the filters, read, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from rapport.trust import queries
from rapport.trust.scoring import trust_recompute_team
from rapport.trust.texts import COMPONENT_NAMES
from rapport.trust.weights import COMPONENTS

PER_PAGE = 50
T_MAX = 30.0  # (10 + 10 + 10) / 1
T_INPUT = forms.NumberInput(attrs={"step": "0.1", "style": "width: 5rem"})


class TrustFilterForm(forms.Form):
    """The list's filters, read from the query string; a bad value is ignored."""

    subject = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[
            ("", gettext_lazy("People and organisations")),
            ("people", gettext_lazy("People")),
            ("organisations", gettext_lazy("Organisations")),
        ],
    )
    mine = forms.BooleanField(label=gettext_lazy("Mine only"), required=False)
    tag = forms.ChoiceField(label=gettext_lazy("Tag"), required=False)
    weakest = forms.ChoiceField(label=gettext_lazy("Weakest"), required=False)
    t_min = forms.FloatField(
        label=gettext_lazy("T from"), required=False, min_value=0, max_value=T_MAX, widget=T_INPUT
    )
    t_max = forms.FloatField(
        label=pgettext_lazy("range", "to"),
        required=False,
        min_value=0,
        max_value=T_MAX,
        widget=T_INPUT,
    )
    falling = forms.BooleanField(label=gettext_lazy("Falling this week"), required=False)
    sort = forms.ChoiceField(
        label=gettext_lazy("Order"),
        required=False,
        choices=[
            ("t", gettext_lazy("Lowest trust first")),
            ("-t", gettext_lazy("Highest trust first")),
            ("falling", gettext_lazy("Falling fastest")),
            ("name", gettext_lazy("Name")),
        ],
    )

    def __init__(self, *args: Any, tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("Any tag")), *[(t, f"#{t}") for t in tags]]  # type: ignore[attr-defined]
        self.fields["weakest"].choices = [  # type: ignore[attr-defined]
            ("", _("Any weakest component")),
            *[(c, f"{c} {COMPONENT_NAMES[c]}") for c in COMPONENTS],
        ]
        for name in ("subject", "tag", "weakest", "sort"):
            self.fields[name].widget.attrs["style"] = "width: auto"

    def filters(self) -> queries.TrustFilters:
        """The valid filters; a field with a bad value counts as not given."""
        self.is_valid()
        data = {
            name: self.cleaned_data[name]
            for name in self.fields
            if name in getattr(self, "cleaned_data", {}) and name not in self.errors
        }
        return queries.TrustFilters(
            subject=data.get("subject") or "",
            mine=bool(data.get("mine")),
            tag=data.get("tag") or "",
            weakest=data.get("weakest") or "",
            t_min=data.get("t_min"),
            t_max=data.get("t_max"),
            falling=bool(data.get("falling")),
            sort=data.get("sort") or "t",
        )


class _CountedPaginator(Paginator):
    """A paginator told its count, which the overview query already knows."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known = count

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._known


@login_required
@require_GET
def trust_list(request: HttpRequest) -> HttpResponse:
    """Every relationship the user may see with its T, C, R, I, S, weakest component,
    evidence and week-over-week change; lowest trust first unless asked otherwise."""
    actor = request.user
    form = TrustFilterForm(request.GET or None, tags=queries.trust_tags(actor))
    filters = form.filters()
    overview = queries.trust_overview(actor, filters)
    paginator = _CountedPaginator(
        queries.trust_search(actor, filters), PER_PAGE, count=overview.total
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = queries.trust_rows(page.object_list)
    page.object_list = rows
    # When the scores shown were computed: one moment after a full recompute, a span
    # once some were refreshed after a write.
    computed = sorted(r.computed_at for r in rows)
    scored = overview.total > 0 or (filters.narrowed and queries.trust_scores(actor).exists())
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "page": page,
        "overview": overview,
        "scored": scored,
        "computed_from": computed[0] if computed else None,
        "computed_to": computed[-1] if computed else None,
        "components": [(c, COMPONENT_NAMES[c]) for c in COMPONENTS],
    }
    if scored:
        context["chart"] = overview.chart()
        context["falling"] = queries.trust_falling(actor)
        context["key_accounts"] = queries.trust_key_accounts(actor)
    return render(request, "trust/trust_list.html", context)


@login_required
@require_POST
def trust_recompute(request: HttpRequest) -> HttpResponse:
    """Recompute every relationship of the user's team now, then back to the list."""
    people, organisations = trust_recompute_team(request.user.member.team_id)  # type: ignore[union-attr]
    messages.success(
        request,
        _("Trust recomputed for %(people)d people and %(organisations)d organisations.")
        % {"people": people, "organisations": organisations},
    )
    return redirect(reverse("trust_list"))
