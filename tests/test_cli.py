"""CLI: every command and every error path, on the fake synthesiser where audio is made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import run

from narrate import cli
from narrate.audio.synth import FakeSynthesizer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"


@pytest.fixture
def fake_piper(monkeypatch: pytest.MonkeyPatch) -> FakeSynthesizer:
    """Route the CLI's synthesiser to the fake one (the real voice is tested in test_voice.py)."""
    synth = FakeSynthesizer()
    return synth


def test_narrate_prints_a_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_piper: FakeSynthesizer
) -> None:
    code, out, err = run([str(SAMPLE), "--output-dir", str(tmp_path), "--quiet"], capsys, fake_piper)
    assert code == 0, err
    path = tmp_path / "water-bills-rise-again-as-leaks-go-unfixed.mp3"
    assert path.is_file()
    assert out.startswith(str(path))
    assert "5 chapters" in out and "real time" in out
    assert err == ""


def test_script_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["script", str(SAMPLE), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"title", "author", "date", "chapters"}
    assert data["date"] == "2026-03-04"
    assert [c["kind"] for c in data["chapters"]] == ["intro", "body", "body", "body", "outro"]
    sentence = data["chapters"][1]["paragraphs"][0]["sentences"][0]
    assert set(sentence) == {"text", "spoken"}
    assert "£603" in sentence["text"] and "six hundred and three pounds" in sentence["spoken"]


def test_script_text_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["script", str(SAMPLE)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[:11] == [
        "# 1. Introduction",
        "",
        "[1]",
        "Water Bills Rise Again as Leaks Go Unfixed.",
        "By Hannah Cole.",
        "Published by Byline Times on the fourth of March twenty twenty-six.",
        "",
        "# 2. Water Bills Rise Again as Leaks Go Unfixed",
        "",
        "[2]",
        "Households in England and Wales will pay an average of six hundred and three pounds a year for "
        "water from April, a rise of eight point five per cent on last year and the third above-inflation "
        "increase in a row.",
    ]
    assert [line for line in lines if line.startswith("#")] == [
        "# 1. Introduction",
        "# 2. Water Bills Rise Again as Leaks Go Unfixed",
        "# 3. Where the money goes",
        "# 4. What happens next",
        "# 5. Outro",
    ]
    assert [line for line in lines if line.startswith("[")] == [f"[{n}]" for n in range(1, 11)]


def test_clean_prints_header_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Title: A Headline\nAuthor: Sam Roe\n\nThe body paragraph.\n", encoding="utf-8")
    code, out, _ = run(["clean", str(page)], capsys)
    assert code == 0
    assert out.startswith("Title: A Headline\nAuthor: Sam Roe\n")
    assert "The body paragraph." in out


def test_voices_lists_the_bundled_voice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["voices"], capsys)
    assert code == 0
    assert "en_US-joe-medium" in out and "22050" in out and "medium" in out


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["missing.txt"], "not found"),
        ("dir", ["{tmp}"], "is a folder"),
        ("empty", ["{tmp}/empty.txt"], "nothing to read"),
        ("binary", ["{tmp}/image.png"], "binary file"),
        ("article", ["{tmp}/a.txt", "--voice", "nobody"], "unknown voice 'nobody'"),
        ("article", ["{tmp}/a.txt", "--profile", "{tmp}/bad.toml"], "unknown key 'colour'"),
        ("article", ["{tmp}/a.txt", "--profile", "{tmp}/nope.toml"], "not found"),
        ("article", ["{tmp}/a.txt", "--lexicon", "{tmp}/badlex.toml"], "badlex.toml"),
    ],
)
def test_errors_are_one_line_with_nonzero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str | None, args: list[str], message: str
) -> None:
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "a.txt").write_text("T\n\nBody.\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[voice]\ncolour = 'red'\n", encoding="utf-8")
    (tmp_path / "badlex.toml").write_text("[lexicon]\nWord = 3\n", encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args] + ["--output-dir", str(tmp_path / "out")]
    code, out, err = run(argv, capsys)
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


def test_bad_speed_fails_in_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([str(SAMPLE), "--speed", "9"])
    assert exc.value.code == 2
    assert "between 0.5 and 2.0" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["script"], ["clean"], ["voices"]])
def test_help_has_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([*command, "-h"])
    assert exc.value.code == 0
    assert "example" in capsys.readouterr().out


