"""vCard files: read 2.1, 3.0 and 4.0 as address books export them; write 4.0.

Reading streams the file card by card: we split on BEGIN:VCARD / END:VCARD ourselves,
keeping line numbers, unfold each card's lines and hand each property's parameter list
to vobject's parser. Each card becomes a `ContactRecord` or a `ParseError` naming the
file, card and line; the caller decides whether an error aborts the import.

Why not `vobject.readOne` on each card's text: it builds an object per property
(about 1,000 cards/s, a tenth of what an import needs); its line pattern backtracks
exponentially on a malformed parameter list (`X;a=b,b,b,...` without a colon takes
seconds at 20 commas); and its text decoding keeps only what precedes the first
unescaped comma, which cuts Outlook's unescaped notes and vCard 4.0 `data:` photos.
So a linear pattern of our own splits each line into group, name, parameters and value,
vobject's `parseParams` splits the parameters (quoted values, vCard 2.1's bare TYPE
values), and the values are decoded here: quoted-printable in any CHARSET, then the
escapes of the card's version.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from vobject.base import parseParams

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
from rapport.transfer.sources import MAX_LINE_BYTES, Source, byte_blocks, open_binary, sniff_utf16
from rapport.transfer.sources import source_name as _source_name

UNIT = "card"
MAX_CARD_BYTES = MAX_LINE_BYTES
MAX_WARNINGS = 20

__all__ = ["format_vcard", "iter_vcards", "read_vcards", "write_vcards"]


# -- splitting a file into cards ---------------------------------------------------


@dataclass
class _Card:
    number: int
    line: int  # of BEGIN:VCARD; the body starts on the next line
    parts: list[bytes] = field(default_factory=list)  # the body, as read block by block
    size: int = 0
    problem: ParseError | None = None

    def body(self) -> bytes:
        """The lines between BEGIN and END, joined by LF, without a final LF."""
        return b"".join(self.parts)[:-1]


# BEGIN:VCARD or END:VCARD on a line of its own, in any case, trailing blanks allowed. It
# must start in the first column: an indented line continues a folded value.
_BOUNDARY = re.compile(rb"^(BEGIN|END):VCARD[ \t]*$", re.IGNORECASE | re.MULTILINE)


def read_vcards(
    source: Source, *, name: str | None = None, fallback_encoding: str = "gb18030"
) -> Iterator[ContactRecord | ParseError]:
    """Each card of a vCard file, in order, as a ContactRecord or a ParseError.

    `source` is a path, the file's bytes, or an open binary file (left open).
    `name` is the file name errors show (default: the path's base name).
    Text that is neither UTF-8 nor in its declared CHARSET is read as
    `fallback_encoding` (GB18030 by default, as old Chinese phones wrote it), with a
    warning on the record. Never raises for bad content: a malformed card, text outside
    any card, a file with no card at all, all come out as ParseErrors."""
    file = _source_name(source, name)
    try:
        codecs.lookup(fallback_encoding)
    except LookupError:
        yield ParseError(file, None, None, f"unknown fallback encoding “{fallback_encoding}”")
        return
    try:
        with open_binary(source) as (head, stream):
            yield from _cards(file, byte_blocks(stream, utf16=sniff_utf16(head)), fallback_encoding)
    except OSError as exc:
        yield ParseError(file, None, None, f"cannot read the file: {exc.strerror or exc}")


def _cards(
    file: str, blocks: Iterator[bytes | None], fallback: str
) -> Iterator[ContactRecord | ParseError]:
    """Split the file into cards and read each. Blocks hold whole lines; boundaries
    are found by one regular expression scan per block and lines are counted, not
    visited, so splitting costs little next to reading the cards."""
    card: _Card | None = None
    memos: _Memos = {True: {}, False: {}}
    count = 0
    stray: tuple[int, bytes] | None = None  # first line and text of a run outside any card
    lines_before = 0  # lines of the file before the current block

    def outside(text: bytes, first_line: int) -> None:
        nonlocal stray
        if stray is None and text.strip():
            offset = len(text) - len(text.lstrip())
            line = first_line + text.count(b"\n", 0, offset)
            stray = (line, text[offset:].split(b"\n", 1)[0][:60])

    def inside(card: _Card, text: bytes) -> None:
        if card.problem is None and text:
            card.size += len(text)
            card.parts.append(text)
            if card.size > MAX_CARD_BYTES:
                card.problem = ParseError(
                    file, card.number, card.line, "this card is larger than 16 MB", UNIT
                )
                card.parts = []

    try:
        for block in blocks:
            if block is None:  # a line too long to hold
                lines_before += 1
                if card is None:
                    outside(b"(a line longer than 16 MB)", lines_before)
                elif card.problem is None:
                    card.problem = ParseError(
                        file, card.number, lines_before, "this line is longer than 16 MB", UNIT
                    )
                continue
            position = 0
            line = lines_before + 1  # the line `position` is on
            for match in _BOUNDARY.finditer(block):
                text = block[position : match.start()]
                boundary_line = line + text.count(b"\n")
                if card is None:
                    outside(text, line)
                else:
                    inside(card, text)
                if match.group(1).upper() == b"BEGIN":
                    if stray is not None:
                        yield _stray(file, *stray, whole_file=False)
                        stray = None
                    if card is not None:
                        yield card.problem or ParseError(
                            file,
                            card.number,
                            card.line,
                            "this card has no END:VCARD before the next card begins "
                            f"on line {boundary_line}",
                            UNIT,
                        )
                    count += 1
                    card = _Card(count, boundary_line)
                elif card is None:
                    outside(match.group(0), boundary_line)
                else:
                    yield card.problem or _parse_card(file, card, fallback, memos)
                    card = None
                position = match.end() + 1  # past the boundary line's LF
                line = boundary_line + 1
            text = block[position:]
            if card is None:
                outside(text, line)
            else:
                inside(card, text)
            lines_before += block.count(b"\n")
    except UnicodeDecodeError:
        yield ParseError(
            file,
            card.number if card else None,
            lines_before + 1,
            "the file starts as UTF-16 text but this line is not UTF-16",
            UNIT,
        )
        return
    if card is not None:
        yield card.problem or ParseError(
            file, card.number, card.line, "the file ends inside this card (no END:VCARD)", UNIT
        )
    if stray is not None:
        yield _stray(file, *stray, whole_file=count == 0)
    elif count == 0:
        yield ParseError(file, None, None, "this file is empty: it has no vCards", UNIT)


def _stray(file: str, line: int, text: bytes, *, whole_file: bool) -> ParseError:
    shown = text.decode("utf-8", "replace").strip()
    if whole_file:
        message = f"this is not a vCard file: no BEGIN:VCARD line (it starts “{shown}”)"
    else:
        message = f"text outside any card: “{shown}”"
    return ParseError(file, None, line, message, UNIT)


# -- one card: unfolding, tokenising, decoding ---------------------------------------


class _Prop:
    """One property of a card, split but not yet decoded."""

    __slots__ = ("group", "legacy", "line", "name", "params", "raw", "types")

    def __init__(
        self,
        group: str,
        name: str,
        params: dict[str, list[str]],
        types: tuple[str, ...],
        raw: str,
        line: int,
        legacy: bool,
    ) -> None:
        self.group = group
        self.name = name
        self.params = params  # shared between properties: never changed in place
        self.types = types  # lower case, TYPE=a,b and vCard 2.1's bare TYPE values
        self.raw = raw  # the value as written, escapes and encodings still in place
        self.line = line
        self.legacy = legacy  # not UTF-8: `raw` holds the line's bytes as Latin-1 characters


class _CardError(Exception):
    """A problem that makes this card unreadable, at `line`."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


_QP_HEADER = re.compile(rb"[;:](?:ENCODING=)?QUOTED-PRINTABLE[;:]", re.IGNORECASE)
_BASE64_HEADER = re.compile(rb"[;:](?:ENCODING=)?(?:BASE64|B)[;:]", re.IGNORECASE)
# group.NAME;param=value,"quoted";bare:value. Atomic groups keep this linear on any
# input: vobject's own pattern for a whole line backtracks exponentially when a long
# parameter list has no colon after it.
_LINE = re.compile(
    r"(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+)"
    r"((?>;[A-Za-z0-9_-]+(?>=(?>\"[^\"]*\"|[^\";:,]*)(?>,(?>\"[^\"]*\"|[^\";:,]*))*)?)*)"
    r":(.*)",
    re.DOTALL,
)
_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
# Declared charsets read as the superset phones actually wrote.
_CHARSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
}
_CARET = re.compile(r"\^([n^'])")


