"""Command line: the only module that reads argv, prints or exits."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ._version import __version__
from .errors import NarrateError, Terminated
from .models import Script
from .profile import Profile, load_profile
from .text.lexicon import Lexicon

if TYPE_CHECKING:
    from .audio.cache import SentenceCache
    from .audio.catalogue import Installed
    from .audio.clips import ClipSource
    from .audio.synth import SynthesizerFactory
    from .audio.voices import VoiceInfo
    from .batch import BatchReport
    from .verify.check import CheckReport

COMMANDS = (
    "script", "clean", "voices", "preview", "say", "batch", "feed", "cache", "studio", "check", "words"
)  # fmt: skip

_EPILOG_MAIN = """examples:
  narrate article.txt                      # -> output/<headline-slug>.mp3
  narrate article.md -o episode.mp3 --speed 1.1
  narrate page.html --voice en_GB-alan-medium --profile myprofile.toml
  cat article.txt | narrate -

other commands (narrate COMMAND -h for each):
  narrate script ARTICLE [--json]   the exact script the voice will speak
  narrate clean FILE                the cleaned article, header lines then paragraphs
  narrate voices [NAME]             the installed voices (or one, with its speakers)
  narrate voices download NAME      download, verify and install a voice from Piper's catalogue
  narrate preview ARTICLE -p N      hear paragraph N (or -c N, --find TEXT) in seconds
  narrate say "TEXT"                hear a typed line, e.g. after a lexicon change
  narrate batch FOLDER -o DIR       every article an episode, with transcripts and DIR/feed.xml
  narrate feed DIR                  rebuild DIR/feed.xml from the episodes already there
  narrate cache [--clear]           the sentence audio cache: size and entries, or empty it
  narrate check ARTICLE             hear the episode and list sentences it does not say cleanly
  narrate words ARTICLE [--toml]    the names and rare words the voice will guess at
  narrate studio [PATH]             a local web page: the script, hear any part, fix names, render
"""


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
_jobs = _bounded(int, "--jobs", 1, 64, "2")


def _speaker(text: str) -> str:
    """--speaker: a number from 0 or a name; which ones exist is the voice's to say."""
    if not text.strip() or text.strip().startswith("-"):
        raise argparse.ArgumentTypeError(
            f"takes a speaker number (0, 1, ...) or a name from `narrate voices NAME`, not {text!r}"
        )
    return text.strip()


