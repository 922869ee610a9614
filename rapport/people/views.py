"""People and organisation pages. Thin: parse with a form, call a service or query, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors
from rapport.interactions.queries import organisation_timeline, person_timeline
from rapport.interactions.views import timeline_more_url
from rapport.people import queries, services
from rapport.people.forms import (
    ChannelFormSet,
    FactForm,
    OrganisationForm,
    PersonForm,
    RoleForm,
    channel_rows,
)
from rapport.people.models import Fact, Person


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


PEOPLE_PER_PAGE = 25


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    tag = request.GET.get("tag") or None
    organisation_id = request.GET.get("organisation")
    org_filter = int(organisation_id) if organisation_id and organisation_id.isdigit() else None
    qs = queries.people_search(request.user, query=query, tag=tag, organisation_id=org_filter)
    page = Paginator(qs, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = queries.people_list_rows(list(page.object_list))
    context = {"page": page, "query": query, "tag": tag, "organisation_id": org_filter}
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "count": page.paginator.count,
                "results": [{"id": p.pk, "display_name": p.display_name} for p in page.object_list],
            }
        )
    template = "people/_person_rows.html" if _is_htmx(request) else "people/person_list.html"
    return render(request, template, context)


@login_required
def person_suggest(request: HttpRequest) -> HttpResponse:
    """Participant and introducer picker: the first few matches as an htmx fragment."""
    query = request.GET.get("q", "").strip()
    people = list(queries.people_search(request.user, query=query)[:8]) if query else []
    return render(
        request,
        "people/_suggest.html",
        {"people": people, "target": request.GET.get("target", "participants")},
    )


def _promises_context(
    request: HttpRequest, *, person: Person | None = None, organisation: Any = None
) -> dict[str, Any]:
    """The promises card: the client's commitments, our on-time record, share links."""
    from rapport.commitments.queries import commitments_with, record_for
    from rapport.portal.queries import share_links_with

    commitments = commitments_with(request.user, person=person, organisation=organisation)
    return {
        "commitments": commitments,
        "record": record_for(commitments),
        "share_links": share_links_with(request.user, person=person, organisation=organisation),
        "now": timezone.now(),
    }


def _person_context(request: HttpRequest, person: Person, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    timeline = person_timeline(request.user, person)
    context = {
        "person": person,
        "facts_grouped": queries.facts_by_category(person),
        "timeline": timeline,
        "more_url": timeline_more_url(person, timeline),
        "next_birthday": queries.next_birthday(person, today),
        "birthday_label": queries.birthday_label(person),
        "introducer": queries.introducer_for(request.user, person),
        "fact_form": FactForm(),
        "fact_categories": Fact.Category.choices,
        # The interaction and role forms load when their section is opened (htmx), so
        # the page does not render forms most visits never use; with errors they show.
        "interaction_form": None,
        "role_form": None,
        "today": today,
        **_promises_context(request, person=person),
    }
    context.update(extra)
    return context


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = queries.person_detail(request.user, person_id)
    if request.GET.get("format") == "json":
        from rapport.people.api import person_out

        return JsonResponse(person_out(person, request.user).model_dump(mode="json"))
    return render(request, "people/person_detail.html", _person_context(request, person))


def _person_form_page(request: HttpRequest, person: Person | None) -> HttpResponse:
    if request.method == "POST":
        form = PersonForm(request.POST)
        channels = ChannelFormSet(request.POST, prefix="channels")
        if form.is_valid() and channels.is_valid():
            try:
                if person is None:
                    person = services.person_create(
                        actor=request.user,
                        channels=channel_rows(channels),
                        tags=form.tag_list(),
                        **form.service_fields(),
                    )
                else:
                    fields = form.service_fields()
                    # An introducer hidden from this user (a colleague's private contact)
                    # was not in the form: keep it rather than clear it.
                    if (
                        fields["introduced_by"] is None
                        and person.introduced_by_id is not None
                        and queries.introducer_for(request.user, person) is None
                    ):
                        del fields["introduced_by"]
                    services.person_update(
                        actor=request.user,
                        person=person,
                        channels=channel_rows(channels),
                        tags=form.tag_list(),
                        **fields,
                    )
                return redirect("person_detail", person_id=person.pk)
            except ValidationError as exc:
                add_service_errors(form, exc, {"channels": channels})
    elif person is not None:
        initial = {name: getattr(person, name) for name in PersonForm.Meta.fields}
        initial["tags"] = ", ".join(t.name for t in person.tags.all())
        introducer = queries.introducer_for(request.user, person)
        if introducer is not None:
            initial["introduced_by_id"] = introducer.pk
            initial["introduced_by_name"] = introducer.display_name
        form = PersonForm(initial=initial)
        channels = ChannelFormSet(
            prefix="channels",
            initial=[
                {"kind": c.kind, "value": c.value, "label": c.label} for c in person.channels.all()
            ],
        )
    else:
        form = PersonForm()
        channels = ChannelFormSet(prefix="channels", initial=[{"kind": "email"}, {"kind": "phone"}])
    return render(
        request, "people/person_form.html", {"form": form, "channels": channels, "person": person}
    )


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    return _person_form_page(request, None)


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    return _person_form_page(request, queries.person_for(request.user, person_id, write=True))


@login_required
@require_POST
def person_delete(request: HttpRequest, person_id: int) -> HttpResponse:
    person = queries.person_for(request.user, person_id, write=True)
    try:
        services.person_delete(actor=request.user, person=person)
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms]
        return HttpResponse("; ".join(messages), status=400)
    return redirect("person_list")


