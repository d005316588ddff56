"""Split a paragraph of news text into sentences, and long sentences into chunks Piper can speak safely.

Notes:
- Everything works on whitespace-separated tokens, so a sentence boundary can only fall on whitespace:
  words, decimals, URLs and e-mail addresses are never cut, and joining the output with single spaces
  always gives back the input with its whitespace collapsed.
- Clear-cut boundaries are decided by our own rules (which also know abbreviations pysbd gets wrong,
  such as "Smith & Co. Ltd." or "Ms. Truss"); only the genuinely uncertain ones are put to pysbd, and
  only on a short stretch of text, because pysbd slows down badly on very long input.
- The one place a word is cut is a single token longer than the chunk limit (a long URL, or CJK text
  with no spaces): it is cut at the limit, because Piper's memory use grows with sentence length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

DEFAULT_CHUNK_LIMIT = 350

# A line that opens a list item: "1.", "2)", "-", "*" or "•" followed by whitespace.
_LIST_MARKER = re.compile(r"(?:\d{1,3}[.)]|[-*•])(?=\s|$)")
_OPENERS = "\"'“‘«([{"
_CLOSERS = "\"'”’»)]}"
_TERMINAL = re.compile(r"(?:[.!?…]+)$")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # U.S, e.g, p.m, J.K

# Never a sentence end, whatever follows.
_TITLES = frozenset(
    "mr mrs ms mx dr prof gen adm sir rev sgt capt col lt gov sen rep reps sens messrs mssrs cllr insp "
    "supt det cpl maj brig pte fr hon rt cmdr lieut".split()
)
_NEVER = _TITLES | frozenset("vs v e.g i.e cf viz art arts fig figs para paras ch pp".split())
# Never an end when a number follows ("No. 10", "p. 4").
_BEFORE_NUMBER = frozenset("no nos p vol vols op s ss sch cl cls art arts reg regs pt sec secs col".split())
# An end only when a typical sentence opener follows ("... at 10 p.m. The next day").
_AMBIGUOUS = frozenset(
    "co ltd inc corp plc bros st jr sr esq approx est incl dept govt univ ave rd sq "
    "u.s u.k e.u u.n".split()
)
# After these a capital opens a new sentence ("at 10 p.m. Counting starts", "due in Dec. Ministers
# say") unless it is a word that goes with a time or a date ("10 p.m. Monday", "p.m. GMT").
_CLOCK = frozenset("a.m p.m".split())
# After a company suffix, a capitalised word then a lower-case one reads as a new sentence ("Acme Ltd.
# Shares fell"); a name or an acronym after it does not ("Acme Inc. CEO Jane Doe", "Smith & Co. Ltd.").
_COMPANY = frozenset("co ltd inc corp plc bros llc".split())
_WITH_A_TIME = frozenset(
    "GMT BST UTC CET CEST ET EST EDT PT PST PDT CT local Monday Tuesday Wednesday Thursday Friday "
    "Saturday Sunday January February March April May June July August September October November "
    "December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
# Months and weekdays count as abbreviations only when capitalised: "He sat. Police arrived."
_CALENDAR = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun".split()
)
# '"Why?" Smith asked.' is one sentence: a quoted question or exclamation followed by its speaker.
_SPEECH_VERBS = frozenset(
    "said says asked asks added adds replied replies shouted shouts told tells insisted insists "
    "demanded demands wrote writes warned warns cried cries yelled yells".split()
)
_STARTERS = frozenset(
    "The A An He She It They We I You This That These Those There Their Its His Her Our My But And Yet So "
    "However Meanwhile In On At As After Before When While If Then Now Some Many Most All No One Two "
    "Officials Police Ministers Critics Labour Experts Speaking Earlier Later Last Next Since Until "
    "What Why How Who Where Instead Despite Although Though Even Still Both Each Under Over For From "
    "By With Without Asked Meanwhile Elsewhere Separately Today Yesterday Tomorrow".split()
)
_CONJUNCTIONS = frozenset("and but or because while which who although whereas so yet".split())
# A token starting with one of these continues the sentence before it.
_DANGLING = frozenset("-–—,;:)]}%")
_DASHES = frozenset("- – — --".split())

# pysbd slows down sharply on long input, so it only ever sees pieces about this long.
# pysbd runs at roughly 5,000 sentences a second, so a paragraph gets this many characters of it at most;
# uncertain boundaries past the budget fall back to _fallback().
_PYSBD_MAX = 1000
_CONTEXT = 20
# Sentences with more tokens than this are chunked at coarser granularity (see _coarsen).
_FINE_TOKENS = 1500
_PYSBD_BUDGET = 20_000


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph as written: stripped, none empty, whitespace collapsed inside."""
    sentences: list[str] = []
    for block in _blocks(paragraph):
        for start, end in _sentence_spans(block):
            sentences.append(" ".join(block[start:end]))
    return sentences