def _common(voice: bool = True) -> argparse.ArgumentParser:
    """Options shared by the commands that read an article; defined once."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--profile", metavar="FILE", help="publication profile TOML (default: the bundled Byline profile)"
    )
    parent.add_argument(
        "--lexicon", metavar="FILE", help="pronunciation lexicon TOML; its entries win over the profile's"
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


# --- sentence cache and synthesis workers (issue 4) ----------------------------------------------


def _synthesis_options(jobs: bool = True) -> argparse.ArgumentParser:
    """--cache-dir and --no-cache (and --jobs, synthesis workers), shared by the commands that synthesise."""
    parent = argparse.ArgumentParser(add_help=False)
    if jobs:
        parent.add_argument("--jobs", type=_jobs, metavar="N", help="synthesis workers (default: the cores)")
    parent.add_argument("--cache-dir", metavar="DIR", help="sentence audio cache (default: the user cache)")
    parent.add_argument("--no-cache", action="store_true", help="neither read nor write the sentence cache")
    parent.add_argument("--cache-max", type=_size, metavar="SIZE", help=_CACHE_MAX_HELP)
    return parent


_CACHE_MAX_HELP = "the cache's size limit, e.g. 500M or 2G (default: $NARRATE_CACHE_MAX, the profile, 2G)"


def _size(text: str) -> int:
    from .profile import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _cache_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate cache",
        description=(
            "Show the sentence audio cache (folder, entries, size against its limit); --prune removes the "
            "least recently used entries until it is under the limit, --clear empties it."
        ),
        epilog=(
            "examples:\n  narrate cache\n  narrate cache --prune --cache-max 500M\n  narrate cache --clear\n"
            "  narrate cache --cache-dir /tmp/nc"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--clear", action="store_true", help="remove every cached sentence")
    what.add_argument("--prune", action="store_true", help="remove the least recently used over the limit")
    p.add_argument("--cache-dir", metavar="DIR", help="the cache folder (default: the user cache)")
    p.add_argument("--cache-max", type=_size, metavar="SIZE", help=_CACHE_MAX_HELP)
    p.add_argument("--profile", metavar="FILE", help="the profile whose [cache] max_size applies")
    return p


def _cmd_cache(args: argparse.Namespace, err: Console) -> int:
    cache = _sentence_cache(args, load_profile(args.profile))
    assert cache is not None
    if args.clear:
        removed = cache.clear()
        print(f"{cache.directory}: removed {removed} cached sentences")
        return 0
    if args.prune:
        removed, freed = cache.prune()
        print(f"{cache.directory}: removed {removed} least recently used sentences ({freed / 1e6:.1f} MB)")
    entries, size = cache.stats()
    limit = cache.max_bytes / 1e6
    print(f"{cache.directory}: {entries} cached sentences, {size / 1e6:.1f} MB of its {limit:.0f} MB limit")
    return 0


def _sentence_cache(args: argparse.Namespace, profile: Profile) -> SentenceCache | None:
    """The sentence cache the options and profile ask for (None with --no-cache)."""
    from .audio.cache import SentenceCache, cache_limit

    if getattr(args, "no_cache", False):
        return None
    return SentenceCache(args.cache_dir, cache_limit(args.cache_max, profile.cache.max_size))


def _main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="narrate",
        description=(
            "Narrate an article (.txt, .md, .html, or - for stdin) into a podcast-ready MP3 with chapters."
        ),
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common(), _synthesis_options()],
    )
    parser.add_argument("article", metavar="ARTICLE", help="the article file, or - to read stdin")
    parser.add_argument("-o", "--output", metavar="OUT", help="MP3 path (default: output/<slug>.mp3)")
    parser.add_argument(
        "--output-dir", metavar="DIR", default="output", help="folder for the MP3 (default: output)"
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
        help="then hear the episode and list what it does not say cleanly (needs narrate[check]); "
        "exit code 1 when something is flagged",
    )
    parser.add_argument("--version", action="version", version=f"narrate {__version__}")
    return parser


def _command_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "script":
        p = argparse.ArgumentParser(
            prog="narrate script",
            description="Print the exact script the voice will speak, without synthesising anything.",
            epilog=(
                "examples:\n  narrate script article.txt\n  narrate script article.txt --json > script.json"
            ),
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
    if command.startswith("voices"):
        return _voices_parser(command)
    if command in ("preview", "say"):
        return _preview_parser(command)
    if command in ("batch", "feed"):
        return _batch_parser(command)
    if command == "cache":
        return _cache_parser()
    if command == "studio":
        return _studio_parser()
    if command in ("check", "words"):
        return _verify_parser(command)
    raise KeyError(command)


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None, *, synthesizer_factory: SynthesizerFactory | None = None) -> int:
    """Run one command; returns the exit code. synthesizer_factory builds the voice (default: Piper)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if args_list and args_list[0] in COMMANDS:
            command = args_list.pop(0)
            if command == "voices" and args_list and args_list[0] in _VOICE_ACTIONS:
                command = f"voices {args_list.pop(0)}"
            args = _command_parser(command).parse_args(args_list)
            handler = _HANDLERS[command]
        else:
            args = _main_parser().parse_args(args_list)
            handler = _cmd_narrate
        args.synthesizer_factory = synthesizer_factory or _piper_factory()
        return handler(args, err)
    except NarrateError as exc:
        err.print(f"narrate: error: {exc}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("narrate: interrupted; nothing was written at the output path", markup=False)
        return 130
    except Terminated:
        err.print("narrate: terminated; nothing was written at the output path", markup=False)
        return 143


def _piper_factory() -> SynthesizerFactory:
    from .audio.synth import piper_synthesizer

    return piper_synthesizer


def _profile_and_lexicon(args: argparse.Namespace) -> tuple[Profile, Lexicon | None]:
    profile = load_profile(args.profile)
    if getattr(args, "speaker", None) is not None:  # --speaker goes with --voice, else the profile's voice
        profile = profile.with_voice(args.voice, speaker=args.speaker)
    lexicon = Lexicon.load(Path(args.lexicon)) if getattr(args, "lexicon", None) else None
    return profile, lexicon


@contextmanager
def _progress(err: Console, quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    labels = {"synthesise": "Synthesising", "loudness": "Setting loudness", "encode": "Encoding MP3"}
    # No refresh thread: synthesis workers are forked mid-run, and a process forked while another
    # thread runs can deadlock; the bar is redrawn as progress is reported (at most 10 times a second).
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
        auto_refresh=False,
    ) as bar:
        tasks: dict[str, object] = {}
        drawn = [0.0]

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]
            if time.monotonic() - drawn[0] >= 0.1 or done == total:
                bar.refresh()
                drawn[0] = time.monotonic()

        yield update


