"""Assembly: pauses, chapter marks and cues in whole samples; fades; the spool."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrate.audio.assemble import (
    ClipRef,
    ClipSpool,
    Silence,
    apply_fades,
    layout_programme,
    render_items,
    seconds_to_samples,
    trim_silence,
)
from narrate.models import Chapter, Paragraph, Script, Sentence
from narrate.profile import Pauses

RATE = 22050
PAUSES = Pauses(
    sentence=0.3,
    paragraph=0.7,
    heading=1.0,
    after_heading=0.5,
    after_intro=0.9,
    before_outro=1.1,
    tail=0.8,
    fade=0.01,
)


def _p(*texts: str) -> Paragraph:
    return Paragraph(tuple(Sentence(t, t) for t in texts))


def _script() -> Script:
    return Script(
        title="T",
        author=None,
        date=None,
        chapters=(
            Chapter("Intro", "intro", (_p("i1", "i2"),)),
            Chapter("T", "body", (_p("a", "b"), _p("c"))),
            Chapter("Heading", "body", (_p("Heading"), _p("d")), has_heading=True),
            Chapter("Outro", "outro", (_p("o1"),)),
        ),
    )


def test_layout_places_every_pause_exactly() -> None:
    lengths = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]
    layout = layout_programme(_script(), lengths, PAUSES, RATE)
    s = lambda sec: seconds_to_samples(sec, RATE)  # noqa: E731
    expected = [
        ClipRef(0, 1000),
        Silence(s(0.3)),
        ClipRef(1, 2000),
        Silence(s(0.9)),
        ClipRef(2, 3000),
        Silence(s(0.3)),
        ClipRef(3, 4000),
        Silence(s(0.7)),
        ClipRef(4, 5000),
        Silence(s(1.0)),
        ClipRef(5, 6000),
        Silence(s(0.5)),
        ClipRef(6, 7000),
        Silence(s(1.1)),
        ClipRef(7, 8000),
        Silence(s(0.8)),
    ]
    assert list(layout.items) == expected
    assert layout.total_samples == sum(lengths) + s(0.3) * 2 + s(0.9) + s(0.7) + s(1.0) + s(0.5) + s(1.1) + s(
        0.8
    )


def test_chapters_start_on_their_first_clip_sample() -> None:
    lengths = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]
    layout = layout_programme(_script(), lengths, PAUSES, RATE)
    starts = {c.title: c.start for c in layout.chapters}
    cue_starts = [c.start for c in layout.cues]
    assert starts["Intro"] == 0
    assert starts["T"] == cue_starts[2]
    assert starts["Heading"] == cue_starts[5]
    assert starts["Outro"] == cue_starts[7]
    # each chapter ends where the next begins; the last ends with the programme
    for a, b in zip(layout.chapters, layout.chapters[1:]):
        assert a.end == b.start
    assert layout.chapters[-1].end == layout.total_samples


def test_cues_match_rendered_audio() -> None:
    lengths = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]
    layout = layout_programme(_script(), lengths, PAUSES, RATE)
    clips = [np.full(n, 0.5, dtype=np.float32) for n in lengths]
    audio = np.concatenate(list(render_items(layout.items, clips.__getitem__, fade=0)))
    assert audio.size == layout.total_samples
    for cue, n in zip(layout.cues, lengths):
        assert np.all(audio[cue.start : cue.end] == 0.5)
        assert cue.end - cue.start == n
        assert cue.start == 0 or audio[cue.start - 1] == 0.0


def test_wrong_clip_count_is_refused() -> None:
    with pytest.raises(ValueError):
        layout_programme(_script(), [1, 2], PAUSES, RATE)


def test_fades_remove_clicks() -> None:
    clip = np.ones(1000, dtype=np.float32)
    faded = apply_fades(clip, 100)
    assert faded[0] == 0.0 and faded[-1] < 0.01
    assert np.all(np.diff(faded[:100]) >= 0)
    assert np.all(faded[100:-100] == 1.0)
    assert clip[0] == 1.0  # the input is not modified


def test_trim_keeps_a_margin() -> None:
    clip = np.zeros(RATE, dtype=np.float32)
    clip[5000:6000] = 0.5
    trimmed = trim_silence(clip, RATE, keep=0.01)
    margin = int(RATE * 0.01)
    assert trimmed.size == 1000 + 2 * margin
    assert trim_silence(np.zeros(100, dtype=np.float32), RATE).size == 0


def test_spool_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with ClipSpool(tmp_path) as spool:
        a = np.arange(10, dtype=np.float32)
        b = np.zeros(0, dtype=np.float32)
        c = np.linspace(-1, 1, 7).astype(np.float32)
        for clip in (a, b, c):
            spool.append(clip)
        assert len(spool) == 3
        assert np.array_equal(spool.read(2), c)
        assert spool.read(1).size == 0
        assert np.array_equal(spool.read(0), a)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 50_000), min_size=1, max_size=4), min_size=1, max_size=6),
    st.booleans(),
)
def test_marks_are_ordered_and_inside_the_programme(chapter_lengths: list[list[int]], heading: bool) -> None:
    chapters = []
    for number, lengths in enumerate(chapter_lengths):
        kind = "intro" if number == 0 else "body"
        chapters.append(Chapter(f"c{number}", kind, tuple(_p(str(n)) for n in lengths), has_heading=heading))
    script = Script("t", None, None, tuple(chapters))
    flat = [n for lengths in chapter_lengths for n in lengths]
    layout = layout_programme(script, flat, PAUSES, RATE)
    starts = [c.start for c in layout.chapters]
    assert starts == sorted(starts)
    assert starts[0] == 0
    assert all(0 <= c.start <= c.end <= layout.total_samples for c in layout.chapters)
    # where each chapter starts and how long the programme is, added up by hand for this shape
    s = lambda sec: round(sec * RATE)  # noqa: E731
    position, expected_starts = 0, []
    for number, lengths in enumerate(chapter_lengths):
        position += 0 if number == 0 else s(0.9) if number == 1 else s(1.0)  # after the intro, before others
        expected_starts.append(position)
        for p_number, n in enumerate(lengths):
            position += 0 if p_number == 0 else s(0.5) if p_number == 1 and heading else s(0.7)
            position += n
    total = position + s(0.8)
    assert starts == expected_starts
    assert layout.total_samples == total
    clips = [np.full(n, 0.5, dtype=np.float32) for n in flat]
    audio = np.concatenate([np.zeros(0, np.float32), *render_items(layout.items, clips.__getitem__, fade=0)])
    assert audio.size == total
