"""The studio's page in a real headless Chromium (Debian's package, driven by Playwright) on a real server."""

from __future__ import annotations

import os
import shutil
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the studio extra is not installed: pip install 'narrate-news[studio]'")  # noqa: E501
pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install 'narrate-news[studio]'")  # noqa: E501
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (the test extra)"
)

from mutagen.id3 import ID3  # noqa: E402

from narrate.audio.cache import CacheOptions  # noqa: E402
from narrate.audio.synth import FakeSynthesizer, SynthesizerFactory, piper_synthesizer  # noqa: E402
from narrate.studio.server import StudioServer  # noqa: E402
from narrate.studio.service import Studio, StudioOptions  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CHROMIUM = Path(os.environ.get("NARRATE_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "water-bills.md"
VIEWPORT = {"width": 1280, "height": 900}
# Set to a path (docs/studio.png) to keep the screenshot the last test takes for the README.
SCREENSHOT = os.environ.get("NARRATE_STUDIO_SCREENSHOT")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no browser: {CHROMIUM} is not installed (apt-get install chromium), "
        "so the page is not tested",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Playwright gives the browser a fresh temporary profile of its own (no --user-data-dir)
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield launched
        launched.close()


def _serve(folder: Path, factory: SynthesizerFactory) -> Iterator[StudioServer]:
    studio = Studio(
        StudioOptions(folder, cache=CacheOptions(directory=folder.parent / "cache")),
        synthesizer_factory=factory,
    )
    studio.start()
    server = StudioServer(studio, "127.0.0.1", 0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(ROOT / "examples" / ARTICLE, articles / ARTICLE)
    return articles


@pytest.fixture
def fake_server(folder: Path) -> Iterator[StudioServer]:
    yield from _serve(folder, FakeSynthesizer().factory)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    opened = context.new_page()
    opened.set_default_timeout(20000)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == []  # no script error on the page, whatever the test looked at


def _open(page: Any, server: StudioServer) -> None:
    page.goto(server.url)
    page.click(f"#articles tr[data-path='{ARTICLE}'] a.headline")  # the folder view lists it by headline
    page.wait_for_selector(".paragraph[data-paragraph='3']")


def test_page_without_the_token_is_refused(page: Any, fake_server: StudioServer) -> None:
    response = page.goto(f"http://127.0.0.1:{fake_server.port}/")
    assert response.status == 403
    assert "token" in page.inner_text("body")


def test_page_shows_the_script_numbered_as_narrate_script(page: Any, fake_server: StudioServer) -> None:
    _open(page, fake_server)
    assert page.inner_text("#title") == "Water Bills Rise Again as Leaks Go Unfixed"
    numbers = page.eval_on_selector_all(".paragraph", "nodes => nodes.map(n => Number(n.dataset.paragraph))")
    assert numbers == list(range(1, 11))  # hand-counted: intro, 2 lead paragraphs, 2 sections, outro
    third = page.inner_text(".paragraph[data-paragraph='3'] .text")
    assert "The regulator, Ofwat, approved the rise in December." in third
    # where the spoken form differs, both are shown
    assert "£104bn" in third and "one hundred and four billion pounds" in third
    assert page.locator(".chapter h2").count() == 5


def test_hovering_a_sentence_shows_its_rewrites(page: Any, fake_server: StudioServer) -> None:
    _open(page, fake_server)
    sentence = page.locator(".paragraph[data-paragraph='3'] .sentence", has_text="£104bn")
    box = sentence.locator(".rewrites")
    assert not box.is_visible()  # hidden until the producer hovers
    sentence.hover()
    box.wait_for(state="visible")
    # what `narrate script --explain` prints for the same sentence
    assert "money: £104bn → one hundred and four billion pounds" in box.inner_text()


@pytest.mark.voice
def test_clicking_paragraph_3_plays_it_with_the_real_voice(page: Any, folder: Path) -> None:
    for server in _serve(folder, piper_synthesizer):
        _open(page, server)
        page.click(".paragraph[data-paragraph='3'] .play")
        page.wait_for_function(
            "() => { const a = document.getElementById('preview-audio');"
            " return a.readyState >= 3 && !a.error; }",
            timeout=30000,
        )
        audio = page.eval_on_selector(
            "#preview-audio", "a => ({src: a.currentSrc, error: a.error, buffered: a.buffered.length})"
        )
        assert "/api/preview?" in audio["src"] and "paragraph=3" in audio["src"]
        assert audio["error"] is None and audio["buffered"] >= 1
        # the browser plays it: time moves
        page.wait_for_function("document.getElementById('preview-audio').currentTime > 0.3", timeout=30000)
        assert "playing" in page.get_attribute(".paragraph[data-paragraph='3']", "class")


def test_a_lexicon_entry_changes_the_script(page: Any, fake_server: StudioServer, folder: Path) -> None:
    _open(page, fake_server)
    page.click(".paragraph[data-paragraph='3'] .w:text-is('Ofwat')")
    assert page.is_visible("#editor") and page.input_value("#editor-word") == "Ofwat"
    page.wait_for_selector("#editor-phonemes:text-is('ˈɑːfwɑːt')")  # espeak's own reading, no entry yet
    page.fill("#editor-spoken", "[[ broken")
    page.click("#editor-save")
    page.wait_for_selector("#editor-error:has-text('must be either a respelling')")
    page.fill("#editor-spoken", "OFF-wot")
    # the editor shows what the voice will say: each syllable as espeak reads it alone ("off" ˈɔf,
    # "wot" wˈɑːt in en-us), the capitals' syllable stressed, never the letters O-F-F
    page.wait_for_selector("#editor-phonemes:text-is('ˈɔfwɑːt')")
    page.click("#editor-hear")  # heard at once, before saving
    page.wait_for_function("document.getElementById('preview-audio').readyState >= 2", timeout=15000)
    assert not (folder / "lexicon.toml").exists()
    page.click("#editor-save")
    # the stressed respelling reaches the script as the voice's phonemes (issue 23)
    page.wait_for_selector(".paragraph[data-paragraph='3'] .spoken:has-text('The regulator, [[ ˈɔfwɑːt, ]]')")
    assert page.get_attribute(".paragraph[data-paragraph='3'] .w.lex", "title") == "lexicon: OFF-wot"
    with open(folder / "lexicon.toml", "rb") as fh:
        assert tomllib.load(fh) == {"lexicon": {"Ofwat": "OFF-wot"}}
    # paragraph 9 says Ofwat too, and changed with it
    assert "[[ ˈɔfwɑːt ]] said the settlement" in page.inner_text(".paragraph[data-paragraph='9']")


def test_render_shows_progress_to_the_end_then_chapters(
    page: Any, fake_server: StudioServer, folder: Path
) -> None:
    _open(page, fake_server)
    page.click("#render")
    page.wait_for_selector("#progress-text:has-text('Done')", timeout=120000)
    bar = page.eval_on_selector("#progress-bar", "b => [b.value, b.max]")
    assert bar[0] == bar[1]
    page.wait_for_selector("#chapters li")
    listed = page.eval_on_selector_all("#chapters li", "items => items.map(i => i.firstChild.textContent)")
    mp3 = folder / "output" / "water-bills-rise-again-as-leaks-go-unfixed.mp3"
    chapters = sorted(ID3(mp3).getall("CHAP"), key=lambda c: c.start_time)
    assert listed == [c.sub_frames["TIT2"].text[0] for c in chapters]
    assert page.eval_on_selector("#episode-audio", "a => a.currentSrc").split("?")[0].endswith(mp3.name)
    links = page.eval_on_selector_all("#downloads a", "links => links.map(a => a.getAttribute('href'))")
    assert sorted(links) == sorted(
        f"/files/{mp3.stem}{suffix}"
        for suffix in (".mp3", ".vtt", ".srt", ".chapters.json", ".transcript.json")
    )
    # a chapter click jumps the player there, and the transcript follows the sentence being heard
    page.click("#chapters li:nth-child(3)")
    page.wait_for_function("document.getElementById('episode-audio').currentTime >= 44.9")
    page.wait_for_selector("#transcript p.now")
    now = page.eval_on_selector("#transcript p.now", "p => Number(p.dataset.start)")
    assert 44.9 <= now < 60


def test_check_flags_show_on_the_timeline(page: Any, fake_server: StudioServer) -> None:
    pytest.importorskip("pocketsphinx", reason="the check extra (its recogniser) is missing")
    _open(page, fake_server)
    page.click("#render")
    page.wait_for_selector("#progress-text:has-text('Done')", timeout=120000)
    # the fake voice speaks tones, not words: the check flags its sentences, and the page marks each one
    page.wait_for_selector("#timeline .flag", timeout=60000)
    report = page.evaluate(
        "fetch('/api/check?path=' + encodeURIComponent('water-bills.md')).then(r => r.json())"
    )
    assert report["checked"] and report["flags"]
    shown = page.eval_on_selector_all(
        "#timeline .flag", "marks => marks.map(m => [m.title, parseFloat(m.style.left)])"
    )
    assert [title for title, _ in shown] == [flag["message"] for flag in report["flags"]]
    lefts = [left for _, left in shown]
    assert all(0 <= left < 100 for left in lefts) and lefts == sorted(lefts)


def test_screenshot_of_the_studio(page: Any, fake_server: StudioServer, folder: Path, tmp_path: Path) -> None:
    (folder / "lexicon.toml").write_text('[lexicon]\nOfwat = "OFF-wot"\n', encoding="utf-8")
    _open(page, fake_server)
    page.click("#render")
    page.wait_for_selector("#chapters li", timeout=120000)
    page.click("#chapters li:nth-child(2)")
    page.wait_for_selector("#transcript p.now")
    page.eval_on_selector("#episode-audio", "a => a.pause()")
    page.click(".paragraph[data-paragraph='3'] .play")
    page.wait_for_function("document.getElementById('preview-audio').readyState >= 2")
    page.eval_on_selector("#preview-audio", "a => a.pause()")
    shot = tmp_path / "studio.png"
    page.screenshot(path=str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (VIEWPORT["width"], VIEWPORT["height"])
    if SCREENSHOT:
        Path(SCREENSHOT).write_bytes(data)


def test_selected_words_are_heard_with_the_s_key(page: Any, fake_server: StudioServer) -> None:
    _open(page, fake_server)
    page.eval_on_selector(
        ".paragraph[data-paragraph='5'] .written",
        "node => { const range = document.createRange(); range.selectNodeContents(node);"
        " const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range); }",
    )
    page.keyboard.press("s")
    page.wait_for_function("document.getElementById('preview-audio').readyState >= 2")
    source = page.eval_on_selector(
        "#preview-audio", "a => decodeURIComponent(a.currentSrc.replace(/\\+/g, ' '))"
    )
    assert "/api/say?text=Mr Patel, who runs a small bakery in Leeds" in source


def test_words_the_voice_will_guess_are_marked_without_losing_the_selection(
    page: Any, fake_server: StudioServer
) -> None:
    pytest.importorskip("pocketsphinx", reason="the check extra (its pronouncing dictionary) is missing")
    # hold /api/words back until a selection exists: the marks must arrive without re-drawing the script
    held: list[Any] = []
    page.route("**/api/words?*", lambda route: held.append(route))
    _open(page, fake_server)
    for _ in range(200):  # the page asks for the marks right after drawing the script
        if held:
            break
        page.wait_for_timeout(50)
    page.eval_on_selector(
        ".paragraph[data-paragraph='3'] .written",
        "node => { const range = document.createRange(); range.selectNodeContents(node);"
        " const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range); }",
    )
    assert len(held) == 1 and not page.locator(".w.guess").count()
    held[0].continue_()
    page.wait_for_selector(".paragraph[data-paragraph='3'] .w.guess")
    guessed = page.eval_on_selector_all(
        ".paragraph[data-paragraph='3'] .w.guess", "marks => marks.map(w => w.textContent)"
    )
    assert "Ofwat" in guessed and "regulator" not in guessed  # not in the CMU dictionary / in it
    assert "The regulator, Ofwat, approved" in page.evaluate("String(window.getSelection())")


def test_folder_view_renders_the_changed_ones_and_links_the_feed(page: Any, folder: Path) -> None:
    shutil.copy(ROOT / "examples" / "night-buses.md", folder / "night-buses.md")
    for server in _serve(folder, FakeSynthesizer().factory):
        page.goto(server.url)
        page.wait_for_selector("#articles tbody tr")
        rows = page.eval_on_selector_all(
            "#articles tbody tr",
            "rows => rows.map(r => [r.dataset.path, r.querySelector('.state').textContent])",
        )
        assert rows == [["night-buses.md", "not made"], ["water-bills.md", "not made"]]
        # what a producer reads: the headline as the link, byline and date under it, the file name small
        shown = page.eval_on_selector_all(
            "#articles tbody tr td:first-child",
            "cells => cells.map(c => [...c.children].map(e => [e.className, e.textContent]))",
        )
        assert shown == [
            [
                ["headline", "Night Buses Return to the Harbour Route"],
                ["byline muted", "Ines Marlow · 10 March 2026"],
                ["file", "night-buses.md"],
            ],
            [
                ["headline", "Water Bills Rise Again as Leaks Go Unfixed"],
                ["byline muted", "Hannah Cole · 4 March 2026"],
                ["file", "water-bills.md"],
            ],
        ]
        sizes = page.eval_on_selector_all(
            "#articles tbody tr:first-child td:first-child > *",
            "nodes => nodes.map(n => parseFloat(getComputedStyle(n).fontSize))",
        )
        assert sizes[2] < sizes[1] < sizes[0]  # the file name is the smallest line
        page.click("#articles a.headline >> text=Water Bills Rise Again")
        page.wait_for_selector("#title:has-text('Water Bills Rise Again as Leaks Go Unfixed')")
        page.go_back()
        page.wait_for_selector("#articles tbody tr")
        assert not page.is_visible("#feed-link")
        page.click("#render-changed")
        page.wait_for_selector("#progress-text:has-text('Done: 2 episodes')", timeout=120000)
        page.wait_for_selector("#feed-link", state="visible")
        states = page.eval_on_selector_all("#articles .state", "badges => badges.map(b => b.textContent)")
        assert states == ["made", "made"]
        assert sorted(p.name for p in (folder / "output").glob("*.mp3")) == [
            "night-buses-return-to-the-harbour-route.mp3",
            "water-bills-rise-again-as-leaks-go-unfixed.mp3",
        ]
        feed = page.evaluate("fetch('/files/feed.xml').then(r => r.text())")
        assert feed.count("<enclosure") == 2
