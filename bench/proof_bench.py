"""`make bench` (proof): `narrate check`'s speed against the audio's length, and what word timings cost a
cold narration (alignments on, as shipped, against a voice that reports none), alternating runs."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import ARTICLE, BIN, Run, measure  # noqa: E402 - the bench's own measuring helper


def _no_patch(source: Path, target: Path) -> None:
    from narrate.audio.alignment import AlignmentUnavailable

    raise AlignmentUnavailable("bench: alignments off")


def _without_alignments(settings, threads: int = 0):  # type: ignore[no-untyped-def]
    """A SynthesizerFactory: the bundled Piper voice, never patched (sentence timings only)."""
    from narrate.audio.synth import PiperSynthesizer
    from narrate.audio.voices import find_voice

    return PiperSynthesizer(find_voice(settings.name), settings, threads=threads, patcher=_no_patch)


def _narrate_without_alignments(argv: list[str]) -> int:
    from narrate import cli

    return cli.main(argv, synthesizer_factory=_without_alignments)


def _check(argv: list[str]) -> int:
    from narrate import cli

    code = cli.main(["check", *argv])
    return 0 if code in (0, 1) else code


def _median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    parser.add_argument("--article", type=Path, default=ARTICLE)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS-proof.md")
    args = parser.parse_args()
    narrate = str(BIN / "narrate")
    results: dict[str, list[Run]] = {"aligned": [], "plain": [], "check": []}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="narrate-proof-bench-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, XDG_CACHE_HOME=str(work / "xdg"))
        mp3 = work / "out.mp3"
        # the patched voice is made once per voice and kept: make it before timing anything
        measure([narrate, "say", "Warm up.", "-o", str(work / "w.wav"), "--no-cache"], env)
        for run in range(args.runs):
            print(f"round {run + 1}/{args.runs}", flush=True)
            for name in ("aligned", "plain") if run % 2 == 0 else ("plain", "aligned"):
                cache = work / f"cache-{name}-{run}"
                shutil.rmtree(cache, ignore_errors=True)
                mp3.unlink(missing_ok=True)
                common = [str(args.article), "-q", "-o", str(mp3), "--cache-dir", str(cache)]
                command = [narrate, *common] if name == "aligned" else [
                    sys.executable, __file__, "--narrate-without-alignments", *common
                ]  # fmt: skip
                results[name].append(measure(command, env))
                print(f"  {name:8} wall {results[name][-1].wall:6.1f} s  cpu {results[name][-1].cpu:6.1f} s")
            # run through this script so a flagged episode (exit 1) is reported, not taken as a failure
            checking = [sys.executable, __file__, "--check", str(args.article), "--mp3", str(mp3)]
            results["check"].append(measure(checking, env))
            heard = results["check"][-1]
            print(f"  check    wall {heard.wall:6.1f} s  ({heard.out.splitlines()[0]})")
        seconds = _seconds(results["check"][-1].out)
    aligned, plain = (_median(results[k], "wall") for k in ("aligned", "plain"))
    aligned_cpu, plain_cpu = (_median(results[k], "cpu") for k in ("aligned", "plain"))
    check = _median(results["check"], "wall")
    lines = [
        "# narrate check and word timings: bench",
        "",
        f"article {args.article.name}, {seconds:.0f} s of audio; {args.runs} runs each, medians; "
        f"{os.cpu_count()} cores; load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after",
        "",
        "| measurement | wall s | CPU s | ratio | target |",
        "|---|---|---|---|---|",
        f"| cold narration, sentence timings only | {plain:.1f} | {plain_cpu:.1f} | | |",
        f"| cold narration, word timings | {aligned:.1f} | {aligned_cpu:.1f} | "
        f"{aligned / plain:.3f}x wall, {aligned_cpu / plain_cpu:.3f}x CPU | <= 1.03x |",
        f"| narrate check | {check:.1f} | {_median(results['check'], 'cpu'):.1f} | "
        f"{check / seconds:.3f} of the audio's duration | <= 0.25 |",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.results.write_text(report, encoding="utf-8")
    return 0


def _seconds(summary: str) -> float:
    clock = summary.split()[1]  # "<path>  m:ss  N sentences ..." or h:mm:ss
    seconds = 0
    for part in clock.split(":"):
        seconds = seconds * 60 + int(part)
    return float(seconds)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--narrate-without-alignments":
        sys.exit(_narrate_without_alignments(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        sys.exit(_check(sys.argv[2:]))
    sys.exit(main())
