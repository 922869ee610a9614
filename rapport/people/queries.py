"""Reads of people and organisations. Every fetch by id goes through the `*_for` helpers,
which return the row only if the actor may see it, and raise Http404 otherwise."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.formats import date_format

from rapport.people import birthdays
from rapport.people.models import Channel, Fact, Organisation, Person, Role, Visibility
from rapport.people.searchkey import normalise_query


def visible_people(actor: Any) -> QuerySet[Person]:
    """People of the actor's team that are shared, or private and the actor's own."""
    member = actor.member
    return Person.objects.filter(team_id=member.team_id).filter(
        Q(visibility=Visibility.TEAM) | Q(owner_id=actor.pk)
    )


def person_for(actor: Any, person_id: int | str, *, write: bool = False) -> Person:
    """The person if the actor may see it (and, with write, change it); else Http404.

    Within a team anyone may change a shared record; a private one only its owner sees.
    """
    try:
        return visible_people(actor).get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such person") from exc


def organisations(actor: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(team_id=actor.member.team_id)


def organisation_for(
    actor: Any, organisation_id: int | str, *, write: bool = False
) -> Organisation:
    try:
        return organisations(actor).get(pk=int(organisation_id))
    except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such organisation") from exc


def role_for(actor: Any, role_id: int | str, *, write: bool = False) -> Role:
    try:
        return Role.objects.select_related("person", "organisation").get(
            pk=int(role_id), person__in=visible_people(actor)
        )
    except (Role.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such role") from exc


def fact_for(actor: Any, fact_id: int | str, *, write: bool = False) -> Fact:
    try:
        return Fact.objects.select_related("person").get(
            pk=int(fact_id), person__in=visible_people(actor)
        )
    except (Fact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such fact") from exc


def people_search(
    actor: Any,
    *,
    query: str = "",
    tag: str | None = None,
    organisation_id: int | None = None,
) -> QuerySet[Person]:
    """Visible people matching every term of `query` (names in Han or Latin letters,
    pinyin, email, phone digits, organisation, tag), optionally by tag or organisation."""
    qs = visible_people(actor)
    for term in normalise_query(query):
        qs = qs.filter(search_text__contains=term)
    if tag:
        qs = qs.filter(tags__name=tag)
    if organisation_id is not None:
        qs = qs.filter(roles__organisation_id=organisation_id)
    if tag or organisation_id is not None:
        qs = qs.distinct()
    return qs.order_by("display_name", "id")


def people_list_rows(people: list[Person]) -> list[Person]:
    """Attach current roles and primary email/phone to a page of people in two queries."""
    ids = [p.pk for p in people]
    roles: dict[int, list[Role]] = defaultdict(list)
    for role in (
        Role.objects.filter(person_id__in=ids, ended_on__isnull=True)
        .select_related("organisation")
        .order_by("-is_decision_maker", "-influence")
    ):
        roles[role.person_id].append(role)
    channels: dict[int, dict[str, str]] = defaultdict(dict)
    for ch in Channel.objects.filter(
        person_id__in=ids, kind__in=[Channel.Kind.EMAIL, Channel.Kind.PHONE]
    ).order_by("-is_primary", "id"):
        channels[ch.person_id].setdefault(ch.kind, ch.value)
    for p in people:
        p.current_roles = roles.get(p.pk, [])  # type: ignore[attr-defined]
        p.primary = channels.get(p.pk, {})  # type: ignore[attr-defined]
    return people


def person_detail(actor: Any, person_id: int | str) -> Person:
    """A person with roles, channels, tags, facts and introducer loaded for the page."""
    person = person_for(actor, person_id)
    return (
        Person.objects.filter(pk=person.pk)
        .select_related("introduced_by", "owner")
        .prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("organisation")),
            "channels",
            "tags",
            Prefetch("facts", queryset=Fact.objects.order_by("category", "-created_at")),
        )
        .get()
    )


def introducer_for(actor: Any, person: Person) -> Person | None:
    """Who introduced the person, if the actor may see them (a colleague's private
    contact is never named)."""
    if person.introduced_by_id is None:
        return None
    return visible_people(actor).filter(pk=person.introduced_by_id).first()


def facts_by_category(person: Person) -> list[tuple[str, str, list[Fact]]]:
    """(category, label, facts) in the fixed category order, only non-empty categories."""
    grouped: dict[str, list[Fact]] = defaultdict(list)
    for fact in person.facts.all():
        grouped[fact.category].append(fact)
    return [
        (value, str(label), grouped[value])
        for value, label in Fact.Category.choices
        if grouped.get(value)
    ]


def birthday_of(person: Person) -> birthdays.Birthday | None:
    if person.birth_month is None or person.birth_day is None:
        return None
    return birthdays.Birthday(
        calendar=person.birth_calendar,  # type: ignore[arg-type]
        month=person.birth_month,
        day=person.birth_day,
        year=person.birth_year,
        leap_month=person.birth_leap_month,
    )


def birthday_label(person: Person) -> str:
    """'5 June 1980' / '5 June' for a solar birthday, in the active language; lunar ones
    are labelled in the template from month and day."""
    if person.birth_month is None or person.birth_day is None:
        return ""
    if person.birth_calendar == Person.Calendar.LUNAR:
        return ""
    sample = dt.date(person.birth_year or 2000, person.birth_month, person.birth_day)
    return date_format(sample, "j F Y" if person.birth_year else "j F")


def next_birthday(person: Person, today: dt.date) -> dt.date | None:
    b = birthday_of(person)
    if b is None:
        return None
    try:
        return birthdays.next_occurrence(b, today)
    except birthdays.BirthdayError:
        return None


def birthdays_upcoming(actor: Any, today: dt.date, days: int = 14) -> list[tuple[dt.date, Person]]:
    """Visible people whose birthday (solar or lunar) falls in the next `days` days."""
    end = today + dt.timedelta(days=days)
    solar_months, lunar_months = birthdays.months_between(today, end)
    # Narrow in the database to the months the window touches in each calendar, then
    # let the pure module decide each day exactly.
    candidates = visible_people(actor).filter(
        Q(birth_calendar=Person.Calendar.SOLAR, birth_month__in=solar_months)
        | Q(birth_calendar=Person.Calendar.LUNAR, birth_month__in=lunar_months),
        birth_day__isnull=False,
    )
    found = []
    for person in candidates:
        when = next_birthday(person, today)
        if when is not None and when <= end:
            found.append((when, person))
    found.sort(key=lambda pair: (pair[0], pair[1].display_name))
    return found


def organisations_with_counts(actor: Any, *, query: str = "") -> QuerySet[Organisation]:
    """The team's organisations with how many (visible) people hold a current role."""
    qs = organisations(actor)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(name_romanised__icontains=query))
    visible = visible_people(actor).values("pk")
    return qs.annotate(
        people_count=Count(
            "roles__person",
            filter=Q(roles__ended_on__isnull=True, roles__person__in=visible),
            distinct=True,
        )
    ).order_by("name")


def organisation_roles(actor: Any, organisation: Organisation) -> list[Role]:
    """Roles in the organisation held by people the actor may see; decision makers first."""
    return list(
        Role.objects.filter(organisation=organisation, person__in=visible_people(actor))
        .select_related("person")
        .order_by("ended_on", "-is_decision_maker", "-influence", "person__display_name")
    )
