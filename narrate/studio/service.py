"""The studio's state behind the HTTP edge: the folder, the loaded voice, the sentence cache, the lexicon."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from ..audio.cache import CacheOptions, open_cache
from ..audio.clips import ClipSource
from ..audio.engine import SynthesisEngine, default_jobs, session_threads
from ..audio.synth import Synthesizer, SynthesizerFactory, piper_synthesizer
from ..batch import ARTICLE_SUFFIXES, BatchOptions, EpisodeSurvey, collect_inputs, survey
from ..batch.memory import settle
from ..errors import InputError, NarrateError
from ..models import Script
from ..pipeline import load_script
from ..preview import Selection, say_script, select_part, spoken_phonemes, stream_blocks
from ..profile import Profile, VoiceChoice, VoiceSettings, load_profile
from ..project import PROJECT_NAME, Project, find_project
from ..publish.sidecars import read_chapters_json, read_transcript_json, read_vtt, sidecar_paths
from ..text.lexicon import Lexicon
from ..text.script import explain_sentences
from . import lexicon_file
from .folder import FolderSurvey
from .render import Renderer

LEXICON_NAME = "lexicon.toml"
OUTPUT_NAME = "output"
MAX_SAY_CHARS = 2000
_WARM_UP = "Ready."


class NotFound(NarrateError):
    """A path or name in a request that is not one of the studio's articles or files (HTTP 404)."""


@dataclass(frozen=True)
class StudioOptions:
    """What `narrate studio` was started with (paths as given; the studio resolves them)."""

    path: Path
    profile: Path | None = None
    lexicon: Path | None = None  # the file "save" writes to; default: lexicon.toml in the folder
    voice: str | None = None
    speed: float | None = None
    speaker: int | str | None = None
    cache: CacheOptions = field(default_factory=CacheOptions)
    output_dir: Path | None = None  # default: output/ in the folder


