"""Dates: day and month in either order, lower-case months, numeric and ISO dates, decades, FY."""

from __future__ import annotations

import pytest
from speech_tools import rewrites, said

CASES = [
    ("The inquiry resumes on 9 September.", "The inquiry resumes on the ninth of September."),
    ("the result came on july 4 2024", "the result came on July the fourth, twenty twenty-four"),
    ("Schools return on 3rd september.", "Schools return on the third of September."),
    ("The ban starts on the 1st of June.", "The ban starts on the first of June."),
    ("Figures for FY2024 were restated.", "Figures for financial year twenty twenty-four were restated."),
    ("The FY24 results beat forecasts.", "The financial year twenty-four results beat forecasts."),
    ("Rave culture peaked in the '90s.", "Rave culture peaked in the nineties."),
    ("Fees for 2025/26 rise again.", "Fees for twenty twenty-five twenty-six rise again."),
    ("The trial opened on 14/10/2024.", "The trial opened on the fourteenth of October twenty twenty-four."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_dates_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_lower_case_may_and_march_are_verbs_not_months() -> None:
    assert said("Prices may 5 times over.") == "Prices may five times over."
    assert said("Crowds march 3 miles.") == "Crowds march three miles."


def test_american_dates_put_the_month_first() -> None:
    assert (
        said("The vote is on 5 November 2024.", "en-US")
        == "The vote is on November fifth, twenty twenty-four."
    )
    assert said("Results for FY2025.", "en-US") == "Results for fiscal year twenty twenty-five."


def test_explain_names_the_date_rule() -> None:
    assert rewrites("It opens on june 5.") == [("month and day", "june 5", "June the fifth")]
