"""The Synthesizer protocol, the Piper synthesiser and a fake one for tests."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ImplausibleClip, NarrateError, SynthesisError, VoiceError
from ..models import Said, Voiced, WordTime
from ..profile import VoiceSettings, cache_home
from ..text.phonemes import espeak_data_problem, piper_phonemizer
from .alignment import (
    AlignmentUnavailable,
    Patcher,
    PhonemeChunk,
    aligned_model,
    onnx_patcher,
    word_samples,
)
from .gate import Rejection, verdict
from .split import SplitSession, SplitUnavailable, forget, split_model
from .voices import VoiceInfo, find_voice, resolve_speaker


@runtime_checkable
class Synthesizer(Protocol):
    """Speaks one clean sentence: float32 mono samples in [-1, 1] at `rate`.

    With more than one synthesis thread (--jobs), `synthesize` is called from several threads at once.
    """

    @property
    def rate(self) -> int: ...

    def identity(self) -> str:
        """Everything that changes the audio for the same text (voice content, settings)."""
        ...

    def synthesize(self, text: str) -> np.ndarray: ...


def voice_sentence(synth: Synthesizer, text: str) -> Voiced:
    """One sentence with its word timings when the synthesiser can give them (`synthesize_words`), that
    has passed the plausibility gate.

    A clip the gate rejects is made once more; rejected again, the sentence fails: with a VoiceError when
    the voice's install is broken (its phonemiser data gone), else a SynthesisError naming the cause.
    """
    clip = voice_once(synth, text)
    if verdict(clip.samples, clip.said) is None:
        return clip
    clip = voice_once(synth, text)  # once more: a passing fault (a file being replaced) may be over
    second = verdict(clip.samples, clip.said)
    if second is None:
        return clip
    raise _rejected(synth, second)


def cache_identity(synth: Synthesizer) -> str:
    """The name of `synth`'s clips in the sentence cache: its identity, and whether voice_sentence asks it
    for word timings (the same test decides both, so a clip made without them is never stored under
    the key of clips made with them)."""
    kind = "timed" if _timed(synth) is not None else "untimed"
    return f"{synth.identity()}|{kind}"


def _timed(synth: Synthesizer) -> Callable[[str], Voiced] | None:
    timed = getattr(synth, "synthesize_words", None)
    return timed if callable(timed) else None


def voice_once(synth: Synthesizer, text: str) -> Voiced:
    """One attempt at a sentence, not yet judged: with word timings when the synthesiser can give them.
    (Wrappers that share a voice forward their `synthesize_words` to this.)"""
    timed = _timed(synth)
    voiced = timed(text) if timed is not None else Voiced(synth.synthesize(text))
    if not isinstance(voiced, Voiced):
        raise TypeError(
            f"{type(synth).__name__}.synthesize_words returned {type(voiced).__name__}, not Voiced"
        )
    said = voiced.said if voiced.said is not None else Said(text, synth.rate)
    return Voiced(np.asarray(voiced.samples, dtype=np.float32), voiced.words, said)


def _rejected(synth: Synthesizer, rejection: Rejection) -> NarrateError:
    """The error for a sentence the gate rejected twice: the broken install when that is the cause."""
    check = getattr(synth, "install_problem", None)
    problem = check() if callable(check) else None
    if problem is not None:
        return VoiceError(problem)
    return ImplausibleClip(
        f"the voice's clip failed the plausibility check twice ({rejection.reason}): {rejection.cause}"
    )


class SynthesizerFactory(Protocol):
    """Builds the synthesiser for voice settings; `threads` is its ONNX thread count (0: the default).

    Passed in wherever synthesisers are made (the CLI, batch jobs), so tests pass a fake one; a factory
    that crosses to other machines (Dask workers) must be picklable.
    """

    def __call__(self, settings: VoiceSettings, threads: int = 0) -> Synthesizer: ...


def piper_synthesizer(settings: VoiceSettings, threads: int = 0) -> PiperSynthesizer:
    """The default factory: the named Piper voice (bundled, voices/ or a path); loads nothing yet."""
    return PiperSynthesizer(find_voice(settings.name), settings, threads=threads)


_CPU = "CPUExecutionProvider"


class PiperSynthesizer:
    """A Piper voice; the ONNX session is built on first use with a chosen thread count.

    A speaker named in the settings is resolved to its number here, before any synthesis, so the
    cache key (identity) is the same however the speaker was written.
    """

    def __init__(
        self,
        voice: VoiceInfo,
        settings: VoiceSettings,
        threads: int = 0,
        *,
        aligned_dir: Path | None = None,
        patcher: Patcher = onnx_patcher,
    ) -> None:
        self.voice = voice
        self.settings = dataclasses.replace(settings, speaker=resolve_speaker(voice, settings.speaker))
        self.threads = threads
        self.aligned_dir = aligned_dir
        self.patcher = patcher
        self._piper: Any = None
        # load() may run ahead on a thread while the synthesis threads wait for it
        self._loading = threading.Lock()
        self._timing: tuple[Path | None, str | None] | None = None  # (patched model, or why not)
        self._timing_lock = threading.Lock()  # the first callers must not patch the voice twice at once
        self._phonemize: Callable[[str], str] | None = None  # single words, for word timings

    def timing_model(self) -> tuple[Path | None, str | None]:
        """The voice patched to report samples per phoneme (made once, kept by content hash), or None
        and a note saying why transcripts keep sentence timings."""
        with self._timing_lock:
            if self._timing is None:
                folder = self.aligned_dir if self.aligned_dir is not None else cache_home()
                try:
                    self._timing = (aligned_model(self.voice, folder, self.patcher), None)
                except AlignmentUnavailable as exc:
                    self._timing = (None, str(exc))
            return self._timing

    @property
    def note(self) -> str | None:
        """Why word timings are not available, if they are not."""
        return self.timing_model()[1]

    @property
    def rate(self) -> int:
        return self.voice.sample_rate

    def identity(self) -> str:
        # entries made with word timings carry them; made without, they are kept apart
        words = "words" if self.timing_model()[0] is not None else "sentences"
        return f"piper:{self.voice.content_hash}:{words}:{self.settings.key()}"

    def load(self) -> None:
        """Build the ONNX session, or take the one this process already loaded (safe from several threads)."""
        with self._loading:
            if self._piper is None:
                # the patched (word-timing) model and the plain one are different sessions
                model = str(self.timing_model()[0] or "")
                self._piper = _loaded_voice((self.voice.content_hash, model, self.threads), self._session)

    def _session(self) -> Any:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        options = onnxruntime.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        model = self.timing_model()[0] or self.voice.model
        try:
            config = PiperConfig.from_dict(json.loads(self.voice.config.read_text(encoding="utf-8")))
            session = self._split_session(model, options) or onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=[_CPU]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for corrupt models
            raise VoiceError(
                f"voice {self.voice.name} cannot be loaded ({str(exc).splitlines()[0][:200]}): "
                "the .onnx file is corrupt or not a Piper voice; replace it"
            ) from exc
        return PiperVoice(session=session, config=config)

    def _split_session(self, model: Path, options: Any) -> SplitSession | None:
        """The voice as two sessions, its decoder run on short windows (see split.py), or None (the
        model is then loaded whole): a model not shaped like Piper's, or halves that fail to load (they
        are removed, and made again next time)."""
        import onnxruntime

        kind = "words" if model != self.voice.model else "plain"
        folder = self.aligned_dir if self.aligned_dir is not None else cache_home()
        try:
            split = split_model(model, folder, f"{self.voice.content_hash}.{kind}")
        except SplitUnavailable:
            return None
        try:
            halves = [
                onnxruntime.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
                for path in (split.encoder, split.decoder)
            ]
        except Exception:  # a damaged half: the whole model decides whether the voice itself is sound
            forget(split)
            return None
        return SplitSession(halves[0], halves[1], split)

    def synthesize(self, text: str) -> np.ndarray:
        return self._join([chunk.audio_float_array for chunk in self._chunks(text, alignments=False)])

    def synthesize_words(self, text: str) -> Voiced:
        """The sentence, its spoken words' sample ranges (none when the voice cannot report them) and
        the phonemes espeak gave the voice."""
        aligned = self.timing_model()[0] is not None
        chunks = self._chunks(text, alignments=aligned)
        samples = self._join([chunk.audio_float_array for chunk in chunks])
        said = Said(
            text,
            self.rate,
            " ".join("".join(getattr(chunk, "phonemes", None) or ()) for chunk in chunks),
            self.settings.length_scale,
        )
        timed = [PhonemeChunk.from_piper(chunk) for chunk in chunks]
        if not aligned or not chunks or any(t is None for t in timed):
            return Voiced(samples, (), said)  # Piper could not align this one: the sentence keeps its cue
        if self._phonemize is None:
            self._phonemize = piper_phonemizer(self._piper)
        spans = word_samples(text, [t for t in timed if t is not None], self._gap(), self._phonemize)
        return Voiced(samples, tuple(WordTime(w, a, b) for w, a, b in spans), said)

    def install_problem(self) -> str | None:
        """What is wrong with the voice's install (its phonemiser data), or None when it looks whole."""
        from piper.phonemize_espeak import ESPEAK_DATA_DIR

        folder = Path(getattr(self._piper, "espeak_data_dir", None) or ESPEAK_DATA_DIR)
        language = str(getattr(getattr(self._piper, "config", None), "espeak_voice", "") or "en-us")
        return espeak_data_problem(folder, language)

    def _chunks(self, text: str, alignments: bool) -> list[Any]:
        from piper import SynthesisConfig

        self.load()
        config = SynthesisConfig(
            speaker_id=int(self.settings.speaker) if self._speakers() > 1 else None,  # resolved in __init__
            length_scale=self.settings.length_scale,
            noise_scale=self.settings.noise_scale,
            noise_w_scale=self.settings.noise_w_scale,
            normalize_audio=False,  # loudness is set once for the whole programme
        )
        problem = self.install_problem()  # a few stats: espeak aborts the process when its data is gone
        if problem is not None:
            raise VoiceError(problem)
        try:
            return list(self._piper.synthesize(text, config, include_alignments=alignments))
        except Exception as exc:
            raise SynthesisError(f"Piper failed on the sentence {text[:80]!r}: {exc}") from exc

    def _gap(self) -> int:
        return int(self.rate * 0.12)

    def _join(self, parts: list[np.ndarray]) -> np.ndarray:
        if not parts:
            return np.zeros(0, dtype=np.float32)
        if len(parts) == 1:
            return parts[0].astype(np.float32, copy=False)
        # espeak occasionally splits our sentence again (e.g. at '?'): join with a short breath
        gap = np.zeros(self._gap(), dtype=np.float32)
        joined: list[np.ndarray] = []
        for part in parts:
            if joined:
                joined.append(gap)
            joined.append(part.astype(np.float32, copy=False))
        return np.concatenate(joined)

    def _speakers(self) -> int:
        return int(getattr(getattr(self._piper, "config", None), "num_speakers", 1) or 1)


