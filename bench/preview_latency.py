"""Time to first sound and to a finished WAV for `narrate say` and `narrate preview`, cold and warm cache.

Run: .venv/bin/python bench/preview_latency.py [--runs 3] [--json]. A fake `aplay` on PATH notes when
the first audio byte reaches it, so the figure is process start -> player fed the first sentence.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"
LINE = "Yuri Ushakov commented on the plan."

# sh, not Python: the fake player must add next to nothing to the time it measures
_PLAYER = """#!/bin/sh
head -c 1 > /dev/null
date +%s.%N > "$(dirname "$0")/first"
cat > /dev/null
"""

CASES = {
    "say": ["say", LINE],
    "preview-paragraph": ["preview", str(SAMPLE), "--paragraph", "3"],
}


def _run(args: list[str], env: dict[str, str], first: Path | None) -> float:
    if first is not None and first.exists():
        first.unlink()
    started = time.time()
    proc = subprocess.run([sys.executable, "-m", "narrate", *args], env=env, capture_output=True, text=True)
    ended = time.time()
    if proc.returncode != 0:
        raise SystemExit(f"narrate {' '.join(args)} failed: {proc.stderr.strip()}")
    if first is None:
        return ended - started
    return float(first.read_text().strip()) - started


def measure(runs: int = 3) -> dict[str, dict[str, float]]:
    """Median seconds per case: first sound (cold and warm cache) and a finished WAV (cold and warm).

    Cold: an empty sentence cache (`--cache-dir`). The voice's one-time preparation for word timings (a
    patched copy kept in the user cache folder) is done before, and timed on its own as `first_use`.
    """
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="narrate-bench-") as tmp:
        base = Path(tmp)
        bin_dir = base / "bin"
        bin_dir.mkdir()
        player = bin_dir / "aplay"
        player.write_text(_PLAYER)
        player.chmod(0o755)
        first = bin_dir / "first"
        env = dict(os.environ, XDG_CACHE_HOME=str(base / "user-cache"),
                   PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        hello = ["say", "Hello.", "-o", str(base / "hello.wav"), "--cache-dir", str(base / "c0")]
        once = _run(hello, env, None)
        results["first-use-of-the-voice"] = {"say_wav": round(once, 3)}
        for name, args in CASES.items():
            samples: dict[str, list[float]] = {"first_sound_cold": [], "first_sound_warm": [],
                                               "wav_cold": [], "wav_warm": []}
            for run in range(runs):
                cache = ["--cache-dir", str(base / f"cache-{name}-{run}")]
                samples["first_sound_cold"].append(_run([*args, "--play", *cache], env, first))
                samples["first_sound_warm"].append(_run([*args, "--play", *cache], env, first))
                out = ["-o", str(base / "out.wav"), "--cache-dir", str(base / f"cache-wav-{name}-{run}")]
                samples["wav_cold"].append(_run([*args, *out], env, None))
                samples["wav_warm"].append(_run([*args, *out], env, None))
            results[name] = {k: round(statistics.median(v), 3) for k, v in samples.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.runs)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"median of {args.runs} runs, seconds from process start ({os.cpu_count()} cores)")
    for name, row in results.items():
        print(f"{name:22} " + "  ".join(f"{k} {v:.2f}" for k, v in row.items()))


if __name__ == "__main__":
    main()
