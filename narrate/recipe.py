"""What made an episode: the one recipe key that decides "unchanged" and whether a recorded gain is reused."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ._version import __version__
from .audio.encode import ENCODER_GAIN_DB
from .audio.id3 import KEY_DESC, RENDER_DESC, Cover
from .models import Script
from .profile import Profile

# Bump when assembly, loudness or encoding changes the audio for the same inputs, so that MP3s made by
# the previous code are not taken as unchanged (the package version alone moves only at releases).
RENDER_VERSION = "3"


@dataclass(frozen=True)
class Recipe:
    """An episode's recipe, hashed: `key` over all that makes the MP3, `context` over all but the words.

    An MP3 tagged with the same key is the same episode (a re-run leaves it as it is); one made in the same
    context (code, voice, settings, profile, format) may lend the gain its loudness stage chose to an edit.
    """

    key: str
    context: str

    def unchanged(self, previous: Mapping[str, str]) -> bool:
        """Whether an MP3 whose narrate tags are `previous` was made from exactly this recipe."""
        return previous.get(KEY_DESC) == self.key

    def reusable_gain(self, previous: Mapping[str, str]) -> float | None:
        """The gain recorded by an MP3 made in this recipe's context, else None (plan afresh)."""
        made_in, _, gain = previous.get(RENDER_DESC, "").partition(" ")
        try:
            value = float(gain)
        except ValueError:
            return None
        return value if made_in == self.context and math.isfinite(value) and abs(value) <= 60.0 else None

    def render_tag(self, gain_db: float) -> str:
        """The TXXX:narrate-render value recording this context and the gain used."""
        return f"{self.context} {gain_db!r}"


def episode_recipe(script: Script, profile: Profile, voice_identity: str, cover: Cover | None) -> Recipe:
    """The recipe of `script` narrated with this profile, voice (`Synthesizer.identity()`) and cover.

    The lexicon, speech rules, cleaning rules and intro/outro act through the script's spoken text, so an
    entry or rule changes the key exactly for the articles it changes; file paths never enter it.
    """
    context = (
        f"narrate {__version__}",
        f"render {RENDER_VERSION}",
        f"encoder gain {ENCODER_GAIN_DB}",
        voice_identity,
        _profile_content(profile),
    )
    words = (
        json.dumps(script.to_dict(), ensure_ascii=False, sort_keys=True),
        script.standfirst or "",
        hashlib.sha256(cover.data).hexdigest() if cover is not None else "",
    )
    return Recipe(key=_digest((*context, *words)), context=_digest(context)[:32])


def _profile_content(profile: Profile) -> str:
    """The profile settings that shape an MP3 beyond its words, as canonical JSON (never a file path).

    Pauses, voice settings, loudness, MP3 format and the podcast fields that become tags. The lexicon, speech,
    cleaning and intro/outro settings act through the script; feed-only fields (description, base URL...)
    never reach the MP3, so changing them remakes nothing.
    """
    data = dataclasses.asdict(profile)
    # the voice is its content hash; its speaker is in the identity as a number, however it was written
    voice = {k: v for k, v in data["voice"].items() if k not in ("name", "speaker")}
    tags = {k: data["podcast"][k] for k in _TAGGED_PODCAST_FIELDS}
    kept = {"pauses": data["pauses"], "voice": voice, "loudness": data["loudness"], "mp3": data["mp3"]}
    return json.dumps({**kept, "podcast": tags}, ensure_ascii=False, sort_keys=True)


# the [podcast] fields an episode's ID3 tag carries (see pipeline.episode_tags)
_TAGGED_PODCAST_FIELDS = ("name", "author", "genre")


def _digest(parts: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)  # length-prefixed: no two part lists collide
    return digest.hexdigest()
