"""Acronyms: spelled or said as words, plurals and possessives, dotted initials."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("The DWP paused the scheme.", "The D.W.P paused the scheme."),
    ("UNICEF warned of famine.", "Unicef warned of famine."),
    ("GPs in the NHS are stretched.", "G.P.'s in the N.H.S are stretched."),
    ("The P&O ferry was held.", "The P-and-O ferry was held."),
    ("The U.K. economy shrank.", "The U.K economy shrank."),
    ("MI5 said the threat had grown.", "M.I five said the threat had grown."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_acronyms_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken
