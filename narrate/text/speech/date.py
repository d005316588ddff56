"""Dates, years and decades: "5 June 2024", "june 5 2024", "2024-06-05", "the 1990s", "2019/20", "FY2025".

Rules, in order, and the context each looks at:
1. ISO dates (2024-06-05), then numeric ones (5/6/2024: day first in en-GB, month first in en-US, swapped
   when only the other order is a real date);
2. a day and a month name in either order, with an optional year and day range ("5-7 June", "June 5,
   2024", "5th june"); lower-case month names count too, except "may" and "march", which are verbs
   far more often than months, unless a day with its ordinal ending comes before ("3rd march") or a day
   and a year stand either side ("3 march 2023"); otherwise capitalise them, or write the lexicon entry
   "may 5" = "the fifth of May";
3. a month name and a year ("June 2024"); a month abbreviation alone ("Dec." -> "December");
4. decades ("the 1990s", "the '90s", "the 2000s"), plurals ("the under-25s"), year ranges ("2019-21",
   "2019/20" for a financial year or season), "FY2025" (a financial year);
5. a four-digit number from 1100 to 2099 is a year, unless the words around it say it counts things
   ("2,000 people" has a comma; "about 1500 people", "1500 staff" are counts); 2100 to 2199 only after
   "by", "in", "until", "before", "after", "from", "since", "of" ("warming by 2100").
"""

from __future__ import annotations

import re

from ..dates import MONTH_ABBREVIATIONS, MONTH_NAMES
from .cardinal import british_and, n2w, plural_word, say_cardinal, say_count
from .context import word_before
from .ordinal import say_ordinal
from .state import State

MONTHS = list(MONTH_NAMES)
MONTH_ABBR = MONTH_ABBREVIATIONS
# Lower-case "may" and "march" are left out: far more often a verb than a month.
_LOWER = [m.lower() for m in MONTHS if m not in ("May", "March")]
MONTH_RE = "(?:" + "|".join(MONTHS + _LOWER + sorted(MONTH_ABBR, key=len, reverse=True)) + r")\.?"


def say_year(n: int, state: State) -> str:
    return british_and(n2w(n, "year"), state)


def month_of(name: str) -> int:
    name = name.rstrip(".").capitalize()
    if name in MONTHS:
        return MONTHS.index(name) + 1
    return MONTH_ABBR[name]


MONTH_DOT_RE = re.compile(r"\b(" + "|".join(MONTH_ABBR) + r")\." + r"(?![\s\"')\]]*$)?")


# --------------------------------------------------------------------------- 5. dates

_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_DATE_DMY = re.compile(
    rf"(?<![\w.,])(?P<d1>{_DAY})(?:(?:-|–| to )(?P<d2>{_DAY}))? (?:of )?(?P<m>{MONTH_RE})"
    rf"(?:,? (?P<y>\d{{4}}))?(?!\w)"
)
_DATE_MDY = re.compile(
    rf"(?<!\w)(?P<m>{MONTH_RE}) (?P<d1>{_DAY})(?:(?:-|–| to )(?P<d2>{_DAY}))?"
    rf"(?!\d|,\d|\.\d|:\d)(?:,? (?P<y>\d{{4}})(?!\d))?(?!\w)"
)
# Lower-case "may" and "march" as months only where no verb could stand: after a day with its ordinal
# ending ("3rd march"), or between a day and a year ("3 march 2023").
_DATE_VERB_MONTH = re.compile(
    r"(?<![\w.,])(?:(?P<d1>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))(?: of)? (?P<m>may|march)"
    r"(?:,? (?P<y>\d{4}))?|(?P<d>(?:[12]\d|3[01]|0?[1-9])) (?:of )?(?P<m2>may|march),? (?P<y2>\d{4}))(?!\w)"
)
_DATE_MY = re.compile(rf"(?<!\w)(?P<m>{MONTH_RE}) (?P<y>1[1-9]\d\d|20\d\d)(?!\w|[.,]\d)")
_DATE_NUMERIC = re.compile(r"(?<![\w/.])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/])")
_DATE_ISO = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def _day_number(s: str) -> int:
    return int(re.match(r"\d+", s).group(0))  # type: ignore[union-attr]


