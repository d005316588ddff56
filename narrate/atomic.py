"""Atomic output: write beside the target, give it the usual file mode, then rename it into place."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

# This machine's name as it appears in partial and lock files (letters, digits and hyphens only).
HOST = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname()).strip("-")[:63] or "localhost"

# `.<target name>.<host>.<pid>.<random>.partial`: host and pid let a later run sweep what a killed run on
# this machine left, and never touch what another machine is writing into a shared folder
_PARTIAL = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[^.]+\.partial$")


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once at import, before any threads start
    current = os.umask(0o022)
    os.umask(current)
    return current


_UMASK = _read_umask()


@contextlib.contextmanager
def partial_beside(target: Path) -> Iterator[Path]:
    """A hidden temp file beside the target, named with host and pid; removed unless renamed into place."""
    folder = target.parent
    try:
        prefix = f".{target.name}.{HOST}.{os.getpid()}."
        fd, path = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".partial")
    except OSError as exc:
        raise OutputError(f"cannot write in {folder}: {exc.strerror or exc}; check the folder") from None
    os.close(fd)
    try:
        yield Path(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def publish(partial: Path, target: Path) -> None:
    """Give the finished partial the mode a plain open() would (mkstemp's is owner-only), then rename it."""
    os.chmod(partial, 0o666 & ~_UMASK)
    os.replace(partial, target)


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def writing(target: Path) -> Iterator[Path]:
    """A partial path to write; when the block ends without error it replaces `target` in one step."""
    target = Path(target)
    ensure_folder(target.parent)
    with partial_beside(target) as partial:
        try:
            yield partial
            publish(partial, target)
        except OSError as exc:
            reason = exc.strerror or exc
            raise OutputError(
                f"cannot write {target}: {reason}; free some space or choose another place with -o"
            ) from None


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    with writing(path) as partial, open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return Path(path)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write UTF-8 text beside the target and rename it into place: a reader never sees half a file."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def free_bytes(folder: Path) -> int:
    """Bytes free for us on the file system that holds `folder`."""
    return shutil.disk_usage(folder).free


def remove_stale_partials(folder: Path) -> None:
    """Delete partial files left by narrate processes of this machine that were killed (their pid is gone)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = _PARTIAL.match(name)
        if m is None or m["host"] != HOST or process_alive(int(m["pid"])):
            continue
        with contextlib.suppress(OSError):
            os.unlink(folder / name)


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
