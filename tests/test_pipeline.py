"""The whole pipeline on the fake synthesiser: exact chapter timings, tags, loudness, atomic output."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from audio_tools import decode, ffmpeg_chapters, recording_ffmpeg, runs_logged, sounding_runs, true_peak_dbtp
from hand_timeline import Timeline, hand_timeline
from mutagen.id3 import ID3

from narrate.audio.assemble import trim_silence
from narrate.audio.cache import CacheOptions
from narrate.audio.synth import FakeSynthesizer
from narrate.errors import InputError
from narrate.pipeline import NarrationOptions, load_script, narrate_article
from narrate.profile import load_profile
from narrate.text.slug import slugify

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("out")
    synth = FakeSynthesizer()
    result = narrate_article(
        SAMPLE,
        NarrationOptions(output_dir=out, cache=CacheOptions(directory=out.parent / "cache")),
        synthesizer=synth,
    )
    return result, synth


def test_output_goes_to_the_slug_path(narrated) -> None:  # type: ignore[no-untyped-def]
    result, _ = narrated
    assert result.path.name == "water-bills-rise-again-as-leaks-go-unfixed.mp3"
    assert sorted(os.listdir(result.path.parent)) == [result.path.name]
    # nothing but the MP3 in output/: partial files are renamed or removed


def test_every_sentence_synthesised_once_in_order(narrated) -> None:  # type: ignore[no-untyped-def]
    result, synth = narrated
    assert synth.calls == [s.spoken for s in result.script.sentences]


def test_chapters_intro_lead_sections_outro(narrated) -> None:  # type: ignore[no-untyped-def]
    result, _ = narrated
    titles = [c.title for c in result.chapters]
    assert titles == [
        "Introduction",
        "Water Bills Rise Again as Leaks Go Unfixed",
        "Where the money goes",
        "What happens next",
        "Outro",
    ]
    kinds = [c.kind for c in result.script.chapters]
    assert kinds == ["intro", "body", "body", "body", "outro"]


def _hand_timeline(result) -> Timeline:  # type: ignore[no-untyped-def]
    """The timeline added up in the test from the fake voice's clips (trimmed) and the profile's pauses."""
    voice = FakeSynthesizer()
    lengths = [trim_silence(voice.synthesize(s.spoken), voice.rate).size for s in result.script.sentences]
    return hand_timeline(result.script, lengths, load_profile().pauses, voice.rate)


def test_chapter_starts_are_exact_sample_positions(narrated) -> None:  # type: ignore[no-untyped-def]
    result, _ = narrated
    expected = _hand_timeline(result)
    assert [m.start for m in result.chapters] == expected.chapter_starts
    assert [(c.start, c.end) for c in result.cues] == expected.cues
    assert result.total_samples == expected.total
    # as ffmpeg's ID3 reader and mutagen read them from the file, to the millisecond
    read_back = ffmpeg_chapters(result.path)
    assert [t for _, _, t in read_back] == [m.title for m in result.chapters]
    for (start, _, _), sample in zip(read_back, expected.chapter_starts, strict=True):
        assert start == pytest.approx(sample / result.rate, abs=0.001)
    chaps = sorted(ID3(result.path).getall("CHAP"), key=lambda c: c.start_time)
    assert [c.start_time for c in chaps] == [round(n * 1000 / result.rate) for n in expected.chapter_starts]
    assert chaps[-1].end_time == round(expected.total * 1000 / result.rate)


def test_tags(narrated) -> None:  # type: ignore[no-untyped-def]
    result, _ = narrated
    id3 = ID3(result.path)
    assert id3.version == (2, 3, 0)
    assert str(id3["TIT2"]) == "Water Bills Rise Again as Leaks Go Unfixed"
    assert str(id3["TPE1"]) == "Hannah Cole"
    assert str(id3["TALB"]) == "Byline Times Audio Articles"
    assert str(id3["TDRC"]) == "2026-03-04"
    assert "fifth of treated water" in id3.getall("COMM")[0].text[0]


def test_loudness_and_true_peak(narrated) -> None:  # type: ignore[no-untyped-def]
    import pyloudnorm

    result, _ = narrated
    audio = decode(result.path)
    loudness = pyloudnorm.Meter(44100).integrated_loudness(audio.astype("float64"))
    assert loudness == pytest.approx(-19.0, abs=0.3)  # the spec allows 1 LU; we aim at the target itself
    assert result.loudness_lufs == pytest.approx(loudness, abs=0.1)  # what the summary reports is the file
    assert true_peak_dbtp(audio) <= -1.0
    assert audio.size / 44100 == pytest.approx(_hand_timeline(result).total / result.rate, abs=0.005)


def test_intro_speaks_headline_author_publication_and_date(narrated) -> None:  # type: ignore[no-untyped-def]
    result, _ = narrated
    intro = result.script.chapters[0]
    written = " ".join(s.text for p in intro.paragraphs for s in p.sentences)
    assert written.startswith("Water Bills Rise Again as Leaks Go Unfixed.")
    assert "By Hannah Cole." in written
    assert "Byline Times" in written and "4 March 2026" in written
    spoken = " ".join(s.spoken for p in intro.paragraphs for s in p.sentences)
    assert "2026" not in spoken  # the date is said in words


def test_output_path_override_and_atomic_replace(tmp_path: Path) -> None:
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"old")
    result = narrate_article(SAMPLE, NarrationOptions(output=target), synthesizer=FakeSynthesizer())
    assert result.path == target
    assert target.read_bytes()[:3] == b"ID3"
    assert sorted(os.listdir(tmp_path)) == ["ep.mp3"]


def test_synthesis_failure_leaves_nothing(tmp_path: Path) -> None:
    from narrate.errors import SynthesisError

    target = tmp_path / "ep.mp3"
    target.write_bytes(b"old")
    with pytest.raises(SynthesisError):
        narrate_article(
            SAMPLE,
            NarrationOptions(output=target),
            synthesizer=FakeSynthesizer(fail_on="bakery"),
        )
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["ep.mp3"]


def test_plain_text_without_date_or_author(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Short Title\n\nOne paragraph of text. And another sentence.\n", encoding="utf-8")
    script = load_script(article)
    assert script.author is None and script.date is None
    intro = [s.text for p in script.chapters[0].paragraphs for s in p.sentences]
    assert intro == ["Short Title.", "Published by Byline Times."]


def test_title_only_is_a_clear_error(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Only A Title\n", encoding="utf-8")
    with pytest.raises(InputError, match="no text to read"):
        load_script(article)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (
            "What Putin Really Wants From Trump's Ukraine 'Negotiations'",
            "what-putin-really-wants-from-trump-s-ukraine-negotiations",
        ),
        ("Café & Crème: «Déjà vu»", "cafe-creme-deja-vu"),
        ("../../etc/passwd", "etc-passwd"),
        ("日本語", "episode"),
        ("CON", "con-episode"),
        ("", "episode"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_date_in_script(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Title: T\nDate: 2025-12-15\n\nBody text here.\n", encoding="utf-8")
    assert load_script(article).date == dt.date(2025, 12, 15)


def test_identical_rerun_leaves_the_mp3_alone_and_force_remakes(tmp_path: Path) -> None:
    import dataclasses

    target, cache = tmp_path / "ep.mp3", tmp_path / "cache"
    synth = FakeSynthesizer(per_char=0.01)
    first = narrate_article(
        SAMPLE,
        NarrationOptions(output=target, cache=CacheOptions(directory=cache)),
        synthesizer=synth,
    )
    inode = target.stat().st_ino
    again = narrate_article(
        SAMPLE,
        NarrationOptions(output=target, cache=CacheOptions(directory=cache)),
        synthesizer=synth,
    )
    assert again.unchanged and not first.unchanged
    assert target.stat().st_ino == inode
    assert again.chapters == first.chapters and again.cues == first.cues
    forced = narrate_article(
        SAMPLE,
        NarrationOptions(output=target, cache=CacheOptions(directory=cache), force=True),
        synthesizer=synth,
    )
    assert not forced.unchanged and target.stat().st_ino != inode
    # any change to what makes the file (here a pause) makes it again
    profile = load_profile()
    slower = dataclasses.replace(profile, pauses=dataclasses.replace(profile.pauses, paragraph=1.5))
    changed = narrate_article(
        SAMPLE,
        NarrationOptions(output=target, profile=slower, cache=CacheOptions(directory=cache)),
        synthesizer=synth,
    )
    assert not changed.unchanged and changed.total_samples > first.total_samples


def test_final_pass_loudness_is_reported(narrated) -> None:  # type: ignore[no-untyped-def]
    result, _ = narrated
    assert result.loudness_lufs == pytest.approx(-19.0, abs=0.3)


def test_cover_art_from_the_profile(tmp_path: Path) -> None:
    import dataclasses
    import zlib

    # a real 1x1 PNG, so any reader that decodes the picture can
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]))
    png += chunk(b"IDAT", zlib.compress(b"\x00\xc0\x10\x10")) + chunk(b"IEND", b"")
    cover = tmp_path / "cover.png"
    cover.write_bytes(png)
    profile = load_profile()
    profile = dataclasses.replace(profile, podcast=dataclasses.replace(profile.podcast, cover=str(cover)))
    result = narrate_article(
        SAMPLE,
        NarrationOptions(output=tmp_path / "ep.mp3", profile=profile),
        synthesizer=FakeSynthesizer(per_char=0.01),
    )
    (apic,) = ID3(result.path).getall("APIC")
    assert apic.mime == "image/png" and apic.type == 3 and apic.data == png


def test_unreadable_cover_is_a_clear_error(tmp_path: Path) -> None:
    import dataclasses

    from narrate.errors import ProfileError

    profile = load_profile()
    profile = dataclasses.replace(
        profile, podcast=dataclasses.replace(profile.podcast, cover=str(tmp_path / "missing.jpg"))
    )
    synth = FakeSynthesizer()
    with pytest.raises(ProfileError, match="cover image"):
        narrate_article(
            SAMPLE,
            NarrationOptions(output=tmp_path / "ep.mp3", profile=profile),
            synthesizer=synth,
        )
    assert not (tmp_path / "ep.mp3").exists()
    assert synth.calls == []  # it failed before any synthesis


def _edited_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, **kwargs: object
) -> tuple[list[str], int, float, float]:
    """Narrate `text` to tmp_path/ep.mp3: (stages reported, encodes, gain recorded, pyloudnorm reading).

    Encodes are counted as ffmpeg runs, through an ffmpeg given in $NARRATE_FFMPEG that notes each run.
    """
    import pyloudnorm

    article = tmp_path / "a.md"
    article.write_text(text, encoding="utf-8")
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    ffmpeg, log = recording_ffmpeg(tools)
    log.unlink(missing_ok=True)
    monkeypatch.setenv("NARRATE_FFMPEG", str(ffmpeg))
    stages: list[str] = []
    narrate_article(
        article,
        NarrationOptions(
            output=tmp_path / "ep.mp3",
            cache=CacheOptions(directory=tmp_path / "cache"),
            **kwargs,  # type: ignore[arg-type]
        ),
        synthesizer=FakeSynthesizer(),
        progress=lambda stage, done, total: stages.append(stage) if done == 0 else None,
    )
    gain = float(ID3(tmp_path / "ep.mp3").getall("TXXX:narrate-render")[0].text[0].split()[1])
    audio = decode(tmp_path / "ep.mp3").astype("float64")
    return stages, runs_logged(log), gain, pyloudnorm.Meter(44100).integrated_loudness(audio)


def test_an_edit_reuses_the_previous_gain_and_still_lands_on_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    stages, encodes, gain, first = _edited_run(tmp_path, monkeypatch, text)
    assert stages.count("loudness") == 1 and encodes == 1  # the first render plans its gain
    edited = text.replace("nobody should ration", "no one should ration", 1)
    assert edited != text
    stages, encodes, again, loudness = _edited_run(tmp_path, monkeypatch, edited)
    assert "loudness" not in stages and encodes == 1 and again == gain  # no planning: the same gain
    assert loudness == pytest.approx(-19.0, abs=0.3)
    assert first == pytest.approx(-19.0, abs=0.3)
    # --force is a clean remake: it plans again
    stages, _, _, _ = _edited_run(tmp_path, monkeypatch, edited, force=True)
    assert "loudness" in stages


def test_a_reused_gain_that_misses_is_replanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mutagen.id3 import TXXX

    text = SAMPLE.read_text(encoding="utf-8")
    _, _, gain, _ = _edited_run(tmp_path, monkeypatch, text)
    tag = ID3(tmp_path / "ep.mp3")
    context = tag.getall("TXXX:narrate-render")[0].text[0].split()[0]
    # same voice and profile, but the stored gain is 6 dB off (as if the article had been rewritten)
    tag.delall("TXXX:narrate-render")
    tag.add(TXXX(encoding=1, desc="narrate-render", text=[f"{context} {gain + 6.0}"]))
    tag.save(v2_version=3)
    edited = text.replace("nobody should ration", "no one should ration", 1)
    stages, encodes, replanned, loudness = _edited_run(tmp_path, monkeypatch, edited)
    assert encodes == 2 and "loudness" in stages and replanned == pytest.approx(gain, abs=0.5)
    assert loudness == pytest.approx(-19.0, abs=0.3)


def test_a_gain_from_another_voice_or_profile_is_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    text = SAMPLE.read_text(encoding="utf-8")
    _edited_run(tmp_path, monkeypatch, text)
    profile = load_profile()
    target = dataclasses.replace(profile.loudness, integrated_lufs=-18.0)
    louder = dataclasses.replace(profile, loudness=target)
    stages, encodes, _, loudness = _edited_run(tmp_path, monkeypatch, text, profile=louder)
    assert "loudness" in stages and encodes == 1
    assert loudness == pytest.approx(-18.0, abs=0.3)


def _ffmpeg_children() -> int:
    """How many ffmpeg processes this process has started and not yet reaped, read from /proc."""
    found = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"ffmpeg" in command:
                found += 1
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_encoding_starts_while_later_sentences_are_synthesised(tmp_path: Path) -> None:
    # the gain is planned on the first third; from then on synthesis and encoding overlap
    encoding: list[bool] = []  # as each sentence is synthesised: is an ffmpeg encode already running?
    synth = FakeSynthesizer(handler=lambda text: encoding.append(_ffmpeg_children() > 0))
    result = narrate_article(
        SAMPLE,
        NarrationOptions(output=tmp_path / "ep.mp3", cache=CacheOptions(directory=tmp_path / "c")),
        synthesizer=synth,
    )
    n = len(result.script.sentences)
    assert n > 12 and len(encoding) == n
    first = encoding.index(True)  # the first sentence synthesised while ffmpeg was encoding
    assert -(-n // 3) <= first < n and all(encoding[first:])
    # and what streamed out is the exact programme: each sentence sounds where the clips and pauses,
    # added up by hand, put it, and each chapter mark sits on its first sentence
    expected = _hand_timeline(result)
    runs = sounding_runs(decode(result.path), 44100)
    assert len(runs) == n
    for (start, end), (first_sample, end_sample) in zip(runs, expected.cues, strict=True):
        # the clip's own quiet margin (30 ms kept by trim_silence) lies under the sounding stretch; the
        # smallest difference between two pauses of the profile is 100 ms
        assert first_sample / result.rate - 0.01 <= start <= first_sample / result.rate + 0.05
        assert end_sample / result.rate - 0.05 <= end <= end_sample / result.rate + 0.01
    listed = ffmpeg_chapters(result.path)
    assert [round(start * 1000) for start, _, _ in listed] == [
        round(sample * 1000 / result.rate) for sample in expected.chapter_starts
    ]
    assert decode(result.path).size / 44100 == pytest.approx(expected.total / result.rate, abs=0.005)


def test_a_synthesis_failure_after_encoding_began_leaves_nothing(tmp_path: Path) -> None:
    from narrate.errors import SynthesisError

    out = tmp_path / "out"
    out.mkdir()
    target = out / "ep.mp3"
    target.write_bytes(b"old")
    synth = FakeSynthesizer(fail_on="The Consumer Council for Water")  # the third from the end
    with pytest.raises(SynthesisError, match="sentence 19 of 21"):
        narrate_article(
            SAMPLE,
            NarrationOptions(output=target, cache=CacheOptions(directory=tmp_path / "c")),
            synthesizer=synth,
        )
    assert target.read_bytes() == b"old"
    assert os.listdir(out) == ["ep.mp3"]
    # the synthesis thread works ahead of the render, in order: the sentences before the failing one
    # were made (and cached) before it, whatever came after it was spoken ahead
    assert synth.calls[18].startswith("The Consumer Council for Water") and len(synth.calls) >= 19
    from narrate.audio.cache import SentenceCache

    entries, _ = SentenceCache(tmp_path / "c").stats()
    assert entries == len(synth.calls) - 1


@pytest.mark.parametrize(("paragraphs", "plans"), [(None, 2), (1, 1)])
def test_a_missed_final_pass_is_replanned_on_everything_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paragraphs: int | None, plans: int
) -> None:
    # a first-third plan that misses is planned again on the whole programme; a plan that already
    # covered everything (12 sentences or fewer) is corrected instead of planned twice. A tolerance of
    # 0 LU makes every pass a miss, so the run goes to its limit: three encodes.
    import dataclasses

    text = SAMPLE.read_text(encoding="utf-8")
    if paragraphs is not None:  # front matter, title and the first paragraph: 6 sentences with intro/outro
        text = "\n\n".join(text.split("\n\n")[:3]) + "\n"
    profile = load_profile()
    exacting = dataclasses.replace(profile, loudness=dataclasses.replace(profile.loudness, tolerance_lu=0.0))
    stages, encodes, _, loudness = _edited_run(tmp_path, monkeypatch, text, profile=exacting)
    assert encodes == 3 and stages.count("loudness") == plans
    assert loudness == pytest.approx(-19.0, abs=0.3)


class _StopAtReplan:
    """A progress callback that interrupts (as Ctrl-C does) when the loudness stage starts a second time:
    the first pass has been encoded and missed, the corrective pass is about to run."""

    def __init__(self) -> None:
        self.plans = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "loudness" and done == 0:
            self.plans += 1
            if self.plans == 2:
                raise KeyboardInterrupt


def test_an_interrupted_corrective_pass_leaves_nothing_a_rerun_calls_unchanged(tmp_path: Path) -> None:
    # Before: every pass was published with the full recipe key, so the missed first pass stayed on disk
    # and the next run called it unchanged. A tolerance of 0 LU makes every pass a miss.
    import dataclasses

    profile = load_profile()
    exacting = dataclasses.replace(profile, loudness=dataclasses.replace(profile.loudness, tolerance_lu=0.0))
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"the last good episode")
    synth = FakeSynthesizer()
    stop = _StopAtReplan()
    with pytest.raises(KeyboardInterrupt):
        narrate_article(
            SAMPLE,
            NarrationOptions(
                output=target,
                profile=exacting,
                cache=CacheOptions(directory=tmp_path / "c"),
            ),
            synthesizer=synth,
            progress=stop,
        )
    assert stop.plans == 2
    assert target.read_bytes() == b"the last good episode"  # the missed pass was never published
    assert sorted(os.listdir(tmp_path)) == ["c", "ep.mp3"]
    cache = tmp_path / "c"
    again = narrate_article(
        SAMPLE,
        NarrationOptions(output=target, profile=exacting, cache=CacheOptions(directory=cache)),
        synthesizer=synth,
    )
    assert not again.unchanged
    assert ID3(target).getall("TXXX:narrate-key")[0].text[0] == again.key
    assert narrate_article(
        SAMPLE,
        NarrationOptions(
            output=target,
            profile=exacting,
            cache=CacheOptions(directory=tmp_path / "c"),
        ),
        synthesizer=synth,
    ).unchanged  # fmt: skip


def test_an_unchanged_episode_is_recognised_without_synthesis_even_without_a_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: `narrate ART --no-cache` on an unchanged article synthesised every sentence to learn the clip
    # lengths, then wrote nothing.
    from narrate import cli

    synth = FakeSynthesizer(per_char=0.01)
    out = tmp_path / "ep.mp3"
    argv = [str(SAMPLE), "-o", str(out), "--no-cache", "-q", "--jobs", "1"]
    assert cli.main(argv, synthesizer_factory=synth.factory) == 0
    first = capsys.readouterr().out.split()
    made = len(synth.calls)
    assert made > 20
    before = out.stat().st_mtime_ns
    assert cli.main(argv, synthesizer_factory=synth.factory) == 0
    again = capsys.readouterr().out.split()
    assert len(synth.calls) == made  # not one sentence voiced again
    assert out.stat().st_mtime_ns == before
    # path, duration, chapters as the first run printed them, read back from the MP3's tag
    assert again[:4] == first[:4] and again[4] == "unchanged"
    result = narrate_article(
        SAMPLE,
        NarrationOptions(output=out, cache=CacheOptions(use=False), timings=False),
        synthesizer=synth,
    )
    assert result.unchanged and len(synth.calls) == made
    heard = ffmpeg_chapters(out)  # ffmpeg's own reading of the tag
    assert [c.title for c in result.chapters] == [title for _, _, title in heard] and len(heard) >= 3
    for mark, (start, end, _) in zip(result.chapters, heard):
        assert mark.start / result.rate == pytest.approx(start, abs=0.002)
        assert mark.end / result.rate == pytest.approx(end, abs=0.002)
