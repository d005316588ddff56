"""Fractions: "2/3 of voters" -> "two thirds of voters", "1 1/2" -> "one and a half", "¼" -> "a quarter".

Rules, in order, and the context each looks at:
1. a vulgar-fraction character, with a whole number glued or spaced before it ("2½") - run while
   cleaning, before Unicode normalisation would turn "½" into "1⁄2"; alone it is "a quarter", but
   "half" before "a" ("½ a point") and "one quarter" after "some", "about", "nearly" ...;
2. a whole number, a space, then a proper fraction ("1 1/2 hours") -> "one and a half";
3. a proper fraction with a denominator up to 10 ("2/3", "1/4") -> "two thirds", "one quarter";
4. any other "a/b" ("24/7", "9/11", "50/50") -> the two numbers, which is how those are said.
"""

from __future__ import annotations

import re

from .cardinal import say_cardinal, say_count, say_digits
from .context import word_before
from .ordinal import say_ordinal
from .state import State

VULGAR = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
    "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8),
    "⅞": (7, 8), "⅐": (1, 7), "⅑": (1, 9), "⅒": (1, 10),
}  # fmt: skip
_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}
_VULGAR_RE = re.compile(r"(?:(?<!\d)(\d+) ?)?([" + "".join(VULGAR) + "])")
_ARTICLE_NEXT = re.compile(r" an? ")
_QUANTIFIERS = frozenset("some about around nearly almost only just roughly over under than".split())
_MIXED = re.compile(r"(?<![\w/.,])(?P<w>\d+) (?P<a>\d)/(?P<b>\d{1,2})(?![\w/]|\.\d)")
_FRACTION = re.compile(r"(?<![\w/.])(?P<a>\d+)/(?P<b>\d+)(?![\w/]|\.\d)")


def say_fraction(num: int, den: int, state: State) -> str:
    """3/4 -> 'three quarters', 1/2 -> 'a half', 1/3 -> 'one third'."""
    if den in _NAMES:
        one, many = _NAMES[den]
    else:
        one = say_ordinal(den, state)
        many = one + "s"
    if num == 1:
        return f"a {one}" if den in _NAMES else f"one {one}"
    return f"{say_cardinal(num, state)} {many}"


def vulgar_rule(text: str, state: State) -> str:
    def vulgar(m: re.Match[str]) -> str:
        num, den = VULGAR[m.group(2)]
        part = say_fraction(num, den, state)
        if m.group(1):
            part = say_count(m.group(1), state) + " and " + part  # "2½" -> "two and a half"
        elif (num, den) == (1, 2) and _ARTICLE_NEXT.match(m.string, m.end()):
            part = "half"  # "½ a point" -> "half a point"
        elif word_before(m.string, m.start()) in _QUANTIFIERS:
            part = part.replace("a ", "one ", 1)  # "some ¼ of" -> "some one quarter of"
        return " " + state.num(part) + " "

    return state.sub(_VULGAR_RE, vulgar, text, "fraction character")


def fractions_rule(text: str, state: State) -> str:
    def mixed(m: re.Match[str]) -> str:
        a, b = int(m.group("a")), int(m.group("b"))
        if not 0 < a < b <= 10:
            return m.group(0)
        whole = say_count(m.group("w"), state)
        return state.num(f"{whole} and {say_fraction(a, b, state)}")

    def fraction(m: re.Match[str]) -> str:
        if len(m.group("a")) > 15 or len(m.group("b")) > 15:
            return state.num(say_digits(m.group("a")) + ", " + say_digits(m.group("b")))
        a, b = int(m.group("a")), int(m.group("b"))
        if 0 < a < b <= 10:
            return state.num(say_fraction(a, b, state).replace("a ", "one ", 1))
        return state.num(say_cardinal(a, state) + " " + say_cardinal(b, state))

    text = state.sub(_MIXED, mixed, text, "mixed number")
    return state.sub(_FRACTION, fraction, text, "fraction")
