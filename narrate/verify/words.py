"""The words an article's voice will guess at: names and rare words no pronouncing dictionary knows."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from ..models import Article
from ..profile import Profile
from ..text.lexicon import Lexicon
from ..text.script import build_script

Phonemize = Callable[[str], str]

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_BLOCK = re.compile(r"^\s*\[\[(.*)\]\]\s*$", re.DOTALL)
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class GuessWord:
    """A word the dictionary does not know: how often it is said and how the voice will say it."""

    word: str  # as most often written
    count: int
    phonemes: str  # espeak IPA the voice will use (the lexicon's, when it covers the word)
    covered: bool  # the profile's or --lexicon's entries already say how to pronounce it

    def say_command(self, lexicon_file: str | None = None) -> str:
        """A ready `narrate say` line to hear the word as the episode will say it."""
        extra = f" --lexicon {shlex.quote(lexicon_file)}" if lexicon_file else ""
        return f"narrate say {shlex.quote(self.word)}{extra}"

    def to_dict(self) -> dict[str, object]:
        return {"word": self.word, "count": self.count, "phonemes": self.phonemes, "covered": self.covered}


def guess_words(
    article: Article,
    profile: Profile,
    lexicon: Lexicon | None,
    *,
    dictionary: Collection[str],
    phonemize: Phonemize,
) -> list[GuessWord]:
    """Words of the article's script missing from `dictionary` (lower-case words), commonest first,
    the ones no lexicon covers before those it does.

    The script is built without any lexicon, so a covered word shows up as the word it replaces; numbers,
    money and dates are already words by then, and acronyms said letter by letter are single letters.
    """
    plain = build_script(article, dataclasses.replace(profile, lexicon={}), None)
    merged = Lexicon(profile.lexicon).merged(lexicon) if lexicon is not None else Lexicon(profile.lexicon)
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for sentence in plain.sentences:
        for word in _candidates(sentence.spoken, dictionary):
            counts[word.lower()] += 1
            forms.setdefault(word.lower(), Counter())[word] += 1
    said = " ".join(s.text for s in plain.sentences).lower()
    phrases = [key.lower() for key in merged.entries if " " in key]
    out = []
    for folded, count in counts.items():
        word = forms[folded].most_common(1)[0][0]
        replacement = merged.apply(word)
        covered = replacement != word or any(folded in key.split() and key in said for key in phrases)
        block = _BLOCK.match(replacement)
        if block:
            phonemes = block.group(1).strip()
        else:
            phonemes = phonemize(replacement)
        out.append(GuessWord(word, count, phonemes, covered))
    out.sort(key=lambda g: (g.covered, -g.count, g.word.lower()))
    return out


def _candidates(spoken: str, dictionary: Collection[str]) -> list[str]:
    """Words of a spoken sentence the dictionary lacks (possessives and hyphenated parts looked up too)."""
    found = []
    for match in _WORD.finditer(spoken):
        word = match.group(0).replace("’", "'")
        for part in word.split("-"):
            if len(part) < 2 or _known(part.lower(), dictionary):
                continue
            found.append(re.sub(r"'s$", "", part, flags=re.IGNORECASE))
    return found


def _known(word: str, dictionary: Collection[str]) -> bool:
    if word in dictionary:
        return True
    if word.endswith("'s") and word[:-2] in dictionary:
        return True
    return word.endswith("s") and word[:-1] in dictionary and not word.endswith("ss")


def lexicon_skeleton(words: Sequence[GuessWord]) -> str:
    """A [lexicon] table to paste into a profile or --lexicon file: each uncovered word with the phonemes
    the voice uses now, ready to correct (or to replace with a respelling)."""
    lines = [
        "[lexicon]",
        '# word = "respelling" or "[[ IPA ]]". Each entry below is what the voice says now: correct it,',
        "# check it with the `narrate say` line beside it, and delete the entries that were right.",
    ]
    for g in words:
        if g.covered:
            continue
        key = g.word if _BARE_KEY.match(g.word) else json.dumps(g.word, ensure_ascii=False)
        value = json.dumps(f"[[ {g.phonemes} ]]", ensure_ascii=False)
        lines.append(f"{key} = {value}  # {g.count}x; {g.say_command()}")
    return "\n".join(lines) + "\n"
