"""A MkDocs hook: the Benchmarks page shows bench/RESULTS*.md as `make bench` last wrote them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MARKER = "<!-- bench/RESULTS*.md -->"
BENCH = Path(__file__).resolve().parent


def results_markdown(bench: Path = BENCH) -> str:
    """Every results file, RESULTS.md first, two heading levels down: each file's title becomes a section
    under the page's "The latest figures"."""
    files = sorted(bench.glob("RESULTS*.md"), key=lambda p: (p.name != "RESULTS.md", p.name))
    if not files:
        raise RuntimeError(f"no RESULTS*.md in {bench}: run `make bench` to write them")
    parts = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        parts.append(f"{_demoted(text).rstrip()}\n\n*From `bench/{path.name}`.*\n")
    return "\n".join(parts)


def _demoted(text: str) -> str:
    out, fence = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        if not fence and re.match(r"#{1,4} ", line):
            line = "##" + line
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri != "benchmarks.md":
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"docs/benchmarks.md has lost its {MARKER} line: the figures go there")
    return markdown.replace(MARKER, results_markdown())
