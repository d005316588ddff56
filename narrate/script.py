"""Article and profile to the Script: intro, body chapters of speakable sentences, outro."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable

from .errors import InputError
from .lexicon import Lexicon
from .models import Article, Chapter, Paragraph, Script, Sentence
from .profile import Bookend, Profile, TemplateLine
from .sentences import split_paragraph
from .speech import SpeechRules, speak



def build_script(article: Article, profile: Profile, lexicon: Lexicon | None = None) -> Script:
    """Every sentence the voice will say, with its written form, grouped into chapters."""
    rules = profile.speech_rules(lexicon)
    limit = profile.speech.chunk_limit

    def paragraph(text: str) -> Paragraph:
        return Paragraph(_sentences(text, rules, limit))

    body: list[Chapter] = []
    for number, section in enumerate(article.sections):
        paragraphs = [paragraph(p) for p in section.paragraphs]
        paragraphs = [p for p in paragraphs if p.sentences]
        if section.heading:
            heading = _as_statement(paragraph(section.heading))
            if heading.sentences:
                body.append(Chapter(section.heading, "body", (heading, *paragraphs), has_heading=True))
                continue
        if paragraphs:
            title = article.title if number == 0 else f"{article.title} ({number + 1})"
            body.append(Chapter(title, "body", tuple(paragraphs)))
    if not body:
        raise InputError("the article has a title but no text to read: add paragraphs below the title")

    fields = template_fields(article, profile)
    chapters = [
        c
        for c in (_bookend(profile.intro, "intro", fields, paragraph), *body,
                  _bookend(profile.outro, "outro", fields, paragraph))
        if c is not None
    ]
    return Script(title=article.title, author=article.author, date=article.date, chapters=tuple(chapters),
                  standfirst=article.standfirst)


def _as_statement(paragraph: Paragraph) -> Paragraph:
    """A heading has no full stop; give the voice one so it ends with a falling tone."""
    return Paragraph(tuple(
        s if re.search(r"[.!?…:;]['\"’”)]*$", s.spoken) else Sentence(s.text, s.spoken + ".")
        for s in paragraph.sentences
    ))


def _sentences(text: str, rules: SpeechRules, limit: int) -> tuple[Sentence, ...]:
    out = []
    for written in split_paragraph(text, limit):
        spoken = speak(written, rules)
        if spoken.strip():
            out.append(Sentence(written, spoken))
    return tuple(out)


def template_fields(article: Article, profile: Profile) -> dict[str, str | None]:
    """The values intro and outro templates may use."""
    return {
        "title": article.title,
        "author": article.author,
        "publication": profile.podcast.publication or profile.podcast.name or None,
        "podcast": profile.podcast.name or None,
        "date": spoken_date(article.date, profile.speech.locale) if article.date else None,
    }


def spoken_date(date: dt.date, locale: str) -> str:
    """A date as a reader writes it for that locale; the speech stage then says it naturally."""
    month = date.strftime("%B")
    return f"{month} {date.day}, {date.year}" if locale == "en-US" else f"{date.day} {month} {date.year}"


def fill_line(line: TemplateLine, fields: dict[str, str | None]) -> str | None:
    """The first alternative whose fields are all known, filled in; None when none is."""
    options = (line,) if isinstance(line, str) else line
    for option in options:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(option) if name is not None]
        except ValueError:
            return None
        if all(fields.get(n) for n in names):
            try:
                filled = option.format_map({n: fields[n] for n in names}).strip()
            except (KeyError, IndexError, ValueError, AttributeError):
                return None
            return re.sub(r"([.!?…])['’\"”]?\.$", lambda m: m[0][:-1], filled)
    return None


def _bookend(
    bookend: Bookend,
    kind: str,
    fields: dict[str, str | None],
    paragraph: Callable[[str], Paragraph],
) -> Chapter | None:
    lines = [text for text in (fill_line(line, fields) for line in bookend.lines) if text]
    if not lines:
        return None
    sentences = tuple(s for text in lines for s in paragraph(text).sentences)
    if not sentences:
        return None
    title = bookend.chapter or kind.capitalize()
    return Chapter(title, kind, (Paragraph(sentences),))  # type: ignore[arg-type]
