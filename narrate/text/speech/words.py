"""Words and symbols: cleaning, the lexicon, URLs, abbreviations, acronyms, symbols and pauses."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .numbers import say_count, say_digits, say_fraction
from .state import ABBR_DOT, WS, State

# --------------------------------------------------------------------------- 1. cleaning

_DROP_CATEGORIES = {"Cf", "Cs", "Me"}
_SPACE_CATEGORIES = {"So", "Sk", "Co", "Cn", "Zs", "Zl", "Zp"}
_VULGAR = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
    "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8),
    "⅞": (7, 8), "⅐": (1, 7), "⅑": (1, 9), "⅒": (1, 10),
}  # fmt: skip
# Characters whose NFKC form would read badly ("TM") or that we speak ourselves.
_PRE_MAP = {"™": " ", "℠": " ", "®": " ", "©": " ", "°": "\u00b0", "№": "No "}


@lru_cache(maxsize=4096)
def _clean_char(ch: str) -> str:
    if ch in _VULGAR or ch == "\u00b0":
        return ch
    if ch in _PRE_MAP:
        return _PRE_MAP[ch]
    if ch in "\t\n\r\v\f":
        return " "
    code = ord(ch)
    # Variation selectors and tag characters ride along with emoji.
    if 0xFE00 <= code <= 0xFE0F or 0xE0000 <= code <= 0xE01EF:
        return ""
    cat = unicodedata.category(ch)
    if cat == "Cc" or cat in _DROP_CATEGORIES:
        return ""
    if cat in _SPACE_CATEGORIES:
        return " "
    return ch


_VULGAR_RE = re.compile(r"(?:(?<!\d)(\d+) ?)?([" + "".join(_VULGAR) + "])")
_QUOTE_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "`": "'",
    "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": '"', "\u203a": '"',
})  # fmt: skip
# An apostrophe stays inside a word (don't, Putin's) or before a decade ('90s); others are quotes.
_STRAY_APOS = re.compile(r"'(?!(?<=\w')\w)(?!\d0'?s\b)")
_TERMINAL = re.compile(r"(\.\.\.|[.?!])[\s\"')\]]*$")


def clean_rule(text: str, state: State) -> str:
    text = "".join(_clean_char(c) for c in text)

    def vulgar(m: re.Match[str]) -> str:
        num, den = _VULGAR[m.group(2)]
        part = say_fraction(num, den, state)
        if m.group(1):
            # "2½" -> "two and a half"
            part = say_count(m.group(1), state) + " and " + part
        return " " + state.num(part) + " "

    text = _VULGAR_RE.sub(vulgar, text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP)
    text = text.replace('"', " ")
    text = _STRAY_APOS.sub(" ", text)
    text = WS.sub(" ", text).strip()
    m = _TERMINAL.search(text)
    state.terminal = "." if m and m.group(1) == "..." else (m.group(1) if m else "")
    letters = [w for w in re.findall(r"[^\W\d_]{2,}", text)]
    upper = [w for w in letters if w.isupper()]
    state.shouting = len(upper) >= 3 and len(upper) >= 0.8 * len(letters)
    return text



# --------------------------------------------------------------------------- 2. lexicon


_POSSESSIVE = re.compile(r"\ue000([\ue100-\ue1ff]+)\ue001('s|s'|')(?!\w)")
_VOICELESS_END = re.compile(r"[ptkfθ]ˌ?ˈ?ː?$")
_SIBILANT_END = re.compile(r"(?:s|z|ʃ|ʒ|tʃ|dʒ)ː?$")


def lexicon_rule(text: str, state: State) -> str:
    text = state.rules.lexicon.substitute(text, state.keep)

    # Piper would read a bare "'s" after a phoneme block as the letter S: say it inside the block.
    def possessive(m: re.Match[str]) -> str:
        index = m.group(1)
        spoken = state.unkeep(index)
        if not (spoken.startswith("[[") and spoken.endswith("]]")) or m.group(2) == "'":
            return m.group(0)
        phones = spoken[2:-2].strip()
        ending = "ɪz" if _SIBILANT_END.search(phones) else "s" if _VOICELESS_END.search(phones) else "z"
        state.saved[state.index(index)] = f"[[ {phones}{ending} ]]"
        return m.group(0)[: -len(m.group(2))]

    return _POSSESSIVE.sub(possessive, text)



# --------------------------------------------------------------------------- 3. URLs, emails, handles

_TLDS = (
    "com|org|net|gov|edu|int|mil|info|biz|news|online|io|co|uk|us|eu|de|fr|es|it|nl|ie|au|ca|nz|in|"
    "ru|ua|cn|jp|ch|be|se|no|dk|fi|pl|pt|at|tv|me|ai|app|dev|ly|gl|to|fm|org\\.uk|co\\.uk|gov\\.uk|ac\\.uk"
)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")
_URL = re.compile(
    r"(?<![\w@/])(?:(?:https?|ftp)://|www\.)([A-Za-z0-9.-]+)(?::\d+)?(?:[/?#][^\s]*[^\s.,;:!?)\]'\"])?",
    re.IGNORECASE,
)
_DOMAIN = re.compile(
    rf"(?<![\w@/.-])((?:[A-Za-z0-9-]+\.)+(?:{_TLDS}))(?![\w-]|\.[A-Za-z0-9])(?:/[^\s]*[^\s.,;:!?)\]'\"])?"
)
_DIGIT_RUN = re.compile(r"\d+")
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z_]\w{0,30})")
_HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z]\w*)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


def _say_label(label: str, host: bool = True) -> str:
    # "bbc" -> "B.B.C"; in a host name, country codes are letters too; "co" and words stay words.
    short_code = host and len(label) <= 2 and label.lower() != "co"
    if label.isalpha() and (short_code or not _VOWEL.search(label)):
        return _letters(label)
    spoken = _DIGIT_RUN.sub(lambda m: f" {say_digits(m.group(0))} ", label)
    spoken = spoken.replace("-", " dash ").replace("_", " underscore ").replace("+", " plus ")
    return WS.sub(" ", spoken).strip()


def _say_host(host: str) -> str:
    host = host.strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    return " dot ".join(_say_label(part) for part in host.split(".") if part)


def urls_rule(text: str, state: State) -> str:
    def email(m: re.Match[str]) -> str:
        user = " dot ".join(_say_label(p, host=False) for p in m.group(1).split(".") if p)
        return state.keep(f"{user} at {_say_host(m.group(2))}")

    text = _EMAIL.sub(email, text)
    text = _URL.sub(lambda m: state.keep(_say_host(m.group(1))), text)
    text = _DOMAIN.sub(lambda m: state.keep(_say_host(m.group(1))), text)
    text = _HANDLE.sub(lambda m: state.keep("at " + _say_label(m.group(1))), text)
    return _HASHTAG.sub(lambda m: _CAMEL.sub(" ", m.group(1)), text)



# --------------------------------------------------------------------------- 4. abbreviations

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
# "St"/"Dr" before a name are Saint/Doctor; after a name, Street/Drive. Likewise Rd, Ave.
_PLACE_RE = re.compile(r"\b(St|Dr|Rd|Ave)\b" + ABBR_DOT)
_PLACE = {"St": ("Saint", "Street"), "Dr": ("Doctor", "Drive"), "Rd": ("Road", "Road"),
          "Ave": ("Avenue", "Avenue")}  # fmt: skip
_NEXT_CAP = re.compile(r"\s*[A-Z\ue000]")
_PREV_CAP = re.compile(r"[A-Z][\w']*\s*$")
_NUMBER_SIGN = re.compile(r"\b(?:No|no)\.\s?(?=\d)|\bNo (?=\d)")
_TEN = re.compile(r"\b(?:No\.?|no\.) ?10\b(?![.,]\d)")


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


def abbreviations_rule(text: str, state: State) -> str:
    text = _TEN.sub(lambda m: state.keep("Number Ten"), text)
    text = _SIMPLE_ABBR_RE.sub(lambda m: state.keep(_SIMPLE_ABBR_SAID[m.lastgroup or ""]), text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m.group(1)], text)
    text = _PLACE_RE.sub(_place, text)
    text = _NUMBER_SIGN.sub(lambda m: "Number " if m.group(0)[0] == "N" else "number ", text)
    return text



# --------------------------------------------------------------------------- 12. acronyms

_SPELL = frozenset(
    "NHS BBC UK US USA EU MP FBI CIA ITV UN GP GDP CEO IMF HMRC DWP ONS ECHR IPCC PM TV AI IT OK "
    "SNP DUP LGBT LGBTQ HIV ID IVF ICU CPS MOD MoD MI5 MI6 GCHQ FA BP HSBC RBS IPO WHO ICC ICJ WTO "
    "OECD G7 G20 NGO NYPD LAPD DNA CCTV TUC CBI FCA PPE VAT IFS OBR IPPR ECB BoE RAF RN SAS MPs CPI "
    "USB PC CV QC KC KGB FSB GRU SBU DPRK PR HR UAE ANC EPA FDA CDC DOJ DHS GOP NSA JFK LBC ITN ABC "
    "CBS NBC CNN MSNBC AP AFP CBE OBE MBE DBE UCL LSE IFS RNLI RSPCA NSPCC YMCA ATM PIN SUV EV EVs LNG "
    "UKIP ULEZ MEP MEPs MSP MSPs AM TUC PFI MRI ISIS AfD CDU SPD ANC ECJ ETA BNP HGV".split()
)
_WORDS = frozenset(
    "NATO OFWAT OFCOM OFSTED OFGEM UNESCO UNICEF NASA COVID UEFA FIFA OPEC NICE BREXIT AIDS SARS "
    "NAFTA OPCW ASEAN FRONTEX INTERPOL EUROPOL ACAS UNISON UNITE COP OXFAM NIMBY GIF JPEG LIDAR RADAR "
    "LASER SCUBA PIN TUI ISA IKEA SWAT HAMAS ZANU BAFTA NIMBYS EFTA TIKTOK".split()
)
_ACRONYM = re.compile(r"(?<![\w'-])(?P<a>[A-Z][A-Za-z]*[A-Z](?:[0-9]+)?|[A-Z][0-9]+)(?P<s>'?s)?(?![\w'])")
_DOTTED = re.compile(r"(?<![\w.])(?P<a>(?:[A-Z]\. ?){2,})")
_INITIAL = re.compile(r"(?<![\w.])([A-Z])\. (?=[A-Z])")
_AMPERSAND_ACRONYM = re.compile(r"\b([A-Z]{1,2})&([A-Z]{1,2})\b")
_SHOUT_WORDS = frozenset(
    "IT AS IS OR AN IN ON TO NO SO DO GO WE HE ME MY BY AT OF UP IF BE AM OK HIS HER OUR WHO WHY "
    "HOW NOT YES ALL NEW OLD BIG OUT".split()
)


def _letters(acronym: str, plural: bool = False) -> str:
    """'NHS' -> 'N.H.S'; plural or possessive 'MP' -> "M.P.'s"; 'MI5' -> 'M.I five'."""
    runs = re.findall(r"[A-Za-z]+|\d+", acronym)
    spoken = [say_digits(run) if run.isdigit() else ".".join(run.upper()) for run in runs]
    return " ".join(spoken) + (".'s" if plural else "")


def acronyms_rule(text: str, state: State) -> str:
    user_spell, user_words = state.rules.spell, state.rules.words

    def dotted(m: re.Match[str]) -> str:
        raw = m.group("a")
        tail = " " if raw.endswith(" ") else ""
        keep_dot = raw.rstrip().endswith(".") and not m.string[m.end() :].strip(" \"')]")
        return state.keep(_letters(raw.replace(".", "").replace(" ", ""))) + ("." if keep_dot else "") + tail

    def acronym(m: re.Match[str]) -> str:
        base, suffix = m.group("a"), m.group("s") or ""
        whole = base + suffix
        # "MPs" is in the list as a plural; plain words like "Nato" or "GPs" reach here too.
        # The profile's lists beat the built-in ones; within each, words beat spelling.
        for said_as_word, spelled in ((user_words, user_spell), (_WORDS, _SPELL)):
            for candidate, rest in ((whole, ""), (base, suffix)):
                if candidate in said_as_word or candidate.upper() in said_as_word:
                    return state.keep(candidate.capitalize() + rest)
                if candidate in spelled and not (state.shouting and candidate in _SHOUT_WORDS):
                    if candidate[-1] == "s" and candidate[:-1].isupper():  # "MPs" listed as such
                        return state.keep(_letters(candidate[:-1], plural=True))
                    return state.keep(_letters(candidate, plural=bool(rest)))
        if not (base.isupper() and base.isalpha()):  # M25, iPhone: left to the number rules/espeak
            return whole
        if state.shouting:
            return base.lower() + suffix
        if len(base) <= 3 or not _VOWEL.search(base):
            return state.keep(_letters(base, plural=bool(suffix)))
        return whole

    text = _AMPERSAND_ACRONYM.sub(
        # "A&E" -> "A-and-E": a lone "A" before "and" would be read as the article.
        lambda m: state.keep(f"{_letters(m.group(1))}-and-{_letters(m.group(2))}"),
        text,
    )
    text = _DOTTED.sub(dotted, text)
    text = _INITIAL.sub(r"\1 ", text)
    return _ACRONYM.sub(acronym, text)



# --------------------------------------------------------------------------- 13. symbols and pauses

_SYMBOLS = [
    (re.compile(r"(?<=\ue001) ?\+"), " plus"),
    (re.compile(r"(?<=\w) ?\+ ?(?=\w)"), " plus "),
    (re.compile(r"\+(?=\ue002)"), "plus "),
    (re.compile(r"\+"), " plus "),
    (re.compile(r"&"), " and "),
    (re.compile(r"(?<=\S) ?= ?(?=\S)"), " equals "),
    (re.compile(r"~ ?(?=\ue002)"), "about "),
    (re.compile(r"< ?(?=\ue002)"), "less than "),
    (re.compile(r"> ?(?=\ue002)"), "more than "),
    (re.compile(r"#(?=\ue002)"), "number "),
    (re.compile(r"§ ?"), "section "),
    (re.compile(r" ?°"), " degrees"),
    (re.compile(r" ?%"), " per cent"),
    (re.compile(r"@"), " at "),
    (re.compile(r"\band/or\b"), "and or"),
    (re.compile(r"(?<=\ue001) ?/ ?(?=[A-Za-z])"), " per "),
]
_PAUSES = [
    (re.compile(r"\.{3,}|(?:\. ){2,}\.|…"), " \ue010 "),  # ellipsis, resolved below
    (re.compile(r" [-–—―] |[—―]|--+| -(?=\S)|(?<=\S)- "), ", "),
    (re.compile(r"[()\[\]{}|•·]"), ", "),
    (re.compile(r"[/\\_]"), " "),
]
# Anything left that is not a letter, a placeholder or speakable punctuation goes.
_UNSPEAKABLE = re.compile(r"[^\w\s.,;:?!'\-\ue000-\ue1ff\ue010]|[\d_]")
_BAD_HYPHEN = re.compile(r"(?<![^\W\d_]|\ue001)-|-(?![^\W\d_]|[\ue000\ue002])")
_BAD_APOS = re.compile(r"(?<![^\W\d_]|\ue001)'|'(?![^\W\d_])")


def symbols_rule(text: str, state: State) -> str:
    if state.us:
        text = re.sub(r" ?%", " percent", text)
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text


def pauses_rule(text: str, state: State) -> str:
    for pattern, spoken in _PAUSES:
        text = pattern.sub(spoken, text)
    text = _UNSPEAKABLE.sub(" ", text)
    text = _BAD_HYPHEN.sub(" ", text)
    text = _BAD_APOS.sub(" ", text)
    # A trailing ellipsis ends the sentence; elsewhere it is a pause.
    text = re.sub(r"\ue010[\s,]*$", ".", text.rstrip())
    return text.replace("\ue010", ",")
