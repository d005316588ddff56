"""The voice in two halves: text to latent frames once per sentence, the decoder on short windows.

A Piper voice is a VITS model. Its last part, the HiFi-GAN decoder (the `/dec/` nodes of Piper's
export), turns latent frames into audio, 256 samples a frame, and holds about 1 MB of working memory per
character of the sentence while it does: a 224-character sentence needs 280 MB, two at once on two
threads twice that. Split out as its own model and run on windows of `FRAMES` frames, with `CONTEXT`
frames decoded either side and dropped, its working memory stays at one window's worth however long the
sentence, and the audio is the same to float rounding: the decoder is a stack of convolutions whose reach
is under 12 frames (its kernels and dilations), so a sample depends on nothing outside its window's
context. tests/test_voice_split.py checks that against the whole model on the bundled voice. Shorter
runs are also faster here (the window's tensors stay in cache): 0.42 s against 0.71 s for an 11.5 s
sentence's decoder.

The halves are made once per voice model (about 1 s, with the `onnx` package) and kept beside the
word-timing model under the voice's content hash; a model that does not have Piper's decoder is used
whole.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import writing
from ..errors import SynthesisError

FOLDER = "split-voices"
FRAMES = 256  # latent frames decoded per run: about 3 s of speech (256 samples a frame at 22.05 kHz)
CONTEXT = 16  # frames decoded either side of a window and dropped: the decoder reaches under 12
_DECODER = "/dec/"  # the decoder's node names in Piper's ONNX export (torch.onnx names them by module)
_FORMAT = 1  # the layout of the halves and their description; a change makes them again


class SplitUnavailable(Exception):
    """The model cannot be split (not Piper's decoder, or nowhere to keep the halves): use it whole."""


@dataclass(frozen=True)
class SplitModel:
    """The two halves of one voice model and how they join."""

    encoder: Path  # the model's inputs to the decoder's inputs and every other output of the model
    decoder: Path  # latent frames (and any conditions) to audio
    latent: str  # the decoder input with the time axis
    conditions: tuple[str, ...]  # other decoder inputs (a multi-speaker voice's speaker vector)
    extra_outputs: tuple[str, ...]  # the whole model's outputs after its audio (samples per phoneme)
    hop: int  # samples per latent frame (the product of the decoder's upsampling strides)


def split_model(model: Path, folder: Path, key: str) -> SplitModel:
    """The halves of `model`, made on first use and kept in folder/split-voices/ as `key`.*; raises
    SplitUnavailable when they cannot be had."""
    base = Path(folder) / FOLDER / key
    described = base.with_suffix(".json")
    found = _described(described)
    if found is not None and found.encoder.is_file() and found.decoder.is_file():
        return found
    encoder, decoder = base.with_suffix(".encoder.onnx"), base.with_suffix(".decoder.onnx")
    try:
        described.parent.mkdir(parents=True, exist_ok=True)
        plan = _split(model, encoder, decoder)
        with writing(described) as partial:  # written last: the halves are whole once it exists
            partial.write_text(json.dumps({"format": _FORMAT, **plan}), encoding="utf-8")
    except SplitUnavailable:
        raise
    except Exception as exc:  # onnx's own errors, a full disk, a folder we may not write
        raise SplitUnavailable(f"cannot split {model.name} ({str(exc).splitlines()[0][:160]})") from exc
    split = _described(described)
    if split is None:
        raise SplitUnavailable(f"the split of {model.name} could not be read back")
    return split


def forget(split: SplitModel) -> None:
    """Remove the halves (they failed to load): the next run makes them again."""
    for path in (split.encoder.with_name(split.encoder.name.replace(".encoder.onnx", ".json")),
                 split.encoder, split.decoder):  # fmt: skip
        path.unlink(missing_ok=True)


def _described(path: Path) -> SplitModel | None:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        if plan.get("format") != _FORMAT:
            return None
        stem = path.name.removesuffix(".json")
        return SplitModel(
            encoder=path.with_name(f"{stem}.encoder.onnx"),
            decoder=path.with_name(f"{stem}.decoder.onnx"),
            latent=str(plan["latent"]),
            conditions=tuple(str(c) for c in plan["conditions"]),
            extra_outputs=tuple(str(o) for o in plan["extra_outputs"]),
            hop=int(plan["hop"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _split(model: Path, encoder: Path, decoder: Path) -> dict[str, Any]:
    """Write the two halves; return how they join."""
    import onnx
    from onnx.utils import Extractor

    whole = onnx.load(str(model))
    graph = whole.graph
    nodes = [n for n in graph.node if n.name.startswith(_DECODER)]
    if not nodes:
        raise SplitUnavailable(f"{model.name} has no decoder nodes named {_DECODER}*")
    made = {o for n in nodes for o in n.output}
    used = {i for n in nodes for i in n.input}
    weights = {i.name for i in graph.initializer}
    inputs = [i for n in nodes for i in n.input if i and i not in made and i not in weights]
    finals = [o for n in nodes for o in n.output if o not in used]
    latent = nodes[0].input[0]  # the first convolution's input: the latent frames
    outputs = [o.name for o in graph.output]
    if len(finals) != 1 or latent not in inputs or not outputs or outputs[0] in made:
        raise SplitUnavailable(f"{model.name}'s decoder is not shaped like Piper's")
    strides = [_attribute(n, "strides") for n in nodes if n.op_type == "ConvTranspose"]
    hop = math.prod(s[0] for s in strides if s)
    conditions = sorted(set(inputs) - {latent})
    extra = outputs[1:]
    if any(o in made for o in extra):
        raise SplitUnavailable(f"{model.name} has other outputs made by its decoder")
    extractor = Extractor(whole)
    head = extractor.extract_model([i.name for i in graph.input], [latent, *conditions, *extra])
    tail = extractor.extract_model([latent, *conditions], finals)
    for half, target in ((tail, decoder), (head, encoder)):
        with writing(target) as partial:
            onnx.save(half, str(partial))
    return {"latent": latent, "conditions": conditions, "extra_outputs": extra, "hop": hop}


def _attribute(node: Any, name: str) -> list[int] | None:
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            return list(helper.get_attribute_value(attribute))
    return None


class SplitSession:
    """Looks like the whole model's InferenceSession to Piper (`run(None, feed)`: every output, audio
    first; `names` is ignored, as Piper asks for all): runs the
    encoder half once, then the decoder half window by window. Safe to call from several threads at once,
    as each half's `run` is."""

    def __init__(self, encoder: Any, decoder: Any, split: SplitModel) -> None:
        self.encoder = encoder
        self.decoder = decoder
        self.split = split
        self._encoder_outputs = [o.name for o in encoder.get_outputs()]

    def run(
        self, output_names: Sequence[str] | None, feed: dict[str, Any], run_options: Any = None
    ) -> list[Any]:
        named = dict(zip(self._encoder_outputs, self.encoder.run(None, feed, run_options)))
        conditions = {c: named[c] for c in self.split.conditions}

        def decode(window: np.ndarray) -> np.ndarray:
            return np.asarray(
                self.decoder.run(None, {self.split.latent: window, **conditions}, run_options)[0]
            )

        audio = decode_windows(decode, np.asarray(named[self.split.latent]), self.split.hop)
        return [audio[np.newaxis], *(named[o] for o in self.split.extra_outputs)]


def decode_windows(
    decode: Callable[[np.ndarray], np.ndarray],
    latent: np.ndarray,
    hop: int,
    frames: int = FRAMES,
    context: int = CONTEXT,
) -> np.ndarray:
    """The decoder's output for all of `latent` (batch, channels, frames), made `frames` frames at a time
    with `context` frames either side, joined: (batch, 1, frames * hop). Each run's length is checked."""
    total = latent.shape[-1]
    if total == 0:
        return np.zeros((latent.shape[0], 1, 0), dtype=np.float32)
    parts = []
    for start in range(0, total, frames):
        end = min(total, start + frames)
        low, high = max(0, start - context), min(total, end + context)
        out = decode(latent[..., low:high])
        if out.ndim != 3 or out.shape[-1] != (high - low) * hop:
            raise SynthesisError(
                f"the voice's decoder returned {out.shape[-1] if out.ndim else 0} samples for "
                f"{high - low} frames (expected {(high - low) * hop}): the voice is not what it claims"
            )
        parts.append(out[..., (start - low) * hop : (end - low) * hop])
    return np.concatenate(parts, axis=-1)
