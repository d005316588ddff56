"""The programme's timeline added up in the tests: clip lengths plus the profile's pauses, as documented."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from narrate.models import Script
from narrate.profile import Pauses


@dataclass(frozen=True)
class Timeline:
    cues: list[tuple[int, int]]  # (first sample, end sample) of each sentence, in script order
    chapter_starts: list[int]  # the first sample of each chapter's first sentence
    total: int  # samples in the whole programme, the tail included


def samples(seconds: float, rate: int) -> int:
    return round(seconds * rate)


def hand_timeline(script: Script, lengths: Sequence[int], pauses: Pauses, rate: int) -> Timeline:
    """Where every sentence must start, by the rules the profile documents ([pauses] in the README):

    `sentence` between sentences of a paragraph, `paragraph` between paragraphs, `after_heading` after a
    section's heading line, `after_intro` after the intro, `heading` before each later section,
    `before_outro` before the outro and `tail` at the very end. A chapter starts on its first clip sample.
    Written out here, not taken from narrate, so a wrong pause or an off-by-one in narrate shows.
    """
    assert all(c.paragraphs and all(p.sentences for p in c.paragraphs) for c in script.chapters)
    gaps: list[int] = []  # the silence before each sentence
    firsts: list[int] = []  # the sentence index that opens each chapter
    for number, chapter in enumerate(script.chapters):
        firsts.append(len(gaps))
        for p_number, paragraph in enumerate(chapter.paragraphs):
            for s_number, _ in enumerate(paragraph.sentences):
                if s_number:
                    gap = pauses.sentence
                elif p_number == 1 and chapter.has_heading:
                    gap = pauses.after_heading
                elif p_number:
                    gap = pauses.paragraph
                elif number == 0:
                    gap = 0.0
                elif script.chapters[number - 1].kind == "intro":
                    gap = pauses.after_intro
                elif chapter.kind == "outro":
                    gap = pauses.before_outro
                else:
                    gap = pauses.heading
                gaps.append(samples(gap, rate))
    assert len(gaps) == len(lengths)
    starts = np.cumsum(gaps) + np.concatenate([[0], np.cumsum(lengths)[:-1]])
    cues = [(int(s), int(s) + int(n)) for s, n in zip(starts, lengths)]
    return Timeline(cues, [cues[i][0] for i in firsts], cues[-1][1] + samples(pauses.tail, rate))
