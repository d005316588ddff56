"""Strip scraped-page chrome from pasted articles and recover title, author, date and body blocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ..errors import ProfileError
from ..models import CleanedArticle
from ..profile import CleanRules
from .dates import dateline, find_date
from .names import byline, names

# --- text normalisation -------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})

# --- metadata lines -----------------------------------------------------------------------------

_HEADER = re.compile(r"^(?P<key>title|author|authors|date|byline)\s*:\s*(?P<value>.*)$", re.IGNORECASE)
# --- generic chrome ------------------------------------------------------------------------------

_SOCIAL_WORDS = frozenset(
    """share shares sharing facebook twitter x linkedin whatsapp email e-mail mail print reddit pinterest
    bluesky
    threads mastodon telegram messenger copy link copied instagram youtube tiktok flipboard pocket tweet on
    this article story via sms comment comments like likes save saved bookmark gift url""".split()
)
def _alternatives(*alts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alts), re.IGNORECASE)


# Whole-line patterns for chrome every scraped page carries, whatever the publication.
# Words that make a share row only beside a button or platform name ("This Story" can be a heading).
_SOCIAL_FILLER = frozenset("on this article story via".split())

_CHROME_LINES = (
    _alternatives(  # buttons and counters
        r"share|shares|share this|share (?:this )?(?:article|story|page|post|episode)",
        r"share via.*|share on .{1,30}",
        r"copy link|link copied|tweet|email|print|save|saved|like|likes|reply|report|follow|unfollow",
        r"\d+\s*(?:comments?|likes?|shares?|views?|replies)|comments?(?:\s*\(\d+\))?",
        r"view comments|show comments|leave a comment|add (?:a )?comment",
        r"join the (?:conversation|discussion)",
        r"load more|show more|see more|read (?:the )?full (?:article|story)|back to top",
        r"skip to (?:main )?content|menu|search|close|open|home|sign in|log in|login|sign out|register",
        r"my account|subscribe|subscribe (?:now|here)|donate",
        r"[\d.,]+[km]?",
    ),
    _alternatives(  # podcast and audio players
        r"description|episode (?:description|notes)|show notes|transcript|loading(?:\.\.\.|…)?|please wait",
        r"episode \d+|ep\.? ?\d+|season \d+(?:,? episode \d+)?",
        r"-?\d{1,2}:\d{2}(?::\d{2})?(?:\s*/\s*-?\d{1,2}:\d{2}(?::\d{2})?)?",
        r"(?:\d+(?:\.\d+)?\s*)?[x×]|(?:playback )?speed(?:\s*:.*)?|normal",
        r"sleep timer|off|on|end of (?:episode|track)|cancel",
        r"\d+\s*(?:minutes?|mins?|hours?|hrs?|seconds?|secs?)",
        r"in channel|listen(?: now| to this (?:article|episode|story))?(?:\s*[:·•|-]?\s*\d{1,2}:\d{2}.*)?",
        r"listen (?:on|in|with|via) .{1,40}|play|pause|play episode|download(?: episode| mp3| audio)?",
        r"(?:rewind|skip|fast forward|forward|back)(?: \d+ ?(?:s|sec|seconds))?|mute|unmute|volume|playlist",
        r"(?:more )?episodes|up next|autoplay|embed|rss(?: feed)?|apple podcasts|spotify|google podcasts",
        r"audio player|now playing",
    ),
    _alternatives(  # cookie banners
        r"accept(?: all)?(?: cookies)?|reject(?: all)?(?: cookies)?|allow all(?: cookies)?",
        r"manage (?:preferences|cookies|settings|options)|cookie (?:settings|preferences|policy|notice)",
        r"got it|ok|okay|i agree|agree|i accept|necessary (?:cookies )?only|we value your privacy",
        r"privacy (?:policy|settings|notice)|terms(?: of use| and conditions| & conditions)?",
        r".{0,300}\b(?:we|this (?:web)?site|our (?:web)?site|we and our partners)\s+"
        r"(?:use|uses|store|stores)\s+"
        r"cookies\b.{0,300}",
        r".{0,200}\bby continuing to (?:browse|use)\b.{0,200}",
    ),
    _alternatives(  # adverts
        r"advertisement|advert|ad|ads|sponsored(?: content| post)?|promoted",
        r"paid (?:post|content)|partner content",
        r"(?:story|article) continues (?:below|after)(?: (?:this )?(?:advertisement|advert|ad))?",
        r"continue reading(?: below)?|scroll (?:down )?to continue(?: with content)?",
    ),
    _alternatives(  # newsletter boxes and trials
        r"newsletters?|sign up|sign up now|sign me up|enter your email(?: address)?|(?:your )?email address",
        r"your email|thank you for (?:subscribing|signing up)[.!]?|invalid email(?: address)?",
        r"start (?:your|a) free trial|try (?:it )?(?:for )?free|free trial",
        r"(?:sign up|subscribe|register)(?: now| today| free)? (?:to|for) (?:our|the|my)\b.{0,100}"
        r"newsletters?\b"
        r".{0,100}",
        r"(?:get|receive) (?:the|our) .{0,80}(?:in|to|straight to) your inbox.{0,80}",
        r"by (?:signing up|subscribing|registering)\b.{0,200}\b(?:privacy|terms)\b.{0,200}",
    ),
    _alternatives(  # social follow prompts and handles
        r"follow (?:us|me|@\w+)(?: on .{1,60})?[.!]?|like us on facebook[.!]?",
        r"follow [\w .'’-]{1,40} on (?:twitter|x|facebook|instagram|bluesky|linkedin|threads|tiktok|youtube"
        r"|mastodon|social media)\b.{0,40}",
        r"@\w{1,30}(?:\s+@\w{1,30})*|#\w+(?:\s+#\w+)*",
    ),
    _alternatives(  # photo credits
        r"\(?(?:photo|photograph|image|picture|pic|credit|photo credit|image credit|main image|top image"
        r"|illustration)s?\s*[:/]\s*[^.!?]{1,80}\)?\.?",
        r"(?:photo|photograph|image|picture|illustration) by\s+[^.!?]{1,60}",
        r"(?:getty images|alamy|pa images|pa wire|reuters|ap photo|shutterstock|afp)(?:/[^.]{0,40})?",
    ),
    _alternatives(  # reading meta and footers
        r"\d+\s*(?:-\s*)?min(?:ute)?s?\s*(?:read|listen)|reading time\s*:?.{0,20}",
        r"topics?\s*:.{0,120}|tags?\s*:.{0,200}|topics|tags",
        r"(?:©|\(c\)|copyright ©|copyright \d{4})\s*.{0,120}|all rights reserved\.?",
    ),
)
# A caption that ends in a credit is chrome even when the caption itself reads like a sentence.
_CREDIT_TAIL = re.compile(
    r"(?:^|[.!?)]\s+|\s)\(?(?:photo|photograph|image|picture|credit)s?\s*:\s*[^.!?]{1,60}\)?\.?$",
    re.IGNORECASE,
)
# Lists of links that follow the article (most read, recommended ...): a label then headline lines.
_LIST_MARKERS = re.compile(
    r"(?:you (?:may|might) also (?:like|enjoy)|most (?:read|popular|viewed|shared)"
    r"|recommended(?: for you| reading)?|related (?:articles|stories|posts|content|reading|coverage)"
    r"|more (?:stories|articles|news|on this story)|trending(?: now)?|popular (?:now|stories)"
    r"|(?:editor'?s|top) picks|in (?:other|case you missed)(?: news)?|what to read next|read next"
    r"|explore more)\s*:?",
    re.IGNORECASE,
)
# "DiscoverByline Times…": a podcast page's "Discover" link glued to the next capitalised word.
_GLUED_DISCOVER = re.compile(r"^Discover(?=[A-Z0-9\"'‘“])")
_ELLIPSIS_TAIL = re.compile(r"[\s,;:\-–—]*(?:\.\.\.+|…)\s*$")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_FULL_STOP_END = re.compile(r"[.…][\"'”’)\]]*$")
_CARD_DECOR = re.compile(r"^[\s»›>→▶•·|:\-–—]+|[\s»›>→▶•·|:\-–—]+$")


# --- rule compilation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    labels: tuple[str, ...]
    promos: tuple[re.Pattern[str], ...]
    sites: tuple[str, ...]


def _compile(rules: CleanRules) -> _Compiled:
    # A profile loader may hand over lists (or one bare string); tuples keep the compiled rules cacheable.
    return _compile_cached(
        _as_tuple(rules.card_labels),
        _as_tuple(rules.promo_patterns),
        _as_tuple(rules.site_names),
        _as_tuple(rules.chrome_patterns),
    )


def _as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


@lru_cache(maxsize=32)
def _compile_cached(
    card_labels: tuple[str, ...],
    promo_patterns: tuple[str, ...],
    site_names: tuple[str, ...],
    chrome_patterns: tuple[str, ...],
) -> _Compiled:
    promos = []
    for field_name, patterns in (("promo_patterns", promo_patterns), ("chrome_patterns", chrome_patterns)):
        for pattern in patterns:
            try:
                promos.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise ProfileError(f"[clean] {field_name}: {pattern!r} is not a valid regex ({exc})") from exc
    labels = tuple(sorted({_key(x) for x in card_labels if _key(x)}, key=len, reverse=True))
    sites = tuple(sorted({s.strip() for s in site_names if s.strip()}, key=len, reverse=True))
    return _Compiled(labels, tuple(promos), sites)


# --- small helpers ---------------------------------------------------------------------------------


def _key(line: str) -> str:
    """Comparison form: case, quotes, spacing and surrounding decoration do not matter."""
    return _SPACES.sub(" ", _CARD_DECOR.sub("", line.translate(_QUOTES))).strip().casefold()


def _normalise(text: str) -> list[str]:
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", text))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n")]


def _words(line: str) -> int:
    return len(line.split())


def _ends_sentence(line: str) -> bool:
    return bool(_TERMINAL.search(line))


def _is_generic_chrome(line: str) -> bool:
    tokens = [t for t in re.split(r"[\s|·•/]+", line.casefold()) if t]
    if (
        tokens
        and len(tokens) <= 12
        and all(t in _SOCIAL_WORDS for t in tokens)
        and not all(t in _SOCIAL_FILLER for t in tokens)
    ):
        return True
    if any(p.fullmatch(line) for p in _CHROME_LINES):
        return True
    return _words(line) <= 40 and bool(_CREDIT_TAIL.search(line)) and not line.endswith((".", '."', ".”"))


# --- classification ------------------------------------------------------------------------------

_BODY, _DROP, _LABEL, _LIST = "body", "drop", "label", "list"


@dataclass
class _Line:
    text: str
    group: int
    kind: str = _BODY


def _header(lines: list[str]) -> tuple[dict[str, str], int]:
    """Leading 'Title:/Author:/Date:/By …' lines and the index of the first line after them."""
    found: dict[str, str] = {}
    i = 0
    while i < len(lines) and not lines[i]:
        i += 1
    start = i
    while i < len(lines) and lines[i]:
        m = _HEADER.match(lines[i])
        if m:
            key = {"authors": "author", "byline": "author"}.get(m["key"].lower(), m["key"].lower())
            found.setdefault(key, m["value"].strip())
        elif byline(lines[i]):
            found.setdefault("by", lines[i])
        else:
            break
        i += 1
    if not found:
        return {}, start
    return found, i


def _site_prefix(line: str, sites: tuple[str, ...]) -> str | None:
    """What follows a glued 'Discover<site>' (or '<site>' alone) prefix, or None if there is none."""
    rest = line
    glued = _GLUED_DISCOVER.match(rest)
    if glued:
        rest = rest[glued.end():]
    for site in sites:
        if rest.casefold().startswith(site.casefold()):
            return rest[len(site):].strip(" |·:-–—")
    return rest if glued else None


def _classify(items: list[_Line], compiled: _Compiled) -> None:
    site_keys = {_key(s) for s in compiled.sites}
    for item in items:
        line = item.text
        key = _key(line)
        if key in compiled.labels or any(key.startswith(lab + ":") for lab in compiled.labels):
            item.kind = _LABEL
        elif _LIST_MARKERS.fullmatch(line):
            item.kind = _LIST
        elif (
            key in site_keys
            or any(p.fullmatch(line) for p in compiled.promos)
            or _is_generic_chrome(line)
            or _HEADER.match(line)
            or dateline(line)
            or byline(line)
        ):
            item.kind = _DROP


def _drop_cards(items: list[_Line], compiled: _Compiled) -> None:
    """Remove each related-article card: label, headline, optional standfirst, optional author line."""
    live = [it for it in items if it.kind != _DROP]
    in_article = False
    i = 0
    while i < len(live):
        item = live[i]
        if item.kind == _BODY and _starts_article(item.text):
            in_article = True
        if item.kind in (_LIST, _LABEL) and not in_article:
            # Above the first paragraph a label is the article's own kicker ("EXCLUSIVE" over its headline).
            item.kind = _DROP
            i += 1
            continue
        if item.kind == _LIST:
            item.kind = _DROP
            i += 1
            # A link list is headline-shaped lines; the article resumes at the first real sentence.
            while i < len(live) and live[i].kind == _BODY and not _zone_breaker(live[i].text):
                live[i].kind = _DROP
                i += 1
            continue
        if item.kind != _LABEL:
            i += 1
            continue
        item.kind = _DROP
        key = _key(item.text)
        inline = any(key.startswith(lab + ":") and key != lab for lab in compiled.labels)
        i += 1
        if not inline and i < len(live) and live[i].kind == _BODY:
            live[i].kind = _DROP  # the headline
            i += 1
        if i < len(live) and live[i].kind == _BODY and names(live[i].text, 2) is None:
            text = live[i].text
            if _words(text) >= 4 and not _ends_sentence(text):
                live[i].kind = _DROP  # the card's standfirst
                i += 1
        if i < len(live) and live[i].kind == _BODY and names(live[i].text, 2):
            live[i].kind = _DROP
            i += 1


def _card_shadow(items: list[_Line], reach: int = 4) -> list[bool]:
    """Which lines sit within a card's reach, so a card's own byline or date is not the article's."""
    shadow = [False] * len(items)
    in_article = False
    for i, it in enumerate(items):
        in_article = in_article or it.kind == _BODY and _starts_article(it.text)
        if it.kind == _LABEL and in_article:
            for j in range(i, min(i + reach + 1, len(items))):
                shadow[j] = True
    return shadow


