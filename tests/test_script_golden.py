"""Golden scripts: each scraped/HTML fixture (and the shared seed page) -> expected `narrate script --json`.

The tests only read the goldens. After an intended change, rewrite them with
`.venv/bin/python tests/update_goldens.py`, then read `git diff tests/fixtures/script` before committing.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from test_clean import BYLINE_RULES, FIXTURE_RULES

from narrate.pipeline import load_script
from narrate.profile import CleanRules, load_profile

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "script"
SEED = Path(__file__).resolve().parents[2] / "shared" / "samples" / "byline-putin-negotiations.txt"

CASES = sorted([*FIXTURES.glob("scraped/*.txt"), *FIXTURES.glob("html/*.html")])


def actual_script(source: Path, rules: CleanRules) -> dict[str, object]:
    """What `narrate script --json` gives for `source` with these cleaning rules."""
    profile = dataclasses.replace(load_profile(), clean=rules)
    return load_script(source, profile).to_dict()


def goldens() -> list[tuple[Path, str, CleanRules]]:
    """(source, golden name, cleaning rules) for every fixture, and the seed page when it is here."""
    cases = [(p, p.stem, FIXTURE_RULES.get(p.stem, BYLINE_RULES)) for p in CASES]
    if SEED.is_file():
        cases.append((SEED, "byline-putin-negotiations", load_profile().clean))
    return cases


def _check(source: Path, name: str, rules: CleanRules) -> None:
    golden = GOLDEN / f"{name}.json"
    assert actual_script(source, rules) == json.loads(golden.read_text(encoding="utf-8")), (
        f"{source.name} no longer gives {golden.name}; if the change is intended, run "
        "`.venv/bin/python tests/update_goldens.py` and read the diff"
    )


@pytest.mark.parametrize("source", CASES, ids=[p.stem for p in CASES])
def test_fixture_script(source: Path) -> None:
    _check(source, source.stem, FIXTURE_RULES.get(source.stem, BYLINE_RULES))


@pytest.mark.skipif(not SEED.is_file(), reason="the shared seed sample is not beside this checkout")
def test_seed_script() -> None:
    _check(SEED, "byline-putin-negotiations", load_profile().clean)


def test_every_fixture_has_a_golden() -> None:
    assert len(CASES) >= 5
    assert {p.stem for p in CASES} <= {p.stem for p in GOLDEN.glob("*.json")}


@pytest.mark.skipif(not SEED.is_file(), reason="the shared seed sample is not beside this checkout")
def test_seed_script_as_the_issue_describes() -> None:
    script = load_script(SEED).to_dict()
    assert script["title"] == "What Putin Really Wants From Trump's Ukraine 'Negotiations'"
    assert script["author"] == "Denis Mikhailov"
    assert script["date"] == "2025-12-15"
    body = [c for c in script["chapters"] if c["kind"] == "body"]
    assert body[0]["paragraphs"][0]["sentences"][0]["text"].startswith(
        "Talks about negotiations over Ukraine"
    )
    assert "So What Does Putin Actually Want?" in [c["title"] for c in body]
    written = [s["text"] for c in body for p in c["paragraphs"] for s in p["sentences"]]
    chrome = [
        "Discover",
        "Update:",
        "Share",
        "Description",
        "Digital & Print",
        "support our mission",
        "SUBSCRIBE",
        "EXCLUSIVE",
        "Money Man",
        "Philip Haworth",
        "Comments",
        "In Channel",
        "loading",
        "00:00",
        "1.25x",
        "Sleep Timer",
        "End of Episode",
        "Minutes",
    ]
    for text in written:
        assert not any(c in text for c in chrome), text
    assert written[-1].endswith("restore logistics.")
