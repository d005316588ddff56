"""An article page from the web as a Source, and the names (slug, GUID) that come from its URL."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import FetchError
from ..profile import Profile
from ..text.ingest import Source, read_source, source_from_bytes
from ..text.slug import slugify
from .fetch import Fetched, Fetcher, is_url, policy_for

_PAGE_SUFFIXES = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cfm)$", re.IGNORECASE)
_INDEX = {"index", "default", "article", "story", "amp"}
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|at_\w+)$", re.IGNORECASE)
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown", "")


def canonical_url(url: str) -> str:
    """The URL as one article's identity: scheme and host lower-case, no fragment, no tracking parameters,
    no default port; the same article linked twice is the same string."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    )
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def url_slug(url: str) -> str:
    """A file name stem from a URL's path: its last meaningful part (/news/2026/bills/ -> bills)."""
    parts = urlsplit(url)
    segments = [_PAGE_SUFFIXES.sub("", s) for s in parts.path.split("/") if s]
    for segment in reversed(segments):
        if re.search(r"[A-Za-z]", segment) and segment.lower() not in _INDEX:
            return slugify(segment.replace("_", "-"))
    numbered = "-".join(s for s in segments if s)  # /article/12345: the host tells the id's site
    return slugify(f"{parts.hostname or 'page'}-{numbered}" if numbered else parts.hostname or "page")


def item_guid(identity: str) -> str:
    """An episode GUID from a web article's identity (a feed item's own guid, or its link): stable whatever
    the feed's order, the voice or the settings."""
    key = canonical_url(identity) if is_url(identity) else identity.strip()
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'narrate:web:' + key)}"


def page_source(page: Fetched) -> Source:
    """A fetched page as a Source: transcoded to UTF-8 by its declared charset, its format from its type."""
    kind = page.content_type.split(";")[0].strip().lower()
    if kind not in _TEXT_TYPES and not kind.startswith("text/"):
        raise FetchError(page.final_url, f"is {kind}, not a web page: link to the article's page")
    data = page.body
    charset = page.charset
    if charset and charset not in ("utf-8", "utf8"):
        try:
            data = data.decode(charset, errors="replace").encode("utf-8")
        except LookupError:
            pass  # an unknown charset name: decode's UTF-8, then Windows-1252, guess instead
    suffix = {"text/plain": ".txt", "text/markdown": ".md"}.get(kind, ".html")
    return source_from_bytes(data, url_slug(page.final_url) + suffix, url=page.final_url)


def read_input(
    path: str | Path,
    profile: Profile,
    *,
    stdin: BinaryIO | None = None,
    fetcher: Fetcher | None = None,
    obey_robots: bool = True,
) -> Source:
    """An article file, '-' for stdin, or an http(s) URL (fetched with `fetcher`, default: the profile's)."""
    if not is_url(str(path)):
        return read_source(path, stdin)
    if fetcher is not None:
        return page_source(fetcher.get(str(path), accept=_ACCEPT))
    with Fetcher(policy_for(profile.web, obey_robots)) as own:
        return page_source(own.get(str(path), accept=_ACCEPT))


def output_stem(path: str | Path, title: str) -> str:
    """An episode's file name stem: from the URL for a web article (the same page, the same file), else
    from the headline."""
    return url_slug(str(path)) if is_url(str(path)) else slugify(title)


_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"