_TITLE_MAX = 200  # a longer first line is a wall of text, not a headline: structure names it


def _choose_title(items: list[_Line], counts: Counter[str], scraped: bool) -> int | None:
    """Index into items of the title line."""
    body = [i for i, it in enumerate(items) if it.kind == _BODY]
    if not body:
        return None
    zone = _zone(items, body)
    if scraped:
        # Site names, breadcrumbs and section labels above a headline are one or two words.
        zone = [i for i in zone if _words(items[i].text) >= 3]
    zone = [i for i in zone if len(items[i].text) <= _TITLE_MAX]
    for i in zone:
        if counts[_key(items[i].text)] >= 2:
            return i
    if zone:
        return zone[0]
    return body[0] if len(items[body[0]].text) <= _TITLE_MAX else None


def _zone_breaker(line: str) -> bool:
    """A line that can only be article prose, never a headline, kicker or standfirst."""
    return _ends_sentence(line) and _words(line) >= 8


def _starts_article(line: str) -> bool:
    """Cards come only after the article has begun; a label above that is the article's own kicker."""
    return bool(_FULL_STOP_END.search(line)) or _zone_breaker(line)


def _zone(items: list[_Line], body: list[int]) -> list[int]:
    """Indexes of the body lines above the first real paragraph: headline, standfirst, labels."""
    zone: list[int] = []
    for i in body:
        if _zone_breaker(items[i].text):
            break
        zone.append(i)
    return zone


