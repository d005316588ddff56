"""The studio's JSON API through Starlette's test client on the fake synthesiser: every endpoint and guard."""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the studio extra is not installed: pip install 'narrate-news[studio]'")  # noqa: E501
pytest.importorskip("httpx2", reason="the test client needs httpx2")

from audio_tools import decode  # noqa: E402
from mutagen.id3 import ID3  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from support import copy_examples  # noqa: E402

from narrate import cli  # noqa: E402
from narrate.audio.cache import CacheOptions
from narrate.audio.synth import FakeSynthesizer  # noqa: E402
from narrate.studio.app import MAX_BODY, create_app  # noqa: E402
from narrate.studio.service import Studio, StudioOptions  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-0123456789"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
ARTICLE = "water-bills.md"
SECRET = "the secret outside the studio's folder"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    articles = copy_examples(tmp_path / "articles", ("water-bills.md", "night-buses.md"))
    (tmp_path / "secret.md").write_text(f"# Secret\n\n{SECRET}.\n", encoding="utf-8")
    return articles


def _studio(folder: Path, synth: object | None = None, **options: object) -> Studio:
    fake = synth or FakeSynthesizer()
    cache = CacheOptions(directory=folder.parent / "cache")
    return Studio(
        StudioOptions(folder, cache=cache, **options),  # type: ignore[arg-type]
        synthesizer_factory=fake.factory,  # type: ignore[attr-defined]
    )


def _client(studio: Studio, token: str | None = TOKEN, **kwargs: object) -> TestClient:
    app = create_app(studio, token=TOKEN, host="127.0.0.1", port=PORT, **kwargs)  # type: ignore[arg-type]
    headers = {"X-Narrate-Token": token} if token else {}
    return TestClient(app, base_url=BASE, headers=headers)


@pytest.fixture
def client(folder: Path) -> TestClient:
    return _client(_studio(folder))


def _wav_samples(data: bytes, tmp_path: Path, name: str = "stream.wav") -> np.ndarray:
    """Decode the streamed WAV with ffmpeg (not our own reader), as 16-bit-precise floats at 22050 Hz."""
    path = tmp_path / name
    path.write_bytes(data)
    return decode(path, rate=22050)


# --- the guard ------------------------------------------------------------------------------------

EVERY_ENDPOINT = [
    ("GET", "/"),
    ("GET", "/static/studio.js"),
    ("GET", "/static/studio.css"),
    ("GET", "/api/articles"),
    ("GET", f"/api/script?path={ARTICLE}"),
    ("GET", f"/api/preview?path={ARTICLE}&paragraph=3"),
    ("POST", "/api/say"),
    ("GET", "/api/lexicon"),
    ("PUT", "/api/lexicon"),
    ("DELETE", "/api/lexicon"),
    ("POST", "/api/render"),
    ("GET", "/api/render"),
    ("GET", "/api/events"),
    ("GET", f"/api/episode?path={ARTICLE}"),
    ("GET", f"/api/words?path={ARTICLE}"),
    ("GET", f"/api/check?path={ARTICLE}"),
    ("GET", "/files/feed.xml"),
    ("GET", "/no/such/route"),
]


@pytest.mark.parametrize(("method", "url"), EVERY_ENDPOINT)
def test_every_request_without_the_token_is_403(folder: Path, method: str, url: str) -> None:
    studio = _studio(folder)
    anonymous = _client(studio, token=None)
    response = anonymous.request(method, url, json={"word": "Ofwat", "spoken": "off what"})
    assert response.status_code == 403
    assert "token" in response.json()["error"]
    wrong = _client(studio, token="not-the-token")
    assert wrong.request(method, url).status_code == 403
    assert not (folder / "lexicon.toml").exists()  # nothing was done behind the refusal
    assert studio.renders.snapshot()[1]["state"] == "idle"


def test_token_in_the_address_sets_a_cookie_that_then_suffices(folder: Path) -> None:
    anonymous = _client(_studio(folder), token=None)
    page = anonymous.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "<title>narrate studio</title>" in page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"narrate-studio-{PORT}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # the client now sends the cookie: a request with no token in it passes
    assert anonymous.get("/api/articles").status_code == 200
    assert anonymous.get("/static/studio.js").headers["content-type"].startswith("text/javascript")


