"""Acronyms and initialisms: "NHS" -> "N.H.S" (spelled), "NATO" -> "Nato" (a word), "MPs", "A&E", "U.S.".

Rules, in order, and the context each looks at:
1. "A&E", "P&O": letters joined by "and";
2. dotted initials ("U.S.", "J.K."): spelled; a final dot that ends the sentence is kept;
3. a capitalised run ("NHS", "MPs", "MI5", "Nato"): the profile's [speech] words and spell lists first,
   then the built-in ones (below); otherwise three letters or fewer, or no vowel, is spelled and a
   longer run with a vowel is left to the voice, which reads it as a word. In a sentence in capitals
   ("SHOUTING") short words such as "IT" or "US" are words, not letters.

Spelled acronyms come out as capitals joined by dots, with no final dot ("N.H.S", plural or possessive
"M.P.'s"): espeak then says letter names with acronym stress, whereas "A I" reads the lone "A" as the
article, and a final dot before a capital would end the sentence.
"""

from __future__ import annotations

import re

from .cardinal import say_digits
from .state import State

_VOWEL = re.compile(r"[aeiouyAEIOUY]")

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


def letters(acronym: str, plural: bool = False) -> str:
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
        return state.keep(letters(raw.replace(".", "").replace(" ", ""))) + ("." if keep_dot else "") + tail

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
                        return state.keep(letters(candidate[:-1], plural=True))
                    return state.keep(letters(candidate, plural=bool(rest)))
        if not (base.isupper() and base.isalpha()):  # M25, iPhone: left to the number rules/espeak
            return whole
        if state.shouting:
            return base.lower() + suffix
        if len(base) <= 3 or not _VOWEL.search(base):
            return state.keep(letters(base, plural=bool(suffix)))
        return whole

    text = state.sub(
        _AMPERSAND_ACRONYM,
        # "A&E" -> "A-and-E": a lone "A" before "and" would be read as the article.
        lambda m: state.keep(f"{letters(m.group(1))}-and-{letters(m.group(2))}"),
        text,
        "acronym with &",
    )
    text = state.sub(_DOTTED, dotted, text, "dotted acronym")
    text = _INITIAL.sub(r"\1 ", text)
    return state.sub(_ACRONYM, acronym, text, "acronym")
