"""Edit one entry of a lexicon TOML file in place (comments and other tables kept), written atomically."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import ProfileError
from ..profile import lexicon_entries
from ..text.lexicon import Lexicon

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_SPACE = re.compile(r"\s+")


def check_entry(word: object, spoken: object) -> tuple[str, str]:
    """A word and its respelling or "[[ IPA ]]" as the lexicon holds them; ProfileError names the fault."""
    if not isinstance(word, str) or not isinstance(spoken, str):
        raise ProfileError('a lexicon entry needs "word" and "spoken" as strings')
    key = _SPACE.sub(" ", word).strip()
    if len(key) > 100 or len(spoken) > 300:
        raise ProfileError("a lexicon entry is a word or phrase (at most 100 characters) and its respelling")
    entries = lexicon_entries({key: spoken}, "lexicon entry")
    return key, entries[key]


def set_entry(path: Path, word: str, spoken: str) -> Lexicon:
    """Add or replace `word` in the lexicon file at `path` (created with a [lexicon] table if missing)."""
    key, value = check_entry(word, spoken)
    doc, table = _open(path)
    # the same key spelt with other spacing goes; the key itself is assigned in place (keeping its comment)
    for existing in [k for k in table if _same(k, key) and k != key]:
        del table[existing]
    table[key] = value
    return _save(path, doc)


def remove_entry(path: Path, word: str) -> Lexicon | None:
    """Remove `word` from the file; None when the file has no such entry (nothing is written)."""
    if not path.is_file():
        return None
    doc, table = _open(path)
    found = [k for k in table if isinstance(word, str) and _same(k, word)]
    if not found:
        return None
    for key in found:
        del table[key]
    return _save(path, doc)


def _same(key: str, word: str) -> bool:
    return _SPACE.sub(" ", key).strip() == _SPACE.sub(" ", word).strip()


def _open(path: Path) -> tuple[Any, Any]:
    import tomlkit

    if not path.is_file():
        doc = tomlkit.document()
        doc.add(tomlkit.comment('Pronunciations for narrate: word = "respelling" or "[[ IPA ]]"'))
        doc["lexicon"] = tomlkit.table()
        return doc, doc["lexicon"]
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the lexicon file ({exc})") from None
    except Exception as exc:  # tomlkit's parse errors share no public base class
        raise ProfileError(f"{path}: not valid TOML ({str(exc).splitlines()[0]}); fix it by hand") from None
    table = doc.get("lexicon")
    # Lexicon.load reads a [lexicon] table when there is one, else the entries at top level
    return doc, table if isinstance(table, dict) else doc


def _save(path: Path, doc: Any) -> Lexicon:
    import tomlkit

    text = tomlkit.dumps(doc)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - tomlkit wrote what tomllib cannot read
        raise ProfileError(f"{path}: the edited lexicon is not valid TOML ({exc})") from None
    table = data.get("lexicon")
    lexicon = Lexicon.from_mapping(table if isinstance(table, dict) else data, str(path))
    write_text_atomic(path, text)
    return lexicon
