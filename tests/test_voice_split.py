"""The voice split in two, its decoder run on windows: the same audio as the whole model, less memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from narrate.audio.split import SplitUnavailable, decode_windows, split_model
from narrate.errors import SynthesisError

HOP = 4


def _decoder(reach: int):  # type: ignore[no-untyped-def]
    """A stand-in decoder: each frame to HOP samples, then a moving sum reaching `reach` frames either
    side with zero padding at the ends, as a convolution stack does."""

    def decode(latent: np.ndarray) -> np.ndarray:
        samples = np.repeat(latent.sum(axis=1, keepdims=True), HOP, axis=-1)
        width = reach * HOP
        kernel = np.arange(1, 2 * width + 2, dtype=np.float64)  # asymmetric, so an offset shows
        n = samples.shape[-1]
        return np.stack([np.convolve(s[0], kernel)[width : width + n][None] for s in samples])

    return decode


@pytest.mark.parametrize("frames", [1, 7, 40, 41, 100])
def test_windows_with_enough_context_give_the_whole_decode(frames: int) -> None:
    latent = np.random.default_rng(frames).normal(size=(1, 3, frames))
    whole = _decoder(5)(latent)
    windowed = decode_windows(_decoder(5), latent, HOP, frames=8, context=5)
    assert windowed.shape == whole.shape
    np.testing.assert_allclose(windowed, whole, rtol=1e-9, atol=1e-9)


def test_too_little_context_shows() -> None:
    latent = np.random.default_rng(1).normal(size=(1, 3, 50))
    windowed = decode_windows(_decoder(5), latent, HOP, frames=8, context=3)
    assert np.max(np.abs(windowed - _decoder(5)(latent))) > 1.0  # the check above can fail


def test_a_decoder_that_returns_the_wrong_length_is_an_error() -> None:
    def short(latent: np.ndarray) -> np.ndarray:
        return np.zeros((1, 1, latent.shape[-1] * HOP - 1))

    with pytest.raises(SynthesisError, match="samples for"):
        decode_windows(short, np.zeros((1, 3, 20)), HOP)


def test_a_model_without_pipers_decoder_is_used_whole(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"], name="/flow/Identity")],
        "not-piper",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
    )
    model = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph), str(model))
    with pytest.raises(SplitUnavailable, match="no decoder"):
        split_model(model, tmp_path / "cache", "other.plain")
    assert not list((tmp_path / "cache").rglob("*.onnx"))


def _tiny_decoder(extra_op: str | None = None):  # type: ignore[no-untyped-def]
    """A decoder-shaped ONNX model: dilated Conv, LeakyRelu, strided ConvTranspose, a scalar Add, Tanh."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    weights = [
        numpy_helper.from_array(rng.normal(size=(6, 4, 5)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(size=(6,)).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(size=(6, 2, 16)).astype(np.float32) * 0.1, "w2"),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"),
    ]
    nodes = [
        helper.make_node("Conv", ["z", "w1", "b1"], ["a"], kernel_shape=[5], dilations=[2], pads=[4, 4]),
        helper.make_node("LeakyRelu", ["a"], ["b"], alpha=0.1),
        helper.make_node("ConvTranspose", ["b", "w2"], ["c"], kernel_shape=[16], strides=[8], pads=[4, 4]),
        helper.make_node("Add", ["c", "half"], ["d"]),
        helper.make_node("Tanh", ["d"], ["y"]),
    ]
    if extra_op:
        nodes.insert(4, helper.make_node(extra_op, ["d"], ["d2"]))
        nodes[-1].input[0] = "d2"
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, "t"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, "s"])],
        weights,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_the_decoder_as_2d_convolutions_computes_the_same() -> None:
    import onnxruntime

    from narrate.audio.split import _as_2d

    def run(model) -> np.ndarray:  # type: ignore[no-untyped-def]
        session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(None, {"z": latent})[0]

    latent = np.random.default_rng(4).normal(size=(1, 4, 37)).astype(np.float32)
    model = _tiny_decoder()
    before = run(model)
    assert _as_2d(model)
    assert [n.op_type for n in model.graph.node][:1] == ["Unsqueeze"]
    after = run(model)
    assert after.shape == before.shape == (1, 2, 37 * 8)
    np.testing.assert_allclose(after, before, atol=1e-5)


def test_a_decoder_with_other_ops_stays_1d() -> None:
    from narrate.audio.split import _as_2d

    model = _tiny_decoder("Transpose")
    before = model.SerializeToString()
    assert not _as_2d(model)
    assert model.SerializeToString() == before


