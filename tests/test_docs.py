"""The README is a short door into docs/: its links reach real pages and headings (mkdocs checks the rest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_stays_short() -> None:
    assert len(README.splitlines()) <= 250, "move the detail into a page under docs/ and link to it"


def _anchors(page: Path) -> set[str]:
    toc = pytest.importorskip("markdown.extensions.toc", reason="the docs extra is not installed")
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)  # no headings in code
    return {toc.slugify(m.group(1).replace("`", ""), "-") for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def test_every_readme_link_into_docs_reaches_a_page_and_its_heading() -> None:
    links = re.findall(r"\]\((docs/[^)#\s]+)(?:#([^)\s]+))?\)", README)
    assert len(links) >= 20  # the README links into the docs throughout
    for target, anchor in links:
        page = ROOT / target
        assert page.is_file(), f"README links to {target}, which does not exist"
        if anchor:
            assert anchor in _anchors(page), f"README links to {target}#{anchor}: no such heading"


def test_the_benchmarks_page_takes_its_figures_from_the_results_files(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("results_page", ROOT / "bench" / "results_page.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    (tmp_path / "RESULTS-b.md").write_text("# Second\n\n```\n# not a heading\n```\n", encoding="utf-8")
    (tmp_path / "RESULTS.md").write_text("# First\n\n## Part\n\n| a |\n|---|\n| 1.07 |\n", encoding="utf-8")
    assert hook.results_markdown(tmp_path) == (
        "### First\n\n#### Part\n\n| a |\n|---|\n| 1.07 |\n\n*From `bench/RESULTS.md`.*\n\n"
        "### Second\n\n```\n# not a heading\n```\n\n*From `bench/RESULTS-b.md`.*\n"
    )
    with pytest.raises(RuntimeError, match="run `make bench`"):
        hook.results_markdown(tmp_path / "empty")
