"""narrate: turn written journalism into podcast-grade narration with a local Piper voice."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# Names load on first use (PEP 562), so `narrate say` and `narrate --help` start fast.
_EXPORTS = {
    "Article": "models",
    "Chapter": "models",
    "Paragraph": "models",
    "Script": "models",
    "Sentence": "models",
    "NarrateError": "errors",
    "NarrationOptions": "pipeline",
    "NarrationResult": "pipeline",
    "load_article": "text.article",
    "load_script": "pipeline",
    "narrate_article": "pipeline",
    "Profile": "profile",
    "load_profile": "profile",
    "FakeSynthesizer": "audio.synth",
    "PiperSynthesizer": "audio.synth",
    "Synthesizer": "audio.synth",
    "CacheOptions": "audio.cache",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'narrate' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


if TYPE_CHECKING:  # pragma: no cover
    from .audio.cache import CacheOptions
    from .audio.synth import FakeSynthesizer, PiperSynthesizer, Synthesizer
    from .errors import NarrateError
    from .models import Article, Chapter, Paragraph, Script, Sentence
    from .pipeline import NarrationOptions, NarrationResult, load_script, narrate_article
    from .profile import Profile, load_profile
    from .text.article import load_article
