"""Decimals: each digit after the point, a leading point, thousands with a decimal part."""

from __future__ import annotations

import pytest
from speech_tools import rewrites, said

CASES = [
    ("The Richter scale reading was 4.7.", "The Richter scale reading was four point seven."),
    (
        "The FTSE closed at 8,123.45.",
        "The FTSE closed at eight thousand one hundred and twenty-three point four five.",
    ),
    ("Its reproduction number was .8 last week.", "Its reproduction number was point eight last week."),
    ("A margin of 0.05 separated them.", "A margin of zero point zero five separated them."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_decimals_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_explain_names_the_decimal_rule() -> None:
    assert rewrites("The reading was 4.7.") == [("decimal", "4.7", "four point seven")]
