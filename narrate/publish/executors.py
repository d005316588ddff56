"""Executors run self-contained episode jobs and yield (job, result) pairs as they finish, in any order."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..audio.workers import follow_parent, process_context

_J = TypeVar("_J")
_R = TypeVar("_R")


@dataclass(frozen=True)
class LostJob:
    """Yielded in place of a result for a job that has none: its worker died, refused it, or lost it."""

    reason: str


class Executor(Protocol):
    """Runs jobs and yields (job, result) pairs as they finish, in any order.

    `started(job)` is called when a job is handed to a worker. Jobs and results are plain picklable
    values, so an executor may run them in other processes or on other machines; one that loses a job
    to a dead worker yields (job, LostJob) and goes on with the others.

    in_place: the workers see this machine's files, so jobs may write into the output folder; if not,
    jobs return their files' bytes. threads: ONNX threads per job (0: this machine's cores, shared).
    """

    in_place: bool
    threads: int

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R | LostJob]]: ...


class InlineExecutor:
    """One job after another in this process: for tests, --jobs 1 and debugging."""

    in_place = True
    threads = 0

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]:
        for job in jobs:
            if started:
                started(job)
            yield job, fn(job)


class ProcessExecutor:
    """Up to `workers` jobs at once in worker processes of this machine.

    `fn` runs in a worker as fn(job, should_stop=check); on Ctrl-C or SIGTERM here, queued jobs are
    dropped and check() turns true, so running jobs stop at their next sentence and clean up.
    """

    in_place = True
    threads = 0

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]:
        waiting = list(jobs)
        waiting.reverse()
        running: dict[Future[_R], _J] = {}
        context = process_context()
        stop = context.Event()
        # Hand out only as many jobs as there are workers, so `started` is true when it is called.
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_worker_init,  # a killed batch leaves no worker (or its ffmpeg) behind
            initargs=(os.getpid(), stop),
        )
        with pool:
            try:
                while waiting or running:
                    while waiting and len(running) < self.workers:
                        job = waiting.pop()
                        running[pool.submit(_in_worker, fn, job)] = job
                        if started:
                            started(job)
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield running.pop(future), future.result()
            except BaseException:
                stop.set()  # the running jobs end at their next sentence; the pool then waits for them
                pool.shutdown(wait=False, cancel_futures=True)
                raise


_stop: Any = None  # in a worker: the batch's stop event


def _worker_init(parent: int, stop: Any) -> None:
    global _stop
    follow_parent(parent)
    _stop = stop


def _in_worker(fn: Callable[..., _R], job: object) -> _R:
    return fn(job, should_stop=_stop.is_set)
