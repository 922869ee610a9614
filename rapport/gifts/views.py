"""Gift register pages: the register with its filters and totals, a person's gifts
(the card on the person page, also a page of its own), the add/edit/delete forms and
the team policy. Thin: parse with a form, call a service or query, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.forms import add_service_errors
from rapport.deals.queries import organisation_named, people_named, team_currency, visible_deals
from rapport.gifts import queries, services
from rapport.gifts.forms import GiftForm, PolicyForm
from rapport.gifts.models import Direction, Gift
from rapport.people.models import Person
from rapport.people.queries import person_for, visible_people

# The register page shows this many of the newest entries (its totals count them all;
# filters by year, person, direction and over-limit find the rest).
SHOWN = 100


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


@login_required
def register_page(request: HttpRequest) -> HttpResponse:
    """Every entry the user may see, newest first, filtered by direction, person, year
    and over-limit only, with totals per direction and currency."""
    direction = request.GET.get("direction") or ""
    if direction not in Direction.values:
        direction = ""
    person = None
    person_id = _int(request.GET.get("person"))
    if person_id is not None:
        person = person_for(request.user, person_id)
    year = _int(request.GET.get("year"))
    over_only = request.GET.get("over") == "1"
    found = queries.register(
        request.user,
        direction=direction or None,
        person=person,
        year=year,
        over_only=over_only,
        limit=SHOWN,
    )
    context = {
        "register": found,
        "direction": direction,
        "person": person,
        "year": year,
        "over_only": over_only,
        "years": queries.years(request.user),
        "directions": Direction.choices,
        "policy": services.policy_of(request.user),
    }
    return render(request, "gifts/register.html", context)


@login_required
def person_gifts(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's gifts both ways: the card the person page loads, or a page alone."""
    person = person_for(request.user, person_id)
    context = {
        "person": person,
        "register": queries.register(request.user, person=person),
        "policy": services.policy_of(request.user),
    }
    template = "gifts/_card.html" if request.headers.get("HX-Request") else "gifts/person.html"
    return render(request, template, context)


def _deal_choices(request: HttpRequest) -> list[tuple[int, str]]:
    return list(
        visible_deals(request.user).order_by("-updated_at").values_list("pk", "title")[:200]
    )


def _fields(
    request: HttpRequest, form: GiftForm, keep: Person | None = None
) -> dict[str, Any] | None:
    """The service's fields from a valid form, or None after adding errors to it. On an
    edit (`keep`), a form without a person keeps the gift's."""
    data = form.cleaned_data
    person: Person | None = None
    if not data["person_name"].strip():
        if keep is None:
            form.add_error("person_name", _("say who gave it or received it"))
        else:
            person = keep
    elif data.get("person_id"):
        person = visible_people(request.user).filter(pk=data["person_id"]).first()
        if person is not None and person.display_name != data["person_name"].strip():
            person = None
    if person is None and data["person_name"].strip():
        people, errors = people_named(request.user, [data["person_name"].strip()])
        for error in errors:
            form.add_error("person_name", error)
        person = people[0] if people else None
    organisation = None
    if data["organisation_name"].strip():
        organisation = organisation_named(request.user, data["organisation_name"])
        if organisation is None:
            form.add_error(
                "organisation_name",
                _("no organisation called “%(name)s” in your book")
                % {"name": data["organisation_name"].strip()},
            )
    if form.errors:
        return None
    return {
        "person": person,
        "organisation": organisation,
        "deal": data["deal"],
        "direction": data["direction"],
        "kind": data["kind"],
        "description": data["description"],
        "occasion": data["occasion"],
        "given_on": data["given_on"],
        "value": data["value"],
        "currency": data["currency"],
        "reason": data["reason"],
    }


def _form_page(
    request: HttpRequest, form: GiftForm, gift: Gift | None, status: int = 200
) -> HttpResponse:
    people = (
        visible_people(request.user)
        .order_by("display_name")
        .values_list("display_name", flat=True)[:500]
    )
    return render(
        request,
        "gifts/gift_form.html",
        {"form": form, "gift": gift, "people": people},
        status=status,
    )


def _back(gift: Gift) -> HttpResponse:
    return redirect("gift_register")


@login_required
def gift_create(request: HttpRequest) -> HttpResponse:
    deals = _deal_choices(request)
    if request.method == "POST":
        form = GiftForm(request.POST, deals=deals)
        if form.is_valid() and (fields := _fields(request, form)) is not None:
            try:
                gift = services.gift_create(actor=request.user, **fields)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _back(gift)
        return _form_page(request, form, None, status=422)
    initial: dict[str, Any] = {
        "direction": Direction.GIVEN,
        "given_on": timezone.localdate(),
        "currency": team_currency(request.user),
    }
    person_id = _int(request.GET.get("person"))
    if person_id is not None:
        person = person_for(request.user, person_id)
        initial |= {"person_id": person.pk, "person_name": person.display_name}
    return _form_page(request, GiftForm(initial=initial, deals=deals), None)


@login_required
def gift_edit(request: HttpRequest, gift_id: int) -> HttpResponse:
    gift = queries.gift_for(request.user, gift_id, write=True)
    deals = _deal_choices(request)
    if gift.deal_id and gift.deal_id not in {pk for pk, _t in deals} and gift.deal:
        deals.append((gift.deal_id, gift.deal.title))
    if request.method == "POST":
        form = GiftForm(request.POST, deals=deals)
        if form.is_valid() and (fields := _fields(request, form, gift.person)) is not None:
            try:
                services.gift_update(actor=request.user, gift=gift, **fields)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _back(gift)
        return _form_page(request, form, gift, status=422)
    form = GiftForm(
        initial={
            "direction": gift.direction,
            "kind": gift.kind,
            "person_id": gift.person_id,
            "person_name": gift.person.display_name,
            "organisation_name": gift.organisation.name if gift.organisation else "",
            "deal": gift.deal_id,
            "description": gift.description,
            "occasion": gift.occasion,
            "given_on": gift.given_on,
            "value": gift.value,
            "currency": gift.currency,
            "reason": gift.reason,
        },
        deals=deals,
    )
    return _form_page(request, form, gift)


@login_required
@require_POST
def gift_delete(request: HttpRequest, gift_id: int) -> HttpResponse:
    gift = queries.gift_for(request.user, gift_id, write=True)
    services.gift_delete(actor=request.user, gift=gift)
    return redirect("gift_register")


@login_required
def policy_page(request: HttpRequest) -> HttpResponse:
    """The team's limits: anyone may read them, a team administrator may change them."""
    policy = services.policy_of(request.user)
    admin = services.is_admin(request.user)
    status = 200
    if request.method == "POST":
        if not admin:
            raise PermissionDenied
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                services.policy_update(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("gift_policy")
        status = 422
    else:
        form = PolicyForm(
            initial={
                "per_gift_limit": policy.per_gift_limit,
                "per_person_year_limit": policy.per_person_year_limit,
            }
        )
    return render(
        request,
        "gifts/policy.html",
        {"form": form, "policy": policy, "admin": admin},
        status=status,
    )
