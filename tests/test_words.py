"""`narrate words`: the words missing from the CMU dictionary (read from pocketsphinx's own file), counted,
with the lexicon's coverage; its --toml skeleton read back by tomllib and used as a lexicon."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from narrate import cli
from narrate.audio.synth import FakeSynthesizer
from narrate.profile import load_profile
from narrate.text.article import load_article
from narrate.text.lexicon import Lexicon
from narrate.verify.recognise import dictionary_path
from narrate.verify.words import guess_words

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ARTICLE = """Title: Talks Resume in Geneva
Author: Ruth Okafor

Yuri Ushakov said the talks would resume on Monday, with £4.2m set aside for the 2026 round.

Okafor's sources said Ushakov met Zbigniewska twice. The NHS was not involved.
"""


def _dictionary() -> set[str]:
    # read straight from the file pocketsphinx ships, not through narrate's loader
    with open(dictionary_path(), encoding="utf-8") as fh:
        return {line.split(" ", 1)[0].split("(", 1)[0] for line in fh}


def _article(tmp_path: Path) -> Path:
    path = tmp_path / "talks.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_only_unknown_words_are_listed_with_counts_and_coverage(tmp_path: Path) -> None:
    article = load_article(_article(tmp_path))
    profile = load_profile()  # the Byline profile says Ushakov = "[[ uːʃˈɑːkɔf ]]"
    words = guess_words(article, profile, None, dictionary=_dictionary(), phonemize=lambda w: f"<{w}>")
    found = {w.word: w for w in words}
    # not in the CMU dictionary (checked by hand): Okafor, Ushakov, Zbigniewska
    assert {"Okafor", "Ushakov", "Zbigniewska"} <= set(found)
    # numbers, money, the acronym said letter by letter, and common words are not guesses
    assert not set(found) & {"four", "million", "pounds", "twenty", "NHS", "the", "Geneva", "Monday"}
    assert found["Okafor"].count == 3  # author in the intro, the by-line, and "Okafor's"
    assert found["Ushakov"].count == 2
    assert found["Ushakov"].covered and found["Ushakov"].phonemes == "uːʃˈɑːkɔf"
    assert not found["Zbigniewska"].covered and found["Zbigniewska"].phonemes == "<Zbigniewska>"
    # uncovered first, commonest first
    assert [w.covered for w in words] == sorted(w.covered for w in words)
    assert words[0].word == "Okafor"


def test_a_lexicon_file_covers_words_and_phrases(tmp_path: Path) -> None:
    article = load_article(_article(tmp_path))
    lexicon = Lexicon({"okafor": "oh-KAH-for", "Zbigniewska Smith": "zbig-NYEF-ska smith"})
    words = guess_words(
        article, load_profile(), lexicon, dictionary=_dictionary(), phonemize=lambda w: f"<{w}>"
    )
    found = {w.word: w for w in words}
    assert found["Okafor"].covered and found["Okafor"].phonemes == "<oh-KAH-for>"
    assert not found["Zbigniewska"].covered  # the phrase does not occur in the article


def test_toml_skeleton_reads_back_as_a_lexicon_that_covers_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = _article(tmp_path)
    assert cli.main(["words", str(article), "--toml"]) == 0
    text = capsys.readouterr().out
    table = tomllib.loads(text)["lexicon"]
    assert {"Okafor", "Zbigniewska"} <= set(table) and "Ushakov" not in table  # covered: left out
    assert all(v.startswith("[[ ") and v.endswith(" ]]") and len(v) > 6 for v in table.values())
    names = tmp_path / "names.toml"
    names.write_text(text, encoding="utf-8")
    assert cli.main(["words", str(article), "--lexicon", str(names)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[:4] == ["word", "said", "voice", "says"]
    okafor = next(r for r in rows if r.startswith("Okafor "))
    assert " covered " in okafor
    assert okafor.endswith(f"narrate say Okafor --lexicon {names}")


def test_the_say_line_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["words", str(_article(tmp_path))]) == 0
    rows = capsys.readouterr().out.splitlines()
    line = next(r for r in rows if r.startswith("Zbigniewska "))
    command = shlex.split(line[line.index("narrate say") :])
    fake = FakeSynthesizer()
    wav = tmp_path / "z.wav"
    assert cli.main([*command[1:], "-o", str(wav)], synthesizer_factory=fake.factory) == 0
    assert wav.stat().st_size > 1000 and fake.calls == ["Zbigniewska"]


def test_words_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["words", "-h"])
    assert "narrate words article.txt --toml" in capsys.readouterr().out