def _standfirst(items: list[_Line], title_index: int) -> str | None:
    """The summary line under a scraped headline; it is kept as the first block, ended as a sentence."""
    body = [i for i, it in enumerate(items) if it.kind == _BODY and i > title_index]
    zone = _zone(items, body)
    if not zone or zone[0] != body[0] or len(zone) == len(body):
        return None
    line = items[zone[0]]
    if _words(line.text) < 6 or _ends_sentence(line.text) or line.text.endswith((",", ";", ":")):
        return None
    line.text += "."
    return line.text


def _is_title_echo(line: str, title_key: str, compiled: _Compiled) -> bool:
    key = _key(line)
    if key == title_key:
        return True
    if key.endswith(title_key) and len(key) > len(title_key):
        # "DiscoverByline Times Audio ArticlesTitle" or "Site | Title": a title glued to page chrome.
        prefix = line[: len(line) - len(title_key)] if len(line) >= len(title_key) else ""
        if _GLUED_DISCOVER.match(line) or _key(prefix) in {_key(s) for s in compiled.sites}:
            return True
    for site in compiled.sites:
        site_key = _key(site)
        if key.startswith(title_key) and _key(key[len(title_key):]) == site_key:
            return True
    return False


def _blocks(items: list[_Line]) -> list[str]:
    groups: dict[int, list[str]] = {}
    for it in items:
        if it.kind == _BODY:
            groups.setdefault(it.group, []).append(it.text)
    blocks: list[str] = []
    for lines in groups.values():
        inner = lines[:-1]
        if inner and all(45 <= len(x) <= 100 for x in inner) and any(not _ends_sentence(x) for x in inner):
            # Hard-wrapped prose: fixed-width lines, some broken mid-sentence.
            blocks.append(" ".join(lines))
            continue
        current = lines[0]
        for line in lines[1:]:
            if line[:1].islower() or current.endswith((",", ";", "-", "–", "—")):
                current = f"{current} {line}"
            else:
                blocks.append(current)
                current = line
        blocks.append(current)
    return blocks


