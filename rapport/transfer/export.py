"""Exports of what one user may see: people as vCard 4.0 or CSV, everything as JSON, and
everything held about one person (a data-subject request).

Every read goes through the visibility queries of the apps (`visible_people`,
`visible_interactions`, ...), so a colleague's private contact, and anything that would
reveal one, never leaves in an export; another team's rows are never read at all.
Streams may be text or binary (written as UTF-8). Secrets are never exported: links
and surveys appear by their prefix, without the digest that opens them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from rapport.accounts.queries import team_audit
from rapport.commitments.models import Commitment, Decision, Meeting
from rapport.commitments.queries import visible_commitments
from rapport.interactions.models import Interaction, Participation
from rapport.interactions.queries import visible_interactions
from rapport.people.models import Channel, Fact, Person, Role
from rapport.people.queries import organisations, person_for, visible_people
from rapport.portal.queries import visible_share_links, visible_surveys
from rapport.transfer.records import ContactRecord, Labelled, PartialDate, Related, SocialHandle
from rapport.transfer.vcard import format_vcard
from rapport.trust.library import visible_claims, visible_evidence, visible_showings
from rapport.trust.models import TrustSnapshot
from rapport.trust.queries import trust_scores

FORMAT = "rapport-export"
VERSION = 1
CHUNK = 500
# Columns never exported: secrets' digests, and what is derived from other columns.
_NEVER = {"digest", "password", "search_text", "notes_html"}


def _writer(stream: IO[Any]) -> Callable[[str], Any]:
    if isinstance(stream, io.TextIOBase):
        return stream.write
    return lambda text: stream.write(text.encode("utf-8"))


def _people(actor: Any) -> QuerySet[Person]:
    """The people the actor may see, with everything a card or row of them shows."""
    return (
        visible_people(actor)
        .select_related("owner", "introduced_by")
        .prefetch_related(
            Prefetch("channels", queryset=Channel.objects.order_by("kind", "-is_primary", "id")),
            Prefetch(
                "roles",
                queryset=Role.objects.select_related("organisation").order_by(
                    "-is_decision_maker", "-influence", "id"
                ),
            ),
            Prefetch("facts", queryset=Fact.objects.order_by("category", "id")),
            "tags",
        )
        .order_by("display_name", "id")
    )


def _introducer(actor: Any, person: Person) -> Person | None:
    """Who introduced the person, unless that is a colleague's private contact."""
    introducer = person.introduced_by
    if introducer is None:
        return None
    if introducer.visibility == "team" or introducer.owner_id == actor.pk:
        return introducer
    return None


def _current_role(person: Person) -> Role | None:
    return next((r for r in person.roles.all() if r.ended_on is None), None)


def _birthday(person: Person) -> tuple[PartialDate | None, PartialDate | None]:
    """The (solar, lunar) birthday as the vCard writer takes it."""
    if person.birth_month is None or person.birth_day is None:
        return None, None
    lunar = person.birth_calendar == Person.Calendar.LUNAR
    try:
        date = PartialDate(
            month=person.birth_month,
            day=person.birth_day,
            year=person.birth_year,
            calendar="lunar" if lunar else "solar",
            leap_month=person.birth_leap_month and lunar,
        )
    except ValueError:  # a day the calendar does not have: not worth failing an export
        return None, None
    return (None, date) if lunar else (date, None)


def _phonetic(person: Person) -> tuple[str, str]:
    """The romanised name split as (given, family), the way an import composes it."""
    words = person.romanised_name.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], ""
    if person.name_order == Person.NameOrder.FAMILY_FIRST:
        return " ".join(words[1:]), words[0]
    return " ".join(words[:-1]), words[-1]


def _facts_text(person: Person) -> str:
    return "\n".join(f"{fact.get_category_display()}: {fact.value}" for fact in person.facts.all())


