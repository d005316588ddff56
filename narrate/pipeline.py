"""The whole job: article file -> script -> sentence clips -> programme -> loudness -> MP3 with chapters."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .atomic import ensure_folder, free_bytes
from .audio.assemble import (
    ClipRef,
    Item,
    Layout,
    collect_layout,
    layout_programme,
    place,
    render_items,
    seconds_to_samples,
)
from .audio.cache import CacheOptions, open_cache
from .audio.clips import ClipSource
from .audio.encode import ENCODER_GAIN_DB, encode_stream
from .audio.engine import default_jobs, session_threads
from .audio.id3 import MAX_CHAPTERS, Cover, Tags, id3_tag, previous_tags, read_cover, read_programme
from .audio.loudness import Dynamics, LoudnessMeter, corrected, dynamics_at, metered, plan_dynamics
from .audio.synth import Synthesizer, SynthesizerFactory, piper_synthesizer
from .errors import EncodeError, OutputError
from .models import ChapterMark, Cue, Script
from .profile import Profile, load_profile
from .recipe import Recipe, episode_recipe
from .text.article import article_from_source
from .text.lexicon import Lexicon
from .text.script import build_script
from .web.fetch import Fetcher
from .web.page import output_stem, read_input

if TYPE_CHECKING:
    from .verify.check import CheckReport

ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total); stages: 'synthesise', 'loudness', 'encode'."""
Checker = Callable[[Script, Path], "CheckReport"]
"""Hears an episode (the MP3 at the path) and compares it with its script: verify.check.check_episode."""

__all__ = [
    "Checker",
    "EpisodeTarget",
    "NarrationOptions",
    "NarrationResult",
    "ProgressCallback",
    "episode_tags",
    "load_script",
    "narrate_article",
    "narrate_script",
    "verify_and_heal",
]


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
    loudness_lufs: float | None = None  # measured on the final pass; None when the file was unchanged
    unchanged: bool = False  # the MP3 at the path was already made from exactly these inputs
    key: str = ""  # the recipe key the MP3 carries (see recipe.py)
    note: str | None = None  # why cues have no word timings (the voice could not report them), if so
    check: CheckReport | None = None  # what hearing the MP3 found (after the heal), when it was heard
    healed: tuple[int, ...] = ()  # sentences (1-based) heard wrong, evicted and synthesised again

    @property
    def seconds(self) -> float:
        return self.total_samples / self.rate


def load_script(
    path: str | Path,
    profile: Profile | None = None,
    lexicon: Lexicon | None = None,
    stdin: BinaryIO | None = None,
    *,
    fetcher: Fetcher | None = None,
) -> Script:
    """Read, clean and structure an article file ('-' for stdin) or web page (an http(s) URL, fetched with
    `fetcher`, default: the profile's [web] settings), then apply the speech rules."""
    profile = profile or load_profile()
    source = read_input(path, profile, stdin=stdin, fetcher=fetcher)
    return build_script(article_from_source(source, profile), profile, lexicon)


@dataclass(frozen=True)
class NarrationOptions:
    """How one article becomes an episode: built once by the CLI, the studio or a Python caller.

    profile: with the voice in effect (`Profile.with_voice`; None: the default profile). jobs: synthesis
    threads sharing the one loaded voice (None: the cores available; 1 when a synthesizer is passed in,
    which may not expect calls from several threads at once). check: hear the episode and heal it (see
    `verify_and_heal`). timings: whether the result needs sentence timings (cues) even when the MP3 is
    unchanged (see `narrate_script`).
    """

    output: str | Path | None = None  # the MP3; None: output_dir / <the article's name>.mp3
    output_dir: str | Path = "output"
    profile: Profile | None = None
    lexicon: Lexicon | None = None
    jobs: int | None = None
    cache: CacheOptions = field(default_factory=CacheOptions)
    force: bool = False  # make the MP3 again even if the one at the path was made from the same inputs
    check: Checker | None = None
    timings: bool = True


