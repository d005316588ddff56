"""Renders from the studio: one at a time on a worker thread, its progress kept as a snapshot to stream."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..batch import BatchReport
from ..errors import NarrateError

ArticleProgress = Callable[[str, str, str], None]  # (article, state, detail)
SentenceProgress = Callable[[str, str, int, int], None]  # (article, stage, done, total)
RunBatch = Callable[[list[Path], ArticleProgress, SentenceProgress], BatchReport]


class RenderBusy(NarrateError):
    """A render is already running (HTTP 409)."""


class Renderer:
    """Runs one render job at a time (a batch of one or more articles) and keeps its state.

    `version` goes up on every change, so a stream can send the snapshot only when something moved.
    """

    def __init__(self, run: RunBatch, clock: Callable[[], float] = time.monotonic) -> None:
        self._run = run
        self._clock = clock
        self._lock = threading.Lock()
        self._job: dict[str, Any] = {"id": 0, "state": "idle", "articles": []}
        self._stage_started = 0.0
        self._started = 0.0
        self._thread: threading.Thread | None = None
        self.version = 0

    def start(self, names: list[str], paths: list[Path]) -> dict[str, Any]:
        """Start rendering `paths` (shown as `names`); RenderBusy while another render runs."""
        with self._lock:
            if self._job["state"] == "running":
                raise RenderBusy(
                    f"a render is already running ({len(self._job['articles'])} articles): "
                    "wait for it to finish"
                )
            self._job = {
                "id": self._job["id"] + 1,
                "state": "running",
                "articles": [{"path": n, "state": "queued", "detail": ""} for n in names],
                "current": None,
                "stage": None,
                "done": 0,
                "total": 0,
                "eta": None,
                "elapsed": 0.0,
                "error": None,
            }
            self._started = self._clock()
            self.version += 1
            self._thread = threading.Thread(
                target=self._work, args=(list(paths),), name="narrate-studio-render", daemon=True
            )
            self._thread.start()
            return copy.deepcopy(self._job)

    def snapshot(self) -> tuple[int, dict[str, Any]]:
        """(version, state) of the current or last job."""
        with self._lock:
            job = copy.deepcopy(self._job)
            if job["state"] == "running":
                job["elapsed"] = round(self._clock() - self._started, 1)
            return self.version, job

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running job to end; False on a timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _article(self, name: str, state: str, detail: str) -> None:
        with self._lock:
            for row in self._job["articles"]:
                if row["path"] == name:
                    row["state"], row["detail"] = state, detail
            if state == "working":
                self._job.update(current=name, stage=None, done=0, total=0, eta=None)
            self.version += 1

    def _progress(self, name: str, stage: str, done: int, total: int) -> None:
        # Encoding overlaps synthesis, so stages interleave: `done`/`total` count sentences only, and
        # `stage` is the latest one reported.
        now = self._clock()
        with self._lock:
            job = self._job
            if job["current"] != name:
                self._stage_started = now
            job.update(current=name, stage=stage)
            if stage == "synthesise":
                if done == 0:
                    self._stage_started = now
                eta = None
                if 0 < done < total:
                    eta = round((now - self._stage_started) / done * (total - done), 1)
                job.update(done=done, total=total, eta=eta)
            self.version += 1

    def _work(self, paths: list[Path]) -> None:
        state, error = "done", None
        try:
            report = self._run(paths, self._article, self._progress)
        except NarrateError as exc:
            state, error = "failed", str(exc)
        except Exception as exc:  # the server must outlive any failure of a render
            state, error = "failed", f"unexpected {type(exc).__name__}: {exc}"
        else:
            if report.failed:
                first = report.failed[0]
                state = "failed"
                error = f"{len(report.failed)} of {len(report.episodes)} failed: {first.message}"
        with self._lock:
            self._job.update(
                state=state,
                error=error,
                eta=None,
                current=None,
                elapsed=round(self._clock() - self._started, 1),
            )
            self.version += 1
