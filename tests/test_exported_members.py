"""The public API is small, and every exported name is the real object from the module that defines it."""

import importlib.metadata

import pytest

import narrate
from narrate import errors, models, pipeline, profile
from narrate.audio import cache, synth
from narrate.text import article

# written out by hand: a name that moves, or a lazy export that points at the wrong module, fails here
EXPECTED = {
    "Article": models,
    "CacheOptions": cache,
    "Chapter": models,
    "FakeSynthesizer": synth,
    "NarrateError": errors,
    "NarrationOptions": pipeline,
    "NarrationResult": pipeline,
    "Paragraph": models,
    "PiperSynthesizer": synth,
    "Profile": profile,
    "Script": models,
    "Sentence": models,
    "Synthesizer": synth,
    "load_article": article,
    "load_profile": profile,
    "load_script": pipeline,
    "narrate_article": pipeline,
}


def test_public_api() -> None:
    assert set(narrate.__all__) == {"__version__", *EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_name_is_the_object_its_module_defines(name: str) -> None:
    module = EXPECTED[name]
    exported = getattr(narrate, name)
    assert exported is getattr(module, name)
    assert exported.__module__ == module.__name__  # defined there, not re-exported from elsewhere


def test_version_is_the_installed_distributions() -> None:
    assert narrate.__version__ == importlib.metadata.version("narrate-news")  # the name on PyPI


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        narrate.missing  # noqa: B018
