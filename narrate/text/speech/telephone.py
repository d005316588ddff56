"""Telephone and service numbers, read digit by digit: "call 999", "NHS 111", "116 123", "0800 123 4567".

Rules, in order, and the context each looks at:
1. a helpline in the European 116 range ("116 123"): always a phone number;
2. a number starting "+" or "0" with its groups ("0800 123 4567", "+44 (0)20 7946 0000"): always a phone
   number; groups are separated by a pause and zero is "oh";
3. a short service number (999, 111, 101, 112, 911, 119, 105) after "NHS", or before "call(s)",
   "service", "line", "number", "operator" or "helpline" (or a hyphenated word and one of those: "the
   101 non-emergency line"), or after "to" or "on" in a sentence about
   calling ("calls to 999 rose"): always a service number;
4. any number of three to six digits after "call", "dial", "ring", "phone", "text", "contact" or
   "helpline", or after "on" in a sentence that says one of those ("call the Samaritans on 116 123"),
   or after "to" when it is a five- or six-digit short code ("text SHOUT to 85258"),
   unless a word follows that it counts ("call 300 people"): digits one by one, because after "call"
   that is the safe reading - "nine nine nine" for a count is odd, "nine hundred and ninety-nine" for a
   number to dial is wrong.
"""

from __future__ import annotations

import re

from .cardinal import DIGIT_WORDS
from .context import word_after, word_before
from .state import State

_PHONE = re.compile(
    r"(?<![\w.,])(?:\+\d{1,3}(?: ?\(0\))?(?: ?\d{2,5}){2,}|0\d{2,}(?: \d{3,4}){0,2})(?![\w.]?\d)"
)
_HELPLINE = re.compile(r"(?<![\w.,])116 ?\d{3}(?![\w.,]?\d)")
_SERVICE = re.compile(r"(?<![\w.,£$€-])(?:999|111|101|112|911|119|105)(?![\w.,%]?\d|[%\w])")
_SERVICE_BEFORE = frozenset("nhs call dial ring phone phoned calling dialling ringing text".split())
_SERVICE_AFTER = frozenset(
    "call calls caller callers service services line lines number operator helpline".split()
)
_COMPOUND_NOUN = re.compile(r" [A-Za-z]+(?:-[A-Za-z]+)+ ([A-Za-z]+)")
_DIALLED = re.compile(r"(?<![\w.,£$€-])\d{3,6}(?: \d{3,4})?(?![\w.,%:/]?\d|[%\w])")
_YEARISH = re.compile(r"(?:1[1-9]|20)\d\d")
_DIAL_WORDS = frozenset(
    "call calls calling called dial dialling dialled ring ringing phone phoning text texting contact "
    "helpline hotline".split()
)
_DIAL_ANYWHERE = re.compile(
    r"\b(?:call|calls|calling|dial|ring|phone|text|helpline|hotline)\b", re.IGNORECASE
)
# After "call 300" these say the number counts something.
_COUNTED = re.compile(
    r"[a-z]+s$|people|staff|times|million|thousand|hundred|per|percent|of|a|an|each|every|more|extra|new|other"
)


def say_phone(number: str) -> str:
    """'0800 123 4567' -> 'oh eight oh oh, one two three, four five six seven'."""
    groups = re.findall(r"\d+", number.replace("(0)", ""))
    spoken = ", ".join(" ".join("oh" if d == "0" else DIGIT_WORDS[int(d)] for d in g) for g in groups)
    return ("plus " if number.startswith("+") else "") + spoken


def _counts(text: str, end: int) -> bool:
    after = word_after(text, end)
    return bool(after) and after.islower() and bool(_COUNTED.fullmatch(after))


def telephone_rule(text: str, state: State) -> str:
    def service(m: re.Match[str]) -> str:
        before, after = word_before(m.string, m.start()), word_after(m.string, m.end()).lower()
        compound = _COMPOUND_NOUN.match(m.string, m.end())  # "the 101 non-emergency line"
        if compound and compound.group(1).lower() in _SERVICE_AFTER:
            after = compound.group(1).lower()
        told = before in ("to", "on") and _DIAL_ANYWHERE.search(m.string, 0, m.start())
        if before in _SERVICE_BEFORE or after in _SERVICE_AFTER or told:
            state.why = f"after {before!r}" if before in _SERVICE_BEFORE or told else f"before {after!r}"
            return state.num(say_phone(m.group(0)))
        return m.group(0)

    def dialled(m: re.Match[str]) -> str:
        before = word_before(m.string, m.start())
        # "to" only before a short code ("text SHOUT to 85258"): "calls rose to 500" is a count
        near = before == "on" or (before == "to" and len(m.group(0)) >= 5)
        asked = before in _DIAL_WORDS or (near and _DIAL_ANYWHERE.search(m.string, 0, m.start()))
        if not asked or _counts(m.string, m.end()) or _YEARISH.fullmatch(m.group(0)):
            return m.group(0)  # "call 300 of them", "call 2024 a success"
        state.why = f"after {before!r}"
        return state.num(say_phone(m.group(0)))

    text = state.sub(_HELPLINE, lambda m: state.num(say_phone(m.group(0))), text, "helpline")
    text = state.sub(_PHONE, lambda m: state.num(say_phone(m.group(0))), text, "phone number")
    text = state.sub(_SERVICE, service, text, "service number")
    return state.sub(_DIALLED, dialled, text, "number to call")