@login_required
@require_POST
def fact_add(request: HttpRequest, person_id: int) -> HttpResponse:
    person = queries.person_for(request.user, person_id, write=True)
    form = FactForm(request.POST)
    if form.is_valid():
        try:
            services.fact_create(actor=request.user, person=person, **form.cleaned_data)
            form = FactForm()
        except ValidationError as exc:
            add_service_errors(form, exc)
    person = queries.person_detail(request.user, person.pk)
    context = {
        "person": person,
        "facts_grouped": queries.facts_by_category(person),
        "fact_form": form,
        "fact_categories": Fact.Category.choices,
    }
    status = 200 if not form.errors else 422
    if _is_htmx(request):
        return render(request, "people/_facts.html", context, status=status)
    return (
        redirect("person_detail", person_id=person.pk)
        if status == 200
        else render(
            request,
            "people/person_detail.html",
            _person_context(request, person, fact_form=form),
            status=status,
        )
    )


@login_required
@require_POST
def fact_delete(request: HttpRequest, fact_id: int) -> HttpResponse:
    fact = queries.fact_for(request.user, fact_id, write=True)
    person_id = fact.person_id
    services.fact_delete(actor=request.user, fact=fact)
    if _is_htmx(request):
        person = queries.person_detail(request.user, person_id)
        return render(
            request,
            "people/_facts.html",
            {
                "person": person,
                "facts_grouped": queries.facts_by_category(person),
                "fact_form": FactForm(),
                "fact_categories": Fact.Category.choices,
            },
        )
    return redirect("person_detail", person_id=person_id)


@login_required
@require_POST
def role_add(request: HttpRequest, person_id: int) -> HttpResponse:
    person = queries.person_for(request.user, person_id, write=True)
    form = RoleForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        organisation_id = data.pop("organisation_id")
        name = data.pop("organisation_name")
        try:
            organisation = None
            if organisation_id is not None:
                organisation = (
                    queries.organisations(request.user).filter(pk=organisation_id).first()
                )
                if organisation is None:
                    raise ValidationError({"organisation_name": _("no such organisation")})
            services.role_create(
                actor=request.user,
                person=person,
                organisation=organisation,
                organisation_name=name,
                **data,
            )
            return redirect("person_detail", person_id=person.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    person = queries.person_detail(request.user, person.pk)
    return render(
        request,
        "people/person_detail.html",
        _person_context(request, person, role_form=form),
        status=422,
    )


@login_required
def role_form(request: HttpRequest, person_id: int) -> HttpResponse:
    """The empty "add a role" form, fetched when its section is opened."""
    person = queries.person_for(request.user, person_id, write=True)
    return render(request, "people/_role_form.html", {"person": person, "role_form": RoleForm()})


@login_required
def organisation_suggest(request: HttpRequest) -> HttpResponse:
    """Organisation picker: the first few of the team's organisations matching the text."""
    query = request.GET.get("organisation_name", "").strip()
    found = list(queries.organisations_with_counts(request.user, query=query)[:8]) if query else []
    return render(request, "people/_organisation_suggest.html", {"organisations": found})


@login_required
@require_POST
def role_delete(request: HttpRequest, role_id: int) -> HttpResponse:
    role = queries.role_for(request.user, role_id, write=True)
    person_id = role.person_id
    services.role_delete(actor=request.user, role=role)
    return redirect("person_detail", person_id=person_id)


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    qs = queries.organisations_with_counts(request.user, query=query)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "people/organisation_list.html", {"page": page, "query": query})


@login_required
def organisation_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = queries.organisation_for(request.user, organisation_id)
    roles = queries.organisation_roles(request.user, organisation)
    return render(
        request,
        "people/organisation_detail.html",
        {
            "organisation": organisation,
            "roles": roles,
            "timeline": organisation_timeline(request.user, organisation),
            **_promises_context(request, organisation=organisation),
        },
    )


def _organisation_form_page(request: HttpRequest, organisation: Any) -> HttpResponse:
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        if form.is_valid():
            try:
                if organisation is None:
                    organisation = services.organisation_create(
                        actor=request.user, **form.cleaned_data
                    )
                else:
                    services.organisation_update(
                        actor=request.user, organisation=organisation, **form.cleaned_data
                    )
                return redirect("organisation_detail", organisation_id=organisation.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
    elif organisation is not None:
        form = OrganisationForm(
            initial={name: getattr(organisation, name) for name in OrganisationForm.Meta.fields}
        )
    else:
        form = OrganisationForm()
    return render(
        request, "people/organisation_form.html", {"form": form, "organisation": organisation}
    )


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    return _organisation_form_page(request, None)


@login_required
def organisation_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _organisation_form_page(
        request, queries.organisation_for(request.user, organisation_id, write=True)
    )


@login_required
@require_POST
def organisation_delete(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = queries.organisation_for(request.user, organisation_id, write=True)
    services.organisation_delete(actor=request.user, organisation=organisation)
    return redirect("organisation_list")
