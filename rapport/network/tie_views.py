"""The person page's "Ties" and "Referrals" cards: who this person knows (kind, strength,
how long, last contact) and who introduced whom, with the forms to record and change
them. Each card loads itself with htmx, so the person page needs nothing of this.

Thin: parse with a form, call `network.services` (which validate, write and audit) or
`network.queries` (which show only what the viewer may see), render the card again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from rapport.core.forms import add_service_errors
from rapport.network import queries, services
from rapport.network.models import Referral, Tie
from rapport.people.models import Person
from rapport.people.queries import people_search, person_for, visible_people

if TYPE_CHECKING:  # django-stubs is a development tool, not needed to run
    from django_stubs_ext import StrOrPromise

SUGGESTED = 8


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# -- forms ----------------------------------------------------------------------------------


class PickedPersonForm(forms.Form):
    """A person picked by name from the suggestions (their id in a hidden field); a name
    typed in full without picking is accepted when exactly one visible person has it."""

    pick_field = "other"

    def picked(self, actor: Any, *, page_person: Person) -> Person | None:
        """The picked person if the actor may see them, else None with an error on the
        name field (the same answer whether they do not exist or are out of reach)."""
        name_field = f"{self.pick_field}_name"
        picked_id = self.cleaned_data.get(f"{self.pick_field}_id")
        name = (self.cleaned_data.get(name_field) or "").strip()
        if picked_id is not None:
            try:
                return person_for(actor, picked_id)
            except Http404:
                self.add_error(name_field, _("no such person"))
                return None
        if not name:
            self.add_error(name_field, _("pick a person from the suggestions"))
            return None
        found = list(
            visible_people(actor).filter(display_name__iexact=name).exclude(pk=page_person.pk)[:2]
        )
        if len(found) == 1:
            return found[0]
        if found:
            self.add_error(
                name_field, _("several people are called %(name)s: pick one") % {"name": name}
            )
        else:
            self.add_error(name_field, _("nobody you can see is called %(name)s") % {"name": name})
        return None


def _percent_field(label: StrOrPromise) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )


class TieForm(PickedPersonForm):
    other_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    other_name = forms.CharField(
        label=gettext_lazy("Who they know"), max_length=200, required=False
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=Tie.Kind.choices, initial=Tie.Kind.OTHER
    )
    since = forms.DateField(
        label=gettext_lazy("Known each other since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    strength = _percent_field(gettext_lazy("Strength set by hand (%)"))


class TieEditForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Tie.Kind.choices)
    since = forms.DateField(
        label=gettext_lazy("Known each other since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StrengthForm(forms.Form):
    strength = _percent_field(gettext_lazy("Strength (%)"))


class ReferralForm(PickedPersonForm):
    pick_field = "referrer"

    referrer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    referrer_name = forms.CharField(
        label=gettext_lazy("Introduced by"), max_length=200, required=False
    )
    referred_on = forms.DateField(
        label=gettext_lazy("When"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _service_errors(form: forms.Form, exc: ValidationError, fields: dict[str, str]) -> None:
    """Show a service's error on the form field it is about (`fields` renames the
    service's field names to the form's)."""
    if hasattr(exc, "error_dict"):
        exc = ValidationError(
            {fields.get(name, name): messages for name, messages in exc.message_dict.items()}
        )
    add_service_errors(form, exc)


def _percent(value: int | None) -> float | None:
    return None if value is None else value / 100


# -- the ties card ----------------------------------------------------------------------------


def _page_person(request: HttpRequest, person_id: int | str | None, tie: Tie) -> Person:
    """The person whose page a tie was changed from (one of its two people, as posted),
    else its first person."""
    for person in (tie.person_a, tie.person_b):
        if str(person.pk) == str(person_id):
            return person
    return tie.person_a


def _ties_response(
    request: HttpRequest, person: Person, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The ties card of `person` (a page of its own without htmx); after a change made
    without htmx, back to the person page."""
    if not _is_htmx(request) and request.method == "POST" and status == 200:
        return redirect("person_detail", person_id=person.pk)
    context = {
        "person": person,
        "ties": queries.ties_of(request.user, person),
        "tie_form": TieForm(auto_id="tie_%s"),
        "kinds": Tie.Kind.choices,
        "today": timezone.localdate(),
        **extra,
    }
    template = "network/_ties.html" if _is_htmx(request) else "network/_ties_page.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def person_ties(request: HttpRequest, person_id: int) -> HttpResponse:
    """The person's ties, strongest first, and the form to add one."""
    person = person_for(request.user, person_id)
    return _ties_response(request, person)