def _say_date(
    day: int, month: int, year: int | None, state: State, day2: int | None = None, month_first: bool = False
) -> str:
    name = MONTHS[month - 1]
    if state.us:
        days = say_ordinal(day, state) + (f" to {say_ordinal(day2, state)}" if day2 else "")
        spoken = f"{name} {days}"
        return spoken + (f", {say_year(year, state)}" if year else "")
    if month_first:
        days = "the " + say_ordinal(day, state) + (f" to the {say_ordinal(day2, state)}" if day2 else "")
        spoken = f"{name} {days}"
        return spoken + (f", {say_year(year, state)}" if year else "")
    days = "the " + say_ordinal(day, state) + (f" to the {say_ordinal(day2, state)}" if day2 else "")
    spoken = f"{days} of {name}"
    return spoken + (f" {say_year(year, state)}" if year else "")


def _valid(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)


def dates_rule(text: str, state: State) -> str:
    def written(m: re.Match[str], month_first: bool) -> str:
        month = month_of(m.group("m"))
        d1 = _day_number(m.group("d1"))
        d2 = _day_number(m.group("d2")) if m.group("d2") else None
        if not _valid(d1, month) or (d2 is not None and not _valid(d2, month)):
            return m.group(0)
        year = int(m.group("y")) if m.group("y") else None
        spoken = _say_date(d1, month, year, state, d2, month_first)
        if word_before(m.string, m.start()) == "the" and spoken.startswith("the "):
            spoken = spoken[4:]  # "on the 14th of June": the writer's "the" is already there
        return state.num(spoken)

    def numeric(m: re.Match[str]) -> str:
        a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
        day, month = (b, a) if state.us else (a, b)
        if not _valid(day, month):
            day, month = month, day
            if not _valid(day, month):
                return m.group(0)
        year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) <= 40 else 1900 + int(y))
        return state.num(_say_date(day, month, year, state))

    def iso(m: re.Match[str]) -> str:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not _valid(day, month):
            return m.group(0)
        return state.num(_say_date(day, month, year, state))

    text = state.sub(_DATE_ISO, iso, text, "ISO date")
    text = state.sub(_DATE_NUMERIC, numeric, text, "numeric date")

    def verb_month(m: re.Match[str]) -> str:
        day, month, year = m.group("d1", "m", "y") if m.group("d1") else m.group("d", "m2", "y2")
        spoken = _say_date(_day_number(day), month_of(month), int(year) if year else None, state)
        if word_before(m.string, m.start()) == "the" and spoken.startswith("the "):
            spoken = spoken[4:]
        return state.num(spoken)

    text = state.sub(_DATE_VERB_MONTH, verb_month, text, "day and month")
    text = state.sub(_DATE_DMY, lambda m: written(m, False), text, "day and month")
    text = state.sub(_DATE_MDY, lambda m: written(m, True), text, "month and day")
    text = state.sub(
        _DATE_MY,
        lambda m: MONTHS[month_of(m.group("m")) - 1] + " " + state.num(say_year(int(m.group("y")), state)),
        text,
        "month and year",
    )
    # "Jan." on its own, no number beside it.
    return state.sub(MONTH_DOT_RE, lambda m: MONTHS[month_of(m.group(1)) - 1], text, "month abbreviation")


# --------------------------------------------------------------------------- years and decades

