"""Document references: pages, paragraphs, sections and schedules of reports and Acts."""

from __future__ import annotations

import pytest
from speech_tools import rewrites, said

CASES = [
    ("The judge cited para. 47 of the ruling.", "The judge cited paragraph forty-seven of the ruling."),
    ("Read paras 10-12 first.", "Read paragraphs ten to twelve first."),
    (
        "The figures are on pp. 112-115.",
        "The figures are on pages one hundred and twelve to one hundred and fifteen.",
    ),
    ("The quote is on p. 3 of the memo.", "The quote is on page three of the memo."),
    ("Evictions under s. 8 are rising.", "Evictions under section eight are rising."),
    ("The offences are in ss. 1-3 of the Act.", "The offences are in sections one to three of the Act."),
    ("The exemptions are in Sch. 4.", "The exemptions are in Schedule four."),
    ("Under cl. 12 the deal can end.", "Under clause twelve the deal can end."),
    ("As fig. 2 shows, costs rose.", "As figure two shows, costs rose."),
    ("It is in vol. 3 of the history.", "It is in volume three of the history."),
    ("See ch. 4 for the method.", "See chapter four for the method."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_references_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_a_plural_or_a_letter_before_a_number_is_not_a_reference() -> None:
    # "1990s. 21" is a decade then a number; "Plan B 4" a name
    assert (
        said("It was the 1990s. 21 people died.") == "It was the nineteen nineties. twenty-one people died."
    )


def test_explain_names_the_reference_rule() -> None:
    assert rewrites("See p. 7.") == [("document reference", "p.", "page"), ("number", "7", "seven")]
