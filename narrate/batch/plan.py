"""Planning a batch: which article files, which episode each one is, and which must be made."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..audio.cache import CacheOptions
from ..audio.id3 import Cover, previous_tags
from ..audio.synth import SynthesizerFactory, piper_synthesizer
from ..errors import NarrateError
from ..models import Script
from ..pipeline import Checker
from ..profile import Profile
from ..publish.feed import episode_guid
from ..publish.manifest import EpisodeRecord, Manifest
from ..recipe import episode_recipe
from ..text.article import article_from_source
from ..text.ingest import source_from_bytes
from ..text.lexicon import Lexicon
from ..text.script import build_script
from ..text.slug import slugify
from .jobs import EpisodeJob

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx")


@dataclass(frozen=True)
class ArticleFile:
    """An input article: where it is, how the user named it, and its name within the folder given.

    A web article has its page's bytes in `data` (path: its file name, which hints at the format), the
    page's final URL, and the GUID and slug its identity and link give it.
    """

    path: Path
    name: str  # as the user gave it (for messages)
    source: str  # relative to the input folder it was found in, so a moved folder keeps it
    origin: int = 0  # which of the inputs given it came from (0: the first)
    data: bytes | None = field(default=None, repr=False)
    url: str | None = None  # a web page's address after redirects
    guid: str | None = None
    slug: str | None = None
    link: str = ""  # a web article's link as its feed or list gave it


@dataclass(frozen=True)
class BatchSettings:
    """What every episode of a batch shares, checked once before any work."""

    profile: Profile  # with --voice and --speed in effect
    voice_identity: str
    lexicon: Mapping[str, str] = field(default_factory=dict)
    cover: Cover | None = None
    force: bool = False
    output_dir: str | None = None  # where jobs write; None: they return their files' bytes
    threads: int = 0
    cache: CacheOptions = field(default_factory=CacheOptions)  # its directory absolute, its limit decided
    synthesizer_factory: SynthesizerFactory = piper_synthesizer
    checker: Checker | None = None  # hears each episode made and heals it; None: not verified


@dataclass(frozen=True)
class Planned:
    """One article's plan: a job to run, or why not (unchanged, or it cannot be read)."""

    file: ArticleFile
    state: Literal["todo", "unchanged", "failed", "duplicate"]
    message: str = ""  # why it failed; for a duplicate, which article it repeats
    record: EpisodeRecord | None = None
    job: EpisodeJob | None = None


def collect_inputs(inputs: Iterable[str | Path]) -> tuple[list[ArticleFile], list[str]]:
    """Article files from files and folders (folders: their .txt/.md/.html files, recursively, sorted).

    Returns the files and the named paths that do not exist (reported as failed, not stopping the batch).
    """
    found: list[ArticleFile] = []
    missing: list[str] = []
    seen: set[Path] = set()
    for origin, raw in enumerate(inputs):
        path = Path(raw)
        if path.is_dir():
            candidates = [
                (p, p.relative_to(path).as_posix())
                for p in sorted(path.rglob("*"))
                if p.suffix.lower() in ARTICLE_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
        elif path.exists():
            candidates = [(path, path.name)]
        else:
            missing.append(str(path))
            continue
        for candidate, source in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(ArticleFile(candidate, str(candidate), source, origin))
    return found, missing


def plan_batch(files: Iterable[ArticleFile], manifest: Manifest, settings: BatchSettings) -> list[Planned]:
    """Read every article once: claim each one's record (GUID, slug) and decide what must be made.

    The same article met twice (the same bytes, or the same headline from two of the inputs given)
    is one episode: the first met is planned, the other is a "duplicate" naming it.
    """
    claimed: set[str] = set()
    by_content: dict[str, Planned] = {}
    by_slug: dict[str, Planned] = {}  # the first plan met for each headline's slug
    plans = []
    for file in files:
        read = _read(file, manifest, settings, claimed)
        if isinstance(read, Planned):
            plans.append(read)
            continue
        data, script = read
        content, slug = hashlib.sha256(data).hexdigest(), file.slug or slugify(script.title)
        earlier = by_slug.get(slug)
        from_another_input = earlier is not None and earlier.file.origin != file.origin
        seen = by_content.get(content) or (earlier if from_another_input else None)
        if seen is not None:
            same = "the same article as" if content in by_content else "the same headline as"
            plans.append(Planned(file, "duplicate", f"{same} {seen.file.name}: one episode", seen.record))
            continue
        plan = _plan_one(file, data, script, manifest, settings, claimed)
        by_content[content] = plan
        by_slug.setdefault(slug, plan)
        plans.append(plan)
    return plans


def _read(
    file: ArticleFile, manifest: Manifest, settings: BatchSettings, claimed: set[str]
) -> tuple[bytes, Script] | Planned:
    """The article's bytes and script, or its failed plan."""
    profile = settings.profile
    try:
        data = file.data if file.data is not None else file.path.read_bytes()
        article = article_from_source(source_from_bytes(data, file.path.name, file.url), profile)
        script = build_script(article, profile, Lexicon(settings.lexicon) if settings.lexicon else None)
    except NarrateError as exc:
        if file.guid:  # a web article's failure is remembered with its URL
            note_failure(manifest, file, str(exc), claimed)
        return Planned(file, "failed", str(exc))
    except OSError as exc:
        return Planned(file, "failed", f"{file.name} cannot be read: {exc.strerror or exc}")
    return data, script


def _plan_one(
    file: ArticleFile,
    data: bytes,
    script: Script,
    manifest: Manifest,
    settings: BatchSettings,
    claimed: set[str],
) -> Planned:
    profile = settings.profile
    content = hashlib.sha256(data).hexdigest()
    guid = file.guid or episode_guid(script.title, script.date, file.path.name, profile.podcast.publication)
    record = _claim(manifest, file, content, guid, file.slug or slugify(script.title), claimed)
    record.source, record.content, record.url = file.source, content, file.link
    recipe = episode_recipe(script, profile, settings.voice_identity, settings.cover)
    mp3 = manifest.folder / f"{record.slug}.mp3"
    previous = {} if settings.force else previous_tags(mp3)
    files_present = bool(record.files) and all((manifest.folder / n).is_file() for n in record.files.values())
    # an episode held out of the feed (heard wrong) is made again: its bad clips were evicted
    if recipe.unchanged(previous) and record.status == "done" and files_present and not record.held:
        return Planned(file, "unchanged", record=record)
    job = EpisodeJob(
        name=file.name,
        script=script,  # the one the recipe key above was made from: workers never rebuild it
        slug=record.slug,
        profile=profile,
        cover=settings.cover,
        previous=previous,
        output_dir=settings.output_dir,
        threads=settings.threads,
        cache=settings.cache,
        synthesizer_factory=settings.synthesizer_factory,
        voice_identity=settings.voice_identity,
        checker=settings.checker,
    )
    return Planned(file, "todo", record=record, job=job)


def _claim(
    manifest: Manifest, file: ArticleFile, content: str, guid: str, slug: str, claimed: set[str]
) -> EpisodeRecord:
    """The article's record (found, or new with a unique GUID and slug), claimed for this batch.

    A web article is its item's identity first, then its link: the same story reached from a feed one
    night and from a URL list the next (or re-published under a new guid) is one episode.
    """
    record = None
    if file.link:
        free = [r for r in manifest.records if r.guid not in claimed]
        record = next((r for r in free if r.source == file.source), None)
        record = record or next((r for r in free if r.url == file.link), None)
    record = record or manifest.find(file.source, content, guid, claimed)
    if record is None:
        slug = _unique_slug(slug, manifest.slugs())
        record = EpisodeRecord(_unique(guid, manifest.guids()), slug, file.source)
        manifest.records.append(record)
    claimed.add(record.guid)
    return record


def note_failure(manifest: Manifest, file: ArticleFile, error: str, claimed: set[str]) -> EpisodeRecord:
    """A web article that could not be fetched or read: its record holds the error (and its URL); an
    episode made from it earlier stays published."""
    record = _claim(manifest, file, "", file.guid or "", file.slug or "episode", claimed)
    record.source, record.url, record.error = file.source, file.link, error
    if record.status != "done":
        record.status = "failed"
    return record


def _unique_slug(base: str, taken: set[str]) -> str:
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _unique(guid: str, taken: set[str]) -> str:
    """The GUID, or (for a second article that would share it) one derived from it: GUIDs never repeat."""
    candidate, number = guid, 1
    while candidate in taken:
        number += 1
        candidate = episode_guid(guid, None, str(number), "")
    return candidate
