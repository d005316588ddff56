"""Word documents in: real .docx files written by python-docx, read through mammoth and the HTML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate import cli
from narrate.errors import InputError
from narrate.pipeline import load_script
from narrate.profile import load_profile

docx = pytest.importorskip("docx", reason="python-docx (the test extra) writes the test documents")

LEAD = (
    "The council voted on Monday to repair the old bridge over the river, closed since the February floods."
)
COST = "Councillors said the work would cost £2.4m and be paid for from reserves."
NEXT = "Work starts in May and lasts six weeks, with the footpath reopening first."
REACTION = "Residents welcomed the decision but asked why it had taken so long."


def _document(
    path: Path, *, title_style: bool = True, core_title: str = "", opening_heading: bool = True
) -> Path:
    d = docx.Document()
    d.core_properties.title = core_title
    if title_style:
        d.add_paragraph("Council agrees bridge repair", style="Title")
    elif opening_heading:
        d.add_heading("Council agrees bridge repair", level=1)
    d.add_paragraph("By Hannah Cole")
    d.add_paragraph(LEAD)
    d.add_paragraph(COST)
    d.add_heading("What happens next", level=1)
    d.add_paragraph(NEXT)
    d.add_heading("Reaction", level=2)
    d.add_paragraph(REACTION)
    d.save(str(path))
    return path


def _body(script):  # type: ignore[no-untyped-def]
    return [c for c in script.chapters if c.kind == "body"]


def test_a_word_document_s_title_is_the_headline_and_its_headings_are_chapters(tmp_path: Path) -> None:
    script = load_script(_document(tmp_path / "bridge.docx"), load_profile())
    assert script.title == "Council agrees bridge repair"
    assert script.author == "Hannah Cole"
    body = _body(script)
    assert [c.title for c in body][1:] == ["What happens next", "Reaction"]
    texts = [s.text for c in body for p in c.paragraphs for s in p.sentences]
    for sentence in (LEAD, COST, NEXT, REACTION):
        assert sentence in texts
    assert "By Hannah Cole" not in texts  # the byline went to the intro, not the body
    spoken = " ".join(s.spoken for s in script.sentences)
    assert "two point four million pounds" in spoken


def test_without_a_title_paragraph_the_document_title_is_the_headline(tmp_path: Path) -> None:
    path = _document(
        tmp_path / "bridge.docx", title_style=False, opening_heading=False, core_title="Bridge to be repaired"
    )
    assert load_script(path, load_profile()).title == "Bridge to be repaired"


def test_an_opening_heading_is_the_headline(tmp_path: Path) -> None:
    path = _document(tmp_path / "bridge.docx", title_style=False, core_title="Document1 draft")
    assert load_script(path, load_profile()).title == "Council agrees bridge repair"


def test_a_damaged_word_document_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(_document(tmp_path / "good.docx").read_bytes()[:3000])
    with pytest.raises(InputError, match="damaged Word document"):
        load_script(broken, load_profile())
    assert cli.main(["script", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "save it again" in err


def test_a_batch_folder_s_word_documents_become_episodes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_synth,  # type: ignore[no-untyped-def]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _document(folder / "bridge.docx")
    code = cli.main(
        ["batch", str(folder), "-o", str(tmp_path / "site"), "--quiet", "--no-cache", "--jobs", "1"],
        synthesizer_factory=fake_synth.factory,
    )
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "site" / "council-agrees-bridge-repair.mp3").is_file()