def _cmd_narrate(args: argparse.Namespace, err: Console) -> int:
    from .pipeline import narrate_article

    profile, lexicon = _profile_and_lexicon(args)
    if args.check:
        _require_recogniser()  # before minutes of synthesis, not after
    with _progress(err, args.quiet) as progress:
        result = narrate_article(
            args.article,
            output=args.output,
            output_dir=args.output_dir,
            profile=profile,
            voice=args.voice,
            speed=args.speed,
            lexicon=lexicon,
            synthesizer_factory=args.synthesizer_factory,
            progress=progress,
            jobs=args.jobs,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            cache_max=args.cache_max,
            force=args.force,
        )
    _warn(err, result.script)
    speed = result.seconds / result.wall_seconds if result.wall_seconds > 0 else 0.0
    loudness = "unchanged" if result.unchanged else f"{result.loudness_lufs:.1f} LUFS"
    print(
        f"{result.path}  {_clock(result.seconds)}  {len(result.chapters)} chapters  {loudness}  "
        f"{result.wall_seconds:.1f} s  ({speed:.1f}x real time)"
    )
    _write_requested_sidecars(args, result)
    if args.transcript and result.note:
        err.print(f"narrate: note: {result.note}", markup=False)
    if args.check:
        return _check_after(result.script, result.path, args.jobs)
    return 0


def _require_recogniser() -> None:
    from .verify.recognise import require_pocketsphinx

    require_pocketsphinx()


def _check_after(script: Script, mp3: Path, jobs: int | None) -> int:
    """`--check`: the check's summary and flags after the narration's line; 1 when something is flagged."""
    from .audio.workers import default_jobs
    from .verify.check import check_episode

    report = check_episode(script, mp3, jobs=jobs or default_jobs())
    print("check: " + check_summary(report))
    for line in check_lines(report):
        print(line)
    return 0 if report.ok else 1


