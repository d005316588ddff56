"""Preview: a paragraph, chapter or typed line, narrated exactly as in the episode; played or saved as WAV."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from .audio.assemble import ClipRef, Silence, apply_fades, layout_programme, seconds_to_samples, trim_silence
from .audio.playback import Player, PlayerStream, play_file, write_wav
from .errors import InputError
from .models import Article, Chapter, Paragraph, Script, Section

if TYPE_CHECKING:
    from .audio.cache import SentenceCache
    from .audio.loudness import Dynamics
    from .audio.synth import Synthesizer
    from .profile import Profile
    from .text.lexicon import Lexicon

_PLAN_MIN_SECONDS = 1.0  # BS.1770 needs 0.4 s blocks; a short first sentence is repeated up to this


@dataclass(frozen=True)
class NumberedParagraph:
    """A paragraph with the numbers `narrate script` shows: paragraphs count over the whole script."""

    number: int
    chapter: int
    paragraph: Paragraph


def numbered_paragraphs(script: Script) -> list[NumberedParagraph]:
    """Every paragraph with its number and its chapter's number (both from 1), intro and outro included."""
    out: list[NumberedParagraph] = []
    for c_number, chapter in enumerate(script.chapters, 1):
        for paragraph in chapter.paragraphs:
            out.append(NumberedParagraph(len(out) + 1, c_number, paragraph))
    return out


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
    numbered = numbered_paragraphs(script)
    chapters = script.chapters
    if chapter is not None:
        if not 1 <= chapter <= len(chapters):
            raise InputError(
                f"there is no chapter {chapter}: this script has chapters 1-{len(chapters)} "
                "(see `narrate script ARTICLE`)"
            )
        c = chapters[chapter - 1]
        return Selection(_sub_script(script, c, c.paragraphs, c.has_heading), f"chapter {chapter}. {c.title}",
                         f"c{chapter}")
    if find is not None:
        needle = _fold(find)
        if not needle:
            raise InputError("--find needs some text to look for, e.g. --find \"Ushakov\"")
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


class ClipSource:
    """Trimmed sentence clips from the sentence cache, else from the synthesiser.

    A thread starts at once and works out the cache key's voice identity (hashing the voice) while the
    text stages run. `expect` then says whether any sentence is missing from the cache: only then is the
    voice loaded, so a fully cached preview neither waits for the voice nor competes with it for the CPU.
    `close` waits for the thread (use the object as a context manager).
    """

    def __init__(self, synth: Synthesizer, cache: SentenceCache | None = None) -> None:
        self.synth = synth
        self.cache = cache
        self.synthesised = 0
        self.cached = 0
        self._identity = ""
        self._error: BaseException | None = None
        self._identified = threading.Event()
        self._decided = threading.Event()
        self._need_voice = True
        self._found: dict[str, np.ndarray] = {}  # read from the cache by `expect`, handed out by `clip`
        self._thread = threading.Thread(target=self._warm_up, name="narrate-voice-load", daemon=True)
        self._thread.start()

    def _warm_up(self) -> None:
        try:
            self._identity = self.synth.identity() if self.cache is not None else ""
        except BaseException as exc:  # re-raised on the main thread by the first clip() call
            self._error = exc
        finally:
            self._identified.set()
        self._decided.wait()
        if self._error is not None or not self._need_voice:
            return
        try:
            load = getattr(self.synth, "load", None)
            if callable(load):
                load()
        except BaseException as exc:
            self._error = exc

    def _decide(self, need_voice: bool) -> None:
        if not self._decided.is_set():
            self._need_voice = need_voice
            self._decided.set()

    @property
    def rate(self) -> int:
        return self.synth.rate

    def expect(self, spoken: Sequence[str]) -> int:
        """Say which sentences are coming; returns how many are missing from the cache (0: no voice load)."""
        if self.cache is None:
            self._decide(True)
            return len(spoken)
        self._identified.wait()
        if self._error is not None:
            self._decide(True)
            return len(spoken)
        missing = 0
        for text in spoken:
            samples = self.cache.get(self.cache.key(self._identity, text))
            if samples is None:
                missing += 1
            else:
                self._found[text] = samples
        self._decide(missing > 0)
        return missing

    def close(self) -> None:
        # An interpreter exiting while onnxruntime is still building a session on a thread aborts the
        # process, so an early error must wait for the load to finish.
        self._decide(False)
        self._thread.join()

    def __enter__(self) -> ClipSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clip(self, spoken: str) -> np.ndarray:
        self._identified.wait()
        if self._error is not None:
            raise self._error
        samples = None
        if self.cache is not None:
            key = self.cache.key(self._identity, spoken)
            samples = self._found.pop(spoken, None)
            if samples is None:
                samples = self.cache.get(key)
        if samples is None:
            self._decide(True)
            self._thread.join()  # the voice load
            if self._error is not None:
                raise self._error
            samples = self.synth.synthesize(spoken)
            self.synthesised += 1
            if self.cache is not None:
                self.cache.put(key, samples)
        else:
            self.cached += 1
        return trim_silence(samples, self.rate)


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
    """Play `script` with `player` (sentence by sentence where it streams), or write it to `output` as WAV."""
    started = time.perf_counter() if started is None else started
    if (output is None) == (player is None):
        raise ValueError("give exactly one of output or player")
    if player is not None and player.streams:
        blocks = stream_blocks(script, profile, source)
        stream = PlayerStream(player, source.rate)
        first_sound = None
        samples = 0
        try:
            for block in blocks:
                stream.write(block)
                samples += block.size
                if first_sound is None:
                    first_sound = time.perf_counter() - started
            stream.finish()
        except BaseException:
            stream.abort()
            raise
        return PreviewResult("played", None, player.name, samples / source.rate, len(script.sentences),
                             source.synthesised, source.cached, first_sound)

    sentences = script.sentences
    if not sentences:
        raise InputError("the chosen part has nothing to speak: pick another with `narrate script ARTICLE`")
    source.expect([s.spoken for s in sentences])
    rate = source.rate
    gaps, tail = _gaps(script, profile, rate)
    fade = seconds_to_samples(profile.pauses.fade, rate)
    total = sum(gaps) + tail
    clips = [apply_fades(source.clip(s.spoken), fade) for s in sentences]
    dynamics = _plan(list(_blocks(gaps, tail, clips, None)), profile, rate)
    total += sum(c.size for c in clips)
    if output is not None:
        path = write_wav(output, _blocks(gaps, tail, clips, dynamics.process), rate)
        return PreviewResult("wrote", path, None, total / rate, len(sentences), source.synthesised,
                             source.cached, None)
    assert player is not None
    import tempfile

    with tempfile.TemporaryDirectory(prefix="narrate-preview-") as folder:
        wav = write_wav(Path(folder) / "preview.wav", _blocks(gaps, tail, clips, dynamics.process), rate)
        first_sound = time.perf_counter() - started
        play_file(player, wav)
    return PreviewResult("played", None, player.name, total / rate, len(sentences), source.synthesised,
                         source.cached, first_sound)


