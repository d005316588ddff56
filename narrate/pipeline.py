"""The whole job: article file -> script -> sentence audio -> programme -> loudness -> MP3 with chapters."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import re
import time
import unicodedata
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ._version import __version__
from .audio.assemble import (
    ClipRef,
    ClipSpool,
    Item,
    Layout,
    layout_programme,
    place,
    render_items,
    seconds_to_samples,
    trim_silence,
)
from .audio.cache import SentenceCache
from .audio.encode import (
    ENCODER_GAIN_DB,
    KEY_DESC,
    MAX_CHAPTERS,
    RENDER_DESC,
    Mp3Format,
    Tags,
    encode_stream,
    id3_tag,
    previous_tags,
    read_cover,
)
from .audio.loudness import Dynamics, Kernel, LoudnessMeter, corrected, dynamics_at, metered, plan_dynamics
from .audio.loudness import prefetch as prefetch_scipy
from .audio.synth import Synthesizer, SynthesizerFactory, piper_synthesizer
from .audio.workers import SynthesisStats, default_jobs, synthesize_all
from .errors import EncodeError, InputError
from .models import Article, ChapterMark, Cue, Script
from .profile import Profile, load_profile
from .text.clean import clean_html, clean_text
from .text.ingest import Source, read_source
from .text.lexicon import Lexicon
from .text.script import build_script
from .text.structure import parse_markdown, parse_text

ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total); stages: 'synthesise', 'loudness', 'encode'."""

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@dataclass(frozen=True)
class NarrationResult:
    path: Path
    script: Script
    rate: int
    total_samples: int
    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue, ...]
    wall_seconds: float
    synthesised: int = 0
    extra: dict[str, object] = field(default_factory=dict)
    loudness_lufs: float | None = None  # measured on the final pass; None when the file was unchanged
    unchanged: bool = False  # the MP3 at the path was already made from exactly these inputs

    @property
    def seconds(self) -> float:
        return self.total_samples / self.rate


def article_from_source(source: Source, profile: Profile) -> Article:
    """Clean and structure decoded input according to its format."""
    if not source.text.strip():
        raise InputError(f"{source.name} has nothing to read: it is empty or whitespace")
    if source.format == "markdown":
        return parse_markdown(source.text, source.name)
    cleaned = (
        clean_html(source.text, profile.clean)
        if source.format == "html"
        else clean_text(source.text, profile.clean)
    )
    if not cleaned.blocks and not cleaned.title:
        raise InputError(
            f"{source.name} has nothing to read once page clutter is removed: check it is an article"
        )
    article = parse_text(cleaned.to_text(), source.name)
    if article.standfirst is None and cleaned.standfirst:
        article = Article(article.title, article.sections, article.author, article.date, cleaned.standfirst)
    return article


def load_article(path: str | Path, profile: Profile | None = None, stdin: BinaryIO | None = None) -> Article:
    """Read, clean and structure an article file ('-' for stdin)."""
    return article_from_source(read_source(path, stdin), profile or load_profile())


def load_script(
    path: str | Path,
    profile: Profile | None = None,
    lexicon: Lexicon | None = None,
    stdin: BinaryIO | None = None,
) -> Script:
    profile = profile or load_profile()
    return build_script(load_article(path, profile, stdin), profile, lexicon)


