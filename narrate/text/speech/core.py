"""How a written sentence becomes spoken text: the speech rules in order, and a warning when one fails."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .abbreviation import abbreviations_rule
from .acronym import acronyms_rule
from .cardinal import cardinals_rule
from .date import dates_rule, years_rule
from .decimal import decimals_rule
from .electronic import urls_rule
from .finish import finish_rule
from .fraction import fractions_rule
from .measure import percent_rule, units_rule
from .money import money_rule
from .ordinal import ordinals_rule
from .ratio import ratios_rule
from .reference import references_rule
from .road import roads_rule
from .roman import roman_rule
from .state import CLOSE, OPEN, OPEN_NUM, SpeechRules, State, fallback
from .telephone import telephone_rule
from .time import dotted_times_rule, times_rule
from .words import clean_rule, lexicon_rule, pauses_rule, symbols_rule

Rule = Callable[[str, State], str]
_DIGIT = re.compile("[0-9]")
_DIGIT_OR_NUMBER = re.compile("[0-9\ue002]")


def _with_digits(rule: Rule, numbers: bool = False) -> Rule:
    """A rule that only reads written digits (or, with `numbers`, spoken numbers too, which it joins
    into ranges): skipped, for speed, on a sentence that has none left."""
    needs = _DIGIT_OR_NUMBER if numbers else _DIGIT

    def run(text: str, state: State) -> str:
        return rule(text, state) if needs.search(text) else text

    run.__name__ = rule.__name__
    return run


# The rules in the order they run. A rule that produces finished speech parks it behind a placeholder
# (state.py), so later rules cannot mangle it; the last rule restores them.
STEPS: tuple[tuple[str, Rule], ...] = (
    ("cleaning", clean_rule),
    ("lexicon", lexicon_rule),
    ("URLs and e-mail addresses", urls_rule),  # electronic.py: before anything reads their dots and digits
    ("document references", _with_digits(references_rule)),  # "p. 7" before "p." is read as pence
    ("roads and places", roads_rule),  # "A303" before numbers; "St" before abbreviations' titles
    ("abbreviations", abbreviations_rule),
    ("dates", dates_rule),  # "5 June 2024" before its numbers are counted
    ("ratios", ratios_rule),  # "3:2" before the clock reads a colon
    ("clock times", _with_digits(times_rule)),
    ("money", _with_digits(money_rule)),  # "£1.4bn" before decimals and magnitudes
    ("per cent", _with_digits(percent_rule)),
    ("units", _with_digits(units_rule)),
    ("times such as 9.30", _with_digits(dotted_times_rule)),  # after money and per cent took their decimals
    ("telephone and service numbers", _with_digits(telephone_rule)),  # "call 999" before it is a quantity
    ("years, decades and financial years", _with_digits(years_rule)),
    ("ordinals", _with_digits(ordinals_rule)),
    ("fractions", _with_digits(fractions_rule)),
    ("decimals", _with_digits(decimals_rule)),
    ("cardinal numbers", _with_digits(cardinals_rule, numbers=True)),
    ("roman numerals", roman_rule),
    ("acronyms", acronyms_rule),
    ("symbols", symbols_rule),
    ("pauses", pauses_rule),
    ("finish", finish_rule),
)

Warn = Callable[[str], None]


@dataclass(frozen=True)
class Rewrite:
    """One change a speech rule made: which rule, the text it replaced, and what it says instead."""

    rule: str
    written: str
    spoken: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "written": self.written, "spoken": self.spoken}


@dataclass(frozen=True)
class Spoken:
    """A sentence's spoken text and every rewrite that made it, in the order the rules ran."""

    text: str
    rewrites: tuple[Rewrite, ...]


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
    return _run(text, rules, warn, steps)[0]


def explain(
    text: str,
    rules: SpeechRules = SpeechRules(),  # noqa: B008 - frozen, immutable default
    *,
    warn: Warn | None = None,
    steps: Sequence[tuple[str, Rule]] = STEPS,
) -> Spoken:
    """What `speak` says for a sentence, with the rewrites that made it ("£5m" -> "five million pounds")."""
    spoken, state = _run(text, rules, warn, steps)
    return Spoken(spoken, _rewrites(state) if state is not None else ())


def _run(
    text: str, rules: SpeechRules, warn: Warn | None, steps: Sequence[tuple[str, Rule]]
) -> tuple[str, State | None]:
    state = State(rules)
    out = text if isinstance(text, str) else str(text)
    for name, rule in steps:
        state.step = name
        try:
            out = rule(out, state)
        except Exception as exc:  # any bug in any rule: say so, and let the other rules still run
            if warn is not None:
                problem = f"{type(exc).__name__}: {exc}"
                warn(f"the {name} rule failed ({problem}) on {text[:80]!r}; listen to how it is read")
    # placeholders left by a failed last rule must never reach the voice: fall back to the bare words
    if any(mark in out for mark in (OPEN, OPEN_NUM, CLOSE)):
        return fallback(text), None
    return out, state


def _rewrites(state: State) -> tuple[Rewrite, ...]:
    found = []
    for rule, written, spoken in state.rewrites:
        said = " ".join(state.resolve(spoken).split())
        shown = " ".join(state.resolve(written).split())
        if said != shown:
            found.append(Rewrite(rule, shown, said))
    return tuple(found)
