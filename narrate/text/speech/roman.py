"""Roman numerals: "Charles III" -> "Charles the Third", "Part IV" -> "Part Four", "Super Bowl LVIII".

Rules, in order, and the context each looks at (the word before the numeral decides):
1. after a word that numbers a part or a sequel ("Part", "Chapter", "Phase", "World War", "Bowl",
   "Title" ... the table below): a cardinal, "Part Four", "Super Bowl Fifty-Eight";
2. after a monarch's or pope's name (the table below): "the" and an ordinal, "Charles the Third";
3. after any other capitalised word, a numeral of two or more letters ("Henry VIII", "Rocky IV"): an
   ordinal with "the"; a single "I", "V" or "X" is left alone ("Formula X" is a name, and the pronoun
   "I" is everywhere). "L" and "C" count only after a numbering word ("Size XL", "a CV" are not
   numerals), and alone never ("Part C", "Class C"); "D" and "M" never do.
"""

from __future__ import annotations

import re

from .cardinal import say_cardinal
from .ordinal import say_ordinal
from .state import State

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_NUMERAL = r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_REGNAL = re.compile(rf"\b(?P<name>[A-Z][a-z]+(?:'s)?) (?P<num>{_NUMERAL})\b(?!-?\w|'(?!s\b))")
_REGNAL_NAMES = frozenset(
    "Charles Henry Elizabeth George Edward William James Richard Mary Anne Victoria Louis John Paul "
    "Benedict Pius Leo Gregory Philip Frederick Peter Catherine Nicholas Alexander Felipe Juan Carlos "
    "Willem Harald Gustaf Ferdinand Francis Clement Innocent Urban Boniface Stephen Malcolm David "
    "Robert Alfonso Umberto Wilhelm Constantine Rama Olav Haakon Christian Margrethe Frederik".split()
)
# After these, a numeral is a plain number: World War Two, Part Three.
_CARDINAL_CONTEXT = frozenset(
    "War Part Chapter Phase Stage Act Volume Vol Series Book Article Title Type Class Category Grade "
    "Level Section Schedule Tier Mark Mk Bowl Apollo Gemini Rocky Episode Division League Annex Appendix "
    "Protocol Round Year Term Pillar Vatican Key Stage Form Tranche Wave".split()
)


def roman_value(s: str) -> int:
    total = 0
    for i, ch in enumerate(s):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(s) and _ROMAN[s[i + 1]] > v else v
    return total


def roman_rule(text: str, state: State) -> str:
    def repl(m: re.Match[str]) -> str:
        name, num = m.group("name"), m.group("num")
        if not num or (len(num) == 1 and num in "LC"):
            return m.group(0)
        base = name[:-2] if name.endswith("'s") else name
        if base in _CARDINAL_CONTEXT:
            return f"{name} " + state.num(say_cardinal(roman_value(num), state).title())
        if (len(num) == 1 and base not in _REGNAL_NAMES) or not set(num) <= set("IVX"):
            return m.group(0)  # "Size XL", "a CV": L and C only count after a numbering word
        return f"{name} " + state.keep("the " + say_ordinal(roman_value(num), state).title())

    return state.sub(_REGNAL, repl, text, "roman numeral")