# Loaded voices of this process, most recent last. A batch runs many episodes, and the studio previews
# and renders: each builds a new PiperSynthesizer, and without this each loaded the voice again (0.5-0.9 s
# and ~240 MB). Keyed by the voice's content, the model file (plain, or patched for word timings) and the
# session's thread count, all a session depends on (speed, noise and speaker are per call); two are kept,
# as a loaded voice is large. One session serves every synthesis thread: its `run` may be called at once.
_VOICES_KEPT = 2
_voices: OrderedDict[tuple[str, str, int], Any] = OrderedDict()
_voices_lock = threading.Lock()


def _loaded_voice(key: tuple[str, str, int], build: Callable[[], Any]) -> Any:
    with _voices_lock:  # held while building: two threads asking for one voice load it once
        piper = _voices.get(key)
        if piper is None:
            piper = _voices[key] = build()
            while len(_voices) > _VOICES_KEPT:
                _voices.popitem(last=False)
        _voices.move_to_end(key)
        return piper


FakeHandler = Callable[[str], "np.ndarray | Voiced | None"]
_FAKE_NORMAL_PER_CHAR = 0.06  # the fake's default: about a real voice's pace per character


@dataclass(frozen=True)
class FakeVoice:
    """A picklable factory of FakeSynthesizers: tests and benchmarks pass it where Piper would be built.

    Its handler reaches batch workers only if it pickles: a module-level function, or a bound method of
    a picklable object.
    """

    rate: int = 22050
    per_char: float = 0.06
    base: float = 0.2
    fail_on: str | None = None
    handler: FakeHandler | None = None

    def __call__(self, settings: VoiceSettings, threads: int = 0) -> FakeSynthesizer:
        return FakeSynthesizer(self.rate, self.per_char, self.base, self.fail_on, handler=self.handler)


