"""Preview and say: parts chosen by `narrate script` numbers, episode-like audio, players, WAV fallback."""

from __future__ import annotations

import stat
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from audio_tools import true_peak_dbtp as independent_true_peak
from hand_timeline import Timeline, hand_timeline

from narrate import cli
from narrate.audio.assemble import trim_silence
from narrate.audio.cache import SentenceCache
from narrate.audio.clips import ClipSource
from narrate.audio.playback import Player, find_player, write_wav
from narrate.audio.synth import FakeSynthesizer
from narrate.errors import InputError, VoiceError
from narrate.models import Script
from narrate.pipeline import load_script
from narrate.preview import preview_audio, say_script, select_part
from narrate.profile import Profile, VoiceSettings, load_profile
from narrate.text.lexicon import Lexicon

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    return load_script(SAMPLE)


@pytest.fixture
def fake_piper(monkeypatch: pytest.MonkeyPatch) -> FakeSynthesizer:
    synth = FakeSynthesizer()
    return synth


def _cli(args: list[str], synth: FakeSynthesizer) -> int:
    return cli.main(args, synthesizer_factory=synth.factory)


def _script_listing(capsys: pytest.CaptureFixture[str]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Sentences per paragraph number and per chapter number, parsed from `narrate script`'s text."""
    assert cli.main(["script", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    paragraphs: dict[int, list[str]] = {}
    chapters: dict[int, list[str]] = {}
    chapter = paragraph = 0
    for line in out.splitlines():
        if line.startswith("# "):
            chapter = int(line[2:].split(".", 1)[0])
            chapters[chapter] = []
        elif line.startswith("[") and line.endswith("]"):
            paragraph = int(line[1:-1])
            paragraphs[paragraph] = []
        elif line:
            paragraphs[paragraph].append(line)
            chapters[chapter].append(line)
    return paragraphs, chapters


def _wav(path: Path) -> tuple[np.ndarray, int, int, int]:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data, w.getframerate(), w.getnchannels(), w.getsampwidth()


def _fake_player(folder: Path, name: str = "aplay") -> Path:
    """A player script that records its arguments and the bytes it was fed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        "here = pathlib.Path(__file__).parent\n"
        "(here / 'args.txt').write_text('\\n'.join(sys.argv[1:]))\n"
        "(here / 'fed.raw').write_bytes(sys.stdin.buffer.read())\n",
        encoding="utf-8",
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# --- selection ------------------------------------------------------------------------------


def test_preview_speaks_exactly_the_sentences_script_lists(
    script, capsys: pytest.CaptureFixture[str], tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    paragraphs, _ = _script_listing(capsys)
    assert len(paragraphs) == len(script.numbered_paragraphs())
    profile = load_profile()
    for number, expected in paragraphs.items():
        synth = FakeSynthesizer()
        with ClipSource(synth) as source:
            part = select_part(script, paragraph=number)
            preview_audio(part.script, profile, source, output=tmp_path / f"p{number}.wav")
        assert synth.calls == expected, number


def test_chapter_selection_matches_script_numbering(script, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    _, chapters = _script_listing(capsys)
    for number, expected in chapters.items():
        part = select_part(script, chapter=number)
        assert [s.spoken for s in part.script.sentences] == expected
        assert part.label.startswith(f"chapter {number}. ")


def test_chapter_preview_keeps_the_heading_pause(script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    profile = load_profile()
    number = next(i for i, c in enumerate(script.chapters, 1) if c.has_heading and len(c.paragraphs) > 1)
    part = select_part(script, chapter=number)
    with ClipSource(FakeSynthesizer()) as source:
        result = preview_audio(part.script, profile, source, output=tmp_path / "c.wav")
    data, rate, _, _ = _wav(result.path)
    heading = _trimmed_lengths(part.script)[0]
    # heading, then the after_heading pause, exactly as in the episode: silence up to the next clip
    gap = round(profile.pauses.after_heading * rate)
    assert not data[heading : heading + gap].any() and data[heading + gap : heading + gap + 2000].any()
    assert data.size == _expected(part.script, profile).total


def test_find_picks_the_first_paragraph_containing_the_text(script) -> None:  # type: ignore[no-untyped-def]
    numbered = script.numbered_paragraphs()
    part = select_part(script, find="ofwat")  # case-insensitive, written form
    first = next(p for p in numbered if any("Ofwat" in s.text for s in p.paragraph.sentences))
    assert part.stem == f"p{first.number}"
    assert part.script.sentences == first.paragraph.sentences
    # the written "£603" and the spoken "six hundred and three pounds" both find it
    assert select_part(script, find="£603").stem == select_part(script, find="six hundred and three").stem


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paragraph": 99}, "there is no paragraph 99: this script has paragraphs 1-{p}"),
        ({"paragraph": 0}, "there is no paragraph 0: this script has paragraphs 1-{p}"),
        ({"chapter": 42}, "there is no chapter 42: this script has chapters 1-{c}"),
        ({"find": "no such words here"}, "no paragraph contains 'no such words here'"),
    ],
)
def test_bad_selection_says_the_valid_range(script, kwargs: dict[str, object], message: str) -> None:  # type: ignore[no-untyped-def]
    p, c = len(script.numbered_paragraphs()), len(script.chapters)
    with pytest.raises(InputError) as info:
        select_part(script, **kwargs)  # type: ignore[arg-type]
    text = str(info.value)
    assert message.format(p=p, c=c) in text
    assert f"1-{p}" in text or f"1-{c}" in text
    assert "\n" not in text


def test_cli_selection_errors_exit_2(
    script, fake_piper: FakeSynthesizer, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    last = len(script.numbered_paragraphs())
    assert _cli(["preview", str(SAMPLE), "--paragraph", "99"], fake_piper) == 2
    assert f"paragraphs 1-{last}" in capsys.readouterr().err
    assert _cli(["preview", str(SAMPLE), "--find", "zebra crossing"], fake_piper) == 2
    err = capsys.readouterr().err
    assert "no paragraph contains 'zebra crossing'" in err and f"--paragraph 1-{last}" in err
    with pytest.raises(SystemExit):
        _cli(["preview", str(SAMPLE), "--paragraph", "0"], fake_piper)  # the parser: numbers start at 1
    with pytest.raises(SystemExit):
        _cli(["preview", str(SAMPLE), "-p", "1", "-c", "2"], fake_piper)  # one part at a time
    assert fake_piper.calls == []


# --- audio ------------------------------------------------------------------------------------


def _trimmed_lengths(script: Script) -> list[int]:
    voice = FakeSynthesizer()
    return [trim_silence(voice.synthesize(s.spoken), voice.rate).size for s in script.sentences]


def _expected(script: Script, profile: Profile) -> Timeline:
    """The part's timeline added up by hand from the fake voice's clips and the profile's pauses."""
    return hand_timeline(script, _trimmed_lengths(script), profile.pauses, 22050)


def test_wav_has_the_episode_pauses_and_loudness(script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pyloudnorm

    profile = load_profile()
    part = select_part(script, chapter=3)
    with ClipSource(FakeSynthesizer()) as source:
        result = preview_audio(part.script, profile, source, output=tmp_path / "c3.wav")
    data, rate, channels, width = _wav(result.path)
    assert (rate, channels, width) == (22050, 1, 2)
    expected = _expected(part.script, profile)
    assert data.size == expected.total
    # digital silence between the clips, sound inside each
    edges = [0, *(n for cue in expected.cues for n in cue), expected.total]
    for start, end in zip(edges[::2], edges[1::2]):
        assert not data[start:end].any()
    for start, end in expected.cues:
        assert np.abs(data[start:end]).max() > 1000
    samples = data.astype(np.float64) / 32767
    loudness = pyloudnorm.Meter(rate).integrated_loudness(samples)
    assert loudness == pytest.approx(profile.loudness.integrated_lufs, abs=0.3)
    assert independent_true_peak(samples) <= profile.loudness.true_peak_dbtp
    assert not list(tmp_path.glob(".*partial"))


def test_cache_means_a_lexicon_change_resynthesises_only_changed_sentences(script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    profile = load_profile()
    cache = SentenceCache(tmp_path / "cache")
    part = select_part(script, find="Ofwat").script
    with ClipSource(FakeSynthesizer(), cache) as first:
        preview_audio(part, profile, first, output=tmp_path / "a.wav")
    assert first.synthesised == len(part.sentences) and first.cached == 0

    changed = load_script(SAMPLE, profile, Lexicon({"Ofwat": "Off-wot"}))
    part2 = select_part(changed, find="Off-wot").script
    synth = FakeSynthesizer()
    with ClipSource(synth, cache) as second:
        preview_audio(part2, profile, second, output=tmp_path / "b.wav")
    assert synth.calls == [s.spoken for s in part2.sentences if "Off-wot" in s.spoken]
    assert second.cached == len(part2.sentences) - len(synth.calls) > 0


def test_a_fully_cached_preview_never_loads_the_voice(script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cache = SentenceCache(tmp_path / "cache")
    part = select_part(script, paragraph=3).script
    first = FakeSynthesizer()
    with ClipSource(first, cache) as source:
        preview_audio(part, load_profile(), source, output=tmp_path / "a.wav")
    assert first.loads == 1
    synth = FakeSynthesizer()
    with ClipSource(synth, cache) as source:
        preview_audio(part, load_profile(), source, output=tmp_path / "b.wav")
    assert synth.loads == 0 and synth.calls == [] and source.cached == len(part.sentences)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def test_voice_load_errors_reach_the_caller() -> None:
    def broken() -> None:
        raise VoiceError("voice x cannot be loaded: replace it")

    # as Piper does, a voice that failed to load ahead fails again where it is used
    synth = FakeSynthesizer(on_load=broken)
    with ClipSource(synth) as source, pytest.raises(VoiceError, match="cannot be loaded"):
        source.start(["Hello."])
        source.length(0)


# --- players and the WAV fallback -------------------------------------------------------------


def test_find_player_prefers_streaming_players(tmp_path: Path) -> None:
    assert find_player(str(tmp_path)) is None
    _fake_player(tmp_path, "afplay")
    assert find_player(str(tmp_path)).name == "afplay"  # type: ignore[union-attr]
    _fake_player(tmp_path, "paplay")
    found = find_player(str(tmp_path))
    assert found is not None and found.name == "paplay" and found.streams


def test_wav_written_when_no_player_is_found(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_piper: FakeSynthesizer,
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.chdir(tmp_path)
    code = _cli(["preview", str(SAMPLE), "--paragraph", "3", "--play"], fake_piper)
    out, err = capsys.readouterr()
    assert code == 0, err
    path = Path(out.strip())
    assert path == Path("previews") / "preview-water-bills-rise-again-as-leaks-go-unfixed-p3.wav"
    assert (tmp_path / path).is_file()
    assert "no audio player found" in err and "not played" in err
    data, rate, _, _ = _wav(tmp_path / path)
    assert rate == 22050 and np.abs(data).max() > 1000


def test_wav_written_with_o_or_without_a_terminal(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_piper: FakeSynthesizer,
) -> None:
    _fake_player(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    target = tmp_path / "line.wav"
    assert _cli(["say", "The regulator, Ofwat, approved it.", "-o", str(target)], fake_piper) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(target) and "-o was given" in err
    monkeypatch.chdir(tmp_path)
    assert _cli(["say", "Hello there."], fake_piper) == 0  # pytest's stdout is not a terminal
    out, err = capsys.readouterr()
    assert out.strip() == str(Path("previews") / "say-hello-there.wav")
    assert "not a terminal" in err
    assert not (tmp_path / "bin" / "fed.raw").exists()


def test_streams_to_a_player_found_on_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_piper: FakeSynthesizer,
) -> None:
    bin_dir = tmp_path / "bin"
    _fake_player(bin_dir)
    # only the fake player: a real ffplay elsewhere on PATH would be preferred to it
    monkeypatch.setenv("PATH", str(bin_dir))
    line = "Yuri Ushakov commented on the plan."
    assert _cli(["say", line, "--play"], fake_piper) == 0
    out, err = capsys.readouterr()
    assert out.startswith("played the line with aplay") and err == ""
    args = (bin_dir / "args.txt").read_text().splitlines()
    assert args[args.index("-r") + 1] == "22050" and args[-1] == "-"
    fed = np.frombuffer((bin_dir / "fed.raw").read_bytes(), dtype="<i2")
    # the stream holds what the WAV would; its gain is planned on the first sentence alone, so within 0.5 dB
    assert _cli(["say", line, "-o", str(tmp_path / "same.wav")], fake_piper) == 0
    data, _, _, _ = _wav(tmp_path / "same.wav")
    assert fed.size == data.size
    ratio = float(np.abs(fed.astype(float)).sum() / np.abs(data.astype(float)).sum())
    assert abs(20 * np.log10(ratio)) < 0.5
    assert np.corrcoef(fed, data)[0, 1] > 0.999


def test_streamed_paragraph_has_every_sentence_and_pause(
    script, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    import time

    bin_dir = tmp_path / "bin"
    player = Player("aplay", str(_fake_player(bin_dir)))
    profile = load_profile()
    part = select_part(script, paragraph=3).script
    assert len(part.sentences) > 1
    times: list[float] = []  # when each sentence was synthesised, to order it against the first sound

    def slow_after_the_first(text: str) -> None:
        if times:
            time.sleep(0.3)
        times.append(time.perf_counter())

    synth = FakeSynthesizer(handler=slow_after_the_first)
    started = time.perf_counter()
    with ClipSource(synth) as source:
        result = preview_audio(part, profile, source, player=player, started=started)
    fed = np.frombuffer((bin_dir / "fed.raw").read_bytes(), dtype="<i2")
    expected = _expected(part, profile)
    assert result.action == "played" and fed.size == expected.total
    # the player had the first sentence before the rest were synthesised (the engine works ahead on a
    # thread meanwhile): it streamed
    assert result.first_sound is not None and started + result.first_sound < times[1]
    for start, end in expected.cues:
        assert np.abs(fed[start:end]).max() > 1000 and not fed[end : end + 2000].any()
    with ClipSource(FakeSynthesizer()) as source:
        written = preview_audio(part, profile, source, output=tmp_path / "p3.wav")
    assert _wav(written.path)[0].size == fed.size


def test_file_only_player_gets_a_finished_wav(script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bin_dir = tmp_path / "bin"
    player = Player("afplay", str(_fake_player(bin_dir, "afplay")))
    part = select_part(script, paragraph=2).script
    with ClipSource(FakeSynthesizer()) as source:
        result = preview_audio(part, load_profile(), source, player=player)
    played = Path((bin_dir / "args.txt").read_text().strip())
    assert result.action == "played" and played.suffix == ".wav"
    assert not played.exists()  # a temporary file, removed after playing


def test_write_wav_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "x.wav"

    def blocks():  # type: ignore[no-untyped-def]
        yield np.zeros(100, np.float32)
        raise RuntimeError("synthesis failed half way")

    with pytest.raises(RuntimeError):
        write_wav(target, blocks(), 22050)
    assert list(tmp_path.iterdir()) == []


# --- say --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_say_with_empty_text_is_a_clear_error(
    text: str, capsys: pytest.CaptureFixture[str], fake_piper: FakeSynthesizer
) -> None:
    assert _cli(["say", text], fake_piper) == 2
    err = capsys.readouterr().err
    assert err.startswith("narrate: error: nothing to say: give the text in quotes")
    assert fake_piper.calls == []


def test_say_reads_stdin_and_uses_the_speech_rules_and_lexicon(tmp_path: Path) -> None:
    import json
    import subprocess

    lexicon = tmp_path / "names.toml"
    lexicon.write_text('Ushakov = "Oo-sha-kov"\n', encoding="utf-8")
    # a real stdin (a pipe) into a separate interpreter, whose fake voice reports what it was asked to say
    code = (
        "import json, sys\n"
        "from narrate import cli\n"
        "from narrate.audio.synth import FakeSynthesizer\n"
        "fake = FakeSynthesizer()\n"
        "code = cli.main(sys.argv[1:], synthesizer_factory=fake.factory)\n"
        "print(json.dumps(fake.calls))\n"
        "sys.exit(code)\n"
    )
    argv = ["say", "-", "--lexicon", str(lexicon), "-o", str(tmp_path / "s.wav")]
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        input="Ushakov paid £5.\n\nA second paragraph.\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    calls = json.loads(proc.stdout.splitlines()[-1])
    assert calls == ["Oo-sha-kov paid five pounds.", "A second paragraph."]
    assert (tmp_path / "s.wav").is_file()


def test_say_script_has_no_intro_or_outro() -> None:
    script = say_script("One. Two.", load_profile())
    assert [c.kind for c in script.chapters] == ["body"]
    assert [s.spoken for s in script.sentences] == ["One.", "Two."]
    with pytest.raises(InputError, match="nothing speakable"):
        say_script("...", load_profile())


@pytest.mark.voice
def test_real_voice_say_writes_a_plausible_wav(tmp_path: Path) -> None:
    from narrate.audio.synth import PiperSynthesizer
    from narrate.audio.voices import find_voice

    synth = PiperSynthesizer(find_voice(None), VoiceSettings(noise_scale=0.0, noise_w_scale=0.0))
    profile = load_profile()
    script = say_script("Yuri Ushakov commented on the plan.", profile)
    with ClipSource(synth) as source:
        result = preview_audio(script, profile, source, output=tmp_path / "real.wav")
    data, rate, _, _ = _wav(result.path)
    speech = data.size / rate - profile.pauses.tail
    assert rate == 22050 and 1.2 < speech < 5.0
    assert -3.0 < 20 * np.log10(np.abs(data).max() / 32767) <= -1.0
