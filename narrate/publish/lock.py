"""One writer per output folder, across processes and machines: an exclusive lock file naming its owner."""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

from ..atomic import HOST, process_alive
from ..errors import OutputError

LOCK_NAME = ".narrate-batch.lock"


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold DIR's lock while the block runs: two batches would race on the manifest and the file names.

    The lock is a file created exclusively (O_EXCL, which NFS honours, unlike flock) holding the owner's
    host and pid. A lock left by a dead process on this host is taken over; one from another host is
    only reported, since its owner's liveness cannot be known from here.
    """
    path = folder / LOCK_NAME
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            _take_over_if_stale(path, folder)
            continue
        except OSError as exc:
            raise OutputError(f"cannot lock {folder} ({exc.strerror or exc}): check the folder") from None
        with os.fdopen(fd, "w") as handle:
            json.dump({"host": HOST, "pid": os.getpid()}, handle)
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return
    raise OutputError(f"cannot lock {folder}: its lock file keeps coming back; check {path}")


def _take_over_if_stale(path: Path, folder: Path) -> None:
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
        host, pid = str(owner["host"]), int(owner["pid"])
    except FileNotFoundError:
        return  # released in the meantime: try again
    except (OSError, ValueError, KeyError, TypeError):
        host, pid = "", 0  # unreadable (a crash while writing it): treat as stale after a check below
    if host and host != HOST:
        raise OutputError(
            f"a narrate batch on {host} (pid {pid}) is writing to {folder}: wait for it; if it is no "
            f"longer running, delete {path}"
        )
    if pid and process_alive(pid):
        raise OutputError(
            f"another narrate batch (pid {pid}) is writing to {folder}: wait for it, or use another -o"
        )
    try:
        path.unlink()  # its owner died without releasing it
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise OutputError(f"cannot remove the stale lock {path} ({exc.strerror}): delete it") from None
