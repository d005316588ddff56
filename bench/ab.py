"""Is this checkout slower than another? Cold and warm narration of the bench article, alternating.

    git worktree add --detach /tmp/before <commit>
    .venv/bin/python bench/ab.py /tmp/before [--runs 3] [--warm-runs 7]

Each checkout's `narrate` is run with this venv's Python and PYTHONPATH set to the checkout, from a
working folder outside both (so the checkout's package is the one imported). Prints medians and the
per-round ratios of this checkout to the other.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLE = HERE / "articles" / "harbour-bridge.md"


def _run(root: Path, work: Path, article: Path) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(root))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [sys.executable, "-m", "narrate", str(article), "-q", "-o", str(work / "out.mp3")]
    subprocess.run(
        [*command, "--cache-dir", str(work / "cache")],
        env=env, cwd=work, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _report(name: str, runs: dict[str, list[tuple[float, float]]]) -> None:
    for label, values in runs.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"{name:5s} {label:6s} median wall {wall:6.2f} s  cpu {cpu:6.2f} s  ({len(values)} runs)")
    ratios = [b[0] / a[0] for a, b in zip(runs["other"], runs["this"])]
    print(f"{name:5s} this/other wall per round: {', '.join(f'{r:.2f}' for r in ratios)}")


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("other", type=Path, help="the other checkout (a folder holding narrate/)")
    parser.add_argument("--runs", type=int, default=3, help="cold runs of each (default 3)")
    parser.add_argument("--warm-runs", type=int, default=7, help="warm runs of each (default 7)")
    parser.add_argument("--article", type=Path, default=ARTICLE)
    args = parser.parse_args()
    roots = {"this": HERE.parent, "other": args.other.resolve()}
    scratch = Path(tempfile.mkdtemp(prefix="narrate-ab-"))
    try:
        cold: dict[str, list[tuple[float, float]]] = {k: [] for k in roots}
        for round_ in range(args.runs):
            order = list(roots) if round_ % 2 == 0 else list(reversed(roots))
            for label in order:
                work = scratch / f"{label}-{round_}"
                work.mkdir()
                cold[label].append(_run(roots[label], work, args.article))
        _report("cold", cold)
        warm: dict[str, list[tuple[float, float]]] = {k: [] for k in roots}
        for _ in range(args.warm_runs):
            for label in roots:  # each re-runs its last cold round: nothing changed
                warm[label].append(_run(roots[label], scratch / f"{label}-{args.runs - 1}", args.article))
        _report("warm", warm)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
