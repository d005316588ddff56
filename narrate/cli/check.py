"""`narrate check` and `narrate words`, and the check that --check runs after narrating."""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from ..models import Script
from ..text.wording import count

if TYPE_CHECKING:
    from ..pipeline import Checker
    from ..verify.check import CheckReport

from .common import article_options, clock, jobs_option, profile_and_lexicon
from .web import page_fetcher


def require_recogniser() -> None:
    from ..verify.recognise import require_pocketsphinx

    require_pocketsphinx()


def episode_checker(jobs: int | None) -> Checker:
    """`--check`'s hearing of a single episode: the recogniser on `jobs` processes (default: the cores)."""
    from ..audio.engine import default_jobs
    from ..verify.check import check_episode

    return functools.partial(check_episode, jobs=jobs or default_jobs())


def check_after(report: CheckReport, healed: tuple[int, ...]) -> int:
    """`--check`: the check's summary and flags after the narration's line; 1 when something is flagged."""
    if healed:
        print(f"check: {healing(healed)}; heard again:")
    print("check: " + check_summary(report))
    for line in check_lines(report):
        print(line)
    return 0 if report.ok else 1


def healing(healed: tuple[int, ...]) -> str:
    """What the heal did, as one phrase: 'sentences 3, 7 heard wrong and made again'."""
    more = f" and {len(healed) - 10} more" if len(healed) > 10 else ""
    numbers = ", ".join(str(n) for n in healed[:10]) + more
    return f"sentence{'s' if len(healed) > 1 else ''} {numbers} heard wrong and made again"


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


def verify_parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "check":
        p = argparse.ArgumentParser(
            prog="narrate check",
            description="Hear an episode offline and list every sentence it does not say as the script does.",
            epilog=_CHECK_EPILOG,
            formatter_class=fmt,
            parents=[article_options(voice=False)],
        )
        p.add_argument("article", metavar="ARTICLE", help="the article the episode was made from")
        p.add_argument(
            "--mp3", metavar="FILE", help="the episode (default: where `narrate ARTICLE` writes it)"
        )
        p.add_argument(
            "--output-dir", metavar="DIR", help="where the episode is (default: as `narrate ARTICLE`)"
        )
        p.add_argument("--json", action="store_true", help="the report as JSON")
        p.add_argument("--jobs", type=jobs_option, metavar="N", help="recogniser processes (default: cores)")
        return p
    p = argparse.ArgumentParser(
        prog="narrate words",
        description="List the names and rare words the voice will guess at, with how it will say them.",
        epilog=_WORDS_EPILOG,
        formatter_class=fmt,
        parents=[article_options()],
    )
    p.add_argument("article", metavar="ARTICLE")
    p.add_argument("--toml", action="store_true", help="print a [lexicon] skeleton to paste and correct")
    return p


def cmd_check(args: argparse.Namespace, err: Console) -> int:
    from ..audio.engine import default_jobs
    from ..pipeline import load_script
    from ..verify.check import check_episode

    profile, lexicon = profile_and_lexicon(args)
    with page_fetcher(args, profile) as fetcher:
        script = load_script(args.article, profile, lexicon, fetcher=fetcher)
    mp3 = Path(args.mp3) if args.mp3 else episode_path(args.article, script, Path(args.output_dir))
    report = check_episode(script, mp3, jobs=args.jobs or default_jobs())
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(check_summary(report))
        for line in check_lines(report):
            print(line)
    return 0 if report.ok else 1


def episode_path(article: str | Path, script: Script, folder: Path) -> Path:
    """The article's episode: its record in the batch manifest there, else where `narrate ARTICLE` puts it
    (a web article's file is named from its URL)."""
    import hashlib

    from ..publish.manifest import MANIFEST_NAME, Manifest
    from ..web.fetch import is_url
    from ..web.page import output_stem

    if (folder / MANIFEST_NAME).is_file() and not is_url(str(article)) and Path(article).is_file():
        content = hashlib.sha256(Path(article).read_bytes()).hexdigest()
        for record in Manifest.load(folder).records:
            if record.content == content and record.files.get("mp3"):
                return folder / record.files["mp3"]
    return folder / f"{output_stem(article, script.title)}.mp3"


def check_summary(report: CheckReport) -> str:
    """One line: the episode, its length, what was heard and how many flags."""
    flags = "ok" if report.ok else f"{len(report.flags)} flagged"
    return (
        f"{report.path}  {clock(report.seconds)}  {count(report.sentences, 'sentence')}  "
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


def cmd_words(args: argparse.Namespace, err: Console) -> int:
    from ..audio.alignment import voice_phonemizer
    from ..audio.voices import find_voice
    from ..text.article import article_from_source
    from ..verify.recognise import dictionary_words
    from ..verify.words import guess_words, lexicon_skeleton
    from ..web.page import read_input

    profile, lexicon = profile_and_lexicon(args)
    with page_fetcher(args, profile) as fetcher:
        article = article_from_source(read_input(args.article, profile, fetcher=fetcher), profile)
    phonemize = voice_phonemizer(find_voice(profile.voice.name))
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


PARSERS = {"check": lambda: verify_parser("check"), "words": lambda: verify_parser("words")}
HANDLERS = {"check": cmd_check, "words": cmd_words}