def narrate_article(
    path: str | Path,
    options: NarrationOptions | None = None,
    *,
    synthesizer: Synthesizer | None = None,
    synthesizer_factory: SynthesizerFactory = piper_synthesizer,
    progress: ProgressCallback | None = None,
    stdin: BinaryIO | None = None,
    fetcher: Fetcher | None = None,
    free_space: Callable[[Path], int] = free_bytes,
) -> NarrationResult:
    """Narrate one article file or web page (see `load_script`) into an MP3 with chapters; returns where
    it went and its timings.

    synthesizer: used as it is (default: `synthesizer_factory` builds one for the profile's voice
    settings). free_space: bytes free in a folder (see `narrate_script`).
    """
    started = time.perf_counter()
    options = options or NarrationOptions()
    profile = options.profile or load_profile()
    cover = read_cover(profile.cover_path) if profile.cover_path else None  # a bad cover fails first
    jobs = options.jobs
    if jobs is None:
        jobs = 1 if synthesizer is not None else default_jobs()
    synth = synthesizer or synthesizer_factory(profile.voice, threads=session_threads(jobs))
    cache = open_cache(options.cache, profile.cache.max_size)
    check = options.check
    with ClipSource(synth, cache, jobs=jobs, progress=_stage(progress, "synthesise")) as clips:
        script = load_script(
            path, profile, options.lexicon, stdin, fetcher=fetcher
        )  # while the voice is hashed
        stem = output_stem(path, script.title)
        target = Path(options.output) if options.output else Path(options.output_dir) / f"{stem}.mp3"
        episode = EpisodeTarget(target, {} if options.force else previous_tags(target), cover)
        result = narrate_script(
            script, episode, profile, clips, progress, started,
            free_space=free_space, timings=options.timings or check is not None,
        )  # fmt: skip
    if check is None:
        return result

    def clips_again() -> ClipSource:
        return ClipSource(synth, cache, jobs=jobs, progress=_stage(progress, "synthesise"))

    return verify_and_heal(result, profile, clips_again, check, cover=cover, progress=progress)


def verify_and_heal(
    result: NarrationResult,
    profile: Profile,
    clips_for: Callable[[], ClipSource],
    check: Checker,
    *,
    cover: Cover | None = None,
    progress: ProgressCallback | None = None,
) -> NarrationResult:
    """Hear the episode at `result.path`; heal what was heard wrong, once; return what the MP3 now is.

    The sentences flagged (or under a flagged stretch of audio) are evicted from the sentence cache and
    the episode is made again from `clips_for()`, every other sentence coming from the cache, then heard
    again. Sentences still flagged are evicted once more, so no later run reuses a clip heard wrong. The
    result carries the last hearing (`check`) and the sentences made again (`healed`, 1-based).
    """
    report = check(result.script, result.path)
    wrong = _heard_wrong(report, result)
    if report.ok or not wrong:
        return dataclasses.replace(result, check=report)
    with clips_for() as clips:
        _evict(clips, result.script, wrong)
        again = narrate_script(
            result.script, EpisodeTarget(result.path, cover=cover), profile, clips, progress
        )
    final = check(again.script, again.path)
    _evict(clips, again.script, _heard_wrong(final, again))
    return dataclasses.replace(
        again,
        check=final,
        healed=tuple(i + 1 for i in wrong),
        synthesised=result.synthesised + again.synthesised,
        wall_seconds=result.wall_seconds + again.wall_seconds,
    )


def _heard_wrong(report: CheckReport, result: NarrationResult) -> list[int]:
    """The sentences (0-based) a check flagged: by number, or for stray audio, the sentences it overlaps."""
    found: set[int] = set()
    count = len(result.script.sentences)
    for flag in report.flags:
        if flag.sentence is not None:
            found.add(flag.sentence - 1)
            continue
        start, end = flag.start * result.rate, flag.end * result.rate
        found.update(i for i, cue in enumerate(result.cues[:count]) if cue.start < end and cue.end > start)
    return sorted(i for i in found if 0 <= i < count)


def _evict(clips: ClipSource, script: Script, sentences: list[int]) -> None:
    if clips.cache is None or not sentences:
        return  # without a cache every sentence is synthesised again anyway
    clips.evict([script.sentences[i].spoken for i in sentences])


