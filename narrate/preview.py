"""Preview: a paragraph, chapter or typed line, narrated exactly as in the episode; played or saved as WAV."""

from __future__ import annotations

import dataclasses
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from .audio.assemble import Layout, apply_fades, collect_layout, place, render_items, seconds_to_samples
from .audio.clips import ClipSource
from .audio.loudness import plan_dynamics
from .audio.playback import Player, PlayerStream, play_file, write_wav
from .errors import InputError
from .models import Article, Chapter, NumberedParagraph, Paragraph, Script, Section

if TYPE_CHECKING:
    from .profile import Profile
    from .text.lexicon import Lexicon


@dataclass(frozen=True)
class Selection:
    """The part to preview as a script of its own, with how to name it."""

    script: Script
    label: str  # "paragraph 3 (chapter 2. Heading)"
    stem: str  # file-name part: "p3", "c2"


def select_part(
    script: Script, *, paragraph: int | None = None, chapter: int | None = None, find: str | None = None
) -> Selection:
    """The numbered paragraph, the numbered chapter, or the first paragraph containing `find`."""
    numbered = script.numbered_paragraphs()
    chapters = script.chapters
    if chapter is not None:
        if not 1 <= chapter <= len(chapters):
            raise InputError(
                f"there is no chapter {chapter}: this script has chapters 1-{len(chapters)} "
                "(see `narrate script ARTICLE`)"
            )
        c = chapters[chapter - 1]
        return Selection(
            _sub_script(script, c, c.paragraphs, c.has_heading),
            f"chapter {chapter}. {c.title}",
            f"c{chapter}",
        )
    if find is not None:
        needle = _fold(find)
        if not needle:
            raise InputError('--find needs some text to look for, e.g. --find "Ushakov"')
        for item in numbered:
            written = " ".join(s.text for s in item.paragraph.sentences)
            spoken = " ".join(s.spoken for s in item.paragraph.sentences)
            if needle in _fold(written) or needle in _fold(spoken):
                return _paragraph_selection(script, item)
        raise InputError(
            f"no paragraph contains {find!r}: check the spelling, or pick one with --paragraph "
            f"1-{len(numbered)} (see `narrate script ARTICLE`)"
        )
    if paragraph is None:
        raise InputError("say which part to preview: --paragraph N, --chapter N or --find TEXT")
    if not 1 <= paragraph <= len(numbered):
        raise InputError(
            f"there is no paragraph {paragraph}: this script has paragraphs 1-{len(numbered)} "
            "(see `narrate script ARTICLE`)"
        )
    return _paragraph_selection(script, numbered[paragraph - 1])


def _paragraph_selection(script: Script, item: NumberedParagraph) -> Selection:
    chapter = script.chapters[item.chapter - 1]
    label = f"paragraph {item.number} (chapter {item.chapter}. {chapter.title})"
    return Selection(_sub_script(script, chapter, (item.paragraph,), False), label, f"p{item.number}")


def _sub_script(script: Script, chapter: Chapter, paragraphs: Sequence[Paragraph], heading: bool) -> Script:
    part = Chapter(chapter.title, chapter.kind, tuple(paragraphs), has_heading=heading)
    return dataclasses.replace(script, chapters=(part,))


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().casefold()


def say_script(text: str, profile: Profile, lexicon: Lexicon | None = None) -> Script:
    """A typed line (blank lines part paragraphs) through the same speech rules as an article."""
    from .profile import Bookend
    from .text.script import build_script

    paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip())
    if not paragraphs:
        raise InputError('nothing to say: give the text in quotes, e.g. narrate say "Yuri Ushakov said no"')
    bare = dataclasses.replace(profile, intro=Bookend(), outro=Bookend())
    try:
        script = build_script(Article(paragraphs[0][:80], (Section(None, paragraphs),)), bare, lexicon)
    except InputError:
        script = None
    if script is None or not script.sentences:
        raise InputError(f"nothing speakable in {text.strip()[:60]!r}: give words to say")
    return script


_SPOKEN_TOKEN = re.compile(r"\[\[(.*?)\]\]|[^\s\[\]]+")
_EDGE_PUNCTUATION = re.compile(r"^[^\w']+|[^\w']+$")


@dataclass(frozen=True)
class SpokenWord:
    """One word as the voice gets it (a word, or a lexicon's "[[ phonemes ]]") and the phonemes it says."""

    spoken: str
    phonemes: str
    given: bool  # the phonemes were given (a lexicon entry or stressed respelling), not espeak's reading


