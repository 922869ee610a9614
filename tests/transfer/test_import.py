"""Importing contacts into the book, as a salesperson moving from another address book
does it: the real parsers, the real database, the cast of tests/conftest.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rapport.accounts.models import AuditEntry
from rapport.people.models import Channel, Fact, Organisation, Person, Role, Tag
from rapport.people.queries import people_search
from rapport.people.services import person_create, person_reindex
from rapport.transfer.contacts_csv import read_contacts_csv
from rapport.transfer.models import ImportedContact
from rapport.transfer.services import ImportAborted, import_contacts
from rapport.transfer.vcard import read_vcards

CORPUS = Path(__file__).parent / "corpus"
CORPUS_FILES = sorted(
    p for p in CORPUS.iterdir() if p.suffix in (".vcf", ".csv") and p.name != "bad_encoding.csv"
)


def records_of(path: Path) -> Any:
    return read_vcards(path) if path.suffix == ".vcf" else read_contacts_csv(path)


def import_file(actor: Any, name: str, **options: Any) -> Any:
    options.setdefault("on_error", "skip")
    path = CORPUS / name
    return import_contacts(actor, records_of(path), source_name=name, **options)


def import_text(actor: Any, text: str, name: str = "cards.vcf", **options: Any) -> Any:
    options.setdefault("on_error", "abort")
    return import_contacts(
        actor, read_vcards(text.encode(), name=name), source_name=name, **options
    )


def card(*lines: str) -> str:
    return "BEGIN:VCARD\r\nVERSION:3.0\r\n" + "".join(f"{x}\r\n" for x in lines) + "END:VCARD\r\n"


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row an import can write or change, to compare before and after."""
    tables: dict[str, Any] = {
        "people": Person.objects.all(),
        "channels": Channel.objects.all(),
        "facts": Fact.objects.all(),
        "roles": Role.objects.all(),
        "organisations": Organisation.objects.all(),
        "tags": Tag.objects.all(),
        "person_tags": Person.tags.through.objects.all(),
        "import_keys": ImportedContact.objects.all(),
        "audit": AuditEntry.objects.all(),
    }
    return {
        name: sorted(tuple(str(v) for v in row) for row in rows.values_list())
        for name, rows in tables.items()
    }


def person_named(name: str, actor: Any = None) -> Person:
    people = Person.objects.filter(display_name=name)
    if actor is not None:
        people = people.filter(team_id=actor.member.team_id)
    return people.get()


def channels_of(person: Person) -> set[tuple[str, str]]:
    return set(person.channels.values_list("kind", "value"))


def facts_of(person: Person) -> set[str]:
    return set(person.facts.values_list("value", flat=True))


# -- what a user sees after importing ------------------------------------------------------


def test_an_apple_card_becomes_a_person_with_channels_role_birthday_facts_and_tags(alice):
    report = import_file(alice, "apple.vcf")

    assert (report.created, report.updated, report.skipped) == (2, 0, 0)
    anna = person_named("Dr. Anna Mei Lee PhD")
    assert (anna.given_name, anna.family_name) == ("Anna Mei", "Lee")
    assert anna.owner == alice and anna.visibility == "team" and anna.team == alice.member.team
    assert {
        ("email", "anna@acme.example"),
        ("email", "anna.lee@home.example"),
        ("phone", "+44 7700 900123"),
        ("phone", "+86 21 5555 0100"),
        ("wechat", "anna_wx"),
        ("linkedin", "http://www.linkedin.com/in/annalee"),
        ("website", "https://acme.example/anna"),
    } <= channels_of(anna)
    office = anna.channels.get(value="anna@acme.example")
    assert office.label == "Shanghai office" and office.is_primary
    assert anna.channels.get(kind="phone", value="+44 20 7946 0001").label == "work fax"
    # A birthday without a year, as Apple writes one; the lunar one is kept as a fact.
    assert (anna.birth_calendar, anna.birth_year, anna.birth_month, anna.birth_day) == (
        "solar",
        None,
        7,
        14,
    )
    assert {
        "Spouse: David Lee",
        "Child: Grace Lee",
        "Anniversary: 2010-06-12",
        "Nickname: Annie",
        "Lunar birthday: lunar month 11, day 1, 1985",
    } == facts_of(anna)
    assert anna.facts.get(value="Spouse: David Lee").category == "family"
    assert "Prefers tea; never coffee." in anna.notes
    role = anna.roles.select_related("organisation").get()
    assert (role.organisation.name, role.title) == ("Acme Ltd", "Head of Sales, Sales EMEA")
    # The company's own card is the organisation, not a person.
    assert not Person.objects.filter(display_name="Acme Ltd").exists()
    acme = Organisation.objects.get(name="Acme Ltd")
    assert acme.website == "https://acme.example" and "+44 20 7946 0000" in acme.notes
    # Photos have nowhere to go yet, and the report says so.
    assert report.photos_not_kept == 1
    assert any("photo" in w for w in report.outcomes[0].warnings)


