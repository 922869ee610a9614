"""Contacts in CSV files: Google Contacts, Outlook and LinkedIn exports, or any other
CSV through a column mapping.

`open_contacts_csv` reads what it must up front (the text encoding, the delimiter,
LinkedIn's "Notes:" preamble, the header row, the format, the mapping's validity) and
raises a `ParseError` (or its kind `MappingError`) when the file cannot be read at all;
iterating the result streams the rows, each a `ContactRecord` or a `ParseError` naming
the file, row and line. `read_contacts_csv` does both and yields file-level errors too.

Row numbers are the ones a spreadsheet shows (the header row and any preamble rows
count); line numbers count physical lines, which differ when a cell holds line breaks.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, BinaryIO, Literal

from rapport.transfer import fields
from rapport.transfer.records import (
    ContactDraft,
    ContactRecord,
    Labelled,
    ParseError,
    PartialDate,
    Photo,
    Related,
    SocialHandle,
)
from rapport.transfer.sources import Source, byte_lines, open_binary, sniff_utf16, source_name

__all__ = [
    "MAPPABLE_FIELDS",
    "ContactsCsv",
    "CsvFormat",
    "MappingError",
    "detect_format",
    "open_contacts_csv",
    "read_contacts_csv",
]

UNIT = "row"
HEAD_BYTES = 64 * 1024
MAX_PREAMBLE_ROWS = 20
MAX_WARNINGS = 20

CsvFormat = Literal["google", "outlook", "linkedin", "mapped"]

# What a column of any other CSV can be mapped to. Fields marked "label" take an optional
# ":label" ("phone:mobile"); "social" needs its service ("social:wechat"); "related"
# takes an optional ":relation" ("related:spouse").
MAPPABLE_FIELDS: dict[str, str] = {
    "display_name": "the name to show",
    "given_name": "given (first) name",
    "middle_name": "middle name, added to the given name",
    "family_name": "family (last) name",
    "nickname": "nickname",
    "phonetic_given": "given name as pronounced (e.g. pinyin)",
    "phonetic_family": "family name as pronounced",
    "organisation": "company or organisation",
    "department": "department",
    "title": "job title",
    "email": "email address; email:label for a label",
    "phone": "phone number; phone:label for a label",
    "url": "web address; url:label for a label",
    "address": "postal address; address:label for a label",
    "social": "a handle on a network: social:service (social:wechat)",
    "birthday": "birthday (1985-04-15, --04-15, 15/04/1985...)",
    "lunar_birthday": "Chinese lunar birthday (1985-08-15 or --0815)",
    "anniversary": "anniversary",
    "related": "a related person's name; related:relation (related:spouse)",
    "note": "notes (several columns are joined)",
    "categories": "tags, separated by commas or semicolons (several columns allowed)",
    "how_we_met": "how we met",
    "photo_url": "web address of a photo",
    "uid": "the contact's id in the other system",
    "ignore": "a column to leave out",
}
_LABELLED = {"email", "phone", "url", "address", "related"}
_REPEATABLE = _LABELLED | {"social", "note", "categories", "ignore"}


class MappingError(ParseError):
    """A column mapping that does not fit the file, or a file that needs one.
    `columns` are the file's columns, for a form that lets the user map them."""

    def __init__(
        self, file: str, line: int | None, message: str, columns: tuple[str, ...] = ()
    ) -> None:
        super().__init__(file, None, line, message, UNIT)
        self.columns = columns

    def __reduce__(self) -> tuple[Any, ...]:
        # As it was made: it may be read in another process (rapport.transfer.pipeline).
        return (type(self), (self.file, self.line, self.message, self.columns))


# -- recognising the exports --------------------------------------------------------

_REPEATING = re.compile(
    r"^(E-mail|Phone|Address|Website|Relation|Event|IM|Custom Field|Organization) (\d+) - "
    r"(.+)$"
)


def detect_format(columns: tuple[str, ...] | list[str]) -> CsvFormat | None:
    """Which export a header row comes from, or None if it is none we know."""
    names = {c.strip() for c in columns}
    if {"First Name", "Last Name", "Connected On"} <= names:
        return "linkedin"
    if {"Given Name", "Family Name", "Group Membership"} <= names:
        return "google"  # the format Google exported until 2023
    if {"First Name", "Last Name", "Labels"} <= names and any(_REPEATING.match(n) for n in names):
        return "google"
    outlook_marks = {"E-mail Address", "Business Phone", "Mobile Phone", "Job Title", "Company"}
    if {"First Name", "Last Name"} <= names and len(outlook_marks & names) >= 3:
        return "outlook"
    return None


