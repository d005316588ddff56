"""Markdown read by a real parser (markdown-it-py): code is never read aloud, an unclosed code fence keeps
the text after it and warns, tables are read row by row."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate import cli
from narrate.text.structure import parse_markdown

UNCLOSED = """# Night Buses Return

The trial starts in May.

```
route = "harbour"
stops = 12

## What riders said

Shift workers welcomed the news.

They had been walking home since 2023.
"""


def _paragraphs(text: str) -> list[str]:
    article = parse_markdown(text, "a.md")
    return [p for s in article.sections for p in ((s.heading,) if s.heading else ()) + s.paragraphs]


def test_an_unclosed_fence_keeps_the_text_after_it_and_warns() -> None:
    # Before: the fence ran to the end of the file and the heading and two paragraphs after it were lost.
    article = parse_markdown(UNCLOSED, "a.md")
    assert [(s.heading, s.paragraphs) for s in article.sections] == [
        (None, ("The trial starts in May.",)),
        ("What riders said", ("Shift workers welcomed the news.", "They had been walking home since 2023.")),
    ]
    assert len(article.warnings) == 1
    assert article.warnings[0].startswith("a.md: line 5 opens a code block (```) that is never closed")
    assert "read again from line 8" in article.warnings[0]


def test_the_warning_counts_lines_after_front_matter_and_reaches_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Night Buses Return\n---\n" + UNCLOSED.split("\n", 1)[1], encoding="utf-8")
    assert cli.main(["script", str(path)]) == 0
    captured = capsys.readouterr()
    assert "narrate: warning: " in captured.err and "line 7 opens a code block" in captured.err
    assert "Shift workers welcomed the news." in captured.out
    assert "route" not in captured.out and "stops" not in captured.out


def test_code_is_never_read_fenced_tilde_or_indented() -> None:
    text = (
        "# Title\n\nIntro paragraph.\n\n"
        "```python\nprint('fenced')\n```\n\n"
        "~~~\ntilde fenced\n~~~\n\n"
        "    indented_code = True\n    more_code()\n\n"
        "Closing paragraph with `inline code` kept.\n"
    )
    article = parse_markdown(text, "a.md")
    assert _paragraphs(text) == ["Intro paragraph.", "Closing paragraph with inline code kept."]
    assert article.warnings == ()


def test_a_closed_fence_at_the_very_end_is_not_taken_for_an_unclosed_one() -> None:
    text = "# Title\n\nText.\n\n```\ncode\n```"
    article = parse_markdown(text, "a.md")
    assert _paragraphs(text) == ["Text."] and article.warnings == ()


def test_a_longer_closing_fence_closes_and_a_shorter_one_does_not() -> None:
    closed = "# T\n\nA.\n\n````\ncode\n`````\n\nB.\n"
    assert _paragraphs(closed) == ["A.", "B."]
    unclosed = "# T\n\nA.\n\n````\ncode\n```\n\nB.\n"
    article = parse_markdown(unclosed, "a.md")
    assert _paragraphs(unclosed) == ["A.", "B."] and len(article.warnings) == 1


def test_tables_are_read_row_by_row_and_markdown_syntax_is_not_spoken() -> None:
    text = (
        "# Fares\n\n| Route | Fare |\n|---|---|\n| Harbour | £2 |\n| Station | £1.50 |\n\n"
        "Prices \\*may\\* change &amp; more [soon](http://x.org) ~~today~~.\n"
    )
    assert _paragraphs(text) == [
        "Route, Fare.\nHarbour, £2.\nStation, £1.50.",
        "Prices *may* change & more soon today.",
    ]


def test_fences_closed_inside_a_quote_or_a_list_item_are_not_warned_about() -> None:
    quoted = "> Quoted.\n>\n> ```\n> quoted code\n> ```\n\n"
    text = "# T\n\n" + quoted + "- item\n\n  ```\n  listed code\n  ```\n\nEnd.\n"
    article = parse_markdown(text, "a.md")
    assert article.warnings == ()
    assert "quoted code" not in str(_paragraphs(text)) and "listed code" not in str(_paragraphs(text))
    assert _paragraphs(text)[-1] == "End."


def test_a_file_of_ever_more_unclosed_fences_is_fixed_up_to_a_limit_and_says_where_it_stopped() -> None:
    # each unclosed fence swallows the next (shorter fences cannot close longer ones)
    blocks = "".join(f"Para {i}.\n\n{'`' * (40 - i)}\ncode\n\n" for i in range(30))
    article = parse_markdown("# T\n\n" + blocks, "a.md")
    assert len(article.warnings) == 21
    assert "yet another code block that is never closed" in article.warnings[-1]
    assert list(article.paragraphs)[:3] == ["Para 0.", "Para 1.", "Para 2."]