def test_chinese_cards_keep_family_first_names_pinyin_lunar_birthdays_and_wechat(alice):
    import_file(alice, "cjk.vcf")

    wang = person_named("王小明")
    assert (wang.family_name, wang.given_name, wang.name_order) == ("王", "小明", "family_first")
    assert wang.romanised_name == "Wang Xiaoming"
    assert (wang.birth_calendar, wang.birth_year, wang.birth_month, wang.birth_day) == (
        "lunar",
        1985,
        11,
        1,
    )
    assert ("wechat", "wangxm88") in channels_of(wang)
    role = wang.roles.select_related("organisation").get()
    assert (role.organisation.name, role.title) == ("阿里巴巴", "市场总监, 市场部")
    for query in ["wxm", "阿里巴巴", "13800138000"]:
        assert [p.display_name for p in people_search(alice, query=query)] == ["王小明"], query
    assert person_named("山田 太郎").name_order == "family_first"


def test_csv_exports_of_google_outlook_and_linkedin_import(alice):
    import_file(alice, "google.csv")
    import_file(alice, "outlook.csv")
    import_file(alice, "linkedin.csv")

    anna = person_named("Anna Mei Lee")
    assert (anna.birth_year, anna.birth_month, anna.birth_day) == (1985, 4, 15)
    assert set(anna.tags.values_list("name", flat=True)) == {"clients", "starred"}
    juergen = person_named("Jürgen Müller")
    assert (juergen.birth_year, juergen.birth_month, juergen.birth_day) == (1970, 1, 15)
    assert "Spouse: Käthe Müller" in facts_of(juergen)
    anita = person_named("Anita Desai")
    assert channels_of(anita) == {("linkedin", "https://www.linkedin.com/in/anita-desai")}
    assert anita.how_we_met == "Connected on LinkedIn on 01 Sep 2024"
    assert anita.roles.get().title == "Talent Partner, Product"


def test_a_phone_without_country_code_is_kept_as_text_and_said(alice):
    report = import_file(alice, "android_gbk.vcf")

    wang = person_named("王小明")
    assert ("other", "13800138000") in channels_of(wang)
    assert wang.channels.get(value="13800138000").label == "phone mobile"
    assert any("no country code" in w for w in report.outcomes[0].warnings)


def test_the_search_text_is_what_the_people_service_would_write(alice):
    for path in CORPUS_FILES:
        import_contacts(alice, records_of(path), on_error="skip", source_name=path.name)

    people = list(Person.objects.filter(team_id=alice.member.team_id))
    assert len(people) > 15
    for person in people:
        stored = person.search_text
        person_reindex(person)
        assert person.search_text == stored, person.display_name


def test_every_write_is_audited(alice):
    import_file(alice, "apple.vcf")

    anna = person_named("Dr. Anna Mei Lee PhD")
    actions = list(
        AuditEntry.objects.filter(person=anna).values_list("action", flat=True).order_by("id")
    )
    assert actions.count("person.create") == 1
    assert actions.count("role.create") == 1 and actions.count("fact.create") == 5
    assert AuditEntry.objects.filter(action="organisation.create", summary="Acme Ltd").exists()
    summary = AuditEntry.objects.get(action="contacts.import")
    assert summary.actor == alice and summary.summary.startswith("apple.vcf: 2 created")


# -- importing again --------------------------------------------------------------------------


def test_importing_every_corpus_file_again_creates_nothing_and_changes_nothing(alice):
    first = [
        import_contacts(alice, records_of(p), on_error="skip", source_name=p.name)
        for p in CORPUS_FILES
    ]
    assert sum(r.created for r in first) > 15
    before = snapshot()

    again = [
        import_contacts(alice, records_of(p), on_error="skip", source_name=p.name)
        for p in CORPUS_FILES
    ]

    assert sum(r.created for r in again) == 0
    assert sum(r.updated for r in again) == 0, [line for r in again for line in r.lines("updated")]
    assert [r.skipped for r in again] == [r.skipped for r in first]
    after = snapshot()
    new_audit = len(after["audit"]) - len(before["audit"])
    assert new_audit == len(CORPUS_FILES)  # one "contacts.import" entry per file
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def test_a_contact_with_only_a_name_is_found_again_by_name_and_organisation(alice):
    text = card("FN:Dave Nameonly", "ORG:Quiet Co")
    assert import_text(alice, text).created == 1
    again = import_text(alice, text)
    assert (again.created, again.unchanged) == (0, 1)
    assert "name and organisation" in again.outcomes[0].reasons[0]
    assert Person.objects.filter(display_name="Dave Nameonly").count() == 1


