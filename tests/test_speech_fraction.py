"""Fractions: slashes in running text, mixed numbers, fraction characters, 24/7."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("Nearly 2/3 of councils face a shortfall.", "Nearly two thirds of councils face a shortfall."),
    ("The queue lasted 2 1/2 hours.", "The queue lasted two and a half hours."),
    ("Roughly ¾ of staff voted to strike.", "Roughly three quarters of staff voted to strike."),
    ("About ⅓ of the land floods.", "About one third of the land floods."),
    ("Sales rose by ½ a per cent.", "Sales rose by half a per cent."),
    ("Helplines run 24/7.", "Helplines run twenty-four seven."),
    ("The 9/11 memorial reopened.", "The nine eleven memorial reopened."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_fractions_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_a_mixed_number_needs_a_proper_fraction() -> None:
    # "3 12/5" is not a mixed number: left as two numbers
    assert said("Score 3 12/5 in the table.") == "Score three twelve five in the table."
