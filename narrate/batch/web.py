"""A batch's web inputs (feed URLs, URL lists) -> article pages, fetched only when changed."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..atomic import ensure_folder, write_bytes_atomic
from ..errors import FetchError, InputError
from ..profile import WebSettings
from ..publish.manifest import WEB_BODIES, HttpState, Manifest
from ..text.ingest import Source
from ..web.feeds import WebItem, choose, is_url_list, parse_feed, read_url_list, unique
from ..web.fetch import Fetched, Fetcher, Validators, is_url, policy_for
from ..web.page import canonical_url, item_guid, page_source, url_slug
from .plan import ArticleFile, note_failure

Report = Callable[[str, Literal["queued", "failed"], str], None]
_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
_PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"


@dataclass(frozen=True)
class WebOptions:
    """Which web items a batch takes (--since, --limit) and whether robots.txt is obeyed."""

    since: dt.date | None = None
    limit: int | None = None  # per feed or list: its newest N items
    obey_robots: bool = True


def split_inputs(inputs: Sequence[str | Path]) -> tuple[list[str], list[str | Path]]:
    """(web sources: feed URLs and URL-list files, other inputs: article files and folders)."""
    web: list[str] = []
    local: list[str | Path] = []
    for raw in inputs:
        if is_url(str(raw)) or is_url_list(Path(raw)):
            web.append(str(raw))
        else:
            local.append(raw)
    return web, local


@dataclass(frozen=True)
class Gathered:
    """The web articles to plan, and the items that failed (name -> reason), in the sources' order."""

    files: tuple[ArticleFile, ...]
    failed: tuple[tuple[str, str], ...]


def fetch_sources(
    sources: Sequence[str],
    manifest: Manifest,
    options: WebOptions,
    settings: WebSettings,
    report: Report,
    fetcher: Fetcher | None = None,
) -> Gathered:
    """`gather` with the fetcher given, else one built from the profile's [web] settings (closed after)."""
    if fetcher is not None:
        return gather(sources, manifest, fetcher, options, report)
    with Fetcher(policy_for(settings, options.obey_robots)) as own:
        return gather(sources, manifest, own, options, report)


def gather(
    sources: Sequence[str], manifest: Manifest, fetcher: Fetcher, options: WebOptions, report: Report
) -> Gathered:
    """Read every source, then fetch its chosen items' pages (conditional GETs, bodies kept in DIR)."""
    store = _Store(manifest)
    items: list[WebItem] = []
    failed: list[tuple[str, str]] = []
    for source in sources:
        try:
            found = read_url_list(Path(source)) if not is_url(source) else _feed_items(source, fetcher, store)
        except (FetchError, InputError) as exc:
            failed.append((source, str(exc)))
            report(source, "failed", str(exc))
            continue
        items.extend(choose(found, options.since, options.limit))
    chosen = _distinct(unique(items))
    for item in chosen:
        report(item.link or item.identity, "queued", "fetching")
    with ThreadPoolExecutor(
        max_workers=max(1, min(8, len(chosen))), thread_name_prefix="narrate-fetch"
    ) as pool:
        pages = list(pool.map(lambda item: _page(item, fetcher, store), chosen))
    files: list[ArticleFile] = []
    claimed: set[str] = set()
    for item, (file, error) in zip(chosen, pages):
        if file is not None:
            files.append(file)
            continue
        name = item.link or item.identity
        failed.append((name, error))
        report(name, "failed", error)
        note_failure(manifest, _as_file(item, b"", None), error, claimed)
    store.prune(manifest)
    return Gathered(tuple(files), tuple(failed))


def _feed_items(url: str, fetcher: Fetcher, store: _Store) -> tuple[WebItem, ...]:
    fetched = store.fetch(url, fetcher, _FEED_ACCEPT)
    return parse_feed(fetched.body, fetched.final_url, fetched.content_type)


