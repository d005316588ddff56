"""An output folder's record of its episodes (GUID, file names, what made them), read as untrusted input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._version import __version__
from ..atomic import write_text_atomic
from ..errors import InputError

MANIFEST_NAME = ".narrate-manifest.json"
_VERSION = 2

Status = Literal["pending", "done", "failed"]
_STATUSES = ("pending", "done", "failed")
# a slug as text.slug.slugify makes it (lower-case ASCII words joined by hyphens), and nothing else
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FILE_KIND = re.compile(r"^[a-z0-9_-]{1,32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class EpisodeRecord:
    """One episode in DIR: its never-changing GUID, its file names, and what it was made from."""

    guid: str
    slug: str
    source: str  # the article's name relative to the input folder it came from (a moved folder keeps it)
    content: str = ""  # SHA-256 of the article's bytes, so a renamed but unchanged file is recognised
    status: Status = "pending"
    key: str = ""  # the recipe key it was made with (see recipe.py)
    error: str = ""
    title: str = ""
    description: str | None = None
    author: str | None = None
    date: str | None = None  # ISO date of the article
    samples: int = 0
    rate: int = 0
    chapters: int = 0
    files: dict[str, str] = field(default_factory=dict)  # kind ("mp3", "vtt", ...) -> file name in DIR
    made: str = ""  # ISO date and time the episode was last made
    flagged: str = ""  # what hearing the episode found wrong, after its heal ("" when clean or not heard)
    held: bool = False  # flagged, so kept out of the feed (not with --publish-flagged)
    # what it was made with (absolute paths; "" for the bundled profile, no lexicon, the profile's voice)
    profile: str = ""
    profile_sha256: str = ""
    lexicon: str = ""
    voice: str = ""
    url: str = ""  # a web article's link, as the feed or list gave it ("" for a file)

    @property
    def seconds(self) -> float:
        return self.samples / self.rate if self.rate else 0.0

    @property
    def published_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.date) if self.date else None


@dataclass
class HttpState:
    """What a server said about a URL last time (for a conditional GET), and where its body is kept."""

    etag: str = ""
    last_modified: str = ""
    final_url: str = ""  # after redirects
    content_type: str = ""
    body: str = ""  # SHA-256 of the body, kept as WEB_BODIES/<body> so a 304 can be read again
    fetched: str = ""  # ISO date and time of the last answer


WEB_BODIES = ".narrate-web"  # folder in DIR holding the last body of each feed and page


@dataclass
class Manifest:
    """DIR's episodes, matched to articles by what they are (content, name), never by absolute path."""

    folder: Path
    records: list[EpisodeRecord] = field(default_factory=list)
    base_url: str = ""
    http: dict[str, HttpState] = field(default_factory=dict)  # URL asked -> its validators and body

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST_NAME

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """DIR's manifest (empty when there is none); anything malformed is a one-line error naming it."""
        path = folder / MANIFEST_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(folder)
        except (OSError, UnicodeDecodeError) as exc:
            raise _broken(path, f"unreadable ({getattr(exc, 'strerror', None) or exc})") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _broken(path, f"not valid JSON ({exc})") from None
        records, base_url = _parse(data, path)
        return cls(folder, records, base_url, _parse_http(data.get("http", {}), path))

    def save(self) -> None:
        data = {
            "version": _VERSION,
            "narrate": __version__,
            "base_url": self.base_url,
            "episodes": [dataclasses.asdict(r) for r in self.records],
            "http": {url: dataclasses.asdict(state) for url, state in sorted(self.http.items())},
        }
        write_text_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")

    def find(self, source: str, content: str, guid: str, skip: set[str]) -> EpisodeRecord | None:
        """An article's record: same content, else same name, else same GUID (skipping GUIDs in `skip`)."""
        candidates = [r for r in self.records if r.guid not in skip]
        for matches in (
            lambda r: bool(content) and r.content == content,
            lambda r: r.source == source,
            lambda r: r.guid == guid,
        ):
            found = next((r for r in candidates if matches(r)), None)
            if found is not None:
                return found
        return None

    def slugs(self) -> set[str]:
        return {r.slug for r in self.records}

    def guids(self) -> set[str]:
        return {r.guid for r in self.records}

    def published(self) -> Iterator[EpisodeRecord]:
        """Made episodes whose MP3 is still in DIR (an MP3 deleted by hand leaves the feed), except those
        held back because hearing them found something wrong."""
        for record in self.records:
            mp3 = record.files.get("mp3")
            if record.status == "done" and not record.held and mp3 and (self.folder / mp3).is_file():
                yield record


def _broken(path: Path, problem: str) -> InputError:
    return InputError(
        f"the batch manifest {path} is {problem}: restore it from a backup, or move it away and re-run "
        "(episodes then get new GUIDs)"
    )


