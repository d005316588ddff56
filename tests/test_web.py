"""Articles from a website: `narrate URL` and `narrate batch FEED_URL` against a real server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from mutagen.id3 import ID3
from web_site import Route, Site, Story, atom, http_date, page, rss

from narrate import cli
from narrate.audio.synth import FakeSynthesizer
from narrate.batch import BatchOptions, WebOptions, run_batch
from narrate.publish.feed import PODCAST_NS
from narrate.publish.manifest import MANIFEST_NAME, WEB_BODIES
from narrate.web.fetch import Fetcher, FetchPolicy

CONTACT = "https://civic.example/contact"
FERRY = (
    "In other news, the harbour authority confirmed on Monday that ferry timetables would change from "
    "January, with fewer crossings at weekends and a new late sailing on Fridays."
)


def story(slug: str, title: str, paragraphs: int = 4) -> Story:
    text = tuple(
        f"Paragraph {i + 1} of {title}: the council said on Tuesday that the change would take effect in "
        f"April, the third in as many years, and that households on low incomes could apply for help."
        for i in range(paragraphs)
    )
    return Story(slug, title, "Rosalind Achterberg", "2026-12-01", text)


class FakeClock:
    """A clock that moves only when slept on; every sleep recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(round(seconds, 3))
            self.now += seconds


@pytest.fixture
def site() -> Iterator[Site]:
    """A news site: a feed of eight items, each page a case (made, redirected, gone, slow, huge, teaser,
    barred by robots.txt, busy then made), validators on the feed and the good pages."""
    with Site() as s:
        items = [
            ("civic-1", s.url("/news/water-bills/"), "Water Bills", http_date(2026, 12, 1)),
            ("civic-2", s.url("/news/gone/"), "Gone", http_date(2026, 12, 1)),
            ("civic-3", s.url("/old/bus-fares"), "Bus Fares", http_date(2026, 12, 2)),
            ("civic-4", s.url("/news/slow/"), "Slow", http_date(2026, 12, 2)),
            ("civic-5", s.url("/news/huge/"), "Huge", http_date(2026, 12, 2)),
            ("civic-6", s.url("/news/teaser/"), "Teaser", http_date(2026, 12, 2)),
            ("civic-7", s.url("/private/secret/"), "Secret", http_date(2026, 12, 2)),
            ("civic-8", s.url("/news/busy/"), "Busy", http_date(2026, 12, 3)),
        ]
        s.routes["/feed/"] = Route(rss(items), content_type="application/rss+xml", etag='"feed-1"')
        s.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        s.routes["/news/water-bills/"] = Route(
            page(story("water-bills", "Water Bills Rise Again")), etag='"w1"'
        )
        s.routes["/old/bus-fares"] = Route(status=301, headers={"Location": "/news/bus-fares/"})
        s.routes["/news/bus-fares/"] = Route(
            page(story("bus-fares", "Bus Fares Frozen Until Spring")), last_modified=http_date(2026, 12, 2)
        )
        s.routes["/news/slow/"] = Route(page(story("slow", "A Slow Page")), delay=2.0)
        s.routes["/news/huge/"] = Route(endless=True)
        teaser = Story(
            "teaser", "Subscribe To Read", "Staff", "2026-12-01", ("Only subscribers can read on.",)
        )
        s.routes["/news/teaser/"] = Route(page(teaser))
        s.routes["/private/secret/"] = Route(page(story("secret", "Secret Page")))
        s.routes["/news/busy/"] = Route(
            status=503,
            headers={"Retry-After": "7"},
            then=[Route(page(story("busy", "A Busy Day At The Depot")), etag='"b1"')],
        )
        yield s


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "civic.toml"
    path.write_text(
        f'[podcast]\nname = "Civic Record Audio"\n\n[web]\ncontact = "{CONTACT}"\nread_timeout = 0.5\n'
        "delay = 0\n",  # real sleeps in the CLI tests: none (the fake clock's tests space requests)
        encoding="utf-8",
    )
    return path


@pytest.fixture
def fake() -> FakeSynthesizer:
    return FakeSynthesizer(per_char=0.002, base=0.05)


