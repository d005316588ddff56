"""Tests for narrate.text.clean: scraped pages and saved HTML become title, author, date and body blocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrate.errors import ProfileError
from narrate.models import CleanedArticle
from narrate.profile import CleanRules
from narrate.text.clean import clean_html, clean_text

FIXTURES = Path(__file__).parent / "fixtures"
SEED = Path(__file__).parents[2] / "shared" / "samples" / "byline-putin-negotiations.txt"

# Mirrors the [clean] table proposed for narrate/profiles/byline.toml.
BYLINE_RULES = CleanRules(
    card_labels=("EXCLUSIVE", "ALSO READ", "RELATED", "READ MORE", "MORE FROM BYLINE TIMES"),
    promo_patterns=(
        r"read our digital & print editions",
        r"and support our mission.*",
        r"subscribe today",
    ),
    site_names=("Byline Times", "Byline Times Audio Articles"),
)


def _with(rules: CleanRules, **extra: tuple[str, ...]) -> CleanRules:
    return dataclasses.replace(rules, **{k: getattr(rules, k) + v for k, v in extra.items()})


# Each invented publication adds only its own names and promos; its chrome must be caught by generic code.
FIXTURE_RULES = {
    "water-fines": _with(
        BYLINE_RULES,
        site_names=("The Ledger",),
        promo_patterns=(r"support the ledger's independent journalism.*",),
    ),
    "court-case": _with(
        BYLINE_RULES,
        site_names=("Northern Courier",),
        promo_patterns=(r"support independent local journalism", r"become a courier supporter.*"),
    ),
    "nhs-waiting": _with(
        BYLINE_RULES,
        site_names=("Health Desk Podcast", "Health Desk"),
        card_labels=("MORE FROM HEALTH DESK",),
        promo_patterns=(r"listen ad-free with health desk plus",),
    ),
    "housing-repairs": _with(BYLINE_RULES, site_names=("The Civic Record",)),
    "school-meals": _with(BYLINE_RULES, site_names=("Westside Gazette",)),
}

CHROME = (
    "Share",
    "Description",
    "Read our Digital & Print Editions",
    "And support our mission",
    "SUBSCRIBE TODAY",
    "EXCLUSIVE",
    "Trump Envoy Has Financial Ties",
    "Steve Witkoff's real-estate empire is bankrolled",
    "Philip Haworth",
    "Comments",
    "In Channel",
    "loading",
    "00:00",
    "0.5x",
    "1.25x",
    "3.0x",
    "Sleep Timer",
    "End of Episode",
    "120 Minutes",
    "Update:",
    "Denis Mikhailov",
)


def _fixture_names(folder: str, ext: str) -> list[str]:
    return sorted(p.stem for p in (FIXTURES / folder).glob(f"*.{ext}"))


def _as_dict(article: CleanedArticle) -> dict[str, object]:
    return {
        "title": article.title,
        "author": article.author,
        "date": article.date.isoformat() if article.date else None,
        "blocks": list(article.blocks),
    }


def _expected(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: data[k] for k in ("title", "author", "date", "blocks")}


def _assert_round_trip(article: CleanedArticle, rules: CleanRules | None = None) -> None:
    again = clean_text(article.to_text(), rules or CleanRules())
    assert (again.title, again.author, again.date, again.blocks) == (
        article.title,
        article.author,
        article.date,
        article.blocks,
    )


# --- the real seed sample ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> CleanedArticle:
    if not SEED.exists():
        pytest.skip("shared seed sample not present")
    return clean_text(SEED.read_text(encoding="utf-8"), BYLINE_RULES)


def test_seed_metadata(seed: CleanedArticle) -> None:
    assert seed.title == "What Putin Really Wants From Trump's Ukraine 'Negotiations'"
    assert seed.author == "Denis Mikhailov"
    assert seed.date == dt.date(2025, 12, 15)


def test_seed_body_starts_with_the_article(seed: CleanedArticle) -> None:
    assert seed.blocks[0].startswith("Talks about negotiations over Ukraine")


def test_seed_keeps_the_section_heading_as_its_own_block(seed: CleanedArticle) -> None:
    assert "So What Does Putin Actually Want?" in seed.blocks
    i = seed.blocks.index("So What Does Putin Actually Want?")
    assert seed.blocks[i + 1].startswith("Putin's primary objective")


def test_seed_has_no_chrome(seed: CleanedArticle) -> None:
    body = "\n".join(seed.blocks)
    for chrome in CHROME:
        assert chrome not in body, chrome
    assert seed.title not in seed.blocks
    assert all(block.strip() != "x" for block in seed.blocks)
    # The card is gone but the article paragraph right after it stays.
    assert any(b.startswith("There is another equally simple reality") for b in seed.blocks)


def test_seed_ends_on_a_clean_sentence(seed: CleanedArticle) -> None:
    assert seed.blocks[-1].endswith("restore logistics.")
    assert "..." not in seed.blocks[-1]


def test_seed_round_trips(seed: CleanedArticle) -> None:
    _assert_round_trip(seed)
    _assert_round_trip(seed, BYLINE_RULES)


def test_seed_without_rules_still_finds_metadata_and_drops_player_chrome() -> None:
    if not SEED.exists():
        pytest.skip("shared seed sample not present")
    article = clean_text(SEED.read_text(encoding="utf-8"))
    assert article.title == "What Putin Really Wants From Trump's Ukraine 'Negotiations'"
    assert article.author == "Denis Mikhailov"
    assert article.date == dt.date(2025, 12, 15)
    body = "\n".join(article.blocks)
    for chrome in ("Sleep Timer", "In Channel", "0.5x", "00:00", "End of Episode", "Description"):
        assert chrome not in body


# --- scraped fixtures ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _fixture_names("scraped", "txt"))
def test_scraped_fixture(name: str) -> None:
    text = (FIXTURES / "scraped" / f"{name}.txt").read_text(encoding="utf-8")
    rules = FIXTURE_RULES.get(name, BYLINE_RULES)
    article = clean_text(text, rules)
    assert _as_dict(article) == _expected(FIXTURES / "scraped" / f"{name}.json")
    _assert_round_trip(article, rules)


def test_there_are_enough_scraped_fixtures() -> None:
    names = _fixture_names("scraped", "txt")
    assert len(names) >= 3
    for name in names:
        assert (FIXTURES / "scraped" / f"{name}.json").exists(), name


@pytest.mark.parametrize("name", _fixture_names("html", "html"))
def test_html_fixture(name: str) -> None:
    html = (FIXTURES / "html" / f"{name}.html").read_text(encoding="utf-8")
    rules = FIXTURE_RULES.get(name, BYLINE_RULES)
    article = clean_html(html, rules)
    assert _as_dict(article) == _expected(FIXTURES / "html" / f"{name}.json")
    _assert_round_trip(article, rules)


def test_there_is_an_html_fixture() -> None:
    names = _fixture_names("html", "html")
    assert names
    for name in names:
        assert (FIXTURES / "html" / f"{name}.json").exists(), name


# --- already-clean text passes through ----------------------------------------------------------

CLEAN_BLOCKS = (
    "The county's bus network will lose a third of its evening routes from April, the council confirmed.",
    "Why now?",
    "Officials blamed rising fuel costs and a fall in passenger numbers since 2020.",
    "Background",
    "The routes were last reviewed in 2019.",
    "Nobody expected this.",
)


def test_clean_article_with_headers_passes_through() -> None:
    text = "Title: Evening Buses Cut\nAuthor: Jane Smith\nDate: 3 March 2025\n\n" + "\n\n".join(CLEAN_BLOCKS)
    article = clean_text(text, BYLINE_RULES)
    assert article.title == "Evening Buses Cut"
    assert article.author == "Jane Smith"
    assert article.date == dt.date(2025, 3, 3)
    assert article.blocks == CLEAN_BLOCKS


def test_clean_article_with_title_line_passes_through() -> None:
    article = clean_text("Evening Buses Cut\n\n" + "\n\n".join(CLEAN_BLOCKS) + "\n")
    assert article.title == "Evening Buses Cut"
    assert article.author is None
    assert article.date is None
    assert article.blocks == CLEAN_BLOCKS


def test_clean_article_with_by_line_passes_through() -> None:
    text = "Evening Buses Cut\nBy Jane Smith and John Doe\n\n" + "\n\n".join(CLEAN_BLOCKS)
    article = clean_text(text, BYLINE_RULES)
    assert article.title == "Evening Buses Cut"
    assert article.author == "Jane Smith and John Doe"
    assert article.blocks == CLEAN_BLOCKS


def test_by_line_header_first() -> None:
    article = clean_text("By Jane Smith\nDate: 2025-12-15\nTitle: Buses\n\nOne paragraph.")
    assert (article.title, article.author, article.date) == ("Buses", "Jane Smith", dt.date(2025, 12, 15))
    assert article.blocks == ("One paragraph.",)


def test_to_text_format() -> None:
    article = CleanedArticle("T", "A B", dt.date(2025, 1, 2), ("One.", "Two."))
    assert article.to_text() == "Title: T\nAuthor: A B\nDate: 2025-01-02\n\nOne.\n\nTwo.\n"
    assert CleanedArticle("T", None, None, ("One.",)).to_text() == "Title: T\n\nOne.\n"
    assert CleanedArticle(None, None, None, ()).to_text() == ""


def test_hard_wrapped_paragraphs_are_joined() -> None:
    text = (
        "A Title\n\n"
        "This paragraph was wrapped by an email client at about seventy\n"
        "characters, so its lines must be joined back into a single block\n"
        "before anyone reads it aloud.\n\n"
        "Second paragraph.\n"
    )
    article = clean_text(text)
    assert article.blocks == (
        "This paragraph was wrapped by an email client at about seventy characters, so its lines must be "
        "joined back into a single block before anyone reads it aloud.",
        "Second paragraph.",
    )


# --- metadata parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Update: 2025-12-15",
        "Date: 15 December 2025",
        "Published 15 December 2025",
        "15/12/2025",
        "2025-12-15T09:30:00+00:00",
        "December 15, 2025",
        "Monday 15th December 2025, 10:32 GMT",
        "Last updated: Dec 15, 2025 | 4 min read",
    ],
)
def test_date_formats(line: str) -> None:
    article = clean_text(f"A Headline Here\n{line}\n\nThe only paragraph of the story.")
    assert article.date == dt.date(2025, 12, 15)
    assert article.blocks == ("The only paragraph of the story.",)


def test_day_first_numeric_date() -> None:
    assert clean_text("Headline\nDate: 3/4/2025\n\nText.").date == dt.date(2025, 4, 3)


def test_impossible_date_is_ignored() -> None:
    assert clean_text("Headline\nDate: 31/02/2025\n\nText.").date is None


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("By Jane Smith", "Jane Smith"),
        ("Author: Jane Smith", "Jane Smith"),
        ("By Jane Smith and John Doe", "Jane Smith and John Doe"),
        ("By Jane Smith, Health Editor | 3 March 2025", "Jane Smith"),
        ("By J. R. Hartley", "J. R. Hartley"),
    ],
)
def test_author_lines(line: str, author: str) -> None:
    article = clean_text(f"A Headline Here\n{line}\n\nThe only paragraph of the story.")
    assert article.author == author
    assert article.blocks == ("The only paragraph of the story.",)


def test_by_sentence_is_not_a_byline() -> None:
    text = "A Headline Here\n\nBy Monday evening, the river had burst its banks.\n\nMore text."
    article = clean_text(text)
    assert article.author is None
    assert article.blocks[0] == "By Monday evening, the river had burst its banks."


def test_trailing_name_needs_chrome_before_it() -> None:
    # In clean text a closing name is a sign-off in the body, not page chrome.
    article = clean_text("Letters\n\nI write to complain about the buses.\n\nMargaret Thompson")
    assert article.author is None
    assert article.blocks[-1] == "Margaret Thompson"


# --- cards and promos --------------------------------------------------------------------------


def test_card_removed_but_next_paragraph_kept() -> None:
    text = (
        "Big Story Headline\n\nFirst paragraph of the story.\n\nALSO READ\n\nAnother Headline Entirely\n\n"
        "A standfirst for the other story without a full stop\n\nBy Sam Jones\n\n"
        "Second paragraph of the story.\n"
    )
    article = clean_text(text, BYLINE_RULES)
    assert article.blocks == ("First paragraph of the story.", "Second paragraph of the story.")


def test_card_without_standfirst_keeps_following_paragraph() -> None:
    text = "Big Story Headline\n\nFirst.\n\nRELATED\nAnother Headline\n\nThe story goes on here.\n"
    assert clean_text(text, BYLINE_RULES).blocks == ("First.", "The story goes on here.")


def test_inline_card_label() -> None:
    text = "Big Story Headline\n\nFirst.\n\nREAD MORE: Another Headline\n\nThe story goes on here.\n"
    assert clean_text(text, BYLINE_RULES).blocks == ("First.", "The story goes on here.")


def test_promo_patterns_come_from_rules() -> None:
    text = "Big Story Headline\n\nFirst.\n\nBuy our mug today\n\nSecond.\n"
    assert clean_text(text).blocks == ("First.", "Buy our mug today", "Second.")
    rules = CleanRules(promo_patterns=(r"buy our mug.*",))
    assert clean_text(text, rules).blocks == ("First.", "Second.")


def test_bad_promo_regex_is_a_profile_error() -> None:
    with pytest.raises(ProfileError):
        clean_text("text", CleanRules(promo_patterns=("(unclosed",)))


@pytest.mark.parametrize(
    "chrome",
    [
        "Share this article",
        "Facebook Twitter LinkedIn Email",
        "Advertisement",
        "Sign up to our newsletter",
        "Follow us on Instagram",
        "Photo: Jane Doe/Getty Images",
        "We use cookies to give you the best experience on our website.",
        "Accept all",
        "@ledgernews",
        "1:02:33",
        "1.25x",
        "Listen on Spotify",
        "12 Comments",
        "Sleep Timer",
        "45 Minutes",
    ],
)
def test_generic_chrome_lines(chrome: str) -> None:
    article = clean_text(f"Headline Of The Story\n\nFirst paragraph.\n\n{chrome}\n\nSecond paragraph.\n")
    assert article.blocks == ("First paragraph.", "Second paragraph.")


# --- robustness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n\t", "\u200b\ufeff", "\x00\x01"])
def test_empty_input(text: str) -> None:
    article = clean_text(text)
    assert article.title is None
    assert article.blocks == ()


def test_empty_html() -> None:
    assert clean_html("").blocks == ()
    assert clean_html("<html></html>").title is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    article = clean_text(text, BYLINE_RULES)
    assert isinstance(article.blocks, tuple)
    # a first line over 200 characters is a wall of text, not a title: the structure stage names it
    assert article.title is not None or not article.blocks or len(article.blocks[0]) > 200


_LINE = st.one_of(
    st.text(min_size=0, max_size=40),
    st.sampled_from(
        ["Share", "EXCLUSIVE", "By Jane Smith", "Date: 2025-12-15", "Title: X", "00:00", "Philip Haworth",
         "restore logistics, ...", "So What Now?", "0.5x", "Sleep Timer", "Jane Smith and John Doe"]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=25))
def test_round_trip_on_arbitrary_pages(lines: list[str]) -> None:
    article = clean_text("\n".join(lines), BYLINE_RULES)
    _assert_round_trip(article, BYLINE_RULES)


# --- page-shape edge cases -------------------------------------------------------------------------


def test_kicker_label_above_the_headline_is_not_a_card() -> None:
    text = (
        "EXCLUSIVE\n\nMinister Knew of Contract Warnings\n\n"
        "Documents show officials raised concerns twice before the deal was signed\n\nBy Sam Jones\n\n"
        "The minister was told about the problems in March, according to emails seen by this paper.\n"
    )
    article = clean_text(text, BYLINE_RULES)
    assert article.title == "Minister Knew of Contract Warnings"
    assert article.author == "Sam Jones"
    assert article.blocks[-1].startswith("The minister was told")


def test_words_that_start_like_chrome_are_kept() -> None:
    text = (
        "A Headline Here\n\nDiscovery of the body shocked the village.\n\n"
        "Byline Times reported the story first, on Monday.\n\nThis Story\n\n"
        "Sharing is caring, said the vicar.\n"
    )
    article = clean_text(text, BYLINE_RULES)
    assert article.blocks == (
        "Discovery of the body shocked the village.",
        "Byline Times reported the story first, on Monday.",
        "This Story",
        "Sharing is caring, said the vicar.",
    )


def test_link_list_after_the_article_is_dropped() -> None:
    text = (
        "A Headline Here\n\nThe article has one paragraph and it ends here.\n\nMost read\n"
        "First Other Headline\nSecond Other Headline\nThird Other Headline\n"
    )
    assert clean_text(text).blocks == ("The article has one paragraph and it ends here.",)


def test_title_with_site_suffix_is_an_echo() -> None:
    text = "A Headline Here\n\nFirst paragraph.\n\nA Headline Here | Byline Times\n\nSecond paragraph.\n"
    assert clean_text(text, BYLINE_RULES).blocks == ("First paragraph.", "Second paragraph.")


def test_glued_discover_line_without_site_rules() -> None:
    text = "DiscoverSome Podcast NetworkA Headline Here\nA Headline Here\n\nShare\n\nThe story begins.\n"
    article = clean_text(text)
    assert article.title == "A Headline Here"
    assert article.blocks == ("The story begins.",)


def test_html_title_loses_site_suffix_and_keeps_headings() -> None:
    html = (
        "<html><head><title>Bins Collected Fortnightly From May | Town Post</title>"
        '<meta property="og:site_name" content="Town Post"><meta name="author" content="Ann Lee"></head>'
        "<body><article><h1>Bins Collected Fortnightly From May</h1>"
        "<p>The council voted on Tuesday to move general waste collections to every other week from May.</p>"
        "<h2>Why It Changed</h2>"
        "<p>Officials said the change would save money and push more households to recycle food waste.</p>"
        "</article></body></html>"
    )
    article = clean_html(html)
    assert article.title == "Bins Collected Fortnightly From May"
    assert article.author == "Ann Lee"
    assert "Why It Changed" in article.blocks
    assert article.blocks[0].startswith("The council voted")


def test_card_byline_is_not_the_article_author() -> None:
    text = (
        "A Headline Here\n\nThe article starts here and runs on for a sentence or two.\n\n"
        "ALSO READ\n\nSome Other Headline\n\nBy Sam Jones\n\n3 March 2024\n\nThe article goes on.\n"
    )
    article = clean_text(text, BYLINE_RULES)
    assert article.author is None
    assert article.date is None
    assert article.blocks == (
        "The article starts here and runs on for a sentence or two.",
        "The article goes on.",
    )


def test_rules_given_as_lists_work() -> None:
    rules = CleanRules(card_labels=["ALSO READ"], promo_patterns=["buy our mug.*"])  # type: ignore[arg-type]
    text = "Big Story Headline\n\nFirst.\n\nBuy our mug today\n\nSecond.\n"
    assert clean_text(text, rules).blocks == ("First.", "Second.")


@pytest.mark.parametrize(
    "text", ["0\n:\n0:", "Share\nA Title\n\nIt ends, ...", "x\nEXCLUSIVE\nBy Jane Smith\n..."]
)
def test_round_trip_regressions(text: str) -> None:
    _assert_round_trip(clean_text(text, BYLINE_RULES), BYLINE_RULES)


def test_only_a_cut_off_ending_is_rewritten() -> None:
    text = "A Title\n\nShare\n\nThe first paragraph is whole.\n\nThe report lists: roads, schools, ...\n"
    assert clean_text(text).blocks[-1] == "The report lists: roads, schools."
    text = "A Title\n\nShare\n\nThe first paragraph is whole.\n\nIt ends with a colon:\n"
    assert clean_text(text).blocks[-1] == "It ends with a colon:"