def _cmd_script(args: argparse.Namespace, err: Console) -> int:
    from .pipeline import load_script

    profile, lexicon = _profile_and_lexicon(args)
    script = load_script(args.article, profile, lexicon)
    _warn(err, script)
    if args.json:
        print(json.dumps(script.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(script_text(script), end="")
    return 0


def _warn(err: Console, script: Script) -> None:
    for warning in script.warnings:
        err.print(f"narrate: warning: {warning}", markup=False)


def script_text(script: Script) -> str:
    """Chapters as '# N. title', paragraphs as '[P]' blocks, one spoken sentence a line."""

    lines: list[str] = []
    chapter = 0
    for item in script.numbered_paragraphs():
        if item.chapter != chapter:
            chapter = item.chapter
            if lines:
                lines.append("")
            lines.append(f"# {chapter}. {script.chapters[chapter - 1].title}")
        lines.append("")
        lines.append(f"[{item.number}]")
        lines.extend(s.spoken for s in item.paragraph.sentences)
    return "\n".join(lines) + "\n"


def _cmd_clean(args: argparse.Namespace, err: Console) -> int:
    from .text.article import load_article
    from .text.clean import clean_html, clean_text
    from .text.ingest import read_source

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
    cleaned = (
        clean_html(source.text, profile.clean)
        if source.format == "html"
        else clean_text(source.text, profile.clean)
    )
    if not cleaned.blocks:
        raise NarrateError(
            f"{source.name} has nothing to read once page clutter is removed: check it is an article"
        )
    print(cleaned.to_text().rstrip("\n"))
    return 0


# --- voices: list, show, the catalogue, download and add (issue 15) -------------------------------

_VOICE_ACTIONS = ("download", "add")

_EPILOG_VOICES = """examples:
  narrate voices                               # installed voices: language, quality, speakers, licence
  narrate voices en_GB-vctk-medium             # one voice, with its speakers
  narrate voices --available en_GB             # the British voices in Piper's catalogue
  narrate voices download en_GB-alan-medium    # download, verify and install one
  narrate voices add ~/Downloads/en_GB-alba-medium.onnx

Voices live in voices/ ($NARRATE_VOICES). The catalogue is Piper's (rhasspy/piper-voices, v1.0.0),
or a mirror with the same layout: --base-url URL or $NARRATE_VOICES_URL (http(s):// or file://)."""

_URL_HELP = "the catalogue's base URL, a mirror of Piper's (default: $NARRATE_VOICES_URL, else the official)"


def _catalogue_url(text: str) -> str:
    from .audio.catalogue import base_url

    try:
        return base_url(text)
    except NarrateError:
        raise argparse.ArgumentTypeError(f"takes an https://, http:// or file:// URL, not {text!r}") from None


def _voices_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "voices download":
        p = argparse.ArgumentParser(
            prog="narrate voices download",
            description="Download voices from Piper's catalogue, check each file's size and MD5, install.",
            epilog="examples:\n  narrate voices download en_GB-alan-medium\n"
            "  narrate voices download en_GB-vctk-medium --base-url https://mirror.example/piper-voices/",
            formatter_class=fmt,
        )
        p.add_argument("names", nargs="+", metavar="NAME", help="voice names, e.g. en_GB-alan-medium")
        p.add_argument("--base-url", type=_catalogue_url, metavar="URL", help=_URL_HELP)
        p.add_argument("--force", action="store_true", help="download again even when installed and intact")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
        return p
    if command == "voices add":
        p = argparse.ArgumentParser(
            prog="narrate voices add",
            description="Install voices from disk: FILE.onnx with FILE.onnx.json (and MODEL_CARD) beside it.",
            epilog="example:\n  narrate voices add ~/Downloads/en_GB-alba-medium.onnx",
            formatter_class=fmt,
        )
        p.add_argument("files", nargs="+", metavar="FILE.onnx", help="voice models to install")
        p.add_argument("--force", action="store_true", help="replace an installed voice of the same name")
        return p
    p = argparse.ArgumentParser(
        prog="narrate voices",
        description="List the installed voices (bundled and voices/), show one, or list Piper's catalogue.",
        epilog=_EPILOG_VOICES,
        formatter_class=fmt,
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="show this installed voice and its speakers")
    p.add_argument(
        "--available", nargs="?", const="", metavar="LANG", help="list the catalogue's voices (en_GB, en...)"
    )
    p.add_argument("--base-url", type=_catalogue_url, metavar="URL", help=_URL_HELP)
    return p


def _cmd_voices(args: argparse.Namespace, err: Console) -> int:
    from .audio.voices import find_voice, list_voices, voices_dir

    if args.available is not None:
        return _show_catalogue(args.base_url, args.available)
    if args.name:
        _show_voice(find_voice(args.name))
        return 0
    rows = [
        (
            v.name,
            v.language,
            v.quality,
            f"{v.sample_rate} Hz",
            str(v.num_speakers),
            v.licence or ("not stated" if v.card else "no model card"),
            "bundled" if v.bundled else str(v.model),
        )
        for v in list_voices()
    ]
    columns = ("name", "language", "quality", "sample rate", "speakers", "licence", "source")
    _print_table(f"Voices (bundled, and {voices_dir()}/)", columns, rows)
    return 0


def _print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
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


def _show_voice(voice: VoiceInfo) -> None:
    print(voice.name)
    print(f"  model      {voice.model}")
    print(f"  language   {voice.language}, quality {voice.quality}, {voice.sample_rate} Hz")
    if voice.card:
        print(f"  licence    {voice.licence or 'not stated'} (model card: {voice.card})")
    else:
        print("  licence    unknown: no model card")
    print(f"  speakers   {voice.num_speakers}" + ("  (--speaker ID or NAME)" * (voice.num_speakers > 1)))
    for name, sid in voice.speakers:
        print(f"  {sid:>5}  {name}")


def _show_catalogue(url: str | None, language: str) -> int:
    from .audio.catalogue import read_catalogue
    from .errors import VoiceError

    catalogue = read_catalogue(url)
    voices = catalogue.available(language or None)
    if not voices:
        codes = sorted({v.language for v in catalogue.voices.values()})
        raise VoiceError(f"no {language} voices at {catalogue.source}; its languages: {', '.join(codes)}")
    rows = [(v.key, v.language, v.quality, str(v.num_speakers), f"{v.size / 1e6:.0f} MB") for v in voices]
    _print_table(f"Voices at {catalogue.source}", ("name", "language", "quality", "speakers", "size"), rows)
    return 0


@contextmanager
def _download_display(err: Console, quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    from rich.progress import DownloadColumn, TransferSpeedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
    ) as bar:
        tasks: dict[str, object] = {}

        def update(voice: str, done: int, total: int) -> None:
            if voice not in tasks:
                tasks[voice] = bar.add_task(voice, total=total)
            bar.update(tasks[voice], completed=done, total=total)  # type: ignore[arg-type]

        yield update


def _cmd_voices_download(args: argparse.Namespace, err: Console) -> int:
    from .audio.catalogue import download_voice, read_catalogue

    catalogue = read_catalogue(args.base_url, wanted=args.names)
    for name in args.names:  # every name is checked before anything is downloaded
        catalogue.find(name)
    for name in args.names:
        with _download_display(err, args.quiet) as progress:
            result = download_voice(name, catalogue, force=args.force, progress=progress)
        _report_install(result, "--force downloads it again")
    return 0


def _cmd_voices_add(args: argparse.Namespace, err: Console) -> int:
    from .audio.catalogue import add_voice

    for path in args.files:
        _report_install(add_voice(path, force=args.force), "--force replaces it")
    return 0


def _report_install(result: Installed, unchanged_note: str) -> None:
    v = result.voice
    where = v.model.parent if v.model.parent.name == v.name else v.model
    if result.state == "unchanged":
        print(f"{v.name}: already installed and intact in {where} ({unchanged_note})")
        return
    speakers = f"{v.num_speakers} speakers" if v.num_speakers > 1 else "1 speaker"
    licence = v.licence or "not stated"
    print(f"{v.name}: {result.state} in {where} ({result.size / 1e6:.1f} MB, {speakers}, licence: {licence})")


# --- preview and say: hear one part in seconds -------------------------------------------------

_EPILOG_PREVIEW = """examples:
  narrate script article.txt                  # shows the chapter and paragraph numbers
  narrate preview article.txt --paragraph 3
  narrate preview article.txt --find "Ushakov" --lexicon names.toml
  narrate preview article.txt --chapter 2 -o chapter2.wav

Plays with ffplay, aplay, paplay or afplay when one is installed and output is a terminal;
otherwise (or with -o) writes a 16-bit WAV and prints its path.
"""

_EPILOG_SAY = """examples:
  narrate say "Yuri Ushakov commented on the plan."
  narrate say "Ushakov" --lexicon names.toml
  echo "Smith & Co. Ltd. paid £1.5bn." | narrate say -o line.wav
"""


def _part_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a number as `narrate script` shows, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"numbers start at 1, not {value}")
    return value


def _preview_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "preview":
        p = argparse.ArgumentParser(
            prog="narrate preview",
            description="Narrate one paragraph or chapter exactly as the episode would, and play it.",
            epilog=_EPILOG_PREVIEW,
            formatter_class=fmt,
            parents=[_common(), _synthesis_options(jobs=False)],
        )
        p.add_argument("article", metavar="ARTICLE", help="the article file, or - to read stdin")
        part = p.add_mutually_exclusive_group(required=True)
        for short, name in (("-p", "paragraph"), ("-c", "chapter")):
            part.add_argument(
                short, f"--{name}", type=_part_number, metavar="N",
                help=f"{name} N as `narrate script` numbers it",
            )
        part.add_argument("-f", "--find", metavar="TEXT", help="the first paragraph containing TEXT")
    else:
        p = argparse.ArgumentParser(
            prog="narrate say",
            description="Narrate a typed line with the episode's speech rules, lexicon, voice and loudness.",
            epilog=_EPILOG_SAY,
            formatter_class=fmt,
            parents=[_common(), _synthesis_options(jobs=False)],
        )
        p.add_argument("text", nargs="?", metavar="TEXT", help="the words to say (default, or -: read stdin)")
    p.add_argument("-o", "--output", metavar="OUT.wav", help="write this WAV instead of playing")
    p.add_argument("--play", action="store_true", help="play even when output is not a terminal")
    return p


def _cmd_preview(args: argparse.Namespace, err: Console) -> int:
    from .pipeline import load_script
    from .preview import select_part
    from .text.slug import slugify

    profile, lexicon = _profile_and_lexicon(args)
    with _clip_source(args, profile) as source:  # the voice loads while the article is read
        script = load_script(args.article, profile, lexicon)
        selection = select_part(script, paragraph=args.paragraph, chapter=args.chapter, find=args.find)
        default = Path("output") / f"preview-{slugify(script.title, 60)}-{selection.stem}.wav"
        return _run_preview(args, err, selection.script, selection.label, default, profile, source)


def _cmd_say(args: argparse.Namespace, err: Console) -> int:
    from .errors import InputError
    from .preview import say_script
    from .text.slug import slugify

    text = args.text
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise InputError('nothing to say: give the text in quotes, e.g. narrate say "Ushakov said no"')
        text = sys.stdin.read()
    profile, lexicon = _profile_and_lexicon(args)
    with _clip_source(args, profile) as source:
        script = say_script(text, profile, lexicon)
        default = Path("output") / f"say-{slugify(script.title, 40)}.wav"
        return _run_preview(args, err, script, "the line", default, profile, source)


def _clip_source(args: argparse.Namespace, profile: Profile) -> ClipSource:
    from .audio.clips import ClipSource

    cache = _sentence_cache(args, profile)
    return ClipSource(args.synthesizer_factory(profile.with_voice(args.voice, args.speed).voice), cache)


def _run_preview(
    args: argparse.Namespace,
    err: Console,
    script: Script,
    label: str,
    default: Path,
    profile: Profile,
    source: ClipSource,
) -> int:
    from .audio.playback import find_player
    from .preview import preview_audio

    player = None
    if args.output:
        reason = "-o was given"
    elif not (args.play or sys.stdout.isatty()):
        reason = "output is not a terminal (add --play to play anyway)"
    else:
        player = find_player()
        reason = "no audio player found (install ffplay, aplay or paplay to hear previews directly)"
    if player is not None:
        result = preview_audio(script, profile, source, player=player)
        print(
            f"played {label} with {result.player}  {_clock(result.seconds)}  "
            f"({result.sentences} sentences: {result.synthesised} synthesised, {result.cached} from cache)"
        )
        return 0
    result = preview_audio(script, profile, source, output=Path(args.output) if args.output else default)
    print(result.path)
    err.print(
        f"narrate: wrote {label} as a WAV ({_clock(result.seconds)}; {result.synthesised} sentences "
        f"synthesised, {result.cached} from cache), not played: {reason}",
        markup=False,
    )
    return 0


# --- batch, feed and sidecars (issue 5) ---------------------------------------------------------

_BATCH_EPILOG = """examples:
  narrate batch examples/                        # every .txt/.md/.html in examples/ -> output/
  narrate batch today/ -o site/audio --base-url https://example.com/audio/
  narrate batch a.md b.txt --jobs 1 --force      # one at a time, remake even unchanged episodes

Each article becomes DIR/<slug>.mp3 with <slug>.vtt, <slug>.srt and <slug>.chapters.json
beside it; DIR/feed.xml lists every episode in DIR. Unchanged articles are skipped (DIR holds a
.narrate-manifest.json of what made each file), so an interrupted batch resumes where it stopped.
Exit code 0 when every article was made or unchanged, 1 when any failed."""

_FEED_EPILOG = """examples:
  narrate feed output/
  narrate feed site/audio --base-url https://example.com/audio/"""


def _batch_parser(command: str) -> argparse.ArgumentParser:
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
            parents=[_common(), _synthesis_options(jobs=False)],
        )
        p.add_argument("inputs", nargs="+", metavar="INPUT", help="article files, folders of them")
        p.add_argument("-o", "--output-dir", metavar="DIR", default="output", help="episode folder (output)")
        p.add_argument("--jobs", type=_jobs, metavar="N", help="articles at once (default: cores)")
        p.add_argument("--force", action="store_true", help="remake episodes even when nothing changed")
        p.add_argument(
            "--check",
            action="store_true",
            help="hear each episode afterwards (needs narrate[check]); exit code 1 when any is flagged",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="where DIR is published, for the feed's links (default: the profile's base_url, the last "
        "one used, else DIR as a file:// URL)",
    )
    return p


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
    # Redrawn by hand until the first article is handed to a worker: worker processes are forked then,
    # and none after, so the refresh thread starts only once it cannot be copied into a child half-way.
    with Live(get_renderable=render, console=err, transient=True, auto_refresh=False) as live:
        ticking = threading.Event()
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(0.25):
                live.refresh()

        def update(name: str, state: str, detail: str) -> None:
            states[name] = (state, detail)
            done = sum(s in ("made", "unchanged", "failed") for s, _ in states.values())
            overall.update(task, total=len(states), completed=done)
            if state == "working" and not ticking.is_set():
                ticking.set()
                threading.Thread(target=tick, name="narrate-batch-display", daemon=True).start()
            live.refresh()

        try:
            yield update
        finally:
            stop.set()


