"""Sentence texts to clips in order: cache first, then N synthesis threads sharing one loaded voice."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field

from ..errors import Cancelled, ImplausibleClip, NarrateError, SynthesisError
from ..models import Voiced
from .cache import SentenceCache, clip_keys
from .synth import Synthesizer, voice_sentence

ClipProgress = Callable[[int, int], None]
"""Called as (clips delivered, total) while clips are yielded in order."""

_AHEAD_PER_THREAD = 4  # sentences queued per synthesis thread beyond the one in hand: cores busy, memory flat
# No limit on what runs side by side: the voice's decoder runs on short windows (split.py), so each
# thread's working memory stays near one window's worth however long its sentence.


def available_cores() -> int:
    """Cores this process may run on (affinity-aware, so containers and taskset are respected)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    """Synthesis threads when --jobs is not given: one per core."""
    return available_cores()


def session_threads(synthesis_threads: int) -> int:
    """ONNX intra-op threads for a voice session that `synthesis_threads` threads call at once.

    The cores are split between the callers: one each when there is a thread per core (two callers of
    a one-thread session ran 1.9x faster than one caller, for 2 % less CPU), all of them for a lone caller.
    """
    return max(1, available_cores() // max(1, synthesis_threads))


@dataclass
class SynthesisStats:
    """What a run did: sentences taken from the cache (or repeated), and sentences synthesised."""

    total: int = 0
    cached: int = 0
    synthesised: int = 0


@dataclass(eq=False)
class _Task:
    """One sentence to speak, and where its clip goes once spoken."""

    synth: Synthesizer
    text: str
    key: str
    cache: SentenceCache | None
    future: Future[Voiced] = field(default_factory=Future)


@dataclass(eq=False)
class _Stream:
    """One caller's queued sentences, in its order; the threads serve the streams in turn."""

    should_stop: Callable[[], bool] | None
    queue: deque[_Task] = field(default_factory=deque)
    listed: bool = False  # waiting in the engine's turn list


class SynthesisEngine:
    """N synthesis threads that speak for any number of callers at once, one sentence at a time each.

    Every thread calls the same synthesiser objects, so one loaded voice (one ONNX session, whose `run`
    releases the GIL and may be called concurrently) serves them all; Piper phonemises under its own
    lock. Callers (an episode, a preview, the articles of a batch) each get their clips in order from
    `clips`; their sentences are taken in turn, one from each caller with work queued, so a short
    article never waits behind a long one. Threads start with the first sentence that needs the voice.
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = default_jobs() if threads is None or threads <= 0 else threads
        self._lock = threading.Condition()
        self._turns: deque[_Stream] = deque()
        self._workers: list[threading.Thread] = []
        self._closed = False

    # --- the caller's side ------------------------------------------------------------------------

    def clips(
        self,
        texts: Sequence[str],
        synth: Synthesizer,
        *,
        cache: SentenceCache | None = None,
        progress: ClipProgress | None = None,
        stats: SynthesisStats | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Generator[Voiced, None, None]:
        """Yield one clip (with its word timings) per text, in order: cached clips as they are, the rest
        synthesised on the engine's threads (a bounded look-ahead) and cached by the thread that made them.

        A failure names the sentence; clips finished before it stay in the cache, so a re-run resumes
        where it stopped. should_stop is asked before each sentence is started: once true, this caller's
        queued sentences are dropped and waiting for one raises Cancelled. Closing the generator early
        drops its queued sentences (those in hand finish, and are cached).
        """
        stats = stats if stats is not None else SynthesisStats()
        total = stats.total = len(texts)
        keys = clip_keys(synth, texts)
        report = progress or _ignore
        missing = [i for i, key in enumerate(keys) if cache is None or not cache.path(key).is_file()]
        first: dict[str, int] = {}  # a text that repeats is synthesised once, at its first occurrence
        for i in missing:
            first.setdefault(keys[i], i)
        waiting = deque(sorted(first.values()))
        sent = set(waiting)
        last_use = {key: i for i, key in enumerate(keys)}  # a clip is let go once nobody else wants it
        pending: dict[str, Future[Voiced]] = {}
        stream = _Stream(should_stop)
        window = self.threads * (_AHEAD_PER_THREAD + 1)

        def refill(upto: int) -> None:
            # keep `window` sentences in flight, always including the one the caller is waiting for
            tasks = []
            while waiting and (len(pending) < window or waiting[0] <= upto):
                i = waiting.popleft()
                tasks.append(_Task(synth, texts[i], keys[i], cache))
                pending[keys[i]] = tasks[-1].future
            self._submit(stream, tasks)

        try:
            report(0, total)
            for i, key in enumerate(keys):
                refill(i)
                future = pending.get(key)
                if future is not None:
                    clip = _wait(future, texts[i], i + 1, total, cache is not None)
                    if last_use[key] == i:
                        del pending[key]
                    if i in sent:
                        stats.synthesised += 1
                    else:
                        stats.cached += 1  # a repeat of a sentence spoken earlier in this run
                else:
                    found = cache.get_voiced(key) if cache is not None else None
                    if found is None:
                        # damaged or removed since we looked: make it again, first, rather than play nothing
                        task = _Task(synth, texts[i], key, cache)
                        self._submit(stream, [task], first=True)
                        found = _wait(task.future, texts[i], i + 1, total, cache is not None)
                        stats.synthesised += 1
                    else:
                        stats.cached += 1
                    clip = found
                # reported before the clip is handed on: the consumer may never ask past the last one
                report(i + 1, total)
                yield clip
        finally:
            self._drop(stream)

    def close(self) -> None:
        """Drop every queued sentence and wait for the threads to finish the ones in hand."""
        with self._lock:
            self._closed = True
            for stream in self._turns:
                _cancel_all(stream)
            self._turns.clear()
            self._lock.notify_all()
            workers = list(self._workers)
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join()

    def __enter__(self) -> SynthesisEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(self, stream: _Stream, tasks: list[_Task], first: bool = False) -> None:
        if not tasks:
            return
        with self._lock:
            if self._closed:
                for task in tasks:
                    task.future.set_exception(RuntimeError("the synthesis engine is closed"))
                return
            if first:
                stream.queue.extendleft(reversed(tasks))
            else:
                stream.queue.extend(tasks)
            if not stream.listed:
                stream.listed = True
                self._turns.append(stream)
            self._start_threads()
            self._lock.notify(len(tasks))

    def _drop(self, stream: _Stream) -> None:
        with self._lock:
            _cancel_all(stream)
            if stream.listed:
                self._turns.remove(stream)
                stream.listed = False

    def _start_threads(self) -> None:
        while len(self._workers) < self.threads:
            worker = threading.Thread(
                target=self._work, name=f"narrate-synth-{len(self._workers) + 1}", daemon=True
            )
            self._workers.append(worker)
            worker.start()

    # --- a synthesis thread -----------------------------------------------------------------------

    def _next(self) -> tuple[_Stream, _Task] | None:
        """The next caller's next sentence; None once closed."""
        with self._lock:
            while not self._closed and not self._turns:
                self._lock.wait()
            if self._closed:
                return None
            stream = self._turns.popleft()
            task = stream.queue.popleft()
            if stream.queue:
                self._turns.append(stream)  # the back of the line: the other callers go first
            else:
                stream.listed = False
            return stream, task

    def _work(self) -> None:
        while (taken := self._next()) is not None:
            stream, task = taken
            self._speak(stream, task)

    def _speak(self, stream: _Stream, task: _Task) -> None:
        if stream.should_stop is not None and _stopped(stream.should_stop):
            task.future.cancel()
            self._drop(stream)
            return
        if not task.future.set_running_or_notify_cancel():
            return
        try:
            clip = voice_sentence(task.synth, task.text)
            if task.cache is not None:
                # stored here, so finished work survives a failure elsewhere in the run
                task.cache.put(task.key, clip.samples, clip.words, said=clip.said)
        except BaseException as exc:  # handed to the caller, who names the sentence
            task.future.set_exception(exc)
        else:
            task.future.set_result(clip)


def _cancel_all(stream: _Stream) -> None:
    while stream.queue:
        stream.queue.popleft().future.cancel()


def _stopped(should_stop: Callable[[], bool]) -> bool:
    try:
        return bool(should_stop())
    except Exception:  # a stop check that cannot answer (a lost scheduler) does not stop the work
        return False


def _wait(future: Future[Voiced], text: str, number: int, total: int, cached: bool) -> Voiced:
    try:
        return future.result()
    except CancelledError:
        raise Cancelled(f"cancelled before sentence {number} of {total}: re-run to resume") from None
    except Exception as exc:  # Piper and onnxruntime raise untyped errors too
        failure = _failure(text, number, total, exc, cached)
        if failure is exc:
            raise
        raise failure from exc


def _failure(text: str, number: int, total: int, exc: Exception, cached: bool) -> Exception:
    if isinstance(exc, NarrateError) and not isinstance(exc, SynthesisError):
        return exc  # a voice that will not load is not about this sentence
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    kept = ": finished sentences are cached" if cached else ""
    if isinstance(exc, ImplausibleClip):  # its message already says the likely cause and its fix
        kept = "; finished sentences are cached, re-run once it is fixed" if cached else ""
        return ImplausibleClip(f"sentence {number} of {total} ({text[:60]!r}): {str(exc)[:300]}{kept}")
    return SynthesisError(
        f"sentence {number} of {total} ({text[:60]!r}) could not be synthesised: {detail}; "
        f"rephrase it (see `narrate script`) and re-run{kept}"
    )


def _ignore(done: int, total: int) -> None:
    pass
