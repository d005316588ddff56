"""The MP3's ID3v2.3 tag: text frames, cover art, narrate's own keys, and chapters in time order."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    TALB,
    TCON,
    TDAT,
    TIT2,
    TLEN,
    TPE1,
    TSSE,
    TXXX,
    TYER,
    CTOCFlags,
    Frame,
)

# mutagen's public save() reorders frames; these two private helpers serialise frames as given
from mutagen.id3._tags import save_frame
from mutagen.id3._util import BitPaddedInt, ID3SaveConfig

from ..errors import EncodeError, ProfileError
from ..models import ChapterMark

KEY_DESC = "narrate-key"
RENDER_DESC = "narrate-render"
_UTF16 = 1  # ID3v2.3 has no UTF-8: UTF-16 with BOM is what every reader understands
MAX_CHAPTERS = 255  # a CTOC entry count is one byte


@dataclass(frozen=True)
class Cover:
    """Cover art: the image's bytes and MIME type (JPEG or PNG)."""

    data: bytes = field(repr=False)
    mime: str


@dataclass(frozen=True)
class Tags:
    """What the MP3's ID3 tag says about the episode."""

    title: str
    artist: str | None = None
    album: str | None = None
    date: dt.date | None = None
    genre: str | None = None
    comment: str | None = None
    language: str = "eng"
    cover: Cover | None = None
    key: str | None = None  # narrate's hash of what made the file (TXXX:narrate-key): lets a re-run skip
    render: str | None = None  # how its audio was rendered (TXXX:narrate-render): lets an edit reuse the gain


def ms(samples: int, rate: int) -> int:
    """Milliseconds for a sample position: the one rounding that ID3 chapters and every sidecar use."""
    return int(round(samples * 1000 / rate))


def id3_tag(tags: Tags, chapters: Sequence[ChapterMark], rate: int, total_samples: int) -> bytes:
    """An ID3v2.3 tag with frames in a fixed order: text tags, cover, CTOC, then CHAPs in time order.

    We serialise the frames ourselves because mutagen's save() orders frames by size, which
    scrambles chapters for players that read them in file order.
    """
    if len(chapters) > MAX_CHAPTERS:
        raise EncodeError(f"{len(chapters)} chapters: an ID3 table of contents holds at most {MAX_CHAPTERS}")
    config = ID3SaveConfig(3, "/")
    frames: list[Frame] = [TIT2(encoding=_UTF16, text=[tags.title])]
    if tags.artist:
        frames.append(TPE1(encoding=_UTF16, text=[tags.artist]))
    if tags.album:
        frames.append(TALB(encoding=_UTF16, text=[tags.album]))
    if tags.date:
        frames.append(TYER(encoding=_UTF16, text=[f"{tags.date.year:04d}"]))
        frames.append(TDAT(encoding=_UTF16, text=[f"{tags.date.day:02d}{tags.date.month:02d}"]))
    if tags.genre:
        frames.append(TCON(encoding=_UTF16, text=[tags.genre]))
    if tags.comment:
        frames.append(COMM(encoding=_UTF16, lang=tags.language[:3], desc="", text=[tags.comment]))
    frames.append(TLEN(encoding=_UTF16, text=[str(ms(total_samples, rate))]))
    frames.append(TSSE(encoding=_UTF16, text=["narrate (Piper, LAME)"]))
    if tags.key:
        frames.append(TXXX(encoding=_UTF16, desc=KEY_DESC, text=[tags.key]))
    if tags.render:
        frames.append(TXXX(encoding=_UTF16, desc=RENDER_DESC, text=[tags.render]))
    if tags.cover is not None:
        frames.append(APIC(encoding=_UTF16, mime=tags.cover.mime, type=3, desc="Cover", data=tags.cover.data))
    if chapters:
        ids = [f"chp{i}" for i in range(len(chapters))]
        frames.append(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=_UTF16, text=[tags.title])],
            )
        )
        for element_id, mark in zip(ids, chapters):
            frames.append(
                CHAP(
                    element_id=element_id,
                    start_time=ms(mark.start, rate),
                    end_time=ms(mark.end, rate),
                    start_offset=0xFFFFFFFF,
                    end_offset=0xFFFFFFFF,
                    sub_frames=[TIT2(encoding=_UTF16, text=[mark.title])],
                )
            )
    body = b"".join(save_frame(frame, config=config) for frame in frames)
    padding = b"\x00" * 1024
    size = BitPaddedInt.to_str(len(body) + len(padding), width=4)  # sync-safe, 7 bits a byte
    return b"ID3" + bytes([3, 0, 0]) + size + body + padding


def previous_tags(path: Path) -> dict[str, str]:
    """narrate's own TXXX values (narrate-key, narrate-render) in the MP3 at path; empty if none."""
    from mutagen import MutagenError
    from mutagen.id3 import ID3

    try:
        tag = ID3(path)
    except (MutagenError, OSError):
        return {}
    found = {}
    for desc in (KEY_DESC, RENDER_DESC):
        frames = tag.getall(f"TXXX:{desc}")
        if frames and frames[0].text:
            found[desc] = str(frames[0].text[0])
    return found


def read_programme(path: Path, rate: int) -> tuple[int, tuple[ChapterMark, ...]] | None:
    """The length (TLEN) and chapters (CHAP) narrate wrote into the MP3 at path, in samples at `rate`
    (to the millisecond the tag keeps); None when the tag does not hold them."""
    from mutagen import MutagenError
    from mutagen.id3 import ID3

    try:
        tag = ID3(path)
        length = int(str(tag.getall("TLEN")[0].text[0]))
        chaps = sorted(tag.getall("CHAP"), key=lambda c: (c.start_time, c.element_id))
        marks = tuple(
            ChapterMark(
                str(c.sub_frames.getall("TIT2")[0].text[0]) if c.sub_frames.getall("TIT2") else "",
                _samples(c.start_time, rate),
                _samples(c.end_time, rate),
            )
            for c in chaps
        )
    except (MutagenError, OSError, IndexError, ValueError):
        return None
    return _samples(length, rate), marks


def _samples(milliseconds: int, rate: int) -> int:
    return int(round(milliseconds * rate / 1000))


def read_cover(path: Path) -> Cover:
    """The cover image; a missing or non-JPEG/PNG file is a profile error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(
            f"cannot read the cover image {path}: {exc.strerror or exc}; fix [podcast] cover in the profile"
        ) from None
    if data.startswith(b"\x89PNG"):
        return Cover(data, "image/png")
    if data.startswith(b"\xff\xd8"):
        return Cover(data, "image/jpeg")
    guessed = mimetypes.guess_type(path.name)[0]
    raise ProfileError(f"cover image {path} is {guessed or 'not an image'}: use a JPEG or PNG")