def test_a_card_is_found_again_by_its_uid_when_its_email_changed(alice):
    import_file(alice, "monica.vcf")
    changed = (
        (CORPUS / "monica.vcf")
        .read_text()
        .replace("EMAIL:sofia.rossi@mail.example", "EMAIL:sofia@new-mail.example")
    )
    changed = changed.replace("EMAIL;TYPE=work:sofia@studio-rossi.example\n", "")
    changed = changed.replace("TEL;TYPE=work:+39 02 1234 5678\n", "")
    changed = changed.replace('TEL;VALUE=uri;TYPE="cell,voice";PREF=1:tel:+39-333-1234567\n', "")

    report = import_text(alice, changed, name="monica.vcf")

    assert (report.created, report.updated) == (0, 1)
    assert report.outcomes[0].reasons[0] == "matched by contact id"
    sofia = person_named("Sofia Rossi")
    assert ("email", "sofia@new-mail.example") in channels_of(sofia)
    assert ("email", "sofia.rossi@mail.example") in channels_of(sofia)  # nothing removed


def test_the_same_person_twice_in_one_file_is_one_person(alice):
    text = card("FN:Mia Chen", "EMAIL:mia@example.com") + card(
        "FN:Mia Chen", "EMAIL:MIA@example.com", "TEL:+44 7700 900555"
    )
    report = import_text(alice, text)

    assert (report.created, report.updated) == (1, 1)
    assert "same person as card 1" in report.outcomes[1].reasons[0]
    mia = person_named("Mia Chen")
    assert channels_of(mia) == {("email", "mia@example.com"), ("phone", "+44 7700 900555")}


# -- matching people already in the book ---------------------------------------------------------


def test_a_person_is_matched_by_email_and_gets_only_what_they_lack(book, alice):
    anna = book["anna"]
    before_notes = anna.notes
    text = card(
        "FN:Anna Lee-Smith",
        "N:Lee-Smith;Anna;;;",
        "EMAIL:ANNA@Northwind.Example",
        "TEL;TYPE=CELL:+44 7700 900777",
        "BDAY:1990-05-05",
        "ORG:Contoso",
        "TITLE:Buyer",
        "NOTE:Moved to Contoso in March.",
        "CATEGORIES:Prospects",
    )

    report = import_text(alice, text)

    assert (report.created, report.updated) == (0, 1)
    outcome = report.outcomes[0]
    assert outcome.reasons[0] == "matched by email anna@northwind.example"
    anna.refresh_from_db()
    # What she had is kept: her name, her 29 February birthday, her first role.
    assert anna.display_name == "Anna Lee" and anna.family_name == "Lee"
    assert (anna.birth_month, anna.birth_day, anna.birth_year) == (2, 29, None)
    assert any("birthday" in w and "kept Rapport's" in w for w in outcome.warnings)
    assert ("phone", "+44 7700 900777") in channels_of(anna)
    assert anna.channels.filter(kind="email").count() == 1
    assert set(anna.roles.values_list("organisation__name", flat=True)) == {
        "Northwind Logistics",
        "Contoso",
    }
    assert anna.notes == (before_notes + "\n\n" if before_notes else "") + (
        "Moved to Contoso in March."
    )
    assert list(anna.tags.values_list("name", flat=True)) == ["prospects"]
    update = AuditEntry.objects.get(action="person.update", person=anna)
    assert "Phone: +44 7700 900777" in update.changes["added"]


def test_an_organisation_is_found_by_name_in_any_case(book, alice):
    import_text(alice, card("FN:Li Wei", "EMAIL:li@example.com", "ORG:NORTHWIND LOGISTICS"))

    role = person_named("Li Wei").roles.get()
    assert role.organisation == book["northwind"]
    assert Organisation.objects.filter(name__iexact="northwind logistics").count() == 1


