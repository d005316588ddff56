"""A folder of articles -> one episode each, recorded in DIR's manifest, then the feed."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._version import pip_install
from ..atomic import write_bytes_atomic
from ..audio.cache import CacheOptions
from ..audio.engine import SynthesisEngine, available_cores, session_threads
from ..audio.id3 import read_cover
from ..audio.synth import Synthesizer, SynthesizerFactory, piper_synthesizer
from ..errors import InputError, NarrateError, OutputError, Terminated
from ..pipeline import Checker
from ..profile import Profile, VoiceChoice, load_profile
from ..publish.feed import check_base_url, write_feed
from ..publish.lock import folder_lock
from ..publish.manifest import MANIFEST_NAME, EpisodeRecord, Manifest
from ..publish.unpublish import take_out
from ..text.lexicon import Lexicon
from ..verify.check import hear_episode
from ..verify.recognise import has_pocketsphinx, require_pocketsphinx
from ..web.fetch import Fetcher
from .executors import Executor, InlineExecutor, LostJob, ThreadExecutor
from .jobs import EpisodeJob, EpisodeOutcome, run_episode
from .memory import MadeWith

if TYPE_CHECKING:
    from ..verify.check import CheckReport
from .plan import ArticleFile, BatchSettings, Planned, collect_inputs, plan_batch
from .web import WebOptions, fetch_sources, split_inputs

State = Literal["queued", "working", "made", "unchanged", "flagged", "failed", "duplicate"]
BatchProgress = Callable[[str, State, str], None]
"""Called as (article, state, detail) whenever an article changes state."""
EpisodeProgress = Callable[[str, str, int, int], None]
"""Called as (article, stage, done, total) from inside an episode: the pipeline's progress, per article."""


@dataclass(frozen=True)
class EpisodeStatus:
    """One article's line in the batch summary."""

    source: str
    state: State
    message: str = ""
    mp3: Path | None = None
    seconds: float = 0.0
    chapters: int = 0
    check: CheckReport | None = None  # what hearing it found, when it was made and heard
    healed: tuple[int, ...] = ()  # sentences heard wrong and synthesised again (1-based)


@dataclass(frozen=True)
class BatchReport:
    episodes: tuple[EpisodeStatus, ...]
    feed: Path | None
    base_url: str
    synthesised: int = 0
    unverified: str = ""  # why the episodes were not heard, when they were not

    @property
    def failed(self) -> tuple[EpisodeStatus, ...]:
        return tuple(e for e in self.episodes if e.state == "failed")

    @property
    def flagged(self) -> tuple[EpisodeStatus, ...]:
        """Episodes made but still heard wrong after their heal, so kept out of the feed."""
        return tuple(e for e in self.episodes if e.state == "flagged")

    @property
    def local_urls(self) -> bool:
        return self.base_url.startswith("file:")


