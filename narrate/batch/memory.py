"""What an output folder remembers of how its episodes were made: profile, lexicon, voice; and a switch."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputError, NarrateError
from ..profile import DEFAULT_PROFILE, load_profile
from ..publish.manifest import MANIFEST_NAME, EpisodeRecord, Manifest


@dataclass(frozen=True)
class MadeWith:
    """The settings an episode was made with: absolute paths ("" for the bundled profile, or none)."""

    profile: str = ""
    profile_sha256: str = ""
    lexicon: str = ""
    voice: str = ""  # a voice given over the profile's (--voice or narrate.toml); "" for the profile's

    @classmethod
    def of(cls, profile: str | Path | None, lexicon: str | Path | None, voice: str | None) -> MadeWith:
        return cls(
            str(Path(profile).resolve()) if profile else "",
            profile_sha256(profile),
            str(Path(lexicon).resolve()) if lexicon else "",
            voice or "",
        )

    def stamp(self, record: EpisodeRecord) -> None:
        record.profile, record.profile_sha256 = self.profile, self.profile_sha256
        record.lexicon, record.voice = self.lexicon, self.voice


def profile_sha256(profile: str | Path | None) -> str:
    """SHA-256 of the profile file's bytes (of the bundled profile's for None); "" if it cannot be read."""
    try:
        if profile is None:
            data = resources.files("narrate").joinpath("profiles", f"{DEFAULT_PROFILE}.toml").read_bytes()
        else:
            data = Path(profile).read_bytes()
    except OSError:
        return ""
    return hashlib.sha256(data).hexdigest()


def remembered(folder: str | Path) -> MadeWith | None:
    """What the folder's most recently made episode was made with (None: nothing recorded yet)."""
    folder = Path(folder)
    if not (folder / MANIFEST_NAME).is_file():
        return None
    made = [r for r in Manifest.load(folder).records if r.status == "done" and r.profile_sha256]
    if not made:
        return None
    last = max(made, key=lambda r: r.made)
    return MadeWith(last.profile, last.profile_sha256, last.lexicon, last.voice)


@dataclass(frozen=True)
class Settled:
    profile: str | None
    lexicon: str | None
    voice: str | None


def settle(
    folder: str | Path,
    profile: str | None,
    lexicon: str | None,
    voice: str | None,
    *,
    explicit_profile: bool,
) -> Settled:
    """The profile, lexicon and voice for a run on `folder`: what is given, else what the folder remembers.

    A profile that is not the one the folder's episodes were made with (another file, other content)
    is refused unless it was given explicitly (--profile): the message says what would change.
    """
    memory = remembered(folder)
    if memory is None:
        return Settled(profile, lexicon, voice)
    lexicon = lexicon or (memory.lexicon if memory.lexicon and Path(memory.lexicon).is_file() else None)
    voice = voice or memory.voice or None
    if profile is None and memory.profile:
        if not Path(memory.profile).is_file():
            raise InputError(
                f"{folder}'s episodes were made with the profile {memory.profile}, which is not there any "
                "more: pass --profile FILE"
            )
        return Settled(memory.profile, lexicon, voice)
    same_file = (str(Path(profile).resolve()) if profile else "") == memory.profile
    if explicit_profile or same_file or profile_sha256(profile) == memory.profile_sha256:
        return Settled(profile, lexicon, voice)
    raise InputError(_switch(folder, memory.profile, profile))


def _switch(folder: str | Path, old: str, new: str | None) -> str:
    """One line: a different profile, what it would change, and the flag that makes it so."""
    old_name, new_name = _channel(old or None), _channel(new)
    renamed = f" and rename the channel {old_name!r} to {new_name!r}" if old_name != new_name else ""
    was = old or f"the bundled {DEFAULT_PROFILE}.toml"
    now = new or f"the bundled {DEFAULT_PROFILE}.toml"
    return (
        f"{folder}'s episodes were made with the profile {was}; {now} would re-make every episode{renamed}: "
        f"pass --profile {new or DEFAULT_PROFILE + '.toml'} to switch, or --profile {old or 'FILE'} to keep"
    )


def _channel(profile: str | None) -> str:
    try:
        return load_profile(profile).podcast.name
    except NarrateError:
        return "?"
