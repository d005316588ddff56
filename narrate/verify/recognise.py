"""Hear an episode offline: decode it, split it at pauses, recognise each stretch with pocketsphinx."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import queue
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import pip_install
from ..audio.encode import ffmpeg_exe
from ..errors import InputError, MissingExtraError, NarrateError

RATE = 16000
"""pocketsphinx's en-US acoustic model is trained on 16 kHz audio."""
FRAME = RATE // 100  # the decoder's 10 ms frames, in samples

MISSING_EXTRA = f"narrate check and narrate words need pocketsphinx: run `{pip_install('check')}`"

# Stretches of sound are cut at pauses at least this long; narrate's shortest sentence pause is 0.35 s.
_MIN_PAUSE = 0.25
_MAX_STRETCH = 20.0  # longer stretches are cut at their quietest moment, so both cores stay busy
_MARGIN = 0.1  # silence kept either side of a stretch: the decoder expects to start and end in silence
# frames quieter than this (dBFS, 10 ms RMS) are silence; speech here is ~-25 LUFS or louder
_SILENT_DB = -50.0


@dataclass(frozen=True)
class HeardWord:
    """A word the recogniser heard, with its first and end sample (at RATE) in the episode."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Stretch:
    """A run of sound between two pauses, what was heard in it and how far its quietest part lies below
    its loudest (speech has near-silent gaps between sounds; speech under loud noise has none)."""

    start: int
    end: int
    words: tuple[HeardWord, ...]
    contrast_db: float


@dataclass(frozen=True)
class Hearing:
    """Everything heard in an episode, in order."""

    rate: int
    total: int
    stretches: tuple[Stretch, ...]

    @property
    def words(self) -> tuple[HeardWord, ...]:
        return tuple(w for s in self.stretches for w in s.words)

    @property
    def seconds(self) -> float:
        return self.total / self.rate


def has_pocketsphinx() -> bool:
    """Whether the check extra is installed (nothing is imported)."""
    return importlib.util.find_spec("pocketsphinx") is not None


def require_pocketsphinx(importer: Callable[[str], Any] = importlib.import_module) -> Any:
    """The pocketsphinx module, or an error naming the extra that installs it."""
    try:
        return importer("pocketsphinx")
    except ImportError as exc:
        raise MissingExtraError(MISSING_EXTRA) from exc


def decode_audio(path: Path, rate: int = RATE) -> np.ndarray:
    """An audio file as int16 mono PCM at `rate`, decoded by the bundled ffmpeg."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} not found: narrate the article first, or pass the episode with --mp3")
    command = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-f", "s16le", "-ac", "1"]
    command += ["-ar", str(rate), "pipe:1"]
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except OSError as exc:
        raise InputError(f"cannot run ffmpeg to read {path} ({exc.strerror or exc})") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        last = detail[-1][:200] if detail else f"exit {done.returncode}"
        raise InputError(f"{path} is not audio ffmpeg can read ({last}): pass the episode's MP3")
    return np.frombuffer(done.stdout, dtype="<i2")


