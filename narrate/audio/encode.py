"""Programme audio to one CBR MP3: float PCM streamed through one ffmpeg encode, the ID3 tag prepended."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not on POSIX
    fcntl = None  # type: ignore[assignment]

import numpy as np

from ..atomic import ensure_folder, partial_beside, remove_stale_partials, writing
from ..errors import EncodeError
from ..profile import Mp3Settings

# LAME (3.100, in imageio-ffmpeg's ffmpeg) encodes every signal 0.446 dB quieter than its input, at
# every bitrate and frequency (measured by decoding tones with both of ffmpeg's MP3 decoders); the
# loudness stage aims that much higher. tests/test_encode.py re-measures it.
ENCODER_GAIN_DB = -0.446


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


def encoder_args(exe: str, input_rate: int, output: Path, fmt: Mp3Settings) -> list[str]:
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


def encode_stream(
    blocks: Iterable[np.ndarray],
    rate: int,
    output: Path,
    fmt: Mp3Settings,
    make_tag: Callable[[], bytes | None],
) -> Path | None:
    """Stream float32 blocks through one ffmpeg encode, prepend the tag, then rename into place.

    The tag (chapters, length) is asked for once the last block has been encoded, so the programme may
    still be being made while it streams. A tag of None means this encode is not to be kept (a better
    one follows): nothing is published, the file at `output` is left as it was, and None is returned.
    """
    output = Path(output)
    ensure_folder(output.parent)  # fail before encoding, not after
    remove_stale_partials(output.parent)
    # ffmpeg writes beside the output (same file system as the final rename, and never a RAM-backed
    # $TMPDIR), into a hidden partial named with host and pid that the next run sweeps if we are killed
    with partial_beside(output) as audio_path:
        _run_encoder(blocks, rate, audio_path, fmt)
        tag = make_tag()
        if tag is None:
            return None
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


def _run_encoder(blocks: Iterable[np.ndarray], rate: int, path: Path, fmt: Mp3Settings) -> None:
    args = encoder_args(ffmpeg_exe(), rate, path, fmt)
    try:
        # close_fds (the default, said aloud): ffmpeg holds its own pipes and nothing else. An encoder
        # that also held another encoder's stdin (a batch runs several) would keep that one from ever
        # seeing the end of its input; and with no other child holding ours, ffmpeg sees that end, and
        # exits, as soon as narrate dies, however it dies.
        proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, close_fds=True
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


