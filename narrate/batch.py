"""A folder of articles -> one episode each (MP3 + sidecars), a manifest for re-runs, and the feed."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from ._version import __version__
from .atomic import write_bytes_atomic, write_text_atomic
from .audio.synth import SynthesizerFactory, piper_synthesizer
from .errors import InputError, NarrateError, OutputError
from .profile import DEFAULT_PROFILE, Profile, load_profile
from .publish.feed import (
    FEED_NAME,
    FeedEpisode,
    build_feed,
    check_base_url,
    episode_guid,
    file_url,
    published_at,
)
from .publish.sidecars import write_sidecars
from .text.lexicon import Lexicon

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MANIFEST_NAME = ".narrate-manifest.json"
_LOCK_NAME = ".narrate-batch.lock"
_MANIFEST_VERSION = 1

State = Literal["queued", "working", "made", "unchanged", "failed"]
BatchProgress = Callable[[str, State, str], None]
"""Called as (article, state, detail) whenever an article changes state."""

_J = TypeVar("_J")
_R = TypeVar("_R")


# --- the self-contained job ----------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeJob:
    """Everything one episode needs, as plain picklable values: article + profile + settings -> files.

    A job reads only its own inputs and writes only its own files, so any executor (this machine's
    processes, later a Dask cluster on a shared folder) can run it anywhere, in any order.
    """

    source: str
    mp3: str
    profile: str | None = None
    lexicon: str | None = None
    voice: str | None = None
    speed: float | None = None
    threads: int = 0
    cache_dir: str | None = None  # None: the user cache; shared safely by concurrent jobs
    use_cache: bool = True
    synthesizer_factory: SynthesizerFactory = piper_synthesizer  # picklable: it travels with the job


@dataclass(frozen=True)
class EpisodeOutcome:
    """What a job made, or why it failed: only plain values, so it crosses process boundaries."""

    source: str
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
    files: dict[str, str] = field(default_factory=dict)


EpisodeProgress = Callable[[str, str, int, int], None]
"""Called as (article, stage, done, total) from inside an episode: the pipeline's progress, per article."""


def run_episode(job: EpisodeJob, progress: Callable[[str, int, int], None] | None = None) -> EpisodeOutcome:
    """Narrate one article into its MP3 and sidecars; never raises, so one bad article cannot stop a batch.

    progress: the pipeline's (stage, done, total) callback, for a caller in the same process.
    """
    from . import pipeline

    try:
        profile = load_profile(job.profile)
        lexicon = Lexicon.load(Path(job.lexicon)) if job.lexicon else None
        synth = job.synthesizer_factory(profile.voice.at(job.voice, job.speed), threads=job.threads)
        result = pipeline.narrate_article(
            job.source,
            output=job.mp3,
            profile=profile,
            lexicon=lexicon,
            synthesizer=synth,
            jobs=1,  # the batch runs episodes side by side; each one synthesises in its own process
            cache_dir=job.cache_dir,
            use_cache=job.use_cache,
            force=True,  # the manifest has already decided this episode must be made
            progress=progress,
        )
        sidecars = write_sidecars(result.path, result.cues, result.chapters, result.rate)
    except NarrateError as exc:
        return EpisodeOutcome(job.source, ok=False, error=str(exc))
    except Exception as exc:  # a bug or a library failure in one article must not sink the batch
        return EpisodeOutcome(job.source, ok=False, error=f"unexpected {type(exc).__name__}: {exc}")
    script = result.script
    return EpisodeOutcome(
        job.source,
        ok=True,
        title=script.title,
        description=pipeline.episode_tags(script, profile).comment,
        author=script.author,
        date=script.date.isoformat() if script.date else None,
        samples=result.total_samples,
        rate=result.rate,
        chapters=len(result.chapters),
        synthesised=result.synthesised,
        files={"mp3": result.path.name, **{kind: path.name for kind, path in sidecars.items()}},
    )


# --- executors -----------------------------------------------------------------------------------


class Executor(Protocol):
    """Runs jobs and yields (job, result) pairs as they finish, in any order.

    `started(job)` is called when a job is handed to a worker. A Dask-backed executor fits the same
    shape (client.submit + as_completed); jobs and results are plain picklable values.
    """

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]: ...


class InlineExecutor:
    """One job after another in this process: for tests, --jobs 1 and debugging."""

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]:
        for job in jobs:
            if started:
                started(job)
            yield job, fn(job)


