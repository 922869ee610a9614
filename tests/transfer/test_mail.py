"""Reading mail archives: an mbox split line by line, a folder of .eml files, encoded
Chinese headers, bodies, threads and bad messages; and fuzzing the reader."""

from __future__ import annotations

import datetime as dt
import io
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.transfer.mail import (
    Address,
    MessageRecord,
    excerpt_of,
    read_eml,
    read_eml_folder,
    read_mail,
    read_mbox,
)
from rapport.transfer.records import ParseError

MAIL = Path(__file__).parent / "corpus" / "mail"


def corpus() -> list[MessageRecord | ParseError]:
    return list(read_mbox(MAIL / "archive.mbox"))


def message(items: list[MessageRecord | ParseError], number: int) -> MessageRecord:
    found = next(i for i in items if isinstance(i, MessageRecord) and i.number == number)
    return found


def test_it_reads_every_message_of_an_mbox_in_order():
    items = corpus()
    assert [getattr(i, "number", None) or i.record for i in items] == [1, 2, 3, 4, 5, 6]  # type: ignore[union-attr]
    assert [i.line for i in items] == [1, 24, 47, 60, 70, 73]


def test_it_decodes_a_gbk_subject_and_sender_labelled_gb2312():
    first = message(corpus(), 1)
    assert first.subject == "关于合作的建议——朱镕基"  # 镕 is in GBK, not in GB2312
    assert first.sender == Address("王小明", "xiaoming.wang@huawei.example")
    assert first.to == (Address("Alice Adams", "alice@example.com"),)


def test_it_reads_base64_and_quoted_printable_bodies():
    items = corpus()
    assert message(items, 1).excerpt == "您好，附件是报价单。"  # the signature is cut off
    second = message(items, 2)
    assert second.excerpt.startswith("Dear Anna, Thanks for the call — the café meeting is on.")
    assert "earlier text" not in second.excerpt and "wrote" not in second.excerpt


def test_an_html_body_is_stripped_of_tags_styles_and_quotes():
    third = message(corpus(), 3)
    assert third.excerpt == "Sounds good & agreed."


def test_it_names_attachments():
    assert message(corpus(), 1).attachments == ("quote.pdf",)


def test_it_follows_the_thread():
    items = corpus()
    assert message(items, 1).thread_root == "thread-1@huawei.example"
    second, third = message(items, 2), message(items, 3)
    assert second.in_reply_to == "thread-1@huawei.example"
    assert third.references == ("thread-1@huawei.example", "reply-2@example.com")
    assert third.thread_root == "thread-1@huawei.example"


def test_a_message_without_id_gets_a_stable_one():
    first = message(corpus(), 4)
    again = message(corpus(), 4)
    assert first.generated_id and first.message_id == again.message_id
    assert first.message_id.endswith("@generated.rapport")
    # No zone on its date: read as UTC.
    assert first.date == dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)


def test_dates_are_aware_and_in_utc():
    assert message(corpus(), 3).date == dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC)


def test_a_malformed_message_is_an_error_naming_file_message_and_line():
    error = corpus()[4]
    assert isinstance(error, ParseError)
    assert str(error).startswith("archive.mbox, message 5, line 70: ")


def test_quoted_from_lines_are_unquoted_and_do_not_split_messages():
    data = (
        b"From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x.example\nDate: Mon, 1 Jan 2024 00:00:00"
        b" +0000\nMessage-ID: <one@x>\n\nfirst line\n>From here on, quoted\n\n"
        b"From b@x Mon Jan  1 00:00:00 2024\nFrom: b@x.example\nDate: Mon, 1 Jan 2024 00:00:00"
        b" +0000\n\nbody\n"
    )
    items = list(read_mbox(data, name="q.mbox"))
    assert [type(i) for i in items] == [MessageRecord, MessageRecord]
    assert items[0].excerpt == "first line From here on, quoted"  # type: ignore[union-attr]
    assert items[1].line == 9


def test_a_date_missing_from_the_headers_comes_from_the_mbox_separator():
    data = b"From a@x Tue Feb  3 04:05:06 2026\nFrom: a@x.example\nSubject: s\n\nbody\n"
    (item,) = read_mbox(data, name="d.mbox")
    assert isinstance(item, MessageRecord)
    assert item.date == dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    assert item.warnings and "Date" in item.warnings[0]


def test_text_before_the_first_message_is_reported():
    (error,) = read_mbox(b"From: a@x.example\nSubject: not an mbox\n\nbody\n", name="x.mbox")
    assert isinstance(error, ParseError) and error.line == 1
    assert "eml" in error.message


