"""`narrate script` and `narrate clean`: what the text stages make, without synthesis."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

from ..errors import NarrateError
from ..models import Script
from .common import article_options, profile_and_lexicon, warn

if TYPE_CHECKING:
    from ..text.speech import Rewrite

from .web import page_fetcher


def cmd_script(args: argparse.Namespace, err: Console) -> int:
    from ..pipeline import load_script
    from ..text.script import explain_sentences

    profile, lexicon = profile_and_lexicon(args)
    with page_fetcher(args, profile) as fetcher:
        script = load_script(args.article, profile, lexicon, fetcher=fetcher)
    warn(err, script)
    rewrites = explain_sentences(script, profile, lexicon) if args.explain else None
    if args.json:
        print(json.dumps(script_json(script, rewrites), ensure_ascii=False, indent=2))
    else:
        print(script_text(script, rewrites), end="")
    return 0


def script_json(script: Script, rewrites: Sequence[Sequence[Rewrite]] | None = None) -> dict[str, Any]:
    """`Script.to_dict()`, with each sentence's rewrites added when `rewrites` is given (--explain)."""
    data: dict[str, Any] = script.to_dict()
    if rewrites is None:
        return data
    sentences = (s for c in data["chapters"] for p in c["paragraphs"] for s in p["sentences"])
    for sentence, made in zip(sentences, rewrites, strict=True):
        sentence["rewrites"] = [r.to_dict() for r in made]
    return data


def script_text(script: Script, rewrites: Sequence[Sequence[Rewrite]] | None = None) -> str:
    """Chapters as '# N. title', paragraphs as '[P]' blocks, one spoken sentence a line.

    With `rewrites` (--explain), each sentence is followed by its written form (where it differs) and
    one indented line per rewrite: the rule, the text it replaced and what is said instead.
    """
    made = iter(rewrites) if rewrites is not None else None

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
        for sentence in item.paragraph.sentences:
            lines.append(sentence.spoken)
            if made is None:
                continue
            rewrites_here = next(made)
            if sentence.text != sentence.spoken:
                lines.append(f"    written: {sentence.text}")
            lines.extend(f"    {r.rule}: {r.written} -> {r.spoken}" for r in rewrites_here)
    return "\n".join(lines) + "\n"


def cmd_clean(args: argparse.Namespace, err: Console) -> int:
    from ..text.article import article_from_source, clean_source
    from ..web.page import read_input

    profile, _ = profile_and_lexicon(args)
    with page_fetcher(args, profile) as fetcher:
        source = read_input(args.article, profile, fetcher=fetcher)
    if source.format == "markdown":
        article = article_from_source(source, profile)
        header = [f"Title: {article.title}"]
        if article.author:
            header.append(f"Author: {article.author}")
        if article.date:
            header.append(f"Date: {article.date.isoformat()}")
        blocks = [b for s in article.sections for b in ((s.heading,) if s.heading else ()) + s.paragraphs]
        print("\n".join(header) + "\n\n" + "\n\n".join(blocks))
        return 0
    cleaned = clean_source(source, profile)
    if not cleaned.blocks:
        name = source.url or source.name
        raise NarrateError(f"{name} has nothing to read once page clutter is removed: check it is an article")
    print(cleaned.to_text().rstrip("\n"))
    return 0


def text_parser(command: str) -> argparse.ArgumentParser:
    """`narrate script` and `narrate clean`: the text stages' output, no synthesis."""
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "script":
        p = argparse.ArgumentParser(
            prog="narrate script",
            description="Print the exact script the voice will speak, without synthesising anything.",
            epilog=(
                "examples:\n  narrate script article.txt\n  narrate script article.txt --json > script.json\n"
                "  narrate script article.txt --explain   # every rewrite: the rule, what it replaced\n"
                "  narrate script https://news.example.com/2026/12/water-bills/"
            ),
            formatter_class=fmt,
            parents=[article_options(voice=False)],
        )
        p.add_argument("article", metavar="ARTICLE")
        p.add_argument("--json", action="store_true", help="the stable JSON form")
        p.add_argument(
            "--explain",
            action="store_true",
            help="under each sentence, its written form and every rewrite: the rule, the text it replaced "
            "(with --json: a 'rewrites' list per sentence)",
        )
        return p
    if command == "clean":
        p = argparse.ArgumentParser(
            prog="narrate clean",
            description="Print the cleaned article (header lines, then paragraphs) to check or save.",
            epilog="examples:\n  narrate clean scraped-page.txt > article.txt\n"
            "  narrate clean https://news.example.com/2026/12/water-bills/ > water-bills.txt",
            formatter_class=fmt,
            parents=[article_options(voice=False)],
        )
        p.add_argument("article", metavar="FILE")
        return p
    raise KeyError(command)


PARSERS = {"script": lambda: text_parser("script"), "clean": lambda: text_parser("clean")}
HANDLERS = {"script": cmd_script, "clean": cmd_clean}
