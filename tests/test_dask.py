"""`narrate batch --scheduler` on real Dask clusters: a LocalCluster, and scheduler and worker processes."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import numpy as np
import pytest
from audio_tools import decode, ffmpeg_chapters, ffmpeg_tags, heard_words, said_words, word_error_rate
from dask_support import OtherNumbers, TallyVoice, spoken
from distributed import Client
from support import copy_examples

from narrate import cli
from narrate.audio.cache import CacheOptions
from narrate.audio.synth import FakeVoice
from narrate.batch import BatchInterrupted, BatchOptions, run_batch
from narrate.batch.dask import DaskExecutor, InstalledSynthesizer, SynthesizerPlugin, connect
from narrate.batch.executors import InlineExecutor
from narrate.errors import ClusterError
from narrate.pipeline import load_script
from narrate.publish.manifest import MANIFEST_NAME

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
BASE = "https://audio.example.com/byline/"
FAKE = FakeVoice(per_char=0.008, base=0.1)  # short clips: fast encodes


def write_article(folder: Path, word: str, sentences: int) -> Path:
    """A dated Markdown article whose every sentence (and headline) holds `word`, four to a paragraph."""
    body = [f"The {word} report says that point number {i} matters." for i in range(1, sentences + 1)]
    paragraphs = "\n\n".join(" ".join(body[i : i + 4]) for i in range(0, len(body), 4))
    path = folder / f"{word.lower()}.md"
    head = f"---\ndate: 2026-03-12\n---\n\n# The {word} Report\n\nBy Test Writer\n\n"
    path.write_text(head + paragraphs + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskExecutor]:
    """A real LocalCluster: 2 single-threaded worker processes, no dashboard."""
    with connect("local:2") as executor:
        yield executor


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = copy_examples(tmp_path / "articles", ("water-bills.md", "library-hours.txt", "night-buses.md"))
    write_article(folder, "Delta", 6)
    return folder


def assert_same_result(ours: Path, theirs: Path) -> None:
    """Same files, sidecars, audio, chapters, tags, manifest (bar the times made) and feed entries."""
    names = sorted(p.name for p in ours.iterdir())
    assert names == sorted(p.name for p in theirs.iterdir())
    assert [n for n in names if n.endswith(".mp3")], names
    for name in names:
        if name.endswith((".vtt", ".srt", ".chapters.json")):
            assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
        elif name.endswith(".mp3"):
            assert np.array_equal(decode(ours / name), decode(theirs / name)), name
            assert ffmpeg_chapters(ours / name) == ffmpeg_chapters(theirs / name), name
            assert ffmpeg_tags(ours / name) == ffmpeg_tags(theirs / name), name

    def records(folder: Path) -> list[dict[str, object]]:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))["episodes"]
        kept = [{k: v for k, v in r.items() if k != "made"} for r in data]
        return sorted(kept, key=lambda r: str(r["guid"]))

    assert records(ours) == records(theirs)

    def entries(folder: Path) -> list[tuple[object, ...]]:
        feed = feedparser.parse((folder / "feed.xml").read_bytes())
        assert not feed.bozo, feed.bozo_exception
        return sorted(
            (e.id, e.title, e.enclosures[0].href, e.enclosures[0].length, e.itunes_duration, e.published)
            for e in feed.entries
        )

    assert entries(ours) == entries(theirs)


def _options(tmp_path: Path, name: str) -> BatchOptions:
    """A batch into tmp_path/NAME with its own sentence cache, published at BASE."""
    return BatchOptions(
        output_dir=tmp_path / name, base_url=BASE, cache=CacheOptions(directory=tmp_path / f"cache-{name}")
    )


@pytest.mark.cluster
def test_a_cluster_batch_matches_a_local_batch_and_a_rerun_does_nothing(
    cluster: DaskExecutor, articles: Path, tmp_path: Path
) -> None:
    # the fake voice reaches the workers through a worker plugin; jobs name it, they do not carry it
    plugin = SynthesizerPlugin(FAKE, name="narrate-test-fake")
    cluster.client.register_plugin(plugin)
    seen: list[tuple[str, str]] = []
    report = run_batch(
        [articles],
        _options(tmp_path, "dask"),
        executor=cluster,
        synthesizer_factory=plugin.installed(),
        progress=lambda a, s, d: seen.append((Path(a).name, s)),
    )
    local = run_batch(
        [articles],
        _options(tmp_path, "local"),
        executor=InlineExecutor(),
        synthesizer_factory=FAKE,
    )
    assert [e.state for e in report.episodes] == ["made"] * 4
    assert [e.state for e in local.episodes] == ["made"] * 4
    assert_same_result(tmp_path / "dask", tmp_path / "local")
    for name in {a for a, _ in seen}:  # queued, started on a worker, then made, in that order
        assert [s for a, s in seen if a == name] == ["queued", "working", "made"], name

    inodes = {p.name: p.stat().st_ino for p in (tmp_path / "dask").iterdir()}
    again = run_batch(
        [articles],
        _options(tmp_path, "dask"),
        executor=cluster,
        synthesizer_factory=plugin.installed(),
    )  # fmt: skip
    assert [e.state for e in again.episodes] == ["unchanged"] * 4 and again.synthesised == 0
    assert {p.name: p.stat().st_ino for p in (tmp_path / "dask").glob("*.mp3")} == {
        n: i for n, i in inodes.items() if n.endswith(".mp3")
    }


@pytest.mark.cluster
def test_workers_speak_the_script_the_client_planned(cluster: DaskExecutor, tmp_path: Path) -> None:
    # Before: each worker rebuilt the script from the article with its own text packages; one whose
    # num2words differed wrote a recipe key the client never matched, so every run remade the episode.
    plugin = SynthesizerPlugin(FAKE, name="narrate-test-fake")
    cluster.client.register_plugin(plugin)
    cluster.client.register_plugin(OtherNumbers())
    try:
        folder = tmp_path / "articles"
        folder.mkdir()
        write_article(folder, "Echo", 3)
        runs = [
            run_batch(
                [folder],
                BatchOptions(output_dir=tmp_path / "out", cache=CacheOptions(directory=tmp_path / "cache")),
                executor=cluster,
                synthesizer_factory=plugin.installed(),
            )
            for _ in range(2)
        ]
    finally:
        cluster.client.unregister_worker_plugin(OtherNumbers.name)
    assert [e.state for e in runs[0].episodes] == ["made"]
    assert [e.state for e in runs[1].episodes] == ["unchanged"] and runs[1].synthesised == 0
    vtt = (tmp_path / "out" / "the-echo-report.vtt").read_text(encoding="utf-8")
    assert "point number 3 matters" in vtt or "point number three matters" in vtt, vtt
    transcript = (tmp_path / "out" / "the-echo-report.transcript.json").read_text(encoding="utf-8")
    assert "numero" not in vtt and "numero" not in transcript


@pytest.mark.cluster
def test_workers_without_the_named_plugin_refuse_the_jobs(
    cluster: DaskExecutor, articles: Path, tmp_path: Path
) -> None:
    factory = InstalledSynthesizer("narrate-not-registered", FAKE)  # usable here, absent on the workers
    report = run_batch(
        [articles],
        BatchOptions(output_dir=tmp_path / "out", cache=CacheOptions(directory=tmp_path / "cache")),
        executor=cluster,
        synthesizer_factory=factory,
    )  # fmt: skip
    assert [e.state for e in report.episodes] == ["failed"] * 4
    assert all("no synthesiser plugin 'narrate-not-registered'" in e.message for e in report.episodes)
    assert not list((tmp_path / "out").glob("*.mp3"))


@pytest.mark.cluster
def test_ctrl_c_drops_queued_articles_stops_running_ones_at_a_sentence_and_a_rerun_resumes(
    cluster: DaskExecutor, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    write_article(folder, "Alpha", 3)  # short: made first, then Ctrl-C
    long = {word: write_article(folder, word, 60) for word in ("Bravo", "Charlie", "Echo", "Foxtrot")}
    tally = tmp_path / "tally"
    tally.mkdir()
    voice = TallyVoice(str(tally), delay=0.15)  # 60 sentences take 9 s or more

    def interrupt(article: str, state: str, detail: str) -> None:
        if state == "made":
            raise KeyboardInterrupt

    with pytest.raises(BatchInterrupted) as stopped:
        run_batch(
            [folder],
            BatchOptions(
                output_dir=tmp_path / "out",
                base_url=BASE,
                cache=CacheOptions(directory=tmp_path / "cache"),
            ),
            executor=cluster,
            synthesizer_factory=voice,
            progress=interrupt,
        )
    assert str(stopped.value).startswith("interrupted: 1 episode made (the-alpha-report.mp3)")
    assert "4 not finished" in str(stopped.value)
    counts = _settled(tally, list(long))
    # the running article stopped at a sentence: nowhere near its 60 (it would finish in seconds)
    assert 0 < counts["Bravo"] < 40, counts
    # at most one more started (on the worker Alpha freed); the rest were dropped from the queue
    assert sum(1 for word in ("Charlie", "Echo", "Foxtrot") if counts[word]) <= 1, counts
    assert all(n < 40 for n in counts.values()), counts
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp3")) == ["the-alpha-report.mp3"]

    report = run_batch(
        [folder],
        BatchOptions(
            output_dir=tmp_path / "out",
            base_url=BASE,
            cache=CacheOptions(directory=tmp_path / "cache"),
        ),
        executor=cluster,
        synthesizer_factory=TallyVoice(str(tally)),
    )  # fmt: skip
    assert sorted(e.state for e in report.episodes) == ["made"] * 4 + ["unchanged"]
    assert len(feedparser.parse((tmp_path / "out" / "feed.xml").read_bytes()).entries) == 5


def _settled(tally: Path, words: list[str], quiet: float = 2.5, limit: float = 60.0) -> dict[str, int]:
    """Sentences spoken per article once nothing has been spoken for `quiet` seconds."""
    deadline = time.monotonic() + limit
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(spoken(tally))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.2)
    return {word: len(spoken(tally, word)) for word in words}


@pytest.mark.cluster
def test_a_worker_that_dies_fails_its_article_after_one_retry_and_the_batch_ends(
    articles: Path, tmp_path: Path
) -> None:
    tally = tmp_path / "tally"
    tally.mkdir()
    with connect("local:2") as executor:  # its own cluster: this test kills workers
        report = run_batch(
            [articles],
            BatchOptions(
                output_dir=tmp_path / "out",
                base_url=BASE,
                cache=CacheOptions(directory=tmp_path / "cache"),
            ),
            executor=executor,
            synthesizer_factory=TallyVoice(str(tally), exit_on="leaks"),
        )
    states = {Path(e.source).name: (e.state, e.message) for e in report.episodes}
    assert states["water-bills.md"][0] == "failed"
    assert "its worker died" in states["water-bills.md"][1]
    assert {name: s for name, (s, _) in states.items() if name != "water-bills.md"} == {
        "library-hours.txt": "made", "night-buses.md": "made", "delta.md": "made",
    }  # fmt: skip
    assert len(list(tally.glob("exit-*"))) == 2  # tried on one more worker, not on every worker in turn
    feed = feedparser.parse((tmp_path / "out" / "feed.xml").read_bytes())
    assert len(feed.entries) == 3 and "Water Bills" not in " ".join(e.title for e in feed.entries)


@pytest.mark.cluster
def test_cli_on_a_local_cluster_with_shared_output_and_a_relative_folder(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["batch", "articles", "-o", "out", "--base-url", BASE, "--cache-dir", "cache", "-q"]
    code = cli.main([*args, "--scheduler", "local:2", "--shared-output"], synthesizer_factory=FAKE)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("\tmade\t") == 4 and "feed: out/feed.xml" in out
    assert cli.main([*args, "-o", "here", "--jobs", "1"], synthesizer_factory=FAKE) == 0
    assert_same_result(tmp_path / "out", tmp_path / "here")


class _WorkerWithItsOwnDisk:
    """An in-place executor whose 'worker' sees another folder at DIR's path (no shared file system)."""

    in_place = True
    threads = 0
    local = False  # a worker elsewhere

    def __init__(self, disk: Path) -> None:
        self.disk = disk

    def map(self, fn, jobs, started=None):  # type: ignore[no-untyped-def]
        for job in jobs:
            yield job, fn(dataclasses.replace(job, output_dir=str(self.disk)))