def speakable_chunks(sentence: str, limit: int = DEFAULT_CHUNK_LIMIT) -> list[str]:
    """Cut a sentence longer than `limit` at its best clause boundaries; shorter ones come back as is.

    Every chunk is at most `limit` characters and the cuts fall on whitespace, except that a single
    token longer than `limit` is cut into `limit`-sized pieces.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    stripped = sentence.strip()
    if not stripped:
        return []
    if len(sentence) <= limit and sentence == stripped:
        return [sentence]
    tokens, glued = _fit_tokens(stripped.split(), limit)
    if sum(len(t) for t in tokens) + len(tokens) - 1 <= limit:
        return [" ".join(tokens)]
    if len(tokens) > _FINE_TOKENS:
        tokens, glued = _coarsen(tokens, glued, limit)
    cuts = _best_cuts(tokens, glued, limit)
    return [" ".join(tokens[a:b]) for a, b in pairwise(cuts)]


def split_paragraph(paragraph: str, limit: int = DEFAULT_CHUNK_LIMIT) -> list[str]:
    """Sentences of a paragraph, each cut into speakable chunks, flattened."""
    return [chunk for sentence in split_sentences(paragraph) for chunk in speakable_chunks(sentence, limit)]


# --- sentences -------------------------------------------------------------------------------------


def _blocks(paragraph: str) -> list[list[str]]:
    """Token lists that no sentence crosses: list items, and the text between blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    after_item = False
    for line in paragraph.splitlines():
        tokens = line.split()
        if not tokens:
            # A blank line is a paragraph break that slipped through.
            if current:
                blocks.append(current)
            current, after_item = [], False
            continue
        is_item = _LIST_MARKER.match(line.lstrip()) is not None
        if (is_item or after_item) and current:
            blocks.append(current)
            current = []
        current.extend(tokens)
        after_item = is_item
    if current:
        blocks.append(current)
    return blocks


def _sentence_spans(tokens: list[str]) -> list[tuple[int, int]]:
    """(start, end) token ranges of the sentences in one block."""
    breaks: list[int] = []
    uncertain: list[int] = []
    for i in range(1, len(tokens)):
        verdict = _verdict(tokens[i - 1], tokens[i], tokens[i + 1 : i + 3], i == 1)
        if verdict is True:
            breaks.append(i)
        elif verdict is None:
            uncertain.append(i)
    if uncertain:
        breaks = sorted(breaks + _ask_pysbd(tokens, uncertain))
    bounds = [0, *breaks, len(tokens)]
    return list(pairwise(bounds))