def slugify(title: str, limit: int = 80) -> str:
    """An ASCII file name stem for a headline: never empty, never a path, never a reserved name."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    slug = slug[:limit].rstrip("-") or "episode"
    return f"{slug}-episode" if slug in _RESERVED else slug


def narrate_article(
    path: str | Path,
    *,
    output: str | Path | None = None,
    output_dir: str | Path = "output",
    profile: Profile | None = None,
    voice: str | None = None,
    speed: float | None = None,
    lexicon: Lexicon | None = None,
    synthesizer: Synthesizer | None = None,
    synthesizer_factory: SynthesizerFactory = piper_synthesizer,
    progress: ProgressCallback | None = None,
    stdin: BinaryIO | None = None,
    jobs: int | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    force: bool = False,
) -> NarrationResult:
    """Narrate one article file into an MP3 with chapters; returns where it went and its timings.

    synthesizer: used as it is (default: `synthesizer_factory` builds one for the profile's voice settings
    with `voice` and `speed`). jobs: synthesis worker processes (default: the cores available; 1 when a
    synthesizer is passed in, which then runs in this process). Sentence audio is cached in cache_dir
    (default: the user cache) unless use_cache is False.
    """
    started = time.perf_counter()
    profile = profile or load_profile()
    script = load_script(path, profile, lexicon, stdin)
    target = Path(output) if output else Path(output_dir) / f"{slugify(script.title)}.mp3"
    synth = synthesizer or synthesizer_factory(profile.voice.at(voice, speed))
    if jobs is None:
        jobs = 1 if synthesizer is not None else default_jobs()
    cache = SentenceCache(Path(cache_dir) if cache_dir is not None else None) if use_cache else None
    return narrate_script(
        script, target, profile, synth, progress, started, cache=cache, jobs=jobs, force=force
    )


def narrate_script(
    script: Script,
    target: Path,
    profile: Profile,
    synth: Synthesizer,
    progress: ProgressCallback | None = None,
    started: float | None = None,
    *,
    cache: SentenceCache | None = None,
    jobs: int | None = 1,
    force: bool = False,
) -> NarrationResult:
    started = time.perf_counter() if started is None else started
    report = progress or (lambda stage, done, total: None)
    rate = synth.rate
    fmt = Mp3Format(profile.mp3.bitrate_kbps, profile.mp3.sample_rate)
    tags = dataclasses.replace(episode_tags(script, profile), key=episode_key(script, profile, synth, fmt))
    if tags.cover is not None:
        read_cover(tags.cover)  # a bad cover fails now, not after minutes of synthesis
    previous = {} if force else previous_tags(target)
    unchanged = previous.get(KEY_DESC) == tags.key
    context = render_context(profile, synth, fmt)
    # An edited article keeps the gain its previous render used (same voice, profile and format): the
    # final pass measures anyway, and only a miss pays for planning.
    reused = _previous_gain(previous.get(RENDER_DESC), context)
    n = len(script.sentences)
    chapters = sum(1 for c in script.chapters if any(p.sentences for p in c.paragraphs))
    if chapters > MAX_CHAPTERS:  # the ID3 tag is written last: refuse before any synthesis
        raise EncodeError(f"{chapters} chapters: an ID3 table of contents holds at most {MAX_CHAPTERS}")
    # Planning meters with scipy's filter, which takes about a second to import: import it while the
    # sentences are synthesised, once the workers have forked.
    ahead = prefetch_scipy if reused is None and not unchanged else None
    with ClipSpool() as spool, _Spooler(spool, script, synth, cache, jobs, report, ahead) as clips:
        if unchanged:
            layout = layout_programme(script, [clips.length(i) for i in range(n)], profile.pauses, rate)
            return _result(target, script, layout, started, clips.stats.synthesised, None, unchanged=True)
        fade = seconds_to_samples(profile.pauses.fade, rate)
        # aim the stream so that the MP3 (which LAME makes a fixed amount quieter) lands on target
        aim = dataclasses.replace(
            profile.loudness, integrated_lufs=profile.loudness.integrated_lufs - ENCODER_GAIN_DB
        )

        def plan(sentences: int) -> Dynamics:
            """Plan on the programme up to the end of its first `sentences` clips."""
            report("loudness", 0, 1)
            items = _prefix(place(script, clips.length, profile.pauses, rate), sentences)
            planned = plan_dynamics(lambda: render_items(items, spool.read, fade), rate, aim, kernel="scipy")
            report("loudness", 1, 1)
            return planned

        # The gain comes from the previous render (an edit), or is planned on the first third of the
        # sentences; the programme is then processed and encoded while the rest is synthesised. The
        # final pass is metered: a miss of more than 0.3 LU is planned on the whole programme and
        # encoded again.
        planned_on = 0 if reused is not None else _planning_prefix(n)
        dynamics = dynamics_at(reused, rate, aim) if reused is not None else plan(planned_on)
        kernel: Kernel = "numpy" if reused is not None else "scipy"  # scipy is loaded when we planned
        report("encode", 0, 1)
        for attempt in range(3):
            meter = LoudnessMeter(rate, kernel=kernel)
            placed: list[Layout] = []
            items = _collect(place(script, clips.length, profile.pauses, rate), placed)
            blocks = metered(render_items(items, spool.read, fade, dynamics.process), meter)
            final_tags = dataclasses.replace(tags, render=f"{context} {dynamics.gain_db!r}")
            path = encode_stream(
                blocks,
                rate,
                target,
                fmt,
                functools.partial(_tag_for, final_tags, placed, rate),
            )
            layout = placed[0]
            measured = meter.integrated()
            fix = corrected(dynamics, measured, aim)
            if fix is None or attempt == 2:
                break
            if planned_on < n:  # the gain came from part of the programme, or from its last version
                dynamics, planned_on = plan(n), n
            else:
                dynamics = fix
            kernel = "scipy"
        report("encode", 1, 1)
    return _result(path, script, layout, started, clips.stats.synthesised, measured + ENCODER_GAIN_DB)


def _tag_for(tags: Tags, placed: list[Layout], rate: int) -> bytes:
    return id3_tag(tags, placed[0].chapters, rate, placed[0].total_samples)


def _planning_prefix(sentences: int) -> int:
    # Measured on five articles (49 s to 7 min), a gain planned on the first third landed within 0.21 LU
    # of one planned on everything; on a tenth it missed by up to 1 LU (the intro weighs too much).
    return sentences if sentences <= 12 else -(-sentences // 3)


def _prefix(placing: Generator[Item, None, Layout], sentences: int) -> list[Item]:
    """The items of a placement up to the end of clip `sentences - 1` (everything if that is all)."""
    items: list[Item] = []
    for item in placing:
        items.append(item)
        if isinstance(item, ClipRef) and item.index == sentences - 1:
            break
    placing.close()
    return items


def _collect(placing: Generator[Item, None, Layout], into: list[Layout]) -> Iterator[Item]:
    """Yield a placement's items; once they are all out, its Layout is in `into`."""
    into.append((yield from placing))


