"""Frozen data passed between the pipeline's stages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

ChapterKind = Literal["intro", "body", "outro"]


@dataclass(frozen=True)
class Section:
    """A run of paragraphs under one heading (None for the lead, before the first heading)."""

    heading: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    """A written article: metadata and sections of paragraph text, before any speech rules."""

    title: str
    sections: tuple[Section, ...]
    author: str | None = None
    date: dt.date | None = None
    standfirst: str | None = None
    warnings: tuple[str, ...] = ()  # what could not be read as written (e.g. an unclosed code block)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(p for s in self.sections for p in s.paragraphs)


@dataclass(frozen=True)
class CleanedArticle:
    """A page with its clutter removed: metadata as found (or None) and the body's blocks, in order."""

    title: str | None
    author: str | None
    date: dt.date | None
    blocks: tuple[str, ...]
    standfirst: str | None = None

    def to_text(self) -> str:
        """Header lines, then the blocks: what `narrate clean` prints, itself a valid input."""
        header = []
        if self.title:
            header.append(f"Title: {self.title}")
        if self.author:
            header.append(f"Author: {self.author}")
        if self.date:
            header.append(f"Date: {self.date.isoformat()}")
        parts = []
        if header:
            parts.append("\n".join(header))
        parts.extend(self.blocks)
        return "\n\n".join(parts) + "\n" if parts else ""


@dataclass(frozen=True)
class Sentence:
    """One speakable unit: the words as written and what the voice will say."""

    text: str
    spoken: str


@dataclass(frozen=True)
class Paragraph:
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class NumberedParagraph:
    """A paragraph with its number in the script and its chapter's number (both from 1)."""

    number: int
    chapter: int
    paragraph: Paragraph


@dataclass(frozen=True)
class Chapter:
    """A chapter of the script; `has_heading` when its first paragraph is the spoken section heading."""

    title: str
    kind: ChapterKind
    paragraphs: tuple[Paragraph, ...]
    has_heading: bool = False


@dataclass(frozen=True)
class Script:
    """Exactly what will be spoken, chapter by chapter."""

    title: str
    author: str | None
    date: dt.date | None
    chapters: tuple[Chapter, ...]
    standfirst: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for c in self.chapters for p in c.paragraphs for s in p.sentences)

    def numbered_paragraphs(self) -> tuple[NumberedParagraph, ...]:
        """Every paragraph with the numbers `narrate script` shows: paragraphs count over the whole script
        (intro and outro included), chapters from 1; what preview selects by and check reports by."""
        out: list[NumberedParagraph] = []
        for c_number, chapter in enumerate(self.chapters, 1):
            for paragraph in chapter.paragraphs:
                out.append(NumberedParagraph(len(out) + 1, c_number, paragraph))
        return tuple(out)

    def to_dict(self) -> dict[str, object]:
        """The public JSON contract of `narrate script --json`."""
        return {
            "title": self.title,
            "author": self.author,
            "date": self.date.isoformat() if self.date else None,
            "chapters": [
                {
                    "title": c.title,
                    "kind": c.kind,
                    "paragraphs": [
                        {"sentences": [{"text": s.text, "spoken": s.spoken} for s in p.sentences]}
                        for p in c.paragraphs
                    ],
                }
                for c in self.chapters
            ],
        }


@dataclass(frozen=True)
class ChapterMark:
    """A chapter's title and its first and end sample in the programme."""

    title: str
    start: int
    end: int


@dataclass(frozen=True)
class WordTime:
    """A written word's position in samples: in its clip, or in the programme once placed in a Cue."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Said:
    """What a clip was asked to say and how: the text, the sample rate, the phonemes espeak gave the voice
    (None when the voice does not report them) and the voice's pace (1.0 normal; 2.0 twice as long)."""

    text: str
    rate: int
    phonemes: str | None = None
    pace: float = 1.0


@dataclass(frozen=True)
class Voiced:
    """A sentence as the voice made it: its samples, its spoken words' positions in them (empty when
    the voice cannot report word timings), and what it was asked to say (for the plausibility gate)."""

    samples: np.ndarray = field(repr=False)
    words: tuple[WordTime, ...] = ()
    said: Said | None = None


@dataclass(frozen=True)
class Cue:
    """One spoken sentence's position in the programme, in samples (for transcripts), with its written
    words' positions when the voice reported them (empty otherwise)."""

    text: str
    start: int
    end: int
    words: tuple[WordTime, ...] = ()