class ProcessExecutor:
    """Up to `workers` jobs at once in worker processes; each builds its own voice session."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]:
        from .audio.workers import _context

        waiting = list(jobs)
        waiting.reverse()
        running: dict[Future[_R], _J] = {}
        # Hand out only as many jobs as there are workers, so `started` is true when it is called.
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=_context()) as pool:
            try:
                while waiting or running:
                    while waiting and len(running) < self.workers:
                        job = waiting.pop()
                        running[pool.submit(fn, job)] = job
                        if started:
                            started(job)
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield running.pop(future), future.result()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise


# --- the manifest: what made each file -----------------------------------------------------------


@dataclass
class Manifest:
    """DIR's record of every episode: source -> slug, GUID, input key and what was made."""

    folder: Path
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    base_url: str = ""

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST_NAME

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(folder)
        except (OSError, ValueError) as exc:
            raise OutputError(
                f"the batch manifest {path} is unreadable ({exc}): delete it and re-run with --force"
            ) from None
        if not isinstance(data, dict) or data.get("version") != _MANIFEST_VERSION:
            raise OutputError(
                f"the batch manifest {path} is from another narrate version: delete it and re-run"
            )
        return cls(folder, dict(data.get("episodes", {})), str(data.get("base_url", "")))

    def save(self) -> None:
        data = {
            "version": _MANIFEST_VERSION,
            "narrate": __version__,
            "base_url": self.base_url,
            "episodes": self.episodes,
        }
        write_text_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")

    def slugs_except(self, source: str) -> set[str]:
        return {str(r["slug"]) for s, r in self.episodes.items() if s != source and r.get("slug")}


@contextlib.contextmanager
def _batch_lock(folder: Path) -> Iterator[None]:
    """One batch at a time per output folder: two would race on the manifest and the file names."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no lock, as before
        yield
        return
    with open(folder / _LOCK_NAME, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"another narrate batch is writing to {folder}: wait for it, or use another -o"
            ) from None
        yield


# --- planning and running a batch ----------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeStatus:
    """One article's line in the batch summary."""

    source: str
    state: State
    message: str = ""
    mp3: Path | None = None
    seconds: float = 0.0
    chapters: int = 0


@dataclass(frozen=True)
class BatchReport:
    episodes: tuple[EpisodeStatus, ...]
    feed: Path | None
    base_url: str
    synthesised: int = 0

    @property
    def failed(self) -> tuple[EpisodeStatus, ...]:
        return tuple(e for e in self.episodes if e.state == "failed")

    @property
    def local_urls(self) -> bool:
        return self.base_url.startswith("file:")


def collect_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], list[EpisodeStatus]]:
    """Article files from files and folders (folders: their .txt/.md/.html files, recursively, sorted).

    A named path that does not exist is reported as a failed article rather than stopping the batch.
    """
    found: list[Path] = []
    missing: list[EpisodeStatus] = []
    seen: set[Path] = set()
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in ARTICLE_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.exists():
            candidates = [path]
        else:
            missing.append(EpisodeStatus(str(path), "failed", f"{path} not found: check the path"))
            continue
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(candidate)
    return found, missing


