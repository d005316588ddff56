"""DIR/feed.xml checked against what Apple Podcasts, Spotify and Podcasting 2.0 require or recommend."""

from __future__ import annotations

import re
import struct
import uuid
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from .feed import APPLE_CATEGORIES, FEED_NAME, ITUNES_NS, PODCAST_NS

_ATOM_NS = "http://www.w3.org/2005/Atom"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$")
_AUDIO_TYPES = ("audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac", "audio/ogg", "audio/opus")
_IT = f"{{{ITUNES_NS}}}"
_PC = f"{{{PODCAST_NS}}}"


def validate_feed(folder: Path, base_url: str) -> list[str]:
    """Every problem a directory would reject or warn about, one line each (empty: none found)."""
    path = folder / FEED_NAME
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        return [f"{path} cannot be read as XML ({exc}): rebuild it with `narrate feed {folder}`"]
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return [f"{path} is not an RSS 2.0 feed: rebuild it with `narrate feed {folder}`"]
    where = _Where(folder, base_url)
    problems = _channel(channel, where)
    items = channel.findall("item")
    if not items:
        problems.append("the feed has no episodes: Apple Podcasts and Spotify refuse an empty show")
    guids: dict[str, int] = {}
    for number, item in enumerate(items, 1):
        problems += _item(item, number, where, guids)
    local = sorted({u for u in _urls(root) if u.lower().startswith("file:")})
    if local:
        problems.append(
            f"the feed links to file:// URLs ({local[0]}{' ...' if len(local) > 1 else ''}): "
            "pass --base-url with the https:// address where DIR is published"
        )
    return problems


class _Where:
    """Maps the feed's URLs under the base URL back to files in DIR."""

    def __init__(self, folder: Path, base_url: str) -> None:
        self.folder = folder
        self.base = base_url.rstrip("/") + "/"

    def file(self, url: str) -> Path | None:
        """The file in DIR a URL under the base URL names (None when it is elsewhere)."""
        if not url.startswith(self.base):
            return None
        name = unquote(url[len(self.base) :])
        return None if "/" in name or not name else self.folder / name

    def reachable(self, url: str, what: str) -> str | None:
        """Why `url` will not be reachable once DIR is published at the base URL, or None."""
        if not url:
            return f"{what} has no URL"
        found = self.file(url)
        if found is None:
            return f"{what} {url} is not under the base URL {self.base}: it will not be found"
        if not found.is_file():
            return f"{what} {url} names {found.name}, which is not in {self.folder}"
        return None


def _channel(channel: etree._Element, where: _Where) -> list[str]:
    problems = []
    for tag, fix in (("title", "[podcast] name"), ("description", "[podcast] description")):
        if not (channel.findtext(tag) or "").strip():
            problems.append(f"the channel has no <{tag}>: set {fix} in the profile")
    language = (channel.findtext("language") or "").strip()
    if not _LANGUAGE.match(language):
        problems.append(f"the channel's language {language!r} is not a language code such as en or en-GB")
    if not (channel.findtext(f"{_IT}author") or "").strip():
        problems.append("no itunes:author: set [podcast] author in the profile")
    email = (channel.findtext(f"{_IT}owner/{_IT}email") or "").strip()
    if not _EMAIL.match(email):
        problems.append(
            "no itunes:owner e-mail: set [podcast] owner_email (and author) in the profile; "
            "Apple and Spotify send ownership checks there"
        )
    category = channel.find(f"{_IT}category")
    if category is None or category.get("text") not in APPLE_CATEGORIES:
        found = None if category is None else category.get("text")
        problems.append(
            f"the itunes:category {found!r} is not an Apple Podcasts category: set [podcast] category"
        )
    explicit = (channel.findtext(f"{_IT}explicit") or "").strip()
    if explicit not in ("true", "false"):
        problems.append(f"itunes:explicit is {explicit!r}, not true or false: set [podcast] explicit")
    podcast_guid = (channel.findtext(f"{_PC}guid") or "").strip()
    try:
        uuid.UUID(podcast_guid)
    except ValueError:
        problems.append(f"podcast:guid {podcast_guid!r} is not a UUID (Podcasting 2.0)")
    image = channel.find(f"{_IT}image")
    problems += _artwork(image.get("href", "") if image is not None else "", where)
    return problems


def _artwork(url: str, where: _Where) -> list[str]:
    if not url:
        return ["no artwork (itunes:image): set [podcast] cover (a file) or artwork_url in the profile"]
    path = where.file(url)
    if path is None:
        return []  # published elsewhere: its size cannot be checked from DIR
    if not path.is_file():
        return [f"the artwork {url} names {path.name}, which is not in {where.folder}"]
    size = image_size(path.read_bytes())
    if size is None:
        return [f"the artwork {path.name} is not a JPEG or PNG image"]
    width, height = size
    if width != height or not 1400 <= width <= 3000:
        return [
            f"the artwork {path.name} is {width}x{height} px: Apple Podcasts and Spotify need a square "
            "image of 1400 to 3000 px (3000x3000 is best)"
        ]
    return []


def _item(item: etree._Element, number: int, where: _Where, guids: dict[str, int]) -> list[str]:
    title = (item.findtext("title") or "").strip()
    name = f"episode {number} ({title[:50] or 'untitled'})"
    problems = []
    guid = (item.findtext("guid") or "").strip()
    if not guid:
        problems.append(f"{name} has no <guid>: directories then cannot tell it from a re-published one")
    elif guid in guids:
        problems.append(f"{name} has the same <guid> as episode {guids[guid]}: {guid}")
    else:
        guids[guid] = number
    if not title:
        problems.append(f"{name} has no <title>")
    if not (item.findtext("pubDate") or "").strip():
        problems.append(f"{name} has no <pubDate>")
    if not (item.findtext(f"{_IT}duration") or "").strip():
        problems.append(f"{name} has no itunes:duration")
    problems += _enclosure(item.find("enclosure"), name, where)
    for tag, what in ((f"{_PC}transcript", "transcript"), (f"{_PC}chapters", "chapters")):
        for element in item.findall(tag):
            problem = where.reachable(element.get("url", ""), f"{name}'s {what}")
            if problem:
                problems.append(problem)
    return problems


def _enclosure(enclosure: etree._Element | None, name: str, where: _Where) -> list[str]:
    if enclosure is None:
        return [f"{name} has no <enclosure>: there is no audio to play"]
    problems = []
    url, length, kind = enclosure.get("url", ""), enclosure.get("length", ""), enclosure.get("type", "")
    if kind not in _AUDIO_TYPES:
        problems.append(f"{name}'s enclosure type {kind!r} is not an audio type such as audio/mpeg")
    if not length.isdigit() or int(length) == 0:
        problems.append(f"{name}'s enclosure length {length!r} is not its size in bytes")
    problem = where.reachable(url, f"{name}'s audio")
    if problem:
        problems.append(problem)
    else:
        path = where.file(url)
        if path is not None and length.isdigit() and path.stat().st_size != int(length):
            problems.append(
                f"{name}'s enclosure length {length} is not the size of {path.name} "
                f"({path.stat().st_size} bytes): rebuild the feed with `narrate feed`"
            )
    return problems


def _urls(root: etree._Element) -> list[str]:
    found = [
        e.get(a, "") for e in root.iter() for a in ("url", "href") if isinstance(e.tag, str) and e.get(a)
    ]
    found += [(e.text or "").strip() for e in root.iter("link", f"{{{_ATOM_NS}}}link", "url")]
    return [u for u in found if u]


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG from its header, or None when it is neither."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            at += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame segment
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None
