"""The synthesis engine: order, cache, failures naming the sentence, threads sharing a voice, fairness."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from narrate.audio.cache import CacheOptions, SentenceCache
from narrate.audio.engine import SynthesisEngine, SynthesisStats
from narrate.audio.synth import FakeSynthesizer, PiperSynthesizer, cache_identity
from narrate.errors import Cancelled, SynthesisError
from narrate.pipeline import NarrationOptions, narrate_article
from narrate.profile import VoiceSettings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"
# uneven lengths, so threads finish out of order
TEXTS = [f"Sentence {i} {'is long and winding ' * (i % 7)}ends here." for i in range(30)]


_EARLIER: set[threading.Thread] = set()


@pytest.fixture(autouse=True)
def _threads_before() -> None:
    """The synthesis threads running before the test: an engine another test module left open (a studio's)."""
    _EARLIER.clear()
    _EARLIER.update(t for t in threading.enumerate() if t.name.startswith("narrate-synth"))


def _synth_threads() -> list[str]:
    """The synthesis threads this test started that are still running."""
    return [t.name for t in threading.enumerate() if t.name.startswith("narrate-synth") and t not in _EARLIER]


def test_clips_arrive_in_order_and_match_the_voice(tmp_path: Path) -> None:
    expected = [FakeSynthesizer().synthesize(t) for t in TEXTS]
    stats = SynthesisStats()
    seen: list[int] = []
    with SynthesisEngine(3) as engine:
        voiced = engine.clips(TEXTS, FakeSynthesizer(), cache=SentenceCache(tmp_path), stats=stats,
                              progress=lambda done, total: seen.append(done))  # fmt: skip
        clips = [c.samples for c in voiced]
        assert len(_synth_threads()) == 3
    assert _synth_threads() == []  # closing the engine ends its threads
    assert len(clips) == len(TEXTS)
    for got, want in zip(clips, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert stats.synthesised == len(TEXTS) and stats.cached == 0
    assert seen == list(range(len(TEXTS) + 1))


def test_threads_call_the_one_voice_at_the_same_time() -> None:
    # each call waits until another is in progress: a serial engine breaks the barrier (times out)
    barrier = threading.Barrier(2, timeout=20)

    def meeting(text: str) -> None:
        barrier.wait()

    synth = FakeSynthesizer(handler=meeting)
    with SynthesisEngine(2) as engine:
        clips = list(engine.clips(TEXTS[:6], synth))
    assert len(clips) == 6 and sorted(synth.calls) == sorted(TEXTS[:6])


def test_long_sentences_are_spoken_side_by_side() -> None:
    # each thread's working memory is one decoder window's worth (split.py), so nothing holds a long
    # sentence back: two of them must be able to be spoken at the same time
    long = [f"Long sentence {i} {'and it goes on ' * 16}to the end." for i in range(4)]  # ~280 characters
    barrier = threading.Barrier(2, timeout=20)

    def meeting(text: str) -> None:
        barrier.wait()  # raises BrokenBarrierError unless another long sentence is being spoken too

    synth = FakeSynthesizer(handler=meeting)
    with SynthesisEngine(2) as engine:
        clips = list(engine.clips(long, synth))
    assert len(clips) == 4 and sorted(synth.calls) == sorted(long)


def test_everything_cached_starts_no_thread(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    with SynthesisEngine(2) as engine:
        list(engine.clips(TEXTS, FakeSynthesizer(), cache=cache))
    stats = SynthesisStats()
    synth = FakeSynthesizer()
    with SynthesisEngine(2) as engine:
        clips = [c.samples for c in engine.clips(TEXTS, synth, cache=cache, stats=stats)]
        assert _synth_threads() == []
    assert stats.cached == len(TEXTS) and synth.calls == []
    np.testing.assert_array_equal(clips[7], FakeSynthesizer().synthesize(TEXTS[7]))


def test_a_damaged_entry_is_made_again_not_played(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    with SynthesisEngine(2) as engine:
        list(engine.clips(TEXTS, FakeSynthesizer(), cache=cache))
        path = cache.path(cache.key(cache_identity(FakeSynthesizer()), TEXTS[4]))
        path.write_bytes(path.read_bytes()[:-10])
        clips = [c.samples for c in engine.clips(TEXTS, FakeSynthesizer(), cache=cache)]
    np.testing.assert_array_equal(clips[4], FakeSynthesizer().synthesize(TEXTS[4]))


@pytest.mark.parametrize("threads", [1, 2])
def test_repeated_text_is_synthesised_once(threads: int) -> None:
    texts = ["Again.", "Other.", "Again.", "Again."]
    stats = SynthesisStats()
    synth = FakeSynthesizer()
    with SynthesisEngine(threads) as engine:
        clips = [c.samples for c in engine.clips(texts, synth, stats=stats)]
    assert sorted(synth.calls) == ["Again.", "Other."] and stats.synthesised == 2 and stats.cached == 2
    np.testing.assert_array_equal(clips[0], clips[3])


@pytest.mark.parametrize("threads", [1, 2])
def test_failure_names_the_sentence_and_keeps_finished_work(tmp_path: Path, threads: int) -> None:
    cache = SentenceCache(tmp_path)
    bad = FakeSynthesizer(fail_on="Sentence 20 ")
    with SynthesisEngine(threads) as engine:
        with pytest.raises(SynthesisError, match=r"sentence 21 of 30 \('Sentence 20 .*narrate script"):
            list(engine.clips(TEXTS, bad, cache=cache))
    entries, _ = cache.stats()
    assert entries >= 20  # everything before the failure (and whatever was in flight) is kept
    resumed = SynthesisStats()
    with SynthesisEngine(threads) as engine:
        list(engine.clips(TEXTS, FakeSynthesizer(), cache=cache, stats=resumed))
    assert resumed.cached == entries and resumed.synthesised == len(TEXTS) - entries


def test_a_stopped_caller_starts_no_more_sentences() -> None:
    stop = threading.Event()

    def stopping(text: str) -> None:
        if len(synth.calls) == 3:
            stop.set()  # told to stop while the third sentence is in hand

    synth = FakeSynthesizer(handler=stopping)
    with SynthesisEngine(1) as engine:
        with pytest.raises(Cancelled, match="cancelled before sentence 4 of 30: re-run to resume"):
            list(engine.clips(TEXTS, synth, should_stop=stop.is_set))
    assert synth.calls == TEXTS[:3]  # the sentence in hand finished; nothing queued was started


def test_callers_take_turns_so_a_short_article_is_not_kept_waiting() -> None:
    long = [f"Long {i}." for i in range(20)]
    short = [f"Short {i}." for i in range(3)]
    entered, gate = threading.Event(), threading.Event()

    def gated(text: str) -> None:
        entered.set()
        assert gate.wait(20)

    synth = FakeSynthesizer(handler=gated)
    with SynthesisEngine(1) as engine:
        readers = [
            threading.Thread(target=lambda t=texts: list(engine.clips(t, synth))) for texts in (long, short)
        ]
        readers[0].start()
        assert entered.wait(20)  # the long article's first sentence is in hand, four more queued
        readers[1].start()
        while len(engine._turns) < 2 or len(engine._turns[-1].queue) < 3:  # noqa: SLF001 - the short one queued
            threading.Event().wait(0.01)
        gate.set()
        for reader in readers:
            reader.join(30)
    # one sentence from each caller in turn, not the long article's queue first
    assert synth.calls[:7] == ["Long 0.", "Long 1.", "Short 0.", "Long 2.", "Short 1.", "Long 3.", "Short 2."]
    assert sorted(synth.calls) == sorted(long + short)


def test_pipeline_jobs_1_and_jobs_3_write_identical_mp3s(tmp_path: Path) -> None:
    one = narrate_article(
        SAMPLE,
        NarrationOptions(output=tmp_path / "1.mp3", jobs=1, cache=CacheOptions(use=False)),
        synthesizer=FakeSynthesizer(),
    )
    three = narrate_article(
        SAMPLE,
        NarrationOptions(output=tmp_path / "3.mp3", jobs=3, cache=CacheOptions(use=False)),
        synthesizer=FakeSynthesizer(),
    )
    assert one.synthesised == three.synthesised == len(one.script.sentences)
    assert (tmp_path / "1.mp3").read_bytes() == (tmp_path / "3.mp3").read_bytes()


@pytest.mark.voice
def test_real_voice_one_and_two_threads_are_bit_identical_with_word_timings() -> None:
    from narrate.audio.voices import bundled_voice

    texts = ["The bridge closed on Tuesday.", "Nobody wanted to pay for it.", "Repairs will take a year.",
             "The council said it was sorry."]  # fmt: skip
    settings = VoiceSettings(noise_scale=0.0, noise_w_scale=0.0)
    voice = bundled_voice()
    with SynthesisEngine(1) as engine:
        one = list(engine.clips(texts, PiperSynthesizer(voice, settings, threads=1)))
    shared = PiperSynthesizer(voice, settings, threads=1)
    with SynthesisEngine(2) as engine:
        two = list(engine.clips(texts, shared))
    for a, b in zip(one, two, strict=True):
        assert a.samples.size > 2000
        np.testing.assert_array_equal(a.samples, b.samples)
        assert a.words == b.words and len(a.words) >= 4  # word timings come from every thread
