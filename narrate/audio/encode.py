"""Programme audio to one CBR MP3 with an ID3v2.3 tag: text tags, cover art and time-ordered chapters."""

from __future__ import annotations

import contextlib
import datetime as dt
import mimetypes
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not on POSIX
    fcntl = None  # type: ignore[assignment]

import numpy as np
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

from ..atomic import ensure_folder, remove_stale_partials, writing
from ..errors import EncodeError, ProfileError
from ..models import ChapterMark

KEY_DESC = "narrate-key"
RENDER_DESC = "narrate-render"
# LAME (3.100, in imageio-ffmpeg's ffmpeg) encodes every signal 0.446 dB quieter than its input, at
# every bitrate and frequency (measured by decoding tones with both of ffmpeg's MP3 decoders); the
# loudness stage aims that much higher. tests/test_encode.py re-measures it.
ENCODER_GAIN_DB = -0.446
_UTF16 = 1  # ID3v2.3 has no UTF-8: UTF-16 with BOM is what every reader understands
MAX_CHAPTERS = 255  # a CTOC entry count is one byte


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
    cover: Path | None = None
    key: str | None = None  # narrate's hash of what made the file (TXXX:narrate-key): lets a re-run skip
    render: str | None = None  # how its audio was rendered (TXXX:narrate-render): lets an edit reuse the gain


@dataclass(frozen=True)
class Mp3Format:
    bitrate_kbps: int = 64
    sample_rate: int = 44100


def ffmpeg_exe() -> str:
    """The ffmpeg shipped inside the imageio-ffmpeg wheel (no apt step), or $NARRATE_FFMPEG."""
    override = os.environ.get("NARRATE_FFMPEG")
    if override:
        return override
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise EncodeError(f"ffmpeg is missing ({exc}): run `pip install imageio-ffmpeg`") from exc


def encoder_args(exe: str, input_rate: int, output: Path, fmt: Mp3Format) -> list[str]:
    """The ffmpeg argument list: float PCM on stdin -> CBR mono MP3, no tags (we write our own)."""
    import ffmpeg  # ffmpeg-python builds the argument list; we run it ourselves to stream and keep stderr

    stream = ffmpeg.input("pipe:", format="f32le", ar=input_rate, ac=1)
    stream = ffmpeg.output(
        stream,
        str(output),
        format="mp3",
        acodec="libmp3lame",
        audio_bitrate=f"{fmt.bitrate_kbps}k",
        ar=fmt.sample_rate,
        ac=1,
        af="aresample=resampler=soxr",
        map_metadata=-1,
        id3v2_version=0,
        write_xing=1,
    )
    args: list[str] = ffmpeg.compile(stream, cmd=exe, overwrite_output=True)
    return [args[0], "-hide_banner", "-nostats", "-loglevel", "error", *args[1:]]


def encode_mp3(
    blocks: Iterable[np.ndarray],
    rate: int,
    output: Path,
    tags: Tags,
    chapters: Sequence[ChapterMark],
    total_samples: int,
    fmt: Mp3Format = Mp3Format(),
) -> Path:
    """Stream float32 blocks through one ffmpeg encode, prepend our ID3v2.3 tag, then rename into place."""
    tag = id3_tag(tags, chapters, rate, total_samples)  # a bad tag fails before encoding
    return encode_stream(blocks, rate, output, fmt, lambda: tag)


def encode_stream(
    blocks: Iterable[np.ndarray],
    rate: int,
    output: Path,
    fmt: Mp3Format,
    make_tag: Callable[[], bytes],
) -> Path:
    """encode_mp3 for a programme still being made: the tag (chapters, length) is asked for once the last
    block has been encoded."""
    output = Path(output)
    ensure_folder(output.parent)  # fail before encoding, not after
    remove_stale_partials(output.parent)
    # ffmpeg writes to the temp folder: a killed run leaves nothing in the output folder but,
    # at worst, the few-millisecond final copy below, which the next run sweeps away
    with tempfile.TemporaryDirectory(prefix="narrate-encode-") as work:
        audio_path = Path(work) / "audio.mp3"
        _run_encoder(blocks, rate, audio_path, fmt)
        tag = make_tag()
        with writing(output) as final_path:
            _write_tagged(final_path, tag, audio_path)
    return output


