"""The podcast feed: RSS 2.0 with the itunes and podcast namespaces, built with feedgen and lxml."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..atomic import write_bytes_atomic
from ..errors import OutputError, ProfileError
from ..profile import PodcastInfo, Profile
from .manifest import Manifest

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
FEED_NAME = "feed.xml"
# Podcasting 2.0 fixes this namespace for podcast:guid: uuid5 over the feed URL without its scheme
_PODCAST_GUID_NS = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
# characters XML 1.0 cannot carry at all, even escaped; lxml refuses them
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Apple Podcasts' top-level categories: an unknown one hides the show from category listings
APPLE_CATEGORIES = (
    "Arts", "Business", "Comedy", "Education", "Fiction", "Government", "Health & Fitness", "History",
    "Kids & Family", "Leisure", "Music", "News", "Religion & Spirituality", "Science", "Society & Culture",
    "Sports", "Technology", "True Crime", "TV & Film",
)  # fmt: skip


@dataclass(frozen=True)
class FeedEpisode:
    """One feed item: what the manifest knows about an episode plus the files beside it (names in DIR)."""

    guid: str
    title: str
    mp3: str
    length: int
    seconds: int
    published: dt.datetime
    description: str | None = None
    author: str | None = None
    chapters: str | None = None
    vtt: str | None = None
    srt: str | None = None
    transcript: str | None = None  # the Podcasting 2.0 JSON transcript (word timings)


def episode_guid(title: str, date: dt.date | None, source_name: str, publication: str) -> str:
    """A GUID from what the article is (publication, file name, headline, date), never from voice/settings."""
    key = "\n".join([publication, source_name, title, date.isoformat() if date else ""])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'narrate:' + key)}"


def file_url(base_url: str, name: str) -> str:
    """base URL + a URL-encoded file name (our names are ASCII already; encoding is the second guard)."""
    return base_url.rstrip("/") + "/" + quote(name, safe="")


def published_at(date: dt.date | None, made: dt.datetime) -> dt.datetime:
    """The article's date at midnight UTC, or when the episode was made if the article has no date."""
    if date is None:
        return made if made.tzinfo else made.replace(tzinfo=dt.timezone.utc)
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc)


def build_feed(
    episodes: Sequence[FeedEpisode],
    podcast: PodcastInfo,
    base_url: str,
    artwork_url: str | None = None,
) -> bytes:
    """The feed's XML bytes: channel from the profile, one item per episode, newest first."""
    feed_url = file_url(base_url, FEED_NAME)
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", _PodcastFeed, _PodcastEntry, atom=False, rss=True)
    title = _text(podcast.name) or "narrate"
    fg.title(title)
    fg.description(_text(podcast.description) or title)
    # feedgen takes the last link as RSS <link>: the self link goes first
    fg.link(href=feed_url, rel="self", type="application/rss+xml")
    fg.link(href=podcast.website or base_url, rel="alternate")
    fg.language(podcast.language or "en")
    fg.generator("narrate")
    if podcast.author:
        fg.author({"name": _text(podcast.author)})
        fg.podcast.itunes_author(_text(podcast.author))
    owner = _text(podcast.owner_name or podcast.author)
    if owner and podcast.owner_email:
        fg.podcast.itunes_owner(name=owner, email=podcast.owner_email)
    if artwork_url:
        fg.image(url=artwork_url, title=title, link=podcast.website or base_url)
        fg.podcast.itunes_image(artwork_url)
    if podcast.category:
        if podcast.category not in APPLE_CATEGORIES:
            raise ProfileError(
                f"[podcast] category {podcast.category!r} is not an Apple Podcasts category: "
                f"use one of {', '.join(APPLE_CATEGORIES)}"
            )
        category = {"cat": podcast.category, **({"sub": podcast.subcategory} if podcast.subcategory else {})}
        fg.podcast.itunes_category(category)
    fg.podcast.itunes_type("episodic")
    fg.podcastindex.explicit = podcast.explicit
    fg.podcastindex.txt = (_text(podcast.txt), _text(podcast.txt_purpose))
    fg.podcastindex.guid = str(
        uuid.uuid5(_PODCAST_GUID_NS, re.sub(r"^[a-z][a-z0-9+.-]*://", "", feed_url).rstrip("/"))
    )

    for episode in sorted(episodes, key=lambda e: (e.published, e.title, e.guid), reverse=True):
        fe = fg.add_entry(order="append")
        fe.guid(episode.guid, permalink=False)
        fe.title(_text(episode.title))
        if episode.description:
            fe.description(_text(episode.description))
        if episode.author:
            # RSS <author> must be an e-mail address; itunes:author takes a name
            fe.podcast.itunes_author(_text(episode.author))
            fe.podcastindex.person = _text(episode.author)
        fe.pubDate(episode.published)
        fe.enclosure(file_url(base_url, episode.mp3), str(episode.length), "audio/mpeg")
        fe.podcast.itunes_duration(str(max(0, episode.seconds)))
        if episode.chapters:
            fe.podcastindex.chapters = file_url(base_url, episode.chapters)
        transcripts = []
        if episode.vtt:
            transcripts.append((file_url(base_url, episode.vtt), "text/vtt"))
        if episode.srt:
            transcripts.append((file_url(base_url, episode.srt), "application/x-subrip"))
        if episode.transcript:
            transcripts.append((file_url(base_url, episode.transcript), "application/json"))
        fe.podcastindex.transcripts = transcripts
        fe.podcastindex.language = podcast.language or "en"
    return bytes(fg.rss_str(pretty=True, xml_declaration=True, encoding="UTF-8"))


