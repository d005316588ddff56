"""`narrate batch` and `narrate feed`: the display, the summary, the feed line."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..errors import InputError, NarrateError

if TYPE_CHECKING:
    from ..batch import BatchReport
    from ..publish.executors import Executor
    from ..verify.check import CheckReport

from .check import check_lines, check_summary, require_recogniser
from .common import article_options, clock, jobs_option, profile_and_lexicon, synthesis_options

_BATCH_EPILOG = """examples:
  narrate batch examples/                        # every .txt/.md/.html in examples/ -> output/
  narrate batch today/ -o site/audio --base-url https://example.com/audio/
  narrate batch a.md b.txt --jobs 1 --force      # one at a time, remake even unchanged episodes
  narrate batch archive/ -o site/audio --scheduler tcp://10.0.0.5:8786 --no-cache   # on a Dask cluster
  narrate batch archive/ --scheduler local:8     # a Dask cluster of 8 worker processes on this machine

Each article becomes DIR/<slug>.mp3 with <slug>.vtt, <slug>.srt and <slug>.chapters.json
beside it; DIR/feed.xml lists every episode in DIR. Unchanged articles are skipped (DIR holds a
.narrate-manifest.json of what made each file), so an interrupted batch resumes where it stopped.
With --scheduler (pip install 'narrate[dask]') the episodes are made on a Dask cluster: the workers
need narrate and the voice but no shared folder (their files come back to this machine).
Exit code 0 when every article was made or unchanged, 1 when any failed."""


_FEED_EPILOG = """examples:
  narrate feed output/
  narrate feed site/audio --base-url https://example.com/audio/"""


def batch_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "feed":
        p = argparse.ArgumentParser(
            prog="narrate feed",
            description="Rebuild DIR/feed.xml from the episodes in DIR, without synthesising anything.",
            epilog=_FEED_EPILOG,
            formatter_class=fmt,
        )
        p.add_argument("folder", metavar="DIR", help="an output folder of `narrate batch`")
        p.add_argument("--profile", metavar="FILE", help="profile for the channel data (default: Byline)")
    else:
        p = argparse.ArgumentParser(
            prog="narrate batch",
            description="Narrate a folder of articles into podcast episodes, transcripts and a feed.",
            epilog=_BATCH_EPILOG,
            formatter_class=fmt,
            parents=[article_options(), synthesis_options(jobs=False)],
        )
        p.add_argument("inputs", nargs="+", metavar="INPUT", help="article files, folders of them")
        p.add_argument("-o", "--output-dir", metavar="DIR", default="output", help="episode folder (output)")
        p.add_argument("--jobs", type=jobs_option, metavar="N", help="articles at once (default: cores)")
        p.add_argument("--force", action="store_true", help="remake episodes even when nothing changed")
        p.add_argument(
            "--check",
            action="store_true",
            help="hear each episode afterwards (needs narrate[check]); exit code 1 when any is flagged",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
        p.add_argument(
            "--scheduler",
            type=_scheduler,
            metavar="ADDRESS",
            help="run the episodes on a Dask cluster: tcp://HOST:PORT, a scheduler file (.json), or "
            "local[:N] for N single-threaded worker processes here (needs narrate[dask])",
        )
        p.add_argument(
            "--shared-output",
            action="store_true",
            help="with --scheduler: every worker mounts DIR at the same path, so workers write in place",
        )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="where DIR is published, for the feed's links (default: the profile's base_url, the last "
        "one used, else DIR as a file:// URL)",
    )
    return p


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
            done = sum(s in ("made", "unchanged", "failed") for s, _ in states.values())
            overall.update(task, total=len(states), completed=done)

        yield update


def cmd_batch(args: argparse.Namespace, err: Console) -> int:
    from ..batch import BatchInterrupted, run_batch

    if args.check:
        require_recogniser()

    try:
        with _cluster(args, err) as executor, _batch_display(err, args.quiet) as display:
            report = run_batch(
                args.inputs,
                args.output_dir,
                profile=args.profile,
                lexicon=args.lexicon,
                voice=args.voice,
                speed=args.speed,
                speaker=args.speaker,
                jobs=args.jobs,
                base_url=args.base_url,
                force=args.force,
                cache_dir=args.cache_dir,
                use_cache=not args.no_cache,
                cache_max=args.cache_max,
                executor=executor,
                progress=display,
                synthesizer_factory=args.synthesizer_factory,
            )
    except BatchInterrupted as stopped:
        _batch_summary(stopped.report, args.output_dir, err)
        err.print(f"narrate: {stopped}", markup=False)
        return stopped.exit_code
    checks = _check_batch(report, args, err) if args.check else None
    return _batch_summary(report, args.output_dir, err, checks)


@contextmanager
def _cluster(args: argparse.Namespace, err: Console) -> Iterator[Executor | None]:
    """The Dask executor for --scheduler (connected, checked, closed afterwards); None without it."""
    if args.scheduler is None:
        if args.shared_output:
            raise InputError("--shared-output goes with --scheduler: without it, episodes are made here")
        yield None
        return
    if args.jobs is not None:
        raise InputError("--jobs counts this machine's synthesis threads: with --scheduler use local:N, "
                         "or start more workers")
    from ..publish.dask import connect, describe  # imports Dask: only for --scheduler

    with connect(args.scheduler, shared_output=args.shared_output) as executor:
        for line in describe(executor):
            if not args.quiet or line.startswith("note"):
                err.print(f"narrate: {line}", markup=False)
        yield executor


def _check_batch(report: BatchReport, args: argparse.Namespace, err: Console) -> dict[str, CheckReport | str]:
    """`batch --check`: each made or unchanged episode heard and compared with its article's script."""
    from ..audio.engine import default_jobs
    from ..batch import collect_inputs
    from ..pipeline import load_script
    from ..verify.check import check_episode

    profile, lexicon = profile_and_lexicon(args)
    profile = profile.with_voice(args.voice, args.speed, args.speaker)
    paths = {f.name: f.path for f in collect_inputs(args.inputs)[0]}
    checks: dict[str, CheckReport | str] = {}
    for e in report.episodes:
        if e.state == "failed" or e.mp3 is None or e.source not in paths:
            continue
        try:
            script = load_script(paths[e.source], profile, lexicon)
            checks[e.source] = check_episode(script, e.mp3, jobs=default_jobs())
        except NarrateError as exc:
            checks[e.source] = f"not checked: {exc}"
    return checks


def _batch_summary(
    report: BatchReport, output_dir: str, err: Console, checks: dict[str, CheckReport | str] | None = None
) -> int:
    """The summary table (or tab-separated lines when piped), the feed line, and the exit code."""
    from rich.table import Table

    columns: tuple[str, ...] = ("article", "result", "duration", "chapters", "episode")
    if checks is not None:
        columns += ("check",)
    rows = []
    for e in report.episodes:
        made = e.state != "failed"
        row: tuple[str, ...] = (
            e.source,
            e.state if made else f"failed: {e.message}",
            clock(e.seconds) if made else "",
            str(e.chapters) if made else "",
            e.mp3.name if made and e.mp3 else "",
        )
        if checks is not None:
            found = checks.get(e.source, "")
            row += (found if isinstance(found, str) else "ok" if found.ok else f"{len(found.flags)} flagged",)
        rows.append(row)
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
    if report.local_urls:
        err.print("narrate: note: the feed links to file:// URLs; pass --base-url to publish", markup=False)
    flagged = [c for c in (checks or {}).values() if not isinstance(c, str) and not c.ok]
    for found in flagged:
        print("check: " + check_summary(found))
        for line in check_lines(found):
            print(line)
    if report.failed:
        failed = f"{len(report.failed)} of {len(report.episodes)} articles failed"
        err.print(f"narrate: {failed}; see the table, fix them and re-run", markup=False)
        return 1
    return 1 if flagged else 0


def cmd_feed(args: argparse.Namespace, err: Console) -> int:
    from ..batch import rebuild_feed

    path, url, count = rebuild_feed(args.folder, args.profile, args.base_url)
    print(f"{path}  {count} episodes  ({url})")
    return 0


PARSERS = {"batch": lambda: batch_parser("batch"), "feed": lambda: batch_parser("feed")}
HANDLERS = {"batch": cmd_batch, "feed": cmd_feed}
