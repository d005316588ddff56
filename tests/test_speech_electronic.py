"""Web addresses, e-mail addresses, handles and hashtags."""

from __future__ import annotations

import pytest
from speech_tools import said

CASES = [
    ("Details are at www.ofgem.gov.uk today.", "Details are at ofgem dot gov dot U.K today."),
    ("Write to tips@bbc.co.uk with news.", "Write to tips at B.B.C dot co dot U.K with news."),
    ("Posts by @MetOffice were shared.", "Posts by at Met Office were shared."),
    ("Posts by @UKParliament were shared.", "Posts by at U.K Parliament were shared."),
    ("The #COP28 talks ended.", "The Cop twenty-eight talks ended."),
]


@pytest.mark.parametrize(("written", "spoken"), CASES)
def test_electronic_forms_in_news_sentences(written: str, spoken: str) -> None:
    assert said(written) == spoken
