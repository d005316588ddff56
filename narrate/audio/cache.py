"""Content-addressed sentence audio on disk: atomic, checksummed, shared safely between processes."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ImplausibleClip, OutputError
from ..models import Said, Voiced, WordTime
from ..profile import default_cache_dir, parse_size
from .gate import verdict
from .synth import Synthesizer, cache_identity

FORMAT_VERSION = 3
"""Bump when the entry layout or what is stored changes: old entries then simply stop matching.
2: the spoken words' sample ranges are stored with the samples.
3: what the clip was asked to say (text, rate, espeak's phonemes, pace), so every read can re-run the
   plausibility gate; entries made before the gate existed are never read again."""

# Entry = header + float32 little-endian samples + UTF-8 JSON {"words": [[word, start, end], ...],
# "said": [text, rate, phonemes, pace] or null}. The header carries the sample count, the JSON's byte
# length and a CRC32 of everything after it, so a truncated or corrupted file is detected and never played.
_MAGIC = b"NRC3"
_HEADER = struct.Struct("<4sQII")  # magic, sample count, JSON byte length, crc32 of samples + JSON
_SUFFIX = ".f32"


def work_dir(cache_dir: Path | str | None = None) -> Path:
    """A folder for a batch job's files before they are sent back: in the cache folder, not in $TMPDIR."""
    return (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / ".work"


DEFAULT_MAX_BYTES = 2_000_000_000  # about 6 hours of 22 kHz speech as float32
_STALE_TMP_S = 3600  # a temporary entry this old was left by a killed writer


def cache_limit(explicit: int | None = None, profile_max: str = "") -> int:
    """The cache's size limit: --cache-max, else $NARRATE_CACHE_MAX, else the profile's, else 2 GB."""
    if explicit is not None:
        return explicit
    for text, where in ((os.environ.get("NARRATE_CACHE_MAX", ""), "NARRATE_CACHE_MAX"), (profile_max, "")):
        if text:
            try:
                return parse_size(text)
            except ValueError as exc:
                if where:
                    raise OutputError(f"{where}: {exc}") from None
                raise
    return DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class CacheOptions:
    """Where sentence audio is cached and how much is kept (--cache-dir, --no-cache, --cache-max)."""

    directory: str | Path | None = None  # None: the user cache
    use: bool = True
    max_bytes: int | None = None  # None: $NARRATE_CACHE_MAX, else the profile's [cache], else 2 GB

    def resolved(self, profile_max: str = "") -> CacheOptions:
        """These options with the size limit decided (see `cache_limit`), as a batch's planner hands them
        to workers whose environment may differ."""
        return dataclasses.replace(self, max_bytes=cache_limit(self.max_bytes, profile_max))


def open_cache(options: CacheOptions, profile_max: str = "") -> SentenceCache | None:
    """The one place a sentence cache is made from options: None with use=False.

    profile_max: the profile's [cache] max_size, used when the options and the environment name no limit.
    """
    if not options.use:
        return None
    return SentenceCache(options.directory, cache_limit(options.max_bytes, profile_max))


def clip_keys(synth: Synthesizer, texts: Sequence[str]) -> list[str]:
    """The one place a clip's key is made: what `synth`'s clips hold (`cache_identity`: its voice, its
    settings, whether it gives word timings) and the spoken text.
    Storing, fetching and evicting all use it."""
    identity = cache_identity(synth)
    return [SentenceCache.key(identity, text) for text in texts]


@dataclass(frozen=True)
class Verified:
    """What `SentenceCache.verify` found: entries read, and removed as damaged (or of an older format) or
    as implausible clips."""

    checked: int
    damaged: int
    implausible: int

    @property
    def removed(self) -> int:
        return self.damaged + self.implausible


class SentenceCache:
    """Sentence clips keyed by everything that changes them; one file per entry, written atomically.

    Two processes may share the folder: an entry appears only by `os.replace` of a complete file, two
    writers of one key write identical bytes, and a reader that loses a race with `clear` or `prune`
    sees a miss. The folder is kept under `max_bytes`: each hit marks its entry as used (its mtime),
    and whenever a tenth of the limit has been written, the least recently used entries are removed.
    """

    def __init__(self, directory: Path | str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.max_bytes = max_bytes
        self._written = 0  # bytes put since the last prune

    @staticmethod
    def key(synth_identity: str, spoken: str) -> str:
        h = hashlib.sha256()
        for part in (f"narrate-sentence-cache:{FORMAT_VERSION}", synth_identity, spoken):
            data = part.encode("utf-8")
            h.update(len(data).to_bytes(8, "little"))  # length-prefixed: no two part lists collide
            h.update(data)
        return h.hexdigest()

    def path(self, key: str) -> Path:
        if len(key) < 8 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.directory / key[:2] / f"{key}{_SUFFIX}"

    def get(self, key: str) -> np.ndarray | None:
        """The cached clip's samples, or None on a miss (see get_voiced)."""
        voiced = self.get_voiced(key)
        return None if voiced is None else voiced.samples

    def get_voiced(self, key: str) -> Voiced | None:
        """The cached clip with its word timings, or None on a miss; a damaged entry, or one that fails
        the plausibility gate, is removed and reported as a miss."""
        path = self.path(key)
        try:
            with path.open("rb") as f:
                data = bytearray(f.read())  # writable, so callers may process the clip in place
        except OSError:
            return None
        voiced = _decode(data)
        if voiced is not None and verdict(voiced.samples, voiced.said) is not None:
            voiced = None
        if voiced is None:
            with contextlib.suppress(OSError):
                path.unlink()
        else:
            with contextlib.suppress(OSError):
                os.utime(path)  # used now: the last to be evicted (atime is often not kept)
        return voiced

    def put(
        self, key: str, samples: np.ndarray, words: Sequence[WordTime] = (), *, said: Said | None = None
    ) -> None:
        """Store a clip (its words' sample ranges, and what it was asked to say) atomically.

        A clip the plausibility gate rejects is refused (ImplausibleClip): it must never be played again.
        An unwritable cache is an error that says what to do.
        """
        rejection = verdict(samples, said)
        if rejection is not None:
            what = f" for {said.text[:60]!r}" if said is not None else ""
            raise ImplausibleClip(f"refused to cache an implausible clip{what}: {rejection.reason}")
        path = self.path(key)
        audio = np.ascontiguousarray(samples, dtype="<f4").ravel().tobytes()
        meta = {
            "words": [[w.text, w.start, w.end] for w in words],
            "said": None if said is None else [said.text, said.rate, said.phonemes, said.pace],
        }
        text = json.dumps(meta, ensure_ascii=False).encode("utf-8")
        payload = audio + text
        header = _HEADER.pack(_MAGIC, len(audio) // 4, len(text), zlib.crc32(payload))
        for attempt in range(3):
            try:
                self._write(path, header, payload)
                self._written += len(header) + len(payload)
                if self._written > self.max_bytes // 10:
                    self.prune()
                return
            except FileNotFoundError:
                # another process's `clear` removed the shard folder (or our temp file) under us: try again
                if attempt == 2:
                    return  # the entry is only a saving, losing it to a racing clear is harmless
            except OSError as exc:
                raise OutputError(
                    f"cannot write the sentence cache in {self.directory} ({exc.strerror or exc}): "
                    "free some space, choose another folder with --cache-dir, or use --no-cache"
                ) from None

    def evict(self, key: str) -> bool:
        """Remove one entry (a clip heard to be wrong), so the next fetch synthesises it again."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise OutputError(
                f"cannot remove a bad clip from the sentence cache in {self.directory} "
                f"({exc.strerror or exc}): check the folder, or run narrate cache --clear"
            ) from None
        return True

    @staticmethod
    def _write(path: Path, header: bytes, payload: bytes) -> None:
        try:
            path.parent.mkdir(parents=True)
        except FileExistsError:
            # Not mkdir(exist_ok=True): that re-checks is_dir() and raises EEXIST when a racing `clear`
            # removes the shard in between. If it is gone now, mkstemp says FileNotFoundError and put()
            # retries; if a file sits there, mkstemp says NotADirectoryError and put() reports it.
            pass
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(header)
                out.write(payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _entries(self) -> Iterator[Path]:
        if not self.directory.is_dir():
            return
        for sub in self.directory.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                yield from (p for p in sub.iterdir() if p.suffix in (_SUFFIX, ".tmp"))

    def stats(self) -> tuple[int, int]:
        """(entries, bytes) currently stored."""
        entries = size = 0
        for p in self._entries():
            with contextlib.suppress(OSError):
                size += p.stat().st_size
                entries += p.suffix == _SUFFIX
        return entries, size

    def prune(self, limit: int | None = None) -> tuple[int, int]:
        """Remove least recently used entries until the folder is under 90 % of `limit` (default: max_bytes),
        and temporary files killed writers left; returns (entries removed, bytes freed)."""
        limit = self.max_bytes if limit is None else limit
        self._written = 0
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        removed = freed = 0
        for p in self._entries():
            try:
                st = p.stat()
            except OSError:
                continue
            if p.suffix == ".tmp":
                if now - st.st_mtime > _STALE_TMP_S and _unlinked(p):
                    freed += st.st_size
                continue
            entries.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        if total <= limit:
            return removed, freed
        entries.sort()  # oldest use first
        for _, size, p in entries:
            if total <= 0.9 * limit:
                break
            if _unlinked(p):  # another process may have removed it first: then it is not ours to count
                removed += 1
                freed += size
            total -= size
        return removed, freed

    def verify(self) -> Verified:
        """Read every entry back and remove the damaged ones (or of an older format) and those the
        plausibility gate rejects."""
        checked = damaged = implausible = 0
        for p in list(self._entries()):
            if p.suffix != _SUFFIX:
                continue
            try:
                data = bytearray(p.read_bytes())
            except OSError:
                continue  # removed by another process since it was listed
            checked += 1
            voiced = _decode(data)
            if voiced is None:
                damaged += _unlinked(p)
            elif verdict(voiced.samples, voiced.said) is not None:
                implausible += _unlinked(p)
        return Verified(checked, damaged, implausible)

    def clear(self) -> int:
        """Remove every entry (and stray temporary files); returns how many entries went."""
        removed = 0
        for p in list(self._entries()):
            try:
                p.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise OutputError(
                    f"cannot remove {p} ({exc.strerror or exc}): check the folder's permissions"
                ) from None
            removed += p.suffix == _SUFFIX
        if self.directory.is_dir():
            for sub in self.directory.iterdir():
                with contextlib.suppress(OSError):
                    sub.rmdir()  # only empty ones go; another process may be writing into it
        return removed


def _unlinked(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:
        return False
    return True


def _decode(data: bytearray) -> Voiced | None:
    if len(data) < _HEADER.size:
        return None
    magic, count, size, crc = _HEADER.unpack_from(data)
    payload = memoryview(data)[_HEADER.size :]
    if magic != _MAGIC or len(payload) != count * 4 + size or zlib.crc32(payload) != crc:
        return None
    try:
        meta = json.loads(bytes(payload[count * 4 :]))
        words = tuple(WordTime(str(w), int(a), int(b)) for w, a, b in meta["words"])
        said = None
        if meta["said"] is not None:
            text, rate, phonemes, pace = meta["said"]
            said = Said(str(text), int(rate), None if phonemes is None else str(phonemes), float(pace))
    except (ValueError, TypeError, KeyError):
        return None
    return Voiced(np.frombuffer(payload[: count * 4], dtype="<f4"), words, said)