_VERSION = re.compile(rb"^VERSION:[ \t]*([^\n]*)", re.IGNORECASE | re.MULTILINE)


def _version(body: bytes) -> str:
    match = _VERSION.search(body)
    return match.group(1).strip().decode("ascii", "replace") if match else "3.0"


def _header(line: bytes) -> bytes:
    # The name and parameters of a logical line, with the colon that ends them.
    return line.split(b":", 1)[0] + b":"


def _unfold(first: int, lines: list[bytes], version: str) -> list[tuple[int, bytes]]:
    """Logical lines with the line each starts on (lines[0] is on line `first`).

    3.0 and 4.0 fold by CRLF + one space, which unfolding removes; 2.1 folds before
    existing white space, which stays. A quoted-printable value ending in '=' goes on
    on the next line, whatever that starts with."""
    keep_space = version.startswith("2")
    out: list[tuple[int, bytes]] = []
    parts: list[bytes] = []
    start = 0
    glue = in_base64 = False
    for lineno, line in enumerate(lines, first):
        if not line:
            glue = in_base64 = False
            continue  # blank lines: 2.1 ends a base64 photo with one
        lead = line[:1]
        if glue or (in_base64 and b":" not in line):
            # Some 2.1 writers forget to indent base64 lines; no property lacks a colon.
            parts.append(line)
        elif (lead == b" " or lead == b"\t") and parts:
            parts.append(line if keep_space else line[1:])
        else:
            if parts:
                out.append((start, parts[0] if len(parts) == 1 else b"".join(parts)))
            parts, start = [line], lineno
            if keep_space:
                in_base64 = _BASE64_HEADER.search(_header(line)) is not None
        glue = False
        if line[-1:] == b"=" and _QP_HEADER.search(_header(parts[0])):
            parts[-1] = parts[-1][:-1]
            glue = True
    if parts:
        out.append((start, parts[0] if len(parts) == 1 else b"".join(parts)))
    return out


