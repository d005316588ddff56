"""Electronic forms: web addresses, e-mail addresses, handles and hashtags, said as a presenter reads them.

Rules, in order: an e-mail address ("press@ofwat.gov.uk" -> "press at ofwat dot gov dot U.K"); a URL
with a scheme or "www." (said as its host only: a path is unreadable aloud); a bare domain with a known
top-level domain ("bbc.co.uk"); a handle ("@BBCNews" -> "at B.B.C News"); a hashtag ("#NHSstrike" ->
its words). A label with no vowel, or a country code, is spelled; digits are said one by one.
"""

from __future__ import annotations

import re

from .acronym import letters
from .cardinal import say_digits
from .state import WS, State

_TLDS = (
    "com|org|net|gov|edu|int|mil|info|biz|news|online|io|co|uk|us|eu|de|fr|es|it|nl|ie|au|ca|nz|in|"
    "ru|ua|cn|jp|ch|be|se|no|dk|fi|pl|pt|at|tv|me|ai|app|dev|ly|gl|to|fm|org\\.uk|co\\.uk|gov\\.uk|ac\\.uk"
)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")
_URL = re.compile(
    r"(?<![\w@/])(?:(?:https?|ftp)://|www\.)([A-Za-z0-9.-]+)(?::\d+)?(?:[/?#][^\s]*[^\s.,;:!?)\]'\"])?",
    re.IGNORECASE,
)
_DOMAIN = re.compile(
    rf"(?<![\w@/.-])((?:[A-Za-z0-9-]+\.)+(?:{_TLDS}))(?![\w-]|\.[A-Za-z0-9])(?:/[^\s]*[^\s.,;:!?)\]'\"])?"
)
_DIGIT_RUN = re.compile(r"\d+")
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z_]\w{0,30})")
_HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z]\w*)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


def say_label(label: str, host: bool = True) -> str:
    # "bbc" -> "B.B.C"; in a host name, country codes are letters too; "co" and words stay words.
    short_code = host and len(label) <= 2 and label.lower() != "co"
    if label.isalpha() and (short_code or not _VOWEL.search(label)):
        return letters(label)
    spoken = _DIGIT_RUN.sub(lambda m: f" {say_digits(m.group(0))} ", label)
    spoken = spoken.replace("-", " dash ").replace("_", " underscore ").replace("+", " plus ")
    return WS.sub(" ", spoken).strip()


def say_host(host: str) -> str:
    host = host.strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    return " dot ".join(say_label(part) for part in host.split(".") if part)


def _say_handle(handle: str) -> str:
    """'BBCNews' -> 'BBC News', 'nhs_england' -> 'nhs england': the acronym rule then spells 'BBC'."""
    words = _CAMEL.sub(" ", handle).replace("_", " ")
    return _DIGIT_RUN.sub(lambda m: f" {say_digits(m.group(0))} ", words).strip()


def urls_rule(text: str, state: State) -> str:
    def email(m: re.Match[str]) -> str:
        user = " dot ".join(say_label(p, host=False) for p in m.group(1).split(".") if p)
        return state.keep(f"{user} at {say_host(m.group(2))}")

    text = state.sub(_EMAIL, email, text, "e-mail address")
    text = state.sub(_URL, lambda m: state.keep(say_host(m.group(1))), text, "web address")
    text = state.sub(_DOMAIN, lambda m: state.keep(say_host(m.group(1))), text, "web address")
    text = state.sub(_HANDLE, lambda m: "at " + _say_handle(m.group(1)), text, "handle")
    return state.sub(_HASHTAG, lambda m: _CAMEL.sub(" ", m.group(1)), text, "hashtag")
