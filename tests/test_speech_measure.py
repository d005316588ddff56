"""Per cent and units: glued and spaced units, a unit per unit, heights, metres or millions."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("Full-fibre lines offer 900Mbps.", "Full-fibre lines offer nine hundred megabits per second."),
    ("The battery stores 13.5kWh.", "The battery stores thirteen point five kilowatt hours."),
    ("The solar farm will produce 49.9MW.", "The solar farm will produce forty-nine point nine megawatts."),
    ("Lorries are limited to 80km/h.", "Lorries are limited to eighty kilometres per hour."),
    ("The loading limit is 5kg/m².", "The loading limit is five kilograms per square metre."),
    ("The flat has 650 sq ft of space.", "The flat has six hundred and fifty square feet of space."),
    ("A 650 sq ft flat costs more.", "A six hundred and fifty square foot flat costs more."),
    ("The forest covers 12ha.", "The forest covers twelve hectares."),
    ("The thermometer read 104F.", "The thermometer read one hundred and four degrees Fahrenheit."),
    ("It was a 20km drive.", "It was a twenty kilometre drive."),
    ("The goalkeeper is 6ft 5in.", "The goalkeeper is six feet five inches."),
    ("Rates rose by 50bps.", "Rates rose by fifty basis points."),
    ("Support fell to 31pc.", "Support fell to thirty-one per cent."),
    ("The tide reached 7m on Sunday.", "The tide reached seven metres on Sunday."),
    ("The app has 7m users.", "The app has seven million users."),
    (
        "The sea rose 2m, forcing 2m people to move.",
        "The sea rose two metres, forcing two million people to move.",
    ),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_measures_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_american_spelling_and_percent() -> None:
    assert said("A 5km run, and 40% of 2l bottles.", "en-US") == (
        "A five kilometer run, and forty percent of two liters bottles."
    )
