"""The encoder: one CBR MP3 with an ID3v2.3 tag, chapters in time order, read back by mutagen and ffmpeg."""

from __future__ import annotations

import datetime as dt
import os
import struct
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from audio_tools import decode, ffmpeg_chapters, ffmpeg_tags
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from narrate.audio.encode import encode_stream, encoder_args
from narrate.audio.id3 import Tags, id3_tag
from narrate.errors import EncodeError
from narrate.models import ChapterMark
from narrate.profile import Mp3Settings

RATE = 22050


def encode_mp3(
    blocks: Iterable[np.ndarray],
    rate: int,
    output: Path,
    tags: Tags,
    chapters: Sequence[ChapterMark],
    total_samples: int,
    fmt: Mp3Settings | None = None,
) -> Path:
    """One tagged MP3, as the pipeline makes it: the encode, then our tag in front."""
    tag = id3_tag(tags, chapters, rate, total_samples)
    return encode_stream(blocks, rate, output, fmt or Mp3Settings(), lambda: tag)


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _chapters(total: int) -> list[ChapterMark]:
    starts = [0, 11025, 30000, 55000]
    ends = starts[1:] + [total]
    # the long title would make ID3v2.4 readers lose chapters; ID3v2.3 keeps them
    titles = ["Intro", "The lead = here; # not a comment \\ ok", "Ω and “quotes” " + "x" * 140, "Outro"]
    return [ChapterMark(t, s, e) for t, s, e in zip(titles, starts, ends)]


@pytest.fixture
def episode(tmp_path: Path) -> tuple[Path, list[ChapterMark], int]:
    audio = _tone(3.0)
    chapters = _chapters(audio.size)
    tags = Tags(
        title="A Title & <Things>",
        artist="Jane Doe",
        album="The Podcast",
        date=dt.date(2025, 12, 15),
        genre="Podcast",
        comment="The standfirst.",
    )
    blocks = [audio[i : i + 5000] for i in range(0, audio.size, 5000)]
    path = encode_mp3(blocks, RATE, tmp_path / "ep.mp3", tags, chapters, audio.size)
    return path, chapters, audio.size


def test_id3v23_with_tags(episode: tuple[Path, list[ChapterMark], int]) -> None:
    path, _, _ = episode
    id3 = ID3(path)
    assert id3.version == (2, 3, 0)
    assert str(id3["TIT2"]) == "A Title & <Things>"
    assert str(id3["TPE1"]) == "Jane Doe"
    assert str(id3["TALB"]) == "The Podcast"
    assert str(id3["TDRC"]) == "2025-12-15"  # mutagen reads our TYER + TDAT as one date
    assert str(id3["TCON"]) == "Podcast"
    assert id3.getall("COMM")[0].text == ["The standfirst."]
    tags = ffmpeg_tags(path)
    assert tags["title"] == "A Title & <Things>"
    assert tags["artist"] == "Jane Doe"


def test_ctoc_is_top_level_ordered_with_a_title(episode: tuple[Path, list[ChapterMark], int]) -> None:
    path, chapters, _ = episode
    id3 = ID3(path)
    (toc,) = id3.getall("CTOC")
    assert toc.flags & 0x01 and toc.flags & 0x02  # ordered and top-level
    assert str(toc.sub_frames["TIT2"]) == "A Title & <Things>"
    assert len(toc.child_element_ids) == len(chapters)


def test_chap_frames_stored_in_time_order(episode: tuple[Path, list[ChapterMark], int]) -> None:
    path, chapters, _ = episode
    raw = path.read_bytes()[:20000]
    stored, pos = [], raw.find(b"CHAP")
    while pos != -1:
        stored.append(raw[pos + 10 : raw.index(b"\x00", pos + 10)].decode())
        pos = raw.find(b"CHAP", pos + 4)
    assert stored == [f"chp{i}" for i in range(len(chapters))]
    ffm = ffmpeg_chapters(path)
    assert [title for _, _, title in ffm] == [c.title for c in chapters]
    for (start, end, _), mark in zip(ffm, chapters):
        assert start == pytest.approx(mark.start / RATE, abs=0.001)
        assert end == pytest.approx(mark.end / RATE, abs=0.001)