def _cmd_batch(args: argparse.Namespace, err: Console) -> int:
    from .batch import BatchInterrupted, run_batch

    if args.check:
        _require_recogniser()

    try:
        with _batch_display(err, args.quiet) as display:
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
                progress=display,
                synthesizer_factory=args.synthesizer_factory,
            )
    except BatchInterrupted as stopped:
        _batch_summary(stopped.report, args.output_dir, err)
        err.print(f"narrate: {stopped}", markup=False)
        return stopped.exit_code
    checks = _check_batch(report, args, err) if args.check else None
    return _batch_summary(report, args.output_dir, err, checks)


def _check_batch(report: BatchReport, args: argparse.Namespace, err: Console) -> dict[str, CheckReport | str]:
    """`batch --check`: each made or unchanged episode heard and compared with its article's script."""
    from .audio.workers import default_jobs
    from .batch import collect_inputs
    from .pipeline import load_script
    from .verify.check import check_episode

    profile, lexicon = _profile_and_lexicon(args)
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
            _clock(e.seconds) if made else "",
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


def _cmd_feed(args: argparse.Namespace, err: Console) -> int:
    from .batch import rebuild_feed

    path, url, count = rebuild_feed(args.folder, args.profile, args.base_url)
    print(f"{path}  {count} episodes  ({url})")
    return 0