@pytest.mark.cluster
def test_shared_output_on_a_folder_the_workers_do_not_share_fails_each_article(
    articles: Path, tmp_path: Path
) -> None:
    disk = tmp_path / "worker-disk"
    disk.mkdir()
    report = run_batch(
        [articles],
        BatchOptions(
            output_dir=tmp_path / "out",
            base_url=BASE,
            cache=CacheOptions(directory=tmp_path / "cache"),
        ),
        executor=_WorkerWithItsOwnDisk(disk),
        synthesizer_factory=FAKE,
    )
    assert [e.state for e in report.episodes] == ["failed"] * 4
    assert all("--shared-output needs the folder at the same path" in e.message for e in report.episodes)
    assert len(list(disk.glob("*.mp3"))) == 4 and not list((tmp_path / "out").glob("*.mp3"))
    assert feedparser.parse((tmp_path / "out" / "feed.xml").read_bytes()).entries == []


@pytest.mark.parametrize("value", ["remote", "local:0", "local:x", "http://host:8786", "tcp://host"])
def test_a_bad_scheduler_fails_in_the_parser_with_the_allowed_forms(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["batch", "a.md", "--scheduler", value])
    assert exited.value.code == 2
    assert "tcp://HOST:PORT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--shared-output"], "--shared-output goes with --scheduler"),
        (["--scheduler", "local:1", "--jobs", "2"], "with --scheduler use local:N"),
    ],
)
def test_options_that_do_not_go_together(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["batch", str(EXAMPLES / "water-bills.md"), "-o", str(tmp_path), *extra])
    assert code == 2 and message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)


