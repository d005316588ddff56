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
_FORMAT = 2  # the layout of the halves and their description; a change makes them again
# Ops the decoder may hold for it to be run as 2-D convolutions (see _as_2d).
_ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div", "LeakyRelu", "Relu", "Tanh"})


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
    described, encoder, decoder = _files(Path(folder) / FOLDER / key)
    found = _described(described)
    if found is not None and found.encoder.is_file() and found.decoder.is_file():
        return found
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
    for path in _files(split.encoder.with_name(split.encoder.name.removesuffix(".encoder.onnx"))):
        path.unlink(missing_ok=True)


def _files(base: Path) -> tuple[Path, Path, Path]:
    """The description, encoder and decoder kept as `base`.*: names built whole, not with with_suffix,
    as a key holds a dot of its own (`<hash>.words`)."""
    name = base.name
    return (
        base.with_name(f"{name}.json"),
        base.with_name(f"{name}.encoder.onnx"),
        base.with_name(f"{name}.decoder.onnx"),
    )


def _described(path: Path) -> SplitModel | None:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        if plan.get("format") != _FORMAT:
            return None
        _, encoder, decoder = _files(path.with_name(path.name.removesuffix(".json")))
        return SplitModel(
            encoder=encoder,
            decoder=decoder,
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
    from onnx import TensorProto, helper
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
    known = {v.name for v in [*graph.value_info, *graph.input, *graph.output]}
    for name in [latent, *conditions, *finals]:  # the halves' new inputs and outputs need a type
        if name not in known:  # (Piper's export records them; a model saved without shapes does not)
            graph.value_info.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    extractor = Extractor(whole)
    head = extractor.extract_model([i.name for i in graph.input], [latent, *conditions, *extra])
    tail = extractor.extract_model([latent, *conditions], finals)
    _as_2d(tail)
    for half, target in ((tail, decoder), (head, encoder)):
        with writing(target) as partial:
            onnx.save(half, str(partial))
    return {"latent": latent, "conditions": conditions, "extra_outputs": extra, "hop": hop}


def _as_2d(model: Any) -> bool:
    """Rewrite the decoder's 1-D convolutions as 2-D ones of height 1 (inputs unsqueezed, the output
    squeezed back), when every other op is elementwise with scalar constants: onnxruntime runs 2-D
    convolutions with its blocked kernels, 20 % faster here (0.11 s against 0.14 s a window), the same
    audio to float rounding. Returns False, the model untouched, when it holds anything else."""
    from onnx import NodeProto, helper, numpy_helper

    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    kernels = [n.input[1] for n in graph.node if n.op_type in ("Conv", "ConvTranspose")]
    if len(set(kernels)) != len(kernels):  # a kernel shared by two convolutions would be reshaped twice
        return False
    for node in graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            if node.input[1] not in weights or len(weights[node.input[1]].dims) != 3:
                return False
        elif node.op_type not in _ELEMENTWISE:
            return False
        elif any(i in weights and np.prod(weights[i].dims) != 1 for i in node.input):
            return False
    axis = numpy_helper.from_array(np.array([2], dtype=np.int64), "narrate_axis_2")
    inputs = [i.name for i in graph.input]
    output = graph.output[0].name
    renamed = {name: f"{name}__2d" for name in [*inputs, output]}
    nodes = [helper.make_node("Unsqueeze", [i, axis.name], [renamed[i]]) for i in inputs]
    for node in graph.node:
        node.input[:] = [renamed.get(i, i) for i in node.input]
        node.output[:] = [renamed.get(o, o) for o in node.output]
        if node.op_type in ("Conv", "ConvTranspose"):
            weight = weights[node.input[1]]
            kernel = numpy_helper.to_array(weight)[:, :, None, :]
            weight.CopyFrom(numpy_helper.from_array(kernel, weight.name))
            for attribute in node.attribute:
                values = list(attribute.ints)
                if attribute.name in ("kernel_shape", "strides", "dilations"):
                    values = [1, *values]
                elif attribute.name == "pads":
                    values = [0, values[0], 0, values[1]]
                elif attribute.name == "output_padding":
                    values = [0, *values]
                del attribute.ints[:]
                attribute.ints.extend(values)
        nodes.append(node)
    nodes.append(helper.make_node("Squeeze", [renamed[output], axis.name], [output]))
    graph.initializer.append(axis)
    kept = [NodeProto() for _ in nodes]  # copies: the originals go with the field they are cleared from
    for copy, node in zip(kept, nodes):
        copy.CopyFrom(node)
    del graph.node[:]
    graph.node.extend(kept)
    del graph.value_info[:]  # the 1-D shapes recorded for intermediate tensors no longer hold
    return True


def _attribute(node: Any, name: str) -> list[int] | None:
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            return list(helper.get_attribute_value(attribute))
    return None


class SplitSession:
    """Looks like the whole model's InferenceSession to Piper (`run(None, feed)`: every output, audio
    first; the names asked for are ignored, as Piper asks for all): runs the encoder half once, then the
    decoder half window by window. Safe to call from several threads at once, as each half's `run` is."""

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
