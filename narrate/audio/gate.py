"""The plausibility gate: is a clip the voice returned speech of about the right length for its text?"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from ..models import Said

_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_NOT_SOUNDS = set("ˈˌːˑ")  # stress and length marks are modifier letters, not sounds


@dataclass(frozen=True)
class Measures:
    """What the gate looks at in one clip."""

    seconds: float
    letters: int  # letters and digits the text asks to be said (a [[ ]] block's phoneme letters count)
    sounds: int | None  # phoneme letters espeak produced; None when the voice does not report them
    rms: float  # over the whole clip, 0..1 (0 for an empty clip)
    clipped: float  # fraction of samples at full scale
    finite: bool
    pace: float

    @property
    def sounds_per_letter(self) -> float | None:
        return None if self.sounds is None or not self.letters else self.sounds / self.letters

    @property
    def seconds_per_unit(self) -> float | None:
        """Seconds per phoneme (per letter when the voice gives no phonemes), at the voice's normal pace."""
        units = self.sounds if self.sounds is not None else self.letters
        return self.seconds / units / self.pace if units else None


@dataclass(frozen=True)
class Limits:
    """Where plausible ends. Set from bench/gate_survey.py over every sentence of the examples, fixtures and
    bench articles with the bundled voice (the measured margins: docs/how-it-works.md, "The plausibility
    gate")."""

    min_sounds_per_letter: float = 0.30  # espeak without its data gives punctuation alone
    max_sounds_per_letter: float = 2.5  # ... or, its dictionary damaged, spells every letter out
    sounds_slack: int = 10  # a lone spelled letter ("W": seven phonemes) is not a fault
    min_seconds_per_sound: float = 0.030
    max_seconds_per_sound: float = 0.250
    min_seconds_per_letter: float = 0.025  # voices that give no phonemes
    max_seconds_per_letter: float = 0.250
    slack_seconds: float = 1.0  # a clip's fixed overhead (breaths at its ends) allowed over the maximum
    min_rms: float = 0.003  # about -50 dBFS
    max_clipped: float = 0.001


LIMITS = Limits()


@dataclass(frozen=True)
class Rejection:
    """Why a clip is not plausible; `phonemiser` when the voice's phonemiser (espeak) is the likely cause."""

    reason: str
    cause: str
    phonemiser: bool = False


def speech_letters(text: str) -> int:
    """Letters and digits to be said; inside a [[ phonemes ]] block, its phoneme letters."""
    blocks = sum(phoneme_letters(m.group(1)) for m in _BLOCK.finditer(text))
    return blocks + sum(c.isalnum() for c in _BLOCK.sub(" ", text))


def phoneme_letters(phonemes: str) -> int:
    """Sounds in an espeak phoneme string: its letters, not its stress marks, spaces or punctuation."""
    return sum(
        1
        for c in unicodedata.normalize("NFD", phonemes)
        if c not in _NOT_SOUNDS and unicodedata.category(c) in ("Ll", "Lu", "Lo", "Lm")
    )


def measure(samples: np.ndarray, said: Said | None) -> Measures:
    clip = np.asarray(samples, dtype=np.float32).ravel()
    finite = bool(np.isfinite(clip).all())
    safe = clip if finite else np.nan_to_num(clip, nan=0.0, posinf=1.0, neginf=-1.0)
    rms = math.sqrt(float(np.mean(np.square(safe, dtype=np.float64)))) if clip.size else 0.0
    clipped = float(np.count_nonzero(np.abs(safe) >= 0.999)) / clip.size if clip.size else 0.0
    if said is None:
        return Measures(0.0, 0, None, rms, clipped, finite, 1.0)
    sounds = None if said.phonemes is None else phoneme_letters(said.phonemes)
    seconds = clip.size / said.rate if said.rate else 0.0
    return Measures(seconds, speech_letters(said.text), sounds, rms, clipped, finite, said.pace or 1.0)


def verdict(samples: np.ndarray, said: Said | None, limits: Limits = LIMITS) -> Rejection | None:
    """None when the clip is plausible; else why not. Without `said` only the samples themselves are
    judged (finite, not clipping hard): the length and silence checks need the text."""
    m = measure(samples, said)
    if not m.finite:
        return Rejection("it holds NaN or infinite samples", "the voice model is corrupt: replace it")
    if m.clipped > limits.max_clipped:
        return Rejection(
            f"{m.clipped:.1%} of it clips at full scale", "the voice overloaded: lower --speed or rephrase it"
        )
    if said is None or not m.letters:
        return None  # nothing to be said (punctuation alone): any length, even none, is right
    if m.sounds is not None and (m.sounds_per_letter or 0.0) < limits.min_sounds_per_letter:
        return Rejection(
            f"espeak gave {m.sounds} phonemes for {m.letters} letters",
            "the voice's espeak-ng data is missing or damaged: reinstall piper-tts",
            phonemiser=True,
        )
    if m.sounds is not None and m.sounds > limits.max_sounds_per_letter * m.letters + limits.sounds_slack:
        return Rejection(
            f"espeak gave {m.sounds} phonemes for {m.letters} letters",
            "the voice's espeak-ng data is missing or damaged: reinstall piper-tts",
            phonemiser=True,
        )
    if not m.seconds:
        return Rejection(f"it is empty for {m.letters} letters", "the voice said nothing: rephrase it")
    return _length(m, limits) or _silence(m, limits)


def _length(m: Measures, limits: Limits) -> Rejection | None:
    units, unit = (m.sounds, "phoneme") if m.sounds is not None else (m.letters, "letter")
    low, high = (
        (limits.min_seconds_per_sound, limits.max_seconds_per_sound)
        if m.sounds is not None
        else (limits.min_seconds_per_letter, limits.max_seconds_per_letter)
    )
    shortest = low * units * m.pace
    longest = high * units * m.pace + limits.slack_seconds * max(1.0, m.pace)
    if m.seconds < shortest:
        return Rejection(
            f"{m.seconds:.2f} s is too short for {units} {unit}s (at least {shortest:.2f} s)",
            "the voice garbled it (a damaged install if it happens to every sentence: reinstall piper-tts)",
            phonemiser=True,
        )
    if m.seconds > longest:
        return Rejection(
            f"{m.seconds:.2f} s is too long for {units} {unit}s (at most {longest:.2f} s)",
            "the voice lost its way: rephrase the sentence (see `narrate script`)",
        )
    return None


def _silence(m: Measures, limits: Limits) -> Rejection | None:
    if m.rms < limits.min_rms:
        level = 20 * math.log10(m.rms) if m.rms > 0 else float("-inf")
        return Rejection(
            f"it is near-silent ({level:.0f} dBFS)",
            "the voice produced no speech: rephrase it",
            phonemiser=True,
        )
    return None
