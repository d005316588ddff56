"""Speech rules: turn one written sentence into plain text the Piper voice reads aloud well.

Piper takes no SSML, so everything is expanded into words: numbers, money, dates, times,
units, abbreviations, acronyms, URLs. Rules run in order (see `_PIPELINE`). Each rule that
produces finished speech swaps it for a private-use placeholder, so later rules cannot
mangle it (a respelled name cannot be re-read as an acronym, "twenty-one" cannot lose its
hyphen to the dash rule); placeholders are restored at the very end.

Order: clean (unicode, quotes) > lexicon > URLs/emails > abbreviations > dates > times >
money > per cent > units > "at 9.30" > years/decades/ordinals > other numbers > regnal
numerals > acronyms > symbols > pauses (dashes, ellipses, brackets) > finish.

The lexicon runs FIRST, on the cleaned written text, so its keys match words as the author
wrote them ("NATO", "No 10", "Ushakov") and its respellings or "[[ IPA ]]" blocks come out
untouched by every other rule.

Spelled acronyms come out as capitals joined by dots, with no final dot ("N.H.S", plural or
possessive "M.P.'s", "A.M"): espeak then says letter names with acronym stress, whereas "A I"
reads the lone "A" as the article, and a final dot before a capital would end the sentence.

Number words drop num2words' commas ("one thousand two hundred"): a comma is a pause to Piper.
Clock times are said on the 12-hour clock ("14:00" -> "two P.M").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from num2words import num2words

from ..profile import SpeechSettings
from .dates import MONTH_ABBREVIATIONS, MONTH_NAMES
from .lexicon import Lexicon

# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class SpeechRules:
    """How to read numbers and acronyms, and which names to respell."""

    locale: str = "en-GB"
    spell: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    lexicon: Lexicon = Lexicon({})

    @classmethod
    def from_settings(cls, settings: SpeechSettings, lexicon: Lexicon) -> SpeechRules:
        """The rules a profile's [speech] table and lexicon (profile's, merged with --lexicon) make."""
        return cls(settings.locale, frozenset(settings.spell), frozenset(settings.words), lexicon)


def speak(text: str, rules: SpeechRules = SpeechRules()) -> str:  # noqa: B008 - frozen, immutable default
    """One written sentence -> plain words and . , ; : ? ! for the voice ("" if nothing speakable)."""
    try:
        return _speak(text, rules)
    except Exception:  # pragma: no cover - last resort: never fail a whole article on one sentence
        return _fallback(text)


def _speak(text: str, rules: SpeechRules) -> str:
    """speak() without the safety net, so tests see real errors."""
    state = _State(rules)
    out = text if isinstance(text, str) else str(text)
    for rule in _PIPELINE:
        out = rule(out, state)
    return out


# --------------------------------------------------------------------------- state & placeholders

_OPEN = "\ue000"  # placeholder holding words (lexicon, URL, acronym ...)
_OPEN_NUM = "\ue002"  # placeholder holding a spoken number: ranges join these with "to"
_CLOSE = "\ue001"
_DIGIT0 = 0xE100  # placeholder index digits, base 256, in the private-use area
_PH = re.compile("[\ue000\ue002]([\ue100-\ue1ff]+)\ue001")
_NUM_PH = "\ue002[\ue100-\ue1ff]+\ue001"


class _State:
    def __init__(self, rules: SpeechRules) -> None:
        self.rules = rules
        self.us = rules.locale.replace("_", "-").lower().startswith("en-us")
        self.saved: list[str] = []
        self.terminal = ""
        self.shouting = False

    def keep(self, spoken: str, numeric: bool = False) -> str:
        """Park finished speech behind a placeholder."""
        index = len(self.saved)
        self.saved.append(spoken)
        digits = ""
        while True:
            digits = chr(_DIGIT0 + index % 256) + digits
            index //= 256
            if not index:
                break
        return (_OPEN_NUM if numeric else _OPEN) + digits + _CLOSE

    def num(self, spoken: str) -> str:
        return self.keep(spoken, numeric=True)

    def index(self, digits: str) -> int:
        index = 0
        for ch in digits:
            index = index * 256 + ord(ch) - _DIGIT0
        return index

    def unkeep(self, digits: str) -> str:
        return self.saved[self.index(digits)]


def _fallback(text: object) -> str:
    words = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", str(text))
    return " ".join(words)


# --------------------------------------------------------------------------- number words


def _and(words: str, state: _State) -> str:
    # British English says "three hundred and twenty"; American usually drops the "and".
    words = words.replace(",", "")
    return words.replace(" and ", " ") if state.us else words


def _digits(s: str) -> str:
    return " ".join(_DIGIT_WORDS[int(c)] for c in s if c.isdecimal())


_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@lru_cache(maxsize=8192)
def _n2w(n: int, to: str) -> str:
    # num2words is slow (tens of microseconds a call) and news repeats its numbers.
    return num2words(n, to=to)


def _cardinal(n: int, state: _State) -> str:
    if n < 0:
        return "minus " + _cardinal(-n, state)
    if n >= 10**15:
        return _digits(str(n))
    return _and(_n2w(n, "cardinal"), state)


def _count(digits: str, state: _State) -> str:
    """Cardinal from a digit string; very long runs are read digit by digit."""
    return _digits(digits) if len(digits) > 15 else _cardinal(int(digits), state)


def _ordinal(n: int, state: _State) -> str:
    if n >= 10**15:
        return _digits(str(n))
    return _and(_n2w(n, "ordinal"), state)


def _year(n: int, state: _State) -> str:
    return _and(_n2w(n, "year"), state)


def _number(text: str, state: _State) -> str:
    """'1,237.5' -> 'one thousand two hundred and thirty-seven point five'."""
    whole, _, frac = text.replace(",", "").partition(".")
    words = _count(whole, state) if whole else "zero"
    if frac:
        words += " point " + _digits(frac)
    return words


def _plural_word(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties'."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MONTHS = list(MONTH_NAMES)
_MONTH_ABBR = MONTH_ABBREVIATIONS
_MONTH_RE = "(?:" + "|".join(_MONTHS + sorted(_MONTH_ABBR, key=len, reverse=True)) + r")\.?"


def _month_number(name: str) -> int:
    name = name.rstrip(".")
    if name in _MONTHS:
        return _MONTHS.index(name) + 1
    return _MONTH_ABBR[name]


# Where a dot belongs to an abbreviation, swallow it, unless it also ends the sentence.
_ABBR_DOT = r"(?:\.(?![\s\"')\]]*$))?"


# --------------------------------------------------------------------------- 1. cleaning

_DROP_CATEGORIES = {"Cf", "Cs", "Me"}
_SPACE_CATEGORIES = {"So", "Sk", "Co", "Cn", "Zs", "Zl", "Zp"}
_VULGAR = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
    "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8),
    "⅞": (7, 8), "⅐": (1, 7), "⅑": (1, 9), "⅒": (1, 10),
}  # fmt: skip
# Characters whose NFKC form would read badly ("TM") or that we speak ourselves.
_PRE_MAP = {"™": " ", "℠": " ", "®": " ", "©": " ", "°": "\u00b0", "№": "No "}


@lru_cache(maxsize=4096)
def _clean_char(ch: str) -> str:
    if ch in _VULGAR or ch == "\u00b0":
        return ch
    if ch in _PRE_MAP:
        return _PRE_MAP[ch]
    if ch in "\t\n\r\v\f":
        return " "
    code = ord(ch)
    # Variation selectors and tag characters ride along with emoji.
    if 0xFE00 <= code <= 0xFE0F or 0xE0000 <= code <= 0xE01EF:
        return ""
    cat = unicodedata.category(ch)
    if cat == "Cc" or cat in _DROP_CATEGORIES:
        return ""
    if cat in _SPACE_CATEGORIES:
        return " "
    return ch


_VULGAR_RE = re.compile(r"(?:(?<!\d)(\d+) ?)?([" + "".join(_VULGAR) + "])")
_QUOTE_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "`": "'",
    "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": '"', "\u203a": '"',
})  # fmt: skip
# An apostrophe stays inside a word (don't, Putin's) or before a decade ('90s); others are quotes.
_STRAY_APOS = re.compile(r"'(?!(?<=\w')\w)(?!\d0'?s\b)")
_WS = re.compile(r"\s+")
_TERMINAL = re.compile(r"(\.\.\.|[.?!])[\s\"')\]]*$")


def _fraction_words(num: int, den: int, state: _State) -> str:
    names = {2: ("half", "halves"), 4: ("quarter", "quarters")}
    if den in names:
        one, many = names[den]
    else:
        one = _ordinal(den, state)
        many = one + "s"
    if num == 1:
        return f"a {one}" if den in names else f"one {one}"
    return f"{_cardinal(num, state)} {many}"


def _clean(text: str, state: _State) -> str:
    text = "".join(_clean_char(c) for c in text)

    def vulgar(m: re.Match[str]) -> str:
        num, den = _VULGAR[m.group(2)]
        part = _fraction_words(num, den, state)
        if m.group(1):
            # "2½" -> "two and a half"
            part = _count(m.group(1), state) + " and " + part
        return " " + state.num(part) + " "

    text = _VULGAR_RE.sub(vulgar, text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP)
    text = text.replace('"', " ")
    text = _STRAY_APOS.sub(" ", text)
    text = _WS.sub(" ", text).strip()
    m = _TERMINAL.search(text)
    state.terminal = "." if m and m.group(1) == "..." else (m.group(1) if m else "")
    letters = [w for w in re.findall(r"[^\W\d_]{2,}", text)]
    upper = [w for w in letters if w.isupper()]
    state.shouting = len(upper) >= 3 and len(upper) >= 0.8 * len(letters)
    return text


# --------------------------------------------------------------------------- 2. lexicon


_POSSESSIVE = re.compile(r"\ue000([\ue100-\ue1ff]+)\ue001('s|s'|')(?!\w)")
_VOICELESS_END = re.compile(r"[ptkfθ]ˌ?ˈ?ː?$")
_SIBILANT_END = re.compile(r"(?:s|z|ʃ|ʒ|tʃ|dʒ)ː?$")


def _lexicon(text: str, state: _State) -> str:
    text = state.rules.lexicon.substitute(text, state.keep)

    # Piper would read a bare "'s" after a phoneme block as the letter S: say it inside the block.
    def possessive(m: re.Match[str]) -> str:
        index = m.group(1)
        spoken = state.unkeep(index)
        if not (spoken.startswith("[[") and spoken.endswith("]]")) or m.group(2) == "'":
            return m.group(0)
        phones = spoken[2:-2].strip()
        ending = "ɪz" if _SIBILANT_END.search(phones) else "s" if _VOICELESS_END.search(phones) else "z"
        state.saved[state.index(index)] = f"[[ {phones}{ending} ]]"
        return m.group(0)[: -len(m.group(2))]

    return _POSSESSIVE.sub(possessive, text)


# --------------------------------------------------------------------------- 3. URLs, emails, handles

_TLDS = (
    "com|org|net|gov|edu|int|mil|info|biz|news|online|io|co|uk|us|eu|de|fr|es|it|nl|ie|au|ca|nz|in|"
    "ru|ua|cn|jp|ch|be|se|no|dk|fi|pl|pt|at|tv|me|ai|app|dev|ly|gl|to|fm|org\\.uk|co\\.uk|gov\\.uk|ac\\.uk"
)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")
_URL = re.compile(
    r"(?<![\w@/])(?:(?:https?|ftp)://|www\.)([A-Za-z0-9.-]+)(?::\d+)?(?:[/?#][^\s]*[^\s.,;:!?)\]'\"])?",
    re.IGNORECASE,
)
_DOMAIN = re.compile(
    rf"(?<![\w@/.-])((?:[A-Za-z0-9-]+\.)+(?:{_TLDS}))(?![\w-]|\.[A-Za-z0-9])(?:/[^\s]*[^\s.,;:!?)\]'\"])?"
)
_DIGIT_RUN = re.compile(r"\d+")
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z_]\w{0,30})")
_HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z]\w*)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


def _say_label(label: str, host: bool = True) -> str:
    # "bbc" -> "B.B.C"; in a host name, country codes are letters too; "co" and words stay words.
    short_code = host and len(label) <= 2 and label.lower() != "co"
    if label.isalpha() and (short_code or not _VOWEL.search(label)):
        return _letters(label)
    spoken = _DIGIT_RUN.sub(lambda m: f" {_digits(m.group(0))} ", label)
    spoken = spoken.replace("-", " dash ").replace("_", " underscore ").replace("+", " plus ")
    return _WS.sub(" ", spoken).strip()


def _say_host(host: str) -> str:
    host = host.strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    return " dot ".join(_say_label(part) for part in host.split(".") if part)


def _urls(text: str, state: _State) -> str:
    def email(m: re.Match[str]) -> str:
        user = " dot ".join(_say_label(p, host=False) for p in m.group(1).split(".") if p)
        return state.keep(f"{user} at {_say_host(m.group(2))}")

    text = _EMAIL.sub(email, text)
    text = _URL.sub(lambda m: state.keep(_say_host(m.group(1))), text)
    text = _DOMAIN.sub(lambda m: state.keep(_say_host(m.group(1))), text)
    text = _HANDLE.sub(lambda m: state.keep("at " + _say_label(m.group(1))), text)
    return _HASHTAG.sub(lambda m: _CAMEL.sub(" ", m.group(1)), text)


# --------------------------------------------------------------------------- 4. abbreviations

_SIMPLE_ABBR = {
    r"\be\.\s?g\.?": "for example",
    r"\beg\.": "for example",
    r"\bi\.\s?e\.?": "that is",
    r"\betc\b" + _ABBR_DOT: "et cetera",
    r"\bvs\b" + _ABBR_DOT: "versus",
    r"\bv\.?(?= [A-Z])": "versus",
    r"\bapprox\b" + _ABBR_DOT: "approximately",
    r"\bcf\.": "compare",
    r"\b(?:c|ca)\.\s?(?=\d)": "circa",
    r"\bRt\.? Hon\b" + _ABBR_DOT: "Right Honourable",
    r"\bLtd\b" + _ABBR_DOT: "Limited",
    r"\b(?:plc|PLC)\b": "P.L.C",
    r"\bPhD\b": "P.H.D",
    r"\bPwC\b": "P.W.C",
    r"\bInc\b" + _ABBR_DOT: "Incorporated",
    r"\bCorp\b" + _ABBR_DOT: "Corporation",
    r"\bBros\b" + _ABBR_DOT: "Brothers",
    r"\bDept\b" + _ABBR_DOT: "Department",
    r"\bGovt\b" + _ABBR_DOT: "Government",
    r"\b(?:Jr|Jnr)\b" + _ABBR_DOT: "Junior",
    r"\b(?:Snr)\b" + _ABBR_DOT: "Senior",
    r"\bMr\b" + _ABBR_DOT: "Mister",
    r"\bMrs\b" + _ABBR_DOT: "Missus",
    r"\bMs\b" + _ABBR_DOT: "Miz",
    r"\bMx\b" + _ABBR_DOT: "Mix",
}
# One alternation, not one pass per abbreviation: long texts stay fast.
_SIMPLE_ABBR_RE = re.compile(
    r"(?<![A-Za-z])(?=[A-Za-z])(?:" + "|".join(f"(?P<a{i}>{k})" for i, k in enumerate(_SIMPLE_ABBR)) + ")"
)
_SIMPLE_ABBR_SAID = {f"a{i}": v for i, v in enumerate(_SIMPLE_ABBR.values())}
# Titles only before a name, so "Gen" or "Rev" elsewhere is left alone.
_TITLES = {
    "Prof": "Professor", "Gen": "General", "Lt": "Lieutenant", "Col": "Colonel", "Capt": "Captain",
    "Sgt": "Sergeant", "Cpl": "Corporal", "Maj": "Major", "Adm": "Admiral", "Brig": "Brigadier",
    "Gov": "Governor", "Sen": "Senator", "Rep": "Representative", "Rev": "Reverend", "Fr": "Father",
    "Det": "Detective", "Supt": "Superintendent", "Insp": "Inspector", "Cllr": "Councillor",
    "Hon": "Honourable", "Cmdr": "Commander", "Pres": "President", "Mt": "Mount", "Sr": "Sister",
}  # fmt: skip
_TITLE_RE = re.compile(r"(?<![A-Za-z])(?=[A-Z])\b(" + "|".join(_TITLES) + r")\b\.?(?= [A-Z])")
# "St"/"Dr" before a name are Saint/Doctor; after a name, Street/Drive. Likewise Rd, Ave.
_PLACE_RE = re.compile(r"\b(St|Dr|Rd|Ave)\b" + _ABBR_DOT)
_PLACE = {"St": ("Saint", "Street"), "Dr": ("Doctor", "Drive"), "Rd": ("Road", "Road"),
          "Ave": ("Avenue", "Avenue")}  # fmt: skip
_NEXT_CAP = re.compile(r"\s*[A-Z\ue000]")
_PREV_CAP = re.compile(r"[A-Z][\w']*\s*$")
_MONTH_DOT_RE = re.compile(r"\b(" + "|".join(_MONTH_ABBR) + r")\." + r"(?![\s\"')\]]*$)?")
_NUMBER_SIGN = re.compile(r"\b(?:No|no)\.\s?(?=\d)|\bNo (?=\d)")
_TEN = re.compile(r"\b(?:No\.?|no\.) ?10\b(?![.,]\d)")


def _place(m: re.Match[str]) -> str:
    before, after = _PLACE[m.group(1)]
    text = m.string
    follows_name = bool(_NEXT_CAP.match(text, m.end()))
    after_name = bool(_PREV_CAP.search(text, max(0, m.start() - 40), m.start())) and m.start() > 0
    if follows_name and not (after_name and m.group(0).endswith(".")):
        return before
    if after_name or m.start() > 0:
        return after
    return before


def _abbreviations(text: str, state: _State) -> str:
    text = _TEN.sub(lambda m: state.keep("Number Ten"), text)
    text = _SIMPLE_ABBR_RE.sub(lambda m: state.keep(_SIMPLE_ABBR_SAID[m.lastgroup or ""]), text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m.group(1)], text)
    text = _PLACE_RE.sub(_place, text)
    text = _NUMBER_SIGN.sub(lambda m: "Number " if m.group(0)[0] == "N" else "number ", text)
    return text


# --------------------------------------------------------------------------- 5. dates

_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_DATE_DMY = re.compile(
    rf"(?<![\w.,])(?P<d1>{_DAY})(?:(?:-|–| to )(?P<d2>{_DAY}))? (?:of )?(?P<m>{_MONTH_RE})"
    rf"(?:,? (?P<y>\d{{4}}))?(?!\w)"
)
_DATE_MDY = re.compile(
    rf"(?<!\w)(?P<m>{_MONTH_RE}) (?P<d1>{_DAY})(?:(?:-|–| to )(?P<d2>{_DAY}))?"
    rf"(?!\d|,\d|\.\d|:\d)(?:,? (?P<y>\d{{4}})(?!\d))?(?!\w)"
)
_DATE_MY = re.compile(rf"(?<!\w)(?P<m>{_MONTH_RE}) (?P<y>1[1-9]\d\d|20\d\d)(?!\w|[.,]\d)")
_DATE_NUMERIC = re.compile(r"(?<![\w/.])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/])")
_DATE_ISO = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def _day_number(s: str) -> int:
    return int(re.match(r"\d+", s).group(0))  # type: ignore[union-attr]


def _say_date(
    day: int, month: int, year: int | None, state: _State, day2: int | None = None, month_first: bool = False
) -> str:
    name = _MONTHS[month - 1]
    if state.us:
        days = _ordinal(day, state) + (f" to {_ordinal(day2, state)}" if day2 else "")
        spoken = f"{name} {days}"
        return spoken + (f", {_year(year, state)}" if year else "")
    if month_first:
        days = "the " + _ordinal(day, state) + (f" to the {_ordinal(day2, state)}" if day2 else "")
        spoken = f"{name} {days}"
        return spoken + (f", {_year(year, state)}" if year else "")
    days = "the " + _ordinal(day, state) + (f" to the {_ordinal(day2, state)}" if day2 else "")
    spoken = f"{days} of {name}"
    return spoken + (f" {_year(year, state)}" if year else "")


def _valid(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)


def _dates(text: str, state: _State) -> str:
    def written(m: re.Match[str], month_first: bool) -> str:
        month = _month_number(m.group("m"))
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
        lambda m: _MONTHS[_month_number(m.group("m")) - 1] + " " + state.num(_year(int(m.group("y")), state)),
        text,
    )
    # "Jan." on its own, no number beside it.
    return _MONTH_DOT_RE.sub(lambda m: _MONTHS[_month_number(m.group(1)) - 1], text)


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


def _minutes(m: int, state: _State) -> str:
    return "" if m == 0 else (" oh " + _DIGIT_WORDS[m] if m < 10 else " " + _cardinal(m, state))


def _times(text: str, state: _State) -> str:
    def ampm(m: re.Match[str]) -> str:
        hour = int(m.group("h"))
        mins = int(m.group("m") or 0)
        suffix = " A.M" if m.group("ap").lower() == "a" else " P.M"
        spoken = _cardinal(hour or 12, state) + _minutes(mins, state) + suffix
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
            spoken = _cardinal(hour % 12 or 12, state) + _minutes(mins, state) + suffix
        elif mins == 0:
            spoken = _cardinal(hour, state) + " o'clock"
        else:
            spoken = _cardinal(hour, state) + _minutes(mins, state)
        return state.num(spoken)

    text = _TIME_AMPM.sub(ampm, text)
    return _TIME_24.sub(clock, text)


def _dotted_times(text: str, state: _State) -> str:
    """After money and per cent have taken their decimals: "at 9.30" -> "at nine thirty"."""

    def say(hour: str, mins: str) -> str:
        return _cardinal(int(hour), state) + (_minutes(int(mins), state) if int(mins) else " o'clock")

    def dotted(m: re.Match[str]) -> str:
        spoken = m.group("pre") + state.num(say(m.group("h"), m.group("m")))
        if m.group("h2"):
            mid = m.group("mid") if m.group("mid").strip() not in "-–" else " to "
            spoken += mid + state.num(say(m.group("h2"), m.group("m2")))
        return spoken

    return _TIME_DOT.sub(dotted, text)


# --------------------------------------------------------------------------- 7. money

_CURRENCY = {
    "£": ("pound", "pounds", "penny", "pence"),
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("US dollar", "US dollars", "cent", "cents"),
    "A$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "AU$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "C$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CA$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "NZ$": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "HK$": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "sen", "sen"),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "₽": ("rouble", "roubles", "kopek", "kopeks"),
    "₴": ("hryvnia", "hryvnias", "kopiyka", "kopiyky"),
    "₩": ("won", "won", "jeon", "jeon"),
    "₦": ("naira", "naira", "kobo", "kobo"),
    "₺": ("lira", "lira", "kurus", "kurus"),
    "₪": ("shekel", "shekels", "agora", "agorot"),
    "CHF": ("Swiss franc", "Swiss francs", "centime", "centimes"),
}
_MAGNITUDE = {
    "k": "thousand", "thousand": "thousand", "m": "million", "mn": "million", "mln": "million",
    "million": "million", "bn": "billion", "b": "billion", "billion": "billion", "tn": "trillion",
    "trn": "trillion", "trillion": "trillion",
}  # fmt: skip
_MAG = r"(?:(?:bn|mn|mln|tn|trn|m|b|k)\b|\s?(?:thousand|million|billion|trillion)\b)"
_SYM = "|".join(re.escape(s) for s in sorted(_CURRENCY, key=len, reverse=True))
# A minus sign only counts at the start of a word: "5.25%-5.5%" is a range, not a negative.
_MINUS = r"(?P<neg>(?<![^\s(\[])[-−])?"
_MONEY = re.compile(
    rf"(?<![\w.]){_MINUS}(?P<sym>{_SYM}) ?(?P<n1>{_NUM})(?P<m1>{_MAG})?"
    rf"(?:(?P<to>-|–| to )(?:{_SYM})? ?(?P<n2>{_NUM})(?P<m2>{_MAG})?)?(?![\d])"
)
_PENCE = re.compile(rf"(?<![\w.£$€])(?P<n>{_NUM}) ?p(?:ence)?\b(?!\.\w)")


def _amount(
    number: str, mag: str | None, unit: tuple[str, str, str, str], state: _State, with_unit: bool = True
) -> str:
    one, many, sub_one, sub_many = unit
    if mag:
        words = _number(number, state) + " " + _MAGNITUDE[mag.strip()]
        return words + (" " + many if with_unit else "")
    whole, _, cents = number.replace(",", "").partition(".")
    if len(cents) == 2:
        c = int(cents)
        if not whole.strip("0"):
            return _cardinal(c, state) + " " + (sub_one if c == 1 else sub_many)
        main = _count(whole, state) + " " + (one if whole == "1" else many)
        return main + (" " + _cardinal(c, state) if c else "")
    words = _number(number, state)
    if not with_unit:
        return words
    return words + " " + (one if number == "1" else many)


def _money(text: str, state: _State) -> str:
    def money(m: re.Match[str]) -> str:
        unit = _CURRENCY[m.group("sym")]
        neg = "minus " if m.group("neg") else ""
        if m.group("n2"):
            # "£5-10m": the unit and magnitude are said once, at the end.
            first = _amount(m.group("n1"), m.group("m1"), unit, state, with_unit=False)
            second = _amount(m.group("n2"), m.group("m2"), unit, state)
            if not m.group("m2") and "." not in m.group("n2") and m.group("n2") == "1":
                second = _number(m.group("n2"), state) + " " + unit[1]
            return state.num(f"{neg}{first} to {second}")
        return state.num(neg + _amount(m.group("n1"), m.group("m1"), unit, state))

    def pence(m: re.Match[str]) -> str:
        n = m.group("n")
        return state.num(_number(n, state) + (" penny" if n == "1" else " pence"))

    text = _MONEY.sub(money, text)
    return _PENCE.sub(pence, text)


# --------------------------------------------------------------------------- 8. per cent, units

_PERCENT = re.compile(rf"(?<![\w.]){_MINUS}(?P<n>{_NUM}) ?(?:%|pc\b|per ?cent\b|percent\b)")


def _percent(text: str, state: _State) -> str:
    word = "percent" if state.us else "per cent"

    def repl(m: re.Match[str]) -> str:
        return state.num(("minus " if m.group("neg") else "") + _number(m.group("n"), state) + " " + word)

    return _PERCENT.sub(repl, text)


_UNITS: dict[str, tuple[str, str]] = {
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "C": ("degree Celsius", "degrees Celsius"), "F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "km²": ("square kilometre", "square kilometres"), "km2": ("square kilometre", "square kilometres"),
    "m²": ("square metre", "square metres"), "m2": ("square metre", "square metres"),
    "sq ft": ("square foot", "square feet"), "sq m": ("square metre", "square metres"),
    "sq km": ("square kilometre", "square kilometres"), "sq mi": ("square mile", "square miles"),
    "km/h": ("kilometre per hour", "kilometres per hour"), "mph": ("mile per hour", "miles per hour"),
    "kph": ("kilometre per hour", "kilometres per hour"),
    "kmh": ("kilometre per hour", "kilometres per hour"),
    "km": ("kilometre", "kilometres"), "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"),
    "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"), "g": ("gram", "grams"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"), "ml": ("millilitre", "millilitres"), "ha": ("hectare", "hectares"),
    "kW": ("kilowatt", "kilowatts"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "MW": ("megawatt", "megawatts"), "MWh": ("megawatt hour", "megawatt hours"),
    "GW": ("gigawatt", "gigawatts"), "GWh": ("gigawatt hour", "gigawatt hours"),
    "TWh": ("terawatt hour", "terawatt hours"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "mins": ("minute", "minutes"), "min": ("minute", "minutes"), "hrs": ("hour", "hours"),
    "hr": ("hour", "hours"), "secs": ("second", "seconds"), "yrs": ("year", "years"),
    "x": ("times", "times"),
}  # fmt: skip
# Single letters only when glued to the number ("20C", "5g"); "5 g" is too likely something else.
_UNIT_GLUED = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_SPACED = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if len(u) > 1)
_UNIT = re.compile(
    rf"(?<![\w.]){_MINUS}(?P<n>{_NUM})"
    rf"(?:(?P<u1>{_UNIT_GLUED})|(?: ?°)? (?P<u2>{_UNIT_SPACED}))(?![\w°])"
)
# "5m people" in news is five million; metres are written out or come before these words.
_METRE_WORDS = re.compile(
    r" (?:tall|high|long|deep|wide|race|sprint|hurdles|freestyle|relay|away|above|below|final|heat|dash)\b"
)
_MAG_ALONE = re.compile(rf"(?<![\w.])(?P<n>{_NUM})(?P<mag>bn|mn|tn|m|k)\b(?!['’]\w)")


_HEIGHT = re.compile(r"(?<![\w.])(\d+) ?(?:ft|foot|feet),? ?(\d+) ?(?:in|ins|inches)\b")


def _units(text: str, state: _State) -> str:
    def repl(m: re.Match[str]) -> str:
        unit = m.group("u1") or m.group("u2")
        one, many = _UNITS[unit]
        if state.us:
            one, many = (
                one.replace("metre", "meter").replace("litre", "liter"),
                many.replace("metre", "meter").replace("litre", "liter"),
            )
        number = m.group("n")
        words = ("minus " if m.group("neg") else "") + _number(number, state)
        return state.num(f"{words} {one if number == '1' else many}")

    def magnitude(m: re.Match[str]) -> str:
        if m.group("mag") == "m" and _METRE_WORDS.match(text, m.end()):
            one, many = ("meter", "meters") if state.us else ("metre", "metres")
            return state.num(_number(m.group("n"), state) + " " + (one if m.group("n") == "1" else many))
        return state.num(_number(m.group("n"), state) + " " + _MAGNITUDE[m.group("mag")])

    def height(m: re.Match[str]) -> str:
        feet, inches = m.group(1), m.group(2)
        spoken = f"{_count(feet, state)} {'foot' if feet == '1' else 'feet'}"
        return state.num(f"{spoken} {_count(inches, state)} {'inch' if inches == '1' else 'inches'}")

    text = _HEIGHT.sub(height, text)
    text = _UNIT.sub(repl, text)
    return _MAG_ALONE.sub(magnitude, text)


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


def _years(text: str, state: _State) -> str:
    def decade(m: re.Match[str]) -> str:
        if m.group("short") or not m.group("cent"):
            dec = int(m.group("short") or m.group("dec"))
            if dec == 0:
                return state.num("two thousands" if state.us else "noughties")
            return state.num(_plural_word(_cardinal(dec, state)))
        return state.num(_plural_word(_year(int(m.group("cent") + m.group("dec")), state)))

    def year_range(m: re.Match[str]) -> str:
        y1, y2 = m.group("y1"), m.group("y2")
        end = int(y1[:2] + y2) if len(y2) == 2 else int(y2)
        if end <= int(y1) or end - int(y1) > 100:
            return m.group(0)
        if m.group("sep") == "/" and len(y2) == 2:
            # A financial year or season: "2023/24" -> "twenty twenty-three twenty-four"
            return state.num(f"{_year(int(y1), state)} {_count(y2, state)}")
        return state.num(f"{_year(int(y1), state)} to {_year(end, state)}")

    def year(m: re.Match[str]) -> str:
        if _looks_counted(m.string, m.start(), m.end()):
            return m.group(0)
        return state.num(_year(int(m.group("y")), state))

    text = _DECADE.sub(decade, text)
    # "the under-25s", "in 2s and 3s"
    text = _NUMBER_PLURAL.sub(lambda m: state.num(_plural_word(_count(m.group(1), state))), text)
    text = _YEAR_RANGE.sub(year_range, text)
    text = _YEAR.sub(year, text)

    def ordinal(m: re.Match[str]) -> str:
        digits = m.group("n").replace(",", "")
        return state.num(_digits(digits) if len(digits) > 15 else _ordinal(int(digits), state))

    return _ORDINAL.sub(ordinal, text)


# --------------------------------------------------------------------------- 10. fractions, plain numbers

_FRACTION = re.compile(r"(?<![\w/.])(?P<a>\d+)/(?P<b>\d+)(?![\w/]|\.\d)")
# Phone numbers and codes with a leading zero are read digit by digit.
_PHONE = re.compile(
    r"(?<![\w.,])(?:\+\d{1,3}(?: ?\(0\))?(?: ?\d{2,5}){2,}|0\d{2,}(?: \d{3,4}){0,2})(?![\w.]?\d)"
)


def _phone(number: str) -> str:
    groups = re.findall(r"\d+", number.replace("(0)", ""))
    spoken = ", ".join(" ".join("oh" if d == "0" else _DIGIT_WORDS[int(d)] for d in g) for g in groups)
    return ("plus " if number.startswith("+") else "") + spoken


_NEGATIVE = re.compile(rf"(?:(?<=^)|(?<=[\s(\[]))[-−](?={_NUM})")
_PLAIN = re.compile(rf"(?<![\d.]){_NUM}(?!\d)")
_LEAD_POINT = re.compile(r"(?<![\w.])\.(\d+)")
_DIGITS = re.compile(r"\d+")
_RANGE_DASH = re.compile(rf"({_NUM_PH})(?:-|–| – )(?=({_NUM_PH}))")
_BY = re.compile(rf"({_NUM_PH}) ?[x×] ?(?={_NUM_PH})")


def _numbers(text: str, state: _State) -> str:
    def fraction(m: re.Match[str]) -> str:
        if len(m.group("a")) > 15 or len(m.group("b")) > 15:
            return state.num(_digits(m.group("a")) + ", " + _digits(m.group("b")))
        a, b = int(m.group("a")), int(m.group("b"))
        if 0 < a < b <= 10:
            return state.num(_fraction_words(a, b, state).replace("a ", "one ", 1))
        # 24/7, 9/11, 50/50: said as the two numbers.
        return state.num(_cardinal(a, state) + " " + _cardinal(b, state))

    text = _FRACTION.sub(fraction, text)
    text = _PHONE.sub(lambda m: state.num(_phone(m.group(0))), text)
    text = _NEGATIVE.sub("minus ", text)
    text = _PLAIN.sub(lambda m: state.num(_number(m.group(0), state)), text)
    text = _LEAD_POINT.sub(lambda m: state.num("point " + _digits(m.group(1))), text)
    text = _DIGITS.sub(lambda m: state.num(_count(m.group(0), state)), text)

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


def _regnal(text: str, state: _State) -> str:
    def repl(m: re.Match[str]) -> str:
        name, num = m.group("name"), m.group("num")
        if not num:
            return m.group(0)
        base = name[:-2] if name.endswith("'s") else name
        if base in _CARDINAL_CONTEXT:
            return f"{name} " + state.num(_cardinal(_roman_value(num), state).title())
        if len(num) == 1 and base not in _REGNAL_NAMES:
            return m.group(0)
        if base in _REGNAL_NAMES or len(num) > 1:
            return f"{name} " + state.keep("the " + _ordinal(_roman_value(num), state).title())
        return m.group(0)

    return _REGNAL.sub(repl, text)


# --------------------------------------------------------------------------- 12. acronyms

_SPELL = frozenset(
    "NHS BBC UK US USA EU MP FBI CIA ITV UN GP GDP CEO IMF HMRC DWP ONS ECHR IPCC PM TV AI IT OK "
    "SNP DUP LGBT LGBTQ HIV ID IVF ICU CPS MOD MoD MI5 MI6 GCHQ FA BP HSBC RBS IPO WHO ICC ICJ WTO "
    "OECD G7 G20 NGO NYPD LAPD DNA CCTV TUC CBI FCA PPE VAT IFS OBR IPPR ECB BoE RAF RN SAS MPs CPI "
    "USB PC CV QC KC KGB FSB GRU SBU DPRK PR HR UAE ANC EPA FDA CDC DOJ DHS GOP NSA JFK LBC ITN ABC "
    "CBS NBC CNN MSNBC AP AFP CBE OBE MBE DBE UCL LSE IFS RNLI RSPCA NSPCC YMCA ATM PIN SUV EV EVs LNG "
    "UKIP ULEZ MEP MEPs MSP MSPs AM TUC PFI MRI ISIS AfD CDU SPD ANC ECJ ETA BNP HGV".split()
)
_WORDS = frozenset(
    "NATO OFWAT OFCOM OFSTED OFGEM UNESCO UNICEF NASA COVID UEFA FIFA OPEC NICE BREXIT AIDS SARS "
    "NAFTA OPCW ASEAN FRONTEX INTERPOL EUROPOL ACAS UNISON UNITE COP OXFAM NIMBY GIF JPEG LIDAR RADAR "
    "LASER SCUBA PIN TUI ISA IKEA SWAT HAMAS ZANU BAFTA NIMBYS EFTA TIKTOK".split()
)
_ACRONYM = re.compile(r"(?<![\w'-])(?P<a>[A-Z][A-Za-z]*[A-Z](?:[0-9]+)?|[A-Z][0-9]+)(?P<s>'?s)?(?![\w'])")
_DOTTED = re.compile(r"(?<![\w.])(?P<a>(?:[A-Z]\. ?){2,})")
_INITIAL = re.compile(r"(?<![\w.])([A-Z])\. (?=[A-Z])")
_AMPERSAND_ACRONYM = re.compile(r"\b([A-Z]{1,2})&([A-Z]{1,2})\b")
_SHOUT_WORDS = frozenset(
    "IT AS IS OR AN IN ON TO NO SO DO GO WE HE ME MY BY AT OF UP IF BE AM OK HIS HER OUR WHO WHY "
    "HOW NOT YES ALL NEW OLD BIG OUT".split()
)


def _letters(acronym: str, plural: bool = False) -> str:
    """'NHS' -> 'N.H.S'; plural or possessive 'MP' -> "M.P.'s"; 'MI5' -> 'M.I five'."""
    runs = re.findall(r"[A-Za-z]+|\d+", acronym)
    spoken = [_digits(run) if run.isdigit() else ".".join(run.upper()) for run in runs]
    return " ".join(spoken) + (".'s" if plural else "")


def _acronyms(text: str, state: _State) -> str:
    user_spell, user_words = state.rules.spell, state.rules.words

    def dotted(m: re.Match[str]) -> str:
        raw = m.group("a")
        tail = " " if raw.endswith(" ") else ""
        keep_dot = raw.rstrip().endswith(".") and not m.string[m.end() :].strip(" \"')]")
        return state.keep(_letters(raw.replace(".", "").replace(" ", ""))) + ("." if keep_dot else "") + tail

    def acronym(m: re.Match[str]) -> str:
        base, suffix = m.group("a"), m.group("s") or ""
        whole = base + suffix
        # "MPs" is in the list as a plural; plain words like "Nato" or "GPs" reach here too.
        # The profile's lists beat the built-in ones; within each, words beat spelling.
        for said_as_word, spelled in ((user_words, user_spell), (_WORDS, _SPELL)):
            for candidate, rest in ((whole, ""), (base, suffix)):
                if candidate in said_as_word or candidate.upper() in said_as_word:
                    return state.keep(candidate.capitalize() + rest)
                if candidate in spelled and not (state.shouting and candidate in _SHOUT_WORDS):
                    if candidate[-1] == "s" and candidate[:-1].isupper():  # "MPs" listed as such
                        return state.keep(_letters(candidate[:-1], plural=True))
                    return state.keep(_letters(candidate, plural=bool(rest)))
        if not (base.isupper() and base.isalpha()):  # M25, iPhone: left to the number rules/espeak
            return whole
        if state.shouting:
            return base.lower() + suffix
        if len(base) <= 3 or not _VOWEL.search(base):
            return state.keep(_letters(base, plural=bool(suffix)))
        return whole

    text = _AMPERSAND_ACRONYM.sub(
        # "A&E" -> "A-and-E": a lone "A" before "and" would be read as the article.
        lambda m: state.keep(f"{_letters(m.group(1))}-and-{_letters(m.group(2))}"),
        text,
    )
    text = _DOTTED.sub(dotted, text)
    text = _INITIAL.sub(r"\1 ", text)
    return _ACRONYM.sub(acronym, text)


# --------------------------------------------------------------------------- 13. symbols and pauses

_SYMBOLS = [
    (re.compile(r"(?<=\ue001) ?\+"), " plus"),
    (re.compile(r"(?<=\w) ?\+ ?(?=\w)"), " plus "),
    (re.compile(r"\+(?=\ue002)"), "plus "),
    (re.compile(r"\+"), " plus "),
    (re.compile(r"&"), " and "),
    (re.compile(r"(?<=\S) ?= ?(?=\S)"), " equals "),
    (re.compile(r"~ ?(?=\ue002)"), "about "),
    (re.compile(r"< ?(?=\ue002)"), "less than "),
    (re.compile(r"> ?(?=\ue002)"), "more than "),
    (re.compile(r"#(?=\ue002)"), "number "),
    (re.compile(r"§ ?"), "section "),
    (re.compile(r" ?°"), " degrees"),
    (re.compile(r" ?%"), " per cent"),
    (re.compile(r"@"), " at "),
    (re.compile(r"\band/or\b"), "and or"),
    (re.compile(r"(?<=\ue001) ?/ ?(?=[A-Za-z])"), " per "),
]
_PAUSES = [
    (re.compile(r"\.{3,}|(?:\. ){2,}\.|…"), " \ue010 "),  # ellipsis, resolved below
    (re.compile(r" [-–—―] |[—―]|--+| -(?=\S)|(?<=\S)- "), ", "),
    (re.compile(r"[()\[\]{}|•·]"), ", "),
    (re.compile(r"[/\\_]"), " "),
]
# Anything left that is not a letter, a placeholder or speakable punctuation goes.
_UNSPEAKABLE = re.compile(r"[^\w\s.,;:?!'\-\ue000-\ue1ff\ue010]|[\d_]")
_BAD_HYPHEN = re.compile(r"(?<![^\W\d_]|\ue001)-|-(?![^\W\d_]|[\ue000\ue002])")
_BAD_APOS = re.compile(r"(?<![^\W\d_]|\ue001)'|'(?![^\W\d_])")


def _symbols(text: str, state: _State) -> str:
    if state.us:
        text = re.sub(r" ?%", " percent", text)
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text


def _pauses(text: str, state: _State) -> str:
    for pattern, spoken in _PAUSES:
        text = pattern.sub(spoken, text)
    text = _UNSPEAKABLE.sub(" ", text)
    text = _BAD_HYPHEN.sub(" ", text)
    text = _BAD_APOS.sub(" ", text)
    # A trailing ellipsis ends the sentence; elsewhere it is a pause.
    text = re.sub(r"\ue010[\s,]*$", ".", text.rstrip())
    return text.replace("\ue010", ",")


# --------------------------------------------------------------------------- 14. finish

_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:?!])")
_PUNCT_RUN = re.compile(r"([.,;:?!])(?:\s*[.,;:?!])+")
_NEEDS_SPACE = re.compile(r"([,;:?!])(?=[^\s.,;:?!])|(\.)(?=[^\W\d_\ue000\ue002])")
_LEADING = re.compile(r"^[\s.,;:?!]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_AFTER_PHONEMES = re.compile(r"(?<=[^\s\[])(\s*\]\])([.,;:?!]+)")


def _strongest(run: str) -> str:
    for mark in "?!.;:":
        if mark in run:
            return mark
    return ","


def _finish(text: str, state: _State) -> str:
    text = _WS.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _PUNCT_RUN.sub(lambda m: _strongest(m.group(0)), text)
    text = _NEEDS_SPACE.sub(lambda m: (m.group(1) or m.group(2)) + " ", text)
    text = _LEADING.sub("", text)

    def restore(m: re.Match[str]) -> str:
        spoken = state.unkeep(m.group(1))
        if m.string[m.start()] == _OPEN_NUM:
            # Numbers glued to letters ("G7", "5G") need a space to be read apart.
            before = m.string[m.start() - 1] if m.start() else " "
            after = m.string[m.end()] if m.end() < len(m.string) else " "
            if before.isalnum() or before == _CLOSE:
                spoken = " " + spoken
            if after.isalnum() or after in (_OPEN, _OPEN_NUM):
                spoken += " "
        return spoken

    while _PH.search(text):  # a placeholder can hold another (a number inside a date range)
        text = _PH.sub(restore, text)
    text = _WS.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = text.rstrip(",;: ")
    if not _HAS_LETTER.search(text):
        return ""
    if state.terminal and not text.endswith(("?", "!", ".")):
        text += state.terminal
    elif not state.terminal and text.endswith("."):
        text = text.rstrip(".")
    # Piper drops punctuation that follows a "[[ phonemes ]]" block and glues the next word
    # on; inside the block it is kept as a pause.
    return _AFTER_PHONEMES.sub(r"\2 ]]", text)


_PIPELINE: list[Callable[[str, _State], str]] = [
    _clean,
    _lexicon,
    _urls,
    _abbreviations,
    _dates,
    _times,
    _money,
    _percent,
    _units,
    _dotted_times,
    _years,
    _numbers,
    _regnal,
    _acronyms,
    _symbols,
    _pauses,
    _finish,
]