class FakeSynthesizer:
    """Deterministic tones whose length follows the text: exact, fast pipeline tests without a voice.

    A sentence of n characters lasts `base + n * per_char` seconds (rounded down to whole samples):
    a quiet tone whose pitch depends on the text, with syllable-rate modulation so loudness
    processing sees something speech-like.

    To change one behaviour, pass a handler instead of subclassing (as httpx's MockTransport takes one):
    `handler(text)` is called for every sentence and returns None (the fake's own tone), samples, or a
    Voiced; what it raises reaches the caller. `on_load` runs when the voice loads (once, as Piper's does,
    and again after a failed load), e.g. to fail as a broken voice would. `calls` lists the sentences
    asked for; `loads` counts the loads that succeeded. `identity()` ignores the handler: a test whose
    handler changes the sound gives it a cache folder of its own.
    """

    speaks = False  # tones, not words: a recogniser cannot verify them (a batch then skips its check)

    def __init__(
        self,
        rate: int = 22050,
        per_char: float = 0.06,
        base: float = 0.2,
        fail_on: str | None = None,
        *,
        handler: FakeHandler | None = None,
        on_load: Callable[[], None] | None = None,
    ) -> None:
        self._rate = rate
        self.per_char = per_char
        self.base = base
        self.fail_on = fail_on
        self.handler = handler
        self.on_load = on_load
        self.calls: list[str] = []
        self.loads = 0
        self._load_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_load_lock"]  # a lock does not pickle; each process has its own
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._load_lock = threading.Lock()

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

    def load(self) -> None:
        """Load the voice once (as Piper does: a failed load is tried again by the next sentence)."""
        with self._load_lock:
            if self.loads:
                return
            if self.on_load is not None:
                self.on_load()
            self.loads += 1

    def synthesize_words(self, text: str) -> Voiced:
        """The sentence with each word timed in proportion to where its characters fall in the text
        (or the handler's Voiced as it is)."""
        answer = self._answer(text)
        if isinstance(answer, Voiced):
            return answer
        n, chars = answer.size, max(1, len(text))
        words = tuple(
            WordTime(m.group(0), n * m.start() // chars, n * m.end() // chars)
            for m in re.finditer(r"\S+", text)
        )
        return Voiced(answer, words, Said(text, self._rate, None, self.per_char / _FAKE_NORMAL_PER_CHAR))

    def synthesize(self, text: str) -> np.ndarray:
        answer = self._answer(text)
        return answer.samples if isinstance(answer, Voiced) else answer

    def _answer(self, text: str) -> np.ndarray | Voiced:
        self.calls.append(text)
        self.load()
        if self.fail_on is not None and self.fail_on in text:
            raise SynthesisError(f"fake synthesiser told to fail on {text[:80]!r}")
        if self.handler is not None:
            answer = self.handler(text)
            if isinstance(answer, Voiced):
                return answer
            if isinstance(answer, np.ndarray):
                return answer.astype(np.float32, copy=False)
            if answer is not None:
                raise TypeError(f"a fake voice's handler returns None, samples or a Voiced, not {answer!r}")
        return self.tone(text)

    def tone(self, text: str) -> np.ndarray:
        """The fake's own sound for a sentence: `length_for(text)` samples of a text-pitched tone."""
        n = self.length_for(text)
        seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
        freq = 120.0 + seed % 200
        t = np.arange(n, dtype=np.float64) / self._rate
        envelope = 0.5 - 0.5 * np.cos(2 * math.pi * 4.0 * t)  # ~4 syllables a second
        return (0.05 * envelope * np.sin(2 * math.pi * freq * t)).astype(np.float32)
