"""Compare what the recogniser heard in an episode with its script: dropped, cut, garbled, moved sentences."""

from __future__ import annotations

import dataclasses
import difflib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..models import Script
from ..text.wording import count
from .recognise import RATE, HeardWord, Hearing, decode_audio, known_words, recognise, words_of

FlagKind = Literal[
    "dropped", "silence", "noise", "garbled", "cut short", "repeated", "out of order", "unexpected"
]

# A sentence is flagged when it misses this many known words in a row where fewer other words were
# heard (audio missing), or _MISHEARD in a row whatever was heard in their place, or this share of its
# words (and at least two). Clean speech through the script-biased recogniser loses single words, and
# now and then hears three as three others ("is twelve and" as "the schools on"): not a flag.
_RUN = 3
_MISHEARD = 5
_SHARE = 0.4
# Spectral flatness of a stretch's louder frames: Piper's clean speech measures below 0.01; speech
# under loud broadband noise, or noise alone, 0.1 or more.
_NOISY = 0.05
_UNEXPECTED_SECONDS = 2.0  # sound that matches no sentence is reported from this long
_SILENT_GAP = 0.3  # a missing sentence whose slot holds less sound than this was replaced by silence
_MIN_RUN_MATCH = 3  # heard words out of place must match at least this many of a sentence's words


@dataclass(frozen=True)
class Flag:
    """One thing worth a listen: a sentence (numbered in script order) or a stretch of audio."""

    kind: FlagKind
    start: float  # seconds in the episode where it was heard, or where it should have been
    end: float
    sentence: int | None = None  # 1-based, in script order; None for audio that matches no sentence
    paragraph: int | None = None  # as `narrate script` numbers paragraphs
    text: str = ""  # the sentence as written, or what was heard
    missing: tuple[str, ...] = ()
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "sentence": self.sentence,
            "paragraph": self.paragraph,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "text": self.text,
            "missing": list(self.missing),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CheckReport:
    """What the check found in one episode."""

    path: Path
    seconds: float
    sentences: int
    flags: tuple[Flag, ...]
    heard_words: int
    expected_words: int
    matched_words: int
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.flags

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "seconds": round(self.seconds, 2),
            "sentences": self.sentences,
            "expected_words": self.expected_words,
            "heard_words": self.heard_words,
            "matched_words": self.matched_words,
            "ok": self.ok,
            "flags": [f.to_dict() for f in self.flags],
        }


@dataclass(frozen=True)
class ExpectedSentence:
    """A sentence of the script as the check expects to hear it."""

    number: int  # 1-based sentence number
    paragraph: int
    text: str
    words: tuple[str, ...]  # every word as spoken
    known: tuple[str, ...]  # those the recogniser can hear


Recognise = Callable[[np.ndarray, Sequence[Sequence[str]], int], Hearing]


def _recognise(samples: np.ndarray, expected: Sequence[Sequence[str]], jobs: int) -> Hearing:
    return recognise(samples, expected, jobs=jobs)


def check_episode(
    script: Script, audio: Path, *, jobs: int = 2, recogniser: Recognise = _recognise
) -> CheckReport:
    """Hear `audio` and list every sentence of `script` it does not say cleanly, and sound it says
    that matches no sentence. Sentences are found from what is heard, never from narrate's timings."""
    started = time.perf_counter()
    report = check_samples(script, decode_audio(audio), jobs=jobs, recogniser=recogniser)
    return dataclasses.replace(report, path=Path(audio), elapsed=time.perf_counter() - started)


def hear_episode(script: Script, audio: Path) -> CheckReport:
    """The check a batch runs in each episode's job: one recogniser process (episodes run side by side)."""
    return check_episode(script, audio, jobs=1)


def check_samples(
    script: Script, samples: np.ndarray, *, jobs: int = 2, recogniser: Recognise = _recognise
) -> CheckReport:
    """check_episode on int16 samples at the recogniser's rate."""
    expected = expected_sentences(script)
    hearing = recogniser(samples, [e.words for e in expected], jobs)
    flags, matched = compare(expected, hearing, samples)
    return CheckReport(
        Path("-"),
        hearing.seconds,
        len(expected),
        tuple(flags),
        len(hearing.words),
        sum(len(e.known) for e in expected),
        matched,
    )


def expected_sentences(script: Script) -> list[ExpectedSentence]:
    """The script's sentences in order, with paragraph numbers as `narrate script` shows them."""
    out: list[ExpectedSentence] = []
    all_words = [words_of(s.spoken) for s in script.sentences]
    known = known_words(w for ws in all_words for w in ws)
    for item in script.numbered_paragraphs():
        for sentence in item.paragraph.sentences:
            words = all_words[len(out)]
            known_here = tuple(w for w in words if w in known)
            out.append(ExpectedSentence(len(out) + 1, item.number, sentence.text, tuple(words), known_here))
    return out


