"""The plausibility gate: hand-worked clips judged, a bad clip made once more then refused, never cached."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from narrate import cli
from narrate.audio.cache import CacheOptions, SentenceCache
from narrate.audio.engine import SynthesisEngine
from narrate.audio.gate import measure, phoneme_letters, speech_letters, verdict
from narrate.audio.synth import FakeSynthesizer, cache_identity, voice_sentence
from narrate.errors import SynthesisError, VoiceError
from narrate.models import Said, Voiced

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"
RATE = 22050
OUTRO = "To support fearless, independent journalism, please subscribe today."  # 58 letters


def synthesize_all(texts: list[str], synth: object, *, cache: SentenceCache, jobs: int) -> Iterator[Voiced]:
    """Clips for `texts` through a synthesis engine of `jobs` threads (closed once they are all out)."""
    with SynthesisEngine(jobs) as engine:
        yield from engine.clips(texts, synth, cache=cache)  # type: ignore[arg-type]


def _speech(seconds: float, level: float = 0.05, rate: int = RATE) -> np.ndarray:
    """A tone at `level` RMS-ish amplitude: loud enough to be speech for the gate, never clipping."""
    t = np.arange(int(rate * seconds)) / rate
    return (level * np.sqrt(2) * np.sin(2 * np.pi * 180 * t)).astype(np.float32)


def _blip() -> np.ndarray:
    """What Piper returned with its espeak data gone: 0.12 s of faint noise for any sentence."""
    return np.random.default_rng(1).normal(0, 0.02, int(RATE * 0.12)).astype(np.float32)


# --- the measures, against hand counts ------------------------------------------------------------


def test_letters_and_phonemes_are_counted_by_hand() -> None:
    assert speech_letters("Hello there.") == 10
    assert speech_letters("It's 5 o'clock!") == 3 + 1 + 6  # "It's", "5", "o'clock"
    assert phoneme_letters("həlˈoʊ ðˈɛɹ.") == 8  # h ə l o ʊ | ð ɛ ɹ: stress marks and the stop are not sounds
    assert phoneme_letters(", , .") == 0  # all espeak says when its data is gone
    assert speech_letters("Say [[ kˈɪɹ ]] now.") == 3 + 3 + 3  # a phoneme block counts its sounds


def test_plausible_speech_passes() -> None:
    # 4.3 s for 75 espeak phonemes is what the bundled voice says for OUTRO
    phonemes = "tə səpˈɔːɹt fˈɪɹləs, ˌɪndᵻpˈɛndənt dʒˈɜːnəlˌɪzəm, plˈiːz səbskɹˈaɪb tədˈeɪ."
    assert verdict(_speech(4.3), Said(OUTRO, RATE, phonemes)) is None
    assert verdict(_speech(4.3), Said(OUTRO, RATE)) is None  # a voice that gives no phonemes: by letters
    assert verdict(np.zeros(0, np.float32), Said("...", RATE, ".")) is None  # nothing to say, nothing said


@pytest.mark.parametrize(
    ("samples", "said", "reason"),
    [
        (_blip(), Said(OUTRO, RATE, ", , ."), "espeak gave 0 phonemes for 58 letters"),
        (_speech(3.0), Said("Hello there.", RATE, "lˈeɾə " * 20), "espeak gave 80 phonemes for 10 letters"),
        (_blip(), Said(OUTRO, RATE), "0.12 s is too short for 58 letters (at least 1.45 s)"),
        (_speech(0.5), Said(OUTRO, RATE, "tə səpˈɔːɹt fˈɪɹləs ˌɪndᵻpˈɛndənt dʒˈɜːnəlˌɪzəm"), "too short"),
        (_speech(30.0), Said("Hello there.", RATE, "həlˈoʊ ðˈɛɹ."), "30.00 s is too long for 8 phonemes"),
        (np.zeros(RATE, np.float32), Said("Hello there.", RATE, "həlˈoʊ ðˈɛɹ."), "near-silent"),
        (np.zeros(0, np.float32), Said("Hello there.", RATE, "həlˈoʊ ðˈɛɹ."), "empty for 10 letters"),
        (np.full(RATE, np.nan, np.float32), None, "NaN or infinite"),
        (np.clip(_speech(1.0, level=2.0), -1, 1), None, "clips at full scale"),
    ],
    ids=["no-phonemes", "spelled-out", "blip", "short", "long", "silent", "empty", "nan", "clipping"],
)
def test_implausible_clips_are_rejected(samples: np.ndarray, said: Said | None, reason: str) -> None:
    rejection = verdict(samples, said)
    assert rejection is not None and reason in rejection.reason


def test_the_voices_pace_scales_the_length_it_expects() -> None:
    # --speed 0.5 is length_scale 2.0: 8 phonemes at 0.45 s each is slow speech, not a fault
    slow = _speech(3.6)
    assert verdict(slow, Said("Hello there.", RATE, "həlˈoʊ ðˈɛɹ.", pace=2.0)) is None
    at_normal_pace = verdict(slow, Said("Hello there.", RATE, "həlˈoʊ ðˈɛɹ.", pace=1.0))
    # at most 0.25 s a phoneme, plus 1 s: 8 x 0.25 + 1 = 3.00 s, worked by hand from the documented limits
    assert at_normal_pace is not None
    assert at_normal_pace.reason == "3.60 s is too long for 8 phonemes (at most 3.00 s)"
    assert measure(
        slow, Said("Hello there.", RATE, "həlˈoʊ ðˈɛɹ.", pace=2.0)
    ).seconds_per_unit == pytest.approx(3.6 / 8 / 2, abs=1e-4)


# --- made once more, then refused -----------------------------------------------------------------


class _Voice:
    """A voice whose clips come from `handler(text, attempt)`: misbehaving once, always, or never."""

    def __init__(self, handler: Callable[[str, int], np.ndarray], problem: str | None = None) -> None:
        self.handler = handler
        self.problem = problem
        self.calls: list[str] = []

    @property
    def rate(self) -> int:
        return RATE

    def identity(self) -> str:
        return "handled"

    def synthesize(self, text: str) -> np.ndarray:
        self.calls.append(text)
        return self.handler(text, self.calls.count(text))

    def install_problem(self) -> str | None:
        return self.problem


def _fake(text: str, attempt: int = 1) -> np.ndarray:
    return FakeSynthesizer().synthesize(text)


def test_a_bad_clip_is_made_once_more() -> None:
    voice = _Voice(lambda text, attempt: _blip() if attempt == 1 else _fake(text))
    clip = voice_sentence(voice, OUTRO)
    np.testing.assert_array_equal(clip.samples, _fake(OUTRO))
    assert voice.calls == [OUTRO, OUTRO]


def test_a_clip_bad_twice_fails_the_sentence_with_its_cause() -> None:
    voice = _Voice(lambda text, attempt: _blip())
    with pytest.raises(SynthesisError, match=r"failed the plausibility check twice \(0\.12 s is too short"):
        voice_sentence(voice, OUTRO)
    assert len(voice.calls) == 2


def test_a_broken_install_is_named_rather_than_the_sentence() -> None:
    voice = _Voice(lambda text, attempt: _blip(), problem="the voice's espeak-ng data is missing (X)")
    with pytest.raises(VoiceError, match="espeak-ng data is missing"):
        voice_sentence(voice, OUTRO)


def test_a_rejected_clip_is_never_cached(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    texts = ["Fine words here.", OUTRO]
    voice = _Voice(lambda text, attempt: _blip() if text == OUTRO else _fake(text))
    clips = synthesize_all(texts, voice, cache=cache, jobs=1)
    with pytest.raises(SynthesisError, match=r"sentence 2 of 2 \('To support"):
        list(clips)
    assert [p.name for p in tmp_path.rglob("*.f32")] == [
        cache.path(cache.key(cache_identity(voice), "Fine words here.")).name
    ]


# --- the cache refuses, evicts and verifies -------------------------------------------------------


def _entry(samples: np.ndarray, meta: dict[str, object], magic: bytes = b"NRC3") -> bytes:
    """A cache entry written by hand from the documented layout (header, float32 samples, JSON)."""
    audio = np.ascontiguousarray(samples, dtype="<f4").tobytes()
    text = json.dumps(meta).encode("utf-8")
    return struct.pack("<4sQII", magic, len(audio) // 4, len(text), zlib.crc32(audio + text)) + audio + text


def _plant(cache: SentenceCache, text: str, data: bytes) -> Path:
    path = cache.path(cache.key("planted", text))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_put_refuses_an_implausible_clip(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    key = cache.key("fake", OUTRO)
    with pytest.raises(SynthesisError, match="refused to cache an implausible clip for 'To support"):
        cache.put(key, _blip(), said=Said(OUTRO, RATE, ", , ."))
    assert not list(tmp_path.rglob("*")), "nothing may be left in the cache"
    with pytest.raises(SynthesisError, match="NaN"):
        cache.put(key, np.full(100, np.inf, np.float32))


def test_a_stored_clip_that_fails_the_gate_is_a_miss_and_is_evicted(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    bad = _plant(cache, OUTRO, _entry(_blip(), {"words": [], "said": [OUTRO, RATE, ", , .", 1.0]}))
    good_samples = _speech(4.3)
    good = _plant(cache, "good", _entry(good_samples, {"words": [], "said": [OUTRO, RATE, None, 1.0]}))
    assert cache.get_voiced(cache.key("planted", OUTRO)) is None and not bad.exists()
    got = cache.get_voiced(cache.key("planted", "good"))
    assert got is not None and good.exists()
    np.testing.assert_array_equal(got.samples, good_samples)


def test_cache_verify_removes_the_bad_the_damaged_and_the_old(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = SentenceCache(tmp_path)
    kept = [
        _plant(cache, f"good {i}", _entry(_speech(4.3), {"words": [], "said": [OUTRO, RATE, None, 1.0]}))
        for i in range(3)
    ]
    bad = _plant(cache, "blip", _entry(_blip(), {"words": [], "said": [OUTRO, RATE, ", , .", 1.0]}))
    damaged = _plant(cache, "damaged", _entry(_speech(1.0), {"words": [], "said": None})[:-5])
    old = _plant(cache, "old", _entry(_speech(1.0), {"words": [], "said": None}, magic=b"NRC2"))
    code = cli.main(["cache", "--verify", "--cache-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "checked 6 cached sentences, removed 3 (1 implausible, 2 damaged or from an older narrate)" in out
    assert all(p.exists() for p in kept) and not any(p.exists() for p in (bad, damaged, old))


# --- the CLI: a voice that returns blips fails the run, and caches nothing bad --------------------


def _blip_on(word: str) -> Callable[[str, int], np.ndarray]:
    return lambda text, attempt: _blip() if word in text else _fake(text)


def test_a_run_whose_voice_returns_blips_fails_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voice = _Voice(_blip_on("Ofwat"))
    out_dir, cache_dir = tmp_path / "out", tmp_path / "cache"
    args = [str(SAMPLE), "--output-dir", str(out_dir), "--cache-dir", str(cache_dir), "--quiet"]
    code = cli.main(args, synthesizer_factory=lambda settings, threads=0: voice)
    err = capsys.readouterr().err
    assert code == 3, err
    assert "failed the plausibility check twice" in err and len(err.strip().splitlines()) == 1
    assert not out_dir.exists() or not list(out_dir.glob("*.mp3"))
    cached = []  # the sentences before the bad one are kept; the bad one is not
    for path in cache_dir.rglob("*.f32"):
        data = path.read_bytes()
        cached.append(json.loads(data[20 + 4 * struct.unpack_from("<Q", data, 4)[0] :])["said"][0])
    assert cached and not any("Ofwat" in text for text in cached)


# --- the key says what the clip holds -------------------------------------------------------------


class _SentencesOnly:
    """A wrapper forwarding only synthesize(), as the studio's shared voice did: its clips have no words."""

    def __init__(self, inner: FakeSynthesizer) -> None:
        self.inner = inner

    @property
    def rate(self) -> int:
        return self.inner.rate

    def identity(self) -> str:
        return self.inner.identity()  # the same voice, the same settings ...

    def synthesize(self, text: str) -> np.ndarray:
        return self.inner.synthesize(text)