def contact_record(actor: Any, person: Person, number: int = 1) -> ContactRecord:
    """One visible person as a ContactRecord for the vCard writer."""
    by_kind: dict[str, list[Channel]] = {}
    for channel in person.channels.all():
        by_kind.setdefault(channel.kind, []).append(channel)

    def labelled(kind: str) -> tuple[Labelled, ...]:
        return tuple(
            Labelled(c.value, c.label, c.is_primary and n == 0)
            for n, c in enumerate(by_kind.get(kind, []))
        )

    social = tuple(
        SocialHandle(kind, c.value, c.label)
        for kind in (Channel.Kind.WECHAT, Channel.Kind.LINKEDIN, Channel.Kind.WHATSAPP)
        for c in by_kind.get(kind, [])
    ) + tuple(SocialHandle("other", c.value, c.label) for c in by_kind.get("other", []))
    role = _current_role(person)
    solar, lunar = _birthday(person)
    introducer = _introducer(actor, person)
    phonetic_given, phonetic_family = _phonetic(person)
    facts = _facts_text(person)
    note = "\n\n".join(part for part in (person.notes.strip(), facts) if part)
    return ContactRecord(
        source="rapport",
        number=number,
        line=0,
        display_name=person.display_name,
        given_name=person.given_name,
        family_name=person.family_name,
        name_order=person.name_order,  # type: ignore[arg-type]
        phonetic_given=phonetic_given,
        phonetic_family=phonetic_family,
        organisation=role.organisation.name if role else "",
        title=role.title if role else "",
        emails=labelled(Channel.Kind.EMAIL),
        phones=labelled(Channel.Kind.PHONE),
        urls=labelled(Channel.Kind.WEBSITE),
        addresses=labelled(Channel.Kind.ADDRESS),
        social=social,
        birthday=solar,
        lunar_birthday=lunar,
        related=(Related(introducer.display_name, "referred by"),) if introducer else (),
        note=note,
        how_we_met=person.how_we_met,
        categories=tuple(tag.name for tag in person.tags.all()),
        uid=f"rapport-{person.team_id}-{person.pk}",
    )


def export_people_vcard(actor: Any, stream: IO[Any]) -> int:
    """Write the people the actor may see as one vCard 4.0 file; return how many."""
    write = _writer(stream)
    count = 0
    for count, person in enumerate(_people(actor).iterator(chunk_size=CHUNK), start=1):
        write(format_vcard(contact_record(actor, person, count)))
    return count


CSV_HEADERS = (
    "Display name",
    "Given name",
    "Family name",
    "Name order",
    "Romanised name",
    "Headline",
    "Organisation",
    "Title",
    "Other organisations",
    "Emails",
    "Phones",
    "WeChat",
    "LinkedIn",
    "WhatsApp",
    "Websites",
    "Addresses",
    "Other channels",
    "Birthday",
    "Birthday calendar",
    "Lunar leap month",
    "Tags",
    "How we met",
    "Introduced by",
    "Contact cadence (days)",
    "Last interaction",
    "Owner",
    "Visibility",
    "Notes",
    "Common ground",
    "Created",
)
SEPARATOR = "; "  # between several values in one cell


def _birthday_text(person: Person) -> str:
    if person.birth_month is None or person.birth_day is None:
        return ""
    month_day = f"{person.birth_month:02d}-{person.birth_day:02d}"
    return f"{person.birth_year:04d}-{month_day}" if person.birth_year else f"--{month_day}"


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else ""


def person_row(actor: Any, person: Person) -> list[str]:
    """One visible person as a row under CSV_HEADERS."""
    by_kind: dict[str, list[str]] = {}
    for channel in person.channels.all():
        text = f"{channel.value} ({channel.label})" if channel.label else channel.value
        by_kind.setdefault(channel.kind, []).append(text)
    role = _current_role(person)
    others = [r for r in person.roles.all() if r is not role]
    introducer = _introducer(actor, person)

    def joined(kind: str) -> str:
        return SEPARATOR.join(by_kind.get(kind, []))

    return [
        person.display_name,
        person.given_name,
        person.family_name,
        person.name_order,
        person.romanised_name,
        person.headline,
        role.organisation.name if role else "",
        role.title if role else "",
        SEPARATOR.join(
            f"{r.title} @ {r.organisation.name}" if r.title else r.organisation.name for r in others
        ),
        joined(Channel.Kind.EMAIL),
        joined(Channel.Kind.PHONE),
        joined(Channel.Kind.WECHAT),
        joined(Channel.Kind.LINKEDIN),
        joined(Channel.Kind.WHATSAPP),
        joined(Channel.Kind.WEBSITE),
        joined(Channel.Kind.ADDRESS),
        joined(Channel.Kind.OTHER),
        _birthday_text(person),
        person.birth_calendar if person.birth_month else "",
        "yes" if person.birth_leap_month else "",
        SEPARATOR.join(tag.name for tag in person.tags.all()),
        person.how_we_met,
        introducer.display_name if introducer else "",
        str(person.contact_cadence_days or ""),
        _local(person.last_interaction_at),
        person.owner.get_username(),
        person.visibility,
        person.notes,
        _facts_text(person),
        _local(person.created_at),
    ]


