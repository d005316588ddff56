"""Loaded Piper voices are kept per process: a batch, the studio and a Dask worker load a voice once."""

from __future__ import annotations

import pytest

from narrate.audio.synth import piper_synthesizer
from narrate.profile import VoiceSettings

pytestmark = pytest.mark.voice

SETTINGS = VoiceSettings(noise_scale=0.0, noise_w_scale=0.0)


def test_a_second_synthesiser_for_the_same_voice_takes_the_loaded_one() -> None:
    first = piper_synthesizer(SETTINGS, threads=1)
    first.load()
    faster = VoiceSettings(noise_scale=0.0, noise_w_scale=0.0, length_scale=1.2)
    second = piper_synthesizer(faster, threads=1)
    second.load()
    assert second._piper is first._piper  # one ONNX session (~240 MB, 0.5-0.9 s to load), not two
    other_threads = piper_synthesizer(SETTINGS, threads=2)
    other_threads.load()
    assert other_threads._piper is not first._piper  # a session's thread count is fixed when it is built
    # the shared voice speaks at each synthesiser's own speed: the settings are per call
    short, slow = first.synthesize("Ten past nine."), second.synthesize("Ten past nine.")
    assert 1.1 < len(slow) / len(short) < 1.3
