"""Article and profile to the Script: intro, body chapters of speakable sentences, outro."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable

from ..errors import InputError
from ..models import Article, Chapter, Paragraph, Script, Sentence
from ..profile import Bookend, Profile, TemplateLine
from .dates import written_date
from .lexicon import Lexicon
from .phonemes import espeak_phonemizer, voice_language
from .sentences import split_paragraph
from .speech import Rewrite, SpeechRules, explain, speak


def build_script(article: Article, profile: Profile, lexicon: Lexicon | None = None) -> Script:
    """Every sentence the voice will say, with its written form, grouped into chapters."""
    rules = speech_rules(profile, lexicon)
    limit = profile.speech.chunk_limit
    dropped: dict[str, int] = {}
    notes: list[str] = []  # speech rules that failed, sentence by sentence

    def paragraph(text: str) -> Paragraph:
        return Paragraph(_sentences(text, rules, limit, dropped, notes))

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
        if dropped:
            raise InputError(
                f"nothing the English voice can say: the text is in {_scripts(dropped)}; "
                "use a voice and profile for that language"
            )
        if any(p.strip() for p in article.paragraphs):
            raise InputError("nothing the voice can say: the text is only symbols or emoji; check the file")
        raise InputError("the article has a title but no text to read: add paragraphs below the title")

    fields = template_fields(article, profile)
    chapters = [
        c
        for c in (
            _bookend(profile.intro, "intro", fields, paragraph),
            *body,
            _bookend(profile.outro, "outro", fields, paragraph),
        )
        if c is not None
    ]
    warnings = article.warnings + tuple(notes)
    if dropped:
        count = sum(dropped.values())
        warnings += (f"left out {count} characters the English voice cannot say ({_scripts(dropped)})",)
    return Script(
        title=article.title,
        author=article.author,
        date=article.date,
        chapters=tuple(chapters),
        standfirst=article.standfirst,
        warnings=warnings,
    )


def speech_rules(profile: Profile, lexicon: Lexicon | None = None) -> SpeechRules:
    """The profile's speech rules, its lexicon merged with `lexicon` (whose entries win)."""
    merged = Lexicon(profile.lexicon)
    if lexicon is not None:
        merged = merged.merged(lexicon)
    # stressed respellings ("oo-sha-KOFF") become phonemes in the voice's own espeak language
    language = voice_language(profile.voice.name, profile.speech.locale)
    return SpeechRules.from_settings(profile.speech, merged.respelled(espeak_phonemizer(language)))


def explain_sentences(
    script: Script, profile: Profile, lexicon: Lexicon | None = None
) -> tuple[tuple[Rewrite, ...], ...]:
    """The rewrites behind each of the script's sentences, in `script.sentences` order."""
    rules = speech_rules(profile, lexicon)
    return tuple(explain(s.text, rules).rewrites for s in script.sentences)


def _as_statement(paragraph: Paragraph) -> Paragraph:
    """A heading has no full stop; give the voice one so it ends with a falling tone."""
    return Paragraph(
        tuple(
            s if re.search(r"[.!?…:;]['\"’”)]*$", s.spoken) else Sentence(s.text, s.spoken + ".")
            for s in paragraph.sentences
        )
    )


def _sentences(
    text: str, rules: SpeechRules, limit: int, dropped: dict[str, int], notes: list[str]
) -> tuple[Sentence, ...]:
    out = []
    for written in split_paragraph(text, limit):
        spoken = _sayable(speak(written, rules, warn=notes.append), dropped)
        if re.search(r"[A-Za-z0-9]", spoken):
            out.append(Sentence(written, spoken))
    return tuple(out)


_LATIN_OK = re.compile(r"[\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf\u2100-\u214f]")


_PHONEMES = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_MARK = "\ue000"  # a private-use character stands in for each [[ phonemes ]] block while filtering


def _sayable(spoken: str, dropped: dict[str, int]) -> str:
    """Drop letters of scripts an English voice would spell out or garble (CJK, Arabic, Cyrillic...)."""
    if spoken.isascii():
        return spoken
    spoken = spoken.replace(_MARK, "")
    kept = []
    for char in _PHONEMES.sub(_MARK, spoken):
        if _LATIN_OK.match(char) or not unicodedata.category(char).startswith(("L", "M", "N", "S")):
            kept.append(char)
            continue
        try:
            script = "symbol" if unicodedata.category(char)[0] == "S" else unicodedata.name(char).split()[0]
        except ValueError:
            script = "unnamed"
        dropped[script] = dropped.get(script, 0) + 1
    phonemes = iter(_PHONEMES.findall(spoken))  # lexicon [[ IPA ]] passes through untouched
    text = re.sub(_MARK, lambda _: next(phonemes), "".join(kept))
    # punctuation left stranded by the dropped words (", ," or a leading comma) is noise to the voice
    text = re.sub(r"\s*([,;:])(?:\s*[,;:])+", r"\1", text)
    return re.sub(r"\s+", " ", text).strip(" ,;:")


def _scripts(dropped: dict[str, int]) -> str:
    names = sorted(dropped, key=lambda k: -dropped[k])
    return ", ".join(n.title() for n in names[:4])


def template_fields(article: Article, profile: Profile) -> dict[str, str | None]:
    """The values intro and outro templates may use."""
    return {
        "title": article.title,
        "author": article.author,
        "publication": profile.podcast.publication or profile.podcast.name or None,
        "podcast": profile.podcast.name or None,
        "date": written_date(article.date, profile.speech.locale) if article.date else None,
    }


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
    lines = [text for text in (fill_line(line, fields) for line in bookend.all_lines) if text]
    if not lines:
        return None
    sentences = tuple(s for text in lines for s in paragraph(text).sentences)
    if not sentences:
        return None
    title = bookend.chapter or kind.capitalize()
    return Chapter(title, kind, (Paragraph(sentences),))  # type: ignore[arg-type]
