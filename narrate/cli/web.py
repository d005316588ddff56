"""The fetcher a command uses for an article given as an http(s) URL, built from the profile and flags."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..profile import Profile

if TYPE_CHECKING:
    from ..web.fetch import Fetcher


@contextmanager
def page_fetcher(args: argparse.Namespace, profile: Profile) -> Iterator[Fetcher | None]:
    """A Fetcher for `args.article` when it is a URL (None for a file), closed afterwards."""
    from ..web.fetch import Fetcher, is_url, policy_for

    if not is_url(getattr(args, "article", None)):
        yield None
        return
    with Fetcher(policy_for(profile.web, obey_robots=not args.ignore_robots)) as fetcher:
        yield fetcher
