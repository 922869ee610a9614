"""Reading vCard files as Apple, Google, Outlook, Android and Monica export them.

Each corpus file under corpus/ imitates one exporter's shape; the tests check what a
user would notice after an import: names, labels, dates, photos, notes, errors."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from rapport.transfer import vcard
from rapport.transfer.records import (
    ContactRecord,
    Labelled,
    ParseError,
    PartialDate,
    Related,
    SocialHandle,
    records_or_raise,
)
from rapport.transfer.vcard import read_vcards

CORPUS = Path(__file__).parent / "corpus"
JPEG = (CORPUS / "photo.jpg").read_bytes()
PNG = (CORPUS / "photo.png").read_bytes()


def records(name: str, **options: str) -> list[ContactRecord]:
    results = list(read_vcards(CORPUS / name, **options))
    assert all(isinstance(r, ContactRecord) for r in results), results
    return results  # type: ignore[return-value]


def only(text: str) -> ContactRecord | ParseError:
    [result] = read_vcards(text.replace("\n", "\r\n").encode())
    return result


# -- Apple Contacts ------------------------------------------------------------------


def test_apple_names_keep_the_middle_name_and_the_phonetic_spelling():
    anna = records("apple.vcf")[0]
    assert anna.display_name == "Dr. Anna Mei Lee PhD"
    assert (anna.given_name, anna.family_name) == ("Anna Mei", "Lee")
    assert (anna.phonetic_given, anna.phonetic_family) == ("Anna", "Lee")
    assert anna.nickname == "Annie"
    assert (anna.organisation, anna.department, anna.title) == (
        "Acme Ltd",
        "Sales EMEA",
        "Head of Sales",
    )


def test_apple_grouped_labels_name_emails_phones_and_urls():
    anna = records("apple.vcf")[0]
    assert anna.emails == (
        Labelled("anna@acme.example", "Shanghai office", preferred=True),
        Labelled("anna.lee@home.example", "home"),
    )
    assert anna.phones == (
        Labelled("+44 7700 900123", "mobile", preferred=True),
        Labelled("+44 20 7946 0001", "work fax"),
        Labelled("+86 21 5555 0100", "assistant"),
    )
    # Apple escapes the colon in URLs (https\://); the escape is undone.
    assert anna.urls == (Labelled("https://acme.example/anna", "home page", preferred=True),)


def test_apple_address_on_two_street_lines_is_one_line():
    anna = records("apple.vcf")[0]
    assert anna.addresses == (
        Labelled(
            "1 Canada Square, Level 42, London, E14 5AB, United Kingdom", "work", preferred=True
        ),
    )


def test_apple_birthday_without_a_year_uses_the_1604_convention():
    anna = records("apple.vcf")[0]
    assert anna.birthday == PartialDate(month=7, day=14, year=None)


def test_apple_lunar_birthday_is_read_from_the_sexagenary_cycle():
    anna = records("apple.vcf")[0]
    assert anna.lunar_birthday == PartialDate(month=11, day=1, year=1985, calendar="lunar")


def test_apple_anniversary_and_related_names_come_from_labelled_items():
    anna = records("apple.vcf")[0]
    assert anna.anniversary == PartialDate(month=6, day=12, year=2010)
    assert anna.related == (Related("David Lee", "spouse"), Related("Grace Lee", "child"))


def test_apple_social_profiles_and_messengers_become_handles():
    anna = records("apple.vcf")[0]
    assert anna.social == (
        SocialHandle("linkedin", "http://www.linkedin.com/in/annalee"),
        SocialHandle("wechat", "anna_wx"),
        SocialHandle("skype", "anna.lee.acme", "work"),
    )


def test_apple_note_unescapes_commas_semicolons_and_line_breaks():
    anna = records("apple.vcf")[0]
    assert (
        anna.note == "Met at Web Summit 2023, Lisbon.\nPrefers tea; never coffee.\nKids: Grace (7)"
    )


def test_apple_folded_base64_photo_is_decoded_to_its_bytes():
    anna = records("apple.vcf")[0]
    assert anna.photo is not None
    assert (anna.photo.data, anna.photo.mime) == (JPEG, "image/jpeg")


def test_apple_company_card_is_an_organisation():
    company = records("apple.vcf")[1]
    assert company.is_organisation
    assert company.display_name == "Acme Ltd"
    assert company.phones == (Labelled("+44 20 7946 0000", "main"),)
    assert company.warnings == ()


def test_record_numbers_and_lines_point_at_each_card():
    anna, company = records("apple.vcf")
    assert (anna.source, anna.number, anna.line) == ("apple.vcf", 1, 1)
    assert (company.number, company.line) == (2, 47)


# -- Google Contacts --------------------------------------------------------------


def test_google_birthday_without_a_year():
    ben = records("google.vcf")[0]
    assert ben.birthday == PartialDate(month=4, day=15)
    assert ben.anniversary == PartialDate(month=9, day=12, year=2015)
    assert ben.related == (Related("Ada Okafor", "spouse"),)


def test_google_escaped_colons_in_urls_and_photo_addresses_are_undone():
    ben = records("google.vcf")[0]
    assert ben.urls == (Labelled("https://okafor-consulting.example", "Company site"),)
    assert ben.photo is not None
    assert ben.photo.url == "https://lh3.googleusercontent.com/contacts/AG6tpzH_example=s96"


def test_a_folded_note_is_whole_even_when_the_fold_splits_a_character():
    ben = records("google.vcf")[0]
    assert ben.note == (
        "Introduced by Anna Lee at the Lagos fintech dinner. Follow up on the payments "
        "pilot, Q3 — 付款试点项目，第三季度跟进。"
    )


def test_google_system_group_is_not_a_tag():
    ben = records("google.vcf")[0]
    assert ben.categories == ("Clients", "Nigeria")


def test_a_date_rapport_has_no_place_for_is_reported_with_its_line():
    ben = records("google.vcf")[0]
    assert ben.warnings == ("line 20: date “First project” 2019-03-01 not imported",)


def test_a_card_with_only_an_email_is_named_after_it_with_a_warning():
    solo = records("google.vcf")[1]
    assert solo.display_name == "solo@example.org"
    assert solo.warnings == ("no name; named after its email address",)


# -- Outlook (vCard 2.1) -------------------------------------------------------------


def test_outlook_windows_1252_text_with_charset_is_decoded():
    juergen = records("outlook.vcf")[0]
    assert juergen.display_name == "Jürgen Müller"
    assert (juergen.given_name, juergen.family_name) == ("Jürgen", "Müller")
    assert juergen.department == "Vertrieb Süd"
    assert juergen.warnings == ()


def test_outlook_quoted_printable_note_with_a_soft_line_break():
    juergen = records("outlook.vcf")[0]
    assert juergen.note == (
        "Erstes Treffen auf der Hannover Messe, sehr interessiert an der Plattform.\n"
        "Rückruf im März, bitte nicht vor 10 Uhr."
    )


def test_outlook_bare_2_1_types_become_labels_and_preference():
    juergen = records("outlook.vcf")[0]
    assert juergen.emails[0] == Labelled("juergen.mueller@contoso.example", "", preferred=True)
    assert [p.label for p in juergen.phones] == ["work", "mobile", "work fax"]
    # LABEL repeats ADR as text: one address, not two.
    assert juergen.addresses == (
        Labelled("Hauptstraße 1, Berlin, 10115, Deutschland", "work", preferred=True),
    )


def test_outlook_photo_on_indented_lines_ended_by_a_blank_line():
    juergen = records("outlook.vcf")[0]
    assert juergen.photo is not None
    assert juergen.photo.data == JPEG


def test_outlook_dates_relations_and_categories():
    juergen = records("outlook.vcf")[0]
    assert juergen.birthday == PartialDate(month=1, day=15, year=1970)
    assert juergen.anniversary == PartialDate(month=6, day=20, year=1998)
    assert juergen.related == (
        Related("Käthe Müller", "spouse"),
        Related("Petra Schmidt", "manager"),
        Related("Tom Becker", "assistant"),
    )
    assert juergen.categories == ("Kunden", "VIP")
    assert juergen.social == (SocialHandle("im", "jmueller@im.contoso.example"),)


def test_vcard_2_1_keeps_backslashes_and_unescaped_commas_in_a_note():
    sam = records("outlook.vcf")[1]
    assert sam.note == "Plans are in C:\\new\\plans, ask Sam, he knows"


# -- Android exports with Chinese text -----------------------------------------------


def test_android_gb2312_quoted_printable_names_are_decoded():
    wang = records("android_gbk.vcf")[0]
    assert (wang.display_name, wang.family_name, wang.given_name) == ("王小明", "王", "小明")
    assert wang.name_order == "family_first"
    assert (wang.organisation, wang.department, wang.title) == ("阿里巴巴", "市场部", "市场总监")
    assert wang.note == "在上海的展会上认识，喜欢打高尔夫球。孩子在读初中，明年考高中。"
    assert wang.warnings == ()


def test_android_custom_fields_give_nickname_anniversary_and_spouse():
    wang = records("android_gbk.vcf")[0]
    assert wang.nickname == "小王"
    assert wang.anniversary == PartialDate(month=8, day=8, year=2008)
    assert wang.related == (Related("李丽", "spouse"),)


def test_android_utf8_quoted_printable_card():
    li = records("android_gbk.vcf")[1]
    assert li.display_name == "李四"
    assert li.phones == (Labelled("+86 139 0000 1111", "mobile", preferred=True),)


def test_raw_gbk_without_a_charset_is_read_as_gb18030_with_a_warning():
    zhang = records("android_gbk.vcf")[2]
    assert zhang.display_name == "张伟"
    assert zhang.warnings == (
        "line 26: N is not UTF-8; read as GB18030",
        "line 27: FN is not UTF-8; read as GB18030",
    )


def test_base64_lines_a_writer_forgot_to_indent_still_make_the_photo():
    zhang = records("android_gbk.vcf")[2]
    assert zhang.photo is not None
    assert (zhang.photo.data, zhang.photo.mime) == (PNG, "image/png")


def test_text_that_is_no_known_encoding_is_a_clear_error():
    text = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Jos\xe9\r\nEND:VCARD\r\n"
    [error] = read_vcards(text, name="latin.vcf", fallback_encoding="ascii")
    assert isinstance(error, ParseError)
    assert (
        str(error) == "latin.vcf, card 1, line 3: FN is neither UTF-8, its CHARSET nor ASCII text"
    )
    [fixed] = read_vcards(text, fallback_encoding="cp1252")
    assert isinstance(fixed, ContactRecord)
    assert fixed.display_name == "José"


# -- Monica (vCard 4.0) --------------------------------------------------------------


def test_monica_data_uri_photo_and_year_less_birthday():
    sofia = records("monica.vcf")[0]
    assert sofia.photo is not None
    assert (sofia.photo.data, sofia.photo.mime) == (PNG, "image/png")
    assert sofia.birthday == PartialDate(month=4, day=15)
    assert sofia.anniversary == PartialDate(month=9, day=12, year=2015)


def test_monica_quoted_type_list_pref_and_tel_uri():
    sofia = records("monica.vcf")[0]
    assert sofia.phones == (
        Labelled("+39-333-1234567", "mobile", preferred=True),
        Labelled("+39 02 1234 5678", "work"),
    )


def test_monica_related_by_name_is_kept_and_by_link_is_reported():
    sofia = records("monica.vcf")[0]
    assert sofia.related == (Related("Marco Rossi", "spouse"),)
    assert sofia.warnings == (
        "line 20: related person given only as a link "
        "(urn:uuid:a1b2c3d4-0000-4000-8000-000000000002); not imported",
        "not imported: GENDER",
    )


def test_monica_uid_social_categories_and_note():
    sofia = records("monica.vcf")[0]
    assert sofia.uid == "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    assert sofia.social == (SocialHandle("twitter", "https://twitter.com/sofiarossi"),)
    assert sofia.categories == ("Friends", "Book club")
    assert sofia.note == "Loves opera, hates mornings.\nAsk about the Verona trip."


# -- CJK names ---------------------------------------------------------------------


def test_chinese_name_with_family_first_pinyin_and_wechat():
    wang = records("cjk.vcf")[0]
    assert (wang.display_name, wang.family_name, wang.given_name) == ("王小明", "王", "小明")
    assert wang.name_order == "family_first"
    assert (wang.phonetic_family, wang.phonetic_given) == ("Wang", "Xiaoming")
    assert wang.social == (SocialHandle("wechat", "wangxm88", "微信号"),)
    assert wang.note == "王先生是我们在华东地区最重要的客户之一，每年春节前拜访。喜欢龙井茶和围棋。"


def test_a_chinese_name_given_only_as_fn_is_family_first():
    li = records("cjk.vcf")[1]
    assert (li.display_name, li.given_name, li.family_name) == ("李娜", "", "")
    assert li.name_order == "family_first"


def test_japanese_and_korean_names_are_family_first():
    taro, minjun = records("cjk.vcf")[2:4]
    assert (taro.family_name, taro.given_name, taro.name_order) == ("山田", "太郎", "family_first")
    assert (taro.phonetic_family, taro.phonetic_given) == ("やまだ", "たろう")
    assert (minjun.family_name, minjun.name_order) == ("김", "family_first")


def test_a_romanised_name_written_family_first_is_recognised():
    wang = records("cjk.vcf")[4]
    assert wang.name_order == "family_first"


# -- broken files --------------------------------------------------------------------


def test_a_broken_file_gives_each_good_card_and_a_clear_error_for_each_bad_one():
    results = list(read_vcards(CORPUS / "broken.vcf"))
    shape = [
        (type(r).__name__, r.number if isinstance(r, ContactRecord) else r.record, r.line)
        for r in results
    ]
    assert shape == [
        ("ParseError", None, 1),  # text before the first card
        ("ContactRecord", 1, 2),
        ("ParseError", 2, 7),  # no END:VCARD
        ("ParseError", 3, 13),  # a line that is no property
        ("ParseError", 4, 15),  # no name, email or phone
        ("ContactRecord", 5, 19),  # readable, with warnings
        ("ParseError", 6, 30),  # a parameter list that backtracks vobject's pattern
        ("ParseError", None, 32),  # text between cards
        ("ParseError", 7, 33),  # the file ends inside a card
    ]
    messages = [str(r) for r in results if isinstance(r, ParseError)]
    assert messages[1] == (
        "broken.vcf, card 2, line 7: this card has no END:VCARD before the next card "
        "begins on line 10"
    )
    assert messages[2] == (
        "broken.vcf, card 3, line 13: “this is not a property” is not a vCard property (NAME:value)"
    )
    assert messages[-1] == (
        "broken.vcf, card 7, line 33: the file ends inside this card (no END:VCARD)"
    )


def test_unreadable_dates_and_photos_are_warnings_not_errors():
    dave = next(
        r
        for r in read_vcards(CORPUS / "broken.vcf")
        if isinstance(r, ContactRecord) and r.number == 5
    )
    assert dave.display_name == "Dave Warnings"
    assert dave.birthday is None and dave.anniversary is None and dave.photo is None
    assert dave.warnings == (
        "line 22: birthday “circa 1980” is text, not a date; not imported",
        "line 23: anniversary: “2019-02-30” is not a real date "
        "(day 30 does not exist in month 2); not imported",
        "line 24: photo could not be decoded (Incorrect padding); not imported",
        "not imported: GEO",
    )


def test_a_parameter_list_that_backtracks_is_rejected_at_once():
    text = "BEGIN:VCARD\r\nFN:X\r\nX-EVIL;a=b" + ",b" * 5000 + "\r\nEND:VCARD\r\n"
    started = time.perf_counter()
    [error] = read_vcards(text.encode())
    assert isinstance(error, ParseError)
    assert time.perf_counter() - started < 1


def test_a_file_that_is_not_a_vcard_says_so():
    [error] = read_vcards(b"First Name,Last Name\r\nAnna,Lee\r\n", name="contacts.csv")
    assert str(error) == (
        "contacts.csv, line 1: this is not a vCard file: no BEGIN:VCARD line "
        "(it starts “First Name,Last Name”)"
    )


def test_an_empty_file_says_so():
    [error] = read_vcards(b"", name="empty.vcf")
    assert str(error) == "empty.vcf: this file is empty: it has no vCards"


def test_a_missing_file_is_a_parse_error_not_a_crash(tmp_path):
    [error] = read_vcards(tmp_path / "nowhere.vcf")
    assert isinstance(error, ParseError)
    assert "cannot read the file" in str(error)


def test_a_card_larger_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(vcard, "MAX_CARD_BYTES", 100)
    text = (
        "BEGIN:VCARD\r\nFN:Big\r\nNOTE:"
        + "x" * 200
        + "\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Small\r\nEND:VCARD\r\n"
    )
    big, small = read_vcards(text.encode())
    assert isinstance(big, ParseError) and "larger than" in big.message
    assert isinstance(small, ContactRecord) and small.display_name == "Small"


def test_records_or_raise_stops_at_the_first_bad_card():
    results = read_vcards(CORPUS / "broken.vcf")
    with pytest.raises(ParseError) as raised:
        list(records_or_raise(results))
    assert raised.value.line == 1


# -- encodings, line ends and sources ----------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_utf16_and_bom_files_read_like_utf8(encoding):
    text = (CORPUS / "monica.vcf").read_text("utf-8") + "BEGIN:VCARD\nFN:王小明\nEND:VCARD\n"
    expected = list(read_vcards(text.encode("utf-8"), name="x.vcf"))
    assert [r.display_name for r in expected] == ["Sofia Rossi", "王小明"]  # type: ignore[union-attr]
    assert list(read_vcards(text.encode(encoding), name="x.vcf")) == expected


def test_old_mac_line_ends_are_lines_too():
    text = "BEGIN:VCARD\rVERSION:3.0\rFN:Anna Lee\rEMAIL:anna@example.com\rEND:VCARD\r"
    [anna] = read_vcards(text.encode())
    assert isinstance(anna, ContactRecord)
    assert anna.emails == (Labelled("anna@example.com"),)


def test_a_folded_continuation_that_reads_end_vcard_does_not_end_the_card():
    text = (
        "BEGIN:VCARD\r\nFN:Anna\r\nNOTE:see \r\n END:VCARD\r\nEMAIL:a@example.com\r\nEND:VCARD\r\n"
    )
    [anna] = read_vcards(text.encode())
    assert isinstance(anna, ContactRecord)
    assert anna.note == "see END:VCARD"
    assert anna.emails == (Labelled("a@example.com"),)


def test_an_open_stream_is_read_and_left_open():
    stream = io.BytesIO((CORPUS / "monica.vcf").read_bytes())
    [sofia] = read_vcards(stream, name="monica.vcf")
    assert isinstance(sofia, ContactRecord) and sofia.source == "monica.vcf"
    assert not stream.closed


def test_cards_come_out_before_a_large_file_is_read_to_the_end():
    card = (CORPUS / "monica.vcf").read_bytes()
    data = card * 5000  # about 4.5 MB

    class Counting(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)
            self.read_so_far = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            self.read_so_far += len(chunk)
            return len(chunk)

    stream = Counting()
    results = read_vcards(io.BufferedReader(stream))
    first = next(results)
    assert isinstance(first, ContactRecord)
    assert stream.read_so_far < len(data) / 2
    assert sum(1 for _ in results) == 4999


def test_uri_values_lose_their_scheme_and_kind_org_is_an_organisation():
    result = only(
        "BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:Fabrikam\n"
        "EMAIL:mailto:hello@fabrikam.example\nTEL;VALUE=uri:tel:+1-555-0100\nEND:VCARD\n"
    )
    assert isinstance(result, ContactRecord)
    assert result.is_organisation
    assert result.emails == (Labelled("hello@fabrikam.example"),)
    assert result.phones == (Labelled("+1-555-0100"),)


def test_a_value_with_a_great_many_escapes_is_read_in_linear_time():
    text = b"BEGIN:VCARD\r\nFN:x\r\nN:" + b"a\\," * 200_000 + b";b\r\nEND:VCARD\r\n"
    started = time.perf_counter()
    [result] = read_vcards(text)
    assert isinstance(result, ContactRecord) and result.given_name == "b"
    assert time.perf_counter() - started < 3
