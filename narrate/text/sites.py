"""A publication's per-site extraction tweaks: page parts to drop, or to take as the body, before cleaning."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree, html

from ..errors import InputError
from ..profile import SiteRules


def rules_for(url: str | None, sites: Mapping[str, SiteRules]) -> SiteRules | None:
    """The rules for a page's host: its own entry, else its nearest parent domain's (www.x.com -> x.com)."""
    if not url or not sites:
        return None
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    while host:
        if host in sites:
            return sites[host]
        host = host.partition(".")[2]
    return None


def apply_rules(page: str, rules: SiteRules, name: str) -> str:
    """The page with `drop` matches removed and, with `body`, only those matches kept in <body>.

    The <head> (title, meta tags, JSON-LD) stays, so the metadata is found as before.
    """
    try:
        root = html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return page  # the cleaner reports a page with nothing in it
    for selector in rules.drop:
        for element in _select(root, selector):
            if element.getparent() is not None:
                element.drop_tree()
    if rules.body:
        kept = [e for selector in rules.body for e in _select(root, selector)]
        if not kept:
            raise InputError(
                f"{name}: no part of the page matches the profile's body selectors "
                f"({', '.join(rules.body)}): the site's layout changed; fix [sites] in the profile"
            )
        body = root.find("body")
        if body is None:
            body = etree.SubElement(root, "body")
        article = html.Element("article")
        for element in _outermost(kept):
            article.append(element)  # moves it out of its old place
        for child in list(body):
            body.remove(child)
        body.text = None
        body.append(article)
    return html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def _select(root: html.HtmlElement, selector: str) -> list[html.HtmlElement]:
    found = _compiled(selector.strip())(root)
    return [e for e in found if isinstance(e, etree.ElementBase)] if isinstance(found, list) else []


@lru_cache(maxsize=256)
def _compiled(selector: str) -> etree.XPath:
    """CSS through cssselect's HTML translator, or XPath as written (profile loading checked both)."""
    if selector.startswith(("/", "(")):
        return etree.XPath(selector)
    from lxml.cssselect import CSSSelector

    return CSSSelector(selector, translator="html")


def _outermost(elements: list[html.HtmlElement]) -> list[html.HtmlElement]:
    """Each element once, in the order chosen, without those inside another chosen one."""
    chosen = {id(e) for e in elements}
    seen: set[int] = set()
    found = []
    for element in elements:
        if id(element) in seen or any(id(a) in chosen for a in element.iterancestors()):
            continue
        seen.add(id(element))
        found.append(element)
    return found
