"""People, organisations, roles and facts over the API. Same queries and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from rapport.people import queries, services
from rapport.people.models import Fact, Organisation, Person, Role

router = Router(tags=["people"])

Visibility = Literal["private", "team"]
NameOrder = Literal["given_first", "family_first"]
CalendarKind = Literal["solar", "lunar"]
ChannelKind = Literal[
    "email", "phone", "wechat", "linkedin", "whatsapp", "website", "address", "other"
]
FactCategory = Literal[
    "history",
    "family",
    "sport",
    "admired",
    "hobby",
    "book",
    "film",
    "food",
    "dislike",
    "goal",
    "other",
]


class Page(Schema):
    count: int
    limit: int
    offset: int


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class ChannelSchema(Schema):
    kind: ChannelKind
    value: str = Field(..., max_length=300)
    label: str = Field("", max_length=50)
    is_primary: bool = False


class PersonIn(Schema):
    display_name: str = Field("", max_length=200)
    given_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    name_order: NameOrder = "given_first"
    romanised_name: str = Field("", max_length=200)
    headline: str = Field("", max_length=200)
    visibility: Visibility = "team"
    birth_calendar: CalendarKind = "solar"
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    birth_leap_month: bool = False
    how_we_met: str = ""
    introduced_by: int | None = None
    contact_cadence_days: int | None = Field(None, ge=1, le=3650)
    notes: str = ""
    channels: list[ChannelSchema] = []
    tags: list[str] = []


class PersonPatch(Schema):
    display_name: str | None = Field(None, max_length=200)
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    name_order: NameOrder | None = None
    romanised_name: str | None = Field(None, max_length=200)
    headline: str | None = Field(None, max_length=200)
    visibility: Visibility | None = None
    birth_calendar: CalendarKind | None = None
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    birth_leap_month: bool | None = None
    how_we_met: str | None = None
    introduced_by: int | None = None
    contact_cadence_days: int | None = Field(None, ge=1, le=3650)
    notes: str | None = None
    channels: list[ChannelSchema] | None = None
    tags: list[str] | None = None


class RoleOut(Schema):
    id: int
    person_id: int
    organisation_id: int
    organisation_name: str
    title: str
    is_decision_maker: bool
    influence: int
    started_on: dt.date | None
    ended_on: dt.date | None


class PersonRef(Schema):
    id: int
    display_name: str


class BirthdayOut(Schema):
    calendar: CalendarKind
    year: int | None
    month: int
    day: int
    leap_month: bool
    next_occurrence: dt.date | None


class PersonOut(Schema):
    id: int
    display_name: str
    given_name: str
    family_name: str
    name_order: NameOrder
    romanised_name: str
    headline: str
    visibility: Visibility
    owner: str
    birthday: BirthdayOut | None
    how_we_met: str
    introduced_by: PersonRef | None
    contact_cadence_days: int | None
    notes: str
    channels: list[ChannelSchema]
    tags: list[str]
    roles: list[RoleOut]
    last_interaction_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonSummary(Schema):
    id: int
    display_name: str
    romanised_name: str
    headline: str
    visibility: Visibility
    email: str | None
    phone: str | None
    organisations: list[str]
    last_interaction_at: dt.datetime | None


class PersonPage(Page):
    items: list[PersonSummary]


def role_out(role: Role) -> RoleOut:
    return RoleOut(
        id=role.pk,
        person_id=role.person_id,
        organisation_id=role.organisation_id,
        organisation_name=role.organisation.name,
        title=role.title,
        is_decision_maker=role.is_decision_maker,
        influence=role.influence,
        started_on=role.started_on,
        ended_on=role.ended_on,
    )


def person_out(person: Person, viewer: Any = None) -> PersonOut:
    """The full API view of a person (expects `queries.person_detail`'s prefetches).

    With a viewer, an introducer the viewer may not see (a colleague's private contact)
    is left out rather than named."""
    introducer = (
        queries.introducer_for(viewer, person) if viewer is not None else person.introduced_by
    )
    birthday = None
    if person.birth_month and person.birth_day:
        birthday = BirthdayOut(
            calendar=person.birth_calendar,  # type: ignore[arg-type]
            year=person.birth_year,
            month=person.birth_month,
            day=person.birth_day,
            leap_month=person.birth_leap_month,
            next_occurrence=queries.next_birthday(person, timezone.localdate()),
        )
    return PersonOut(
        id=person.pk,
        display_name=person.display_name,
        given_name=person.given_name,
        family_name=person.family_name,
        name_order=person.name_order,  # type: ignore[arg-type]
        romanised_name=person.romanised_name,
        headline=person.headline,
        visibility=person.visibility,  # type: ignore[arg-type]
        owner=person.owner.get_username(),
        birthday=birthday,
        how_we_met=person.how_we_met,
        introduced_by=PersonRef(id=introducer.pk, display_name=introducer.display_name)
        if introducer
        else None,
        contact_cadence_days=person.contact_cadence_days,
        notes=person.notes,
        channels=[
            ChannelSchema.model_validate(
                {"kind": c.kind, "value": c.value, "label": c.label, "is_primary": c.is_primary}
            )
            for c in person.channels.all()
        ],
        tags=[t.name for t in person.tags.all()],
        roles=[role_out(r) for r in person.roles.all()],
        last_interaction_at=person.last_interaction_at,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


class PersonFilters(PageParams):
    q: str = ""
    tag: str | None = None
    organisation_id: int | None = None


@router.get("/people", response=PersonPage, summary="List and search people")
def list_people(request: HttpRequest, filters: Query[PersonFilters]) -> dict[str, Any]:
    tag = filters.tag.strip().lower() if filters.tag else None  # tags are kept lowercased
    qs = queries.people_search(
        request.user, query=filters.q, tag=tag, organisation_id=filters.organisation_id
    )
    rows = queries.people_list_rows(list(qs[filters.offset : filters.offset + filters.limit]))
    items = [
        PersonSummary.model_validate(
            {
                "id": p.pk,
                "display_name": p.display_name,
                "romanised_name": p.romanised_name,
                "headline": p.headline,
                "visibility": p.visibility,
                "email": getattr(p, "primary", {}).get("email"),
                "phone": getattr(p, "primary", {}).get("phone"),
                "organisations": [r.organisation.name for r in getattr(p, "current_roles", [])],
                "last_interaction_at": p.last_interaction_at,
            }
        )
        for p in rows
    ]
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


def _referenced(
    find: Any, request: HttpRequest, pk: int, field: str, *, write: bool = False
) -> Any:
    """A record named by id in a request body, if the user may see it; else a 422 naming
    the field (the same answer whether it does not exist or is someone else's)."""
    try:
        return find(request.user, pk, write=write)
    except Http404 as exc:
        raise ValidationError({field: f"no such {field.removesuffix('_id')}: {pk}"}) from exc


def _person_fields(
    request: HttpRequest, payload: Schema, *, partial: bool
) -> tuple[dict[str, Any], Any, Any]:
    data = payload.model_dump(exclude_unset=partial)
    channels = data.pop("channels", None)
    tags = data.pop("tags", None)
    if data.get("introduced_by") is not None:
        data["introduced_by"] = _referenced(
            queries.person_for, request, data["introduced_by"], "introduced_by"
        )
    return data, channels, tags


@router.post("/people", response={201: PersonOut}, summary="Create a person")
def create_person(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    data, channels, tags = _person_fields(request, payload, partial=False)
    person = services.person_create(
        actor=request.user, channels=channels or [], tags=tags or [], **data
    )
    return Status(201, person_out(queries.person_detail(request.user, person.pk), request.user))


@router.get("/people/{person_id}", response=PersonOut, summary="Read a person")
def get_person(request: HttpRequest, person_id: int) -> PersonOut:
    return person_out(queries.person_detail(request.user, person_id), request.user)


@router.patch("/people/{person_id}", response=PersonOut, summary="Change some fields of a person")
def patch_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> PersonOut:
    person = queries.person_for(request.user, person_id, write=True)
    data, channels, tags = _person_fields(request, payload, partial=True)
    services.person_update(actor=request.user, person=person, channels=channels, tags=tags, **data)
    return person_out(queries.person_detail(request.user, person_id), request.user)


@router.put("/people/{person_id}", response=PersonOut, summary="Replace a person")
def put_person(request: HttpRequest, person_id: int, payload: PersonIn) -> PersonOut:
    person = queries.person_for(request.user, person_id, write=True)
    data, channels, tags = _person_fields(request, payload, partial=False)
    services.person_update(
        actor=request.user, person=person, channels=channels or [], tags=tags or [], **data
    )
    return person_out(queries.person_detail(request.user, person_id), request.user)


@router.delete("/people/{person_id}", response={204: None}, summary="Delete a person")
def delete_person(request: HttpRequest, person_id: int) -> Status[None]:
    services.person_delete(
        actor=request.user, person=queries.person_for(request.user, person_id, write=True)
    )
    return Status(204, None)


# Organisations


class OrganisationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    name_romanised: str = Field("", max_length=200)
    industry: str = Field("", max_length=100)
    website: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    notes: str = ""


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    name_romanised: str | None = Field(None, max_length=200)
    industry: str | None = Field(None, max_length=100)
    website: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    notes: str | None = None


class OrganisationOut(Schema):
    id: int
    name: str
    name_romanised: str
    industry: str
    website: str
    city: str
    notes: str
    created_at: dt.datetime


class OrganisationPage(Page):
    items: list[OrganisationOut]


class OrganisationFilters(PageParams):
    q: str = ""


@router.get("/organisations", response=OrganisationPage, tags=["organisations"])
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]) -> dict[str, Any]:
    qs = queries.organisations_with_counts(request.user, query=filters.q)
    items = list(qs[filters.offset : filters.offset + filters.limit])
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post("/organisations", response={201: OrganisationOut}, tags=["organisations"])
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    return Status(201, services.organisation_create(actor=request.user, **payload.model_dump()))


@router.get("/organisations/{organisation_id}", response=OrganisationOut, tags=["organisations"])
def get_organisation(request: HttpRequest, organisation_id: int) -> Organisation:
    return queries.organisation_for(request.user, organisation_id)


@router.patch("/organisations/{organisation_id}", response=OrganisationOut, tags=["organisations"])
def patch_organisation(
    request: HttpRequest, organisation_id: int, payload: OrganisationPatch
) -> Organisation:
    organisation = queries.organisation_for(request.user, organisation_id, write=True)
    return services.organisation_update(
        actor=request.user, organisation=organisation, **payload.model_dump(exclude_unset=True)
    )


@router.delete("/organisations/{organisation_id}", response={204: None}, tags=["organisations"])
def delete_organisation(request: HttpRequest, organisation_id: int) -> Status[None]:
    organisation = queries.organisation_for(request.user, organisation_id, write=True)
    services.organisation_delete(actor=request.user, organisation=organisation)
    return Status(204, None)


# Roles


class RoleIn(Schema):
    person_id: int
    organisation_id: int
    title: str = Field("", max_length=150)
    is_decision_maker: bool = False
    influence: int = Field(3, ge=1, le=5)
    started_on: dt.date | None = None
    ended_on: dt.date | None = None


class RolePatch(Schema):
    title: str | None = Field(None, max_length=150)
    is_decision_maker: bool | None = None
    influence: int | None = Field(None, ge=1, le=5)
    started_on: dt.date | None = None
    ended_on: dt.date | None = None


class RolePage(Page):
    items: list[RoleOut]


class RoleFilters(PageParams):
    person_id: int | None = None
    organisation_id: int | None = None


@router.get("/roles", response=RolePage, tags=["roles"])
def list_roles(request: HttpRequest, filters: Query[RoleFilters]) -> dict[str, Any]:
    qs = (
        Role.objects.filter(person__in=queries.visible_people(request.user))
        .select_related("organisation")
        .order_by("id")
    )
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.organisation_id is not None:
        qs = qs.filter(organisation_id=filters.organisation_id)
    items = [role_out(r) for r in qs[filters.offset : filters.offset + filters.limit]]
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post("/roles", response={201: RoleOut}, tags=["roles"])
def create_role(request: HttpRequest, payload: RoleIn) -> Status[RoleOut]:
    data = payload.model_dump()
    person = _referenced(
        queries.person_for, request, data.pop("person_id"), "person_id", write=True
    )
    organisation = _referenced(
        queries.organisation_for, request, data.pop("organisation_id"), "organisation_id"
    )
    role = services.role_create(
        actor=request.user, person=person, organisation=organisation, **data
    )
    return Status(201, role_out(role))


@router.get("/roles/{role_id}", response=RoleOut, tags=["roles"])
def get_role(request: HttpRequest, role_id: int) -> RoleOut:
    return role_out(queries.role_for(request.user, role_id))


@router.patch("/roles/{role_id}", response=RoleOut, tags=["roles"])
def patch_role(request: HttpRequest, role_id: int, payload: RolePatch) -> RoleOut:
    role = queries.role_for(request.user, role_id, write=True)
    fields = payload.model_dump(exclude_unset=True)
    return role_out(services.role_update(actor=request.user, role=role, **fields))


@router.delete("/roles/{role_id}", response={204: None}, tags=["roles"])
def delete_role(request: HttpRequest, role_id: int) -> Status[None]:
    role = queries.role_for(request.user, role_id, write=True)
    services.role_delete(actor=request.user, role=role)
    return Status(204, None)


# Facts


class FactIn(Schema):
    person_id: int
    category: FactCategory
    value: str = Field(..., min_length=1, max_length=300)
    detail: str = ""
    learned_on: dt.date | None = None
    learned_how: str = Field("", max_length=200)


class FactPatch(Schema):
    category: FactCategory | None = None
    value: str | None = Field(None, min_length=1, max_length=300)
    detail: str | None = None
    learned_on: dt.date | None = None
    learned_how: str | None = Field(None, max_length=200)


class FactOut(Schema):
    id: int
    person_id: int
    category: FactCategory
    value: str
    detail: str
    learned_on: dt.date | None
    learned_how: str
    created_at: dt.datetime


class FactPage(Page):
    items: list[FactOut]


class FactFilters(PageParams):
    person_id: int | None = None
    category: FactCategory | None = None


@router.get("/facts", response=FactPage, tags=["facts"])
def list_facts(request: HttpRequest, filters: Query[FactFilters]) -> dict[str, Any]:
    qs = Fact.objects.filter(person__in=queries.visible_people(request.user)).order_by("id")
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    items = list(qs[filters.offset : filters.offset + filters.limit])
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post("/facts", response={201: FactOut}, tags=["facts"])
def create_fact(request: HttpRequest, payload: FactIn) -> Status[Fact]:
    data = payload.model_dump()
    person = _referenced(
        queries.person_for, request, data.pop("person_id"), "person_id", write=True
    )
    return Status(201, services.fact_create(actor=request.user, person=person, **data))


@router.get("/facts/{fact_id}", response=FactOut, tags=["facts"])
def get_fact(request: HttpRequest, fact_id: int) -> Fact:
    return queries.fact_for(request.user, fact_id)


@router.patch("/facts/{fact_id}", response=FactOut, tags=["facts"])
def patch_fact(request: HttpRequest, fact_id: int, payload: FactPatch) -> Fact:
    fact = queries.fact_for(request.user, fact_id, write=True)
    fields = payload.model_dump(exclude_unset=True)
    return services.fact_update(actor=request.user, fact=fact, **fields)


@router.delete("/facts/{fact_id}", response={204: None}, tags=["facts"])
def delete_fact(request: HttpRequest, fact_id: int) -> Status[None]:
    fact = queries.fact_for(request.user, fact_id, write=True)
    services.fact_delete(actor=request.user, fact=fact)
    return Status(204, None)