def test_python_dash_m_and_stdin(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "narrate", "script", "-", "--json"],
        input=b"Title: From Stdin\n\nA sentence from standard input.\n",
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["title"] == "From Stdin"


def test_script_explain_shows_each_rewrite_under_its_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    article = tmp_path / "helplines.md"
    article.write_text("# Helplines\n\nCall 999 now or ring NHS 111. A £2.5bn fund opens at 18:30.\n")
    code, out, _ = run(["script", str(article), "--explain"], capsys)
    assert code == 0
    lines = out.splitlines()
    at = lines.index("Call nine nine nine now or ring N.H.S one one one.")
    assert lines[at + 1 : at + 5] == [
        "    written: Call 999 now or ring NHS 111.",
        "    service number (after 'call'): 999 -> nine nine nine",
        "    service number (after 'nhs'): 111 -> one one one",
        "    acronym: NHS -> N.H.S",
    ]
    # a sentence said as written has no "written:" line and no rewrites under it
    at = lines.index("Helplines.")
    assert not lines[at + 1].startswith("    ")
    at = lines.index("A two point five billion pound fund opens at eighteen thirty.")
    assert lines[at + 1 : at + 4] == [
        "    written: A £2.5bn fund opens at 18:30.",
        "    clock time: 18:30 -> eighteen thirty",
        "    money (before a noun: singular): £2.5bn -> two point five billion pound",
    ]


def test_script_json_explain_adds_rewrites_and_plain_json_is_unchanged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    article = tmp_path / "roads.md"
    article.write_text("# Roads\n\nThe A303 reopened.\n")
    _, plain, _ = run(["script", str(article), "--json"], capsys)
    _, explained, _ = run(["script", str(article), "--json", "--explain"], capsys)
    plain_data, explained_data = json.loads(plain), json.loads(explained)
    sentences = [s for c in explained_data["chapters"] for p in c["paragraphs"] for s in p["sentences"]]
    road = next(s for s in sentences if s["text"] == "The A303 reopened.")
    assert road["rewrites"] == [{"rule": "road number", "written": "A303", "spoken": "A-three-oh-three"}]
    # without the rewrites, --json --explain is exactly --json: the plain contract has no new key
    for s in sentences:
        del s["rewrites"]
    assert explained_data == plain_data
    assert "rewrites" not in plain


# --- small things a producer meets (issue 23) ------------------------------------------------------


def test_a_mistyped_command_says_which_one_was_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(SystemExit) as stopped:
        cli.main(["bach", str(tmp_path / "in"), "-o", str(tmp_path / "site")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "did you mean `narrate batch`?" in err
    assert "unrecognized arguments" not in err


def test_a_mistyped_option_says_which_one_was_meant(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["script", str(SAMPLE), "--lexicn", "x.toml"])
    assert stopped.value.code == 2
    assert "--lexicn (did you mean --lexicon?)" in capsys.readouterr().err


def test_an_unchanged_episode_has_no_speed_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_piper: FakeSynthesizer
) -> None:
    args = [str(SAMPLE), "--output-dir", str(tmp_path), "--quiet"]
    assert run(args, capsys, fake_piper)[0] == 0
    code, out, err = run(args, capsys, fake_piper)
    assert code == 0, err
    assert "unchanged" in out and "real time" not in out and "LUFS" not in out


def test_one_sentence_is_not_sentences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_piper: FakeSynthesizer
) -> None:
    wav = tmp_path / "line.wav"
    code, out, err = run(["say", "Hello there.", "-o", str(wav), "--no-cache"], capsys, fake_piper)
    assert code == 0, err
    assert "1 sentence synthesised" in err and "sentences" not in err


def test_say_phonemes_shows_what_the_voice_will_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "names.toml"
    names.write_text('[lexicon]\nUshakov = "oo-sha-KOFF"\n', encoding="utf-8")
    code, out, err = run(["say", "--phonemes", "Ushakov said no.", "--lexicon", str(names)], capsys)
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][-1] == "(lexicon)" and "ˈ" in rows[0][-2] and "KOFF" not in out
    assert rows[1] == ["said", "sˈɛd", "(espeak)"]  # a dictionary word: the voice's own reading
    assert rows[2] == ["no", "nˈoʊ", "(espeak)"]
