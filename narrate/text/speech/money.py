"""Money: "£1.4bn" -> "one point four billion pounds", "$20.50", "50p", "USD 5m", "a £2.5bn fund".

Rules, in order, and the context each looks at:
1. a currency symbol or ISO code before an amount, with an optional magnitude ("£5m", "€3.2bn", "¥30bn",
   "USD 5m", "EUR 2bn") and an optional range ("£5-10m": the unit and magnitude said once, at the end);
   a magnitude's decimal drops trailing zeros ("£2.50bn" is "two point five billion pounds");
2. pounds and pence are said the British way ("£4.99" -> "four pounds ninety-nine"); every other
   currency names its cents ("$20.50" -> "twenty dollars and fifty cents"); an amount under one unit is
   just its cents ("$0.99" -> "ninety-nine cents");
3. after "a" or "an" and before a noun, an amount is attributive and its unit singular ("a £2.5bn
   fund" -> "a two point five billion pound fund"), as a native speaker says it;
4. pence: "50p", "1p" -> "fifty pence", "one penny".
"""

from __future__ import annotations

import re

from .cardinal import NUM, say_cardinal, say_count, say_number
from .context import is_attributive, word_before
from .state import State

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
# ISO codes written before an amount ("USD 5m"); the symbols above cover the rest.
_CODES = {
    "GBP": _CURRENCY["£"], "USD": ("US dollar", "US dollars", "cent", "cents"), "EUR": _CURRENCY["€"],
    "JPY": _CURRENCY["¥"], "CNY": ("yuan", "yuan", "fen", "fen"), "RMB": ("yuan", "yuan", "fen", "fen"),
    "INR": _CURRENCY["₹"], "AUD": _CURRENCY["A$"], "CAD": _CURRENCY["C$"], "NZD": _CURRENCY["NZ$"],
    "HKD": _CURRENCY["HK$"], "RUB": _CURRENCY["₽"], "UAH": _CURRENCY["₴"],
    "SEK": ("Swedish krona", "Swedish kronor", "öre", "öre"),
    "NOK": ("Norwegian krone", "Norwegian kroner", "øre", "øre"),
    "DKK": ("Danish krone", "Danish kroner", "øre", "øre"), "ZAR": ("rand", "rand", "cent", "cents"),
}  # fmt: skip
_UNIT_OF = {**_CURRENCY, **_CODES}
MAGNITUDE = {
    "k": "thousand", "thousand": "thousand", "m": "million", "mn": "million", "mln": "million",
    "million": "million", "bn": "billion", "b": "billion", "billion": "billion", "tn": "trillion",
    "trn": "trillion", "trillion": "trillion",
}  # fmt: skip
_MAG = r"(?:(?:bn|mn|mln|tn|trn|m|b|k)\b|\s?(?:thousand|million|billion|trillion)\b)"
_MAG = r"(?:(?:bn|mn|mln|tn|trn|m|b|k)\b|\s?(?:thousand|million|billion|trillion)\b)"
_SYM = "|".join(re.escape(s) for s in sorted(_CURRENCY, key=len, reverse=True))
_CODE = "|".join(_CODES)
_CUR = rf"(?:(?P<sym>{_SYM}) ?|(?P<code>{_CODE})\s?(?=\d))"
# A minus sign only counts at the start of a word: "5.25%-5.5%" is a range, not a negative.
MINUS = r"(?P<neg>(?<![^\s(\[])[-−])?"
_MONEY = re.compile(
    rf"(?<![\w.]){MINUS}{_CUR}(?P<n1>{NUM})(?P<m1>{_MAG})?"
    rf"(?:(?P<to>-|–| to )(?:{_SYM}|{_CODE}\s?)? ?(?P<n2>{NUM})(?P<m2>{_MAG})?)?(?![\d])"
)
_PENCE = re.compile(rf"(?<![\w.£$€])(?P<n>{NUM}) ?p(?:ence)?\b(?!\.\w)")


def _amount(number: str, mag: str | None, unit: tuple[str, str, str, str], state: State, say: str) -> str:
    """One amount; `say` is "many" (pounds), "one" (attributive: pound) or "" (no unit: a range's first)."""
    one, many, sub_one, sub_many = unit
    name = {"many": many, "one": one, "": ""}[say]
    if mag:
        if "." in number:
            number = number.rstrip("0").rstrip(".")
        return (say_number(number, state) + " " + MAGNITUDE[mag.strip()] + " " + name).strip()
    whole, _, cents = number.replace(",", "").partition(".")
    if len(cents) == 2 and say:
        c = int(cents)
        if not whole.strip("0"):
            return say_cardinal(c, state) + " " + (sub_one if c == 1 or say == "one" else sub_many)
        if say == "many" and whole == "1":
            name = one
        main = say_count(whole, state) + " " + name
        if not c:
            return main
        if unit[0] == "pound":  # "four pounds ninety-nine"
            return main + " " + say_cardinal(c, state)
        return f"{main} and {say_cardinal(c, state)} {sub_one if c == 1 or say == 'one' else sub_many}"
    if say == "many" and number == "1":
        name = one
    return (say_number(number, state) + " " + name).strip()


def money_rule(text: str, state: State) -> str:
    def money(m: re.Match[str]) -> str:
        unit = _UNIT_OF[m.group("sym") or m.group("code")]
        neg = "minus " if m.group("neg") else ""
        say = "one" if is_attributive(m.string, m.start(), m.end()) else "many"
        if say == "one":
            state.why = "before a noun: singular"
        if m.group("n2"):
            # "£5-10m": the unit and magnitude are said once, at the end.
            first = _amount(m.group("n1"), m.group("m1"), unit, state, "")
            second = _amount(m.group("n2"), m.group("m2"), unit, state, say)
            if say == "many" and not m.group("m2") and m.group("n2") == "1":
                second = say_number(m.group("n2"), state) + " " + unit[1]
            join = " and " if word_before(m.string, m.start()) == "between" else " to "
            return state.num(f"{neg}{first}{join}{second}")
        return state.num(neg + _amount(m.group("n1"), m.group("m1"), unit, state, say))

    def pence(m: re.Match[str]) -> str:
        n = m.group("n")
        return state.num(say_number(n, state) + (" penny" if n == "1" else " pence"))

    text = state.sub(_MONEY, money, text, "money")
    return state.sub(_PENCE, pence, text, "pence")
