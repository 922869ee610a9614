"""Messages from mail archives (an mbox file, a folder of .eml files), before anything
touches the database.

Each message becomes a `MessageRecord` (who wrote to whom, when, about what, in which
thread) or a `ParseError` naming the file, the message's number and its line. An mbox
is split here, line by line, rather than by `mailbox.mbox`, which indexes the whole
file first: memory stays bounded by the largest message, whatever the file's size.
Each message is parsed with the standard library's `email` package
(`policy.default`); headers are decoded here, leniently, because real archives are full
of encoded words that lie about their charset (GB2312 declared, GBK written).
Plain frozen dataclasses, no Django.
"""

from __future__ import annotations

import binascii
import codecs
import datetime as dt
import email.utils
import hashlib
import os
import quopri
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

from rapport.transfer.records import ParseError
from rapport.transfer.sources import Source, byte_lines, open_binary, source_name

UNIT = "message"
# A message larger than this (attachments included) is reported, not read: no real
# correspondence needs more, and it keeps memory bounded on a damaged file.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
EXCERPT_CHARS = 500
# How much of a body is looked at to make the excerpt.
_BODY_SCAN_CHARS = 64 * 1024
MAX_ID_CHARS = 250

_PARSER = BytesParser(policy=policy.compat32)


@dataclass(frozen=True)
class Address:
    """A mailbox on a message: the display name as written (decoded) and the address,
    lower-cased so it compares with the addresses people are known by."""

    name: str
    address: str


@dataclass(frozen=True)
class MessageRecord:
    """One message as an archive gives it. `number` counts messages in the file from 1;
    `line` is the line the message starts on (its "From " separator in an mbox).
    `message_id` is the Message-ID without angle brackets, or, when the message has
    none, a stable hash of its date, sender and subject (`generated_id` is then True).
    `references` are the thread's earlier Message-IDs, oldest first. `warnings` say what
    could not be read as written (an unparseable date taken from the mbox separator)."""

    source: str
    number: int
    line: int
    message_id: str
    date: dt.datetime
    sender: Address
    subject: str = ""
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    excerpt: str = ""
    attachments: tuple[str, ...] = ()
    generated_id: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def thread_root(self) -> str:
        """The Message-ID the thread started with (this message's own if it starts one)."""
        if self.references:
            return self.references[0]
        return self.in_reply_to or self.message_id

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc


# -- readers ---------------------------------------------------------------------------


def read_mail(
    path: str | os.PathLike[str], *, name: str | None = None
) -> Iterator[MessageRecord | ParseError]:
    """The messages of a path: a folder of .eml files, one .eml file, or an mbox file."""
    if os.path.isdir(path):
        return read_eml_folder(path, name=name)
    if os.fspath(path).lower().endswith(".eml"):
        return read_eml(path, name=name)
    return read_mbox(path, name=name)


def read_mbox(source: Source, *, name: str | None = None) -> Iterator[MessageRecord | ParseError]:
    """Each message of an mbox file, in order, as a MessageRecord or a ParseError.

    `source` is a path, the file's bytes or an open binary file (left open). Messages
    start at a line beginning "From " that follows a blank line (or opens the file);
    ">From " lines are unquoted (mboxrd). Never raises for bad content."""
    file = source_name(source, name)
    try:
        with open_binary(source) as (_head, stream):
            yield from _mbox_messages(file, byte_lines(stream))
    except OSError as exc:
        yield ParseError(file, None, None, f"cannot read the file: {exc.strerror or exc}", UNIT)


