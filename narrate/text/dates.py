"""Dates as written in articles and pages: the month table, finding a date, datelines, writing one back."""

from __future__ import annotations

import datetime as dt
import re

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Abbreviations a writer uses for a month (May has none): the speech rules read them as the full name.
MONTH_ABBREVIATIONS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8,
    "Sep": 9, "Sept": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip
# Every spelling of a month, lower-case, to its number.
MONTHS = {
    **{name.lower(): number for number, name in enumerate(MONTH_NAMES, 1)},
    **{abbr.lower(): number for abbr, number in MONTH_ABBREVIATIONS.items()},
}

_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\.?,?\s+)?"
_PATTERNS = (
    re.compile(
        r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
        r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    ),
    re.compile(r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"),
    re.compile(
        _WEEKDAY + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(?P<y>\d{4})",
        re.IGNORECASE,
    ),
    re.compile(_WEEKDAY + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})", re.IGNORECASE),
)
_NUMERIC = _PATTERNS[1]
_PREFIX = re.compile(
    r"^(?:(?:last\s+|first\s+)?(?:updated?|published|posted|modified|date|dated|on)(?:\s+on)?\s*[:\-–—]?\s*)?",
    re.IGNORECASE,
)
_SEP = r"[\s,|·•\-–—/]*"
# what may follow a dateline's date: a time, "Updated", a reading time
_TAIL = re.compile(
    r"^" + _SEP + r"(?:(?:at\s+)?\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?(?:\s+[A-Z]{2,5})?)?" + _SEP
    + r"(?:(?:updated|published)?" + _SEP + r")?"
    + r"(?:\d+\s*(?:-\s*)?min(?:ute)?s?\s*(?:read|listen)?)?" + _SEP + r"$",
    re.IGNORECASE,
)  # fmt: skip


def find_date(text: str, day_first: bool = True) -> dt.date | None:
    """The first valid date in `text`: ISO, '3 March 2025', 'Monday 3rd of March, 2025', 'March 3, 2025'
    or '03/03/2025' (day first unless `day_first` is False; a first number over 12 is always the day)."""
    found: list[tuple[int, dt.date]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            date = _date(m, day_first)
            if date is not None:
                found.append((m.start(), date))
                break
    return min(found)[1] if found else None


def dateline(line: str) -> dt.date | None:
    """The date when the whole line is a dateline: 'Update: 2025-12-15', 'Published 3 March 2025'."""
    if len(line.split()) > 14:
        return None
    rest = _PREFIX.sub("", line, count=1)
    for pattern in _PATTERNS:
        m = pattern.match(rest) if rest else None
        if m and _TAIL.match(rest[m.end() :]):
            return _date(m, day_first=True)
    return None


def written_date(date: dt.date, locale: str) -> str:
    """A date as a reader writes it in that locale ('3 March 2025', 'March 3, 2025'); speech then says it."""
    month = MONTH_NAMES[date.month - 1]
    return f"{month} {date.day}, {date.year}" if locale == "en-US" else f"{date.day} {month} {date.year}"


def _date(m: re.Match[str], day_first: bool) -> dt.date | None:
    try:
        if "mon" in m.re.groupindex:
            return dt.date(int(m["y"]), MONTHS[m["mon"].lower().rstrip(".")], int(m["d"]))
        day, month = int(m["d"]), int(m["m"])
        if m.re is _NUMERIC:
            day, month = (day, month) if day_first else (month, day)
            if month > 12:  # '12/15/2025' can only be month first
                day, month = month, day
        return dt.date(int(m["y"]), month, day)
    except (ValueError, KeyError, OverflowError):
        return None
