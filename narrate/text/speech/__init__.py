"""Speech rules: one written sentence into plain text the Piper voice reads aloud well.

Piper takes no SSML, so everything is expanded into words. One module per class of written form
(cardinal, ordinal, decimal, fraction, money, measure, date, time, telephone, reference, road, ratio,
roman, abbreviation, acronym, electronic), each with its table of forms and its rules in order with the
context they look at; `core.STEPS` runs the classes in order. `explain` also returns every rewrite
made, the rule that made it and the text it replaced (`narrate script --explain`).
Each rule that produces finished
speech swaps it for a private-use placeholder (`state.py`), so later rules cannot mangle it (a
respelled name cannot be re-read as an acronym, "twenty-one" cannot lose its hyphen to the dash rule);
placeholders are restored at the very end (`finish.py`).

The lexicon runs right after cleaning, on the text as the author wrote it, so its keys match words as
written ("NATO", "No 10", "Ushakov") and its respellings or "[[ IPA ]]" blocks come out untouched.

Spelled acronyms come out as capitals joined by dots, with no final dot ("N.H.S", plural or possessive
"M.P.'s", "A.M"): espeak then says letter names with acronym stress, whereas "A I" reads the lone "A"
as the article, and a final dot before a capital would end the sentence. Number words drop
num2words' commas ("one thousand two hundred"): a comma is a pause to Piper. A time written on the
24-hour clock is said on it ("14:00" -> "fourteen hundred"): am or pm would add a fact.
"""

from .core import STEPS, Rewrite, SpeechRules, Spoken, explain, speak

__all__ = ["STEPS", "Rewrite", "SpeechRules", "Spoken", "explain", "speak"]
