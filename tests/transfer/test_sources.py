"""Reading files in blocks: where the blocks are cut must never change what is read."""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.transfer import sources
from rapport.transfer.records import ContactRecord
from rapport.transfer.vcard import read_vcards

CORPUS = Path(__file__).parent / "corpus"


def reference_lines(data: bytes, longest: int) -> list[bytes | None]:
    """What byte_lines promises, written the obvious way over the whole file."""
    data = data.removeprefix(codecs.BOM_UTF8)
    if not data:
        return []
    lines = re.split(rb"\r\n|\r|\n", data)
    if data.endswith((b"\n", b"\r")):
        lines.pop()  # a final line end does not begin another line
    return [None if len(line) > longest else line for line in lines]


line_bytes = st.lists(
    st.one_of(
        st.binary(max_size=12),
        st.sampled_from([b"\r\n", b"\r", b"\n", b"\r\r\n", codecs.BOM_UTF8, b"x" * 30]),
    ),
    max_size=30,
).map(b"".join)


@settings(max_examples=300)
@given(line_bytes, st.integers(3, 9), st.integers(0, 20))
def test_lines_are_the_same_whatever_the_block_size(data, chunk, extra):
    longest = chunk + extra  # the limit is never below a block, as in production
    with (
        mock.patch.object(sources, "CHUNK_BYTES", chunk),
        mock.patch.object(sources, "MAX_LINE_BYTES", longest),
    ):
        lines = list(sources.byte_lines(io.BytesIO(data)))
    assert lines == reference_lines(data, longest)


@settings(max_examples=100)
@given(st.text(max_size=200), st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"]))
def test_utf16_lines_are_the_utf8_lines(text, encoding):
    utf8 = list(sources.byte_lines(io.BytesIO(text.encode("utf-8", "surrogatepass"))))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # lone surrogates have no UTF-16 form
    assert list(sources.byte_lines(io.BytesIO(data), utf16=encoding)) == utf8


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(CORPUS.glob("*.vcf"))),
    st.integers(3, 200),
)
def test_cards_and_their_line_numbers_do_not_depend_on_the_block_size(path, chunk):
    def read() -> list[object]:
        return [
            r if isinstance(r, ContactRecord) else (r.record, r.line, r.message)
            for r in read_vcards(path)
        ]

    expected = read()
    with mock.patch.object(sources, "CHUNK_BYTES", chunk):
        assert read() == expected


def test_utf16_is_recognised_with_or_without_a_byte_order_mark():
    assert sources.sniff_utf16("BEGIN:VCARD".encode("utf-16")) == "utf-16"
    assert sources.sniff_utf16("BEGIN:VCARD".encode("utf-16-le")) == "utf-16-le"
    assert sources.sniff_utf16("BEGIN:VCARD".encode("utf-16-be")) == "utf-16-be"
    assert sources.sniff_utf16(b"BEGIN:VCARD") is None
