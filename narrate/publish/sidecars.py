"""Files beside an episode's MP3: WebVTT, SRT and JSON transcripts, Podcasting 2.0 chapters JSON; their
writers and the readers that take them back (the studio shows an episode from them)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_text_atomic
from ..audio.id3 import ms
from ..models import ChapterMark, Cue

CHAPTERS_VERSION = "1.2.0"
VTT_SUFFIX = ".vtt"
SRT_SUFFIX = ".srt"
CHAPTERS_SUFFIX = ".chapters.json"
TRANSCRIPT_SUFFIX = ".transcript.json"
TRANSCRIPT_VERSION = "1.0.0"

_SPACE = re.compile(r"\s+")


def _clock(milliseconds: int, separator: str) -> str:
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    # a blank line ends a cue in both formats, so a cue's text is kept to one line
    return _SPACE.sub(" ", text).strip()


def _vtt_text(text: str) -> str:
    return _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chapter_starting(chapters: Sequence[ChapterMark], cue: Cue, seen: int) -> tuple[ChapterMark | None, int]:
    """The chapter that opens at or before this cue and has not been announced yet."""
    found: ChapterMark | None = None
    while seen < len(chapters) and chapters[seen].start <= cue.start:
        found = chapters[seen]
        seen += 1
    return found, seen


def webvtt(cues: Sequence[Cue], chapters: Sequence[ChapterMark], rate: int) -> str:
    """A WebVTT transcript: one cue per sentence; a NOTE names each chapter before its first cue."""
    lines = ["WEBVTT", ""]
    seen = 0
    for number, cue in enumerate(cues, 1):
        chapter, seen = _chapter_starting(chapters, cue, seen)
        if chapter is not None:
            # '-->' may not appear in a NOTE block
            title = _one_line(chapter.title).replace("-->", "->")
            lines += [f"NOTE Chapter: {title} ({_clock(ms(chapter.start, rate), '.')})", ""]
        start, end = _clock(ms(cue.start, rate), "."), _clock(ms(cue.end, rate), ".")
        lines += [str(number), f"{start} --> {end}", _vtt_text(cue.text), ""]
    return "\n".join(lines)


def srt(cues: Sequence[Cue], rate: int) -> str:
    """The same transcript in SubRip form: numbered cues, comma before the milliseconds."""
    lines: list[str] = []
    for number, cue in enumerate(cues, 1):
        start, end = _clock(ms(cue.start, rate), ","), _clock(ms(cue.end, rate), ",")
        lines += [str(number), f"{start} --> {end}", _one_line(cue.text), ""]
    return "\n".join(lines)


def transcript_json(cues: Sequence[Cue], rate: int) -> dict[str, object]:
    """Podcasting 2.0 JSON transcript: one segment per written word (a whole sentence where the voice
    gave no word timings), in seconds from the same whole milliseconds as the other sidecars."""
    segments: list[dict[str, object]] = []
    for cue in cues:
        spans = [(w.text, w.start, w.end) for w in cue.words] or [(_one_line(cue.text), cue.start, cue.end)]
        for body, start, end in spans:
            seconds = {"startTime": ms(start, rate) / 1000, "endTime": ms(end, rate) / 1000}
            segments.append({**seconds, "body": body})
    return {"version": TRANSCRIPT_VERSION, "segments": segments}


def chapters_json(chapters: Sequence[ChapterMark], rate: int) -> dict[str, object]:
    """Podcasting 2.0 JSON chapters (version 1.2.0): seconds from the same whole milliseconds as ID3."""
    return {
        "version": CHAPTERS_VERSION,
        "chapters": [
            {"startTime": ms(c.start, rate) / 1000, "endTime": ms(c.end, rate) / 1000, "title": c.title}
            for c in chapters
        ],
    }


def sidecar_paths(mp3: Path) -> dict[str, Path]:
    """Where each sidecar of an MP3 goes: beside it, same stem."""
    mp3 = Path(mp3)
    stem = mp3.with_suffix("")
    return {
        "vtt": stem.with_name(stem.name + VTT_SUFFIX),
        "srt": stem.with_name(stem.name + SRT_SUFFIX),
        "chapters": stem.with_name(stem.name + CHAPTERS_SUFFIX),
        "transcript": stem.with_name(stem.name + TRANSCRIPT_SUFFIX),
    }


def write_sidecars(
    mp3: Path,
    cues: Sequence[Cue],
    chapters: Sequence[ChapterMark],
    rate: int,
    *,
    transcript: bool = True,
    chapters_file: bool = True,
) -> dict[str, Path]:
    """Write the chosen sidecars beside `mp3` atomically; returns {kind: path} of those written."""
    paths = sidecar_paths(mp3)
    written: dict[str, Path] = {}
    if transcript:
        written["vtt"] = write_text_atomic(paths["vtt"], webvtt(cues, chapters, rate))
        written["srt"] = write_text_atomic(paths["srt"], srt(cues, rate))
        text = json.dumps(transcript_json(cues, rate), ensure_ascii=False, indent=1) + "\n"
        written["transcript"] = write_text_atomic(paths["transcript"], text)
    if chapters_file:
        text = json.dumps(chapters_json(chapters, rate), ensure_ascii=False, indent=2) + "\n"
        written["chapters"] = write_text_atomic(paths["chapters"], text)
    return written


# --- reading them back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """A stretch of an episode read back from a sidecar: seconds from the start, and its text (a cue's
    sentence, a chapter's title or one word)."""

    start: float
    end: float
    text: str


_VTT_TIME = re.compile(r"(?:(\d+):)?(\d\d):(\d\d)\.(\d{3})")


def _vtt_seconds(text: str) -> float:
    m = _VTT_TIME.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not a WebVTT time: {text!r}")
    hours, minutes, seconds, millis = (int(g) if g else 0 for g in m.groups())
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def read_vtt(path: Path) -> list[Timed]:
    """The cues of a WebVTT file, in order (NOTE blocks and cue settings skipped; a cue's lines joined
    with spaces, entities decoded); a missing or unreadable file reads as no cues."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    cues: list[Timed] = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = block.strip().splitlines()
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None or lines[0].startswith("NOTE"):
            continue
        start, _, rest = lines[timing].partition("-->")
        try:
            times = _vtt_seconds(start), _vtt_seconds(rest.split()[0])
        except (ValueError, IndexError):
            continue
        body = " ".join(line.strip() for line in lines[timing + 1 :])
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        cues.append(Timed(times[0], times[1], body))
    return cues


def _json(path: Path) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_chapters_json(path: Path) -> list[Timed]:
    """The chapters of a Podcasting 2.0 chapters file (a missing `endTime` reads as 0); a missing or
    malformed file reads as no chapters."""
    data = _json(path)
    try:
        return [
            Timed(float(c["startTime"]), float(c.get("endTime", 0)), str(c["title"]))
            for c in data["chapters"]  # type: ignore[index]
        ]
    except (KeyError, TypeError, ValueError, AttributeError):
        return []


def read_transcript_json(path: Path) -> list[Timed] | None:
    """The segments (one a word) of a Podcasting 2.0 JSON transcript; None when there is no readable one."""
    data = _json(path)
    try:
        return [
            Timed(float(s["startTime"]), float(s["endTime"]), str(s["body"]))
            for s in data["segments"]  # type: ignore[index]
        ]
    except (KeyError, TypeError, ValueError):
        return None
