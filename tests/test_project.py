"""Project folders (narrate.toml found like pyproject.toml) and profiles merged with narrate's defaults."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from narrate import cli
from narrate.audio.cache import CacheOptions
from narrate.audio.synth import FakeSynthesizer
from narrate.project import PROJECT_NAME, Starter, find_project, init_project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "water-bills.md"
NO_AUTHOR = "# Bridge reopens\n\nThe old bridge over the Taff reopened on Monday after repairs.\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str], synth: FakeSynthesizer | None = None):  # type: ignore[no-untyped-def]
    code = cli.main(args, synthesizer_factory=synth.factory if synth else None)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """`narrate init` for Valley News, with one article two folders below narrate.toml."""
    folder = tmp_path / "valley"
    assert (
        cli.main(["init", str(folder), "--name", "Valley News", "--website", "https://valley.example"]) == 0
    )
    (folder / "articles" / "today").mkdir(parents=True)
    shutil.copy(SAMPLE, folder / "articles" / "today" / "water-bills.md")
    return folder


# --- profiles: narrate's generic intro and outro under a partial profile ---------------------------


def test_a_profile_with_only_podcast_still_has_an_intro_and_outro(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "valley.toml"
    profile.write_text('[podcast]\nname = "Valley Audio"\npublication = "Valley News"\n', encoding="utf-8")
    code, out, err = run(["script", str(SAMPLE), "--profile", str(profile)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "# 1. Introduction"
    assert "Published by Valley News on" in out
    assert lines[-1].startswith("You have been listening to Water Bills Rise Again")
    assert lines[-1].endswith("for Valley News.")


def test_the_generic_outro_without_an_author_or_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "valley.toml"
    profile.write_text('[podcast]\npublication = "Valley News"\n', encoding="utf-8")
    article = tmp_path / "bridge.md"
    article.write_text(NO_AUTHOR, encoding="utf-8")
    code, out, err = run(["script", str(article), "--profile", str(profile)], capsys)
    assert code == 0, err
    assert "By " not in out and " on " not in out.splitlines()[3]
    assert "Published by Valley News." in out
    assert out.splitlines()[-1] == "You have been listening to Bridge reopens, from Valley News."


def test_append_adds_lines_after_the_generic_outro(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "valley.toml"
    profile.write_text(
        '[podcast]\npublication = "Valley News"\n[outro]\nappend = ["Subscribe at valley dot example."]\n',
        encoding="utf-8",
    )
    code, out, _ = run(["script", str(SAMPLE), "--profile", str(profile)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[-2].startswith("You have been listening to") and lines[-1] == "Subscribe at valley dot example."
    )


def test_profile_show_prints_the_effective_profile_and_each_value_s_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "valley.toml"
    profile.write_text('[podcast]\nname = "Valley Audio"\n[pauses]\nparagraph = 0.9\n', encoding="utf-8")
    code, out, err = run(["profile", "show", "--profile", str(profile)], capsys)
    assert code == 0, err
    data = tomllib.loads(out)  # the output is TOML a producer can copy into a profile
    assert data["podcast"]["name"] == "Valley Audio" and data["pauses"]["paragraph"] == 0.9
    assert data["pauses"]["sentence"] == 0.35  # narrate's default, filled in
    assert data["intro"]["lines"][0] == "{title}."
    lines = out.splitlines()
    assert f'name = "Valley Audio"  # {profile}' in lines
    assert "sentence = 0.35  # narrate's default" in lines


# --- project folders --------------------------------------------------------------------------------


def test_init_writes_a_project_that_reads_back(project: Path) -> None:
    found = find_project(project / "articles" / "today" / "water-bills.md")
    assert found is not None and found.path == (project / PROJECT_NAME).absolute()
    assert found.profile == (project / "profile.toml").absolute()
    assert found.lexicon == (project / "lexicon.toml").absolute()
    assert found.output == (project / "episodes").absolute()
    profile = tomllib.loads((project / "profile.toml").read_text(encoding="utf-8"))
    assert profile["podcast"]["name"] == "Valley News"
    assert profile["podcast"]["website"] == "https://valley.example"


def test_init_does_not_overwrite_a_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (project / "profile.toml").read_text(encoding="utf-8")
    code, _, err = run(["init", str(project), "--name", "Other"], capsys)
    assert code == 2 and "already exists" in err and "--force" in err
    assert (project / "profile.toml").read_text(encoding="utf-8") == before


def test_every_command_finds_narrate_toml_above_the_article(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (project / "lexicon.toml").write_text('[lexicon]\nOfwat = "OFF-wot"\n', encoding="utf-8")
    article = project / "articles" / "today" / "water-bills.md"
    code, out, err = run(["script", str(article)], capsys)
    assert code == 0, err
    assert "Published by Valley News on" in out  # the project's profile, not Byline's
    assert "The regulator, [[ ˈɔfwɑːt, ]] approved" in out  # the project's lexicon
    assert "Ofwat" not in out
    other = tmp_path / "other.toml"
    other.write_text('[podcast]\npublication = "Hill Post"\n', encoding="utf-8")
    code, out, _ = run(["script", str(article), "--profile", str(other)], capsys)
    assert code == 0 and "Published by Hill Post on" in out  # a flag wins


def test_say_in_a_project_folder_uses_its_lexicon(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "lexicon.toml").write_text('[lexicon]\nOfwat = "OFF-wot"\n', encoding="utf-8")
    monkeypatch.chdir(project / "articles")
    code, out, err = run(["say", "--phonemes", "Ofwat"], capsys)
    assert code == 0, err
    assert out.split() == ["[[", "ˈɔfwɑːt", "]]", "ˈɔfwɑːt", "(lexicon)"]


def test_narrate_writes_into_the_project_s_output_folder(
    project: Path, capsys: pytest.CaptureFixture[str], fake_synth: FakeSynthesizer
) -> None:
    article = project / "articles" / "today" / "water-bills.md"
    code, out, err = run([str(article), "--quiet", "--no-cache"], capsys, fake_synth)
    assert code == 0, err
    mp3 = project / "episodes" / "water-bills-rise-again-as-leaks-go-unfixed.mp3"
    assert out.startswith(str(mp3)) and mp3.is_file()


def test_a_studio_lexicon_fix_is_used_by_the_next_batch(
    project: Path, capsys: pytest.CaptureFixture[str], fake_synth: FakeSynthesizer
) -> None:
    pytest.importorskip("starlette", reason="the studio extra is not installed")
    from narrate.studio.service import Studio, StudioOptions

    articles = project / "articles"
    studio = Studio(
        StudioOptions(articles, cache=CacheOptions(use=False)), synthesizer_factory=fake_synth.factory
    )
    studio.save_entry("Ofwat", "off-wot")
    assert "Ofwat" in tomllib.loads((project / "lexicon.toml").read_text(encoding="utf-8"))["lexicon"]
    assert not (articles / "lexicon.toml").exists()
    fake_synth.calls.clear()
    code, out, err = run(["batch", str(articles), "--quiet", "--no-cache", "--jobs", "1"], capsys, fake_synth)
    assert code == 0, err
    said = " ".join(fake_synth.calls)
    assert "off-wot" in said and "Ofwat" not in said
    assert (project / "episodes" / "water-bills-rise-again-as-leaks-go-unfixed.mp3").is_file()


def test_previews_never_go_among_the_episodes(
    project: Path, capsys: pytest.CaptureFixture[str], fake_synth: FakeSynthesizer
) -> None:
    article = project / "articles" / "today" / "water-bills.md"
    code, out, err = run(["preview", str(article), "-p", "2", "--no-cache"], capsys, fake_synth)
    assert code == 0, err
    wav = Path(out.strip())
    assert wav.parent == project / "previews" and wav.is_file()
    assert not (project / "episodes").exists()


def test_check_finds_the_episode_where_narrate_wrote_it(
    project: Path, capsys: pytest.CaptureFixture[str], fake_synth: FakeSynthesizer
) -> None:
    from narrate.cli.check import episode_path
    from narrate.pipeline import load_script
    from narrate.profile import load_profile

    article = project / "articles" / "today" / "water-bills.md"
    # an earlier article with the same headline takes the plain slug: this one's episode is "-2"
    (project / "articles" / "a-first.md").write_text(
        SAMPLE.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8"
    )
    batch = ["batch", str(project / "articles"), "--quiet", "--no-cache", "--jobs", "1"]
    assert run(batch, capsys, fake_synth)[0] == 0
    script = load_script(article, load_profile(project / "profile.toml"))
    assert episode_path(article, script, project / "episodes") == (
        project / "episodes" / "water-bills-rise-again-as-leaks-go-unfixed-2.mp3"
    )


def test_init_refuses_a_file_as_its_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(Exception, match="is a file"):
        init_project(tmp_path / "file", Starter("X"))


def test_init_copies_artwork_into_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from narrate.profile import load_profile

    art = tmp_path / "art" / "Logo.PNG"
    art.parent.mkdir()
    art.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "vn", "--name", "Valley", "--artwork", "art/Logo.PNG"]) == 0
    profile = load_profile(tmp_path / "vn" / "profile.toml")
    assert profile.cover_path == (tmp_path / "vn" / "cover.png").resolve()
    assert profile.cover_path.read_bytes() == art.read_bytes()
    with pytest.raises(Exception, match="not found"):
        init_project(tmp_path / "other", Starter("X", artwork="missing.jpg"))
    assert not (tmp_path / "other").exists()


def test_the_studio_keeps_the_profile_the_output_folder_was_made_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_synth: FakeSynthesizer
) -> None:
    pytest.importorskip("starlette", reason="the studio extra is not installed")
    from narrate.errors import InputError
    from narrate.studio.service import Studio, StudioOptions

    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SAMPLE, articles / "water-bills.md")
    valley = tmp_path / "valley.toml"
    valley.write_text('[podcast]\nname = "Valley Audio"\n', encoding="utf-8")
    batch = ["batch", str(articles), "-o", str(articles / "output"), "-q", "--no-cache", "--jobs", "1"]
    assert run([*batch, "--profile", str(valley)], capsys, fake_synth)[0] == 0
    studio = Studio(
        StudioOptions(articles, cache=CacheOptions(use=False)), synthesizer_factory=fake_synth.factory
    )
    assert studio.profile.podcast.name == "Valley Audio"  # not Byline's, which would rename the channel
    (tmp_path / "narrate.toml").write_text('profile = "hill.toml"\n', encoding="utf-8")
    (tmp_path / "hill.toml").write_text('[podcast]\nname = "Hill Post"\n', encoding="utf-8")
    with pytest.raises(InputError, match="rename the channel 'Valley Audio' to 'Hill Post'"):
        Studio(StudioOptions(articles, cache=CacheOptions(use=False)), synthesizer_factory=fake_synth.factory)
    chosen = Studio(
        StudioOptions(articles, profile=tmp_path / "hill.toml", cache=CacheOptions(use=False)),
        synthesizer_factory=fake_synth.factory,
    )
    assert chosen.profile.podcast.name == "Hill Post"
