"""Ratios, rates and periods: "3:2" -> "three to two", "odds of 5:1", "y/y" -> "year on year", "p.a.".

Rules, in order, and the context each looks at:
1. two numbers joined by a colon are a ratio when the second has one digit ("3:2", "5:1", "16:9"
   after "ratio" or "odds") - "18:30" with two digits after the colon is a clock time, left to time.py;
   after "odds of", "ratio of", "split" or before "ratio", "majority", "split", any colon pair is a
   ratio ("a 60:40 split"), and so is one that cannot be a time ("60:40");
3. a score, two numbers up to 15 joined by a dash after "won", "lost", "drew", "beat", "score",
   "scored", "victory", "defeat", "win", "lead", "led": "won 3-1" -> "won three-one", with "nil" for a
   nought in en-GB ("won 2-0" -> "two-nil"), "nothing" in en-US;
2. the period abbreviations below ("y/y", "q/q", "m/m", "w/w", "yoy", "p.a.") become words.
"""

from __future__ import annotations

import re

from .cardinal import say_count
from .context import word_after, word_before
from .state import State

_RATIO = re.compile(r"(?<![\w.:,])(?P<a>\d{1,3}):(?P<b>\d{1,3})(?![\d:]|[.,]\d)")
_RATIO_BEFORE = frozenset("odds ratio ratios of split divided".split())
_RATIO_AFTER = frozenset("ratio ratios majority split odds aspect".split())
_SCORE = re.compile(r"(?<![\w.,:-])(?P<a>\d{1,2})[-–](?P<b>\d{1,2})(?![\w:%-]|[.,]\d)")
_SCORE_WORDS = re.compile(
    r"\b(?:won|win|wins|winning|lost|lose|loses|losing|drew|draw|drawn|beat|beats|beaten|score|scored|"
    r"scoreline|victory|defeat|lead|led|leads|trail|trailed|trailing)\b[^.;]{0,40}$",
    re.IGNORECASE,
)
_PERIODS = {
    "y/y": "year on year", "q/q": "quarter on quarter", "m/m": "month on month", "w/w": "week on week",
    "yoy": "year on year", "qoq": "quarter on quarter", "p.a.": "a year",
}  # fmt: skip
_PERIOD = re.compile(r"(?<![\w/])(?P<p>([yqmw])/\2|[Yy]o[Yy]|[Qq]o[Qq]|p\.a\b\.?)(?![\w/])")


def ratios_rule(text: str, state: State) -> str:
    def ratio(m: re.Match[str]) -> str:
        before = word_before(m.string, m.start())
        after = word_after(m.string, m.end()).lower()
        told = before in _RATIO_BEFORE or after in _RATIO_AFTER
        clock = int(m.group("a")) <= 23 and int(m.group("b")) <= 59
        if len(m.group("b")) != 1 and clock and not told:
            return m.group(0)
        spoken = say_count(m.group("a"), state) + " to " + say_count(m.group("b"), state)
        return state.num(spoken)

    def period(m: re.Match[str]) -> str:
        key = m.group("p").lower()
        key = "p.a." if key.startswith("p.a") else key
        spoken = state.keep(_PERIODS[key])
        # a "p.a." that ends the sentence keeps its full stop
        return spoken + ("." if m.group("p").endswith(".") and not m.string[m.end() :].strip() else "")

    def score(m: re.Match[str]) -> str:
        if max(int(m.group("a")), int(m.group("b"))) > 15 or not _SCORE_WORDS.search(m.string, 0, m.start()):
            return m.group(0)  # "won 52-48" is a share of the vote: "fifty-two to forty-eight"
        nought = "nothing" if state.us else "nil"
        a, b = (nought if n == "0" else say_count(n, state) for n in (m.group("a"), m.group("b")))
        return state.num(f"{a}-{b}")

    text = state.sub(_RATIO, ratio, text, "ratio")
    text = state.sub(_SCORE, score, text, "score")
    return state.sub(_PERIOD, period, text, "period")