@pytest.mark.parametrize("written", ["+8613800138000", "+86 (138) 0013-8000", "138-0013-8000"])
def test_a_person_is_matched_by_phone_however_it_is_written(book, alice, written):
    report = import_text(alice, card("FN:Wang Xiaoming", f"TEL;TYPE=CELL:{written}"))

    assert (report.created, report.updated + report.unchanged) == (0, 1), report.outcomes[0]
    assert report.outcomes[0].object_id == book["wang"].pk
    assert "phone" in report.outcomes[0].reasons[0]
    # The number is not stored a second time, in either form.
    assert book["wang"].channels.count() == 3


def test_a_shared_office_number_does_not_merge_differently_named_people(book, alice):
    report = import_text(alice, card("FN:Zhou Min", "TEL;TYPE=WORK:+86 138 0013 8000"))

    assert report.created == 1
    assert any("not taken for the same person" in w for w in report.outcomes[0].warnings)
    assert person_named("Zhou Min").pk != book["wang"].pk


def test_other_teams_and_other_users_private_people_are_never_matched_or_touched(book, alice, bob):
    bobs = book["bobs_secret"]
    Channel.objects.create(person=bobs, kind="email", value="secret@bob.example")
    mine = person_create(
        actor=alice,
        display_name="My Private Friend",
        visibility="private",
        channels=[{"kind": "email", "value": "friend@alice.example"}],
    )
    charlie_before = snapshot_of_team(book["charlies"].team_id)
    text = (
        card("FN:Charlie's Client", "EMAIL:client@charlie.example", "TITLE:Boss")
        + card("FN:Bob's Private Contact", "EMAIL:secret@bob.example", "NOTE:hello")
        + card("FN:My Private Friend", "EMAIL:friend@alice.example", "NOTE:met at school")
    )

    report = import_text(alice, text)

    assert [o.action for o in report.outcomes] == ["created", "created", "updated"]
    assert report.outcomes[2].object_id == mine.pk
    assert snapshot_of_team(book["charlies"].team_id) == charlie_before
    bobs.refresh_from_db()
    assert bobs.notes == "" and bobs.channels.count() == 1
    new = person_named("Charlie's Client", alice)
    assert new.team_id == alice.member.team_id and new.owner == alice


def snapshot_of_team(team_id: int) -> list[tuple[Any, ...]]:
    people = Person.objects.filter(team_id=team_id)
    return sorted(
        [tuple(map(str, row)) for row in people.values_list()]
        + [tuple(map(str, row)) for row in Channel.objects.filter(person__in=people).values_list()]
        + [tuple(map(str, row)) for row in Role.objects.filter(person__in=people).values_list()]
        + [tuple(map(str, row)) for row in Fact.objects.filter(person__in=people).values_list()]
        + [
            tuple(map(str, row))
            for row in Organisation.objects.filter(team_id=team_id).values_list()
        ]
    )


def test_a_private_import_makes_private_people_with_private_audit(alice, bob):
    import_text(alice, card("FN:Quiet One", "EMAIL:quiet@example.com"), visibility="private")

    quiet = person_named("Quiet One")
    assert quiet.visibility == "private"
    assert AuditEntry.objects.get(action="person.create", person=quiet).private_to == alice
    # Bob cannot see it, so his import of the same card makes his own.
    assert import_text(bob, card("FN:Quiet One", "EMAIL:quiet@example.com")).created == 1


# -- bad records, dry runs -------------------------------------------------------------------------


