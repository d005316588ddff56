"""`narrate preview` and `narrate say`: one paragraph or a typed line, played or written as WAV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from ..models import Script
from ..profile import Profile
from ..text.wording import count

if TYPE_CHECKING:
    from ..audio.clips import ClipSource

from .common import article_options, clock, profile_and_lexicon, sentence_cache, synthesis_options
from .web import page_fetcher

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
  narrate say --phonemes "Ushakov Ofwat"        # the phonemes the voice will use, lexicon applied
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
                short,
                f"--{name}",
                type=_part_number,
                metavar="N",
                help=f"{name} N as `narrate script` numbers it",
            )
        part.add_argument("-f", "--find", metavar="TEXT", help="the first paragraph containing TEXT")
    else:
        p = argparse.ArgumentParser(
            prog="narrate say",
            description="Narrate a typed line with the episode's speech rules, lexicon, voice and loudness.",
            epilog=_EPILOG_SAY,
            formatter_class=fmt,
            parents=[article_options(web=False), synthesis_options(jobs=False)],
        )
        p.add_argument("text", nargs="?", metavar="TEXT", help="the words to say (default, or -: read stdin)")
        p.add_argument(
            "--phonemes",
            action="store_true",
            help="print each word's phonemes as the voice will say them (lexicon applied); play nothing",
        )
    p.add_argument("-o", "--output", metavar="OUT.wav", help="write this WAV instead of playing")
    p.add_argument("--play", action="store_true", help="play even when output is not a terminal")
    return p


def cmd_preview(args: argparse.Namespace, err: Console) -> int:
    from ..pipeline import load_script
    from ..preview import select_part
    from ..text.slug import slugify

    profile, lexicon = profile_and_lexicon(args)
    with _clip_source(args, profile) as source:  # the voice loads while the article is read
        with page_fetcher(args, profile) as fetcher:
            script = load_script(args.article, profile, lexicon, fetcher=fetcher)
        selection = select_part(script, paragraph=args.paragraph, chapter=args.chapter, find=args.find)
        default = _previews(args) / f"preview-{slugify(script.title, 60)}-{selection.stem}.wav"
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
    if args.phonemes:
        return _print_phonemes(say_script(text, profile, lexicon), profile.voice.name)
    with _clip_source(args, profile) as source:
        script = say_script(text, profile, lexicon)
        default = _previews(args) / f"say-{slugify(script.title, 40)}.wav"
        return _run_preview(args, err, script, "the line", default, profile, source)


def _print_phonemes(script: Script, voice: str) -> int:
    """`say --phonemes`: each spoken word, its phonemes, and whether the lexicon gave them."""
    from ..audio.alignment import voice_phonemizer
    from ..audio.voices import find_voice
    from ..preview import spoken_phonemes

    words = spoken_phonemes(script, voice_phonemizer(find_voice(voice)))
    width = max(len(w.spoken) for w in words)
    for word in words:
        source = "lexicon" if word.given else "espeak"
        print(f"{word.spoken.ljust(width)}  {word.phonemes}  ({source})")
    return 0


def _previews(args: argparse.Namespace) -> Path:
    """Where an unplayed preview goes: previews/ in the project (or here), never among the episodes."""
    project = getattr(args, "project", None)
    return (project.root if project is not None else Path()) / "previews"


def _clip_source(args: argparse.Namespace, profile: Profile) -> ClipSource:
    from ..audio.clips import ClipSource

    cache = sentence_cache(args, profile)
    return ClipSource(args.synthesizer_factory(profile.voice), cache)


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
            f"({count(result.sentences, 'sentence')}: {result.synthesised} synthesised, "
            f"{result.cached} from cache)"
        )
        return 0
    result = preview_audio(script, profile, source, output=Path(args.output) if args.output else default)
    print(result.path)
    err.print(
        f"narrate: wrote {label} as a WAV ({clock(result.seconds)}; {count(result.synthesised, 'sentence')} "
        f"synthesised, {result.cached} from cache), not played: {reason}",
        markup=False,
    )
    return 0


PARSERS = {"preview": lambda: preview_parser("preview"), "say": lambda: preview_parser("say")}
HANDLERS = {"preview": cmd_preview, "say": cmd_say}
