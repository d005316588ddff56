"""Sentence texts to clips in order: cache first, then worker processes (one voice session each)."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..errors import ImplausibleClip, NarrateError, SynthesisError
from .cache import SentenceCache
from .synth import PiperSynthesizer, Synthesizer, Voiced, cache_identity, voice_sentence

ClipProgress = Callable[[int, int], None]
"""Called as (clips delivered, total) while clips are yielded in order."""

_AHEAD_PER_JOB = 6  # sentences queued per worker beyond the one in hand: keeps cores busy, memory flat


def available_cores() -> int:
    """Cores this process may run on (affinity-aware, so containers and taskset are respected)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    return available_cores()


@dataclass
class SynthesisStats:
    """What a run did: sentences taken from the cache, synthesised, and the worker processes started."""

    total: int = 0
    cached: int = 0
    synthesised: int = 0
    workers: int = 0


def worker_spec(synth: Synthesizer, threads: int) -> Synthesizer:
    """A picklable copy of `synth` that builds its own voice session (with `threads`) inside a worker."""
    if isinstance(synth, PiperSynthesizer):
        # unloaded: loads on first use
        return PiperSynthesizer(
            synth.voice, synth.settings, threads=threads, aligned_dir=synth.aligned_dir, patcher=synth.patcher
        )
    return synth