def run_batch(
    inputs: Sequence[str | Path],
    output_dir: str | Path = "output",
    *,
    profile: str | Path | None = None,
    lexicon: str | Path | None = None,
    voice: str | None = None,
    speed: float | None = None,
    jobs: int | None = None,
    base_url: str | None = None,
    force: bool = False,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    executor: Executor | None = None,
    progress: BatchProgress | None = None,
    synthesizer_factory: SynthesizerFactory = piper_synthesizer,
    episode_progress: EpisodeProgress | None = None,
) -> BatchReport:
    """Narrate every article in `inputs` into `output_dir`, skip unchanged ones, then write the feed.

    episode_progress: sentence-level progress inside each episode; the episodes then run one after
    another in this process (unless an executor is given, which must then run them in this process too).
    """
    from .audio.workers import available_cores

    report = progress or (lambda article, state, detail: None)
    folder = Path(output_dir)
    profile_path = str(Path(profile).resolve()) if profile else None
    lexicon_path = str(Path(lexicon).resolve()) if lexicon else None
    loaded = load_profile(profile_path)
    lexicon_obj = Lexicon.load(Path(lexicon_path)) if lexicon_path else None
    if base_url:
        try:
            check_base_url(base_url)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    files, statuses = collect_inputs(inputs)
    if not files and not statuses:
        raise InputError("no articles found: pass .txt, .md or .html files, or folders that hold them")
    # Everything that changes the audio apart from the article itself; checked once, before any work.
    settings_key = _settings_key(loaded, profile_path, lexicon_path, voice, speed, synthesizer_factory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder}: {exc.strerror or exc}") from None
    results: dict[str, EpisodeStatus] = {s.source: s for s in statuses}
    for status in statuses:
        report(status.source, "failed", status.message)
    synthesised = 0
    with _batch_lock(folder):
        manifest = Manifest.load(folder)
        planned = _plan(files, folder, manifest, loaded, lexicon_obj, settings_key, force, results, report)
        # slugs are claimed before any work, so an interrupted batch resumes with the same names
        manifest.save()
        workers = min(jobs or available_cores(), len(planned)) or 1
        threads = max(1, available_cores() // workers)
        cache = str(Path(cache_dir).resolve()) if cache_dir else None
        job_list = [
            EpisodeJob(
                str(p.path),
                str(folder / f"{p.slug}.mp3"),
                profile_path,
                lexicon_path,
                voice,
                speed,
                threads,
                cache,
                use_cache,
                synthesizer_factory,
            )
            for p in planned
        ]
        names = {str(p.path): p.name for p in planned}
        keys = {str(p.path): p.key for p in planned}
        for job in job_list:
            report(names[job.source], "queued", "")
        inline = workers == 1 or episode_progress is not None
        runner = executor or (InlineExecutor() if inline else ProcessExecutor(workers))
        run: Callable[[EpisodeJob], EpisodeOutcome] = run_episode
        if episode_progress is not None:
            tell = episode_progress

            def run(job: EpisodeJob) -> EpisodeOutcome:
                name = names[job.source]
                return run_episode(job, lambda stage, done, total: tell(name, stage, done, total))

        finished: set[str] = set()
        try:
            for job, outcome in runner.map(
                run, job_list, started=lambda j: report(names[j.source], "working", "")
            ):
                finished.add(job.source)
                name = names[job.source]
                status = _record(manifest, job, outcome, keys[job.source], name)
                manifest.save()
                synthesised += outcome.synthesised
                results[name] = status
                report(name, status.state, status.message)
        except NarrateError:
            raise
        except Exception as exc:  # a worker process died (out of memory, killed): keep what finished
            for job in job_list:
                if job.source not in finished:
                    name = names[job.source]
                    message = f"worker process failed ({type(exc).__name__}): re-run to resume"
                    results[name] = EpisodeStatus(name, "failed", message)
                    report(name, "failed", message)
        url = _choose_base_url(base_url, loaded, manifest, folder)
        if base_url:
            manifest.base_url = base_url
            manifest.save()
        feed = write_feed(folder, loaded, url, manifest)
    ordered = [results[k] for k in sorted(results, key=_natural)]
    return BatchReport(tuple(ordered), feed, url, synthesised)


SurveyState = Literal["new", "made", "changed", "failed"]


@dataclass(frozen=True)
class EpisodeSurvey:
    """An article's episode as the output folder holds it now (nothing read but bytes, nothing made).

    state: new (never made), made (up to date with the article and every setting), changed (made, but
    the article, profile, lexicon, voice or speed changed since, or a file is missing), failed (the last
    attempt failed; `error` says why). files: kind -> file name in the folder, for a made episode.
    """

    source: Path
    state: SurveyState
    title: str = ""
    error: str = ""
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    chapters: int = 0


def survey(
    inputs: Sequence[str | Path],
    output_dir: str | Path = "output",
    *,
    profile: str | Path | None = None,
    lexicon: str | Path | None = None,
    voice: str | None = None,
    speed: float | None = None,
    synthesizer_factory: SynthesizerFactory = piper_synthesizer,
) -> list[EpisodeSurvey]:
    """Each article's episode state in `output_dir`, decided as `run_batch` would decide to skip it."""
    folder = Path(output_dir)
    profile_path = str(Path(profile).resolve()) if profile else None
    lexicon_path = str(Path(lexicon).resolve()) if lexicon else None
    loaded = load_profile(profile_path)
    settings_key = _settings_key(loaded, profile_path, lexicon_path, voice, speed, synthesizer_factory)
    files, _ = collect_inputs(inputs)
    manifest = Manifest.load(folder) if (folder / MANIFEST_NAME).is_file() else Manifest(folder)
    found: list[EpisodeSurvey] = []
    for path in files:
        record = manifest.episodes.get(str(path.resolve()))
        try:
            data = path.read_bytes()
        except OSError as exc:
            found.append(EpisodeSurvey(path, "failed", error=f"{path} cannot be read: {exc.strerror or exc}"))
            continue
        if record is None:
            found.append(EpisodeSurvey(path, "new"))
            continue
        state: SurveyState = "new"
        if _unchanged(record, _input_key(settings_key, data), folder):
            state = "made"
        elif record.get("error"):
            state = "failed"
        elif record.get("status") == "done":
            state = "changed"
        rate = int(record.get("rate") or 0)
        found.append(
            EpisodeSurvey(
                path,
                state,
                title=str(record.get("title") or ""),
                error=str(record.get("error") or "") if state == "failed" else "",
                files={str(k): str(v) for k, v in (record.get("files") or {}).items()},
                seconds=int(record.get("samples") or 0) / rate if rate else 0.0,
                chapters=int(record.get("chapters") or 0),
            )
        )
    return found


def _input_key(settings_key: str, data: bytes) -> str:
    """An episode's input key: its article's bytes and every setting; equal key, equal episode."""
    return hashlib.sha256(settings_key.encode() + b"\0" + data).hexdigest()


@dataclass(frozen=True)
class _Planned:
    path: Path
    slug: str
    name: str  # as the user gave it, for the display
    key: str  # hash of the input bytes and every setting: equal key, equal episode


def _plan(
    files: Sequence[Path],
    folder: Path,
    manifest: Manifest,
    profile: Profile,
    lexicon: Lexicon | None,
    settings_key: str,
    force: bool,
    results: dict[str, EpisodeStatus],
    report: BatchProgress,
) -> list[_Planned]:
    """Read every article once: reject unreadable ones, claim unique slugs, and find the unchanged."""
    from .pipeline import load_article, slugify

    planned: list[_Planned] = []
    claimed: set[str] = set()
    for path in files:
        name = str(path)
        source = str(path.resolve())
        try:
            data = path.read_bytes()
            article = load_article(path, profile)
        except NarrateError as exc:
            results[name] = EpisodeStatus(name, "failed", str(exc))
            report(name, "failed", str(exc))
            continue
        except OSError as exc:
            message = f"{path} cannot be read: {exc.strerror or exc}"
            results[name] = EpisodeStatus(name, "failed", message)
            report(name, "failed", message)
            continue
        key = _input_key(settings_key, data)
        record = manifest.episodes.get(source)
        taken = manifest.slugs_except(source) | claimed
        slug = str(record["slug"]) if record and record.get("slug") not in claimed else None
        if slug is None:
            slug = _unique_slug(slugify(article.title), taken)
        claimed.add(slug)
        if record is None:
            record = manifest.episodes[source] = {
                "slug": slug,
                "guid": episode_guid(article.title, article.date, path.name, profile.podcast.publication),
                "status": "pending",
            }
        record["slug"] = slug
        if not force and _unchanged(record, key, folder):
            results[name] = _status_from_record(name, record, folder, "unchanged")
            report(name, "unchanged", "")
            continue
        planned.append(_Planned(path, slug, name, key))
    return planned


def _unique_slug(base: str, taken: set[str]) -> str:
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _unchanged(record: dict[str, Any], key: str, folder: Path) -> bool:
    if record.get("status") != "done" or record.get("key") != key:
        return False
    files = record.get("files") or {}
    return bool(files) and all((folder / str(name)).is_file() for name in files.values())


def _record(
    manifest: Manifest, job: EpisodeJob, outcome: EpisodeOutcome, key: str, name: str
) -> EpisodeStatus:
    source = str(Path(job.source).resolve())
    record = manifest.episodes.setdefault(source, {"slug": Path(job.mp3).stem, "status": "pending"})
    if not outcome.ok:
        # a previously made episode stays published; only its error is noted
        record["error"] = outcome.error
        if record.get("status") != "done":
            record["status"] = "failed"
        return EpisodeStatus(name, "failed", outcome.error)
    record.update(
        status="done",
        key=key,
        error="",
        title=outcome.title,
        description=outcome.description,
        author=outcome.author,
        date=outcome.date,
        samples=outcome.samples,
        rate=outcome.rate,
        chapters=outcome.chapters,
        files=outcome.files,
        made=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
    return _status_from_record(name, record, manifest.folder, "made")


def _status_from_record(name: str, record: dict[str, Any], folder: Path, state: State) -> EpisodeStatus:
    rate = int(record.get("rate") or 0)
    seconds = int(record.get("samples") or 0) / rate if rate else 0.0
    mp3 = (record.get("files") or {}).get("mp3")
    return EpisodeStatus(
        name, state, "", folder / mp3 if mp3 else None, seconds, int(record.get("chapters") or 0)
    )


def _settings_key(
    profile: Profile,
    profile_path: str | None,
    lexicon_path: str | None,
    voice: str | None,
    speed: float | None,
    synthesizer_factory: SynthesizerFactory,
) -> str:
    digest = hashlib.sha256()
    digest.update(f"narrate {__version__}\n".encode())
    if profile_path:
        digest.update(Path(profile_path).read_bytes())
    else:
        digest.update(resources.files("narrate").joinpath("profiles", f"{DEFAULT_PROFILE}.toml").read_bytes())
    if lexicon_path:
        digest.update(b"\0lexicon\0" + Path(lexicon_path).read_bytes())
    cover = profile.cover_path
    if cover is not None and cover.is_file():
        digest.update(b"\0cover\0" + cover.read_bytes())
    # the voice's identity hashes the model and its settings; building the synthesiser loads nothing
    identity = synthesizer_factory(profile.voice.at(voice, speed)).identity()
    digest.update(f"\0voice\0{identity}\0speed\0{speed or 1.0}".encode())
    return digest.hexdigest()


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key so 'day-2' comes before 'day-10'."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text))


# --- the feed ------------------------------------------------------------------------------------


def _choose_base_url(base_url: str | None, profile: Profile, manifest: Manifest, folder: Path) -> str:
    """--base-url, else the profile's, else the one last used for this folder, else the folder as file://."""
    chosen = base_url or profile.podcast.base_url or manifest.base_url
    if chosen:
        try:
            return check_base_url(chosen)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    return folder.resolve().as_uri() + "/"


def write_feed(folder: Path, profile: Profile, base_url: str, manifest: Manifest | None = None) -> Path:
    """Write DIR/feed.xml from the manifest and the files in DIR; nothing is synthesised."""
    manifest = manifest or Manifest.load(folder)
    episodes: list[FeedEpisode] = []
    for record in manifest.episodes.values():
        if record.get("status") != "done":
            continue
        files = dict(record.get("files") or {})
        mp3 = folder / str(files.get("mp3", ""))
        if not files.get("mp3") or not mp3.is_file():
            continue  # deleted by hand: it leaves the feed too
        present = {kind: str(n) for kind, n in files.items() if (folder / str(n)).is_file()}
        date = dt.date.fromisoformat(record["date"]) if record.get("date") else None
        made = (
            dt.datetime.fromisoformat(record["made"])
            if record.get("made")
            else dt.datetime.now(dt.timezone.utc)
        )
        rate = int(record.get("rate") or 0)
        episodes.append(
            FeedEpisode(
                guid=str(record["guid"]),
                title=str(record.get("title") or mp3.stem),
                mp3=mp3.name,
                length=mp3.stat().st_size,
                seconds=round(int(record.get("samples") or 0) / rate) if rate else 0,
                published=published_at(date, made),
                description=record.get("description"),
                author=record.get("author"),
                chapters=present.get("chapters"),
                vtt=present.get("vtt"),
                srt=present.get("srt"),
            )
        )
    xml = build_feed(episodes, profile.podcast, base_url, _artwork(folder, profile, base_url))
    return write_bytes_atomic(folder / FEED_NAME, xml)


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
    manifest = Manifest.load(folder)
    url = _choose_base_url(base_url, loaded, manifest, folder)
    if base_url:
        manifest.base_url = base_url
        manifest.save()
    path = write_feed(folder, loaded, url, manifest)
    count = sum(
        1
        for r in manifest.episodes.values()
        if r.get("status") == "done" and (folder / str((r.get("files") or {}).get("mp3", ""))).is_file()
    )
    return path, url, count


def _artwork(folder: Path, profile: Profile, base_url: str) -> str | None:
    """The artwork URL: the profile's artwork_url, else its cover copied beside the episodes."""
    if profile.podcast.artwork_url:
        return profile.podcast.artwork_url
    cover = profile.cover_path
    if cover is None:
        return None
    if not cover.is_file():
        raise OutputError(f"cover image {cover} not found: fix [podcast] cover in the profile")
    target = folder / f"cover{cover.suffix.lower()}"
    data = cover.read_bytes()
    if cover.resolve() != target.resolve() and (not target.is_file() or target.read_bytes() != data):
        write_bytes_atomic(target, data)
    return file_url(base_url, target.name)


__all__ = [
    "BatchReport",
    "EpisodeJob",
    "EpisodeOutcome",
    "EpisodeProgress",
    "EpisodeStatus",
    "EpisodeSurvey",
    "Executor",
    "InlineExecutor",
    "Manifest",
    "ProcessExecutor",
    "collect_inputs",
    "rebuild_feed",
    "run_batch",
    "run_episode",
    "survey",
    "write_feed",
]
