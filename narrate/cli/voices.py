"""`narrate voices`: list and show voices, the catalogue, download and add."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import NarrateError

if TYPE_CHECKING:
    from ..audio.catalogue import Installed
    from ..audio.voices import VoiceInfo

from .common import print_table

VOICE_ACTIONS = ("download", "add")


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
    from ..audio.catalogue import base_url

    try:
        return base_url(text)
    except NarrateError:
        raise argparse.ArgumentTypeError(f"takes an https://, http:// or file:// URL, not {text!r}") from None


def voices_parser(command: str) -> argparse.ArgumentParser:
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


def cmd_voices(args: argparse.Namespace, err: Console) -> int:
    from ..audio.voices import find_voice, list_voices, voices_dir

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
    print_table(f"Voices (bundled, and {voices_dir()}/)", columns, rows)
    return 0


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
    from ..audio.catalogue import read_catalogue
    from ..errors import VoiceError

    catalogue = read_catalogue(url)
    voices = catalogue.available(language or None)
    if not voices:
        codes = sorted({v.language for v in catalogue.voices.values()})
        raise VoiceError(f"no {language} voices at {catalogue.source}; its languages: {', '.join(codes)}")
    rows = [(v.key, v.language, v.quality, str(v.num_speakers), f"{v.size / 1e6:.0f} MB") for v in voices]
    print_table(f"Voices at {catalogue.source}", ("name", "language", "quality", "speakers", "size"), rows)
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


def cmd_voices_download(args: argparse.Namespace, err: Console) -> int:
    from ..audio.catalogue import download_voice, read_catalogue

    catalogue = read_catalogue(args.base_url, wanted=args.names)
    for name in args.names:  # every name is checked before anything is downloaded
        catalogue.find(name)
    for name in args.names:
        with _download_display(err, args.quiet) as progress:
            result = download_voice(name, catalogue, force=args.force, progress=progress)
        _report_install(result, "--force downloads it again")
    return 0


def cmd_voices_add(args: argparse.Namespace, err: Console) -> int:
    from ..audio.catalogue import add_voice

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


PARSERS = {
    "voices": lambda: voices_parser("voices"),
    "voices download": lambda: voices_parser("voices download"),
    "voices add": lambda: voices_parser("voices add"),
}
HANDLERS = {"voices": cmd_voices, "voices download": cmd_voices_download, "voices add": cmd_voices_add}
