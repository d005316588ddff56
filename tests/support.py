"""Helpers more than one test module needs: run the CLI on a fake voice, copy the bundled examples."""

from __future__ import annotations

import os
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


# --- the process table (Linux /proc): who started whom, who is still running ----------------------


def parents() -> dict[int, int]:
    """pid -> parent pid for every process, read from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            table[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return table


def descendants(root: int) -> set[int]:
    """Every process below `root`, at any depth."""
    table = parents()
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (a zombie has exited; only its dead parent could reap it)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running
