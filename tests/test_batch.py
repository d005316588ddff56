"""`narrate batch` and `narrate feed` on the fake synthesiser: episodes, failures, re-runs, the feed."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import feedparser
import pytest
from audio_tools import ffmpeg_tags
from lxml import etree
from mutagen.id3 import ID3
from support import copy_examples, run

from narrate import cli
from narrate.audio.engine import available_cores
from narrate.audio.synth import FakeSynthesizer
from narrate.batch import (
    BatchInterrupted,
    BatchOptions,
    EpisodeJob,
    EpisodeOutcome,
    collect_inputs,
    run_batch,
    run_episode,
)
from narrate.batch.executors import InlineExecutor
from narrate.pipeline import load_script
from narrate.profile import VoiceChoice, load_profile
from narrate.publish.feed import PODCAST_NS
from narrate.publish.manifest import MANIFEST_NAME
from narrate.text.lexicon import Lexicon

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
    folder = copy_examples(tmp_path / "articles", ("water-bills.md", "library-hours.txt", "night-buses.md"))
    (folder / "empty.txt").write_text("  \n\n", encoding="utf-8")  # nothing to read
    (folder / "boom.txt").write_text(
        "Title: A Report That Breaks\nDate: 1 March 2026\n\nThe voice stops at kaboom here.\n",
        encoding="utf-8",
    )
    (folder / "notes.json").write_text("{}", encoding="utf-8")  # not an article suffix: ignored
    return folder


def manifest(out: Path) -> dict[str, dict[str, object]]:
    """DIR's manifest as written on disk, by GUID."""
    records = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["episodes"]
    return {str(r["guid"]): r for r in records}


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
        for suffix in (".mp3", ".vtt", ".srt", ".chapters.json", ".transcript.json"):
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
        BatchOptions(output_dir=out, base_url=BASE),
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    before = manifest(out)
    second = run_batch(
        [articles],
        BatchOptions(output_dir=out, voice=VoiceChoice(speed=1.2), base_url=BASE),
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
        assert transcripts == {
            "text/vtt": BASE + f"{slug}.vtt",
            "application/x-subrip": BASE + f"{slug}.srt",
            "application/json": BASE + f"{slug}.transcript.json",
        }
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
        BatchOptions(output_dir=out, base_url=BASE),
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
        BatchOptions(output_dir=out, base_url=BASE),
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
        BatchOptions(output_dir=out, base_url=BASE),
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

    in_place = True
    threads = 0
    local = True

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
    with pytest.raises(BatchInterrupted) as stopped:
        run_batch(
            [articles],
            BatchOptions(output_dir=out, base_url=BASE),
            executor=_Interrupting(after=1),
            synthesizer_factory=fake.factory,
        )
    done = [r for r in manifest(out).values() if r.get("status") == "done"]
    assert len(done) == 1
    # it says truthfully what was made (and is in the feed) and what was not
    assert str(stopped.value).startswith(f"interrupted: 1 episode made ({done[0]['slug']}.mp3)")
    assert "2 not finished" in str(stopped.value) and stopped.value.exit_code == 130
    assert [e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries] == [done[0]["title"]]
    report = run_batch(
        [articles],
        BatchOptions(output_dir=out, base_url=BASE),
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )
    assert sorted(e.state for e in report.episodes) == ["made", "made", "unchanged"]
    assert sorted(p.stem for p in out.glob("*.mp3")) == sorted(GOOD)


def test_a_local_batch_runs_articles_side_by_side_on_one_set_of_synthesis_threads(
    articles: Path, tmp_path: Path
) -> None:
    (articles / "boom.txt").unlink()
    (articles / "empty.txt").unlink()
    threads: set[str] = set()
    built: list[int] = []

    voice = FakeSynthesizer(
        per_char=0.008, base=0.1, handler=lambda text: threads.add(threading.current_thread().name)
    )

    def factory(settings: object, threads: int = 0) -> FakeSynthesizer:
        built.append(threads)
        return voice

    out = tmp_path / "out"
    seen: list[tuple[str, str]] = []
    report = run_batch(
        [articles],
        BatchOptions(output_dir=out, jobs=2, base_url=BASE),
        synthesizer_factory=factory,
        progress=lambda a, s, d: seen.append((a, s)),
    )
    assert sorted(e.state for e in report.episodes) == ["made"] * 3
    # every sentence was spoken in this process, on the engine's threads (no worker processes; whether
    # both threads took a turn depends on timing)
    assert threads and threads <= {"narrate-synth-1", "narrate-synth-2"}
    assert len(voice.calls) == report.synthesised > 30
    # each job's ONNX session: the cores split (the planner and the check ask the voice's identity with 0)
    assert {t for t in built if t} == {max(1, available_cores() // 2)} and len(built) > 3
    # two articles were in flight at once: a second started before the first was made
    states = [s for _, s in seen if s in ("working", "made")]
    assert states[:2] == ["working", "working"], seen
    # Whether their sentences interleave depends on how fast each article asks for its clips (on a busy
    # machine the fake voice can finish one article before the other asks): test_engine checks the
    # engine's turns between callers deterministically.


def test_jobs_and_outcomes_are_plain_picklable_values(tmp_path: Path) -> None:
    profile = load_profile()
    job = EpisodeJob(
        name="water-bills.md",
        script=load_script(EXAMPLES / "water-bills.md", profile, Lexicon({"Ofwat": "Off-wot"})),
        slug="water-bills",
        profile=profile.with_voice(speed=1.1),
        previous={"narrate-key": "abc"},
        threads=1,
    )
    assert pickle.loads(pickle.dumps(job)) == job
    outcome = EpisodeOutcome("a.md", ok=False, error="bad")
    assert pickle.loads(pickle.dumps(outcome)) == outcome


def test_a_job_reports_failure_instead_of_raising(tmp_path: Path) -> None:
    # (an unreadable article never becomes a job: the planner reads every article and reports it)
    profile = load_profile()
    script = load_script(EXAMPLES / "water-bills.md", profile)
    broken = FakeSynthesizer(fail_on="Ofwat")
    job = EpisodeJob("water-bills.md", script, "water-bills", profile, output_dir=str(tmp_path),
                     synthesizer_factory=broken.factory)  # fmt: skip
    outcome = run_episode(job)
    assert not outcome.ok and "fake synthesiser told to fail" in outcome.error
    assert list(tmp_path.iterdir()) == []


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
    # each file once, named relative to the folder it was found in; hidden files skipped
    assert [f.source for f in found] == [
        "boom.txt",
        "empty.txt",
        "library-hours.txt",
        "night-buses.md",
        "water-bills.md",
    ]
    assert all(f.path.is_file() and f.path.name == f.source for f in found)
    assert missing == [str(tmp_path / "gone.txt")]


def test_single_article_sidecars_only_when_asked(
    tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(EXAMPLES / "night-buses.md")
    code, out, _ = run([sample, "--output-dir", str(tmp_path / "a"), "-q"], capsys, fake)
    assert code == 0 and sorted(os.listdir(tmp_path / "a")) == ["night-buses-return-to-the-harbour-route.mp3"]
    code, out, _ = run(
        [sample, "-o", str(tmp_path / "b" / "ep.mp3"), "-q", "--transcript", "--chapters-json"], capsys, fake
    )
    assert code == 0
    assert sorted(os.listdir(tmp_path / "b")) == [
        "ep.chapters.json", "ep.mp3", "ep.srt", "ep.transcript.json", "ep.vtt"
    ]  # fmt: skip
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


# --- identity, staleness and an untrusted manifest (issue 11) -------------------------------------


def _batch(inputs: list[Path], out: Path, fake: FakeSynthesizer, **kwargs: object):  # type: ignore[no-untyped-def]
    return run_batch(
        inputs,
        BatchOptions(output_dir=out, base_url=BASE, **kwargs),  # type: ignore[arg-type]
        executor=InlineExecutor(),
        synthesizer_factory=fake.factory,
    )


def _good_only(articles: Path) -> None:
    for name in ("empty.txt", "boom.txt"):
        (articles / name).unlink()


def test_a_moved_and_renamed_input_folder_duplicates_nothing(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer
) -> None:
    _good_only(articles)
    out = tmp_path / "out"
    _batch([articles], out, fake)
    before = manifest(out)
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    articles.rename(moved)
    (moved / "night-buses.md").rename(moved / "buses.md")  # a renamed file is known by its content
    fake.calls.clear()
    report = _batch([moved], out, fake)
    assert [e.state for e in report.episodes] == ["unchanged"] * 3 and fake.calls == []
    after = manifest(out)
    assert after.keys() == before.keys()
    assert {r["slug"] for r in after.values()} == set(GOOD)
    guids = [e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert len(guids) == len(set(guids)) == 3
    assert sorted(p.name for p in out.glob("*.mp3")) == sorted(f"{s}.mp3" for s in GOOD)


def test_articles_that_would_share_a_guid_get_their_own(tmp_path: Path, fake: FakeSynthesizer) -> None:
    # same file name, headline and date in two folders of one input: the GUID recipe gives both the
    # same value (from two inputs given, the same headline is one episode: see test_the_same_article_twice)
    for folder, body in (("a", "The first body."), ("b", "A different second body.")):
        (tmp_path / "in" / folder).mkdir(parents=True)
        text = f"Title: Same Story\nDate: 2 March 2026\n\n{body}\n"
        (tmp_path / "in" / folder / "story.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    _batch([tmp_path / "in"], out, fake)
    guids = [e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert len(guids) == len(set(guids)) == 2


def test_an_mp3_made_by_other_code_is_remade(articles: Path, tmp_path: Path, fake: FakeSynthesizer) -> None:
    from mutagen.id3 import TXXX

    _good_only(articles)
    out = tmp_path / "out"
    _batch([articles], out, fake)
    mp3 = out / "night-buses-return-to-the-harbour-route.mp3"
    tag = ID3(mp3)
    tag.setall("TXXX:narrate-key", [TXXX(encoding=1, desc="narrate-key", text=["made-by-older-audio-code"])])
    tag.save(v2_version=3)
    report = _batch([articles], out, fake)
    states = {Path(e.source).name: e.state for e in report.episodes}
    assert states == {
        "night-buses.md": "made",
        "water-bills.md": "unchanged",
        "library-hours.txt": "unchanged",
    }
    assert str(ID3(mp3)["TXXX:narrate-key"]) != "made-by-older-audio-code"


def test_a_lexicon_entry_remakes_only_the_articles_it_changes(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer
) -> None:
    _good_only(articles)
    out = tmp_path / "out"
    _batch([articles], out, fake)
    lexicon = tmp_path / "names.toml"
    lexicon.write_text('Ofwat = "Off-wot"\nZebedee = "Zeb-eh-dee"\n', encoding="utf-8")  # Ofwat: water only
    report = _batch([articles], out, fake, lexicon=lexicon)
    states = {Path(e.source).name: e.state for e in report.episodes}
    assert states == {
        "water-bills.md": "made",
        "night-buses.md": "unchanged",
        "library-hours.txt": "unchanged",
    }
    lexicon.write_text('Zebedee = "Zeb-eh-dee"\nOfwat = "Off-wot"\n', encoding="utf-8")  # reordered only
    report = _batch([articles], out, fake, lexicon=lexicon)
    assert {e.state for e in report.episodes} == {"unchanged"}


def test_a_rerun_after_an_edit_reuses_the_recorded_gain(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer
) -> None:
    _good_only(articles)
    out = tmp_path / "out"
    _batch([articles], out, fake)
    mp3 = out / "water-bills-rise-again-as-leaks-go-unfixed.mp3"
    gain_before = str(ID3(mp3)["TXXX:narrate-render"]).split()[1]
    article = articles / "water-bills.md"
    edited = article.read_text(encoding="utf-8").replace("leaks", "leaks and bursts", 1)
    article.write_text(edited, encoding="utf-8")
    report = _batch([articles], out, fake)
    assert {Path(e.source).name: e.state for e in report.episodes}["water-bills.md"] == "made"
    # the edit kept the gain its first render planned (a fresh plan on new audio would not repeat it exactly)
    assert str(ID3(mp3)["TXXX:narrate-render"]).split()[1] == gain_before
    forced = _batch([articles], out, fake, force=True)
    assert {e.state for e in forced.episodes} == {"made"}


def _tamper(out: Path, change: Callable[[dict[str, object]], object]) -> None:
    path = out / MANIFEST_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["episodes"][0])
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda r: r.update(slug="../../escaped"), "slug"),
        (lambda r: r.update(files={"mp3": "../../escaped.mp3"}), "outside"),
        (lambda r: r.update(files={"mp3": "/tmp/escaped.mp3"}), "outside"),
        (lambda r: r.update(samples="many"), "wrong samples"),
        (lambda r: r.update(date="2026-13-45"), "bad date"),
        (lambda r: r.update(guid=None), "guid"),
        (lambda r: r.update(profile="../profile.toml"), "wrong profile"),
        (lambda r: r.update(lexicon="names\n.toml"), "wrong lexicon"),
        (lambda r: r.update(profile_sha256="abc"), "profile_sha256"),
    ],
)
def test_a_tampered_manifest_is_a_one_line_error_and_writes_nothing_outside(
    articles: Path,
    tmp_path: Path,
    fake: FakeSynthesizer,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict[str, object]], object],
    says: str,
) -> None:
    _good_only(articles)
    out = tmp_path / "deep" / "out"
    args = ["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE]
    assert run(args, capsys, fake)[0] == 0
    _tamper(out, change)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for command in (args, ["feed", str(out)]):
        code, _, err = run(command, capsys, fake)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert str(out / MANIFEST_NAME) in err and says in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_a_manifest_that_is_not_json_is_a_one_line_error(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).write_text('{"version": 2, "episodes": [', encoding="utf-8")
    code, _, err = run(["batch", str(articles / "water-bills.md"), "-o", str(out), "-q"], capsys, fake)
    assert code == 2 and "not valid JSON" in err and err.count("\n") == 1


# --- a producer's day (issue 23): duplicates, unpublishing, a feed left alone when nothing changed ---


def test_the_same_article_twice_is_one_episode_with_a_note(
    tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "in", tmp_path / "in2"
    for folder in (first, second):
        folder.mkdir()
        shutil.copy(EXAMPLES / "water-bills.md", folder / "water-bills.md")
    # the same headline from another input, edited: still the same article, one episode
    edited = (EXAMPLES / "library-hours.txt").read_text(encoding="utf-8") + "\nOne late correction.\n"
    shutil.copy(EXAMPLES / "library-hours.txt", first / "library-hours.txt")
    (second / "libraries.txt").write_text(edited, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, err = run(
        ["batch", str(first), str(second), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE],
        capsys,
        fake,
    )
    assert code == 0, err
    assert sorted(p.name for p in out.glob("*.mp3")) == [
        "town-libraries-cut-opening-hours-as-heating-costs-bite.mp3",
        "water-bills-rise-again-as-leaks-go-unfixed.mp3",
    ]
    assert len(feedparser.parse((out / "feed.xml").read_bytes()).entries) == 2
    assert len(manifest(out)) == 2
    assert f"{second / 'water-bills.md'} is the same article as {first / 'water-bills.md'}" in err
    assert f"{second / 'libraries.txt'} is the same headline as {first / 'library-hours.txt'}" in err


def _publish(articles: Path, out: Path, capsys: pytest.CaptureFixture[str], fake: FakeSynthesizer) -> int:
    """`narrate batch ARTICLES -o OUT --base-url BASE`, one article at a time, on the fake voice."""
    args = ["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE]
    return run(args, capsys, fake)[0]


def test_an_unchanged_feed_is_not_rewritten(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    _good_only(articles)
    out = tmp_path / "out"
    assert _publish(articles, out, capsys, fake) == 0
    feed = out / "feed.xml"
    before, stamp = feed.read_bytes(), feed.stat().st_mtime_ns
    os.utime(feed, ns=(stamp - 5_000_000_000, stamp - 5_000_000_000))  # as if written 5 s ago
    stamp = feed.stat().st_mtime_ns
    assert run(["batch", str(articles), "-o", str(out), "--jobs", "1", "-q"], capsys, fake)[0] == 0
    assert run(["feed", str(out)], capsys, fake)[0] == 0
    assert feed.read_bytes() == before and feed.stat().st_mtime_ns == stamp
    # a real change rewrites it, with a new build date
    assert run(["feed", str(out), "--base-url", "https://cdn.example.org/a/"], capsys, fake)[0] == 0
    after = feedparser.parse(feed.read_bytes())
    assert after.entries[0].enclosures[0]["href"].startswith("https://cdn.example.org/a/")


def test_feed_remove_unpublishes_an_episode(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    _good_only(articles)
    out = tmp_path / "out"
    assert _publish(articles, out, capsys, fake) == 0
    slug = "night-buses-return-to-the-harbour-route"
    assert len(list(out.glob(f"{slug}.*"))) >= 4  # the MP3 and its sidecars
    code, stdout, err = run(["feed", str(out), "--remove", slug], capsys, fake)
    assert code == 0, err
    assert list(out.glob(f"{slug}.*")) == []
    assert f"removed {out / slug}.mp3" in stdout
    titles = [e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert len(titles) == 2 and not any("Night Buses" in t for t in titles)
    assert {r["slug"] for r in manifest(out).values()} == set(GOOD) - {slug}
    assert (out / "water-bills-rise-again-as-leaks-go-unfixed.mp3").is_file()
    code, _, err = run(["feed", str(out), "--remove", "water-bills-rise-again"], capsys, fake)
    assert code == 2 and "did you mean water-bills-rise-again-as-leaks-go-unfixed?" in err
    assert len(err.strip().splitlines()) == 1


def _valley(tmp_path: Path, name: str = "Valley Audio") -> Path:
    profile = tmp_path / f"{name.split()[0].lower()}.toml"
    profile.write_text(f'[podcast]\nname = "{name}"\npublication = "Valley News"\n', encoding="utf-8")
    return profile


def test_an_output_folder_remembers_its_profile_and_lexicon(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    _good_only(articles)
    out, profile = tmp_path / "out", _valley(tmp_path)
    names = tmp_path / "names.toml"
    names.write_text('[lexicon]\nOfwat = "off what"\n', encoding="utf-8")
    args = ["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE]
    assert run([*args, "--profile", str(profile), "--lexicon", str(names)], capsys, fake)[0] == 0
    for record in manifest(out).values():
        assert record["profile"] == str(profile.resolve())
        assert record["profile_sha256"] == hashlib.sha256(profile.read_bytes()).hexdigest()
        assert record["lexicon"] == str(names.resolve())
    # a plain `narrate feed` keeps the channel it was published as (issue 23: it became Byline's)
    (out / "feed.xml").unlink()
    assert run(["feed", str(out)], capsys, fake)[0] == 0
    channel = feedparser.parse((out / "feed.xml").read_bytes()).feed
    assert channel.title == "Valley Audio"
    # a later batch without flags uses the same profile and lexicon: nothing to re-make
    fake.calls.clear()
    code, _, err = run(["batch", str(articles), "-o", str(out), "--jobs", "1", "-q"], capsys, fake)
    assert code == 0, err
    assert fake.calls == []


def test_a_different_profile_needs_to_be_asked_for(
    articles: Path, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    _good_only(articles)
    out, valley = tmp_path / "out", _valley(tmp_path)
    hill = _valley(tmp_path, "Hill Post Audio")
    args = ["batch", str(articles), "-o", str(out), "--jobs", "1", "-q", "--base-url", BASE]
    assert run([*args, "--profile", str(valley)], capsys, fake)[0] == 0
    # the project folder now names another profile: a run without --profile is refused, nothing changes
    (tmp_path / "narrate.toml").write_text(f'profile = "{hill.name}"\n', encoding="utf-8")
    before = (out / "feed.xml").read_bytes()
    for command in (args, ["feed", str(out)]):
        fake.calls.clear()
        code, _, err = run(command, capsys, fake)
        assert code == 2 and fake.calls == []
        assert "rename the channel 'Valley Audio' to 'Hill Post Audio'" in err
        assert f"pass --profile {hill}" in err and len(err.strip().splitlines()) == 1
    assert (out / "feed.xml").read_bytes() == before
    # asked for explicitly: the switch is made
    assert run([*args, "--profile", str(hill)], capsys, fake)[0] == 0
    assert feedparser.parse((out / "feed.xml").read_bytes()).feed.title == "Hill Post Audio"
