"""Cardinal numbers in running news text: counts, negatives, ranges, dimensions."""

from __future__ import annotations

import pytest
from speech_tools import rewrites, said

CASES = [
    ("Police arrested 23 people after the match.", "Police arrested twenty-three people after the match."),
    (
        "The hospital cancelled 1,436 operations.",
        "The hospital cancelled one thousand four hundred and thirty-six operations.",
    ),
    ("Some 40-50 homes were evacuated.", "Some forty to fifty homes were evacuated."),
    ("Between 3-4 inches of rain fell.", "Between three and four inches of rain fell."),
    ("The vote was a 50-50 split.", "The vote was a fifty-fifty split."),
    ("The cell measured 2 x 3 metres.", "The cell measured two by three metres."),
    ("Overnight it fell to -7 in Braemar.", "Overnight it fell to minus seven in Braemar."),
    ("Just 1 in 10 claims succeed.", "Just one in ten claims succeed."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_cardinals_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_american_english_drops_the_and() -> None:
    assert said("The fund has 350 members.", "en-US") == "The fund has three hundred fifty members."


def test_a_sixteen_digit_run_is_read_digit_by_digit() -> None:
    assert said("Ref 1234567890123456 was quoted.") == (
        "Ref one two three four five six seven eight nine zero one two three four five six was quoted."
    )


def test_explain_names_the_range_rule() -> None:
    assert rewrites("Some 40-50 homes were evacuated.") == [
        ("number", "40", "forty"),
        ("number", "50", "fifty"),
        ("range", "forty-fifty", "forty to fifty"),
    ]
