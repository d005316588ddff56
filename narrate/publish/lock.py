"""One writer per output folder, across processes and machines: an exclusive lock file naming its owner."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..atomic import HOST, process_alive
from ..errors import OutputError

LOCK_NAME = ".narrate-batch.lock"
# Held (flock, never deleted) while a stale lock is judged and removed: two contenders that both find the
# same dead owner cannot each remove a lock, the second removing the one the first just took.
_BREAK_NAME = ".narrate-batch.lock.break"
# An unreadable lock younger than this may be one a narrate without linked locks is still writing
_UNREADABLE_GRACE = 10.0


@dataclass(frozen=True)
class _Held:
    """The lock file this process linked into place: its inode and token, to release only it."""

    inode: int
    token: str


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold DIR's lock while the block runs: two batches would race on the manifest and the file names.

    The lock file holds its owner's host, pid and a token, written in full to a private file that is then
    hard-linked to the lock name (link fails if the name exists, also on NFS, unlike flock): no contender
    ever sees a lock without its owner. A lock left by a dead process on this host is removed (under a
    second, local lock, so it is removed once); one from another host is only reported, since its owner's
    liveness cannot be known from here. Release removes the lock only while it is still this one.
    """
    path = folder / LOCK_NAME
    for _ in range(5):
        held = _try_take(path, folder)
        if held is None:
            _take_over_if_stale(path, folder)
            continue
        try:
            yield
        finally:
            _release(path, held)
        return
    raise OutputError(f"cannot lock {folder}: its lock file keeps coming back; check {path}")


def _try_take(path: Path, folder: Path) -> _Held | None:
    """Link a complete lock file to `path`; None when a lock is already there."""
    token = secrets.token_hex(8)
    body = json.dumps({"host": HOST, "pid": os.getpid(), "token": token}).encode()
    private = folder / f"{LOCK_NAME}.{HOST}.{os.getpid()}.{token}.partial"  # swept if we are killed
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, body)
            os.fsync(fd)
            inode = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        try:
            os.link(private, path)
        except FileExistsError:
            return None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            return _take_without_links(path, body, token)  # a file system without hard links
        return _Held(inode, token)
    except OSError as exc:
        raise OutputError(f"cannot lock {folder} ({exc.strerror or exc}): check the folder") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(private)


def _take_without_links(path: Path, body: bytes, token: str) -> _Held | None:
    # The file is briefly empty here: a contender treats a young unreadable lock as live (see the grace).
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return None
    try:
        os.write(fd, body)
        return _Held(os.fstat(fd).st_ino, token)
    finally:
        os.close(fd)


def _release(path: Path, held: _Held) -> None:
    """Remove the lock only if it is still the one this process took (never a successor's)."""
    try:
        with open(path, "rb") as handle:
            same = os.fstat(handle.fileno()).st_ino == held.inode
            owner = _parse(handle.read())
    except OSError:
        return
    if same and owner is not None and owner.get("token") == held.token:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _parse(data: bytes) -> dict[str, object] | None:
    try:
        owner = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def _take_over_if_stale(path: Path, folder: Path) -> None:
    """Report a live owner; remove a dead one's lock (under the break lock, and only that very file)."""
    with _break_lock(folder):
        try:
            with open(path, "rb") as handle:
                info = os.fstat(handle.fileno())
                owner = _parse(handle.read())
        except FileNotFoundError:
            return  # released in the meantime: try again
        except OSError as exc:
            raise OutputError(f"cannot read the lock {path} ({exc.strerror}): check the folder") from None
        found = _owner(owner)
        if found is None:
            if time.time() - info.st_mtime < _UNREADABLE_GRACE:
                raise OutputError(
                    f"another narrate batch is starting in {folder}: wait for it, or use another -o"
                ) from None
        host, pid = found or ("", 0)  # unreadable and old: a crash while an older narrate wrote it
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
            if os.stat(path).st_ino == info.st_ino:  # still the dead owner's file: only a breaker replaces it
                path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputError(f"cannot remove the stale lock {path} ({exc.strerror}): delete it") from None


def _owner(owner: dict[str, object] | None) -> tuple[str, int] | None:
    try:
        return str(owner["host"]), int(owner["pid"])  # type: ignore[index, arg-type]
    except (TypeError, KeyError, ValueError):
        return None


@contextlib.contextmanager
def _break_lock(folder: Path) -> Iterator[None]:
    """An flock on a file that is never removed: this host's contenders judge a stale lock one at a time.

    Stale locks are only ever removed for owners on this host, so a host-local lock is enough; the kernel
    releases it when its holder dies, so it can never be left behind.
    """
    try:
        fd = os.open(folder / _BREAK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot lock {folder} ({exc.strerror or exc}): check the folder") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
