"""Article body HTML: serialising an element's inside and normalising it for the archive (SPEC.md, Body)."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree

URL_ATTRIBUTES = ("src", "href")
ACTIVE_ELEMENTS = ("script", "meta", "base")
ACTIVE_ATTRIBUTES = ("srcdoc",)
_PARSER = lxml.html.HTMLParser(huge_tree=True)
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def inner_html(element: etree._Element) -> str:
    """The element's content as HTML: its text, then each child with its tail."""
    parts = [html.escape(element.text or "", quote=False)]
    parts += [lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in element]
    return "".join(parts)


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse body HTML into a ``<div>`` holding it, whatever its first node is, however deep it nests
    (libxml2 otherwise drops everything below 255 levels, as unclosed ``<div>``s or ``<font>``s reach)."""
    return lxml.html.fragment_fromstring(html or "", create_parent="div", parser=_PARSER)


def escape_braces(html: str) -> str:
    """Write ``{`` and ``}`` as character references, so Hexo's Nunjucks pass leaves the text alone."""
    return html.replace("{", "&#123;").replace("}", "&#125;")


def _runs_script(name: str, value: str) -> bool:
    """Whether an attribute runs code: an ``on*`` handler, ``srcdoc``, or a value holding a script URL."""
    compact = "".join(value.split()).lower()
    name = name.lower()
    return (
        name.startswith("on")
        or name in ACTIVE_ATTRIBUTES
        or "javascript:" in compact
        or compact.startswith("vbscript:")
    )



def normalise(html: str, base_url: str) -> tuple[str, str | None]:
    """Normalise served body HTML and return it with its first image URL (``None`` without one); beyond SPEC.md,
    ``<meta>``, ``<base>``, ``srcdoc``, any ``javascript:`` value and control characters go too."""
    root = parse_fragment(_CONTROL_CHARACTERS.sub("", html))
    for active in root.xpath(" | ".join(f".//{tag}" for tag in ACTIVE_ELEMENTS)):
        active.drop_tree()
    first_image = None
    for element in root.iter(etree.Element):
        for name in list(element.attrib):
            value = element.attrib[name]
            if _runs_script(name, value):
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
