"""`bench.py --cluster`: the same articles through a local batch (2 threads) and a 2-worker LocalCluster."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARTICLES = [*sorted((ROOT / "examples").glob("*.md")), *sorted((ROOT / "examples").glob("*.txt")),
            HERE / "articles" / "harbour-bridge.md"]  # fmt: skip
BEGIN = "<!-- cluster: written by `python bench/bench.py --cluster`; kept by the full bench -->"
END = "<!-- /cluster -->"
CORES = (8, 64, 512)
CATALOGUE = 50_000
TARGET = 1.15  # cluster wall / pool wall, from the issue


def run(runs: int, measure: Callable[..., Any], machine: str) -> str:
    """Alternate pool and cluster runs (cold: fresh output and cache each time); the section's Markdown."""
    narrate = str(Path(sys.executable).parent / "narrate")
    modes = {"pool": ["--jobs", "2"], "cluster": ["--scheduler", "local:2"]}
    results: dict[str, list[Any]] = {mode: [] for mode in modes}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="narrate-bench-cluster-") as tmp:
        work = Path(tmp)
        arts = work / "articles"
        arts.mkdir()
        for article in ARTICLES:
            shutil.copy(article, arts / article.name)
        env = dict(os.environ, XDG_CACHE_HOME=str(work / "xdg"))
        for number in range(runs):
            order = list(modes) if number % 2 == 0 else list(reversed(modes))
            for mode in order:
                out, cache = work / f"out-{mode}", work / f"cache-{mode}"
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)
                # --no-check: executors compared on making episodes (hearing them costs ~0.03x the audio)
                command = [narrate, "batch", str(arts), "-o", str(out), "-q", "--no-check", "--cache-dir",
                           str(cache), "--base-url", "https://audio.example.com/", *modes[mode]]  # fmt: skip
                results[mode].append(measure(command, env, sample=False))  # wall and CPU only
                last = results[mode][-1]
                print(f"  {mode:8s} wall {last.wall:6.1f} s  cpu {last.cpu:6.1f} s", flush=True)
        speech, mp3 = _episodes(work / "out-pool")
    return render(results, speech, mp3, runs, machine, load_before, os.getloadavg())


def _episodes(folder: Path) -> tuple[list[float], list[int]]:
    """Seconds of speech and MP3 bytes of each episode a run made."""
    records = json.loads((folder / ".narrate-manifest.json").read_text(encoding="utf-8"))["episodes"]
    seconds = [r["samples"] / r["rate"] for r in records]
    sizes = [(folder / r["files"]["mp3"]).stat().st_size for r in records]
    return seconds, sizes


def render(
    results: dict[str, list[Any]],
    speech: list[float],
    mp3: list[int],
    runs: int,
    machine: str,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> str:
    from importlib.metadata import version

    n = len(speech)
    pool = {f: statistics.median(getattr(r, f) for r in results["pool"]) for f in ("wall", "cpu")}
    dask = {f: statistics.median(getattr(r, f) for r in results["cluster"]) for f in ("wall", "cpu")}
    ratio = dask["wall"] / pool["wall"]
    # each round's pair ran back to back, under the same load: their ratio drifts less than either time
    rounds = [c.wall / p.wall for p, c in zip(results["pool"], results["cluster"])]
    per_article = dask["cpu"] / n  # CPU-seconds per article on the cluster, its own overhead included
    idle = dask["wall"] * 2 / n  # core-seconds per article, the cores' idle time at the end included
    per_hour = 3600 / per_article
    minutes = sum(speech) / 60
    lines = [
        BEGIN,
        "## Dask: a local batch against a 2-worker LocalCluster",
        "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}; machine: {machine}",
        f"- load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f} (a shared machine)",
        f"- dask/distributed {version('distributed')}; {n} articles ({', '.join(a.name for a in ARTICLES)}): "
        f"{minutes:.1f} min of speech, {sum(mp3) / 1e6:.1f} MB of MP3; cold (empty cache) each time; "
        f"{runs} runs each, alternating; medians",
        "- local: `narrate batch ARTICLES -o DIR --jobs 2` (2 synthesis threads, one voice, one process); "
        "cluster: `narrate batch ARTICLES -o DIR "
        "--scheduler local:2` (cluster start, worker imports and closing included)",
        "",
        "| run | wall s | CPU s (whole tree) |",
        "|---|---|---|",
        f"| local batch, 2 synthesis threads | {pool['wall']:.1f} | {pool['cpu']:.1f} |",
        f"| Dask LocalCluster, 2 single-threaded workers | {dask['wall']:.1f} | {dask['cpu']:.1f} |",
        "",
        f"Cluster / local wall time, median of each round's ratio: **{statistics.median(rounds):.2f}** "
        f"(target <= {TARGET:.2f}: {'met' if statistics.median(rounds) <= TARGET else 'NOT met'}; "
        f"rounds {', '.join(f'{r:.2f}' for r in rounds)}; ratio of the medians {ratio:.2f}). "
        f"CPU: {dask['cpu'] / pool['cpu']:.2f}x.",
        "",
        "All runs: " + "; ".join(f"local {p.wall:.1f} s / cluster {c.wall:.1f} s"
                                 for p, c in zip(results["pool"], results["cluster"])),  # fmt: skip
        "",
        "### Scaling on paper",
        "",
        f"Measured here: {per_article:.0f} CPU-seconds per article on the cluster (its CPU / {n} articles, "
        f"Dask's own included; {per_article / (minutes / n):.1f} CPU-seconds per minute of speech, the mean "
        f"article here being {minutes / n:.1f} min), so **{per_hour:.0f} articles per hour per core** once "
        f"every core is busy. Counting this run's idle cores too (wall x 2 / {n}: the last article runs "
        f"alone) it is {idle:.0f} core-seconds per article. Assuming one single-threaded worker per core, "
        "cores like these, and a back catalogue of independent articles that keeps every core busy:",
        "",
        f"| cores | hours for {CATALOGUE:,} such articles | counting this run's idle time "
        "| MP3 into the client |",
        "|---|---|---|---|",
    ]
    for cores in CORES:
        hours = CATALOGUE * per_article / cores / 3600
        slack = CATALOGUE * idle / cores / 3600
        rate = cores / per_article * (sum(mp3) / n) / 1e6
        lines.append(f"| {cores} | {hours:.1f} | {slack:.1f} | {rate:.1f} MB/s |")
    lines += [
        "",
        f"At {max(CORES)} cores the scheduler sees a new task every {per_article / max(CORES):.2f} s, far "
        "below what one Dask scheduler handles; without `--shared-output` every MP3 and sidecar comes back "
        "through the scheduler to the client (Dask's default for a client outside the cluster), whose "
        "links carry the traffic in the last column.",
        END,
    ]
    return "\n".join(lines) + "\n"


def splice(report: str, section: str) -> str:
    """`report` with the cluster section replaced by (or, if absent, followed by) `section`."""
    if BEGIN in report and END in report:
        head, rest = report.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        return head + section + ("\n" + tail if tail else "")
    return report.rstrip("\n") + "\n\n" + section


def kept(path: Path) -> str:
    """The cluster section of an existing results file, or ''."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    if BEGIN not in text or END not in text:
        return ""
    return BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"
