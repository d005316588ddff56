"""Decoded input to an Article, by format: Markdown, a saved HTML page, or plain or scraped text."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ..errors import InputError
from ..models import Article
from ..profile import Profile, load_profile
from .clean import clean_html, clean_text
from .ingest import Source, read_source
from .structure import from_cleaned, parse_markdown


def article_from_source(source: Source, profile: Profile) -> Article:
    """Clean and structure decoded input according to its format."""
    if not source.text.strip():
        raise InputError(f"{source.name} has nothing to read: it is empty or whitespace")
    if source.format == "markdown":
        return parse_markdown(source.text, source.name)
    cleaned = (
        clean_html(source.text, profile.clean)
        if source.format == "html"
        else clean_text(source.text, profile.clean)
    )
    if not cleaned.blocks and not cleaned.title:
        raise InputError(
            f"{source.name} has nothing to read once page clutter is removed: check it is an article"
        )
    return from_cleaned(cleaned, source.name)


def load_article(path: str | Path, profile: Profile | None = None, stdin: BinaryIO | None = None) -> Article:
    """Read, clean and structure an article file ('-' for stdin)."""
    return article_from_source(read_source(path, stdin), profile or load_profile())
