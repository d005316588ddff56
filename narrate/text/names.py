"""Personal names and bylines: 'Jane Smith and John de Vries', 'By Jane Smith, Health Editor | 3 March'."""

from __future__ import annotations

import datetime as dt
import re

from .dates import find_date

_BY = re.compile(r"^(?:written\s+)?by[\s:]+(?P<rest>.+)$", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+|\s*&\s*|\s*;\s*)")
_BY_TAIL_SPLIT = re.compile(r"\s*(?:\||·|•|—|–|\s-\s|,)\s*")
_NAME_PARTICLES = frozenset(
    "de da di del della van von der den le la du bin al el ter dos das y zu".split()
)
# Capitalised words that appear in chrome and headings but not in personal names.
_NOT_NAME_WORDS = frozenset(
    """the a an of in on at to for and or with from by our your my this that it is are was be minutes minute
    episode timer sleep read more share comments comment news times home sign menu subscribe today newsletter
    channel podcast podcasts audio articles article update updated published video live latest related also
    exclusive opinion analysis editions digital print support listen advertisement cookies privacy policy
    terms follow us contact about search login logout register account next previous back top page off on
    speed what why how who when where does do did will would can could should new report editor editors
    correspondent correspondents reporter reporters writer writers columnist contributor contributors
    staff chief
    senior deputy associate journalist journalists producer presenter host investigations political politics
    health economics business science environment education crime courts sport affairs desk team
    agency""".split()
)
_FULL_STOP_END = re.compile(r"[.…][\"'”’)\]]*$")
_INITIAL_END = re.compile(r"(?:^|\s)[^\W\d_]\.$")


def looks_like_name(text: str) -> bool:
    """'Jane Smith', 'Jane Smith and John de Vries': capitalised words, no sentence punctuation (loose)."""
    words = text.strip().split()
    if not 1 <= len(words) <= 9 or re.search(r"[.!?;:]$", text.strip()):
        return False
    joiners = {"and", "&", "de", "van", "von", "der", "da", "di", "le", "la", "bin", "al"}
    return all(w[0].isupper() or w.lower() in joiners for w in words) and words[0][0].isupper()


def _name_words_ok(words: list[str]) -> bool:
    capitalised = 0
    for i, word in enumerate(words):
        bare = word.strip(".,")
        if not bare:
            return False
        if bare.casefold() in _NAME_PARTICLES and 0 < i < len(words) - 1:
            continue
        if bare.casefold() in _NOT_NAME_WORDS:
            return False
        if re.fullmatch(r"[^\W\d_]\.?", word) and word[0].isupper():
            capitalised += 1  # an initial such as "J."
            continue
        if not word[0].isupper() or not all(ch.isalpha() or ch in "-'’." for ch in word):
            return False
        if len(bare) > 3 and bare.isupper():
            return False  # shouted labels such as EXCLUSIVE are not names
        capitalised += 1
    return capitalised > 0


def names(text: str, min_words: int, max_words: int = 4) -> str | None:
    """'Jane Smith' or 'Jane Smith and John Doe' when text is only personal names, else None."""
    text = text.strip()
    if not text or any(ch.isdigit() for ch in text) or text[-1] in "!?…:;,":
        return None
    if text.endswith(".") and not _INITIAL_END.search(text):
        return None
    parts = [p for p in _NAME_SPLIT.split(text.strip()) if p]
    if not parts or len(parts) > 4:
        return None
    for part in parts:
        words = part.split()
        if not min_words <= len(words) <= max_words or not _name_words_ok(words):
            return None
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def byline(line: str) -> tuple[str, dt.date | None] | None:
    """Author (and any date) from 'By Jane Smith', 'By Jane Smith, Health Editor | 3 March 2025'."""
    m = _BY.match(line)
    if not m or len(line.split()) > 16 or _FULL_STOP_END.search(line) and not _INITIAL_END.search(line):
        return None
    rest = m["rest"].strip()
    pieces = _BY_TAIL_SPLIT.split(rest)
    # Names joined with ", " are split too, so grow the name piece by piece while it still reads as names.
    best: tuple[str, int] | None = None
    for n in range(1, len(pieces) + 1):
        candidate = names(", ".join(pieces[:n]), min_words=1, max_words=4)
        if candidate:
            best = (candidate, n)
    if best is None:
        return None
    tail = " ".join(pieces[best[1]:])
    return best[0], find_date(tail) if tail else None