class Studio:
    """Everything the page can ask for, as plain values; the HTTP edge only translates."""

    def __init__(
        self, options: StudioOptions, synthesizer_factory: SynthesizerFactory = piper_synthesizer
    ) -> None:
        target = Path(options.path).resolve()
        if not target.exists():
            raise InputError(f"{options.path} not found: pass an article or a folder of articles")
        self.single = target if target.is_file() else None
        if self.single is not None and self.single.suffix.lower() not in ARTICLE_SUFFIXES:
            raise InputError(f"{options.path} is not an article: pass a .txt, .md, .html, .docx or a folder")
        self.root = target.parent if self.single is not None else target
        # what is not given comes from the folder's narrate.toml, as on the command line
        project = find_project(self.root) or Project(self.root / PROJECT_NAME)
        output = options.output_dir or project.output
        self.output = Path(output).resolve() if output else self.root / OUTPUT_NAME
        self.options = options
        # then what the output folder's episodes were made with; another profile must be asked for
        profile, lexicon = options.profile or project.profile, options.lexicon or project.lexicon
        settled = settle(
            self.output, str(profile) if profile else None, str(lexicon) if lexicon else None,
            options.voice or project.voice, explicit_profile=options.profile is not None,
        )  # fmt: skip
        self.voice_name = settled.voice
        self.profile_path = Path(settled.profile).resolve() if settled.profile else None
        choice = VoiceChoice(self.voice_name, options.speed, options.speaker)
        self.profile: Profile = load_profile(self.profile_path).with_voice(
            choice.voice, choice.speed, choice.speaker
        )
        # what every render and survey runs with (built once; the lexicon joins once its file exists)
        self.batch = BatchOptions(
            output_dir=self.output, profile=self.profile_path, voice=choice, jobs=1, cache=options.cache,
            check=False,  # the studio is where a listener hears it; its page has no "flagged" state yet
        )  # fmt: skip
        self.lexicon_path = Path(settled.lexicon).resolve() if settled.lexicon else self.root / LEXICON_NAME
        # One loaded voice and one set of synthesis threads for previews and renders alike: a preview
        # asked for during a render takes its turn with the render's sentences rather than waiting for it.
        self.engine = SynthesisEngine(default_jobs())
        self.voice = synthesizer_factory(self.profile.voice, threads=session_threads(self.engine.threads))
        self.cache = open_cache(options.cache, self.profile.cache.max_size)
        self._scripts: dict[Path, tuple[tuple[Any, ...], Script]] = {}
        self._words: dict[Path, tuple[tuple[Any, ...], list[dict[str, object]]]] = {}
        self._checks: dict[Path, tuple[int, list[dict[str, object]]]] = {}
        self._lexicon_lock = threading.Lock()
        self.renders = Renderer(self._run_batch)
        self.folder = FolderSurvey(self._survey_now, self.profile, self.output, self._survey_inputs)
        if self.lexicon_path.exists():
            self.lexicon()  # a broken lexicon file fails at start, with its one-line message

    # --- start-up ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Load the voice and speak one throwaway word, so the first preview does not pay for either."""
        load = getattr(self.voice, "load", None)
        if callable(load):
            load()
        for _ in self.engine.clips([_WARM_UP], self.voice):
            pass

    def close(self) -> None:
        """Stop the synthesis threads (after the sentences in hand)."""
        self.engine.close()

    # --- articles and paths -----------------------------------------------------------------------

    def article(self, name: object) -> Path:
        """The article file for a path relative to the folder; anything else (../, absolute) is NotFound."""
        if not isinstance(name, str) or not name or "\\" in name or "\x00" in name or len(name) > 1000:
            raise NotFound("no such article in this folder")
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or any(part.startswith(".") for part in rel.parts):
            raise NotFound(f"no article {name!r} in this folder")
        path = (self.root / rel).resolve()
        allowed = path == self.single if self.single is not None else self._inside(path)
        if not allowed or path.suffix.lower() not in ARTICLE_SUFFIXES or not path.is_file():
            raise NotFound(f"no article {name!r} in this folder")
        return path

    def _inside(self, path: Path) -> bool:
        return path.is_relative_to(self.root) and not path.is_relative_to(self.output)

    def name(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def article_paths(self) -> list[Path]:
        if self.single is not None:
            return [self.single]
        found, _ = collect_inputs([self.root])
        return [f.path.resolve() for f in found if self._inside(f.path.resolve())]

    def articles(self) -> dict[str, Any]:
        """The folder view: every article with its headline, byline, date and episode's state, and the
        feed when there is one."""
        rows = [self._survey_row(s) for s in self._survey(self.article_paths())]
        feed = self.output / "feed.xml"
        return {
            "folder": self.root.name,
            "single": self.single is not None,
            "articles": rows,
            "feed": "/files/feed.xml" if feed.is_file() else None,
            "lexicon": self._lexicon_name(),
        }

    def _survey(self, paths: list[Path]) -> list[EpisodeSurvey]:
        return self.folder.states(paths)

    def _survey_inputs(self) -> list[Path]:
        """The files besides the articles whose content changes what an episode is."""
        found = [self.lexicon_path]
        if self.profile_path is not None:
            found.append(self.profile_path)
        cover = self.profile.cover_path
        return found + ([cover] if cover is not None else [])

    def _batch_options(self) -> BatchOptions:
        """The batch options renders and the folder survey share; the lexicon once its file exists."""
        lexicon = self.lexicon_path if self.lexicon_path.is_file() else None
        return dataclasses.replace(self.batch, lexicon=lexicon)

    def _survey_now(self, paths: list[Path]) -> list[EpisodeSurvey]:
        return survey(paths, self._batch_options(), synthesizer_factory=self.shared_factory)

    def _survey_row(self, found: EpisodeSurvey) -> dict[str, Any]:
        headline = self.folder.headline(found.path)
        return {
            "path": self.name(found.path),
            "title": headline.title if headline is not None else found.title,
            "author": headline.author if headline is not None else None,
            "date": headline.date if headline is not None else None,
            "state": found.state,
            "error": found.error or None,
            "seconds": round(found.seconds, 3),
            "chapters": found.chapters,
            "mp3": f"/files/{found.files['mp3']}" if "mp3" in found.files else None,
        }

    def shared_factory(self, settings: VoiceSettings, threads: int = 0) -> Synthesizer:
        """A SynthesizerFactory that hands out the loaded voice (built for these very settings)."""
        return self.voice

    # --- the script -------------------------------------------------------------------------------

    def lexicon(self) -> Lexicon | None:
        """The lexicon file in use, when it exists (the profile's [lexicon] applies under it)."""
        return Lexicon.load(self.lexicon_path) if self.lexicon_path.is_file() else None

    def script(self, name: object) -> Script:
        path = self.article(name)
        stamp = (_stamp(path), _stamp(self.lexicon_path))
        cached = self._scripts.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        script = load_script(path, self.profile, self.lexicon())
        self._scripts[path] = (stamp, script)
        return script

    def script_json(self, name: object) -> dict[str, Any]:
        """The script as `narrate script` numbers it, with the lexicon's substitutions and the speech
        rules' rewrites (as `narrate script --explain` shows them) in each sentence."""
        script = self.script(name)
        rewrites = iter(explain_sentences(script, self.profile, self.lexicon()))
        merged = Lexicon(self.profile.lexicon)
        file_lexicon = self.lexicon()
        if file_lexicon is not None:
            merged = merged.merged(file_lexicon)
        chapters: list[dict[str, Any]] = []
        for item in script.numbered_paragraphs():
            chapter = script.chapters[item.chapter - 1]
            if len(chapters) < item.chapter:
                chapters.append(
                    {"number": item.chapter, "title": chapter.title, "kind": chapter.kind, "paragraphs": []}
                )
            heading = chapter.has_heading and item.paragraph is chapter.paragraphs[0]
            sentences = [
                {
                    "text": s.text,
                    "spoken": s.spoken,
                    "lexicon": [{"written": w, "spoken": sp} for w, sp in merged.matches(s.text)],
                    "rewrites": [r.to_dict() for r in next(rewrites)],
                }
                for s in item.paragraph.sentences
            ]
            chapters[-1]["paragraphs"].append(
                {"number": item.number, "heading": heading, "sentences": sentences}
            )
        return {
            "path": self.name(self.article(name)),
            "title": script.title,
            "author": script.author,
            "date": script.date.isoformat() if script.date else None,
            "warnings": list(script.warnings),
            "chapters": chapters,
        }

    # --- hearing a part ---------------------------------------------------------------------------

    def part(
        self, name: object, paragraph: int | None = None, chapter: int | None = None, find: str | None = None
    ) -> Selection:
        return select_part(self.script(name), paragraph=paragraph, chapter=chapter, find=find)

    def line(self, text: object, word: object = None, spoken: object = None) -> Script:
        """A typed line through the speech rules; `word` = `spoken` is tried on top of the lexicon unsaved."""
        if not isinstance(text, str) or not text.strip():
            raise InputError('nothing to say: give the words in "text"')
        if len(text) > MAX_SAY_CHARS:
            raise InputError(f"too long to say at once ({len(text)} characters): at most {MAX_SAY_CHARS}")
        lexicon = self.lexicon()
        if word is not None or spoken is not None:
            key, value = lexicon_file.check_entry(word, spoken)
            trial = Lexicon({key: value})
            lexicon = lexicon.merged(trial) if lexicon is not None else trial
        return say_script(text, self.profile, lexicon)

    def phonemes(self, word: object, spoken: object = None) -> dict[str, Any]:
        """The phonemes the voice will use for `word`: as the lexicon has it, or as `spoken` would say it."""
        from ..audio.alignment import voice_phonemizer
        from ..audio.voices import find_voice

        trial = isinstance(spoken, str) and spoken.strip()
        script = self.line(word, word, spoken) if trial else self.line(word)
        phonemize = voice_phonemizer(find_voice(self.profile.voice.name))
        words = spoken_phonemes(script, phonemize)
        return {
            "word": word,
            "phonemes": " ".join(w.phonemes for w in words),
            "words": [{"spoken": w.spoken, "phonemes": w.phonemes, "given": w.given} for w in words],
        }

    def audio(self, script: Script) -> Iterator[np.ndarray]:
        """The part's audio blocks as they are made (the first sentence first); InputError when empty."""
        source = ClipSource(self.voice, self.cache, engine=self.engine)
        try:
            blocks = stream_blocks(script, self.profile, source)
        except BaseException:
            source.close()
            raise
        return _closing(blocks, source)

    # --- the lexicon file -------------------------------------------------------------------------

    def _lexicon_name(self) -> str:
        try:
            return self.lexicon_path.relative_to(self.root).as_posix()
        except ValueError:
            return str(self.lexicon_path)

    def lexicon_json(self) -> dict[str, Any]:
        lexicon = self.lexicon()
        return {
            "file": self._lexicon_name(),
            "exists": lexicon is not None,
            "entries": dict(lexicon.entries) if lexicon is not None else {},
            "profile": dict(self.profile.lexicon),
        }

    def save_entry(self, word: object, spoken: object) -> dict[str, Any]:
        with self._lexicon_lock:
            key, value = lexicon_file.check_entry(word, spoken)
            lexicon_file.set_entry(self.lexicon_path, key, value)
        return self.lexicon_json()

    def remove_entry(self, word: object) -> dict[str, Any]:
        if not isinstance(word, str) or not word.strip():
            raise InputError('say which entry to remove: "word"')
        with self._lexicon_lock:
            if lexicon_file.remove_entry(self.lexicon_path, word) is None:
                raise NotFound(f"{word!r} is not in {self._lexicon_name()}")
        return self.lexicon_json()

    # --- rendering and the episode ----------------------------------------------------------------

    def render(self, names: object) -> dict[str, Any]:
        """Start rendering the named articles (None: every one not made); returns the job's first state."""
        if names is None:
            paths = [s.path for s in self._survey(self.article_paths()) if s.state != "made"]
            if not paths:
                raise InputError("every episode is up to date: nothing to render")
        elif isinstance(names, list) and names and all(isinstance(n, str) for n in names):
            paths = [self.article(n) for n in names]
        else:
            raise InputError('say what to render: "paths": ["article.md", ...], or nothing for all changed')
        return self.renders.start([self.name(p) for p in paths], paths)

    def _run_batch(self, paths: list[Path], progress: Any, episode_progress: Any) -> Any:
        from ..batch import run_batch

        return run_batch(
            paths,
            self._batch_options(),
            progress=lambda article, state, detail: progress(self.name(Path(article)), state, detail),
            episode_progress=lambda article, stage, done, total: episode_progress(
                self.name(Path(article)), stage, done, total
            ),
            synthesizer_factory=self.shared_factory,
            engine=self.engine,
        )

    def episode(self, name: object) -> dict[str, Any]:
        """The article's episode: state, files, chapters, sentence cues and (when made) word timings."""
        path = self.article(name)
        found = self._survey([path])[0]
        info: dict[str, Any] = {
            "path": self.name(path),
            **self._survey_row(found),
            "files": {},
            "chapters": [],
            "cues": [],
            "words": None,
        }
        mp3 = found.files.get("mp3")
        if not mp3 or not (self.output / mp3).is_file():
            info["mp3"] = None
            return info
        sidecars = sidecar_paths(self.output / mp3)
        files = {"mp3": self.output / mp3, **sidecars}
        info["files"] = {kind: f"/files/{p.name}" for kind, p in files.items() if p.is_file()}
        info["made"] = (self.output / mp3).stat().st_mtime_ns  # changes whenever the MP3 is remade
        chapters = read_chapters_json(sidecars["chapters"])
        info["chapters"] = [{"title": c.text, "start": c.start, "end": c.end} for c in chapters]
        info["cues"] = [{"start": c.start, "end": c.end, "text": c.text} for c in read_vtt(sidecars["vtt"])]
        words = read_transcript_json(sidecars["transcript"])
        if words is not None:
            info["words"] = [{"start": w.start, "end": w.end, "word": w.text} for w in words]
        return info

    def words(self, name: object) -> dict[str, Any]:
        """The article's words the voice will guess at (`narrate words`), as the page marks them."""
        from ..audio.alignment import voice_phonemizer
        from ..audio.voices import find_voice
        from ..text.article import load_article
        from ..verify.recognise import dictionary_words
        from ..verify.words import guess_words

        path = self.article(name)
        stamp = (_stamp(path), _stamp(self.lexicon_path))
        cached = self._words.get(path)
        if cached is None or cached[0] != stamp:
            phonemize = voice_phonemizer(find_voice(self.profile.voice.name))
            found = guess_words(
                load_article(path, self.profile), self.profile, self.lexicon(),
                dictionary=dictionary_words(), phonemize=phonemize,
            )  # fmt: skip
            cached = self._words[path] = (stamp, [w.to_dict() for w in found])
        return {"words": cached[1]}

    def check(self, name: object) -> dict[str, Any]:
        """`narrate check` of the article's episode, for the timeline (kept until the MP3 is made again)."""
        from ..verify.check import check_episode

        path = self.article(name)
        mp3 = self._survey([path])[0].files.get("mp3")
        if not mp3 or not (self.output / mp3).is_file():
            return {"checked": False, "flags": []}
        stamp = (self.output / mp3).stat().st_mtime_ns
        cached = self._checks.get(path)
        if cached is None or cached[0] != stamp:
            report = check_episode(self.script(name), self.output / mp3, jobs=2)
            flags = [{**f.to_dict(), "message": f"{f.kind}: {f.detail}".rstrip(": ")} for f in report.flags]
            cached = self._checks[path] = (stamp, flags)
        return {"checked": True, "flags": cached[1]}

    def file(self, name: str) -> Path:
        """A file of the output folder by its plain name (an episode, a sidecar, the feed)."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}", name or ""):
            raise NotFound(f"no file {name!r}")
        path = (self.output / name).resolve()
        if path.parent != self.output or not path.is_file() or path.name.endswith(".partial"):
            raise NotFound(f"no file {name!r}")
        return path


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _closing(blocks: Iterator[np.ndarray], source: ClipSource) -> Iterator[np.ndarray]:
    try:
        yield from blocks
    finally:
        source.close()
