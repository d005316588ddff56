"""The output folder's lock: never held twice, stale locks taken over once, release removes only its own."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from narrate.atomic import HOST
from narrate.errors import OutputError
from narrate.publish.lock import LOCK_NAME, folder_lock


def _contend(folder: str, rounds: int, start: float, out: multiprocessing.Queue) -> None:
    """Take the lock `rounds` times; inside it, claim a marker file exclusively (fails if two hold it)."""
    while time.time() < start:
        pass
    held = overlaps = 0
    marker = Path(folder) / "inside"
    while held < rounds:
        try:
            with folder_lock(Path(folder)):
                try:
                    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
                except FileExistsError:
                    overlaps += 1  # someone else is inside the lock too
                    continue
                os.close(fd)
                held += 1
                os.unlink(marker)
        except OutputError:
            continue  # held by the other: try again
    out.put(overlaps)


def test_two_contenders_never_hold_the_lock_at_once(tmp_path: Path) -> None:
    # Before: the lock file was created empty and then written; a contender reading it in between took it
    # for a crash's leftover, deleted it and took the lock too, and the first holder's release deleted the
    # second's lock. 4 processes x 300 rounds overlapped hundreds of times on the old code (about 2 s).
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = ctx.Queue()
    start = time.time() + 0.5
    procs = [ctx.Process(target=_contend, args=(str(tmp_path), 300, start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    overlaps = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert overlaps == [0, 0, 0, 0]
    assert not (tmp_path / LOCK_NAME).exists()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".partial")]


def test_a_live_owner_is_named_and_its_lock_kept(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / LOCK_NAME).write_text(json.dumps({"host": HOST, "pid": holder.pid}))
        with pytest.raises(OutputError, match=f"another narrate batch \\(pid {holder.pid}\\) is writing"):
            with folder_lock(tmp_path):
                pass
        assert (tmp_path / LOCK_NAME).exists()
    finally:
        holder.kill()
        holder.wait()


def test_another_hosts_lock_is_reported_not_removed(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(json.dumps({"host": "elsewhere-9", "pid": 1234}))
    with pytest.raises(OutputError, match="a narrate batch on elsewhere-9 \\(pid 1234\\)"):
        with folder_lock(tmp_path):
            pass
    assert json.loads((tmp_path / LOCK_NAME).read_text())["host"] == "elsewhere-9"


def test_a_dead_owners_lock_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"host": HOST, "pid": dead.pid}))
    with folder_lock(tmp_path):
        owner = json.loads((tmp_path / LOCK_NAME).read_text())
        assert (owner["host"], owner["pid"]) == (HOST, os.getpid())
    assert not (tmp_path / LOCK_NAME).exists()


def test_an_empty_young_lock_is_not_taken_for_a_crash(tmp_path: Path) -> None:
    # an older narrate creates its lock, then writes it: a young empty lock may be live
    (tmp_path / LOCK_NAME).write_bytes(b"")
    with pytest.raises(OutputError, match="another narrate batch is starting"):
        with folder_lock(tmp_path):
            pass
    old = time.time() - 3600
    os.utime(tmp_path / LOCK_NAME, (old, old))
    with folder_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_release_leaves_a_lock_that_is_not_its_own(tmp_path: Path) -> None:
    with folder_lock(tmp_path):
        # someone removed our lock (by hand) and another batch took the folder
        (tmp_path / LOCK_NAME).unlink()
        (tmp_path / LOCK_NAME).write_text(json.dumps({"host": HOST, "pid": os.getppid(), "token": "theirs"}))
    assert json.loads((tmp_path / LOCK_NAME).read_text())["token"] == "theirs"
