"""Money, per cent and units of measure."""

from __future__ import annotations

import re

from .numbers import NUM, say_cardinal, say_count, say_number
from .state import State

# --------------------------------------------------------------------------- 7. money

_CURRENCY = {
    "£": ("pound", "pounds", "penny", "pence"),
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("US dollar", "US dollars", "cent", "cents"),
    "A$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "AU$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "C$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CA$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "NZ$": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "HK$": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "sen", "sen"),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "₽": ("rouble", "roubles", "kopek", "kopeks"),
    "₴": ("hryvnia", "hryvnias", "kopiyka", "kopiyky"),
    "₩": ("won", "won", "jeon", "jeon"),
    "₦": ("naira", "naira", "kobo", "kobo"),
    "₺": ("lira", "lira", "kurus", "kurus"),
    "₪": ("shekel", "shekels", "agora", "agorot"),
    "CHF": ("Swiss franc", "Swiss francs", "centime", "centimes"),
}
_MAGNITUDE = {
    "k": "thousand", "thousand": "thousand", "m": "million", "mn": "million", "mln": "million",
    "million": "million", "bn": "billion", "b": "billion", "billion": "billion", "tn": "trillion",
    "trn": "trillion", "trillion": "trillion",
}  # fmt: skip
_MAG = r"(?:(?:bn|mn|mln|tn|trn|m|b|k)\b|\s?(?:thousand|million|billion|trillion)\b)"
_SYM = "|".join(re.escape(s) for s in sorted(_CURRENCY, key=len, reverse=True))
# A minus sign only counts at the start of a word: "5.25%-5.5%" is a range, not a negative.
_MINUS = r"(?P<neg>(?<![^\s(\[])[-−])?"
_MONEY = re.compile(
    rf"(?<![\w.]){_MINUS}(?P<sym>{_SYM}) ?(?P<n1>{NUM})(?P<m1>{_MAG})?"
    rf"(?:(?P<to>-|–| to )(?:{_SYM})? ?(?P<n2>{NUM})(?P<m2>{_MAG})?)?(?![\d])"
)
_PENCE = re.compile(rf"(?<![\w.£$€])(?P<n>{NUM}) ?p(?:ence)?\b(?!\.\w)")


def _amount(
    number: str, mag: str | None, unit: tuple[str, str, str, str], state: State, with_unit: bool = True
) -> str:
    one, many, sub_one, sub_many = unit
    if mag:
        words = say_number(number, state) + " " + _MAGNITUDE[mag.strip()]
        return words + (" " + many if with_unit else "")
    whole, _, cents = number.replace(",", "").partition(".")
    if len(cents) == 2:
        c = int(cents)
        if not whole.strip("0"):
            return say_cardinal(c, state) + " " + (sub_one if c == 1 else sub_many)
        main = say_count(whole, state) + " " + (one if whole == "1" else many)
        return main + (" " + say_cardinal(c, state) if c else "")
    words = say_number(number, state)
    if not with_unit:
        return words
    return words + " " + (one if number == "1" else many)


def money_rule(text: str, state: State) -> str:
    def money(m: re.Match[str]) -> str:
        unit = _CURRENCY[m.group("sym")]
        neg = "minus " if m.group("neg") else ""
        if m.group("n2"):
            # "£5-10m": the unit and magnitude are said once, at the end.
            first = _amount(m.group("n1"), m.group("m1"), unit, state, with_unit=False)
            second = _amount(m.group("n2"), m.group("m2"), unit, state)
            if not m.group("m2") and "." not in m.group("n2") and m.group("n2") == "1":
                second = say_number(m.group("n2"), state) + " " + unit[1]
            return state.num(f"{neg}{first} to {second}")
        return state.num(neg + _amount(m.group("n1"), m.group("m1"), unit, state))

    def pence(m: re.Match[str]) -> str:
        n = m.group("n")
        return state.num(say_number(n, state) + (" penny" if n == "1" else " pence"))

    text = _MONEY.sub(money, text)
    return _PENCE.sub(pence, text)



# --------------------------------------------------------------------------- 8. per cent, units

_PERCENT = re.compile(rf"(?<![\w.]){_MINUS}(?P<n>{NUM}) ?(?:%|pc\b|per ?cent\b|percent\b)")


def percent_rule(text: str, state: State) -> str:
    word = "percent" if state.us else "per cent"

    def repl(m: re.Match[str]) -> str:
        return state.num(("minus " if m.group("neg") else "") + say_number(m.group("n"), state) + " " + word)

    return _PERCENT.sub(repl, text)


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
    "x": ("times", "times"),
}  # fmt: skip
# Single letters only when glued to the number ("20C", "5g"); "5 g" is too likely something else.
_UNIT_GLUED = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_SPACED = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if len(u) > 1)
_UNIT = re.compile(
    rf"(?<![\w.]){_MINUS}(?P<n>{NUM})"
    rf"(?:(?P<u1>{_UNIT_GLUED})|(?: ?°)? (?P<u2>{_UNIT_SPACED}))(?![\w°])"
)
# "5m people" in news is five million; metres are written out or come before these words.
_METRE_WORDS = re.compile(
    r" (?:tall|high|long|deep|wide|race|sprint|hurdles|freestyle|relay|away|above|below|final|heat|dash)\b"
)
_MAG_ALONE = re.compile(rf"(?<![\w.])(?P<n>{NUM})(?P<mag>bn|mn|tn|m|k)\b(?!['’]\w)")


_HEIGHT = re.compile(r"(?<![\w.])(\d+) ?(?:ft|foot|feet),? ?(\d+) ?(?:in|ins|inches)\b")


def units_rule(text: str, state: State) -> str:
    def repl(m: re.Match[str]) -> str:
        unit = m.group("u1") or m.group("u2")
        one, many = _UNITS[unit]
        if state.us:
            one, many = (
                one.replace("metre", "meter").replace("litre", "liter"),
                many.replace("metre", "meter").replace("litre", "liter"),
            )
        number = m.group("n")
        words = ("minus " if m.group("neg") else "") + say_number(number, state)
        return state.num(f"{words} {one if number == '1' else many}")

    def magnitude(m: re.Match[str]) -> str:
        if m.group("mag") == "m" and _METRE_WORDS.match(text, m.end()):
            one, many = ("meter", "meters") if state.us else ("metre", "metres")
            return state.num(say_number(m.group("n"), state) + " " + (one if m.group("n") == "1" else many))
        return state.num(say_number(m.group("n"), state) + " " + _MAGNITUDE[m.group("mag")])

    def height(m: re.Match[str]) -> str:
        feet, inches = m.group(1), m.group(2)
        spoken = f"{say_count(feet, state)} {'foot' if feet == '1' else 'feet'}"
        return state.num(f"{spoken} {say_count(inches, state)} {'inch' if inches == '1' else 'inches'}")

    text = _HEIGHT.sub(height, text)
    text = _UNIT.sub(repl, text)
    return _MAG_ALONE.sub(magnitude, text)
