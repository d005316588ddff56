"""Per cent and units: "3.5%", "40Mbps", "70km/h", "30kg/m²", "2,000 sq ft", "5ft 10in", "5m people".

Rules, in order, and the context each looks at:
1. per cent: "%", "pc", "per cent", "percent" after a number ("percent" in en-US);
2. a height in feet and inches ("5ft 10in");
3. a unit from the table below glued to the number ("5GB", "20C") or after a space ("2,000 sq ft"); a
   single-letter unit only when glued ("5 g" is too likely something else); a unit over a unit
   ("30kg/m²", "5g/km") -> "per"; after "a" or "an" and before a noun the unit is singular ("a 10km
   run" -> "a ten kilometre run");
4. a magnitude alone ("5m people" -> "five million people", "5bn"), except "m" before a word of length
   or sport ("a 100m sprint", "the 400m hurdles"), or shortly after a word of length (a river, the
   sea, a wall, snow, depth) when no plural noun follows ("the river rose 2m overnight"), or a race
   distance after "the" at the end of a clause or before a word of sport ("gold in the 400m."): metres;
5. "bps" after a number -> "basis points".
"""

from __future__ import annotations

import re

from .cardinal import NUM, say_count, say_number
from .context import is_attributive, word_before
from .money import MAGNITUDE, MINUS
from .state import State

_PERCENT = re.compile(rf"(?<![\w.]){MINUS}(?P<n>{NUM}) ?(?:%|pc\b|per ?cent\b|percent\b)")


def percent_rule(text: str, state: State) -> str:
    word = "percent" if state.us else "per cent"

    def repl(m: re.Match[str]) -> str:
        return state.num(("minus " if m.group("neg") else "") + say_number(m.group("n"), state) + " " + word)

    return state.sub(_PERCENT, repl, text, "per cent")


