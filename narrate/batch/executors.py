"""Executors run self-contained episode jobs and yield (job, result) pairs as they finish, in any order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol, TypeVar

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
    local: jobs run in this process, so they may share its objects (the synthesis engine, its voice).
    """

    in_place: bool
    threads: int
    local: bool

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R | LostJob]]: ...


class InlineExecutor:
    """One job after another in this process: for tests, --jobs 1 and debugging."""

    in_place = True
    threads = 0
    local = True

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]:
        for job in jobs:
            if started:
                started(job)
            yield job, fn(job)


class ThreadExecutor:
    """Up to `articles` jobs at once on threads of this process (their sentences share one synthesis engine).

    `fn` runs as fn(job, should_stop=check); on Ctrl-C or SIGTERM here, queued jobs are dropped and
    check() turns true, so running jobs stop at their next sentence and clean up before this returns.
    """

    in_place = True
    threads = 0
    local = True

    def __init__(self, articles: int) -> None:
        self.articles = max(1, articles)

    def map(
        self, fn: Callable[..., _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]:
        waiting = list(jobs)
        waiting.reverse()
        running: dict[Future[_R], _J] = {}
        stop = threading.Event()
        # Hand out only as many jobs as there are threads, so `started` is true when it is called.
        with ThreadPoolExecutor(max_workers=self.articles, thread_name_prefix="narrate-article") as pool:
            try:
                while waiting or running:
                    while waiting and len(running) < self.articles:
                        job = waiting.pop()
                        running[pool.submit(fn, job, should_stop=stop.is_set)] = job
                        if started:
                            started(job)
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield running.pop(future), future.result()
            except BaseException:
                stop.set()  # the running jobs end at their next sentence; leaving the pool waits for them
                pool.shutdown(wait=False, cancel_futures=True)
                raise
