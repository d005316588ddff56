"""Faults: killed or interrupted runs leave nothing at the output path and no temp files in output/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from narrate.encode import remove_stale_partials

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"

# A narrate run through the CLI whose fake voice is slow, so we can stop it mid-synthesis.
_SLOW_RUN = """
import sys, time
from narrate import cli, pipeline
from narrate.synth import FakeSynthesizer

class Slow(FakeSynthesizer):
    def synthesize(self, text):
        print("synth", flush=True)
        time.sleep(0.2)
        return super().synthesize(text)

pipeline.make_synthesizer = lambda *a, **k: Slow()
sys.exit(cli.main(sys.argv[1:]))
"""


def _start(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _SLOW_RUN, str(SAMPLE), "--output-dir", str(out), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_synthesis(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    for _ in range(3):
        assert proc.stdout.readline().strip() == b"synth"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_stopped_run_leaves_no_output(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.mp3").write_bytes(b"keep me")
    proc = _start(out)
    try:
        _wait_for_synthesis(proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert sorted(os.listdir(out)) == ["previous.mp3"]
    assert (out / "previous.mp3").read_bytes() == b"keep me"
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert b"interrupted" in err and b"Traceback" not in err
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
        assert b"terminated" in err and b"Traceback" not in err


def test_stale_partials_from_dead_processes_are_swept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".ep.mp3.{dead.pid}.abc123.partial"
    live = tmp_path / f".ep.mp3.{os.getpid()}.def456.partial"
    other = tmp_path / "notes.partial"
    for path in (stale, live, other):
        path.write_bytes(b"x")
    time.sleep(0.01)
    remove_stale_partials(tmp_path)
    assert not stale.exists()
    assert live.exists() and other.exists()