def frame_levels(samples: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """RMS level of each whole frame, in dBFS (silence is -120)."""
    usable = samples.size - samples.size % frame
    frames = samples[:usable].astype(np.float32).reshape(-1, frame) / 32768.0
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return (20.0 * np.log10(np.maximum(rms, 1e-6))).astype(np.float32)


def sound_spans(
    samples: np.ndarray, rate: int = RATE, min_pause: float = _MIN_PAUSE, max_stretch: float = _MAX_STRETCH
) -> list[tuple[int, int]]:
    """(start, end) samples of each stretch of sound, cut at pauses of at least `min_pause` seconds."""
    frame = rate // 100
    loud = frame_levels(samples, frame) > _SILENT_DB
    spans: list[tuple[int, int]] = []
    gap = int(min_pause * 100)
    start: int | None = None
    quiet = 0
    for i, is_loud in enumerate(loud):
        if is_loud:
            if start is None:
                start = i
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet >= gap:
                spans.append((start, i - quiet + 1))
                start, quiet = None, 0
    if start is not None:
        spans.append((start, len(loud) - quiet))
    limit = int(max_stretch * 100)
    levels = frame_levels(samples, frame)
    out: list[tuple[int, int]] = []
    for a, b in spans:
        out.extend(_cut_long(a, b, levels, limit))
    return [(a * frame, b * frame) for a, b in out]


def _cut_long(a: int, b: int, levels: np.ndarray, limit: int) -> Iterable[tuple[int, int]]:
    """A span longer than `limit` frames cut at its quietest frame in the middle half, recursively."""
    if b - a <= limit:
        yield a, b
        return
    lo, hi = a + (b - a) // 4, b - (b - a) // 4
    cut = lo + int(np.argmin(levels[lo:hi]))
    yield from _cut_long(a, cut, levels, limit)
    yield from _cut_long(cut, b, levels, limit)


def contrast_db(samples: np.ndarray, frame: int = RATE // 50) -> float:
    """dB between the loud (90th percentile) and quiet (10th percentile) 20 ms frames of a stretch."""
    levels = frame_levels(samples, frame)
    if levels.size < 5:
        return 60.0
    return float(np.percentile(levels, 90) - np.percentile(levels, 10))


_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*")
_PHONEMES = re.compile(r"\[\[.*?\]\]", re.DOTALL)


def words_of(spoken: str) -> list[str]:
    """The words of a spoken sentence as the recogniser spells them (lower case; no [[ phonemes ]])."""
    text = _PHONEMES.sub(" ", spoken).replace("\u2019", "'").lower()
    return [w.strip("'") for w in _TOKEN.findall(text) if w.strip("'")]


def language_model(sentences: Sequence[Sequence[str]], path: Path) -> None:
    """A trigram model of the expected sentences (ARPA text) for the decoder."""
    require_pocketsphinx()
    from pocketsphinx.lm import ArpaBoLM

    text = "\n".join(" ".join(words) for words in sentences if words)
    model = ArpaBoLM(text=text, add_start=True)
    model.compute()
    with open(path, "w", encoding="utf-8") as out:
        model.write(out)


def known_words(words: Iterable[str]) -> set[str]:
    """Which of `words` the bundled pronouncing dictionary has (the rest the recogniser cannot say)."""
    return set(words) & dictionary_words()


_DICT_CACHE: dict[str, dict[str, list[str]]] = {}


def dictionary_path() -> Path:
    """The CMU pronouncing dictionary that ships inside the pocketsphinx wheel."""
    pocketsphinx = require_pocketsphinx()
    return Path(pocketsphinx.get_model_path("en-us")) / "cmudict-en-us.dict"


def _entries() -> dict[str, list[str]]:
    """The dictionary's lines by word (alternative pronunciations, "word(2)", under the word)."""
    path = str(dictionary_path())
    if path not in _DICT_CACHE:
        entries: dict[str, list[str]] = {}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    entries.setdefault(line.split(" ", 1)[0].split("(", 1)[0], []).append(line)
        _DICT_CACHE[path] = entries
    return _DICT_CACHE[path]


def dictionary_words() -> frozenset[str]:
    """Every word of the bundled CMU pronouncing dictionary (lower case)."""
    return frozenset(_entries())


def _write_dictionary(words: Iterable[str], path: Path) -> None:
    # Only the words the model can say: loading all 134,000 entries takes each decoder about 3 s.
    entries = _entries()
    with open(path, "w", encoding="utf-8") as out:
        for word in sorted(set(words)):
            out.writelines(entries.get(word, ()))


def recognise(
    samples: np.ndarray, expected: Sequence[Sequence[str]], *, jobs: int = 1, rate: int = RATE
) -> Hearing:
    """Recognise every stretch of `samples` (int16 at RATE), biased towards the `expected` sentences.

    The language model knows only the expected words, which makes clean speech near word-perfect; the
    checker then compares what was heard with what was expected, and weighs how clear each stretch is.
    """
    if rate != RATE:
        raise ValueError(f"the recogniser needs {RATE} Hz audio, not {rate}")
    require_pocketsphinx()
    spans = sound_spans(samples, rate)
    margin = int(_MARGIN * rate)
    pieces = [samples[max(0, a - margin) : b + margin].tobytes() for a, b in spans]
    known = dictionary_words()
    sentences = [[w for w in s if w in known] for s in expected]
    with tempfile.TemporaryDirectory(prefix="narrate-check-") as folder:
        lm, vocabulary = Path(folder) / "episode.lm", Path(folder) / "episode.dict"
        language_model(sentences, lm)
        _write_dictionary((w for s in sentences for w in s), vocabulary)
        found = _decode_all(pieces, str(lm), str(vocabulary), jobs)
    stretches = []
    for (a, b), heard in zip(spans, found):
        offset = max(0, a - margin)
        words = tuple(HeardWord(w, offset + s * FRAME, offset + (e + 1) * FRAME) for w, s, e in heard)
        stretches.append(Stretch(a, b, words, contrast_db(samples[a:b])))
    return Hearing(rate, int(samples.size), tuple(stretches))


def _decode_all(pieces: list[bytes], lm: str, words: str, jobs: int) -> list[list[tuple[str, int, int]]]:
    if jobs <= 1 or len(pieces) < 2:
        decoder = decoder_for(lm, words)
        return [decode_piece(decoder, p) for p in pieces]
    # Decoder processes, each a fresh interpreter (`python -m narrate.verify.decoder`) started by exec:
    # never a fork, which would copy whatever the other threads hold at that moment (the studio's
    # server, ffmpeg's stdin pipe) into it. Each reads its pieces from its stdin, so when narrate dies,
    # however it dies, it sees the end of its input and exits. (Threads would not help: pocketsphinx
    # holds the GIL while it decodes.) Longest first, so one long stretch is not left to the end while
    # the other core idles.
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in sorted(range(len(pieces)), key=lambda i: -len(pieces[i])):
        todo.put(i)
    results: list[list[tuple[str, int, int]]] = [[] for _ in pieces]
    failures: list[str] = []
    feeders = [
        threading.Thread(target=_feed, args=(lm, words, pieces, todo, results, failures), daemon=True)
        for _ in range(min(jobs, len(pieces)))
    ]
    for feeder in feeders:
        feeder.start()
    for feeder in feeders:
        feeder.join()
    if failures:
        raise NarrateError(f"the recogniser stopped ({failures[0]}): re-run, or check with --jobs 1")
    return results


def _feed(
    lm: str,
    words: str,
    pieces: list[bytes],
    todo: queue.SimpleQueue[int],
    results: list[list[tuple[str, int, int]]],
    failures: list[str],
) -> None:
    """One decoder process: hand it pieces until none are left (or one of its siblings failed)."""
    command = [sys.executable, "-m", "narrate.verify.decoder", lm, words]
    stderr = tempfile.TemporaryFile()  # a file, not a pipe: a chatty decoder can never block on it
    try:
        proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, close_fds=True
        )
    except OSError as exc:
        stderr.close()
        failures.append(f"cannot start {sys.executable}: {exc.strerror or exc}")
        return
    assert proc.stdin is not None and proc.stdout is not None
    try:
        while not failures:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                break
            proc.stdin.write(len(pieces[i]).to_bytes(8, "little") + pieces[i])
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                raise OSError("a decoder process ended early")
            results[i] = [(str(w), int(a), int(b)) for w, a, b in json.loads(line)]
    except (OSError, ValueError) as exc:
        proc.wait()
        stderr.seek(0)
        detail = stderr.read().decode("utf-8", "replace").strip().splitlines()
        failures.append(detail[-1][:200] if detail else str(exc))
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()  # the end of its input: it exits
        proc.wait()
        proc.stdout.close()
        stderr.close()


def decoder_for(lm: str, words: str) -> Any:
    """A pocketsphinx decoder biased to the language model `lm`, knowing only the `words` dictionary."""
    from pocketsphinx import Decoder

    # fwdflat and bestpath re-search the lattice: with a model of the expected text they change
    # nothing measurable here and cost half the time
    return Decoder(samprate=RATE, lm=lm, dict=words, fwdflat=False, bestpath=False, loglevel="FATAL")


def decode_piece(decoder: Any, pcm: bytes) -> list[tuple[str, int, int]]:
    """The words heard in one stretch (int16 PCM at RATE): (word, first frame, last frame)."""
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    heard = []
    for seg in decoder.seg():
        word = seg.word
        if word.startswith(("<", "[")) or word == "(NULL)":
            continue  # silence and filler models
        heard.append((word.split("(", 1)[0], int(seg.start_frame), int(seg.end_frame)))
    return heard