def _end_cleanly(block: str) -> str:
    """A page cut off mid-sentence ('restore logistics, ...') ends at a full stop instead."""
    if not _ELLIPSIS_TAIL.search(block):
        return block
    trimmed = _ELLIPSIS_TAIL.sub("", block).rstrip(" ,;:-–—")
    if not trimmed:
        return block
    return trimmed if _ends_sentence(trimmed) else trimmed + "."


def _trailing_author(raw: list[str], items: list[_Line], title_key: str | None) -> str | None:
    """A lone name closing a scraped page, right after removed chrome (players put the author last)."""
    nonblank = [x for x in raw if x]
    if len(nonblank) < 2:
        return None
    last = nonblank[-1]
    name = names(last, 2)
    if not name or _key(last) == title_key:
        return None
    previous = items[-2] if len(items) >= 2 else None
    if previous is None or previous.kind == _BODY and _key(previous.text) != title_key:
        return None
    return name


_NO_RULES = CleanRules()

# --- public API ----------------------------------------------------------------------------------


def clean_text(text: str, rules: CleanRules = _NO_RULES) -> CleanedArticle:
    """Title, author, date and body blocks of a pasted article, scraped or already clean."""
    compiled = _compile(rules)
    page = _read_page(_normalise(text if isinstance(text, str) else str(text)))
    _classify(page.items, compiled)
    _find_metadata(page)
    page.chrome_seen = any(it.kind != _BODY for it in page.items)
    counts = Counter(_key(it.text) for it in page.items)
    glued_title = _glued_title(page, compiled, counts)
    _drop_cards(page.items, compiled)
    title_index = _take_title(page, counts, glued_title) if page.title is None else None
    title_key = _key(page.title) if page.title else None
    if title_key:
        for it in page.items:
            if it.kind == _BODY and _is_title_echo(it.text, title_key, compiled):
                it.kind = _DROP
        page.chrome_seen = page.chrome_seen or counts[title_key] > 1
    if title_index is not None and page.chrome_seen:
        page.standfirst = _standfirst(page.items, title_index)
    tail_name = _trailing_author(page.raw, page.items, title_key) if page.items and page.chrome_seen else None
    if tail_name:
        page.items[-1].kind = _DROP
        page.author = page.author or tail_name
    blocks = _blocks(page.items)
    if page.chrome_seen and blocks:
        blocks[-1] = _end_cleanly(blocks[-1])
    if page.title is None and blocks and len(blocks[0]) <= _TITLE_MAX:
        page.title, blocks = blocks[0], blocks[1:]
    return CleanedArticle(page.title, page.author, page.date, tuple(blocks), page.standfirst)


