"""Measure the plausibility gate on real speech: every sentence of examples/, tests/fixtures/ and bench/articles/
through the bundled voice, the distribution of each measure and its margin to the gate's threshold.

    .venv/bin/python bench/gate_survey.py [--limit N] [--json OUT.json]

Zero rejections is the requirement; the margins say how far the closest good sentence is from each limit
(as a factor: 2.0x means a clip would have to be twice as far off before it was rejected).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate.audio.gate import LIMITS, measure, verdict  # noqa: E402
from narrate.audio.synth import piper_synthesizer  # noqa: E402
from narrate.errors import NarrateError  # noqa: E402
from narrate.pipeline import load_script  # noqa: E402
from narrate.preview import say_script  # noqa: E402
from narrate.profile import load_profile  # noqa: E402

ARTICLES = ("examples/*.md", "examples/*.txt", "bench/articles/*.md", "tests/fixtures/html/*.html",
            "tests/fixtures/scraped/*.txt", "tests/fixtures/structure/*.md", "tests/fixtures/structure/*.txt")  # fmt: skip


def sentences() -> list[str]:
    """Every spoken sentence, once, in a stable order."""
    profile = load_profile()
    found: list[str] = []
    for pattern in ARTICLES:
        for path in sorted(ROOT.glob(pattern)):
            try:
                found += [s.spoken for s in load_script(path, profile).sentences]
            except NarrateError as exc:
                print(f"skipped {path.relative_to(ROOT)}: {exc}", file=sys.stderr)
    for path in sorted((ROOT / "tests/fixtures/script").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found += [s["spoken"] for c in data["chapters"] for p in c["paragraphs"] for s in p["sentences"]]
    cases = json.loads((ROOT / "tests/fixtures/sentences.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        for text in case["expected"]:
            try:
                found += [s.spoken for s in say_script(text, profile).sentences]
            except NarrateError:
                continue
    return list(dict.fromkeys(t for t in found if t.strip()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    parser.add_argument("--json", type=Path, help="write every sentence's measures here")
    parser.add_argument("--speed", type=float, help="the pace, as narrate's --speed (0.5-2.0)")
    args = parser.parse_args()
    texts = sentences()[: args.limit or None]
    synth = piper_synthesizer(load_profile().with_voice(None, args.speed, None).voice)
    rows = []
    rejected = []
    started = time.monotonic()
    for number, text in enumerate(texts, 1):
        voiced = synth.synthesize_words(text)
        m = measure(voiced.samples, voiced.said)
        rejection = verdict(voiced.samples, voiced.said)
        rows.append({"text": text, **m.__dict__, "sounds_per_letter": m.sounds_per_letter,
                     "seconds_per_unit": m.seconds_per_unit})  # fmt: skip
        if rejection is not None:
            rejected.append((text, rejection.reason))
        if number % 50 == 0:
            print(f"{number}/{len(texts)} sentences, {time.monotonic() - started:.0f} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    _report(rows, rejected, time.monotonic() - started)
    return 1 if rejected else 0


def _report(rows: list[dict[str, object]], rejected: list[tuple[str, str]], wall: float) -> None:
    said = [r for r in rows if r["letters"]]

    def values(key: str) -> np.ndarray:
        return np.array([float(r[key]) for r in said if r[key] is not None])  # type: ignore[arg-type]

    seconds = sum(float(r["seconds"]) for r in rows)  # type: ignore[arg-type]
    print(f"{len(rows)} sentences ({len(said)} with letters), {seconds:.0f} s of speech, {wall:.0f} s wall")
    print(f"rejected: {len(rejected)}")
    for text, reason in rejected:
        print(f"  {reason}: {text[:100]!r}")
    print(f"{'measure':<22}{'min':>9}{'p1':>9}{'median':>9}{'p99':>9}{'max':>9}  limit, margin")
    checks = {
        "sounds_per_letter": (LIMITS.min_sounds_per_letter, "min"),
        "seconds_per_unit": (LIMITS.min_seconds_per_sound, "min"),
        "rms": (LIMITS.min_rms, "min"),
        "clipped": (LIMITS.max_clipped, "max"),
    }
    for key, (limit, side) in checks.items():
        v = values(key)
        p = np.percentile(v, [0, 1, 50, 99, 100])
        margin = (
            (p[0] / limit if limit else float("inf"))
            if side == "min"
            else (limit / p[4] if p[4] else float("inf"))
        )
        print(f"{key:<22}" + "".join(f"{x:>9.4f}" for x in p) + f"  {side} {limit}, {margin:.1f}x")
    spelled = min(
        (LIMITS.max_sounds_per_letter * float(r["letters"]) + LIMITS.sounds_slack) / float(r["sounds"])  # type: ignore[arg-type]
        for r in said
        if r["sounds"]
    )
    print(f"{'phonemes vs max':<22} max {LIMITS.max_sounds_per_letter}/letter + {LIMITS.sounds_slack}, {spelled:.1f}x")
    # the upper length bound: seconds against high * units + slack, the closest sentence's headroom
    headroom = min(
        (LIMITS.max_seconds_per_sound * float(r["sounds"]) * float(r["pace"])  # type: ignore[arg-type]
         + LIMITS.slack_seconds * max(1.0, float(r["pace"])))  # type: ignore[arg-type]
        / float(r["seconds"])  # type: ignore[arg-type]
        for r in said
        if r["sounds"] is not None and float(r["seconds"]) > 0  # type: ignore[arg-type]
    )  # fmt: skip
    print(f"{'longest vs max':<22} max {LIMITS.max_seconds_per_sound} s/phoneme + {LIMITS.slack_seconds} s, "
          f"{headroom:.1f}x")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
