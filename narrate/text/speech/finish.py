"""The last rule: punctuation the voice can use, placeholders restored."""

from __future__ import annotations

import re

from .state import CLOSE, OPEN, OPEN_NUM, PH, WS, State

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


def finish_rule(text: str, state: State) -> str:
    text = WS.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _PUNCT_RUN.sub(lambda m: _strongest(m.group(0)), text)
    text = _NEEDS_SPACE.sub(lambda m: (m.group(1) or m.group(2)) + " ", text)
    text = _LEADING.sub("", text)

    def restore(m: re.Match[str]) -> str:
        spoken = state.unkeep(m.group(1))
        if m.string[m.start()] == OPEN_NUM:
            # Numbers glued to letters ("G7", "5G") need a space to be read apart.
            before = m.string[m.start() - 1] if m.start() else " "
            after = m.string[m.end()] if m.end() < len(m.string) else " "
            if before.isalnum() or before == CLOSE:
                spoken = " " + spoken
            if after.isalnum() or after in (OPEN, OPEN_NUM):
                spoken += " "
        return spoken

    while PH.search(text):  # a placeholder can hold another (a number inside a date range)
        text = PH.sub(restore, text)
    text = WS.sub(" ", text).strip()
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