class BatchInterrupted(NarrateError):
    """Ctrl-C or SIGTERM during a batch; the message says what was made (and is in the feed) and what not."""

    def __init__(self, report: BatchReport, unfinished: Sequence[str], cause: BaseException) -> None:
        made = [e.mp3.name for e in report.episodes if e.state == "made" and e.mp3]
        listed = ", ".join(made[:5]) + (f" and {len(made) - 5} more" if len(made) > 5 else "")
        super().__init__(
            f"{'interrupted' if isinstance(cause, KeyboardInterrupt) else 'terminated'}: "
            f"{len(made)} episode{'s' if len(made) != 1 else ''} made{f' ({listed})' if made else ''} "
            f"and in the feed; {len(unfinished)} not finished: re-run the same command to resume"
        )
        self.report = report
        self.exit_code = 130 if isinstance(cause, KeyboardInterrupt) else 143


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs: built once by the CLI, the studio or a Python caller.

    profile and lexicon: files (None: the bundled profile, no lexicon); voice: --voice, --speed and
    --speaker over the profile's. jobs: synthesis threads of one engine and at most as many articles in
    flight (None: the cores available). check: hear each episode made with `checker` and heal it
    (`pipeline.verify_and_heal`); one still flagged stays out of the feed unless publish_flagged. None:
    when the check extra is installed and the voice speaks. web: which feed and list items are taken.
    """

    output_dir: str | Path = "output"
    profile: str | Path | None = None
    lexicon: str | Path | None = None
    voice: VoiceChoice = field(default_factory=VoiceChoice)
    jobs: int | None = None
    base_url: str | None = None  # where the episodes will be served: the feed is written with it
    force: bool = False  # make every episode again, changed or not
    cache: CacheOptions = field(default_factory=CacheOptions)
    check: bool | None = None
    publish_flagged: bool = False
    checker: Checker = hear_episode
    web: WebOptions = field(default_factory=WebOptions)


def run_batch(
    inputs: Sequence[str | Path],
    options: BatchOptions | None = None,
    *,
    executor: Executor | None = None,
    progress: BatchProgress | None = None,
    episode_progress: EpisodeProgress | None = None,
    synthesizer_factory: SynthesizerFactory = piper_synthesizer,
    fetcher: Fetcher | None = None,
    engine: SynthesisEngine | None = None,
) -> BatchReport:
    """Narrate every article in `inputs` (files, folders, feed URLs, URL lists: `batch.web`, fetched with
    `fetcher`) into `options.output_dir`, skip unchanged ones, then write the feed. The jobs share the
    caller's `engine`, else one made for this batch. episode_progress: sentence progress per episode
    (they then run one after another).
    """
    options = options or BatchOptions()
    report = progress or _ignore
    folder = Path(options.output_dir)
    loaded = load_profile(options.profile)
    if options.base_url:
        _checked_url(options.base_url)
    sources, files, missing = _gather(inputs)
    threads = engine.threads if engine is not None else max(1, options.jobs or available_cores())
    articles = max(1, min(threads, len(files) or (threads if sources else 1)))
    inline = articles == 1 or episode_progress is not None
    runner = executor or (InlineExecutor() if inline else ThreadExecutor(articles))
    settings = _settings(loaded, options, folder, threads, factory=synthesizer_factory, runner=runner)
    voice = synthesizer_factory(settings.profile.voice)
    hearer, unverified = _verifier(options.check, options.checker, voice)
    settings = dataclasses.replace(settings, checker=hearer)
    results = _prepare(folder, missing, report)
    with folder_lock(folder):
        manifest = Manifest.load(folder)
        if sources:
            gathered = fetch_sources(sources, manifest, options.web, loaded.web, report, fetcher)
            files = [*files, *gathered.files]
            results.update({name: EpisodeStatus(name, "failed", why) for name, why in gathered.failed})
        planned = plan_batch(files, manifest, settings)
        manifest.save()  # slugs and GUIDs are claimed before any work, so a resumed batch keeps them
        todo = _statuses(planned, manifest, results, report)
        try:
            with _engine_for(runner, engine, threads) as shared:
                synthesised = _run(runner, todo, manifest, results, report, episode_progress, options, shared)
        except (KeyboardInterrupt, Terminated) as stop:
            partial = _finish(folder, loaded, options.base_url, manifest, results, 0)
            unfinished = [p.file.name for p in todo if p.file.name not in results]
            raise BatchInterrupted(partial, unfinished, stop) from None
        return dataclasses.replace(
            _finish(folder, loaded, options.base_url, manifest, results, synthesised), unverified=unverified
        )


def _gather(inputs: Sequence[str | Path]) -> tuple[list[str], list[ArticleFile], list[str]]:
    """The web sources (feed URLs, URL lists), the article files, and the named paths that do not exist."""
    sources, local = split_inputs(inputs)
    files, missing = collect_inputs(local)
    if not files and not missing and not sources:
        raise InputError(
            "no articles found: pass .txt, .md, .html or .docx files, feed URLs, or folders that hold them"
        )
    return sources, files, missing


def _prepare(folder: Path, missing: list[str], report: BatchProgress) -> dict[str, EpisodeStatus]:
    """Make the output folder; the named paths that do not exist, each a failed article (reported)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder}: {exc.strerror or exc}") from None
    results = {name: EpisodeStatus(name, "failed", f"{name} not found: check the path") for name in missing}
    for status in results.values():
        report(status.source, "failed", status.message)
    return results