def test_without_the_extra_scheduler_names_it_in_one_line(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "night-buses.md", tmp_path)
    run = _python(
        "import sys; sys.modules['distributed'] = None\n"  # as if narrate[dask] were not installed
        "from narrate import cli\n"
        "sys.exit(cli.main(['batch', 'night-buses.md', '-o', 'out', '--scheduler', 'local:1']))",
        tmp_path,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [
        "narrate: error: --scheduler needs Dask: pip install 'narrate-news[dask]'"
    ]


def test_without_scheduler_dask_is_never_imported(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "night-buses.md", tmp_path)
    run = _python(
        "import sys\n"
        "from narrate import cli\n"
        "from narrate.audio.synth import FakeVoice\n"
        "code = cli.main(['batch', 'night-buses.md', '-o', 'out', '-q', '--cache-dir', 'c'],"
        " synthesizer_factory=FakeVoice(per_char=0.008, base=0.1))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
        "sys.exit(code)",
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out" / "night-buses-return-to-the-harbour-route.mp3").is_file()


def test_an_unreachable_scheduler_is_a_one_line_error() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ClusterError) as failed, connect(f"tcp://127.0.0.1:{port}", connect_timeout=2):
        pass
    assert str(failed.value).startswith(f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert "\n" not in str(failed.value)


@pytest.mark.cluster
def test_a_scheduler_that_retries_crashing_articles_more_than_once_gets_a_note() -> None:
    from distributed import LocalCluster

    from narrate.batch.dask import describe

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # Dask's default allowed-failures: 3
    ) as local, Client(local, set_as_default=False) as client:  # fmt: skip
        lines = describe(DaskExecutor(client))
    assert lines[0].startswith("dask: 1 worker, 1 thread at ")  # inproc://: an in-process worker
    assert lines[1] == (
        "note: this scheduler runs an article that kills its worker on up to 4 workers; start it with "
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1"
    )


# --- real `dask scheduler` and `dask worker` processes --------------------------------------------


@contextmanager
def real_cluster(folder: Path, worker_path: Path | None = None) -> Iterator[Path]:
    """`dask scheduler` and a 2-process `dask worker` on 127.0.0.1 (port 0, a scheduler file)."""
    scheduler_file = folder / "scheduler.json"
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    worker_env = dict(env, PYTHONPATH=str(worker_path)) if worker_path else env
    logs = [open(folder / f"{name}.log", "wb") for name in ("scheduler", "worker")]
    scheduler = subprocess.Popen(
        [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", scheduler_file],
        stdout=logs[0], stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    processes = [scheduler]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline and scheduler.poll() is None:
            time.sleep(0.2)
        assert scheduler_file.is_file(), (folder / "scheduler.log").read_text()
        processes.append(
            subprocess.Popen(
                [BIN / "dask", "worker", "--scheduler-file", scheduler_file, "--nworkers", "2",
                 "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                stdout=logs[1], stderr=subprocess.STDOUT, env=worker_env,
            )  # fmt: skip
        )
        with Client(scheduler_file=str(scheduler_file), set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        yield scheduler_file
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


@pytest.mark.cluster
@pytest.mark.parametrize("package", ["onnxruntime", "piper-tts"])
def test_workers_that_run_other_versions_are_named_in_one_line(tmp_path: Path, package: str) -> None:
    # the workers see another version installed (its metadata first on their path); piper-tts (the
    # phonemiser and the voice's audio) was not compared before, so such a worker went unnoticed
    shim = tmp_path / "shim"
    info = shim / f"{package.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    with real_cluster(tmp_path, worker_path=shim) as scheduler_file:
        with pytest.raises(ClusterError) as refused, connect(str(scheduler_file)):
            pass
        message = str(refused.value)
        assert "\n" not in message
        said = rf"tcp://127\.0\.0\.1:\d+ has narrate [\d.]+, .*{re.escape(package)} 0\.0\.1"
        assert re.search(said, message), message
        assert "(and 1 more)" in message  # the second worker process
        # a worker that joins after the check refuses each job the same way
        (tmp_path / "articles").mkdir()
        write_article(tmp_path / "articles", "Golf", 2)
        with Client(scheduler_file=str(scheduler_file), set_as_default=False) as client:
            report = run_batch(
                [tmp_path / "articles"],
                BatchOptions(output_dir=tmp_path / "out", cache=CacheOptions(directory=tmp_path / "cache")),
                executor=DaskExecutor(client),
                synthesizer_factory=FAKE,
            )
    (episode,) = report.episodes
    assert episode.state == "failed" and f"{package} 0.0.1" in episode.message, episode


@pytest.mark.cluster
@pytest.mark.voice
def test_real_scheduler_and_workers_narrate_with_the_real_voice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for word, text in (("Harbour", "The harbour ferry will run every hour from Monday."),
                       ("Library", "The library will open on Sundays again from next month.")):  # fmt: skip
        (folder / f"{word.lower()}.md").write_text(f"# {word} News\n\n{text}\n", encoding="utf-8")
    with real_cluster(tmp_path) as scheduler_file:
        args = ["batch", str(folder), "-o", str(tmp_path / "out"), "--scheduler", str(scheduler_file),
                "--cache-dir", str(tmp_path / "cache"), "--base-url", BASE]  # fmt: skip
        code = cli.main(args)
        out, err = capsys.readouterr()
        assert code == 0, err
        assert re.search(r"narrate: dask: 2 workers, 2 threads at tcp://127\.0\.0\.1:\d+", err), err
        # the scheduler was started with allowed-failures 1: no note about it (the feed's own notes aside)
        assert [line for line in err.splitlines() if "note:" in line and "note: feed:" not in line] == []
        assert out.count("\tmade\t") == 2
        assert cli.main(args) == 0  # a re-run: the workers' recipe keys match the plan made here
        assert capsys.readouterr()[0].count("\tunchanged\t") == 2
    heard = heard_words(tmp_path / "out" / "harbour-news.mp3")
    said = said_words([s.spoken for s in load_script(folder / "harbour.md").sentences])
    # as in test_voice: clean Piper speech scores 0.15-0.3 against its text, unrelated speech about 0.95
    assert word_error_rate(said, heard) < 0.45, " ".join(heard)
    assert len(feedparser.parse((tmp_path / "out" / "feed.xml").read_bytes()).entries) == 2
