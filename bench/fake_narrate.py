"""Narrate a generated N-word article on the fake synthesiser (realistic clip lengths): for memory checks."""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
from pathlib import Path

_WORDS = (
    "council harbour bridge engineers repair report minister budget residents traffic ferry steel "
    "corrosion inspection estimate contract committee meeting lawyers letter survey village commuters "
    "morning evening weather river school hospital station market families workers company owner "
    "pounds million years months weeks decision argument question answer problem solution plan"
).split()


def article(words: int, seed: int = 4) -> str:
    """A Markdown article of about `words` words: varied sentences, paragraphs and a heading every 12."""
    rng = random.Random(seed)
    out = ["# A long generated report", "", "By Bench Writer", ""]
    count = paragraph = 0
    while count < words:
        if paragraph and paragraph % 12 == 0:
            out += [f"## Part {paragraph // 12 + 1}", ""]
        sentences = []
        for _ in range(rng.randint(2, 5)):
            n = rng.randint(8, 26)
            body = " ".join(rng.choice(_WORDS) for _ in range(n))
            sentences.append(body[0].upper() + body[1:] + rng.choice([".", ".", ".", "?"]))
            count += n
        out += [" ".join(sentences), ""]
        paragraph += 1
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    from narrate.audio.cache import CacheOptions
    from narrate.audio.synth import FakeSynthesizer
    from narrate.pipeline import NarrationOptions, narrate_article

    with tempfile.TemporaryDirectory(prefix="narrate-bench-mem-") as work:
        source = Path(work) / "long.md"
        source.write_text(article(args.words), encoding="utf-8")
        # ~0.065 s a character is the bundled voice's pace at length_scale 1 (measured on bench articles)
        fake = FakeSynthesizer(per_char=0.065, base=0.1)
        result = narrate_article(
            source,
            NarrationOptions(
                output=Path(work) / "long.mp3",
                jobs=args.jobs,
                cache=CacheOptions(use=False),
            ),
            synthesizer=fake,
        )
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"words={args.words} sentences={len(result.script.sentences)} audio_s={result.seconds:.0f} "
            f"wall_s={result.wall_seconds:.1f} self_peak_rss_mb={peak_kb / 1024:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
