"""Cleaning, the lexicon, symbols and pauses: the steps around the classes of written form."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .fraction import VULGAR, vulgar_rule
from .state import WS, State

# --------------------------------------------------------------------------- 1. cleaning

_DROP_CATEGORIES = {"Cf", "Cs", "Me"}
_SPACE_CATEGORIES = {"So", "Sk", "Co", "Cn", "Zs", "Zl", "Zp"}
# Characters whose NFKC form would read badly ("TM") or that we speak ourselves.
_PRE_MAP = {"™": " ", "℠": " ", "®": " ", "©": " ", "°": "\u00b0", "№": "No "}


@lru_cache(maxsize=4096)
def _clean_char(ch: str) -> str:
    if ch in VULGAR or ch == "\u00b0":
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


_QUOTE_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "`": "'",
    "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": '"', "\u203a": '"',
})  # fmt: skip
# An apostrophe stays inside a word (don't, Putin's) or before a decade ('90s); others are quotes.
_STRAY_APOS = re.compile(r"'(?!(?<=\w')\w)(?!\d0'?s\b)")
_TERMINAL = re.compile(r"(\.\.\.|[.?!])[\s\"')\]]*$")


def clean_rule(text: str, state: State) -> str:
    text = "".join(_clean_char(c) for c in text)

    text = vulgar_rule(text, state)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP)
    text = text.replace('"', " ")
    text = _STRAY_APOS.sub(" ", text)
    text = WS.sub(" ", text).strip()
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


def lexicon_rule(text: str, state: State) -> str:
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


def symbols_rule(text: str, state: State) -> str:
    if state.us:
        text = re.sub(r" ?%", " percent", text)
    for pattern, spoken in _SYMBOLS:
        text = state.sub(pattern, spoken, text, "symbol")
    return text


def pauses_rule(text: str, state: State) -> str:
    for pattern, spoken in _PAUSES:
        text = pattern.sub(spoken, text)
    text = _UNSPEAKABLE.sub(" ", text)
    text = _BAD_HYPHEN.sub(" ", text)
    text = _BAD_APOS.sub(" ", text)
    # A trailing ellipsis ends the sentence; elsewhere it is a pause.
    text = re.sub(r"\ue010[\s,]*$", ".", text.rstrip())
    return text.replace("\ue010", ",")