_NO_PARAMS: tuple[dict[str, list[str]], tuple[str, ...]] = ({}, ())
# Parameter lists repeat from card to card (";type=INTERNET;type=pref"): each distinct
# one is parsed once per file.
_ParamCache = dict[str, tuple[dict[str, list[str]], tuple[str, ...]]]
_Memos = dict[bool, _ParamCache]  # by whether RFC 6868 carets are read (3.0, 4.0)


def _tokenise(lineno: int, line: bytes, carets: bool, cache: _ParamCache) -> _Prop:
    try:
        return _tokenise_text(lineno, line.decode("utf-8"), False, carets, cache)
    except UnicodeDecodeError:
        return _tokenise_text(lineno, line.decode("latin-1"), True, carets, cache)


def _tokenise_text(lineno: int, text: str, legacy: bool, carets: bool, cache: _ParamCache) -> _Prop:
    match = _LINE.match(text)
    if match is None:
        shown = text[:40] if not legacy else text[:40].encode("latin-1").decode("utf-8", "replace")
        raise _CardError(lineno, f"“{shown}” is not a vCard property (NAME:value)")
    group, name, param_text, raw = match.groups()
    if not param_text:
        params, types = _NO_PARAMS
    else:
        cached = cache.get(param_text)
        if cached is None:
            if len(cache) > 10_000:
                cache.clear()
            cached = cache[param_text] = _parameters(param_text, carets)
        params, types = cached
    return _Prop(group.lower() if group else "", name.upper(), params, types, raw, lineno, legacy)


def _properties(first: int, body: bytes, version: str, cache: _ParamCache) -> list[_Prop]:
    """The properties of a card whose body starts on line `first`, split, not decoded."""
    carets = not version.startswith("2")
    # Most cards have no folded line, no quoted-printable soft break and are UTF-8:
    # decode them whole and take each line as a property.
    unfolded = (
        carets
        and b"\n " not in body
        and b"\n\t" not in body
        and b"=\n" not in body
        and body[:1] not in (b" ", b"\t")
        and body[-1:] != b"="
    )
    if unfolded:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return [
                _tokenise_text(n, line, False, carets, cache)
                for n, line in enumerate(text.split("\n"), first)
                if line
            ]
    logical = _unfold(first, body.split(b"\n") if body else [], version)
    return [_tokenise(n, line, carets, cache) for n, line in logical]


def _parameters(text: str, carets: bool) -> tuple[dict[str, list[str]], tuple[str, ...]]:
    params: dict[str, list[str]] = {}
    types: list[str] = []
    for item in parseParams(text):
        key = item[0].upper()
        if len(item) == 1:  # vCard 2.1: TEL;WORK;VOICE, ENCODING left implicit
            if key in _ENCODINGS:
                params.setdefault("ENCODING", []).append(key)
            else:
                types.append(key.lower())
            continue
        values = item[1:]
        if carets:
            values = [_CARET.sub(_uncaret, v) for v in values]
        if key == "TYPE":
            types.extend(t.strip().lower() for v in values for t in v.split(","))
        else:
            params.setdefault(key, []).extend(values)
    return params, tuple(types)


def _uncaret(match: re.Match[str]) -> str:
    # RFC 6868: ^n is a line break, ^' a double quote, ^^ a caret.
    return {"n": "\n", "'": '"', "^": "^"}[match.group(1)]


