"""Markdown's body to plain blocks with markdown-it-py: paragraphs, headings, lists and tables as text, code
never read, and an unclosed code fence that keeps the text after it (with a warning)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")  # a reference link whose definition is missing
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CLOSING_FENCE = re.compile(r"^[\s>]*(`{3,}|~{3,})\s*$")  # in a quote or a list item too
_ENDS_SENTENCE = re.compile(r"[.!?…]['\"’”)]*$")
_MAX_FENCE_FIXES = 20


@dataclass(frozen=True)
class Block:
    """A block of the body as text: a paragraph (lines joined by newlines) or a heading of some level."""

    text: str
    level: int = 0  # heading level; 0 for a paragraph
    setext: bool = False  # a heading underlined with === or ---, not opened with #


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def markdown_blocks(text: str, first_line: int = 1) -> tuple[list[Block], list[str]]:
    """The body's blocks in order, and warnings (an unclosed code fence, with its line number counted
    from `first_line`: the body may follow front matter)."""
    lines = text.split("\n")
    warnings: list[str] = []
    kept = list(range(len(lines)))  # which original line each line of `lines` is
    for attempt in range(_MAX_FENCE_FIXES + 1):
        tokens = _parser().parse("\n".join(lines))
        fence = _unclosed_fence(tokens, lines)
        if fence is None:
            return _blocks(tokens, lines), warnings
        if attempt == _MAX_FENCE_FIXES:  # each fix parses the text again: a limit, for a pathological file
            warnings.append(
                f"line {kept[fence] + first_line} opens yet another code block that is never closed: the "
                "rest of the file is taken as code and not read; close the code blocks with lines of ```"
            )
            return _blocks(tokens, lines), warnings
        end = next((k for k in range(fence + 1, len(lines)) if not lines[k].strip()), len(lines))
        read_from = f"line {kept[end] + first_line}" if end < len(lines) else "nowhere: it ends the file"
        warnings.append(
            f"line {kept[fence] + first_line} opens a code block ({lines[fence].strip()[:3]}) that is never "
            "closed: it is taken to end at the first blank line, and the text is read again from "
            f"{read_from}; close the block with a line of ``` to say where it ends"
        )
        del lines[fence:end], kept[fence:end]
    raise AssertionError("unreachable: the last attempt returns")


def _unclosed_fence(tokens: Sequence[Token], lines: Sequence[str]) -> int | None:
    """The line of a fence that runs to the end of the text without its closing line, if any."""
    for token in tokens:
        if token.type != "fence" or token.map is None:
            continue
        start, end = token.map  # a closed fence's last line is its closing one
        last = lines[end - 1] if end - 1 > start else ""
        closing = _CLOSING_FENCE.match(last)
        opener = token.markup
        if closing and closing[1][0] == opener[0] and len(closing[1]) >= len(opener):
            continue
        return start
    return None


def _blocks(tokens: Sequence[Token], source: Sequence[str]) -> list[Block]:
    out: list[Block] = []
    list_lines: list[str] = []  # the tight list being read (a list right below it runs on in it)
    depth = 0  # list nesting
    item_starts: list[bool] = []  # per open item: whether its first line is still to come
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            if depth == 0 and not (list_lines and token.map and source[token.map[0] - 1].strip()):
                _flush_list(out, list_lines)
            depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif kind == "list_item_open":
            item_starts.append(True)
        elif kind == "list_item_close":
            item_starts.pop()
        elif kind == "heading_open":
            _flush_list(out, list_lines)
            text = " ".join(_inline_lines(tokens[i + 1]))
            out.append(Block(text, int(token.tag[1]), setext=token.markup in ("=", "-")))
            i += 2
        elif kind == "inline" and depth > 0:
            lines = _inline_lines(token)
            if lines and item_starts and item_starts[-1]:
                lines[0] = lines[0] if _ENDS_SENTENCE.search(lines[0]) else lines[0] + "."
                item_starts[-1] = False
            if tokens[i - 1].hidden:  # a tight list: its items run on in one paragraph
                list_lines.extend(lines)
            else:  # a loose list: each paragraph its own
                _flush_list(out, list_lines)
                out.append(Block("\n".join(lines)))
        elif kind == "inline":
            _flush_list(out, list_lines)
            out.append(Block("\n".join(_inline_lines(token))))
        elif kind == "table_open":
            _flush_list(out, list_lines)
            i = _table(tokens, i, out)
        elif kind == "html_block":
            _flush_list(out, list_lines)
            text = _HTML_TAG.sub("", _HTML_COMMENT.sub("", token.content))
            out.append(Block("\n".join(_tidy(line) for line in text.split("\n") if _tidy(line))))
        # fences and indented code (fence, code_block) are never read; rules and quotes only frame text
        i += 1
    _flush_list(out, list_lines)
    return [b for b in out if b.text.strip()]


def _flush_list(out: list[Block], lines: list[str]) -> None:
    if lines:
        out.append(Block("\n".join(lines)))
        lines.clear()


def _table(tokens: Sequence[Token], start: int, out: list[Block]) -> int:
    """A table as one paragraph, a row a line: its cells joined by commas. Returns the table's last token."""
    rows: list[str] = []
    cells: list[str] = []
    i = start
    while tokens[i].type != "table_close":
        token = tokens[i]
        if token.type == "inline":
            cells.append(" ".join(_inline_lines(token)))
        elif token.type == "tr_close":
            row = ", ".join(c for c in cells if c)
            if row:
                rows.append(row if _ENDS_SENTENCE.search(row) else row + ".")
            cells = []
        i += 1
    out.append(Block("\n".join(rows)))
    return i


def _inline_lines(token: Token) -> list[str]:
    """An inline token as plain text lines: link and emphasis text kept, images and HTML tags dropped."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    lines = (_tidy(line) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _tidy(line: str) -> str:
    return re.sub(r"\s+", " ", _REF_LINK.sub(r"\1", line)).strip()
