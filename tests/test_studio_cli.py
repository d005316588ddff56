"""`narrate studio` from the command line, and the library pieces under it: survey, lexicon files, matches."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import IO, cast

import pytest
from support import copy_examples

from narrate import cli
from narrate.audio.synth import FakeSynthesizer, FakeVoice
from narrate.batch import BatchOptions, run_batch, survey
from narrate.errors import OutputError, ProfileError
from narrate.profile import VoiceChoice
from narrate.text.lexicon import Lexicon

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "water-bills.md"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return copy_examples(tmp_path / "articles", ("water-bills.md", "night-buses.md"))


# --- the command ----------------------------------------------------------------------------------


def test_studio_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["studio", "-h"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "narrate studio examples/water-bills.md" in out and "--no-browser" in out
    assert "pip install 'narrate-news[studio]'" in out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("70000", "--port must be between 0 and 65535, not 70000"),
        ("http", "--port takes a number such as 8765"),
    ],
)
def test_bad_port_fails_in_the_parser(capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["studio", "--port", value])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def _python(code: str, **kwargs: object) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,  # type: ignore[call-overload]
    )


def test_missing_extra_is_one_line_naming_it(folder: Path) -> None:
    # a separate interpreter in which the extra's packages cannot be imported
    proc = _python(f"""
        import sys
        sys.modules["starlette"] = None
        sys.modules["uvicorn"] = None
        from narrate import cli
        sys.exit(cli.main(["studio", {str(folder)!r}, "--no-browser"]))
    """)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and out == ""
    assert (
        err == "narrate: error: narrate studio needs its optional packages: "
        "pip install 'narrate-news[studio]'\n"
    )


def _start_cli(folder: Path, host: str) -> tuple[subprocess.Popen[str], str]:
    proc = _python(f"""
        import sys
        from narrate import cli
        from narrate.audio.synth import FakeSynthesizer
        sys.exit(cli.main(["studio", {str(folder)!r}, "--host", {host!r}, "--port", "0", "--no-browser",
                           "--cache-dir", {str(folder.parent / "cache")!r}],
                          synthesizer_factory=FakeSynthesizer().factory))
    """)
    line = cast(IO[str], proc.stdout).readline()  # _python opens it with stdout=PIPE
    return proc, line


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return err


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_studio_prints_its_address_serves_and_warns_off_loopback(folder: Path, host: str) -> None:
    proc, line = _start_cli(folder, host)
    try:
        assert line.startswith(f"narrate studio: http://{host}:"), line
        address = line.split(": ", 1)[1].strip()
        port = int(address.split(":")[2].split("/")[0])
        token = address.split("?token=")[1]
        assert len(token) >= 24
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/articles", headers={"X-Narrate-Token": token}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            paths = [a["path"] for a in json.load(response)["articles"]]
        assert paths == ["night-buses.md", "water-bills.md"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/articles", timeout=10)
        assert refused.value.code == 403
        refused.value.close()
    finally:
        err = _stop(proc)
    assert proc.returncode == 0
    warned = f"narrate: warning: listening on {host}: other machines can reach the studio" in err
    assert warned == (host == "0.0.0.0")


def test_port_in_use_is_one_line(folder: Path) -> None:
    from narrate.studio.server import StudioServer
    from narrate.studio.service import Studio, StudioOptions

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        studio = Studio(StudioOptions(folder), synthesizer_factory=FakeSynthesizer().factory)
        with pytest.raises(OutputError, match=f"port {port} is in use: pick another with --port"):
            StudioServer(studio, "127.0.0.1", port)
    finally:
        holder.close()


def test_a_missing_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["studio", str(tmp_path / "nowhere"), "--no-browser"], synthesizer_factory=FakeSynthesizer().factory
    )
    assert code == 2
    assert capsys.readouterr().err.strip().endswith("not found: pass an article or a folder of articles")


# --- batch.survey: an episode's state without making anything --------------------------------------


def _states(folder: Path, lexicon: Path | None = None, speed: float | None = None) -> dict[str, str]:
    options = BatchOptions(output_dir=folder / "out", lexicon=lexicon, voice=VoiceChoice(speed=speed))
    found = survey([folder], options, synthesizer_factory=FakeVoice())
    return {s.path.name: s.state for s in found}


def _batch(folder: Path, voice: FakeVoice | None = None) -> dict[str, str]:
    report = run_batch(
        [folder], BatchOptions(output_dir=folder / "out", jobs=1), synthesizer_factory=voice or FakeVoice()
    )
    return {Path(e.source).name: e.state for e in report.episodes}


def test_survey_follows_what_batch_would_do(folder: Path) -> None:
    assert _states(folder) == {"night-buses.md": "new", "water-bills.md": "new"}
    assert _batch(folder) == {"night-buses.md": "made", "water-bills.md": "made"}
    assert _states(folder) == {"night-buses.md": "made", "water-bills.md": "made"}
    with open(folder / ARTICLE, "a", encoding="utf-8") as fh:
        fh.write("\nA sentence added after it was made.\n")
    assert _states(folder) == {"night-buses.md": "made", "water-bills.md": "changed"}
    assert _batch(folder) == {"night-buses.md": "unchanged", "water-bills.md": "made"}
    lexicon = folder.parent / "names.toml"
    lexicon.write_text('Ofwat = "OFF-wot"\n', encoding="utf-8")
    # only the article that says "Ofwat" is said differently now
    assert _states(folder, lexicon=lexicon) == {"night-buses.md": "made", "water-bills.md": "changed"}
    assert _states(folder, speed=1.1) == {"night-buses.md": "changed", "water-bills.md": "changed"}
    for vtt in (folder / "out").glob("night-*.vtt"):
        vtt.unlink()  # a file of the episode went missing
    assert _states(folder)["night-buses.md"] == "changed"


def test_survey_reports_a_failed_episode_with_its_error(folder: Path) -> None:
    assert _batch(folder, FakeVoice(fail_on="Ofwat"))["water-bills.md"] == "failed"
    surveyed = survey([folder], BatchOptions(output_dir=folder / "out"), synthesizer_factory=FakeVoice())
    found = {s.path.name: s for s in surveyed}
    assert found["water-bills.md"].state == "failed"
    assert "fake synthesiser told to fail" in found["water-bills.md"].error
    assert found["night-buses.md"].state == "made" and found["night-buses.md"].files["mp3"].endswith(".mp3")


# --- the lexicon file and Lexicon.matches -----------------------------------------------------------


def test_top_level_lexicon_stays_top_level(tmp_path: Path) -> None:
    from narrate.studio.lexicon_file import remove_entry, set_entry

    path = tmp_path / "names.toml"
    path.write_text('# top-level entries\nUshakov = "oo-sha-KOFF"\n', encoding="utf-8")
    set_entry(path, "Ofwat", "OFF-wot")
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"Ushakov": "oo-sha-KOFF", "Ofwat": "OFF-wot"}
    removed = remove_entry(path, "Ushakov")  # the lexicon the file now holds; None once nothing was removed
    assert removed is not None and removed.entries == {"Ofwat": "OFF-wot"}
    assert remove_entry(path, "Ushakov") is None
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"Ofwat": "OFF-wot"}
    assert Lexicon.load(path).entries == {"Ofwat": "OFF-wot"}


def test_a_whole_profile_as_lexicon_keeps_its_other_tables(tmp_path: Path) -> None:
    from narrate.studio.lexicon_file import set_entry

    path = tmp_path / "profile.toml"
    path.write_text('[voice]\nlength_scale = 1.1\n\n[lexicon]\nUshakov = "oo-sha-KOFF"\n', encoding="utf-8")
    set_entry(path, "gif", "[[ dʒˈɪf ]]")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data == {
        "voice": {"length_scale": 1.1},
        "lexicon": {"Ushakov": "oo-sha-KOFF", "gif": "[[ dʒˈɪf ]]"},
    }


def test_a_broken_lexicon_file_is_not_overwritten(tmp_path: Path) -> None:
    from narrate.studio.lexicon_file import set_entry

    path = tmp_path / "names.toml"
    path.write_text("Ushakov = oo-sha-KOFF\n", encoding="utf-8")  # no quotes: not TOML
    with pytest.raises(ProfileError, match="not valid TOML") as failure:
        set_entry(path, "Ofwat", "OFF-wot")
    assert "\n" not in str(failure.value)
    assert path.read_text(encoding="utf-8") == "Ushakov = oo-sha-KOFF\n"


def test_matches_lists_what_the_lexicon_replaces() -> None:
    lexicon = Lexicon({"Ushakov": "oo-sha-KOFF", "keir starmer": "keer starmer", "Co": "company"})
    text = "Keir Starmer met Ushakov; USHAKOV and Coca cola, Co. and Patel’s co."
    assert lexicon.matches(text) == [
        ("Keir Starmer", "keer starmer"),
        ("Ushakov", "oo-sha-KOFF"),
        ("Co", "company"),
    ]
    assert (
        lexicon.apply(text) == "keer starmer met oo-sha-KOFF; USHAKOV and Coca cola, company. and Patel’s co."
    )
    assert Lexicon({"Patel's": "pa-TELZ"}).matches("Mr Patel’s shop") == [("Patel's", "pa-TELZ")]
    assert Lexicon({}).matches("anything") == []


def test_a_broken_lexicon_file_stops_the_studio_at_start(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "lexicon.toml").write_text("Ofwat = OFF-wot\n", encoding="utf-8")
    code = cli.main(["studio", str(folder), "--no-browser"], synthesizer_factory=FakeSynthesizer().factory)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "lexicon.toml: not valid TOML" in err
