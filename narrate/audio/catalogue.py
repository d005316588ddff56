"""Piper's voice catalogue: read it, download voices with every file checked, install voices atomically."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import http.client
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..atomic import process_alive
from ..errors import VoiceError
from .voices import MODEL_CARD, VOICE_NAME, VoiceInfo, describe_voice, installed_files, voices_dir

# The official catalogue at a fixed revision: the same voice name always means the same files.
OFFICIAL_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"
URL_ENV = "NARRATE_VOICES_URL"
CATALOGUE = "voices.json"
_MAX_CATALOGUE_BYTES = 64 << 20
_CHUNK = 1 << 16
# `.narrate-staging-<voice>.<pid>.<random>` (a download being assembled) and `.narrate-old-...` (a voice
# being replaced): hidden, so never listed as voices; the pid lets a later run sweep a killed run's.
_WORK_FOLDER = re.compile(r"^\.narrate-(?:staging|old)-.*\.(\d+)\.[A-Za-z0-9_]+$")
_PIPER_INPUTS = frozenset({"input", "input_lengths", "scales"})
_MIRROR_FIX = "the mirror's copy differs from the catalogue: use another mirror or the official one"

DownloadProgress = Callable[[str, int, int], None]
"""Called as (voice, bytes received, bytes of the whole voice) while a voice downloads."""


@dataclass(frozen=True)
class CatalogueFile:
    """One file of a voice in the catalogue: its path under the base URL, size and MD5."""

    path: str
    size: int
    md5: str

    @property
    def basename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CatalogueVoice:
    """A voice as the catalogue describes it."""

    key: str
    language: str
    language_name: str
    quality: str
    num_speakers: int
    speakers: tuple[str, ...]
    files: tuple[CatalogueFile, ...]
    aliases: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class Catalogue:
    """The voices listed in a catalogue's voices.json, and the base URL their files are under."""

    url: str
    voices: Mapping[str, CatalogueVoice]

    @property
    def source(self) -> str:
        return self.url + CATALOGUE

    def find(self, name: str) -> CatalogueVoice:
        """A voice by its key (en_GB-alan-medium) or one of its aliases; VoiceError naming close ones."""
        if name in self.voices:
            return self.voices[name]
        for voice in self.voices.values():
            if name in voice.aliases:
                return voice
        close = difflib.get_close_matches(name, list(self.voices), n=4, cutoff=0.6)
        hint = f"close ones: {', '.join(close)}" if close else "`narrate voices --available` lists them"
        raise VoiceError(f"no voice '{name}' in the catalogue at {self.source}: {hint}")

    def available(self, language: str | None = None) -> list[CatalogueVoice]:
        """The voices, by key; `language` (en_GB, en-gb or en) keeps those of that language."""
        wanted = (language or "").replace("-", "_").lower()
        return [
            v
            for v in sorted(self.voices.values(), key=lambda v: v.key)
            if not wanted or wanted in (v.language.lower(), v.language.lower().split("_")[0])
        ]


@dataclass(frozen=True)
class Installed:
    """The outcome for one voice: installed, replaced (it was there but not intact), or unchanged."""

    voice: VoiceInfo
    state: str
    size: int


def base_url(url: str | None = None) -> str:
    """The catalogue's base URL: `url`, else $NARRATE_VOICES_URL, else the official one; ends with /."""
    chosen = (url or os.environ.get(URL_ENV) or OFFICIAL_URL).strip()
    if urllib.parse.urlsplit(chosen).scheme not in ("http", "https", "file"):
        raise VoiceError(
            f"voice catalogue URL {chosen!r} must start with https://, http:// or file:// "
            f"(check --base-url or ${URL_ENV})"
        )
    return chosen if chosen.endswith("/") else chosen + "/"


def read_catalogue(url: str | None = None, *, wanted: Sequence[str] = (), timeout: float = 30.0) -> Catalogue:
    """Fetch and parse voices.json under the base URL; `wanted` names the voices in the offline fix."""
    base = base_url(url)
    source = base + CATALOGUE
    try:
        with _open(source, timeout) as response:
            raw = response.read(_MAX_CATALOGUE_BYTES + 1)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise VoiceError(_unreachable(source, exc, wanted)) from None
    if len(raw) > _MAX_CATALOGUE_BYTES:
        raise VoiceError(f"{source} is larger than any voice catalogue: check --base-url")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise VoiceError(f"{source} is not a Piper voice catalogue ({exc}): check --base-url") from None
    if not isinstance(data, dict):
        raise VoiceError(f"{source} is not a Piper voice catalogue (not a table of voices): check --base-url")
    voices = {}
    for key, entry in data.items():
        voice = _parse_voice(key, entry)
        if voice is not None:
            voices[key] = voice
    return Catalogue(base, voices)