def _write_requested_sidecars(args: argparse.Namespace, result: object) -> None:
    """--transcript and --chapters-json for a single article: only when asked, beside the MP3."""
    from .pipeline import NarrationResult
    from .publish.sidecars import write_sidecars

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


def _clock(seconds: float) -> str:
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# --- check and words: proof that the audio says the script (issue 13) ----------------------------

_CHECK_EPILOG = """examples:
  narrate check article.txt                    # the MP3 `narrate article.txt` wrote
  narrate check article.txt --mp3 episode.mp3 --json > check.json

Recognises the speech offline (pocketsphinx, the `check` extra) and compares it with the script:
sentences dropped, cut short, garbled, moved, repeated, or replaced by silence or noise are listed
with their paragraph number (as `narrate script` shows it) and time. Exit code 0 when nothing is
flagged, 1 when something is, 2 for bad input."""

_WORDS_EPILOG = """examples:
  narrate words article.txt
  narrate words article.txt --lexicon names.toml
  narrate words article.txt --toml >> names.toml    # then correct the entries

Lists the words absent from the CMU pronouncing dictionary (the `check` extra): names and rare words
the voice guesses at, how often each is said, the phonemes the voice will use, whether the lexicon
already covers it, and a `narrate say` line to hear it."""


def _verify_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "check":
        p = argparse.ArgumentParser(
            prog="narrate check",
            description="Hear an episode offline and list every sentence it does not say as the script does.",
            epilog=_CHECK_EPILOG,
            formatter_class=fmt,
            parents=[_common(voice=False)],
        )
        p.add_argument("article", metavar="ARTICLE", help="the article the episode was made from")
        p.add_argument(
            "--mp3", metavar="FILE", help="the episode (default: where `narrate ARTICLE` writes it)"
        )
        p.add_argument(
            "--output-dir", metavar="DIR", default="output", help="where to look for the default MP3 (output)"
        )
        p.add_argument("--json", action="store_true", help="the report as JSON")
        p.add_argument("--jobs", type=_jobs, metavar="N", help="recogniser processes (default: the cores)")
        return p
    p = argparse.ArgumentParser(
        prog="narrate words",
        description="List the names and rare words the voice will guess at, with how it will say them.",
        epilog=_WORDS_EPILOG,
        formatter_class=fmt,
        parents=[_common()],
    )
    p.add_argument("article", metavar="ARTICLE")
    p.add_argument("--toml", action="store_true", help="print a [lexicon] skeleton to paste and correct")
    return p