def compare(
    expected: Sequence[ExpectedSentence], hearing: Hearing, samples: np.ndarray
) -> tuple[list[Flag], int]:
    """The flags, and how many expected words were heard in their place."""
    exp_tokens = [w for e in expected for w in e.known]
    heard = hearing.words
    matcher = difflib.SequenceMatcher(None, exp_tokens, [w.text for w in heard], autojunk=False)
    match: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            match[block.a + k] = block.b + k
    used = set(match.values())
    flatness = [_flatness(samples[s.start : s.end]) for s in hearing.stretches]

    flags: list[Flag] = []
    spans: list[tuple[int, int] | None] = []
    position = 0
    for e in expected:
        idx = list(range(position, position + len(e.known)))
        position += len(e.known)
        got = [match[j] for j in idx if j in match]
        spans.append((heard[got[0]].start, heard[got[-1]].end) if got else None)

    moved = _out_of_place(expected, heard, used, spans)
    position = 0
    for i, e in enumerate(expected):
        hits = [position + k in match for k in range(len(e.known))]
        runs = _missing_runs(position, len(e.known), match, len(exp_tokens), len(heard))
        position += len(e.known)
        flag = _sentence_flag(e, hits, runs, spans, i, hearing, flatness, moved.get(i))
        if flag is not None:
            flags.append(flag)
    flags.extend(_repeats_and_strays(expected, heard, used, spans, hearing, moved))
    flags.sort(key=lambda f: (f.start, f.sentence or 0))
    return flags, len(match)


def _missing_runs(
    first: int, count: int, match: dict[int, int], tokens: int, heard: int
) -> list[tuple[int, int, int]]:
    """Runs of a sentence's words not heard in place: (offset in the sentence, length, how many other
    words were heard between the heard words either side)."""
    runs = []
    k = 0
    while k < count:
        if first + k in match:
            k += 1
            continue
        end = k
        while end < count and first + end not in match:
            end += 1
        left = next((match[t] for t in range(first + k - 1, -1, -1) if t in match), -1)
        right = next((match[t] for t in range(first + end, tokens) if t in match), heard)
        runs.append((k, end - k, right - left - 1))
        k = end
    return runs


def _sentence_flag(
    e: ExpectedSentence,
    hits: list[bool],
    runs: list[tuple[int, int, int]],
    spans: list[tuple[int, int] | None],
    i: int,
    hearing: Hearing,
    flatness: list[float],
    moved: tuple[int, int] | None,
) -> Flag | None:
    rate = hearing.rate
    missing = tuple(w for w, hit in zip(e.known, hits) if not hit)

    def flag(kind: FlagKind, start: int, end: int, detail: str) -> Flag:
        return Flag(kind, start / rate, end / rate, e.number, e.paragraph, e.text, missing, detail)

    span = spans[i]
    if span is None:
        if not e.known:
            return None  # nothing in it the recogniser could hear (only names it does not know)
        if moved is not None:
            return flag("out of order", *moved, "heard at this time, not in its place")
        gap_start, gap_end = _slot(spans, i, hearing)
        silent = _sound_in(hearing, gap_start, gap_end) < _SILENT_GAP * rate
        if any(flatness[k] > _NOISY for k in _stretches_in(hearing, gap_start, gap_end)):
            return flag("noise", gap_start, gap_end, "noise where the sentence should be")
        if silent and all(s is None for s in spans[i + 1 :]):
            return flag("dropped", gap_start, gap_end, "the audio ends before it")
        if silent:
            return flag("silence", gap_start, gap_end, "silence where the sentence should be")
        return flag("dropped", gap_start, gap_end, "not heard; other sound in its place")
    noisy = [flatness[k] for k in _stretches_in(hearing, *span) if flatness[k] > _NOISY]
    if noisy:
        return flag("noise", *span, f"loud noise under the speech (flatness {max(noisy):.2f})")
    lost = len(missing)
    serious = [r for r in runs if r[1] >= _MISHEARD or (r[1] >= _RUN and r[2] < r[1] - 1)]
    if not serious and not (lost >= 2 and lost / len(hits) > _SHARE):
        return None
    start, run, _ = max(runs, key=lambda r: r[1])
    words = "word is" if run == 1 else f"{run} words are"
    if start + run == len(hits):
        return flag("cut short", *span, f"its last {words} not heard")
    if start == 0:
        return flag("cut short", *span, f"its first {words} not heard")
    return flag("garbled", *span, f"{lost} of {count(len(hits), 'word')} not heard")


