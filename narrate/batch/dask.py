"""Episode jobs on a Dask cluster (`narrate batch --scheduler`): imported only when a cluster is asked for."""

from __future__ import annotations

import contextlib
import logging
import platform
import queue
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from .._version import DISTRIBUTION, __version__, pip_install
from ..errors import ClusterError, MissingExtraError, VoiceError

try:
    import dask
    from distributed import Client, Event, Future, KilledWorker, LocalCluster, get_worker
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError as exc:  # the optional extra is not installed
    raise MissingExtraError(f"--scheduler needs Dask: {pip_install('dask')}") from exc

from ..audio.engine import available_cores
from ..audio.synth import Synthesizer, SynthesizerFactory
from ..profile import VoiceSettings
from .executors import LostJob

_J = TypeVar("_J")
_R = TypeVar("_R")

_STOP_POLL_SECONDS = 1.0  # how often a running job asks the scheduler whether its batch was interrupted
_LOCAL_PREFIX = "local"


def worker_facts() -> dict[str, str]:
    """What must match between the client and every worker for their episodes to be the same.

    Workers turn the script the client planned into audio, so every package that shapes the audio is
    here. The text packages (num2words, pysbd, trafilatura, lxml) are not: the client reads the articles
    and sends each job its script, so a worker never runs them.
    """
    return {
        "narrate": __version__,  # its assembly, loudness and encoding code, and the recipe key's format
        "onnxruntime": _installed("onnxruntime"),  # runs the voice model
        "onnx": _installed("onnx"),  # patches the voice for word timings, which change the recipe key
        "piper-tts": _installed("piper-tts"),  # phonemes (its espeak-ng and data) and the voice's audio
        "numpy": _installed("numpy"),  # every sample's arithmetic: trimming, pauses, dynamics
        "imageio-ffmpeg": _installed("imageio-ffmpeg"),  # the ffmpeg and LAME that encode the MP3
        "python": ".".join(platform.python_version_tuple()[:2]),
    }


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "missing"