def read_eml(
    source: Source, *, name: str | None = None, number: int = 1
) -> Iterator[MessageRecord | ParseError]:
    """The one message of an .eml file, as a MessageRecord or a ParseError."""
    file = source_name(source, name)
    try:
        with open_binary(source) as (_head, stream):
            data = stream.read(MAX_MESSAGE_BYTES + 1)
    except OSError as exc:
        yield ParseError(file, number, None, f"cannot read the file: {exc.strerror or exc}", UNIT)
        return
    if len(data) > MAX_MESSAGE_BYTES:
        yield ParseError(file, number, 1, _too_large(), UNIT)
        return
    data = data.replace(b"\r\n", b"\n")
    if data.startswith(b"From ") and b"\n" in data:
        # Some tools save a message with its mbox separator line; it is not a header.
        data = data[data.index(b"\n") + 1 :]
        yield _message(file, number, 1, data, envelope=b"", first_header_line=2)
        return
    yield _message(file, number, 1, data, envelope=b"")


def read_eml_folder(
    folder: str | os.PathLike[str], *, name: str | None = None
) -> Iterator[MessageRecord | ParseError]:
    """Each .eml file under the folder (sub-folders included, in name order), numbered
    from 1 in that order; each record's `source` is the file's path within the folder."""
    root = Path(folder)
    base = name or root.name
    if not root.is_dir():
        yield ParseError(base, None, None, "not a folder", UNIT)
        return
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() == ".eml" and p.is_file())
    for number, path in enumerate(paths, 1):
        label = f"{base}/{path.relative_to(root).as_posix()}"
        yield from read_eml(path, name=label, number=number)


# -- splitting an mbox -----------------------------------------------------------------

_QUOTED_FROM = re.compile(rb"^>+From ")


def _mbox_messages(
    file: str, lines: Iterable[bytes | None]
) -> Iterator[MessageRecord | ParseError]:
    number = 0
    start = 0  # line of the current message's separator
    envelope = b""
    parts: list[bytes] = []
    size = 0
    too_large = False
    previous_blank = True
    stray: int | None = None  # first line of text before the first separator
    lineno = 0
    for line in lines:
        lineno += 1
        if line is None:
            if number:
                too_large = True
            continue
        if line.startswith(b"From ") and previous_blank:
            if number:
                yield _finish(file, number, start, envelope, parts, too_large)
            elif stray is not None:
                yield _stray(file, stray)
                stray = None
            number += 1
            start, envelope, parts, size, too_large = lineno, line, [], 0, False
            previous_blank = False
            continue
        previous_blank = not line.strip()
        if not number:
            if stray is None and not previous_blank:
                stray = lineno
            continue
        if too_large:
            continue
        if line.startswith(b">") and _QUOTED_FROM.match(line):
            line = line[1:]
        size += len(line) + 1
        if size > MAX_MESSAGE_BYTES:
            too_large, parts = True, []
            continue
        parts.append(line)
    if number:
        yield _finish(file, number, start, envelope, parts, too_large)
    elif stray is not None:
        yield _stray(file, stray)
    elif lineno == 0:
        yield ParseError(file, None, None, "the file is empty", UNIT)


def _stray(file: str, line: int) -> ParseError:
    return ParseError(
        file,
        None,
        line,
        "text before the first message: an mbox file starts each message with a"
        " “From ” line (is this a single .eml file?)",
        UNIT,
    )


def _too_large() -> str:
    return f"the message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB; not read"


def _finish(
    file: str, number: int, start: int, envelope: bytes, parts: list[bytes], too_large: bool
) -> MessageRecord | ParseError:
    if too_large:
        return ParseError(file, number, start, _too_large(), UNIT)
    # The blank line before the next separator belongs to the mbox, not the message.
    while parts and not parts[-1]:
        parts.pop()
    return _message(file, number, start, b"\n".join(parts) + b"\n", envelope=envelope)


# -- one message -----------------------------------------------------------------------


def _message(
    file: str,
    number: int,
    line: int,
    data: bytes,
    *,
    envelope: bytes,
    first_header_line: int | None = None,
) -> MessageRecord | ParseError:
    first = first_header_line if first_header_line is not None else line + (1 if envelope else 0)
    try:
        return _read_message(file, number, line, first, data, envelope)
    except _Bad as exc:
        return ParseError(file, number, exc.line or line, exc.message, UNIT)
    except Exception as exc:
        return ParseError(file, number, line, f"cannot read this message: {exc!r}"[:300], UNIT)