# -- opening: encoding, delimiter, header --------------------------------------------


def _detect_encoding(head: bytes, file: str) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    utf16 = sniff_utf16(head)
    if utf16:
        return utf16
    for encoding in ("utf-8", "gb18030"):
        try:
            # Not final: the head may end inside a character.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ParseError(
        file,
        None,
        None,
        "cannot tell this file's text encoding (it is not UTF-8, UTF-16 or GB18030); "
        "save it as “CSV UTF-8” or name its encoding",
        UNIT,
    )


def _named_encoding(file: str, encoding: str) -> str:
    """The codec's own name for an encoding the caller named, if we can read it."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ParseError(file, None, None, f"unknown encoding “{encoding}”", UNIT) from None
    # Lines are split on the LF byte, which UTF-16 aside needs an ASCII-compatible codec.
    if not name.startswith("utf-16") and "\n,a".encode(name, "replace") != b"\n,a":
        raise ParseError(file, None, None, f"cannot read CSV files in {name}", UNIT)
    return name


def _detect_delimiter(head: bytes, encoding: str) -> str:
    text = head.decode(encoding, "ignore")
    # Count outside quotes; a field's commas must not outvote the row's semicolons.
    text = re.sub(r'"[^"]*"', "", text)
    counts = {delimiter: text.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Lines:
    """The file's lines as text for csv.reader, decoded one at a time, so that a line
    not in the file's encoding spoils only the row that holds it: it is decoded with
    replacement characters and noted, and that row is reported instead of read."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        utf16 = encoding if encoding.startswith("utf-16") else None
        self._codec = "utf-8" if utf16 or encoding == "utf-8-sig" else encoding
        self._lines = byte_lines(stream, utf16=utf16)
        self._encoding = encoding
        self._problems: dict[int, str] = {}
        self.number = 0  # lines handed out so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        if line is None:
            self._problems[self.number] = f"line {self.number} is longer than 16 MB"
            return "\n"
        try:
            return line.decode(self._codec) + "\n"
        except UnicodeDecodeError:
            self._problems[self.number] = (
                f"line {self.number} is not {self._encoding} text like the rest of the file"
            )
            return line.decode(self._codec, "replace") + "\n"

    def close(self) -> None:
        self._lines.close()

    def problem_in(self, first: int, last: int) -> str | None:
        """The first problem noted on lines first..last; those are then forgotten."""
        if not self._problems:
            return None
        found = sorted(n for n in self._problems if first <= n <= last)
        messages = [self._problems.pop(n) for n in found]
        return messages[0] if messages else None

    def forget_problems(self) -> None:
        self._problems.clear()


@dataclass
class _Plan:
    """How to turn a row into a record: the format and the column positions."""

    format: CsvFormat
    columns: tuple[str, ...]
    mapping: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (field, arg)


def _validate_mapping(
    file: str, line: int, columns: tuple[str, ...], mapping: Mapping[str, str]
) -> dict[int, tuple[str, str]]:
    stripped = [c.strip() for c in columns]
    folded = [c.casefold() for c in stripped]
    plan: dict[int, tuple[str, str]] = {}
    used: dict[str, str] = {}
    for column, target in mapping.items():
        name = column.strip()
        if name in stripped:
            index = stripped.index(name)
        elif folded.count(name.casefold()) == 1:
            index = folded.index(name.casefold())
        else:
            close = difflib.get_close_matches(name, stripped, n=1)
            hint = f" (did you mean “{close[0]}”?)" if close else ""
            raise MappingError(
                file,
                line,
                f"the mapping names a column “{column}” that this file does not have{hint}; "
                f"its columns are: {', '.join(stripped)}",
                columns,
            )
        base, _colon, arg = str(target).strip().partition(":")
        base, arg = base.strip().lower(), arg.strip()
        if base not in MAPPABLE_FIELDS:
            raise MappingError(
                file,
                line,
                f"column “{column}” is mapped to “{target}”, which is not a field; "
                f"the fields are: {', '.join(MAPPABLE_FIELDS)}",
                columns,
            )
        if base == "social" and not arg:
            raise MappingError(
                file,
                line,
                f"column “{column}”: social needs its service, as in social:wechat",
                columns,
            )
        if arg and base not in _LABELLED and base != "social":
            raise MappingError(
                file, line, f"column “{column}”: {base} takes no “:{arg}” part", columns
            )
        if base not in _REPEATABLE and base in used:
            raise MappingError(
                file,
                line,
                f"{base} is mapped from two columns, “{used[base]}” and “{column}”",
                columns,
            )
        used[base] = column
        plan[index] = (base, arg)
    if not plan:
        raise MappingError(file, line, "the column mapping is empty", columns)
    return plan


