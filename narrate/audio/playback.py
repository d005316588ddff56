"""Audio players found on PATH, fed 16-bit mono PCM sentence by sentence, and atomic WAV files."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import writing
from ..errors import OutputError

# Players that read raw PCM on stdin come first: they can start on the first sentence while the
# rest is still being synthesised. afplay (macOS) only plays files, so it gets a finished WAV.
PLAYERS = ("ffplay", "aplay", "paplay", "afplay")


@dataclass(frozen=True)
class Player:
    """An audio player program on PATH and how to call it."""

    name: str
    executable: str

    @property
    def streams(self) -> bool:
        return self.name != "afplay"

    def command(self, rate: int, wav: Path | None = None) -> list[str]:
        """The argument list: raw s16le mono on stdin, or the WAV file for players that need one."""
        if self.name == "ffplay":
            return [self.executable, "-nodisp", "-autoexit", "-loglevel", "error",
                    "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "-"]
        if self.name == "aplay":
            return [self.executable, "-q", "-t", "raw", "-f", "S16_LE", "-r", str(rate), "-c", "1", "-"]
        if self.name == "paplay":
            return [self.executable, "--raw", "--format=s16le", f"--rate={rate}", "--channels=1"]
        if wav is None:
            raise ValueError(f"{self.name} plays files only: pass the WAV")
        return [self.executable, str(wav)]


def find_player(path: str | None = None) -> Player | None:
    """The first known player on PATH (or on `path`), or None when there is none."""
    for name in PLAYERS:
        found = shutil.which(name, path=path)
        if found:
            return Player(name, found)
    return None


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as little-endian 16-bit PCM (clipped, rounded)."""
    scaled = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0
    return np.rint(scaled).astype("<i2").tobytes()


class PlayerStream:
    """A running streaming player: write sentence audio as it is made, then `finish` waits for the end."""

    def __init__(self, player: Player, rate: int) -> None:
        self.player = player
        # stderr goes to a file, not a pipe: a chatty player can then never block on a full pipe
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                player.command(rate), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
            )
        except OSError as exc:
            self._stderr.close()
            raise OutputError(
                f"cannot start {player.executable} ({exc.strerror or exc}): use -o OUT.wav to write a file"
            ) from None

    def write(self, samples: np.ndarray) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(to_pcm16(samples))
            self._proc.stdin.flush()
        except BrokenPipeError:
            self._fail()

    def finish(self) -> None:
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        if self._proc.wait() != 0:
            self._fail()
        self._stderr.close()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._proc.kill()
        with contextlib.suppress(OSError):
            self._proc.stdin.close()  # type: ignore[union-attr]
        self._proc.wait()
        self._stderr.close()

    def _fail(self) -> None:
        with contextlib.suppress(OSError):
            self._proc.stdin.close()  # type: ignore[union-attr]
        self._proc.wait()
        self._stderr.seek(0)
        message = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        self._stderr.close()
        detail = message[-1][:200] if message else f"exit status {self._proc.returncode}"
        raise OutputError(f"{self.player.name} failed ({detail}): use -o OUT.wav to write a file instead")


def play_file(player: Player, wav: Path) -> None:
    """Play a finished WAV with a player that reads files, waiting until it ends."""
    try:
        result = subprocess.run(
            player.command(0, wav), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
    except OSError as exc:
        raise OutputError(
            f"cannot start {player.executable} ({exc.strerror or exc}): use -o OUT.wav instead"
        ) from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()[:200] or f"exit status {result.returncode}"
        raise OutputError(f"{player.name} failed ({detail}): use -o OUT.wav to write a file instead")


def write_wav(path: Path, blocks: Iterable[np.ndarray], rate: int) -> Path:
    """Write float blocks as a 16-bit mono WAV at `rate`: beside the target, then renamed into place."""
    path = Path(path)
    with writing(path) as partial, wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        for block in blocks:
            out.writeframesraw(to_pcm16(block))
    return path