def batch(
    site: Site, out: Path, profile: Path, fake: FakeSynthesizer, clock: FakeClock, **web: object
) -> dict[str, tuple[str, str]]:
    """One `run_batch` of the site's feed with a fetcher on the fake clock: article -> (state, message)."""
    policy = FetchPolicy(user_agent=f"narrate/test (+{CONTACT})", read_timeout=0.5, delay=1.5)
    with Fetcher(policy, clock=clock, sleep=clock.sleep) as fetcher:
        report = run_batch(
            [site.url("/feed/")],
            BatchOptions(output_dir=out, profile=profile, jobs=1, web=WebOptions(**web)),
            synthesizer_factory=fake.factory,
            fetcher=fetcher,
        )
    return {e.source: (e.state, e.message) for e in report.episodes}


@pytest.mark.parametrize("per_host", [2, 3])
def test_pages_are_fetched_side_by_side_but_never_more_than_per_host_at_once(
    tmp_path: Path, profile: Path, fake: FakeSynthesizer, per_host: int
) -> None:
    """Six pages the server takes 0.2 s to answer (each served whole): the fetch pool asks for more at once
    than the limit, the server sees exactly `per_host` in flight at its busiest."""
    with Site() as site:
        items = [(f"p-{i}", site.url(f"/news/p{i}/"), f"Page {i}", http_date(2026, 12, 1)) for i in range(6)]
        site.routes["/feed/"] = Route(rss(items), content_type="application/rss+xml")
        site.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
        for i in range(6):
            site.routes[f"/news/p{i}/"] = Route(page(story(f"p{i}", f"Page Number {i} Story")), delay=0.2)
        policy = FetchPolicy(f"narrate/test (+{CONTACT})", read_timeout=5.0, per_host=per_host, delay=0.0)
        with Fetcher(policy) as fetcher:
            report = run_batch(
                [site.url("/feed/")],
                BatchOptions(output_dir=tmp_path / "edition", profile=profile, jobs=1),
                synthesizer_factory=fake.factory,
                fetcher=fetcher,
            )
        assert [e.state for e in report.episodes] == ["made"] * 6
        assert site.most_in_flight == per_host


def test_a_feed_becomes_episodes_and_each_failure_is_reported_with_its_url_and_reason(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer
) -> None:
    out, clock = tmp_path / "edition", FakeClock()
    states = batch(site, out, profile, fake, clock)
    made = {name.removeprefix(site.base) for name, (state, _) in states.items() if state == "made"}
    assert made == {"/news/water-bills/", "/old/bus-fares", "/news/busy/"}
    failed = {
        name.removeprefix(site.base): message
        for name, (state, message) in states.items()
        if state == "failed"
    }
    assert "404" in failed["/news/gone/"] and site.url("/news/gone/") in failed["/news/gone/"]
    assert "timed out" in failed["/news/slow/"]
    assert "10 MB" in failed["/news/huge/"]
    assert "paywall" in failed["/news/teaser/"] and "min_words" in failed["/news/teaser/"]
    assert "robots.txt" in failed["/private/secret/"]
    # robots.txt was read first and obeyed: the barred page was never asked for
    assert site.log[0].path == "/robots.txt"
    assert site.requests("/private/secret/") == []
    # the 503's Retry-After was waited for (on the fake clock), then the page was asked again
    assert [r.status for r in site.requests("/news/busy/")] == [503, 200]
    assert 7.0 in clock.sleeps
    assert 1.5 in clock.sleeps  # requests to the one host spaced by the delay
    # the huge page was read in chunks and abandoned: the server's endless body was cut off
    assert site.sent_endless < 200_000_000
    # every request named narrate, its version and the profile's contact
    assert all(
        r.headers["user-agent"].startswith("narrate/") and CONTACT in r.headers["user-agent"]
        for r in site.log
    )

    records = {r["url"]: r for r in json.loads((out / MANIFEST_NAME).read_text("utf-8"))["episodes"]}
    assert records[site.url("/news/gone/")]["status"] == "failed"
    assert "404" in records[site.url("/news/gone/")]["error"]
    assert "paywall" in records[site.url("/news/teaser/")]["error"]
    http = json.loads((out / MANIFEST_NAME).read_text("utf-8"))["http"]
    assert http[site.url("/old/bus-fares")]["final_url"] == site.url("/news/bus-fares/")  # redirect recorded
    assert http[site.url("/feed/")]["etag"] == '"feed-1"'

    feed = feedparser.parse((out / "feed.xml").read_bytes())
    titles = sorted(e.title for e in feed.entries)
    assert titles == ["A Busy Day At The Depot", "Bus Fares Frozen Until Spring", "Water Bills Rise Again"]
    assert sorted(p.name for p in out.glob("*.mp3")) == ["bus-fares.mp3", "busy.mp3", "water-bills.mp3"]
    assert ID3(out / "water-bills.mp3")["TIT2"].text == ["Water Bills Rise Again"]
    persons = etree.parse(str(out / "feed.xml")).getroot().findall(f"channel/item/{{{PODCAST_NS}}}person")
    assert [(p.text, p.get("role"), p.get("group")) for p in persons] == [
        ("Rosalind Achterberg", "author", "writing")
    ] * 3  # podcast:person, the article's author


