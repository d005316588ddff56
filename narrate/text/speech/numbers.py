"""Numbers said as words: cardinals, ordinals, years, decades, fractions, phone numbers, regnal numerals."""

from __future__ import annotations

import re
from functools import lru_cache

from num2words import num2words

from .state import NUM_PH, State

# --------------------------------------------------------------------------- number words


def _and(words: str, state: State) -> str:
    # British English says "three hundred and twenty"; American usually drops the "and".
    words = words.replace(",", "")
    return words.replace(" and ", " ") if state.us else words


def say_digits(s: str) -> str:
    return " ".join(DIGIT_WORDS[int(c)] for c in s if c.isdecimal())


DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@lru_cache(maxsize=8192)
def _n2w(n: int, to: str) -> str:
    # num2words is slow (tens of microseconds a call) and news repeats its numbers.
    return num2words(n, to=to)


def say_cardinal(n: int, state: State) -> str:
    if n < 0:
        return "minus " + say_cardinal(-n, state)
    if n >= 10**15:
        return say_digits(str(n))
    return _and(_n2w(n, "cardinal"), state)


def say_count(digits: str, state: State) -> str:
    """Cardinal from a digit string; very long runs are read digit by digit."""
    return say_digits(digits) if len(digits) > 15 else say_cardinal(int(digits), state)


def say_ordinal(n: int, state: State) -> str:
    if n >= 10**15:
        return say_digits(str(n))
    return _and(_n2w(n, "ordinal"), state)


def say_year(n: int, state: State) -> str:
    return _and(_n2w(n, "year"), state)


def say_number(text: str, state: State) -> str:
    """'1,237.5' -> 'one thousand two hundred and thirty-seven point five'."""
    whole, _, frac = text.replace(",", "").partition(".")
    words = say_count(whole, state) if whole else "zero"
    if frac:
        words += " point " + say_digits(frac)
    return words