def _cmd_check(args: argparse.Namespace, err: Console) -> int:
    from .audio.workers import default_jobs
    from .pipeline import load_script, slugify
    from .verify.check import check_episode

    profile, lexicon = _profile_and_lexicon(args)
    script = load_script(args.article, profile, lexicon)
    mp3 = Path(args.mp3) if args.mp3 else Path(args.output_dir) / f"{slugify(script.title)}.mp3"
    report = check_episode(script, mp3, jobs=args.jobs or default_jobs())
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(check_summary(report))
        for line in check_lines(report):
            print(line)
    return 0 if report.ok else 1


def check_summary(report: CheckReport) -> str:
    """One line: the episode, its length, what was heard and how many flags."""
    flags = "ok" if report.ok else f"{len(report.flags)} flagged"
    return (
        f"{report.path}  {_clock(report.seconds)}  {report.sentences} sentences  "
        f"{report.matched_words}/{report.expected_words} words heard  {flags}  ({report.elapsed:.1f} s)"
    )


def check_lines(report: CheckReport) -> list[str]:
    """Each flag as an indented line (and the words not heard, when there are any)."""
    lines = []
    for f in report.flags:
        where = f"paragraph {f.paragraph}, sentence {f.sentence}" if f.sentence else "no sentence"
        said = f"  {f.text[:80]}" if f.text else ""
        lines.append(f"  {_clock_ms(f.start):>7}  {f.kind:<12}  {where}{said}")
        missing = f"; not heard: {' '.join(f.missing[:20])}" if f.missing else ""
        lines.append(f"  {'':7}  {'':12}  {f.detail}{missing}")
    return lines


