"""Word timings: phonemes to spoken words to written words (hand-worked streams), the patched-voice cache,
and on the real voice, the patched model's extra output read back by onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrate.audio.alignment import (
    AlignmentUnavailable,
    PhonemeChunk,
    aligned_model,
    spoken_words,
    word_samples,
    written_times,
)
from narrate.audio.voices import VoiceInfo
from narrate.models import WordTime

# what espeak says for each word alone (the stream below merges "for the" into "fɚðə", as espeak does)
ALONE = {"for": "fˈɔːɹ", "the": "ðə", "first": "fˈɜːst", "time": "tˈaɪm"}


def _chunk(pairs: list[tuple[str, int]], bos: int = 100, eos: int = 50) -> PhonemeChunk:
    return PhonemeChunk(tuple(p for p, _ in pairs), (bos, *(n for _, n in pairs), eos))


def _pairs(phonemes: str, each: int = 10) -> list[tuple[str, int]]:
    return [(p, each) for p in phonemes]


def test_merged_group_is_shared_between_its_words() -> None:
    # "fɚðə fˈɜːst tˈaɪm." : 4 + 1 + 6 + 1 + 5 + 1 phonemes of 10 samples after 100 samples of BOS
    chunk = _chunk(_pairs("fɚðə fˈɜːst tˈaɪm."))
    words = word_samples("for the first time.", [chunk], 0, ALONE.__getitem__)
    assert [w for w, _, _ in words] == ["for", "the", "first", "time."]
    # "for" is f + ɚ (ɚ matched nothing but sits in its group), "the" ð + ə: samples 100-120, 120-140
    assert words[0][1:] == (100, 120)
    assert words[1][1:] == (120, 140)
    # the space (140-150) belongs to no word; "first" starts at its stress mark (150) and ends at 210
    assert words[2][1:] == (150, 210)
    # "time." = ˈtaɪm from 220 to 270; the full stop (270-280) and EOS are not the word's
    assert words[3][1:] == (220, 270)


def test_chunks_are_joined_with_the_gap() -> None:
    first = _chunk(_pairs("ðə."), bos=20, eos=30)  # 20 + 3*10 + 30 = 80 samples
    second = _chunk(_pairs("tˈaɪm."), bos=20, eos=30)
    words = word_samples("the. time.", [first, second], 40, ALONE.__getitem__)
    assert words[0][1:] == (20, 40)
    # second chunk starts at 80 + 40 (gap) = 120; its BOS is 20 samples, the stress mark starts the word
    assert words[1][1:] == (140, 190)  # t, ˈ, a, ɪ, m


def test_a_word_with_no_match_takes_its_share_between_neighbours() -> None:
    chunk = _chunk(_pairs("ðə zzzz tˈaɪm"))
    words = word_samples("the Qwxyz time", [chunk], 0, {**ALONE, "Qwxyz": "ʔʔ"}.__getitem__)
    assert words[0][1:] == (100, 120)
    assert words[1][1:] == (120, 180)  # from the end of "the" to the start of "time"
    assert words[2][1:] == (180, 230)  # t, ˈ, a, ɪ, m


def test_raw_phoneme_blocks_are_one_word() -> None:
    assert spoken_words("Yuri [[ uːʃˈɑːkɔf ]] said.") == [
        ("Yuri", None),
        ("[[ uːʃˈɑːkɔf ]]", "uːʃˈɑːkɔf"),
        ("said.", None),
    ]
    chunk = _chunk(_pairs("uːʃˈɑːkɔf"))
    words = word_samples("[[ uːʃˈɑːkɔf ]]", [chunk], 0, lambda w: "")
    assert words == [("[[ uːʃˈɑːkɔf ]]", 100, 190)]


def test_written_words_take_the_time_of_what_they_became() -> None:
    spoken = [
        ("Bills", 0, 10),
        ("rose", 10, 20),
        ("four", 25, 30),
        ("point", 30, 40),
        ("two", 40, 45),
        ("million", 45, 60),
        ("pounds,", 60, 70),
        ("he", 80, 85),
        ("said.", 85, 100),
    ]
    words = written_times("Bills rose £4.2m, he said.", spoken)
    assert words == (
        WordTime("Bills", 0, 10),
        WordTime("rose", 10, 20),
        WordTime("£4.2m,", 25, 70),
        WordTime("he", 80, 85),
        WordTime("said.", 85, 100),
    )


def test_written_words_the_voice_never_said_get_no_time() -> None:
    words = written_times("Rates rose 🙂 again", [("Rates", 0, 10), ("rose", 10, 20), ("again", 30, 40)])
    assert words[2] == WordTime("🙂", 20, 20)
    assert words[3] == WordTime("again", 30, 40)


def _voice(tmp_path: Path) -> VoiceInfo:
    model = tmp_path / "v.onnx"
    model.write_bytes(b"model" * 400)
    config = tmp_path / "v.onnx.json"
    config.write_text('{"audio": {"sample_rate": 22050}}')
    return VoiceInfo("v", model, config, "en", "medium", 22050)


def test_the_patched_voice_is_made_once_per_voice_content(tmp_path: Path) -> None:
    calls = []

    def patcher(source: Path, target: Path) -> None:
        calls.append(source)
        target.write_bytes(source.read_bytes() + b"patched")

    voice = _voice(tmp_path)
    first = aligned_model(voice, tmp_path / "cache", patcher)
    again = aligned_model(voice, tmp_path / "cache", patcher)
    assert first == again and len(calls) == 1
    assert first.read_bytes().endswith(b"patched")
    voice.model.write_bytes(b"other" * 400)  # new content, new hash: patched again
    assert aligned_model(voice, tmp_path / "cache", patcher) != first
    assert len(calls) == 2


def test_a_voice_that_cannot_be_patched_is_a_note_not_an_error(tmp_path: Path) -> None:
    def no_onnx(source: Path, target: Path) -> None:
        raise AlignmentUnavailable("word timings need the onnx package")

    with pytest.raises(AlignmentUnavailable, match="onnx"):
        aligned_model(_voice(tmp_path), tmp_path / "cache", no_onnx)
    assert not list((tmp_path / "cache").rglob("*.onnx"))


@pytest.mark.voice
def test_the_bundled_voice_is_patched_with_a_samples_per_phoneme_output(tmp_path: Path) -> None:
    import json

    import onnxruntime
    from piper import PiperVoice, SynthesisConfig
    from piper.config import PiperConfig

    from narrate.audio.voices import bundled_voice

    voice = bundled_voice()
    path = aligned_model(voice, tmp_path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["output", "/Ceil_output_0"]
    piper = PiperVoice(session=session, config=PiperConfig.from_dict(json.loads(voice.config.read_text())))
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)
    (chunk,) = piper.synthesize("The ferry sails at noon.", config, include_alignments=True)
    timed = PhonemeChunk.from_piper(chunk)
    # the patched model's per-phoneme sample counts add up to the audio it made
    assert isinstance(timed, PhonemeChunk) and timed.total == np.asarray(chunk.audio_float_array).size


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").iterdir())


@pytest.mark.voice
@pytest.mark.parametrize("article", EXAMPLES, ids=lambda p: p.stem)
def test_word_starts_agree_with_an_independent_recogniser(real_episodes, article: Path) -> None:  # type: ignore[no-untyped-def]
    """Word starts in the JSON transcript against pocketsphinx's word times on the decoded MP3."""
    import difflib
    import json

    from audio_tools import decode

    from narrate.publish.sidecars import sidecar_paths
    from narrate.verify.recognise import recognise, words_of

    result = real_episodes(article)
    segments = json.loads(sidecar_paths(result.path)["transcript"].read_text(encoding="utf-8"))["segments"]
    ours = [(" ".join(words_of(s["body"])), s["startTime"]) for s in segments]
    pcm = (np.clip(decode(result.path, 16000), -1, 1) * 32767).astype(np.int16)
    heard = recognise(pcm, [words_of(s.spoken) for s in result.script.sentences], jobs=2)
    theirs = [(w.text, w.start / 16000) for w in heard.words]
    matcher = difflib.SequenceMatcher(None, [w for w, _ in ours], [w for w, _ in theirs], autojunk=False)
    pairs = [(b.a + k, b.b + k) for b in matcher.get_matching_blocks() for k in range(b.size)]
    gaps = [abs(ours[i][1] - theirs[j][1]) for i, j in pairs]
    median = float(np.median(gaps))
    print(f"{article.stem}: {len(gaps)} of {len(ours)} words matched, median gap {median * 1000:.0f} ms")
    assert len(gaps) >= 0.7 * len(ours)
    assert median <= 0.150