def test_mp3_is_cbr_mono_44k_and_keeps_its_length(episode: tuple[Path, list[ChapterMark], int]) -> None:
    path, _, total = episode
    info = MP3(path).info
    assert info.sample_rate == 44100
    assert info.channels == 1
    assert abs(info.bitrate - 64000) < 100
    assert info.bitrate_mode == BitrateMode.CBR  # LAME's Info header, read by mutagen
    decoded = decode(path)
    # encoder delay is trimmed by the LAME header: the decoded length matches to within one frame
    assert abs(decoded.size - total * 2) <= 1152


def test_no_partial_files_left(episode: tuple[Path, list[ChapterMark], int]) -> None:
    path, _, _ = episode
    assert sorted(os.listdir(path.parent)) == ["ep.mp3"]
    assert path.stat().st_mode & 0o777 == 0o644  # readable by the web server that publishes it


def test_encoder_failure_keeps_previous_file_and_reports_ffmpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"previous")
    monkeypatch.setenv("NARRATE_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(EncodeError, match="cannot start ffmpeg"):
        encode_mp3([_tone(0.5)], RATE, target, Tags(title="t"), [], RATE // 2)
    assert target.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["ep.mp3"]


def test_ffmpeg_error_message_is_kept(tmp_path: Path) -> None:
    with pytest.raises(EncodeError, match="ffmpeg failed"):
        encode_mp3(
            [_tone(0.5)],
            RATE,
            tmp_path / "x.mp3",
            Tags(title="t"),
            [],
            RATE // 2,
            Mp3Settings(sample_rate=12345),
        )
    assert os.listdir(tmp_path) == []


def test_encoder_args_never_use_a_shell() -> None:
    args = encoder_args("ffmpeg", RATE, Path("out; rm -rf ~.mp3"), Mp3Settings())
    assert args[0] == "ffmpeg" and "out; rm -rf ~.mp3" in args
    assert "-id3v2_version" in args and "0" in args


def test_too_many_chapters_is_refused() -> None:
    marks = [ChapterMark(str(i), i, i + 1) for i in range(256)]
    with pytest.raises(EncodeError, match="255"):
        id3_tag(Tags(title="t"), marks, RATE, 300)


def test_tag_size_is_syncsafe() -> None:
    tag = id3_tag(Tags(title="t" * 500), _chapters(60000), RATE, 60000)
    size_bytes = tag[6:10]
    assert all(b < 0x80 for b in size_bytes)
    size = 0
    for b in size_bytes:
        size = (size << 7) | b
    assert size == len(tag) - 10
    assert struct.unpack(">3sBB", tag[:5]) == (b"ID3", 3, 0)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 4000.0])
def test_encoder_gain_is_what_the_loudness_stage_allows_for(tmp_path: Path, freq: float) -> None:
    from narrate.audio.encode import ENCODER_GAIN_DB

    t = np.arange(RATE * 4) / RATE
    tone = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    path = encode_mp3([tone], RATE, tmp_path / "tone.mp3", Tags(title="t"), [], tone.size)
    decoded = decode(path, rate=RATE)
    middle = slice(RATE, 3 * RATE)
    gain = 20 * np.log10(np.sqrt(np.mean(decoded[middle] ** 2)) / np.sqrt(np.mean(tone[middle] ** 2)))
    assert gain == pytest.approx(ENCODER_GAIN_DB, abs=0.05)


def test_a_producer_failing_mid_stream_stops_ffmpeg_and_leaves_nothing(tmp_path: Path) -> None:
    # blocks are written by a feeder thread: a failure while producing must still end ffmpeg and
    # come back as itself, not hang on a full queue or a full pipe
    def blocks() -> Iterator[np.ndarray]:
        for _ in range(40):
            yield _tone(0.5)
        raise KeyboardInterrupt

    target = tmp_path / "ep.mp3"
    target.write_bytes(b"previous")
    with pytest.raises(KeyboardInterrupt):
        encode_mp3(blocks(), RATE, target, Tags(title="t"), [], 41 * RATE // 2)
    assert target.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["ep.mp3"]
    assert not [t for t in threading.enumerate() if t.name == "narrate-ffmpeg-feed"]