@dataclass
class _Page:
    """A page being cleaned: its lines, what each one is, and the metadata found so far."""

    raw: list[str]
    items: list[_Line]
    title: str | None = None
    author: str | None = None
    date: dt.date | None = None
    standfirst: str | None = None
    chrome_seen: bool = False


def _read_page(raw: list[str]) -> _Page:
    """Leading header lines into metadata; the rest into lines grouped by the blank lines between them."""
    header, start = _header(raw)
    page = _Page(raw, [], header.get("title") or None, header.get("author") or None)
    page.date = find_date(header["date"]) if header.get("date") else None
    if "by" in header and (by := byline(header["by"])):
        page.author = page.author or by[0]
        page.date = page.date or by[1]
    group = 0
    for line in raw[start:]:
        if not line:
            group += 1
        else:
            page.items.append(_Line(line, group))
    return page


def _find_metadata(page: _Page) -> None:
    """Datelines, bylines and header lines count wherever the page put them, except inside a card."""
    for it, shadowed in zip(page.items, _card_shadow(page.items), strict=True):
        if shadowed:
            continue
        if page.date is None:
            page.date = dateline(it.text)
        if page.author is None and (by := byline(it.text)):
            page.author = by[0]
            page.date = page.date or by[1]
        if (m := _HEADER.match(it.text)) and m["key"].lower() != "title":
            if m["key"].lower() == "date":
                page.date = page.date or find_date(m["value"])
            else:
                page.author = page.author or m["value"].strip() or None


