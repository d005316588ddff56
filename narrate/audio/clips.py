"""The one way sentence audio is fetched: cache, then the synthesis engine; trimmed, in order, spooled."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Sequence
from pathlib import Path

import numpy as np

from ..errors import Cancelled
from ..models import Voiced, WordTime
from .assemble import ClipSpool, trim_bounds
from .cache import SentenceCache, clip_keys
from .engine import ClipProgress, SynthesisEngine, SynthesisStats
from .synth import Synthesizer


class ClipSource:
    """Trimmed sentence clips for episodes and previews alike.

    Clips come from the sentence cache, else from the voice on a synthesis engine's threads: `engine`
    when given (shared with other callers: a batch's articles, the studio), else an engine of `jobs`
    threads of its own, closed with this source. They are fetched in order, only when first asked for,
    trimmed of the voice's own leading and trailing near-silence (so pauses are exact) and kept in a
    spool file, so a programme is never held in memory.

    Built before the text stages run, it starts hashing the voice (the cache key's identity) on a thread
    at once; `start` then names the sentences. A voice is loaded only if a sentence is missing from the
    cache, on a thread ahead of its first use, so cached clips stream while it loads.
    """

    def __init__(
        self,
        synth: Synthesizer,
        cache: SentenceCache | None = None,
        *,
        jobs: int = 1,
        progress: ClipProgress | None = None,
        should_stop: Callable[[], bool] | None = None,
        engine: SynthesisEngine | None = None,
    ) -> None:
        self.synth = synth
        self.cache = cache
        self.jobs = jobs
        self.stats = SynthesisStats()
        self._progress = progress
        self._should_stop = should_stop
        self._total = 0
        self._spool: ClipSpool | None = None
        self._clips: Generator[Voiced, None, None] | None = None
        self._words: list[tuple[WordTime, ...]] = []
        self._error: BaseException | None = None
        self._identify = threading.Thread(target=self._identity, name="narrate-voice-hash", daemon=True)
        self._identify.start()
        self._loader: threading.Thread | None = None
        self._engine = engine
        self._own_engine: SynthesisEngine | None = None

    def _identity(self) -> None:
        try:
            self.synth.identity()  # hashes the voice file once; later calls are cached
        except BaseException as exc:  # re-raised on the caller's thread by start()
            self._error = exc

    @property
    def rate(self) -> int:
        return self.synth.rate

    @property
    def synthesised(self) -> int:
        return self.stats.synthesised

    @property
    def cached(self) -> int:
        return self.stats.cached

    def start(self, texts: Sequence[str], spool_dir: Path | None = None) -> None:
        """Name the sentences to come, in order.

        spool_dir: where the clips wait (an unnamed file, gone with the process): beside the output,
        never a RAM-backed $TMPDIR by default.
        """
        self._identify.join()
        if self._error is not None:
            raise self._error
        self._total = len(texts)
        if self._missing(texts):
            load = getattr(self.synth, "load", None)
            if callable(load):
                # A failure here resurfaces from the first synthesize() call, which loads again.
                self._loader = threading.Thread(target=_quietly(load), name="narrate-voice-load", daemon=True)
                self._loader.start()
        self._spool = ClipSpool(spool_dir)
        engine = self._engine
        if engine is None:
            engine = self._own_engine = SynthesisEngine(self.jobs)
        self._clips = engine.clips(
            texts, self.synth, cache=self.cache, progress=self._progress, stats=self.stats,
            should_stop=self._should_stop,
        )  # fmt: skip

    def _missing(self, texts: Sequence[str]) -> bool:
        if self.cache is None:
            return bool(texts)
        return any(not self.cache.path(key).is_file() for key in clip_keys(self.synth, texts))

    def evict(self, texts: Sequence[str]) -> None:
        """Drop these sentences' clips from the cache (if any): the next fetch makes them again."""
        if self.cache is not None:
            for key in clip_keys(self.synth, texts):
                self.cache.evict(key)

    def length(self, index: int) -> int:
        """Samples in clip `index`, fetching (in order) up to it first if need be."""
        if self._clips is None or self._spool is None:
            raise RuntimeError("ClipSource.start() names the sentences first")
        while len(self._spool) <= index:
            if self._should_stop is not None and self._should_stop():
                raise Cancelled(
                    f"cancelled before sentence {len(self._spool) + 1} of {self._total}: re-run to resume"
                )
            voiced = next(self._clips)
            start, end = trim_bounds(voiced.samples, self.rate)
            self._spool.append(voiced.samples[start:end])
            self._words.append(tuple(_shifted(w, start, end) for w in voiced.words))
        return self._spool.length(index)

    def words(self, index: int) -> tuple[WordTime, ...]:
        """The spoken words of clip `index` and their sample ranges in the trimmed clip (empty when the
        voice did not report them)."""
        self.length(index)
        return self._words[index]

    def read(self, index: int) -> np.ndarray:
        """Clip `index` (fetched first if need be)."""
        self.length(index)
        assert self._spool is not None
        return self._spool.read(index)

    def close(self) -> None:
        # Drops the queued sentences if we leave before the last clip; an engine of our own then finishes
        # the ones in hand. An interpreter exiting while onnxruntime builds a session on a thread aborts,
        # so wait for a load.
        if self._clips is not None:
            self._clips.close()
        if self._own_engine is not None:
            self._own_engine.close()
        self._identify.join()
        if self._loader is not None:
            self._loader.join()
        if self._spool is not None:
            self._spool.close()

    def __enter__(self) -> ClipSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shifted(word: WordTime, start: int, end: int) -> WordTime:
    """A word's range once the clip is trimmed to [start, end), kept inside the clip."""
    first = min(max(word.start - start, 0), end - start)
    return WordTime(word.text, first, min(max(word.end - start, first), end - start))


def _quietly(load: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            load()
        except Exception:  # noqa: S110 - the same error is raised where the voice is first used
            pass

    return run
