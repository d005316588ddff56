"""How long the sentence splitter takes on the long lines the tests guard (tests/test_sentences.py).

Run: .venv/bin/python bench/long_lines.py [--runs 5]. Prints the median wall and CPU seconds of each;
the tests only bound CPU time generously (20 s), against catastrophic regex backtracking.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from narrate.text.sentences import speakable_chunks, split_paragraph


def _lines() -> dict[str, tuple[Callable[[str], list[str]], str]]:
    vocabulary = (
        "the minister said government would review policy on housing energy and transport costs".split()
    )
    unpunctuated = " ".join(vocabulary[i * 7 % len(vocabulary)] + str(i % 13) for i in range(700))
    base = (
        "Mr. Smith said the U.S. economy grew 3.5 per cent by 10 p.m. on Jan. 4, and Dr. Jones agreed. "
        "Was it enough? Unemployment peaked in 2011. 2012 was better... Staff at bylinetimes.com said no. "
    )
    newsy = (base * (50_000 // len(base) + 1))[:50_000]
    bare = " ".join(f"word{i % 97}" for i in range(8000))[:50_000]
    return {
        "5,000-character sentence without punctuation (speakable_chunks)": (speakable_chunks, unpunctuated),
        "50,000-character line of news text (split_paragraph)": (split_paragraph, newsy),
        "50,000-character line without punctuation (split_paragraph)": (split_paragraph, bare),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs of each line (default 5)")
    args = parser.parse_args()
    for name, (split, line) in _lines().items():
        walls, cpus = [], []
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            split(line)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(f"{name}: {statistics.median(walls):.3f} s wall, {statistics.median(cpus):.3f} s CPU (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
