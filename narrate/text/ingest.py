"""Bytes to text: encodings, binary detection and format detection."""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from ..errors import InputError
from .docx import docx_html, is_docx

Format = Literal["text", "markdown", "html"]

MAX_BYTES = 20_000_000  # a book is ~1-2 MB of text; anything far larger is a mistake

_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"ID3",
    b"RIFF",
    b"OggS",
    b"fLaC",
    b"\x7fELF",
    b"BZh",
    b"7z\xbc\xaf",
    b"\x00\x00\x01\x00",
)
_MD_HINTS = re.compile(
    r"(?m)^(?:#{1,6} \S|---\s*$|[*-] \S.*\n[*-] \S|\d+\. \S.*\n\d+\. \S)|\[[^\]\n]+\]\([^)\s]+\)"
)
_HTML_HINT = re.compile(r"^\s*(?:<!doctype html|<html\b|<head\b|<body\b|<article\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """Decoded input text, its detected format and where it came from."""

    text: str
    format: Format
    name: str
    url: str | None = None  # the page's address (after redirects) when it came from the web


def read_source(path: str | Path, stdin: BinaryIO | None = None) -> Source:
    """Read a file (or '-' for stdin) into NFC text and detect its format."""
    if str(path) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return source_from_bytes(stream.read(MAX_BYTES + 1), "stdin")
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} is a folder: pass an article file, or use `narrate batch {p}`")
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{p} not found: check the path") from None
    except PermissionError:
        raise InputError(f"{p} cannot be read (permission denied): check its permissions") from None
    except OSError as exc:
        raise InputError(f"{p} cannot be read: {exc.strerror or exc}") from None
    return source_from_bytes(data, str(p))


def source_from_bytes(data: bytes, name: str, url: str | None = None) -> Source:
    """An article's bytes as a Source (`name` is its file's name, whose suffix hints at the format;
    `url` the page's address when it came from the web)."""
    if len(data) > MAX_BYTES:
        raise InputError(f"{name} is larger than {MAX_BYTES // 1_000_000} MB: split it into articles")
    if is_docx(data):  # a Word document: mammoth makes it HTML, read as a saved page is
        return Source(text=docx_html(data, name), format="html", name=name)
    if Path(name).suffix.lower() == ".docx":
        raise InputError(f"{name} is a damaged Word document: open it in Word and save it again as .docx")
    text = decode(data, name)
    return Source(text=text, format=detect_format(text, Path(name).suffix.lower()), name=name, url=url)


def decode(data: bytes, name: str = "input") -> str:
    """Decode bytes as UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252; reject binary data."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{name} claims to be UTF-16 but is not: save it as UTF-8") from None
    else:
        if _looks_binary(data):
            raise InputError(f"{name} is a binary file, not text: pass a .txt, .md, .html or .docx article")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _looks_binary(data: bytes) -> bool:
    if data.startswith(_BINARY_MAGIC):
        return True
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(sample) > 0.05


def detect_format(text: str, suffix: str = "") -> Format:
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    head = text[:2000]
    if _HTML_HINT.search(head):
        return "html"
    if suffix not in (".txt", ".text") and (text.startswith("---\n") or len(_MD_HINTS.findall(head)) >= 2):
        return "markdown"
    return "text"
