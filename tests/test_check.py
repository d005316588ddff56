"""`narrate check` logic on hand-made hearings (a recogniser passed in), the pause splitter, and the CLI's
exit codes on audio the real recogniser hears (fake-voice tones: no speech at all)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from narrate import cli
from narrate.audio.synth import FakeSynthesizer
from narrate.errors import InputError, MissingExtraError
from narrate.models import Chapter, Paragraph, Script, Sentence
from narrate.verify.check import check_samples
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

    with pytest.raises(MissingExtraError, match=r"pip install 'narrate\[check\]'"):
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