def synthesize_all(
    texts: Sequence[str],
    synth: Synthesizer,
    *,
    cache: SentenceCache | None = None,
    jobs: int | None = None,
    progress: ClipProgress | None = None,
    stats: SynthesisStats | None = None,
    forked: Callable[[], None] | None = None,
) -> Generator[Voiced, None, None]:
    """Yield one clip (with its word timings) per text, in order: cached clips as they are, the rest
    synthesised and cached.

    `forked` is called once worker processes exist (at once when there are none): from then on no
    process is forked, so the caller may start threads without a worker inheriting one half-way.

    With jobs > 1 the missing clips are made by up to `jobs` worker processes, each loading the voice
    once, only if something is missing. A failure names the sentence; clips finished before it stay
    in the cache, so a re-run resumes where it stopped.
    """
    stats = stats if stats is not None else SynthesisStats()
    stats.total = len(texts)
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    identity = cache_identity(synth)
    keys = [SentenceCache.key(identity, text) for text in texts]
    report = progress or (lambda done, total: None)
    if cache is not None:
        missing = sorted({i for i, key in enumerate(keys) if not cache.path(key).is_file()})
    else:
        missing = list(range(len(texts)))
    # A text that repeats is synthesised once: only its first occurrence is sent to a worker.
    first: dict[str, int] = {}
    for i in missing:
        first.setdefault(keys[i], i)
    todo = sorted(first.values())
    workers = min(jobs, len(todo))
    spec = worker_spec(synth, threads=max(1, available_cores() // max(1, workers))) if workers > 1 else None
    if spec is not None and not _picklable(spec):
        spec = None
    started = forked or (lambda: None)
    if spec is None:
        started()
        yield from _in_process(texts, keys, synth, cache, report, stats)
    else:
        stats.workers = workers
        yield from _in_pool(texts, keys, todo, spec, workers, cache, report, stats, started)


def _in_process(
    texts: Sequence[str],
    keys: list[str],
    synth: Synthesizer,
    cache: SentenceCache | None,
    report: ClipProgress,
    stats: SynthesisStats,
) -> Iterator[Voiced]:
    # without a cache, a text that comes back later is kept until its last use rather than re-spoken
    last_use = {key: i for i, key in enumerate(keys)}
    held: dict[str, Voiced] = {}
    report(0, len(texts))
    for number, (text, key) in enumerate(zip(texts, keys, strict=True), 1):
        clip = held.pop(key, None) if cache is None else cache.get_voiced(key)
        if clip is not None:
            stats.cached += 1
        else:
            clip = _synthesize(synth, text, number, len(texts), cache is not None)
            stats.synthesised += 1
            if cache is not None:
                cache.put(key, clip.samples, clip.words, said=clip.said)
        if cache is None and last_use[key] > number - 1:
            held[key] = clip
        # reported before the clip is handed on: the consumer may never ask past the last one
        report(number, len(texts))
        yield clip


def _in_pool(
    texts: Sequence[str],
    keys: list[str],
    todo: list[int],
    spec: Synthesizer,
    workers: int,
    cache: SentenceCache | None,
    report: ClipProgress,
    stats: SynthesisStats,
    started: Callable[[], None],
) -> Iterator[Voiced]:
    total = len(texts)
    pending: dict[str, Future[Voiced]] = {}
    queue = deque(todo)
    sent = set(todo)
    window = workers * (_AHEAD_PER_JOB + 1)
    # last index needing each key, so a finished clip is dropped as soon as nobody else wants it
    last_use = {key: i for i, key in enumerate(keys)}
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=process_context(),
        initializer=_worker_init,
        initargs=(os.getpid(), spec, cache),
    )

    def refill(upto: int) -> None:
        # keep `window` sentences in flight, always including the one the caller is waiting for
        while queue and (len(pending) < window or queue[0] <= upto):
            i = queue.popleft()
            pending[keys[i]] = pool.submit(_worker_synthesize, texts[i], keys[i], i + 1, total)

    try:
        report(0, total)
        refill(0)
        started()  # a fork pool starts all its workers at the first submit and never adds any later
        for i, key in enumerate(keys):
            refill(i)
            future = pending.get(key)
            clip: Voiced | None
            if future is not None:
                clip = _result(future, texts[i], i + 1, total, cache is not None)
                if last_use[key] == i:
                    del pending[key]
                if i in sent:
                    stats.synthesised += 1
                else:
                    stats.cached += 1  # a repeat of a sentence spoken earlier in this run
            else:
                clip = cache.get_voiced(key) if cache is not None else None
                if clip is None:
                    # damaged or removed since we looked: make it again here rather than play nothing
                    clip = _synthesize_via(pool, texts[i], key, i + 1, total, cache is not None)
                    stats.synthesised += 1
                else:
                    stats.cached += 1
            assert clip is not None
            report(i + 1, total)
            yield clip
    except BrokenProcessPool as exc:
        raise SynthesisError(
            f"a synthesis worker died ({exc}): the machine may be out of memory; try --jobs 1"
        ) from None
    finally:
        # Work already running finishes (and lands in the cache); queued work is dropped.
        pool.shutdown(wait=True, cancel_futures=True)


def _result(future: Future[Voiced], text: str, number: int, total: int, cached: bool) -> Voiced:
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:  # whatever a worker raised comes back pickled
        failure = _failure(text, number, total, exc, cached)
        if failure is exc:
            raise
        raise failure from exc


def _synthesize_via(
    pool: ProcessPoolExecutor, text: str, key: str, number: int, total: int, cached: bool
) -> Voiced:
    return _result(pool.submit(_worker_synthesize, text, key, number, total), text, number, total, cached)


def _synthesize(synth: Synthesizer, text: str, number: int, total: int, cached: bool) -> Voiced:
    try:
        return voice_sentence(synth, text)
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


def _picklable(spec: Synthesizer) -> bool:
    try:
        pickle.dumps(spec)
    except Exception:  # any object may refuse pickling in its own way
        return False
    return True


def process_context() -> multiprocessing.context.BaseContext:
    """The start method for narrate's worker processes."""
    # fork starts a worker in milliseconds with numpy/piper already imported; spawn re-imports
    # everything (about a second of CPU per worker), so it is used only where fork does not exist.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


# --- inside a worker process ---------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PARENT_CHECK_S = 1.0


def follow_parent(parent: int) -> None:
    """Make this worker process exit when `parent` dies, however it dies (SIGKILL included).

    On Linux the kernel sends SIGTERM at the parent's death (prctl PR_SET_PDEATHSIG); everywhere, a
    thread checks once a second that the parent is still ours. Ctrl-C reaches the whole process
    group: the parent alone handles it (finishing the sentences in hand, then exiting), so the worker
    ignores SIGINT, and a forked worker must not run the parent's SIGTERM handler either.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="narrate-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(_PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(1)


_worker_synth: Synthesizer | None = None
_worker_cache: SentenceCache | None = None


def _worker_init(parent: int, spec: Synthesizer, cache: SentenceCache | None) -> None:
    global _worker_synth, _worker_cache
    follow_parent(parent)
    _worker_synth = spec
    _worker_cache = cache


def _worker_synthesize(text: str, key: str, number: int, total: int) -> Voiced:
    assert _worker_synth is not None
    clip = voice_sentence(_worker_synth, text)
    if _worker_cache is not None:
        # Stored by the worker itself, so finished work survives a failure elsewhere in the run.
        _worker_cache.put(key, clip.samples, clip.words, said=clip.said)
    return clip