def test_a_rerun_of_an_unchanged_feed_asks_only_with_conditions_and_remakes_nothing(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer
) -> None:
    out = tmp_path / "edition"
    batch(site, out, profile, fake, FakeClock())
    mp3s = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp3")}
    said = len(fake.calls)
    site.log.clear()
    states = batch(site, out, profile, fake, FakeClock())
    assert {n for n, (s, _) in states.items() if s == "unchanged"} == {
        site.url("/news/water-bills/"),
        site.url("/old/bus-fares"),
        site.url("/news/busy/"),
    }
    assert len(fake.calls) == said  # not a sentence synthesised
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp3")} == mp3s
    # the feed and every page that gave a validator were asked only "if changed", and answered 304
    validated = ["/feed/", "/news/water-bills/", "/old/bus-fares", "/news/bus-fares/", "/news/busy/"]
    for path in validated:
        asked = site.requests(path)
        assert asked and all(r.conditional for r in asked), path
        assert asked[-1].status in (304, 301), path
    assert site.requests("/news/water-bills/")[0].headers["if-none-match"] == '"w1"'
    assert site.requests("/news/bus-fares/")[0].headers["if-modified-since"] == http_date(2026, 12, 2)


def test_a_reordered_republished_feed_never_duplicates_an_item_and_a_changed_page_is_remade(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer
) -> None:
    out = tmp_path / "edition"
    batch(site, out, profile, fake, FakeClock())
    before = {e.guid: e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries}
    # the CMS re-publishes: new order, new dates, one new story, and the water bills story is updated
    items = [
        ("civic-9", site.url("/news/new-library/"), "Library", http_date(2026, 12, 4)),
        ("civic-8", site.url("/news/busy/"), "Busy", http_date(2026, 12, 5)),
        ("civic-3", site.url("/old/bus-fares"), "Bus Fares", http_date(2026, 12, 5)),
        ("civic-1", site.url("/news/water-bills/"), "Water Bills", http_date(2026, 12, 5)),
    ]
    site.routes["/feed/"] = Route(rss(items), content_type="application/rss+xml", etag='"feed-2"')
    site.routes["/news/new-library/"] = Route(page(story("new-library", "Library Opens On Sundays")))
    updated = story("water-bills", "Water Bills Rise Again", paragraphs=5)
    site.routes["/news/water-bills/"] = Route(page(updated), etag='"w2"')
    states = batch(site, out, profile, fake, FakeClock())
    assert states[site.url("/news/new-library/")][0] == "made"
    assert states[site.url("/news/water-bills/")][0] == "made"  # its page changed
    assert states[site.url("/old/bus-fares")][0] == "unchanged"
    after = {e.guid: e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries}
    assert len(after) == len(before) + 1  # one new item; nothing duplicated
    assert set(before) <= set(after)  # every earlier GUID kept
    assert sorted(after.values()).count("Water Bills Rise Again") == 1
    assert sorted(p.name for p in out.glob("*.mp3")) == [
        "bus-fares.mp3",
        "busy.mp3",
        "new-library.mp3",
        "water-bills.mp3",
    ]


def test_since_and_limit_choose_the_items(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer
) -> None:
    from datetime import date

    states = batch(site, tmp_path / "a", profile, fake, FakeClock(), since=date(2026, 12, 3))
    assert set(states) == {site.url("/news/busy/")}
    states = batch(site, tmp_path / "b", profile, fake, FakeClock(), limit=1)
    assert set(states) == {site.url("/news/busy/")}  # the newest item