@dataclass(frozen=True)
class EpisodeTarget:
    """Where an episode's MP3 goes, what is there now, and the cover art it carries.

    previous: the narrate tags of the MP3 last made at `path` (see `audio.id3.previous_tags`; empty to
    make it afresh): the same recipe leaves it as it is; the same context lends its gain to an edit.
    """

    path: Path
    previous: Mapping[str, str] = field(default_factory=dict)
    cover: Cover | None = None


def narrate_script(
    script: Script,
    episode: EpisodeTarget,
    profile: Profile,
    clips: ClipSource,
    progress: ProgressCallback | None = None,
    started: float | None = None,
    *,
    free_space: Callable[[Path], int] = free_bytes,
    timings: bool = True,
) -> NarrationResult:
    """Render `script` with sentence audio from `clips` into an MP3 at `episode.path`.

    free_space: bytes free in a folder; a programme that would not fit fails before any synthesis.
    timings: an unchanged MP3 is recognised before any synthesis; without timings its result (length and
    chapters, no cues) is read from its tag, so no sentence is fetched at all; with them, every clip's
    length is fetched (from the cache, else the voice) to place the cues.
    """
    started = time.perf_counter() if started is None else started
    target, previous, cover = episode.path, episode.previous, episode.cover
    report = progress or _ignore
    recipe = episode_recipe(script, profile, clips.synth.identity(), cover)
    tags = dataclasses.replace(episode_tags(script, profile), cover=cover, key=recipe.key)
    chapters = sum(1 for c in script.chapters if any(p.sentences for p in c.paragraphs))
    if chapters > MAX_CHAPTERS:  # the ID3 tag is written last: refuse before any synthesis
        raise EncodeError(f"{chapters} chapters: an ID3 table of contents holds at most {MAX_CHAPTERS}")
    unchanged = recipe.unchanged(previous)
    reused = None if unchanged else recipe.reusable_gain(previous)
    ensure_folder(target.parent)
    if unchanged and not timings:
        known = read_programme(target, clips.rate)
        if known is not None:
            result = NarrationResult(target, script, clips.rate, known[0], known[1], (), 0.0, unchanged=True)
            wall = time.perf_counter() - started
            return dataclasses.replace(result, key=recipe.key, wall_seconds=wall)
    if not unchanged:
        _check_space(script, profile, clips.rate, target.parent, free_space)
    clips.start([s.spoken for s in script.sentences], spool_dir=target.parent)
    if unchanged:
        lengths = [clips.length(i) for i in range(len(script.sentences))]
        layout = layout_programme(script, lengths, profile.pauses, clips.rate, clips.words)
        result = _result(target, script, layout, started, clips.synthesised, None, recipe.key, unchanged=True)
        return dataclasses.replace(result, note=getattr(clips.synth, "note", None))
    path, layout, measured = _Render(script, profile, clips, report).encode(target, tags, recipe, reused)
    result = _result(path, script, layout, started, clips.synthesised, measured + ENCODER_GAIN_DB, recipe.key)
    return dataclasses.replace(result, note=getattr(clips.synth, "note", None))


# A generous reading pace (the bundled voice takes about 0.065 s a character at length_scale 1), so the
# space check errs on the side of asking for room.
_SECONDS_PER_CHAR = 0.08


def _check_space(
    script: Script, profile: Profile, rate: int, folder: Path, free_space: Callable[[Path], int]
) -> None:
    """Fail now, not hours in, when the spool (float32) and the MP3 (staged, then final) will not fit."""
    sentences = script.sentences
    chars = sum(len(s.spoken) for s in sentences)
    seconds = chars * _SECONDS_PER_CHAR * profile.voice.length_scale + 1.0 * len(sentences) + 60
    need = int(seconds * (4 * rate + 2 * profile.mp3.bitrate_kbps * 125) * 1.2)
    free = free_space(folder)
    if free < need:
        raise OutputError(
            f"{folder} has {free / 1e6:.0f} MB free but this programme (about {seconds / 60:.0f} min) needs "
            f"about {need / 1e6:.0f} MB while it is made: free some space or choose another output folder"
        )


