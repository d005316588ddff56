"""Sentence cache: keys, hits and misses, damaged entries, atomic shared writes, stats and clear."""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from narrate.audio.cache import CacheOptions, SentenceCache
from narrate.audio.synth import FakeSynthesizer
from narrate.cli import main
from narrate.errors import OutputError
from narrate.pipeline import NarrationOptions, narrate_article
from narrate.profile import default_cache_dir

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"


def _clip(n: int = 1000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.5, 0.5, n).astype(np.float32)


def test_key_depends_on_everything_that_changes_the_audio() -> None:
    base = SentenceCache.key("piper:abc:ls=1.0000", "Hello there.")
    assert base == SentenceCache.key("piper:abc:ls=1.0000", "Hello there.")
    assert re.fullmatch("[0-9a-f]{64}", base)  # a file name on any file system
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
    cache.put(key, _clip(seed=1))
    np.testing.assert_array_equal(cache.get(key), _clip(seed=1))  # written afresh, read back whole


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
    # spawn, not fork: earlier tests leave threads (an import of scipy, say) that a forked child would
    # inherit half-way
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        assert pool.starmap(_hammer, [(str(tmp_path), 0), (str(tmp_path), 1)]) == [0, 0]
    assert not list(tmp_path.rglob("*.tmp"))


def test_rerun_uses_the_cache_and_edit_resynthesises_only_the_change(tmp_path: Path) -> None:
    article = tmp_path / "a.md"
    article.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    cache_dir = tmp_path / "cache"
    first = narrate_article(
        article,
        NarrationOptions(output=tmp_path / "1.mp3", cache=CacheOptions(directory=cache_dir)),
        synthesizer=FakeSynthesizer(),
    )
    assert first.synthesised == len(first.script.sentences)
    again = FakeSynthesizer()
    second = narrate_article(
        article,
        NarrationOptions(output=tmp_path / "2.mp3", cache=CacheOptions(directory=cache_dir)),
        synthesizer=again,
    )
    assert second.synthesised == 0 and again.calls == []
    assert (tmp_path / "1.mp3").read_bytes() == (tmp_path / "2.mp3").read_bytes()
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("Ofwat", "The regulator Ofwat", 1), encoding="utf-8")
    edited = FakeSynthesizer()
    third = narrate_article(
        article,
        NarrationOptions(output=tmp_path / "3.mp3", cache=CacheOptions(directory=cache_dir)),
        synthesizer=edited,
    )
    assert 1 <= third.synthesised == len(edited.calls) <= 2
    assert all("regulator Ofwat" in call for call in edited.calls)


