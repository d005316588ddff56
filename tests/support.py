"""Helpers more than one test module needs: run the CLI on a fake voice, copy the bundled examples."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from narrate import cli
from narrate.audio.synth import FakeSynthesizer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], synth: FakeSynthesizer | None = None
) -> tuple[int, str, str]:
    """`narrate ARGS` in this process (on `synth`, else the real voice): exit code, stdout, stderr."""
    code = cli.main(args, synthesizer_factory=synth.factory if synth else None)
    out, err = capsys.readouterr()
    return code, out, err


def copy_examples(folder: Path, names: Iterable[str]) -> Path:
    """A fresh folder holding copies of the named bundled examples."""
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(EXAMPLES / name, folder / name)
    return folder
