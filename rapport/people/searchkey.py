"""The text a person is found by: names in Han characters and Latin letters, pinyin
(full, spaced and initials), email addresses, phone digits, organisations and tags.

Pure function over plain strings so it can be property-tested; the people service
stores its result in `Person.search_text`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pypinyin import lazy_pinyin

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NON_DIGIT = re.compile(r"\D")
PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Zoë' and 'ZOE' both fold to 'zoe'."""
    if text.isascii():
        return text.casefold()  # nothing to decompose: the same result, much sooner
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def pinyin_forms(text: str) -> list[str]:
    """'王小明' gives ['wangxiaoming', 'wang xiao ming', 'wxm']; Latin text gives []."""
    if not HAN.search(text):
        return []
    syllables = [s for s in lazy_pinyin(text, errors="ignore") if s.strip()]
    if not syllables:
        return []
    initials = "".join(s[0] for s in syllables)
    return ["".join(syllables), " ".join(syllables), initials]


def build(
    *,
    names: Iterable[str],
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    others: Iterable[str] = (),
) -> str:
    """One line per token group, folded; joined with '\\n' so a query never spans two."""
    parts: list[str] = []
    for name in names:
        if name:
            parts.append(fold(name))
            parts.extend(pinyin_forms(name))
    parts.extend(fold(e) for e in emails if e)
    parts.extend(digits for p in phones if (digits := NON_DIGIT.sub("", p)))
    parts.extend(fold(o) for o in others if o)
    seen: dict[str, None] = dict.fromkeys(p.strip() for p in parts if p.strip())
    return "\n".join(seen)


def normalise_query(query: str) -> list[str]:
    """Terms to match, all of which must appear. Phone-like terms are reduced to digits."""
    folded = fold(query).strip()
    if PHONE_LIKE.fullmatch(folded) and len(NON_DIGIT.sub("", folded)) >= 4:
        return [NON_DIGIT.sub("", folded)]
    terms = []
    for raw in folded.split():
        digits = NON_DIGIT.sub("", raw)
        if len(digits) >= 4 and PHONE_LIKE.fullmatch(raw):
            terms.append(digits)
        else:
            terms.append(raw)
    return terms