class ContactsCsv:
    """An open CSV of contacts: its format, columns and encoding are known; iterate it
    for its rows as ContactRecords or ParseErrors. Close it (or use `with`) when done."""

    def __init__(
        self,
        *,
        file: str,
        encoding: str,
        delimiter: str,
        plan: _Plan,
        header_row: int,
        header_line: int,
        reader: Iterator[list[str]],
        lines: _Lines,
        closer: contextlib.ExitStack,
        day_first: bool | None,
    ) -> None:
        self.file = file
        self.encoding = encoding
        self.delimiter = delimiter
        self.format: CsvFormat = plan.format
        self.columns = plan.columns
        self.header_row = header_row
        self.header_line = header_line
        self._plan = plan
        self._reader = reader
        self._lines = lines
        self._closer = closer
        self._day_first = day_first
        self._started = False

    def __iter__(self) -> Iterator[ContactRecord | ParseError]:
        if self._started:
            raise RuntimeError("a ContactsCsv can be read only once")
        self._started = True
        try:
            yield from self._rows()
        finally:
            self.close()

    def close(self) -> None:
        self._closer.close()

    def __enter__(self) -> ContactsCsv:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _rows(self) -> Iterator[ContactRecord | ParseError]:
        row_number = self.header_row
        build = _BUILDERS[self._plan.format]
        while True:
            start_line = self._lines.number + 1
            row_number += 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield ParseError(self.file, row_number, start_line, f"unreadable CSV: {exc}", UNIT)
                continue
            except UnicodeDecodeError:  # only UTF-16 is decoded ahead of the rows
                yield ParseError(
                    self.file,
                    row_number,
                    start_line,
                    f"the text stops being {self.encoding} here; reading stopped",
                    UNIT,
                )
                return
            problem = self._lines.problem_in(start_line, self._lines.number)
            if problem:
                yield ParseError(self.file, row_number, start_line, problem, UNIT)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            row = _Row(self.file, row_number, start_line, self._day_first)
            try:
                if len(cells) > len(self.columns) and any(
                    c.strip() for c in cells[len(self.columns) :]
                ):
                    row.warn(
                        f"{len(cells) - len(self.columns)} cells beyond the last column ignored"
                    )
                build(self._plan, cells, row)
                yield row.finish()
            except _RowError as exc:
                yield ParseError(self.file, row_number, start_line, exc.message, UNIT)
            except Exception as exc:  # a bug here must cost one row, not the whole import
                yield ParseError(
                    self.file,
                    row_number,
                    start_line,
                    f"unexpected problem reading this row: {exc!r}",
                    UNIT,
                )


def open_contacts_csv(
    source: Source,
    *,
    name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    day_first: bool | None = None,
) -> ContactsCsv:
    """Open a CSV of contacts and read its header.

    `source` is a path, the file's bytes, or an open binary file (left open). Without a
    `mapping` the file must be a Google Contacts, Outlook or LinkedIn export; with one
    (column header -> field of MAPPABLE_FIELDS, e.g. {"Mobile": "phone:mobile"}) any CSV
    is read through it. The encoding is detected (UTF-8 with or without BOM, UTF-16,
    else GB18030 as Chinese Excel writes) unless `encoding` names it. Dates like
    04/05/1985 are read month first unless `day_first` is True (a day over 12 decides
    by itself). Raises ParseError when the file cannot be read and MappingError when
    the mapping does not fit it or an unrecognised file has none."""
    file = source_name(source, name)
    stack = contextlib.ExitStack()
    try:
        head, stream = stack.enter_context(open_binary(source, HEAD_BYTES))
        encoding = _named_encoding(file, encoding) if encoding else _detect_encoding(head, file)
        return _open(file, stream, head, encoding, mapping, day_first, stack)
    except OSError as exc:
        stack.close()
        raise ParseError(
            file, None, None, f"cannot read the file: {exc.strerror or exc}", UNIT
        ) from exc
    except BaseException:
        stack.close()
        raise


