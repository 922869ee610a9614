"""Likely duplicate people: who shares an email address or a phone number, and whose
names are close within the same organisation, Chinese and Latin spellings alike
(王小明, "Wang Xiaoming", "Xiaoming Wang" and "Xiao-Ming Wang" are one name here).

Pure functions over plain data (no Django import), fed by `duplicate_queries`.

It must scale to a book of 100k people, so nobody is compared with everybody: people
are grouped ("blocked") by a normalised email, by a phone number in E.164 form, and by
an organisation together with a name key (the first two letters of each part of the
romanised name); only people in the same group are compared. A key shared by very
many people (a switchboard number, info@ addresses) says nothing about any one pair
and is skipped.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Literal

import phonenumbers
from rapidfuzz import fuzz

from rapport.people.searchkey import HAN, fold, pinyin_forms

# Names at least this similar (0-100, rapidfuzz's normalised Indel similarity of the
# best pair of name forms) count as close. 90 lets "Jon Smith" ~ "John Smith" (95) in
# while keeping short, different Chinese names apart: "Wang Wei" / "Wang Wen" is 87.5.
NAME_THRESHOLD = 90.0
# A contact key (email, phone) shared by more people than this is a shared line, not
# a sign of one person twice; in a name group that large (thousands of "Wang" at one
# employer) only people written exactly alike are compared.
MAX_SHARED_KEY = 25
MAX_NAME_BLOCK = 400
# How strongly each kind of evidence alone says "the same person" (0-1); evidence of
# several kinds is combined as independent: 1 - Π(1 - p).
EMAIL_WEIGHT = 0.95
PHONE_WEIGHT = 0.85
NAME_WEIGHT_AT_THRESHOLD = 0.5
NAME_WEIGHT_IDENTICAL = 0.85

_JOINERS = re.compile(r"['’‘`.\-‐‑]")
_NON_LETTER = re.compile(r"[^\w]+|[\d_]+")
_INTERNATIONAL = re.compile(r"\+[1-9][\d \-]{5,}")
_NON_DIGIT = re.compile(r"\D")
_HAN_RUN = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")


@dataclass(frozen=True)
class PersonRecord:
    """What the finder knows of one person. `organisations` pairs an id with a name."""

    id: int
    display_name: str
    given_name: str = ""
    family_name: str = ""
    romanised_name: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    organisations: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Reason:
    """Why two people look like one. `value` is the shared email or phone; for a name
    reason `names` holds both display names and `organisation` where they work (empty
    when the pair was found by a channel and only the names support it)."""

    kind: Literal["email", "phone", "name"]
    value: str = ""
    names: tuple[str, str] = ("", "")
    organisation: str = ""
    similarity: int = 0

    def __str__(self) -> str:
        if self.kind == "email":
            return f"same email {self.value}"
        if self.kind == "phone":
            return f"same phone {self.value}"
        where = f" at {self.organisation}" if self.organisation else ""
        return f"names {self.names[0]} / {self.names[1]} sound alike{where}"


@dataclass(frozen=True)
class Candidate:
    """Two people who may be one: ids in ascending order, a score 0-100, the reasons."""

    first: int
    second: int
    score: int
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def pair(self) -> tuple[int, int]:
        return (self.first, self.second)


def email_key(value: str) -> str:
    """Addresses compared whole and case-insensitively (mail servers in practice
    ignore the case of the local part too)."""
    return value.strip().casefold()


def phone_key(value: str, region: str | None = None) -> str | None:
    """The number in E.164 (+8613800138000), or its digits if it cannot be parsed;
    None when too short to mean anything."""
    if _INTERNATIONAL.fullmatch(value):
        # The stored form (phonenumbers' INTERNATIONAL format): E.164 is its digits,
        # and parsing 80k numbers again would be most of the finder's time.
        return "+" + _NON_DIGIT.sub("", value)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = _NON_DIGIT.sub("", value)
    return digits if len(digits) >= 6 else None


@lru_cache(maxsize=200_000)
def _tokens(text: str) -> tuple[tuple[str, bool], ...]:
    """Name parts in lowercase Latin letters, each marked whether it was Han: a Han
    run gives its pinyin syllables ('王小明' → wang, xiao, ming); Latin words are
    folded and lose inner hyphens and apostrophes ('Xiao-Ming' → xiaoming)."""
    parts: list[tuple[str, bool]] = []
    for chunk in _HAN_RUN.split(text):
        if not chunk:
            continue
        if HAN.match(chunk):
            forms = pinyin_forms(chunk)
            parts.extend((s, True) for s in (forms[1].split() if forms else []))
            continue
        latin = _JOINERS.sub("", fold(chunk))
        parts.extend((word, False) for word in _NON_LETTER.split(latin) if word)
    return tuple(parts)


@lru_cache(maxsize=200_000)
def _joined(text: str) -> str:
    return "".join(token for token, _han in _tokens(text))


@lru_cache(maxsize=200_000)
def _forms_of(text: str) -> frozenset[str]:
    """Order-free forms of one written name, as 'a b' with the two parts sorted: every
    way to cut it into a family and a given part ('wang xiao ming' → wang|xiaoming,
    wangxiao|ming), and for Latin names also first + last word (middle names dropped)."""
    tokens = _tokens(text)
    words = [t for t, _han in tokens]
    if not words:
        return frozenset()
    if len(words) == 1:
        return frozenset(words)
    forms = {
        " ".join(sorted(("".join(words[:k]), "".join(words[k:])))) for k in range(1, len(words))
    }
    if len(words) > 2 and not any(han for _t, han in tokens):
        forms.add(" ".join(sorted((words[0], words[-1]))))
    return frozenset(forms)


def name_forms(person: PersonRecord) -> frozenset[str]:
    """Every order-free form of the person's names (display, romanised, and given +
    family when both are known, which cuts a Han name at the right place)."""
    return _name_forms(
        person.display_name, person.romanised_name, person.given_name, person.family_name
    )


@lru_cache(maxsize=200_000)
def _name_forms(display: str, romanised: str, given: str, family: str) -> frozenset[str]:
    forms: set[str] = set()
    for text in (display, romanised):
        if text:
            forms |= _forms_of(text)
    if given.strip() and family.strip():
        given_part, family_part = _joined(given), _joined(family)
        if given_part and family_part:
            forms.add(" ".join(sorted((given_part, family_part))))
    return frozenset(forms)


def name_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """The best similarity (0-100) between any form of one name and any of the other."""
    b_forms = list(b)
    best = 0.0
    for x in a:
        for y in b_forms:
            if x == y:
                return 100.0
            best = max(best, fuzz.ratio(x, y, score_cutoff=best))
    return best


@lru_cache(maxsize=200_000)
def _name_keys(forms: frozenset[str]) -> frozenset[str]:
    """Blocking keys: the first two letters of each part of each form. A typo after
    the second letter of a part ("Jon"/"John") keeps the key."""
    return frozenset(" ".join(part[:2] for part in form.split()) for form in forms)


def _name_weight(similarity: float) -> float:
    span = 100.0 - NAME_THRESHOLD
    share = (similarity - NAME_THRESHOLD) / span if span else 1.0
    return NAME_WEIGHT_AT_THRESHOLD + share * (NAME_WEIGHT_IDENTICAL - NAME_WEIGHT_AT_THRESHOLD)


def _pairs_in(groups: Iterable[list[int]], limit: int) -> Iterator[tuple[int, int]]:
    for members in groups:
        if len(members) < 2:
            continue
        unique = sorted(set(members))
        if 1 < len(unique) <= limit:
            yield from combinations(unique, 2)


def _name_pairs(
    groups: Iterable[list[int]], forms: dict[int, frozenset[str]]
) -> Iterator[tuple[int, int]]:
    """Pairs within each name group; a group too large to compare all-pairs (thousands
    of "Wang" at one employer) is split by exact name form."""
    for members in groups:
        if len(members) < 2:
            continue
        unique = sorted(set(members))
        if len(unique) <= MAX_NAME_BLOCK:
            yield from combinations(unique, 2)
            continue
        exact: dict[str, list[int]] = defaultdict(list)
        for person_id in unique:
            for form in forms[person_id]:
                exact[form].append(person_id)
        yield from _pairs_in(exact.values(), MAX_NAME_BLOCK)


def find_candidates(
    people: Sequence[PersonRecord],
    *,
    region: str | None = None,
    name_threshold: float = NAME_THRESHOLD,
    excluded: Iterable[tuple[int, int]] = (),
) -> list[Candidate]:
    """Likely duplicate pairs among `people`, best first (then by ids). A pair is
    found when the two share an email address or a phone number, or hold roles in the
    same organisation under names at least `name_threshold` alike. Pairs in
    `excluded` (reviewed as different people; either order) are left out."""
    by_id = {p.id: p for p in people}
    skip = {(min(a, b), max(a, b)) for a, b in excluded}

    emails: dict[str, list[int]] = defaultdict(list)
    phones: dict[str, list[int]] = defaultdict(list)
    names: dict[tuple[int, str], list[int]] = defaultdict(list)
    email_of: dict[int, dict[str, str]] = defaultdict(dict)
    phone_of: dict[int, dict[str, str]] = defaultdict(dict)
    forms: dict[int, frozenset[str]] = {}
    for person in by_id.values():
        for value in person.emails:
            key = email_key(value)
            if key and key not in email_of[person.id]:
                email_of[person.id][key] = value
                emails[key].append(person.id)
        for value in person.phones:
            phone = phone_key(value, region)
            if phone and phone not in phone_of[person.id]:
                phone_of[person.id][phone] = value
                phones[phone].append(person.id)
        if person.organisations:
            forms[person.id] = name_forms(person)
            for organisation_id, _name in set(person.organisations):
                for key in _name_keys(forms[person.id]):
                    names[(organisation_id, key)].append(person.id)

    pairs: set[tuple[int, int]] = set()
    pairs.update(_pairs_in(emails.values(), MAX_SHARED_KEY))
    pairs.update(_pairs_in(phones.values(), MAX_SHARED_KEY))
    pairs.update(_name_pairs(names.values(), forms))

    found: list[Candidate] = []
    for a, b in pairs:
        if a == b or (a, b) in skip:
            continue
        candidate = _judge(by_id[a], by_id[b], email_of, phone_of, forms, name_threshold)
        if candidate is not None:
            found.append(candidate)
    found.sort(key=lambda c: (-c.score, c.first, c.second))
    return found


def _judge(
    a: PersonRecord,
    b: PersonRecord,
    email_of: dict[int, dict[str, str]],
    phone_of: dict[int, dict[str, str]],
    forms: dict[int, frozenset[str]],
    threshold: float,
) -> Candidate | None:
    reasons: list[Reason] = []
    weights: list[float] = []
    for key in sorted(email_of.get(a.id, {}).keys() & email_of.get(b.id, {}).keys()):
        reasons.append(Reason("email", value=email_of[a.id][key]))
        weights.append(EMAIL_WEIGHT)
    for key in sorted(phone_of.get(a.id, {}).keys() & phone_of.get(b.id, {}).keys()):
        reasons.append(Reason("phone", value=phone_of[a.id][key]))
        weights.append(PHONE_WEIGHT)
    similarity = name_similarity(forms.get(a.id) or name_forms(a), forms.get(b.id) or name_forms(b))
    theirs = set(b.organisations)
    shared_orgs = sorted({name for pair in a.organisations if pair in theirs for name in pair[1:]})
    if similarity >= threshold and (shared_orgs or reasons):
        reasons.append(
            Reason(
                "name",
                names=(a.display_name, b.display_name),
                organisation=shared_orgs[0] if shared_orgs else "",
                similarity=math.floor(similarity),
            )
        )
        weights.append(_name_weight(similarity))
    if not reasons:
        return None
    unlikely = 1.0
    for weight in weights:
        unlikely *= 1.0 - weight
    score = min(100, max(1, math.floor(100 * (1.0 - unlikely))))
    return Candidate(a.id, b.id, score, tuple(reasons))
