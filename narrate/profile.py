"""Publication profile (TOML): intro/outro, cleaning rules, pauses, voice, loudness, MP3 and podcast tags."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from .errors import ProfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_PROFILE = "byline"

# A template line is a string, or a list of alternatives of which the first fully known one is used.
TemplateLine = Union[str, tuple[str, ...]]  # noqa: UP007 (_coerce tests get_origin(...) is Union)


@dataclass(frozen=True)
class PodcastInfo:
    name: str = "narrate"
    publication: str = ""
    description: str = ""
    author: str = ""
    language: str = "en"
    category: str = "News"
    subcategory: str = ""
    explicit: bool = False
    genre: str = "Podcast"
    website: str = ""
    cover: str = ""
    owner_email: str = ""  # itunes:owner in the feed (Apple's contact; not shown to listeners)
    owner_name: str = ""  # itunes:owner's name (default: author)
    txt: str = ""  # podcast:txt, e.g. a directory's ownership-verification token
    txt_purpose: str = ""  # its purpose attribute, e.g. "verify" or "applepodcastsverify"
    base_url: str = ""  # where the episodes will be published; `narrate batch --base-url` wins
    artwork_url: str = ""  # feed artwork URL; else `cover` is copied beside the episodes


@dataclass(frozen=True)
class Bookend:
    """The intro or the outro: template lines, lines added after them, and the chapter title.

    A profile that sets only `append` keeps narrate's generic lines and adds its own after them.
    """

    lines: tuple[TemplateLine, ...] = ()
    chapter: str = ""
    append: tuple[TemplateLine, ...] = ()

    @property
    def all_lines(self) -> tuple[TemplateLine, ...]:
        return self.lines + self.append


# What any publication's episodes open and close with unless its profile says otherwise. Each list is
# a line's alternatives: the first whose fields the article has is said (no author, no date: shorter).
GENERIC_INTRO = Bookend(
    lines=(
        "{title}.",
        "By {author}.",
        ("Published by {publication} on {date}.", "Published by {publication}."),
    ),
    chapter="Introduction",
)
GENERIC_OUTRO = Bookend(
    lines=(
        (
            "You have been listening to {title}, by {author}, for {publication}.",
            "You have been listening to {title}, from {publication}.",
            "You have been listening to {title}.",
        ),
    ),
    chapter="Outro",
)


@dataclass(frozen=True)
class Pauses:
    sentence: float = 0.35
    paragraph: float = 0.75
    heading: float = 1.1
    after_heading: float = 0.6
    after_intro: float = 1.0
    before_outro: float = 1.2
    tail: float = 1.0
    fade: float = 0.008


@dataclass(frozen=True)
class VoiceSettings:
    """The voice, and the Piper settings that change its audio (part of each sentence's cache key)."""

    name: str = "en_US-joe-medium"
    length_scale: float = 1.0
    noise_scale: float = 0.667
    noise_w_scale: float = 0.8
    # A number, or a name from the voice's speaker list; the synthesiser resolves it to the number.
    speaker: int | str = 0

    def key(self) -> str:
        """The settings that change a voice's audio for the same text (the voice file is hashed apart)."""
        return (
            f"ls={self.length_scale:.4f};ns={self.noise_scale:.4f};"
            f"nw={self.noise_w_scale:.4f};sp={self.speaker}"
        )


@dataclass(frozen=True)
class VoiceChoice:
    """--voice, --speed and --speaker: what a run speaks with instead of the profile's [voice].

    speed 1.1 is 10 % faster (it divides the length scale). The profile's speaker belongs to the
    profile's voice: another voice named here speaks as its speaker 0 unless a speaker is named too.
    """

    voice: str | None = None
    speed: float | None = None
    speaker: int | str | None = None

    def __bool__(self) -> bool:
        return bool(self.voice or self.speed or self.speaker is not None)

    def applied_to(self, settings: VoiceSettings) -> VoiceSettings:
        name = self.voice or settings.name
        speaker = self.speaker
        if speaker is None:
            speaker = settings.speaker if name == settings.name else 0
        scale = settings.length_scale / (self.speed or 1.0)
        return dataclasses.replace(settings, name=name, length_scale=scale, speaker=speaker)


@dataclass(frozen=True)
class LoudnessTarget:
    """The programme's loudness: integrated (mono, on its one channel) and true-peak ceiling.

    tolerance_lu: how far the final pass may measure from the target before the gain is planned again
    on the whole programme and the MP3 encoded again.
    """

    integrated_lufs: float = -19.0
    true_peak_dbtp: float = -1.0
    tolerance_lu: float = 0.3


@dataclass(frozen=True)
class Mp3Settings:
    bitrate_kbps: int = 64
    sample_rate: int = 44100


@dataclass(frozen=True)
class SpeechSettings:
    locale: str = "en-GB"
    spell: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    chunk_limit: int = 350


@dataclass(frozen=True)
class CleanRules:
    """A publication's own page furniture for the cleaner; generic page and player chrome is in the code."""

    card_labels: tuple[str, ...] = ()
    promo_patterns: tuple[str, ...] = ()
    site_names: tuple[str, ...] = ()
    # Whole-line regexes for a publication's own chrome that is neither promo nor card.
    chrome_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class CacheSettings:
    """The sentence cache's size limit ("2G", "500MB"; empty: the default, 2 GB)."""

    max_size: str = ""


def cache_home() -> Path:
    """narrate's folder in the user's cache (honours XDG_CACHE_HOME): sentence audio, patched voices."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("narrate"))


def default_cache_dir() -> Path:
    """The user's cache folder for sentence audio."""
    return cache_home() / "sentences"


@dataclass(frozen=True)
class WebSettings:
    """Fetching articles and feeds from a website: who we say we are and how politely we ask."""

    contact: str = ""  # a URL or e-mail for the site's operators, named in the User-Agent
    min_words: int = 80  # a page whose article has fewer words is a paywall stub or teaser, not an episode
    per_host: int = 2  # requests at once to one host
    delay: float = 1.0  # seconds between the starts of two requests to one host
    connect_timeout: float = 10.0
    read_timeout: float = 30.0


@dataclass(frozen=True)
class SiteRules:
    """One site's extraction tweaks: CSS selectors (or XPath, starting with '/') to drop, or to take as
    the body, before the page is cleaned."""

    drop: tuple[str, ...] = ()
    body: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """Everything publication-specific, as read from a profile TOML file."""

    name: str
    podcast: PodcastInfo = field(default_factory=PodcastInfo)
    intro: Bookend = GENERIC_INTRO
    outro: Bookend = GENERIC_OUTRO
    pauses: Pauses = field(default_factory=Pauses)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    loudness: LoudnessTarget = field(default_factory=LoudnessTarget)
    mp3: Mp3Settings = field(default_factory=Mp3Settings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    lexicon: Mapping[str, str] = field(default_factory=dict)  # checked entries; text.lexicon compiles them
    clean: CleanRules = field(default_factory=CleanRules)
    cache: CacheSettings = field(default_factory=CacheSettings)
    web: WebSettings = field(default_factory=WebSettings)
    sites: Mapping[str, SiteRules] = field(default_factory=dict)  # host -> its rules (subdomains too)
    source: str = "<defaults>"
    # "section.key" for every value the profile file gave; the rest are narrate's defaults
    given: frozenset[str] = field(default=frozenset(), compare=False)
    # what --voice/--speed/--speaker changed in `voice` (see with_voice); empty: the profile's own
    voice_choice: VoiceChoice = field(default_factory=VoiceChoice)

    def with_voice(
        self, voice: str | None = None, speed: float | None = None, speaker: int | str | None = None
    ) -> Profile:
        """This profile with another voice, pace and/or speaker in effect (--voice, --speed, --speaker):
        the one place they are applied, and only once (speed divides the length scale, so twice would
        change the pace). The same choice again returns this profile; a different one is refused."""
        choice = VoiceChoice(voice, speed, speaker)
        if not choice or choice == self.voice_choice:
            return self
        if self.voice_choice:
            raise ValueError(
                f"this profile's voice was already chosen ({self.voice_choice}); choose {choice} on the "
                "profile as loaded, not on one already chosen"
            )
        return dataclasses.replace(self, voice=choice.applied_to(self.voice), voice_choice=choice)

    @property
    def cover_path(self) -> Path | None:
        if not self.podcast.cover:
            return None
        base = Path(self.source).parent if self.source.endswith(".toml") else Path.cwd()
        return (base / self.podcast.cover).resolve()


_SECTIONS: dict[str, type] = {
    "podcast": PodcastInfo,
    "intro": Bookend,
    "outro": Bookend,
    "pauses": Pauses,
    "voice": VoiceSettings,
    "loudness": LoudnessTarget,
    "mp3": Mp3Settings,
    "speech": SpeechSettings,
    "clean": CleanRules,
    "cache": CacheSettings,
    "web": WebSettings,
}

_T = TypeVar("_T")


def load_profile(path: str | Path | None = None) -> Profile:
    """Read a profile TOML file; None gives the bundled Byline profile."""
    if path is None:
        ref = resources.files("narrate").joinpath("profiles", f"{DEFAULT_PROFILE}.toml")
        return parse_profile(ref.read_text(encoding="utf-8"), source=f"{DEFAULT_PROFILE}.toml")
    p = Path(path)
    if p.is_dir():
        raise ProfileError(f"profile {p} is a folder: pass a .toml file")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"profile {p} not found: pass the path of a .toml profile") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {p}: {exc}") from exc
    return parse_profile(text, source=str(p))


def parse_profile(text: str, source: str) -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {source} is not valid TOML: {exc}") from exc
    name = Path(source).stem
    values: dict[str, Any] = {"name": name, "source": source}
    given: set[str] = set()
    for key, table in data.items():
        if key == "lexicon":
            if not isinstance(table, Mapping):
                raise ProfileError(f'profile {source}: [lexicon] must be a table of word = "respelling"')
            values["lexicon"] = lexicon_entries(table, f"profile {source} [lexicon]")
            given.add("lexicon")
            continue
        if key == "sites":
            values["sites"] = _sites(table, source)
            continue
        cls = _SECTIONS.get(key)
        if cls is None:
            known = ", ".join(sorted([*_SECTIONS, "lexicon", "sites"]))
            raise ProfileError(f"profile {source}: unknown section [{key}]; known sections: {known}")
        if not isinstance(table, Mapping):
            raise ProfileError(f"profile {source}: [{key}] must be a table")
        values[key] = _build(cls, table, f"{source} [{key}]", _SECTION_DEFAULTS.get(key))
        given.update(f"{key}.{name}" for name in table)
    profile = Profile(**values, given=frozenset(given))
    _validate(profile)
    return profile


_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")


def _sites(table: object, source: str) -> dict[str, SiteRules]:
    """[sites."example.com"] tables: a host name each, drop/body selectors that compile."""
    if not isinstance(table, Mapping):
        raise ProfileError(f'profile {source}: [sites] must hold tables such as [sites."example.com"]')
    sites: dict[str, SiteRules] = {}
    for host, rules in table.items():
        where = f'{source} [sites."{host}"]'
        if not _HOST.match(host):
            raise ProfileError(f"{where}: {host!r} is not a host name such as example.com (no scheme, path)")
        if not isinstance(rules, Mapping):
            raise ProfileError(f"{where} must be a table of drop = [...] and body = [...]")
        built = _build(SiteRules, rules, where)
        for selector in (*built.drop, *built.body):
            problem = selector_problem(selector)
            if problem:
                raise ProfileError(f"{where}: selector {selector!r} {problem}")
        sites[host] = built
    return sites


def selector_problem(selector: str) -> str | None:
    """Why a CSS selector (or an XPath expression, starting with '/' or '(') cannot be used; None if fine."""
    from lxml import etree

    text = selector.strip()
    if not text:
        return "is empty"
    if text.startswith(("/", "(")):
        try:
            etree.XPath(text)
        except etree.XPathSyntaxError as exc:
            return f"is not valid XPath ({exc})"
        return None
    try:
        from cssselect import GenericTranslator, SelectorError
    except ImportError:  # pragma: no cover (a base dependency)
        return "needs the cssselect package: pip install cssselect"
    try:
        GenericTranslator().css_to_xpath(text)
    except SelectorError as exc:
        return f"is not a CSS selector narrate can use ({exc})"
    return None


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """'2G', '500MB', '1.5GiB', '800000000' -> bytes (K, M, G, T are powers of 1000; KiB... of 1024)."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (use a number of bytes, or 500M, 2G, 1.5GiB)")
    power = " kmgt".index(m[2].lower() or " ")
    return int(float(m[1]) * (1024 if m[3] else 1000) ** power)


def lexicon_entries(data: object, source: str) -> dict[str, str]:
    """Check a lexicon table (word or phrase = "respelling" or "[[ IPA ]]"); errors name `source` and key."""
    if not isinstance(data, Mapping):
        raise ProfileError(f'{source}: the lexicon must be a table of word = "respelling" entries')
    entries: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise ProfileError(f"{source}: lexicon key {key!r} must be a non-empty word or phrase")
        if not isinstance(value, str):
            raise ProfileError(
                f'{source}: lexicon entry {key!r} must be a string (a respelling or "[[ IPA ]]"), '
                f"not {type(value).__name__}"
            )
        spoken = value.strip()
        if not spoken:
            raise ProfileError(f"{source}: lexicon entry {key!r} is empty")
        phonemes = spoken.count("[[") == 1 and spoken.count("]]") == 1
        phonemes = phonemes and spoken.startswith("[[") and spoken.endswith("]]")
        if ("[[" in spoken or "]]" in spoken) and not phonemes:
            raise ProfileError(
                f'{source}: lexicon entry {key!r} must be either a respelling or one "[[ IPA ]]" block'
            )
        entries[key] = spoken
    return entries


_SECTION_DEFAULTS: dict[str, Any] = {"intro": GENERIC_INTRO, "outro": GENERIC_OUTRO}


def _build(cls: type[_T], table: Mapping[str, Any], where: str, base: _T | None = None) -> _T:
    """A section from its table; the keys it leaves out keep their defaults (`base`, else the class's)."""
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in names:
            raise ProfileError(f"{where}: unknown key '{key}'; known keys: {', '.join(sorted(names))}")
        kwargs[key] = _coerce(value, hints[key], f"{where} key '{key}'")
    return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)  # type: ignore[type-var]


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = get_origin(hint)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProfileError(f"{where} must be a number, not {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProfileError(f"{where} must be a whole number, not {value!r}")
        return value
    if hint == int | str:  # [voice] speaker: a number or a name
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ProfileError(f"{where} must be a speaker number or name, not {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ProfileError(f"{where} must be true or false, not {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ProfileError(f"{where} must be a string, not {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise ProfileError(f"{where} must be a list, not {value!r}")
        args = get_args(hint)
        item = args[0]
        return tuple(_coerce(v, item, where) for v in value)
    if origin is Union:  # TemplateLine: a string or a list of strings
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ProfileError(f"{where}: each line must be a string or a list of strings, not {value!r}")
    return value


# Characters XML 1.0 cannot carry even escaped (the feed would refuse them); URLs and e-mail addresses
# take no whitespace at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
_URL_FIELDS = ("website", "base_url", "artwork_url", "owner_email")


def _validate_podcast(podcast: PodcastInfo, src: str) -> None:
    """Every [podcast] field reaches the feed or the tags: no characters they cannot carry."""
    for f in fields(podcast):
        value = getattr(podcast, f.name)
        if not isinstance(value, str):
            continue
        bad = (_NOT_IN_URL if f.name in _URL_FIELDS else _NOT_XML).search(value)
        if bad:
            kind = "a space or control character" if bad[0].isspace() or ord(bad[0]) < 32 else repr(bad[0])
            where = f"{src} [podcast] key '{f.name}'"
            raise ProfileError(f"{where} holds {kind} (U+{ord(bad[0]):04X}): remove it")


def _validate_web(web: WebSettings, src: str) -> None:
    if _NOT_IN_URL.search(web.contact):
        raise ProfileError(f"{src} [web] key 'contact' holds a space or control character: remove it")
    if not 1 <= web.per_host <= 16:
        raise ProfileError(f"{src} [web] key 'per_host' must be between 1 and 16 requests at once")
    if not 0 <= web.delay <= 60:
        raise ProfileError(f"{src} [web] key 'delay' must be between 0 and 60 seconds")
    if not 0 <= web.min_words <= 5000:
        raise ProfileError(f"{src} [web] key 'min_words' must be between 0 and 5000")
    for name in ("connect_timeout", "read_timeout"):
        if not 0.1 <= getattr(web, name) <= 600:
            raise ProfileError(f"{src} [web] key '{name}' must be between 0.1 and 600 seconds")


def _validate(profile: Profile) -> None:
    src = profile.source
    _validate_podcast(profile.podcast, src)
    for name in ("sentence", "paragraph", "heading", "after_heading", "after_intro", "before_outro", "tail"):
        seconds = getattr(profile.pauses, name)
        if not 0 <= seconds <= 10:
            raise ProfileError(f"{src} [pauses] key '{name}' must be between 0 and 10 seconds, not {seconds}")
    if not 0 <= profile.pauses.fade <= 0.1:
        raise ProfileError(f"{src} [pauses] key 'fade' must be between 0 and 0.1 seconds")
    speaker = profile.voice.speaker
    if isinstance(speaker, int) and speaker < 0 or isinstance(speaker, str) and not speaker.strip():
        raise ProfileError(f"{src} [voice] key 'speaker' must be a number from 0 or a speaker's name")
    if not 0.2 <= profile.voice.length_scale <= 5:
        raise ProfileError(f"{src} [voice] key 'length_scale' must be between 0.2 and 5")
    if profile.mp3.bitrate_kbps not in (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320):
        raise ProfileError(f"{src} [mp3] key 'bitrate_kbps' must be an MP3 bitrate such as 64, 96 or 128")
    if profile.mp3.sample_rate not in (22050, 24000, 32000, 44100, 48000):
        raise ProfileError(f"{src} [mp3] key 'sample_rate' must be 22050, 24000, 32000, 44100 or 48000")
    if profile.speech.locale not in ("en-GB", "en-US"):
        raise ProfileError(f'{src} [speech] key \'locale\' must be "en-GB" or "en-US"')
    if not 80 <= profile.speech.chunk_limit <= 1000:
        raise ProfileError(f"{src} [speech] key 'chunk_limit' must be between 80 and 1000 characters")
    if profile.cache.max_size:
        try:
            parse_size(profile.cache.max_size)
        except ValueError as exc:
            raise ProfileError(f"{src} [cache] key 'max_size': {exc}") from None
    _validate_web(profile.web, src)
    if not -40 <= profile.loudness.integrated_lufs <= -5:
        raise ProfileError(f"{src} [loudness] key 'integrated_lufs' must be between -40 and -5")
