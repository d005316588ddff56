"""Fetching pages and feeds politely: robots.txt, per-host limits and spacing, retries, conditional GETs."""

from __future__ import annotations

import email.utils
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from .._version import __version__
from ..errors import FetchError
from ..profile import WebSettings

if TYPE_CHECKING:  # imported where a page is fetched: 11 MB that reading a local article never needs
    import httpx2

MAX_BYTES = 10_000_000  # a news page is ~0.1-2 MB; anything over 10 MB is not an article
MAX_ROBOTS_BYTES = 500_000  # RFC 9309: crawlers may ignore robots.txt past 500 KiB
MAX_REDIRECTS = 10
_RETRY_STATUSES = (429, 500, 502, 503, 504)
_REASONS = {
    404: "not found (404): the page is gone or the link is wrong",
    410: "gone (410): the page was removed",
}


@dataclass(frozen=True)
class FetchPolicy:
    """How a Fetcher behaves: one value, built once from the profile and the command line."""

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_bytes: int = MAX_BYTES
    per_host: int = 2
    delay: float = 1.0  # seconds between the starts of two requests to one host
    retries: int = 3  # further tries after a 429 or 5xx
    backoff: float = 2.0  # the first wait without Retry-After; doubled each time
    max_wait: float = 120.0  # a longer Retry-After is not waited for: the item fails, a later run tries again
    obey_robots: bool = True


def user_agent(contact: str = "") -> str:
    """`narrate/VERSION (+CONTACT)`: names the tool and whom a site's operators can ask about it."""
    return f"narrate/{__version__} (+{contact})" if contact else f"narrate/{__version__}"


def policy_for(web: WebSettings, obey_robots: bool = True) -> FetchPolicy:
    """The profile's [web] settings as a fetch policy."""
    return FetchPolicy(
        user_agent=user_agent(web.contact),
        connect_timeout=web.connect_timeout,
        read_timeout=web.read_timeout,
        per_host=web.per_host,
        delay=web.delay,
        obey_robots=obey_robots,
    )


