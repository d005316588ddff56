"""What the commands share: option groups and types, the profile and lexicon, the cache, output helpers."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from ..models import Script
from ..profile import Profile, load_profile
from ..text.lexicon import Lexicon

if TYPE_CHECKING:
    from ..audio.cache import CacheOptions, SentenceCache
    from ..project import Project



def _bounded(
    cast: Callable[[str], float], option: str, low: float, high: float, example: str
) -> Callable[[str], float]:
    """An argparse type: a number in [low, high], else a parser error listing the allowed values."""
    kind = "a whole number" if cast is int else "a number"

    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            message = f"{option} takes {kind} such as {example}, not {text!r}"
            raise argparse.ArgumentTypeError(message) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{option} must be between {low} and {high}, not {value}")
        return value

    return parse


_positive_speed = _bounded(float, "--speed", 0.5, 2.0, "0.9 or 1.2")


jobs_option = _bounded(int, "--jobs", 1, 64, "2")


def _speaker(text: str) -> str:
    """--speaker: a number from 0 or a name; which ones exist is the voice's to say."""
    if not text.strip() or text.strip().startswith("-"):
        raise argparse.ArgumentTypeError(
            f"takes a speaker number (0, 1, ...) or a name from `narrate voices NAME`, not {text!r}"
        )
    return text.strip()


def article_options(voice: bool = True, web: bool = True) -> argparse.ArgumentParser:
    """Options shared by the commands that read an article (web: from a URL too); defined once."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--profile", metavar="FILE", help="publication profile TOML (default: the bundled Byline profile)"
    )
    parent.add_argument(
        "--lexicon", metavar="FILE", help="pronunciation lexicon TOML; its entries win over the profile's"
    )
    if web:
        parent.add_argument(
            "--ignore-robots",
            action="store_true",
            help="fetch web pages even where robots.txt asks crawlers not to (for your own site)",
        )
    if voice:
        parent.add_argument(
            "--voice", metavar="NAME|PATH", help="a voice name from `narrate voices`, or an .onnx file"
        )
        parent.add_argument(
            "--speed", type=_positive_speed, metavar="S", help="pace: 1.1 is 10%% faster (0.5-2.0)"
        )
        parent.add_argument(
            "--speaker",
            type=_speaker,
            metavar="N|NAME",
            help="a multi-speaker voice's speaker, by number or name (`narrate voices NAME` lists them)",
        )
    return parent


def synthesis_options(jobs: bool = True) -> argparse.ArgumentParser:
    """--cache-dir and --no-cache (and --jobs, synthesis threads), shared by the commands that synthesise."""
    parent = argparse.ArgumentParser(add_help=False)
    if jobs:
        parent.add_argument(
            "--jobs",
            type=jobs_option,
            metavar="N",
            help="synthesis threads sharing one loaded voice (default: the cores)",
        )
    parent.add_argument("--cache-dir", metavar="DIR", help="sentence audio cache (default: the user cache)")
    parent.add_argument("--no-cache", action="store_true", help="neither read nor write the sentence cache")
    parent.add_argument("--cache-max", type=size_option, metavar="SIZE", help=CACHE_MAX_HELP)
    return parent


CACHE_MAX_HELP = "the cache's size limit, e.g. 500M or 2G (default: $NARRATE_CACHE_MAX, the profile, 2G)"


def size_option(text: str) -> int:
    from ..profile import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cache_options(args: argparse.Namespace) -> CacheOptions:
    """--cache-dir, --no-cache and --cache-max as one value."""
    from ..audio.cache import CacheOptions

    return CacheOptions(args.cache_dir, not getattr(args, "no_cache", False), args.cache_max)


def sentence_cache(args: argparse.Namespace, profile: Profile) -> SentenceCache | None:
    """The sentence cache the options and profile ask for (None with --no-cache)."""
    from ..audio.cache import open_cache

    return open_cache(cache_options(args), profile.cache.max_size)


_PROJECT_OPTIONS = ("profile", "lexicon", "voice", "output_dir", "base_url")


def remembered_settings(args: argparse.Namespace, folder: str) -> None:
    """Options not given (nor in narrate.toml) from what `folder`'s episodes were made with; a switch
    of profile without --profile is refused (see batch.memory.settle)."""
    from ..batch.memory import settle

    explicit = "profile" in getattr(args, "explicit", ())
    settled = settle(folder, args.profile, getattr(args, "lexicon", None), getattr(args, "voice", None),
                     explicit_profile=explicit)  # fmt: skip
    args.profile = settled.profile
    if hasattr(args, "lexicon"):
        args.lexicon, args.voice = settled.lexicon, settled.voice


def apply_project(args: argparse.Namespace, command: str) -> Project | None:
    """Fill the options not given from the nearest narrate.toml above the article or folder (flags win)."""
    from ..project import find_project

    args.project, args.explicit = None, frozenset()
    if not any(hasattr(args, name) for name in _PROJECT_OPTIONS):  # voices, init...: nothing to fill
        return None
    inputs = getattr(args, "inputs", None) or [None]
    places = [getattr(args, name, None) for name in ("article", "folder", "path")] + [inputs[0]]
    project = find_project(next((p for p in places if p), None))
    args.project = project
    args.explicit = frozenset(n for n in _PROJECT_OPTIONS if getattr(args, n, None) is not None)
    if project is not None:
        found = {"profile": project.profile, "lexicon": project.lexicon, "voice": project.voice}
        found.update(output_dir=project.output, base_url=project.base_url)
        for name, value in found.items():
            if hasattr(args, name) and getattr(args, name) is None and value:
                setattr(args, name, str(value))
    if getattr(args, "output_dir", "") is None and command != "studio":
        args.output_dir = "output"  # the studio's own default is output/ in its folder
    return project


def profile_and_lexicon(args: argparse.Namespace) -> tuple[Profile, Lexicon | None]:
    """The profile, with the voice the options choose in effect (the one place the CLI applies them),
    and the --lexicon."""
    choice = (getattr(args, name, None) for name in ("voice", "speed", "speaker"))
    profile = load_profile(args.profile).with_voice(*choice)
    lexicon = Lexicon.load(Path(args.lexicon)) if getattr(args, "lexicon", None) else None
    return profile, lexicon


def warn(err: Console, script: Script) -> None:
    for warning in script.warnings:
        err.print(f"narrate: warning: {warning}", markup=False)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table on a terminal; piped or logged, one tab-separated line per row, nothing folded."""
    from rich.table import Table

    out = Console(soft_wrap=True, highlight=False)
    if not out.is_terminal:
        print("\t".join(columns))
        for row in rows:
            print("\t".join(row))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def clock(seconds: float) -> str:
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
