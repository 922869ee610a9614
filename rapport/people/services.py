"""Every write to people, organisations, roles, channels, tags and facts.

Each service validates (full_clean), writes atomically, refreshes the person's search
text and leaves an audit entry. Views, the API and the CLI call only these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from rapport.accounts.models import AuditEntry
from rapport.accounts.services import audit_record
from rapport.people import birthdays, searchkey
from rapport.people.models import Channel, Fact, Organisation, Person, Role, Tag, Visibility
from rapport.people.queries import visible_people

PERSON_FIELDS = (  # in the order a form shows them
    "given_name",
    "family_name",
    "display_name",
    "name_order",
    "romanised_name",
    "headline",
    "visibility",
    "birth_calendar",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_leap_month",
    "how_we_met",
    "introduced_by",
    "contact_cadence_days",
    "notes",
)
ORGANISATION_FIELDS = {"name", "name_romanised", "industry", "website", "city", "notes"}
ROLE_FIELDS = {"title", "is_decision_maker", "influence", "started_on", "ended_on"}
FACT_FIELDS = {"category", "value", "detail", "learned_on", "learned_how"}


def _private(person: Person) -> bool:
    return person.visibility == Visibility.PRIVATE


def _reject_unknown(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: "unknown field" for name in unknown})


def display_name_for(given: str, family: str, order: str) -> str:
    """'Anna Lee' for given-first, '王小明' (no space between Han names) for family-first."""
    given, family = given.strip(), family.strip()
    if order == Person.NameOrder.FAMILY_FIRST:
        both_han = searchkey.HAN.search(family) and searchkey.HAN.search(given)
        return (family + given) if both_han else f"{family} {given}".strip()
    return f"{given} {family}".strip()


def _validate_person(person: Person) -> None:
    if not person.display_name.strip():
        person.display_name = display_name_for(
            person.given_name, person.family_name, person.name_order
        )
    if not person.display_name:
        raise ValidationError({"display_name": _("a person needs a name")})
    birthday_fields = (person.birth_month, person.birth_day)
    if any(v is not None for v in birthday_fields) or person.birth_year is not None:
        if person.birth_month is None:
            raise ValidationError({"birth_month": _("a birthday needs a month")})
        if person.birth_day is None:
            raise ValidationError({"birth_day": _("a birthday needs a day")})
        try:
            birthdays.validate(
                birthdays.Birthday(
                    calendar=person.birth_calendar,  # type: ignore[arg-type]
                    month=person.birth_month,
                    day=person.birth_day,
                    year=person.birth_year,
                    leap_month=person.birth_leap_month,
                )
            )
        except birthdays.BirthdayError as exc:
            raise ValidationError({exc.field: _(exc.template) % exc.params}) from exc
    if person.introduced_by_id is not None:
        introducer = person.introduced_by
        if introducer is None or introducer.team_id != person.team_id:
            raise ValidationError({"introduced_by": _("no such person")})
        if person.pk is not None and introducer.pk == person.pk:
            raise ValidationError({"introduced_by": _("a person cannot introduce themselves")})
    person.full_clean(exclude=["owner", "team", "tags"])


def normalise_channel(kind: str, value: str) -> str:
    """The stored form of a channel value, or ValidationError naming `value`."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({"value": _("a contact channel needs a value")})
    if kind not in Channel.Kind.values:
        raise ValidationError({"kind": _("unknown channel kind “%(kind)s”") % {"kind": kind}})
    if kind == Channel.Kind.EMAIL:
        try:
            EmailValidator()(value)
        except ValidationError as exc:
            raise ValidationError(
                {"value": _("“%(value)s” is not a valid email address") % {"value": value}}
            ) from exc
        local, _at, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    if kind == Channel.Kind.PHONE:
        region = getattr(settings, "RAPPORT_PHONE_REGION", None)
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException as exc:
            raise ValidationError(
                {
                    "value": _("“%(value)s” is not a phone number (start with +country code)")
                    % {"value": value}
                }
            ) from exc
        if not phonenumbers.is_possible_number(number):
            raise ValidationError(
                {"value": _("“%(value)s” is not a possible phone number") % {"value": value}}
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if kind in (Channel.Kind.WEBSITE, Channel.Kind.LINKEDIN) and value.startswith("http"):
        try:
            URLValidator()(value)
        except ValidationError as exc:
            raise ValidationError(
                {"value": _("“%(value)s” is not a valid web address") % {"value": value}}
            ) from exc
    return value


def _set_channels(person: Person, channels: Iterable[Mapping[str, Any]]) -> None:
    person.channels.all().delete()
    rows = []
    for index, item in enumerate(channels):
        kind = str(item.get("kind", ""))
        try:
            value = normalise_channel(kind, str(item.get("value", "")))
        except ValidationError as exc:
            raise ValidationError(
                {f"channels[{index}].{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        rows.append(
            Channel(
                person=person,
                kind=kind,
                value=value,
                label=str(item.get("label", ""))[:50],
                is_primary=bool(item.get("is_primary", False)),
            )
        )
    Channel.objects.bulk_create(rows)


def _set_tags(person: Person, names: Iterable[str]) -> None:
    wanted = {n.strip().lower() for n in names if n and n.strip()}
    for name in wanted:
        if len(name) > 50:
            raise ValidationError(
                {"tags": _("tag “%(tag)s…” is longer than 50 characters") % {"tag": name[:20]}}
            )
    tags = [Tag.objects.get_or_create(team_id=person.team_id, name=name)[0] for name in wanted]
    person.tags.set(tags)


def person_reindex(person: Person) -> None:
    """Rebuild the person's search text from names, channels, organisations and tags."""
    channels = list(person.channels.values_list("kind", "value"))
    orgs = list(person.roles.values_list("organisation__name", "organisation__name_romanised"))
    text = searchkey.build(
        names=[person.display_name, person.given_name, person.family_name, person.romanised_name],
        emails=[v for k, v in channels if k == Channel.Kind.EMAIL],
        phones=[v for k, v in channels if k in (Channel.Kind.PHONE, Channel.Kind.WHATSAPP)],
        others=[v for k, v in channels if k == Channel.Kind.WECHAT]
        + [name for pair in orgs for name in pair if name]
        + list(person.tags.values_list("name", flat=True)),
    )
    if text != person.search_text:
        person.search_text = text
        Person.objects.filter(pk=person.pk).update(search_text=text)


def _resolve_introducer(actor: Any, person: Person, fields: dict[str, Any]) -> None:
    """Set the introducer from an id or a Person, only among people the actor may see."""
    if "introduced_by" not in fields:
        return
    introducer = fields.pop("introduced_by")
    if introducer is None:
        person.introduced_by = None
        return
    introducer_id = introducer.pk if isinstance(introducer, Person) else introducer
    found = visible_people(actor).filter(pk=introducer_id).first()
    if found is None:
        raise ValidationError({"introduced_by": _("no such person")})
    person.introduced_by = found


@transaction.atomic
def person_create(
    *,
    actor: Any,
    channels: Iterable[Mapping[str, Any]] = (),
    tags: Iterable[str] = (),
    **fields: Any,
) -> Person:
    """Create a person in the actor's team, owned by the actor."""
    _reject_unknown(fields, PERSON_FIELDS)
    person = Person(team_id=actor.member.team_id, owner=actor)
    _resolve_introducer(actor, person, fields)
    for name, value in fields.items():
        setattr(person, name, "" if value is None and name in _TEXT_FIELDS else value)
    _validate_person(person)
    person.save()
    _set_channels(person, channels)
    _set_tags(person, tags)
    person_reindex(person)
    audit_record(
        actor=actor,
        team=person.team,
        action="person.create",
        obj=person,
        summary=person.display_name,
        private=_private(person),
        person=person,
    )
    return person


_TEXT_FIELDS = {
    "given_name",
    "family_name",
    "display_name",
    "romanised_name",
    "headline",
    "how_we_met",
    "notes",
}


@transaction.atomic
def person_update(
    *,
    actor: Any,
    person: Person,
    channels: Iterable[Mapping[str, Any]] | None = None,
    tags: Iterable[str] | None = None,
    **fields: Any,
) -> Person:
    """Change the given fields (and, if given, replace channels or tags) of a person."""
    _reject_unknown(fields, PERSON_FIELDS)
    if person.visibility == Visibility.PRIVATE and person.owner_id != actor.pk:
        raise ValidationError({"person": _("only the owner may change a private contact")})
    before = {name: _plain(getattr(person, name)) for name in fields if name != "introduced_by"}
    was_visibility = person.visibility
    _resolve_introducer(actor, person, fields)
    for name, value in fields.items():
        setattr(person, name, "" if value is None and name in _TEXT_FIELDS else value)
    _validate_person(person)
    person.save()
    if channels is not None:
        _set_channels(person, channels)
    if tags is not None:
        _set_tags(person, tags)
    person_reindex(person)
    if person.visibility != was_visibility:
        from rapport.commitments.services import commitments_refresh_visibility
        from rapport.interactions.services import interactions_refresh_visibility
        from rapport.trust.services import trust_records_refresh_visibility

        AuditEntry.objects.filter(person=person).update(
            private_to=person.owner if _private(person) else None
        )
        interactions_refresh_visibility(person=person)
        commitments_refresh_visibility(person=person)
        trust_records_refresh_visibility(person=person)
    changed = {
        name: [before[name], _plain(getattr(person, name))]
        for name in before
        if before[name] != _plain(getattr(person, name))
    }
    audit_record(
        actor=actor,
        team=person.team,
        action="person.update",
        obj=person,
        summary=person.display_name,
        changes=changed,
        private=_private(person),
        person=person,
    )
    return person


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool | float):
        return value
    return str(value)


@transaction.atomic
def person_delete(*, actor: Any, person: Person) -> None:
    """Delete a person and everything that hangs off them (roles, channels, facts)."""
    if person.visibility == Visibility.PRIVATE and person.owner_id != actor.pk:
        raise ValidationError({"person": _("only the owner may delete a private contact")})
    from rapport.accounts.models import Member

    if Member.objects.filter(person=person).exists():
        raise ValidationError({"person": _("this person is a team member and cannot be deleted")})
    audit_record(
        actor=actor,
        team=person.team,
        action="person.delete",
        obj=person,
        summary=person.display_name,
        private=_private(person),
        person=person,
    )
    person.delete()


def _reindex_people_of(organisation: Organisation) -> None:
    for person in Person.objects.filter(roles__organisation=organisation).distinct():
        person_reindex(person)


@transaction.atomic
def organisation_create(*, actor: Any, **fields: Any) -> Organisation:
    """Create an organisation in the actor's team."""
    _reject_unknown(fields, ORGANISATION_FIELDS)
    organisation = Organisation(team_id=actor.member.team_id, **fields)
    _validate_organisation(organisation)
    organisation.save()
    audit_record(
        actor=actor,
        team=organisation.team,
        action="organisation.create",
        obj=organisation,
        summary=organisation.name,
    )
    return organisation


def _validate_organisation(organisation: Organisation) -> None:
    organisation.name = (organisation.name or "").strip()
    organisation.full_clean(exclude=["team"], validate_unique=False)
    clash = Organisation.objects.filter(team_id=organisation.team_id, name=organisation.name)
    if organisation.pk:
        clash = clash.exclude(pk=organisation.pk)
    if clash.exists():
        raise ValidationError(
            {"name": _("an organisation called “%(name)s” exists") % {"name": organisation.name}}
        )


@transaction.atomic
def organisation_update(*, actor: Any, organisation: Organisation, **fields: Any) -> Organisation:
    """Change the given fields of an organisation; its people's search text follows a rename."""
    _reject_unknown(fields, ORGANISATION_FIELDS)
    before = {name: getattr(organisation, name) for name in fields}
    for name, value in fields.items():
        setattr(organisation, name, value)
    _validate_organisation(organisation)
    organisation.save()
    if {"name", "name_romanised"} & set(fields):
        _reindex_people_of(organisation)
    audit_record(
        actor=actor,
        team=organisation.team,
        action="organisation.update",
        obj=organisation,
        summary=organisation.name,
        changes={
            k: [v, getattr(organisation, k)]
            for k, v in before.items()
            if v != getattr(organisation, k)
        },
    )
    return organisation


@transaction.atomic
def organisation_delete(*, actor: Any, organisation: Organisation) -> None:
    """Delete an organisation and the roles in it (the people stay)."""
    people = list(Person.objects.filter(roles__organisation=organisation).distinct())
    audit_record(
        actor=actor,
        team=organisation.team,
        action="organisation.delete",
        obj=organisation,
        summary=organisation.name,
    )
    organisation.delete()
    for person in people:
        person_reindex(person)


def _validate_role(role: Role) -> None:
    if role.organisation.team_id != role.person.team_id:
        raise ValidationError({"organisation_id": _("no such organisation")})
    if role.started_on and role.ended_on and role.ended_on < role.started_on:
        raise ValidationError({"ended_on": _("a role cannot end before it starts")})
    role.full_clean(exclude=["person", "organisation"])


@transaction.atomic
def role_create(
    *,
    actor: Any,
    person: Person,
    organisation: Organisation | None = None,
    organisation_name: str = "",
    **fields: Any,
) -> Role:
    """Place a person in an organisation: the one given, else the team's organisation of
    that name (any case), else a new one by that name, created in the same transaction."""
    _reject_unknown(fields, ROLE_FIELDS)
    if organisation is None:
        name = organisation_name.strip()
        if not name:
            raise ValidationError({"organisation_name": _("name the organisation")})
        organisation = Organisation.objects.filter(
            team_id=person.team_id, name__iexact=name
        ).first() or organisation_create(actor=actor, name=name)
    role = Role(person=person, organisation=organisation, **fields)
    _validate_role(role)
    role.save()
    person_reindex(person)
    audit_record(
        actor=actor,
        team=person.team,
        action="role.create",
        obj=role,
        summary=str(role),
        private=_private(person),
        person=person,
    )
    return role


@transaction.atomic
def role_update(*, actor: Any, role: Role, **fields: Any) -> Role:
    _reject_unknown(fields, ROLE_FIELDS)
    for name, value in fields.items():
        setattr(role, name, value)
    _validate_role(role)
    role.save()
    audit_record(
        actor=actor,
        team=role.person.team,
        action="role.update",
        obj=role,
        private=_private(role.person),
        person=role.person,
    )
    return role


@transaction.atomic
def role_delete(*, actor: Any, role: Role) -> None:
    person = role.person
    audit_record(
        actor=actor,
        team=person.team,
        action="role.delete",
        obj=role,
        summary=str(role),
        private=_private(person),
        person=person,
    )
    role.delete()
    person_reindex(person)


@transaction.atomic
def fact_create(*, actor: Any, person: Person, **fields: Any) -> Fact:
    """Record a piece of common ground about a person."""
    _reject_unknown(fields, FACT_FIELDS)
    fact = Fact(person=person, created_by=actor, **fields)
    fact.value = (fact.value or "").strip()
    fact.full_clean(exclude=["person", "created_by"])
    fact.save()
    audit_record(
        actor=actor,
        team=person.team,
        action="fact.create",
        obj=fact,
        summary=f"{person.display_name}: {fact.get_category_display()}",
        private=_private(person),
        person=person,
    )
    return fact


@transaction.atomic
def fact_update(*, actor: Any, fact: Fact, **fields: Any) -> Fact:
    _reject_unknown(fields, FACT_FIELDS)
    for name, value in fields.items():
        setattr(fact, name, value)
    fact.value = (fact.value or "").strip()
    fact.full_clean(exclude=["person", "created_by"])
    fact.save()
    audit_record(
        actor=actor,
        team=fact.person.team,
        action="fact.update",
        obj=fact,
        private=_private(fact.person),
        person=fact.person,
    )
    return fact


@transaction.atomic
def fact_delete(*, actor: Any, fact: Fact) -> None:
    audit_record(
        actor=actor,
        team=fact.person.team,
        action="fact.delete",
        obj=fact,
        private=_private(fact.person),
        person=fact.person,
    )
    fact.delete()
