"""`narrate batch` and `narrate feed`: the display, the summary, the feed line."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from .._version import DISTRIBUTION, pip_install
from ..errors import InputError
from ..text.wording import count

if TYPE_CHECKING:
    from ..batch import BatchReport, EpisodeStatus
    from ..batch.executors import Executor

from .check import check_lines, check_summary, healing, require_recogniser
from .common import (
    article_options,
    cache_options,
    clock,
    jobs_option,
    remembered_settings,
    synthesis_options,
)

_BATCH_EPILOG = f"""examples:
  narrate batch examples/                        # every .txt/.md/.html in examples/ -> output/
  narrate batch today/ -o site/audio --base-url https://example.com/audio/
  narrate batch a.md b.txt --jobs 1 --force      # one at a time, remake even unchanged episodes
  narrate batch archive/ -o site/audio --scheduler tcp://10.0.0.5:8786 --no-cache   # on a Dask cluster
  narrate batch archive/ --scheduler local:8     # a Dask cluster of 8 worker processes on this machine
  narrate batch https://news.example.com/feed/ -o edition/ --base-url https://cdn.example.com/edition/
  narrate batch today.urls -o edition/ --since 2026-12-01 --limit 10   # one article URL a line

Each article becomes DIR/<slug>.mp3 with <slug>.vtt, <slug>.srt and <slug>.chapters.json
beside it; DIR/feed.xml lists every episode in DIR. Unchanged articles are skipped (DIR holds a
.narrate-manifest.json of what made each file), so an interrupted batch resumes where it stopped.
With --scheduler ({pip_install("dask")}) the episodes are made on a Dask cluster: the workers
need narrate and the voice but no shared folder (their files come back to this machine).
Every episode made is heard (pocketsphinx, the `check` extra; --no-check to skip): sentences heard
wrong are evicted from the sentence cache and synthesised again, once; an episode still heard wrong
stays in DIR but out of the feed (flagged in the summary and the manifest) unless --publish-flagged.
An http(s) INPUT is an RSS or Atom feed: each item's page is fetched and narrated, its GUID from the
item's own guid. A .urls file (or a .txt file whose every line is a URL) lists article pages. Pages and
feeds are asked for only if changed since the last run (ETag, Last-Modified), robots.txt is obeyed,
at most [web] per_host requests at once go to one site, [web] delay seconds apart.
Exit code 0 when every article was made or unchanged, 1 when any failed or was flagged."""


_FEED_EPILOG = """examples:
  narrate feed output/
  narrate feed site/audio --base-url https://example.com/audio/
  narrate feed site/audio --remove night-buses-return-to-the-harbour-route   # unpublish one episode
  narrate feed edition/ --validate     # list what Apple Podcasts, Spotify or Podcasting 2.0 would reject

With --validate, each problem is one line and the exit code is 1 when there is any."""


def batch_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _feed_parser(fmt) if command == "feed" else _batch_only_parser(fmt)
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="where DIR is published, for the feed's links (default: the profile's base_url, the last "
        "one used, else DIR as a file:// URL)",
    )
    return p


def _feed_parser(fmt: type[argparse.HelpFormatter]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate feed",
        description="Rebuild DIR/feed.xml from the episodes in DIR, without synthesising anything.",
        epilog=_FEED_EPILOG,
        formatter_class=fmt,
    )
    p.add_argument("folder", metavar="DIR", help="an output folder of `narrate batch`")
    p.add_argument("--profile", metavar="FILE", help="profile for the channel data (default: Byline)")
    p.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="SLUG",
        help="unpublish an episode (its MP3, transcripts, chapters and feed item); repeatable",
    )
    p.add_argument(
        "--validate",
        action="store_true",
        help="then check the feed against what the podcast directories require; exit 1 on a problem",
    )
    return p


def _batch_only_parser(fmt: type[argparse.HelpFormatter]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate batch",
        description="Narrate articles, folders of them or a website's feed into episodes and a feed.",
        epilog=_BATCH_EPILOG,
        formatter_class=fmt,
        parents=[article_options(), synthesis_options(jobs=False)],
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="article files, folders of them, RSS/Atom feed URLs, .urls files (one article URL a line)",
    )
    p.add_argument(
        "--since", type=_date, metavar="DATE", help="web items published on or after DATE (2026-12-01)"
    )
    p.add_argument("--limit", type=_limit, metavar="N", help="the newest N items of each feed or URL list")
    p.add_argument(
        "-o", "--output-dir", metavar="DIR", help="episode folder (default: narrate.toml's, else output)"
    )
    p.add_argument(
        "--jobs",
        type=jobs_option,
        metavar="N",
        help="synthesis threads and articles at once (default: cores)",
    )
    p.add_argument("--force", action="store_true", help="remake episodes even when nothing changed")
    heard = p.add_mutually_exclusive_group()
    heard.add_argument(
        "--check",
        action="store_true",
        default=None,
        help=f"hear every episode made, and fail if the check extra is missing (default: hear them "
        f"when {DISTRIBUTION}[check] is installed)",
    )
    heard.add_argument("--no-check", dest="check", action="store_false", help="do not hear the episodes made")
    p.add_argument(
        "--publish-flagged",
        action="store_true",
        help="put episodes still heard wrong after their heal in the feed too (exit code 0)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.add_argument(
        "--scheduler",
        type=_scheduler,
        metavar="ADDRESS",
        help="run the episodes on a Dask cluster: tcp://HOST:PORT, a scheduler file (.json), or "
        f"local[:N] for N single-threaded worker processes here (needs {DISTRIBUTION}[dask])",
    )
    p.add_argument(
        "--shared-output",
        action="store_true",
        help="with --scheduler: every worker mounts DIR at the same path, so workers write in place",
    )
    return p


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a date such as 2026-12-01, not {text!r}") from None


def _limit(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(f"takes a whole number of items from 1 to 10000, not {text!r}")
    return int(text)


def _scheduler(text: str) -> str:
    """--scheduler: a Dask scheduler's address, a scheduler file, or local[:N]; checked before connecting."""
    value = text.strip()
    local = re.fullmatch(r"local(?::(\d+))?", value)
    if local and (local.group(1) is None or 1 <= int(local.group(1)) <= 1024):
        return value
    address = re.fullmatch(r"(?:(?:tcp|tls)://)?\[?[\w.:-]+\]?:\d{1,5}", value)
    if (address and not value.startswith("local")) or value.endswith(".json"):
        return value
    raise argparse.ArgumentTypeError(
        f"takes tcp://HOST:PORT, tls://HOST:PORT, a scheduler file (.json), local or local:N (N 1-1024), "
        f"not {text!r}"
    )


_STATE_LABELS = {
    "queued": "[dim]waiting[/]",
    "working": "[cyan]narrating[/]",
    "made": "[green]made[/]",
    "unchanged": "[green]unchanged[/]",
    "flagged": "[yellow]flagged[/]",
    "duplicate": "[yellow]duplicate[/]",
    "failed": "[red]failed[/]",
}


@contextmanager
def _batch_display(err: Console, quiet: bool) -> Iterator[Callable[[str, str, str], None]]:
    """Overall progress plus one line per article, redrawn on stderr; off when quiet or not a terminal."""
    from rich.console import Group
    from rich.live import Live
    from rich.markup import escape
    from rich.progress import TimeElapsedColumn
    from rich.table import Table

    states: dict[str, tuple[str, str]] = {}
    overall = Progress(
        TextColumn("Episodes"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    task = overall.add_task("Episodes", total=None)

    def render() -> Group:
        table = Table.grid(padding=(0, 2))
        for name, (state, detail) in states.items():
            table.add_row(_STATE_LABELS.get(state, state), escape(name), escape(detail[:100]))
        return Group(overall, table)

    if quiet or not err.is_terminal:
        yield lambda name, state, detail: None
        return
    with Live(get_renderable=render, console=err, transient=True, refresh_per_second=4):

        def update(name: str, state: str, detail: str) -> None:
            states[name] = (state, detail)
            finished = ("made", "unchanged", "flagged", "failed", "duplicate")
            done = sum(s in finished for s, _ in states.values())
            overall.update(task, total=len(states), completed=done)

        yield update


def cmd_batch(args: argparse.Namespace, err: Console) -> int:
    from ..batch import BatchInterrupted, BatchOptions, WebOptions, run_batch
    from ..profile import VoiceChoice

    if args.check:
        require_recogniser()  # before minutes of synthesis, not after
    remembered_settings(args, args.output_dir)
    options = BatchOptions(
        output_dir=args.output_dir,
        profile=args.profile,
        lexicon=args.lexicon,
        voice=VoiceChoice(args.voice, args.speed, args.speaker),
        jobs=args.jobs,
        base_url=args.base_url,
        force=args.force,
        cache=cache_options(args),
        check=args.check,
        publish_flagged=args.publish_flagged,
        web=WebOptions(since=args.since, limit=args.limit, obey_robots=not args.ignore_robots),
    )
    try:
        with _cluster(args, err) as executor, _batch_display(err, args.quiet) as display:
            report = run_batch(
                args.inputs,
                options,
                executor=executor,
                progress=display,
                synthesizer_factory=args.synthesizer_factory,
            )
    except BatchInterrupted as stopped:
        _batch_summary(stopped.report, args.output_dir, err)
        err.print(f"narrate: {stopped}", markup=False)
        return stopped.exit_code
    if report.unverified:
        err.print(f"narrate: note: {report.unverified}", markup=False)
    code = _batch_summary(report, args.output_dir, err)
    if report.feed is not None:
        for problem in _feed_problems(report.feed.parent, report.base_url):
            if not (report.local_urls and "file://" in problem):  # the summary said so already
                err.print(f"narrate: note: feed: {problem}", markup=False)
    return code


@contextmanager
def _cluster(args: argparse.Namespace, err: Console) -> Iterator[Executor | None]:
    """The Dask executor for --scheduler (connected, checked, closed afterwards); None without it."""
    if args.scheduler is None:
        if args.shared_output:
            raise InputError("--shared-output goes with --scheduler: without it, episodes are made here")
        yield None
        return
    if args.jobs is not None:
        raise InputError(
            "--jobs counts this machine's synthesis threads: with --scheduler use local:N, "
            "or start more workers"
        )
    from ..batch.dask import connect, describe  # imports Dask: only for --scheduler

    with connect(args.scheduler, shared_output=args.shared_output) as executor:
        for line in describe(executor):
            if not args.quiet or line.startswith("note"):
                err.print(f"narrate: {line}", markup=False)
        yield executor


def _batch_summary(report: BatchReport, output_dir: str, err: Console) -> int:
    """The summary table (or tab-separated lines when piped), the feed line, and the exit code."""
    from rich.table import Table

    checked = any(e.check is not None for e in report.episodes)
    columns: tuple[str, ...] = ("article", "result", "duration", "chapters", "episode")
    columns += ("check",) if checked else ()
    rows = []
    for e in report.episodes:
        made = e.state != "failed"
        row: tuple[str, ...] = (
            e.source,
            f"{e.state}: {e.message}" if e.message and e.state != "flagged" else e.state,  # flags: own column
            clock(e.seconds) if made else "",
            str(e.chapters) if made else "",
            e.mp3.name if made and e.mp3 else "",
        )
        rows.append(row + ((_check_cell(e),) if checked else ()))
    out = Console(soft_wrap=True, highlight=False)
    if out.is_terminal:
        table = Table(title=f"narrate batch -> {output_dir}")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
    else:  # piped or logged: one tab-separated line per article, nothing folded
        print("\t".join(columns))
        for row in rows:
            print("\t".join(row))
    print(f"feed: {report.feed}  ({report.base_url})")
    for e in report.episodes:
        if e.state == "duplicate":
            err.print(f"narrate: note: {e.source} is {e.message}", markup=False)
    if report.local_urls:
        err.print("narrate: note: the feed links to file:// URLs; pass --base-url to publish", markup=False)
    for e in report.episodes:
        if e.check is not None and not e.check.ok:
            print("check: " + check_summary(e.check))
            for line in check_lines(e.check):
                print(line)
    if report.failed:
        failed = f"{len(report.failed)} of {count(len(report.episodes), 'article')} failed"
        err.print(f"narrate: {failed}; see the table, fix them and re-run", markup=False)
        return 1
    if report.flagged:
        err.print(
            f"narrate: {len(report.flagged)} episode{'s' if len(report.flagged) > 1 else ''} still heard "
            "wrong after healing, kept out of the feed: listen to the flagged sentences, fix the text or the "
            "lexicon and re-run, or publish them with --publish-flagged",
            markup=False,
        )
        return 1
    return 0


def _check_cell(e: EpisodeStatus) -> str:
    """The summary's check column: ok, healed, or what is still flagged (and whether it is published)."""
    if e.check is None:
        return ""
    healed = f" ({healing(e.healed)})" if e.healed else ""
    if e.check.ok:
        return "ok" + healed
    held = "held out of the feed" if e.state == "flagged" else "published anyway"
    return f"{len(e.check.flags)} flagged, {held}{healed}"


def cmd_feed(args: argparse.Namespace, err: Console) -> int:
    from ..batch import rebuild_feed, remove_episodes

    remembered_settings(args, args.folder)
    if args.remove:
        removed, _ = remove_episodes(args.folder, args.remove, args.profile, args.base_url)
        for gone in removed:
            print(f"removed {gone}")
        err.print(
            "narrate: note: an article still in an input folder is made again by the next batch: "
            "move it out too",
            markup=False,
        )
    path, url, episodes = rebuild_feed(args.folder, args.profile, args.base_url)
    print(f"{path}  {count(episodes, 'episode')}  ({url})")
    if not args.validate:
        return 0
    problems = _feed_problems(path.parent, url)
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        err.print(f"narrate: {len(problems)} feed problem{'s' if len(problems) != 1 else ''}", markup=False)
        return 1
    print("feed: valid for Apple Podcasts, Spotify and Podcasting 2.0 (as far as narrate can tell here)")
    return 0


def _feed_problems(folder: Path, base_url: str) -> list[str]:
    """What the directories would reject in DIR/feed.xml, one line each (see publish.validate)."""
    from ..publish.validate import validate_feed

    return validate_feed(folder, base_url)


PARSERS = {"batch": lambda: batch_parser("batch"), "feed": lambda: batch_parser("feed")}
HANDLERS = {"batch": cmd_batch, "feed": cmd_feed}
