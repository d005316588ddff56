"""Transcripts and chapters JSON: times from the assembled sample positions, agreeing with ID3 to the ms."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from audio_tools import ffmpeg_chapters
from hand_timeline import hand_timeline
from mutagen.id3 import ID3

from narrate.audio.assemble import trim_silence
from narrate.audio.cache import CacheOptions
from narrate.audio.synth import FakeSynthesizer
from narrate.models import ChapterMark, Cue, WordTime
from narrate.pipeline import NarrationOptions, narrate_article
from narrate.profile import load_profile
from narrate.publish.sidecars import (
    Timed,
    chapters_json,
    ms,
    read_chapters_json,
    read_transcript_json,
    read_vtt,
    sidecar_paths,
    srt,
    transcript_json,
    webvtt,
    write_sidecars,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"
_VTT_CUE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")


def _ms(h: str, m: str, s: str, f: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f)


def parse_vtt(text: str) -> tuple[list[tuple[int, int, str]], list[str]]:
    """(start ms, end ms, text) per cue, and the NOTE lines; a small independent reader."""
    assert text.startswith("WEBVTT\n\n")
    cues, notes = [], []
    for block in text.split("\n\n")[1:]:
        lines = block.strip("\n").split("\n")
        if not lines or not lines[0]:
            continue
        if lines[0].startswith("NOTE"):
            notes.append(lines[0])
            continue
        timing = next(i for i, line in enumerate(lines) if "-->" in line)
        m = _VTT_CUE.match(lines[timing])
        assert m, lines[timing]
        cues.append((_ms(*m.groups()[:4]), _ms(*m.groups()[4:]), "\n".join(lines[timing + 1 :])))
    return cues, notes


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("episode")
    synth = FakeSynthesizer()
    result = narrate_article(
        SAMPLE,
        NarrationOptions(output_dir=out, cache=CacheOptions(directory=out.parent / "cache-sidecars")),
        synthesizer=synth,
    )
    written = write_sidecars(result.path, result.cues, result.chapters, result.rate)
    return result, synth, written


def test_vtt_cue_times_are_the_assembled_sample_positions(episode) -> None:  # type: ignore[no-untyped-def]
    result, _, written = episode
    cues, notes = parse_vtt(written["vtt"].read_text(encoding="utf-8"))
    sentences = result.script.sentences
    # the timeline added up by hand: each clip as a fresh fake voice makes it, joined by the profile's pauses
    voice = FakeSynthesizer()
    lengths = [trim_silence(voice.synthesize(s.spoken), voice.rate).size for s in sentences]
    expected = hand_timeline(result.script, lengths, load_profile().pauses, voice.rate)
    to_ms = lambda n: round(n * 1000 / voice.rate)  # noqa: E731
    assert cues == [(to_ms(a), to_ms(b), s.text) for (a, b), s in zip(expected.cues, sentences, strict=True)]
    chapter_times = [re.search(r"\((\d\d):(\d\d):(\d\d)\.(\d{3})\)$", note) for note in notes]
    assert [_ms(*m.groups()) for m in chapter_times if m] == [to_ms(n) for n in expected.chapter_starts]


def test_transcript_and_chapters_json_agree_with_id3_to_the_millisecond(episode) -> None:  # type: ignore[no-untyped-def]
    result, _, written = episode
    data = json.loads(written["chapters"].read_text(encoding="utf-8"))
    assert data["version"] == "1.2.0"
    id3 = ID3(result.path)
    chaps = sorted(id3.getall("CHAP"), key=lambda c: c.start_time)
    assert [c["title"] for c in data["chapters"]] == [str(c.sub_frames["TIT2"]) for c in chaps]
    assert [round(c["startTime"] * 1000) for c in data["chapters"]] == [c.start_time for c in chaps]
    assert [round(c["endTime"] * 1000) for c in data["chapters"]] == [c.end_time for c in chaps]
    # and as ffmpeg's own reader lists them
    listed = ffmpeg_chapters(result.path)
    assert [round(start * 1000) for start, _, _ in listed] == [c.start_time for c in chaps]
    # the VTT names each chapter at its ID3 time, and its first cue starts there
    cues, notes = parse_vtt(written["vtt"].read_text(encoding="utf-8"))
    assert len(notes) == len(chaps)
    for note, chap in zip(notes, chaps, strict=True):
        m = re.search(r"\((\d\d):(\d\d):(\d\d)\.(\d{3})\)$", note)
        assert m and _ms(*m.groups()) == chap.start_time
        assert str(chap.sub_frames["TIT2"]) in note
        assert chap.start_time in [start for start, _, _ in cues]


def test_srt_has_the_same_times_with_commas(episode) -> None:  # type: ignore[no-untyped-def]
    result, _, written = episode
    vtt_cues, _ = parse_vtt(written["vtt"].read_text(encoding="utf-8"))
    blocks = written["srt"].read_text(encoding="utf-8").strip().split("\n\n")
    assert len(blocks) == len(vtt_cues)
    for number, (block, (start, end, text)) in enumerate(zip(blocks, vtt_cues, strict=True), 1):
        index, timing, body = block.split("\n", 2)
        assert index == str(number)
        a, b = timing.split(" --> ")
        assert _ms(*re.split("[:,]", a)) == start and _ms(*re.split("[:,]", b)) == end
        assert body == text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def test_sidecars_sit_beside_the_mp3_and_nothing_partial_is_left(episode) -> None:  # type: ignore[no-untyped-def]
    result, _, written = episode
    stem = result.path.stem
    assert {p.name for p in written.values()} == {
        f"{stem}.vtt", f"{stem}.srt", f"{stem}.chapters.json", f"{stem}.transcript.json"
    }  # fmt: skip
    assert not [n for n in os.listdir(result.path.parent) if n.endswith(".partial")]
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(written["vtt"].stat().st_mode) == 0o666 & ~umask  # published files: not owner-only


def test_text_is_escaped_for_vtt_and_kept_on_one_line() -> None:
    cues = [Cue('Tom & Jerry <b>say</b> "hi" -->\nthere', 0, 22050)]
    chapters = [ChapterMark("A --> B & C", 0, 22050)]
    text = webvtt(cues, chapters, 22050)
    assert 'Tom &amp; Jerry &lt;b&gt;say&lt;/b&gt; "hi" --&gt; there' in text
    assert "NOTE Chapter: A -> B & C (00:00:00.000)" in text
    assert "-->" not in text.replace("00:00:00.000 --> 00:00:01.000", "")
    assert srt(cues, 22050).splitlines()[2] == 'Tom & Jerry <b>say</b> "hi" --> there'


def test_clock_formats_hours_and_rounds_like_id3() -> None:
    rate = 22050
    samples = 3723 * rate + 91  # 1 h 2 min 3 s and 4.13 ms
    text = webvtt([Cue("x", samples, samples + rate)], [], rate)
    assert "01:02:03.004 --> 01:02:04.004" in text
    assert ms(samples, rate) == 3_723_004
    data = chapters_json([ChapterMark("x", samples, samples + rate)], rate)
    assert data["chapters"] == [{"startTime": 3723.004, "endTime": 3724.004, "title": "x"}]


def test_sidecar_paths_replace_the_mp3_suffix(tmp_path: Path) -> None:
    paths = sidecar_paths(tmp_path / "a.b.mp3")
    assert paths["vtt"].name == "a.b.vtt" and paths["chapters"].name == "a.b.chapters.json"


def test_json_transcript_has_one_segment_per_written_word_inside_its_sentence(episode) -> None:  # type: ignore[no-untyped-def]
    result, synth, written = episode
    data = json.loads(written["transcript"].read_text(encoding="utf-8"))
    assert data["version"] == "1.0.0" and set(data) == {"version", "segments"}
    segments = data["segments"]
    assert all(set(seg) == {"startTime", "endTime", "body"} for seg in segments)
    vtt_cues, _ = parse_vtt(written["vtt"].read_text(encoding="utf-8"))
    # the written words, read from the VTT (another file), one segment each, in order
    words = [(w, start, end) for start, end, text in vtt_cues for w in text.split()]
    unescape = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
    assert [seg["body"] for seg in segments] == [
        re.sub("&amp;|&lt;|&gt;", lambda m: unescape[m[0]], w) for w, _, _ in words
    ]
    for seg, (_, start, end) in zip(segments, words, strict=True):
        assert start <= round(seg["startTime"] * 1000) <= round(seg["endTime"] * 1000) <= end
    assert all(a["startTime"] <= b["startTime"] for a, b in zip(segments, segments[1:]))


def test_fake_word_times_follow_the_characters(episode) -> None:  # type: ignore[no-untyped-def]
    """The fake voice times a word by where its characters fall in the sentence: check one by hand."""
    result, synth, _ = episode
    # a sentence with no numbers or symbols: its written words are its spoken words
    index = next(i for i, s in enumerate(result.script.sentences) if s.text == s.spoken and " " in s.text)
    cue, sentence = result.cues[index], result.script.sentences[index]
    raw = synth.synthesize(sentence.spoken)
    trimmed_from = max(0, int(np.flatnonzero(np.abs(raw) > 10 ** (-50 / 20))[0]) - int(0.03 * synth.rate))
    second = sentence.spoken.split()[1]
    at = sentence.spoken.index(" " + second) + 1
    assert cue.words[1].text == second
    assert cue.words[1].start - cue.start == raw.size * at // len(sentence.spoken) - trimmed_from


def test_json_transcript_without_word_times_keeps_sentences() -> None:
    cues = [Cue("First one.", 0, 22050), Cue("Second.", 30000, 40000)]
    assert transcript_json(cues, 22050)["segments"] == [
        {"startTime": 0.0, "endTime": 1.0, "body": "First one."},
        {"startTime": 1.361, "endTime": 1.814, "body": "Second."},
    ]


# --- the readers beside the writers ----------------------------------------------------------------

_HAND_VTT = (
    "\ufeffWEBVTT - written by hand, as another tool would\r\n"
    "\r\n"
    "NOTE a comment\r\nover two lines\r\n"
    "\r\n"
    "intro-1\r\n"
    "00:00:01.250 --> 00:00:03.000 align:start position:10%\r\n"
    "Fish &amp; chips\r\n"
    "cost &lt;more&gt;\r\n"
    "\r\n"
    "01:02.500 --> 1:01:03.004\r\n"
    "No hours, then hours.\r\n"
    "\r\n"
    "00:00:09.000 --> not a time\r\n"
    "Skipped.\r\n"
)


def test_read_vtt_reads_a_file_another_tool_wrote(tmp_path: Path) -> None:
    path = tmp_path / "hand.vtt"
    path.write_bytes(_HAND_VTT.encode("utf-8"))
    assert read_vtt(path) == [
        Timed(1.25, 3.0, "Fish & chips cost <more>"),
        Timed(62.5, 3663.004, "No hours, then hours."),
    ]
    assert read_vtt(tmp_path / "missing.vtt") == []


def test_the_readers_take_back_what_the_writers_wrote(tmp_path: Path) -> None:
    rate = 1000  # one sample a millisecond: the times are the sample counts / 1000, by hand
    cues = [
        Cue(
            "Tom & Jerry <b>say</b>\nhi",
            1500,
            2750,
            (WordTime("Tom", 1500, 1800), WordTime("hi", 2500, 2750)),
        ),
        Cue("Second.", 3000, 4001),
    ]
    chapters = [ChapterMark("Intro", 0, 3000), ChapterMark("A --> B", 3000, 4500)]
    written = write_sidecars(tmp_path / "ep.mp3", cues, chapters, rate)
    # the chapter's NOTE line is not a cue, and the text comes back on one line, unescaped
    assert read_vtt(written["vtt"]) == [
        Timed(1.5, 2.75, "Tom & Jerry <b>say</b> hi"), Timed(3.0, 4.001, "Second.")
    ]  # fmt: skip
    assert read_chapters_json(written["chapters"]) == [Timed(0.0, 3.0, "Intro"), Timed(3.0, 4.5, "A --> B")]
    assert read_transcript_json(written["transcript"]) == [
        Timed(1.5, 1.8, "Tom"), Timed(2.5, 2.75, "hi"), Timed(3.0, 4.001, "Second.")
    ]  # fmt: skip


def test_missing_or_broken_sidecars_read_as_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"chapters": [{"title": "no start"}], "segments": 3}', encoding="utf-8")
    assert read_chapters_json(broken) == [] and read_transcript_json(broken) is None
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    assert read_chapters_json(tmp_path / "list.json") == []
    assert read_transcript_json(tmp_path / "list.json") is None
    assert read_chapters_json(tmp_path / "gone.json") == []
    assert read_transcript_json(tmp_path / "gone.json") is None
    assert read_vtt(broken) == []  # not a WebVTT file: no cues
