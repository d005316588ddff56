"""Verify before publishing, and heal: a flagged sentence is evicted and made again once; an episode still
heard wrong stays out of the feed. The heal logic on the fake voice with a checker passed in (fast); the
real voice and the real recogniser with a voice that damages one sentence (marked voice)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import feedparser
import numpy as np
import pytest

from narrate import cli
from narrate.audio.cache import CacheOptions, SentenceCache
from narrate.audio.synth import FakeSynthesizer, FakeVoice, cache_identity, piper_synthesizer
from narrate.batch import BatchOptions, rebuild_feed, run_batch, survey
from narrate.models import Script, Voiced
from narrate.pipeline import NarrationOptions, narrate_article
from narrate.profile import VoiceSettings
from narrate.publish.manifest import Manifest
from narrate.verify.check import CheckReport, Flag

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = """Title: Ferry Timetable Changes

The harbour ferry will leave every twenty minutes from June.

The council said the new boats are faster and quieter than the old ones.

Tickets will cost the same as last year for every passenger on the route.
"""


class FakeChecker:
    """Flags the sentences its `verdicts` name, one list per call (the last repeats); records its calls."""

    def __init__(self, *verdicts: Sequence[int], stray: tuple[float, float] | None = None) -> None:
        self.verdicts = list(verdicts)
        self.stray = stray
        self.calls: list[Path] = []

    def __call__(self, script: Script, mp3: Path) -> CheckReport:
        assert mp3.is_file()
        self.calls.append(mp3)
        wrong = self.verdicts[min(len(self.calls), len(self.verdicts)) - 1]
        flags = [Flag("cut short", 1.0, 2.0, sentence=n, text=script.sentences[n - 1].text) for n in wrong]
        if self.stray is not None and len(self.calls) == 1:
            flags.append(Flag("unexpected", *self.stray, detail="matches no sentence"))
        n = len(script.sentences)
        return CheckReport(mp3, 10.0, n, tuple(flags), 30, 30, 30 - len(flags))


def _article(tmp_path: Path, name: str = "ferry.txt", text: str = ARTICLE) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _narrate(tmp_path: Path, fake: FakeSynthesizer, checker: Any, cache: Path | None = None) -> Any:
    return narrate_article(
        _article(tmp_path),
        NarrationOptions(
            output=tmp_path / "ep.mp3",
            cache=CacheOptions(directory=cache or tmp_path / "cache"),
            check=checker,
        ),
        synthesizer=fake,
    )


def test_a_flagged_sentence_is_made_again_once_and_only_it(tmp_path: Path) -> None:
    fake = FakeSynthesizer(per_char=0.01)
    checker = FakeChecker([2], [])
    result = _narrate(tmp_path, fake, checker)
    spoken = [s.spoken for s in result.script.sentences]
    # every sentence once, then sentence 2 alone (the rest came from the cache); heard twice
    assert fake.calls == [*spoken, spoken[1]]
    assert len(checker.calls) == 2
    assert result.healed == (2,) and result.check is not None and result.check.ok
    assert result.synthesised == len(spoken) + 1


def test_a_sentence_still_flagged_is_evicted_again_so_no_run_reuses_it(tmp_path: Path) -> None:
    fake = FakeSynthesizer(per_char=0.01)
    result = _narrate(tmp_path, fake, FakeChecker([3]))
    assert result.check is not None and not result.check.ok and result.healed == (3,)
    cache = SentenceCache(tmp_path / "cache")
    spoken = [s.spoken for s in result.script.sentences]
    held = [cache.path(SentenceCache.key(cache_identity(fake), s)).is_file() for s in spoken]
    assert held == [i != 2 for i in range(len(spoken))]
    fake.calls.clear()
    narrate_article(
        _article(tmp_path),
        NarrationOptions(
            output=tmp_path / "ep2.mp3",
            cache=CacheOptions(directory=tmp_path / "cache"),
        ),
        synthesizer=fake,
    )
    assert fake.calls == [spoken[2]]


def test_stray_audio_heals_the_sentences_it_overlaps(tmp_path: Path) -> None:
    fake = FakeSynthesizer(per_char=0.01)
    plain = narrate_article(
        _article(tmp_path),
        NarrationOptions(output=tmp_path / "plain.mp3", cache=CacheOptions(use=False)),
        synthesizer=fake,
    )
    cue = plain.cues[1]
    inside = ((cue.start + 100) / plain.rate, (cue.end - 100) / plain.rate)
    fake.calls.clear()
    result = _narrate(tmp_path, fake, FakeChecker([], stray=inside))
    assert result.healed == (2,)
    assert fake.calls[-1] == plain.script.sentences[1].spoken


def test_a_clean_episode_is_heard_once_and_left_alone(tmp_path: Path) -> None:
    fake = FakeSynthesizer(per_char=0.01)
    checker = FakeChecker([])
    result = _narrate(tmp_path, fake, checker)
    assert len(checker.calls) == 1 and result.healed == () and result.check is not None and result.check.ok
    assert len(fake.calls) == len(result.script.sentences)


def _titles(folder: Path) -> list[str]:
    parsed = feedparser.parse((folder / "feed.xml").read_bytes())
    assert not parsed.bozo
    return sorted(e.title for e in parsed.entries)


def _batch(tmp_path: Path, checker: Any, **options: Any) -> Any:
    fake = FakeSynthesizer(per_char=0.01)
    articles = tmp_path / "in"
    articles.mkdir(exist_ok=True)
    _article(articles, "ferry.txt")
    (articles / "library.txt").write_text((ROOT / "examples" / "library-hours.txt").read_text())
    return run_batch(
        [articles],
        BatchOptions(
            output_dir=tmp_path / "out",
            jobs=1,
            cache=CacheOptions(directory=tmp_path / "cache"),
            check=True,
            checker=checker,
            **options,
        ),
        synthesizer_factory=fake.factory,
    )


class ByTitle:
    """A checker that flags sentence 2 of the ferry article every time, and nothing else."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    def __call__(self, script: Script, mp3: Path) -> CheckReport:
        self.heard.append(script.title)
        wrong = [2] if script.title.startswith("Ferry") else []
        return FakeChecker(wrong)(script, mp3)


