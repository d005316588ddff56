"""The feed on its own: every field, escaping, URL encoding, order, GUIDs, channel data from the profile."""

from __future__ import annotations

import dataclasses
import datetime as dt

import feedparser
import pytest
from lxml import etree

from narrate.errors import ProfileError
from narrate.profile import PodcastInfo, load_profile
from narrate.publish.feed import (
    ITUNES_NS,
    PODCAST_NS,
    FeedEpisode,
    build_feed,
    check_base_url,
    episode_guid,
    file_url,
    published_at,
)

BASE = "https://audio.example.com/byline/"
UTC = dt.timezone.utc


def _episode(title: str, day: int, name: str, **extra: object) -> FeedEpisode:
    values: dict[str, object] = dict(
        guid=episode_guid(title, dt.date(2026, 3, day), f"{name}.md", "Byline Times"),
        title=title,
        mp3=f"{name}.mp3",
        length=1000 + day,
        seconds=60 + day,
        published=published_at(dt.date(2026, 3, day), dt.datetime(2026, 3, 20, tzinfo=UTC)),
        description=f"About {title}.",
        author="Sam Roe",
        chapters=f"{name}.chapters.json",
        vtt=f"{name}.vtt",
        srt=f"{name}.srt",
    )
    values.update(extra)
    return FeedEpisode(**values)  # type: ignore[arg-type]


def _podcast(**changes: object) -> PodcastInfo:
    info = dataclasses.replace(load_profile().podcast, owner_email="audio@example.com")
    return dataclasses.replace(info, **changes)  # type: ignore[arg-type]


def test_channel_and_items_carry_every_field() -> None:
    episodes = [
        _episode("Older", 4, "older"),
        _episode("Newest", 12, "newest"),
        _episode("Middle", 10, "middle"),
    ]
    xml = build_feed(episodes, _podcast(), BASE, artwork_url=BASE + "cover.jpg")
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.bozo_exception
    channel = parsed.feed
    assert channel.title == "Byline Times Audio Articles"
    assert channel.subtitle == "Byline Times articles, read aloud."
    assert channel.language == "en-gb"
    assert channel.author == "Byline Times"
    assert channel.image.href == BASE + "cover.jpg"
    assert [t.term for t in channel.tags] == ["News", "Politics"]
    assert channel.link == "https://bylinetimes.com"
    assert [e.title for e in parsed.entries] == ["Newest", "Middle", "Older"]  # newest first
    item = parsed.entries[0]
    assert item.summary == "About Newest."
    assert item.published_parsed[:3] == (2026, 3, 12)
    assert item.id == episodes[1].guid and not item.guidislink
    assert item.enclosures == [{"href": BASE + "newest.mp3", "length": "1012", "type": "audio/mpeg"}]
    assert item.itunes_duration == "72"
    assert item.author == "Sam Roe"
    assert item.podcast_chapters == {
        "url": BASE + "newest.chapters.json",
        "type": "application/json+chapters",
    }

    # what feedparser does not keep (two transcripts, itunes:explicit true/false, owner) read with lxml
    root = etree.fromstring(xml)
    ch = root.find("channel")
    assert ch.findtext(f"{{{ITUNES_NS}}}explicit") == "false"
    assert ch.findtext(f"{{{ITUNES_NS}}}owner/{{{ITUNES_NS}}}email") == "audio@example.com"
    assert ch.findtext(f"{{{PODCAST_NS}}}guid")
    first = ch.find("item")
    transcripts = [
        (t.get("url"), t.get("type"), t.get("rel")) for t in first.findall(f"{{{PODCAST_NS}}}transcript")
    ]
    assert transcripts == [
        (BASE + "newest.vtt", "text/vtt", "captions"),
        (BASE + "newest.srt", "application/x-subrip", None),
    ]
    assert root.nsmap["podcast"] == PODCAST_NS and root.nsmap["itunes"] == ITUNES_NS


def test_hostile_text_is_escaped_and_survives() -> None:
    title = "Cats & Dogs <Live> \"Quoted\" it's Zoë's café — ½ of £5"
    episode = _episode(
        title, 5, "cats-dogs-live-quoted-it-s-zoe-s-cafe", description="A < B & C > D \x0b end"
    )
    podcast = _podcast(name='Byline & "Friends" <Audio>', description="Ünïcode & <tags>")
    xml = build_feed([episode], podcast, BASE)
    assert b"<Live>" not in xml and b"&amp;" in xml
    parsed = feedparser.parse(xml)
    assert not parsed.bozo
    assert parsed.entries[0].title == title
    assert parsed.entries[0].summary == "A < B & C > D  end"  # the XML-illegal control character is dropped
    assert parsed.feed.title == 'Byline & "Friends" <Audio>'
    assert etree.fromstring(xml).find("channel/item/title").text == title


def test_file_names_in_urls_are_encoded() -> None:
    assert file_url(BASE, "a b&c.mp3") == BASE + "a%20b%26c.mp3"
    assert file_url("https://x.example/pod", "café.mp3") == "https://x.example/pod/caf%C3%A9.mp3"
    xml = build_feed([_episode("T", 1, "t", mp3="odd name #1.mp3")], _podcast(), BASE)
    assert feedparser.parse(xml).entries[0].enclosures[0]["href"] == BASE + "odd%20name%20%231.mp3"


def test_guid_depends_on_the_article_not_on_how_it_was_read() -> None:
    a = episode_guid("Headline", dt.date(2026, 3, 4), "water.md", "Byline Times")
    assert a == episode_guid("Headline", dt.date(2026, 3, 4), "water.md", "Byline Times")
    assert a.startswith("urn:uuid:")
    # the same headline in another file is another episode
    assert a != episode_guid("Headline", dt.date(2026, 3, 4), "water-2.md", "Byline Times")


def test_undated_episode_uses_when_it_was_made() -> None:
    made = dt.datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
    assert published_at(None, made) == made
    assert published_at(dt.date(2026, 3, 4), made) == dt.datetime(2026, 3, 4, tzinfo=UTC)


def test_optional_parts_may_be_missing() -> None:
    bare = _episode("Bare", 3, "bare", description=None, author=None, chapters=None, vtt=None, srt=None)
    xml = build_feed([bare], PodcastInfo(name="Only a name"), BASE)
    parsed = feedparser.parse(xml)
    assert not parsed.bozo
    assert parsed.feed.subtitle == "Only a name"  # RSS requires a description: the name stands in
    assert "podcast_chapters" not in parsed.entries[0]
    assert etree.fromstring(xml).find(f"channel/item/{{{PODCAST_NS}}}transcript") is None


def test_explicit_and_bad_category() -> None:
    xml = build_feed([], _podcast(explicit=True), BASE)
    assert etree.fromstring(xml).findtext(f"channel/{{{ITUNES_NS}}}explicit") == "true"
    with pytest.raises(ProfileError, match="Apple Podcasts category"):
        build_feed([], _podcast(category="Gossip"), BASE)


@pytest.mark.parametrize("url", ["example.com/pod", "/var/www", "ftp://x.example/", "https://"])
def test_base_url_must_be_absolute(url: str) -> None:
    with pytest.raises(ValueError, match="absolute URL"):
        check_base_url(url)
