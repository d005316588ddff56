"""Ordinal numbers: positions, anniversaries, readings."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("The bill passed its 3rd reading.", "The bill passed its third reading."),
    ("It is the 75th anniversary of the NHS.", "It is the seventy-fifth anniversary of the N.H.S."),
    ("The 22nd storm of the season hit Wales.", "The twenty-second storm of the season hit Wales."),
    ("She came 101st out of 400.", "She came one hundred and first out of four hundred."),
    ("This is his 2ND warning.", "This is his second warning."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_ordinals_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken
