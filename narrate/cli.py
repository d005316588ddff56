"""Command line: the only module that reads argv, prints or exits."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from . import __version__
from .errors import NarrateError
from .lexicon import Lexicon
from .models import Script
from .profile import Profile, load_profile

COMMANDS = ("script", "clean", "voices")

_EPILOG_MAIN = """examples:
  narrate article.txt                      # -> output/<headline-slug>.mp3
  narrate article.md -o episode.mp3 --speed 1.1
  narrate page.html --voice en_GB-alan-medium --profile myprofile.toml
  cat article.txt | narrate -

other commands (narrate COMMAND -h for each):
  narrate script ARTICLE [--json]   the exact script the voice will speak
  narrate clean FILE                the cleaned article, header lines then paragraphs
  narrate voices                    the voices available
"""


def _positive_speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--speed takes a number such as 0.9 or 1.2, not {text!r}") from None
    if not 0.5 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"--speed must be between 0.5 and 2.0, not {value}")
    return value


def _common(voice: bool = True) -> argparse.ArgumentParser:
    """Options shared by the commands that read an article; defined once."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--profile", metavar="FILE", help="publication profile TOML (default: the bundled Byline profile)")
    parent.add_argument("--lexicon", metavar="FILE", help="pronunciation lexicon TOML; its entries win over the profile's")
    if voice:
        parent.add_argument("--voice", metavar="NAME|PATH", help="a voice name from `narrate voices`, or an .onnx file")
        parent.add_argument("--speed", type=_positive_speed, metavar="S", help="pace: 1.1 is 10%% faster (0.5-2.0)")
    return parent


def _main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="narrate",
        description="Narrate an article (.txt, .md, .html, or - for stdin) into a podcast-ready MP3 with chapters.",
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common()],
    )
    parser.add_argument("article", metavar="ARTICLE", help="the article file, or - to read stdin")
    parser.add_argument("-o", "--output", metavar="OUT", help="MP3 path (default: output/<slug>.mp3)")
    parser.add_argument("--output-dir", metavar="DIR", default="output", help="folder for the MP3 (default: output)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    parser.add_argument("--version", action="version", version=f"narrate {__version__}")
    return parser


def _command_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "script":
        p = argparse.ArgumentParser(
            prog="narrate script",
            description="Print the exact script the voice will speak, without synthesising anything.",
            epilog="examples:\n  narrate script article.txt\n  narrate script article.txt --json > script.json",
            formatter_class=fmt,
            parents=[_common(voice=False)],
        )
        p.add_argument("article", metavar="ARTICLE")
        p.add_argument("--json", action="store_true", help="the stable JSON form")
        return p
    if command == "clean":
        p = argparse.ArgumentParser(
            prog="narrate clean",
            description="Print the cleaned article (header lines, then paragraphs) to check or save.",
            epilog="example:\n  narrate clean scraped-page.txt > article.txt",
            formatter_class=fmt,
            parents=[_common(voice=False)],
        )
        p.add_argument("article", metavar="FILE")
        return p
    if command == "voices":
        return argparse.ArgumentParser(
            prog="narrate voices",
            description="List the voices: the bundled one and those in voices/ ($NARRATE_VOICES).",
            epilog="example:\n  narrate voices",
            formatter_class=fmt,
        )
    raise KeyError(command)


class _Terminated(Exception):
    """SIGTERM, turned into an exception so temp files and the encoder are cleaned up."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if args_list and args_list[0] in COMMANDS:
            command = args_list.pop(0)
            args = _command_parser(command).parse_args(args_list)
            handler = _HANDLERS[command]
        else:
            args = _main_parser().parse_args(args_list)
            handler = _cmd_narrate
        return handler(args, err)
    except NarrateError as exc:
        err.print(f"narrate: error: {exc}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("narrate: interrupted; nothing was written at the output path", markup=False)
        return 130
    except _Terminated:
        err.print("narrate: terminated; nothing was written at the output path", markup=False)
        return 143


def _profile_and_lexicon(args: argparse.Namespace) -> tuple[Profile, Lexicon | None]:
    profile = load_profile(args.profile)
    lexicon = Lexicon.load(Path(args.lexicon)) if getattr(args, "lexicon", None) else None
    return profile, lexicon


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


def _cmd_narrate(args: argparse.Namespace, err: Console) -> int:
    from .pipeline import narrate_article

    profile, lexicon = _profile_and_lexicon(args)
    with _progress(err, args.quiet) as progress:
        result = narrate_article(
            args.article,
            output=args.output,
            output_dir=args.output_dir,
            profile=profile,
            voice=args.voice,
            speed=args.speed,
            lexicon=lexicon,
            progress=progress,
        )
    speed = result.seconds / result.wall_seconds if result.wall_seconds > 0 else 0.0
    print(
        f"{result.path}  {_clock(result.seconds)}  {len(result.chapters)} chapters  "
        f"{result.wall_seconds:.1f} s  ({speed:.1f}x real time)"
    )
    return 0


def _cmd_script(args: argparse.Namespace, err: Console) -> int:
    from .pipeline import load_script

    profile, lexicon = _profile_and_lexicon(args)
    script = load_script(args.article, profile, lexicon)
    if args.json:
        print(json.dumps(script.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(script_text(script), end="")
    return 0


def script_text(script: Script) -> str:
    """Chapters as '# N. title', paragraphs as '[P]' blocks, one spoken sentence a line."""
    lines: list[str] = []
    number = 0
    for c_number, chapter in enumerate(script.chapters, 1):
        if lines:
            lines.append("")
        lines.append(f"# {c_number}. {chapter.title}")
        for paragraph in chapter.paragraphs:
            number += 1
            lines.append("")
            lines.append(f"[{number}]")
            lines.extend(s.spoken for s in paragraph.sentences)
    return "\n".join(lines) + "\n"


def _cmd_clean(args: argparse.Namespace, err: Console) -> int:
    from .clean import clean_html, clean_text
    from .ingest import read_source
    from .pipeline import load_article

    profile, _ = _profile_and_lexicon(args)
    source = read_source(args.article)
    if source.format == "markdown":
        article = load_article(args.article, profile)
        header = [f"Title: {article.title}"]
        if article.author:
            header.append(f"Author: {article.author}")
        if article.date:
            header.append(f"Date: {article.date.isoformat()}")
        blocks = [b for s in article.sections for b in ((s.heading,) if s.heading else ()) + s.paragraphs]
        print("\n".join(header) + "\n\n" + "\n\n".join(blocks))
        return 0
    cleaned = clean_html(source.text, profile.clean) if source.format == "html" else clean_text(source.text, profile.clean)
    if not cleaned.blocks:
        raise NarrateError(f"{source.name} has nothing to read once page clutter is removed: check it is an article")
    print(cleaned.to_text().rstrip("\n"))
    return 0


def _cmd_voices(args: argparse.Namespace, err: Console) -> int:
    from rich.table import Table

    from .voices import list_voices, voices_dir

    table = Table(title=f"Voices (bundled, and {voices_dir()}/)")
    for column in ("name", "language", "quality", "sample rate", "source"):
        table.add_column(column)
    for v in list_voices():
        table.add_row(v.name, v.language, v.quality, f"{v.sample_rate} Hz", "bundled" if v.bundled else str(v.model))
    Console(soft_wrap=True).print(table)
    return 0


def _clock(seconds: float) -> str:
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


_HANDLERS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "script": _cmd_script,
    "clean": _cmd_clean,
    "voices": _cmd_voices,
}