def _verifier(check: bool | None, checker: Checker, voice: Synthesizer) -> tuple[Checker | None, str]:
    """The checker the episodes are heard with (None: not heard), and why they are not, if so."""
    if check is False:
        return None, ""
    if check is None and not getattr(voice, "speaks", True):
        return None, "episodes are not verified: the voice makes tones, not speech (a test voice)"
    if check is None and not has_pocketsphinx():
        return None, f"episodes are not verified (the check extra hears them): {pip_install('check')}"
    require_pocketsphinx()
    return checker, ""


SurveyState = Literal["new", "made", "changed", "failed"]


@dataclass(frozen=True)
class EpisodeSurvey:
    """An article's episode as the output folder holds it now: decided as `run_batch` would, making nothing.

    state: new (never made), made (up to date with the article and every setting), changed (made, but
    the article, profile, lexicon or voice changed since, or a file is missing), failed (the article
    cannot be read, or the last attempt failed; `error` says why). files: kind -> file name in the folder.
    """

    path: Path
    name: str  # as the user gave it
    state: SurveyState
    title: str = ""
    error: str = ""
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    chapters: int = 0


def survey(
    inputs: Sequence[str | Path],
    options: BatchOptions | None = None,
    *,
    synthesizer_factory: SynthesizerFactory = piper_synthesizer,
) -> list[EpisodeSurvey]:
    """Each article's episode state in `options.output_dir`: the batch's own plan (of the options, the
    output folder, profile, lexicon and voice count), with nothing saved or made."""
    options = dataclasses.replace(options or BatchOptions(), force=False)
    folder = Path(options.output_dir)
    files, _ = collect_inputs(inputs)
    settings = _settings(load_profile(options.profile), options, folder, 1, factory=synthesizer_factory)
    manifest = Manifest.load(folder) if folder.is_dir() else Manifest(folder)
    found: list[EpisodeSurvey] = []
    for plan in plan_batch(files, manifest, settings):  # claims records in memory only: nothing is saved
        record = plan.record
        if record is None:
            found.append(EpisodeSurvey(plan.file.path, plan.file.name, "failed", error=plan.message))
            continue
        state: SurveyState = "new"
        error = record.error
        if plan.state == "unchanged":
            state = "made"
        elif record.held:  # made, but heard wrong after its heal: out of the feed until made again
            state, error = "failed", f"{record.flagged}: kept out of the feed"
        elif record.error:
            state = "failed"
        elif record.status == "done":
            state = "changed"
        found.append(
            EpisodeSurvey(
                plan.file.path,
                plan.file.name,
                state,
                title=record.title,
                error=error if state == "failed" else "",
                files=dict(record.files),
                seconds=record.seconds,
                chapters=record.chapters,
            )
        )
    return found


@contextlib.contextmanager
def _engine_for(
    runner: Executor, engine: SynthesisEngine | None, threads: int
) -> Iterator[SynthesisEngine | None]:
    """The engine the jobs share: the caller's, else one for this batch (closed after it); none when the
    jobs run elsewhere (a cluster's jobs each make their own)."""
    if not runner.local:
        yield None
    elif engine is not None:
        yield engine
    else:
        with SynthesisEngine(threads) as made:
            yield made


def _settings(
    loaded: Profile,
    options: BatchOptions,
    folder: Path,
    threads: int,
    factory: SynthesizerFactory,
    runner: Executor | None = None,
) -> BatchSettings:
    """What the episodes share, checked before any work: profile (the voice chosen here, once), lexicon,
    cover, voice, cache (its folder absolute, its limit decided).

    Jobs write into the folder when the runner's workers see it (local ones do); else they return files.
    """
    profile = loaded.with_voice(options.voice.voice, options.voice.speed, options.voice.speaker)
    lexicon, cache = options.lexicon, options.cache
    if cache.directory is not None:
        cache = dataclasses.replace(cache, directory=str(Path(cache.directory).resolve()))
    return BatchSettings(
        profile=profile,
        voice_identity=factory(profile.voice).identity(),  # hashes the voice file; loads nothing
        lexicon=dict(Lexicon.load(Path(lexicon)).entries) if lexicon else {},
        cover=read_cover(profile.cover_path) if profile.cover_path else None,
        force=options.force,
        output_dir=str(folder.resolve()) if runner is None or runner.in_place else None,  # any cwd
        threads=(runner.threads if runner else 0) or session_threads(threads),
        cache=cache.resolved(profile.cache.max_size),
        synthesizer_factory=factory,
    )


