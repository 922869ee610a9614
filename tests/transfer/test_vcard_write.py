"""Writing vCard 4.0 for export: what we write, we (and others) read back unchanged."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.transfer import fields
from rapport.transfer.contacts_csv import read_contacts_csv
from rapport.transfer.records import (
    ContactRecord,
    Labelled,
    PartialDate,
    Photo,
    Related,
    SocialHandle,
)
from rapport.transfer.vcard import format_vcard, iter_vcards, read_vcards, write_vcards

CORPUS = Path(__file__).parent / "corpus"
CSV_MAPPINGS: dict[str, dict[str, str] | None] = {
    "google.csv": None,
    "google_legacy.csv": None,
    "outlook.csv": None,
    "linkedin.csv": None,
    "chinese_excel.csv": {
        "姓名": "display_name",
        "手机": "phone:mobile",
        "农历生日": "lunar_birthday",
    },
}


def reread(records: list[ContactRecord]) -> list[ContactRecord]:
    results = list(read_vcards(write_vcards(records).encode("utf-8"), name="export.vcf"))
    assert all(isinstance(r, ContactRecord) for r in results), results
    return results  # type: ignore[return-value]


def same_content(written: ContactRecord, read: ContactRecord) -> ContactRecord:
    """`read` with what depends on the file rather than the contact taken from `written`:
    where it was, what the reader noticed, and the name order it guessed."""
    return dataclasses.replace(
        read,
        source=written.source,
        number=written.number,
        line=written.line,
        name_order=written.name_order,
        warnings=written.warnings,
    )


def anna() -> ContactRecord:
    return next(r for r in read_vcards(CORPUS / "apple.vcf") if isinstance(r, ContactRecord))


def test_written_cards_are_vcard_4_with_crlf_and_short_lines():
    text = format_vcard(anna())
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert text.endswith("END:VCARD\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "\n" not in text.replace("\r\n", "")
    assert "PHOTO:data:image/jpeg;base64,/9j/" in text.replace("\r\n ", "")


def test_labels_go_in_types_when_standard_and_in_x_ablabel_otherwise():
    text = format_vcard(anna()).replace("\r\n ", "")
    assert "EMAIL;PREF=1:anna@acme.example" in text  # grouped: item1.EMAIL
    assert "item1.X-ABLabel:Shanghai office" in text
    assert "TEL;TYPE=cell;PREF=1:+44 7700 900123" in text
    assert "TEL;TYPE=work,fax:+44 20 7946 0001" in text
    assert "RELATED;VALUE=text;TYPE=spouse:David Lee" in text
    assert "X-ALTBDAY;CALSCALE=chinese:007800021101" in text
    assert "BDAY:--0714" in text


def test_another_vcard_library_reads_what_we_write():
    records = [r for r in read_vcards(CORPUS / "cjk.vcf") if isinstance(r, ContactRecord)]
    components = list(vobject.readComponents(write_vcards(records)))
    assert [c.fn.value for c in components] == [r.display_name for r in records]
    assert components[0].n.value.family == "王"


def test_iter_vcards_streams_one_card_per_record():
    records = [r for r in read_vcards(CORPUS / "apple.vcf") if isinstance(r, ContactRecord)]
    cards = list(iter_vcards(iter(records)))
    assert len(cards) == 2
    assert all(c.startswith("BEGIN:VCARD\r\n") and c.endswith("END:VCARD\r\n") for c in cards)
    assert "".join(cards) == write_vcards(records)


@pytest.mark.parametrize(
    "name",
    ["apple.vcf", "google.vcf", "outlook.vcf", "android_gbk.vcf", "monica.vcf", "cjk.vcf"],
)
def test_every_corpus_card_survives_export_and_import(name):
    records = [r for r in read_vcards(CORPUS / name) if isinstance(r, ContactRecord)]
    assert records
    for written, read in zip(records, reread(records), strict=True):
        assert same_content(written, read) == written


@pytest.mark.parametrize("name", sorted(CSV_MAPPINGS))
def test_every_csv_contact_survives_export_to_vcard(name):
    records = [
        r
        for r in read_contacts_csv(CORPUS / name, mapping=CSV_MAPPINGS[name])
        if isinstance(r, ContactRecord)
    ]
    assert records
    for written, read in zip(records, reread(records), strict=True):
        assert same_content(written, read) == written


# -- the property: any record we can hold, written and read back, is the same ---------

# Text as the reader hands it out: single-line fields have their white space collapsed,
# multi-line ones are stripped and use \n; no surrogates, no CR.
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r")
line_text = st.text(_chars, min_size=1, max_size=24).map(fields.single_line).filter(bool)
optional_line = st.one_of(st.just(""), line_text)
multi_line = st.text(_chars, max_size=80).map(str.strip)
labels = st.one_of(
    st.sampled_from(["", "work", "home", "mobile", "work fax", "home work", "other", "pager"]),
    st.sampled_from(["Shanghai office", "assistant", "家里", "cell", "voice", "pref", "Work"]),
    line_text.filter(lambda s: not s.startswith("_$!<")),
)
services = st.sampled_from(sorted({*fields._SERVICES.values(), "im", "social"}))


def labelled(values: st.SearchStrategy[str]) -> st.SearchStrategy[Labelled]:
    return st.builds(Labelled, values, labels, st.booleans())


@st.composite
def solar_dates(draw: st.DrawFn) -> PartialDate:
    year = draw(st.one_of(st.none(), st.integers(1, 9999)))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 31))
    try:
        return PartialDate(month=month, day=day, year=year)
    except ValueError:
        return PartialDate(month=month, day=28, year=year)


lunar_dates = st.builds(
    PartialDate,
    month=st.integers(1, 12),
    day=st.integers(1, 30),
    year=st.one_of(st.none(), st.integers(1, 9999)),
    calendar=st.just("lunar"),
    leap_month=st.booleans(),
)
photos = st.one_of(
    st.none(),
    st.builds(
        Photo,
        data=st.binary(min_size=1, max_size=300),
        mime=st.sampled_from(["image/jpeg", "image/png", "image/gif"]),
    ),
    st.builds(
        Photo,
        url=st.text(
            st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40
        ).map(lambda path: "https://photos.example/" + path),
    ),
)
contacts = st.builds(
    ContactRecord,
    source=st.just("export.vcf"),
    number=st.just(1),
    line=st.just(1),
    display_name=line_text,
    given_name=optional_line,
    family_name=optional_line,
    phonetic_given=optional_line,
    phonetic_family=optional_line,
    nickname=optional_line,
    is_organisation=st.booleans(),
    organisation=optional_line,
    department=optional_line,
    title=optional_line,
    emails=st.lists(
        labelled(line_text.filter(lambda s: not s.lower().startswith("mailto:"))), max_size=3
    ).map(tuple),
    phones=st.lists(
        labelled(line_text.filter(lambda s: not s.lower().startswith("tel:"))), max_size=3
    ).map(tuple),
    urls=st.lists(labelled(line_text), max_size=2).map(tuple),
    addresses=st.lists(labelled(line_text), max_size=2).map(tuple),
    social=st.lists(st.builds(SocialHandle, services, line_text, labels), max_size=3).map(tuple),
    birthday=st.one_of(st.none(), solar_dates()),
    lunar_birthday=st.one_of(st.none(), lunar_dates),
    anniversary=st.one_of(st.none(), solar_dates()),
    related=st.lists(
        st.builds(
            Related,
            line_text,
            st.one_of(st.sampled_from(["", "spouse", "child", "referred by"]), line_text),
        ),
        max_size=3,
    ).map(tuple),
    note=multi_line,
    how_we_met=multi_line,
    photo=photos,
    categories=st.lists(
        line_text.filter(lambda s: s.casefold() not in ("mycontacts", "* mycontacts")),
        max_size=4,
    ).map(tuple),
    uid=optional_line,
)


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(st.lists(contacts, min_size=1, max_size=3))
def test_any_record_written_and_read_back_is_unchanged(records):
    for written, read in zip(records, reread(records), strict=True):
        assert same_content(written, read) == written
