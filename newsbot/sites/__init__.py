"""Site modules: one per site, each holding that site's URL rules, categories and extraction.

A site module defines ``NAME`` (the folder its posts go to), ``HOSTS`` (host names it serves, a leading
dot matching any subdomain), ``categories(url)``, ``doc_id(url)`` and ``extract(html, url)``, and may define
``KEPT_BLOCKS``: CSS selectors of the site's own blocks that its bodies keep, whose images are never the
article's picture (SPEC.md, headimg). The helpers below are the page-reading steps the site modules share.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable
from importlib import import_module
from types import ModuleType
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from newsbot.body import inner_html, shows_anything
from newsbot.sites.base import NotAnArticle
from newsbot.trees import html_parser, xpath

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
_PARSER = html_parser()
# An image this many pixels wide or high, or less, is a spacer or a tracking pixel.
PIXEL_SIZE = 2

_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_STYLE_SIZE = re.compile(r"(?<![-\w])(?:width|height)\s*:\s*(\d+(?:\.\d+)?)\s*px", re.IGNORECASE)
_ATTRIBUTE_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$", re.IGNORECASE)
_LABEL_END = re.compile(r"\s{2,}|[|｜【】\[\]()（）]|(?:来源|作者|编辑|责任编辑|责编|时间|发布时间)\s*[:：]")


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("."):
        return host == pattern[1:] or host.endswith(pattern)
    return host == pattern


def site_for_url(url: str) -> ModuleType | None:
    """The site module serving ``url``'s host, or ``None`` where no module does."""
    return site_for_host((urlsplit(url).hostname or "").lower())


@functools.lru_cache(maxsize=1024)
def site_for_host(host: str) -> ModuleType | None:
    """The site module serving the lower-cased ``host``, or ``None`` where no module does."""
    for name in SITE_MODULES:
        module = import_module(name)
        if any(_host_matches(host, pattern) for pattern in module.HOSTS):
            return module
    return None


def kept_blocks(url: str) -> tuple[str, ...]:
    """CSS selectors of the site blocks kept in the bodies of ``url``'s site (its ``KEPT_BLOCKS``), else ``()``."""
    site = site_for_url(url)
    return getattr(site, "KEPT_BLOCKS", ()) if site is not None else ()


def all_kept_blocks() -> tuple[str, ...]:
    """The ``KEPT_BLOCKS`` of every site module, for checking posts whose site is not known."""
    return tuple(selector for name in SITE_MODULES for selector in getattr(import_module(name), "KEPT_BLOCKS", ()))


def url_host(url: str) -> str:
    """The lower-cased host name of ``url``."""
    return (urlsplit(url).hostname or "").lower()


def parse_page(html: str) -> lxml.html.HtmlElement:
    """The document tree of a decoded page (an XML declaration, which lxml refuses in text, is dropped)."""
    return lxml.html.document_fromstring(
        _XML_DECLARATION.sub("", html, count=1) or "<html></html>", parser=_PARSER
    )


def text_of(element: etree._Element | str) -> str:
    """An element's (or attribute value's) text with whitespace collapsed."""
    text = element if isinstance(element, str) else element.text_content()
    return " ".join(text.split())


def first_text(doc: etree._Element, xpaths: Iterable[str]) -> str | None:
    """The collapsed text of the first non-empty node the XPaths find, in order."""
    for expression in xpaths:
        for node in xpath(doc, expression):
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


def hidden(element: etree._Element) -> bool:
    """Whether the page never shows ``element``: ``display:none``, ``visibility:hidden`` or ``hidden``."""
    return element.get("hidden") is not None or bool(_HIDDEN.search(element.get("style") or ""))


def pixel(element: etree._Element) -> bool:
    """Whether ``element`` is an image at most ``PIXEL_SIZE`` pixels wide or high (a spacer, a tracking pixel)."""
    if element.tag != "img":
        return False
    sizes = [float(size) for size in _STYLE_SIZE.findall(element.get("style") or "")]
    for name in ("width", "height"):
        if match := _ATTRIBUTE_SIZE.match(element.get(name) or ""):
            sizes.append(float(match.group(1)))
    return any(size <= PIXEL_SIZE for size in sizes)


def drop_between_comments(body: lxml.html.HtmlElement, begin: str, end: str) -> None:
    """Remove the elements between a comment holding ``begin`` and the next one holding ``end``: the markers
    a site's CMS puts around a block it inserts into articles (an advert, a promotion)."""
    start, between = None, []
    for node in list(body.iter()):
        text = (node.text or "") if isinstance(node, etree._Comment) else None
        if text is not None and start is None and begin in text:
            start, between = node, []
        elif text is not None and start is not None and end in text:
            around = set(node.iterancestors())
            for element in between:
                if element not in around:
                    element.drop_tree()
            start = None
        elif start is not None:
            between.append(node)


def drop_furniture(
    body: lxml.html.HtmlElement, xpaths: Iterable[str] = (), marked: Iterable[tuple[str, str]] = ()
) -> None:
    """Remove, keeping the text that follows each, what inside ``body`` is no part of the article: hidden
    elements, spacer and tracking images, the site's own blocks ``xpaths`` (relative to ``body``) find and
    those between the ``(begin, end)`` comments of ``marked``."""
    doomed = [element for element in body.iter(etree.Element) if hidden(element) or pixel(element)]
    doomed += [element for expression in xpaths for element in xpath(body, expression)]
    for element in doomed:
        if element is not body and element.getparent() is not None:
            element.drop_tree()
    for begin, end in marked:
        drop_between_comments(body, begin, end)


def body_html(
    doc: etree._Element,
    xpaths: Iterable[str],
    furniture: Iterable[str] = (),
    marked: Iterable[tuple[str, str]] = (),
) -> str:
    """The inner HTML of the first element the XPaths find that holds text once ``drop_furniture`` has
    removed what is no part of the article; ``NotAnArticle`` when none does. ``doc`` is left as it was."""
    for expression in xpaths:
        for found in xpath(doc, expression):
            element = copy.deepcopy(found)
            drop_furniture(element, furniture, marked)
            if shows_anything(element):
                return inner_html(element)
    raise NotAnArticle("no article body")


def require_title(title: str | None) -> str:
    """The title, or ``NotAnArticle`` when the page has none."""
    if not title:
        raise NotAnArticle("no article title")
    return title
