"""Faults: killed or interrupted runs leave nothing at the output path and no temp files in output/."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, cast

import pytest
from support import alive, descendants

from narrate.atomic import HOST, remove_stale_partials

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"

# A narrate run through the CLI whose fake voice is slow, so we can stop it mid-synthesis.
_SLOW_RUN = """
import sys, time
from narrate import cli
from narrate.audio.synth import FakeSynthesizer

def slow(text):
    print("synth", flush=True)
    time.sleep(0.2)

sys.exit(cli.main(sys.argv[1:], synthesizer_factory=FakeSynthesizer(handler=slow).factory))
"""


def _start(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _SLOW_RUN, str(SAMPLE), "--output-dir", str(out), "--quiet", "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_synthesis(proc: subprocess.Popen[bytes]) -> None:
    stdout = cast(IO[bytes], proc.stdout)  # _start and the callers open it with stdout=PIPE
    assert [stdout.readline() for _ in range(3)] == [b"synth\n"] * 3


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
from narrate.audio.cache import CacheOptions  # noqa: E402
from narrate.audio.synth import FakeSynthesizer  # noqa: E402
from narrate.errors import EncodeError, OutputError  # noqa: E402
from narrate.pipeline import NarrationOptions, narrate_article  # noqa: E402


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
            SAMPLE,
            NarrationOptions(output=out / "ep.mp3", cache=CacheOptions(use=False)),
            synthesizer=FakeSynthesizer(per_char=0.01),
        )
    assert sorted(os.listdir(out)) == ["ep.mp3"]
    assert (out / "ep.mp3").read_bytes() == b"previous"


def test_disk_full_keeps_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def full(path: Path, tag: bytes, audio_path: Path) -> None:
        path.write_bytes(tag[:100])  # half a file, then the disk fills
        raise OSError(errno.ENOSPC, "No space left on device")

    # Patched: a full disk cannot be made on demand without root (a small tmpfs) or without filling the
    # test machine's own disk; /dev/full cannot be the folder the MP3 is staged in. The patch fails the
    # very write that copies the encoded audio behind its tag, half-way, as ENOSPC would.
    monkeypatch.setattr(encode, "_write_tagged", full)
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"previous")
    with pytest.raises(OutputError, match="No space left on device; free some space"):
        narrate_article(
            SAMPLE,
            NarrationOptions(output=target, cache=CacheOptions(use=False)),
            synthesizer=FakeSynthesizer(per_char=0.01),
        )
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["ep.mp3"]


def test_output_folder_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_bytes(b"")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        narrate_article(
            SAMPLE,
            NarrationOptions(output=blocker / "ep.mp3", cache=CacheOptions(use=False)),
            synthesizer=FakeSynthesizer(per_char=0.01),
        )


def test_existing_output_is_replaced_not_truncated(tmp_path: Path) -> None:
    target = tmp_path / "ep.mp3"
    target.write_bytes(b"previous episode")
    with open(target, "rb") as reader:  # a podcast server streaming the old file meanwhile
        narrate_article(
            SAMPLE,
            NarrationOptions(output=target, cache=CacheOptions(use=False)),
            synthesizer=FakeSynthesizer(per_char=0.01),
        )
        assert reader.read() == b"previous episode"
    assert target.read_bytes()[:3] == b"ID3"


def test_no_shell_and_hostile_titles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from audio_tools import FFMPEG
    from mutagen.id3 import ID3

    # an ffmpeg that writes down who started it and the arguments it was given, one a line, then is the
    # real one
    argv_log = tmp_path / "argv.txt"
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        f"open({str(argv_log)!r}, 'a').write('\\n'.join([str(os.getppid()), *sys.argv[1:]]) + '\\n')\n"
        f"os.execv({FFMPEG!r}, [{FFMPEG!r}, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("NARRATE_FFMPEG", str(wrapper))
    title = 'Rates $(touch pwned) `id`; rm -rf ~ \\ "quoted" = # ;'
    article = tmp_path / "a.txt"
    article.write_text(f"Title: {title}\n\nBody text here.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # the output's own name reaches ffmpeg (it encodes into a partial named after it): a shell would run it
    hostile = tmp_path / "out" / "$(touch pwned) `touch pwned2`; 'q' \"x\".mp3"
    result = narrate_article(
        article,
        NarrationOptions(output=hostile, cache=CacheOptions(use=False)),
        synthesizer=FakeSynthesizer(per_char=0.01),
    )
    assert str(ID3(result.path)["TIT2"]) == title
    assert result.path == hostile and hostile.is_file()
    parent, *given = argv_log.read_text(encoding="utf-8").splitlines()
    assert int(parent) == os.getpid()  # started by narrate itself, not by a shell in between
    staged = [arg for arg in given if arg.endswith(".partial")]
    assert len(staged) == 1 and Path(staged[0]).parent == hostile.parent
    assert Path(staged[0]).name.startswith(f".{hostile.name}.")  # the name arrived as one argument, intact
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    # named from the title, the episode stays in its folder
    named = narrate_article(
        article,
        NarrationOptions(output_dir=tmp_path / "out", cache=CacheOptions(use=False)),
        synthesizer=FakeSynthesizer(per_char=0.01),
    )
    assert named.path == tmp_path / "out" / "rates-touch-pwned-id-rm-rf-quoted.mp3"
    assert not (tmp_path / "pwned").exists()


@pytest.mark.slow
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


# --- a killed parent leaves no orphans (issue 11) ----------------------------------------------------


def _ffmpeg_in(pids: set[int]) -> bool:
    for pid in pids:
        with contextlib.suppress(OSError):
            if b"ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]:
                return True
    return False


def _commands(pids: set[int]) -> dict[int, str]:
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    return found


def _extra_pipes(pid: int) -> list[str]:
    """The pipes a process holds beyond its standard input, output and error (ffmpeg reads `pipe:` through
    a copy of its stdin: the same pipe)."""
    held: dict[int, str] = {}
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                held[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
    own = {held.get(fd) for fd in (0, 1, 2)}
    return [f"{fd} -> {t}" for fd, t in held.items() if fd > 2 and t.startswith("pipe:") and t not in own]


@pytest.mark.voice
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("command", ["narrate", "batch"])
def test_a_killed_run_leaves_nothing_behind_and_its_only_children_are_ffmpeg(
    tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    args = [str(ROOT / "examples")] if command == "batch" else [str(SAMPLE)]
    argv = ["batch", *args, "-o", str(out)] if command == "batch" else [*args, "--output-dir", str(out)]
    argv += ["--jobs", "2", "--cache-dir", str(tmp_path / "cache"), "-q"]
    log = tmp_path / "stderr.txt"
    family: set[int] = set()
    with open(log, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "narrate", *argv], stderr=stderr)
    try:
        # wait until the voice is speaking (two synthesis threads) and an ffmpeg is encoding
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not _ffmpeg_in(family):
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
            family |= descendants(proc.pid)
        assert _ffmpeg_in(family), f"no ffmpeg appeared: {family}"
        time.sleep(1.0)  # well into synthesis
        family |= descendants(proc.pid)
        # threads, not worker processes: narrate's only children are its ffmpeg encoders
        others = {pid: c for pid, c in _commands(alive(family)).items() if "ffmpeg" not in Path(c).name}
        assert not others, f"children other than ffmpeg: {others}"
        # and each holds no pipe but its own stdin and stderr (another's stdin would keep it from ending)
        for pid in alive(family):
            assert _extra_pipes(pid) == [], _commands({pid})
        proc.kill()
        proc.wait()
        # an orphaned ffmpeg sees the end of its input (nothing else holds its pipe) and exits
        deadline = time.monotonic() + 5
        while alive(family) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(family), f"still running after 5 s: {_commands(alive(family))}"
    finally:
        proc.kill()
        for pid in alive(family | descendants(proc.pid)):  # orphans, had the test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


_FORK_WATCH = """
import json, os, sys
forks = []
os.register_at_fork(before=lambda: forks.append(os.getpid()))  # os.fork(), not subprocess's fork+exec
from narrate import cli
from narrate.audio.synth import FakeVoice
code = cli.main(sys.argv[2:], synthesizer_factory=FakeVoice(per_char=0.004, base=0.05))
with open(sys.argv[1], "w") as out:
    json.dump(forks, out)
