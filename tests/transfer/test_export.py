"""Exports: what a user expects in them (Chinese names intact, files other programs
open), and never a colleague's private contact or another team's rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.http import Http404

from rapport.commitments.services import commitment_create
from rapport.people.services import fact_create
from rapport.portal.services import share_link_create
from rapport.transfer.export import (
    CSV_HEADERS,
    export_json,
    export_people_csv,
    export_people_vcard,
    person_data_export,
)
from rapport.transfer.records import ContactRecord
from rapport.transfer.vcard import read_vcards
from rapport.trust.services import claim_create

SECRETS = ("Bob's Private Contact", "Bob's secret call", "Charlie", "Dim sum")


def vcard_of(user: Any) -> list[ContactRecord]:
    out = io.BytesIO()
    export_people_vcard(user, out)
    cards = list(read_vcards(out.getvalue(), name="export.vcf"))
    assert all(isinstance(card, ContactRecord) for card in cards), cards
    return cards  # type: ignore[return-value]


def csv_of(user: Any) -> tuple[bytes, list[dict[str, str]]]:
    out = io.BytesIO()
    export_people_csv(user, out)
    data = out.getvalue()
    return data, list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def json_of(user: Any) -> tuple[str, dict[str, Any]]:
    out = io.StringIO()
    export_json(user, out)
    return out.getvalue(), json.loads(out.getvalue())


def test_the_vcard_export_reads_back_with_chinese_names_channels_and_birthdays(book, alice):
    cards = {card.display_name: card for card in vcard_of(alice)}
    wang = cards["王小明"]
    assert (wang.family_name, wang.given_name) == ("王", "小明")
    assert (wang.phonetic_family, wang.phonetic_given) == ("Wang", "Xiaoming")
    assert [e.value for e in wang.emails] == ["xiaoming.wang@huawei.example"]
    assert [p.value for p in wang.phones] == ["+86 138 0013 8000"]
    assert [(s.service, s.value) for s in wang.social] == [("wechat", "wx_wangxm")]
    assert (wang.organisation, wang.title) == ("华为技术", "CFO")
    assert wang.lunar_birthday is not None
    assert (wang.lunar_birthday.month, wang.lunar_birthday.day) == (8, 15)
    assert wang.how_we_met == "Alumni dinner in Shanghai"
    assert "Calligraphy" in wang.note and wang.categories == ("vip",)
    anna = cards["Anna Lee"]
    assert anna.birthday is not None and (anna.birthday.month, anna.birthday.day) == (2, 29)
    assert [r.name for r in anna.related] == ["王小明"]


def test_the_people_exports_hold_what_the_user_sees_and_nothing_else(book, alice, bob):
    alices = {card.display_name for card in vcard_of(alice)}
    assert "Alice's Private Contact" in alices and "王小明" in alices
    assert not alices & {"Bob's Private Contact", "Charlie's Client"}
    bobs = {card.display_name for card in vcard_of(bob)}
    assert "Bob's Private Contact" in bobs and "Alice's Private Contact" not in bobs
    _, rows = csv_of(bob)
    assert "Alice's Private Contact" not in {row["Display name"] for row in rows}


def test_a_private_introducer_is_not_named_to_a_colleague(book, alice, bob):
    from rapport.people.services import person_create

    shared = person_create(
        actor=bob, display_name="Shared Friend", introduced_by=book["bobs_secret"].pk
    )
    cards = {card.display_name: card for card in vcard_of(alice)}
    assert (
        cards[shared.display_name].related == ()
    )  # Bob's shared person, without his private introducer
    _, rows = csv_of(alice)
    assert {row["Display name"]: row for row in rows}["Shared Friend"]["Introduced by"] == ""


def test_the_csv_export_opens_in_excel_and_the_csv_module(book, alice):
    data, rows = csv_of(alice)
    assert data.startswith(b"\xef\xbb\xbf")
    assert tuple(rows[0].keys()) == CSV_HEADERS
    by_name = {row["Display name"]: row for row in rows}
    wang = by_name["王小明"]
    assert wang["Family name"] == "王" and wang["Organisation"] == "华为技术"
    assert wang["Phones"] == "+86 138 0013 8000" and wang["WeChat"] == "wx_wangxm"
    assert wang["Birthday"] == "--08-15" and wang["Birthday calendar"] == "lunar"
    assert wang["Tags"] == "vip" and "Calligraphy" in wang["Common ground"]
    assert by_name["Anna Lee"]["Introduced by"] == "王小明"
    assert len(rows) == 5  # Wang, Anna, Alice's private contact, Alice and Bob themselves


def test_a_note_with_commas_quotes_and_lines_survives_the_csv(book, alice):
    from rapport.people.services import person_create

    person_create(actor=alice, display_name='Quote, "Comma"', notes='line one\nline "two", 三')
    _, rows = csv_of(alice)
    row = {r["Display name"]: r for r in rows}['Quote, "Comma"']
    assert row["Notes"] == 'line one\nline "two", 三'


def test_the_json_export_holds_everything_the_user_sees_and_no_secret(book, alice):
    commitment_create(
        actor=alice,
        person=book["wang"],
        title="Send the 方案 by Friday",
        due_on=dt.date(2026, 12, 4),
    )
    _, token = share_link_create(actor=alice, person=book["wang"])
    text, doc = json_of(alice)
    assert doc["format"] == "rapport-export" and doc["team"] == "Alpha Advisory"
    people = {p["display_name"]: p for p in doc["people"]}
    assert set(people) >= {"王小明", "Anna Lee", "Alice's Private Contact"}
    assert people["王小明"]["facts"][0]["value"] == "Calligraphy"
    assert [i["summary"] for i in doc["interactions"]] == ["Quarterly review"]
    assert sorted(doc["interactions"][0]["participants"]) == sorted(
        [book["wang"].pk, book["anna"].pk]
    )
    assert [c["title"] for c in doc["commitments"]] == ["Send the 方案 by Friday"]
    assert {o["name"] for o in doc["organisations"]} == {"华为技术", "Northwind Logistics"}
    assert doc["share_links"] and "digest" not in doc["share_links"][0]
    assert token not in text and "digest" not in text and "password" not in text
    for secret in SECRETS:
        assert secret not in text, secret


def test_a_colleague_sees_their_own_private_rows_but_not_alices(book, bob):
    text, _ = json_of(bob)
    assert "Bob's secret call" in text and "Bob's Private Contact" in text
    assert "Alice's Private Contact" not in text and "Charlie" not in text


def test_a_data_subject_export_gathers_everything_about_one_person(book, alice):
    wang = book["wang"]
    fact_create(actor=alice, person=wang, category="food", value="小笼包")
    commitment_create(actor=alice, person=wang, title="Intro to 李雷", due_on=dt.date(2026, 12, 1))
    claim_create(
        actor=alice,
        person=wang,
        statement="We have 40 engineers in Shanghai",
        made_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
    )
    data = person_data_export(alice, wang)
    json.dumps(data)  # plain data, ready to hand over as a file
    assert data["person"]["display_name"] == "王小明"
    assert {f["value"] for f in data["person"]["facts"]} == {"Calligraphy", "小笼包"}
    assert [c["kind"] for c in data["person"]["channels"]] == ["email", "phone", "wechat"]
    assert data["person"]["roles"][0]["organisation_name"] == "华为技术"
    assert [i["summary"] for i in data["interactions"]] == ["Quarterly review"]
    assert [c["title"] for c in data["commitments"]] == ["Intro to 李雷"]
    assert [c["statement"] for c in data["claims"]] == ["We have 40 engineers in Shanghai"]
    assert data["introduced"] == ["Anna Lee"]
    assert any(entry["action"].startswith("person") for entry in data["audit"])
    assert "Bob" not in json.dumps(data, ensure_ascii=False).replace("bob", "")


def test_a_data_subject_export_of_someone_the_user_may_not_see_is_refused(book, alice):
    with pytest.raises(Http404):
        person_data_export(alice, book["bobs_secret"])
    with pytest.raises(Http404):
        person_data_export(alice, book["charlies"])


def test_an_empty_book_exports_a_header_only(charlie):
    cards = vcard_of(charlie)
    assert [c.display_name for c in cards] == ["Charlie Chen"]  # their own person
    _, doc = json_of(charlie)
    assert doc["interactions"] == [] and doc["commitments"] == []