@pytest.mark.voice
def test_a_voice_without_the_patch_keeps_sentence_timings(tmp_path: Path) -> None:
    import dataclasses
    import json

    from narrate.audio.synth import PiperSynthesizer
    from narrate.audio.voices import bundled_voice
    from narrate.pipeline import NarrationOptions, narrate_article
    from narrate.profile import load_profile
    from narrate.publish.sidecars import write_sidecars

    def no_onnx(source: Path, target: Path) -> None:
        raise AlignmentUnavailable("word timings need the onnx package (pip install onnx)")

    article = tmp_path / "a.txt"
    article.write_text("Title: Short\n\nThe ferry sails at noon. It returns at six.\n", encoding="utf-8")
    profile = load_profile()
    settings = dataclasses.replace(profile.voice, noise_scale=0.0, noise_w_scale=0.0)
    synth = PiperSynthesizer(bundled_voice(), settings, aligned_dir=tmp_path / "aligned", patcher=no_onnx)
    result = narrate_article(
        article,
        NarrationOptions(output=tmp_path / "a.mp3", profile=profile),
        synthesizer=synth,
    )
    assert result.note is not None and "onnx" in result.note
    assert result.cues and all(c.words == () for c in result.cues)
    written = write_sidecars(result.path, result.cues, result.chapters, result.rate)
    bodies = [s["body"] for s in json.loads(written["transcript"].read_text(encoding="utf-8"))["segments"]]
    assert "The ferry sails at noon." in bodies and "It returns at six." in bodies
