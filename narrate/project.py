"""A project's narrate.toml: found like pyproject.toml above an article or folder; flags override it."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_bytes_atomic, write_text_atomic
from .errors import InputError, ProfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROJECT_NAME = "narrate.toml"
_KEYS = {"profile", "lexicon", "voice", "output", "feed"}
_FEED_KEYS = {"base_url"}


@dataclass(frozen=True)
class Project:
    """What a narrate.toml says, its paths made absolute (they are written relative to the file)."""

    path: Path  # the narrate.toml itself
    profile: Path | None = None
    lexicon: Path | None = None
    voice: str | None = None  # a voice name, or an .onnx path made absolute
    output: Path | None = None
    base_url: str | None = None

    @property
    def root(self) -> Path:
        return self.path.parent


def find_project(start: str | Path | None = None) -> Project | None:
    """The nearest narrate.toml in `start`'s folder or above it (start: an article, a folder, or the cwd)."""
    here = Path.cwd() if start is None or str(start) in ("", "-") else Path(start)
    here = here.absolute()
    folder = here if here.is_dir() else here.parent
    for candidate in (folder, *folder.parents):
        path = candidate / PROJECT_NAME
        if path.is_file():
            return load_project(path)
    return None


def load_project(path: Path) -> Project:
    """Read and check a narrate.toml; a mistake is a one-line error naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path} is not valid TOML ({exc}): fix it, or delete it") from None
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ProfileError(f"{path}: unknown key '{unknown[0]}'; known keys: {', '.join(sorted(_KEYS))}")
    feed = data.get("feed", {})
    if not isinstance(feed, Mapping) or set(feed) - _FEED_KEYS:
        raise ProfileError(f"{path}: [feed] is a table with the key base_url")
    text = {k: _string(data, k, path) for k in ("profile", "lexicon", "voice", "output")}
    base_url = _string(feed, "base_url", path)
    root = path.parent.absolute()
    voice = text["voice"]
    if voice and voice.endswith(".onnx"):
        voice = str(root / voice)
    return Project(
        path=path.absolute(),
        profile=root / text["profile"] if text["profile"] else None,
        lexicon=root / text["lexicon"] if text["lexicon"] else None,
        voice=voice,
        output=root / text["output"] if text["output"] else None,
        base_url=base_url,
    )


def _string(table: Mapping[str, Any], key: str, path: Path) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or "\n" in value or "\x00" in value:
        raise ProfileError(f"{path}: {key} must be a string (a path relative to it, or a name)")
    return value.strip() or None


@dataclass(frozen=True)
class Starter:
    """`narrate init`'s answers: the publication's name, website, owner's e-mail and artwork."""

    name: str
    website: str = ""
    owner_email: str = ""
    artwork: str = ""  # an https:// URL (artwork_url), or an image file (cover, copied beside episodes)


def init_project(folder: Path, starter: Starter, force: bool = False) -> list[Path]:
    """Write narrate.toml, profile.toml and lexicon.toml in `folder`; returns the files written."""
    files = {
        PROJECT_NAME: _PROJECT_TEMPLATE,
        "profile.toml": _profile_text(starter),
        "lexicon.toml": _LEXICON_TEMPLATE,
    }
    there = [name for name in files if (folder / name).exists()]
    if there and not force:
        raise InputError(
            f"{folder / there[0]} already exists: edit it, or pass --force to replace {', '.join(there)}"
        )
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file: pass a folder for the project")
    image = _artwork_file(starter.artwork)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if image is not None:  # copied in: the profile's paths are relative to it, wherever init was run
        written.append(write_bytes_atomic(folder / f"cover{image.suffix.lower()}", image.read_bytes()))
    for name, text in files.items():
        written.append(write_text_atomic(folder / name, text))
    return written


def _artwork_file(artwork: str) -> Path | None:
    """--artwork as an image file to copy (None for a URL or nothing); a missing file is an error."""
    if not artwork or artwork.startswith(("http://", "https://")):
        return None
    path = Path(artwork)
    if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
        raise InputError(f"--artwork takes an https:// URL or a .jpg or .png file, not {artwork!r}")
    if not path.is_file():
        raise InputError(f"--artwork {artwork} not found: check the path, or give the artwork's URL")
    return path


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _profile_text(s: Starter) -> str:
    artwork_url = s.artwork if s.artwork.startswith(("http://", "https://")) else ""
    cover = f"cover{Path(s.artwork).suffix.lower()}" if s.artwork and not artwork_url else ""
    return _PROFILE_TEMPLATE.format(
        name=_toml(s.name),
        publication=_toml(s.name),
        description=_toml(f"{s.name} articles, read aloud." if s.name else ""),
        website=_toml(s.website),
        owner_email=_toml(s.owner_email),
        cover=_toml(cover),
        artwork_url=_toml(artwork_url),
    )


_PROJECT_TEMPLATE = """\
# narrate's settings for this folder. Every narrate command run on an article or folder in here (or
# below) reads them, as tools read pyproject.toml; an option given on the command line wins.
# Paths are relative to this file.

profile = "profile.toml"   # the publication: podcast details, intro and outro, voice, loudness
lexicon = "lexicon.toml"   # pronunciations; the studio saves its fixes here, every command uses them
voice = ""                 # a voice from `narrate voices`, or an .onnx file; empty: the profile's
output = "episodes"        # where `narrate ARTICLE` and `narrate batch` put episodes

[feed]
base_url = ""              # where the output folder is published, e.g. "https://example.com/audio/"
"""

_PROFILE_TEMPLATE = """\
# The publication's profile. Every key is optional: what is left out keeps narrate's default
# (`narrate profile show` prints the profile in effect and where each value comes from).

[podcast]
name = {name}
publication = {publication}       # said in the intro and outro
description = {description}
author = {publication}
language = "en-gb"
category = "News"
website = {website}
owner_email = {owner_email}       # itunes:owner in the feed (Apple's contact; not shown to listeners)
cover = {cover}                   # an image file beside this profile, copied beside the episodes
artwork_url = {artwork_url}       # or the artwork's URL (1400-3000 px square)

# The generic intro ("{{title}}. By {{author}}. Published by {{publication}} on {{date}}.") and outro
# ("You have been listening to {{title}}, by {{author}}, for {{publication}}.") are used unless you
# set `lines`; `append` adds your own lines after them:
# [outro]
# append = ["Subscribe at example dot com."]

# [voice]
# name = "en_GB-alan-medium"
# length_scale = 1.0                # >1 is slower
"""

_LEXICON_TEMPLATE = """\
# Pronunciations: word or phrase = "respelling" or "[[ IPA phonemes ]]".
# In a respelling, hyphens part the syllables and capitals mark the stressed one:
#   Ushakov = "oo-sha-KOFF"
# `narrate say --phonemes WORD` shows what the voice will say; the studio saves its fixes here.

[lexicon]
"""