def test_a_batch_episode_still_flagged_stays_out_of_the_feed(tmp_path: Path) -> None:
    checker = ByTitle()
    report = _batch(tmp_path, checker)
    states = {Path(e.source).name: e.state for e in report.episodes}
    assert states == {"ferry.txt": "flagged", "library.txt": "made"}
    assert report.flagged[0].healed == (2,) and "kept out of the feed" in report.flagged[0].message
    out = tmp_path / "out"
    assert (out / "ferry-timetable-changes.mp3").is_file()  # kept in the folder, for a listen
    assert _titles(out) == ["Town Libraries Cut Opening Hours as Heating Costs Bite"]
    record = next(r for r in Manifest.load(out).records if r.source == "ferry.txt")
    assert record.held and "sentence 2 cut short" in record.flagged
    rebuild_feed(out)  # `narrate feed DIR` keeps it out too
    assert _titles(out) == ["Town Libraries Cut Opening Hours as Heating Costs Bite"]
    surveyed = {
        s.path.name: s
        for s in survey(
            [tmp_path / "in"],
            BatchOptions(output_dir=out),
            synthesizer_factory=FakeVoice(per_char=0.01),
        )
    }
    assert surveyed["ferry.txt"].state == "failed" and "kept out of the feed" in surveyed["ferry.txt"].error
    assert surveyed["library.txt"].state == "made"
    # the next run makes the held episode again (its bad clip was evicted) and leaves the other alone
    checker.heard.clear()
    again = _batch(tmp_path, checker)
    assert {Path(e.source).name: e.state for e in again.episodes} == {
        "ferry.txt": "flagged",
        "library.txt": "unchanged",
    }
    assert checker.heard == ["Ferry Timetable Changes"] * 2


def test_publish_flagged_puts_it_in_the_feed_and_records_the_flags(tmp_path: Path) -> None:
    report = _batch(tmp_path, ByTitle(), publish_flagged=True)
    assert {Path(e.source).name: e.state for e in report.episodes} == {
        "ferry.txt": "made",
        "library.txt": "made",
    }
    assert "heard wrong" in next(e.message for e in report.episodes if e.source.endswith("ferry.txt"))
    assert _titles(tmp_path / "out") == [
        "Ferry Timetable Changes",
        "Town Libraries Cut Opening Hours as Heating Costs Bite",
    ]
    record = next(r for r in Manifest.load(tmp_path / "out").records if r.source == "ferry.txt")
    assert record.flagged and not record.held


def test_cli_batch_exit_code_and_summary_for_a_held_episode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeSynthesizer(per_char=0.01)  # tones: the real recogniser hears no word, every sentence flagged
    article = _article(tmp_path)
    code = cli.main(["batch", str(article), "-o", str(tmp_path / "out"), "-q", "--check", "--jobs", "1",
                     "--cache-dir", str(tmp_path / "cache")], synthesizer_factory=fake.factory)  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "still heard wrong after healing, kept out of the feed" in captured.err
    assert _titles(tmp_path / "out") == []
    code = cli.main(["batch", str(article), "-o", str(tmp_path / "out2"), "-q", "--check", "--jobs", "1",
                     "--publish-flagged", "--cache-dir", str(tmp_path / "cache")],
                    synthesizer_factory=fake.factory)  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and "published anyway" in out[1]
    assert _titles(tmp_path / "out2") == ["Ferry Timetable Changes"]


def test_a_voice_that_cannot_be_heard_is_noted_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeSynthesizer(per_char=0.01)
    code = cli.main(["batch", str(_article(tmp_path)), "-o", str(tmp_path / "out"), "-q", "--jobs", "1"],
                    synthesizer_factory=fake.factory)  # fmt: skip
    assert code == 0
    assert "narrate: note: episodes are not verified" in capsys.readouterr().err
    code = cli.main(["batch", str(_article(tmp_path)), "-o", str(tmp_path / "out"), "-q", "--no-check"],
                    synthesizer_factory=fake.factory)  # fmt: skip
    assert code == 0 and "not verified" not in capsys.readouterr().err


