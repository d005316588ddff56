"""A news site on loopback for the web tests: real HTTP (http.server in a thread), a log of every request.

Routes answer with a body, validators (ETag, Last-Modified: a matching condition gets 304), a delay, an
endless body, or a queue of answers (a 503 with Retry-After, then the page).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow page)
    endless: bool = False  # a body that never ends, without Content-Length (streamed until hung up)
    then: list[Route] = field(default_factory=list)  # answers for the following requests, in turn


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    status: int

    @property
    def conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers


class Site:
    """The server: `routes` by path (query included), `log` of what was asked and answered."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self.sent_endless = 0  # bytes of endless bodies written before the client hung up
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def requests(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            key = handler.path if handler.path in self.routes else handler.path.split("?")[0]
            route = self.routes.get(key)  # like a CMS, a query it does not know changes nothing
            if route is not None and route.then:
                self.routes[key] = route.then.pop(0)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self._respond(handler, route, headers)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _record(self, handler: BaseHTTPRequestHandler, headers: dict[str, str], status: int) -> None:
        # logged before the answer is sent: a client that has its answer finds its request in the log
        with self._lock:
            self.log.append(Request(handler.path, headers, status))

    def _respond(self, handler: BaseHTTPRequestHandler, route: Route | None, headers: dict[str, str]) -> int:
        if route is None:
            route = Route(b"<html><body><h1>Page not found</h1></body></html>", status=404)
        if route.delay and _client_hung_up(handler, route.delay):
            self._record(handler, headers, 499)  # the client gave up waiting: nothing more to send
            return 499
        fresh = (route.etag and headers.get("if-none-match") == route.etag) or (
            route.last_modified and headers.get("if-modified-since") == route.last_modified
        )
        status = 304 if fresh and route.status == 200 else route.status
        self._record(handler, headers, status)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", route.content_type)
            for name, value in (("ETag", route.etag), ("Last-Modified", route.last_modified)):
                if value:
                    handler.send_header(name, value)
            for name, value in route.headers.items():
                handler.send_header(name, value)
            if status == 304:
                handler.end_headers()
                return status
            if route.endless:
                handler.end_headers()
                chunk = b"<p>" + b"more " * 13000 + b"</p>\n"
                while True:
                    handler.wfile.write(chunk)
                    self.sent_endless += len(chunk)
            if "Content-Length" not in route.headers:
                handler.send_header("Content-Length", str(len(route.body)))
            handler.end_headers()
            handler.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return status

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _client_hung_up(handler: BaseHTTPRequestHandler, delay: float) -> bool:
    """Wait `delay` seconds before answering, or less if the client closes the connection meanwhile (a
    closed socket reads as ready with no bytes): an abandoned request is then no longer counted in flight."""
    sock = handler.connection
    deadline = time.monotonic() + delay
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        if ready:
            try:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    return True
            except OSError:
                return True
            time.sleep(min(left, 0.01))  # bytes waiting (a pipelined request): keep the delay
    return False


def http_date(year: int, month: int, day: int) -> str:
    return email.utils.format_datetime(
        dt.datetime(year, month, day, 9, 0, tzinfo=dt.timezone.utc), usegmt=True
    )


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    author: str
    date: str  # ISO date
    paragraphs: tuple[str, ...]


def page(story: Story, site_name: str = "The Civic Record", inside: str = "") -> bytes:
    """An article page with the chrome a CMS adds: nav, cookie banner, share row, related box, newsletter,
    JSON-LD NewsArticle metadata; `inside`: more HTML at the end of the <article>."""
    body = "\n".join(f"      <p>{html.escape(p)}</p>" for p in story.paragraphs)
    title = html.escape(story.title)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>{title} | {site_name}</title>
  <meta property="og:title" content="{title}">
  <meta property="og:site_name" content="{site_name}">
  <script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
    "headline": "{title}", "datePublished": "{story.date}T07:30:00Z",
    "author": {{"@type": "Person", "name": "{html.escape(story.author)}"}}}}</script>
</head>
<body>
  <header><a href="/">{site_name}</a>
    <nav><ul><li><a href="/news">News</a></li><li><a href="/politics">Politics</a></li>
    <li><a href="/subscribe">Subscribe</a></li></ul></nav>
    <div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
  </header>
  <main>
    <article>
      <h1>{title}</h1>
      <p class="byline">By <a href="/authors/x">{html.escape(story.author)}</a></p>
      <div class="share"><a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div>
{body}
      <div class="related-box"><h3>Read more</h3><p>Bus Fares Frozen Until Spring, Says Mayor In Budget</p>
      <p>Museum Reopens After Roof Repairs Take Longer Than Expected By Nine Months</p></div>
      {inside}
    </article>
  </main>
  <footer>
    <div class="newsletter-signup"><h3>Sign up to our newsletter</h3>
      <p>Get the week's local stories straight to your inbox.</p></div>
    <p>&copy; 2026 {site_name}. All rights reserved.</p>
  </footer>
</body>
</html>
""".encode()


def rss(items: list[tuple[str, str, str, str]], title: str = "The Civic Record") -> bytes:
    """An RSS 2.0 feed: items as (guid, link, title, RFC 822 date)."""
    entries = "\n".join(
        f"""    <item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>
      <guid isPermaLink="false">{html.escape(guid)}</guid><pubDate>{date}</pubDate>
      <description>A teaser for {html.escape(t)}</description></item>"""
        for guid, link, t, date in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://civic.example/</link>
<description>Local news</description>
{entries}
</channel></rss>
""".encode()


def atom(items: list[tuple[str, str, str, str]], title: str = "The Civic Record") -> bytes:
    """An Atom feed: entries as (id, link, title, RFC 3339 date)."""
    entries = "\n".join(
        f"""  <entry><id>{html.escape(i)}</id><title>{html.escape(t)}</title>
    <link rel="alternate" href="{html.escape(link)}"/>
    <updated>{d}</updated><published>{d}</published></entry>"""
        for i, link, t, d in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title><id>urn:civic</id>
<updated>2026-12-02T00:00:00Z</updated>
{entries}
</feed>
""".encode()