def _parse_voice(key: str, entry: Any) -> CatalogueVoice | None:
    """One catalogue entry, or None when it is not usable (a bad name, path or file record)."""
    try:
        files = tuple(
            CatalogueFile(str(path), int(info["size_bytes"]), str(info["md5_digest"]).lower())
            for path, info in entry["files"].items()
        )
        language = entry.get("language") or {}
        name_english = str(language.get("name_english") or "")
        country = str(language.get("country_english") or "")
        voice = CatalogueVoice(
            key=key,
            language=str(language.get("code") or "?"),
            language_name=f"{name_english} ({country})" if country else name_english,
            quality=str(entry.get("quality") or "?"),
            num_speakers=int(entry.get("num_speakers") or 1),
            speakers=tuple(str(s) for s in (entry.get("speaker_id_map") or {})),
            files=files,
            aliases=tuple(str(a) for a in entry.get("aliases") or ()),
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    # the key names a folder on disk and the paths are joined to the base URL: accept only plain ones
    return voice if VOICE_NAME.match(key) and all(_safe_path(f) for f in files) else None


def _safe_path(f: CatalogueFile) -> bool:
    parts = f.path.split("/")
    return f.size >= 0 and bool(re.fullmatch(r"[0-9a-f]{32}", f.md5)) and ".." not in parts and parts[0] != ""


# --- download ----------------------------------------------------------------------------------


def download_voice(
    name: str,
    catalogue: Catalogue,
    *,
    folder: Path | None = None,
    force: bool = False,
    progress: DownloadProgress | None = None,
    timeout: float = 30.0,
) -> Installed:
    """Download a catalogue voice, check every file's size and MD5, and install it as one unit.

    The files are assembled in a hidden folder inside the voices folder and renamed into place only once
    all are verified and onnxruntime opens the model, so an interrupted, truncated or tampered download
    installs nothing. A voice already installed with exactly the catalogue's files is left as it is
    unless `force`.
    """
    folder = Path(folder) if folder is not None else voices_dir()
    entry = catalogue.find(name)
    plan = _download_plan(entry, catalogue)
    if not force:
        current = _intact(folder, entry.key, plan)
        if current is not None:
            return Installed(current, "unchanged", entry.size)
    with _staging(folder, entry.key) as stage:
        received = 0
        for remote, local in plan:
            received += _fetch(catalogue.url, remote, stage / local, entry, received, progress, timeout)
        check_voice(stage / f"{entry.key}.onnx", stage / f"{entry.key}.onnx.json")
        state = _publish(stage, folder, entry.key)
    return Installed(_installed(folder, entry.key), state, entry.size)


def _download_plan(entry: CatalogueVoice, catalogue: Catalogue) -> list[tuple[CatalogueFile, str]]:
    """(catalogue file, local name) for the config, the model card, then the model: small files first."""
    roles = (
        (f"{entry.key}.onnx.json", lambda b: b.endswith(".onnx.json")),
        (MODEL_CARD, lambda b: b == MODEL_CARD),
        (f"{entry.key}.onnx", lambda b: b.endswith(".onnx")),
    )
    plan: list[tuple[CatalogueFile, str]] = []
    for local, matches in roles:
        candidates = [f for f in entry.files if matches(f.basename)]
        exact = [f for f in candidates if f.basename == local]
        chosen = (exact or candidates)[:1]
        if not chosen and local != MODEL_CARD:
            raise VoiceError(
                f"the catalogue at {catalogue.source} lists no {local} for {entry.key}: "
                "the catalogue or mirror is incomplete; try the official one (drop --base-url)"
            )
        plan.extend((f, local) for f in chosen)
    return plan


def _fetch(
    base: str,
    remote: CatalogueFile,
    dest: Path,
    entry: CatalogueVoice,
    before: int,
    progress: DownloadProgress | None,
    timeout: float,
) -> int:
    """Stream one file to `dest`, checking its length and MD5 against the catalogue; returns its size."""
    url = base + urllib.parse.quote(remote.path)
    digest = hashlib.md5(usedforsecurity=False)  # the catalogue publishes MD5; it detects corruption
    got = 0
    announced: str | None = None
    try:
        with _open(url, timeout) as response, open(dest, "wb") as out:
            announced = response.headers.get("Content-Length")
            if announced is not None and announced.strip().isdigit() and int(announced) != remote.size:
                wrong = f"{url} is {announced} bytes, the catalogue says {remote.size}"
                raise VoiceError(_not_installed(entry, wrong, _MIRROR_FIX))
            while chunk := response.read(min(_CHUNK, remote.size + 1 - got)):
                got += len(chunk)
                if got > remote.size:
                    wrong = f"{url} sent more than the catalogue's {remote.size} bytes"
                    raise VoiceError(_not_installed(entry, wrong, _MIRROR_FIX))
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(entry.key, before + got, entry.size)
    except urllib.error.URLError as exc:  # HTTPError too: a 404 or 500 names the URL and the fix
        raise VoiceError(_unreachable(url, exc, (entry.key,))) from None
    except (http.client.HTTPException, OSError) as exc:
        reason = type(exc).__name__ if isinstance(exc, http.client.IncompleteRead) else _reason(exc)
        dropped = f"the connection dropped after {got} of {remote.size} bytes of {url} ({reason})"
        raise VoiceError(_not_installed(entry, dropped)) from None
    if got < remote.size and announced is not None:  # the length was promised: the connection ended early
        dropped = f"the connection dropped after {got} of {remote.size} bytes of {url}"
        raise VoiceError(_not_installed(entry, dropped))
    if got < remote.size:
        raise VoiceError(_not_installed(entry, f"{url} was truncated: {got} of {remote.size} bytes"))
    if digest.hexdigest() != remote.md5:
        wrong = f"{url} does not match the catalogue's MD5 (corrupt or tampered)"
        raise VoiceError(_not_installed(entry, wrong, f"run it again; if it persists, {_MIRROR_FIX}"))
    return got


def _open(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": f"narrate/{__version__}"})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - the scheme is checked


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc_reason = exc.reason
        return _reason(exc_reason) if isinstance(exc_reason, BaseException) else str(exc_reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _unreachable(url: str, exc: BaseException, wanted: Sequence[str]) -> str:
    name = wanted[0] if len(wanted) == 1 else "NAME"
    return (
        f"cannot reach {url} ({_reason(exc)}): download the voice on another machine and copy "
        f"{name}.onnx and {name}.onnx.json into {voices_dir()}/"
    )


def _not_installed(entry: CatalogueVoice, problem: str, fix: str = "run it again") -> str:
    return f"download of {entry.key} failed: {problem}; nothing was installed ({fix})"


def _intact(folder: Path, key: str, plan: list[tuple[CatalogueFile, str]]) -> VoiceInfo | None:
    """The installed voice when its files are exactly the catalogue's (size, then MD5), else None."""
    files = installed_files(folder, key)
    if files is None:
        return None
    model, config = files
    local = {f"{key}.onnx": model, f"{key}.onnx.json": config, MODEL_CARD: _card_path(model, key)}
    for remote, name in plan:
        path = local[name]
        if not path.is_file() or path.stat().st_size != remote.size or _md5(path) != remote.md5:
            return None
    return describe_voice(model, config)


def _card_path(model: Path, key: str) -> Path:
    return model.parent / MODEL_CARD if model.parent.name == key else model.with_name(f"{key}.{MODEL_CARD}")


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- checks and the atomic install ---------------------------------------------------------------


def check_voice(model: Path, config: Path) -> VoiceInfo:
    """A Piper voice pair that will work: the config reads, onnxruntime opens the model, and they match."""
    info = describe_voice(model, config)
    try:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for a corrupt model
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        raise VoiceError(f"{model.name} is not a model onnxruntime can open ({first}): replace it") from exc
    inputs = {i.name for i in session.get_inputs()}
    if not _PIPER_INPUTS <= inputs:
        raise VoiceError(f"{model.name} is not a Piper voice model (its inputs: {', '.join(sorted(inputs))})")
    if (info.num_speakers > 1) != ("sid" in inputs):
        model_kind = "several speakers" if "sid" in inputs else "one speaker"
        raise VoiceError(
            f"{config.name} does not match {model.name}: the config has {info.num_speakers} speakers, "
            f"the model {model_kind}; use the .onnx.json published with this model"
        )
    return info


def add_voice(model: str | Path, *, folder: Path | None = None, force: bool = False) -> Installed:
    """Install a voice pair from disk (FILE.onnx + FILE.onnx.json, and a MODEL_CARD beside them if any).

    The same checks as a download apply before anything is installed. A voice of the same name with
    other files is replaced only with `force`.
    """
    folder = Path(folder) if folder is not None else voices_dir()
    source = Path(model)
    if not source.name.endswith(".onnx") or not source.is_file():
        raise VoiceError(f"{source} is not an .onnx file: pass a voice's model, e.g. en_GB-alan-medium.onnx")
    key = source.name[: -len(".onnx")]
    if not VOICE_NAME.match(key):
        raise VoiceError(f"{source.name} is not a usable voice name: rename it like en_GB-alan-medium.onnx")
    config = Path(f"{source}.json")
    if not config.is_file():
        raise VoiceError(f"{source} has no {config.name} beside it: put the voice's config there first")
    info = describe_voice(source, config)
    pairs = [(source, f"{key}.onnx"), (config, f"{key}.onnx.json")]
    if info.card is not None:
        pairs.append((info.card, MODEL_CARD))
    current = installed_files(folder, key)
    if current is not None and not force:
        same = all(_same_file(src, dst) for src, dst in zip((source, config), current))
        if same:
            return Installed(describe_voice(*current), "unchanged", _size(p for p, _ in pairs))
        raise VoiceError(f"a different voice {key} is installed in {folder}/: pass --force to replace it")
    with _staging(folder, key) as stage:
        for src, name in pairs:
            try:
                shutil.copyfile(src, stage / name)
            except OSError as exc:
                raise VoiceError(f"cannot copy {src} ({_reason(exc)}); nothing was installed") from None
        check_voice(stage / f"{key}.onnx", stage / f"{key}.onnx.json")
        state = _publish(stage, folder, key)
    return Installed(_installed(folder, key), state, _size(p for p, _ in pairs))


def _same_file(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and _md5(a) == _md5(b)


def _size(paths: Iterator[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def _installed(folder: Path, key: str) -> VoiceInfo:
    files = installed_files(folder, key)
    if files is None:  # pragma: no cover - only if another process removed it this instant
        raise VoiceError(f"voice {key} vanished from {folder}/ as it was installed: run it again")
    return describe_voice(*files)


@contextlib.contextmanager
def _staging(folder: Path, key: str) -> Iterator[Path]:
    """A hidden folder in the voices folder (same file system, so the final rename is atomic)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sweep_stale(folder)
        stage = Path(tempfile.mkdtemp(prefix=f".narrate-staging-{key}.{os.getpid()}.", dir=folder))
    except OSError as exc:
        raise VoiceError(f"cannot write in {folder} ({_reason(exc)}): check the voices folder") from None
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # nothing left once renamed into place


def _publish(stage: Path, folder: Path, key: str) -> str:
    """Rename the verified voice folder into place; a voice it replaces is moved aside first."""
    target = folder / key
    by_hand = [folder / f"{key}.onnx", folder / f"{key}.onnx.json", folder / f"{key}.{MODEL_CARD}"]
    old = [p for p in (target, *by_hand) if p.exists() or p.is_symlink()]
    try:
        os.chmod(stage, 0o755)  # mkdtemp's folder is owner-only
        if not old:
            os.rename(stage, target)
            return "installed"
        aside = Path(tempfile.mkdtemp(prefix=f".narrate-old-{key}.{os.getpid()}.", dir=folder))
        for path in old:
            os.rename(path, aside / path.name)
        os.rename(stage, target)
    except OSError as exc:
        raise VoiceError(
            f"cannot install {key} in {folder}/ ({_reason(exc)}): another narrate may be installing it; "
            "run it again"
        ) from None
    shutil.rmtree(aside, ignore_errors=True)
    return "replaced"


def sweep_stale(folder: Path) -> list[str]:
    """Remove staging and replaced-voice folders left by narrate runs that were killed; their names."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            found = _WORK_FOLDER.match(entry.name)
            if found and entry.is_dir(follow_symlinks=False) and not process_alive(int(found[1])):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.name)
    return removed