def _clock_ms(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _cmd_words(args: argparse.Namespace, err: Console) -> int:
    from .audio.alignment import voice_phonemizer
    from .audio.voices import find_voice
    from .text.article import load_article
    from .verify.recognise import dictionary_words
    from .verify.words import guess_words, lexicon_skeleton

    profile, lexicon = _profile_and_lexicon(args)
    article = load_article(args.article, profile)
    phonemize = voice_phonemizer(find_voice(profile.voice.at(args.voice, None).name))
    words = guess_words(article, profile, lexicon, dictionary=dictionary_words(), phonemize=phonemize)
    if args.toml:
        print(lexicon_skeleton(words), end="")
        return 0
    if not words:
        err.print("narrate: every word is in the pronouncing dictionary", markup=False)
        return 0
    rows = [("word", "said", "voice says", "lexicon", "hear it")]
    rows += [
        (w.word, f"{w.count}x", w.phonemes, "covered" if w.covered else "-", w.say_command(args.lexicon))
        for w in words
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(c.ljust(widths[i]) for i, c in enumerate(row[:4])) + "  " + row[4])
    return 0


# --- studio: the producer's page (issue 14) ------------------------------------------------------

_STUDIO_EPILOG = """examples:
  narrate studio                                 # the articles in this folder
  narrate studio examples/water-bills.md         # one article
  narrate studio today/ --lexicon names.toml --no-browser
  narrate studio --port 0                        # any free port

Prints the page's address (with its access token) and opens it in the browser. Saving a
pronunciation writes to the --lexicon file (default: lexicon.toml in the folder, created on
first save). Needs the studio extra: pip install 'narrate[studio]'. Ctrl-C stops it."""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port takes a number such as 8765, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be between 0 and 65535, not {value}")
    return value


def _studio_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="narrate studio",
        description="A local page to read the script, hear any paragraph, fix pronunciations and render.",
        epilog=_STUDIO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common(), _synthesis_options(jobs=False)],
    )
    p.add_argument("path", nargs="?", default=".", metavar="PATH",
                   help="an article or a folder of articles (default: this folder)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port to listen on (default: 8765; 0: any free)")
    p.add_argument("--no-browser", action="store_true", help="print the address without opening a browser")
    p.add_argument("--output-dir", metavar="DIR", help="where episodes go (default: output/ in the folder)")
    return p


def _cmd_studio(args: argparse.Namespace, err: Console) -> int:
    from .studio.server import StudioServer, is_loopback, require_extra

    require_extra()  # before the voice loads: a missing extra is a one-line answer at once
    from .studio.service import Studio, StudioOptions

    options = StudioOptions(
        path=Path(args.path),
        profile=Path(args.profile) if args.profile else None,
        lexicon=Path(args.lexicon) if args.lexicon else None,
        voice=args.voice,
        speed=args.speed,
        speaker=args.speaker,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        use_cache=not args.no_cache,
        cache_max=args.cache_max,
        output_dir=Path(args.output_dir) if args.output_dir else None,
    )
    studio = Studio(options, synthesizer_factory=args.synthesizer_factory)
    server = StudioServer(studio, args.host, args.port)
    if not is_loopback(args.host):
        err.print(
            f"narrate: warning: listening on {args.host}: other machines can reach the studio, and anyone "
            "with the address can read, hear and change this folder's articles and lexicon",
            markup=False,
        )
    err.print("narrate: loading the voice...", markup=False)
    studio.start()
    print(f"narrate studio: {server.url}", flush=True)
    err.print(f"narrate: serving {studio.root}; Ctrl-C stops", markup=False)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.run()
    except (KeyboardInterrupt, Terminated):  # the usual way to stop it, not a failure
        pass
    err.print("narrate: studio stopped", markup=False)
    return 0


_HANDLERS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "batch": _cmd_batch,
    "feed": _cmd_feed,
    "script": _cmd_script,
    "clean": _cmd_clean,
    "voices": _cmd_voices,
    "voices download": _cmd_voices_download,
    "voices add": _cmd_voices_add,
    "preview": _cmd_preview,
    "say": _cmd_say,
    "cache": _cmd_cache,
    "check": _cmd_check,
    "words": _cmd_words,
    "studio": _cmd_studio,
}
