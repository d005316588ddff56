"""A cleaned page or Markdown to an Article: title, author, date and sections of paragraphs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from ..errors import InputError
from ..models import Article, CleanedArticle, Section
from .dates import find_date
from .names import looks_like_name

_HEADER = re.compile(r"^(title|author|by|date|standfirst|summary)\s*:\s*(.*)$", re.IGNORECASE)
_BY_LINE = re.compile(r"^by\s+(\S.*)$", re.IGNORECASE)
_TERMINAL = re.compile(r"[.,;:…]['\"’”)\]]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")

def from_cleaned(cleaned: CleanedArticle, name: str = "input") -> Article:
    """A cleaned page as an Article: its metadata as found, headings told from paragraphs, sections made."""
    meta = _Meta(cleaned.title or None, cleaned.author or None, cleaned.date)
    article = _from_blocks(list(cleaned.blocks), meta, name)
    if article.standfirst is None and cleaned.standfirst:
        article = dataclasses.replace(article, standfirst=cleaned.standfirst)
    return article


@dataclass
class _Meta:
    title: str | None = None
    author: str | None = None
    date: dt.date | None = None
    standfirst: str | None = None


def _from_blocks(blocks: list[str], meta: _Meta, name: str) -> Article:
    _take_header_blocks(blocks, meta)
    if meta.title is None and blocks:
        first = blocks[0].split("\n")
        if len(first[0]) <= _TITLE_MAX:
            blocks.pop(0)
            meta.title = first[0].strip()
            if len(first) > 1:
                blocks.insert(0, "\n".join(first[1:]))
        else:  # a wall of text with no title line: name it after its opening words, read it all
            meta.title = _opening_words(first[0])
    if meta.author is None and blocks and "\n" not in blocks[0] and (by := _by_line(blocks[0])):
        meta.author = by
        blocks.pop(0)
    if not meta.title:
        raise InputError(f"{name} has nothing to read: it is empty or whitespace")
    headings = ((b, _is_heading(b, i, blocks)) for i, b in enumerate(blocks))
    return _article(meta.title, meta.author, meta.date, meta.standfirst, headings)


def _take_header_blocks(blocks: list[str], meta: _Meta) -> None:
    """Header lines (Title:, Author:, By ..., Date:) may open the text, in one block or several."""
    while blocks:
        parsed = [_header(line) for line in blocks[0].split("\n")]
        if not all(parsed):
            return
        for key, value in parsed:  # type: ignore[misc]
            if key == "date":
                meta.date = find_date(value)
            else:
                setattr(meta, key, value)
        blocks.pop(0)


_TITLE_MAX = 200


def _opening_words(text: str, count: int = 8) -> str:
    words = text.split()
    return " ".join(words[:count]).rstrip(",;:.") + ("…" if len(words) > count else "")


def _header(line: str) -> tuple[str, str] | None:
    m = _HEADER.match(line.strip())
    if m and m[2].strip():
        key = m[1].lower()
        key = {"by": "author", "summary": "standfirst"}.get(key, key)
        return key, m[2].strip()
    by = _by_line(line)
    return ("author", by) if by else None


def _by_line(line: str) -> str | None:
    """The name in 'By Jane Smith' or 'By Jane Smith and John de Vries', else None."""
    m = _BY_LINE.match(line.strip())
    return m[1].strip() if m and looks_like_name(m[1]) else None


def _is_heading(block: str, index: int, blocks: list[str]) -> bool:
    if "\n" in block or index == len(blocks) - 1:
        return False
    words = block.split()
    if not words or len(words) > 14 or len(block) > 100:
        return False
    if _TERMINAL.search(block) or _LIST_ITEM.match(block):
        return False
    first = block.lstrip("\"'“‘(")
    return bool(first) and (first[0].isupper() or first[0].isdigit())


def _article(
    title: str,
    author: str | None,
    date: dt.date | None,
    standfirst: str | None,
    blocks: Iterable[tuple[str, bool]],
) -> Article:
    sections: list[Section] = []
    heading: str | None = None
    paragraphs: list[str] = []
    for block, is_heading in blocks:
        if is_heading:
            if paragraphs or heading is not None:
                sections.append(Section(heading, tuple(paragraphs)))
            heading, paragraphs = block.strip(), []
        else:
            paragraphs.append(block)
    if paragraphs or heading is not None:
        sections.append(Section(heading, tuple(paragraphs)))
    sections = [s for s in sections if s.paragraphs or s.heading]
    return Article(title=title, author=author, date=date, standfirst=standfirst, sections=tuple(sections))


# --- Markdown -------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s+\S+.*$")
_AUTOLINK = re.compile(r"<(https?://[^>]+|[^@>\s]+@[^>\s]+)>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_CODE = re.compile(r"`+([^`]*)`+")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_RULE = re.compile(r"^(?:[-*_]\s*){3,}$")


def parse_markdown(text: str, name: str = "input") -> Article:
    """Markdown: YAML front matter, '#' title, '##'/'###' sections, lists as sentences, links as text."""
    meta: dict[str, object] = {}
    m = _FRONT_MATTER.match(text)
    if m:
        try:
            loaded = yaml.safe_load(m[1])
        except yaml.YAMLError as exc:
            raise InputError(f"{name}: the front matter is not valid YAML: {exc}".splitlines()[0]) from None
        if isinstance(loaded, dict):
            meta = {str(k).lower(): v for k, v in loaded.items()}
        text = text[m.end() :]
    title = _meta_str(meta, "title")
    author = _meta_str(meta, "author", "authors", "by")
    standfirst = _meta_str(meta, "standfirst", "description", "subtitle", "summary")
    date = _meta_date(meta.get("date"))

    items: list[tuple[str, bool]] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            items.append(("\n".join(paragraph), False))
            paragraph.clear()

    lines = text.splitlines()
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
            flush()
            continue
        if in_fence or _REF_DEF.match(line):
            continue
        stripped = line.strip()
        if not stripped or _RULE.match(stripped) and not paragraph:
            flush()
            continue
        if (h := _MD_HEADING.match(stripped)) is not None:
            flush()
            level, heading = len(h[1]), _inline(h[2])
            if level == 1 and title is None:
                title = heading
            elif level == 1 and not items:
                continue  # the page's own H1 repeating the front matter's title
            elif heading:
                items.append((heading, True))
            continue
        if paragraph and _SETEXT.match(stripped) and len(paragraph) == 1:
            heading = _inline(paragraph.pop())
            if stripped.startswith("=") and title is None:
                title = heading
            else:
                items.append((heading, True))
            continue
        stripped = re.sub(r"^(?:>\s?)+", "", stripped)
        if (li := _LIST_ITEM.match(stripped)) is not None:
            if paragraph and not _LIST_ITEM.match(lines[i - 1].strip() if i else ""):
                flush()
            item = _inline(li[1])
            if item and not re.search(r"[.!?…]['\"’”)]*$", item):
                item += "."
            paragraph.append(item)
            continue
        paragraph.append(_inline(stripped))
    flush()
    items = [(t, h) for t, h in items if t.strip()]
    if title is None and items:
        title = items.pop(0)[0]
    if not title:
        raise InputError(f"{name} has nothing to read: it is empty or whitespace")
    return _article(title, author, date, standfirst, items)


def _inline(text: str) -> str:
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    for _ in range(3):  # nested emphasis such as ***bold italic***
        text = _EMPHASIS.sub(r"\2", text)
    text = _HTML_TAG.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def _meta_str(meta: dict[str, object], *keys: str) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, list):
            value = " and ".join(str(v) for v in value if v)
        if value not in (None, ""):
            return str(value).strip()
    return None


def _meta_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return find_date(value)
    return None
