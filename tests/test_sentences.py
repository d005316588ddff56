"""Tests for narrate.text.sentences: fixture paragraphs, chunking, and properties over arbitrary text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrate.text.sentences import DEFAULT_CHUNK_LIMIT, speakable_chunks, split_paragraph, split_sentences

_FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "sentences.json").read_text(encoding="utf-8"))
_CASES = _FIXTURES["cases"]


def _collapsed(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("case", _CASES, ids=[c["id"] for c in _CASES])
def test_fixture_paragraph(case: dict[str, object]) -> None:
    assert split_sentences(str(case["text"])) == case["expected"]


def test_fixtures_are_consistent() -> None:
    assert len(_CASES) >= 45
    assert len({c["id"] for c in _CASES}) == len(_CASES)
    for case in _CASES:
        # The expectations themselves must obey the no-word-lost contract.
        assert " ".join(case["expected"]) == _collapsed(case["text"]), case["id"]


# --- chunks ----------------------------------------------------------------------------------------

_CLAUSEY = (
    "The committee heard evidence from ministers over three days; it also took testimony from officials "
    "who had worked on the scheme – some of them since its launch in 2010 – and concluded that the "
    "programme, despite its ambitions, had failed to deliver value for money, because costs rose sharply "
    "while outcomes stagnated: the auditors had warned about this in 2015, in 2018 and again last year."
)


def test_short_sentence_unchanged() -> None:
    assert speakable_chunks("The pound rose.") == ["The pound rose."]
    assert speakable_chunks("x" * DEFAULT_CHUNK_LIMIT) == ["x" * DEFAULT_CHUNK_LIMIT]


def test_long_sentence_cut_at_clause_boundaries() -> None:
    chunks = speakable_chunks(_CLAUSEY, limit=200)
    assert " ".join(chunks) == _CLAUSEY
    assert all(len(c) <= 200 for c in chunks)
    # Every cut falls after a semicolon, colon, dash or comma, or before a conjunction.
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.endswith((";", ":", ",", "–")) or after.split()[0] in {"and", "but", "because", "while"}


def test_semicolon_preferred_over_comma() -> None:
    sentence = "Alpha beta gamma, delta epsilon zeta eta theta; iota kappa lambda, mu nu xi omicron pi."
    assert speakable_chunks(sentence, limit=60) == [
        "Alpha beta gamma, delta epsilon zeta eta theta;",
        "iota kappa lambda, mu nu xi omicron pi.",
    ]


@pytest.mark.parametrize("dash", ["-", "–", "—"])
def test_dash_boundary(dash: str) -> None:
    sentence = (
        f"The minister announced the new funding for hospitals {dash} a sum critics called far too small"
    )
    assert speakable_chunks(sentence, limit=60) == [
        f"The minister announced the new funding for hospitals {dash}",
        "a sum critics called far too small",
    ]


def test_conjunction_boundary_without_punctuation() -> None:
    sentence = (
        "The council raised parking charges across the borough because the budget gap had widened again"
    )
    chunks = speakable_chunks(sentence, limit=70)
    assert chunks == [
        "The council raised parking charges across the borough",
        "because the budget gap had widened again",
    ]


def test_balanced_chunks_avoid_stub() -> None:
    # Greedy filling would give a chunk just under the limit and a tiny stub.
    words = ["word"] * 75  # 374 characters
    chunks = speakable_chunks(" ".join(words), limit=350)
    assert len(chunks) == 2
    assert min(len(c) for c in chunks) > 120


def test_balanced_cut_prefers_mid_comma_over_stub() -> None:
    first = " ".join(["alpha"] * 30) + ","  # 180 characters
    second = " ".join(["omega"] * 30) + "."
    chunks = speakable_chunks(f"{first} {second}", limit=350)
    assert chunks == [first, second]


def _unpunctuated_5000() -> str:
    vocabulary = (
        "the minister said government would review policy on housing energy and transport costs".split()
    )
    return " ".join(vocabulary[i * 7 % len(vocabulary)] + str(i % 13) for i in range(700))


def test_unpunctuated_5000_char_sentence() -> None:
    sentence = _unpunctuated_5000()
    assert len(sentence) > 5000
    chunks = speakable_chunks(sentence)
    assert all(len(c) <= DEFAULT_CHUNK_LIMIT for c in chunks)
    assert " ".join(chunks).split() == sentence.split()  # no word split, order kept


def test_over_long_token_is_the_only_cut_word() -> None:
    url = "https://example.org/" + "a1b2c3d4" * 73  # 604 characters
    sentence = f"Read the filing at {url} before Friday"
    chunks = speakable_chunks(sentence)
    assert all(len(c) <= DEFAULT_CHUNK_LIMIT for c in chunks)
    assert "".join("".join(c.split()) for c in chunks) == "".join(sentence.split())
    assert chunks[0] == "Read the filing at"
    assert chunks[1] == url[:DEFAULT_CHUNK_LIMIT]


def test_cjk_run_without_spaces() -> None:
    text = "政府" * 400
    chunks = speakable_chunks(text, limit=100)
    assert all(len(c) <= 100 for c in chunks)
    assert "".join(chunks) == text


def test_split_paragraph_flattens() -> None:
    paragraph = "Short one. " + _CLAUSEY
    chunks = split_paragraph(paragraph, limit=200)
    assert chunks[0] == "Short one."
    assert " ".join(chunks) == _collapsed(paragraph)


# --- long lines: correct, and never catastrophically slow ------------------------------------------


def _newsy_50000() -> str:
    base = (
        "Mr. Smith said the U.S. economy grew 3.5 per cent by 10 p.m. on Jan. 4, and Dr. Jones agreed. "
        "Was it enough? Unemployment peaked in 2011. 2012 was better... Staff at bylinetimes.com said no. "
    )
    return (base * (50_000 // len(base) + 1))[:50_000]


def _bare_50000() -> str:
    return " ".join(f"word{i % 97}" for i in range(8000))[:50_000]


def test_50000_char_line() -> None:
    line = _newsy_50000()
    assert " ".join(split_paragraph(line)).split() == line.split()


def test_50000_char_line_without_punctuation() -> None:
    line = _bare_50000()
    chunks = split_paragraph(line)
    assert all(len(c) <= DEFAULT_CHUNK_LIMIT for c in chunks)
    assert " ".join(chunks).split() == line.split()


def test_long_lines_finish_in_bounded_cpu_time() -> None:
    # A guard against catastrophic regex backtracking, not a speed test (`make bench` times them): the
    # three lines take well under a second of CPU; exponential backtracking would take hours. CPU time,
    # limited in a child process, does not depend on how busy the machine is, as wall-clock time would.
    code = (
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (20, 20))\n"
        "from narrate.text.sentences import speakable_chunks, split_paragraph\n"
        "lines = json.load(sys.stdin)\n"
        "speakable_chunks(lines[0])\n"
        "split_paragraph(lines[1])\n"
        "split_paragraph(lines[2])\n"
        "print('done')\n"
    )
    lines = json.dumps([_unpunctuated_5000(), _newsy_50000(), _bare_50000()])
    proc = subprocess.run(
        [sys.executable, "-c", code], input=lines, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "done", proc.stderr[-500:]


# --- properties ------------------------------------------------------------------------------------

# Text built from the pieces the splitter reasons about, so the rules are exercised, not just skipped.
_NEWSY = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            "X",
            "Z",
            " ",
            "  ",
            ".",
            "!",
            "?",
            "…",
            "...",
            ";",
            ":",
            ",",
            " - ",
            " – ",
            '"',
            "'",
            "“",
            "”",
            "(",
            ")",
            "\n",
            "\n1. ",
            "\n- ",
            "\t",
            "3",
            "£1.5bn",
            "Mr.",
            "U.S.",
            "p.m.",
            "The",
            "etc.",
            "No.",
            "e.g.",
            "J.",
            "Co.",
            "bylinetimes.com",
            "and",
            "iPhone",
            "政府",
        ]
    ),
    max_size=80,
).map("".join)
_PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tokens(text: str) -> list[str]:
    return text.split()


@_PROPS
@given(st.one_of(st.text(), _NEWSY))
def test_split_sentences_keeps_every_word(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    assert " ".join(sentences) == _collapsed(text)


@_PROPS
@given(st.one_of(st.text(), _NEWSY), st.integers(min_value=1, max_value=80))
def test_split_paragraph_keeps_words_and_limit(text: str, limit: int) -> None:
    chunks = split_paragraph(text, limit)
    assert all(c and len(c) <= limit for c in chunks)
    if all(len(t) <= limit for t in _tokens(text)):
        assert _tokens(" ".join(chunks)) == _tokens(text)
    assert "".join(_tokens(" ".join(chunks))) == "".join(_tokens(text))


@_PROPS
@given(
    st.lists(st.text(min_size=1, max_size=20).filter(lambda t: t.strip() != ""), max_size=60),
    st.integers(min_value=5, max_value=120),
)
def test_speakable_chunks_limit_and_order(parts: list[str], limit: int) -> None:
    sentence = " ".join(parts)
    chunks = speakable_chunks(sentence, limit)
    assert all(len(c) <= limit for c in chunks)
    assert "".join(_tokens(" ".join(chunks))) == "".join(_tokens(sentence))
    if len(sentence) <= limit and sentence.strip() == sentence and sentence:
        assert chunks == [sentence]
