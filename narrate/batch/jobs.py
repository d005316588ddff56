"""One episode as a self-contained job: article bytes, profile and settings in; MP3 and sidecars out."""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import ensure_folder
from ..audio.cache import CacheOptions, open_cache, work_dir
from ..audio.clips import ClipSource
from ..audio.engine import SynthesisEngine
from ..audio.id3 import Cover
from ..audio.synth import SynthesizerFactory, piper_synthesizer
from ..errors import NarrateError, VoiceError
from ..models import Script
from ..pipeline import (
    Checker,
    EpisodeTarget,
    NarrationResult,
    ProgressCallback,
    episode_tags,
    narrate_script,
    verify_and_heal,
)
from ..profile import Profile
from ..publish.sidecars import write_sidecars

if TYPE_CHECKING:
    from ..verify.check import CheckReport


@dataclass(frozen=True)
class EpisodeJob:
    """Everything one episode needs, as plain picklable values: it reads no file and needs no shared folder.

    The script is the one the planner built and keyed (one place reads articles): a worker whose text
    packages differ still speaks exactly it, so the MP3 carries the key the next plan looks for.
    With `output_dir` the job writes its MP3 and sidecars there (this machine, or a folder every worker
    mounts); without it, it returns their bytes in the outcome and the caller writes them.
    """

    name: str  # the article as the user named it, for messages
    script: Script = field(repr=False)  # what will be spoken: the article, lexicon and speech rules applied
    slug: str  # the episode's file name stem in the output folder
    profile: Profile  # with --voice and --speed in effect
    cover: Cover | None = None
    previous: Mapping[str, str] = field(default_factory=dict)  # narrate tags of the MP3 now at the slug
    output_dir: str | None = None
    threads: int = 0  # ONNX intra-op threads of this job's voice session (0: onnxruntime's default)
    # the planner's, its limit decided; no directory: the user cache (shared safely by concurrent jobs)
    cache: CacheOptions = field(default_factory=CacheOptions)
    synthesizer_factory: SynthesizerFactory = piper_synthesizer
    # the voice identity the batch was planned with: a worker whose voice differs refuses the job
    voice_identity: str = ""
    checker: Checker | None = None  # hears the episode and heals it (see pipeline.verify_and_heal)


@dataclass(frozen=True)
class EpisodeOutcome:
    """What a job made, or why it failed: only plain values, so it crosses process and machine boundaries."""

    name: str
    ok: bool
    error: str = ""
    title: str = ""
    description: str | None = None
    author: str | None = None
    date: str | None = None
    samples: int = 0
    rate: int = 0
    chapters: int = 0
    synthesised: int = 0
    key: str = ""  # the recipe key written into the MP3
    check: CheckReport | None = None  # what hearing the episode found (after the heal), if it was heard
    healed: tuple[int, ...] = ()  # sentences heard wrong and synthesised again (1-based)
    files: dict[str, str] = field(default_factory=dict)  # kind ("mp3", "vtt", ...) -> file name
    data: dict[str, bytes] = field(default_factory=dict, repr=False)  # file name -> bytes, when returned


def run_episode(
    job: EpisodeJob,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    *,
    engine: SynthesisEngine | None = None,
) -> EpisodeOutcome:
    """Narrate one article into its MP3 and sidecars; never raises, so one bad article cannot stop a batch.

    progress: the pipeline's (stage, done, total) callback, for a caller in the same process.
    should_stop: asked between sentences; once true the job ends, reported as cancelled.
    engine: the synthesis engine this process's jobs share (a local batch, the studio); without one the
    job speaks on one synthesis thread of its own (a cluster's worker runs one job per thread).
    """
    try:
        return _narrate(job, progress, should_stop, engine)
    except NarrateError as exc:
        return EpisodeOutcome(job.name, ok=False, error=str(exc))
    except Exception as exc:  # a bug or a library failure in one article must not sink the batch
        return EpisodeOutcome(job.name, ok=False, error=f"unexpected {type(exc).__name__}: {exc}")


def _narrate(
    job: EpisodeJob,
    progress: ProgressCallback | None,
    should_stop: Callable[[], bool] | None,
    engine: SynthesisEngine | None,
) -> EpisodeOutcome:
    script = job.script
    synth = job.synthesizer_factory(job.profile.voice, threads=job.threads)
    if job.voice_identity and synth.identity() != job.voice_identity:
        # on a cluster: the recipe key was computed with the client's voice, this audio would not match it
        raise VoiceError(
            f"voice {job.profile.voice.name} differs here from the one the batch was planned with (its "
            "files, or whether it gives word timings): install the same voice files on every worker"
        )
    cache = open_cache(job.cache, job.profile.cache.max_size)
    with _folder(job.output_dir, job.cache.directory) as folder:
        synthesised = None if progress is None else functools.partial(progress, "synthesise")
        with ClipSource(
            synth, cache, jobs=1, progress=synthesised, should_stop=should_stop, engine=engine
        ) as clips:
            target = folder / f"{job.slug}.mp3"
            episode = EpisodeTarget(target, job.previous, job.cover)
            result = narrate_script(script, episode, job.profile, clips, progress)
        if job.checker is not None:
            again = functools.partial(
                ClipSource, synth, cache, jobs=1, progress=synthesised, should_stop=should_stop
            )
            result = verify_and_heal(
                result, job.profile, again, job.checker, cover=job.cover, progress=progress
            )
        sidecars = write_sidecars(result.path, result.cues, result.chapters, result.rate)
        files = {"mp3": result.path.name, **{kind: path.name for kind, path in sidecars.items()}}
        data = {} if job.output_dir else _read_back(folder, files.values())
    return _outcome(job, result, files, data)


@contextlib.contextmanager
def _folder(output_dir: str | None, cache_dir: str | Path | None) -> Iterator[Path]:
    """Where the job writes: the output folder, or (files sent back) a folder beside its sentence cache."""
    if output_dir is not None:
        yield Path(output_dir)
        return
    work = work_dir(cache_dir)
    ensure_folder(work)
    with tempfile.TemporaryDirectory(prefix="episode-", dir=work) as folder:
        yield Path(folder)


def _read_back(folder: Path, names: Iterable[str]) -> dict[str, bytes]:
    # an unchanged MP3 is not rewritten (the caller has it): only files made here are returned
    return {name: (folder / name).read_bytes() for name in names if (folder / name).is_file()}


def _outcome(
    job: EpisodeJob, result: NarrationResult, files: dict[str, str], data: dict[str, bytes]
) -> EpisodeOutcome:
    script = result.script
    return EpisodeOutcome(
        job.name,
        ok=True,
        title=script.title,
        description=episode_tags(script, job.profile).comment,
        author=script.author,
        date=script.date.isoformat() if script.date else None,
        samples=result.total_samples,
        rate=result.rate,
        chapters=len(result.chapters),
        synthesised=result.synthesised,
        key=result.key,
        check=result.check,
        healed=result.healed,
        files=files,
        data=data,
    )
