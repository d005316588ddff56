"""Ordinal numbers: "21st" -> "twenty-first", "the 3rd" -> "the third"; very long ones digit by digit."""

from __future__ import annotations

import re

from .cardinal import british_and, n2w, say_digits
from .state import State

_ORDINAL = re.compile(r"(?<![\w.])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th|ST|ND|RD|TH)\b")


def say_ordinal(n: int, state: State) -> str:
    if n >= 10**15:
        return say_digits(str(n))
    return british_and(n2w(n, "ordinal"), state)


def ordinals_rule(text: str, state: State) -> str:
    def ordinal(m: re.Match[str]) -> str:
        digits = m.group("n").replace(",", "")
        return state.num(say_digits(digits) if len(digits) > 15 else say_ordinal(int(digits), state))

    return state.sub(_ORDINAL, ordinal, text, "ordinal")
