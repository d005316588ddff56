"""Clips and pauses to programme audio with chapter marks and cues, counted in whole samples."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models import ChapterMark, Cue, Script, Sentence, WordTime
from ..profile import Pauses
from .alignment import written_times

SILENCE_BLOCK = 1 << 15  # render long silences in bounded blocks, never as one big array


@dataclass(frozen=True)
class Silence:
    samples: int


@dataclass(frozen=True)
class ClipRef:
    index: int  # the sentence's position in script order
    samples: int


Item = Silence | ClipRef


@dataclass(frozen=True)
class Layout:
    """The programme as a timeline: clips and silences, with chapter marks and sentence cues."""

    rate: int
    items: tuple[Item, ...]
    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue, ...]

    @property
    def total_samples(self) -> int:
        return sum(item.samples for item in self.items)

    @property
    def seconds(self) -> float:
        return self.total_samples / self.rate


def seconds_to_samples(seconds: float, rate: int) -> int:
    return int(round(seconds * rate))


def layout_programme(
    script: Script,
    clip_lengths: Sequence[int],
    pauses: Pauses,
    rate: int,
    words_of: Callable[[int], Sequence[WordTime]] | None = None,
) -> Layout:
    """Place every sentence's clip with the profile's pauses; chapters start on their first clip sample."""
    if len(clip_lengths) != len(script.sentences):
        raise ValueError(f"{len(clip_lengths)} clips for {len(script.sentences)} sentences")
    placing = place(script, clip_lengths.__getitem__, pauses, rate, words_of)
    while True:
        try:
            next(placing)
        except StopIteration as done:
            layout: Layout = done.value
            return layout


def place(
    script: Script,
    length_of: Callable[[int], int],
    pauses: Pauses,
    rate: int,
    words_of: Callable[[int], Sequence[WordTime]] | None = None,
) -> Generator[Item, None, Layout]:
    """The programme's items one at a time, asking for each clip's length only when it is placed; the
    generator's return value is the whole Layout. This lets the programme be rendered and encoded while
    later sentences are still being synthesised.

    words_of: the spoken words' sample ranges in clip i; each cue then carries its written words, placed.
    """
    items: list[Item] = []
    marks: list[tuple[str, int]] = []
    cues: list[Cue] = []
    position = 0
    index = 0
    for step, value in _timeline(script, pauses):
        item: Item
        if step == "chapter":
            marks.append((str(value), position))
            continue
        if step == "pause":
            assert isinstance(value, float)
            n = seconds_to_samples(value, rate)
            if n <= 0:
                continue
            item = Silence(n)
        else:
            assert isinstance(value, Sentence)
            length = int(length_of(index))
            item = ClipRef(index, length)
            spoken = words_of(index) if words_of is not None else ()
            placed = tuple(
                WordTime(w.text, position + w.start, position + w.end)
                for w in written_times(value.text, spoken)
            )
            cues.append(Cue(value.text, position, position + length, placed))
            index += 1
        items.append(item)
        position += item.samples
        yield item
    ends = [start for _, start in marks[1:]] + [position]
    chapter_marks = tuple(ChapterMark(title, start, end) for (title, start), end in zip(marks, ends))
    return Layout(rate=rate, items=tuple(items), chapters=chapter_marks, cues=tuple(cues))


def collect_layout(placing: Generator[Item, None, Layout], into: list[Layout]) -> Iterator[Item]:
    """Yield a placement's items; once they are all out, its Layout is appended to `into`."""
    into.append((yield from placing))


def _timeline(script: Script, pauses: Pauses) -> Iterator[tuple[str, str | float | Sentence]]:
    """The programme's structure in order: ("chapter", title), ("pause", seconds), ("sentence", s)."""
    chapters = [c for c in script.chapters if any(p.sentences for p in c.paragraphs)]
    previous_kind: str | None = None
    for chapter in chapters:
        if previous_kind is not None:
            if previous_kind == "intro":
                yield "pause", pauses.after_intro
            elif chapter.kind == "outro":
                yield "pause", pauses.before_outro
            else:
                yield "pause", pauses.heading
        yield "chapter", chapter.title
        paragraphs = [p for p in chapter.paragraphs if p.sentences]
        for p_number, paragraph in enumerate(paragraphs):
            if p_number:
                heading_before = chapter.has_heading and p_number == 1
                yield "pause", pauses.after_heading if heading_before else pauses.paragraph
            for s_number, sentence in enumerate(paragraph.sentences):
                if s_number:
                    yield "pause", pauses.sentence
                yield "sentence", sentence
        previous_kind = chapter.kind
    # sentences of empty paragraphs do not exist, so every clip is placed exactly once
    yield "pause", pauses.tail


def trim_silence(
    samples: np.ndarray, rate: int, threshold_db: float = -50.0, keep: float = 0.03
) -> np.ndarray:
    """Cut the voice's leading and trailing near-silence, keeping a short margin, so pauses are exact."""
    start, end = trim_bounds(samples, rate, threshold_db, keep)
    return samples[start:end]


def trim_bounds(
    samples: np.ndarray, rate: int, threshold_db: float = -50.0, keep: float = 0.03
) -> tuple[int, int]:
    """Where trim_silence cuts: the first and end sample kept."""
    if samples.size == 0:
        return 0, 0
    threshold = 10 ** (threshold_db / 20)
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return 0, 0
    margin = int(rate * keep)
    return max(0, int(loud[0]) - margin), min(samples.size, int(loud[-1]) + 1 + margin)


def apply_fades(samples: np.ndarray, fade: int) -> np.ndarray:
    """Raised-cosine fade in and out over `fade` samples, so no join clicks."""
    n = min(fade, samples.size // 2)
    if n <= 0:
        return samples
    out = samples.astype(np.float32, copy=True)
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, endpoint=False))).astype(np.float32)
    out[:n] *= ramp
    out[-n:] *= ramp[::-1]
    return out


class ClipSpool:
    """Sentence clips on disk (float32), so the programme is never held in memory at once."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory, prefix="narrate-spool-")
        self._index: list[tuple[int, int]] = []
        self._end = 0

    def append(self, samples: np.ndarray) -> int:
        data = np.ascontiguousarray(samples, dtype=np.float32)
        self._file.seek(self._end)
        self._file.write(data.tobytes())
        self._index.append((self._end, data.size))
        self._end += data.size * 4
        return len(self._index) - 1

    def __len__(self) -> int:
        return len(self._index)

    def length(self, index: int) -> int:
        return self._index[index][1]

    def read(self, index: int) -> np.ndarray:
        offset, count = self._index[index]
        self._file.seek(offset)
        return np.frombuffer(self._file.read(count * 4), dtype=np.float32)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ClipSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_items(
    items: Iterable[Item],
    read_clip: Callable[[int], np.ndarray],
    fade: int,
    process: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Iterator[np.ndarray]:
    """The programme as float32 blocks in order: faded (and processed) clips and bounded silence blocks.

    Items come from a Layout, or from `place` while synthesis goes on.
    """
    for item in items:
        if isinstance(item, Silence):
            remaining = item.samples
            while remaining > 0:
                n = min(remaining, SILENCE_BLOCK)
                yield np.zeros(n, dtype=np.float32)
                remaining -= n
        else:
            clip = read_clip(item.index)
            if clip.size != item.samples:
                raise ValueError(f"clip {item.index} has {clip.size} samples, layout expects {item.samples}")
            clip = apply_fades(clip, fade)
            yield process(clip) if process is not None else clip
