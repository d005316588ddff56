"""Golden tests for the structure stage: each fixture beside its expected JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from narrate.errors import InputError
from narrate.models import Article
from narrate.text.clean import clean_text
from narrate.text.dates import find_date as parse_date
from narrate.text.structure import from_cleaned, parse_markdown


def parse_text(text: str) -> Article:
    """Plain text as narrate reads it: cleaned, then structured."""
    return from_cleaned(clean_text(text))

FIXTURES = Path(__file__).parent / "fixtures" / "structure"
CASES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".md"))


def _as_dict(article: Article) -> dict[str, object]:
    return {
        "title": article.title,
        "author": article.author,
        "date": article.date.isoformat() if article.date else None,
        "sections": [{"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in article.sections],
    }


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_golden(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    article = parse_markdown(text) if path.suffix == ".md" else parse_text(text)
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert _as_dict(article) == expected


def test_fixtures_exist() -> None:
    assert len(CASES) >= 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-15", dt.date(2025, 12, 15)),
        ("Update: 2025-12-15", dt.date(2025, 12, 15)),
        ("3 March 2025", dt.date(2025, 3, 3)),
        ("3rd Mar. 2025", dt.date(2025, 3, 3)),
        ("March 3, 2025", dt.date(2025, 3, 3)),
        ("19/07/1985", dt.date(1985, 7, 19)),
        ("not a date", None),
        ("31 February 2025", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_us_numeric_date_is_month_first_when_asked() -> None:
    assert parse_date("07/04/2025", day_first=False) == dt.date(2025, 7, 4)


def test_heading_needs_a_following_paragraph() -> None:
    article = parse_text("Title\n\nFirst paragraph here.\n\nA Closing Line")
    assert article.sections[-1].heading is None
    assert article.paragraphs[-1] == "A Closing Line"


def test_sentence_like_line_is_not_a_heading() -> None:
    article = parse_text("Title\n\nHe said no.\n\nMore text follows here.")
    assert [s.heading for s in article.sections] == [None]


def test_by_sentence_is_not_an_author() -> None:
    article = parse_text("By the time we arrived, it was over.\n\nThe rest.")
    assert article.author is None
    assert article.title == "By the time we arrived, it was over."


@pytest.mark.parametrize("text", ["", "   \n\n\t  ", "---\ntitle: ''\n---\n"])
def test_nothing_to_read(text: str) -> None:
    with pytest.raises(InputError, match="nothing to read"):
        parse_markdown(text) if text.startswith("---") else parse_text(text)


def test_bad_front_matter_is_an_input_error() -> None:
    with pytest.raises(InputError, match="front matter"):
        parse_markdown("---\ntitle: [unclosed\n---\n\nBody.")
