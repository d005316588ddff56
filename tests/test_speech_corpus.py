"""The speech corpus: real-style news sentences by class, each with the words the voice must be given.

tests/fixtures/corpus/<class>.tsv holds one case a line, `written<TAB>spoken`, with '#' comment lines.
The expected forms were written and checked by hand (and by ear); a miss found later is added here
first, then fixed. plain.tsv holds sentences whose numbers are quantities, years or scores: a rule that
reads one of them as a phone number, a time or a sum of money fails there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.text.speech import SpeechRules, speak

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
CLASSES = (
    "cardinal ordinal decimal fraction money measure date time telephone reference road ratio roman "
    "abbreviation acronym electronic plain mixed".split()
)


def _cases() -> list[tuple[str, int, str, str]]:
    cases = []
    for path in sorted(CORPUS.glob("*.tsv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            written, spoken = line.split("\t")
            cases.append((path.stem, number, written, spoken))
    return cases


CASES = _cases()


def test_the_corpus_covers_every_class_with_300_sentences() -> None:
    assert {c[0] for c in CASES} == set(CLASSES)
    assert len(CASES) >= 300
    assert len({c[2] for c in CASES}) == len(CASES), "a sentence is in the corpus twice"


@pytest.mark.parametrize(("kind", "line", "written", "spoken"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_corpus_sentence_is_said_as_expected(kind: str, line: int, written: str, spoken: str) -> None:
    def fail(message: str) -> None:
        raise AssertionError(message)

    assert speak(written, SpeechRules(), warn=fail) == spoken, f"{kind}.tsv line {line}"