_UNITS: dict[str, tuple[str, str]] = {
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "C": ("degree Celsius", "degrees Celsius"), "F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "km²": ("square kilometre", "square kilometres"), "km2": ("square kilometre", "square kilometres"),
    "m²": ("square metre", "square metres"), "m2": ("square metre", "square metres"),
    "sq ft": ("square foot", "square feet"), "sq m": ("square metre", "square metres"),
    "sq km": ("square kilometre", "square kilometres"), "sq mi": ("square mile", "square miles"),
    "km/h": ("kilometre per hour", "kilometres per hour"), "mph": ("mile per hour", "miles per hour"),
    "kph": ("kilometre per hour", "kilometres per hour"),
    "kmh": ("kilometre per hour", "kilometres per hour"),
    "km": ("kilometre", "kilometres"), "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"),
    "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"), "g": ("gram", "grams"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"), "ml": ("millilitre", "millilitres"), "ha": ("hectare", "hectares"),
    "kW": ("kilowatt", "kilowatts"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "MW": ("megawatt", "megawatts"), "MWh": ("megawatt hour", "megawatt hours"),
    "GW": ("gigawatt", "gigawatts"), "GWh": ("gigawatt hour", "gigawatt hours"),
    "TWh": ("terawatt hour", "terawatt hours"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "mins": ("minute", "minutes"), "min": ("minute", "minutes"), "hrs": ("hour", "hours"),
    "hr": ("hour", "hours"), "secs": ("second", "seconds"), "yrs": ("year", "years"),
    "x": ("times", "times"), "l": ("litre", "litres"), "m³": ("cubic metre", "cubic metres"),
    "m3": ("cubic metre", "cubic metres"),
    "bps": ("basis point", "basis points"), "kV": ("kilovolt", "kilovolts"), "W": ("watt", "watts"),
}  # fmt: skip
# Single letters only when glued to the number ("20C", "5g"); "5 g" is too likely something else.
_UNIT_GLUED = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_SPACED = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if len(u) > 1)
_UNIT = re.compile(
    rf"(?<![\w.]){MINUS}(?P<n>{NUM})"
    rf"(?:(?P<u1>{_UNIT_GLUED})|(?: ?°)? (?P<u2>{_UNIT_SPACED}))(?:/(?P<per>{_UNIT_GLUED}))?(?![\w°²³])"
)
# "5m people" in news is five million; metres are written out or come before these words.
_METRE_WORDS = re.compile(
    r" (?:tall|high|long|deep|wide|race|sprint|hurdles|freestyle|relay|away|above|below|final|heat|dash)\b"
)
# "rose by 2m overnight" in a story about a river is metres: these words in the sentence say so, when
# no plural noun follows ("2m people" is millions whatever the story).
_LENGTH_STORY = re.compile(
    r"\b(?:river|rivers|sea|seas|tide|tides|flood|floods|flooding|floodwater|water level|waves?|snow|"
    r"snowfall|height|depth|wall|fence|cliff|swell|metres?|meters?)\b",
    re.IGNORECASE,
)
# A race distance after "the" and before the end of a clause or a word of sport is metres.
_RACES = frozenset("60 100 110 200 400 800 1500 3000 5000 10000".split())
_CLAUSE_END = re.compile(r"\s*(?:[.,;:!?)]|$)")
_SPORT_NEXT = re.compile(r" (?:world|gold|silver|bronze|title|record|medal|event|champion|crown|heats?)\b")
_PLURAL_NEXT = re.compile(r" (?:[a-z]+s|people|of)\b")
_MAG_ALONE = re.compile(rf"(?<![\w.])(?P<n>{NUM})(?P<mag>bn|mn|tn|m|k)\b(?!['’]\w)")


_HEIGHT = re.compile(r"(?<![\w.])(\d+) ?(?:ft|foot|feet),? ?(\d+) ?(?:in|ins|inches)\b")


def _metres(m: re.Match[str]) -> bool:
    """Is the "m" of "100m" metres ("a 100m sprint", "the river rose 2m"), not millions ("5m people")?"""
    text = m.string
    if _METRE_WORDS.match(text, m.end()):
        return True
    race = m.group("n").replace(",", "") in _RACES and word_before(text, m.start()) in ("the", "a")
    if race and (_CLAUSE_END.match(text, m.end()) or _SPORT_NEXT.match(text, m.end())):
        return True  # "won gold in the 400m.", "the 1500m world record"
    if text[max(0, m.start() - 1) : m.start()] in ("£", "$", "€"):
        return False
    # the length word must come shortly before: "water firms were fined 2m" is money, "the river rose
    # by 2m" a length
    near = _LENGTH_STORY.search(text, max(0, m.start() - 40), m.start())
    return not _PLURAL_NEXT.match(text, m.end()) and bool(near)


def units_rule(text: str, state: State) -> str:
    def repl(m: re.Match[str]) -> str:
        unit = m.group("u1") or m.group("u2")
        one, many = _UNITS[unit]
        number = m.group("n")
        # "a 10km run": a unit before a noun is singular; a rate ("mph") keeps its form
        attributive = " per " not in one and is_attributive(m.string, m.start(), m.end())
        name = one if number == "1" or attributive else many
        if attributive:
            state.why = "before a noun: singular"
        if m.group("per"):
            name += " per " + _UNITS[m.group("per")][0]
        if state.us:
            name = name.replace("metre", "meter").replace("litre", "liter")
        words = ("minus " if m.group("neg") else "") + say_number(number, state)
        return state.num(f"{words} {name}")

    def magnitude(m: re.Match[str]) -> str:
        if m.group("mag") == "m" and _metres(m):
            state.why = "metres, from the words around it"
            one, many = ("meter", "meters") if state.us else ("metre", "metres")
            single = m.group("n") == "1" or is_attributive(m.string, m.start(), m.end())
            return state.num(say_number(m.group("n"), state) + " " + (one if single else many))
        return state.num(say_number(m.group("n"), state) + " " + MAGNITUDE[m.group("mag")])

    def height(m: re.Match[str]) -> str:
        feet, inches = m.group(1), m.group(2)
        spoken = f"{say_count(feet, state)} {'foot' if feet == '1' else 'feet'}"
        return state.num(f"{spoken} {say_count(inches, state)} {'inch' if inches == '1' else 'inches'}")

    text = state.sub(_HEIGHT, height, text, "height")
    text = state.sub(_UNIT, repl, text, "unit")
    return state.sub(_MAG_ALONE, magnitude, text, "magnitude")
