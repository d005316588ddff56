"""Word documents (.docx) to HTML with mammoth, for the HTML path: Word's headings stay headings."""

from __future__ import annotations

import html
import io
import re
import zipfile

from ..errors import InputError

# Past this much unpacked XML a .docx is a zip bomb, not an article (a novel is ~5 MB unpacked).
MAX_UNPACKED = 200_000_000
# Word's own styles mammoth leaves unmapped: the Title paragraph is the headline, a Subtitle a paragraph.
_STYLE_MAP = "p[style-name='Title'] => h1:fresh\np[style-name='Subtitle'] => p:fresh"
_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def is_docx(data: bytes) -> bool:
    """A zip holding word/document.xml: a Word document, whatever it is named."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def docx_html(data: bytes, name: str) -> str:
    """The document as an HTML page: its headline as <title>, its paragraphs and headings in <article>.

    The headline is a heading that opens the document (Word's Title or Heading styles), else the
    document's title property, else its first heading.
    """
    import mammoth  # only .docx articles need it

    _check_size(data, name)
    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=_STYLE_MAP)
    except Exception as exc:  # mammoth raises assorted errors on damaged documents; none is ours to pass up
        raise InputError(
            f"{name} is not a Word document narrate can read ({type(exc).__name__}): "
            "open it in Word and save it again as .docx"
        ) from None
    body = result.value.strip()
    if not _TAG.sub("", body).strip():
        raise InputError(f"{name} has no text: check it is the article, not an empty template")
    headings = [_text(m.group(1)) for m in _HEADING.finditer(body)]
    core = _core_title(data)
    if re.match(r"<h[1-6]", body):
        headline = headings[0]
    elif core:  # opened as a heading of the page, so the HTML path takes it as the headline
        headline, body = core, f"<h1>{html.escape(core)}</h1>\n{body}"
    else:
        headline = next(iter(headings), "")
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(headline)}</title></head>\n<body><article>\n{body}\n</article></body></html>\n"
    )


def _check_size(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(f"{name} is a damaged Word document: open it in Word and save it again") from None
    if unpacked > MAX_UNPACKED:
        raise InputError(f"{name} unpacks to over {MAX_UNPACKED // 1_000_000} MB: it is not an article")


def _core_title(data: bytes) -> str | None:
    """The document's title property (docProps/core.xml dc:title), when it has one."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("docProps/core.xml")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(xml, parser)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, etree.XMLSyntaxError):
        return None
    found = root.find("{http://purl.org/dc/elements/1.1/}title")
    title = " ".join((found.text or "").split()) if found is not None else ""
    return title or None


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())