@login_required
@require_POST
def tie_add(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_for(request.user, person_id, write=True)
    form = TieForm(request.POST, auto_id="tie_%s")
    if form.is_valid():
        other = form.picked(request.user, page_person=person)
        if other is not None:
            try:
                services.tie_create(
                    actor=request.user,
                    person_a=person,
                    person_b=other,
                    kind=form.cleaned_data["kind"],
                    since=form.cleaned_data["since"],
                    note=form.cleaned_data["note"],
                    manual_strength=_percent(form.cleaned_data["strength"]),
                )
                return _ties_response(request, person)
            except ValidationError as exc:
                _service_errors(
                    form,
                    exc,
                    {"person_b": "other_name", "manual_strength": "strength"},
                )
    return _ties_response(request, person, status=422, tie_form=form, adding=True)


@login_required
@require_GET
def tie_edit_form(request: HttpRequest, tie_id: int) -> HttpResponse:
    """The form to change one tie, fetched when its "change" panel is opened."""
    tie = queries.tie_for(request.user, tie_id, write=True)
    person = _page_person(request, request.GET.get("person"), tie)
    return render(request, "network/_tie_edit.html", _edit_context(tie, person))


def _edit_context(
    tie: Tie,
    person: Person,
    edit_form: TieEditForm | None = None,
    strength_form: StrengthForm | None = None,
) -> dict[str, Any]:
    prefix = f"tie{tie.pk}_%s"
    manual = tie.manual_strength
    return {
        "tie": tie,
        "person": person,
        "edit_form": edit_form
        or TieEditForm(
            initial={"kind": tie.kind, "since": tie.since, "note": tie.note}, auto_id=prefix
        ),
        "strength_form": strength_form
        or StrengthForm(
            initial={"strength": None if manual is None else round(manual * 100)},
            auto_id=prefix,
        ),
    }


@login_required
@require_POST
def tie_edit(request: HttpRequest, tie_id: int) -> HttpResponse:
    """Change a tie's kind, since and note."""
    tie = queries.tie_for(request.user, tie_id, write=True)
    person = _page_person(request, request.POST.get("person"), tie)
    form = TieEditForm(request.POST, auto_id=f"tie{tie.pk}_%s")
    if form.is_valid():
        try:
            services.tie_update(actor=request.user, tie=tie, **form.cleaned_data)
            return _ties_response(request, person)
        except ValidationError as exc:
            _service_errors(form, exc, {})
        tie = queries.tie_for(request.user, tie_id)
    return _ties_response(
        request, person, status=422, editing=_edit_context(tie, person, edit_form=form)
    )


@login_required
@require_POST
def tie_strength(request: HttpRequest, tie_id: int) -> HttpResponse:
    """Set a tie's strength by hand, or (with "clear", or left empty) let the evidence
    decide it again."""
    tie = queries.tie_for(request.user, tie_id, write=True)
    person = _page_person(request, request.POST.get("person"), tie)
    data = request.POST.copy()
    if "clear" in data:
        data["strength"] = ""
    form = StrengthForm(data, auto_id=f"tie{tie.pk}_%s")
    if form.is_valid():
        try:
            services.tie_set_strength(
                actor=request.user, tie=tie, strength=_percent(form.cleaned_data["strength"])
            )
            return _ties_response(request, person)
        except ValidationError as exc:
            _service_errors(form, exc, {})
        tie = queries.tie_for(request.user, tie_id)
    return _ties_response(
        request, person, status=422, editing=_edit_context(tie, person, strength_form=form)
    )


@login_required
@require_POST
def tie_delete(request: HttpRequest, tie_id: int) -> HttpResponse:
    """Remove a tie (one their conversations show stays, as found in conversations)."""
    tie = queries.tie_for(request.user, tie_id, write=True)
    person = _page_person(request, request.POST.get("person"), tie)
    services.tie_delete(actor=request.user, tie=tie)
    return _ties_response(request, person)


@login_required
@require_GET
def tie_suggest(request: HttpRequest) -> HttpResponse:
    """People matching the typed name, for the tie and referral pickers (htmx fragment);
    the page's own person (`exclude`) is left out."""
    query = request.GET.get("q", "").strip()
    found = list(people_search(request.user, query=query)[: SUGGESTED + 1]) if query else []
    exclude = request.GET.get("exclude", "")
    people = [p for p in found if str(p.pk) != exclude][:SUGGESTED]
    return render(request, "network/_tie_suggest.html", {"people": people})


# -- the referrals card ------------------------------------------------------------------------


def _referrals_response(
    request: HttpRequest, person: Person, *, status: int = 200, **extra: Any
) -> HttpResponse:
    if not _is_htmx(request) and request.method == "POST" and status == 200:
        return redirect("person_detail", person_id=person.pk)
    context = {
        "person": person,
        "record": queries.referral_record(request.user, person),
        "referral_form": ReferralForm(
            initial={"referred_on": timezone.localdate()}, auto_id="referral_%s"
        ),
        "today": timezone.localdate(),
        **extra,
    }
    template = "network/_referrals.html" if _is_htmx(request) else "network/_referrals_page.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def person_referrals(request: HttpRequest, person_id: int) -> HttpResponse:
    """Who introduced the person, whom they introduced and what came of it."""
    person = person_for(request.user, person_id)
    return _referrals_response(request, person)


@login_required
@require_POST
def referral_add(request: HttpRequest, person_id: int) -> HttpResponse:
    """Record who introduced this person to us."""
    person = person_for(request.user, person_id, write=True)
    form = ReferralForm(request.POST, auto_id="referral_%s")
    if form.is_valid():
        referrer = form.picked(request.user, page_person=person)
        if referrer is not None:
            try:
                services.referral_create(
                    actor=request.user,
                    referrer=referrer,
                    referred=person,
                    referred_on=form.cleaned_data["referred_on"],
                    note=form.cleaned_data["note"],
                )
                response = _referrals_response(request, person)
                # The referral may have added an "introduced by" tie: the ties card reloads.
                response["HX-Trigger"] = "ties-changed"
                return response
            except ValidationError as exc:
                _service_errors(
                    form, exc, {"referrer": "referrer_name", "referred": "referrer_name"}
                )
    return _referrals_response(request, person, status=422, referral_form=form, adding=True)


@login_required
@require_POST
def referral_thank(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Note that the referrer was thanked; back to the card of the person it was done on."""
    referral: Referral = queries.referral_for(request.user, referral_id, write=True)
    posted = request.POST.get("person")
    person = referral.referrer if str(referral.referrer_id) == posted else referral.referred
    services.referral_thank(actor=request.user, referral=referral)
    return _referrals_response(request, person)