def test_an_eml_folder_is_read_in_name_order_with_its_bad_file_reported():
    items = list(read_eml_folder(MAIL / "eml"))
    assert [getattr(i, "source", None) or i.file for i in items] == [  # type: ignore[union-attr]
        "eml/01-hello.eml",
        "eml/02-chinese.eml",
        "eml/03-broken.eml",
    ]
    chinese = items[1]
    assert isinstance(chinese, MessageRecord)
    assert chinese.subject == "会议纪要" and chinese.sender.name == "王小明"
    assert chinese.excerpt == "会议纪要见下。"
    assert isinstance(items[2], ParseError)
    assert (
        str(items[2])
        == "eml/03-broken.eml, message 3, line 1: the message has no sender (From header)"
    )


def test_read_mail_chooses_the_reader_by_path():
    assert len(list(read_mail(MAIL / "eml"))) == 3
    assert len(list(read_mail(MAIL / "eml" / "01-hello.eml"))) == 1
    assert len(list(read_mail(MAIL / "archive.mbox"))) == 6


def test_an_eml_with_an_mbox_separator_is_read():
    data = (MAIL / "eml" / "01-hello.eml").read_bytes()
    (item,) = read_eml(b"From anna Sat Mar  7 10:00:00 2026\r\n" + data, name="x.eml")
    assert isinstance(item, MessageRecord) and item.subject == "Hello from the eml folder"


def test_excerpts_are_bounded_and_drop_outlook_quotes():
    text = "Yes, Tuesday.\n\n-----Original Message-----\nFrom: someone\nold\n"
    assert excerpt_of(text) == "Yes, Tuesday."
    assert len(excerpt_of("word " * 1000)) == 500


class _CountingStream(io.RawIOBase):
    """A stream of many messages that counts how much was read."""

    def __init__(self, messages: int) -> None:
        self.left = messages
        self.read_bytes = 0
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while len(self.pending) < len(buffer) and self.left:
            self.left -= 1
            self.pending += (
                b"From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x.example\n"
                b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n\n" + b"x" * 2000 + b"\n\n"
            )
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        self.read_bytes += size
        return size


def test_an_mbox_is_streamed_not_loaded():
    stream = _CountingStream(100_000)  # about 200 MB if it were read whole
    items = read_mbox(io.BufferedReader(stream), name="big.mbox")
    first = next(items)
    assert isinstance(first, MessageRecord)
    assert stream.read_bytes < 8 * 1024 * 1024


# -- fuzzing ---------------------------------------------------------------------------

FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(items: list[MessageRecord | ParseError], name: str) -> None:
    for item in items:
        assert isinstance(item, (MessageRecord, ParseError)), item
        if isinstance(item, ParseError):
            assert str(item).startswith(name)
        else:
            assert item.number >= 1 and item.line >= 1 and item.message_id
            assert item.date.tzinfo is not None and "@" in item.sender.address


header_lines = st.sampled_from(
    [
        b"From: =?gb2312?B?zfXQocP3?= <w@x.example>",
        b"From: broken <",
        b"From: a@x.example",
        b"To: =?utf-8?Q?=E7=8E=8B?= <b@y.example>, c@z.example",
        b"Subject: =?gbk?B?****?=",
        b"Subject: =?unknown-charset?Q?abc?=",
        b"Subject: \xd6\xd0\xce\xc4",
        b"Date: Mon, 2 Mar 2026 10:00:00 +0800",
        b"Date: yesterday",
        b"Date: Mon, 2 Mar 99999 10:00:00 +9999",
        b"Message-ID: <a@b>",
        b"Message-ID: <<<>>>",
        b"References: <a@b> <c@d>",
        b"In-Reply-To: garbage",
        b"Content-Type: multipart/mixed; boundary=B",
        b"Content-Type: text/plain; charset=gb2312",
        b"Content-Type: text/html; charset=nonsense",
        b"Content-Transfer-Encoding: base64",
        b"Content-Transfer-Encoding: quoted-printable",
        b"Content-Disposition: attachment; filename*=utf-8''%E6%8A%A5.pdf",
        b"--B",
        b"--B--",
        b"",
        b">From quoted",
        b"From a@x Mon Jan  1 00:00:00 2024",
        b"<p>hi</p><blockquote>q</blockquote>",
        b"=E4=BD=A0=",
        b"5L2g5aW9",
        b"\r",
        b"\x00\xff",
    ]
)


@FUZZ
@given(st.lists(header_lines, max_size=40))
def test_fuzzed_mbox_shapes_give_only_records_or_errors(lines: list[bytes]) -> None:
    data = b"From a@x Mon Jan  1 00:00:00 2024\n" + b"\n".join(lines)
    check(list(read_mbox(data, name="fuzz.mbox")), "fuzz.mbox")


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzzed_bytes_give_only_records_or_errors(data: bytes) -> None:
    check(list(read_mbox(data, name="fuzz.mbox")), "fuzz.mbox")
    check(list(read_eml(data, name="fuzz.eml")), "fuzz.eml")


@FUZZ
@given(st.data())
def test_fuzzed_corpus_messages_give_only_records_or_errors(data: st.DataObject) -> None:
    raw = bytearray((MAIL / "archive.mbox").read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    check(list(read_mbox(bytes(raw), name="fuzz.mbox")), "fuzz.mbox")
