"""Faults: killed or interrupted runs leave nothing at the output path and no temp files in output/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from narrate.atomic import HOST, remove_stale_partials

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"

# A narrate run through the CLI whose fake voice is slow, so we can stop it mid-synthesis.
_SLOW_RUN = """
import sys, time
from narrate import cli
from narrate.audio.synth import FakeSynthesizer

class Slow(FakeSynthesizer):
    def synthesize(self, text):
        print("synth", flush=True)
        time.sleep(0.2)
        return super().synthesize(text)

sys.exit(cli.main(sys.argv[1:], synthesizer_factory=Slow().factory))
"""


def _start(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _SLOW_RUN, str(SAMPLE), "--output-dir", str(out), "--quiet", "--jobs", "1"],
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
    stale = tmp_path / f".ep.mp3.{HOST}.{dead.pid}.abc123.partial"
    live = tmp_path / f".ep.mp3.{HOST}.{os.getpid()}.def456.partial"
    # another machine writing into a shared folder: its pid means nothing here, so it is never swept
    elsewhere = tmp_path / f".ep.mp3.other-host-7.{dead.pid}.fed789.partial"
    other = tmp_path / "notes.partial"
    for path in (stale, live, elsewhere, other):
        path.write_bytes(b"x")
    time.sleep(0.01)
    remove_stale_partials(tmp_path)
    assert not stale.exists()
    assert live.exists() and elsewhere.exists() and other.exists()


# --- ffmpeg and the output folder failing ------------------------------------------------------

from narrate.audio import encode  # noqa: E402
from narrate.audio.synth import FakeSynthesizer  # noqa: E402
from narrate.errors import EncodeError, OutputError  # noqa: E402
from narrate.pipeline import narrate_article  # noqa: E402


def _fake_ffmpeg(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "ffmpeg"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("echo 'Unknown encoder libmp3lame' >&2; exit 1", "Unknown encoder libmp3lame"),
        ("head -c 1000 >/dev/null; kill -9 $$", "ffmpeg failed"),
    ],
)
def test_ffmpeg_failing_or_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, message: str
) -> None:
    monkeypatch.setenv("NARRATE_FFMPEG", str(_fake_ffmpeg(tmp_path, body)))
    out = tmp_path / "out"
    out.mkdir()
    (out / "ep.mp3").write_bytes(b"previous")
    with pytest.raises(EncodeError, match=message):
        narrate_article(
            SAMPLE, output=out / "ep.mp3", synthesizer=FakeSynthesizer(per_char=0.01), use_cache=False
        )
    assert sorted(os.listdir(out)) == ["ep.mp3"]
    assert (out / "ep.mp3").read_bytes() == b"previous"


def test_disk_full_keeps_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def full(path: Path, tag: bytes, audio_path: Path) -> None:
        path.write_bytes(tag[:100])  # half a file, then the disk fills
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(encode, "_write_tagged", full)
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"previous")
    with pytest.raises(OutputError, match="No space left on device; free some space"):
        narrate_article(SAMPLE, output=target, synthesizer=FakeSynthesizer(per_char=0.01), use_cache=False)
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["ep.mp3"]


def test_output_folder_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_bytes(b"")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        narrate_article(
            SAMPLE, output=blocker / "ep.mp3", synthesizer=FakeSynthesizer(per_char=0.01), use_cache=False
        )


def test_existing_output_is_replaced_not_truncated(tmp_path: Path) -> None:
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"previous episode")
    with open(target, "rb") as reader:  # a podcast server streaming the old file meanwhile
        narrate_article(SAMPLE, output=target, synthesizer=FakeSynthesizer(per_char=0.01), use_cache=False)
        assert reader.read() == b"previous episode"
    assert target.read_bytes()[:3] == b"ID3"


def test_no_shell_and_hostile_titles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess as sp

    from mutagen.id3 import ID3

    calls: list[object] = []
    real_popen = sp.Popen

    class Spy(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args, *a, **k):  # type: ignore[no-untyped-def]
            calls.append(args)
            assert not k.get("shell"), "a shell was invoked"
            assert isinstance(args, list)
            super().__init__(args, *a, **k)

    monkeypatch.setattr(sp, "Popen", Spy)
    title = 'Rates $(touch pwned) `id`; rm -rf ~ \\ "quoted" = # ;\nnext'
    article = tmp_path / "a.txt"
    article.write_text(f"Title: {title.splitlines()[0]}\n\nBody text here.\n", encoding="utf-8")
    result = narrate_article(
        article, output_dir=tmp_path / "out", synthesizer=FakeSynthesizer(per_char=0.01), use_cache=False
    )
    assert calls, "ffmpeg was not run through subprocess"
    assert str(ID3(result.path)["TIT2"]) == title.splitlines()[0]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert result.path.parent == tmp_path / "out"


def test_run_after_a_kill_reuses_finished_sentences(tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = [
        sys.executable,
        "-c",
        _SLOW_RUN,
        str(SAMPLE),
        "--output-dir",
        str(out),
        "--quiet",
        "--jobs",
        "1",
        "--cache-dir",
        str(cache),
    ]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_synthesis(first)
        time.sleep(1.0)
    finally:
        first.kill()
        first.communicate(timeout=30)
    second = subprocess.run(args, capture_output=True, timeout=300)
    assert second.returncode == 0, second.stderr
    synthesised_again = second.stdout.count(b"synth\n")
    from narrate.pipeline import load_script

    total = len(load_script(SAMPLE).sentences)
    assert 0 < synthesised_again <= total - 3
    assert len(list(out.glob("*.mp3"))) == 1
