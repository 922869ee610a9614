"""Where an import reads from: a path, the bytes of an upload, or an open binary file.

Both readers take the same `Source` and read it line by line, so a file of any size is
read in bounded memory."""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

# File extensions → formats (`rapport import`, the import page and the API).
FORMATS_BY_SUFFIX = {
    ".vcf": "vcard",
    ".vcard": "vcard",
    ".csv": "csv",
    ".mbox": "mbox",
    ".mbx": "mbox",
    ".eml": "eml",
    ".ics": "ics",
    ".ical": "ics",
}
# Email archives and calendars become conversations, not contacts.
CAPTURE_FORMATS = {"mbox", "eml", "ics"}

Source = str | os.PathLike[str] | bytes | BinaryIO

# No real contact needs more; a longer line or record is an error, not an allocation.
MAX_LINE_BYTES = 16 * 1024 * 1024


def source_name(source: Source, name: str | None) -> str:
    """The file name errors should show: the given one, else the path's base name."""
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return os.path.basename(os.fspath(source))
    if isinstance(source, bytes):
        return "<upload>"
    stream_name = getattr(source, "name", None)
    return os.path.basename(stream_name) if isinstance(stream_name, str) else "<upload>"


class _Replay(io.RawIOBase):
    """A stream that gives back the bytes already read from its start, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


@contextmanager
def open_binary(source: Source, head_size: int = 4096) -> Iterator[tuple[bytes, BinaryIO]]:
    """The first `head_size` bytes of the source (to sniff its encoding) and a buffered
    binary stream over the whole of it. A path is opened and closed here; a stream the
    caller gave stays open."""
    if isinstance(source, (str, os.PathLike)):
        size = max(head_size, io.DEFAULT_BUFFER_SIZE)
        with io.BufferedReader(open(source, "rb", buffering=0), buffer_size=size) as stream:
            yield stream.peek(head_size)[:head_size], stream
    elif isinstance(source, bytes):
        yield source[:head_size], io.BytesIO(source)
    else:
        head = source.read(head_size) or b""
        yield head, io.BufferedReader(_Replay(head, source))


def sniff_utf16(head: bytes) -> str | None:
    """'utf-16' for a UTF-16 byte-order mark; 'utf-16-le'/'-be' for UTF-16 text
    without one (ASCII characters with a zero byte beside each); else None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:200]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.6 and even.count(0) < len(even) * 0.1:
            return "utf-16-le"
        if even.count(0) > len(even) * 0.6 and odd.count(0) < len(odd) * 0.1:
            return "utf-16-be"
    return None


CHUNK_BYTES = 1024 * 1024


def _raw_chunks(stream: BinaryIO, utf16: str | None) -> Iterator[bytes]:
    if not utf16:
        first = True
        while chunk := stream.read(CHUNK_BYTES):
            if first:
                first = False
                chunk = chunk.removeprefix(codecs.BOM_UTF8)
            if chunk:
                yield chunk
        return
    text = io.TextIOWrapper(stream, encoding=utf16, newline="")  # type: ignore[type-var]
    try:
        while piece := text.read(CHUNK_BYTES // 4):
            yield piece.encode("utf-8")
    finally:
        # Leave the caller's stream open; if it is already closed, there is nothing to do.
        if not text.closed:
            text.detach()


def byte_blocks(
    stream: BinaryIO, *, utf16: str | None = None
) -> Generator[bytes | None, None, None]:
    """The stream's text in blocks of whole lines, each line ending in LF (CRLF and a
    lone CR, as old Macs wrote, become LF), without a UTF-8 byte-order mark, and
    transcoded from UTF-16 to UTF-8 when `utf16` names that encoding.

    Blocks are about CHUNK_BYTES long, so a file of any size is read in bounded memory.
    A line longer than MAX_LINE_BYTES comes out as None in its place (its bytes
    skipped), so the caller can report it and go on. Undecodable UTF-16 raises
    UnicodeDecodeError."""
    pending: list[bytes] = []  # the start of a line that has not ended yet
    pending_size = 0
    skipping = False  # inside an overlong line, dropping bytes up to its end
    held_cr = False  # a chunk ended in CR, which may be the first half of a CRLF
    for raw in _raw_chunks(stream, utf16):
        chunk = b"\r" + raw if held_cr else raw
        held_cr = False
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                chunk, held_cr = chunk[:-1], True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            if not skipping:
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size > MAX_LINE_BYTES:
                    pending, pending_size, skipping = [], 0, True
            continue
        block, rest = chunk[:cut], chunk[cut:]
        if skipping:
            block = block[block.find(b"\n") + 1 :]
            skipping = False
            yield None  # the end of the overlong line
        elif pending:
            block = b"".join([*pending, block])
            pending, pending_size = [], 0
            first_end = block.find(b"\n")
            if first_end > MAX_LINE_BYTES:
                block = block[first_end + 1 :]
                yield None
        if block:
            yield block
        if rest:
            pending, pending_size = [rest], len(rest)
    if skipping:
        yield None
    elif pending or held_cr:
        yield b"".join(pending) + b"\n"


def byte_lines(
    stream: BinaryIO, *, utf16: str | None = None
) -> Generator[bytes | None, None, None]:
    """The lines of the stream as byte_blocks() gives them, one at a time and without
    their LF; None for a line longer than MAX_LINE_BYTES."""
    for block in byte_blocks(stream, utf16=utf16):
        if block is None:
            yield None
        else:
            yield from block[:-1].split(b"\n")