def _plural_word(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties'."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
# --------------------------------------------------------------------------- 9. years, decades, ordinals

_DECADE = re.compile(r"(?<![\w.,])(?:'(?P<short>\d0)|(?P<cent>1[0-9]|20)?(?P<dec>\d0))'?s\b")
_NUMBER_PLURAL = re.compile(r"(?<![\w.,])(\d{1,3})'?s\b")
_YEAR_RANGE = re.compile(
    r"(?<![\w.,£$€-])(?P<y1>1[1-9]\d\d|20\d\d)(?P<sep>-|–|/)(?P<y2>\d{2}|\d{4})(?![\w.,]?\d)(?!%)"
)
_YEAR = re.compile(r"(?<![\w.,£$€-])(?P<y>1[1-9]\d\d|20\d\d)(?![\w]|[.,]\d)")
_ORDINAL = re.compile(r"(?<![\w.])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th|ST|ND|RD|TH)\b")
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
            return state.num(_plural_word(say_cardinal(dec, state)))
        return state.num(_plural_word(say_year(int(m.group("cent") + m.group("dec")), state)))

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
        if _looks_counted(m.string, m.start(), m.end()):
            return m.group(0)
        return state.num(say_year(int(m.group("y")), state))

    text = _DECADE.sub(decade, text)
    # "the under-25s", "in 2s and 3s"
    text = _NUMBER_PLURAL.sub(lambda m: state.num(_plural_word(say_count(m.group(1), state))), text)
    text = _YEAR_RANGE.sub(year_range, text)
    text = _YEAR.sub(year, text)

    def ordinal(m: re.Match[str]) -> str:
        digits = m.group("n").replace(",", "")
        return state.num(say_digits(digits) if len(digits) > 15 else say_ordinal(int(digits), state))

    return _ORDINAL.sub(ordinal, text)



# --------------------------------------------------------------------------- 10. fractions, plain numbers

_FRACTION = re.compile(r"(?<![\w/.])(?P<a>\d+)/(?P<b>\d+)(?![\w/]|\.\d)")
# Phone numbers and codes with a leading zero are read digit by digit.
_PHONE = re.compile(
    r"(?<![\w.,])(?:\+\d{1,3}(?: ?\(0\))?(?: ?\d{2,5}){2,}|0\d{2,}(?: \d{3,4}){0,2})(?![\w.]?\d)"
)


def _phone(number: str) -> str:
    groups = re.findall(r"\d+", number.replace("(0)", ""))
    spoken = ", ".join(" ".join("oh" if d == "0" else DIGIT_WORDS[int(d)] for d in g) for g in groups)
    return ("plus " if number.startswith("+") else "") + spoken


_NEGATIVE = re.compile(rf"(?:(?<=^)|(?<=[\s(\[]))[-−](?={NUM})")
_PLAIN = re.compile(rf"(?<![\d.]){NUM}(?!\d)")
_LEAD_POINT = re.compile(r"(?<![\w.])\.(\d+)")
_DIGITS = re.compile(r"\d+")
_RANGE_DASH = re.compile(rf"({NUM_PH})(?:-|–| – )(?=({NUM_PH}))")
_BY = re.compile(rf"({NUM_PH}) ?[x×] ?(?={NUM_PH})")


def numbers_rule(text: str, state: State) -> str:
    def fraction(m: re.Match[str]) -> str:
        if len(m.group("a")) > 15 or len(m.group("b")) > 15:
            return state.num(say_digits(m.group("a")) + ", " + say_digits(m.group("b")))
        a, b = int(m.group("a")), int(m.group("b"))
        if 0 < a < b <= 10:
            return state.num(say_fraction(a, b, state).replace("a ", "one ", 1))
        # 24/7, 9/11, 50/50: said as the two numbers.
        return state.num(say_cardinal(a, state) + " " + say_cardinal(b, state))

    text = _FRACTION.sub(fraction, text)
    text = _PHONE.sub(lambda m: state.num(_phone(m.group(0))), text)
    text = _NEGATIVE.sub("minus ", text)
    text = _PLAIN.sub(lambda m: state.num(say_number(m.group(0), state)), text)
    text = _LEAD_POINT.sub(lambda m: state.num("point " + say_digits(m.group(1))), text)
    text = _DIGITS.sub(lambda m: state.num(say_count(m.group(0), state)), text)

    def joined(m: re.Match[str]) -> str:
        # "50-50" is "fifty-fifty", not a range
        same = state.unkeep(m.group(1)[1:-1]) == state.unkeep(m.group(2)[1:-1])
        return m.group(1) + ("-" if same else " to ")

    text = _RANGE_DASH.sub(joined, text)
    return _BY.sub(r"\1 by ", text)



# --------------------------------------------------------------------------- 11. regnal numbers

_ROMAN = {"I": 1, "V": 5, "X": 10}
_REGNAL = re.compile(r"\b(?P<name>[A-Z][a-z]+(?:'s)?) (?P<num>X{0,3}(?:IX|IV|V?I{0,3}))\b(?!-?\w|'(?!s\b))")
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
    "Protocol Round Year Term Pillar Vatican".split()
)


def _roman_value(s: str) -> int:
    total = 0
    for i, ch in enumerate(s):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(s) and _ROMAN[s[i + 1]] > v else v
    return total


def regnal_rule(text: str, state: State) -> str:
    def repl(m: re.Match[str]) -> str:
        name, num = m.group("name"), m.group("num")
        if not num:
            return m.group(0)
        base = name[:-2] if name.endswith("'s") else name
        if base in _CARDINAL_CONTEXT:
            return f"{name} " + state.num(say_cardinal(_roman_value(num), state).title())
        if len(num) == 1 and base not in _REGNAL_NAMES:
            return m.group(0)
        if base in _REGNAL_NAMES or len(num) > 1:
            return f"{name} " + state.keep("the " + say_ordinal(_roman_value(num), state).title())
        return m.group(0)

    return _REGNAL.sub(repl, text)


def say_fraction(num: int, den: int, state: State) -> str:
    names = {2: ("half", "halves"), 4: ("quarter", "quarters")}
    if den in names:
        one, many = names[den]
    else:
        one = say_ordinal(den, state)
        many = one + "s"
    if num == 1:
        return f"a {one}" if den in names else f"one {one}"
    return f"{say_cardinal(num, state)} {many}"
