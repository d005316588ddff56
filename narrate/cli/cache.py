"""`narrate cache`: the sentence cache's size against its limit; prune or clear it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.console import Console

from ..profile import load_profile
from ..text.wording import count

if TYPE_CHECKING:
    pass

from .common import CACHE_MAX_HELP, sentence_cache, size_option


def cache_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate cache",
        description=(
            "Show the sentence audio cache (folder, entries, size against its limit); --prune removes the "
            "least recently used entries until it is under the limit, --clear empties it, --verify reads "
            "every entry back and removes the damaged and implausible ones."
        ),
        epilog=(
            "examples:\n  narrate cache\n  narrate cache --prune --cache-max 500M\n  narrate cache --clear\n"
            "  narrate cache --verify\n"
            "  narrate cache --cache-dir /tmp/nc"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--clear", action="store_true", help="remove every cached sentence")
    what.add_argument("--prune", action="store_true", help="remove the least recently used over the limit")
    what.add_argument(
        "--verify",
        action="store_true",
        help="run the plausibility gate over every entry; remove the damaged and implausible ones",
    )
    p.add_argument("--cache-dir", metavar="DIR", help="the cache folder (default: the user cache)")
    p.add_argument("--cache-max", type=size_option, metavar="SIZE", help=CACHE_MAX_HELP)
    p.add_argument("--profile", metavar="FILE", help="the profile whose [cache] max_size applies")
    return p


def cmd_cache(args: argparse.Namespace, err: Console) -> int:
    cache = sentence_cache(args, load_profile(args.profile))
    assert cache is not None
    if args.clear:
        removed = cache.clear()
        print(f"{cache.directory}: removed {count(removed, 'cached sentence')}")
        return 0
    if args.verify:
        found = cache.verify()
        print(
            f"{cache.directory}: checked {found.checked} cached sentences, removed {found.removed} "
            f"({found.implausible} implausible, {found.damaged} damaged or from an older narrate)"
        )
    if args.prune:
        removed, freed = cache.prune()
        lru = count(removed, "least recently used sentence")
        print(f"{cache.directory}: removed {lru} ({freed / 1e6:.1f} MB)")
    entries, size = cache.stats()
    limit = cache.max_bytes / 1e6
    held = count(entries, "cached sentence")
    print(f"{cache.directory}: {held}, {size / 1e6:.1f} MB of its {limit:.0f} MB limit")
    return 0


PARSERS = {"cache": cache_parser}
HANDLERS = {"cache": cmd_cache}
