"""`narrate feed DIR --validate`: a feed the directories accept passes; each thing they reject is one line."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from audio_tools import FFMPEG
from lxml import etree

from narrate import cli
from narrate.audio.synth import FakeSynthesizer
from narrate.publish.feed import ITUNES_NS, PODCAST_NS
from narrate.publish.validate import image_size, validate_feed

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://cdn.example.com/edition/"


def png(width: int, height: int) -> bytes:
    """A grey PNG of the size asked, written by hand (chunks, CRCs, zlib)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg(tmp_path: Path, width: int, height: int) -> Path:
    """A JPEG written by ffmpeg, not by us."""
    path = tmp_path / f"cover-{width}x{height}.jpg"
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"color=c=red:s={width}x{height}",
            "-frames:v",
            "1",
            str(path),
        ],
        check=True,
    )
    return path


def complete_profile(tmp_path: Path, cover: str = "cover.png") -> Path:
    profile = tmp_path / "complete.toml"
    profile.write_text(
        f"""[podcast]
name = "Civic Record Audio"
description = "The Civic Record's stories, read aloud."
author = "The Civic Record"
owner_name = "Audio Desk"
owner_email = "audio@civic.example"
language = "en-GB"
category = "News"
explicit = false
cover = "{cover}"
txt = "civic-verify-8f2a"
txt_purpose = "verify"
""",
        encoding="utf-8",
    )
    return profile


@pytest.fixture
def edition(tmp_path: Path) -> tuple[Path, Path]:
    """An output folder made by `narrate batch` (fake voice) with a complete profile and a base URL."""
    (tmp_path / "cover.png").write_bytes(png(1400, 1400))
    profile = complete_profile(tmp_path)
    out = tmp_path / "edition"
    articles = [str(ROOT / "examples" / n) for n in ("water-bills.md", "library-hours.txt")]
    fake = FakeSynthesizer(per_char=0.002, base=0.05)
    args = [
        "batch",
        *articles,
        "-o",
        str(out),
        "--profile",
        str(profile),
        "--base-url",
        BASE,
        "-q",
        "--jobs",
        "1",
    ]
    assert cli.main(args, synthesizer_factory=fake.factory) == 0
    return out, profile


def test_a_complete_feed_passes_and_carries_the_owner_txt_and_persons(
    edition: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out, profile = edition
    capsys.readouterr()
    assert cli.main(["feed", str(out), "--validate", "--profile", str(profile), "--base-url", BASE]) == 0
    assert "valid" in capsys.readouterr().out
    channel = etree.parse(str(out / "feed.xml")).getroot().find("channel")
    assert channel is not None
    assert channel.findtext(f"{{{ITUNES_NS}}}owner/{{{ITUNES_NS}}}name") == "Audio Desk"
    txt = channel.find(f"{{{PODCAST_NS}}}txt")
    assert txt is not None and (txt.text, txt.get("purpose")) == ("civic-verify-8f2a", "verify")
    assert len(channel.findall(f"item/{{{PODCAST_NS}}}person")) == 2


def test_what_the_directories_reject_is_listed_one_line_each(
    edition: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = edition
    assert validate_feed(out, BASE) == []
    tree = etree.parse(str(out / "feed.xml"))
    channel = tree.getroot().find("channel")
    assert channel is not None
    first, second = channel.findall("item")
    second.find("guid").text = first.findtext("guid")  # type: ignore[union-attr]
    first.find("enclosure").set("type", "video/mp4")  # type: ignore[union-attr]
    second.find("enclosure").set("length", "12")  # type: ignore[union-attr]
    channel.remove(channel.find(f"{{{ITUNES_NS}}}owner"))  # type: ignore[arg-type]
    channel.find(f"{{{ITUNES_NS}}}category").set("text", "Gossip")  # type: ignore[union-attr]
    channel.find(f"{{{PODCAST_NS}}}guid").text = "not-a-uuid"  # type: ignore[union-attr]
    vtt = first.find(f"{{{PODCAST_NS}}}transcript").get("url")  # type: ignore[union-attr]
    (out / vtt.rsplit("/", 1)[1]).unlink()  # type: ignore[union-attr]
    first.find(f"{{{PODCAST_NS}}}chapters").set("url", "https://elsewhere.example/c.json")  # type: ignore[union-attr]
    tree.write(str(out / "feed.xml"), xml_declaration=True, encoding="UTF-8")
    problems = validate_feed(out, BASE)
    expected = [
        "itunes:owner e-mail",
        "'Gossip' is not an Apple Podcasts category",
        "podcast:guid 'not-a-uuid' is not a UUID",
        "same <guid> as episode 1",
        "enclosure type 'video/mp4'",
        "enclosure length 12 is not the size of",
        "transcript",
        "chapters https://elsewhere.example/c.json is not under the base URL",
    ]
    for fragment in expected:
        assert sum(fragment in p for p in problems) >= 1, (fragment, problems)
    assert all("\n" not in p for p in problems)
    assert len(problems) == len(expected)


def test_the_default_profile_without_a_base_url_is_not_ready_to_publish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "edition"
    fake = FakeSynthesizer(per_char=0.002, base=0.05)
    article = str(ROOT / "examples" / "water-bills.md")
    assert (
        cli.main(["batch", article, "-o", str(out), "-q", "--jobs", "1"], synthesizer_factory=fake.factory)
        == 0
    )
    err = capsys.readouterr().err
    assert "narrate: note: feed: " in err  # batch prints the problems as notes, and still exits 0
    assert cli.main(["feed", str(out), "--validate"]) == 1
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem: ")]
    assert any("file://" in p and "--base-url" in p for p in problems)
    assert any("itunes:owner" in p for p in problems)
    assert any("no artwork" in p for p in problems)


@pytest.mark.parametrize(
    ("width", "height", "ok"), [(1600, 1400, False), (1000, 1000, False), (3000, 3000, True)]
)
def test_artwork_must_be_square_and_1400_to_3000_px(
    tmp_path: Path, width: int, height: int, ok: bool
) -> None:
    cover = jpeg(tmp_path, width, height)
    assert image_size(cover.read_bytes()) == (width, height)
    profile = complete_profile(tmp_path, cover.name)
    out = tmp_path / "edition"
    fake = FakeSynthesizer(per_char=0.002, base=0.05)
    args = ["batch", str(ROOT / "examples" / "water-bills.md"), "-o", str(out), "--profile", str(profile),
            "--base-url", BASE, "-q", "--jobs", "1"]  # fmt: skip
    assert cli.main(args, synthesizer_factory=fake.factory) == 0
    problems = validate_feed(out, BASE)
    assert problems == ([] if ok else [p for p in problems if f"{width}x{height} px" in p])
    assert ok or len(problems) == 1


def test_a_feed_that_is_not_xml_says_how_to_rebuild_it(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text("<rss><channel>", encoding="utf-8")
    [problem] = validate_feed(tmp_path, BASE)
    assert "narrate feed" in problem
    shutil.rmtree(tmp_path)
