"""Roads and places: road numbers, junctions, street words, saints and doctors."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    (
        "Lorries backed up on the A303 at Stonehenge.",
        "Lorries backed up on the A-three-oh-three at Stonehenge.",
    ),
    ("The M6 was shut between J10 and J11.", "The M-six was shut between junction ten and junction eleven."),
    ("The crash closed the A1.", "The crash closed the A-one."),
    ("Roadworks on the A406 continue.", "Roadworks on the A-four-oh-six continue."),
    ("The A1(M) is busy.", "The A-one-M is busy."),
    ("The B4009 is flooded.", "The B-forty-oh-nine is flooded."),
    ("A fire broke out on Oxford St.", "A fire broke out on Oxford Street."),
    ("The vigil was in Trafalgar Sq.", "The vigil was in Trafalgar Square."),
    ("Police closed Station Rd and Park Ave.", "Police closed Station Road and Park Avenue."),
    ("Residents of Elm Cres complained.", "Residents of Elm Crescent complained."),
    ("St Ives was packed.", "Saint Ives was packed."),
    ("Climbers reached Mt Kilimanjaro.", "Climbers reached Mount Kilimanjaro."),
    ("The airline ordered 20 A350 jets.", "The airline ordered twenty A-three-fifty jets."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_roads_and_places_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken


def test_a_j_number_without_a_motorway_is_left_alone() -> None:
    assert said("The rapper J5 released an album.") == "The rapper J five released an album."
