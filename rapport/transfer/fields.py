"""Clean-up shared by the vCard and CSV readers: names, labels, services and dates.

Pure functions over strings; every address book spells these a little differently."""

from __future__ import annotations

import functools
import re

from rapport.transfer.records import NameOrder, PartialDate

# Han, kana and Hangul: names in these scripts are written family name first.
CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def name_order_hint(given: str, family: str, display: str) -> NameOrder | None:
    """Family-first for CJK names; otherwise whatever order the display name shows,
    when it shows one; None when nothing makes it obvious."""
    if has_cjk(family) or has_cjk(given) or (not (given or family) and has_cjk(display)):
        return "family_first"
    if given and family and display:
        if display == f"{given} {family}":
            return "given_first"
        if display == f"{family} {given}":
            return "family_first"
    return None


def compose_name(given: str, family: str, order: NameOrder | None) -> str:
    """'Anna Lee', or '王小明' (no space between Han names) when family comes first."""
    if order == "family_first":
        if HAN.search(given) and HAN.search(family):
            return family + given
        return f"{family} {given}".strip()
    return f"{given} {family}".strip()


def display_for(
    *, display: str, given: str, family: str, fallbacks: list[tuple[str, str]]
) -> tuple[str, NameOrder | None, str]:
    """The name to show, the name order hint and a warning ('' if none).

    The display name as given, else given and family names in their order, else the
    first non-empty (what, value) of `fallbacks` (organisation, email, phone...), with
    a warning unless it is an organisation. ('', None, '') when there is nothing."""
    order = name_order_hint(given, family, display)
    if display:
        return display, order, ""
    composed = compose_name(given, family, order)
    if composed:
        return composed, order, ""
    for what, value in fallbacks:
        if value:
            warning = "" if what == "organisation" else f"no name; named after its {what}"
            return value, order, warning
    return "", None, ""


def single_line(text: str) -> str:
    """Names, labels and handles are one line: inner line breaks and runs of spaces
    become one space."""
    return " ".join(text.split())


# -- labels -----------------------------------------------------------------------

_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# TYPE values that say how to reach an address rather than what it is to the user.
_NOISE_TYPES = frozenset(
    {
        "internet",
        "pref",
        "voice",
        "x400",
        "dom",
        "intl",
        "postal",
        "parcel",
        "msg",
        "aol",
        "applelink",
        "attmail",
        "cis",
        "eworld",
        "ibmmail",
        "mcimail",
        "powershare",
        "prodigy",
        "tlx",
        "smtp",
        "uri",
        "text/plain",
    }
)
_TYPE_WORDS = {"cell": "mobile", "x-mobile": "mobile", "mobile": "mobile"}


def clean_label(raw: str) -> str:
    """Apple's '_$!<HomeFAX>!$_' becomes 'home fax'; the user's own labels stay as typed."""
    raw = single_line(raw)
    match = _APPLE_LABEL.match(raw)
    if match:
        return _CAMEL.sub(" ", match.group(1)).lower().strip()
    return raw


@functools.lru_cache(maxsize=1024)
def label_from_types(types: tuple[str, ...]) -> str:
    """'work fax' from TYPE=WORK,FAX; 'mobile' from CELL; the technical types dropped."""
    words: list[str] = []
    for value in types:
        word = value.strip().lower()
        if not word or word in _NOISE_TYPES:
            continue
        word = _TYPE_WORDS.get(word, word)
        if word not in words:
            words.append(word)
    return " ".join(words)


# -- services for social handles ------------------------------------------------

_SERVICES = {
    "wechat": "wechat",
    "weixin": "wechat",
    "微信": "wechat",
    "微信号": "wechat",
    "qq": "qq",
    "linkedin": "linkedin",
    "twitter": "twitter",
    "x": "twitter",
    "facebook": "facebook",
    "instagram": "instagram",
    "skype": "skype",
    "whatsapp": "whatsapp",
    "telegram": "telegram",
    "signal": "signal",
    "line": "line",
    "kakaotalk": "kakaotalk",
    "jabber": "xmpp",
    "xmpp": "xmpp",
    "googletalk": "googletalk",
    "gtalk": "googletalk",
    "hangouts": "googletalk",
    "aim": "aim",
    "icq": "icq",
    "msn": "msn",
    "yahoo": "yahoo",
    "gadugadu": "gadugadu",
    "weibo": "weibo",
    "sinaweibo": "weibo",
    "新浪微博": "weibo",
    "flickr": "flickr",
    "myspace": "myspace",
    "github": "github",
    "mastodon": "mastodon",
}


def service_name(raw: str) -> str:
    """A lower-case service name: 'WeChat', 'weixin' and '微信号' are all 'wechat'."""
    key = clean_label(raw).lower().replace(" ", "").replace("-", "").replace("_", "")
    if key.startswith("x") and key[1:] in _SERVICES and key not in _SERVICES:
        key = key[1:]  # X-WECHAT and friends
    return _SERVICES.get(key, clean_label(raw).lower())


# -- dates ------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ][0-9:.Z+-]*)?$")
_ISO_LOOSE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})(?:T[0-9:.Z+-]*)?$")
_SLASHED = re.compile(r"^(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$")
_CHINESE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")


