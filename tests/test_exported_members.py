"""The public API is small, and every exported name resolves."""

import narrate


def test_all_names_resolve() -> None:
    for name in narrate.__all__:
        assert getattr(narrate, name) is not None


def test_public_api() -> None:
    assert set(narrate.__all__) == {
        "__version__",
        "Article",
        "Chapter",
        "FakeSynthesizer",
        "NarrateError",
        "NarrationResult",
        "Paragraph",
        "PiperSynthesizer",
        "Profile",
        "Script",
        "Sentence",
        "Synthesizer",
        "load_article",
        "load_profile",
        "load_script",
        "narrate_article",
    }
