"""Fuzzing the readers: whatever bytes come in, out come only ContactRecords and
ParseErrors, each input read within a time bound (hypothesis' deadline)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.transfer.contacts_csv import read_contacts_csv
from rapport.transfer.records import ContactRecord, ParseError
from rapport.transfer.vcard import read_vcards

CORPUS = Path(__file__).parent / "corpus"
VCARDS = sorted(CORPUS.glob("*.vcf"))
CSVS = sorted(CORPUS.glob("*.csv"))
FUZZ = settings(
    max_examples=200,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(results: list[ContactRecord | ParseError], name: str) -> None:
    for item in results:
        assert isinstance(item, (ContactRecord, ParseError)), item
        if isinstance(item, ParseError):
            assert str(item).startswith(name)
            # The readers' last-resort catch: reaching it means a bug to fix.
            assert "unexpected problem" not in item.message, item
        else:
            assert item.display_name and item.number >= 1 and item.line >= 1


def check_vcards(data: bytes) -> None:
    check(list(read_vcards(data, name="fuzz.vcf")), "fuzz.vcf")


def check_csv(data: bytes, mapping: dict[str, str] | None = None) -> None:
    check(list(read_contacts_csv(data, name="fuzz.csv", mapping=mapping)), "fuzz.csv")


# -- shapes of input -------------------------------------------------------------------

names = st.sampled_from(
    [
        "FN",
        "N",
        "ORG",
        "TITLE",
        "EMAIL",
        "TEL",
        "ADR",
        "URL",
        "NOTE",
        "BDAY",
        "ANNIVERSARY",
        "X-ANNIVERSARY",
        "RELATED",
        "X-ABRELATEDNAMES",
        "X-ABLabel",
        "X-ABDATE",
        "PHOTO",
        "CATEGORIES",
        "IMPP",
        "X-SOCIALPROFILE",
        "UID",
        "KIND",
        "X-ALTBDAY",
        "X-ANDROID-CUSTOM",
        "LABEL",
        "NICKNAME",
        "VERSION",
        "BEGIN",
        "END",
        "X-MS-SPOUSE",
    ]
)
params = st.sampled_from(
    [
        "",
        ";TYPE=WORK",
        ";type=INTERNET;type=pref",
        ';TYPE="cell,voice";PREF=1',
        ";WORK;VOICE",
        ";ENCODING=QUOTED-PRINTABLE",
        ";CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE",
        ";CHARSET=UTF-8;QUOTED-PRINTABLE",
        ";CHARSET=X-NO-SUCH-CHARSET;ENCODING=QUOTED-PRINTABLE",
        ";ENCODING=b;TYPE=JPEG",
        ";ENCODING=BASE64",
        ";X-APPLE-OMIT-YEAR=1604",
        ";CALSCALE=chinese",
        ";VALUE=text",
        ';X-SERVICE-TYPE="a;b:c"',
        ";a=b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b",
        ';TYPE="unclosed',
        ";X-LEAP-MONTH=TRUE",
    ]
)
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "--0415",
            "1604-07-14",
            "007800021101",
            "2019-02-30",
            "=E7=8E=8B=",
            "=ZZ=0",
            "data:image/png;base64,iVBORw0KGgo=",
            "data:,",
            "https\\://example.com",
            "Lee;Anna;;;",
            "a\\,b\\;c\\nd\\",
            "vnd.android.cursor.item/relation;X;14",
            "vnd.android.cursor.item/contact_event;bad;1",
            "x-apple:wxid",
            "urn:uuid:1234",
            "_$!<Anniversary>!$_",
            "VCARD",
        ]
    ),
)


@st.composite
def vcard_lines(draw: st.DrawFn) -> str:
    group = draw(st.sampled_from(["", "", "item1.", "item2."]))
    line = f"{group}{draw(names)}{draw(params)}:{draw(values)}"
    return draw(
        st.sampled_from(
            [
                line,
                line,
                "BEGIN:VCARD",
                "END:VCARD",
                "VERSION:" + draw(st.sampled_from(["2.1", "3.0", "4.0", "9"])),
                " " + draw(values),
                "",
                line + "=",
            ]
        )
    )


@st.composite
def vcard_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(vcard_lines(), max_size=40))
    if draw(st.booleans()):
        lines = ["BEGIN:VCARD", *lines, "END:VCARD"]
    text = draw(st.sampled_from(["\r\n", "\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "gb18030", "utf-16", "latin-1"]))
    return text.encode(encoding, "replace")


@st.composite
def mutated(draw: st.DrawFn, files: list[Path]) -> bytes:
    """A corpus file cut, spliced, flipped or truncated a few times."""
    data = bytearray(draw(st.sampled_from(files)).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        size = draw(st.integers(1, 64))
        kind = draw(st.sampled_from(["delete", "insert", "flip", "repeat", "truncate"]))
        if kind == "delete":
            del data[at : at + size]
        elif kind == "insert":
            data[at:at] = draw(
                st.one_of(
                    st.binary(max_size=size),
                    st.sampled_from(
                        [b"\r\n", b"\n ", b"=\r\n", b";", b":", b'"', b"\\", b"END:VCARD\r\n"]
                    ),
                )
            )
        elif kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "repeat":
            data[at:at] = data[at : at + size] * draw(st.integers(2, 50))
        else:
            del data[at:]
    return bytes(data)


# -- vCard ------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_give_only_records_and_errors(data):
    check_vcards(data)


@FUZZ
@given(st.text(max_size=2000))
def test_random_text_gives_only_records_and_errors(text):
    check_vcards(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(vcard_files())
def test_vcard_shaped_input_gives_only_records_and_errors(data):
    check_vcards(data)


@FUZZ
@given(mutated(VCARDS))
def test_mutated_corpus_vcards_give_only_records_and_errors(data):
    check_vcards(data)


# -- CSV --------------------------------------------------------------------------------

csv_cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["* Work", "a ::: b", "0/0/00", "4/5/85", "--04-15", "/o=Exchange", '"', "\r\n", ""]
    ),
)
headers = st.sampled_from(
    [
        ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"],
        ["First Name", "Last Name", "Labels", "E-mail 1 - Label", "E-mail 1 - Value", "Birthday"],
        ["First Name", "Last Name", "E-mail Address", "Business Phone", "Company", "Birthday"],
        ["Name", "Phone", "Mail", "Born"],
    ]
)
MAPPING = {"Name": "display_name", "Phone": "phone:mobile", "Mail": "email", "Born": "birthday"}


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, dict[str, str] | None]:
    import csv
    import io

    header = draw(headers)
    rows = draw(st.lists(st.lists(csv_cells, max_size=len(header) + 2), max_size=15))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ";", "\t"])))
    if draw(st.booleans()):
        buffer.write('Notes:\n"preamble"\n\n')
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]))
    data = buffer.getvalue().encode(encoding, "replace")
    return data, (MAPPING if header[0] == "Name" else None)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_as_csv_give_only_records_and_errors(data):
    check_csv(data)
    check_csv(data, MAPPING)


@FUZZ
@given(csv_files())
def test_csv_shaped_input_gives_only_records_and_errors(file_and_mapping):
    check_csv(*file_and_mapping)


@FUZZ
@given(mutated(CSVS))
def test_mutated_corpus_csvs_give_only_records_and_errors(data):
    check_csv(data)
    check_csv(data, {"姓名": "display_name", "手机": "phone"})
