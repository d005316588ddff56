"""The context rules look at around a number: the word before it, the word after it."""

from __future__ import annotations

import re

_WORD_BEFORE = re.compile(r"([A-Za-z]+)\s*$")
_POSSESSIVE = re.compile(r"[A-Za-z](?:'s|s')\s*$")
_WORD_AFTER = re.compile(r"[\s-]*([A-Za-z]+)")
# After "a £2.5bn" or "the 10km", a noun makes the amount attributive ("a two point five billion pound
# fund"); these words after the amount say it is a quantity after all ("a £2.5bn of", "the 10km to").
_ATTRIBUTIVE_ARTICLES = frozenset("a an the this that its their his her our your my".split())
# Past participles that follow an amount as a verb, not a noun: "the £5m spent", "the 10km run"
# is fine, but "the £5m lost" is not attributive.
_PARTICIPLES = frozenset(
    "lost spent paid made owed cut set sought won given taken left put held borrowed lent sunk bid "
    "bought sold kept brought paid".split()
)
_NOT_A_NOUN = frozenset(
    "of for in to on from at by with and or but than as a an the per each every more less a year "
    "was were is are be been being has have had will would could should may might can must that which "
    "who this these those it its their his her our your my over under up down off out into onto "
    "about around above below after before since until while when where if so yet nor not no plus "
    "minus times last next this".split()
)


def word_before(text: str, start: int, span: int = 40) -> str:
    """The last word before `start`, lower-cased ("" if none)."""
    m = _WORD_BEFORE.search(text, max(0, start - span), start)
    return m.group(1).lower() if m else ""


def word_after(text: str, end: int) -> str:
    """The next word after `end` as written ("" if none follows)."""
    m = _WORD_AFTER.match(text, end)
    return m.group(1) if m else ""


def is_attributive(text: str, start: int, end: int) -> bool:
    """Is the amount at text[start:end] used before a noun, "a £2.5bn fund", "an 80km route"?

    Then the unit is singular, as a native speaker says it. Only after an article, a determiner or a
    possessive ("a", "the", "its", "the firm's"), and only when a lower-case word follows that is not
    a function word, nor, after anything but "a"/"an", a past participle ("the £5m raised").
    """
    before = word_before(text, start)
    if _POSSESSIVE.search(text, max(0, start - 40), start):
        before = "'s"  # "the firm's £1.2bn takeover": a possessive is a determiner too
    elif before not in _ATTRIBUTIVE_ARTICLES:
        return False
    after = word_after(text, end)
    if not after or not after.islower() or after in _NOT_A_NOUN or text[end : end + 1] not in " -":
        return False
    verb = after in _PARTICIPLES or (after.endswith("ed") and len(after) > 4)
    return before in ("a", "an") or not verb