def _statuses(
    planned: list[Planned], manifest: Manifest, results: dict[str, EpisodeStatus], report: BatchProgress
) -> list[Planned]:
    """Report each article's plan; returns those with a job to run."""
    todo = []
    for plan in planned:
        name = plan.file.name
        if plan.state == "todo":
            todo.append(plan)
            report(name, "queued", "")
            continue
        if plan.state in ("unchanged", "duplicate") and plan.record is not None:
            results[name] = _status(name, plan.record, manifest.folder, plan.state, plan.message)
        else:
            results[name] = EpisodeStatus(name, "failed", plan.message)
        report(name, results[name].state, results[name].message)
    return todo


def _run(
    runner: Executor,
    todo: list[Planned],
    manifest: Manifest,
    results: dict[str, EpisodeStatus],
    report: BatchProgress,
    episode_progress: EpisodeProgress | None,
    options: BatchOptions,
    engine: SynthesisEngine | None = None,
) -> int:
    """Run the jobs; record each outcome in the manifest (saved at once) as it arrives, stamped with the
    settings it was made with."""
    made_with = MadeWith.of(options.profile, options.lexicon, options.voice.voice)
    records = {p.file.name: p.record for p in todo if p.record is not None}
    jobs = [p.job for p in todo if p.job is not None]
    synthesised = 0
    finished: set[str] = set()
    run: Callable[..., EpisodeOutcome] = run_episode
    if episode_progress is not None or engine is not None:
        tell = episode_progress

        def run(job: EpisodeJob, should_stop: Callable[[], bool] | None = None) -> EpisodeOutcome:
            told = None if tell is None else functools.partial(tell, job.name)
            return run_episode(job, told, should_stop, engine=engine)

    try:
        for job, result in runner.map(run, jobs, started=lambda j: report(j.name, "working", "")):
            finished.add(job.name)
            outcome = _as_outcome(job, result)
            results[job.name] = _record(manifest, records[job.name], job, outcome, options.publish_flagged)
            if results[job.name].state in ("made", "flagged"):
                made_with.stamp(records[job.name])
            manifest.save()
            synthesised += outcome.synthesised
            report(job.name, results[job.name].state, results[job.name].message)
    except NarrateError:
        raise
    except Exception as exc:  # the executor itself failed (a bug, a lost cluster): keep what finished
        message = f"the batch's runner failed ({type(exc).__name__}): re-run to resume"
        for job in jobs:
            if job.name not in finished:
                results[job.name] = EpisodeStatus(job.name, "failed", message)
                report(job.name, "failed", message)
    return synthesised


def _as_outcome(job: EpisodeJob, result: EpisodeOutcome | LostJob) -> EpisodeOutcome:
    # a job whose worker died has failed; the others go on
    return EpisodeOutcome(job.name, ok=False, error=result.reason) if isinstance(result, LostJob) else result


def _record(
    manifest: Manifest, record: EpisodeRecord, job: EpisodeJob, outcome: EpisodeOutcome, publish_flagged: bool
) -> EpisodeStatus:
    if not outcome.ok:
        return _failed(record, job, outcome.error)
    for name, data in outcome.data.items():  # files a job returned rather than wrote
        if not name.startswith(record.slug + ".") or "/" in name or "\\" in name:
            return EpisodeStatus(job.name, "failed", f"a worker returned a file not its own: {name[:60]!r}")
        write_bytes_atomic(manifest.folder / name, data)
    absent = [name for name in outcome.files.values() if not (manifest.folder / name).is_file()]
    if absent:  # written in place by a worker that does not see this folder
        return _failed(record, job, f"{absent[0]} is not in {manifest.folder}: its worker wrote it elsewhere "
                       "(--shared-output needs the folder at the same path on every worker)")  # fmt: skip
    record.status, record.key, record.error = "done", outcome.key, ""
    record.title, record.description, record.author = outcome.title, outcome.description, outcome.author
    record.date, record.samples, record.rate = outcome.date, outcome.samples, outcome.rate
    record.chapters, record.files = outcome.chapters, dict(outcome.files)
    record.made = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    heard = outcome.check
    record.flagged = _flagged(heard) if heard is not None and not heard.ok else ""
    record.held = bool(record.flagged) and not publish_flagged
    status = _status(job.name, record, manifest.folder, "flagged" if record.held else "made")
    message = f"{record.flagged}: kept out of the feed" if record.held else record.flagged
    return dataclasses.replace(status, message=message, check=heard, healed=outcome.healed)


