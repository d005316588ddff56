"""`narrate check` logic on hand-made hearings (a recogniser passed in), the pause splitter, the CLI's exit
codes on audio the real recogniser hears (fake-voice tones: no speech at all); and on the real voice:
damaged episodes (cut, silence, swap, truncate, noise) must be flagged at the right sentence, and clean
episodes of every example and fixture may raise at most one false flag per 100 sentences (run with -s
to see the detection table)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from audio_tools import FFMPEG, decode
from conftest import SHARED_SAMPLE
from support import alive, parents

from narrate import cli
from narrate.audio.synth import FakeSynthesizer
from narrate.errors import InputError, MissingExtraError
from narrate.models import Chapter, Paragraph, Script, Sentence
from narrate.pipeline import NarrationResult
from narrate.verify.check import CheckReport, Flag, check_episode, check_samples
from narrate.verify.recognise import (
    RATE,
    HeardWord,
    Hearing,
    Stretch,
    decode_audio,
    require_pocketsphinx,
    sound_spans,
)

ROOT = Path(__file__).resolve().parents[1]

SENTENCES = [
    "The council met on Monday evening.",
    "It voted to close the old library early.",
    "Readers said they would miss the quiet rooms.",
    "A new building will open next spring.",
]


def _script(sentences: Sequence[str] = SENTENCES) -> Script:
    # two paragraphs: numbers 1 and 2, as `narrate script` shows them
    first = Paragraph(tuple(Sentence(s, s) for s in sentences[:2]))
    second = Paragraph(tuple(Sentence(s, s) for s in sentences[2:]))
    return Script("Library", None, None, (Chapter("Library", "body", (first, second)),))


def _words(sentence: str) -> list[str]:
    return sentence.lower().rstrip(".").split()


WORD = 0.3  # seconds per heard word
PAUSE = 0.5


def _hearing(parts: Sequence[list[str] | float], total: float | None = None) -> Hearing:
    """Stretches of heard words one after another; a float is that many seconds of silence."""
    stretches = []
    t = 0.5
    for part in parts:
        if isinstance(part, float):
            t += part
            continue
        start = t
        words = []
        for word in part:
            words.append(HeardWord(word, int(t * RATE), int((t + WORD) * RATE)))
            t += WORD
        stretches.append(Stretch(int(start * RATE), int(t * RATE), tuple(words), 30.0))
        t += PAUSE
    return Hearing(RATE, int((total or t + 1.0) * RATE), tuple(stretches))


def _check(parts: Sequence[list[str] | float], samples: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    hearing = _hearing(parts)
    audio = samples if samples is not None else np.zeros(hearing.total, dtype=np.int16)
    return check_samples(_script(), audio, recogniser=lambda samples, expected, jobs: hearing)


def test_a_clean_hearing_raises_nothing() -> None:
    report = _check([_words(s) for s in SENTENCES])
    assert report.ok and report.flags == ()
    assert report.matched_words == report.expected_words == 29
    assert report.sentences == 4


def test_a_single_misheard_word_is_not_a_flag() -> None:
    heard = [_words(s) for s in SENTENCES]
    heard[1][3] = "clothes"
    assert _check(heard).ok


def test_three_words_heard_as_three_others_are_a_mishearing_but_three_lost_are_not() -> None:
    heard = [_words(s) for s in SENTENCES]
    heard[2] = ["readers", "said", "they", "wood", "mist", "a", "quiet", "rooms"]
    assert _check(heard).ok  # "would miss the" heard as three other words: the recogniser, not the audio
    heard[2] = ["readers", "said", "they", "quiet", "rooms"]
    (flag,) = _check(heard).flags
    assert (flag.kind, flag.sentence, flag.missing) == ("garbled", 3, ("would", "miss", "the"))


def test_a_sentence_replaced_by_silence() -> None:
    report = _check([_words(SENTENCES[0]), _words(SENTENCES[1]), 2.5, _words(SENTENCES[3])])
    (flag,) = report.flags
    assert (flag.kind, flag.sentence, flag.paragraph) == ("silence", 3, 2)
    assert flag.missing == tuple(_words(SENTENCES[2]))
    # where it should have been: after sentence 2's last word, before sentence 4's first
    assert flag.start == pytest.approx(0.5 + 6 * WORD + PAUSE + 8 * WORD, abs=0.01)
    assert flag.end > flag.start + 2.5


def test_an_episode_that_ends_early() -> None:
    report = _check([_words(s) for s in SENTENCES[:3]])
    (flag,) = report.flags
    assert (flag.kind, flag.sentence) == ("dropped", 4)
    assert "ends" in flag.detail


def test_a_sentence_cut_short() -> None:
    heard = [_words(s) for s in SENTENCES]
    heard[2] = heard[2][:4]  # "readers said they would" ... the rest cut
    (flag,) = _check(heard).flags
    assert (flag.kind, flag.sentence) == ("cut short", 3)
    assert flag.missing == ("miss", "the", "quiet", "rooms")


def test_swapped_sentences_are_out_of_order() -> None:
    heard = [_words(SENTENCES[0]), _words(SENTENCES[2]), _words(SENTENCES[1]), _words(SENTENCES[3])]
    flags = _check(heard).flags
    assert [(f.kind, f.sentence) for f in flags] in ([("out of order", 2)], [("out of order", 3)])


def test_a_repeated_sentence() -> None:
    heard = [_words(SENTENCES[0]), _words(SENTENCES[1]), _words(SENTENCES[1]), *map(_words, SENTENCES[2:])]
    (flag,) = _check(heard).flags
    assert (flag.kind, flag.sentence) == ("repeated", 2)
    # either copy may be taken as the one in its place; the other is the repeat
    first, second = 0.5 + 6 * WORD + PAUSE, 0.5 + 14 * WORD + 2 * PAUSE
    assert min(abs(flag.start - first), abs(flag.start - second)) < 0.01


def test_long_audio_that_matches_no_sentence() -> None:
    stray = ["weather", "forecast", "sunny", "spells", "across", "northern", "hills", "tonight"]
    heard = [_words(SENTENCES[0]), stray, *map(_words, SENTENCES[1:])]
    (flag,) = _check(heard).flags
    assert flag.kind == "unexpected" and flag.sentence is None
    assert flag.text == " ".join(stray)


def test_loud_noise_under_a_sentence() -> None:
    heard = [_words(s) for s in SENTENCES]
    hearing = _hearing(heard)
    samples = np.zeros(hearing.total, dtype=np.int16)
    noisy = hearing.stretches[1]
    rng = np.random.default_rng(0)
    samples[noisy.start : noisy.end] = (rng.standard_normal(noisy.end - noisy.start) * 3000).astype(np.int16)
    (flag,) = check_samples(_script(), samples, recogniser=lambda s, e, j: hearing).flags
    assert (flag.kind, flag.sentence) == ("noise", 2)


def _tones(seconds: Sequence[float], rate: int = RATE) -> np.ndarray:
    parts = []
    for i, length in enumerate(seconds):
        t = np.arange(int(length * rate)) / rate
        sound = (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)
        parts.append(sound if i % 2 == 0 else np.zeros_like(sound))
    return np.concatenate(parts)


def test_sound_is_split_at_pauses_and_long_stretches_are_cut() -> None:
    # 1 s sound, 0.5 s pause, 2 s sound, 0.1 s gap (not a pause), 1 s sound
    samples = _tones([1.0, 0.5, 2.0, 0.1, 1.0])
    spans = sound_spans(samples)
    assert [(round(a / RATE, 2), round(b / RATE, 2)) for a, b in spans] == [(0.0, 1.0), (1.5, 4.6)]
    long = _tones([30.0])
    cut = sound_spans(long, max_stretch=10.0)
    assert len(cut) >= 3 and all(b - a <= 10 * RATE for a, b in cut)
    assert cut[0][0] == 0 and cut[-1][1] == long.size


def test_a_missing_recogniser_names_the_extra() -> None:
    def absent(name: str) -> object:
        raise ImportError(f"No module named {name!r}")

    with pytest.raises(MissingExtraError, match=r"pip install 'narrate-news\[check\]'"):
        require_pocketsphinx(absent)


def test_unreadable_audio_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        decode_audio(tmp_path / "missing.mp3")
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all")
    with pytest.raises(InputError, match="not audio"):
        decode_audio(text)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = ROOT / "examples" / "night-buses.md"
    code = cli.main(["check", str(article), "--mp3", str(tmp_path / "none.mp3")])
    assert code == 2
    assert "not found" in capsys.readouterr().err
    # the fake voice's tones carry no words: every sentence is flagged, exit 1
    fake = FakeSynthesizer()
    assert (
        cli.main([str(article), "--output-dir", str(tmp_path), "-q"], synthesizer_factory=fake.factory) == 0
    )
    capsys.readouterr()
    code = cli.main(["check", str(article), "--output-dir", str(tmp_path), "--json"])
    out = capsys.readouterr().out
    assert code == 1
    import json

    report = json.loads(out)
    assert report["ok"] is False and report["sentences"] == 10
    assert report["heard_words"] <= 3  # tones are not speech
    assert {f["sentence"] for f in report["flags"] if f["sentence"]} >= set(range(2, 10))


def test_check_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["check", "-h"])
    assert "narrate check article.txt" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        cli.main(["check", "a.txt", "--jobs", "zero"])
    assert bad.value.code == 2


# --- the real voice: damaged and clean episodes ----------------------------------------------------

MP3_RATE = 44100  # the episode decoded for damage, as it was encoded
EXAMPLES = sorted((ROOT / "examples").iterdir())
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "scraped").glob("*.txt")) + sorted(
    (ROOT / "tests" / "fixtures" / "html").glob("*.html")
)
ARTICLES = EXAMPLES + FIXTURES + ([SHARED_SAMPLE] if SHARED_SAMPLE.is_file() else [])
DAMAGED = EXAMPLES  # damage checks on the bundled examples; every article is checked clean


def _encode(samples: np.ndarray, path: Path) -> Path:
    raw = np.clip(samples, -1, 1).astype("<f4").tobytes()
    command = [FFMPEG, "-v", "error", "-y", "-f", "f32le", "-ar", str(MP3_RATE), "-ac", "1", "-i", "pipe:0"]
    subprocess.run([*command, "-b:a", "64k", str(path)], input=raw, check=True)
    return path


def _seconds(result: NarrationResult, index: int) -> tuple[float, float]:
    cue = result.cues[index]
    return cue.start / result.rate, cue.end / result.rate


def _target(result: NarrationResult) -> int:
    """A body sentence in the middle of the episode with at least six words (damage goes here)."""
    body = [
        i
        for i, s in enumerate(result.script.sentences)
        if len(s.spoken.split()) >= 6 and 0.25 < result.cues[i].start / result.total_samples < 0.75
    ]
    return body[len(body) // 2]


def _overlapping(result: NarrationResult, start: float, end: float) -> set[int]:
    """1-based numbers of the sentences whose audio overlaps [start, end) seconds."""
    out = set()
    for i in range(len(result.cues)):
        a, b = _seconds(result, i)
        if a < end and b > start:
            out.add(i + 1)
    return out


Damage = Callable[[NarrationResult, np.ndarray], tuple[np.ndarray, set[int]]]


def _cut(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    middle = audio.size // 2
    hit = _overlapping(result, middle / MP3_RATE, middle / MP3_RATE + 5.0)
    return np.concatenate([audio[:middle], audio[middle + 5 * MP3_RATE :]]), hit


def _silence(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    i = _target(result)
    a, b = (int(t * MP3_RATE) for t in _seconds(result, i))
    out = audio.copy()
    out[a:b] = 0.0
    return out, {i + 1}


def _swap(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    i = _target(result)
    a1, b1 = (int(t * MP3_RATE) for t in _seconds(result, i))
    a2, b2 = (int(t * MP3_RATE) for t in _seconds(result, i + 1))
    parts = [audio[:a1], audio[a2:b2], audio[b1:a2], audio[a1:b1], audio[b2:]]
    return np.concatenate(parts), {i + 1, i + 2}


def _truncate(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    end = audio.size - 6 * MP3_RATE
    return audio[:end], _overlapping(result, end / MP3_RATE, audio.size / MP3_RATE)


def _noise(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    """White noise as loud as the sentence itself (0 dB SNR) over one sentence."""
    i = _target(result)
    a, b = (int(t * MP3_RATE) for t in _seconds(result, i))
    out = audio.copy()
    rms = float(np.sqrt(np.mean(out[a:b] ** 2)))
    out[a:b] += (np.random.default_rng(i).standard_normal(b - a) * rms).astype(np.float32)
    return out, {i + 1}


DAMAGES: dict[str, Damage] = {
    "cut 5 s": _cut,
    "silence": _silence,
    "swap": _swap,
    "truncate": _truncate,
    "noise": _noise,
}


def _at(flags: tuple[Flag, ...], sentences: set[int]) -> list[Flag]:
    return [f for f in flags if f.sentence in sentences]


@pytest.mark.voice
def test_every_damage_is_flagged_at_the_right_sentence(real_episodes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = []
    missed = []
    for article in DAMAGED:
        result = real_episodes(article)
        audio = decode(result.path, MP3_RATE)
        for name, damage in DAMAGES.items():
            damaged, hit = damage(result, audio)
            report = check_episode(result.script, _encode(damaged, tmp_path / f"{article.stem}.mp3"))
            right = _at(report.flags, hit)
            # a sentence next to the damage (a cut's neighbour, the swapped pair's other half) is fair too
            near = {n + d for n in hit for d in (-1, 0, 1)}
            elsewhere = [f for f in report.flags if f.sentence is not None and f.sentence not in near]
            rows.append(
                (article.stem, name, sorted(hit), [(f.kind, f.sentence) for f in right], len(elsewhere))
            )
            if not right:
                missed.append(f"{article.stem} {name}: expected a flag at {sorted(hit)}, got {report.flags}")
    print("\narticle | damage | damaged sentences | flags there | flags elsewhere")
    for row in rows:
        print(" | ".join(str(c) for c in row))
    assert not missed, "\n".join(missed)


@pytest.mark.voice
def test_clean_episodes_raise_at_most_one_false_flag_per_100_sentences(real_episodes) -> None:  # type: ignore[no-untyped-def]
    reports: dict[str, CheckReport] = {}
    for article in ARTICLES:
        result = real_episodes(article)
        reports[article.stem] = check_episode(result.script, result.path)
    sentences = sum(r.sentences for r in reports.values())
    flags = [(name, f) for name, r in reports.items() for f in r.flags]
    print(f"\n{len(flags)} flags on {sentences} sentences of {len(reports)} clean episodes")
    for name, r in reports.items():
        print(
            f"{name}: {r.sentences} sentences, {r.matched_words}/{r.expected_words} words heard, "
            f"{len(r.flags)} flags, {r.elapsed:.1f} s for {r.seconds:.0f} s"
        )
    for name, f in flags:
        print(f"  {name}: {f}")
    assert len(flags) <= sentences / 100, flags


@pytest.mark.voice
def test_cli_says_ok_on_a_clean_episode(real_episodes, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    article = EXAMPLES[0]
    result = real_episodes(article)
    assert cli.main(["check", str(article), "--mp3", str(result.path)]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(str(result.path)) and " ok " in line


@pytest.mark.slow
def test_narrate_check_and_batch_check_report_in_their_summaries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = ROOT / "examples" / "night-buses.md"
    fake = FakeSynthesizer()  # tones: nothing to hear, so every sentence is flagged
    narrate = [str(article), "-o", str(tmp_path / "a.mp3"), "-q", "--check"]
    code = cli.main(narrate, synthesizer_factory=fake.factory)
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    # every sentence flagged: each was synthesised again once (the heal), then the episode heard again
    assert out[1].startswith("check: sentences 1, 2, 3") and out[1].endswith("made again; heard again:")
    assert out[2].startswith(f"check: {tmp_path / 'a.mp3'}") and "flagged" in out[2]
    code = cli.main(
        ["batch", str(article), "-o", str(tmp_path / "b"), "-q", "--check", "--jobs", "1"],
        synthesizer_factory=fake.factory,
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].split("\t")[-1] == "check"
    assert out[1].split("\t")[1] == "flagged"
    assert "flagged, held out of the feed (sentences 1, 2, 3" in out[1].split("\t")[-1]
    assert any(line.startswith("check: ") for line in out)


_RECOGNISE_WATCHING_FORKS = """
import json, os, sys
import numpy as np
forks = []
os.register_at_fork(before=lambda: forks.append(os.getpid()))  # os.fork(), not a process started by exec
from narrate.verify.recognise import RATE, recognise
rng = np.random.default_rng(7)
stretch = (3000 * rng.standard_normal(RATE * int(sys.argv[1]))).astype("<i2")
gap = np.zeros(RATE, dtype="<i2")
print("started", flush=True)
audio = np.concatenate([gap, stretch, gap, stretch, gap, stretch, gap])
heard = recognise(audio, [["ferry", "workers"]], jobs=2)
print(json.dumps({"forks": forks, "stretches": len(heard.stretches)}))
"""


def test_the_recogniser_runs_in_processes_started_by_exec_never_forked_ones() -> None:
    # a fork copies the caller's threads' state (the studio's server, ffmpeg's stdin pipe) into the child
    require_pocketsphinx()
    import json
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _RECOGNISE_WATCHING_FORKS, "1"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"forks": [], "stretches": 3}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_a_killed_check_leaves_no_recogniseralive() -> None:
    import os
    import signal
    import sys
    import time

    require_pocketsphinx()
    argv = [sys.executable, "-c", _RECOGNISE_WATCHING_FORKS, "15"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children: set[int] = set()
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"started\n"
        deadline = time.monotonic() + 60
        while len(children) < 2 and time.monotonic() < deadline:  # both decoders at work
            children = {pid for pid, parent in parents().items() if parent == proc.pid}
            time.sleep(0.05)
        assert len(children) == 2, children
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 5
        while alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(children), "a decoder outlived the check that started it"
    finally:  # orphans first, had the test failed: they would hold the pipes open
        proc.kill()
        for pid in alive(children):
            os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=30)


