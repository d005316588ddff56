"""`narrate check` on real episodes: damage them (cut, silence, swap, truncate, noise) and require each
damage flagged at the right sentence; clean episodes of every example and fixture may raise at most one
false flag per 100 sentences. Run with -s to see the detection table."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio_tools import FFMPEG, decode
from conftest import ROOT, SHARED_SAMPLE

from narrate.pipeline import NarrationResult, narrate_article
from narrate.profile import load_profile
from narrate.verify.check import CheckReport, Flag, check_episode

pytestmark = pytest.mark.voice

RATE = 44100
EXAMPLES = sorted((ROOT / "examples").iterdir())
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "scraped").glob("*.txt")) + sorted(
    (ROOT / "tests" / "fixtures" / "html").glob("*.html")
)
ARTICLES = EXAMPLES + FIXTURES + ([SHARED_SAMPLE] if SHARED_SAMPLE.is_file() else [])
DAMAGED = EXAMPLES  # damage checks on the bundled examples; every article is checked clean


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[NarrationResult, np.ndarray]]:
    """Each article narrated once with a deterministic voice, and its decoded audio."""
    tmp = tmp_path_factory.mktemp("check-episodes")
    profile = load_profile()
    profile = dataclasses.replace(
        profile, voice=dataclasses.replace(profile.voice, noise_scale=0.0, noise_w_scale=0.0)
    )
    made = {}
    for article in ARTICLES:
        result = narrate_article(article, output=tmp / f"{article.stem}.mp3", profile=profile)
        made[article.stem] = (result, decode(result.path, RATE))
    return made


def _encode(samples: np.ndarray, path: Path) -> Path:
    raw = np.clip(samples, -1, 1).astype("<f4").tobytes()
    command = [FFMPEG, "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0"]
    subprocess.run([*command, "-b:a", "64k", str(path)], input=raw, check=True)
    return path


def _seconds(result: NarrationResult, index: int) -> tuple[float, float]:
    cue = result.cues[index]
    return cue.start / result.rate, cue.end / result.rate


def _target(result: NarrationResult) -> int:
    """A body sentence in the middle of the episode with at least six words (damage goes here)."""
    body = [
        i
        for i, s in enumerate(result.script.sentences)
        if len(s.spoken.split()) >= 6 and 0.25 < result.cues[i].start / result.total_samples < 0.75
    ]
    return body[len(body) // 2]


def _overlapping(result: NarrationResult, start: float, end: float) -> set[int]:
    """1-based numbers of the sentences whose audio overlaps [start, end) seconds."""
    out = set()
    for i in range(len(result.cues)):
        a, b = _seconds(result, i)
        if a < end and b > start:
            out.add(i + 1)
    return out


Damage = Callable[[NarrationResult, np.ndarray], tuple[np.ndarray, set[int]]]


def _cut(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    middle = audio.size // 2
    hit = _overlapping(result, middle / RATE, middle / RATE + 5.0)
    return np.concatenate([audio[:middle], audio[middle + 5 * RATE :]]), hit


def _silence(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    i = _target(result)
    a, b = (int(t * RATE) for t in _seconds(result, i))
    out = audio.copy()
    out[a:b] = 0.0
    return out, {i + 1}


def _swap(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    i = _target(result)
    a1, b1 = (int(t * RATE) for t in _seconds(result, i))
    a2, b2 = (int(t * RATE) for t in _seconds(result, i + 1))
    parts = [audio[:a1], audio[a2:b2], audio[b1:a2], audio[a1:b1], audio[b2:]]
    return np.concatenate(parts), {i + 1, i + 2}


def _truncate(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    end = audio.size - 6 * RATE
    return audio[:end], _overlapping(result, end / RATE, audio.size / RATE)


def _noise(result: NarrationResult, audio: np.ndarray) -> tuple[np.ndarray, set[int]]:
    """White noise as loud as the sentence itself (0 dB SNR) over one sentence."""
    i = _target(result)
    a, b = (int(t * RATE) for t in _seconds(result, i))
    out = audio.copy()
    rms = float(np.sqrt(np.mean(out[a:b] ** 2)))
    out[a:b] += (np.random.default_rng(i).standard_normal(b - a) * rms).astype(np.float32)
    return out, {i + 1}


DAMAGES: dict[str, Damage] = {
    "cut 5 s": _cut,
    "silence": _silence,
    "swap": _swap,
    "truncate": _truncate,
    "noise": _noise,
}


def _at(flags: tuple[Flag, ...], sentences: set[int]) -> list[Flag]:
    return [f for f in flags if f.sentence in sentences]


def test_every_damage_is_flagged_at_the_right_sentence(episodes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = []
    missed = []
    for article in DAMAGED:
        result, audio = episodes[article.stem]
        for name, damage in DAMAGES.items():
            damaged, hit = damage(result, audio)
            report = check_episode(result.script, _encode(damaged, tmp_path / f"{article.stem}.mp3"))
            right = _at(report.flags, hit)
            # a sentence next to the damage (a cut's neighbour, the swapped pair's other half) is fair too
            near = {n + d for n in hit for d in (-1, 0, 1)}
            elsewhere = [f for f in report.flags if f.sentence is not None and f.sentence not in near]
            rows.append(
                (article.stem, name, sorted(hit), [(f.kind, f.sentence) for f in right], len(elsewhere))
            )
            if not right:
                missed.append(f"{article.stem} {name}: expected a flag at {sorted(hit)}, got {report.flags}")
    print("\narticle | damage | damaged sentences | flags there | flags elsewhere")
    for row in rows:
        print(" | ".join(str(c) for c in row))
    assert not missed, "\n".join(missed)


def test_clean_episodes_raise_at_most_one_false_flag_per_100_sentences(episodes) -> None:  # type: ignore[no-untyped-def]
    reports: dict[str, CheckReport] = {}
    for article in ARTICLES:
        result, _ = episodes[article.stem]
        reports[article.stem] = check_episode(result.script, result.path)
    sentences = sum(r.sentences for r in reports.values())
    flags = [(name, f) for name, r in reports.items() for f in r.flags]
    print(f"\n{len(flags)} flags on {sentences} sentences of {len(reports)} clean episodes")
    for name, r in reports.items():
        print(
            f"{name}: {r.sentences} sentences, {r.matched_words}/{r.expected_words} words heard, "
            f"{len(r.flags)} flags, {r.elapsed:.1f} s for {r.seconds:.0f} s"
        )
    for name, f in flags:
        print(f"  {name}: {f}")
    assert len(flags) <= sentences / 100, flags
