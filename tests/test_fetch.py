"""The fetcher on httpx2's MockTransport and a fake clock: spacing, retries, limits, robots.txt, names."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import httpx2
import pytest

from narrate.errors import FetchError
from narrate.web.fetch import Fetched, Fetcher, FetchPolicy, Validators
from narrate.web.page import canonical_url, item_guid, page_source, url_slug

Handler = Callable[[httpx2.Request], httpx2.Response]


class Clock:
    def __init__(self) -> None:
        self.now = 50.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fetcher(handler: Handler, clock: Clock, **policy: object) -> Fetcher:
    settings = {"user_agent": "narrate/test", "delay": 0.0, **policy}
    return Fetcher(
        FetchPolicy(**settings),  # type: ignore[arg-type]
        transport=httpx2.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
    )


def site(pages: dict[str, httpx2.Response], asked: list[str]) -> Handler:
    def handle(request: httpx2.Request) -> httpx2.Response:
        asked.append(f"{request.url.host}{request.url.path}")
        found = pages.get(request.url.path)
        return found if found is not None else httpx2.Response(404)

    return handle


ROBOTS_OK = httpx2.Response(200, text="User-agent: *\nAllow: /\n")


def test_requests_to_one_host_are_spaced_by_the_delay_and_other_hosts_do_not_wait() -> None:
    clock, asked = Clock(), []
    pages = {
        "/robots.txt": ROBOTS_OK,
        "/a": httpx2.Response(200, text="a"),
        "/b": httpx2.Response(200, text="b"),
    }
    with fetcher(site(pages, asked), clock, delay=1.5) as f:
        f.get("https://one.example/a")
        f.get("https://one.example/b")
        f.get("https://two.example/a")
    # one.example: robots.txt, /a, /b -> two waits of 1.5 s; two.example: its robots.txt and /a, one wait
    assert clock.sleeps == [1.5, 1.5, 1.5]
    assert asked == ["one.example/robots.txt", "one.example/a", "one.example/b", "two.example/robots.txt",
                     "two.example/a"]  # fmt: skip


def test_a_503_is_retried_after_retry_after_and_backoff_doubles_without_it() -> None:
    clock, asked = Clock(), []
    answers = iter([httpx2.Response(503, headers={"Retry-After": "12"}), httpx2.Response(200, text="ok")])

    def handle(request: httpx2.Request) -> httpx2.Response:
        asked.append(request.url.path)
        return next(answers)

    with fetcher(handle, clock, obey_robots=False) as f:
        assert f.get("https://x.example/p").body == b"ok"
    assert clock.sleeps == [12.0] and asked == ["/p", "/p"]

    clock = Clock()
    with fetcher(lambda r: httpx2.Response(502), clock, obey_robots=False, retries=3, backoff=2.0) as f:
        with pytest.raises(FetchError, match=r"HTTP 502 after every try"):
            f.get("https://x.example/p")
    assert clock.sleeps == [2.0, 4.0, 8.0]


def test_a_retry_after_past_the_bound_is_not_waited_for() -> None:
    clock, asked = Clock(), []
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)  # an HTTP date an hour away

    def handle(request: httpx2.Request) -> httpx2.Response:
        asked.append(request.url.path)
        return httpx2.Response(429, headers={"Retry-After": later})

    with fetcher(handle, clock, obey_robots=False, max_wait=120.0) as f:
        with pytest.raises(FetchError, match=r"HTTP 429: the site asks to wait 3[56]\d\d s"):
            f.get("https://x.example/p")
    assert asked == ["/p"] and clock.sleeps == []


def test_conditions_are_sent_and_a_304_says_not_modified() -> None:
    seen: list[httpx2.Headers] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers)
        return httpx2.Response(304)

    with fetcher(handle, Clock(), obey_robots=False) as f:
        got = f.get("https://x.example/p", Validators('"v1"', "Tue, 01 Dec 2026 09:00:00 GMT"))
    assert got.not_modified and got.body == b""
    assert seen[0]["if-none-match"] == '"v1"'
    assert seen[0]["if-modified-since"] == "Tue, 01 Dec 2026 09:00:00 GMT"
    assert seen[0]["user-agent"] == "narrate/test"


def test_a_declared_size_over_the_cap_is_refused_before_reading_and_a_long_stream_is_cut() -> None:
    big = httpx2.Response(200, headers={"Content-Length": "11000000"}, content=b"x" * 10)
    with fetcher(lambda r: big, Clock(), obey_robots=False) as f:
        with pytest.raises(FetchError, match=r"11\.0 MB, over the 10 MB limit"):
            f.get("https://x.example/p")
    pulled = []

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(1000):
            pulled.append(1)
            yield b"y" * 100_000

    with fetcher(
        lambda r: httpx2.Response(200, content=chunks()), Clock(), obey_robots=False, max_bytes=1_000_000
    ) as f:
        with pytest.raises(FetchError, match="over the 1 MB limit"):
            f.get("https://x.example/p")
    assert len(pulled) <= 12  # stopped just past 1 MB, not all 100 MB


def test_redirects_are_followed_and_the_final_url_kept_but_a_loop_is_an_error() -> None:
    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/old":
            return httpx2.Response(301, headers={"Location": "https://y.example/new"})
        if request.url.path == "/loop":
            return httpx2.Response(302, headers={"Location": "/loop"})
        return httpx2.Response(200, text="here")

    with fetcher(handle, Clock(), obey_robots=False) as f:
        got = f.get("https://x.example/old")
        assert (got.url, got.final_url, got.body) == (
            "https://x.example/old",
            "https://y.example/new",
            b"here",
        )
        with pytest.raises(FetchError, match="redirects in a loop"):
            f.get("https://x.example/loop")


def test_robots_txt_rules_crawl_delay_and_failures() -> None:
    clock, asked = Clock(), []
    robots = httpx2.Response(200, text="User-agent: narrate\nDisallow: /drafts/\nCrawl-delay: 5\n")
    pages = {
        "/robots.txt": robots,
        "/news": httpx2.Response(200, text="n"),
        "/drafts/x": httpx2.Response(200),
    }
    with fetcher(site(pages, asked), clock) as f:
        f.get("https://x.example/news")
        with pytest.raises(FetchError, match="robots.txt asks crawlers not to fetch"):
            f.get("https://x.example/drafts/x")
        f.get("https://x.example/news")
    assert asked == ["x.example/robots.txt", "x.example/news", "x.example/news"]  # robots.txt read once
    assert clock.sleeps == [5.0]  # its Crawl-delay spaces the requests (the refused one sent nothing)
    with fetcher(lambda r: httpx2.Response(500), Clock(), retries=0) as f:
        with pytest.raises(FetchError, match=r"robots.txt answered 500.*--ignore-robots"):
            f.get("https://x.example/news")
    pages = {"/news": httpx2.Response(200, text="n")}  # no robots.txt at all (404): everything allowed
    with fetcher(site(pages, []), Clock()) as f:
        assert f.get("https://x.example/news").body == b"n"


def test_a_connection_failure_and_a_bad_url_are_one_line_errors() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno 111] Connection refused")

    with fetcher(refuse, Clock()) as f:
        with pytest.raises(FetchError, match=r"^https://x.example/a: cannot connect \(\[Errno 111\]"):
            f.get("https://x.example/a")
        with pytest.raises(FetchError, match="not an http"):
            f.get("ftp://x.example/a")


def page_of(body: bytes, content_type: str, url: str = "https://x.example/news/cafe-prices/") -> Fetched:
    return Fetched(url, url, 200, body, content_type)


def test_a_page_is_transcoded_by_its_charset_and_a_pdf_is_refused() -> None:
    latin = "<html><body><p>Caf\u00e9 prices rose.</p></body></html>".encode("latin-1")
    source = page_of(latin, "text/html; charset=ISO-8859-1")
    assert "Caf\u00e9" in page_source(source).text
    assert page_source(source).name == "cafe-prices.html" and page_source(source).url == source.final_url
    assert page_source(page_of(b"Title: T\n\nBody.", "text/plain")).format == "text"
    with pytest.raises(FetchError, match="application/pdf, not a web page"):
        page_source(page_of(b"%PDF-1.7", "application/pdf"))


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://news.example.com/2026/12/03/water-bills-rise/", "water-bills-rise"),
        ("https://news.example.com/politics/Water_Bills.html", "water-bills"),
        ("https://news.example.com/story/water-bills/index.html", "water-bills"),
        ("https://news.example.com/article/123456", "news-example-com-article-123456"),
        ("https://news.example.com/", "news-example-com"),
    ],
)
def test_url_slugs(url: str, slug: str) -> None:
    assert url_slug(url) == slug


def test_the_same_article_linked_twice_is_the_same_guid() -> None:
    a = "https://News.Example.com:443/news/story/?utm_source=rss&id=7#comments"
    b = "https://news.example.com/news/story/?id=7"
    assert canonical_url(a) == b
    assert item_guid(a) == item_guid(b)
    assert item_guid(b) != item_guid("https://news.example.com/news/story/?id=8")
    assert item_guid("tag:civic,2026:1") == item_guid(" tag:civic,2026:1 ")


def test_robots_txt_is_read_once_per_host_when_pages_are_fetched_side_by_side() -> None:
    from concurrent.futures import ThreadPoolExecutor

    asked: list[str] = []
    pages = {"/robots.txt": ROBOTS_OK, **{f"/p{i}": httpx2.Response(200, text=str(i)) for i in range(8)}}
    handle = site(pages, asked)

    def locked(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/robots.txt":
            time.sleep(0.2)  # a slow robots.txt: the other threads arrive while it is read
        return handle(request)

    with fetcher(locked, Clock(), per_host=4) as f, ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda i: f.get(f"https://x.example/p{i}").body, range(8)))
    assert bodies == [str(i).encode() for i in range(8)]
    assert asked.count("x.example/robots.txt") == 1


def test_an_answer_cut_off_or_undecodable_is_a_one_line_error() -> None:
    def broken(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all")

    with fetcher(broken, Clock(), obey_robots=False) as f:
        with pytest.raises(FetchError, match=r"^https://x.example/a: the answer could not be read"):
            f.get("https://x.example/a")
