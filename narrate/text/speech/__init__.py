"""Speech rules: one written sentence into plain text the Piper voice reads aloud well.

Piper takes no SSML, so everything is expanded into words: numbers, money, dates, times, units,
abbreviations, acronyms, URLs. Rules run in order (`core.STEPS`). Each rule that produces finished
speech swaps it for a private-use placeholder (`state.py`), so later rules cannot mangle it (a
respelled name cannot be re-read as an acronym, "twenty-one" cannot lose its hyphen to the dash rule);
placeholders are restored at the very end (`finish.py`).

The lexicon runs right after cleaning, on the text as the author wrote it, so its keys match words as
written ("NATO", "No 10", "Ushakov") and its respellings or "[[ IPA ]]" blocks come out untouched.

Spelled acronyms come out as capitals joined by dots, with no final dot ("N.H.S", plural or possessive
"M.P.'s", "A.M"): espeak then says letter names with acronym stress, whereas "A I" reads the lone "A"
as the article, and a final dot before a capital would end the sentence. Number words drop
num2words' commas ("one thousand two hundred"): a comma is a pause to Piper. Clock times are said on
the 12-hour clock ("14:00" -> "two P.M").
"""

from .core import STEPS, SpeechRules, speak

__all__ = ["STEPS", "SpeechRules", "speak"]