def _open(
    file: str,
    stream: BinaryIO,
    head: bytes,
    encoding: str,
    mapping: Mapping[str, str] | None,
    day_first: bool | None,
    stack: contextlib.ExitStack,
) -> ContactsCsv:
    delimiter = _detect_delimiter(head, encoding)
    lines = _Lines(stream, encoding)
    stack.callback(lines.close)  # before the file closes: callbacks run last-in first-out
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    first: tuple[str, ...] | None = None
    first_line = 0
    row_number = 0
    try:
        while row_number < MAX_PREAMBLE_ROWS:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            row_number += 1
            if not any(c.strip() for c in cells):
                continue
            columns = tuple(c.strip() for c in cells)
            if first is None:
                first, first_line = columns, line
            if mapping:
                try:
                    plan = _Plan("mapped", columns, _validate_mapping(file, line, columns, mapping))
                except MappingError:
                    continue
            else:
                detected = detect_format(columns)
                if detected is None:
                    continue
                plan = _Plan(detected, columns)
            lines.forget_problems()  # of preamble rows; the header row read well enough
            return ContactsCsv(
                file=file,
                encoding=encoding,
                delimiter=delimiter,
                plan=plan,
                header_row=row_number,
                header_line=line,
                reader=reader,
                lines=lines,
                closer=stack,
                day_first=day_first,
            )
    except csv.Error as exc:
        raise ParseError(
            file, row_number + 1, reader.line_num, f"unreadable CSV: {exc}", UNIT
        ) from exc
    except UnicodeDecodeError as exc:
        raise ParseError(
            file, None, lines.number + 1, f"this file is not {encoding} text", UNIT
        ) from exc
    if first is None:
        raise ParseError(file, None, None, "this file is empty: it has no header row", UNIT)
    if mapping:
        # No row fits the mapping: say why it does not fit the first, the likeliest header.
        _validate_mapping(file, first_line, first, mapping)
    raise MappingError(
        file,
        first_line,
        "this is not a Google Contacts, Outlook or LinkedIn export; "
        "map its columns to Rapport's fields",
        first,
    )


def read_contacts_csv(
    source: Source,
    *,
    name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    day_first: bool | None = None,
) -> Iterator[ContactRecord | ParseError]:
    """Each row of a CSV of contacts as a ContactRecord or a ParseError; a file that
    cannot be read at all gives one ParseError. Arguments as for open_contacts_csv."""
    try:
        opened = open_contacts_csv(
            source, name=name, mapping=mapping, encoding=encoding, day_first=day_first
        )
    except ParseError as exc:
        yield exc
        return
    yield from opened


# -- one row -------------------------------------------------------------------------


class _RowError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Row(ContactDraft):
    """What a row has said so far; becomes a ContactRecord at the end."""

    file: str
    number: int
    line: int
    day_first: bool | None
    middle: str = ""
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)

    def date(self, column: str, value: str) -> PartialDate | None:
        try:
            date, note = fields.parse_date(value, day_first=self.day_first)
        except fields.DateProblem as exc:
            self.warn(f"{column}: {exc}; not imported")
            return None
        if note:
            self.warn(f"{column}: {note}")
        return date

    def add_category(self, value: str) -> None:
        value = fields.single_line(value).removeprefix("* ")
        if value and value.casefold() not in ("mycontacts", "my contacts"):
            self.categories.append(value)

    def finish(self) -> ContactRecord:
        given = " ".join(p for p in (self.given, self.middle) if p)
        display, order, warning = fields.display_for(
            display=self.display,
            given=given,
            family=self.family,
            fallbacks=[
                ("organisation", self.organisation),
                ("nickname", self.nickname),
                ("email address", self.emails[0].value if self.emails else ""),
                ("phone number", self.phones[0].value if self.phones else ""),
            ],
        )
        if not display:
            raise _RowError("this row has no name, organisation, email or phone")
        warnings = list(self.warnings)
        if warning:
            warnings.append(warning)
        if self.skipped:
            warnings.append("not imported: " + ", ".join(self.skipped[:15]))
        return ContactRecord(
            source=self.file,
            number=self.number,
            line=self.line,
            display_name=display,
            given_name=given,
            family_name=self.family,
            name_order=order,
            phonetic_given=self.phonetic_given,
            phonetic_family=self.phonetic_family,
            nickname=self.nickname,
            organisation=self.organisation,
            department=self.department,
            title=self.title,
            emails=tuple(self.emails),
            phones=tuple(self.phones),
            urls=tuple(self.urls),
            addresses=tuple(self.addresses),
            social=tuple(self.social),
            birthday=self.birthday,
            lunar_birthday=self.lunar_birthday,
            anniversary=self.anniversary,
            related=tuple(self.related),
            note="\n\n".join(self.notes).replace("\r\n", "\n").replace("\r", "\n"),
            how_we_met=self.how_we_met,
            photo=self.photo,
            categories=tuple(self.categories),
            uid=self.uid,
            warnings=tuple(warnings),
        )


