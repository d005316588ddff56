"""Edit and re-render with the real voice: never a hang (issue 23), only the edited sentences spoken again.

Each run is the real command line in a subprocess under a timeout, so a hang fails the test instead of
holding up CI. Before the threaded engine, three edits in different paragraphs hung forever: synthesis
worker processes forked while ffmpeg encoded the cached part held ffmpeg's input pipe open.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from audio_tools import ffmpeg_chapters
from mutagen.mp3 import MP3

from narrate.pipeline import load_script

pytestmark = pytest.mark.voice

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TIMEOUT = 300  # a cold run of the article takes ~11 s on 2 busy cores; a hang never ends
SLUG = "water-bills-rise-again-as-leaks-go-unfixed"
CHAPTERS = ["Where the money goes", "What happens next"]  # the article's headings, among the chapters

# three sentences in three paragraphs (and chapters) of water-bills.md
EDITS = [
    ("approved the rise in December", "approved the increase in late December"),
    ("said his bill had gone up", "said that his bill had risen"),
    ("the settlement was", "the final settlement was"),
]


def _narrate(*argv: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "narrate", *argv], capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"narrate {' '.join(argv)} did not finish in {TIMEOUT} s: it hung")
    assert done.returncode == 0, done.stderr
    return done


def _entries(cache: Path) -> set[str]:
    return {p.name for p in cache.rglob("*.f32")}


def _edited(path: Path, edits: list[tuple[str, str]]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def _every_sentence(text: str) -> str:
    """Every sentence of the body changed: ' now' before each full stop that ends one."""
    head, _, body = text.partition("\n---\n")
    return head + "\n---\n" + re.sub(r"\.(\"?)(\s)", r" now.\1\2", body)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """water-bills.md narrated once with --jobs 2: its folder holds the article, out/ and cache/."""
    base = tmp_path_factory.mktemp("first-run")
    shutil.copy(EXAMPLES / "water-bills.md", base / "a.md")
    _narrate(str(base / "a.md"), "--output-dir", str(base / "out"), "--cache-dir", str(base / "cache"),
             "--jobs", "2", "-q")  # fmt: skip
    return base


def _copy_of(first_run: Path, tmp_path: Path) -> Path:
    """A folder like the first run's (article, MP3, cache), for one test to edit."""
    for name in ("out", "cache"):
        shutil.copytree(first_run / name, tmp_path / name)
    shutil.copy(first_run / "a.md", tmp_path / "a.md")
    return tmp_path


def _check_episode(mp3: Path, before: Path, spread: float) -> None:
    """The remade MP3 is about as long as the one `before` it (within `spread`), with the same chapters."""
    seconds, length = MP3(before).info.length, MP3(mp3).info.length
    assert seconds * (1 - spread) < length < seconds * (1 + spread), (length, seconds)
    chapters, earlier = ffmpeg_chapters(mp3), ffmpeg_chapters(before)
    titles = [title for _, _, title in chapters]
    assert titles == [title for _, _, title in earlier] and set(CHAPTERS) <= set(titles)
    assert chapters[-1][1] == pytest.approx(length, abs=0.2)


@pytest.mark.parametrize(
    ("edit", "respoken", "spread"),
    [
        (lambda p: _edited(p, EDITS[:1]), 1, 0.05),
        (lambda p: _edited(p, EDITS), 3, 0.05),
        (lambda p: p.write_text(_every_sentence(p.read_text(encoding="utf-8")), encoding="utf-8"), None, 0.3),
    ],
    ids=["one-sentence", "three-paragraphs", "every-sentence"],
)
def test_re_narrating_an_edited_article_finishes_and_respeaks_only_the_edits(
    first_run: Path, tmp_path: Path, edit: Callable[[Path], None], respoken: int | None, spread: float
) -> None:
    folder = _copy_of(first_run, tmp_path)
    mp3 = folder / "out" / f"{SLUG}.mp3"
    before = _entries(folder / "cache")
    edit(folder / "a.md")
    _narrate(str(folder / "a.md"), "--output-dir", str(folder / "out"), "--cache-dir", str(folder / "cache"),
             "--jobs", "2", "-q")  # fmt: skip
    new = _entries(folder / "cache") - before
    if respoken is None:  # every sentence of the body, as the script numbers them
        old = {x.spoken for x in load_script(first_run / "a.md").sentences}
        respoken = len({x.spoken for x in load_script(folder / "a.md").sentences} - old)
        assert respoken >= 12
    assert len(new) == respoken  # the edited sentences, and only they, were spoken again
    original = first_run / "out" / f"{SLUG}.mp3"
    assert os.path.getmtime(mp3) > os.path.getmtime(original)
    _check_episode(mp3, original, spread)


def test_previewing_an_edited_chapter_finishes(first_run: Path, tmp_path: Path) -> None:
    folder = _copy_of(first_run, tmp_path)
    _edited(folder / "a.md", EDITS[1:2])  # in chapter 2
    wav = folder / "c2.wav"
    _narrate("preview", str(folder / "a.md"), "--chapter", "2", "-o", str(wav), "--cache-dir",
             str(folder / "cache"))  # fmt: skip
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 15 < seconds < 60  # two paragraphs and a heading


def test_re_running_a_batch_after_edits_finishes(tmp_path: Path) -> None:
    inbox, site, cache = tmp_path / "in", tmp_path / "site", tmp_path / "cache"
    inbox.mkdir()
    for name in ("water-bills.md", "night-buses.md", "library-hours.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    argv = ["batch", str(inbox), "-o", str(site), "--cache-dir", str(cache), "--jobs", "2", "-q"]
    _narrate(*argv)
    shutil.copy(site / f"{SLUG}.mp3", tmp_path / "before.mp3")
    _edited(inbox / "water-bills.md", EDITS)
    _edited(inbox / "night-buses.md", [("every forty minutes", "every half an hour")])
    before = _entries(cache)
    done = _narrate(*argv)
    rows = {Path(line.split("\t")[0]).name: line.split("\t")[1] for line in done.stdout.splitlines()[1:4]}
    assert rows == {"library-hours.txt": "unchanged", "night-buses.md": "made", "water-bills.md": "made"}
    assert len(_entries(cache) - before) == 4
    _check_episode(site / f"{SLUG}.mp3", tmp_path / "before.mp3", 0.05)