def test_an_atom_feed_and_a_url_list(tmp_path: Path, profile: Path, fake: FakeSynthesizer) -> None:
    with Site() as s:
        s.routes["/atom.xml"] = Route(
            atom([("tag:civic,2026:1", s.url("/a/one/"), "One", "2026-12-01T08:00:00Z")]),
            content_type="application/atom+xml",
        )
        s.routes["/a/one/"] = Route(page(story("one", "The First Story")))
        s.routes["/a/two/"] = Route(page(story("two", "The Second Story")))
        urls = tmp_path / "today.txt"
        urls.write_text(f"# today's picks\n{s.url('/a/two/')}\n\n{s.url('/a/one/')}\n", encoding="utf-8")
        article = tmp_path / "note.txt"
        article.write_text("Title: A Note\n\nSee https://example.com for more.\n", encoding="utf-8")
        code = cli.main(
            [
                "batch",
                s.url("/atom.xml"),
                str(urls),
                str(article),
                "-o",
                str(tmp_path / "out"),
                "--profile",
                str(profile),
            ],  # fmt: skip
            synthesizer_factory=fake.factory,
        )
    assert code == 0
    names = sorted(p.name for p in (tmp_path / "out").glob("*.mp3"))
    # the story in both the feed and the list: once; a .txt article that mentions a URL: an article
    assert names == ["a-note.mp3", "one.mp3", "two.mp3"]


def test_a_feed_url_that_is_a_page_names_the_feed_it_advertises(
    tmp_path: Path, profile: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    with Site() as s:
        s.routes["/"] = Route(b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/">'
                              b"</head><body><h1>Home</h1></body></html>")  # fmt: skip
        code = cli.main(
            ["batch", s.url("/"), "-o", str(tmp_path / "out"), "--profile", str(profile)],
            synthesizer_factory=fake.factory,
        )
    out = capsys.readouterr().out
    assert code == 1
    assert "not an RSS or Atom feed" in out and s.url("/feed/") in out


def test_narrate_url_names_the_episode_from_the_url_and_says_the_article(
    tmp_path: Path, profile: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    with Site() as s:
        s.routes["/news/2026/12/water-bills/"] = Route(page(story("water-bills", "Water Bills Rise Again")))
        url = s.url("/news/2026/12/water-bills/")
        made = [url, "--output-dir", str(tmp_path), "--profile", str(profile), "-q", "--jobs", "1"]
        code = cli.main(made, synthesizer_factory=fake.factory)
        assert code == 0
        assert [r.path for r in s.log] == ["/robots.txt", "/news/2026/12/water-bills/"]
        capsys.readouterr()
        again = [url + "?utm_source=newsletter", *made[1:]]  # the same article, linked from elsewhere
        assert cli.main(again, synthesizer_factory=fake.factory) == 0
        assert "unchanged" in capsys.readouterr().out  # the same file, not made twice
        assert cli.main(["script", url, "--profile", str(profile)]) == 0
        script = capsys.readouterr().out
    mp3 = tmp_path / "water-bills.mp3"
    assert ID3(mp3)["TIT2"].text == ["Water Bills Rise Again"]
    assert ID3(mp3)["TPE1"].text == ["Rosalind Achterberg"]
    assert "Paragraph four of Water Bills Rise Again" in script
    for chrome in ("Accept all", "newsletter", "Facebook", "All rights reserved", "Politics"):
        assert chrome not in script


@pytest.mark.parametrize("where", ["closed port", "404"])
def test_an_unreachable_or_missing_page_is_one_line_exit_2_and_no_file(
    where: str, tmp_path: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    with Site() as s:
        url = s.url("/news/missing/")
        if where == "closed port":
            s.server.shutdown()
            s.server.server_close()
        code = cli.main([url, "-o", str(tmp_path / "x.mp3")], synthesizer_factory=fake.factory)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert url in err and ("cannot connect" in err if where == "closed port" else "404" in err)
    assert list(tmp_path.iterdir()) == []


def test_site_rules_drop_what_fools_the_extractor_or_take_only_the_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drop = tmp_path / "drop.toml"
    drop.write_text('[sites."127.0.0.1"]\ndrop = [".promo-card"]\n', encoding="utf-8")
    body = tmp_path / "body.toml"
    body.write_text('[sites."127.0.0.1"]\nbody = ["//article/p[not(@class)]"]\n', encoding="utf-8")
    fooling = f'<div class="promo-card"><p>{FERRY}</p></div>'
    with Site() as s:
        s.routes["/news/water-bills/"] = Route(page(story("water-bills", "Water Bills"), inside=fooling))
        url = s.url("/news/water-bills/")
        outputs = []
        for extra in ([], ["--profile", str(drop)], ["--profile", str(body)]):
            assert cli.main(["clean", url, *extra]) == 0
            outputs.append(capsys.readouterr().out)
    plain, dropped, bodied = outputs
    assert "ferry timetables" in plain  # the extractor alone reads the promo as article text
    for cleaned in (dropped, bodied):
        assert "ferry timetables" not in cleaned
        assert "Paragraph 4 of Water Bills" in cleaned
        assert "Title: Water Bills" in cleaned and "Author: Rosalind Achterberg" in cleaned


def test_the_web_state_survives_a_manifest_round_trip_and_old_manifests_still_load(tmp_path: Path) -> None:
    from narrate.publish.manifest import HttpState, Manifest

    manifest = Manifest(tmp_path)
    manifest.http["https://civic.example/feed/"] = HttpState(etag='"x"', body="a" * 64)
    manifest.save()
    assert Manifest.load(tmp_path).http["https://civic.example/feed/"].etag == '"x"'
    data = json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))
    del data["http"]  # written by narrate before the web
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data), "utf-8")
    assert Manifest.load(tmp_path).http == {}


