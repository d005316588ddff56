"""Parallel synthesis: order, cache use, failures naming the sentence, and --jobs 1 == --jobs N."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrate.audio.cache import SentenceCache
from narrate.audio.synth import FakeSynthesizer, PiperSynthesizer, cache_identity
from narrate.audio.workers import SynthesisStats, synthesize_all, worker_spec
from narrate.errors import SynthesisError
from narrate.pipeline import narrate_article
from narrate.profile import VoiceSettings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"
# uneven lengths, so workers finish out of order
TEXTS = [f"Sentence {i} {'is long and winding ' * (i % 7)}ends here." for i in range(30)]


def test_parallel_clips_arrive_in_order_and_match_in_process(tmp_path: Path) -> None:
    expected = [FakeSynthesizer().synthesize(t) for t in TEXTS]
    stats = SynthesisStats()
    seen: list[int] = []
    voiced = synthesize_all(TEXTS, FakeSynthesizer(), cache=SentenceCache(tmp_path), jobs=3, stats=stats,
                            progress=lambda done, total: seen.append(done))
    clips = [c.samples for c in voiced]
    assert len(clips) == len(TEXTS)
    for got, want in zip(clips, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert stats.workers == 3 and stats.synthesised == len(TEXTS) and stats.cached == 0
    assert seen == list(range(len(TEXTS) + 1))


def test_everything_cached_starts_no_worker(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    list(synthesize_all(TEXTS, FakeSynthesizer(), cache=cache, jobs=2))
    stats = SynthesisStats()
    synth = FakeSynthesizer()
    clips = [c.samples for c in synthesize_all(TEXTS, synth, cache=cache, jobs=2, stats=stats)]
    assert stats.workers == 0 and stats.cached == len(TEXTS) and synth.calls == []
    np.testing.assert_array_equal(clips[7], FakeSynthesizer().synthesize(TEXTS[7]))


def test_a_damaged_entry_is_made_again_not_played(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    list(synthesize_all(TEXTS, FakeSynthesizer(), cache=cache, jobs=2))
    path = cache.path(cache.key(cache_identity(FakeSynthesizer()), TEXTS[4]))
    path.write_bytes(path.read_bytes()[:-10])
    clips = [c.samples for c in synthesize_all(TEXTS, FakeSynthesizer(), cache=cache, jobs=2)]
    np.testing.assert_array_equal(clips[4], FakeSynthesizer().synthesize(TEXTS[4]))


def test_repeated_text_is_synthesised_once() -> None:
    texts = ["Again.", "Other.", "Again.", "Again."]
    stats = SynthesisStats()
    synth = FakeSynthesizer()
    clips = [c.samples for c in synthesize_all(texts, synth, cache=None, jobs=1, stats=stats)]
    assert synth.calls == ["Again.", "Other."] and stats.synthesised == 2
    np.testing.assert_array_equal(clips[0], clips[3])
    stats = SynthesisStats()
    clips = [c.samples for c in synthesize_all(texts, FakeSynthesizer(), cache=None, jobs=2, stats=stats)]
    assert stats.synthesised == 2 and stats.cached == 2
    np.testing.assert_array_equal(clips[0], clips[2])


@pytest.mark.parametrize("jobs", [1, 2])
def test_failure_names_the_sentence_and_keeps_finished_work(tmp_path: Path, jobs: int) -> None:
    cache = SentenceCache(tmp_path)
    bad = FakeSynthesizer(fail_on="Sentence 20 ")
    with pytest.raises(SynthesisError, match=r"sentence 21 of 30 \('Sentence 20 .*narrate script"):
        list(synthesize_all(TEXTS, bad, cache=cache, jobs=jobs))
    entries, _ = cache.stats()
    assert entries >= 20  # everything before the failure (and whatever was in flight) is kept
    resumed = SynthesisStats()
    list(synthesize_all(TEXTS, FakeSynthesizer(), cache=cache, jobs=jobs, stats=resumed))
    assert resumed.cached == entries and resumed.synthesised == len(TEXTS) - entries


def test_piper_spec_is_unloaded_and_picklable() -> None:
    import pickle

    from narrate.audio.voices import bundled_voice

    loaded = PiperSynthesizer(bundled_voice(), VoiceSettings(), threads=2)
    loaded._piper = object()  # stands for a live ONNX session, which cannot cross a process boundary
    spec = worker_spec(loaded, threads=1)
    assert isinstance(spec, PiperSynthesizer) and spec._piper is None and spec.threads == 1
    assert spec.identity() == loaded.identity()
    pickle.dumps(spec)


def test_pipeline_jobs_1_and_jobs_3_write_identical_mp3s(tmp_path: Path) -> None:
    one = narrate_article(SAMPLE, output=tmp_path / "1.mp3", synthesizer=FakeSynthesizer(), jobs=1,
                          use_cache=False)
    three = narrate_article(SAMPLE, output=tmp_path / "3.mp3", synthesizer=FakeSynthesizer(), jobs=3,
                            use_cache=False)
    assert one.synthesised == three.synthesised == len(one.script.sentences)
    assert (tmp_path / "1.mp3").read_bytes() == (tmp_path / "3.mp3").read_bytes()


@pytest.mark.voice
def test_real_voice_jobs_1_and_jobs_2_are_bit_identical() -> None:
    from narrate.audio.voices import bundled_voice

    texts = ["The bridge closed on Tuesday.", "Nobody wanted to pay for it.", "Repairs will take a year."]
    settings = VoiceSettings(noise_scale=0.0, noise_w_scale=0.0)
    voice = bundled_voice()
    one = list(synthesize_all(texts, PiperSynthesizer(voice, settings, threads=1), cache=None, jobs=1))
    stats = SynthesisStats()
    two = list(synthesize_all(texts, PiperSynthesizer(voice, settings), cache=None, jobs=2, stats=stats))
    assert stats.workers == 2
    for a, b in zip(one, two, strict=True):
        assert a.samples.size > 2000
        np.testing.assert_array_equal(a.samples, b.samples)
        assert a.words == b.words and len(a.words) >= 4  # word timings come back from the workers too
