"""Abbreviations and titles."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("Costs, e.g. fuel, rose.", "Costs, for example fuel, rose."),
    ("Prof Sarah Gilbert spoke.", "Professor Sarah Gilbert spoke."),
    ("Det Insp Morse led the case.", "Detective Inspector Morse led the case."),
    ("The case is Smith v. Jones.", "The case is Smith versus Jones."),
    ("He works for Barratt Bros.", "He works for Barratt Brothers."),
    ("Visitors to No 10 included Mr Biden.", "Visitors to Number Ten included Mister Biden."),
    ("The Gen said nothing.", "The Gen said nothing."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_abbreviations_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken
