"""Profiles: the bundled Byline profile, overrides, and errors that name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.errors import ProfileError
from narrate.profile import load_profile, parse_profile
from narrate.text.script import fill_line


def test_bundled_profile_is_complete() -> None:
    profile = load_profile()
    assert profile.podcast.name == "Byline Times Audio Articles"
    assert profile.intro.chapter == "Introduction" and profile.outro.chapter == "Outro"
    assert profile.loudness.integrated_lufs == -19.0 and profile.loudness.true_peak_dbtp == -1.0
    assert profile.mp3.bitrate_kbps == 64 and profile.mp3.sample_rate == 44100
    assert profile.speech.locale == "en-GB"
    assert profile.pauses.paragraph > profile.pauses.sentence


def test_partial_profile_keeps_defaults(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[podcast]\nname = "My Show"\n\n[pauses]\nsentence = 0.5\n', encoding="utf-8")
    profile = load_profile(path)
    assert profile.podcast.name == "My Show"
    assert profile.pauses.sentence == 0.5
    assert profile.pauses.paragraph == 0.75
    assert profile.name == "p"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[voice]\ncolour = 1\n", "unknown key 'colour'"),
        ("[vioce]\nname = 'x'\n", "unknown section [vioce]"),
        ("[pauses]\nsentence = 'long'\n", "key 'sentence' must be a number"),
        ("[pauses]\nsentence = 99\n", "between 0 and 10"),
        ("[mp3]\nbitrate_kbps = 65\n", "bitrate_kbps"),
        ("[speech]\nlocale = 'fr-FR'\n", "locale"),
        ("[podcast]\nexplicit = 'no'\n", "true or false"),
        ("[intro]\nlines = [1, 2]\n", "must be a string"),
        ("[clean]\ncard_labels = 'EXCLUSIVE'\n", "must be a list"),
        ("not toml at all [", "not valid TOML"),
        ("podcast = 3\n", "[podcast] must be a table"),
    ],
)
def test_bad_profiles_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_profile(text, "bad.toml")


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="not found"):
        load_profile(tmp_path / "none.toml")
    with pytest.raises(ProfileError, match="is a folder"):
        load_profile(tmp_path)


@pytest.mark.parametrize(
    ("line", "fields", "expected"),
    [
        ("{title}.", {"title": "A Title"}, "A Title."),
        ("{title}.", {"title": "Who Pays?"}, "Who Pays?"),
        ("By {author}.", {"author": None}, None),
        (("On {date}.", "Undated."), {"date": None}, "Undated."),
        (("On {date}.", "Undated."), {"date": "3 March 2025"}, "On 3 March 2025."),
        ("{title} {unknown}", {"title": "T"}, None),
        ("{title} {{braces}}", {"title": "T"}, "T {braces}"),
    ],
)
def test_template_lines(line: object, fields: dict[str, str | None], expected: str | None) -> None:
    assert fill_line(line, fields) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("website", "https://example.com/\\u0001x", "U+0001"),
        ("owner_email", "news@example.com\\u001b", "U+001B"),
        ("artwork_url", "https://example.com/a b.png", "U+0020"),
        ("base_url", "https://example.com/\\u0000", "U+0000"),
        ("description", "A show\\u0008 about news", "U+0008"),
        ("name", "Byline\\u000b Audio", "U+000B"),
    ],
)
def test_characters_the_feed_cannot_carry_are_a_profile_error(
    tmp_path: Path, key: str, value: str, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from narrate import cli

    profile = tmp_path / "p.toml"
    profile.write_text(f'[podcast]\n{key} = "{value}"\n', encoding="utf-8")
    published = tmp_path / "published"
    published.mkdir()
    (published / ".narrate-manifest.json").write_text('{"version": 2, "episodes": []}', encoding="utf-8")
    article = Path(__file__).resolve().parents[1] / "examples" / "night-buses.md"
    for argv in (
        ["batch", str(article), "-o", str(tmp_path / "out"), "--profile", str(profile)],
        ["feed", str(published), "--profile", str(profile)],
    ):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"[podcast] key '{key}'" in err and code in err
    assert not (tmp_path / "out").exists()


def test_a_description_may_span_lines() -> None:
    profile = parse_profile('[podcast]\ndescription = "One line.\\nAnother."\n', "p.toml")
    assert profile.podcast.description == "One line.\nAnother."


def test_the_voice_choice_is_applied_once_however_often_it_is_asked_for() -> None:
    # speed divides the length scale: the bundled profile's 1.0 at --speed 2 is 0.5, never 0.25
    chosen = load_profile().with_voice(speed=2.0)
    assert chosen.voice.length_scale == 0.5
    again = chosen.with_voice(speed=2.0)
    assert again is chosen and again.voice.length_scale == 0.5
    assert chosen.with_voice() is chosen  # choosing nothing changes nothing


def test_a_second_different_voice_choice_is_refused() -> None:
    chosen = load_profile().with_voice(speed=2.0)
    with pytest.raises(ValueError, match="already chosen"):
        chosen.with_voice(speed=1.5)
    with pytest.raises(ValueError, match="already chosen"):
        chosen.with_voice("en_GB-alan-low", 2.0)


def test_another_voice_speaks_as_its_first_speaker_unless_one_is_named() -> None:
    profile = parse_profile('[voice]\nname = "en_US-libritts_r-medium"\nspeaker = 7\n', "p.toml")
    assert profile.with_voice(speed=1.25).voice.speaker == 7  # same voice: the profile's speaker
    assert profile.with_voice("en_GB-alan-low").voice.speaker == 0
    assert profile.with_voice("en_GB-alan-low", speaker=3).voice.speaker == 3
    assert profile.with_voice(speed=1.25).voice.length_scale == 0.8