def _cells(plan: _Plan, cells: list[str]) -> dict[str, str]:
    """Column name -> stripped value, for the non-empty cells of a row."""
    out: dict[str, str] = {}
    for column, value in zip(plan.columns, cells, strict=False):
        value = value.strip()
        if value and column not in out:
            out[column] = value
    return out


def _one_line(text: str) -> str:
    return ", ".join(fields.single_line(line) for line in text.splitlines() if line.strip())


# Labels Google writes in English whatever the user's language: lower-cased like vCard
# types; anything else is the user's own label and stays as typed.
_GOOGLE_LABELS = frozenset(
    {
        "home",
        "work",
        "mobile",
        "other",
        "main",
        "home fax",
        "work fax",
        "other fax",
        "pager",
        "google voice",
        "work mobile",
        "work pager",
        "spouse",
        "child",
        "mother",
        "father",
        "parent",
        "brother",
        "sister",
        "friend",
        "relative",
        "domestic partner",
        "manager",
        "assistant",
        "referred by",
        "partner",
        "anniversary",
        "birthday",
        "blog",
        "profile",
        "home page",
        "homepage",
        "ftp",
    }
)


def _google_label(raw: str) -> tuple[str, bool]:
    """('work', True) from '* Work': the star marks the primary one."""
    raw = raw.strip()
    preferred = raw.startswith("*")
    label = fields.single_line(raw.lstrip("* "))
    if label.casefold() in _GOOGLE_LABELS:
        label = label.casefold()
    return label, preferred


_GOOGLE_QUIET = frozenset(
    {"Name Prefix", "Name Suffix", "File As", "Initials", "Short Name", "Yomi Name"}
)


def _google(plan: _Plan, cells: list[str], row: _Row) -> None:
    values = _cells(plan, cells)
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for column, value in values.items():
        match = _REPEATING.match(column)
        if match:
            kind, number, part = match.groups()
            groups.setdefault((kind, number), {})[part] = value
            continue
        if column in ("First Name", "Given Name"):
            row.given = fields.single_line(value)
        elif column in ("Middle Name", "Additional Name"):
            row.middle = fields.single_line(value)
        elif column in ("Last Name", "Family Name"):
            row.family = fields.single_line(value)
        elif column == "Name":
            row.display = fields.single_line(value)
        elif column == "Nickname":
            row.nickname = fields.single_line(value)
        elif column in ("Phonetic First Name", "Given Name Yomi"):
            row.phonetic_given = fields.single_line(value)
        elif column in ("Phonetic Last Name", "Family Name Yomi"):
            row.phonetic_family = fields.single_line(value)
        elif column == "Organization Name":
            row.organisation = fields.single_line(value)
        elif column == "Organization Title":
            row.title = fields.single_line(value)
        elif column == "Organization Department":
            row.department = fields.single_line(value)
        elif column == "Birthday":
            row.birthday = row.date(column, value)
        elif column == "Notes":
            row.notes.append(value)
        elif column == "Photo":
            row.photo = Photo(url=value)
        elif column in ("Labels", "Group Membership"):
            for category in value.split(":::"):
                row.add_category(category)
        elif column not in _GOOGLE_QUIET and not column.endswith("Yomi"):
            row.skipped.append(column)
    for (kind, _number), parts in groups.items():
        _google_group(kind, parts, row)