def _page(item: WebItem, fetcher: Fetcher, store: _Store) -> tuple[ArticleFile | None, str]:
    """An item's page as an article file to plan, or (None, why not)."""
    if not item.link:
        return None, f"{item.identity}: the feed item has no link to fetch"
    try:
        fetched = store.fetch(item.link, fetcher, _PAGE_ACCEPT)
        source = page_source(fetched)  # refuses what is not a page; transcodes to UTF-8
    except (FetchError, InputError) as exc:
        return None, str(exc)
    return _as_file(item, source.text.encode("utf-8"), fetched.final_url), ""


def _as_file(item: WebItem, data: bytes, final_url: str | None) -> ArticleFile:
    link = item.link or item.identity
    slug = url_slug(final_url or link) if is_url(final_url or link) else "episode"
    return ArticleFile(
        path=Path(slug + ".html"),
        name=link,
        source=item.identity[:2000],
        data=data,
        url=final_url,
        guid=item_guid(item.identity),
        slug=slug,
        link=link if is_url(link) else "",
    )


def _distinct(items: Iterable[WebItem]) -> list[WebItem]:
    """Items whose links differ: a story listed twice under two guids is fetched and narrated once."""
    seen: set[str] = set()
    found = []
    for item in items:
        key = canonical_url(item.link) if is_url(item.link) else item.identity
        if key not in seen:
            seen.add(key)
            found.append(item)
    return found


class _Store:
    """DIR's record of what each URL answered last (validators in the manifest, bodies in WEB_BODIES)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.folder = manifest.folder / WEB_BODIES
        self.touched: set[str] = set()

    def fetch(self, url: str, fetcher: Fetcher, accept: str) -> Fetched:
        """The URL's current body: asked only if changed since last time, the kept body when it was not."""
        self.touched.add(url)
        state = self.manifest.http.get(url)
        kept = self._kept(state)
        validators = Validators(state.etag or None, state.last_modified or None) if state and kept else None
        fetched = fetcher.get(url, validators, accept=accept)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        if fetched.not_modified and kept is not None and state is not None:
            state.fetched = now
            return Fetched(url, state.final_url or url, 200, kept, state.content_type, fetched.validators)
        body = hashlib.sha256(fetched.body).hexdigest()
        ensure_folder(self.folder)
        write_bytes_atomic(self.folder / body, fetched.body)
        self.manifest.http[url] = HttpState(
            etag=_one_line(fetched.validators.etag),
            last_modified=_one_line(fetched.validators.last_modified),
            final_url=fetched.final_url,
            content_type=_one_line(fetched.content_type),
            body=body,
            fetched=now,
        )
        return fetched

    def _kept(self, state: HttpState | None) -> bytes | None:
        return _kept_body(self.folder, state)

    def prune(self, manifest: Manifest) -> None:
        """Forget URLs neither asked now nor behind an episode; delete bodies no URL names."""
        links = {r.url for r in manifest.records if r.url}
        manifest.http = {u: s for u, s in manifest.http.items() if u in self.touched or u in links}
        named = {s.body for s in manifest.http.values()}
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.name not in named and not path.name.startswith("."):
                    path.unlink(missing_ok=True)


def kept_page(folder: Path, url: str) -> Source | None:
    """The page a batch kept for `url` (its last body, as a Source), or None when DIR holds none."""
    manifest = Manifest.load(folder)
    state = manifest.http.get(url)
    if state is None or not state.body:
        return None
    kept = _kept_body(folder / WEB_BODIES, state)
    if kept is None:
        return None
    return page_source(Fetched(url, state.final_url or url, 200, kept, state.content_type))


def _kept_body(bodies: Path, state: HttpState | None) -> bytes | None:
    """A URL's kept body, if it is there and still what the manifest says (its SHA-256)."""
    if state is None or not state.body:
        return None
    try:
        data = (bodies / state.body).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == state.body else None


def _one_line(value: str | None) -> str:
    return "" if value is None or any(ord(c) < 32 or ord(c) == 127 for c in value) else value[:2000]