def test_a_dry_run_reports_exactly_what_an_import_does_and_writes_nothing(book, alice):
    for path in CORPUS_FILES:
        before = snapshot()
        dry = import_contacts(
            alice, records_of(path), on_error="skip", source_name=path.name, dry_run=True
        )
        assert snapshot() == before, path.name
        real = import_contacts(alice, records_of(path), on_error="skip", source_name=path.name)
        assert dry.dry_run and not real.dry_run
        assert [str(o) for o in dry.outcomes] == [str(o) for o in real.outcomes], path.name
        assert (dry.created, dry.updated, dry.unchanged, dry.skipped) == (
            real.created,
            real.updated,
            real.unchanged,
            real.skipped,
        )
        assert dry.organisations_created == real.organisations_created
    assert Person.objects.filter(team_id=alice.member.team_id).count() > 15
    again = import_file(alice, "apple.vcf", dry_run=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert next(iter(again.lines())).startswith("would leave unchanged: card 1, line 1: ")


def test_a_bad_record_stops_the_import_and_leaves_the_book_as_it_was(book, alice):
    import_file(alice, "google.vcf")
    before = snapshot()

    with pytest.raises(ImportAborted) as stopped:
        import_contacts(
            alice, read_vcards(CORPUS / "broken.vcf"), on_error="abort", source_name="broken.vcf"
        )

    assert stopped.value.message == (
        "broken.vcf, line 1: text outside any card: “This line is not part of any card”"
    )
    assert snapshot() == before


def test_a_bad_card_after_good_ones_undoes_the_good_ones_too(alice):
    before = snapshot()
    good = "".join(card(f"FN:Good {n}", f"EMAIL:good{n}@example.com") for n in range(600))

    with pytest.raises(ImportAborted) as stopped:
        import_text(alice, good + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut\r\n", name="cut.vcf")

    assert stopped.value.message.startswith(
        "cut.vcf, card 601, line 3001: the file ends inside this card"
    )
    assert stopped.value.report.created == 500  # the first batch was written, then undone
    assert snapshot() == before


def test_an_invalid_record_stops_the_import_naming_the_card_and_line(alice):
    before = snapshot()
    text = card("FN:Good Person", "EMAIL:good@example.com") + card("FN:" + "X" * 250)

    with pytest.raises(ImportAborted) as stopped:
        import_text(alice, text, name="long.vcf")

    assert stopped.value.message.startswith("long.vcf, card 2, line 6: display_name:")
    assert snapshot() == before


def test_skip_imports_the_good_records_and_names_the_bad(alice):
    report = import_file(alice, "broken.vcf", on_error="skip")

    # "Alice Good" has alice@example.com: the card is Alice's own, and goes to her person.
    assert (report.created, report.unchanged, report.skipped) == (1, 1, 7)
    assert report.outcomes[1].object_id == alice.member.person_id
    assert Person.objects.filter(display_name="Dave Warnings").exists()
    skipped = list(report.lines("skipped"))
    assert (
        "skipped: card 3, line 13: “this is not a property” is not a vCard property" in (skipped[2])
    )
    assert (
        skipped[0] == "skipped: line 1: text outside any card: “This line is not part of any card”"
    )
    assert "skipped: card 7, line 33: the file ends inside this card (no END:VCARD)" in skipped
    dave = next(o for o in report.outcomes if o.name == "Dave Warnings")
    assert any("circa 1980" in w for w in dave.warnings)


def test_an_invalid_record_is_skipped_with_its_reason(alice):
    text = card("FN:" + "Y" * 250) + card("FN:Fine Person", "EMAIL:fine@example.com")

    report = import_text(alice, text, on_error="skip")

    assert (report.created, report.skipped) == (1, 1)
    assert next(iter(report.lines("skipped"))).startswith("skipped: card 1, line 1: display_name:")


def test_progress_is_reported_in_batches(alice):
    text = "".join(card(f"FN:Person {n}", f"EMAIL:p{n}@example.com") for n in range(1203))
    seen: list[int] = []

    report = import_text(alice, text, progress=seen.append)

    assert report.created == 1203 and sum(seen) == 1203 and len(seen) == 3
    assert Person.objects.filter(display_name__startswith="Person ").count() == 1203
    # Matching across batches: the second import finds all of them.
    assert import_text(alice, text).unchanged == 1203


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "Anna.Lee@ACME.Example"),
        ("email", "not an address"),
        ("phone", "+86 138-0013-8000"),
        ("phone", "+1 (415) 555-0100"),
        ("phone", "+44 7700 900123 ext. 12"),
        ("phone", "13800138000"),
        ("phone", "+1 2"),
        ("website", "https://acme.example/a"),
        ("website", "http://not a url"),
        ("website", "acme.example"),
        ("linkedin", "https://www.linkedin.com/in/anita"),
        ("wechat", "wx_anna"),
        ("fax", "+44 20 7946 0000"),
    ],
)
def test_channels_are_normalised_exactly_as_the_people_service_does(kind, value):
    from django.core.exceptions import ValidationError

    from rapport.people.services import normalise_channel
    from rapport.transfer.services import _normalised

    try:
        expected = normalise_channel(kind, value)
    except ValidationError as exc:
        with pytest.raises(ValidationError) as raised:
            _normalised(kind, value)
        assert raised.value.message_dict == exc.message_dict
    else:
        assert _normalised(kind, value) == expected


def test_a_linkedin_connection_is_found_again_by_its_profile(alice):
    import_file(alice, "linkedin.csv")
    text = card(
        "FN:Anita Desai",
        "X-SOCIALPROFILE;type=linkedin:https://linkedin.com/in/anita-desai/",
        "EMAIL:anita@razorpay.example",
    )

    report = import_text(alice, text)

    assert (report.created, report.updated) == (0, 1)
    assert report.outcomes[0].reasons[0] == "matched by LinkedIn profile"
    assert ("email", "anita@razorpay.example") in channels_of(person_named("Anita Desai"))
