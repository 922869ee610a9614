"""Reading contacts from CSV: Google, Outlook and LinkedIn exports, and mapped columns."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rapport.transfer.contacts_csv import (
    MappingError,
    detect_format,
    open_contacts_csv,
    read_contacts_csv,
)
from rapport.transfer.records import (
    ContactRecord,
    Labelled,
    ParseError,
    PartialDate,
    Photo,
    Related,
    SocialHandle,
)

CORPUS = Path(__file__).parent / "corpus"
CHINESE_MAPPING = {
    "姓名": "display_name",
    "手机": "phone:mobile",
    "邮箱": "email",
    "公司": "organisation",
    "职位": "title",
    "生日": "birthday",
    "农历生日": "lunar_birthday",
    "备注": "note",
    "标签": "categories",
}


def results(name: str, **options: object) -> list[ContactRecord | ParseError]:
    return list(read_contacts_csv(CORPUS / name, **options))  # type: ignore[arg-type]


def good(name: str, **options: object) -> list[ContactRecord]:
    return [r for r in results(name, **options) if isinstance(r, ContactRecord)]


# -- recognising the exports ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "encoding"),
    [
        ("google.csv", "google", "utf-8-sig"),
        ("google_legacy.csv", "google", "utf-8"),
        ("outlook.csv", "outlook", "utf-16"),
        ("linkedin.csv", "linkedin", "utf-8"),
    ],
)
def test_each_export_is_recognised_by_its_header_and_its_encoding_detected(
    name, expected, encoding
):
    with open_contacts_csv(CORPUS / name) as opened:
        assert (opened.format, opened.encoding) == (expected, encoding)


def test_an_unknown_header_is_not_a_format():
    assert detect_format(["Name", "Phone"]) is None


# -- Google -------------------------------------------------------------------------


def test_google_names_organisation_and_dates():
    anna = good("google.csv")[0]
    assert (anna.display_name, anna.given_name, anna.family_name) == (
        "Anna Mei Lee",
        "Anna Mei",
        "Lee",
    )
    assert (anna.organisation, anna.title, anna.department) == (
        "Acme Ltd",
        "Head of Sales",
        "Sales EMEA",
    )
    assert anna.birthday == PartialDate(month=4, day=15, year=1985)
    assert anna.anniversary == PartialDate(month=6, day=12, year=2010)


def test_google_multi_values_labels_and_the_primary_star():
    anna = good("google.csv")[0]
    assert anna.emails == (
        Labelled("anna@acme.example", "work", preferred=True),
        Labelled("anna.lee@acme.example", "work"),
        Labelled("anna@home.example", "home"),
    )
    assert anna.phones == (
        Labelled("+44 7700 900123", "mobile"),
        Labelled("+86 21 5555 0100", "Shanghai office"),
    )


def test_google_address_relation_website_im_and_photo():
    anna = good("google.csv")[0]
    assert anna.addresses == (Labelled("1 Canada Square, London E14 5AB, United Kingdom", "work"),)
    assert anna.related == (Related("David Lee", "spouse"),)
    assert anna.urls == (Labelled("https://acme.example/anna", "profile"),)
    assert anna.social == (SocialHandle("skype", "anna.lee.acme", "work"),)
    assert anna.photo == Photo(url="https://lh3.googleusercontent.com/contacts/AG6_anna")


def test_google_multi_line_note_and_labels_without_the_system_group():
    anna = good("google.csv")[0]
    assert anna.note == "Met at Web Summit, Lisbon.\nPrefers tea."
    assert anna.categories == ("Clients", "starred")
    assert anna.warnings == ("custom field “Shoe size” not imported: 38",)


def test_google_chinese_name_and_year_less_birthday():
    wang = good("google.csv")[1]
    assert (wang.display_name, wang.name_order) == ("王小明", "family_first")
    assert (wang.phonetic_family, wang.phonetic_given) == ("Wang", "Xiaoming")
    assert wang.birthday == PartialDate(month=10, day=1)


def test_google_rows_are_numbered_as_a_spreadsheet_shows_them():
    rows = results("google.csv")
    assert [(r.number if isinstance(r, ContactRecord) else r.record, r.line) for r in rows] == [
        (2, 2),
        (3, 6),  # Anna's note holds a line break: her row takes lines 2 to 5... and 6 is Wang
        (4, 7),
        (6, 9),  # row 5 is empty and skipped; row 6 has nothing to import
    ]
    error = rows[-1]
    assert isinstance(error, ParseError)
    assert (
        str(error)
        == "google.csv, row 6, line 9: this row has no name, organisation, email or phone"
    )


def test_google_legacy_format():
    ben = good("google_legacy.csv")[0]
    assert ben.display_name == "Ben Okafor"
    assert ben.emails == (Labelled("ben@okafor-consulting.example", "work", preferred=True),)
    assert (ben.organisation, ben.title) == ("Okafor Consulting", "Managing Partner")
    assert ben.categories == ("Clients",)
    assert ben.warnings == ("not imported: Hobby",)


# -- Outlook ------------------------------------------------------------------------


def test_outlook_utf16_export_with_phones_address_and_relations():
    juergen = good("outlook.csv")[0]
    assert juergen.display_name == "Jürgen Müller"
    assert juergen.emails == (Labelled("juergen.mueller@contoso.example", "", preferred=True),)
    assert set(juergen.phones) == {
        Labelled("+49 30 1234567", "work"),
        Labelled("+49 170 1234567", "mobile"),
        Labelled("+49 30 1234568", "work fax"),
    }
    assert juergen.addresses == (Labelled("Hauptstraße 1, Berlin, 10115, Deutschland", "work"),)
    assert set(juergen.related) == {
        Related("Käthe Müller", "spouse"),
        Related("Petra Schmidt", "manager"),
        Related("Lena", "child"),
        Related("Paul", "child"),
    }
    assert juergen.categories == ("Kunden", "VIP")
    assert juergen.note == "Rückruf im März.\nNicht vor 10 Uhr."


def test_outlook_empty_dates_are_none_and_us_dates_are_read():
    juergen, priya = good("outlook.csv")
    assert juergen.birthday == PartialDate(month=1, day=15, year=1970)
    assert juergen.anniversary == PartialDate(month=6, day=20, year=1998)
    assert priya.anniversary is None  # Outlook writes 0/0/00 for none


def test_an_ambiguous_date_is_read_in_us_order_with_a_warning_unless_told():
    priya = good("outlook.csv")[1]
    assert priya.birthday == PartialDate(month=4, day=5, year=1990)
    assert "Birthday: “4/5/1990” could be read either way; read as month/day (US order)" in (
        priya.warnings
    )
    priya = good("outlook.csv", day_first=True)[1]
    assert priya.birthday == PartialDate(month=5, day=4, year=1990)
    assert not any("either way" in w for w in priya.warnings)


def test_an_exchange_directory_entry_is_not_taken_for_an_email():
    priya = good("outlook.csv")[1]
    assert priya.emails == (Labelled("priya.nair@fabrikam.example"),)
    assert any("is not an email address" in w for w in priya.warnings)


def test_outlook_defaults_like_normal_priority_are_not_reported_as_lost():
    juergen = good("outlook.csv")[0]
    assert juergen.warnings == ("not imported: Hobby",)


# -- LinkedIn -------------------------------------------------------------------------


def test_linkedin_notes_preamble_is_skipped_and_rows_read():
    anita, rohan = good("linkedin.csv")
    assert (anita.display_name, anita.organisation, anita.title) == (
        "Anita Desai",
        "Razorpay",
        "Talent Partner, Product",
    )
    assert anita.social == (SocialHandle("linkedin", "https://www.linkedin.com/in/anita-desai"),)
    assert anita.how_we_met == "Connected on LinkedIn on 01 Sep 2024"
    assert anita.emails == ()
    assert rohan.family_name == 'Mehta "RM"'
    assert rohan.emails == (Labelled("rohan@example.com"),)


def test_linkedin_row_numbers_count_the_preamble():
    rows = results("linkedin.csv")
    assert [(getattr(r, "number", None) or getattr(r, "record", None), r.line) for r in rows] == [
        (5, 5),
        (6, 6),
        (7, 7),
    ]
    assert isinstance(rows[2], ParseError)


# -- mapped columns -------------------------------------------------------------------


def test_a_chinese_excel_file_in_gb18030_is_read_through_a_mapping():
    with open_contacts_csv(CORPUS / "chinese_excel.csv", mapping=CHINESE_MAPPING) as opened:
        assert (opened.format, opened.encoding) == ("mapped", "gb18030")
        wang, li = list(opened)
    assert isinstance(wang, ContactRecord) and isinstance(li, ContactRecord)
    assert (wang.display_name, wang.name_order) == ("王小明", "family_first")
    assert wang.phones == (Labelled("13800138000", "mobile"),)
    assert wang.birthday == PartialDate(month=10, day=1, year=1980)
    assert wang.lunar_birthday == PartialDate(month=8, day=15, calendar="lunar")
    assert wang.categories == ("客户", "杭州")
    assert wang.note == "喜欢龙井茶"
    assert (li.organisation, li.title, li.emails) == ("腾讯", "产品经理", ())


def test_an_unrecognised_csv_without_a_mapping_asks_for_one_and_lists_its_columns():
    with pytest.raises(MappingError) as raised:
        open_contacts_csv(CORPUS / "chinese_excel.csv")
    assert raised.value.columns[:3] == ("姓名", "手机", "邮箱")
    assert "map its columns" in str(raised.value)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"Name": "display_name"},
            "the mapping names a column “Name” that this file does not have; "
            "its columns are: 姓名, 手机, 邮箱, 公司, 职位, 生日, 农历生日, 备注, 标签",
        ),
        (
            {"姓名": "name"},
            "column “姓名” is mapped to “name”, which is not a field; the fields are: ",
        ),
        ({"手机": "social"}, "column “手机”: social needs its service, as in social:wechat"),
        ({"姓名": "display_name:x"}, "column “姓名”: display_name takes no “:x” part"),
        (
            {"姓名": "display_name", "公司": "display_name"},
            "display_name is mapped from two columns, “姓名” and “公司”",
        ),
    ],
)
def test_a_bad_mapping_names_the_unknown_column_or_field(mapping, message):
    with pytest.raises(MappingError) as raised:
        open_contacts_csv(CORPUS / "chinese_excel.csv", mapping=mapping)
    assert str(raised.value).startswith("chinese_excel.csv, line 1: " + message)


def test_a_misspelt_column_gets_a_suggestion():
    data = b"Full Name,Mobile\r\nAnna Lee,+44 7700 900123\r\n"
    with pytest.raises(MappingError) as raised:
        open_contacts_csv(data, mapping={"Full name ": "display_name", "Mobil": "phone"})
    assert "did you mean “Mobile”?" in str(raised.value)


def test_a_semicolon_csv_from_european_excel_is_read():
    data = "Name;Telefon;E-Mail\r\nJürgen Müller;+49 30 1234567;jm@example.de\r\n".encode()
    [juergen] = read_contacts_csv(
        data, mapping={"Name": "display_name", "Telefon": "phone", "E-Mail": "email"}
    )
    assert isinstance(juergen, ContactRecord)
    assert juergen.phones == (Labelled("+49 30 1234567"),)


# -- bad files ------------------------------------------------------------------------


def test_a_file_in_no_known_encoding_is_a_clear_error():
    [error] = results("bad_encoding.csv")
    assert isinstance(error, ParseError)
    assert str(error) == (
        "bad_encoding.csv: cannot tell this file's text encoding (it is not UTF-8, UTF-16 "
        "or GB18030); save it as “CSV UTF-8” or name its encoding"
    )


def test_naming_the_encoding_reads_a_file_detection_cannot():
    data = "Name,Phone\r\nJosé García,+34 600 000 000\r\n".encode("cp1252")
    [jose] = read_contacts_csv(
        data, mapping={"Name": "display_name", "Phone": "phone"}, encoding="cp1252"
    )
    assert isinstance(jose, ContactRecord) and jose.display_name == "José García"


def test_an_empty_file_says_so():
    [error] = read_contacts_csv(b"", name="empty.csv")
    assert str(error) == "empty.csv: this file is empty: it has no header row"


def test_an_unclosed_quote_is_an_error_for_its_row_not_silent_loss():
    data = b'First Name,Last Name,Connected On\nAnna,Lee,01 Sep 2024\nBen,"Oka\nfor,02 Sep 2024\n'
    anna, error = read_contacts_csv(data, name="c.csv")
    assert isinstance(anna, ContactRecord)
    assert isinstance(error, ParseError) and (error.record, error.line) == (3, 3)
    assert "unreadable CSV" in str(error)


def test_text_that_stops_being_utf8_stops_the_read_with_an_error():
    rows = b"".join(b"Anna%d,Lee,01 Sep 2024\n" % i for i in range(5000))
    data = b"First Name,Last Name,Connected On\n" + rows + b"Jos\xe9,Garc\xeda,03 Sep 2024\n"
    results_ = list(read_contacts_csv(data, name="c.csv"))
    assert len(results_) == 5001
    error = results_[-1]
    assert isinstance(error, ParseError)
    assert (
        str(error)
        == "c.csv, row 5002, line 5002: line 5002 is not utf-8 text like the rest of the file"
    )


def test_an_open_stream_is_read_and_left_open():
    stream = io.BytesIO((CORPUS / "linkedin.csv").read_bytes())
    rows = list(read_contacts_csv(stream, name="Connections.csv"))
    assert len(rows) == 3 and rows[0].source == "Connections.csv"  # type: ignore[union-attr]
    assert not stream.closed
