"""Pronunciation lexicon: whole-word, case-aware respellings (or raw espeak IPA) for names.

An entry maps a word or phrase as written to what the voice should read instead: either a
respelling ("Ooshakov", or "oo-sha-KOFF" with the stressed syllable in capitals) or espeak-IPA
phonemes written "[[ uːʃˈɑːkɒf ]]", which Piper passes straight through. A respelling with
capitals is turned into phonemes, each syllable read as the English it looks like and the capitals
becoming espeak's stress mark: never letter names. Keys with capitals match only that exact
case ("NATO" not "nato"); an all-lowercase key matches any case. Matches are whole words, and
phrases match across single spaces; the longest key wins where keys overlap. Lexicons merge with
the later one winning (built-in < profile < --lexicon file).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..errors import ProfileError
from ..profile import lexicon_entries
from .phonemes import Phonemize

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_SPACE = re.compile(r"\s+")
# Curly apostrophes are straightened in article text before lookup, so keys are too.
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _normalise_key(key: str) -> str:
    return _SPACE.sub(" ", key.translate(_QUOTES)).strip()


def _key_pattern(key: str) -> str:
    # Whole word: no word character may touch either end of the match.
    body = " ".join(re.escape(w) for w in key.split(" "))
    if key == key.lower():
        body = f"(?i:{body})"
    return body


@dataclass(frozen=True)
class Lexicon:
    """Word or phrase -> respelling, or IPA phonemes as "[[ ... ]]"."""

    entries: Mapping[str, str]
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _folded: Mapping[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        entries = {_normalise_key(k): v for k, v in self.entries.items() if _normalise_key(k)}
        object.__setattr__(self, "entries", MappingProxyType(entries))
        object.__setattr__(self, "_folded", {k: v for k, v in entries.items() if k == k.lower()})
        if entries:
            keys = sorted(entries, key=lambda k: (-len(k), k))
            alternation = "|".join(_key_pattern(k) for k in keys)
            object.__setattr__(self, "_pattern", re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"))

    def __hash__(self) -> int:
        return hash(frozenset(self.entries.items()))

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], source: str) -> Lexicon:
        """Validate a mapping read from a profile or lexicon file; errors name `source` and the key."""
        return cls(lexicon_entries(data, source))

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read a TOML lexicon: entries under a [lexicon] table (other keys ignored) or at top level."""
        source = str(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ProfileError(f"{source}: lexicon file not found") from None
        except OSError as exc:
            raise ProfileError(f"{source}: cannot read lexicon file ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"{source}: not valid TOML ({exc})") from None
        table = data.get("lexicon")
        if isinstance(table, dict):
            # A whole profile may be passed: only its [lexicon] table matters here.
            return cls.from_mapping(table, source)
        return cls.from_mapping(data, source)

    def merged(self, other: Lexicon) -> Lexicon:
        """A lexicon with both sets of entries; `other` wins where keys coincide."""
        return Lexicon({**self.entries, **other.entries})

    def respelled(self, phonemize: Phonemize) -> Lexicon:
        """This lexicon with each stressed respelling ("oo-sha-KOFF") as "[[ phonemes ]]" (see module doc)."""
        if not any(is_stressed_respelling(v) or _all_capitals(v) for v in self.entries.values()):
            return self
        return Lexicon({k: respell(v, phonemize) for k, v in self.entries.items()})

    def apply(self, text: str) -> str:
        """Replace every whole-word match, longest phrase first."""
        return self.substitute(text, lambda spoken: spoken)

    def matches(self, text: str) -> list[tuple[str, str]]:
        """The (written, spoken) pairs `apply` would replace in `text`, in order of appearance."""
        if self._pattern is None:
            return []
        found = self._pattern.finditer(text.translate(_QUOTES))
        return [(m.group(0), self._spoken(m.group(0))) for m in found]

    def _spoken(self, written: str) -> str:
        spoken = self.entries.get(written)
        return spoken if spoken is not None else self._folded.get(written.lower(), written)

    def substitute(self, text: str, wrap: Callable[[str], str]) -> str:
        """Like apply, passing each replacement through `wrap` (speech uses it to protect them)."""
        if self._pattern is None:
            return text

        def replace(match: re.Match[str]) -> str:
            return wrap(self._spoken(match.group(0)))

        return self._pattern.sub(replace, text)


# --------------------------------------------------------------------------- respellings with stress

_SYLLABLES = re.compile(r"[-\u2010\u2011]+")
_LETTER = re.compile(r"[^\W\d_]")
_VOWEL_LETTER = re.compile(r"[aeiouy]", re.IGNORECASE)
_NOT_PHONEME = re.compile(r"[ˈˌ\s.,;:!?'\"()\[\]-]")
# the first vowel of a syllable's phonemes is where espeak puts its stress mark
_IPA_VOWEL = re.compile(r"[aeiouyæɑɒɔəɛɜɪʊʌɚɝɐɘɵɤøœɨʉ]")


def _syllables(word: str) -> list[str]:
    return [s for s in _SYLLABLES.split(word) if _LETTER.search(s)]


def _stressed(syllable: str) -> bool:
    letters = "".join(_LETTER.findall(syllable))
    return letters.isupper()


def is_stressed_respelling(spoken: str) -> bool:
    """'oo-sha-KOFF', 'OFF-wot': hyphenated syllables, some (not all) in capitals: the stressed ones."""
    if spoken.startswith("[["):
        return False
    syllables = [s for word in spoken.split() for s in _syllables(word)]
    stressed = sum(_stressed(s) for s in syllables)
    return "-" in spoken and 0 < stressed < len(syllables)


def _all_capitals(spoken: str) -> bool:
    """'NAY-TOE': every syllable capitalised says nothing of stress, and espeak would spell each one."""
    return not spoken.startswith("[[") and "-" in spoken and spoken.isupper()


def respell(spoken: str, phonemize: Phonemize) -> str:
    """A lexicon value as the voice should have it: a stressed respelling as "[[ phonemes ]]".

    Each syllable is phonemised alone, in lower case (so never read as letter names), its own stress
    marks dropped; the first capitalised syllable takes the primary stress mark before its vowel,
    later ones secondary stress. A syllable without a vowel letter ("ts") joins the next one.
    An all-capitals respelling is read in lower case; anything else is returned as it is.
    """
    if _all_capitals(spoken):
        return spoken.lower()
    if not is_stressed_respelling(spoken):
        return spoken
    words, mark = [], "ˈ"
    for word in spoken.split():
        phones = ""
        for syllable, stressed in _joined(_syllables(word)):
            said = _NOT_PHONEME.sub("", phonemize(syllable.lower()))
            if stressed:
                vowel = _IPA_VOWEL.search(said)
                at = vowel.start() if vowel else 0
                said, mark = said[:at] + mark + said[at:], "ˌ"
            phones += said
        if phones:
            words.append(phones)
    return f"[[ {' '.join(words)} ]]" if words else spoken.lower()


def _joined(syllables: list[str]) -> list[tuple[str, bool]]:
    """Syllables with their stress, each vowel-less one joined to the next (the last: to the previous)."""
    out: list[tuple[str, bool]] = []
    carry, carry_stress = "", False
    for syllable in syllables:
        carry, carry_stress = carry + syllable, carry_stress or _stressed(syllable)
        if _VOWEL_LETTER.search(syllable):
            out.append((carry, carry_stress))
            carry, carry_stress = "", False
    if carry:
        if out:
            last, stress = out.pop()
            out.append((last + carry, stress or carry_stress))
        else:
            out.append((carry, carry_stress))
    return out
