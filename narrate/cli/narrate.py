"""`narrate ARTICLE`: one article into an MP3, with its progress bar and requested sidecars."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .._version import DISTRIBUTION, __version__

if TYPE_CHECKING:
    from ..pipeline import NarrationResult

from ..text.wording import count
from .check import check_after, episode_checker, require_recogniser
from .common import (
    article_options,
    cache_options,
    clock,
    profile_and_lexicon,
    synthesis_options,
    warn,
)
from .web import page_fetcher

_EPILOG_MAIN = """examples:
  narrate article.txt                      # -> output/<headline-slug>.mp3
  narrate article.md -o episode.mp3 --speed 1.1
  narrate page.html --voice en_GB-alan-medium --profile myprofile.toml
  cat article.txt | narrate -
  narrate https://news.example.com/2026/12/water-bills/    # -> output/water-bills.mp3

other commands (narrate COMMAND -h for each):
  narrate script ARTICLE [--json]   the exact script the voice will speak
  narrate clean FILE                the cleaned article, header lines then paragraphs
  narrate voices [NAME]             the installed voices (or one, with its speakers)
  narrate voices download NAME      download, verify and install a voice from Piper's catalogue
  narrate preview ARTICLE -p N      hear paragraph N (or -c N, --find TEXT) in seconds
  narrate say "TEXT"                hear a typed line, e.g. after a lexicon change
  narrate batch FOLDER -o DIR       every article an episode, with transcripts and DIR/feed.xml
  narrate batch FEED_URL -o DIR     every item of a site's RSS or Atom feed an episode, politely
  narrate feed DIR [--validate]     rebuild DIR/feed.xml (and check it against the directories' rules)
  narrate cache [--clear]           the sentence audio cache: size and entries, or empty it
  narrate check ARTICLE             hear the episode and list sentences it does not say cleanly
  narrate words ARTICLE [--toml]    the names and rare words the voice will guess at
  narrate studio [PATH]             a local web page: the script, hear any part, fix names, render
"""


def main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="narrate",
        description=(
            "Narrate an article (.txt, .md, .html, an http(s) URL, or - for stdin) into a podcast-ready MP3 "
            "with chapters."
        ),
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[article_options(), synthesis_options()],
    )
    parser.add_argument("article", metavar="ARTICLE", help="the article file, a web page's URL, or -")
    parser.add_argument("-o", "--output", metavar="OUT", help="MP3 path (default: output/<slug>.mp3)")
    parser.add_argument(
        "--output-dir", metavar="DIR", help="folder for the MP3 (default: narrate.toml's output, else output)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    parser.add_argument(
        "--force", action="store_true", help="remake the MP3 even when it was made from exactly these inputs"
    )
    parser.add_argument(
        "--transcript",
        action="store_true",
        help="also write <mp3 stem>.vtt and .srt (sentence timings) and .transcript.json (word timings)",
    )
    parser.add_argument(
        "--chapters-json", action="store_true", help="also write <mp3 stem>.chapters.json (Podcasting 2.0)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"then hear the episode (needs {DISTRIBUTION}[check]); sentences heard wrong are synthesised "
        "again once and the episode heard again; what is still flagged is listed, with exit code 1",
    )
    parser.add_argument("--version", action="version", version=f"narrate {__version__}")
    return parser


@contextmanager
def _progress(err: Console, quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    labels = {"synthesise": "Synthesising", "loudness": "Setting loudness", "encode": "Encoding MP3"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
    ) as bar:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield update


def cmd_narrate(args: argparse.Namespace, err: Console) -> int:
    from ..pipeline import NarrationOptions, narrate_article

    profile, lexicon = profile_and_lexicon(args)
    if args.check:
        require_recogniser()  # before minutes of synthesis, not after
    options = NarrationOptions(
        output=args.output,
        output_dir=args.output_dir,
        profile=profile,
        lexicon=lexicon,
        jobs=args.jobs,
        cache=cache_options(args),
        force=args.force,
        check=episode_checker(args.jobs) if args.check else None,
        timings=args.transcript or args.chapters_json,  # else an unchanged MP3 is read, not re-voiced
    )
    with page_fetcher(args, profile) as fetcher, _progress(err, args.quiet) as progress:
        result = narrate_article(
            args.article,
            options,
            synthesizer_factory=args.synthesizer_factory,
            progress=progress,
            fetcher=fetcher,
        )
    warn(err, result.script)
    print(
        f"{result.path}  {clock(result.seconds)}  {count(len(result.chapters), 'chapter')}  {_made(result)}"
    )
    _write_requested_sidecars(args, result)
    if args.transcript and result.note:
        err.print(f"narrate: note: {result.note}", markup=False)
    if result.check is not None:
        return check_after(result.check, result.healed)
    return 0


def _made(result: NarrationResult) -> str:
    """How the MP3 came about: unchanged (nothing made, so no speed), or its loudness and speed."""
    if result.unchanged:
        return "unchanged"
    speed = result.seconds / result.wall_seconds if result.wall_seconds > 0 else 0.0
    return f"{result.loudness_lufs:.1f} LUFS  {result.wall_seconds:.1f} s  ({speed:.1f}x real time)"


def _write_requested_sidecars(args: argparse.Namespace, result: object) -> None:
    """--transcript and --chapters-json for a single article: only when asked, beside the MP3."""
    from ..pipeline import NarrationResult
    from ..publish.sidecars import write_sidecars

    if not (args.transcript or args.chapters_json):
        return
    assert isinstance(result, NarrationResult)
    written = write_sidecars(
        result.path,
        result.cues,
        result.chapters,
        result.rate,
        transcript=args.transcript,
        chapters_file=args.chapters_json,
    )
    for path in written.values():
        print(path)
