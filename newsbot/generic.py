"""The extractor for sites without their own module: GNE finds the body, newsbot's Chinese-news rules the rest.

GNE was chosen by ``bench/extraction.py``: the best body F1 of the libraries that keep the body as HTML with
its images. The rules on top, each scored there: a lone paragraph GNE picks is widened to the element holding
its siblings (body F1 0.959 -> 0.974); the date is the one shown in a date/time/source element by the
headline, not ``article:published_time`` (Sina's is the last update; 9/21 -> 21/21 to the minute); the title
is an ``<h1>`` or ``<title>`` part the page shows (GNE takes a site name on some pages); the outlet and editor
come from ``来源：`` and ``责任编辑：``."""

from __future__ import annotations

import copy
import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
from gne import GeneralNewsExtractor
from lxml import etree

from newsbot.body import inner_html
from newsbot.dates import find_datetime, parse_datetime
from newsbot.sites import drop_furniture
from newsbot.sites.base import FINANCE, Categories, Extracted, NotAnArticle

DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "og:release_date",
    "article:published",
    "publishdate",
    "publish_date",
    "pubdate",
    "publishtime",
    "pubtime",
    "datepublished",
    "dc.date.issued",
    "dc.date",
    "weibo: article:create_at",
)
MIN_BODY_CHARS = 20
MIN_TITLE_CHARS = 4
MARKED_TEXT_CHARS = 200
PARAGRAPH_TAGS = frozenset({"p", "span", "font"})
TITLE_PARTS = re.compile(r"\s*(?:_+|\|+|｜|-{1,2}|–|—|－{1,2})\s*")
TITLE_SEPARATORS = re.compile(r"\s*(?:_+|\s\|\s|\||｜|\s-{1,2}\s|\s–\s|\s—\s|－{1,2})\s*")
_DATED = re.compile(r"date|time|pub|info|source", re.IGNORECASE)
_OUTLET = re.compile(r"来源\s*[:：]\s*([^\s<>|/，,。:：()（）]{2,30})")
_EDITOR = re.compile(r"(?:责任编辑|责编)\s*[:：]\s*([^\s<>|/，,。()（）]{2,20})")
_NOISE = "script", "noscript", "iframe", "form", "button", "input", "select", "textarea"
_VISIBLE_TEXT = etree.XPath("descendant-or-self::text()[not(ancestor::script or ancestor::style)]")


def site_name(url: str) -> str:
    """The folder of a generic site's posts: its host, dots as dashes."""
    return (urlsplit(url).hostname or "unknown").lower().replace(".", "-")


def categories(url: str) -> Categories:
    """Finance, then the host for both the site and the channel name."""
    host = (urlsplit(url).hostname or "unknown").lower()
    return Categories(FINANCE, host, host)


def _clean(text: str) -> str:
    return " ".join(text.split())


def visible_text(element: etree._Element) -> str:
    """The element's text outside scripts and styles, whitespace collapsed."""
    return _clean(" ".join(_VISIBLE_TEXT(element)))


def _meta(root: lxml.html.HtmlElement, names: tuple[str, ...]) -> list[str]:
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key in names and content and key not in found:
            found[key] = content
    return [found[name] for name in names if name in found]


def _strip_suffix(title: str) -> str:
    """A ``<title>``'s headline: the part before the site names, or the longest part."""
    parts = [part for part in TITLE_SEPARATORS.split(title) if part]
    if not parts:
        return title
    first = parts[0]
    return first if len(first) >= max(len(part) for part in parts) / 2 else max(parts, key=len)


def _title_parts(page_title: str) -> list[str]:
    return [part for part in TITLE_PARTS.split(page_title) if len(part) >= MIN_TITLE_CHARS]


