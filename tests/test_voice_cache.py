"""Loaded Piper voices are kept per process (a batch worker loads its voice once), never across a fork."""

from __future__ import annotations

import multiprocessing

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


def _speak_in_child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(len(piper_synthesizer(SETTINGS, threads=1).synthesize("Ten past nine.")))


def test_a_forked_child_of_a_process_with_a_loaded_voice_still_speaks() -> None:
    parent = piper_synthesizer(SETTINGS, threads=1)
    expected = len(parent.synthesize("Ten past nine."))
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_speak_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung using its parent's onnxruntime session")
    assert child.exitcode == 0
    assert queue.get(timeout=5) == expected  # deterministic voice: the same sentence, the same length