class _Decoder:
    """Decodes property values for one card: charsets, quoted-printable, escapes."""

    def __init__(self, version: str, fallback: str) -> None:
        self.version = version
        self.fallback = fallback
        self.warnings: list[str] = []
        # vCard 2.1 has no \n escape: a backslash there is often a Windows path.
        self._escape = _ESCAPES_21 if version.startswith("2") else _ESCAPES

    def warn(self, line: int, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(f"line {line}: {message}")
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("more warnings left out")

    def _bytes_to_text(self, data: bytes, prop: _Prop) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        for declared in prop.params.get("CHARSET", [])[:1]:
            charset = _CHARSETS.get(declared.lower(), declared)
            try:
                return data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                break
        try:
            text = data.decode(self.fallback)
        except UnicodeDecodeError:
            raise _CardError(
                prop.line,
                f"{prop.name} is neither UTF-8, its CHARSET nor {self.fallback.upper()} text",
            ) from None
        self.warn(prop.line, f"{prop.name} is not UTF-8; read as {self.fallback.upper()}")
        return text

    def decoded(self, prop: _Prop) -> str:
        """The value with quoted-printable and charsets undone, escapes still in place."""
        if not prop.legacy and "ENCODING" not in prop.params:
            return prop.raw
        encoding = [e.upper() for e in prop.params.get("ENCODING", [])]
        if "QUOTED-PRINTABLE" in encoding:
            data = binascii.a2b_qp(prop.raw.encode("latin-1" if prop.legacy else "utf-8"))
            text = self._bytes_to_text(data, prop)
            return text.replace("\r\n", "\n").replace("\r", "\n")
        if prop.legacy:
            return self._bytes_to_text(prop.raw.encode("latin-1"), prop)
        return prop.raw

    def unescape(self, text: str) -> str:
        if "\\" not in text:
            return text
        return self._escape.sub(_unescaped, text)

    def text(self, prop: _Prop) -> str:
        return self.unescape(self.decoded(prop)).strip()

    def line_text(self, prop: _Prop) -> str:
        """A one-line value (a name, an address, a label), white space collapsed."""
        # The common case inline: most values have no encoding and no escapes.
        text = prop.raw if not prop.legacy and "ENCODING" not in prop.params else self.decoded(prop)
        if "\\" in text:
            text = self._escape.sub(_unescaped, text)
        return " ".join(text.split())

    def split(self, prop: _Prop, separator: str = ";") -> list[str]:
        """A structured value's components (N, ADR, ORG), each unescaped."""
        return [self.unescape(part) for part in _split(self.decoded(prop), separator)]


_ESCAPES = re.compile(r"\\([\\,;:nN])")
_ESCAPES_21 = re.compile(r"\\([\\,;:])")


def _unescaped(match: re.Match[str]) -> str:
    char = match.group(1)
    return "\n" if char in "nN" else char


_SPLITTERS = {sep: re.compile(f"(\\\\.|{sep})", re.DOTALL) for sep in ";,"}


def _split(value: str, separator: str) -> list[str]:
    """Split on separators that no backslash escapes; the escapes stay for unescape()."""
    if "\\" not in value:
        return value.split(separator)
    parts: list[list[str]] = [[]]
    for piece in _SPLITTERS[separator].split(value):
        if piece == separator:
            parts.append([])
        elif piece:
            parts[-1].append(piece)
    return ["".join(part) for part in parts]


# -- one card: what each property means ------------------------------------------

# Properties with nothing for Rapport in them: skipped without a warning.
_QUIET = frozenset(
    {
        "VERSION",
        "PRODID",
        "REV",
        "SOURCE",
        "NAME",
        "PROFILE",
        "CLIENTPIDMAP",
        "SORT-STRING",
        "MAILER",
        "CLASS",
        "X-ABLABEL",
        "X-ABADR",
        "X-ABUID",
        "X-IMAGETYPE",
        "X-IMAGEHASH",
        "X-SHAREDPHOTODISPLAYPREF",
        "X-MS-OL-DESIGN",
        "X-MS-OL-DEFAULT-POSTAL-ADDRESS",
        "X-MS-CARDPICTURE",
        "X-GENERATOR",
        "X-PHONETIC-MIDDLE-NAME",
        "X-APPLE-SUBLOCALITY",
        "X-APPLE-SUBADMINISTRATIVEAREA",
    }
)
_SOCIAL_PROPERTIES = {
    "X-AIM": "aim",
    "X-ICQ": "icq",
    "X-JABBER": "xmpp",
    "X-MSN": "msn",
    "X-YAHOO": "yahoo",
    "X-SKYPE": "skype",
    "X-SKYPE-USERNAME": "skype",
    "X-GOOGLE-TALK": "googletalk",
    "X-GTALK": "googletalk",
    "X-QQ": "qq",
    "X-WECHAT": "wechat",
    "X-WEIXIN": "wechat",
    "X-TWITTER": "twitter",
    "X-LINKEDIN": "linkedin",
    "X-FACEBOOK": "facebook",
    "X-WHATSAPP": "whatsapp",
    "X-TELEGRAM": "telegram",
    "X-GADUGADU": "gadugadu",
    "X-MS-IMADDRESS": "im",
}
_IMPP_SCHEMES = {
    "skype": "skype",
    "xmpp": "xmpp",
    "aim": "aim",
    "ymsgr": "yahoo",
    "msnim": "msn",
    "icq": "icq",
    "qq": "qq",
    "weixin": "wechat",
    "wechat": "wechat",
    "sip": "sip",
    "irc": "irc",
    "gtalk": "googletalk",
    "facetime": "facetime",
    "whatsapp": "whatsapp",
    "tg": "telegram",
}
_RELATED_PROPERTIES = {
    "X-MS-SPOUSE": "spouse",
    "X-SPOUSE": "spouse",
    "X-EVOLUTION-SPOUSE": "spouse",
    "X-KADDRESSBOOK-X-SPOUSENAME": "spouse",
    "X-MS-MANAGER": "manager",
    "X-MANAGER": "manager",
    "X-EVOLUTION-MANAGER": "manager",
    "X-KADDRESSBOOK-X-MANAGERSNAME": "manager",
    "X-MS-ASSISTANT": "assistant",
    "X-ASSISTANT": "assistant",
    "X-EVOLUTION-ASSISTANT": "assistant",
    "X-KADDRESSBOOK-X-ASSISTANTSNAME": "assistant",
}
_ANNIVERSARY_PROPERTIES = frozenset(
    {"ANNIVERSARY", "X-ANNIVERSARY", "X-MS-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY"}
)
# Android's X-ANDROID-CUSTOM relation types (ContactsContract.CommonDataKinds.Relation).
_ANDROID_RELATIONS = {
    "1": "assistant",
    "2": "brother",
    "3": "child",
    "4": "domestic partner",
    "5": "father",
    "6": "friend",
    "7": "manager",
    "8": "mother",
    "9": "parent",
    "10": "partner",
    "11": "referred by",
    "12": "relative",
    "13": "sister",
    "14": "spouse",
}
_IMAGE_TYPES = {
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "webp": "image/webp",
    "heic": "image/heic",
}
_GOOGLE_SYSTEM_GROUPS = frozenset({"mycontacts", "* mycontacts"})


def _sniff_image(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    return ""


@dataclass
class _Builder(ContactDraft):
    """What a card has said so far; becomes a ContactRecord at the end."""

    is_organisation: bool = False
    role: str = ""
    labels_as_addresses: list[Labelled] = field(default_factory=list)


def _parse_card(file: str, card: _Card, fallback: str, memos: _Memos) -> ContactRecord | ParseError:
    try:
        return _read_card(file, card, fallback, memos)
    except _CardError as exc:
        return ParseError(file, card.number, exc.line, exc.message, UNIT)
    except Exception as exc:  # a bug here must cost one card, not the whole import
        return ParseError(
            file, card.number, card.line, f"unexpected problem reading this card: {exc!r}", UNIT
        )


def _read_card(file: str, card: _Card, fallback: str, memos: _Memos) -> ContactRecord:
    body = card.body()
    version = _version(body)
    props = _properties(card.line + 1, body, version, memos[not version.startswith("2")])
    decoder = _Decoder(version, fallback)
    labels: dict[str, str] = {}
    if b"X-AB" in body or b"x-ab" in body:  # Apple's item1.X-ABLabel, say
        for prop in props:
            if prop.name == "X-ABLABEL" and prop.group:
                labels[prop.group] = fields.clean_label(decoder.text(prop))
    built = _Builder()
    for prop in props:
        handler = _HANDLERS.get(prop.name)
        if handler is not None:
            handler(prop, built, decoder, labels.get(prop.group, "") if prop.group else "")
        elif prop.name not in _QUIET and prop.name not in built.skipped:
            built.skipped.append(prop.name)
    return _finish(file, card, built, decoder)


def _labelled(value: str, prop: _Prop, group_label: str) -> Labelled:
    """The value with its label (the group's X-ABLabel, else its types) and preference."""
    types = prop.types
    preferred = "pref" in types or ("PREF" in prop.params and prop.params["PREF"][0].strip() == "1")
    return Labelled(value, group_label or fields.label_from_types(types), preferred)


def _date(prop: _Prop, decoder: _Decoder, what: str) -> PartialDate | None:
    value = decoder.text(prop)
    if prop.params.get("VALUE", [""])[0].lower() == "text":
        decoder.warn(prop.line, f"{what} “{value[:40]}” is text, not a date; not imported")
        return None
    omit = prop.params.get("X-APPLE-OMIT-YEAR", [None])[0]
    try:
        date, note = fields.parse_date(value, omit_year=omit)
    except fields.DateProblem as exc:
        decoder.warn(prop.line, f"{what}: {exc}; not imported")
        return None
    if note:
        decoder.warn(prop.line, f"{what}: {note}")
    return date


def _lunar(prop: _Prop, decoder: _Decoder, what: str) -> PartialDate | None:
    leap = prop.params.get("X-LEAP-MONTH", [""])[0].upper() in ("TRUE", "1", "YES")
    try:
        return fields.lunar_from_apple(decoder.text(prop), leap_month=leap)
    except fields.DateProblem as exc:
        decoder.warn(prop.line, f"{what}: {exc}; not imported")
        return None


def _is_lunar(prop: _Prop) -> bool:
    return prop.params.get("CALSCALE", [""])[0].lower() in ("chinese", "x-chinese")


# Each property's meaning: a handler per property name, given the property, the card
# so far, the card's decoder and the label its group carries (Apple's X-ABLabel).
_Handler = Callable[[_Prop, _Builder, _Decoder, str], None]


def _fn(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    b.display = b.display or d.line_text(prop)


def _n(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    parts = [_name_part(p, d) for p in _split(d.decoded(prop), ";")[:3]] + [""] * 3
    b.family = b.family or parts[0]
    b.given = b.given or " ".join(p for p in (parts[1], parts[2]) if p)


def _text_into(attribute: str) -> _Handler:
    def handler(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
        if not getattr(b, attribute):
            setattr(b, attribute, d.line_text(prop))

    return handler


def _org(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    parts = [fields.single_line(p) for p in d.split(prop)]
    b.organisation = b.organisation or parts[0]
    b.department = b.department or ", ".join(p for p in parts[1:] if p)


def _kind(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    b.is_organisation = d.line_text(prop).lower() in ("org", "organization")


def _show_as(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    b.is_organisation = d.line_text(prop).upper() == "COMPANY"


def _email(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    value = d.line_text(prop)
    value = value[7:] if value[:7].lower() == "mailto:" else value
    if value:
        b.emails.append(_labelled(value, prop, label))


def _tel(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    value = d.line_text(prop)
    value = value[4:] if value[:4].lower() == "tel:" else value
    if value:
        b.phones.append(_labelled(value, prop, label))


def _url(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    value = d.line_text(prop)
    if value:
        b.urls.append(_labelled(value, prop, label))


def _adr(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    parts = [_one_line(p) for p in d.split(prop)]
    # box; extended; street; locality; region; postal code; country
    order = (2, 1, 0, 3, 4, 5, 6)
    value = ", ".join(parts[i] for i in order if i < len(parts) and parts[i])
    if value:
        b.addresses.append(_labelled(value, prop, label))


def _address_label(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    # A formatted address; kept only when the card has no structured ADR.
    value = _one_line(d.text(prop))
    if value:
        b.labels_as_addresses.append(_labelled(value, prop, label))


def _impp(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    value = d.line_text(prop)
    scheme, colon, rest = value.partition(":")
    scheme = scheme.lower()
    if colon and (scheme in _IMPP_SCHEMES or scheme == "x-apple"):
        value = rest.lstrip("/")
    declared = prop.params.get("X-SERVICE-TYPE", [""])[0]
    service = fields.service_name(declared) if declared else ""
    service = service or _IMPP_SCHEMES.get(scheme, "") or "im"
    if value:
        b.social.append(SocialHandle(service, value, label))


def _social_profile(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    value = d.line_text(prop) or prop.params.get("X-USER", [""])[0]
    kinds = [t for t in prop.types if t != "pref"]
    service = fields.service_name(kinds[0]) if kinds else "social"
    if value:
        b.social.append(SocialHandle(service, value, label))


def _social_as(service: str) -> _Handler:
    def handler(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
        value = d.line_text(prop)
        if value:
            b.social.append(SocialHandle(service, value, label))

    return handler


def _bday(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    if _is_lunar(prop):
        b.lunar_birthday = b.lunar_birthday or _lunar(prop, d, "lunar birthday")
    else:
        b.birthday = b.birthday or _date(prop, d, "birthday")


def _alt_bday(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    if _is_lunar(prop):
        b.lunar_birthday = b.lunar_birthday or _lunar(prop, d, "lunar birthday")
    else:
        d.warn(prop.line, "a birthday in a calendar other than the Chinese; not imported")


def _anniversary(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    b.anniversary = b.anniversary or _date(prop, d, "anniversary")


def _apple_date(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    if label == "anniversary":
        b.anniversary = b.anniversary or _date(prop, d, "anniversary")
    else:
        d.warn(prop.line, f"date “{label or 'other'}” {d.text(prop)[:20]} not imported")


def _related(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    value = d.line_text(prop)
    relation = label or " ".join(t for t in prop.types if t != "pref")
    is_text = prop.params.get("VALUE", [""])[0].lower() == "text"
    if not is_text and _LINK.match(value):
        d.warn(prop.line, f"related person given only as a link ({value[:60]}); not imported")
    elif value:
        b.related.append(Related(value, relation))


def _related_as(relation: str | None) -> _Handler:
    def handler(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
        value = d.line_text(prop)
        if value:
            b.related.append(Related(value, label if relation is None else relation))

    return handler


def _note(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    value = d.text(prop)
    if value:
        b.notes.append(value)


def _how_we_met(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    b.how_we_met = d.text(prop)


def _categories(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    pieces = _split(d.decoded(prop), ",")
    if d.version.startswith("2"):  # Outlook's 2.1 cards separate them with ';' too
        pieces = [p for piece in pieces for p in _split(piece, ";")]
    for piece in pieces:
        category = fields.single_line(d.unescape(piece))
        if category and category.lower() not in _GOOGLE_SYSTEM_GROUPS:
            b.categories.append(category)


def _photo_into(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    if b.photo is None:
        b.photo = _photo(prop, d)


def _uid(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    b.uid = b.uid or d.line_text(prop)


def _name_part(raw: str, d: _Decoder) -> str:
    # In 3.0 and 4.0 an unescaped comma separates several names in one component.
    if d.version.startswith("2") or ("," not in raw and "\\" not in raw):
        return fields.single_line(d.unescape(raw))
    return fields.single_line(" ".join(d.unescape(p) for p in _split(raw, ",")))


def _one_line(text: str) -> str:
    # An address written on several lines, on one: '1 High St, Flat 2'.
    if "\n" not in text:
        return fields.single_line(text)
    return ", ".join(fields.single_line(line) for line in text.splitlines() if line.strip())


def _android_custom(prop: _Prop, b: _Builder, d: _Decoder, label: str) -> None:
    parts = [fields.single_line(d.unescape(p)) for p in _split(d.decoded(prop), ";")] + [""] * 4
    kind = parts[0].rsplit("/", 1)[-1].lower()
    if kind == "nickname" and parts[1]:
        b.nickname = b.nickname or parts[1]
    elif kind == "relation" and parts[1]:
        relation = parts[3] if parts[2] == "0" else _ANDROID_RELATIONS.get(parts[2], "")
        b.related.append(Related(parts[1], relation))
    elif kind == "contact_event" and parts[1]:
        try:
            date, _note = fields.parse_date(parts[1])
        except fields.DateProblem as exc:
            d.warn(prop.line, f"event: {exc}; not imported")
            return
        if parts[2] == "1":
            b.anniversary = b.anniversary or date
        elif parts[2] == "3":
            b.birthday = b.birthday or date
        else:
            d.warn(prop.line, f"date “{parts[3] or 'other'}” not imported")
    else:
        d.warn(prop.line, f"Android field {kind or '?'} not imported")


def _photo(prop: _Prop, d: _Decoder) -> Photo | None:
    encoding = [e.upper() for e in prop.params.get("ENCODING", [])]
    raw = d.decoded(prop).strip()
    declared = prop.params.get("MEDIATYPE", [""])[0].lower()
    for kind in prop.types:
        declared = declared or _IMAGE_TYPES.get(kind.removeprefix("image/"), "")
    try:
        if "B" in encoding or "BASE64" in encoding:
            data = base64.b64decode("".join(raw.split()), validate=False)
        elif raw[:5].lower() == "data:":
            header, comma, payload = raw[5:].partition(",")
            if not comma:
                raise ValueError("no comma in the data: address")
            if header.lower().endswith(";base64"):
                data = base64.b64decode("".join(payload.split()), validate=False)
                header = header[:-7]
            else:
                data = urllib.parse.unquote_to_bytes(payload)
            declared = header.strip().lower() or declared
        else:
            url = d.unescape(raw)
            if re.match(r"^https?://", url, re.IGNORECASE):
                return Photo(url=url)
            d.warn(prop.line, "photo is neither a picture nor a web address; not imported")
            return None
    except (binascii.Error, ValueError) as exc:
        d.warn(prop.line, f"photo could not be decoded ({exc}); not imported")
        return None
    if not data:
        return None
    return Photo(data=data, mime=declared or _sniff_image(data) or "application/octet-stream")


_LINK = re.compile(r"^(urn|https?|mailto|tel|cid):", re.IGNORECASE)
_HANDLERS: dict[str, _Handler] = {
    "FN": _fn,
    "N": _n,
    "NICKNAME": _text_into("nickname"),
    "X-PHONETIC-FIRST-NAME": _text_into("phonetic_given"),
    "X-PHONETIC-LAST-NAME": _text_into("phonetic_family"),
    "ORG": _org,
    "TITLE": _text_into("title"),
    "ROLE": _text_into("role"),
    "KIND": _kind,
    "X-ABSHOWAS": _show_as,
    "EMAIL": _email,
    "TEL": _tel,
    "URL": _url,
    "ADR": _adr,
    "LABEL": _address_label,
    "IMPP": _impp,
    "X-SOCIALPROFILE": _social_profile,
    "X-SOCIAL-PROFILE": _social_profile,
    "BDAY": _bday,
    "X-ALTBDAY": _alt_bday,
    "X-ABDATE": _apple_date,
    "RELATED": _related,
    "X-ABRELATEDNAMES": _related_as(None),
    "X-ANDROID-CUSTOM": _android_custom,
    "NOTE": _note,
    "X-RAPPORT-HOW-WE-MET": _how_we_met,
    "CATEGORIES": _categories,
    "PHOTO": _photo_into,
    "UID": _uid,
    **{name: _anniversary for name in _ANNIVERSARY_PROPERTIES},
    **{name: _social_as(service) for name, service in _SOCIAL_PROPERTIES.items()},
    **{name: _related_as(relation) for name, relation in _RELATED_PROPERTIES.items()},
}


def _finish(file: str, card: _Card, b: _Builder, d: _Decoder) -> ContactRecord:
    warnings = list(d.warnings)
    if b.skipped:
        warnings.append("not imported: " + ", ".join(b.skipped[:15]))
    addresses = b.addresses or b.labels_as_addresses
    display, order, warning = fields.display_for(
        display=b.display,
        given=b.given,
        family=b.family,
        fallbacks=[
            ("organisation", b.organisation),
            ("nickname", b.nickname),
            ("email address", b.emails[0].value if b.emails else ""),
            ("phone number", b.phones[0].value if b.phones else ""),
        ],
    )
    if not display:
        raise _CardError(card.line, "this card has no name, organisation, email or phone")
    if warning:
        warnings.append(warning)
    return ContactRecord(
        source=file,
        number=card.number,
        line=card.line,
        display_name=display,
        given_name=b.given,
        family_name=b.family,
        name_order=order,
        phonetic_given=b.phonetic_given,
        phonetic_family=b.phonetic_family,
        nickname=b.nickname,
        is_organisation=b.is_organisation,
        organisation=b.organisation,
        department=b.department,
        title=b.title or b.role,
        emails=tuple(b.emails),
        phones=tuple(b.phones),
        urls=tuple(b.urls),
        addresses=tuple(addresses),
        social=tuple(b.social),
        birthday=b.birthday,
        lunar_birthday=b.lunar_birthday,
        anniversary=b.anniversary,
        related=tuple(b.related),
        note="\n\n".join(b.notes),
        how_we_met=b.how_we_met,
        photo=b.photo,
        categories=tuple(b.categories),
        uid=b.uid,
        warnings=tuple(warnings),
    )


# -- writing vCard 4.0 ---------------------------------------------------------------

# TYPE values vCard 4.0 defines; any other label travels as an Apple-style X-ABLabel.
_TYPE_LABELS = {"home": "home", "work": "work"}
_TEL_TYPE_LABELS = {
    **_TYPE_LABELS,
    "mobile": "cell",
    "fax": "fax",
    "pager": "pager",
    "text": "text",
    "video": "video",
    "textphone": "textphone",
}
_RELATED_TYPES = frozenset(
    {
        "contact",
        "acquaintance",
        "friend",
        "met",
        "co-worker",
        "colleague",
        "co-resident",
        "neighbor",
        "child",
        "parent",
        "sibling",
        "spouse",
        "kin",
        "muse",
        "crush",
        "date",
        "sweetheart",
        "me",
        "agent",
        "emergency",
    }
)
_SAFE_PARAM = re.compile(r"^[A-Za-z0-9_./+-]*$")


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _param(value: str) -> str:
    # TYPE=work,fax stays a bare list; anything unusual is quoted, with RFC 6868 carets.
    if all(_SAFE_PARAM.match(piece) for piece in value.split(",")):
        return value
    value = value.replace("^", "^^").replace("\n", "^n").replace('"', "^'")
    return f'"{value}"'


def _fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 sequence; CRLF after each piece."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    pieces: list[str] = []
    start, limit = 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # back off to the start of a character
        pieces.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines begin with a space
    return "\r\n ".join(pieces) + "\r\n"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.groups = 0

    def add(
        self, name: str, value: str, params: Iterable[tuple[str, str]] = (), group: str = ""
    ) -> None:
        head = f"{group}.{name}" if group else name
        head += "".join(f";{key}={_param(val)}" for key, val in params)
        self.lines.append(_fold(f"{head}:{value}"))

    def labelled(
        self,
        name: str,
        value: str,
        label: str,
        preferred: bool,
        allowed: dict[str, str],
        extra: Iterable[tuple[str, str]] = (),
    ) -> None:
        params = list(extra)
        words = label.split(" ") if label else []
        group = ""
        if words and all(w in allowed for w in words) and len(set(words)) == len(words):
            params.append(("TYPE", ",".join(allowed[w] for w in words)))
        elif label:
            self.groups += 1
            group = f"item{self.groups}"
        if preferred:
            params.append(("PREF", "1"))
        self.add(name, value, params, group)
        if group:
            self.add("X-ABLabel", _escape(label), group=group)


def _date_value(date: PartialDate) -> str:
    if date.year is None:
        return f"--{date.month:02d}{date.day:02d}"
    return f"{date.year:04d}{date.month:02d}{date.day:02d}"


def format_vcard(record: ContactRecord) -> str:
    """One record as a vCard 4.0 card (CRLF line ends, folded at 75 octets)."""
    w = _Writer()
    w.add("BEGIN", "VCARD")
    w.add("VERSION", "4.0")
    w.add("PRODID", "-//Rapport//Rapport CRM//EN")
    if record.uid:
        w.add("UID", _escape(record.uid))
    if record.is_organisation:
        w.add("KIND", "org")
    w.add("FN", _escape(record.display_name))
    if record.given_name or record.family_name:
        w.add("N", f"{_escape(record.family_name)};{_escape(record.given_name)};;;")
    if record.nickname:
        w.add("NICKNAME", _escape(record.nickname))
    if record.phonetic_given:
        w.add("X-PHONETIC-FIRST-NAME", _escape(record.phonetic_given))
    if record.phonetic_family:
        w.add("X-PHONETIC-LAST-NAME", _escape(record.phonetic_family))
    if record.organisation or record.department:
        org = _escape(record.organisation)
        w.add("ORG", f"{org};{_escape(record.department)}" if record.department else org)
    if record.title:
        w.add("TITLE", _escape(record.title))
    for item in record.emails:
        w.labelled("EMAIL", _escape(item.value), item.label, item.preferred, _TYPE_LABELS)
    for item in record.phones:
        w.labelled("TEL", _escape(item.value), item.label, item.preferred, _TEL_TYPE_LABELS)
    for item in record.urls:
        w.labelled("URL", _escape(item.value), item.label, item.preferred, _TYPE_LABELS)
    for item in record.addresses:
        value = f";;{_escape(item.value)};;;;"
        w.labelled("ADR", value, item.label, item.preferred, _TYPE_LABELS)
    for handle in record.social:
        params = [("TYPE", handle.service)] if handle.service else []
        group = ""
        if handle.label:
            w.groups += 1
            group = f"item{w.groups}"
        w.add("X-SOCIALPROFILE", _escape(handle.value), params, group)
        if group:
            w.add("X-ABLabel", _escape(handle.label), group=group)
    if record.birthday:
        w.add("BDAY", _date_value(record.birthday))
    if record.lunar_birthday:
        lunar = record.lunar_birthday
        params = [("CALSCALE", "chinese")]
        if lunar.leap_month:
            params.append(("X-LEAP-MONTH", "TRUE"))
        w.add("X-ALTBDAY", fields.lunar_to_apple(lunar), params)
    if record.anniversary:
        w.add("ANNIVERSARY", _date_value(record.anniversary))
    for person in record.related:
        params = [("VALUE", "text")]
        relation = person.relation
        if relation in _RELATED_TYPES:
            w.add("RELATED", _escape(person.name), [*params, ("TYPE", relation)])
        elif relation:
            w.groups += 1
            group = f"item{w.groups}"
            w.add("RELATED", _escape(person.name), params, group)
            w.add("X-ABLabel", _escape(relation), group=group)
        else:
            w.add("RELATED", _escape(person.name), params)
    if record.note:
        w.add("NOTE", _escape(record.note))
    if record.how_we_met:
        w.add("X-RAPPORT-HOW-WE-MET", _escape(record.how_we_met))
    if record.categories:
        w.add("CATEGORIES", ",".join(_escape(c) for c in record.categories))
    if record.photo and record.photo.data:
        mime = record.photo.mime or _sniff_image(record.photo.data) or "application/octet-stream"
        encoded = base64.b64encode(record.photo.data).decode("ascii")
        w.add("PHOTO", f"data:{mime};base64,{encoded}")
    elif record.photo and record.photo.url:
        w.add("PHOTO", _escape(record.photo.url), [("VALUE", "uri")])
    w.add("END", "VCARD")
    return "".join(w.lines)


def iter_vcards(records: Iterable[ContactRecord]) -> Iterator[str]:
    """Each record as a vCard 4.0 card, one string per card, for streaming an export."""
    for record in records:
        yield format_vcard(record)


def write_vcards(records: Iterable[ContactRecord]) -> str:
    """All records as one vCard 4.0 file (UTF-8 text, CRLF line ends)."""
    return "".join(iter_vcards(records))