def test_no_cache_reads_and_writes_nothing(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    synth = FakeSynthesizer()
    result = narrate_article(
        SAMPLE,
        NarrationOptions(
            output=tmp_path / "o.mp3",
            cache=CacheOptions(directory=cache_dir, use=False),
        ),
        synthesizer=synth,
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
    # mkdir(exist_ok=True) re-checks it, and EEXIST escaped as "cannot write the sentence cache".
    # Path.mkdir is patched because no real input can land another process's clear inside mkdir's
    # two checks on demand; the patch replays that interleaving once, then mkdir is the real one.
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


# --- a bounded cache (issue 11) --------------------------------------------------------------------

_ENTRY = 4047  # a 1000-sample clip on disk: 20-byte header, 4 bytes a sample, {"words": [], "said": null}


def _aged(cache: SentenceCache, key: str, age: float) -> None:
    stamp = time.time() - age
    os.utime(cache.path(key), (stamp, stamp))


def test_the_least_recently_used_entries_go_first(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path, max_bytes=10 * _ENTRY)
    keys = [cache.key("fake", f"sentence {i}") for i in range(8)]
    for age, key in zip(range(800, 0, -100), keys):  # key 0 oldest ... key 7 newest
        cache.put(key, _clip(1000))
        _aged(cache, key, age)
    np.testing.assert_array_equal(cache.get(keys[0]), _clip(1000))  # used now: no longer the oldest
    assert cache.prune(limit=6 * _ENTRY) == (3, 3 * _ENTRY)  # down to 90 % of 6 entries: 5 left
    kept = {i for i, key in enumerate(keys) if cache.path(key).is_file()}
    assert kept == {0, 4, 5, 6, 7}
    assert cache.stats() == (5, 5 * _ENTRY)


def test_writing_past_the_limit_keeps_the_folder_under_it(tmp_path: Path) -> None:
    limit = 20 * _ENTRY
    cache = SentenceCache(tmp_path, max_bytes=limit)
    for i in range(200):
        cache.put(cache.key("fake", f"s{i}"), _clip(1000, seed=i))
        _, size = cache.stats()
        assert size <= limit + limit // 10 + _ENTRY  # pruned whenever a tenth of the limit was written
    assert cache.stats()[1] <= limit
    # the newest are the ones kept
    np.testing.assert_array_equal(cache.get(cache.key("fake", "s199")), _clip(1000, seed=199))


def test_prune_sweeps_temporary_files_of_killed_writers(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path)
    key = cache.key("fake", "x")
    cache.put(key, _clip())
    stale = cache.path(key).parent / ".abc-stale.tmp"
    fresh = cache.path(key).parent / ".abc-fresh.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    cache.prune()
    assert not stale.exists() and fresh.exists() and cache.path(key).exists()


def _use_and_prune(folder: str, seed: int) -> int:
    """Put, get and prune a small shared cache; returns how many reads came back damaged."""
    cache = SentenceCache(folder, max_bytes=15 * _ENTRY)
    bad = 0
    for round_ in range(150):
        key = cache.key("fake", f"k{round_ % 40}")
        clip = _clip(1000, seed=round_ % 40)
        got = cache.get(key)
        if got is not None and not np.array_equal(got, clip):
            bad += 1
        cache.put(key, clip)
        if (round_ + seed) % 25 == 0:
            cache.prune(limit=5 * _ENTRY)
    return bad


@pytest.mark.slow
def test_eviction_is_safe_while_other_processes_use_the_cache(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        assert pool.starmap(_use_and_prune, [(str(tmp_path), s) for s in range(3)]) == [0, 0, 0]
    assert SentenceCache(tmp_path).stats()[1] <= 15 * _ENTRY + 15 * _ENTRY // 10 + 3 * _ENTRY


def test_cache_command_shows_the_limit_and_prunes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = SentenceCache(tmp_path)
    for i in range(10):
        cache.put(cache.key("fake", str(i)), _clip(1000, seed=i))
    assert main(["cache", "--cache-dir", str(tmp_path)]) == 0
    assert "10 cached sentences, 0.0 MB of its 2000 MB limit" in capsys.readouterr().out
    monkeypatch.setenv("NARRATE_CACHE_MAX", "20kB")
    assert main(["cache", "--cache-dir", str(tmp_path), "--prune"]) == 0
    out = capsys.readouterr().out
    assert "removed 6 least recently used" in out and "4 cached sentences" in out and "of its 0 MB" in out
    assert SentenceCache(tmp_path).stats() == (4, 4 * _ENTRY)


@pytest.mark.parametrize(
    ("text", "size"), [("2G", 2_000_000_000), ("500MB", 500_000_000), ("1.5GiB", 1_610_612_736), ("800", 800)]
)
def test_sizes(text: str, size: int) -> None:
    from narrate.profile import parse_size

    assert parse_size(text) == size


def test_the_limit_comes_from_the_option_the_environment_the_profile_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from narrate.audio.cache import DEFAULT_MAX_BYTES, cache_limit
    from narrate.errors import ProfileError
    from narrate.profile import parse_profile

    monkeypatch.delenv("NARRATE_CACHE_MAX", raising=False)
    assert cache_limit(None, "") == DEFAULT_MAX_BYTES == 2_000_000_000
    profile = parse_profile('[cache]\nmax_size = "300M"\n', "p.toml")
    assert cache_limit(None, profile.cache.max_size) == 300_000_000
    monkeypatch.setenv("NARRATE_CACHE_MAX", "100M")
    assert cache_limit(None, profile.cache.max_size) == 100_000_000
    assert cache_limit(5_000, profile.cache.max_size) == 5_000
    with pytest.raises(ProfileError, match=r"\[cache\] key 'max_size'"):
        parse_profile('[cache]\nmax_size = "lots"\n', "p.toml")


def test_a_bad_cache_max_fails_in_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cache", "--cache-max", "big"])
    assert "not a size: 'big'" in capsys.readouterr().err


def test_word_timings_are_kept_with_the_samples(tmp_path: Path) -> None:
    from narrate.models import WordTime

    cache = SentenceCache(tmp_path)
    key = cache.key("fake", "Ferry sails.")
    words = (WordTime("Ferry", 0, 400), WordTime("sails.", 450, 1000))
    cache.put(key, _clip(), words)
    got = cache.get_voiced(key)
    assert got is not None and got.words == words
    np.testing.assert_array_equal(got.samples, _clip())
    # the words are under the entry's checksum too: a changed word is a damaged entry, read as a miss
    path = cache.path(key)
    path.write_bytes(path.read_bytes().replace(b"sails.", b"sales."))
    assert cache.get_voiced(key) is None and not path.exists()


def test_a_warm_run_keeps_the_word_timings(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    first = narrate_article(
        SAMPLE,
        NarrationOptions(output_dir=tmp_path, cache=CacheOptions(directory=tmp_path / "c")),
        synthesizer=synth,
    )
    assert all(cue.words for cue in first.cues)
    synth.calls.clear()
    again = narrate_article(
        SAMPLE,
        NarrationOptions(
            output_dir=tmp_path,
            cache=CacheOptions(directory=tmp_path / "c"),
            force=True,
        ),
        synthesizer=synth,
    )
    assert synth.calls == [] and again.cues == first.cues