# --- the real voice, damaged on purpose, and the real recogniser ----------------------------------

LIBRARY = ROOT / "examples" / "library-hours.txt"
DAMAGED_WORDS = "free computers"  # in one long sentence of the library article


class DamageSome:
    """A SynthesizerFactory: the real voice, except that the sentence holding `words` comes out garbled
    (played backwards) the first `times` times it is made."""

    def __init__(self, times: int, words: str = DAMAGED_WORDS) -> None:
        self.words, self.left, self.damaged = words, times, 0

    def __call__(self, settings: VoiceSettings, threads: int = 0) -> _Damaging:
        quiet = dataclasses.replace(settings, noise_scale=0.0, noise_w_scale=0.0)  # deterministic
        return _Damaging(piper_synthesizer(quiet, threads), self)


class _Damaging:
    def __init__(self, voice: Any, plan: DamageSome) -> None:
        self.voice, self.plan = voice, plan

    def __getattr__(self, name: str) -> Any:  # rate, identity, load, note: the real voice's
        return getattr(self.voice, name)

    def synthesize_words(self, text: str) -> Voiced:
        voiced = self.voice.synthesize_words(text)
        if self.plan.words not in text or self.plan.left <= 0:
            return voiced
        self.plan.left -= 1
        self.plan.damaged += 1
        # played backwards: the length, level and phonemes of speech (the plausibility gate passes it,
        # as it passes a clip a glitching voice garbled) but no words a listener or a recogniser hears
        return dataclasses.replace(voiced, samples=np.array(voiced.samples[::-1]))

    def synthesize(self, text: str) -> np.ndarray:
        return self.synthesize_words(text).samples


def _damaged_number(script: Script) -> int:
    return next(i + 1 for i, s in enumerate(script.sentences) if DAMAGED_WORDS in s.spoken)


def _real_checker() -> Callable[[Script, Path], CheckReport]:
    from narrate.verify.check import check_episode

    return lambda script, mp3: check_episode(script, mp3, jobs=2)


@pytest.mark.voice
def test_real_a_clip_damaged_once_is_heard_healed_and_heard_clean(tmp_path: Path) -> None:
    voice = DamageSome(times=1)
    result = narrate_article(
        LIBRARY,
        NarrationOptions(
            output=tmp_path / "ep.mp3",
            jobs=1,
            cache=CacheOptions(directory=tmp_path / "cache"),
            check=_real_checker(),
        ),
        synthesizer_factory=voice,
    )
    assert voice.damaged == 1
    assert _damaged_number(result.script) in result.healed  # the first hearing flagged it
    assert result.check is not None and result.check.ok, result.check.to_dict()


@pytest.mark.voice
def test_real_batch_heals_a_damaged_episode_and_holds_one_that_stays_damaged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    once, always = DamageSome(times=1), DamageSome(times=1000)
    for name, voice in (("once", once), ("always", always)):
        code = cli.main(
            ["batch", str(LIBRARY), "-o", str(tmp_path / name), "--jobs", "1", "-q",
             "--cache-dir", str(tmp_path / f"cache-{name}")],
            synthesizer_factory=voice,
        )  # fmt: skip
        out = capsys.readouterr().out
        titles = _titles(tmp_path / name)
        if name == "once":
            assert code == 0, out
            assert titles == ["Town Libraries Cut Opening Hours as Heating Costs Bite"]
            assert "ok (sentence" in out and "heard wrong and made again" in out
        else:
            assert code == 1, out
            assert titles == []
            assert (tmp_path / name / "town-libraries-cut-opening-hours-as-heating-costs-bite.mp3").is_file()
            manifest = json.loads((tmp_path / name / ".narrate-manifest.json").read_text())
            assert manifest["episodes"][0]["held"] is True
    assert (once.damaged, always.damaged) == (1, 2)


_WITHOUT_EXTRA = """
import sys
sys.modules["pocketsphinx"] = None  # as if narrate[check] were not installed
from narrate import cli
from narrate.audio.synth import FakeSynthesizer

class Speaking(FakeSynthesizer):
    speaks = True  # a voice the recogniser could hear, were it installed

voice = Speaking(per_char=0.01)
sys.exit(cli.main(sys.argv[1:], synthesizer_factory=voice.factory))
"""


def test_without_the_check_extra_a_batch_says_once_that_it_is_not_verified(tmp_path: Path) -> None:
    import subprocess
    import sys

    article = _article(tmp_path)
    argv = ["batch", str(article), "-o", str(tmp_path / "out"), "--jobs", "1", "-q"]
    done = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRA, *argv], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    note = "narrate: note: episodes are not verified (the check extra hears them): "
    note += "pip install 'narrate-news[check]'"
    assert done.stderr.count(note) == 1, done.stderr
    assert _titles(tmp_path / "out") == ["Ferry Timetable Changes"]
    argv = ["batch", str(article), "-o", str(tmp_path / "out2"), "--jobs", "1", "-q", "--check"]
    done = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRA, *argv], capture_output=True, text=True)
    assert done.returncode == 2 and "narrate-news[check]" in done.stderr and not (tmp_path / "out2").exists()