def write_feed(folder: Path, profile: Profile, base_url: str, manifest: Manifest) -> Path:
    """Write DIR/feed.xml from the manifest and the files present in DIR; nothing is synthesised."""
    episodes: list[FeedEpisode] = []
    for record in manifest.published():
        mp3 = folder / record.files["mp3"]
        present = {kind: name for kind, name in record.files.items() if (folder / name).is_file()}
        made = dt.datetime.fromisoformat(record.made) if record.made else dt.datetime.now(dt.timezone.utc)
        episodes.append(
            FeedEpisode(
                guid=record.guid,
                title=record.title or mp3.stem,
                mp3=mp3.name,
                length=mp3.stat().st_size,
                seconds=round(record.seconds),
                published=published_at(record.published_date, made),
                description=record.description,
                author=record.author,
                chapters=present.get("chapters"),
                vtt=present.get("vtt"),
                srt=present.get("srt"),
                transcript=present.get("transcript"),
            )
        )
    xml = build_feed(episodes, profile.podcast, base_url, _artwork(folder, profile, base_url))
    target = folder / FEED_NAME
    if _same_feed(target, xml):  # untouched: podcast apps' and CDNs' caches stay valid
        return target
    return write_bytes_atomic(target, xml)


_BUILD_DATE = re.compile(rb"\s*<lastBuildDate>[^<]*</lastBuildDate>")


def _same_feed(path: Path, xml: bytes) -> bool:
    """The feed at `path` says exactly `xml`, but for when it was built."""
    try:
        old = path.read_bytes()
    except OSError:
        return False
    return _BUILD_DATE.sub(b"", old) == _BUILD_DATE.sub(b"", xml)


def _artwork(folder: Path, profile: Profile, base_url: str) -> str | None:
    """The artwork URL: the profile's artwork_url, else its cover copied beside the episodes."""
    if profile.podcast.artwork_url:
        return profile.podcast.artwork_url
    cover = profile.cover_path
    if cover is None:
        return None
    if not cover.is_file():
        raise OutputError(f"cover image {cover} not found: fix [podcast] cover in the profile")
    target = folder / f"cover{cover.suffix.lower()}"
    data = cover.read_bytes()
    if cover.resolve() != target.resolve() and (not target.is_file() or target.read_bytes() != data):
        write_bytes_atomic(target, data)
    return file_url(base_url, target.name)


def check_base_url(base_url: str) -> str:
    """An absolute http(s) or file URL, or a ValueError saying what is wrong."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file" and not parts.netloc):
        raise ValueError(
            f"--base-url must be an absolute URL such as https://example.com/podcast/, not {base_url!r}"
        )
    return base_url


def _text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "").strip()


class _PodcastFeed(BaseExtension):
    """Channel tags feedgen lacks: podcast:guid, and itunes:explicit as Apple now spells it (true/false)."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.explicit = False
        self.txt: tuple[str, str] = ("", "")  # podcast:txt and its purpose

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: etree._Element) -> etree._Element:
        channel = rss_feed[0]
        explicit = etree.SubElement(channel, f"{{{ITUNES_NS}}}explicit")
        explicit.text = "true" if self.explicit else "false"
        if self.guid:
            etree.SubElement(channel, f"{{{PODCAST_NS}}}guid").text = self.guid
        text, purpose = self.txt
        if text:
            attrs = {"purpose": purpose} if purpose else {}
            etree.SubElement(channel, f"{{{PODCAST_NS}}}txt", **attrs).text = text
        return rss_feed


class _PodcastEntry(BaseExtension):
    """Item tags of the podcast namespace: podcast:chapters, podcast:transcript, podcast:person."""

    def __init__(self) -> None:
        self.person: str | None = None  # the article's author, as the episode's writer
        self.chapters: str | None = None
        self.transcripts: list[tuple[str, str]] = []
        self.language = "en"

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self.chapters:
            etree.SubElement(
                item, f"{{{PODCAST_NS}}}chapters", url=self.chapters, type="application/json+chapters"
            )
        for url, mime in self.transcripts:
            attrs = {"url": url, "type": mime, "language": self.language}
            if mime == "text/vtt":
                attrs["rel"] = "captions"
            etree.SubElement(item, f"{{{PODCAST_NS}}}transcript", **attrs)
        if self.person:
            person = etree.SubElement(item, f"{{{PODCAST_NS}}}person", role="author", group="writing")
            person.text = self.person
        return item
