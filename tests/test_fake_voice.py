"""The fake voice's handler (one fake instead of a subclass per behaviour), checked against hand values."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

from narrate.audio.synth import FakeSynthesizer, FakeVoice
from narrate.errors import SynthesisError, VoiceError
from narrate.models import Voiced, WordTime
from narrate.profile import VoiceSettings


def _silence(text: str) -> np.ndarray:
    return np.zeros(len(text), dtype=np.float64)  # a float64 answer comes back as float32


def test_a_handler_that_returns_none_keeps_the_tone() -> None:
    heard: list[str] = []
    synth = FakeSynthesizer(handler=heard.append)
    samples = synth.synthesize("Twelve chars")
    assert heard == ["Twelve chars"] == synth.calls
    assert samples.dtype == np.float32 and samples.size == int(22050 * (0.2 + 12 * 0.06))  # 20286
    assert np.abs(samples).max() > 0.01


def test_a_handler_can_answer_with_samples_or_a_voiced_sentence() -> None:
    synth = FakeSynthesizer(handler=_silence)
    samples = synth.synthesize("four")
    assert samples.dtype == np.float32 and samples.tolist() == [0.0, 0.0, 0.0, 0.0]
    timed = synth.synthesize_words("two words")  # words spread over the handler's 9 samples by hand
    assert timed.words == (WordTime("two", 0, 3), WordTime("words", 4, 9))

    voiced = Voiced(np.ones(5, dtype=np.float32), (WordTime("hi", 1, 4),))
    synth = FakeSynthesizer(handler=lambda text: voiced)
    assert synth.synthesize_words("hi").words == (WordTime("hi", 1, 4),)
    assert synth.synthesize("hi").tolist() == [1.0] * 5


def test_what_a_handler_raises_reaches_the_caller_and_a_wrong_answer_is_refused() -> None:
    def broken(text: str) -> None:
        raise SynthesisError(f"cannot say {text}")

    with pytest.raises(SynthesisError, match="cannot say this"):
        FakeSynthesizer(handler=broken).synthesize("this")
    with pytest.raises(TypeError, match="returns None, samples or a Voiced, not True"):
        FakeSynthesizer(handler=lambda text: True).synthesize("gate.wait() returns True")  # type: ignore[arg-type,return-value]
    with pytest.raises(SynthesisError, match="told to fail"):
        FakeSynthesizer(fail_on="boom", handler=_silence).synthesize("a boom")


def test_the_voice_loads_once_and_a_failed_load_is_tried_again() -> None:
    tries: list[int] = []

    def flaky() -> None:
        tries.append(1)
        if len(tries) == 1:
            raise VoiceError("voice x cannot be loaded: replace it")

    synth = FakeSynthesizer(on_load=flaky)
    with pytest.raises(VoiceError):
        synth.synthesize("first")
    assert synth.loads == 0
    synth.synthesize("second")
    synth.load()
    threads = [threading.Thread(target=synth.synthesize, args=("more",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert synth.loads == 1 and len(tries) == 2


def test_the_fake_and_its_factory_pickle_with_a_module_level_handler() -> None:
    settings = VoiceSettings()
    voice = pickle.loads(pickle.dumps(FakeVoice(per_char=0.01, handler=_silence)))
    built = voice(settings)
    assert built.per_char == 0.01 and built.synthesize("abc").tolist() == [0.0] * 3
    copy = pickle.loads(pickle.dumps(FakeSynthesizer(handler=_silence)))  # the lock is made anew
    copy.load()
    assert copy.loads == 1 and copy.synthesize("ab").size == 2
