"""Money: symbols and codes, magnitudes, cents and pence, ranges, and attributive amounts."""

from __future__ import annotations

import pytest
from speech_tools import rewrites, said

CASES = [
    (
        "Ministers found £3.7bn for councils.",
        "Ministers found three point seven billion pounds for councils.",
    ),
    (
        "A ticket costs $12.75 in New York.",
        "A ticket costs twelve dollars and seventy-five cents in New York.",
    ),
    ("A stamp costs £1.35.", "A stamp costs one pound thirty-five."),
    ("The euro coin is worth €0.01.", "The euro coin is worth one cent."),
    ("Japan pledged ¥30bn in aid.", "Japan pledged thirty billion yen in aid."),
    ("The fund took USD 5m from investors.", "The fund took five million US dollars from investors."),
    ("Brussels set aside EUR 2bn.", "Brussels set aside two billion euros."),
    ("Losses were £2.50bn.", "Losses were two point five billion pounds."),
    ("It is a £2.5bn fund.", "It is a two point five billion pound fund."),
    ("An £800m contract was signed.", "An eight hundred million pound contract was signed."),
    ("The £40m raised went to schools.", "The forty million pounds raised went to schools."),
    ("Fares rose by 20p.", "Fares rose by twenty pence."),
    ("Bids were between £2-3m.", "Bids were between two and three million pounds."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_money_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_american_cents_and_attributive_dollars() -> None:
    assert said("It cost $4.99, part of a $1bn plan.", "en-US") == (
        "It cost four dollars and ninety-nine cents, part of a one billion dollar plan."
    )


def test_explain_shows_the_amount_replaced() -> None:
    assert rewrites("It is a £2.5bn fund.") == [
        ("money (before a noun: singular)", "£2.5bn", "two point five billion pound")
    ]
