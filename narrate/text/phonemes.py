"""espeak-ng phonemes from the one phonemiser Piper itself uses, under Piper's own lock."""

from __future__ import annotations

import os
import re
import struct
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import VoiceError

Phonemize = Callable[[str], str]
"""A word (or a few) to the phonemes espeak gives it alone, as one string."""

# espeak-ng keeps global state (the voice set last, its dictionaries): every use in this process, Piper's
# synthesis included, goes through Piper's one EspeakPhonemizer and its lock (piper.voice's
# _ESPEAK_PHONEMIZER and _ESPEAK_PHONEMIZER_LOCK); a second instance would initialise espeak again.
_FALLBACK_LOCK = threading.Lock()


def espeak_phonemizer(espeak_voice: str) -> Phonemize:
    """Piper's own espeak-ng phonemiser for one espeak language, one word at a time (cached)."""

    @lru_cache(maxsize=4096)
    def phonemize(text: str) -> str:
        if not text.strip():
            return ""
        return "".join("".join(s) for s in _shared_phonemize(espeak_voice, text))

    return phonemize


def _shared_phonemize(espeak_voice: str, text: str) -> list[list[str]]:
    """`text` in `espeak_voice` through the process's one espeak instance, made as Piper makes it."""
    from piper import voice as piper_voice
    from piper.phonemize_espeak import ESPEAK_DATA_DIR, EspeakPhonemizer

    problem = espeak_data_problem(Path(ESPEAK_DATA_DIR), espeak_voice)
    if problem is not None:
        raise VoiceError(problem)
    # Piper's names are private: if they are ever renamed, one instance of ours under a lock of ours
    holder: Any = piper_voice if hasattr(piper_voice, "_ESPEAK_PHONEMIZER") else _OWN
    lock = getattr(piper_voice, "_ESPEAK_PHONEMIZER_LOCK", None) or _FALLBACK_LOCK
    with lock:
        if holder._ESPEAK_PHONEMIZER is None:
            holder._ESPEAK_PHONEMIZER = EspeakPhonemizer(ESPEAK_DATA_DIR)
        return list(holder._ESPEAK_PHONEMIZER.phonemize(espeak_voice, text))


class _OwnPhonemizer:
    _ESPEAK_PHONEMIZER: Any = None


_OWN = _OwnPhonemizer()


def piper_phonemizer(piper: Any) -> Phonemize:
    """A loaded PiperVoice's own phonemiser, one word at a time (cached).

    Piper keeps one espeak-ng instance for the process and uses it under its lock; a second instance
    would initialise espeak's global state again under a running synthesis. The data is checked first:
    espeak ends the whole process when its data is missing.
    """
    folder = Path(piper.espeak_data_dir)
    language = str(getattr(piper.config, "espeak_voice", "") or "en-us")

    @lru_cache(maxsize=4096)
    def phonemize(text: str) -> str:
        if not text.strip():
            return ""
        problem = espeak_data_problem(folder, language)
        if problem is not None:
            raise VoiceError(problem)
        return "".join("".join(s) for s in piper.phonemize(text))

    return phonemize


_ESPEAK_FILES = ("phontab", "phonindex", "phondata", "intonations")
_DICT_HASHES = 1024  # espeak's N_HASH_DICT: the first word of every *_dict file


def espeak_data_problem(folder: Path, language: str) -> str | None:
    """What is wrong with espeak-ng's data folder for `language` (as a message saying the fix), or None.

    A few stats and one 8-byte read: cheap enough before every sentence. espeak itself only prints to the
    C stderr when its data goes, then aborts the process or returns noise. The language's dictionary gets
    espeak's own sanity check (its header: the hash count, then the rules' offset inside the file), as a
    replaced or half-written dictionary makes espeak give one wrong word for every sentence.
    """
    dictionary = Path(folder) / f"{language.split('-')[0]}_dict"
    for path in [*(Path(folder) / name for name in _ESPEAK_FILES), dictionary]:
        try:
            with path.open("rb") as f:
                head = f.read(8)
                size = os.fstat(f.fileno()).st_size
        except OSError:
            return _espeak_message(path)
        if size == 0:
            return _espeak_message(path)
        if path == dictionary:
            hashes, rules = struct.unpack("<ii", head) if len(head) == 8 else (0, 0)
            if hashes != _DICT_HASHES or not 0 < rules < size:
                return _espeak_message(path)
    return None


def _espeak_message(path: Path) -> str:
    return (
        f"the voice's espeak-ng data is missing or unreadable ({path}): "
        "reinstall piper-tts (pip install --force-reinstall piper-tts)"
    )




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
