"""Cardinal numbers: "1,237" -> "one thousand two hundred and thirty-seven", negatives, ranges and "3 x 4".

Also the number words every other class builds on (`say_cardinal`, `say_number`, `say_digits`).

Rules, in order, and the context each looks at:
1. a minus sign at the start of a word before a number -> "minus";
2. every remaining number (commas as thousands separators, a decimal part said digit by digit);
3. two spoken numbers joined by a dash -> "A to B", or "A and B" after "between" ("50-50", the same
   number twice, stays "fifty-fifty");
4. "3 x 4" between two numbers -> "three by four".
"""

from __future__ import annotations

import re
from functools import lru_cache

from num2words import num2words

from .context import word_before
from .state import NUM_PH, State

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# A written number: 12, 1,200, 1200.5
NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def british_and(words: str, state: State) -> str:
    """num2words' words without commas; British English keeps "three hundred and twenty", US drops it."""
    words = words.replace(",", "")
    return words.replace(" and ", " ") if state.us else words


def say_digits(s: str) -> str:
    return " ".join(DIGIT_WORDS[int(c)] for c in s if c.isdecimal())


@lru_cache(maxsize=8192)
def n2w(n: int, to: str) -> str:
    """num2words, cached: it is slow (tens of microseconds a call) and news repeats its numbers."""
    return num2words(n, to=to)


def say_cardinal(n: int, state: State) -> str:
    if n < 0:
        return "minus " + say_cardinal(-n, state)
    if n >= 10**15:
        return say_digits(str(n))
    return british_and(n2w(n, "cardinal"), state)


def say_count(digits: str, state: State) -> str:
    """Cardinal from a digit string; very long runs are read digit by digit."""
    return say_digits(digits) if len(digits) > 15 else say_cardinal(int(digits), state)


def say_number(text: str, state: State) -> str:
    """'1,237.5' -> 'one thousand two hundred and thirty-seven point five'."""
    whole, _, frac = text.replace(",", "").partition(".")
    words = say_count(whole, state) if whole else "zero"
    if frac:
        words += " point " + say_digits(frac)
    return words


def plural_word(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties'."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


_NEGATIVE = re.compile(rf"(?:(?<=^)|(?<=[\s(\[]))[-−](?={NUM})")
_PLAIN = re.compile(rf"(?<![\d.]){NUM}(?!\d)")
_DIGITS = re.compile(r"\d+")
_RANGE_DASH = re.compile(rf"({NUM_PH})(?:-|–| – )({NUM_PH})")
_BY = re.compile(rf"({NUM_PH}) ?[x×] ?(?={NUM_PH})")


def cardinals_rule(text: str, state: State) -> str:
    text = state.sub(_NEGATIVE, "minus ", text, "minus sign")
    text = state.sub(_PLAIN, lambda m: state.num(say_number(m.group(0), state)), text, "number")
    text = state.sub(_DIGITS, lambda m: state.num(say_count(m.group(0), state)), text, "number")

    def joined(m: re.Match[str]) -> str:
        # "50-50" is "fifty-fifty", not a range
        same = state.unkeep(m.group(1)[1:-1]) == state.unkeep(m.group(2)[1:-1])
        if same:
            return m.group(1) + "-" + m.group(2)
        join = " and " if word_before(m.string, m.start()) == "between" else " to "
        return m.group(1) + join + m.group(2)

    text = state.sub(_RANGE_DASH, joined, text, "range")
    return state.sub(_BY, r"\1 by ", text, "dimensions")
