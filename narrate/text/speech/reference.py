"""Document references: "p. 7" -> "page seven", "pp. 40-42", "para. 12", "s. 21", "Sch. 2", "cl. 4", "fig. 3".

Rules: an abbreviation from the table below, with or without its dot, right before a number (or a
range, "paras 3-5", which the cardinal rule says "three to five"), becomes the full word; the number
is left to the number rules. The one-letter forms ("p.", "s.") need their dot and a lower-case letter,
so "Plan B 4" or "the 1990s 21" are not references; "ss." and "pp." are their plurals; lower-case
"art" needs its dot too ("sold art 3 times" is not an article).
"""

from __future__ import annotations

import re

from .state import State

_REFERENCES = {
    "p.": "page", "pp": "pages", "para": "paragraph", "paras": "paragraphs", "s.": "section",
    "ss": "sections", "sch": "Schedule", "cl": "clause", "cls": "clauses", "fig": "figure",
    "figs": "figures", "vol": "volume", "vols": "volumes", "ch": "chapter", "chs": "chapters",
    "art": "article", "arts": "articles", "reg": "regulation", "regs": "regulations", "pt": "part",
    "sec": "section", "secs": "sections", "col": "column",
}  # fmt: skip
_REFERENCE = re.compile(
    r"(?<![\w.'-])(?P<w>[ps]\.|pp|paras?|ss|[Ss]ch|cls?|[Ff]igs?|[Vv]ols?|chs?|arts?\.|Arts?|regs?|pt|secs?|col)"
    r"\.?\s?(?=\d)"
)


def references_rule(text: str, state: State) -> str:
    def reference(m: re.Match[str]) -> str:
        written = m.group("w").lower()
        word = _REFERENCES[written if written in ("p.", "s.") else written.rstrip(".")]
        return word + " "

    return state.sub(_REFERENCE, reference, text, "document reference")
