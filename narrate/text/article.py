"""Decoded input to an Article, by format: Markdown, a saved HTML page, or plain or scraped text."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ..errors import InputError
from ..models import Article, CleanedArticle
from ..profile import Profile, load_profile
from .clean import clean_html, clean_text
from .ingest import Source, read_source
from .sites import apply_rules, rules_for
from .structure import from_cleaned, parse_markdown


def article_from_source(source: Source, profile: Profile) -> Article:
    """Clean and structure decoded input according to its format (a web page: its site's rules first)."""
    name = source.url or source.name
    if not source.text.strip():
        raise InputError(f"{name} has nothing to read: it is empty or whitespace")
    if source.format == "markdown":
        return _long_enough(parse_markdown(source.text, source.name), source, profile)
    cleaned = clean_source(source, profile)
    if not cleaned.blocks and not cleaned.title:
        raise InputError(f"{name} has nothing to read once page clutter is removed: check it is an article")
    return _long_enough(from_cleaned(cleaned, source.name), source, profile)


def clean_source(source: Source, profile: Profile) -> CleanedArticle:
    """A saved or fetched page (its site's [sites] rules first) or scraped text, its clutter removed."""
    if source.format != "html":
        return clean_text(source.text, profile.clean)
    rules = rules_for(source.url, profile.sites)
    page = apply_rules(source.text, rules, source.url or source.name) if rules else source.text
    return clean_html(page, profile.clean)


def _long_enough(article: Article, source: Source, profile: Profile) -> Article:
    """A web page's article must reach [web] min_words: fewer is a paywall stub or a teaser."""
    if source.url is None or not profile.web.min_words:
        return article
    words = sum(len(p.split()) for p in article.paragraphs)
    if words < profile.web.min_words:
        raise InputError(
            f"{source.url} has only {words} words of article (under [web] min_words = "
            f"{profile.web.min_words}): a paywall stub or teaser, not an episode"
        )
    return article


def load_article(path: str | Path, profile: Profile | None = None, stdin: BinaryIO | None = None) -> Article:
    """Read, clean and structure an article file ('-' for stdin)."""
    return article_from_source(read_source(path, stdin), profile or load_profile())