@pytest.mark.parametrize(
    "entry",
    [
        {"file:///etc/passwd": {}},
        {"https://civic.example/": {"body": "../../etc/passwd"}},
        {"https://civic.example/": {"etag": "a\nb"}},
        {"https://civic.example/": "not a table"},
    ],
)
def test_a_damaged_web_state_is_a_one_line_error(tmp_path: Path, entry: dict[str, object]) -> None:
    from narrate.errors import InputError
    from narrate.publish.manifest import Manifest

    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"version": 2, "episodes": [], "http": entry}), "utf-8")
    with pytest.raises(InputError, match="damaged: http"):
        Manifest.load(tmp_path)


def test_bodies_no_url_names_are_pruned(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer
) -> None:
    out = tmp_path / "edition"
    batch(site, out, profile, fake, FakeClock())
    stray = out / WEB_BODIES / ("0" * 64)
    stray.write_bytes(b"old")
    batch(site, out, profile, fake, FakeClock())
    assert not stray.exists()
    http = json.loads((out / MANIFEST_NAME).read_text("utf-8"))["http"]
    assert {p.name for p in (out / WEB_BODIES).iterdir()} == {s["body"] for s in http.values()}


def test_the_command_line_summary_lists_each_failure_with_its_url_and_exits_1(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.routes["/news/busy/"] = site.routes["/news/busy/"].then[0]  # no real wait for a Retry-After here
    out = tmp_path / "edition"
    code = cli.main(["batch", site.url("/feed/"), "-o", str(out), "--profile", str(profile), "-q"],
                    synthesizer_factory=fake.factory)  # fmt: skip
    stdout, stderr = capsys.readouterr()
    assert code == 1
    rows = {line.split("\t")[0]: line.split("\t")[1] for line in stdout.splitlines() if "\t" in line}
    assert rows[site.url("/news/gone/")].startswith("failed: ") and "404" in rows[site.url("/news/gone/")]
    assert "robots.txt" in rows[site.url("/private/secret/")]
    assert rows[site.url("/news/water-bills/")] == "made"
    assert "5 of 8 articles failed" in stderr
    # the feed is validated at the end: its problems are notes, one a line
    notes = [line for line in stderr.splitlines() if line.startswith("narrate: note: feed: ")]
    assert any("itunes:owner" in n for n in notes)
    assert sum("file://" in line for line in stderr.splitlines()) == 1  # said once, not twice


def test_ignore_robots_fetches_a_barred_page_without_asking_robots_txt(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site.url("/private/secret/")
    assert cli.main(["script", url, "--profile", str(profile)]) == 2
    assert "robots.txt" in capsys.readouterr().err
    site.log.clear()
    assert cli.main(["script", url, "--profile", str(profile), "--ignore-robots"]) == 0
    assert [r.path for r in site.log] == ["/private/secret/"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[sites."civic.example"]\ndrop = ["div[[broken"]\n', "is not a CSS selector"),
        ('[sites."civic.example"]\nbody = ["//div[@class="]\n', "is not valid XPath"),
        ('[sites."https://civic.example/"]\ndrop = [".x"]\n', "is not a host name"),
        ('[sites."civic.example"]\nremove = [".x"]\n', "unknown key 'remove'"),
        ('[sites."civic.example"]\ndrop = ".x"\n', "must be a list"),
        ("[web]\nper_host = 0\n", "per_host' must be between 1 and 16"),
        ("[web]\ndelay = true\n", "must be a number"),
        ('[web]\ncontact = "a b"\n', "contact' holds a space"),
    ],
)
def test_web_and_site_settings_are_checked_when_the_profile_loads(
    tmp_path: Path, toml: str, message: str
) -> None:
    from narrate.errors import ProfileError
    from narrate.profile import load_profile

    path = tmp_path / "p.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as caught:
        load_profile(path)
    assert "\n" not in str(caught.value)


def test_a_sites_entry_covers_its_subdomains() -> None:
    from narrate.profile import SiteRules
    from narrate.text.sites import rules_for

    rules = {"civic.example": SiteRules(drop=(".a",)), "news.civic.example": SiteRules(drop=(".b",))}
    assert rules_for("https://www.civic.example/x", rules) == rules["civic.example"]
    assert rules_for("https://news.civic.example/x", rules) == rules["news.civic.example"]
    assert rules_for("https://civic.example.org/x", rules) is None
    assert rules_for(None, rules) is None


@pytest.mark.voice
def test_the_real_voice_says_the_pages_article_and_none_of_its_chrome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`narrate URL` with the bundled voice, heard back by pocketsphinx: the article, not the chrome."""
    from audio_tools import heard_words, said_words, word_error_rate

    profile = tmp_path / "short.toml"  # no intro or outro; a short article is not a teaser here
    profile.write_text(
        "[intro]\nlines = []\n[outro]\nlines = []\n[web]\nmin_words = 20\ndelay = 0\n", encoding="utf-8"
    )

    paragraphs = (
        "The council will open the central library on Sundays from January, after a year of petitions.",
        "Volunteers will help staff the reading rooms, and the children's floor will stay open until four.",
    )
    with Site() as s:
        s.routes["/news/library-sundays/"] = Route(
            page(
                Story(
                    "library-sundays",
                    "Library Opens On Sundays",
                    "Rosalind Achterberg",
                    "2026-12-01",
                    paragraphs,
                )
            )
        )
        url = s.url("/news/library-sundays/")
        code = cli.main([url, "--output-dir", str(tmp_path), "--profile", str(profile), "-q", "--no-cache"])
    assert code == 0, capsys.readouterr().err
    heard = heard_words(tmp_path / "library-sundays.mp3")
    said = said_words(["Library Opens On Sundays.", *paragraphs])
    print(f"word error rate {word_error_rate(said, heard):.2f}: {' '.join(heard)}")
    assert word_error_rate(said, heard) < 0.45, " ".join(heard)
    for chrome in ("newsletter", "cookies", "facebook", "subscribe", "museum"):
        assert chrome not in heard


def test_batch_check_hears_web_episodes_from_the_kept_pages(
    tmp_path: Path, profile: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pocketsphinx")
    with Site() as s:
        s.routes["/feed/"] = Route(
            rss([("civic-1", s.url("/news/bills/"), "Bills", http_date(2026, 12, 1))]),
            content_type="application/rss+xml",
        )
        s.routes["/news/bills/"] = Route(page(story("bills", "Water Bills Rise Again")))
        args = [
            "batch",
            s.url("/feed/"),
            "-o",
            str(tmp_path / "out"),
            "--profile",
            str(profile),
            "-q",
            "--check",
        ]
        code = cli.main(args, synthesizer_factory=fake.factory)
        asked = [r.path for r in s.log]
    out = capsys.readouterr().out.splitlines()
    assert code == 1  # the fake voice's tones say nothing: every sentence is flagged
    assert out[0].split("\t")[-1] == "check"
    assert out[1].split("\t")[0] == s.url("/news/bills/")
    assert out[1].split("\t")[-1].startswith("8 flagged, held out of the feed")  # heard, healed once, held
    assert asked.count("/news/bills/") == 1  # heard against the kept page, not fetched again


def test_a_page_gone_after_its_episode_was_made_is_reported_and_the_episode_stays_published(
    site: Site, tmp_path: Path, profile: Path, fake: FakeSynthesizer
) -> None:
    out = tmp_path / "edition"
    batch(site, out, profile, fake, FakeClock())
    site.routes["/news/water-bills/"] = Route(status=410)
    states = batch(site, out, profile, fake, FakeClock())
    state, message = states[site.url("/news/water-bills/")]
    assert state == "failed" and "gone (410)" in message
    titles = [e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert "Water Bills Rise Again" in titles and (out / "water-bills.mp3").is_file()
    [record] = [
        r
        for r in json.loads((out / MANIFEST_NAME).read_text("utf-8"))["episodes"]
        if r["url"] == site.url("/news/water-bills/")
    ]
    assert record["status"] == "done" and "410" in record["error"]


def test_relative_links_in_a_feed_are_resolved_against_the_feeds_address() -> None:
    from narrate.web.feeds import parse_feed

    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>A</title><link>/news/a/</link></item>
    <item><title>B</title><link>b/</link><guid>civic-b</guid></item></channel></rss>"""
    items = parse_feed(feed, "https://civic.example/section/feed/", "application/rss+xml")
    assert [(i.identity, i.link) for i in items] == [
        ("https://civic.example/news/a/", "https://civic.example/news/a/"),
        ("civic.example/civic-b", "https://civic.example/section/feed/b/"),  # a post id: the site's own
    ]


def test_the_same_post_number_on_two_sites_is_two_episodes_and_a_story_moved_to_a_list_is_one(
    tmp_path: Path, profile: Path, fake: FakeSynthesizer
) -> None:
    out = tmp_path / "edition"
    with Site() as one, Site() as two:
        for s, name in ((one, "Harbour"), (two, "Library")):
            s.routes["/feed/"] = Route(
                rss([("123", s.url(f"/news/{name.lower()}/"), name, http_date(2026, 12, 1))]),
                content_type="application/rss+xml",
            )
            s.routes[f"/news/{name.lower()}/"] = Route(page(story(name.lower(), f"{name} News Today")))
        # 127.0.0.1 and localhost: two hosts, each numbering its posts from 1
        feeds = [one.url("/feed/"), two.url("/feed/").replace("127.0.0.1", "localhost")]
        assert cli.main(["batch", *feeds, "-o", str(out), "--profile", str(profile), "-q"],
                        synthesizer_factory=fake.factory) == 0  # fmt: skip
        titles = sorted(e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries)
        assert titles == ["Harbour News Today", "Library News Today"]
        # the next night the harbour story comes from a URL list instead of the feed, its page re-rendered
        one.routes["/news/harbour/"] = Route(
            page(story("harbour", "Harbour News Today"), inside="<p>Updated.</p>")
        )
        picks = tmp_path / "picks.urls"
        picks.write_text(one.url("/news/harbour/") + "\n", encoding="utf-8")
        assert cli.main(["batch", str(picks), "-o", str(out), "--profile", str(profile), "-q"],
                        synthesizer_factory=fake.factory) == 0  # fmt: skip
    entries = feedparser.parse((out / "feed.xml").read_bytes()).entries
    assert sorted(e.title for e in entries) == titles  # still two: the harbour story is not duplicated


def test_preview_words_and_check_take_a_url_too(
    tmp_path: Path, profile: Path, fake: FakeSynthesizer, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pocketsphinx")
    paragraph = (
        "Zbigniewska met Ushakov in Geneva on Monday, the council said, and the talks will resume next week "
        "with both delegations in the same room for the first time this year."
    )
    days = ("Monday", "Tuesday", "Friday")
    names = Story(
        "talks", "Talks Resume", "Ruth Okafor", "2026-12-01", tuple(f"On {d}, {paragraph}" for d in days)
    )
    with Site() as s:
        s.routes["/news/talks-resume/"] = Route(page(names))
        url = s.url("/news/talks-resume/")
        common = ["--profile", str(profile)]
        wav = tmp_path / "p2.wav"
        assert (
            cli.main(["preview", url, "-p", "2", "-o", str(wav), *common], synthesizer_factory=fake.factory)
            == 0
        )
        assert cli.main(["words", url, *common]) == 0
        words = capsys.readouterr().out
        made = [url, "--output-dir", str(tmp_path), "-q", "--jobs", "1", *common]
        assert cli.main(made, synthesizer_factory=fake.factory) == 0
        capsys.readouterr()
        code = cli.main(["check", url, "--output-dir", str(tmp_path), "--jobs", "1", *common])
        checked = capsys.readouterr().out
    assert wav.stat().st_size > 1000
    assert "Zbigniewska" in words and "Ushakov" in words
    assert code == 1 and checked.startswith(str(tmp_path / "talks-resume.mp3"))  # tones: all flagged
