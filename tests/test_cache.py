"""Sentence cache: keys, hits and misses, damaged entries, atomic shared writes, stats and clear."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from narrate.audio.cache import SentenceCache, default_cache_dir
from narrate.audio.synth import FakeSynthesizer
from narrate.cli import main
from narrate.errors import OutputError
from narrate.pipeline import narrate_article

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"


def _clip(n: int = 1000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.5, 0.5, n).astype(np.float32)


def test_key_depends_on_everything_that_changes_the_audio() -> None:
    base = SentenceCache.key("piper:abc:ls=1.0000", "Hello there.")
    assert base == SentenceCache.key("piper:abc:ls=1.0000", "Hello there.")
    assert len(base) == 64 and int(base, 16) >= 0
    others = {
        SentenceCache.key("piper:abd:ls=1.0000", "Hello there."),  # another voice file
        SentenceCache.key("piper:abc:ls=1.1000", "Hello there."),  # another setting
        SentenceCache.key("piper:abc:ls=1.0000", "Hello there!"),  # other words
        SentenceCache.key("piper:abc:ls=1.0000H", "ello there."),  # no ambiguity at the join
    }
    assert base not in others and len(others) == 4


def test_default_folder_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "narrate" / "sentences"
    assert SentenceCache().directory == tmp_path / "narrate" / "sentences"


def test_miss_then_hit_round_trips_exactly(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    key = cache.key("fake", "One sentence.")
    assert cache.get(key) is None
    clip = _clip()
    cache.put(key, clip)
    got = cache.get(key)
    assert got is not None and got.dtype == np.float32
    np.testing.assert_array_equal(got, clip)
    got[0] = 0.25  # callers may process a clip in place
    assert cache.stats() == (1, cache.path(key).stat().st_size)


def test_empty_clip_is_a_hit(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    key = cache.key("fake", "...")
    cache.put(key, np.zeros(0, dtype=np.float32))
    got = cache.get(key)
    assert got is not None and got.size == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) - 7],  # truncated mid-sample
        lambda b: b[:10],  # truncated inside the header
        lambda b: b[:-400],  # whole samples missing
        lambda b: b[:-4] + bytes(4),  # a changed sample, same length
        lambda b: b"XXXX" + b[4:],  # not our format
        lambda b: b"",  # empty file
    ],
    ids=["mid-sample", "header", "samples-missing", "bit-rot", "magic", "empty"],
)
def test_damaged_entry_is_a_miss_and_removed(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    cache = SentenceCache(tmp_path)
    key = cache.key("fake", "Damaged.")
    cache.put(key, _clip())
    path = cache.path(key)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(key) is None
    assert not path.exists()
    cache.put(key, _clip())
    assert cache.get(key) is not None


def test_stats_and_clear(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path / "c")
    assert cache.stats() == (0, 0)
    assert cache.clear() == 0
    for i in range(5):
        cache.put(cache.key("fake", f"Sentence {i}."), _clip(100 + i))
    entries, size = cache.stats()
    assert entries == 5 and size > 5 * 100 * 4
    assert cache.clear() == 5
    assert cache.stats() == (0, 0)


def test_unwritable_cache_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = SentenceCache(blocker)
    with pytest.raises(OutputError, match="--cache-dir|--no-cache"):
        cache.put(cache.key("fake", "x"), _clip())


def _hammer(directory: str, seed: int) -> int:
    cache = SentenceCache(directory)
    bad = 0
    for round_ in range(60):
        key = cache.key("fake", f"shared {round_ % 6}")
        cache.put(key, _clip(2000 + round_ % 6, seed=round_ % 6))
        got = cache.get(key)
        if got is not None and not np.array_equal(got, _clip(2000 + round_ % 6, seed=round_ % 6)):
            bad += 1
        if seed == 1 and round_ % 20 == 0:
            cache.clear()
    return bad


def test_two_processes_sharing_the_folder(tmp_path: Path) -> None:
    # two writers of the same keys and one clearing now and then: a reader sees a whole entry or a miss
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(2) as pool:
        assert pool.starmap(_hammer, [(str(tmp_path), 0), (str(tmp_path), 1)]) == [0, 0]
    assert not list(tmp_path.rglob("*.tmp"))


def test_rerun_uses_the_cache_and_edit_resynthesises_only_the_change(tmp_path: Path) -> None:
    article = tmp_path / "a.md"
    article.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    cache_dir = tmp_path / "cache"
    first = narrate_article(article, output=tmp_path / "1.mp3", synthesizer=FakeSynthesizer(),
                            cache_dir=cache_dir)
    assert first.synthesised == len(first.script.sentences)
    again = FakeSynthesizer()
    second = narrate_article(article, output=tmp_path / "2.mp3", synthesizer=again, cache_dir=cache_dir)
    assert second.synthesised == 0 and again.calls == []
    assert (tmp_path / "1.mp3").read_bytes() == (tmp_path / "2.mp3").read_bytes()
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("Ofwat", "The regulator Ofwat", 1), encoding="utf-8")
    edited = FakeSynthesizer()
    third = narrate_article(article, output=tmp_path / "3.mp3", synthesizer=edited, cache_dir=cache_dir)
    assert 1 <= third.synthesised == len(edited.calls) <= 2
    assert all("regulator Ofwat" in call for call in edited.calls)


def test_no_cache_reads_and_writes_nothing(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    synth = FakeSynthesizer()
    result = narrate_article(
        SAMPLE, output=tmp_path / "o.mp3", synthesizer=synth, cache_dir=cache_dir, use_cache=False
    )
    assert result.synthesised == len(result.script.sentences)
    assert not cache_dir.exists()


def test_cache_command_shows_and_clears(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = SentenceCache(tmp_path)
    for i in range(3):
        cache.put(cache.key("fake", str(i)), _clip(250))
    assert main(["cache", "--cache-dir", str(tmp_path)]) == 0
    assert "3 cached sentences" in capsys.readouterr().out
    assert main(["cache", "--clear", "--cache-dir", str(tmp_path)]) == 0
    assert "removed 3" in capsys.readouterr().out
    assert cache.stats() == (0, 0)


def test_put_survives_a_clear_racing_its_folder_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the race CI hit: mkdir finds the shard folder, then another process's clear removes it before
    # mkdir(exist_ok=True) re-checks it, and EEXIST escaped as "cannot write the sentence cache"
    cache = SentenceCache(tmp_path)
    key = cache.key("fake", "raced")
    shard = cache.path(key).parent
    shard.mkdir()
    real_mkdir = Path.mkdir
    raced = []

    def mkdir_losing_the_race(self: Path, *args: object, **kwargs: object) -> None:
        if self == shard and not raced:
            raced.append(self)
            self.rmdir()  # the racing clear
            raise FileExistsError(17, "File exists", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir_losing_the_race)
    cache.put(key, _clip())
    assert raced and np.array_equal(cache.get(key), _clip())
