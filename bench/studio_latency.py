"""Studio first sound: seconds from sending a preview request to the first audio bytes, uncached and cached.

Run: .venv/bin/python bench/studio_latency.py [--runs 5] [--json]. Starts `narrate studio` (the real voice,
loaded once at start, as a user would run it) on examples/water-bills.md with an empty sentence cache, then
for each run empties the cache, asks for paragraph 3 (three sentences) and times the first body bytes
(the WAV header and the first sentence come together), then asks again (now cached). The same for a typed
line through /api/say. Targets (issue 14): 0.5 s uncached, 0.2 s cached, on a 2-core machine. With
--fake the server runs on the fake synthesiser, which costs next to nothing: what remains is the studio's
own overhead (article lookup, cache, loudness planning on the first sentence, WAV framing, HTTP).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"
LINE = "Yuri Ushakov commented on the plan, said the Kremlin aide."


def _first_bytes(port: int, token: str, path: str) -> tuple[float, float, int]:
    """(seconds to the first body bytes, seconds to the end, body bytes) for one GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path, headers={"X-Narrate-Token": token})
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status} {response.read()[:200]!r}")
    first = response.read(1)
    first_at = time.perf_counter() - started
    rest = response.read()
    done_at = time.perf_counter() - started
    conn.close()
    return first_at, done_at, len(first) + len(rest)


_FAKE = """
import sys
from narrate import cli
from narrate.audio.synth import FakeSynthesizer
sys.exit(cli.main(sys.argv[1:], synthesizer_factory=FakeSynthesizer().factory))
"""


def _start(cache: Path, fake: bool = False) -> tuple[subprocess.Popen[str], int, str]:
    args = ["studio", str(SAMPLE), "--port", "0", "--no-browser", "--cache-dir", str(cache)]
    # the fake voice costs next to nothing: what is left is the studio's own overhead
    command = [sys.executable, "-c", _FAKE, *args] if fake else [sys.executable, "-m", "narrate", *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("narrate studio: "):
        proc.kill()
        raise SystemExit(f"narrate studio did not start: {line!r}")
    url = urlsplit(line.split(": ", 1)[1].strip())
    return proc, int(url.port or 0), url.query.split("token=", 1)[1]


def _empty(cache: Path) -> None:
    if cache.exists():
        shutil.rmtree(cache)


def measure(runs: int = 5, fake: bool = False) -> dict[str, dict[str, float]]:
    samples: dict[str, list[float]] = {
        k: []
        for k in (
            "paragraph_first_uncached",
            "paragraph_first_cached",
            "paragraph_whole_uncached",
            "paragraph_whole_cached",
            "say_first_uncached",
            "say_first_cached",
        )
    }
    with tempfile.TemporaryDirectory(prefix="narrate-studio-bench-") as tmp:
        cache = Path(tmp) / "cache"
        proc, port, token = _start(cache, fake)
        try:
            paragraph = "/api/preview?" + urlencode({"path": SAMPLE.name, "paragraph": 3})
            say = "/api/say?" + urlencode({"text": LINE})
            _first_bytes(
                port, token, "/api/script?" + urlencode({"path": SAMPLE.name})
            )  # the article is read once
            for _ in range(runs):
                _empty(cache)
                first, whole, _ = _first_bytes(port, token, paragraph)
                samples["paragraph_first_uncached"].append(first)
                samples["paragraph_whole_uncached"].append(whole)
                first, whole, _ = _first_bytes(port, token, paragraph)
                samples["paragraph_first_cached"].append(first)
                samples["paragraph_whole_cached"].append(whole)
                _empty(cache)
                samples["say_first_uncached"].append(_first_bytes(port, token, say)[0])
                samples["say_first_cached"].append(_first_bytes(port, token, say)[0])
        finally:
            proc.terminate()
            proc.wait(30)
    return {
        k: {"median": round(statistics.median(v), 3), "min": round(min(v), 3), "max": round(max(v), 3)}
        for k, v in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fake", action="store_true", help="the fake voice: the studio's own overhead")
    args = parser.parse_args()
    results = measure(args.runs, args.fake)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.runs} runs, seconds from the request to the first audio bytes ({os.cpu_count()} cores)")
    for name, row in results.items():
        print(f"{name:26} median {row['median']:.3f}  min {row['min']:.3f}  max {row['max']:.3f}")


if __name__ == "__main__":
    main()
