"""The real voice with its phonemiser data damaged in a copy of piper; studio word timings; espeak shared."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from narrate.audio.cache import CacheOptions
from narrate.audio.synth import piper_synthesizer
from narrate.profile import load_profile

pytestmark = pytest.mark.voice

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "examples" / "night-buses.md"
DAMAGE_AFTER = 4  # sentences made whole before the data goes

# A narrate run whose voice damages its own espeak-ng data after DAMAGE_AFTER sentences: the piper package
# imported is the test's copy (first on PYTHONPATH), never the venv's.
_DRIVER = """
import os, sys, shutil
import piper
from pathlib import Path
copy = Path(os.environ["PIPER_COPY"])
assert Path(piper.__file__).parent == copy, piper.__file__
from narrate import cli
from narrate.audio.synth import PiperSynthesizer
from narrate.audio.voices import find_voice

data = copy / "espeak-ng-data"
mode, after = os.environ["DAMAGE"], int(os.environ["DAMAGE_AFTER"])

class Damaging(PiperSynthesizer):
    made = 0
    def synthesize_words(self, text):
        if Damaging.made == after:
            if mode == "remove":
                shutil.move(data, copy / "espeak-ng-data.gone")
            else:  # zero the dictionary's body, keep its header: espeak then reads every word as letters
                raw = (data / "en_dict").read_bytes()
                (data / "en_dict").write_bytes(raw[:8] + bytes(len(raw) - 8))
        Damaging.made += 1
        return super().synthesize_words(text)