class _Bad(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _header_line(data: bytes, first: int, header: str) -> int | None:
    """The line a header is on (counting `first` as the message's first line)."""
    name = header.encode() + b":"
    if data[: len(name)].lower() == name.lower():
        return first
    match = re.search(rb"\n" + re.escape(name), data[: 256 * 1024], re.IGNORECASE)
    return first + data[: match.start()].count(b"\n") + 1 if match else None


def _read_message(
    file: str, number: int, line: int, first: int, data: bytes, envelope: bytes
) -> MessageRecord:
    if not data.strip():
        raise _Bad("the message is empty", line)
    if not _HEADER_START.match(data):
        raise _Bad("the message does not start with a header (such as “From: …”)", first)
    message = _parse(data)
    raw: dict[str, str] = {}
    for key, value in message.raw_items():
        raw.setdefault(key.lower(), str(value))
    warnings: list[str] = []

    senders = _addresses(raw.get("from", ""))
    if not senders:
        senders = _addresses(raw.get("sender", ""))
    if not senders:
        where = _header_line(data, first, "From")
        if raw.get("from", "").strip():
            raise _Bad(f"unreadable sender “{_clip(_decode_words(raw['from']))}”", where)
        raise _Bad("the message has no sender (From header)", first)
    sender = senders[0]

    date = _date(raw.get("date", ""))
    if date is None:
        date = _envelope_date(envelope)
        where = _header_line(data, first, "Date")
        if date is None:
            problem = (
                f"unreadable date “{_clip(raw['date'])}”"
                if "date" in raw
                else "the message has no date (Date header)"
            )
            raise _Bad(problem, where or first)
        warnings.append(
            (f"line {where}: " if where else "")
            + "no readable Date header; the date of the mbox “From ” line was used"
        )

    subject = _one_line(_decode_words(raw.get("subject", "")))
    message_id = _first_id(raw.get("message-id", ""))
    generated = not message_id
    if generated:
        seed = "\x1f".join([date.isoformat(), sender.address, subject])
        message_id = hashlib.sha256(seed.encode()).hexdigest()[:40] + "@generated.rapport"
    references = tuple(_ids(raw.get("references", "")))
    in_reply_to = _first_id(raw.get("in-reply-to", ""))
    if in_reply_to and not references:
        references = (in_reply_to,)
    excerpt, attachments = _body(message)
    return MessageRecord(
        source=file,
        number=number,
        line=line,
        message_id=message_id,
        date=date,
        sender=sender,
        subject=subject,
        to=tuple(_addresses(raw.get("to", ""))),
        cc=tuple(_addresses(raw.get("cc", ""))),
        in_reply_to=in_reply_to,
        references=references[:100],
        excerpt=excerpt,
        attachments=tuple(attachments),
        generated_id=generated,
        warnings=tuple(warnings),
    )


_HEADER_START = re.compile(rb"^[!-9;-~]+[ \t]*:")
# What the email package's parser takes for a header line (email.feedparser.headerRE).
_PARSER_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")
_PASSED_WHOLE = ("multipart", "message")


def _parse(data: bytes) -> Message:
    """The message as _PARSER makes it. A single-part message (most mail) has its header
    block parsed alone and the rest set as its payload, which is what the parser would
    do with it: its line-by-line walk through a body costs more than the headers. Any
    other shape (multipart, an attached message, a header block the parser would end
    elsewhere, carriage returns) is parsed whole."""
    end = data.find(b"\n\n")
    if end < 0 or b"\r" in data[:end]:
        return _PARSER.parsebytes(data)
    head = data[: end + 2]
    if not all(_PARSER_HEADER_LINE.match(line) for line in head[:-2].split(b"\n")):
        return _PARSER.parsebytes(data)
    message = _PARSER.parsebytes(head)
    if message.get_content_maintype() in _PASSED_WHOLE or message.defects:
        return _PARSER.parsebytes(data)
    message.set_payload(data[end + 2 :].decode("ascii", "surrogateescape"))
    return message


def _clip(text: str, size: int = 60) -> str:
    text = _one_line(text)
    return text if len(text) <= size else text[: size - 1] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- headers ---------------------------------------------------------------------------

# Old Chinese mailers label GBK (and GB18030) text as GB2312; GB18030 reads all three.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}


def _codec(charset: str | None) -> str:
    name = (charset or "").strip().strip('"').lower().split("*", 1)[0]
    name = _CHARSET_ALIASES.get(name, name)
    if not name:
        return "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _text(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset, falling back to UTF-8 and GB18030 when the
    declaration is missing or wrong; never raises."""
    codec = _codec(charset)
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        pass
    for fallback in ("utf-8", "gb18030"):
        if fallback != codec:
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
    return data.decode(codec, errors="replace")


_SURROGATE = re.compile("[\udc80-\udcff]")
_SPACE = re.compile(r"\s")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")


def _raw_header_text(value: str) -> str:
    """A header value as parsed from bytes: 8-bit bytes come through as surrogates;
    read them as UTF-8, else GB18030 (raw Chinese headers are common in old mail)."""
    if "\n" in value or "\r" in value:
        value = value.replace("\r", "").replace("\n", "")
    if not value.isascii() and _SURROGATE.search(value):
        return _text(value.encode("utf-8", "surrogateescape"), None)
    return value


def _decode_words(value: str) -> str:
    """A header value with its RFC 2047 encoded words decoded, leniently: a word in
    an unknown or wrong charset is read as UTF-8 or GB18030, a broken one left as it is."""
    value = _raw_header_text(value)
    if "=?" not in value:
        return value
    value = _BETWEEN_WORDS.sub(r"\1\2", value)

    # Adjacent words of one charset are joined before decoding: mailers split a
    # multi-byte character across two words.
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: list[str] = [""]

    def flush() -> None:
        if pending:
            out.append(_text(b"".join(pending), pending_charset[0]))
            pending.clear()

    position = 0
    for match in _ENCODED_WORD.finditer(value):
        if match.start() > position:
            flush()
            out.append(value[position : match.start()])
        charset, encoding, payload = match.groups()
        try:
            if encoding in "Bb":
                payload = payload + "=" * (-len(payload) % 4)
                data = binascii.a2b_base64(payload.encode("ascii"))
            else:
                data = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            flush()
            out.append(match.group(0))
        else:
            if pending and pending_charset[0] != charset.lower():
                flush()
            pending_charset[0] = charset.lower()
            pending.append(data)
        position = match.end()
    flush()
    out.append(value[position:])
    return "".join(out)


# "Name <a@b>" or "a@b" alone, the shape of most headers: read without the general parser.
_SIMPLE_ADDRESS = re.compile(
    r'\s*(?:"?([^"<>,;:\\()@]*?)"?\s*<([^<>\s,;:"()\\]+@[^<>\s,;:"()\\]+)>'
    r'|([^<>\s,;:"()\\]+@[^<>\s,;:"()\\]+))\s*\Z'
)


def _addresses(value: str) -> list[Address]:
    if not value.strip():
        return []
    value = _raw_header_text(value)
    simple = _SIMPLE_ADDRESS.match(value)
    pairs = (
        [(simple.group(1) or "", simple.group(2) or simple.group(3))]
        if simple
        else email.utils.getaddresses([value])
    )
    found: list[Address] = []
    for display, address in pairs:
        address = address.strip().strip("<>").strip()
        if "@" not in address or len(address) > 254 or _SPACE.search(address):
            continue
        name = _one_line(_decode_words(display)).strip().strip("\"'").strip()
        if name.lower() == address.lower():
            name = ""
        found.append(Address(name=name[:200], address=address.lower()))
    return found


_ID = re.compile(r"<([^<>\s]+)>")


def _normalise_id(text: str) -> str:
    text = text.strip().strip("<>").strip()
    if len(text) > MAX_ID_CHARS:
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest() + "@long.rapport"
    return text


def _ids(value: str) -> list[str]:
    value = _raw_header_text(value)
    found = [_normalise_id(m) for m in _ID.findall(value)]
    if not found:
        bare = value.split()
        found = [_normalise_id(word) for word in bare if "@" in word]
    return [i for i in dict.fromkeys(found) if i]


def _first_id(value: str) -> str:
    ids = _ids(value)
    return ids[0] if ids else ""


def _date(value: str) -> dt.datetime | None:
    value = _one_line(_raw_header_text(value))
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None


def _envelope_date(envelope: bytes) -> dt.datetime | None:
    """The date on an mbox "From sender Mon Jan  1 00:00:00 2024" line, as UTC."""
    words = envelope.decode("ascii", "replace").split()
    if len(words) < 6:
        return None
    try:
        parsed = time.strptime(" ".join(words[-5:]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return dt.datetime(*parsed[:6], tzinfo=dt.UTC)


# -- the body --------------------------------------------------------------------------


def _body(message: Message) -> tuple[str, list[str]]:
    """A short plain-text excerpt (text/plain preferred, else HTML stripped; quoted
    replies and signatures trimmed) and the names of the attachments."""
    plain: str | None = None
    html: str | None = None
    attachments: list[str] = []
    if not message.is_multipart() and not _may_be_attachment(message):
        # The common single-part message, without the attachment look-ups.
        ctype = message.get_content_type()
        text = _part_text(message) if ctype in ("text/plain", "text/html") else ""
        return excerpt_of(html_to_text(text) if ctype == "text/html" else text), []
    for count, part in enumerate(message.walk()):
        if count > 500:
            break
        if part.is_multipart():
            continue
        filename = _filename(part)
        disposition = (part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
        if filename or disposition == "attachment":
            attachments.append(filename or "(unnamed)")
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part)
        elif ctype == "text/html" and html is None:
            html = _part_text(part)
    if plain is not None and plain.strip():
        text = plain
    elif html is not None:
        text = html_to_text(html)
    else:
        text = plain or ""
    return excerpt_of(text), attachments[:100]


def _may_be_attachment(part: Message) -> bool:
    disposition = part.get("Content-Disposition")
    ctype = str(part.get("Content-Type") or "").lower()
    return bool(disposition) or "name" in ctype


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if not name:
        raw = part.get_param("name", header="content-type")
        name = raw if isinstance(raw, str) else ""
    return _clip(_decode_words(str(name)), 200) if name else ""


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _text(payload[: _BODY_SCAN_CHARS * 4], part.get_content_charset())


class _TextOfHtml(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAK = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quoting = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        if tag == "blockquote":
            self.quoting += 1
        if tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        if tag == "blockquote" and self.quoting:
            self.quoting -= 1
        if tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.quoting:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML body (scripts, styles and quoted blocks left out)."""
    parser = _TextOfHtml()
    try:
        parser.feed(html[: _BODY_SCAN_CHARS * 2])
        parser.close()
    except Exception:  # noqa: S110 - html.parser is lenient; a failure only shortens the text
        pass
    return "".join(parser.parts)


# Where the quoted earlier message starts, in English, Chinese and Outlook's shapes.
_QUOTE_START = re.compile(
    r"^(?:On .{0,200}wrote:?|在.{0,200}写道[：:]?|-{2,}\s*(?:Original Message|原始邮件)\s*-{2,}"
    r"|_{10,}|(?:From|发件人)\s*[:：].*|Sent from my .*)\s*$",
    re.IGNORECASE,
)


def excerpt_of(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The message's own words: quoted lines, the quoted earlier message and the
    signature cut off, whitespace collapsed, at most `limit` characters."""
    kept: list[str] = []
    for line in text[:_BODY_SCAN_CHARS].splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if line.rstrip() == "--" or _QUOTE_START.match(stripped):
            break
        kept.append(stripped)
    excerpt = _one_line(" ".join(kept))
    return excerpt if len(excerpt) <= limit else excerpt[: limit - 1].rstrip() + "…"
