"""The rules a sentence is read by, the state it carries, and placeholders that protect finished speech."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ...profile import SpeechSettings
from ..lexicon import Lexicon

# --------------------------------------------------------------------------- state & placeholders

OPEN = "\ue000"  # placeholder holding words (lexicon, URL, acronym ...)
OPEN_NUM = "\ue002"  # placeholder holding a spoken number: ranges join these with "to"
CLOSE = "\ue001"
WS = re.compile(r"\s+")
# Where a dot belongs to an abbreviation, swallow it, unless it also ends the sentence.
ABBR_DOT = r"(?:\.(?![\s\"')\]]*$))?"
_DIGIT0 = 0xE100  # placeholder index digits, base 256, in the private-use area
PH = re.compile("[\ue000\ue002]([\ue100-\ue1ff]+)\ue001")
NUM_PH = "\ue002[\ue100-\ue1ff]+\ue001"


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


class State:
    def __init__(self, rules: SpeechRules) -> None:
        self.rules = rules
        self.us = rules.locale.replace("_", "-").lower().startswith("en-us")
        self.saved: list[str] = []
        self.terminal = ""
        self.shouting = False
        self.step = ""  # the rule running now, set by speak()
        self.why = ""  # set by a rule's replacement to say which context decided it, for --explain
        # (rule, written, spoken) for every rewrite made, spoken text still holding placeholders
        self.rewrites: list[tuple[str, str, str]] = []

    def sub(
        self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str] | str, text: str, rule: str = ""
    ) -> str:
        """pattern.sub(repl, text), with every match that changed recorded as made by `rule`."""

        def rewrite(m: re.Match[str]) -> str:
            self.why = ""
            out = repl(m) if callable(repl) else m.expand(repl)
            if out != m.group(0):
                name = rule or self.step
                self.rewrites.append((f"{name} ({self.why})" if self.why else name, m.group(0), out))
            return out

        return pattern.sub(rewrite, text)

    def resolve(self, text: str) -> str:
        """Text with every placeholder replaced by the words it holds."""
        while PH.search(text):
            text = PH.sub(lambda m: self.unkeep(m.group(1)), text)
        return text

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
        return (OPEN_NUM if numeric else OPEN) + digits + CLOSE

    def num(self, spoken: str) -> str:
        return self.keep(spoken, numeric=True)

    def index(self, digits: str) -> int:
        index = 0
        for ch in digits:
            index = index * 256 + ord(ch) - _DIGIT0
        return index

    def unkeep(self, digits: str) -> str:
        return self.saved[self.index(digits)]


def fallback(text: object) -> str:
    words = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", str(text))
    return " ".join(words)