def _flagged(report: CheckReport) -> str:
    """A flagged episode in one line, for the manifest and the summary."""
    first = report.flags[0]
    where = f"sentence {first.sentence} {first.kind}" if first.sentence else f"{first.kind} audio"
    more = f" and {len(report.flags) - 1} more" if len(report.flags) > 1 else ""
    return f"heard wrong after healing ({where}{more})"


def _failed(record: EpisodeRecord, job: EpisodeJob, error: str) -> EpisodeStatus:
    # a previously made episode stays published; only its error is noted
    record.error = error
    if record.status != "done":
        record.status = "failed"
    return EpisodeStatus(job.name, "failed", error)


def _status(name: str, record: EpisodeRecord, folder: Path, state: State, note: str = "") -> EpisodeStatus:
    mp3 = record.files.get("mp3")
    return EpisodeStatus(name, state, note, folder / mp3 if mp3 else None, record.seconds, record.chapters)


def _finish(
    folder: Path,
    profile: Profile,
    base_url: str | None,
    manifest: Manifest,
    results: dict[str, EpisodeStatus],
    synthesised: int,
) -> BatchReport:
    url = _choose_base_url(base_url, profile, manifest, folder)
    if base_url:
        manifest.base_url = base_url
    manifest.save()
    feed = write_feed(folder, profile, url, manifest)
    ordered = [results[k] for k in sorted(results, key=_natural)]
    return BatchReport(tuple(ordered), feed, url, synthesised)


def rebuild_feed(
    folder: str | Path, profile: str | Path | None = None, base_url: str | None = None
) -> tuple[Path, str, int]:
    """`narrate feed DIR`: the feed again from what DIR holds; returns (path, base URL, episodes)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder: pass the output folder of `narrate batch`")
    if not (folder / MANIFEST_NAME).is_file():
        raise InputError(
            f"{folder} has no {MANIFEST_NAME}: make its episodes with `narrate batch ARTICLES -o {folder}`"
        )
    loaded = load_profile(profile)
    with folder_lock(folder):
        manifest = Manifest.load(folder)
        url = _choose_base_url(base_url, loaded, manifest, folder)
        if base_url:
            manifest.base_url = base_url
            manifest.save()
        path = write_feed(folder, loaded, url, manifest)
    return path, url, sum(1 for _ in manifest.published())


def remove_episodes(
    folder: str | Path,
    slugs: Sequence[str],
    profile: str | Path | None = None,
    base_url: str | None = None,
) -> tuple[list[Path], Path]:
    """`narrate feed DIR --remove SLUG`: the episodes unpublished; returns the files removed and the feed.

    The manifest and feed drop them first, then their files go: a reader never meets a listed episode
    whose MP3 is gone. The article, if still in an input folder, is made again by the next batch.
    """
    folder = Path(folder)
    if not (folder / MANIFEST_NAME).is_file():
        raise InputError(f"{folder} has no {MANIFEST_NAME}: it is not an output folder of `narrate batch`")
    loaded = load_profile(profile)
    with folder_lock(folder):
        manifest = Manifest.load(folder)
        doomed = take_out(manifest, slugs)
        manifest.save()
        feed = write_feed(folder, loaded, _choose_base_url(base_url, loaded, manifest, folder), manifest)
        for path in doomed:
            path.unlink(missing_ok=True)
    return doomed, feed


def _choose_base_url(base_url: str | None, profile: Profile, manifest: Manifest, folder: Path) -> str:
    """--base-url, else the profile's, else the one last used for this folder, else the folder as file://."""
    chosen = base_url or profile.podcast.base_url or manifest.base_url
    return _checked_url(chosen) if chosen else folder.resolve().as_uri() + "/"


def _checked_url(url: str) -> str:
    try:
        return check_base_url(url)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key so 'day-2' comes before 'day-10'."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text))


def _ignore(article: str, state: State, detail: str) -> None:
    pass