def export_people_csv(actor: Any, stream: IO[Any]) -> int:
    """Write the people the actor may see as CSV, one row per person under a header
    row; UTF-8 with a byte order mark, so Excel shows Chinese names. Return how many."""
    write = _writer(stream)
    buffer = io.StringIO()
    sheet = csv.writer(buffer)

    def flush() -> None:
        write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()

    buffer.write("\ufeff")
    sheet.writerow(CSV_HEADERS)
    count = 0
    for count, person in enumerate(_people(actor).iterator(chunk_size=CHUNK), start=1):
        sheet.writerow(person_row(actor, person))
        if count % CHUNK == 0:
            flush()
    flush()
    return count


# -- JSON --------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    return value


class _Visible:
    """Which people the actor may see, so a reference to anyone else is left out."""

    def __init__(self, actor: Any) -> None:
        self.people = set(visible_people(actor).values_list("pk", flat=True))

    def plain(self, obj: models.Model, *, omit: Iterable[str] = ()) -> dict[str, Any]:
        """The row's own columns (foreign keys by id); a reference to a person the actor
        may not see is None; secrets and derived columns never appear."""
        skip = _NEVER | set(omit)
        result: dict[str, Any] = {}
        for field in obj._meta.concrete_fields:
            if field.name in skip or field.attname in skip:
                continue
            value = getattr(obj, field.attname)
            if field.is_relation and field.related_model is Person and value not in self.people:
                value = None
            result[field.attname] = _value(value)
        return result


def _person_dict(visible: _Visible, actor: Any, person: Person) -> dict[str, Any]:
    data = visible.plain(person)
    data["owner"] = person.owner.get_username()
    data["tags"] = [tag.name for tag in person.tags.all()]
    data["channels"] = [visible.plain(c, omit={"person"}) for c in person.channels.all()]
    data["roles"] = [
        {**visible.plain(r, omit={"person"}), "organisation_name": r.organisation.name}
        for r in person.roles.all()
    ]
    data["facts"] = [visible.plain(f, omit={"person"}) for f in person.facts.all()]
    return data


def _interactions(
    actor: Any, visible: _Visible, qs: QuerySet[Interaction]
) -> Iterator[dict[str, Any]]:
    qs = qs.select_related("owner").prefetch_related(
        Prefetch("participations", queryset=Participation.objects.order_by("person_id")),
        "signals",
        Prefetch("decisions", queryset=Decision.objects.order_by("id")),
    )
    for interaction in qs.order_by("occurred_at", "id").iterator(chunk_size=CHUNK):
        data = visible.plain(interaction)
        data["owner"] = interaction.owner.get_username()
        data["participants"] = [
            p.person_id for p in interaction.participations.all() if p.person_id in visible.people
        ]
        data["signals"] = [s.kind for s in interaction.signals.all()]
        data["decisions"] = [
            visible.plain(d, omit={"interaction"}) for d in interaction.decisions.all()
        ]
        yield data


def _meetings(visible: _Visible, interactions: QuerySet[Interaction]) -> Iterator[dict[str, Any]]:
    for meeting in Meeting.objects.filter(interaction__in=interactions).order_by("id"):
        yield visible.plain(meeting)


def _commitments(visible: _Visible, qs: QuerySet[Commitment]) -> Iterator[dict[str, Any]]:
    qs = qs.select_related("owner").prefetch_related("milestones", "risks", "renegotiations")
    for commitment in qs.order_by("made_at", "id").iterator(chunk_size=CHUNK):
        data = visible.plain(commitment)
        data["owner"] = commitment.owner.get_username()
        for name in ("milestones", "risks", "renegotiations"):
            data[name] = [
                visible.plain(row, omit={"commitment"})
                for row in getattr(commitment, name).order_by("id")
            ]
        yield data


def _plain_rows(
    visible: _Visible, qs: QuerySet[Any], **extra: Callable[[Any], Any]
) -> Iterator[dict[str, Any]]:
    for row in qs.order_by("pk").iterator(chunk_size=CHUNK):
        data = visible.plain(row)
        for name, compute in extra.items():
            data[name] = compute(row)
        yield data


def _snapshots(actor: Any, visible: _Visible) -> QuerySet[TrustSnapshot]:
    return TrustSnapshot.objects.filter(team_id=actor.member.team_id).filter(
        Q(organisation__isnull=False) | Q(person_id__in=visible_people(actor).values("pk"))
    )


