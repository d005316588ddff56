"""A site's RSS 2.0 or Atom feed (through feedparser), or a list of URLs, as the articles to narrate."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ..errors import FetchError, InputError
from .fetch import check_url, is_url

URL_LIST_SUFFIX = ".urls"
_FEED_LINK = re.compile(r"<link\b[^>]*type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE)
_HREF = re.compile(r"href=[\"']([^\"']+)[\"']", re.IGNORECASE)


@dataclass(frozen=True)
class WebItem:
    """An article to fetch: its identity (a feed item's guid, else its link), link, title and date."""

    identity: str
    link: str
    title: str = ""
    published: dt.datetime | None = None
    origin: str = ""  # the feed or list it came from


def parse_feed(data: bytes, url: str, content_type: str = "") -> tuple[WebItem, ...]:
    """The items of an RSS or Atom document, links resolved against `url`; a page that is not a feed is
    an error naming the feed it advertises, if any."""
    import feedparser  # a second to import: only batches from the web need it

    # parsed without the feed's address, so a guid such as "civic-123" stays as written (not resolved into a
    # URL that would change with the feed's address); links are resolved against it below
    parsed = feedparser.parse(data, response_headers={"content-type": content_type} if content_type else None)
    if not parsed.get("version"):
        advertised = _advertised_feed(data, url)
        hint = (
            f"its page names a feed: {advertised}" if advertised else "pass the site's RSS or Atom feed URL"
        )
        raise FetchError(url, f"is not an RSS or Atom feed ({hint}; list article URLs in a .urls file)")
    items = []
    for entry in parsed.entries:
        written = "".join(str(entry.get("link") or "").split())  # a URL has no whitespace
        link = urljoin(url, written) if written else ""
        identity = " ".join(str(entry.get("id") or link).split())[:2000]  # one line: the manifest keeps it
        if identity and not is_url(identity) and ":" not in identity:  # a CMS's post number: the site's own
            identity = f"{urlsplit(url).hostname}/{identity}"
        if not identity:
            continue  # an item with neither guid nor link cannot be told apart or fetched
        items.append(WebItem(identity, link, str(entry.get("title") or "").strip(), _published(entry), url))
    return tuple(items)


def _published(entry: object) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        found = getattr(entry, "get", lambda _: None)(key)
        if found:
            return dt.datetime.fromtimestamp(calendar.timegm(found), dt.timezone.utc)
    return None


def _advertised_feed(data: bytes, url: str) -> str | None:
    tag = _FEED_LINK.search(data[:200_000].decode("utf-8", errors="replace"))
    href = _HREF.search(tag.group(0)) if tag else None
    return urljoin(url, href.group(1)) if href else None


def is_url_list(path: Path) -> bool:
    """A `.urls` file, or a `.txt` file whose every line (blank lines and # comments aside) is a URL."""
    if path.suffix.lower() == URL_LIST_SUFFIX:
        return True
    if path.suffix.lower() != ".txt" or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(200_000).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    lines = [line.strip() for line in head.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and all(is_url(line) and " " not in line for line in lines)


def read_url_list(path: Path) -> tuple[WebItem, ...]:
    """One article URL a line; blank lines and lines starting with # are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text: save the URL list as UTF-8") from None
    items = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            check_url(line)
        except FetchError:
            raise InputError(f"{path} line {number} is not an http(s) URL: {line[:80]!r}") from None
        items.append(WebItem(line, line, origin=str(path)))
    return tuple(items)


def choose(
    items: Sequence[WebItem], since: dt.date | None = None, limit: int | None = None
) -> tuple[WebItem, ...]:
    """One source's items from `since` on (undated items kept), the `limit` newest (undated last, in the
    source's own order), each identity once."""
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.identity in seen:
            continue
        seen.add(item.identity)
        if since is not None and item.published is not None and item.published.date() < since:
            continue
        kept.append(item)
    if limit is not None:
        order = sorted(
            range(len(kept)),
            key=lambda i: (kept[i].published is None, -(kept[i].published or _EPOCH).timestamp(), i),
        )
        chosen = set(order[:limit])
        kept = [item for i, item in enumerate(kept) if i in chosen]
    return tuple(kept)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def unique(items: Iterable[WebItem]) -> list[WebItem]:
    """Items from several sources, each identity once (the first source that lists it keeps it)."""
    seen: set[str] = set()
    found = []
    for item in items:
        if item.identity not in seen:
            seen.add(item.identity)
            found.append(item)
    return found