factory = lambda settings, threads=0: Damaging(find_voice(settings.name), settings, threads)
sys.exit(cli.main(sys.argv[1:], synthesizer_factory=factory))
"""


@pytest.fixture
def piper_copy(tmp_path: Path) -> Path:
    import piper

    copy = tmp_path / "packages" / "piper"
    shutil.copytree(Path(piper.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _run(
    args: list[str], piper_copy: Path | None, damage: str = "", code: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if piper_copy is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(piper_copy.parent), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        env.update(PIPER_COPY=str(piper_copy), DAMAGE=damage, DAMAGE_AFTER=str(DAMAGE_AFTER))
    command = [sys.executable, "-c", code or _DRIVER, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


_PLAIN = "import sys; from narrate import cli; sys.exit(cli.main(sys.argv[1:]))"


def _entries(cache: Path) -> list[tuple[np.ndarray, str]]:
    """Every cached clip and its sentence, read with the entry layout by hand (not narrate's reader)."""
    found = []
    for path in cache.rglob("*.f32"):
        data = path.read_bytes()
        _, count, size, _ = struct.unpack_from("<4sQII", data)
        samples = np.frombuffer(data[20 : 20 + 4 * count], dtype="<f4")
        said = json.loads(data[20 + 4 * count :])["said"]
        found.append((samples, said[0]))
    return found


@pytest.mark.parametrize(
    ("damage", "exit_code", "message"),
    [
        ("remove", 2, "the voice's espeak-ng data is missing or unreadable ("),
        ("zero", 3, "failed the plausibility check twice (espeak gave"),
    ],
)
def test_phonemiser_data_damaged_mid_run(
    tmp_path: Path, piper_copy: Path, damage: str, exit_code: int, message: str
) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = [str(ARTICLE), "--output-dir", str(out), "--cache-dir", str(cache), "--quiet", "--jobs", "1"]
    failed = _run(args, piper_copy, damage)
    assert failed.returncode == exit_code, failed.stderr
    error = [line for line in failed.stderr.splitlines() if "error:" in line]
    assert len(error) == 1 and message in error[0], failed.stderr
    assert "reinstall piper-tts" in error[0]
    assert not list(out.glob("*.mp3")) if out.exists() else True
    # only the sentences made before the damage were kept, each as long as the healthy voice says it
    kept = _entries(cache)
    assert len(kept) == DAMAGE_AFTER
    healthy_voice = piper_synthesizer(load_profile().voice)
    for samples, text in kept:
        reference = healthy_voice.synthesize(text)
        assert 0.7 < len(samples) / len(reference) < 1.4, text
        assert np.sqrt(np.mean(samples**2)) > 0.01, text
    # a healthy run on the same cache (the venv's own piper) makes an episode the recogniser passes
    healthy = _run(args, None, code=_PLAIN)
    assert healthy.returncode == 0, healthy.stderr
    checked = _run(["check", str(ARTICLE), "--output-dir", str(out), "--jobs", "1"], None, code=_PLAIN)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_phonemiser_data_missing_from_the_start(tmp_path: Path, piper_copy: Path, jobs: str) -> None:
    shutil.move(piper_copy / "espeak-ng-data", piper_copy.parent / "elsewhere")
    out = tmp_path / "out"
    args = [str(ARTICLE), "--output-dir", str(out), "--cache-dir", str(tmp_path / "cache"), "--jobs", jobs]
    failed = _run([*args, "--quiet"], piper_copy, damage="none")
    assert failed.returncode == 2, failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1, failed.stderr
    assert f"the voice's espeak-ng data is missing or unreadable ({piper_copy / 'espeak-ng-data'}" in lines[0]
    assert "out of memory" not in lines[0]
    assert not out.exists() or not any(out.iterdir())
    assert not list((tmp_path / "cache").rglob("*.f32"))


# --- word timings survive the studio and the CLI sharing one cache --------------------------------


def _heard_times(mp3: Path) -> list[tuple[str, float]]:
    """(word, start s) as pocketsphinx's general en-US model hears the MP3 (not narrate's recogniser)."""
    from audio_tools import decode
    from pocketsphinx import Decoder

    audio = decode(mp3, rate=16000)
    decoder = Decoder(samprate=16000)
    decoder.start_utt()
    decoder.process_raw((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes(), full_utt=True)
    decoder.end_utt()
    return [
        (seg.word.split("(")[0].lower(), seg.start_frame / 100)
        for seg in decoder.seg()
        if seg.word.split("(")[0] not in ("<s>", "</s>", "<sil>", "[NOISE]")
    ]


def _start_errors(transcript: Path, heard: list[tuple[str, float]]) -> list[float]:
    """|start - heard start| for each transcript word the recogniser heard as the same word."""
    segments = json.loads(transcript.read_text(encoding="utf-8"))["segments"]
    words = [
        ("".join(c for c in s["body"].lower() if c.isalpha() or c == "'"), float(s["startTime"]))
        for s in segments
    ]
    matcher = difflib.SequenceMatcher(None, [w for w, _ in words], [w for w, _ in heard], autojunk=False)
    return [
        abs(words[block.a + k][1] - heard[block.b + k][1])
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    ]


def test_a_studio_render_then_the_cli_on_its_cache_both_keep_word_timings(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("httpx2")
    from starlette.testclient import TestClient

    from narrate.studio.app import create_app
    from narrate.studio.service import Studio, StudioOptions

    folder, cache = tmp_path / "articles", tmp_path / "cache"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / ARTICLE.name)
    studio = Studio(StudioOptions(folder, cache=CacheOptions(directory=cache)))
    token = "test-token-0123456789"
    client = TestClient(
        create_app(studio, token=token, host="127.0.0.1", port=8765),
        base_url="http://127.0.0.1:8765",
        headers={"X-Narrate-Token": token},
    )
    assert client.post("/api/render", json={"paths": [ARTICLE.name]}).status_code == 202
    with client.stream("GET", "/api/events") as stream:
        for _ in stream.iter_lines():
            pass
    studio_json = next((folder / "output").glob("*.transcript.json"))
    out = tmp_path / "cli"
    args = [str(folder / ARTICLE.name), "--transcript", "--force", "--output-dir", str(out)]
    cli = _run([*args, "--cache-dir", str(cache), "--quiet"], None, code=_PLAIN)
    assert cli.returncode == 0, cli.stderr
    cli_json = next(out.glob("*.transcript.json"))
    for transcript, mp3 in (
        (studio_json, next((folder / "output").glob("*.mp3"))),
        (cli_json, next(out.glob("*.mp3"))),
    ):
        words = len(json.loads(transcript.read_text(encoding="utf-8"))["segments"])
        assert words > 100, f"{transcript}: {words} segments, one a sentence rather than one a word"
        errors = _start_errors(transcript, _heard_times(mp3))
        assert len(errors) > 60  # most words heard as written
        assert float(np.median(errors)) < 0.15 and float(np.percentile(errors, 90)) < 0.4, sorted(errors)[
            -10:
        ]


# --- one phonemiser, one lock ---------------------------------------------------------------------


def test_words_previews_and_a_render_at_once_match_a_serial_run(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("httpx2")
    import dataclasses
    import threading

    from starlette.testclient import TestClient

    from narrate.audio.synth import piper_synthesizer
    from narrate.studio.app import create_app
    from narrate.studio.service import Studio, StudioOptions

    def deterministic(settings, threads=0):  # type: ignore[no-untyped-def]
        return piper_synthesizer(dataclasses.replace(settings, noise_scale=0.0, noise_w_scale=0.0), threads)

    def studio_client(name: str) -> tuple[Studio, TestClient]:
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(ARTICLE, folder / ARTICLE.name)
        studio = Studio(StudioOptions(folder, cache=CacheOptions(use=False)), deterministic)
        token = "test-token-0123456789"
        app = create_app(studio, token=token, host="127.0.0.1", port=8765)
        return studio, TestClient(app, base_url="http://127.0.0.1:8765", headers={"X-Narrate-Token": token})

    says = ["Keir Starmer met Yuri Ushakov in Reykjavik.", "Night buses return to Aberystwyth on Friday."]

    def work(client: TestClient, results: dict[str, object], order: list[str]) -> None:
        for task in order:
            if task == "words":
                results["words"] = client.get("/api/words", params={"path": ARTICLE.name}).json()
            elif task == "render":
                assert client.post("/api/render", json={"paths": [ARTICLE.name]}).status_code == 202
                with client.stream("GET", "/api/events") as stream:
                    for _ in stream.iter_lines():
                        pass
            elif task == "preview":
                results[task] = client.get(
                    "/api/preview", params={"path": ARTICLE.name, "paragraph": "2"}
                ).content
            else:
                results[task] = client.post("/api/say", json={"text": says[int(task[-1])]}).content

    serial: dict[str, object] = {}
    _, serial_client = studio_client("serial")
    work(serial_client, serial, ["words", "say0", "say1", "preview", "render"])
    together: dict[str, object] = {}
    _, client = studio_client("together")
    threads = [
        threading.Thread(target=work, args=(client, together, [task]))
        for task in ["render", "words", "say0", "preview", "say1", "words", "say0"]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert together["words"] == serial["words"] and serial["words"]
    for task in ("say0", "say1", "preview"):
        assert together[task] == serial[task] and len(serial[task]) > 44100, task  # type: ignore[arg-type]
    a = next((tmp_path / "serial" / "output").glob("*.transcript.json")).read_text(encoding="utf-8")
    b = next((tmp_path / "together" / "output").glob("*.transcript.json")).read_text(encoding="utf-8")
    assert a == b
    from audio_tools import decode

    np.testing.assert_array_equal(
        decode(next((tmp_path / "serial" / "output").glob("*.mp3"))),
        decode(next((tmp_path / "together" / "output").glob("*.mp3"))),
    )
