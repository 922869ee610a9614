"""`rapport import`, run as a user runs it: a real process on a fresh data folder."""

import json
import subprocess
from pathlib import Path

from tests.test_cli import RAPPORT, query, run

CORPUS = Path(__file__).parent / "corpus"


def people(data_dir):
    return query(data_dir, "select count(*) from people_person")[0][0]


def test_import_dry_run_then_import_then_again_with_a_summary(tmp_path):
    run(tmp_path, "init")
    run(tmp_path, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")
    before = people(tmp_path)

    dry = run(tmp_path, "import", str(CORPUS / "apple.vcf"), "--dry-run")
    assert "Dry run of apple.vcf" in dry.stdout and "Dry run: nothing was saved." in dry.stdout
    assert "would create: card 1, line 1: Dr. Anna Mei Lee PhD" in dry.stdout
    assert "would create: card 2, line 47: Acme Ltd (organisation)" in dry.stdout
    assert people(tmp_path) == before

    done = run(tmp_path, "import", str(CORPUS / "apple.vcf"), "--user", "dora", "--team", "T")
    assert "Imported apple.vcf" in done.stdout and "photo not imported" in done.stdout
    assert people(tmp_path) == before + 1
    assert query(
        tmp_path,
        "select p.display_name, c.value from people_person p join people_channel c "
        "on c.person_id = p.id where c.kind = 'email' and c.is_primary",
    ) == [("Dr. Anna Mei Lee PhD", "anna@acme.example")]
    assert query(tmp_path, "select name, website from people_organisation") == [
        ("Acme Ltd", "https://acme.example")
    ]

    again = json.loads(run(tmp_path, "import", str(CORPUS / "apple.vcf"), "--json").stdout)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert people(tmp_path) == before + 1


def test_import_stops_at_a_bad_record_or_skips_it_with_exit_status_1(tmp_path):
    run(tmp_path, "init")
    run(tmp_path, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")
    before = people(tmp_path)

    stopped = run(tmp_path, "import", str(CORPUS / "broken.vcf"), check=False)
    assert stopped.returncode == 1
    assert "broken.vcf, line 1: text outside any card" in stopped.stderr
    assert "nothing was saved" in stopped.stderr and "--skip-bad" in stopped.stderr
    assert people(tmp_path) == before

    skipped = run(tmp_path, "import", str(CORPUS / "broken.vcf"), "--skip-bad", check=False)
    assert skipped.returncode == 1
    assert "skipped: card 3, line 13: “this is not a property”" in skipped.stdout
    assert "skipped: card 7, line 33: the file ends inside this card" in skipped.stdout
    assert people(tmp_path) == before + 2


def test_import_reads_csv_exports_and_any_csv_through_a_column_mapping(tmp_path):
    run(tmp_path, "init")
    run(tmp_path, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")

    run(tmp_path, "import", str(CORPUS / "outlook.csv"))
    assert query(tmp_path, "select count(*) from people_person where display_name='Priya Nair'")

    unmapped = run(tmp_path, "import", str(CORPUS / "chinese_excel.csv"), check=False)
    assert unmapped.returncode == 1
    assert "map its columns" in unmapped.stderr and "姓名" in unmapped.stderr
    mapped = run(
        tmp_path,
        "import",
        str(CORPUS / "chinese_excel.csv"),
        "--map",
        "姓名=display_name",
        "--map",
        "公司=organisation",
        "--map",
        "邮箱=email",
        "--map",
        "农历生日=lunar_birthday",
        "--map",
        "手机=ignore",
        "--map",
        "职位=ignore",
        "--map",
        "生日=ignore",
        "--map",
        "备注=ignore",
        "--map",
        "标签=ignore",
    )
    assert "Imported chinese_excel.csv" in mapped.stdout
    assert query(
        tmp_path,
        "select birth_calendar, birth_month, birth_day from people_person "
        "where display_name = '王小明'",
    ) == [("lunar", 8, 15)]


def test_import_names_a_format_it_does_not_read_and_who_imports(tmp_path):
    run(tmp_path, "init")
    (tmp_path / "x.vcf").write_text("x")
    unknown = run(tmp_path, "import", str(tmp_path / "x.vcf"), "--format", "xls", check=False)
    assert unknown.returncode == 2
    assert "--format must be vcard, csv, mbox, eml or ics" in unknown.stderr
    (tmp_path / "notes.txt").write_text("x")
    unsure = run(tmp_path, "import", str(tmp_path / "notes.txt"), check=False)
    assert unsure.returncode == 2 and "cannot tell the format" in unsure.stderr

    nobody = run(tmp_path, "import", str(CORPUS / "apple.vcf"), check=False)
    assert nobody.returncode == 1 and "no users yet" in nobody.stderr
    run(tmp_path, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")
    run(tmp_path, "user", "add", "eve", "--team", "T", "--password", "a-long-passphrase")
    which = run(tmp_path, "import", str(CORPUS / "apple.vcf"), "--team", "T", check=False)
    assert which.returncode == 1 and "--user" in which.stderr
    wrong = run(
        tmp_path, "import", str(CORPUS / "apple.vcf"), "--user", "eve", "--team", "U", check=False
    )
    assert wrong.returncode == 1 and "not in team 'U'" in wrong.stderr


def test_import_help_has_an_example():
    result = subprocess.run(
        [RAPPORT, "import", "--help"], capture_output=True, text=True, check=True
    )
    assert "Example: rapport import" in result.stdout
    assert "--dry-run" in result.stdout and "--skip-bad" in result.stdout


def test_import_an_mbox_and_a_calendar_as_conversations_once(tmp_path):
    run(tmp_path, "init")
    run(
        tmp_path,
        "user",
        "add",
        "alice",
        "--team",
        "T",
        "--password",
        "a-long-passphrase",
        "--email",
        "alice@example.com",
    )
    mail = CORPUS / "mail" / "archive.mbox"

    strict = run(tmp_path, "import", str(mail), check=False)
    # The archive holds one malformed message: by default it stops everything.
    assert strict.returncode == 1 and "archive.mbox, message" in strict.stderr
    assert "nothing was saved" in strict.stderr
    assert query(tmp_path, "select count(*) from interactions_interaction") == [(0,)]
    unknown = run(tmp_path, "import", str(mail), "--skip-bad", check=False)
    # Nobody on these messages is in the book yet: each is skipped with its reason.
    assert unknown.returncode == 1 and "skip" in unknown.stdout
    assert query(tmp_path, "select count(*) from interactions_interaction") == [(0,)]

    dry = run(
        tmp_path, "import", str(mail), "--create-people", "--skip-bad", "--dry-run", check=False
    )
    assert "Dry run: nothing was saved." in dry.stdout
    assert query(tmp_path, "select count(*) from interactions_interaction") == [(0,)]

    done = run(
        tmp_path, "import", str(mail), "--create-people", "--skip-bad", "--json", check=False
    )
    report = json.loads(done.stdout)
    assert report["created"] > 0 and report["people_created"] > 0
    emails = query(tmp_path, "select count(*) from interactions_interaction where kind = 'email'")
    assert emails == [(report["created"],)]
    names = {n for (n,) in query(tmp_path, "select display_name from people_person")}
    assert "王小明" in names, names  # the GBK-encoded sender's name, decoded

    again = run(
        tmp_path, "import", str(mail), "--create-people", "--skip-bad", "--json", check=False
    )
    assert json.loads(again.stdout)["created"] == 0
    assert query(tmp_path, "select count(*) from interactions_interaction") == emails

    meetings = run(
        tmp_path,
        "import",
        str(CORPUS / "mail" / "google.ics"),
        "--create-people",
        "--json",
        check=False,
    )
    assert json.loads(meetings.stdout)["created"] > 0
    assert (
        query(tmp_path, "select count(*) from interactions_interaction where kind = 'meeting'")[0][
            0
        ]
        == json.loads(meetings.stdout)["created"]
    )


def test_backup_restore_round_trip_and_exports(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    run(first, "init")
    run(first, "user", "add", "dora", "--team", "T", "--password", "a-long-passphrase")
    run(first, "import", str(CORPUS / "cjk.vcf"), "--skip-bad", check=False)
    run(first, "import", str(CORPUS / "google.vcf"), "--skip-bad", check=False)
    people = query(first, "select display_name from people_person order by display_name")
    assert len(people) > 2

    backup = tmp_path / "t.json"
    done = run(first, "backup", str(backup), "--team", "T")
    assert "Backed up team T" in done.stdout and backup.exists()
    refused = run(first, "backup", str(backup), check=False)
    assert refused.returncode == 1 and "exists" in refused.stderr
    nowhere = run(first, "backup", str(tmp_path / "nope" / "t.json"), check=False)
    assert nowhere.returncode == 1 and "no folder" in nowhere.stderr

    run(second, "init")
    restored = run(second, "restore", str(backup))
    assert "Restored team: T" in restored.stdout
    assert query(second, "select display_name from people_person order by display_name") == people
    twice = run(second, "restore", str(backup), check=False)
    assert twice.returncode == 1 and "error" in twice.stderr
    assert query(second, "select count(*) from people_person") == [(len(people),)]
    folder = run(second, "restore", str(tmp_path), check=False)
    assert folder.returncode == 1 and "cannot read" in folder.stderr
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    bad = run(second, "restore", str(tmp_path / "bad.json"), check=False)
    assert bad.returncode == 1 and "not a Rapport backup" in bad.stderr

    vcf = tmp_path / "out.vcf"
    assert "as vCard 4.0" in run(second, "export", str(vcf), "--user", "dora").stdout
    text = vcf.read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == len(people)
    assert all(name in text for (name,) in people)
    csv_out = tmp_path / "out.csv"
    run(second, "export", str(csv_out), "--user", "dora")
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
