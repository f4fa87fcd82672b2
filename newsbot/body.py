"""Article body HTML: serialising an element's inside and normalising it for the archive (SPEC.md, Body)."""

from __future__ import annotations

import html
from urllib.parse import urljoin

import lxml.html
from lxml import etree

URL_ATTRIBUTES = ("src", "href")
SCRIPT_URL_ATTRIBUTES = ("src", "href", "action", "formaction", "data", "poster", "background", "xlink:href")


def inner_html(element: etree._Element) -> str:
    """The element's content as HTML: its text, then each child with its tail."""
    parts = [html.escape(element.text or "", quote=False)]
    parts += [lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in element]
    return "".join(parts)


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse body HTML into a ``<div>`` holding it, whatever its first node is."""
    return lxml.html.fragment_fromstring(html or "", create_parent="div")


def escape_braces(html: str) -> str:
    """Write ``{`` and ``}`` as character references, so Hexo's Nunjucks pass leaves the text alone."""
    return html.replace("{", "&#123;").replace("}", "&#125;")


def _is_script_url(value: str) -> bool:
    return "".join(value.split()).lower().startswith(("javascript:", "vbscript:"))


def _drop_keep_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def normalise(html: str, base_url: str) -> tuple[str, str | None]:
    """Normalise served body HTML; return it with the URL of its first image (``None`` without one)."""
    root = parse_fragment(html)
    for script in root.xpath(".//script"):
        _drop_keep_tail(script)
    first_image = None
    for element in root.iter(etree.Element):
        for name in list(element.attrib):
            value = element.attrib[name]
            if name.lower().startswith("on") or (name in SCRIPT_URL_ATTRIBUTES and _is_script_url(value)):
                del element.attrib[name]
            elif name in URL_ATTRIBUTES and value.strip():
                element.attrib[name] = urljoin(base_url, value.strip())
        if element.tag == "img":
            element.set("referrerpolicy", "no-referrer")
            src = element.get("src", "")
            if first_image is None and src.startswith(("http://", "https://")):
                first_image = src
    return escape_braces(inner_html(root)), first_image


def has_text(html: str) -> bool:
    """Whether body HTML shows anything: visible text outside comments, scripts and styles, or an image."""
    root = parse_fragment(html)
    if root.xpath(".//img[@src]"):
        return True
    return bool("".join(root.xpath(".//text()[not(ancestor::style)][not(ancestor::script)]")).strip())
