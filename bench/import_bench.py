"""Time a vCard import into a fresh SQLite book: `python bench/import_bench.py --data-dir DIR`.

Writes N realistic vCards (Latin and Chinese names, several emails and phones with labels,
organisations shared by about ten people each, titles, birthdays with and without a year,
lunar birthdays, anniversaries, related people, notes, categories, a few photos and UIDs)
to DIR/contacts.vcf, migrates a new database in DIR, adds a user and imports the file
through `rapport.transfer.services.import_contacts`, reading it as `rapport import` does.
With --book, imports instead into a copy (made in DIR) of a generated book such as
bench-M, as its user alice. Prints cards per second (reading, matching and writing
together), the processor time (the reading process's included) and the peak resident
memory of the process and of its reading process; then imports the same file again
(every card found, nothing written) and times that too. The issue's target: at least
2,000 cards/s into SQLite.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from import_common import (
    bench_user,
    children_peak_rss_mb,
    peak_rss_mb,
    prepare_book,
    setup_django,
    timed,
)

TARGET_CARDS_PER_SECOND = 2000.0

GIVEN = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
GIVEN += ["Kavya", "Liam", "Maria", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tomas"]
FAMILY = ["Lee", "Okafor", "Rossi", "Müller", "Smith", "Nair", "García", "Kowalski", "Dubois"]
FAMILY += ["Johnson", "Tanaka", "Silva", "Novak", "Hansen", "Cohen", "Murphy", "Fischer"]
HAN_FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱"]
HAN_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛"]
HAN_GIVEN += ["小明", "晓红", "建国", "志强", "秀英", "海燕", "国华", "文博", "子涵", "思远"]
PINYIN = {"王": "Wang", "李": "Li", "张": "Zhang", "刘": "Liu", "陈": "Chen", "杨": "Yang"}
TITLES = ["CFO", "Head of Sales", "Procurement Manager", "CEO", "Engineer", "Partner"]
TITLES += ["市场总监", "采购经理", "总经理", "Director of Operations", "Buyer", "CTO"]
WORDS = ["Acme", "Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Hooli"]
WORDS += ["Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "阿里巴巴", "华为", "腾讯", "京东"]
SUFFIX = ["Ltd", "GmbH", "Inc", "Group", "Holdings", "Logistics", "Partners", "有限公司"]
CATEGORIES = ["Clients", "Prospects", "VIP", "Suppliers", "Friends", "Alumni", "Partners"]
RELATIONS = ["Spouse", "Child", "Assistant", "Manager", "Friend"]
COUNTRY_PHONES = [("+44 7", 9), ("+86 13", 9), ("+1 415 ", 7), ("+49 30 ", 8)]
NOTES = [
    "Met at the trade fair; interested in the payments pilot.",
    "Prefers calls after 10am. Kids: two, both at university.",
    "在上海的展会上认识，喜欢打高尔夫球。",
    "Follow up on the Q3 proposal; wants two options.",
]
# A 1x1 PNG: photos cost decoding, like the real thing, but little disk.
PHOTO = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f80f000101000518d84e0000000049454e44ae426082"
    )
).decode()


def fold(line: str) -> str:
    """vCard lines longer than 75 octets are folded, as exporters do."""
    data = line.encode()
    if len(data) <= 75:
        return line + "\r\n"
    parts, start = [], 0
    while start < len(data):
        end = min(start + (75 if not parts else 74), len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # never split a UTF-8 character
        parts.append(data[start:end].decode())
        start = end
    return "\r\n ".join(parts) + "\r\n"


def make_card(n: int, rng: random.Random, organisations: list[str]) -> str:
    chinese = rng.random() < 0.3
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    if chinese:
        family, given = rng.choice(HAN_FAMILY), rng.choice(HAN_GIVEN)
        lines += [f"N:{family};{given};;;", f"FN:{family}{given}"]
        if family in PINYIN and rng.random() < 0.5:
            lines += [f"X-PHONETIC-LAST-NAME:{PINYIN[family]}"]
        login = f"{PINYIN.get(family, 'zhou').lower()}.{n}"
    else:
        family, given = rng.choice(FAMILY), rng.choice(GIVEN)
        lines += [f"N:{family};{given};;;", f"FN:{given} {family}"]
        login = f"{given.lower()}.{n}"
    organisation = rng.choice(organisations)
    lines += [f"ORG:{organisation};", f"TITLE:{rng.choice(TITLES)}"]
    domain = f"example{n % 97}.com"
    lines.append(f"item1.EMAIL;type=INTERNET;type=pref:{login}@{domain}")
    lines.append("item1.X-ABLabel:_$!<Work>!$_")
    if rng.random() < 0.5:
        lines.append(f"EMAIL;type=INTERNET;type=HOME:{login}@mail.example")
    for kind in ["CELL", "WORK"][: rng.randint(1, 2)]:
        prefix, digits = rng.choice(COUNTRY_PHONES)
        number = "".join(str(rng.randint(0, 9)) for _ in range(digits))
        lines.append(f"TEL;type={kind};type=VOICE:{prefix}{number}")
    if rng.random() < 0.6:
        year = f"{rng.randint(1950, 2000)}" if rng.random() < 0.6 else "1604"
        omit = ";X-APPLE-OMIT-YEAR=1604" if year == "1604" else ""
        lines.append(f"BDAY{omit}:{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    elif chinese and rng.random() < 0.5:
        # Apple's lunar birthday: cycle 78, year in cycle, month, day.
        cycle_year, month, day = rng.randint(10, 40), rng.randint(1, 12), rng.randint(1, 29)
        lines.append(f"X-ALTBDAY;CALSCALE=chinese:0078{cycle_year:04d}{month:02d}{day:02d}")
    if rng.random() < 0.2:
        lines += [
            f"item2.X-ABDATE:20{rng.randint(0, 20):02d}-06-12",
            "item2.X-ABLabel:_$!<Anniversary>!$_",
        ]
    if rng.random() < 0.3:
        relation = rng.choice(RELATIONS)
        lines += [
            f"item3.X-ABRELATEDNAMES:{rng.choice(GIVEN)} {family}",
            f"item3.X-ABLabel:_$!<{relation}>!$_",
        ]
    if rng.random() < 0.3:
        lines.append(f"IMPP;X-SERVICE-TYPE=WeChat:x-apple:wx_{login}")
    if rng.random() < 0.4:
        lines.append("NOTE:" + rng.choice(NOTES).replace(",", "\\,").replace(";", "\\;"))
    if rng.random() < 0.5:
        lines.append("CATEGORIES:" + ",".join(rng.sample(CATEGORIES, rng.randint(1, 2))))
    if rng.random() < 0.3:
        lines.append(f"UID:bench-{n:08d}")
    if rng.random() < 0.05:
        lines.append(f"PHOTO;ENCODING=b;TYPE=PNG:{PHOTO}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def write_cards(path: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    organisations = sorted(
        {f"{rng.choice(WORDS)} {rng.choice(SUFFIX)}" for _ in range(max(count // 10, 1))}
    )
    with path.open("w", encoding="utf-8", newline="") as out:
        for n in range(count):
            out.write(make_card(n, rng, organisations))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="an empty folder")
    parser.add_argument("--cards", type=int, default=20000, help="how many vCards (20000)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--book",
        type=Path,
        help="import into a copy of the generated book in this folder (say, bench-M), "
        "as its user alice, instead of a new book",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    data_dir = args.data_dir.expanduser().resolve()
    problem = prepare_book(data_dir, args.book)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    cards_file = data_dir / "contacts.vcf"
    started = time.perf_counter()
    write_cards(cards_file, args.cards, args.seed)
    print(
        f"wrote {args.cards} cards ({cards_file.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    setup_django(data_dir)

    from rapport.people.models import Channel, Fact, Organisation, Person
    from rapport.transfer.services import import_contacts
    from rapport.transfer.vcard import read_vcards

    user = bench_user(fresh=args.book is None)
    people_before = Person.objects.filter(team_id=user.member.team_id).count()
    rss_before = peak_rss_mb()

    def run() -> Any:
        return import_contacts(
            user, read_vcards(cards_file), on_error="skip", source_name=cards_file.name
        )

    report, first = timed(run)
    rss_import = peak_rss_mb()
    reader_rss = children_peak_rss_mb()
    seconds = first.seconds
    rate = args.cards / seconds

    again, second = timed(run)
    again_seconds = second.seconds

    started = time.perf_counter()
    for _item in read_vcards(cards_file):
        pass
    parse_seconds = time.perf_counter() - started

    team = {"team_id": user.member.team_id}
    result = {
        "cards": args.cards,
        "book": str(args.book) if args.book else "new",
        "people_before": people_before,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(first.cpu_seconds, 2),
        "reader_cpu_seconds": round(first.reader_cpu_seconds, 2),
        "cards_per_second": round(rate),
        "target_cards_per_second": TARGET_CARDS_PER_SECOND,
        "met": rate >= TARGET_CARDS_PER_SECOND,
        "peak_rss_mb": round(rss_import, 1),
        "peak_rss_mb_before_import": round(rss_before, 1),
        "reader_peak_rss_mb": round(reader_rss, 1),
        "parse_only_cards_per_second": round(args.cards / parse_seconds),
        "reimport_seconds": round(again_seconds, 2),
        "reimport_cpu_seconds": round(second.cpu_seconds, 2),
        "reimport_cards_per_second": round(args.cards / again_seconds),
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "reimport_created": again.created,
        "reimport_updated": again.updated,
        "people": Person.objects.filter(**team).count(),
        "channels": Channel.objects.filter(person__team_id=team["team_id"]).count(),
        "facts": Fact.objects.filter(person__team_id=team["team_id"]).count(),
        "organisations": Organisation.objects.filter(**team).count(),
        "database_mb": round((data_dir / "rapport.sqlite3").stat().st_size / 1e6, 1),
    }
    print(
        f"import: {args.cards} cards in {seconds:.1f} s = {rate:,.0f} cards/s "
        f"(target {TARGET_CARDS_PER_SECOND:,.0f}: {'met' if result['met'] else 'MISSED'}); "
        f"processor time {first.cpu_seconds:.1f} s; peak RSS {rss_import:.0f} MB "
        f"(reading process {reader_rss:.0f} MB)"
    )
    print(
        f"  {report.created} created, {report.updated} updated (same person twice in the "
        f"file), {report.skipped} skipped; {result['people']} people, "
        f"{result['organisations']} organisations, {result['channels']} channels"
    )
    print(
        f"re-import: {again_seconds:.1f} s = {args.cards / again_seconds:,.0f} cards/s, "
        f"{again.created} created, {again.updated} updated, {again.unchanged} unchanged"
    )
    print(f"reading alone: {args.cards / parse_seconds:,.0f} cards/s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
