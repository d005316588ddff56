"""Clock times: am and pm, 24-hour times said as such (never an invented am or pm), dotted times."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("The last train is at 23:40.", "The last train is at twenty-three forty."),
    ("The ban lifts at 06:00.", "The ban lifts at oh six hundred."),
    ("The site went down at 01:00.", "The site went down at oh one hundred."),
    ("Fireworks start at 00:00.", "Fireworks start at midnight."),
    ("The window closes at 00:30.", "The window closes at zero zero thirty."),
    ("The debate airs from 8pm-9.30pm.", "The debate airs from eight P.M to nine thirty P.M."),
    ("Polling stations open at 7 a.m.", "Polling stations open at seven A.M."),
    ("The rally is at 2:15.", "The rally is at two fifteen."),
    ("He was seen at 11.20 on Friday.", "He was seen at eleven twenty on Friday."),
    ("The index fell 11.20 points.", "The index fell eleven point two zero points."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_times_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


@pytest.mark.parametrize("written", ["It ended at 01:00.", "It ended at 13:00.", "It ended at 18:30."])
def test_a_24_hour_time_gains_no_am_or_pm(written: str) -> None:
    spoken = said(written)
    assert "A.M" not in spoken and "P.M" not in spoken
