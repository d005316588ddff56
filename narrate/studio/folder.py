"""The studio's folder view: each article's headline, byline and date, and its episode's state, worked
out again only when a file they depend on changes (articles, lexicon and profile by their content)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..batch import EpisodeSurvey
from ..errors import NarrateError
from ..profile import Profile
from ..text.article import article_from_source
from ..text.ingest import source_from_bytes

Survey = Callable[[list[Path]], list[EpisodeSurvey]]
_KEPT = 64  # surveys kept: the whole folder's, and the single articles the episode view asked about


@dataclass(frozen=True)
class Headline:
    """How an article presents itself: its headline, byline and date (ISO), as narrate reads them."""

    title: str
    author: str | None
    date: str | None


def content_key(path: Path) -> str | None:
    """The SHA-256 of a file's bytes; None when it cannot be read (missing, a folder, no permission)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _listing(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """The output folder's files by name, size and time: what a render or a hand edit there changes."""
    try:
        entries = [(p.name, p.stat()) for p in folder.iterdir()]
    except OSError:
        return ()
    return tuple(sorted((name, st.st_size, st.st_mtime_ns) for name, st in entries))


class FolderSurvey:
    """Episode states from `survey` and headlines from the articles, each kept until its inputs change.

    A survey is keyed by the content of the articles it covers and of `inputs()` (the lexicon and
    profile files), and by the output folder's listing; a headline by its article's content.
    """

    def __init__(
        self, survey: Survey, profile: Profile, output: Path, inputs: Callable[[], Sequence[Path]]
    ) -> None:
        self._survey = survey
        self._profile = profile
        self._output = output
        self._inputs = inputs
        self._lock = threading.Lock()
        self._surveys: OrderedDict[tuple[Path, ...], tuple[object, list[EpisodeSurvey]]] = OrderedDict()
        self._headlines: dict[Path, tuple[str | None, Headline | None]] = {}
        self.surveyed = 0  # how many times `survey` really ran (the cache's effect, for tests)

    def states(self, paths: Sequence[Path]) -> list[EpisodeSurvey]:
        """Each article's episode as `narrate batch` would see it now."""
        which = tuple(paths)
        key = (
            tuple(content_key(p) for p in which),
            tuple((str(p), content_key(p)) for p in self._inputs()),
            _listing(self._output),
        )
        with self._lock:
            kept = self._surveys.get(which)
            if kept is not None and kept[0] == key:
                self._surveys.move_to_end(which)
                return kept[1]
        found = self._survey(list(which))
        with self._lock:
            self.surveyed += 1
            self._surveys[which] = (key, found)
            self._surveys.move_to_end(which)
            while len(self._surveys) > _KEPT:
                self._surveys.popitem(last=False)
        return found

    def headline(self, path: Path) -> Headline | None:
        """The article's headline, byline and date; None when it cannot be read as an article."""
        try:
            data = Path(path).read_bytes()
        except OSError:
            return None
        key = hashlib.sha256(data).hexdigest()
        with self._lock:
            kept = self._headlines.get(path)
        if kept is not None and kept[0] == key:
            return kept[1]
        try:
            article = article_from_source(source_from_bytes(data, Path(path).name), self._profile)
            found: Headline | None = Headline(
                article.title, article.author, article.date.isoformat() if article.date else None
            )
        except NarrateError:
            found = None
        with self._lock:
            self._headlines[path] = (key, found)
        return found