class DateProblem(ValueError):
    """A date field that holds no usable month and day; the message says why."""


def _two_digit_year(text: str) -> int:
    value = int(text)
    if len(text) > 2:
        return value
    # Birthdays and anniversaries with two-digit years are overwhelmingly last century.
    return 2000 + value if value <= 29 else 1900 + value


def _build(year: int | None, month: int, day: int, text: str) -> PartialDate:
    if year == 0:
        year = None  # some phones write 0000 for "no year"
    try:
        return PartialDate(month=month, day=day, year=year)
    except ValueError as exc:
        raise DateProblem(f"“{text}” is not a real date ({exc})") from exc


def parse_date(
    text: str, *, omit_year: str | None = None, day_first: bool | None = None
) -> tuple[PartialDate | None, str]:
    """The date in `text` and a note on how it was read ('' when unambiguous).

    Reads 1985-04-15, 19850415, with or without a time; --0415 and --04-15 (no year);
    Apple's 1604-04-15 when `omit_year` names 1604; 15 Apr 1985, Apr 15, 1985;
    1985年4月15日; and numeric 4/15/1985 or 15/04/1985 (US order unless the day is
    over 12 or `day_first` says so). An empty text gives (None, ''); anything else
    unreadable raises DateProblem."""
    text = text.strip()
    if not text:
        return None, ""
    match = _ISO.match(text) or _ISO_LOOSE.match(text) or _CHINESE.match(text)
    if match:
        year_text, month, day = match.group(1), int(match.group(2)), int(match.group(3))
        year: int | None = int(year_text)
        if omit_year and year_text == omit_year.strip():
            year = None
        return _build(year, month, day, text), ""
    match = _NO_YEAR.match(text)
    if match:
        return _build(None, int(match.group(1)), int(match.group(2)), text), ""
    match = _DAY_MONTH_YEAR.match(text)
    if match and match.group(2).lower() in _MONTHS:
        month = _MONTHS[match.group(2).lower()]
        return _build(int(match.group(3)), month, int(match.group(1)), text), ""
    match = _MONTH_DAY_YEAR.match(text)
    if match and match.group(1).lower() in _MONTHS:
        month = _MONTHS[match.group(1).lower()]
        return _build(int(match.group(3)), month, int(match.group(2)), text), ""
    match = _SLASHED.match(text)
    if match:
        first, second, third = match.groups()
        if len(first) == 4:  # 1985/04/15
            return _build(int(first), int(second), int(third), text), ""
        a, b, year = int(first), int(second), _two_digit_year(third)
        if a == 0 and b == 0:
            return None, ""  # Outlook's 0/0/00: no date
        if day_first is None:
            if a > 12 >= b:
                day_first = True
            elif b > 12 >= a:
                day_first = False
        if day_first is None:
            note = f"“{text}” could be read either way; read as month/day (US order)"
            return _build(year, a, b, text), note if a != b else ""
        if day_first:
            return _build(year, b, a, text), ""
        return _build(year, a, b, text), ""
    raise DateProblem(f"“{text[:40]}” is not a date Rapport can read")


_LUNAR_DASHED = re.compile(r"^(?:(\d{4})-?|--)(\d{2})-?(\d{2})$")


def lunar_from_apple(text: str, *, leap_month: bool = False) -> PartialDate:
    """Apple's X-ALTBDAY;CALSCALE=chinese value: four digits of sexagenary cycle, four
    of year in the cycle, two of month and two of day (007800021101 is the 1st day of
    the 11th month of the lunar year that began in 1985); also YYYY-MM-DD and --MMDD
    read as lunar year, month and day."""
    text = text.strip()
    year: int | None = None
    try:
        if len(text) == 12 and text.isdigit() and text.isascii():
            cycle, year_in_cycle = int(text[:4]), int(text[4:8])
            month, day = int(text[8:10]), int(text[10:12])
            if cycle and 1 <= year_in_cycle <= 60:
                # Cycle 78, year 1 is 1984, a 甲子 year.
                year = 60 * (cycle - 1) + year_in_cycle - 2637
                if not 1 <= year <= 9999:
                    year = None
        else:
            match = _LUNAR_DASHED.match(text)
            if not match:
                raise ValueError(text)
            year = int(match.group(1)) if match.group(1) else None
            month, day = int(match.group(2)), int(match.group(3))
        return PartialDate(
            month=month, day=day, year=year or None, calendar="lunar", leap_month=leap_month
        )
    except ValueError as exc:
        raise DateProblem(f"“{text[:40]}” is not a lunar date Rapport can read") from exc


def lunar_to_apple(date: PartialDate) -> str:
    """The X-ALTBDAY value Apple writes for a lunar date (--MMDD when the year is unknown)."""
    if date.year is None:
        return f"--{date.month:02d}{date.day:02d}"
    offset = date.year + 2637 - 1  # years since the first year of cycle 1, from 0
    return f"{offset // 60 + 1:04d}{offset % 60 + 1:04d}{date.month:02d}{date.day:02d}"
