"""Roman numerals: monarchs and popes, parts and sequels; letters that are not numerals."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("Part IV of the Act is repealed.", "Part Four of the Act is repealed."),
    ("Chapter XII covers pensions.", "Chapter Twelve covers pensions."),
    ("Phase II starts in spring.", "Phase Two starts in spring."),
    ("Super Bowl LVIII was in Las Vegas.", "Super Bowl Fifty-Eight was in Las Vegas."),
    ("Tier III restrictions applied.", "Tier Three restrictions applied."),
    ("King Charles III visited Kenya.", "King Charles the Third visited Kenya."),
    ("Louis XIV built Versailles.", "Louis the Fourteenth built Versailles."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_roman_numerals_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


@pytest.mark.parametrize(
    "written",
    ["Shirts come in Size XL.", "Send your CV today.", "Pupils sit Part C next.", "Vitamin D levels fell."],
)
def test_letters_that_are_not_numerals_are_left_alone(written: str) -> None:
    spoken = said(written)  # spelled by the acronym rule, perhaps, but never a number
    assert not any(n in spoken for n in ("Forty", "Hundred", "Fifty", "Five", "the "))
