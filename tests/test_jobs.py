"""Episode jobs that stop between sentences when told, and refuse a voice other than the plan's."""

from __future__ import annotations

import re
from pathlib import Path

from narrate.audio.cache import CacheOptions
from narrate.audio.synth import FakeSynthesizer
from narrate.batch import EpisodeJob, run_episode
from narrate.pipeline import load_script
from narrate.profile import load_profile

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def job(tmp_path: Path, synth: FakeSynthesizer, **changes: object) -> EpisodeJob:
    profile = load_profile()
    return EpisodeJob(
        name="water-bills.md",
        script=load_script(EXAMPLES / "water-bills.md", profile),
        slug="water-bills",
        profile=profile,
        output_dir=str(tmp_path / "out"),
        synthesizer_factory=synth.factory,
        **changes,  # type: ignore[arg-type]
        cache=CacheOptions(directory=str(tmp_path / "cache")),
    )


def test_a_job_told_to_stop_ends_at_the_next_sentence_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    synth = FakeSynthesizer(per_char=0.008, base=0.1)
    outcome = run_episode(job(tmp_path, synth), should_stop=lambda: len(synth.calls) >= 3)
    assert not outcome.ok
    # the render stops at whichever sentence it reached (the synthesis thread works ahead of it)
    assert re.fullmatch(r"cancelled before sentence [1-4] of 21: re-run to resume", outcome.error)
    assert len(synth.calls) == 3  # no sentence spoken after the stop was seen
    assert list((tmp_path / "out").iterdir()) == []  # no MP3, no partial file, no sidecar


def test_a_job_never_told_to_stop_is_made(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    synth = FakeSynthesizer(per_char=0.008, base=0.1)
    outcome = run_episode(job(tmp_path, synth), should_stop=lambda: False)
    assert outcome.ok, outcome.error
    assert (tmp_path / "out" / "water-bills.mp3").stat().st_size > 10_000


def test_a_worker_whose_voice_differs_from_the_plan_refuses_the_job(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    synth = FakeSynthesizer(per_char=0.008, base=0.1)
    planned = FakeSynthesizer(per_char=0.009, base=0.1).identity()  # the client's voice, not this one
    outcome = run_episode(job(tmp_path, synth, voice_identity=planned))
    assert not outcome.ok and "install the same voice files on every worker" in outcome.error
    assert synth.calls == [] and list((tmp_path / "out").iterdir()) == []
    assert run_episode(job(tmp_path, synth, voice_identity=synth.identity())).ok