def _parse(data: Any, path: Path) -> tuple[list[EpisodeRecord], str]:
    if not isinstance(data, dict) or data.get("version") not in (1, _VERSION):
        raise _broken(path, "not a narrate manifest this version knows")
    base_url = data.get("base_url", "")
    if not isinstance(base_url, str) or _CONTROL.search(base_url):
        raise _broken(path, "damaged: base_url must be a URL")
    episodes = data.get("episodes", [])
    if data["version"] == 1:  # keyed by absolute path: the key's file name becomes the source name
        if not isinstance(episodes, dict):
            raise _broken(path, "damaged: episodes must be a table")
        episodes = [
            {**r, "source": Path(str(k)).name} if isinstance(r, dict) else r for k, r in episodes.items()
        ]
    if not isinstance(episodes, list):
        raise _broken(path, "damaged: episodes must be a list")
    records = [_record(item, number, path) for number, item in enumerate(episodes, 1)]
    for attribute in ("guid", "slug"):
        values = [getattr(r, attribute) for r in records]
        if len(values) != len(set(values)):
            raise _broken(path, f"damaged: two episodes share a {attribute}")
    return records, base_url


_FIELDS = {f.name: f for f in dataclasses.fields(EpisodeRecord)}
_OPTIONAL_TEXT = ("description", "author", "date")
_NUMBERS = ("samples", "rate", "chapters")


def _record(item: Any, number: int, path: Path) -> EpisodeRecord:
    """One episode, every field checked: types, a slug and file names that cannot leave DIR, dates."""
    where = f"damaged: episode {number}"
    if not isinstance(item, dict):
        raise _broken(path, f"{where} is not a table")
    values = {k: v for k, v in item.items() if k in _FIELDS}  # unknown keys (older versions) are dropped
    for name in ("guid", "slug", "source"):
        if not isinstance(values.get(name), str) or not values[name] or _CONTROL.search(values[name]):
            raise _broken(path, f"{where} has no valid {name}")
    for name in ("profile", "lexicon", "voice"):  # paths and names used again by a later run
        value = values.get(name, "")
        if not isinstance(value, str) or _CONTROL.search(value):
            raise _broken(path, f"{where} has a wrong {name}: {value!r:.60}")
        if value and name != "voice" and not Path(value).is_absolute():
            raise _broken(path, f"{where} has a wrong {name}: {value!r:.60}")
    if not re.fullmatch(r"(?:[0-9a-f]{64})?", str(values.get("profile_sha256", ""))):
        raise _broken(path, f"{where} has a wrong profile_sha256")
    if not _SLUG.fullmatch(values["slug"]) or len(values["slug"]) > 100:
        raise _broken(path, f"{where} has a slug that is not a plain file name: {values['slug'][:60]!r}")
    for name in _FIELDS:
        if name in values and name != "files" and not _type_ok(values[name], name):
            raise _broken(path, f"{where} has a wrong {name}: {values[name]!r:.60}")
    if values.get("status", "pending") not in _STATUSES:
        raise _broken(path, f"{where} has an unknown status")
    files = values.get("files", {})
    if not isinstance(files, Mapping) or not all(_file_ok(k, v, values["slug"]) for k, v in files.items()):
        raise _broken(path, f"{where} names a file outside {path.parent} or not its own")
    values["files"] = dict(files)
    if values.get("url") and not _WEB_URL.match(values["url"]):
        raise _broken(path, f"{where} has a url that is not an http(s) URL")
    try:
        if values.get("date"):
            dt.date.fromisoformat(values["date"])
        if values.get("made"):
            dt.datetime.fromisoformat(values["made"])
    except ValueError:
        raise _broken(path, f"{where} has a bad date") from None
    return EpisodeRecord(**values)


_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_WEB_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]{1,2000}$")


def _parse_http(table: Any, path: Path) -> dict[str, HttpState]:
    """The conditional-GET table: URLs, validators without control characters, bodies named by hash."""
    if not isinstance(table, dict):
        raise _broken(path, "damaged: http must be a table")
    found = {}
    names = {f.name for f in dataclasses.fields(HttpState)}
    for url, item in table.items():
        if not _WEB_URL.match(url) or not isinstance(item, dict):
            raise _broken(path, f"damaged: http has an entry that is not an http(s) URL: {url[:60]!r}")
        values = {k: v for k, v in item.items() if k in names}
        if not all(isinstance(v, str) and len(v) <= 2000 and not _CONTROL.search(v) for v in values.values()):
            raise _broken(path, f"damaged: http entry {url[:60]!r} has a value that is not a line of text")
        state = HttpState(**values)
        bad_body = state.body and not _HEX64.match(state.body)
        if bad_body or state.final_url and not _WEB_URL.match(state.final_url):
            raise _broken(path, f"damaged: http entry {url[:60]!r} names a body or final URL it cannot have")
        found[url] = state
    return found


def _type_ok(value: Any, name: str) -> bool:
    if name == "held":
        return isinstance(value, bool)
    if name in _NUMBERS:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if name in _OPTIONAL_TEXT:
        return value is None or isinstance(value, str)
    return isinstance(value, str)


def _file_ok(kind: Any, name: Any, slug: str) -> bool:
    """A file kind and a name in DIR that belongs to this episode: '<slug>.<suffix>', no path in it."""
    if not isinstance(kind, str) or not isinstance(name, str) or not _FILE_KIND.fullmatch(kind):
        return False
    suffix = name[len(slug) :]
    return (
        name.startswith(slug + ".")
        and re.fullmatch(r"(?:\.[a-z0-9]+){1,2}", suffix) is not None
        and "/" not in name
        and "\\" not in name
    )
