"""Dates and clock times, said the way the locale says them."""

from __future__ import annotations

import re

from ..dates import MONTH_ABBREVIATIONS, MONTH_NAMES
from .numbers import DIGIT_WORDS, say_cardinal, say_ordinal, say_year
from .state import State

MONTHS = list(MONTH_NAMES)
MONTH_ABBR = MONTH_ABBREVIATIONS
MONTH_RE = "(?:" + "|".join(MONTHS + sorted(MONTH_ABBR, key=len, reverse=True)) + r")\.?"


def month_of(name: str) -> int:
    name = name.rstrip(".")
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
        return state.num(_say_date(d1, month, year, state, d2, month_first))

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

    text = _DATE_ISO.sub(iso, text)
    text = _DATE_NUMERIC.sub(numeric, text)
    text = _DATE_DMY.sub(lambda m: written(m, False), text)
    text = _DATE_MDY.sub(lambda m: written(m, True), text)
    text = _DATE_MY.sub(
        lambda m: MONTHS[month_of(m.group("m")) - 1] + " " + state.num(say_year(int(m.group("y")), state)),
        text,
    )
    # "Jan." on its own, no number beside it.
    return MONTH_DOT_RE.sub(lambda m: MONTHS[month_of(m.group(1)) - 1], text)



# --------------------------------------------------------------------------- 6. times

_AMPM = r"(?P<ap>[ap])\.? ?m\b\.?"
_TIME_AMPM = re.compile(
    rf"(?<![\w.:])(?P<h>1[0-2]|0?\d)(?:[:.](?P<m>[0-5]\d))? ?(?i:{_AMPM})",
)
_TIME_24 = re.compile(r"(?<![\w.:,])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:]|\.\d)")
# "9.30" is a time only after words like "at"; elsewhere it is a decimal.
_TIME_DOT = re.compile(
    r"(?P<pre>\b(?:[Aa]t|[Ff]rom|[Bb]etween|[Uu]ntil|[Tt]ill|[Bb]efore|[Aa]fter|[Ss]ince) )"
    r"(?P<h>1[0-2]|0?[1-9])\.(?P<m>[0-5]\d)(?![\d.,]\d|\d)"
    r"(?:(?P<mid> (?:and|to|until|till) |-|–)(?P<h2>1[0-2]|0?[1-9])\.(?P<m2>[0-5]\d)(?![\d.,]\d|\d))?"
)


def _minutes(m: int, state: State) -> str:
    return "" if m == 0 else (" oh " + DIGIT_WORDS[m] if m < 10 else " " + say_cardinal(m, state))


def times_rule(text: str, state: State) -> str:
    def ampm(m: re.Match[str]) -> str:
        hour = int(m.group("h"))
        mins = int(m.group("m") or 0)
        suffix = " A.M" if m.group("ap").lower() == "a" else " P.M"
        spoken = say_cardinal(hour or 12, state) + _minutes(mins, state) + suffix
        tail = m.group(0)
        # An "a.m." that ends the sentence also carries its full stop.
        keep_dot = tail.endswith(".") and not m.string[m.end() :].strip(" \"')]")
        return state.num(spoken) + ("." if keep_dot else "")

    def clock(m: re.Match[str]) -> str:
        raw_hour = m.group("h")
        hour, mins = int(raw_hour), int(m.group("m"))
        # A leading zero, 0 or 13-23 means a 24-hour clock; say it as AM/PM.
        if raw_hour.startswith("0") or hour == 0 or hour > 12:
            suffix = " A.M" if hour < 12 else " P.M"
            spoken = say_cardinal(hour % 12 or 12, state) + _minutes(mins, state) + suffix
        elif mins == 0:
            spoken = say_cardinal(hour, state) + " o'clock"
        else:
            spoken = say_cardinal(hour, state) + _minutes(mins, state)
        return state.num(spoken)

    text = _TIME_AMPM.sub(ampm, text)
    return _TIME_24.sub(clock, text)


def dotted_times_rule(text: str, state: State) -> str:
    """After money and per cent have taken their decimals: "at 9.30" -> "at nine thirty"."""

    def say(hour: str, mins: str) -> str:
        return say_cardinal(int(hour), state) + (_minutes(int(mins), state) if int(mins) else " o'clock")

    def dotted(m: re.Match[str]) -> str:
        spoken = m.group("pre") + state.num(say(m.group("h"), m.group("m")))
        if m.group("h2"):
            mid = m.group("mid") if m.group("mid").strip() not in "-–" else " to "
            spoken += mid + state.num(say(m.group("h2"), m.group("m2")))
        return spoken

    return _TIME_DOT.sub(dotted, text)