def _google_group(kind: str, parts: dict[str, str], row: _Row) -> None:
    label, preferred = _google_label(parts.get("Label") or parts.get("Type") or "")
    items = [v.strip() for v in parts.get("Value", "").split(":::") if v.strip()]
    # The star marks the group holding the primary value: the first of the group.
    if kind == "E-mail":
        row.emails.extend(Labelled(v, label, preferred and i == 0) for i, v in enumerate(items))
    elif kind == "Phone":
        row.phones.extend(Labelled(v, label, preferred and i == 0) for i, v in enumerate(items))
    elif kind == "Website":
        row.urls.extend(Labelled(v, label, preferred and i == 0) for i, v in enumerate(items))
    elif kind == "Address":
        formatted = parts.get("Formatted", "")
        if not formatted:
            keys = ("Street", "Extended Address", "PO Box", "City", "Region", "Postal Code")
            formatted = "\n".join(parts[k] for k in (*keys, "Country") if parts.get(k))
        for address in formatted.split(":::"):
            if address.strip():
                row.addresses.append(Labelled(_one_line(address), label, preferred))
    elif kind == "Relation":
        row.related.extend(Related(fields.single_line(v), label) for v in items)
    elif kind == "Event":
        for value in items:
            date = row.date(f"event “{label or 'other'}”", value)
            if date is None:
                continue
            if label == "anniversary":
                row.anniversary = row.anniversary or date
            elif label == "birthday":
                row.birthday = row.birthday or date
            else:
                row.warn(f"date “{label or 'other'}” {value} not imported")
    elif kind == "IM":
        service = fields.service_name(parts.get("Service") or label or "im")
        row.social.extend(SocialHandle(service, v, label) for v in items)
    elif kind == "Organization":  # the format before 2023: Organization 1 - Name ...
        row.organisation = row.organisation or fields.single_line(parts.get("Name", ""))
        row.title = row.title or fields.single_line(parts.get("Title", ""))
        row.department = row.department or fields.single_line(parts.get("Department", ""))
    elif kind == "Custom Field" and items:
        row.warn(f"custom field “{label}” not imported: {items[0][:60]}")


_OUTLOOK_PHONES = {
    "Primary Phone": "main",
    "Business Phone": "work",
    "Business Phone 2": "work",
    "Home Phone": "home",
    "Home Phone 2": "home",
    "Mobile Phone": "mobile",
    "Other Phone": "other",
    "Business Fax": "work fax",
    "Home Fax": "home fax",
    "Other Fax": "other fax",
    "Pager": "pager",
    "Car Phone": "car",
    "Company Main Phone": "company main",
    "Assistant's Phone": "assistant",
    "Callback": "callback",
    "ISDN": "isdn",
    "Radio Phone": "radio",
    "Telex": "telex",
    "TTY/TDD Phone": "textphone",
}
_OUTLOOK_ADDRESS_PARTS = (
    "Street",
    "Street 2",
    "Street 3",
    "Address PO Box",
    "City",
    "State",
    "Postal Code",
    "Country/Region",
    "Country",
)
_OUTLOOK_ADDRESSES = {"Business": "work", "Home": "home", "Other": "other"}
_OUTLOOK_RELATED = {
    "Spouse": "spouse",
    "Manager's Name": "manager",
    "Assistant's Name": "assistant",
    "Referred By": "referred by",
}
# Columns Outlook fills for everyone ("Normal", "Unspecified") or that repeat others.
_OUTLOOK_QUIET = frozenset(
    {
        "Title",
        "Suffix",
        "Initials",
        "Priority",
        "Sensitivity",
        "Private",
        "Gender",
        "E-mail Type",
        "E-mail Display Name",
        "E-mail 2 Type",
        "E-mail 2 Display Name",
        "E-mail 3 Type",
        "E-mail 3 Display Name",
        "Company Yomi",
        "Given Yomi",
        "Surname Yomi",
    }
)