sys.exit(code)
"""


@pytest.mark.parametrize("command", ["narrate", "batch"])
def test_nothing_forks_a_copy_of_narrate(tmp_path: Path, command: str) -> None:
    import pty

    # a terminal, so the progress display is drawn, with its refresh thread (off when not a terminal)
    master, slave = pty.openpty()
    out = tmp_path / "out"
    if command == "batch":
        argv = ["batch", str(ROOT / "examples"), "-o", str(out)]
    else:
        argv = [str(SAMPLE), "-o", str(out / "e.mp3")]
    argv += ["--jobs", "2", "--no-cache"]
    log = tmp_path / "forks.json"
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-c", _FORK_WATCH, str(log), *argv], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    drawn = b""
    with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
        while chunk := os.read(master, 65536):
            drawn += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0, drawn.decode(errors="replace")[-2000:]
    # a forked copy of narrate would inherit its threads' state and ffmpeg's input pipe (issue 23)
    assert json.loads(log.read_text()) == []
    assert b"\x1b[" in drawn  # the progress display really was drawn on the terminal


# --- disk: where the big temporary files go, and a programme that cannot fit (issue 11) ------------


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads open files from /proc")
def test_spool_and_staged_mp3_sit_beside_the_output_not_in_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from narrate.pipeline import load_script

    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # what $TMPDIR would make it
    out = tmp_path / "out"
    script = load_script(SAMPLE)
    open_files: list[str] = []  # what narrate holds open while the last sentence is synthesised

    def watch(text: str) -> None:
        if text == script.sentences[-1].spoken:
            for fd in os.listdir("/proc/self/fd"):
                with contextlib.suppress(OSError):
                    open_files.append(os.readlink(f"/proc/self/fd/{fd}"))

    synth = FakeSynthesizer(per_char=0.02, handler=watch)
    narrate_article(
        SAMPLE,
        NarrationOptions(output_dir=out, cache=CacheOptions(use=False)),
        synthesizer=synth,
    )
    # by the last sentence the spool holds most of the programme and ffmpeg is encoding the MP3
    ours = [f for f in open_files if f.startswith(("/", "."))]
    assert not [f for f in ours if f.startswith(str(tmp))], ours
    assert any(f.startswith(str(out)) for f in ours), ours  # the spool (an unnamed file in out/)
    assert sorted(os.listdir(out)) == ["water-bills-rise-again-as-leaks-go-unfixed.mp3"]


def test_a_programme_that_will_not_fit_fails_before_synthesis(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    seen: list[Path] = []

    def nearly_full(folder: Path) -> int:
        seen.append(folder)
        return 5_000_000  # 5 MB free

    with pytest.raises(OutputError, match="MB free but this programme") as err:
        narrate_article(
            SAMPLE,
            NarrationOptions(output_dir=tmp_path / "out"),
            synthesizer=synth,
            free_space=nearly_full,
        )
    assert err.value.exit_code == 4 and "free some space" in str(err.value)
    assert synth.calls == [] and seen == [tmp_path / "out"]
    assert list((tmp_path / "out").iterdir()) == []


_SLOW_BATCH = """
import os, sys, time
from narrate import cli
from narrate.audio.synth import FakeSynthesizer

from narrate.audio.synth import FakeVoice

def slow(text):
    os.write(1, b"synth\\n")  # one write per line: two workers share this pipe
    time.sleep(0.3)

sys.exit(cli.main(sys.argv[1:], synthesizer_factory=FakeVoice(per_char=0.002, handler=slow)))
"""


def test_ctrl_c_stops_a_local_batch_at_the_next_sentence(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_BATCH, "batch", str(ROOT / "examples"), "-o", str(out), "--jobs", "2",
         "--no-cache", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    stdout = cast(IO[bytes], proc.stdout)
    try:
        for _ in range(4):  # both workers are synthesising
            assert stdout.readline() == b"synth\n"
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:  # a failed assertion above must not leave the batch running or its pipes open
        proc.kill()
        proc.wait()
        stdout.close()
        cast(IO[bytes], proc.stderr).close()
    # each of the two running articles finished at most the sentence in hand, then stopped
    assert rest.count(b"synth") <= 2, rest
    assert proc.returncode == 130
    assert err.decode().splitlines()[-1].startswith("narrate: interrupted: 0 episodes made")
    assert not list(out.glob("*.mp3")) and not [p for p in os.listdir(out) if p.endswith(".partial")]
