"""Pronunciation lexicon: loading, precedence, matching, and its path through speak()."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.errors import ProfileError
from narrate.text.lexicon import Lexicon
from narrate.text.speech import SpeechRules, speak

USHAKOV_IPA = "[[ uːʃˈɑːkɔf ]]"


def _write(tmp_path: Path, text: str, name: str = "lexicon.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- loading


def test_load_top_level_table(tmp_path: Path) -> None:
    path = _write(tmp_path, 'Ushakov = "Ooshahkov"\n"Keir Starmer" = "Keer Starmer"\n')
    assert dict(Lexicon.load(path).entries) == {"Ushakov": "Ooshahkov", "Keir Starmer": "Keer Starmer"}


def test_load_lexicon_section(tmp_path: Path) -> None:
    path = _write(tmp_path, f'[lexicon]\nUshakov = "{USHAKOV_IPA}"\n')
    assert Lexicon.load(path).entries == {"Ushakov": USHAKOV_IPA}


def test_load_empty_file_is_empty_lexicon(tmp_path: Path) -> None:
    assert Lexicon.load(_write(tmp_path, "")).entries == {}


def test_bad_toml_names_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "Ushakov = \n")
    with pytest.raises(ProfileError, match="lexicon.toml") as err:
        Lexicon.load(path)
    assert "TOML" in str(err.value)


def test_missing_file_names_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="nowhere.toml"):
        Lexicon.load(tmp_path / "nowhere.toml")


def test_wrong_type_names_key_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[lexicon]\nWitkoff = 3\n")
    with pytest.raises(ProfileError) as err:
        Lexicon.load(path)
    assert "Witkoff" in str(err.value) and "lexicon.toml" in str(err.value) and "int" in str(err.value)


def test_nested_table_names_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "[Dmitriev]\nsay = 'x'\n")
    with pytest.raises(ProfileError, match="Dmitriev"):
        Lexicon.load(path)


def test_profile_file_uses_only_its_lexicon_section(tmp_path: Path) -> None:
    path = _write(tmp_path, 'locale = "en-GB"\n[voice]\nname = "joe"\n[lexicon]\nUshakov = "Ooshahkov"\n')
    assert Lexicon.load(path).entries == {"Ushakov": "Ooshahkov"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"Ushakov": ""}, "Ushakov"),
        ({"Ushakov": ["a"]}, "Ushakov"),
        ({"  ": "x"}, "' '"),
        ({"Ushakov": "[[ uːʃ"}, "Ushakov"),
        ({"Ushakov": "[[ a ]] and [[ b ]]"}, "Ushakov"),
    ],
)
def test_from_mapping_errors_name_key_and_source(data: dict[str, object], key: str) -> None:
    with pytest.raises(ProfileError) as err:
        Lexicon.from_mapping(data, "byline.toml")
    assert "byline.toml" in str(err.value)
    assert key.strip("'").strip() in str(err.value) or key in str(err.value)


def test_from_mapping_rejects_non_table() -> None:
    with pytest.raises(ProfileError, match="profile.toml"):
        Lexicon.from_mapping(["Ushakov"], "profile.toml")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- precedence


def test_merged_precedence_builtin_profile_cli(tmp_path: Path) -> None:
    builtin = Lexicon({"Ushakov": "builtin", "gif": "gif"})
    profile = Lexicon.from_mapping({"Ushakov": "profile", "Witkoff": "Witkoff"}, "profile")
    cli = Lexicon.load(_write(tmp_path, 'Ushakov = "cli"\n'))
    merged = builtin.merged(profile).merged(cli)
    assert merged.entries == {"Ushakov": "cli", "gif": "gif", "Witkoff": "Witkoff"}
    assert merged.apply("Ushakov") == "cli"
    # merging never changes the originals
    assert profile.apply("Ushakov") == "profile"


# --------------------------------------------------------------------------- matching


def test_capitalised_key_matches_exact_case_only() -> None:
    lex = Lexicon({"NATO": "Nayto", "Ushakov": "Ooshahkov"})
    assert lex.apply("NATO nato Nato") == "Nayto nato Nato"
    assert lex.apply("ushakov Ushakov USHAKOV") == "ushakov Ooshahkov USHAKOV"


def test_lowercase_key_matches_any_case() -> None:
    lex = Lexicon({"gif": "jif"})
    assert lex.apply("gif GIF Gif") == "jif jif jif"


def test_whole_word_only() -> None:
    lex = Lexicon({"Ushakov": "Ooshahkov", "gif": "jif"})
    assert lex.apply("Ushakovsky and NeoUshakov and gifs") == "Ushakovsky and NeoUshakov and gifs"
    assert lex.apply("Ushakov's (Ushakov), Ushakov.") == "Ooshahkov's (Ooshahkov), Ooshahkov."


def test_phrases_and_longest_first() -> None:
    lex = Lexicon({"Keir": "Keer", "Keir Starmer": "Sir Keer Starmer", "No 10": "Number Ten"})
    spoken = lex.apply("Keir Starmer at No 10, and Keir alone")
    assert spoken == "Sir Keer Starmer at Number Ten, and Keer alone"
    # A phrase key matches across exactly one space
    assert lex.apply("Keir  Starmer") == "Keer  Starmer"


def test_phrase_key_whitespace_normalised() -> None:
    lex = Lexicon.from_mapping({"Keir   Starmer": "Keer Starmer"}, "t")
    assert lex.apply("Keir Starmer") == "Keer Starmer"


def test_curly_apostrophe_in_key() -> None:
    lex = Lexicon.from_mapping({"O’Neill": "Oh Neel"}, "t")
    assert speak("O’Neill spoke.", SpeechRules(lexicon=lex)) == "Oh Neel spoke."


def test_regex_characters_in_keys_are_literal() -> None:
    lex = Lexicon({"C++": "C plus plus", "a.b": "x"})
    assert lex.apply("C++ and axb") == "C plus plus and axb"


def test_empty_lexicon_is_identity() -> None:
    assert Lexicon({}).apply("Ushakov said") == "Ushakov said"


def test_lexicon_is_hashable_and_comparable() -> None:
    assert Lexicon({"a": "b"}) == Lexicon({"a": "b"})
    assert hash(Lexicon({"a": "b"})) == hash(Lexicon({"a": "b"}))
    assert hash(SpeechRules(lexicon=Lexicon({"a": "b"})))


# --------------------------------------------------------------------------- through speak()


def _rules(**entries: str) -> SpeechRules:
    return SpeechRules(lexicon=Lexicon(entries))


def test_ipa_kept_intact_through_speak() -> None:
    spoken = speak("Yuri Ushakov met officials in 2025", _rules(Ushakov=USHAKOV_IPA))
    assert spoken == f"Yuri {USHAKOV_IPA} met officials in twenty twenty-five"


def test_ipa_possessive_said_inside_the_block() -> None:
    # Piper reads a lone "'s" after a phoneme block as the letter S.
    assert speak("Ushakov's aide", _rules(Ushakov=USHAKOV_IPA)) == "[[ uːʃˈɑːkɔfs ]] aide"


def test_punctuation_after_ipa_moves_inside_the_block() -> None:
    # Piper drops punctuation right after "]]" and runs the next word on.
    rules = _rules(Ushakov=USHAKOV_IPA)
    assert speak("They met Ushakov, then left.", rules) == "They met [[ uːʃˈɑːkɔf, ]] then left."
    assert speak("They met Ushakov.", rules) == "They met [[ uːʃˈɑːkɔf. ]]"


def test_lexicon_runs_before_acronym_and_number_rules() -> None:
    rules = _rules(NATO="Nayto", **{"No 10": "Number Ten Downing Street", "GIF": "jif"})
    spoken = speak("NATO and No 10 like GIF files.", rules)
    assert spoken == "Nayto and Number Ten Downing Street like jif files."


def test_respelling_not_mangled_by_later_rules() -> None:
    # An all-caps respelling would otherwise be spelled out as an acronym.
    assert speak("Dmitriev spoke.", _rules(Dmitriev="DMEE-tree-yev")) == "DMEE-tree-yev spoke."


def test_lexicon_key_matches_words_as_written_not_spoken() -> None:
    # "NHS" is spelled out by the rules unless the lexicon says otherwise.
    assert speak("The NHS.", _rules(NHS="National Health Service")) == "The National Health Service."
    assert speak("The N-H-S.", _rules(NHS="National Health Service")) == "The N-H-S."


def test_lexicon_inside_brackets_and_quotes() -> None:
    rules = _rules(Witkoff="[[ wˈɪtkɔf ]]")
    assert speak('"Witkoff" (Witkoff)', rules) == "[[ wˈɪtkɔf, ]] [[ wˈɪtkɔf ]]"


# --- respellings with capitals for stress (issue 23) -----------------------------------------------

# what espeak says for each syllable alone, written out by hand: the test's phonemiser
_SYLLABLES = {"oo": "ˈuː", "sha": "ʃˈɑː", "koff": "kˈɒf", "off": "ˈɒf", "wot": "wˈɒt", "ts": "tˌiːˈɛs"}


def test_capitals_in_a_respelling_become_espeak_s_stress_mark() -> None:
    from narrate.text.lexicon import respell

    assert respell("oo-sha-KOFF", _SYLLABLES.__getitem__) == "[[ uːʃɑːkˈɒf ]]"
    assert respell("OFF-wot", _SYLLABLES.__getitem__) == "[[ ˈɒfwɒt ]]"
    # no capitals, or no hyphens: a plain respelling the voice reads as it is
    assert respell("Footsie", _SYLLABLES.__getitem__) == "Footsie"
    assert respell("oo-sha-koff", _SYLLABLES.__getitem__) == "oo-sha-koff"
    # all capitals says nothing of stress: read in lower case, never spelt out
    assert respell("OO-SHA", _SYLLABLES.__getitem__) == "oo-sha"


def test_a_stressed_respelling_reaches_the_script_as_phonemes() -> None:
    from narrate.models import Article, Section
    from narrate.pipeline import build_script
    from narrate.profile import load_profile

    profile = load_profile()
    lexicon = Lexicon({"Abberustwith": "abber-UST-with"})
    article = Article("Lords", (Section(None, ("Lord Abberustwith spoke.",)),))
    spoken = " ".join(s.spoken for s in build_script(article, profile, lexicon).sentences)
    assert "[[" in spoken and "ˈ" in spoken
    assert "UST" not in spoken and "abber" not in spoken


@pytest.mark.voice
def test_the_voice_says_a_stressed_respelling_with_stress_and_no_letter_names() -> None:
    """Piper's own phonemiser (independent of narrate) on the spoken text: stress mark, no 'you-ess-tee'."""
    from piper import PiperVoice

    from narrate.audio.voices import find_voice
    from narrate.models import Article, Section
    from narrate.pipeline import build_script
    from narrate.profile import load_profile

    voice = PiperVoice.load(find_voice("en_US-joe-medium").model)
    lexicon = Lexicon({"Abberustwith": "abber-UST-with", "Siobhan": "shiv-AWN"})
    article = Article("Lords", (Section(None, ("Lord Abberustwith and Siobhan spoke.",)),))
    script = build_script(article, load_profile(), lexicon)
    spoken = next(s.spoken for s in script.sentences if "spoke" in s.text)
    said = "".join("".join(s) for s in voice.phonemize(spoken))
    plain = said.replace("ˌ", "").replace("ˈ", "")
    assert "juːɛstiː" not in plain  # U-S-T as letter names
    assert "eɪdʌbəljuːɛn" not in plain  # A-W-N as letter names
    assert "ˈʌst" in said and "ˈɔːn" in said  # the capitals' syllables carry the primary stress
