"""Helpers for the per-class speech tests: what the voice is given, and which rule rewrote what."""

from __future__ import annotations

from narrate.text.speech import SpeechRules, explain, speak

_RULES = {"en-GB": SpeechRules(), "en-US": SpeechRules(locale="en-US")}


def _fail(message: str) -> None:
    raise AssertionError(message)


def said(text: str, locale: str = "en-GB") -> str:
    """speak(), with any rule that fails turned into a test failure."""
    return speak(text, _RULES[locale], warn=_fail)


def rewrites(text: str, locale: str = "en-GB") -> list[tuple[str, str, str]]:
    """(rule, written, spoken) for every rewrite the rules made, in order."""
    return [(r.rule, r.written, r.spoken) for r in explain(text, _RULES[locale], warn=_fail).rewrites]
