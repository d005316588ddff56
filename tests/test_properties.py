"""Property tests across the text stages and file naming: never raise, never lose a word, never escape."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrate.errors import InputError
from narrate.models import Article, Section
from narrate.profile import load_profile
from narrate.text.clean import clean_text
from narrate.text.script import build_script
from narrate.text.slug import slugify
from narrate.text.structure import from_cleaned, parse_markdown


def parse_text(text: str) -> Article:
    """Plain text as narrate reads it: cleaned, then structured."""
    return from_cleaned(clean_text(text))

PROFILE = load_profile()
WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
NEWSY = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "Mr",
                "Dr.",
                "U.S.",
                "£1.4bn",
                "21%",
                "3 March 2025",
                "...",
                "-",
                "No 10",
                "e.g.",
                "NHS",
                "NATO",
                "9.30am",
                "1990s",
                "“quoted”",
                "(brackets)",
                "😀",
                "\u200b",
                "日本",
            ]
        ),
        st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True),
        st.from_regex(r"[0-9]{1,7}", fullmatch=True),
        WORDS,
    ),
    min_size=1,
    max_size=40,
).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_structure_never_raises_unexpectedly(text: str) -> None:
    for parse in (parse_text, parse_markdown):
        try:
            article = parse(text)
        except InputError:
            continue
        assert article.title


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NEWSY, min_size=1, max_size=4))
def test_script_never_loses_a_latin_word(paragraphs: list[str]) -> None:
    article = Article(title="T", sections=(Section(None, tuple(paragraphs)),))
    try:
        script = build_script(article, PROFILE)
    except InputError:
        # only when nothing in the body is sayable by an English voice
        assert not any(re.search(r"[A-Za-z0-9]", p) for p in paragraphs)
        return
    written = " ".join(
        s.text for c in script.chapters if c.kind == "body" for p in c.paragraphs for s in p.sentences
    )
    for paragraph in paragraphs:
        for token in re.findall(r"[A-Za-z0-9]+", paragraph):
            assert token in written, token
    for sentence in script.sentences:
        assert len(sentence.text) <= PROFILE.speech.chunk_limit
        assert sentence.spoken.strip()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_slug_never_escapes_or_is_empty(title: str) -> None:
    slug = slugify(title)
    assert slug and len(slug) <= 80
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)
    assert slug.lower() not in {"con", "prn", "aux", "nul"} and not re.fullmatch(r"(com|lpt)\d", slug)
    out = Path("/srv/output")
    assert (out / f"{slug}.mp3").resolve().parent == out