def _verdict(left: str, right: str, after: Sequence[str], left_is_first: bool) -> bool | None:
    """Whether a sentence ends between two tokens: True, False, or None for "ask pysbd"."""
    core = left.rstrip(_CLOSERS)
    ending = _TERMINAL.search(core)
    if ending is None:
        return False
    if left_is_first and _LIST_MARKER.fullmatch(left):
        return False
    head = right.lstrip(_OPENERS)
    if not head:
        return False
    first = head[0]
    if first.islower() and not (len(head) > 1 and head[1].isupper()):  # "iPhone" may open a sentence
        return False
    mark = ending.group()
    if mark[-1] in "?!" and left != core and any(w.rstrip(",.").lower() in _SPEECH_VERBS for w in after):
        return False
    if mark[-1] in "?!" or "…" in mark or mark.endswith(".."):
        return first not in _DANGLING
    word = core[: ending.start()].lstrip(_OPENERS)
    lowered = word.lower()
    if not word:
        return False
    if lowered in _NEVER:
        return False
    calendar = lowered in _CALENDAR and word[0].isupper()
    if (lowered in _CLOCK or calendar) and first.isupper():
        return head.rstrip(",;:.") not in _WITH_A_TIME
    if first.isdigit():
        if lowered in _BEFORE_NUMBER or lowered in _AMBIGUOUS or calendar:
            return False
        return None
    if first in _DANGLING:
        return False
    starts_sentence = right.lstrip(_OPENERS).rstrip(",;:") in _STARTERS
    if lowered == "etc":
        return first.isupper()
    if lowered in _COMPANY and not starts_sentence:
        bare = head.rstrip(",;:")
        titled = bare.istitle() and bare.isalpha() and bare.lower() not in _COMPANY
        return titled and bool(after) and after[0][:1].islower()
    if lowered in _AMBIGUOUS or calendar or (len(word) == 1 and word.isupper()):
        return starts_sentence
    if _INITIALS.fullmatch(word):
        # "U.S", "J.K": initials unless a typical sentence opener follows.
        return starts_sentence if word[-1].isupper() else None
    if lowered in _pysbd_abbreviations() or len(word) == 1:
        return True if starts_sentence else None
    return True


@lru_cache(maxsize=1)
def _pysbd_abbreviations() -> frozenset[str]:
    try:
        from pysbd.lang.english import English
    except Exception:  # pysbd missing or changed: our own rules still work
        return frozenset()
    return frozenset(English.Abbreviation.ABBREVIATIONS)


def _segmenter() -> Any:
    # A fresh segmenter per paragraph: it costs microseconds, and pysbd keeps per-call state on it,
    # so sharing one between threads would not be safe.
    try:
        import pysbd
    except Exception:
        return None
    return pysbd.Segmenter(language="en", clean=False)


def _ask_pysbd(tokens: list[str], uncertain: list[int]) -> list[int]:
    """The uncertain boundaries pysbd agrees are sentence ends.

    pysbd sees pieces of at most about _PYSBD_MAX characters that give each boundary it is asked about
    at least _CONTEXT tokens either side, so its cost stays linear however long the paragraph is.
    """
    segmenter = _segmenter()
    if segmenter is None:
        return [i for i in uncertain if _fallback(tokens[i - 1])]
    # Only the ends of a giant token (a URL, a CJK run) matter to a sentence boundary.
    proxy = [t if len(t) <= 80 else t[:40] + t[-40:] for t in tokens]
    n = len(proxy)
    agreed: list[int] = []
    budget = _PYSBD_BUDGET
    k = 0
    while k < len(uncertain):
        if budget <= 0:
            agreed.extend(i for i in uncertain[k:] if _fallback(tokens[i - 1]))
            break
        start = max(0, uncertain[k] - _CONTEXT)
        stop, length = start, 0
        while stop < n and (length < _PYSBD_MAX or stop <= uncertain[k] + _CONTEXT):
            length += len(proxy[stop]) + 1
            stop += 1
        found = _pysbd_breaks(segmenter, proxy, start, stop)
        budget -= length
        trusted_end = n if stop == n else stop - _CONTEXT
        while k < len(uncertain) and uncertain[k] < trusted_end:
            if uncertain[k] in found:
                agreed.append(uncertain[k])
            k += 1
    return agreed


