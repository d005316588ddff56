"""Unpublishing: an episode's record taken out of its folder's manifest, and the files it leaves behind."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import InputError
from .manifest import Manifest
from .sidecars import sidecar_paths


def take_out(manifest: Manifest, slugs: Sequence[str]) -> list[Path]:
    """Remove the episodes `slugs` from the manifest (not saved); returns their files in the folder.

    The files are the record's own and every sidecar narrate writes beside an MP3 (those made by an
    older version, unrecorded, too). An unknown slug is an InputError that names the closest ones.
    """
    by_slug = {r.slug: r for r in manifest.records}
    for slug in slugs:
        if slug.removesuffix(".mp3") not in by_slug:
            close = difflib.get_close_matches(slug, list(by_slug), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; its episodes: {_some(by_slug)}"
            raise InputError(f"no episode {slug!r} in {manifest.folder}{hint}")
    doomed: list[Path] = []
    for slug in dict.fromkeys(s.removesuffix(".mp3") for s in slugs):
        record = by_slug[slug]
        mp3 = manifest.folder / f"{slug}.mp3"
        names = {*(manifest.folder / n for n in record.files.values()), mp3, *sidecar_paths(mp3).values()}
        doomed += sorted(p for p in names if p.is_file())
        manifest.records.remove(record)
    return doomed


def _some(by_slug: Mapping[str, object]) -> str:
    names = sorted(by_slug)
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(names[:5]) + more if names else "none"
