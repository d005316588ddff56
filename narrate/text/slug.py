"""File names for episodes: an ASCII slug of the headline that can never be a path or a reserved name."""

from __future__ import annotations

import re
import unicodedata

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slugify(title: str, limit: int = 80) -> str:
    """An ASCII file name stem for a headline: never empty, never a path, never a reserved name."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    slug = slug[:limit].rstrip("-") or "episode"
    return f"{slug}-episode" if slug in _RESERVED else slug
