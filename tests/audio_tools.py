"""Read MP3s back with tools that did not write them: ffmpeg (decode, chapters) and mutagen."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def decode(path: Path, rate: int = 44100) -> np.ndarray:
    """Decode to float32 mono at `rate` with ffmpeg (honours the LAME header's encoder delay)."""
    out = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(rate), "pipe:1"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(out, dtype="<f4")


def ffmpeg_chapters(path: Path) -> list[tuple[float, float, str]]:
    """Chapters as ffmpeg's own ID3 reader lists them (as ffprobe would): (start s, end s, title), in order.

    Read from `ffmpeg -i`'s report: its ffmetadata *writer* shifts times by the encoder delay, the
    demuxer's listing does not.
    """
    report = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True).stderr.decode(
        "utf-8"
    )
    chapters = []
    pattern = re.compile(
        r"Chapter #\d+:\d+: start (-?[\d.]+), end (-?[\d.]+)\n\s+Metadata:\n\s+title\s+: (.*)"
    )
    for m in pattern.finditer(report):
        chapters.append((float(m[1]), float(m[2]), m[3]))
    return chapters


def ffmpeg_tags(path: Path) -> dict[str, str]:
    text = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-f", "ffmetadata", "pipe:1"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    head = text.split("[CHAPTER]")[0]
    return dict(line.split("=", 1) for line in head.splitlines()[1:] if "=" in line)


def true_peak_dbtp(samples: np.ndarray) -> float:
    """4x oversampled peak, independent of narrate's own meter."""
    from scipy.signal import resample_poly

    peak = float(np.max(np.abs(resample_poly(samples.astype(np.float64), 4, 1)))) if samples.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def sounding_runs(
    samples: np.ndarray, rate: int, floor_db: float = -45.0, bridge: float = 0.15
) -> list[tuple[float, float]]:
    """(start s, end s) of each stretch that sounds above `floor_db` (dBFS, 5 ms frames); quieter dips
    shorter than `bridge` seconds (within a word) are part of the stretch."""
    frame = max(1, rate // 200)
    frames = samples[: samples.size // frame * frame].astype(np.float64).reshape(-1, frame)
    loud = np.flatnonzero(np.sqrt(np.mean(frames**2, axis=1)) > 10 ** (floor_db / 20))
    if loud.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(loud) * frame > bridge * rate)
    firsts = np.concatenate([[loud[0]], loud[breaks + 1]])
    lasts = np.concatenate([loud[breaks], [loud[-1]]])
    return [(int(a) * frame / rate, (int(b) + 1) * frame / rate) for a, b in zip(firsts, lasts)]


def recording_ffmpeg(folder: Path) -> tuple[Path, Path]:
    """An ffmpeg for $NARRATE_FFMPEG that notes each run (a line in the log), then is the real one."""
    log = folder / "ffmpeg-runs.log"
    script = folder / "ffmpeg"
    script.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{FFMPEG}" "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return script, log


def runs_logged(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def heard_words(path: Path) -> list[str]:
    """The words pocketsphinx (its general en-US model, not narrate's script-biased one) hears in an MP3."""
    from pocketsphinx import Decoder

    audio = decode(path, rate=16000)
    decoder = Decoder(samprate=16000)
    decoder.start_utt()
    decoder.process_raw((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes(), full_utt=True)
    decoder.end_utt()
    return str(decoder.hyp().hypstr).split()


def said_words(spoken: list[str]) -> list[str]:
    """Spoken sentences as the recogniser's vocabulary writes them: lower case, letters and apostrophes."""
    return re.sub(r"[^a-z' ]", " ", " ".join(spoken).lower()).split()


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Edit distance over words, divided by the reference's length."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1] / max(1, len(reference))