def _fallback(left: str) -> bool:
    """Our guess for an uncertain boundary when pysbd is unavailable or its budget is spent."""
    word = left.rstrip(_CLOSERS).rstrip(".").lstrip(_OPENERS).lower()
    return len(word) > 1 and word not in _pysbd_abbreviations()


def _pysbd_breaks(segmenter: Any, tokens: Sequence[str], start: int, end: int) -> set[int]:
    """Token indices in [start, end) where pysbd starts a new sentence (aligned by non-space characters)."""
    text = " ".join(tokens[start:end])
    try:
        segments = segmenter.segment(text)
    except Exception:  # pysbd has crashed on odd unicode before; an unsure boundary then stays joined
        return set()
    offsets: dict[int, int] = {}
    count = 0
    for i in range(start, end):
        offsets[count] = i
        count += len(tokens[i])
    found: set[int] = set()
    seen = 0
    for segment in segments:
        seen += sum(len(part) for part in str(segment).split())
        if seen in offsets:
            found.add(offsets[seen])
    if seen != count:  # pysbd altered the text, so its offsets cannot be trusted
        return set()
    found.discard(start)
    return found


# --- chunks ----------------------------------------------------------------------------------------


def _fit_tokens(tokens: list[str], limit: int) -> tuple[list[str], list[bool]]:
    """Cut tokens longer than `limit` into pieces; glued[i] marks a piece continuing token i - 1."""
    out: list[str] = []
    glued: list[bool] = []
    for token in tokens:
        for k in range(0, len(token), limit):
            out.append(token[k : k + limit])
            glued.append(k > 0)
    return out, glued


def _coarsen(tokens: list[str], glued: list[bool], limit: int) -> tuple[list[str], list[bool]]:
    """Glue runs of short tokens into units of up to limit/25 characters.

    The chunk search costs tokens x tokens-per-chunk, which for thousands of tiny tokens is seconds; on
    such giant sentences a cut a few characters off the ideal spot is a fair price.
    """
    size = max(2, limit // 25)
    units: list[str] = []
    unit_glued: list[bool] = []
    for token, is_glued in zip(tokens, glued, strict=True):
        if units and not is_glued and len(units[-1]) + 1 + len(token) <= size:
            units[-1] += " " + token
        else:
            units.append(token)
            unit_glued.append(is_glued)
    return units, unit_glued


def _cut_penalty(tokens: Sequence[str], i: int) -> float:
    """How bad a cut before tokens[i] sounds, as a fraction of limit squared (slack is squared too)."""
    before = tokens[i - 1].rstrip(_CLOSERS)
    if before.endswith(";"):
        return 0.0
    if before.endswith((".", "?", "!", "…")):
        return 0.02
    if before.endswith(":") or tokens[i - 1] in _DASHES:
        return 0.04
    if before.endswith(","):
        return 0.12
    if tokens[i].split(" ", 1)[0].lower() in _CONJUNCTIONS:
        return 0.35
    # Mid-clause cuts break the intonation, so one costs more than an extra, fuller chunk.
    return 1.0


def _best_cuts(tokens: list[str], glued: list[bool], limit: int) -> list[int]:
    """Token indices starting each chunk (plus the end), minimising cut badness plus squared slack."""
    n = len(tokens)
    scale = float(limit * limit)
    penalty = [0.0] * (n + 1)
    for i in range(1, n):
        # A cut inside an over-long token is forced, so it must not compete with real boundaries.
        penalty[i] = 0.0 if glued[i] else _cut_penalty(tokens, i) * scale
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        length = -1
        i = j
        while i > 0:
            i -= 1
            length += len(tokens[i]) + 1
            if length > limit:
                break
            slack = limit - length
            cost = best[i] + slack * slack + penalty[i]
            if cost < best[j]:
                best[j], back[j] = cost, i
            if glued[i]:
                break  # a chunk may not span the inside of an over-long token
    cuts = [n]
    while cuts[-1] > 0:
        cuts.append(back[cuts[-1]])
    return cuts[::-1]