def _write_tagged(path: Path, tag: bytes, audio_path: Path) -> None:
    with open(path, "wb") as out, open(audio_path, "rb") as audio:
        out.write(tag)
        while chunk := audio.read(1 << 20):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def _run_encoder(blocks: Iterable[np.ndarray], rate: int, path: Path, fmt: Mp3Format) -> None:
    args = encoder_args(ffmpeg_exe(), rate, path, fmt)
    try:
        proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise EncodeError(
            f"cannot start ffmpeg ({args[0]}): {exc.strerror or exc}; reinstall imageio-ffmpeg"
        ) from None
    assert proc.stdin is not None and proc.stderr is not None
    stderr_chunks: list[bytes] = []
    # drain stderr in a thread so a chatty ffmpeg can never block our writes into its stdin
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    _widen_pipe(proc.stdin)
    feeder = _Feeder(proc.stdin)
    try:
        for block in blocks:
            if not feeder.put(np.ascontiguousarray(block, dtype="<f4").tobytes()):
                break
    except BaseException:
        proc.kill()
        proc.wait()
        feeder.close()
        reader.join(timeout=5)
        proc.stderr.close()
        raise
    finally:
        broken = not feeder.close()
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.close()
    code = proc.wait()
    reader.join(timeout=5)
    proc.stderr.close()
    message = b"".join(stderr_chunks).decode("utf-8", "replace").strip()
    if code != 0 or broken:
        last = message.splitlines()[-1] if message else f"exit code {code}"
        raise EncodeError(f"ffmpeg failed to encode the MP3: {last}")


class _Feeder:
    """Writes blocks into ffmpeg's stdin on a thread, a few blocks behind the caller.

    Without it the producer and ffmpeg take turns: the producer blocks in write() while ffmpeg
    drains the pipe, then ffmpeg starves while the producer processes the next clip. With it, the
    loudness processing of one clip overlaps the encoding of the previous ones.
    """

    _DEPTH = 8  # blocks in flight (a block is one clip or pause: a few seconds of audio)

    def __init__(self, stdin: IO[bytes]) -> None:
        self._stdin = stdin
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=self._DEPTH)
        self._broken = threading.Event()
        self._thread = threading.Thread(target=self._write, name="narrate-ffmpeg-feed", daemon=True)
        self._thread.start()

    def _write(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._broken.is_set():
                continue  # ffmpeg has gone: keep draining so the producer never blocks
            try:
                self._stdin.write(data)
            except OSError:  # BrokenPipeError, or the pipe closed under us
                self._broken.set()

    def put(self, data: bytes) -> bool:
        """Queue one block; False once ffmpeg has stopped reading (the caller should stop producing)."""
        if self._broken.is_set():
            return False
        self._queue.put(data)
        return True

    def close(self) -> bool:
        """Wait until everything queued is written; True when all of it reached ffmpeg. Idempotent."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        return not self._broken.is_set()


def _widen_pipe(stdin: IO[bytes]) -> None:
    # Linux pipes hold 64 KiB by default (0.7 s of audio); 1 MiB lets the producer run further ahead.
    # Best effort: other systems, or a lower /proc/sys/fs/pipe-max-size, keep the default.
    if fcntl is None or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


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
    frames.append(TLEN(encoding=_UTF16, text=[str(_ms(total_samples, rate))]))
    frames.append(TSSE(encoding=_UTF16, text=["narrate (Piper, LAME)"]))
    if tags.key:
        frames.append(TXXX(encoding=_UTF16, desc=KEY_DESC, text=[tags.key]))
    if tags.render:
        frames.append(TXXX(encoding=_UTF16, desc=RENDER_DESC, text=[tags.render]))
    if tags.cover is not None:
        frames.append(_cover_frame(tags.cover))
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
                    start_time=_ms(mark.start, rate),
                    end_time=_ms(mark.end, rate),
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


def _ms(samples: int, rate: int) -> int:
    return int(round(samples * 1000 / rate))


def _cover_frame(path: Path) -> APIC:
    data, mime = read_cover(path)
    return APIC(encoding=_UTF16, mime=mime, type=3, desc="Cover", data=data)


def read_cover(path: Path) -> tuple[bytes, str]:
    """The cover image's bytes and MIME type; a missing or non-JPEG/PNG file is a profile error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(
            f"cannot read the cover image {path}: {exc.strerror or exc}; fix [podcast] cover in the profile"
        ) from None
    if data.startswith(b"\x89PNG"):
        return data, "image/png"
    if data.startswith(b"\xff\xd8"):
        return data, "image/jpeg"
    guessed = mimetypes.guess_type(path.name)[0]
    raise ProfileError(f"cover image {path} is {guessed or 'not an image'}: use a JPEG or PNG")
