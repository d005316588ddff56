"""Abbreviations: "e.g." -> "for example", "Mr" -> "Mister", "Prof Smith" -> "Professor Smith", "No. 5".

Rules, in order, and the context each looks at:
1. "No 10" / "No. 10" (Downing Street) -> "Number Ten";
2. the fixed abbreviations in the table below, which mean one thing wherever they stand ("etc", "vs",
   "Ltd", "Mr"); a dot that also ends the sentence is left to end it;
3. titles ("Prof", "Gen", "Cllr" ...) only before a capitalised word, so "Gen" or "Rev" elsewhere is
   left alone;
4. "No." or "No" before a number -> "Number".
Street words (St, Rd, Ave, Sq) are in road.py, document references (p., para., s.) in reference.py.
"""

from __future__ import annotations

import re

from .state import ABBR_DOT, State

_SIMPLE_ABBR = {
    r"\be\.\s?g\.?": "for example",
    r"\beg\.": "for example",
    r"\bi\.\s?e\.?": "that is",
    r"\betc\b" + ABBR_DOT: "et cetera",
    r"\bvs\b" + ABBR_DOT: "versus",
    r"\bv\.?(?= [A-Z])": "versus",
    r"\bapprox\b" + ABBR_DOT: "approximately",
    r"\bcf\.": "compare",
    r"\b(?:c|ca)\.\s?(?=\d)": "circa",
    r"\bRt\.? Hon\b" + ABBR_DOT: "Right Honourable",
    r"\bLtd\b" + ABBR_DOT: "Limited",
    r"\b(?:plc|PLC)\b": "P.L.C",
    r"\bPhD\b": "P.H.D",
    r"\bPwC\b": "P.W.C",
    r"\bInc\b" + ABBR_DOT: "Incorporated",
    r"\bCorp\b" + ABBR_DOT: "Corporation",
    r"\bBros\b" + ABBR_DOT: "Brothers",
    r"\bDept\b" + ABBR_DOT: "Department",
    r"\bGovt\b" + ABBR_DOT: "Government",
    r"\b(?:Jr|Jnr)\b" + ABBR_DOT: "Junior",
    r"\b(?:Snr)\b" + ABBR_DOT: "Senior",
    r"\bMr\b" + ABBR_DOT: "Mister",
    r"\bMrs\b" + ABBR_DOT: "Missus",
    r"\bMs\b" + ABBR_DOT: "Miz",
    r"\bMx\b" + ABBR_DOT: "Mix",
}
# One alternation, not one pass per abbreviation: long texts stay fast.
_SIMPLE_ABBR_RE = re.compile(
    r"(?<![A-Za-z])(?=[A-Za-z])(?:" + "|".join(f"(?P<a{i}>{k})" for i, k in enumerate(_SIMPLE_ABBR)) + ")"
)
_SIMPLE_ABBR_SAID = {f"a{i}": v for i, v in enumerate(_SIMPLE_ABBR.values())}
# Titles only before a name, so "Gen" or "Rev" elsewhere is left alone.
_TITLES = {
    "Prof": "Professor", "Gen": "General", "Lt": "Lieutenant", "Col": "Colonel", "Capt": "Captain",
    "Sgt": "Sergeant", "Cpl": "Corporal", "Maj": "Major", "Adm": "Admiral", "Brig": "Brigadier",
    "Gov": "Governor", "Sen": "Senator", "Rep": "Representative", "Rev": "Reverend", "Fr": "Father",
    "Det": "Detective", "Supt": "Superintendent", "Insp": "Inspector", "Cllr": "Councillor",
    "Hon": "Honourable", "Cmdr": "Commander", "Pres": "President", "Mt": "Mount", "Sr": "Sister",
}  # fmt: skip
_TITLE_RE = re.compile(r"(?<![A-Za-z])(?=[A-Z])\b(" + "|".join(_TITLES) + r")\b\.?(?= [A-Z])")
_NUMBER_SIGN = re.compile(r"\b(?:No|no)\.\s?(?=\d)|\bNo (?=\d)")
_TEN = re.compile(r"\b(?:No\.?|no\.) ?10\b(?![.,]\d)")


def abbreviations_rule(text: str, state: State) -> str:
    text = state.sub(_TEN, lambda m: state.keep("Number Ten"), text, "Number 10")
    simple = lambda m: state.keep(_SIMPLE_ABBR_SAID[m.lastgroup or ""])  # noqa: E731
    text = state.sub(_SIMPLE_ABBR_RE, simple, text, "abbreviation")
    text = state.sub(_TITLE_RE, lambda m: _TITLES[m.group(1)], text, "title before a name")
    number = lambda m: "Number " if m.group(0)[0] == "N" else "number "  # noqa: E731
    return state.sub(_NUMBER_SIGN, number, text, "number sign")