_DECADE = re.compile(r"(?<![\w.,])(?:'(?P<short>\d0)|(?P<cent>1[0-9]|20)?(?P<dec>\d0))'?s\b")
_NUMBER_PLURAL = re.compile(r"(?<![\w.,])(\d{1,3})'?s\b")
_YEAR_RANGE = re.compile(
    r"(?<![\w.,£$€-])(?P<y1>1[1-9]\d\d|20\d\d)(?P<sep>-|–|/)(?P<y2>\d{2}|\d{4})(?![\w.,]?\d)(?!%)"
)
_FINANCIAL = re.compile(r"(?<![\w.])FY ?(?P<y>(?:19|20)\d\d|\d\d)(?:[/-](?P<y2>\d\d))?(?![\w.,]?\d)")
_YEAR = re.compile(r"(?<![\w.,£$€-])(?P<y>1[1-9]\d\d|2[01]\d\d)(?![\w]|[.,]\d)")
# 2100-2199 is a year only after these ("warming by 2100"); elsewhere it is a number.
_FAR_YEAR_BEFORE = frozenset("by in until till before after from since of".split())
_COUNT_BEFORE = re.compile(
    r"\b(?:about|around|some|nearly|almost|over|than|approximately|roughly|least|only|just|all|"
    r"another|extra|additional|those|these|up to|the first|the last|top)\s$",
    re.IGNORECASE,
)
_NOT_PLURAL = frozenset(
    "is was has this his its as us plus thus versus across always perhaps towards afterwards "
    "whereas unless besides hers ours yours theirs does goes less news series species gas bus "
    "status crisis analysis basis census".split()
)
_NEXT_WORD = re.compile(r"(?:\s|-)([A-Za-z]+)")


def _looks_counted(text: str, start: int, end: int) -> bool:
    """Does the number count things ("2,000 people"), rather than name a year?"""
    if _COUNT_BEFORE.search(text, max(0, start - 20), start):
        return True
    m = _NEXT_WORD.match(text, end)
    if not m:
        return False
    word = m.group(1)
    if text[end] == "-":
        return word.lower() not in ("era", "style", "vintage", "born", "built", "era", "model", "season")
    return word.islower() and word.endswith("s") and len(word) > 3 and word not in _NOT_PLURAL


def years_rule(text: str, state: State) -> str:
    def decade(m: re.Match[str]) -> str:
        if m.group("short") or not m.group("cent"):
            dec = int(m.group("short") or m.group("dec"))
            if dec == 0:
                return state.num("two thousands" if state.us else "noughties")
            return state.num(plural_word(say_cardinal(dec, state)))
        return state.num(plural_word(say_year(int(m.group("cent") + m.group("dec")), state)))

    def year_range(m: re.Match[str]) -> str:
        y1, y2 = m.group("y1"), m.group("y2")
        end = int(y1[:2] + y2) if len(y2) == 2 else int(y2)
        if end <= int(y1) or end - int(y1) > 100:
            return m.group(0)
        if m.group("sep") == "/" and len(y2) == 2:
            # A financial year or season: "2023/24" -> "twenty twenty-three twenty-four"
            return state.num(f"{say_year(int(y1), state)} {say_count(y2, state)}")
        return state.num(f"{say_year(int(y1), state)} to {say_year(end, state)}")

    def year(m: re.Match[str]) -> str:
        far = m.group("y").startswith("21") and word_before(m.string, m.start()) not in _FAR_YEAR_BEFORE
        if far or _looks_counted(m.string, m.start(), m.end()):
            return m.group(0)
        return state.num(say_year(int(m.group("y")), state))

    def financial(m: re.Match[str]) -> str:
        name = "fiscal year " if state.us else "financial year "
        year = m.group("y")
        said = say_year(int(year), state) if len(year) == 4 else say_count(year, state)
        if m.group("y2"):
            said += " " + say_count(m.group("y2"), state)
        return name + state.num(said)

    text = state.sub(_FINANCIAL, financial, text, "financial year")
    text = state.sub(_DECADE, decade, text, "decade")

    # "the under-25s", "in 2s and 3s"
    def plural(m: re.Match[str]) -> str:
        return state.num(plural_word(say_count(m.group(1), state)))

    text = state.sub(_NUMBER_PLURAL, plural, text, "plural number")
    text = state.sub(_YEAR_RANGE, year_range, text, "year range")
    return state.sub(_YEAR, year, text, "year")