def _facts_line(facts: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {value}" for name, value in facts.items())


class DaskExecutor:
    """Runs jobs on a Dask cluster; yields (job, result) as they finish, (job, LostJob) for a lost one.

    Jobs are submitted one per worker thread, as threads come free, so a back catalogue never sits
    whole in the scheduler's memory; each result is dropped from the cluster once fetched. `fn` is
    called on the worker as fn(job, should_stop=check), where check() turns true once this batch is
    interrupted (it asks the scheduler at most once a second), so running jobs end at their next
    sentence.

    in_place: jobs write into the output folder themselves (a folder every worker mounts at the same
    path); otherwise they return their files' bytes. Each job synthesises on one thread of its own with
    a one-thread ONNX session: parallelism comes from the workers' threads (`dask worker --nthreads N`
    runs N jobs at once, all speaking through the worker's one loaded voice).
    """

    threads = 1
    local = False

    def __init__(self, client: Client, *, in_place: bool = False) -> None:
        self.client = client
        self.in_place = in_place
        self.facts = worker_facts()

    def map(
        self, fn: Callable[..., _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R | LostJob]]:
        token = uuid.uuid4().hex[:12]
        topic = f"narrate-started-{token}"
        stop = Event(f"narrate-stop-{token}", client=self.client)
        inbox: queue.Queue[tuple[str, int]] = queue.Queue()  # filled from the client's threads
        waiting = deque(enumerate(jobs))
        running: dict[int, tuple[Future, _J]] = {}
        announced: set[int] = set()
        self.client.subscribe_topic(topic, lambda event: inbox.put(("started", int(event[1]["job"]))))
        try:
            while waiting or running:
                window = self._window() if waiting else 0
                while waiting and len(running) < window:
                    index, job = waiting.popleft()
                    future = self.client.submit(
                        _run_job, fn, job, index, topic, stop.name, self.facts,
                        key=f"narrate-episode-{token}-{index}", pure=False,
                        priority=len(jobs) - index,  # in the order given, as the local pool runs them
                    )  # fmt: skip
                    future.add_done_callback(lambda _, i=index: inbox.put(("done", i)))
                    running[index] = (future, job)
                kind, index = inbox.get()
                if index not in running:
                    continue  # a second start (a retry after a lost worker) or a finished job's late start
                future, job = running[index]
                if started and index not in announced:
                    announced.add(index)
                    started(job)  # before its result, even when the worker's event comes in second
                if kind == "done":
                    del running[index]
                    yield job, _result(future)
        except BaseException:
            # Ctrl-C, SIGTERM or the caller gave up: queued jobs are dropped, running ones told to stop
            with contextlib.suppress(Exception):
                stop.set()
            with contextlib.suppress(Exception):
                self.client.cancel([future for future, _ in running.values()])
            raise
        finally:
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(topic)

    def _window(self) -> int:
        # One job per worker thread, handed out as threads come free (as the local pool does). With
        # more in flight, Dask places the extra jobs behind running ones, each on a chosen worker (a
        # handful of tasks is not queued centrally): one waited 28 s behind a long article while the
        # other worker sat idle. Workers that join are counted as they come.
        try:
            threads = sum(self.client.nthreads().values())
        except Exception:  # the scheduler is briefly unreachable: keep going
            threads = 1
        return max(1, threads)


def _result(future: Future) -> Any:
    """The job's result, or a LostJob that says why there is none."""
    if future.status == "cancelled":
        return LostJob("cancelled on the cluster (the scheduler restarted, or another client cancelled it)")
    try:
        return future.result()
    except KilledWorker:
        return LostJob(
            "its worker died on every try (a crash, or out of memory): see the workers' logs; "
            "re-run to retry it"
        )
    except ClusterError as exc:
        return LostJob(str(exc))
    except Exception as exc:  # whatever the cluster raised for this job: the others go on
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        return LostJob(f"the cluster could not run it ({type(exc).__name__}: {detail}): re-run to retry it")


# --- inside a worker ------------------------------------------------------------------------------


def _run_job(
    fn: Callable[..., Any], job: Any, index: int, topic: str, stop: str, facts: Mapping[str, str]
) -> Any:
    worker = get_worker()
    here = worker_facts()
    if here != dict(facts):
        raise ClusterError(
            f"worker {worker.address} runs {_facts_line(here)}, the client {_facts_line(facts)}: "
            "install the same versions on every worker"
        )
    worker.log_event(topic, {"job": index})
    return fn(job, should_stop=_StopCheck(stop))


class _StopCheck:
    """should_stop for a job on a worker: true once the client sets its batch's stop event."""

    def __init__(self, name: str) -> None:
        self._event = Event(name)  # through the worker's own client, made on first use
        self._stopped = False
        self._next = 0.0

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self._stopped and now >= self._next:
            self._next = now + _STOP_POLL_SECONDS
            self._stopped = bool(self._event.is_set())
        return self._stopped


# --- a synthesiser installed on the workers --------------------------------------------------------


class SynthesizerPlugin(WorkerPlugin):
    """Installs a synthesiser factory on every worker of a cluster, workers that join later included.

    For a factory that should not travel with every job, or that only the workers can build: jobs name
    it with `installed()`, and a worker without the plugin refuses them with a one-line error.
    """

    def __init__(self, factory: SynthesizerFactory, name: str = "narrate-synthesizer") -> None:
        self.factory = factory
        self.name = name

    def installed(self) -> InstalledSynthesizer:
        """The SynthesizerFactory to give run_batch: this factory here, the installed one on a worker."""
        return InstalledSynthesizer(self.name, self.factory)


class InstalledSynthesizer:
    """A SynthesizerFactory that crosses to workers by name only (see SynthesizerPlugin)."""

    def __init__(self, plugin: str, local: SynthesizerFactory | None = None) -> None:
        self.plugin = plugin
        self._local = local  # this side's factory (the plan needs the voice's identity); never pickled

    def __reduce__(self) -> tuple[type[InstalledSynthesizer], tuple[str]]:
        return (InstalledSynthesizer, (self.plugin,))

    def __call__(self, settings: VoiceSettings, threads: int = 0) -> Synthesizer:
        return (self._local or _installed_factory(self.plugin))(settings, threads)


def _installed_factory(name: str) -> SynthesizerFactory:
    try:
        plugin = get_worker().plugins.get(name)
    except ValueError:  # not in a Dask worker
        plugin = None
    if not isinstance(plugin, SynthesizerPlugin):
        raise VoiceError(
            f"no synthesiser plugin {name!r} here: register it with "
            "client.register_plugin(SynthesizerPlugin(factory)) before the batch"
        )
    return plugin.factory


# --- connecting -----------------------------------------------------------------------------------


@contextlib.contextmanager
def connect(
    scheduler: str,
    *,
    shared_output: bool = False,
    plugins: Sequence[WorkerPlugin] = (),
    worker_wait: float = 60.0,
    connect_timeout: float = 20.0,
) -> Iterator[DaskExecutor]:
    """A DaskExecutor on the cluster at `scheduler`, checked and closed again on leaving.

    scheduler: "tcp://HOST:PORT" (or tls://, or HOST:PORT), a scheduler file (.json), or "local[:N]"
    for a cluster of N single-threaded worker processes on this machine (N: the cores) that lives as
    long as the block. Raises ClusterError when it cannot be reached, has no worker within
    `worker_wait` seconds (nor answers within `connect_timeout`), or its workers run other versions
    than this client.
    """
    with contextlib.ExitStack() as stack:
        cluster: LocalCluster | None = None
        if scheduler == _LOCAL_PREFIX or scheduler.startswith(_LOCAL_PREFIX + ":"):
            cluster = stack.enter_context(_local_cluster(_local_workers(scheduler)))
            client = stack.enter_context(Client(cluster, set_as_default=False))
        else:
            client = stack.enter_context(_client(scheduler, connect_timeout))
        executor = DaskExecutor(client, in_place=shared_output)
        _wait_for_workers(client, scheduler, worker_wait)
        _check_versions(client, scheduler, executor.facts)
        for plugin in plugins:
            client.register_plugin(plugin)
        yield executor


def describe(executor: DaskExecutor) -> list[str]:
    """One line on the cluster in use, and a note when its scheduler retries crashing jobs too often."""
    client = executor.client
    workers = client.nthreads()
    threads = sum(workers.values())
    lines = [
        f"dask: {len(workers)} worker{'s' if len(workers) != 1 else ''}, "
        f"{threads} thread{'s' if threads != 1 else ''} at {client.scheduler.address}"
    ]
    with contextlib.suppress(Exception):
        allowed = int(client.run_on_scheduler(_allowed_failures))
        if allowed > 1:
            lines.append(
                f"note: this scheduler runs an article that kills its worker on up to {allowed + 1} "
                "workers; start it with DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1"
            )
    return lines


def _allowed_failures(dask_scheduler: Any = None) -> int:
    return int(dask_scheduler.allowed_failures)


def _local_workers(scheduler: str) -> int:
    _, _, count = scheduler.partition(":")
    if not count:
        return available_cores()
    if not count.isdigit() or int(count) < 1:
        raise ClusterError(f"--scheduler {scheduler}: local:N takes a whole number of workers from 1")
    return int(count)


# For the cluster narrate starts itself: none of the periodic work that competes with synthesis for
# the same cores. Dask's statistical profiler samples every thread 100 times a second; with it and the
# monitors at their defaults an idle 2-worker cluster used 2.9 s of CPU in 20 s, without them 0.3 s.
_LOCAL_CONFIG = {
    "distributed.scheduler.work-stealing": False,  # one job per free thread: nothing to steal
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


@contextlib.contextmanager
def _local_cluster(workers: int) -> Iterator[LocalCluster]:
    # the workers get this configuration from their nannies, restarted ones too
    with dask.config.set(_LOCAL_CONFIG):
        try:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # nanny tracebacks on close; a lost job is reported anyway
                # an article that kills its worker is tried on one more worker at most; no dashboard,
                # and its bare HTTP server on any free port (not 8787, maybe another cluster's)
                scheduler_kwargs={"allowed_failures": 1, "dashboard_address": "127.0.0.1:0"},
            )
        except Exception as exc:
            raise ClusterError(f"cannot start a local Dask cluster: {exc}") from exc
    with cluster:
        yield cluster


def _client(scheduler: str, timeout: float) -> Client:
    try:
        if scheduler.endswith(".json"):
            if not Path(scheduler).is_file():
                raise ClusterError(f"no scheduler file {scheduler}: start one with `dask scheduler "
                                   f"--scheduler-file {scheduler}`")  # fmt: skip
            return Client(scheduler_file=scheduler, timeout=timeout, set_as_default=False)
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except ClusterError:
        raise
    except (OSError, TimeoutError, ValueError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler} ({detail}): check the address, or start one "
            "with `dask scheduler`"
        ) from exc