def find_title(root: lxml.html.HtmlElement, found: str) -> str:
    """The headline: an ``<h1>`` the ``<title>`` holds, else the longest part of the ``<title>`` that some
    element of the page shows whole, else the library's title, else the ``<title>`` less its site suffix."""
    page_title = _clean(root.findtext(".//title") or "")
    for heading in root.iter("h1"):
        text = _clean(heading.text_content())
        if len(text) >= MIN_TITLE_CHARS and text in page_title:
            return text
    parts = set(_title_parts(page_title))
    body = root.find("body")
    shown = {
        text
        for element in (body.iter(etree.Element) if body is not None else ())
        if element.tag not in ("script", "style", "a") and (text := _clean(element.text_content())) in parts
    }
    if shown:
        return max(shown, key=len)
    return _clean(found) or _strip_suffix(page_title)


def _marked(root: lxml.html.HtmlElement) -> list[str]:
    """The short texts of elements whose class or id says date, time, source or info, in page order."""
    texts = []
    for element in root.iter(etree.Element):
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag not in ("script", "style") and _DATED.search(marker):
            text = visible_text(element)
            if len(text) < MARKED_TEXT_CHARS:
                texts.append(text)
    return texts


def find_outlet(root: lxml.html.HtmlElement) -> str | None:
    """The original outlet named after ``来源：``, by the headline first, else anywhere on the page."""
    for text in [*_marked(root), visible_text(root)]:
        if match := _OUTLET.search(text):
            return match.group(1)
    return None


def find_published(root: lxml.html.HtmlElement, fallback: str | None) -> datetime | None:
    """The publication time: the date shown by the headline, then meta tags, then the library's guess."""
    for text in _marked(root):
        if (moment := find_datetime(text)) is not None:
            return moment
    for value in _meta(root, DATE_META):
        if (moment := parse_datetime(value)) is not None:
            return moment
    return parse_datetime(fallback) if fallback else None



def clean_body(body: lxml.html.HtmlElement) -> str:
    """The body node's inside without scripts, embedded frames, form controls and the furniture every site
    may hold (hidden elements, spacer and tracking images: ``drop_furniture``)."""
    for element in list(body.iter(*_NOISE, etree.Comment)):
        element.drop_tree()
    drop_furniture(body)
    return inner_html(body).strip()


def _widened(body: etree._Element, root: lxml.html.HtmlElement) -> etree._Element:
    """A lone paragraph the library chose, replaced by the page element holding it and its siblings."""
    if body.tag not in PARAGRAPH_TAGS:
        return body
    text = _clean(body.text_content())
    for paragraph in root.iter(body.tag):
        parent = paragraph.getparent()
        if parent is not None and _clean(paragraph.text_content()) == text:
            return copy.deepcopy(parent)
    return body


def body_node(html: str, root: lxml.html.HtmlElement) -> tuple[etree._Element | None, dict]:
    """The element GNE takes for the body (its inside is the body), and GNE's other findings."""
    found = GeneralNewsExtractor().extract(html, with_body_html=True)
    fragment = found.get("body_html") or ""
    if not fragment.strip():
        return None, found
    wrapper = lxml.html.fragment_fromstring(fragment, create_parent="div")
    if len(wrapper) == 1 and not (wrapper.text or "").strip() and not (wrapper[0].tail or "").strip():
        return _widened(wrapper[0], root), found
    return wrapper, found


def extract(html: str, url: str) -> Extracted:
    """Title, date, outlet, editor and body HTML of an article page of any site."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as error:
        raise NotAnArticle(f"not an HTML page: {error}") from None
    body, found = body_node(html, root)
    if body is None:
        raise NotAnArticle("no article body found")
    body_html = clean_body(body)
    if len(visible_text(body)) < MIN_BODY_CHARS:
        raise NotAnArticle("no article body found")
    title = find_title(root, found.get("title", ""))
    if not title:
        raise NotAnArticle("no title found")
    editor = _EDITOR.search(visible_text(root))
    canonical = (root.xpath("//link[@rel='canonical']/@href") or [""])[0].strip()
    return Extracted(
        title=title,
        body_html=body_html,
        published=find_published(root, found.get("publish_time")),
        outlet=find_outlet(root),
        editor=editor.group(1) if editor else None,
        canonical_url=urljoin(url, canonical) if canonical else None,
    )
