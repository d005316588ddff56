"""Ratios, odds, scores and rates per period."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("Women outnumber men 3:2 on the course.", "Women outnumber men three to two on the course."),
    ("The favourite is at odds of 7:2.", "The favourite is at odds of seven to two."),
    ("The board backed it by a 70:30 majority.", "The board backed it by a seventy to thirty majority."),
    ("Retail sales rose 0.4% m/m.", "Retail sales rose zero point four per cent month on month."),
    (
        "GDP grew 0.6% q/q and 2.1% y/y.",
        "G.D.P grew zero point six per cent quarter on quarter and two point one per cent year on year.",
    ),
    ("The loan costs 6% p.a.", "The loan costs six per cent a year."),
    ("Wales won 3-1 in Cardiff.", "Wales won three-one in Cardiff."),
    ("Scotland drew 0-0 with Norway.", "Scotland drew nil-nil with Norway."),
    ("The committee voted 6-3 to approve.", "The committee voted six to three to approve."),
    ("The game starts at 3:30.", "The game starts at three thirty."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_ratios_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_an_american_nil_is_nothing() -> None:
    assert said("The Jets lost 0-3.", "en-US") == "The Jets lost nothing-three."