def test_authorization_header_carries_the_token(folder: Path) -> None:
    anonymous = _client(_studio(folder), token=None)
    response = anonymous.get("/api/articles", headers={"Authorization": f"token {TOKEN}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        (f"127.0.0.1:{PORT}", True),
        (f"localhost:{PORT}", True),
        (f"LOCALHOST:{PORT}", True),
        (f"evil.example:{PORT}", False),  # DNS rebinding: a name that resolves to 127.0.0.1
        ("evil.example", False),
        (f"127.0.0.1:{PORT + 1}", False),
        ("", False),
    ],
)
def test_host_header_is_checked(client: TestClient, host: str, allowed: bool) -> None:
    response = client.get("/api/articles", headers={"Host": host})
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert "host" in response.json()["error"]


def test_requests_from_another_site_are_refused(client: TestClient) -> None:
    response = client.put(
        "/api/lexicon", json={"word": "a", "spoken": "b"}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    same = client.get("/api/articles", headers={"Origin": BASE})
    assert same.status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "../secret.md",
        "/etc/passwd",
        str(Path("/") / "etc" / "hosts"),
        "sub/../../secret.md",
        "..",
        "",
        ".hidden.md",
        "night-buses.md/../../secret.md",
        "..\\secret.md",
        "water-bills.md\x00.txt",
    ],
)
def test_paths_outside_the_folder_are_404(client: TestClient, folder: Path, name: str) -> None:
    for method, url, payload in [
        ("GET", "/api/script", {"path": name}),
        ("GET", "/api/preview", {"path": name, "paragraph": "1"}),
        ("GET", "/api/episode", {"path": name}),
        ("GET", "/api/words", {"path": name}),
        ("GET", "/api/check", {"path": name}),
    ]:
        response = client.request(method, url, params=payload)
        assert response.status_code == 404, (url, name)
        assert SECRET not in response.text
    response = client.post("/api/render", json={"paths": [name]})
    assert response.status_code == 404
    assert not (folder / "output").exists()


@pytest.mark.parametrize(
    "name",
    [
        "../secret.md",
        "..%2Fsecret.md",
        "%2e%2e/secret.md",
        "../articles/water-bills.md",
        ".narrate-manifest.json",
        "sub/feed.xml",
    ],
)
def test_files_outside_the_output_folder_are_404(client: TestClient, name: str) -> None:
    response = client.get(f"/files/{name}")
    assert response.status_code == 404
    assert SECRET not in response.text


