"""Roads and places: "the A303" -> "the A-three-oh-three", "M4 J12" -> "M-four junction twelve", "Baker St".

Rules, in order, and the context each looks at:
1. a road number, a capital A, B or M glued to one to four digits ("A1", "M25", "A303", "B1234",
   "A1(M)"): the letter joined to the number by hyphens, so the voice says the letter's name rather
   than the article; one or two digits as a number ("M twenty-five"), three digit by digit with "oh"
   ("A-three-oh-three"), four in pairs ("A-thirteen-oh-seven"), as British drivers say them;
   An Airbus ("Airbus A320", "an A380 aircraft") is said as planes are: "A-three-twenty";
2. a junction "J12" in a sentence that names a motorway ("M4", "motorway") -> "junction twelve";
3. "St", "Dr" before a capitalised name are Saint and Doctor; after a name, Street and Drive;
4. the street words in the table below (Rd, Ave, Sq, Pl, Cres, Ln, Gdns, Tce, Blvd, Pk) only after a
   capitalised word ("Leicester Sq." -> "Leicester Square"); "Mt" before a name is Mount (a title in
   abbreviation.py).
"""

from __future__ import annotations

import re

from .cardinal import DIGIT_WORDS, say_count
from .context import word_before
from .state import ABBR_DOT, State

_ROAD = re.compile(r"(?<![\w'-])(?P<l>[ABM])(?P<n>[1-9]\d{0,3})(?P<m>\(M\))?(?![\w-]|\.\d)")
_AIRCRAFT = re.compile(r" (?:aircraft|jets?|planes?|airliners?|fleet)\b")
_JUNCTION = re.compile(r"(?<![\w-])J(?P<n>\d{1,2})\b(?!-)")
_MOTORWAY = re.compile(r"(?<![\w'-])M[1-9]\d{0,2}\b|\bmotorway\b")
# "St"/"Dr" before a name are Saint/Doctor; after a name, Street/Drive. Likewise Rd, Ave.
_PLACE_RE = re.compile(r"\b(St|Dr|Rd|Ave)\b" + ABBR_DOT)
_PLACE = {"St": ("Saint", "Street"), "Dr": ("Doctor", "Drive"), "Rd": ("Road", "Road"),
          "Ave": ("Avenue", "Avenue")}  # fmt: skip
_STREETS = {
    "Sq": "Square", "Pl": "Place", "Cres": "Crescent", "Ln": "Lane", "Gdns": "Gardens", "Tce": "Terrace",
    "Terr": "Terrace", "Blvd": "Boulevard", "Pk": "Park",
}  # fmt: skip
_STREET_RE = re.compile(r"\b(?P<name>[A-Z][a-z']+) (?P<w>Sq|Pl|Cres|Ln|Gdns|Tce|Terr|Blvd|Pk)\b" + ABBR_DOT)
_NEXT_CAP = re.compile(r"\s*[A-Z\ue000]")
_PREV_CAP = re.compile(r"[A-Z][\w']*\s*$")


def _say_aircraft(number: str, state: State) -> str:
    """An Airbus: "320" -> "three-twenty", "380" -> "three-eighty"."""
    if len(number) != 3:
        return say_count(number, state)
    tail = number[1:]
    said = say_count(tail, state) if tail[0] != "0" else "oh-" + DIGIT_WORDS[int(tail[1])]
    return DIGIT_WORDS[int(number[0])] + "-" + said


def say_road(number: str, state: State) -> str:
    """'303' -> 'three-oh-three', '25' -> 'twenty-five', '1307' -> 'thirteen-oh-seven'."""
    if len(number) <= 2:
        return say_count(number, state)
    if len(number) == 3:
        return "-".join("oh" if d == "0" else DIGIT_WORDS[int(d)] for d in number)
    first, second = number[:2], number[2:]
    tail = "oh-" + DIGIT_WORDS[int(second[1])] if second[0] == "0" else say_count(second, state)
    return say_count(first, state) + "-" + tail


def _place(m: re.Match[str]) -> str:
    before, after = _PLACE[m.group(1)]
    text = m.string
    follows_name = bool(_NEXT_CAP.match(text, m.end()))
    after_name = bool(_PREV_CAP.search(text, max(0, m.start() - 40), m.start())) and m.start() > 0
    if follows_name and not (after_name and m.group(0).endswith(".")):
        return before
    if after_name or m.start() > 0:
        return after
    return before


def roads_rule(text: str, state: State) -> str:
    def road(m: re.Match[str]) -> str:
        if word_before(m.string, m.start()) == "airbus" or _AIRCRAFT.match(m.string, m.end()):
            return state.keep(m.group("l") + "-" + _say_aircraft(m.group("n"), state))
        spoken = m.group("l") + "-" + say_road(m.group("n"), state) + ("-M" if m.group("m") else "")
        return state.keep(spoken)

    motorway = _MOTORWAY.search(text)
    text = state.sub(_ROAD, road, text, "road number")
    if motorway:
        junction = lambda m: "junction " + state.num(say_count(m.group("n"), state))  # noqa: E731
        text = state.sub(_JUNCTION, junction, text, "junction")
    text = state.sub(_PLACE_RE, _place, text, "street or saint")
    street = lambda m: m.group("name") + " " + _STREETS[m.group("w")]  # noqa: E731
    return state.sub(_STREET_RE, street, text, "street word")
