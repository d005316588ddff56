"""`narrate batch` and `narrate feed` on the fake synthesiser: episodes, failures, re-runs, the feed."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import feedparser
import pytest
from audio_tools import ffmpeg_tags
from lxml import etree
from mutagen.id3 import ID3

from narrate import cli
from narrate.audio.synth import FakeSynthesizer
from narrate.batch import (
    MANIFEST_NAME,
    EpisodeJob,
    EpisodeOutcome,
    InlineExecutor,
    ProcessExecutor,
    collect_inputs,
    run_batch,
    run_episode,
)
from narrate.publish.feed import PODCAST_NS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BASE = "https://audio.example.com/byline/"
HOSTILE = "Cats & Dogs <Live> \"Quoted\" it's Zoë's café"

_J = TypeVar("_J")
_R = TypeVar("_R")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSynthesizer:
    """Every episode job builds this fake instead of Piper; it fails on the word 'kaboom'."""
    synth = FakeSynthesizer(per_char=0.008, base=0.1, fail_on="kaboom")  # short clips: fast encodes
    return synth


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("water-bills.md", "library-hours.txt", "night-buses.md"):
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "empty.txt").write_text("  \n\n", encoding="utf-8")  # nothing to read
    (folder / "boom.txt").write_text(
        "Title: A Report That Breaks\nDate: 1 March 2026\n\nThe voice stops at kaboom here.\n",
        encoding="utf-8",
    )
    (folder / "notes.json").write_text("{}", encoding="utf-8")  # not an article suffix: ignored
    return folder


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], synth: FakeSynthesizer | None = None
) -> tuple[int, str, str]:
    code = cli.main(args, synthesizer_factory=synth.factory if synth else None)
    out, err = capsys.readouterr()
    return code, out, err


def manifest(out: Path) -> dict[str, dict[str, object]]:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["episodes"]


GOOD = {
    "water-bills-rise-again-as-leaks-go-unfixed": "Water Bills Rise Again as Leaks Go Unfixed",
    "town-libraries-cut-opening-hours-as-heating-costs-bite": (
        "Town Libraries Cut Opening Hours as Heating Costs Bite"
    ),
    "night-buses-return-to-the-harbour-route": "Night Buses Return to the Harbour Route",
}


def test_batch_makes_the_good_reports_the_broken_and_fails(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run(
        ["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE], capsys, fake
    )
    assert code == 1
    for slug in GOOD:
        for suffix in (".mp3", ".vtt", ".srt", ".chapters.json"):
            assert (out / f"{slug}{suffix}").is_file(), slug + suffix
    assert "empty.txt" in stdout and "nothing to read" in stdout
    assert "boom.txt" in stdout and "kaboom" in stdout
    assert stdout.count("made") >= 3 and "notes.json" not in stdout
    assert "2 of 5 articles failed" in stderr
    assert not list(out.glob("a-report-that-breaks*"))  # nothing half-made for the broken one
    assert not [n for n in os.listdir(out) if n.endswith(".partial")]
    assert (out / "feed.xml").is_file()
    umask = os.umask(0o022)
    os.umask(umask)
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir() if not p.name.startswith(".")} == {
        0o666 & ~umask
    }  # a web server running as another user can serve every file


def test_rerun_does_no_synthesis_and_force_redoes(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    (articles / "empty.txt").unlink()
    (articles / "boom.txt").unlink()
    out = tmp_path / "out"
    args = ["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE]
    assert run(args, capsys, fake)[0] == 0
    assert fake.calls
    inodes = {p.name: p.stat().st_ino for p in out.glob("*.mp3")}
    fake.calls.clear()
    code, stdout, _ = run(args, capsys, fake)
    assert code == 0 and stdout.count("unchanged") == 3
    assert fake.calls == []
    assert {p.name: p.stat().st_ino for p in out.glob("*.mp3")} == inodes  # not rewritten either

    # an edited article is redone; the others stay
    path = articles / "night-buses.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("forty minutes", "half an hour"), encoding="utf-8"
    )
    code, stdout, _ = run(args, capsys, fake)
    assert code == 0 and stdout.count("unchanged") == 2 and stdout.count("made") == 1
    # only the edited sentence is spoken again (the rest of that episode comes from the sentence cache)
    assert fake.calls and all("half an hour" in call for call in fake.calls)

    code, stdout, _ = run([*args, "--force"], capsys, fake)
    assert code == 0 and stdout.count("made") == 3
    assert all(p.stat().st_ino != inodes[p.name] for p in out.glob("*.mp3"))


def test_settings_change_remakes_but_guid_and_names_stay(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer
) -> None:
    for name in ("empty.txt", "boom.txt", "library-hours.txt", "night-buses.md"):
        (articles / name).unlink()
    out = tmp_path / "out"
    first = run_batch(
        [articles],
        out,
        base_url=BASE,
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    before = manifest(out)
    second = run_batch(
        [articles],
        out,
        speed=1.2,
        base_url=BASE,
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    after = manifest(out)
    assert [e.state for e in first.episodes] == ["made"] and [e.state for e in second.episodes] == ["made"]
    (record_before,) = before.values()
    (record_after,) = after.values()
    assert record_after["key"] != record_before["key"]
    assert record_after["guid"] == record_before["guid"]
    assert record_after["slug"] == record_before["slug"]


def test_feed_parses_and_carries_every_field(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    run(["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE], capsys, fake)
    xml = (out / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Byline Times Audio Articles"
    assert parsed.feed.language == "en-gb" and parsed.feed.author == "Byline Times"
    assert [t.term for t in parsed.feed.tags] == ["News", "Politics"]
    # newest first: 12, 10 and 4 March 2026; the broken ones are not in it
    assert [e.title for e in parsed.entries] == [
        GOOD["town-libraries-cut-opening-hours-as-heating-costs-bite"],
        GOOD["night-buses-return-to-the-harbour-route"],
        GOOD["water-bills-rise-again-as-leaks-go-unfixed"],
    ]
    records = {r["slug"]: r for r in manifest(out).values() if r.get("status") == "done"}
    items = etree.fromstring(xml).findall("channel/item")
    for entry, item in zip(parsed.entries, items, strict=True):
        slug = next(s for s, t in GOOD.items() if t == entry.title)
        mp3 = out / f"{slug}.mp3"
        record = records[slug]
        assert entry.id == record["guid"]
        assert entry.enclosures == [
            {"href": BASE + mp3.name, "length": str(mp3.stat().st_size), "type": "audio/mpeg"}
        ]
        assert int(entry.itunes_duration) == round(int(record["samples"]) / int(record["rate"]))
        assert entry.summary  # the standfirst
        assert entry.published_parsed[:3] == tuple(int(x) for x in str(record["date"]).split("-"))
        assert entry.podcast_chapters["url"] == BASE + f"{slug}.chapters.json"
        transcripts = {t.get("type"): t.get("url") for t in item.findall(f"{{{PODCAST_NS}}}transcript")}
        assert transcripts == {"text/vtt": BASE + f"{slug}.vtt", "application/x-subrip": BASE + f"{slug}.srt"}
    assert (
        parsed.entries[0].summary
        == "Eleven branch libraries will close on Mondays from May, the county council has confirmed."
    )


def test_same_headline_twice_never_overwrites(tmp_path: Path, fake: FakeSynthesizer) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, body in (("a.txt", "First body."), ("b.txt", "Second, longer body text here.")):
        (folder / name).write_text(f"Title: Same Headline\nDate: 2 March 2026\n\n{body}\n", encoding="utf-8")
    out = tmp_path / "out"
    report = run_batch(
        [folder],
        out,
        base_url=BASE,
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    names = sorted(e.mp3.name for e in report.episodes if e.mp3)
    assert names == ["same-headline-2.mp3", "same-headline.mp3"]
    guids = {r["guid"] for r in manifest(out).values()}
    assert len(guids) == 2
    assert len(feedparser.parse((out / "feed.xml").read_bytes()).entries) == 2
    # a re-run keeps each article on its own name
    again = run_batch(
        [folder],
        out,
        base_url=BASE,
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    assert {e.source: e.mp3 for e in again.episodes} == {e.source: e.mp3 for e in report.episodes}


def test_hostile_title_survives_in_feed_tags_and_file_name(tmp_path: Path, fake: FakeSynthesizer) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "cats.md").write_text(
        f"---\ntitle: '{HOSTILE.replace(chr(39), chr(39) * 2)}'\ndate: 2026-03-05\n"
        "description: Fish & chips <b>not bold</b>\n---\n\nThe first paragraph.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    report = run_batch(
        [folder],
        out,
        base_url=BASE,
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    (episode,) = report.episodes
    assert episode.state == "made", episode.message
    assert episode.mp3 is not None and episode.mp3.name == "cats-dogs-live-quoted-it-s-zoe-s-cafe.mp3"
    assert episode.mp3.name.isascii()
    assert str(ID3(episode.mp3)["TIT2"]) == HOSTILE
    assert ffmpeg_tags(episode.mp3)["title"] == HOSTILE
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not parsed.bozo
    assert parsed.entries[0].title == HOSTILE
    assert parsed.entries[0].summary == "Fish & chips <b>not bold</b>"
    assert parsed.entries[0].enclosures[0]["href"] == BASE + episode.mp3.name
    vtt = episode.mp3.with_suffix(".vtt").read_text(encoding="utf-8")
    assert "Cats &amp; Dogs &lt;Live&gt;" in vtt
    chapters = json.loads(
        episode.mp3.with_suffix("").with_suffix(".chapters.json").read_text(encoding="utf-8")
    )
    assert HOSTILE in [c["title"] for c in chapters["chapters"]]


class _Interrupting:
    """Runs jobs in process and is 'killed' (KeyboardInterrupt) after `after` of them finished."""

    def __init__(self, after: int) -> None:
        self.after = after

    def map(
        self, fn: Callable[[_J], _R], jobs: Sequence[_J], started: Callable[[_J], None] | None = None
    ) -> Iterator[tuple[_J, _R]]:
        for number, job in enumerate(jobs):
            if number == self.after:
                raise KeyboardInterrupt
            yield job, fn(job)


def test_interrupted_batch_resumes_where_it_stopped(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer
) -> None:
    (articles / "empty.txt").unlink()
    (articles / "boom.txt").unlink()
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            [articles],
            out,
            base_url=BASE,
            executor=_Interrupting(after=1),
            synthesizer_factory=fake.factory,
        )
    done = [r for r in manifest(out).values() if r.get("status") == "done"]
    assert len(done) == 1
    report = run_batch(
        [articles],
        out,
        base_url=BASE,
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    assert sorted(e.state for e in report.episodes) == ["made", "made", "unchanged"]
    assert sorted(p.stem for p in out.glob("*.mp3")) == sorted(GOOD)


def test_process_executor_runs_jobs_in_worker_processes(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer
) -> None:
    # fork carries the fake synthesiser into the workers; each job still builds its own
    (articles / "library-hours.txt").unlink()
    (articles / "night-buses.md").unlink()
    out = tmp_path / "out"
    seen: list[tuple[str, str]] = []
    report = run_batch(
        [articles],
        out,
        base_url=BASE,
        executor=ProcessExecutor(2),
        synthesizer_factory=fake.factory,
        progress=lambda a, s, d: seen.append((a, s)),
    )
    states = {Path(e.source).name: e.state for e in report.episodes}
    assert states == {"water-bills.md": "made", "boom.txt": "failed", "empty.txt": "failed"}
    assert fake.calls == []  # nothing ran in this process
    assert [s for a, s in seen if a.endswith("water-bills.md")] == ["queued", "working", "made"]


def test_jobs_and_outcomes_are_plain_picklable_values(tmp_path: Path) -> None:
    job = EpisodeJob(str(EXAMPLES / "water-bills.md"), str(tmp_path / "x.mp3"), None, None, None, 1.1, 1)
    assert pickle.loads(pickle.dumps(job)) == job
    outcome = EpisodeOutcome("a.md", ok=False, error="bad")
    assert pickle.loads(pickle.dumps(outcome)) == outcome


def test_a_job_reports_failure_instead_of_raising(tmp_path: Path) -> None:
    outcome = run_episode(EpisodeJob(str(tmp_path / "missing.md"), str(tmp_path / "x.mp3")))
    assert not outcome.ok and "not found" in outcome.error


def test_feed_command_rebuilds_without_synthesis(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    run(["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE], capsys, fake)
    before = feedparser.parse((out / "feed.xml").read_bytes())
    (out / "feed.xml").unlink()
    (out / "night-buses-return-to-the-harbour-route.mp3").unlink()  # removed by hand: leaves the feed
    fake.calls.clear()
    code, stdout, _ = run(["feed", str(out)], capsys, fake)  # the base URL is remembered
    assert code == 0 and "2 episodes" in stdout
    assert fake.calls == []
    after = feedparser.parse((out / "feed.xml").read_bytes())
    assert [e.id for e in after.entries] == [e.id for e in before.entries if "Night" not in e.title]
    assert after.entries[0].enclosures[0]["href"].startswith(BASE)


def test_feed_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["feed", str(tmp_path)], capsys)
    assert code == 2 and "narrate batch" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["feed", str(tmp_path / "nope")], capsys)
    assert code == 2 and "not a folder" in err


def test_no_articles_and_bad_base_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    code, _, err = run(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and "no articles found" in err
    code, _, err = run(
        ["batch", str(EXAMPLES), "-o", str(tmp_path / "out"), "--base-url", "example.com"], capsys
    )
    assert code == 2 and "absolute URL" in err
    with pytest.raises(SystemExit):
        cli.main(["batch", str(EXAMPLES), "--jobs", "0"])
    assert "--jobs must be between 1 and 64" in capsys.readouterr().err


def test_without_base_url_the_feed_points_at_the_folder(
    tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = run(
        ["batch", str(EXAMPLES / "night-buses.md"), "-o", str(out), "--jobs", "1", "-q"], capsys, fake
    )
    assert code == 0 and "--base-url" in err
    href = feedparser.parse((out / "feed.xml").read_bytes()).entries[0].enclosures[0]["href"]
    assert href == (out / "night-buses-return-to-the-harbour-route.mp3").resolve().as_uri()


def test_collect_inputs_walks_folders_and_reports_missing_paths(articles: Path, tmp_path: Path) -> None:
    (articles / ".hidden.md").write_text("# x\n\ny\n", encoding="utf-8")
    found, missing = collect_inputs([articles, articles / "water-bills.md", tmp_path / "gone.txt"])
    assert sorted(p.name for p in found) == [
        "boom.txt",
        "empty.txt",
        "library-hours.txt",
        "night-buses.md",
        "water-bills.md",
    ]
    assert [m.source for m in missing] == [str(tmp_path / "gone.txt")]


def test_single_article_sidecars_only_when_asked(
    tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(EXAMPLES / "night-buses.md")
    code, out, _ = run([sample, "--output-dir", str(tmp_path / "a"), "-q"], capsys, fake)
    assert code == 0 and sorted(os.listdir(tmp_path / "a")) == ["night-buses-return-to-the-harbour-route.mp3"]
    code, out, _ = run(
        [sample, "-o", str(tmp_path / "b" / "ep.mp3"), "-q", "--transcript", "--chapters-json"], capsys
    )
    assert code == 0
    assert sorted(os.listdir(tmp_path / "b")) == ["ep.chapters.json", "ep.mp3", "ep.srt", "ep.vtt"]
    assert str(tmp_path / "b" / "ep.vtt") in out
    code, out, _ = run([sample, "-o", str(tmp_path / "c" / "ep.mp3"), "-q", "--chapters-json"], capsys, fake)
    assert sorted(os.listdir(tmp_path / "c")) == ["ep.chapters.json", "ep.mp3"]


@pytest.mark.parametrize("command", ["batch", "feed"])
def test_help_has_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "-h"])
    assert exc.value.code == 0
    assert f"narrate {command} " in capsys.readouterr().out.split("examples:")[1]


def test_cache_options_reach_every_job(
    tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(EXAMPLES / "night-buses.md")
    cache = tmp_path / "cache"
    args = ["batch", sample, "-o", str(tmp_path / "out"), "-q", "--cache-dir", str(cache), "--force"]
    assert run(args, capsys, fake)[0] == 0
    assert any(cache.rglob("*.f32"))
    fake.calls.clear()
    assert run([*args, "--no-cache"], capsys, fake)[0] == 0
    assert len(fake.calls) == len(set(fake.calls)) > 0  # spoken afresh, nothing read from the cache
