"""espeak-ng phonemes from the one phonemiser Piper itself uses, under Piper's own lock."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

Phonemize = Callable[[str], str]
"""A word (or a few) to the phonemes espeak gives it alone, as one string."""

# espeak-ng keeps global state (the voice set last): every use in this process, Piper's synthesis
# included, goes through one phonemiser and one lock.
_FALLBACK_LOCK = threading.Lock()


def espeak_phonemizer(espeak_voice: str) -> Phonemize:
    """Piper's own espeak-ng phonemiser for one espeak language, one word at a time (cached)."""

    @lru_cache(maxsize=4096)
    def phonemize(text: str) -> str:
        if not text.strip():
            return ""
        espeak, lock = _espeak()
        with lock:
            sentences = espeak.phonemize(espeak_voice, text)
        return "".join("".join(s) for s in sentences)

    return phonemize


@lru_cache(maxsize=1)
def _espeak() -> tuple[Any, Any]:
    from piper import voice as piper_voice
    from piper.phonemize_espeak import EspeakPhonemizer

    # Piper's lock around its own phonemiser; a private name, so a lock of ours if it is ever renamed
    lock = getattr(piper_voice, "_ESPEAK_PHONEMIZER_LOCK", None) or _FALLBACK_LOCK
    return EspeakPhonemizer(), lock


_VOICE_LOCALE = re.compile(r"^([a-z]{2,3})_([A-Z]{2})\b")
_ESPEAK_ENGLISH = {"US": "en-us", "GB": "en-gb-x-rp"}


def voice_language(voice_name: str, locale: str) -> str:
    """The espeak language a voice named like Piper's ("en_GB-alan-medium") speaks; else the locale's."""
    m = _VOICE_LOCALE.match(Path(voice_name).name)
    if m and m[1] == "en" and m[2] in _ESPEAK_ENGLISH:
        return _ESPEAK_ENGLISH[m[2]]
    if m and m[1] != "en":
        return m[1]
    return "en-us" if locale == "en-US" else "en-gb-x-rp"
