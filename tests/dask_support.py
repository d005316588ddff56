"""Synthesiser factories for cluster tests: picklable, importable by spawned workers (tests/ on sys.path)."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from narrate.audio.synth import FakeSynthesizer
from narrate.profile import VoiceSettings


@dataclass(frozen=True)
class TallyVoice:
    """The fake voice, recording each sentence it speaks as a file in `tally` (seen from any process).

    delay: seconds per sentence, so a batch can be interrupted mid-article. exit_on: the worker process
    exits at once (as in a segfault or the OOM killer) on a sentence holding this text, after leaving an
    `exit-*` file, so a test counts how often it was tried.
    """

    tally: str
    delay: float = 0.0
    exit_on: str | None = None

    def __call__(self, settings: VoiceSettings, threads: int = 0) -> FakeSynthesizer:
        return FakeSynthesizer(per_char=0.008, base=0.1, handler=self.record)

    def record(self, text: str) -> None:
        """The fake voice's handler: note the sentence (or die on `exit_on`), then speak the usual tone."""
        folder = Path(self.tally)
        if self.exit_on is not None and self.exit_on in text:
            (folder / f"exit-{os.getpid()}-{uuid.uuid4().hex[:8]}").write_text(text, encoding="utf-8")
            os._exit(70)
        time.sleep(self.delay)
        name = f"{hashlib.sha256(text.encode()).hexdigest()[:12]}-{uuid.uuid4().hex[:8]}"
        (folder / name).write_text(text, encoding="utf-8")


def spoken(tally: Path, word: str = "") -> list[str]:
    """The sentences recorded in `tally` (those holding `word`), crashes not counted."""
    return [
        text
        for p in tally.iterdir()
        if not p.name.startswith("exit-") and word in (text := p.read_text(encoding="utf-8"))
    ]


class OtherNumbers(WorkerPlugin):
    """A worker plugin: workers whose num2words spells numbers differently, as another version of it (or
    of any text package) might. The client's plan is unaffected: it runs in the test's process."""

    name = "narrate-test-other-numbers"

    def setup(self, worker: object) -> None:
        import narrate.text.speech.cardinal as numbers

        self.original = numbers.num2words
        numbers.num2words = lambda n, to="cardinal", **kw: "numero " + self.original(n, to=to, **kw)
        numbers.n2w.cache_clear()

    def teardown(self, worker: object) -> None:
        import narrate.text.speech.cardinal as numbers

        numbers.num2words = self.original
        numbers.n2w.cache_clear()
