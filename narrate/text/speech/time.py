"""Clock times: "10 p.m." -> "ten P.M", "9.30pm-11pm", "at 9.30", and 24-hour "18:30" -> "eighteen thirty".

Rules, in order, and the context each looks at:
1. hours, minutes and seconds ("2:59:30") are a duration, "two hours fifty-nine minutes thirty
   seconds", unless "at" comes before: then a 24-hour time "and thirty seconds";
2. a time with am or pm ("10pm", "9.30 a.m.", "11:45 PM"), said on the 12-hour clock;
3. a time with a colon: with a leading zero or an hour over 12 it is a 24-hour time and is said as one
   ("18:30" -> "eighteen thirty", "18:00" -> "eighteen hundred", "01:00" -> "oh one hundred", "00:00"
   -> "midnight"); otherwise "9:30" -> "nine thirty", "10:00" -> "ten o'clock". Never am or pm where the
   writer gave none: that would be a fact the article does not state;
4. a dotted time only after "at", "from", "between", "until", "before", "after", "since" ("at 9.30"),
   run after money and per cent have taken their decimals ("set for 10.30" stays a decimal: the
   safe reading, since "10.30" is as often a price or a score).
"""

from __future__ import annotations

import re

from .cardinal import DIGIT_WORDS, say_cardinal
from .context import word_before
from .state import State

_AMPM = r"(?P<ap>[ap])\.? ?m\b\.?"
_TIME_AMPM = re.compile(
    rf"(?<![\w.:])(?P<h>1[0-2]|0?\d)(?:[:.](?P<m>[0-5]\d))? ?(?i:{_AMPM})",
)
# "2:59:30": a race or a duration, unless "at" says it is a time of day
_HMS = re.compile(r"(?<![\w.:,])(?P<h>\d{1,2}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)(?![\d:]|\.\d)")
_TIME_24 = re.compile(r"(?<![\w.:,])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:]|\.\d)")
# "9.30" is a time only after words like "at"; elsewhere it is a decimal.
_TIME_DOT = re.compile(
    r"(?P<pre>\b(?:[Aa]t|[Ff]rom|[Bb]etween|[Uu]ntil|[Tt]ill|[Bb]efore|[Aa]fter|[Ss]ince) )"
    r"(?P<h>1[0-2]|0?[1-9])\.(?P<m>[0-5]\d)(?![\d.,]\d|\d)"
    r"(?:(?P<mid> (?:and|to|until|till) |-|–)(?P<h2>1[0-2]|0?[1-9])\.(?P<m2>[0-5]\d)(?![\d.,]\d|\d))?"
)


def _minutes(m: int, state: State) -> str:
    return "" if m == 0 else (" oh " + DIGIT_WORDS[m] if m < 10 else " " + say_cardinal(m, state))


def _twenty_four(raw_hour: str, mins: int, state: State) -> str:
    """A 24-hour time as it is said: "18:30" eighteen thirty, "07:05" oh seven oh five, "00:00" midnight."""
    hour = int(raw_hour)
    if hour == 0 and mins == 0:
        return "midnight"
    said = (
        "zero zero" if hour == 0 else ("oh " if raw_hour.startswith("0") else "") + say_cardinal(hour, state)
    )
    return said + (" hundred" if mins == 0 else _minutes(mins, state))


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
        if raw_hour.startswith("0") or hour > 12:
            return state.num(_twenty_four(raw_hour, mins, state))
        if mins == 0:
            return state.num(say_cardinal(hour, state) + " o'clock")
        return state.num(say_cardinal(hour, state) + _minutes(mins, state))

    def hms(m: re.Match[str]) -> str:
        h, mins, secs = int(m.group("h")), int(m.group("m")), int(m.group("s"))
        seconds = f"{say_cardinal(secs, state)} second{'' if secs == 1 else 's'}"
        if word_before(m.string, m.start()) == "at" and h <= 23:
            return state.num(f"{_twenty_four(m.group('h'), mins, state)} and {seconds}")
        hours = f"{say_cardinal(h, state)} hour{'' if h == 1 else 's'}"
        minutes = f"{say_cardinal(mins, state)} minute{'' if mins == 1 else 's'}"
        return state.num(f"{hours} {minutes} {seconds}")

    text = state.sub(_HMS, hms, text, "duration or time with seconds")
    text = state.sub(_TIME_AMPM, ampm, text, "time with am or pm")
    return state.sub(_TIME_24, clock, text, "clock time")


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

    return state.sub(_TIME_DOT, dotted, text, "time such as 9.30")