def stream_blocks(script: Script, profile: Profile, source: ClipSource) -> Iterator[np.ndarray]:
    """The part's audio as it is made, for a player or a web page, starting on the first sentence.

    The first block is the first sentence (after any leading pause), with the gain, compressor and limiter
    planned on it alone; then each pause and sentence, then the tail: the same samples, pauses and order
    as the WAV `preview_audio` writes. Raises InputError at once when the part has nothing to speak.
    """
    sentences = script.sentences
    if not sentences:
        raise InputError("the chosen part has nothing to speak: pick another with `narrate script ARTICLE`")
    return _stream(script, profile, source)


def _stream(script: Script, profile: Profile, source: ClipSource) -> Iterator[np.ndarray]:
    sentences = script.sentences
    source.expect([s.spoken for s in sentences])
    rate = source.rate
    gaps, tail = _gaps(script, profile, rate)
    fade = seconds_to_samples(profile.pauses.fade, rate)
    first = apply_fades(source.clip(sentences[0].spoken), fade)
    dynamics = _plan([first], profile, rate)
    yield np.concatenate([np.zeros(gaps[0], np.float32), dynamics.process(first)])
    for gap, sentence in zip(gaps[1:], sentences[1:], strict=True):
        clip = apply_fades(source.clip(sentence.spoken), fade)
        yield np.concatenate([np.zeros(gap, np.float32), dynamics.process(clip)])
    if tail:
        yield np.zeros(tail, np.float32)


def _gaps(script: Script, profile: Profile, rate: int) -> tuple[list[int], int]:
    """Silence before each sentence and after the last, in samples, from the episode's own layout rules."""
    layout = layout_programme(script, [1] * len(script.sentences), profile.pauses, rate)
    gaps: list[int] = []
    pending = 0
    for item in layout.items:
        if isinstance(item, Silence):
            pending += item.samples
        elif isinstance(item, ClipRef):
            gaps.append(pending)
            pending = 0
    return gaps, pending


def _blocks(
    gaps: Sequence[int],
    tail: int,
    clips: Sequence[np.ndarray],
    process: Callable[[np.ndarray], np.ndarray] | None,
) -> Iterator[np.ndarray]:
    for gap, clip in zip(gaps, clips, strict=True):
        if gap:
            yield np.zeros(gap, np.float32)
        yield process(clip) if process is not None else clip
    if tail:
        yield np.zeros(tail, np.float32)


def _plan(blocks: list[np.ndarray], profile: Profile, rate: int) -> Dynamics:
    """The episode's gain, compressor and limiter, planned on what is at hand (a short clip is repeated)."""
    from .audio.loudness import plan_dynamics

    length = sum(b.size for b in blocks)
    if 0 < length < _PLAN_MIN_SECONDS * rate:
        blocks = blocks * -(-int(_PLAN_MIN_SECONDS * rate) // length)
    return plan_dynamics(blocks, rate, profile.loudness)