def _sections(actor: Any) -> Iterator[tuple[str, Iterable[dict[str, Any]]]]:
    visible = _Visible(actor)
    interactions = visible_interactions(actor)
    yield "organisations", _plain_rows(visible, organisations(actor))
    yield (
        "people",
        (_person_dict(visible, actor, p) for p in _people(actor).iterator(chunk_size=CHUNK)),
    )
    yield "interactions", _interactions(actor, visible, interactions)
    yield "meetings", _meetings(visible, interactions)
    yield "commitments", _commitments(visible, visible_commitments(actor))
    yield "evidence", _plain_rows(visible, visible_evidence(actor))
    yield "evidence_shown", _plain_rows(visible, visible_showings(actor))
    yield "claims", _plain_rows(visible, visible_claims(actor))
    yield (
        "surveys",
        _plain_rows(
            visible,
            visible_surveys(actor).prefetch_related("answers"),
            answers=lambda s: [
                {"question": a.question, "answer": a.answer} for a in s.answers.all()
            ],
        ),
    )
    yield "trust_scores", _plain_rows(visible, trust_scores(actor))
    yield "trust_snapshots", _plain_rows(visible, _snapshots(actor, visible))
    yield "share_links", _plain_rows(visible, visible_share_links(actor))
    yield "audit", _plain_rows(visible, team_audit(actor))


def export_json(actor: Any, stream: IO[Any]) -> None:
    """Write everything the actor may see as one JSON document, section by section, one
    record per line: {"format": "rapport-export", "version": 1, "team": ..., "people": [...],
    ...}. Records refer to each other by id (a person's `id`, an interaction's
    `participants`)."""
    write = _writer(stream)
    head = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "exported_by": actor.get_username(),
        "team": actor.member.team.name,
    }
    write(json.dumps(head, ensure_ascii=False)[:-1])
    for name, records in _sections(actor):
        write(f',\n"{name}": [')
        for n, record in enumerate(records):
            write(("," if n else "") + "\n" + json.dumps(record, ensure_ascii=False))
        write("]")
    write("}\n")


# -- a data-subject request ------------------------------------------------------------


def person_data_export(actor: Any, person: Person) -> dict[str, Any]:
    """Everything held about one person that the actor may see, as plain JSON-ready data:
    the person with channels, roles, facts and tags, the interactions they took part in,
    promises made to them or by them, claims, evidence shown to them, surveys, trust
    score and its history, tracking links, and the audit entries about them.

    Raises Http404 if the actor may not see the person."""
    person = person_for(actor, person.pk)
    full = _people(actor).get(pk=person.pk)
    visible = _Visible(actor)
    introducer = _introducer(actor, full)
    interactions = visible_interactions(actor).filter(participations__person=full)
    commitments = visible_commitments(actor).filter(Q(person=full) | Q(promised_by=full))
    data: dict[str, Any] = {
        "format": "rapport-person-export",
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "exported_by": actor.get_username(),
        "team": actor.member.team.name,
        "person": _person_dict(visible, actor, full),
        "introduced_by": introducer.display_name if introducer else None,
        "introduced": [
            p.display_name for p in visible_people(actor).filter(introduced_by=full).order_by("id")
        ],
        "interactions": list(_interactions(actor, visible, interactions.distinct())),
        "commitments": list(_commitments(visible, commitments)),
        "claims": list(_plain_rows(visible, visible_claims(actor).filter(person=full))),
        "evidence_shown": list(
            _plain_rows(
                visible,
                visible_showings(actor).filter(person=full).select_related("evidence"),
                evidence_title=lambda s: s.evidence.title,
            )
        ),
        "surveys": list(
            _plain_rows(
                visible,
                visible_surveys(actor).filter(person=full).prefetch_related("answers"),
                answers=lambda s: [
                    {"question": a.question, "answer": a.answer} for a in s.answers.all()
                ],
            )
        ),
        "trust_scores": list(_plain_rows(visible, trust_scores(actor).filter(person=full))),
        "trust_snapshots": list(_plain_rows(visible, TrustSnapshot.objects.filter(person=full))),
        "share_links": list(_plain_rows(visible, visible_share_links(actor).filter(person=full))),
        "audit": list(
            _plain_rows(
                visible,
                team_audit(actor).filter(
                    Q(person=full) | Q(object_type="person", object_id=full.pk)
                ),
            )
        ),
    }
    return data