def spoken_phonemes(script: Script, phonemize: Callable[[str], str]) -> list[SpokenWord]:
    """Every spoken word of the script with its phonemes: a "[[ ]]" block's own, else the voice's reading.

    `phonemize` is the voice's espeak phonemiser; each word is phonemised alone, as `narrate words` does.
    """
    found = []
    for sentence in script.sentences:
        for m in _SPOKEN_TOKEN.finditer(sentence.spoken):
            if m.group(1) is not None:
                found.append(SpokenWord(m.group(0), " ".join(m.group(1).split()), True))
                continue
            word = _EDGE_PUNCTUATION.sub("", m.group(0))
            if word:
                found.append(SpokenWord(word, phonemize(word).strip(), False))
    return found


@dataclass(frozen=True)
class PreviewResult:
    action: Literal["played", "wrote"]
    path: Path | None
    player: str | None
    seconds: float
    sentences: int
    synthesised: int
    cached: int
    first_sound: float | None  # seconds from `started` until the player had the first sentence


def preview_audio(
    script: Script,
    profile: Profile,
    source: ClipSource,
    *,
    output: Path | None = None,
    player: Player | None = None,
    started: float | None = None,
) -> PreviewResult:
    """Play `script` with `player` (sentence by sentence where it streams), or write it to `output` as WAV.

    The episode's own renderer (pauses, fades, gain, compressor and limiter); a streamed preview plans its
    gain on the first sentence alone, so sound starts as soon as that sentence is ready.
    """
    started = time.perf_counter() if started is None else started
    if (output is None) == (player is None):
        raise ValueError("give exactly one of output or player")
    if not script.sentences:
        raise InputError("the chosen part has nothing to speak: pick another with `narrate script ARTICLE`")
    source.start([s.spoken for s in script.sentences])
    rate = source.rate
    fade = seconds_to_samples(profile.pauses.fade, rate)
    placed: list[Layout] = []

    def blocks(process: Callable[[np.ndarray], np.ndarray] | None) -> Iterator[np.ndarray]:
        placed.clear()
        items = collect_layout(place(script, source.length, profile.pauses, rate), placed)
        return render_items(items, source.read, fade, process)

    first_sound = None
    if player is not None and player.streams:
        streamed = _streamed(script, profile, source, placed)
        stream = PlayerStream(player, rate)
        try:
            for block in streamed:
                stream.write(block)
                first_sound = first_sound or time.perf_counter() - started
            stream.finish()
        except BaseException:
            stream.abort()
            raise
        return _result("played", None, player.name, placed[0], script, source, first_sound)
    dynamics = plan_dynamics(lambda: blocks(None), rate, profile.loudness)
    if output is not None:
        path = write_wav(output, blocks(dynamics.process), rate)
        return _result("wrote", path, None, placed[0], script, source, None)
    assert player is not None
    with tempfile.TemporaryDirectory(prefix="narrate-preview-") as folder:
        wav = write_wav(Path(folder) / "preview.wav", blocks(dynamics.process), rate)
        first_sound = time.perf_counter() - started
        play_file(player, wav)
    return _result("played", None, player.name, placed[0], script, source, first_sound)


def stream_blocks(script: Script, profile: Profile, source: ClipSource) -> Iterator[np.ndarray]:
    """The part's audio as it is made, for a player or a web page: the first block with the first sentence.

    The episode's renderer with the gain planned on the first sentence alone, as a streamed preview plays
    it; the first sentence is fetched before this returns, so its failure is raised here.
    """
    if not script.sentences:
        raise InputError("the chosen part has nothing to speak: pick another with `narrate script ARTICLE`")
    source.start([s.spoken for s in script.sentences])
    return _streamed(script, profile, source, [])


def _streamed(
    script: Script, profile: Profile, source: ClipSource, placed: list[Layout]
) -> Iterator[np.ndarray]:
    rate = source.rate
    fade = seconds_to_samples(profile.pauses.fade, rate)
    first = apply_fades(source.read(0), fade)
    dynamics = plan_dynamics([first], rate, profile.loudness)
    items = collect_layout(place(script, source.length, profile.pauses, rate), placed)
    return render_items(items, source.read, fade, dynamics.process)


def _result(
    action: Literal["played", "wrote"],
    path: Path | None,
    player: str | None,
    layout: Layout,
    script: Script,
    source: ClipSource,
    first_sound: float | None,
) -> PreviewResult:
    return PreviewResult(action, path, player, layout.seconds, len(script.sentences), source.synthesised,
                         source.cached, first_sound)  # fmt: skip
