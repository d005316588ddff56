"""Ingest: encodings, binary detection, format detection, stdin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from narrate.errors import InputError
from narrate.text.ingest import decode, detect_format, read_source


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Café – “quoted”".encode(), "Café – “quoted”"),
        (b"\xef\xbb\xbfWith BOM", "With BOM"),
        ("Smart “quotes” – dash".encode("cp1252"), "Smart “quotes” – dash"),
        ("UTF-16 “text”".encode("utf-16"), "UTF-16 “text”"),
        (b"Windows\r\nline\rends", "Windows\nline\nends"),
        ("Cafe\u0301".encode(), "Café"),  # NFC
    ],
)
def test_decode(data: bytes, text: str) -> None:
    assert decode(data) == text


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"\xff\xd8\xff\xe0JFIF",
        b"%PDF-1.7",
        bytes(range(256)) * 10,
        b"abc\x00def",
    ],
)
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="binary"):
        decode(data, "x.bin")


@pytest.mark.parametrize(
    ("text", "suffix", "fmt"),
    [
        ("# Title\n\nText", ".md", "markdown"),
        ("Title\n\nText", ".txt", "text"),
        ("<!DOCTYPE html><html><body>x</body></html>", "", "html"),
        ("x", ".html", "html"),
        ("---\ntitle: x\n---\n\nBody", "", "markdown"),
        ("# Title\n\n## Section\n\nA [link](http://x.org) here.", "", "markdown"),
        ("# Title\n\n## Section\n\nBody", ".txt", "text"),
    ],
)
def test_detect_format(text: str, suffix: str, fmt: str) -> None:
    assert detect_format(text, suffix) == fmt


def test_read_stdin() -> None:
    source = read_source("-", stdin=io.BytesIO(b"Title\n\nBody."))
    assert source.name == "stdin" and source.text == "Title\n\nBody."


def test_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_source(tmp_path / "none.txt")
    with pytest.raises(InputError, match="is a folder"):
        read_source(tmp_path)
