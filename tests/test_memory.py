"""Peak memory does not grow with article length (fake synthesiser, realistic clip lengths)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two whole narrations (13 and 26 minutes of audio), each in a process

_RUN = """
import sys
from pathlib import Path
from narrate.audio.cache import CacheOptions
from narrate.pipeline import NarrationOptions, narrate_article
from narrate.audio.synth import FakeSynthesizer
fake = FakeSynthesizer(per_char=0.065, base=0.1)
options = NarrationOptions(output=Path(sys.argv[2]), jobs=1, cache=CacheOptions(use=False))
narrate_article(Path(sys.argv[1]), options, synthesizer=fake)
print(next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1])
"""


def _article(path: Path, words: int) -> Path:
    rng = random.Random(words)
    vocab = "council bridge engineers repair report budget residents traffic ferry steel survey".split()
    lines, count = ["# A long report", ""], 0
    while count < words:
        sentences = []
        for _ in range(3):
            n = rng.randint(10, 24)
            sentences.append(" ".join(rng.choice(vocab) for _ in range(n)).capitalize() + ".")
            count += n
        lines += [" ".join(sentences), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _peak_rss_mb(article: Path, out: Path) -> float:
    # The child reports its own VmHWM: wait4's ru_maxrss would include the pytest process's RSS, which
    # Linux records as the child's high-water mark when the vfork()ed child execs.
    args = [sys.executable, "-c", _RUN, str(article), str(out)]
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.split()[-1]) / 1024


def test_twice_the_article_uses_no_more_memory(tmp_path: Path) -> None:
    # A proportional check that fits `make test` (about 13 and 26 minutes of audio); bench/bench.py --memory
    # runs the 50,000- and 100,000-word articles of the issue.
    small = _peak_rss_mb(_article(tmp_path / "small.md", 1500), tmp_path / "small.mp3")
    large = _peak_rss_mb(_article(tmp_path / "large.md", 3000), tmp_path / "large.mp3")
    assert small < 400
    assert large <= small * 1.10, f"peak RSS {small:.0f} MB for 1,500 words but {large:.0f} MB for 3,000"