def _piper_shaped(path: Path) -> None:
    """A tiny multi-speaker model laid out like Piper's export: phoneme ids and a speaker id in; latent
    frames and a speaker vector into `/dec/` nodes (the speaker through their own convolution); the audio
    out as `output`, then a second output made outside the decoder, like the word-timing patch's."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(5)

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.normal(size=shape) * 0.3).astype(np.float32), name)

    weights = [
        weight("emb", 50, 6),
        weight("emb_g", 3, 4),
        weight("w_pre", 8, 6, 7),
        weight("w_cond", 8, 4, 1),
        weight("w_up", 8, 5, 8),
        weight("w_post", 1, 5, 7),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Gather", ["emb", "input"], ["embedded"]),
        helper.make_node("Transpose", ["embedded"], ["latent"], perm=[0, 2, 1]),
        helper.make_node("Gather", ["emb_g", "sid"], ["speaker"]),
        helper.make_node("Unsqueeze", ["speaker", "axis2"], ["g"]),
        helper.make_node("Conv", ["latent", "w_pre"], ["pre"], name="/dec/conv_pre/Conv", pads=[3, 3]),
        helper.make_node("Conv", ["g", "w_cond"], ["cond"], name="/dec/cond/Conv"),
        helper.make_node("Add", ["pre", "cond"], ["both"], name="/dec/Add"),
        helper.make_node("LeakyRelu", ["both"], ["act"], name="/dec/LeakyRelu", alpha=0.1),
        helper.make_node(
            "ConvTranspose",
            ["act", "w_up"],
            ["up"],
            name="/dec/ups.0/ConvTranspose",
            strides=[4],
            pads=[2, 2],
        ),
        helper.make_node("Conv", ["up", "w_post"], ["post"], name="/dec/conv_post/Conv", pads=[3, 3]),
        helper.make_node("Tanh", ["post"], ["audio"], name="/dec/Tanh"),
        helper.make_node("Unsqueeze", ["audio", "axis1"], ["output"]),
        helper.make_node("ReduceSum", ["latent", "axis1"], ["summed"], keepdims=1),
        helper.make_node("Ceil", ["summed"], ["/Ceil_output_0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "piper-shaped",
        [
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, "n"]),
            helper.make_tensor_value_info("sid", TensorProto.INT64, [1]),
        ],
        [
            helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1, "t"]),
            helper.make_tensor_value_info("/Ceil_output_0", TensorProto.FLOAT, [1, 1, "n"]),
        ],
        weights,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_a_multi_speaker_model_split_says_what_the_whole_model_says(tmp_path: Path) -> None:
    """The speaker vector goes to every window; onnxruntime on the whole model is the reference."""
    import onnxruntime

    from narrate.audio.split import FRAMES, SplitSession

    model = tmp_path / "multi.onnx"
    _piper_shaped(model)
    split = split_model(model, tmp_path, "multi.words")
    assert split.conditions == ("g",) and split.hop == 4 and split.extra_outputs == ("/Ceil_output_0",)
    import onnx

    decoder = onnx.load(str(split.decoder)).graph
    assert sorted(len(w.dims) for w in decoder.initializer if w.name.startswith("w_")) == [4, 4, 4, 4]  # 2-D

    def session(path: Path):  # type: ignore[no-untyped-def]
        return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    halves = SplitSession(session(split.encoder), session(split.decoder), split)
    frames = 2 * FRAMES + 37  # three windows
    feed = {"input": np.random.default_rng(6).integers(0, 50, size=(1, frames)), "sid": np.array([2])}
    whole = session(model).run(None, feed)
    ours = halves.run(None, feed)
    assert ours[0].shape == whole[0].shape == (1, 1, 1, frames * 4)
    np.testing.assert_allclose(ours[0], whole[0], atol=1e-5)
    np.testing.assert_array_equal(ours[1], whole[1])
    other = halves.run(None, {**feed, "sid": np.array([0])})  # another speaker: other audio
    assert np.max(np.abs(other[0] - ours[0])) > 0.01


@pytest.mark.voice
@pytest.mark.parametrize("timed", [False, True], ids=["plain", "word-timing"])
def test_the_split_bundled_voice_says_what_the_whole_model_says(tmp_path: Path, timed: bool) -> None:
    """onnxruntime on the whole model is the reference: audio to float rounding, the same phoneme
    timings (noise off, so both runs are deterministic), for a sentence many windows long."""
    import onnxruntime
    from piper import PiperVoice, SynthesisConfig
    from piper.config import PiperConfig

    from narrate.audio.alignment import aligned_model
    from narrate.audio.split import FRAMES, SplitSession
    from narrate.audio.voices import bundled_voice

    voice = bundled_voice()
    model = aligned_model(voice, tmp_path) if timed else voice.model
    split = split_model(model, tmp_path, "joe.test")
    assert split.hop == 256 and split.conditions == ()
    import onnx

    decoder = onnx.load(str(split.decoder)).graph
    kernels = {w.name: len(w.dims) for w in decoder.initializer}
    convolutions = [n for n in decoder.node if n.op_type in ("Conv", "ConvTranspose")]
    assert len(convolutions) == 23 and all(kernels[n.input[1]] == 4 for n in convolutions)  # run as 2-D
    assert split.extra_outputs == (("/Ceil_output_0",) if timed else ())

    def session(path: Path):  # type: ignore[no-untyped-def]
        return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    config = PiperConfig.from_dict(json.loads(voice.config.read_text(encoding="utf-8")))
    whole = PiperVoice(session=session(model), config=config)
    halves = PiperVoice(
        session=SplitSession(session(split.encoder), session(split.decoder), split), config=config
    )
    text = (
        "The harbour bridge closed on Monday after inspectors found cracks in two of its steel supports, and "
        "the council said that repairs would take at least eighteen months and cost far more than the "
        "original estimate of four million pounds, which had been agreed in a hurry last spring."
    )
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)
    (a,) = whole.synthesize(text, quiet, include_alignments=timed)
    (b,) = halves.synthesize(text, quiet, include_alignments=timed)
    assert a.audio_float_array.size > 3 * FRAMES * 256  # several windows
    assert a.audio_float_array.size == b.audio_float_array.size
    assert np.max(np.abs(a.audio_float_array - b.audio_float_array)) < 1e-4
    if timed:
        assert a.phoneme_id_samples is not None and b.phoneme_id_samples is not None
        assert np.array_equal(a.phoneme_id_samples, b.phoneme_id_samples)


@pytest.mark.voice
def test_the_plain_and_word_timing_splits_of_one_voice_are_kept_apart(tmp_path: Path) -> None:
    from narrate.audio.alignment import aligned_model
    from narrate.audio.voices import bundled_voice

    voice = bundled_voice()
    plain = split_model(voice.model, tmp_path, f"{voice.content_hash}.plain")
    timed = split_model(aligned_model(voice, tmp_path), tmp_path, f"{voice.content_hash}.words")
    assert plain.encoder != timed.encoder and plain.decoder != timed.decoder
    assert plain.extra_outputs == () and timed.extra_outputs == ("/Ceil_output_0",)
    again = split_model(voice.model, tmp_path, f"{voice.content_hash}.plain")  # read back, not remade
    assert again == plain and len(list((tmp_path / "split-voices").glob("*.json"))) == 2


@pytest.mark.voice
def test_damaged_halves_are_removed_and_the_voice_is_loaded_whole(tmp_path: Path) -> None:
    from narrate.audio.alignment import AlignmentUnavailable
    from narrate.audio.synth import PiperSynthesizer
    from narrate.audio.voices import bundled_voice
    from narrate.profile import VoiceSettings

    voice = bundled_voice()
    split = split_model(voice.model, tmp_path, f"{voice.content_hash}.plain")
    split.encoder.write_bytes(split.encoder.read_bytes()[:4096])  # cut short, as by a full disk

    def no_timings(source: Path, target: Path) -> None:  # so the plain model is used: its halves are damaged
        raise AlignmentUnavailable("word timings off for this test")

    synth = PiperSynthesizer(voice, VoiceSettings(), threads=3, aligned_dir=tmp_path, patcher=no_timings)
    clip = synth.synthesize("The ferry sails at noon.")
    assert 0.5 < clip.size / voice.sample_rate < 3.0 and float(np.max(np.abs(clip))) > 0.05
    assert not split.encoder.exists() and not split.decoder.exists()  # made again by the next load
    assert type(synth._piper.session).__name__ == "InferenceSession"


_PEAK = """
import sys
from pathlib import Path
from narrate.audio.synth import PiperSynthesizer
from narrate.audio.voices import bundled_voice
from narrate.profile import VoiceSettings
synth = PiperSynthesizer(bundled_voice(), VoiceSettings(), threads=1, aligned_dir=Path(sys.argv[1]))
synth.synthesize_words("A short one to load the voice.")
before = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
words = "the council said that the bridge would reopen in spring after repairs to its supports "
synth.synthesize_words((words * 6).strip() + ".")
after = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
print(before, after)
"""


@pytest.mark.voice
def test_a_long_sentence_costs_about_one_windows_memory(tmp_path: Path) -> None:
    """A 500-character sentence (about 30 s of speech) on the whole model peaks 370 MB above a short one
    (measured); split, its decoder holds one window (about 3 s) at a time: 45 MB above, measured."""
    found = subprocess.run(
        [sys.executable, "-c", _PEAK, str(tmp_path)], capture_output=True, text=True, timeout=300, check=True
    )
    before, after = (int(x) for x in found.stdout.split())
    assert (after - before) / 1024 < 150, f"peak grew {(after - before) / 1024:.0f} MB for a long sentence"
    assert list((tmp_path / "split-voices").glob("*.decoder.onnx"))  # the split was made and used
