"""Site modules: one per site, each holding that site's URL rules, categories and extraction.

A site module defines ``NAME`` (the folder its posts go to), ``HOSTS`` (host names it serves, a leading
dot matching any subdomain), ``categories(url)``, ``doc_id(url)`` and ``extract(html, url)``. The helpers
below are the page-reading steps the site modules share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import import_module
from types import ModuleType
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from newsbot.body import has_text, inner_html
from newsbot.sites.base import NotAnArticle

SITE_MODULES = (
    "newsbot.sites.sina",
    "newsbot.sites.netease",
    "newsbot.sites.sohu",
    "newsbot.sites.qq",
    "newsbot.sites.stcn",
    "newsbot.sites.hexun",
    "newsbot.sites.caijing",
    "newsbot.sites.people",
    "newsbot.sites.xinhua",
    "newsbot.sites.mingridapan",
)

# An element whose own text names the editor, outside scripts that write such lines.
EDITOR_LINE = '//*[not(self::script or self::style)][contains(text(), "责任编辑")]'

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_LABEL_END = re.compile(r"\s{2,}|[|｜【】\[\]()（）]|(?:来源|作者|编辑|责任编辑|责编|时间|发布时间)\s*[:：]")


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("."):
        return host == pattern[1:] or host.endswith(pattern)
    return host == pattern


def site_for_url(url: str) -> ModuleType | None:
    """The site module serving ``url``'s host, or ``None`` where no module does."""
    host = (urlsplit(url).hostname or "").lower()
    for name in SITE_MODULES:
        module = import_module(name)
        if any(_host_matches(host, pattern) for pattern in module.HOSTS):
            return module
    return None


def url_host(url: str) -> str:
    """The lower-cased host name of ``url``."""
    return (urlsplit(url).hostname or "").lower()


def parse_page(html: str) -> lxml.html.HtmlElement:
    """The document tree of a decoded page (an XML declaration, which lxml refuses in text, is dropped)."""
    return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1) or "<html></html>")


def text_of(element: etree._Element | str) -> str:
    """An element's (or attribute value's) text with whitespace collapsed."""
    text = element if isinstance(element, str) else element.text_content()
    return " ".join(text.split())


def first_text(doc: etree._Element, xpaths: Iterable[str]) -> str | None:
    """The collapsed text of the first non-empty node the XPaths find, in order."""
    for xpath in xpaths:
        for node in doc.xpath(xpath):
            if text := text_of(node):
                return text
    return None


def meta_content(doc: etree._Element, *names: str) -> str | None:
    """The first non-empty ``<meta>`` content among ``names`` (``name`` or ``property`` attributes)."""
    xpaths = [f'//meta[@name="{name}" or @property="{name}"]/@content' for name in names]
    return first_text(doc, xpaths)


def after_label(text: str | None, *labels: str) -> str | None:
    """What follows the first of ``labels`` (``来源``, ``责任编辑``...) and a colon, up to the next field."""
    if not text:
        return None
    for label in labels:
        match = re.search(re.escape(label) + r"\s*[:：]\s*[\[【]?\s*", text)
        if match:
            value = _LABEL_END.split(text[match.end() :], maxsplit=1)[0].strip(" 　:：")
            if value:
                return value
    return None


def title_before(title: str | None, *separators: str) -> str | None:
    """A ``<title>`` without the site's suffix: the text before the first of ``separators``."""
    if not title:
        return None
    for separator in separators:
        title = title.split(separator, 1)[0]
    return title.strip() or None


def body_html(doc: etree._Element, xpaths: Iterable[str]) -> str:
    """The inner HTML of the first element the XPaths find that holds text; ``NotAnArticle`` when none does."""
    for xpath in xpaths:
        for element in doc.xpath(xpath):
            html = inner_html(element)
            if has_text(html):
                return html
    raise NotAnArticle("no article body")


def require_title(title: str | None) -> str:
    """The title, or ``NotAnArticle`` when the page has none."""
    if not title:
        raise NotAnArticle("no article title")
    return title