@dataclass(frozen=True)
class Validators:
    """What a server said about a body last time, so the next request can ask 'only if changed'."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        found = {}
        if self.etag:
            found["If-None-Match"] = self.etag
        if self.last_modified:
            found["If-Modified-Since"] = self.last_modified
        return found


@dataclass(frozen=True)
class Fetched:
    """A response: the body (empty when not modified), where it came from after redirects, its validators."""

    url: str  # as asked
    final_url: str  # after redirects
    status: int  # 200 (or another 2xx) or 304
    body: bytes = field(repr=False)
    content_type: str = ""
    validators: Validators = field(default_factory=Validators)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        for part in self.content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                return value.strip("\"' ").lower()
        return None


@dataclass
class _Host:
    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0
    delay: float = 0.0
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_problem: str = ""


class Fetcher:
    """An HTTP client for articles and feeds: safe to share between threads; close it (or use `with`).

    transport: httpx2's transport (tests pass a MockTransport); clock and sleep: time's, or a test's fake.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        transport: httpx2.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx2

        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        timeout = httpx2.Timeout(policy.read_timeout, connect=policy.connect_timeout)
        self._client = httpx2.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,  # by hand: each hop's host is asked its robots.txt and kept polite
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=True,  # HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE, as a newsroom's network needs
        )
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, validators: Validators | None = None, accept: str = "") -> Fetched:
        """GET `url`, following redirects; 304 when `validators` match. Raises FetchError with the reason."""
        check_url(url)
        headers = (validators or Validators()).headers()
        if accept:
            headers["Accept"] = accept
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._allowed(current)
            status, response_headers, body = self._request(current, headers, self.policy.max_bytes)
            location = response_headers.get("location")
            if status in (301, 302, 303, 307, 308) and location:
                current = urljoin(current, location)
                check_url(current, f"{url} redirects to")
                continue
            return _fetched(url, current, status, response_headers, body)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects: the site redirects in a loop")

    def _allowed(self, url: str) -> None:
        if not self.policy.obey_robots:
            return
        host = self._host(url)
        with host.robots_lock:  # one thread reads a host's robots.txt; the others wait for its answer
            if host.robots is None and not host.robots_problem:
                try:
                    self._read_robots(url, host)
                except FetchError as exc:  # the page's address, not robots.txt's, is what was asked for
                    raise FetchError(url, exc.reason) from None
        if host.robots_problem:
            raise FetchError(url, host.robots_problem)
        assert host.robots is not None
        if not host.robots.can_fetch("narrate", url):
            raise FetchError(
                url, "robots.txt asks crawlers not to fetch this page (--ignore-robots for your own site)"
            )

    def _read_robots(self, url: str, host: _Host) -> None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        current = robots_url
        for _ in range(5):  # RFC 9309: follow at least five redirects
            status, headers, body = self._request(current, {}, MAX_ROBOTS_BYTES, truncate=True)
            if status in (301, 302, 303, 307, 308) and headers.get("location"):
                current = urljoin(current, headers["location"])
                continue
            break
        if 200 <= status < 300:
            parser.parse(body.decode("utf-8", errors="replace").splitlines())
        elif 400 <= status < 500:
            parser.parse([])  # RFC 9309: an unavailable robots.txt allows everything
        else:  # 5xx after retries, or a redirect loop: RFC 9309 says assume everything disallowed, for now
            host.robots_problem = (
                f"its robots.txt answered {status}, so the site cannot say what crawlers may fetch: "
                "try again later (--ignore-robots for your own site)"
            )
            return
        asked = parser.crawl_delay("narrate")
        if asked:
            host.delay = max(host.delay, min(float(asked), 60.0))
        host.robots = parser

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        with self._hosts_lock:
            if key not in self._hosts:
                slots = threading.BoundedSemaphore(self.policy.per_host)
                self._hosts[key] = _Host(slots, delay=self.policy.delay)
            return self._hosts[key]

    def _request(
        self, url: str, headers: Mapping[str, str], limit: int, truncate: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """One URL, retried on 429 and 5xx (Retry-After honoured, bounded); returns status, headers, body
        (the last answer when every try failed)."""
        host = self._host(url)
        for attempt in range(self.policy.retries + 1):
            with self._turn(host):
                status, found, body = self._once(url, headers, limit, truncate)
            if status not in _RETRY_STATUSES or attempt == self.policy.retries:
                break
            wait = _retry_after(found.get("retry-after"), self.policy.backoff * 2**attempt)
            if wait > self.policy.max_wait:
                raise FetchError(
                    url,
                    f"HTTP {status}: the site asks to wait {wait:.0f} s before asking again; re-run later",
                )
            with host.lock:  # the whole host waits, not only this request
                host.next_at = max(host.next_at, self._clock() + wait)
        return status, found, body

    @contextmanager
    def _turn(self, host: _Host) -> Iterator[None]:
        """At most per_host requests at once to a host, their starts at least its delay apart."""
        with host.slots:
            with host.lock:
                now = self._clock()
                start = max(now, host.next_at)
                host.next_at = start + host.delay
            if start > now:
                self._sleep(start - now)
            yield

    def _once(
        self, url: str, headers: Mapping[str, str], limit: int, truncate: bool
    ) -> tuple[int, dict[str, str], bytes]:
        import httpx2

        try:
            with self._client.stream("GET", url, headers=dict(headers)) as response:
                found = {k.lower(): v for k, v in response.headers.items()}
                if not 200 <= response.status_code < 300:
                    return response.status_code, found, b""
                return response.status_code, found, _read_capped(url, response, limit, truncate)
        except httpx2.TimeoutException as exc:
            kind = "connecting" if isinstance(exc, httpx2.ConnectTimeout) else "waiting for the page"
            seconds = self.policy.connect_timeout if kind == "connecting" else self.policy.read_timeout
            raise FetchError(
                url, f"timed out {kind} ({seconds:g} s): the site is slow or down; re-run later"
            ) from None
        except (httpx2.ConnectError, httpx2.UnsupportedProtocol, httpx2.ProxyError) as exc:
            raise FetchError(
                url, f"cannot connect ({_why(exc)}): check the address and the network"
            ) from None
        except httpx2.HTTPError as exc:  # cut off mid-answer, a broken gzip body, a protocol error
            raise FetchError(url, f"the answer could not be read ({_why(exc)}): re-run later") from None


def _read_capped(url: str, response: httpx2.Response, limit: int, truncate: bool) -> bytes:
    """The body, read in chunks and abandoned once over `limit` (never read whole); truncated if asked."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and not truncate:
        raise FetchError(
            url, f"is {int(declared) / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit for a page"
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if truncate:
                return b"".join(chunks)[:limit]
            raise FetchError(
                url, f"is over the {limit / 1e6:g} MB limit for a page: refused after reading that much"
            )
    return b"".join(chunks)


def _fetched(url: str, final: str, status: int, headers: dict[str, str], body: bytes) -> Fetched:
    if status == 304 or 200 <= status < 300:
        validators = Validators(headers.get("etag"), headers.get("last-modified"))
        return Fetched(url, final, status, body, headers.get("content-type", ""), validators)
    where = url if final == url else f"{url} (redirected to {final})"
    reason = _REASONS.get(status) or (
        f"HTTP {status} after every try: the site is failing; re-run later"
        if status in _RETRY_STATUSES
        else f"HTTP {status}: the site refused the request"
    )
    raise FetchError(where, reason)


def _retry_after(value: str | None, default: float) -> float:
    """Retry-After in seconds (a number or an HTTP date), else the default backoff."""
    if not value:
        return default
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _why(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[-1] if text else type(exc).__name__)[:120]


def is_url(text: str | object) -> bool:
    """An http(s) URL, as opposed to a file path."""
    return isinstance(text, str) and text.lower().startswith(("http://", "https://"))


def check_url(url: str, what: str = "") -> str:
    """An absolute http(s) URL with a host, else a FetchError naming it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{what} {url}".strip(), "is not an http(s) URL with a host")
    return url