def _wait_for_workers(client: Client, scheduler: str, seconds: float) -> None:
    try:
        client.wait_for_workers(1, timeout=seconds)
    except (TimeoutError, OSError) as exc:
        raise ClusterError(
            f"no worker joined the Dask scheduler at {scheduler} in {seconds:.0f} s: start some with "
            f"`dask worker {client.scheduler.address} --nworkers $(nproc) --nthreads 1`"
        ) from exc


def _check_versions(client: Client, scheduler: str, facts: Mapping[str, str]) -> None:
    try:
        on_scheduler = client.run_on_scheduler(worker_facts)
    except Exception as exc:  # it cannot import narrate, so it cannot read our task graphs either
        raise ClusterError(
            f"the Dask scheduler at {scheduler} cannot run narrate ({type(exc).__name__}): install "
            f"{DISTRIBUTION}[dask] where the scheduler runs, the same version as here"
        ) from exc
    found: dict[str, Any] = {"the scheduler": on_scheduler}
    found.update(client.run(worker_facts, on_error="return"))
    differing = [(where, facts_) for where, facts_ in found.items() if facts_ != dict(facts)]
    if not differing:
        return
    where, theirs = differing[0]
    more = f" (and {len(differing) - 1} more)" if len(differing) > 1 else ""
    if isinstance(theirs, BaseException):
        said = f"cannot run narrate ({type(theirs).__name__}: {str(theirs).splitlines()[0][:120]})"
    else:
        said = f"has {_facts_line(theirs)}"
    raise ClusterError(
        f"the cluster differs from this client ({_facts_line(facts)}): {where} {said}{more}: "
        f"install the same {DISTRIBUTION}[dask] on every worker and the scheduler"
    )