class _Render:
    """The programme, processed and encoded: planned on part of it while the rest is synthesised."""

    def __init__(self, script: Script, profile: Profile, clips: ClipSource, report: ProgressCallback) -> None:
        self.script, self.profile, self.clips, self.report = script, profile, clips, report
        self.fade = seconds_to_samples(profile.pauses.fade, clips.rate)
        # aim the stream so that the MP3 (which LAME makes a fixed amount quieter) lands on target
        self.aim = dataclasses.replace(
            profile.loudness, integrated_lufs=profile.loudness.integrated_lufs - ENCODER_GAIN_DB
        )

    def _placing(self) -> Generator[Item, None, Layout]:
        return place(self.script, self.clips.length, self.profile.pauses, self.clips.rate, self.clips.words)

    def plan(self, sentences: int) -> Dynamics:
        """The gain planned on the programme up to the end of its first `sentences` clips."""
        self.report("loudness", 0, 1)
        items = _prefix(self._placing(), sentences)
        rate = self.clips.rate
        planned = plan_dynamics(
            lambda: render_items(items, self.clips.read, self.fade), rate, self.aim
        )
        self.report("loudness", 1, 1)
        return planned

    def encode(
        self, target: Path, tags: Tags, recipe: Recipe, reused: float | None
    ) -> tuple[Path, Layout, float]:
        """Encode with the reused gain, or one planned on the first third; re-plan on a metered miss."""
        n = len(self.script.sentences)
        planned_on = 0 if reused is not None else _planning_prefix(n)
        dynamics = (
            dynamics_at(reused, self.clips.rate, self.aim) if reused is not None else self.plan(planned_on)
        )
        self.report("encode", 0, 1)
        path: Path | None = None
        for attempt in range(3):
            meter = LoudnessMeter(self.clips.rate)
            placed: list[Layout] = []
            items = collect_layout(self._placing(), placed)
            blocks = metered(render_items(items, self.clips.read, self.fade, dynamics.process), meter)
            final = dataclasses.replace(tags, render=recipe.render_tag(dynamics.gain_db))
            # Only the encode that is kept is published, so only it carries the recipe key: a pass that
            # missed the target is dropped, and an interrupted corrective pass leaves no "unchanged" miss.
            kept = functools.partial(self._kept, dynamics, meter, last=attempt == 2)
            tag = functools.partial(_tag_if_kept, final, placed, kept)
            path = encode_stream(blocks, self.clips.rate, target, self.profile.mp3, tag)
            measured = meter.integrated()
            fix = corrected(dynamics, measured, self.aim)
            if fix is None or attempt == 2:
                break
            if planned_on < n:  # the gain came from part of the programme, or from its last version
                dynamics, planned_on = self.plan(n), n
            else:
                dynamics = fix
        self.report("encode", 1, 1)
        assert path is not None  # the last pass, or one on target, is always kept
        return path, placed[0], measured

    def _kept(self, dynamics: Dynamics, meter: LoudnessMeter, last: bool) -> bool:
        """Whether the pass just metered is kept: it landed on target, or it is the last one tried."""
        return last or corrected(dynamics, meter.integrated(), self.aim) is None


def _tag_if_kept(tags: Tags, placed: list[Layout], kept: Callable[[], bool]) -> bytes | None:
    if not kept():
        return None
    layout = placed[0]
    return id3_tag(tags, layout.chapters, layout.rate, layout.total_samples)


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


def _stage(progress: ProgressCallback | None, stage: str) -> Callable[[int, int], None] | None:
    return None if progress is None else functools.partial(progress, stage)


def _ignore(stage: str, done: int, total: int) -> None:
    pass


def _result(
    path: Path,
    script: Script,
    layout: Layout,
    started: float,
    synthesised: int,
    loudness: float | None,
    key: str,
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
        key=key,
    )


def episode_tags(script: Script, profile: Profile) -> Tags:
    """The ID3 text frames: headline, byline (or the podcast's author), podcast name, date, genre, summary."""
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
    )
