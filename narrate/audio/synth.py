"""The Synthesizer protocol, the Piper synthesiser and a fake one for tests."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import SynthesisError, VoiceError
from ..profile import VoiceSettings
from .voices import VoiceInfo, find_voice, resolve_speaker


@runtime_checkable
class Synthesizer(Protocol):
    """Speaks one clean sentence: float32 mono samples in [-1, 1] at `rate`."""

    @property
    def rate(self) -> int: ...

    def identity(self) -> str:
        """Everything that changes the audio for the same text (voice content, settings)."""
        ...

    def synthesize(self, text: str) -> np.ndarray: ...


class SynthesizerFactory(Protocol):
    """Builds the synthesiser for voice settings; `threads` is its ONNX thread count (0: the default).

    Passed in wherever synthesisers are made (the CLI, batch jobs), so tests pass a fake one; a factory
    that crosses process boundaries (batch workers) must be picklable.
    """

    def __call__(self, settings: VoiceSettings, threads: int = 0) -> Synthesizer: ...


def piper_synthesizer(settings: VoiceSettings, threads: int = 0) -> PiperSynthesizer:
    """The default factory: the named Piper voice (bundled, voices/ or a path); loads nothing yet."""
    return PiperSynthesizer(find_voice(settings.name), settings, threads=threads)


class PiperSynthesizer:
    """A Piper voice; the ONNX session is built on first use with a chosen thread count.

    A speaker named in the settings is resolved to its number here, before any synthesis, so the
    cache key (identity) is the same however the speaker was written.
    """

    def __init__(self, voice: VoiceInfo, settings: VoiceSettings, threads: int = 0) -> None:
        self.voice = voice
        self.settings = dataclasses.replace(settings, speaker=resolve_speaker(voice, settings.speaker))
        self.threads = threads
        self._piper: Any = None
        self._loading = threading.Lock()  # load() may run ahead on a thread while synthesize() waits

    def __getstate__(self) -> dict[str, Any]:
        # a worker process gets the recipe, not the loaded session (nor the lock)
        return {"voice": self.voice, "settings": self.settings, "threads": self.threads}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.voice, self.settings, self.threads = state["voice"], state["settings"], state["threads"]
        self._piper = None
        self._loading = threading.Lock()

    @property
    def rate(self) -> int:
        return self.voice.sample_rate

    def identity(self) -> str:
        return f"piper:{self.voice.content_hash}:{self.settings.key()}"

    def load(self) -> None:
        """Build the ONNX session (once; safe to call from several threads)."""
        with self._loading:
            if self._piper is None:
                self._piper = self._session()

    def _session(self) -> Any:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        options = onnxruntime.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        try:
            config = PiperConfig.from_dict(json.loads(self.voice.config.read_text(encoding="utf-8")))
            session = onnxruntime.InferenceSession(
                str(self.voice.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for corrupt models
            raise VoiceError(
                f"voice {self.voice.name} cannot be loaded ({str(exc).splitlines()[0][:200]}): "
                "the .onnx file is corrupt or not a Piper voice; replace it"
            ) from exc
        return PiperVoice(session=session, config=config)

    def synthesize(self, text: str) -> np.ndarray:
        from piper import SynthesisConfig

        self.load()
        config = SynthesisConfig(
            speaker_id=int(self.settings.speaker) if self._speakers() > 1 else None,  # resolved in __init__
            length_scale=self.settings.length_scale,
            noise_scale=self.settings.noise_scale,
            noise_w_scale=self.settings.noise_w_scale,
            normalize_audio=False,  # loudness is set once for the whole programme
        )
        try:
            parts = [chunk.audio_float_array for chunk in self._piper.synthesize(text, config)]
        except Exception as exc:
            raise SynthesisError(f"Piper failed on the sentence {text[:80]!r}: {exc}") from exc
        if not parts:
            return np.zeros(0, dtype=np.float32)
        if len(parts) == 1:
            return parts[0].astype(np.float32, copy=False)
        # espeak occasionally splits our sentence again (e.g. at '?'): join with a short breath
        gap = np.zeros(int(self.rate * 0.12), dtype=np.float32)
        joined: list[np.ndarray] = []
        for part in parts:
            if joined:
                joined.append(gap)
            joined.append(part.astype(np.float32, copy=False))
        return np.concatenate(joined)

    def _speakers(self) -> int:
        return int(getattr(getattr(self._piper, "config", None), "num_speakers", 1) or 1)


@dataclass(frozen=True)
class FakeVoice:
    """A picklable factory of FakeSynthesizers: tests and benchmarks pass it where Piper would be built."""

    rate: int = 22050
    per_char: float = 0.06
    base: float = 0.2
    fail_on: str | None = None

    def __call__(self, settings: VoiceSettings, threads: int = 0) -> FakeSynthesizer:
        return FakeSynthesizer(self.rate, self.per_char, self.base, self.fail_on)


class FakeSynthesizer:
    """Deterministic tones whose length follows the text: exact, fast pipeline tests without a voice.

    A sentence of n characters lasts `base + n * per_char` seconds (rounded down to whole samples):
    a quiet tone whose pitch depends on the text, with syllable-rate modulation so loudness
    processing sees something speech-like.
    """

    def __init__(
        self, rate: int = 22050, per_char: float = 0.06, base: float = 0.2, fail_on: str | None = None
    ) -> None:
        self._rate = rate
        self.per_char = per_char
        self.base = base
        self.fail_on = fail_on
        self.calls: list[str] = []

    @property
    def rate(self) -> int:
        return self._rate

    def identity(self) -> str:
        return f"fake:{self._rate}:{self.per_char}:{self.base}"

    def factory(self, settings: VoiceSettings, threads: int = 0) -> FakeSynthesizer:
        """This instance as a SynthesizerFactory: in one process, its `calls` stay visible to the test."""
        return self

    def length_for(self, text: str) -> int:
        return int(self._rate * (self.base + len(text) * self.per_char))

    def synthesize(self, text: str) -> np.ndarray:
        self.calls.append(text)
        if self.fail_on is not None and self.fail_on in text:
            raise SynthesisError(f"fake synthesiser told to fail on {text[:80]!r}")
        n = self.length_for(text)
        seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
        freq = 120.0 + seed % 200
        t = np.arange(n, dtype=np.float64) / self._rate
        envelope = 0.5 - 0.5 * np.cos(2 * math.pi * 4.0 * t)  # ~4 syllables a second
        return (0.05 * envelope * np.sin(2 * math.pi * freq * t)).astype(np.float32)