def _previous_gain(render_tag: str | None, context: str) -> float | None:
    """The gain an earlier render in the same context used, from its narrate-render tag."""
    if not render_tag:
        return None
    made_in, _, gain = render_tag.partition(" ")
    try:
        value = float(gain)
    except ValueError:
        return None
    return value if made_in == context and math.isfinite(value) and abs(value) <= 60.0 else None


def render_context(profile: Profile, synth: Synthesizer, fmt: Mp3Format) -> str:
    """A hash of all but the words that shapes the audio: code, voice and settings, profile, format."""
    return _digest(_context_parts(profile, synth, fmt))[:32]


def _context_parts(profile: Profile, synth: Synthesizer, fmt: Mp3Format) -> tuple[str, ...]:
    return (f"{__version__}/{RENDER_VERSION}/{ENCODER_GAIN_DB}", synth.identity(), repr(profile), repr(fmt))


def _digest(parts: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()


# Bump when assembly, loudness or encoding changes the audio for the same inputs, so that MP3s made by
# the previous code are not taken as unchanged (the package version alone moves only at releases).
RENDER_VERSION = "3"


def episode_key(script: Script, profile: Profile, synth: Synthesizer, fmt: Mp3Format) -> str:
    """A hash of everything that makes the MP3: an identical re-run leaves the file as it is."""
    return _digest(
        (
            *_context_parts(profile, synth, fmt),
            json.dumps(script.to_dict()),
            script.standfirst or "",
            _file_digest(profile.cover_path),
        )
    )


def _file_digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


class _Spooler:
    """Sentence clips, trimmed, into the spool in order, synthesised only when first asked for."""

    def __init__(
        self,
        spool: ClipSpool,
        script: Script,
        synth: Synthesizer,
        cache: SentenceCache | None,
        jobs: int | None,
        report: ProgressCallback,
        forked: Callable[[], None] | None,
    ) -> None:
        self.spool = spool
        self.stats = SynthesisStats()
        self._rate = synth.rate
        self._clips = synthesize_all(
            [sentence.spoken for sentence in script.sentences],
            synth,
            cache=cache,
            jobs=jobs,
            stats=self.stats,
            progress=lambda done, total: report("synthesise", done, total),
            forked=forked,
        )

    def length(self, index: int) -> int:
        """Samples in clip `index`, synthesising (in order) up to it first if need be."""
        while len(self.spool) <= index:
            self.spool.append(trim_silence(next(self._clips), self._rate))
        return self.spool.length(index)

    def __enter__(self) -> _Spooler:
        return self

    def __exit__(self, *exc: object) -> None:
        # stops the workers (finishing the sentences in hand) if we leave before the last clip
        self._clips.close()


def _result(
    path: Path,
    script: Script,
    layout: Layout,
    started: float,
    synthesised: int,
    loudness: float | None,
    unchanged: bool = False,
) -> NarrationResult:
    return NarrationResult(
        path=path,
        script=script,
        rate=layout.rate,
        total_samples=layout.total_samples,
        chapters=layout.chapters,
        cues=layout.cues,
        wall_seconds=time.perf_counter() - started,
        synthesised=synthesised,
        loudness_lufs=loudness,
        unchanged=unchanged,
    )


def episode_tags(script: Script, profile: Profile) -> Tags:
    comment = script.standfirst
    if not comment:
        body = [c for c in script.chapters if c.kind == "body"]
        if body:
            first = body[0].paragraphs[1 if body[0].has_heading and len(body[0].paragraphs) > 1 else 0]
            comment = " ".join(s.text for s in first.sentences)
    return Tags(
        title=script.title,
        artist=script.author or profile.podcast.author or None,
        album=profile.podcast.name or None,
        date=script.date,
        genre=profile.podcast.genre or None,
        comment=comment,
        cover=profile.cover_path,
    )

