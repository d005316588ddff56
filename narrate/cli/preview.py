"""`narrate preview` and `narrate say`: one paragraph or a typed line, played or written as WAV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from ..models import Script
from ..profile import Profile

if TYPE_CHECKING:
    from ..audio.clips import ClipSource

from .common import article_options, clock, profile_and_lexicon, sentence_cache, synthesis_options

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


def preview_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "preview":
        p = argparse.ArgumentParser(
            prog="narrate preview",
            description="Narrate one paragraph or chapter exactly as the episode would, and play it.",
            epilog=_EPILOG_PREVIEW,
            formatter_class=fmt,
            parents=[article_options(), synthesis_options(jobs=False)],
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
            parents=[article_options(), synthesis_options(jobs=False)],
        )
        p.add_argument("text", nargs="?", metavar="TEXT", help="the words to say (default, or -: read stdin)")
    p.add_argument("-o", "--output", metavar="OUT.wav", help="write this WAV instead of playing")
    p.add_argument("--play", action="store_true", help="play even when output is not a terminal")
    return p


def cmd_preview(args: argparse.Namespace, err: Console) -> int:
    from ..pipeline import load_script
    from ..preview import select_part
    from ..text.slug import slugify

    profile, lexicon = profile_and_lexicon(args)
    with _clip_source(args, profile) as source:  # the voice loads while the article is read
        script = load_script(args.article, profile, lexicon)
        selection = select_part(script, paragraph=args.paragraph, chapter=args.chapter, find=args.find)
        default = Path("output") / f"preview-{slugify(script.title, 60)}-{selection.stem}.wav"
        return _run_preview(args, err, selection.script, selection.label, default, profile, source)


def cmd_say(args: argparse.Namespace, err: Console) -> int:
    from ..errors import InputError
    from ..preview import say_script
    from ..text.slug import slugify

    text = args.text
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise InputError('nothing to say: give the text in quotes, e.g. narrate say "Ushakov said no"')
        text = sys.stdin.read()
    profile, lexicon = profile_and_lexicon(args)
    with _clip_source(args, profile) as source:
        script = say_script(text, profile, lexicon)
        default = Path("output") / f"say-{slugify(script.title, 40)}.wav"
        return _run_preview(args, err, script, "the line", default, profile, source)


def _clip_source(args: argparse.Namespace, profile: Profile) -> ClipSource:
    from ..audio.clips import ClipSource

    cache = sentence_cache(args, profile)
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
    from ..audio.playback import find_player
    from ..preview import preview_audio

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
            f"played {label} with {result.player}  {clock(result.seconds)}  "
            f"({result.sentences} sentences: {result.synthesised} synthesised, {result.cached} from cache)"
        )
        return 0
    result = preview_audio(script, profile, source, output=Path(args.output) if args.output else default)
    print(result.path)
    err.print(
        f"narrate: wrote {label} as a WAV ({clock(result.seconds)}; {result.synthesised} sentences "
        f"synthesised, {result.cached} from cache), not played: {reason}",
        markup=False,
    )
    return 0


PARSERS = {"preview": lambda: preview_parser("preview"), "say": lambda: preview_parser("say")}
HANDLERS = {"preview": cmd_preview, "say": cmd_say}
