"""Decimals: "2.75" -> "two point seven five", ".5" -> "point five" (after money, units and times).

Rules, in order: a number with a decimal part (its whole part a cardinal, then each digit); a leading
point with no whole part. Trailing zeros are read as written ("1.50" is "one point five zero"), since
in a table or a result they are significant.
"""

from __future__ import annotations

import re

from .cardinal import say_digits, say_number
from .state import State

_DECIMAL = re.compile(r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+(?!\d)")
_LEAD_POINT = re.compile(r"(?<![\w.])\.(\d+)")


def decimals_rule(text: str, state: State) -> str:
    text = state.sub(_DECIMAL, lambda m: state.num(say_number(m.group(0), state)), text, "decimal")
    return state.sub(_LEAD_POINT, lambda m: state.num("point " + say_digits(m.group(1))), text, "decimal")
