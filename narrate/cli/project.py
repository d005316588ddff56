"""`narrate init` and `narrate profile show`: a project folder, and the profile in effect with its sources."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from ..profile import Profile
from .common import profile_and_lexicon

_INIT_EPILOG = """examples:
  narrate init                                   # this folder
  narrate init valley-news --name "Valley News" --website https://valleynews.example \\
      --owner-email audio@valleynews.example --artwork cover.jpg

Writes DIR/narrate.toml (profile, lexicon, voice, output folder, feed base URL), a starter
DIR/profile.toml and an empty DIR/lexicon.toml. Every command run on an article or folder inside DIR
finds narrate.toml as tools find pyproject.toml; options on the command line win."""

_SHOW_EPILOG = """examples:
  narrate profile show                     # the project's profile (narrate.toml), else Byline's
  narrate profile show --profile valley.toml

Prints the profile in effect as TOML, each value followed by where it came from: the profile file,
or narrate's default (a profile need only set what differs)."""


def init_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate init",
        description="Start a project folder: narrate.toml, a starter profile and a lexicon.",
        epilog=_INIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the project folder (default: here)")
    p.add_argument("--name", help="the podcast's and publication's name (default: the folder's name)")
    p.add_argument("--website", default="", metavar="URL", help="the publication's website")
    p.add_argument("--owner-email", default="", metavar="EMAIL", help="the feed owner's e-mail (for Apple)")
    p.add_argument(
        "--artwork", default="", metavar="URL|FILE", help="square artwork: its URL or an image file"
    )
    p.add_argument("--force", action="store_true", help="replace the three files when they exist")
    return p


def cmd_init(args: argparse.Namespace, err: Console) -> int:
    from ..profile import parse_profile
    from ..project import Starter, init_project, load_project

    folder = Path(args.dir)
    name = args.name or folder.absolute().name.replace("-", " ").replace("_", " ").title()
    written = init_project(folder, Starter(name, args.website, args.owner_email, args.artwork), args.force)
    load_project(folder / "narrate.toml")  # what was written reads back: a bad --website fails here
    parse_profile((folder / "profile.toml").read_text(encoding="utf-8"), str(folder / "profile.toml"))
    for path in written:
        print(path)
    err.print(f"narrate: edit {folder / 'profile.toml'}, then e.g. `narrate batch {folder}`", markup=False)
    return 0


def profile_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate profile",
        description="Show the profile in effect and where each of its values came from.",
        epilog=_SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=("show",), help="show: print the effective profile")
    p.add_argument("--profile", metavar="FILE", help="a profile TOML (default: narrate.toml's, else Byline)")
    return p


def cmd_profile(args: argparse.Namespace, err: Console) -> int:
    profile, _ = profile_and_lexicon(args)
    print(profile_toml(profile), end="")
    return 0


def profile_toml(profile: Profile) -> str:
    """The profile as TOML, each value with a comment naming its source (the file, or narrate's default)."""
    lines = [f"# the profile in effect: {profile.source}", ""]
    for section in dataclasses.fields(profile):
        value = getattr(profile, section.name)
        if section.name == "lexicon":
            lines.append("[lexicon]")
            origin = profile.source if "lexicon" in profile.given else "narrate's default (none)"
            lines.append(f"# from {origin}")
            lines += [f"{_value(k)} = {_value(v)}" for k, v in value.items()]
            lines.append("")
            continue
        if not dataclasses.is_dataclass(value) or section.name == "voice_choice":  # not a profile section
            continue
        lines.append(f"[{section.name}]")
        for f in dataclasses.fields(value):
            given = f"{section.name}.{f.name}" in profile.given
            origin = profile.source if given else "narrate's default"
            lines.append(f"{f.name} = {_value(getattr(value, f.name))}  # {origin}")
        lines.append("")
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


PARSERS = {"init": init_parser, "profile": profile_parser}
HANDLERS = {"init": cmd_init, "profile": cmd_profile}
