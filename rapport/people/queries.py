"""Reads of people and organisations. Every fetch by id goes through the `*_for` helpers,
which return the row only if the actor may see it, and raise Http404 otherwise."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, overload

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


def seen_person(actor: Any, field: str = "person") -> Q:
    """Rows whose person (at `field`) the actor may see, as `visible_people` says, by a
    join to that person rather than `field__in=visible_people(actor)`: on SQLite the
    latter lists every person of the team first (100,000 of them at size M)."""
    return Q(**{f"{field}__team_id": actor.member.team_id}) & (
        Q(**{f"{field}__visibility": Visibility.TEAM}) | Q(**{f"{field}__owner_id": actor.pk})
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


class PersonResults:
    """Search matches that Paginator and the API can count and slice: matched in one
    scan of the table, ordered by name here, and rows loaded only for the slice asked.

    Ordering in SQL would make SQLite walk the name index and test every row in turn,
    much slower than one scan when the match is rare (measured at 100k people)."""

    def __init__(self, ordered_ids: list[int]) -> None:
        self.ids = ordered_ids

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Person: ...

    @overload
    def __getitem__(self, index: slice) -> list[Person]: ...

    def __getitem__(self, index: int | slice) -> Person | list[Person]:
        if isinstance(index, int):
            return Person.objects.get(pk=self.ids[index])
        ids = self.ids[index]
        rows = Person.objects.in_bulk(ids)
        return [rows[i] for i in ids if i in rows]

    def __iter__(self) -> Iterator[Person]:
        return iter(self[:])


def people_search(
    actor: Any,
    *,
    query: str = "",
    tag: str | None = None,
    organisation_id: int | None = None,
) -> QuerySet[Person] | PersonResults:
    """Visible people matching every term of `query` (names in Han or Latin letters,
    pinyin, email, phone digits, organisation, tag), optionally by tag or organisation,
    ordered by name."""
    qs = visible_people(actor)
    terms = normalise_query(query)
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    if tag:
        qs = qs.filter(tags__name=tag)
    if organisation_id is not None:
        qs = qs.filter(roles__organisation_id=organisation_id)
    if tag or organisation_id is not None:
        qs = qs.distinct()
    if not terms:
        return qs.order_by("display_name", "id")
    matches = sorted(qs.order_by().values_list("display_name", "id"))
    return PersonResults([person_id for _name, person_id in matches])


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
    # Only person_id in SQL: with the kind too, SQLite prefers the (kind, value) index
    # and reads every email and phone of the book (seen at 100k people).
    rows = Channel.objects.filter(person_id__in=ids).values_list(
        "person_id", "kind", "value", "is_primary", "id"
    )
    for person_id, kind, value, _primary, _id in sorted(rows, key=lambda r: (not r[3], r[4])):
        if kind in (Channel.Kind.EMAIL, Channel.Kind.PHONE):
            channels[person_id].setdefault(kind, value)
    for p in people:
        p.current_roles = roles.get(p.pk, [])  # type: ignore[attr-defined]
        p.primary = channels.get(p.pk, {})  # type: ignore[attr-defined]
    return people


def person_detail(actor: Any, person_id: int | str) -> Person:
    """A person with roles, channels, tags, facts and introducer loaded for the page."""
    try:
        return (
            visible_people(actor)
            .select_related("introduced_by", "owner")
            .prefetch_related(
                Prefetch("roles", queryset=Role.objects.select_related("organisation")),
                "channels",
                "tags",
                Prefetch("facts", queryset=Fact.objects.order_by("category", "-created_at")),
            )
            .get(pk=int(person_id))
        )
    except (Person.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such person") from exc


def introducer_for(actor: Any, person: Person) -> Person | None:
    """Who introduced the person, if the actor may see them (a colleague's private
    contact is never named)."""
    introducer = person.introduced_by
    if introducer is None:
        return None
    visible = introducer.team_id == actor.member.team_id and (
        introducer.visibility == Visibility.TEAM or introducer.owner_id == actor.pk
    )
    return introducer if visible else None


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


# What a birthday list shows and needs to compute the next date: not the whole row.
BIRTHDAY_FIELDS = (
    "id",
    "display_name",
    "owner_id",
    "visibility",
    "birth_calendar",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_leap_month",
)


def birthdays_upcoming(
    actor: Any, today: dt.date, days: int = 14, *, owned_only: bool = False
) -> list[tuple[dt.date, Person]]:
    """Visible people whose birthday (solar or lunar) falls in the next `days` days.
    With `owned_only`, only the actor's own people."""
    if owned_only:
        # The actor's own people are always theirs to see: no visibility test, so the
        # (team, owner, calendar, month, day) index covers the search.
        people = Person.objects.filter(team_id=actor.member.team_id, owner_id=actor.pk)
    else:
        people = visible_people(actor)
    end = today + dt.timedelta(days=days)
    solar_days, lunar_days = birthdays.days_between(today, end)
    # Narrow in the database to the (month, day) pairs the window can hold in each
    # calendar (one indexed query per month), then let the pure module decide each date.
    candidates: list[Person] = []
    for calendar, pairs in (
        (Person.Calendar.SOLAR, solar_days),
        (Person.Calendar.LUNAR, lunar_days),
    ):
        by_month: dict[int, list[int]] = defaultdict(list)
        for month, day in pairs:
            by_month[month].append(day)
        for month, days_in_month in by_month.items():
            candidates.extend(
                people.filter(
                    birth_calendar=calendar, birth_month=month, birth_day__in=days_in_month
                )
                .order_by()
                .only(*BIRTHDAY_FIELDS)
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