def _slot(spans: list[tuple[int, int] | None], i: int, hearing: Hearing) -> tuple[int, int]:
    """Where sentence i should have been heard: after the last heard sentence before it, before the next."""
    before = next((s[1] for s in reversed(spans[:i]) if s is not None), 0)
    after = next((s[0] for s in spans[i + 1 :] if s is not None), hearing.total)
    return before, max(before, after)


def _stretches_in(hearing: Hearing, start: int, end: int) -> list[int]:
    return [k for k, s in enumerate(hearing.stretches) if s.start < end and s.end > start]


def _sound_in(hearing: Hearing, start: int, end: int) -> int:
    return sum(
        max(0, min(s.end, end) - max(s.start, start))
        for s in hearing.stretches
        if s.start < end and s.end > start
    )


def _unused_runs(heard: Sequence[HeardWord], used: set[int]) -> list[list[int]]:
    """Runs of consecutive heard words that the alignment did not place in any sentence."""
    runs: list[list[int]] = []
    current: list[int] = []
    for j in range(len(heard)):
        if j in used:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(j)
    if current:
        runs.append(current)
    return runs


def _best_sentence(expected: Sequence[ExpectedSentence], words: list[str]) -> tuple[int, int] | None:
    """The sentence whose known words the heard run says best: (index, words matched), if any."""
    best: tuple[int, int] | None = None
    for i, e in enumerate(expected):
        if len(e.known) < _MIN_RUN_MATCH:
            continue
        matcher = difflib.SequenceMatcher(None, list(e.known), words, autojunk=False)
        common = sum(b.size for b in matcher.get_matching_blocks())
        if common >= _MIN_RUN_MATCH and common >= 0.6 * len(e.known) and (best is None or common > best[1]):
            best = (i, common)
    return best


def _out_of_place(
    expected: Sequence[ExpectedSentence],
    heard: Sequence[HeardWord],
    used: set[int],
    spans: list[tuple[int, int] | None],
) -> dict[int, tuple[int, int]]:
    """Sentences not heard in their place but heard elsewhere (swapped or moved): index -> where."""
    found: dict[int, tuple[int, int]] = {}
    for run in _unused_runs(heard, used):
        best = _best_sentence(expected, [heard[j].text for j in run])
        if best is not None and spans[best[0]] is None:
            found.setdefault(best[0], (heard[run[0]].start, heard[run[-1]].end))
    return found


def _repeats_and_strays(
    expected: Sequence[ExpectedSentence],
    heard: Sequence[HeardWord],
    used: set[int],
    spans: list[tuple[int, int] | None],
    hearing: Hearing,
    moved: dict[int, tuple[int, int]],
) -> list[Flag]:
    """Heard words that belong to no sentence in their place: repeats of a sentence, or unexpected audio."""
    rate = hearing.rate
    flags: list[Flag] = []
    for run in _unused_runs(heard, used):
        start, end = heard[run[0]].start, heard[run[-1]].end
        words = [heard[j].text for j in run]
        best = _best_sentence(expected, words)
        if best is not None and best[0] in moved:
            continue
        if best is not None:
            e = expected[best[0]]
            flags.append(
                Flag(
                    "repeated", start / rate, end / rate, e.number, e.paragraph, e.text, (), "said again here"
                )
            )
        elif end - start >= _UNEXPECTED_SECONDS * rate:
            flags.append(
                Flag(
                    "unexpected", start / rate, end / rate, text=" ".join(words), detail="matches no sentence"
                )
            )
    # sound in which nothing at all was recognised, outside every heard sentence
    covered = [s for s in spans if s is not None]
    for stretch in hearing.stretches:
        if stretch.words or stretch.end - stretch.start < _UNEXPECTED_SECONDS * rate:
            continue
        if any(a < stretch.end and b > stretch.start for a, b in covered):
            continue
        flags.append(
            Flag(
                "unexpected",
                stretch.start / rate,
                stretch.end / rate,
                detail="sound with no recognisable words",
            )
        )
    return flags


def _flatness(samples: np.ndarray, size: int = 512) -> float:
    """Median spectral flatness of the louder 70 % of frames: near 0 for a voice, near 1 for white noise."""
    usable = samples.size - samples.size % size
    if usable == 0:
        return 0.0
    frames = samples[:usable].astype(np.float32).reshape(-1, size) * np.hanning(size).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-12
    flat = np.exp(np.mean(np.log(power), axis=1)) / np.mean(power, axis=1)
    energy = np.mean(power, axis=1)
    loud = energy > np.percentile(energy, 30)
    return float(np.median(flat[loud])) if loud.any() else 0.0


__all__ = [
    "RATE",
    "CheckReport",
    "Flag",
    "check_episode",
    "check_samples",
    "compare",
    "expected_sentences",
    "hear_episode",
]