def _outlook(plan: _Plan, cells: list[str], row: _Row) -> None:
    values = _cells(plan, cells)
    addresses: dict[str, dict[str, str]] = {}
    for column, value in values.items():
        prefix, _space, part = column.partition(" ")
        if prefix in _OUTLOOK_ADDRESSES and part in _OUTLOOK_ADDRESS_PARTS:
            addresses.setdefault(prefix, {})[part] = value
        elif column == "First Name":
            row.given = fields.single_line(value)
        elif column == "Middle Name":
            row.middle = fields.single_line(value)
        elif column == "Last Name":
            row.family = fields.single_line(value)
        elif column == "Nickname":
            row.nickname = fields.single_line(value)
        elif column == "Given Yomi":
            row.phonetic_given = fields.single_line(value)
        elif column == "Surname Yomi":
            row.phonetic_family = fields.single_line(value)
        elif column == "Company":
            row.organisation = fields.single_line(value)
        elif column == "Department":
            row.department = fields.single_line(value)
        elif column == "Job Title":
            row.title = fields.single_line(value)
        elif column in ("E-mail Address", "E-mail 2 Address", "E-mail 3 Address"):
            if "@" in value:
                row.emails.append(Labelled(value, "", column == "E-mail Address"))
            else:  # an Exchange directory entry (/o=ExchangeLabs/...), not an address
                row.warn(f"{column} “{value[:40]}” is not an email address; not imported")
        elif column in _OUTLOOK_PHONES:
            row.phones.append(Labelled(value, _OUTLOOK_PHONES[column], column == "Primary Phone"))
        elif column == "Web Page":
            row.urls.append(Labelled(value))
        elif column == "Personal Web Page":
            row.urls.append(Labelled(value, "personal"))
        elif column in ("IMAddress", "IM Address"):
            row.social.append(SocialHandle("im", value))
        elif column == "Birthday":
            row.birthday = row.date(column, value)
        elif column == "Anniversary":
            row.anniversary = row.date(column, value)
        elif column == "Notes":
            row.notes.append(value)
        elif column == "Categories":
            for category in re.split(r"[;,]", value):
                row.add_category(category)
        elif column in _OUTLOOK_RELATED:
            row.related.append(Related(fields.single_line(value), _OUTLOOK_RELATED[column]))
        elif column == "Children":
            for child in re.split(r"[;,]", value):
                if child.strip():
                    row.related.append(Related(fields.single_line(child), "child"))
        elif column not in _OUTLOOK_QUIET:
            row.skipped.append(column)
    for prefix, parts in addresses.items():
        order = [p for p in _OUTLOOK_ADDRESS_PARTS if parts.get(p)]
        value = ", ".join(_one_line(parts[p]) for p in order)
        if value:
            row.addresses.append(Labelled(value, _OUTLOOK_ADDRESSES[prefix]))


def _linkedin(plan: _Plan, cells: list[str], row: _Row) -> None:
    values = _cells(plan, cells)
    for column, value in values.items():
        if column == "First Name":
            row.given = fields.single_line(value)
        elif column == "Last Name":
            row.family = fields.single_line(value)
        elif column == "URL":
            row.social.append(SocialHandle("linkedin", value))
        elif column in ("Email Address", "E-mail Address"):
            row.emails.append(Labelled(value))
        elif column == "Company":
            row.organisation = fields.single_line(value)
        elif column == "Position":
            row.title = fields.single_line(value)
        elif column == "Connected On":
            row.how_we_met = f"Connected on LinkedIn on {value}"
        else:
            row.skipped.append(column)


def _mapped(plan: _Plan, cells: list[str], row: _Row) -> None:
    for index, (name, arg) in plan.mapping.items():
        if index >= len(cells):
            continue
        value = cells[index].strip()
        if not value or name == "ignore":
            continue
        column = plan.columns[index]
        if name in ("email", "phone", "url"):
            target = {"email": row.emails, "phone": row.phones, "url": row.urls}[name]
            target.extend(Labelled(v.strip(), arg) for v in re.split(r"[;\n]", value) if v.strip())
        elif name == "address":
            row.addresses.append(Labelled(_one_line(value), arg))
        elif name == "social":
            row.social.append(SocialHandle(fields.service_name(arg), value))
        elif name == "related":
            row.related.append(Related(fields.single_line(value), arg))
        elif name in ("birthday", "anniversary"):
            setattr(row, name, row.date(column, value))
        elif name == "lunar_birthday":
            try:
                row.lunar_birthday = fields.lunar_from_apple(value)
            except fields.DateProblem as exc:
                row.warn(f"{column}: {exc}; not imported")
        elif name == "note":
            row.notes.append(value)
        elif name == "categories":
            for category in re.split(r"[;,，、]", value):
                row.add_category(category)
        elif name == "photo_url":
            row.photo = Photo(url=value)
        elif name == "how_we_met":
            row.how_we_met = value
        else:
            attribute = {"display_name": "display", "given_name": "given"}.get(name, name)
            attribute = {"middle_name": "middle", "family_name": "family"}.get(name, attribute)
            setattr(row, attribute, fields.single_line(value))


_BUILDERS: dict[CsvFormat, Callable[[_Plan, list[str], _Row], None]] = {
    "google": _google,
    "outlook": _outlook,
    "linkedin": _linkedin,
    "mapped": _mapped,
}