def _glued_title(page: _Page, compiled: _Compiled, counts: Counter[str]) -> str | None:
    """A headline glued to the site's name ('DiscoverByline Times…'); such chrome lines are dropped."""
    glued = None
    for it in page.items:
        rest = _site_prefix(it.text, compiled.sites)
        if rest is not None and (_GLUED_DISCOVER.match(it.text) or it.kind == _BODY):
            if rest and counts[_key(rest)] >= 1 and _key(rest) != _key(it.text):
                glued = glued or rest
            if _GLUED_DISCOVER.match(it.text) or not rest:
                it.kind = _DROP
                page.chrome_seen = True
    return glued


def _take_title(page: _Page, counts: Counter[str], glued_title: str | None) -> int | None:
    """Choose the headline line (the glued one when present); drop breadcrumbs above it; its index."""
    items = page.items
    idx = _choose_title(items, counts, page.chrome_seen)
    if glued_title and any(_key(it.text) == _key(glued_title) for it in items if it.kind == _BODY):
        glued_key = _key(glued_title)
        idx = next(i for i, it in enumerate(items) if it.kind == _BODY and _key(it.text) == glued_key)
    if idx is not None:
        page.title = items[idx].text
        for it in items[:idx]:
            if it.kind == _BODY:
                it.kind = _DROP  # breadcrumbs and section labels above the headline
                page.chrome_seen = True
    return idx


def clean_html(html: str, rules: CleanRules = _NO_RULES) -> CleanedArticle:
    """Extract the article from a saved page with trafilatura, then apply the same line rules."""
    title, author, date, lines, description = _extract_html(html, _compile(rules).sites)
    text_lines = []
    if title:
        text_lines.append(f"Title: {title}")
    if author:
        text_lines.append(f"Author: {author}")
    if date:
        text_lines.append(f"Date: {date.isoformat()}")
    cleaned = clean_text("\n".join(text_lines) + "\n\n" + "\n\n".join(lines), rules)
    # The meta description is kept as the standfirst only when the body does not already open with it.
    if description and cleaned.blocks and _key(description) not in _key(cleaned.blocks[0]):
        cleaned = dataclasses.replace(cleaned, standfirst=description)
    return cleaned


def _extract_html(
    html: str, sites: tuple[str, ...]
) -> tuple[str | None, str | None, dt.date | None, list[str], str | None]:
    import trafilatura  # slow import; only the HTML path needs it

    if not isinstance(html, str) or not html.strip():
        return None, None, None, [], None
    try:
        doc = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_formatting=True,
            include_images=False,
            favor_precision=True,
        )
    except Exception:  # trafilatura raises assorted parser errors on broken markup; treat as no article
        doc = None
    if doc is None:
        return None, None, None, [], None
    sitename = _clean_meta(getattr(doc, "sitename", None))
    title = _strip_site(_clean_meta(getattr(doc, "title", None)), (*sites, sitename) if sitename else sites)
    author = _authors(getattr(doc, "author", None))
    date = find_date(getattr(doc, "date", None) or "")
    lines: list[str] = []
    body = getattr(doc, "body", None)
    if body is not None:
        for el in body.iter("head", "p", "item", "quote"):
            if el.tag == "p" and el.getparent() is not None and el.getparent().tag in ("quote", "item"):
                continue
            text = _SPACES.sub(" ", "".join(el.itertext())).strip()
            if text:
                lines.append(text)
    elif body_text := getattr(doc, "text", None):
        lines = [p for p in str(body_text).split("\n") if p.strip()]
    return title, author, date, lines, _clean_meta(getattr(doc, "description", None))


def _strip_site(title: str | None, sites: tuple[str, ...]) -> str | None:
    """'Headline | Site' from a <title> becomes 'Headline'."""
    if not title:
        return title
    for site in sites:
        m = re.match(r"^(.+?)\s+[|·•\-–—:]\s+" + re.escape(site) + r"$", title, re.IGNORECASE)
        if m:
            return m.group(1).strip()
    return title


def _clean_meta(value: str | None) -> str | None:
    if not value:
        return None
    value = _SPACES.sub(" ", value).strip()
    return value or None


def _authors(value: str | None) -> str | None:
    value = _clean_meta(value)
    if not value:
        return None
    parts = [p.strip() for p in value.split(";") if p.strip()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