def test_a_clip_without_word_timings_is_never_stored_under_the_timed_key(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    texts = ["One small sentence.", "Another one here."]
    list(synthesize_all(texts, _SentencesOnly(FakeSynthesizer()), cache=cache, jobs=1))
    timed = FakeSynthesizer()
    clips = list(synthesize_all(texts, timed, cache=cache, jobs=1))
    assert timed.calls == texts  # ... but the untimed clips were not taken for timed ones
    assert [w.text for w in clips[0].words] == ["One", "small", "sentence."]


def test_the_studio_renders_with_word_timings(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("httpx2")
    from starlette.testclient import TestClient

    from narrate.studio.app import create_app
    from narrate.studio.service import Studio, StudioOptions

    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    studio = Studio(
        StudioOptions(folder, cache=CacheOptions(directory=tmp_path / "cache")), FakeSynthesizer().factory
    )
    voiced = studio.voice.synthesize_words("Water bills rise again.")
    assert isinstance(voiced, Voiced) and [w.text for w in voiced.words] == [
        "Water",
        "bills",
        "rise",
        "again.",
    ]
    token = "test-token-0123456789"
    app = create_app(studio, token=token, host="127.0.0.1", port=8765)
    client = TestClient(app, base_url="http://127.0.0.1:8765", headers={"X-Narrate-Token": token})
    assert client.post("/api/render", json={"paths": [SAMPLE.name]}).status_code == 202
    with client.stream("GET", "/api/events") as stream:
        for _ in stream.iter_lines():
            pass  # the stream ends with the render
    transcript = next((folder / "output").glob("*.transcript.json"))
    segments = json.loads(transcript.read_text(encoding="utf-8"))["segments"]
    assert len(segments) > 100  # one a word; the article's 21 sentences alone made 21 before


# --- one phonemiser, one lock ---------------------------------------------------------------------


def test_words_are_phonemised_by_pipers_own_espeak_under_its_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every espeak call narrate makes happens inside Piper's lock, and espeak is never initialised twice."""
    import piper.voice
    from piper import espeakbridge

    from narrate.audio.alignment import voice_phonemizer
    from narrate.audio.voices import find_voice

    calls: list[bool] = []
    initialised: list[str] = []
    real_get, real_init = espeakbridge.get_phonemes, espeakbridge.initialize
    monkeypatch.setattr(
        espeakbridge,
        "get_phonemes",
        lambda text: calls.append(piper.voice._ESPEAK_PHONEMIZER_LOCK.locked()) or real_get(text),
    )
    monkeypatch.setattr(
        espeakbridge, "initialize", lambda folder: initialised.append(folder) or real_init(folder)
    )
    phonemize = voice_phonemizer(find_voice(None))
    assert phonemize("Reykjavik") and phonemize("Aberystwyth")
    assert calls and all(calls), "espeak was used outside Piper's lock"
    assert len(initialised) <= 1 and (piper.voice._ESPEAK_PHONEMIZER is not None)


def test_espeak_data_is_checked_as_espeak_checks_it(tmp_path: Path) -> None:
    from narrate.text.phonemes import espeak_data_problem

    folder = tmp_path / "espeak-ng-data"
    folder.mkdir()
    for name in ("phontab", "phonindex", "phondata", "intonations"):
        (folder / name).write_bytes(b"\x01" * 64)
    dictionary = struct.pack("<ii", 1024, 40) + bytes(56)  # 1024 hash chains, the rules 40 bytes in
    (folder / "en_dict").write_bytes(dictionary)
    assert espeak_data_problem(folder, "en-us") is None
    problem = espeak_data_problem(folder, "fr-fr")
    assert problem is not None and f"({folder / 'fr_dict'}): reinstall piper-tts" in problem
    (folder / "en_dict").write_bytes(struct.pack("<ii", 1024, 4000) + bytes(56))  # rules past the end
    assert "en_dict" in (espeak_data_problem(folder, "en-us") or "")
    (folder / "en_dict").write_bytes(dictionary)
    (folder / "phondata").write_bytes(b"")
    assert "phondata" in (espeak_data_problem(folder, "en-us") or "")
    shutil.rmtree(folder)
    assert "phontab" in (espeak_data_problem(folder, "en-us") or "")
