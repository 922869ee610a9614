"""What an import file says about one contact, before anything touches the database.

The parsers (vCard, CSV) turn each record of a file into a `ContactRecord`, or into a
`ParseError` that names the file, the record and the line, so the caller can choose to
abort the import or skip the record and report it. Plain frozen dataclasses, no Django.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

NameOrder = Literal["given_first", "family_first"]  # the values of Person.NameOrder
CalendarKind = Literal["solar", "lunar"]  # the values of Person.Calendar


@dataclass(frozen=True)
class Labelled:
    """An email address, phone number, web address or postal address with its label.

    `label` is lower case when it came from a standard type ("work", "home fax",
    "mobile") and as the user typed it when it was their own ("Shanghai office")."""

    value: str
    label: str = ""
    preferred: bool = False


@dataclass(frozen=True)
class SocialHandle:
    """An account on a network or messenger: `service` is a lower-case name such as
    "linkedin", "wechat", "twitter" or "skype"; `value` is the handle or profile URL."""

    service: str
    value: str
    label: str = ""


@dataclass(frozen=True)
class PartialDate:
    """A birthday or anniversary: month and day always, the year only when known.

    For a lunar date, month and day are in the Chinese calendar and `year` is the
    Gregorian year in which that lunar year began."""

    month: int
    day: int
    year: int | None = None
    calendar: CalendarKind = "solar"
    leap_month: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not between 1 and 12")
        if self.year is not None and not 1 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is not between 1 and 9999")
        if self.calendar == "lunar":
            last = 30
        elif self.year is None:
            last = 29 if self.month == 2 else calendar.monthrange(2001, self.month)[1]
        else:
            last = calendar.monthrange(self.year, self.month)[1]
        if not 1 <= self.day <= last:
            raise ValueError(f"day {self.day} does not exist in month {self.month}")
        if self.leap_month and self.calendar != "lunar":
            raise ValueError("only a lunar month can be a leap month")


@dataclass(frozen=True)
class Related:
    """Someone the contact is related to, by name: relation is "spouse", "child",
    "assistant", "referred by" or the user's own word."""

    name: str
    relation: str = ""


@dataclass(frozen=True)
class Photo:
    """A picture of the contact: the bytes and their MIME type, or only a web address."""

    data: bytes = b""
    mime: str = ""
    url: str = ""


@dataclass(frozen=True)
class ContactRecord:
    """One contact as a file gives it. `number` is the record's number in its file (the
    card's, counting from 1; in a CSV the row number a spreadsheet shows, the header
    being a row) and `line` the line it starts on. `birthday` is solar; a Chinese lunar birthday
    (Apple keeps one beside the solar one) is `lunar_birthday`. `warnings` say what
    could not be kept as it was (an unreadable date, a property Rapport has no place
    for), each naming its line."""

    source: str
    number: int
    line: int
    display_name: str
    given_name: str = ""
    family_name: str = ""
    name_order: NameOrder | None = None
    phonetic_given: str = ""
    phonetic_family: str = ""
    nickname: str = ""
    is_organisation: bool = False
    organisation: str = ""
    department: str = ""
    title: str = ""
    emails: tuple[Labelled, ...] = ()
    phones: tuple[Labelled, ...] = ()
    urls: tuple[Labelled, ...] = ()
    addresses: tuple[Labelled, ...] = ()
    social: tuple[SocialHandle, ...] = ()
    birthday: PartialDate | None = None
    lunar_birthday: PartialDate | None = None
    anniversary: PartialDate | None = None
    related: tuple[Related, ...] = ()
    note: str = ""
    how_we_met: str = ""
    photo: Photo | None = None
    categories: tuple[str, ...] = ()
    uid: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(kw_only=True)
class ContactDraft:
    """What a card or row has said so far, filled in by a reader and turned into a
    ContactRecord at its end (each reader adds what only its format has)."""

    given: str = ""
    family: str = ""
    display: str = ""
    nickname: str = ""
    phonetic_given: str = ""
    phonetic_family: str = ""
    organisation: str = ""
    department: str = ""
    title: str = ""
    emails: list[Labelled] = field(default_factory=list)
    phones: list[Labelled] = field(default_factory=list)
    urls: list[Labelled] = field(default_factory=list)
    addresses: list[Labelled] = field(default_factory=list)
    social: list[SocialHandle] = field(default_factory=list)
    birthday: PartialDate | None = None
    lunar_birthday: PartialDate | None = None
    anniversary: PartialDate | None = None
    related: list[Related] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    how_we_met: str = ""
    photo: Photo | None = None
    categories: list[str] = field(default_factory=list)
    uid: str = ""
    skipped: list[str] = field(default_factory=list)


class ParseError(ValueError):
    """A file or one record of it that cannot be read, with where and why.

    `record` is the record's number in the file (None for a problem with the whole
    file), `line` the line the problem is on, `unit` what a record is called in this
    format ("card", "row")."""

    def __init__(
        self, file: str, record: int | None, line: int | None, message: str, unit: str = "record"
    ) -> None:
        super().__init__(file, record, line, message, unit)
        self.file = file
        self.record = record
        self.line = line
        self.message = message
        self.unit = unit

    def __str__(self) -> str:
        where = [self.file]
        if self.record is not None:
            where.append(f"{self.unit} {self.record}")
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}"


def records_or_raise(results: Iterable[ContactRecord | ParseError]) -> Iterator[ContactRecord]:
    """The records of a parse, raising the first ParseError: for imports that abort
    on the first bad record rather than skip it."""
    for item in results:
        if isinstance(item, ParseError):
            raise item
        yield item
