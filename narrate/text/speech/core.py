"""How a written sentence becomes spoken text: the speech rules in order, and a warning when one fails."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...profile import SpeechSettings
from ..lexicon import Lexicon
from .dates import dates_rule, dotted_times_rule, times_rule
from .finish import finish_rule
from .money import money_rule, percent_rule, units_rule
from .numbers import numbers_rule, regnal_rule, years_rule
from .state import CLOSE, OPEN, OPEN_NUM, State, fallback
from .words import (
    abbreviations_rule,
    acronyms_rule,
    clean_rule,
    lexicon_rule,
    pauses_rule,
    symbols_rule,
    urls_rule,
)


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


Rule = Callable[[str, State], str]

# The rules in the order they run. A rule that produces finished speech parks it behind a placeholder
# (state.py), so later rules cannot mangle it; the last rule restores them.
STEPS: tuple[tuple[str, Rule], ...] = (
    ("cleaning", clean_rule),
    ("lexicon", lexicon_rule),
    ("URLs and e-mail addresses", urls_rule),
    ("abbreviations", abbreviations_rule),
    ("dates", dates_rule),
    ("clock times", times_rule),
    ("money", money_rule),
    ("per cent", percent_rule),
    ("units", units_rule),
    ("times such as 9.30", dotted_times_rule),
    ("years, decades and ordinals", years_rule),
    ("numbers", numbers_rule),
    ("regnal numbers", regnal_rule),
    ("acronyms", acronyms_rule),
    ("symbols", symbols_rule),
    ("pauses", pauses_rule),
    ("finish", finish_rule),
)

Warn = Callable[[str], None]


def speak(
    text: str,
    rules: SpeechRules = SpeechRules(),  # noqa: B008 - frozen, immutable default
    *,
    warn: Warn | None = None,
    steps: Sequence[tuple[str, Rule]] = STEPS,
) -> str:
    """One written sentence -> plain words and . , ; : ? ! for the voice ("" if nothing speakable).

    A rule that fails is skipped, so one bug cannot silence a whole sentence; `warn` is told which rule
    failed on which sentence (the words it would have said, a number or a sum of money, may be missing).
    """
    state = State(rules)
    out = text if isinstance(text, str) else str(text)
    for name, rule in steps:
        try:
            out = rule(out, state)
        except Exception as exc:  # any bug in any rule: say so, and let the other rules still run
            if warn is not None:
                problem = f"{type(exc).__name__}: {exc}"
                warn(f"the {name} rule failed ({problem}) on {text[:80]!r}; listen to how it is read")
    # placeholders left by a failed last rule must never reach the voice: fall back to the bare words
    return fallback(text) if any(mark in out for mark in (OPEN, OPEN_NUM, CLOSE)) else out