def test_body_over_the_limit_is_413(client: TestClient, folder: Path) -> None:
    big = json.dumps({"word": "Ofwat", "spoken": "x" * (MAX_BODY + 10)})
    response = client.put("/api/lexicon", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    # the same without a Content-Length (chunked): counted as it arrives
    chunks = (big[i : i + 4096].encode() for i in range(0, len(big), 4096))
    response = client.put("/api/lexicon", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert not (folder / "lexicon.toml").exists()


# --- script and hearing ---------------------------------------------------------------------------


def test_articles_lists_the_folder_with_episode_states(client: TestClient) -> None:
    data = client.get("/api/articles").json()
    assert data["single"] is False
    assert [a["path"] for a in data["articles"]] == ["night-buses.md", "water-bills.md"]
    assert {a["state"] for a in data["articles"]} == {"new"}
    assert data["feed"] is None and data["lexicon"] == "lexicon.toml"


def test_script_is_numbered_as_narrate_script_numbers_it(client: TestClient) -> None:
    data = client.get("/api/script", params={"path": ARTICLE}).json()
    assert data["title"] == "Water Bills Rise Again as Leaks Go Unfixed"
    assert data["author"] == "Hannah Cole" and data["date"] == "2026-03-04"
    assert [c["title"] for c in data["chapters"]] == [
        "Introduction",
        "Water Bills Rise Again as Leaks Go Unfixed",
        "Where the money goes",
        "What happens next",
        "Outro",
    ]
    numbers = [p["number"] for c in data["chapters"] for p in c["paragraphs"]]
    assert numbers == list(range(1, 11))  # hand-counted from examples/water-bills.md with the Byline profile
    third = data["chapters"][1]["paragraphs"][1]
    assert third["number"] == 3
    assert [s["text"] for s in third["sentences"]][
        0
    ] == "The regulator, Ofwat, approved the rise in December."
    spoken = third["sentences"][1]["spoken"]
    assert "one hundred and four billion pounds" in spoken and "£104bn" in third["sentences"][1]["text"]
    heading = data["chapters"][2]["paragraphs"][0]
    assert heading["heading"] is True and heading["sentences"][0]["text"] == "Where the money goes"
    # each sentence carries the rewrites `narrate script --explain` prints for it
    assert {"rule": "money", "written": "£104bn", "spoken": "one hundred and four billion pounds"} in third[
        "sentences"
    ][1]["rewrites"]
    assert third["sentences"][0]["rewrites"] == []  # nothing in it is rewritten


def test_preview_streams_the_paragraph_as_narrate_preview_writes_it(
    client: TestClient, folder: Path, tmp_path: Path
) -> None:
    response = client.get("/api/preview", params={"path": ARTICLE, "paragraph": 3})
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    riff, _, wave_id = struct.unpack_from("<4sI4s", response.content)
    channels, rate, bits = (
        struct.unpack_from("<H", response.content, 22)[0],
        struct.unpack_from("<I", response.content, 24)[0],
        struct.unpack_from("<H", response.content, 34)[0],
    )
    assert (riff, wave_id, channels, rate, bits) == (b"RIFF", b"WAVE", 1, 22050, 16)
    streamed = _wav_samples(response.content, tmp_path)
    # the CLI's WAV path (planned on the whole part, written by the wave module) on the same fake voice
    out = tmp_path / "p3.wav"
    code = cli.main(
        [
            "preview",
            str(folder / ARTICLE),
            "-p",
            "3",
            "-o",
            str(out),
            "--cache-dir",
            str(tmp_path / "cli-cache"),
        ],
        synthesizer_factory=FakeSynthesizer().factory,
    )
    assert code == 0
    with wave.open(str(out)) as w:
        written = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32767
    assert streamed.size == written.size
    # three sentences of 0.2 s + 0.06 s a character, at least (pauses come on top)
    texts = [
        "The regulator, Ofwat, approved the rise in December.",
        "It said the companies needed one hundred and four billion pounds over five years to repair pipes, "
        "stop sewage spills and build two new reservoirs.",
        "Critics say customers are paying twice: once for the investment that was promised in the nineteen "
        "nineties, and again now.",
    ]
    assert streamed.size > sum(0.2 + 0.06 * len(t) for t in texts) * 22050 * 0.95
    assert np.corrcoef(streamed, written)[0, 1] > 0.999


def test_preview_by_chapter_and_by_found_text(client: TestClient, tmp_path: Path) -> None:
    chapter = client.get("/api/preview", params={"path": ARTICLE, "chapter": 3})
    found = client.post("/api/preview", json={"path": ARTICLE, "find": "bakery in leeds"})
    assert chapter.status_code == 200 and found.status_code == 200
    # chapter 3 holds its heading, paragraph 5 and paragraph 6; the found paragraph is paragraph 5 alone
    assert (
        _wav_samples(chapter.content, tmp_path, "c.wav").size
        > _wav_samples(found.content, tmp_path, "f.wav").size
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"paragraph": "99"}, "there is no paragraph 99: this script has paragraphs 1-10"),
        ({"paragraph": "abc"}, '"paragraph" must be a number'),
        ({"paragraph": "0"}, "numbers start at 1"),
        ({}, "say which part to preview"),
        ({"find": "zebra crossing"}, "no paragraph contains 'zebra crossing'"),
    ],
)
def test_bad_preview_requests_are_one_line_400s(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/api/preview", params={"path": ARTICLE, **params})
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error and "\n" not in error


def test_say_with_a_trial_entry_changes_the_audio_but_saves_nothing(
    client: TestClient, folder: Path, tmp_path: Path
) -> None:
    plain = client.get("/api/say", params={"text": "Ofwat approved it."})
    trial = client.get(
        "/api/say", params={"text": "Ofwat approved it.", "word": "Ofwat", "spoken": "Off what"}
    )
    assert plain.status_code == 200 and trial.status_code == 200
    # the fake voice lasts 0.06 s a character: "Off what" is three characters longer than "Ofwat"
    longer = (
        _wav_samples(trial.content, tmp_path, "t.wav").size
        - _wav_samples(plain.content, tmp_path, "p.wav").size
    )
    assert abs(longer - 3 * 0.06 * 22050) < 0.01 * 22050
    assert not (folder / "lexicon.toml").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": ""}, "nothing to say"),
        ({"text": "x" * 2001}, "too long to say at once"),
        ({"text": "Ofwat.", "word": "Ofwat", "spoken": "[[ broken"}, "must be either a respelling or one"),
        ({"text": "🙂🙂"}, "nothing speakable"),
    ],
)
def test_bad_say_requests_are_one_line_400s(client: TestClient, body: dict[str, str], message: str) -> None:
    response = client.post("/api/say", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


# --- the lexicon ----------------------------------------------------------------------------------


def test_saving_an_entry_writes_the_lexicon_file_and_changes_the_script(
    client: TestClient, folder: Path
) -> None:
    before = client.get("/api/script", params={"path": ARTICLE}).json()
    assert before["chapters"][1]["paragraphs"][1]["sentences"][0]["lexicon"] == []
    response = client.put("/api/lexicon", json={"word": "Ofwat", "spoken": "OFF-wot"})
    assert response.status_code == 200
    assert response.json()["entries"] == {"Ofwat": "OFF-wot"}
    with open(folder / "lexicon.toml", "rb") as fh:
        assert tomllib.load(fh) == {"lexicon": {"Ofwat": "OFF-wot"}}
    after = client.get("/api/script", params={"path": ARTICLE}).json()
    sentence = after["chapters"][1]["paragraphs"][1]["sentences"][0]
    # a stressed respelling reaches the voice as phonemes: "off" ˈɔf, "wot" wɑːt (issue 23)
    assert sentence["spoken"] == "The regulator, [[ ˈɔfwɑːt, ]] approved the rise in December."
    assert sentence["lexicon"] == [{"written": "Ofwat", "spoken": "OFF-wot"}]
    assert not list(folder.glob(".lexicon.toml*"))  # the atomic write left no partial behind


def test_saving_keeps_comments_and_other_tables(client: TestClient, folder: Path) -> None:
    original = (
        '# names we keep getting wrong\n[lexicon]\nUshakov = "oo-sha-KOFF"  # Kremlin aide\n\n'
        "[other]\nkeep = 1\n"
    )
    (folder / "lexicon.toml").write_text(original, encoding="utf-8")
    assert (
        client.put("/api/lexicon", json={"word": "Keir  Starmer", "spoken": "keer starmer"}).status_code
        == 200
    )
    assert client.put("/api/lexicon", json={"word": "Ushakov", "spoken": "oo-SHA-kov"}).status_code == 200
    text = (folder / "lexicon.toml").read_text(encoding="utf-8")
    assert "# names we keep getting wrong" in text and "# Kremlin aide" in text
    assert tomllib.loads(text) == {
        "lexicon": {"Ushakov": "oo-SHA-kov", "Keir Starmer": "keer starmer"},
        "other": {"keep": 1},
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"word": "Ofwat", "spoken": "[[ off wot"}, 'must be either a respelling or one "[[ IPA ]]" block'),
        ({"word": "Ofwat", "spoken": "   "}, "lexicon entry 'Ofwat' is empty"),
        ({"word": "  ", "spoken": "x"}, "must be a non-empty word or phrase"),
        ({"word": "Ofwat", "spoken": 3}, 'needs "word" and "spoken" as strings'),
        ({"word": "Ofwat"}, 'needs "word" and "spoken" as strings'),
    ],
)
def test_bad_lexicon_entry_is_400_with_one_line(
    client: TestClient, folder: Path, body: dict[str, object], message: str
) -> None:
    response = client.put("/api/lexicon", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error and "\n" not in error
    assert not (folder / "lexicon.toml").exists()


def test_body_that_is_not_json_is_400(client: TestClient) -> None:
    response = client.put(
        "/api/lexicon", content=b"{word: Ofwat", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "must be JSON" in response.json()["error"]
    assert client.put("/api/lexicon", json=["Ofwat", "x"]).status_code == 400


def test_removing_an_entry(client: TestClient, folder: Path) -> None:
    client.put("/api/lexicon", json={"word": "Ofwat", "spoken": "OFF-wot"})
    client.put("/api/lexicon", json={"word": "Leeds", "spoken": "leedz"})
    response = client.request("DELETE", "/api/lexicon", json={"word": "Ofwat"})
    assert response.status_code == 200
    with open(folder / "lexicon.toml", "rb") as fh:
        assert tomllib.load(fh) == {"lexicon": {"Leeds": "leedz"}}
    missing = client.request("DELETE", "/api/lexicon", json={"word": "Ofwat"})
    assert missing.status_code == 404 and "'Ofwat' is not in lexicon.toml" in missing.json()["error"]


def test_lexicon_reports_the_file_and_the_profile_entries(folder: Path, tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('[lexicon]\nOfwat = "off-wot"\n', encoding="utf-8")
    chosen = tmp_path / "names.toml"
    client = _client(_studio(folder, profile=profile, lexicon=chosen))
    client.put("/api/lexicon", json={"word": "Leeds", "spoken": "leedz"})
    data = client.get("/api/lexicon").json()
    assert data["profile"] == {"Ofwat": "off-wot"} and data["entries"] == {"Leeds": "leedz"}
    assert data["file"] == str(chosen)  # outside the folder: shown in full
    with open(chosen, "rb") as fh:
        assert tomllib.load(fh) == {"lexicon": {"Leeds": "leedz"}}


# --- render, events, episode, files ---------------------------------------------------------------


def _events(client: TestClient) -> list[dict[str, object]]:
    found = []
    with client.stream("GET", "/api/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
    return found


def test_render_on_the_fake_synthesiser(folder: Path) -> None:
    # the fake voice at 50 ms a sentence, so the progress stream (sampled every 0.1 s) sees it move
    client = _client(_studio(folder, synth=FakeSynthesizer(handler=lambda text: time.sleep(0.05))))
    started = client.post("/api/render", json={"paths": [ARTICLE]})
    assert started.status_code == 202 and started.json()["state"] == "running"
    events = _events(client)
    assert events[-1]["state"] == "done" and events[-1]["error"] is None
    counts = [e["done"] for e in events if e["stage"] == "synthesise" and e["total"] == 21]
    assert len(set(counts)) >= 3 and counts == sorted(counts)  # it moved, and only forwards
    assert any(e["eta"] is not None and e["eta"] > 0 for e in events)
    assert events[-1]["done"] == events[-1]["total"] == 21  # the 21 sentences of `narrate script`
    assert events[-1]["articles"] == [{"path": ARTICLE, "state": "made", "detail": ""}]

    episode = client.get("/api/episode", params={"path": ARTICLE}).json()
    assert episode["state"] == "made"
    mp3 = folder / "output" / "water-bills-rise-again-as-leaks-go-unfixed.mp3"
    assert episode["files"]["mp3"] == f"/files/{mp3.name}"
    # chapters as mutagen reads them from the MP3's CHAP frames, in milliseconds
    chaps = sorted(ID3(mp3).getall("CHAP"), key=lambda c: c.start_time)
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c["title"] for c in episode["chapters"]]
    assert [c.start_time / 1000 for c in chaps] == [c["start"] for c in episode["chapters"]]
    assert (
        len(episode["cues"]) == 21
        and episode["cues"][0]["text"] == "Water Bills Rise Again as Leaks Go Unfixed."
    )
    # the Podcasting 2.0 JSON transcript batch writes beside the MP3, read back as the studio's words
    transcript = json.loads((folder / "output" / f"{mp3.stem}.transcript.json").read_text(encoding="utf-8"))
    assert episode["words"] == [
        {"start": s["startTime"], "end": s["endTime"], "word": s["body"]} for s in transcript["segments"]
    ]
    # one segment a word: the studio's renders go through the engine to the voice's word timings
    assert [s["body"] for s in transcript["segments"][:4]] == ["Water", "Bills", "Rise", "Again"]
    assert len(transcript["segments"]) > 5 * 21
    served = client.get(episode["files"]["mp3"])
    assert served.status_code == 200 and served.headers["content-type"] == "audio/mpeg"
    assert served.content == mp3.read_bytes()
    part = client.get(episode["files"]["mp3"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == mp3.read_bytes()[100:200]  # seeking in the player
    vtt = client.get(episode["files"]["vtt"])
    assert vtt.headers["content-type"].startswith("text/vtt") and vtt.text.startswith("WEBVTT")
    feed = client.get("/files/feed.xml")
    assert feed.status_code == 200 and mp3.name in feed.text

    rows = {a["path"]: a for a in client.get("/api/articles").json()["articles"]}
    assert rows[ARTICLE]["state"] == "made" and rows["night-buses.md"]["state"] == "new"
    # an edit to the article (or the lexicon) makes its episode "changed since"
    with open(folder / ARTICLE, "a", encoding="utf-8") as fh:
        fh.write("\nOne more line.\n")
    assert client.get("/api/episode", params={"path": ARTICLE}).json()["state"] == "changed"
    client.put("/api/lexicon", json={"word": "Ofwat", "spoken": "OFF-wot"})
    rows = {a["path"]: a for a in client.get("/api/articles").json()["articles"]}
    assert rows[ARTICLE]["state"] == "changed"


def test_folder_view_lists_headlines_and_surveys_again_only_when_a_file_changes(folder: Path) -> None:
    studio = _studio(folder)
    client = _client(studio)
    (folder / "draft.txt").write_text("  \n", encoding="utf-8")  # nothing to read: listed by its name

    def rows() -> dict[str, dict[str, object]]:
        return {a["path"]: a for a in client.get("/api/articles").json()["articles"]}

    first = rows()
    # as the examples' front matter says them
    assert {k: first["water-bills.md"][k] for k in ("title", "author", "date", "state")} == {
        "title": "Water Bills Rise Again as Leaks Go Unfixed", "author": "Hannah Cole",
        "date": "2026-03-04", "state": "new",
    }  # fmt: skip
    assert {k: first["night-buses.md"][k] for k in ("title", "author", "date")} == {
        "title": "Night Buses Return to the Harbour Route", "author": "Ines Marlow", "date": "2026-03-10",
    }  # fmt: skip
    assert first["draft.txt"]["state"] == "failed" and first["draft.txt"]["author"] is None
    assert studio.folder.surveyed == 1
    assert rows() == first and studio.folder.surveyed == 1  # nothing changed: not planned again
    stat = (folder / ARTICLE).stat()
    os.utime(folder / ARTICLE, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert rows() == first and studio.folder.surveyed == 1  # touched, same content: still the same

    text = (folder / ARTICLE).read_text(encoding="utf-8")
    (folder / ARTICLE).write_text(text.replace("author: Hannah Cole", "author: Sam Reed"), encoding="utf-8")
    assert rows()[ARTICLE]["author"] == "Sam Reed" and studio.folder.surveyed == 2
    client.put("/api/lexicon", json={"word": "Ofwat", "spoken": "OFF-wot"})
    rows()
    assert studio.folder.surveyed == 3  # the lexicon can change every episode
    (folder / "output").mkdir()
    (folder / "output" / "feed.xml").write_text("<rss/>", encoding="utf-8")
    assert client.get("/api/articles").json()["feed"] == "/files/feed.xml" and studio.folder.surveyed == 4


def test_render_everything_not_made(client: TestClient, folder: Path) -> None:
    assert client.post("/api/render", json={}).status_code == 202
    assert _events(client)[-1]["state"] == "done"
    states = {a["path"]: a["state"] for a in client.get("/api/articles").json()["articles"]}
    assert states == {"night-buses.md": "made", "water-bills.md": "made"}
    again = client.post("/api/render", json={})
    assert again.status_code == 400 and "nothing to render" in again.json()["error"]


def test_second_render_while_one_runs_is_409_and_the_server_answers_meanwhile(folder: Path) -> None:
    gate = threading.Event()  # the fake voice is held at its first sentence until the test lets it go

    def held(text: str) -> None:
        gate.wait(30)

    client = _client(_studio(folder, synth=FakeSynthesizer(handler=held)))
    try:
        assert client.post("/api/render", json={"paths": [ARTICLE]}).status_code == 202
        busy = client.post("/api/render", json={"paths": ["night-buses.md"]})
        assert busy.status_code == 409 and "already running" in busy.json()["error"]
        assert client.get("/api/script", params={"path": ARTICLE}).status_code == 200
        assert client.get("/api/render").json()["state"] == "running"
    finally:
        gate.set()
    assert _events(client)[-1]["state"] == "done"


def test_a_failing_render_is_reported_and_the_server_goes_on(folder: Path) -> None:
    client = _client(_studio(folder, synth=FakeSynthesizer(fail_on="Ofwat")))
    assert client.post("/api/render", json={"paths": [ARTICLE]}).status_code == 202
    last = _events(client)[-1]
    assert last["state"] == "failed"
    assert "1 of 1 failed" in str(last["error"]) and "fake synthesiser told to fail" in str(last["error"])
    episode = client.get("/api/episode", params={"path": ARTICLE}).json()
    assert episode["state"] == "failed" and episode["files"] == {}
    assert client.get("/api/articles").status_code == 200


def test_events_without_a_render_send_the_idle_state_and_end(client: TestClient) -> None:
    assert _events(client) == [{"id": 0, "state": "idle", "articles": []}]


def test_words_lists_the_words_the_pronouncing_dictionary_lacks(client: TestClient) -> None:
    from narrate.verify.recognise import dictionary_path

    # read the CMU dictionary the recogniser ships, independently of narrate's reader
    known = set()
    for line in dictionary_path().read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip():
            known.add(line.split()[0].split("(")[0].lower())
    words = client.get("/api/words", params={"path": ARTICLE}).json()["words"]
    listed = {w["word"].lower() for w in words}
    assert listed and not listed & known
    assert "ofwat" in listed  # the regulator's name: no dictionary has it
    assert all(w["count"] >= 1 and w["phonemes"] for w in words)


@pytest.mark.slow
def test_check_flags_an_episode_that_says_nothing_and_waits_for_one(client: TestClient) -> None:
    assert client.get("/api/check", params={"path": ARTICLE}).json() == {"checked": False, "flags": []}
    assert client.post("/api/render", json={"paths": [ARTICLE]}).status_code == 202
    _events(client)
    # the fake voice speaks tones, not words: the recogniser hears none of the script
    report = client.get("/api/check", params={"path": ARTICLE}).json()
    assert report["checked"] is True and report["flags"]
    sentences = {f["sentence"] for f in report["flags"] if f["sentence"]}
    assert len(sentences) >= 5 and all(f["message"].startswith(f["kind"]) for f in report["flags"])


def test_episode_reads_word_timings_when_a_transcript_json_exists(client: TestClient, folder: Path) -> None:
    assert client.post("/api/render", json={"paths": [ARTICLE]}).status_code == 202
    _events(client)
    words = {
        "version": "1.0.0",
        "segments": [
            {"startTime": 0.0, "endTime": 0.4, "body": "Water"},
            {"startTime": 0.4, "endTime": 0.8, "body": "Bills"},
        ],
    }
    stem = folder / "output" / "water-bills-rise-again-as-leaks-go-unfixed"
    stem.with_name(stem.name + ".transcript.json").write_text(json.dumps(words), encoding="utf-8")
    episode = client.get("/api/episode", params={"path": ARTICLE}).json()
    assert episode["words"] == [
        {"start": 0.0, "end": 0.4, "word": "Water"},
        {"start": 0.4, "end": 0.8, "word": "Bills"},
    ]
    assert episode["files"]["transcript"].endswith(".transcript.json")


def test_a_single_article_studio_sees_only_that_article(folder: Path) -> None:
    client = _client(_studio(folder / ARTICLE))
    data = client.get("/api/articles").json()
    assert data["single"] is True and [a["path"] for a in data["articles"]] == [ARTICLE]
    assert client.get("/api/script", params={"path": "night-buses.md"}).status_code == 404


def test_unknown_routes_and_methods_answer_json_and_the_server_goes_on(client: TestClient) -> None:
    assert client.get("/api/nothing").json() == {"error": "Not Found"}
    assert client.patch("/api/lexicon").status_code == 405
    assert client.get("/static/../service.py").status_code == 404
    assert client.get("/api/articles").status_code == 200


def test_phonemes_of_a_word_as_the_lexicon_has_it_or_as_typed(client: TestClient, folder: Path) -> None:
    plain = client.get("/api/phonemes", params={"word": "Ofwat"})
    trial = client.get("/api/phonemes", params={"word": "Ofwat", "spoken": "OFF-wot"})
    assert plain.status_code == 200 and trial.status_code == 200
    assert plain.json()["words"] == [{"spoken": "Ofwat", "phonemes": "ˈɑːfwɑːt", "given": False}]
    # by hand: espeak (en-us) reads "off" ˈɔf and "wot" wˈɑːt alone; the capitals carry the stress
    assert trial.json()["phonemes"] == "ˈɔfwɑːt"
    assert not (folder / "lexicon.toml").exists()  # tried, not saved
    assert client.get("/api/phonemes", params={"word": ""}).status_code == 400
