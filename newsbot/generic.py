"""The extractor for sites without their own module: GNE finds the body, newsbot's Chinese-news rules the rest.

GNE was chosen by ``bench/extraction.py``: the best body F1 of the libraries that keep the body as HTML with
its images. GNE's cleaned tree only says where the body is: the archived body is the inner HTML of the
matching element of the page as served (its ``<br>``, ``<span>`` and wrappers kept), found as the element
holding the text GNE took, stepped down from a container that also holds the headline and the date line; a
lone paragraph GNE picks is widened to the element holding its siblings (body F1 0.959 -> 0.974). The title is
an ``<h1>`` or a ``<title>`` part the page shows, never the site's name. The date is the one that belongs to the
headline: the nearest after the ``<h1>``, else just above it, else below the body, never in the page's header,
navigation or lists of other articles (a portal's top bar shows the day of the crawl), before
``article:published_time`` (Sina's is the last update). A page that is a list of dated headline links is not an
article. Pages with a stray ``</body></html>`` before the article are read as browsers read them (HTML5)."""

from __future__ import annotations

import copy
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import html5lib
import lxml.html
from gne import GeneralNewsExtractor
from gne.exceptions import NoContentException
from html5lib.constants import DataLossWarning
from lxml import etree

from newsbot.body import inner_html
from newsbot.dates import find_datetime, parse_datetime
from newsbot.sites import drop_furniture, parse_page
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
SITE_NAME_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")
MIN_BODY_CHARS = 20
MIN_TITLE_CHARS = 4
MAX_TITLE_CHARS = 100
# A link with this much text is taken for a link to another article (a share or source link is shorter).
HEADLINE_LINK_CHARS = 8
MARKED_TEXT_CHARS = 200
INFO_LINE_CHARS = 80
# Text GNE left out of the body is dropped from the served body when this short or mostly links.
UNTAKEN_TEXT_CHARS = 40
# A text GNE took is located in the page by its first characters when it is this long or longer.
MATCHED_TEXT_CHARS = 6
# A container of the headline is stepped down into its child holding this share of the body's text.
STEP_DOWN_SHARE = 0.7
# The body is the deepest element holding this share of the text matched to GNE's.
CORE_SHARE = 0.9
# A body holding this many headline links that each sit by a date, making up half its text, is a list.
LIST_MIN_ITEMS = 5
LIST_TEXT_SHARE = 0.5
LIST_ANCESTORS = 3
PARAGRAPH_TAGS = frozenset({"p", "span", "font"})
INLINE_TAGS = frozenset({"span", "em", "i", "b", "strong", "font", "time", "label", "small", "cite"})
TITLE_PARTS = re.compile(r"\s*(?:_+|\|+|｜|-{1,2}|–|—|－{1,2})\s*")
TITLE_SEPARATORS = re.compile(r"\s*(?:_+|\s\|\s|\||｜|\s-{1,2}\s|\s–\s|\s—\s|－{1,2})\s*")
_DATED = re.compile(r"date|time|pub|info|source", re.IGNORECASE)
# Regions of a page that are not the article: its header and navigation, lists of other articles.
_FURNITURE_TAGS = frozenset(
    {"nav", "header", "footer", "aside", "a", "button", "select", "option", "marquee"}
)
_FURNITURE_MARKER = re.compile(
    r"(?:^|[\s_-])(?:nav\w*|menu\w*|top|topbar|topnav|topmenu|header|foot\w*|relate\w*|recommend\w*|hot\w*|rank\w*|side\w*|"
    r"crumbs?|breadcrumbs?|login|weather|toolbar|tool|banner|list\w*|more|xg\w*|tj\w*)(?=$|[\s_-])",
    re.IGNORECASE,
)
_TITLE_MARKER = re.compile(r"(?:^|[\s_-])(?:\w*title|headline|tit|bt)(?=$|[\s_-])", re.IGNORECASE)
_LOGO_MARKER = re.compile(r"logo|brand|site-?name|site_name", re.IGNORECASE)
_STRAY_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_HIDDEN_MARKUP = re.compile(
    r"<!--.*?-->|<(script|style|textarea|template|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]*>")
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml\b.*?\?>", re.DOTALL | re.IGNORECASE)
_ROOT_TAG = re.compile(r"(?:\s+|<!--.*?-->|<![^>]*>|<\?.*?\?>)*<([A-Za-z][^\s/>]*)", re.DOTALL)
FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
_OUTLET = re.compile(r"来源\s*[:：]\s*([^\s<>|/，,。:：()（）]{2,30})")
_EDITOR = re.compile(r"(?:责任编辑|责编)\s*[:：]\s*([^\s<>|/，,。()（）]{2,20})")
_NOISE = "script", "noscript", "iframe", "form", "button", "input", "select", "textarea"
_VISIBLE_TEXT = etree.XPath("descendant-or-self::text()[not(ancestor::script or ancestor::style)]")
_BODY_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::textarea"
    " or ancestor::template or ancestor::select)]"
)


def site_name(url: str) -> str:
    """The folder of a generic site's posts: its host, dots as dashes."""
    return (urlsplit(url).hostname or "unknown").lower().replace(".", "-")


def categories(url: str) -> Categories:
    """Finance, then the host for both the site and the channel name."""
    host = (urlsplit(url).hostname or "unknown").lower()
    return Categories(FINANCE, host, host)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _squeezed(text: str) -> str:
    return "".join(text.split())


def visible_text(element: etree._Element) -> str:
    """The element's text outside scripts and styles, whitespace collapsed."""
    return _clean(" ".join(_VISIBLE_TEXT(element)))


def has_stray_end(html: str) -> bool:
    """Whether text a browser shows follows the first ``</body>`` or ``</html>``: libxml2 drops what follows
    them, browsers do not (markup without visible text there, such as trailing scripts, does not count)."""
    end = _STRAY_END.search(html)
    if end is None:
        return False
    rest = _HIDDEN_MARKUP.sub("", html[end.end() :])
    return len(_squeezed(_TAG.sub("", rest))) >= MIN_BODY_CHARS


def parse_document(html: str) -> tuple[lxml.html.HtmlElement, str]:
    """The page's tree and the HTML GNE reads: as served, or re-serialised from an HTML5 parse (html5lib,
    the WHATWG algorithm browsers follow) when a stray ``</body></html>`` would make libxml2 drop the rest."""
    if not has_stray_end(html):
        return parse_page(html), html
    with warnings.catch_warnings():
        # Names lxml cannot hold (``sohu_cms_include:x``) are coerced; the page's text is kept.
        warnings.simplefilter("ignore", DataLossWarning)
        tree = html5lib.parse(html, treebuilder="lxml", namespaceHTMLElements=False)
    served = etree.tostring(tree.getroot(), method="html", encoding="unicode")
    return parse_page(served), served


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


def _marker(element: etree._Element) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


def _home_link(anchor: etree._Element) -> bool:
    href = (anchor.get("href") or "").strip()
    parts = urlsplit(href)
    relative_home = href in ("/", "./", "index.html", "index.shtml", "/index.html", "/index.shtml")
    return relative_home or (
        parts.scheme in ("http", "https") and parts.path in ("", "/") and not parts.query
    )


def _is_logo(element: etree._Element) -> bool:
    """Whether the element sits in the site's logo or brand block, or in a link to the home page."""
    for ancestor in element.iterancestors():
        if _LOGO_MARKER.search(_marker(ancestor)) or (ancestor.tag == "a" and _home_link(ancestor)):
            return True
    return bool(_LOGO_MARKER.search(_marker(element)))


def site_names(root: lxml.html.HtmlElement) -> set[str]:
    """What the page shows as the site's name: its logo or brand block, links to the home page, and
    ``og:site_name``-like meta tags."""
    names = {_clean(value) for value in _meta(root, SITE_NAME_META)}
    for element in root.iter(etree.Element):
        if _LOGO_MARKER.search(_marker(element)) or (element.tag == "a" and _home_link(element)):
            names.add(visible_text(element))
            names.update(_clean(image.get("alt") or "") for image in element.iter("img"))
    names.discard("")
    return names


def find_title(root: lxml.html.HtmlElement, found: str) -> str:
    """The headline: an ``<h1>`` the ``<title>`` holds, else the longest part of the ``<title>`` that some
    element of the page shows whole, else the page's ``<h1>``, else the library's title, else the ``<title>``
    less its site suffix; never what the page shows as the site's name (its logo): for a ``<title>`` that is
    only the site's name, an ``<h2>`` or an element marked as the title (``_marked_headline``)."""
    page_title = _clean(root.findtext(".//title") or "")
    names = site_names(root)
    headings = [
        text
        for heading in root.iter("h1")
        if len(text := _clean(heading.text_content())) >= MIN_TITLE_CHARS
        and text not in names
        and not _is_logo(heading)
    ]
    for text in headings:
        if text in page_title:
            return text
    parts = set(_title_parts(page_title)) - names
    body = root.find("body")
    shown = {
        text
        for element in (body.iter(etree.Element) if body is not None else ())
        if element.tag not in ("script", "style", "a") and (text := _clean(element.text_content())) in parts
    }
    if shown:
        return max(shown, key=len)
    if headings:
        return headings[0]
    if _clean(found) and _clean(found) not in names:
        return _clean(found)
    stripped = _strip_suffix(page_title)
    if stripped in names and (marked := _marked_headline(root, names)):
        return marked
    return stripped


def _marked_headline(root: lxml.html.HtmlElement, names: set[str]) -> str | None:
    """The first ``<h2>`` or element whose class or id says title or headline, outside the logo, that is not
    the site's name."""
    body = root.find("body")
    for element in body.iter(etree.Element) if body is not None else ():
        if element.tag != "h2" and not _TITLE_MARKER.search(_marker(element)):
            continue
        text = _clean(element.text_content())
        if MIN_TITLE_CHARS <= len(text) <= MAX_TITLE_CHARS and text not in names and not _is_logo(element):
            return text
    return None


def find_headline(root: lxml.html.HtmlElement, title: str) -> etree._Element | None:
    """The element showing the headline: an ``<h1>``-``<h3>`` whose text is the title, else the element whose
    own text is the title."""
    body = root.find("body")
    if body is None or not title:
        return None
    for heading in body.iter("h1", "h2", "h3"):
        if _clean(heading.text_content()) == title:
            return heading
    return next((_owner(node) for node in _BODY_TEXT(root) if _clean(node) == title), None)


def _marked(root: lxml.html.HtmlElement) -> list[str]:
    """The short texts of elements whose class or id says date, time, source or info, in page order."""
    texts = []
    for element in root.iter(etree.Element):
        if element.tag not in ("script", "style") and _DATED.search(_marker(element)):
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


class Layout:
    """Where things are in one page tree: each element's place in document order and the end of its subtree."""

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        self.order: dict[etree._Element, int] = {}
        self.end: dict[etree._Element, int] = {}
        for position, element in enumerate(root.iter()):
            self.order[element] = position
        for element, position in self.order.items():
            last = element
            while len(last):
                last = last[-1]
            self.end[element] = self.order[last] if last is not element else position

    def contains(self, outer: etree._Element, inner: etree._Element) -> bool:
        """Whether ``inner`` is ``outer`` or inside it."""
        return self.order[outer] <= self.order[inner] <= self.end[outer]

    def lowest_common(self, elements: list[etree._Element]) -> etree._Element:
        """The deepest element holding all of ``elements``."""
        first = elements[0]
        for candidate in (first, *first.iterancestors()):
            if all(self.contains(candidate, element) for element in elements):
                return candidate
        return first.getroottree().getroot()


@dataclass(frozen=True, slots=True)
class BodyText:
    """The page's text nodes holding the text GNE took as the body (owner elements and text lengths)."""

    owners: list[etree._Element]
    lengths: list[int]
    taken: str

    @property
    def first(self) -> etree._Element:
        return self.owners[0]

    @property
    def last(self) -> etree._Element:
        return self.owners[-1]


def _owner(node: etree._ElementUnicodeResult) -> etree._Element:
    parent = node.getparent()
    return parent if node.is_text or parent.getparent() is None else parent.getparent()


def locate_body_text(root: lxml.html.HtmlElement, fragment: lxml.html.HtmlElement) -> BodyText | None:
    """Where the text GNE took as the body (``fragment``, from its cleaned tree) stands in the page as served:
    the page's text nodes of ``MATCHED_TEXT_CHARS`` or more, each the only one of its text, that GNE's text
    holds, within the deepest element around the longest of them that holds ``CORE_SHARE`` of their text
    (a stray match elsewhere does not count); ``None`` when no text matches."""
    taken = _squeezed(" ".join(_VISIBLE_TEXT(fragment)))
    found: dict[str, list[etree._Element]] = {}
    for node in _BODY_TEXT(root):
        text = _squeezed(node)
        if len(text) >= MATCHED_TEXT_CHARS and text in taken:
            found.setdefault(text, []).append(_owner(node))
    pairs = [(owners[0], len(text)) for text, owners in found.items() if len(owners) == 1]
    if not pairs:
        return None
    layout = Layout(root)
    total = sum(length for _, length in pairs)
    longest = max(pairs, key=lambda pair: pair[1])[0]
    core = longest
    for core in (longest, *longest.iterancestors()):
        if sum(length for owner, length in pairs if layout.contains(core, owner)) >= CORE_SHARE * total:
            break
    inside = sorted(
        ((owner, length) for owner, length in pairs if layout.contains(core, owner)),
        key=lambda pair: layout.order[pair[0]],
    )
    return BodyText([owner for owner, _ in inside], [length for _, length in inside], taken)


@dataclass(frozen=True, slots=True)
class Dated:
    """An element showing a date, and the date."""

    element: etree._Element
    moment: datetime


def _date_elements(root: lxml.html.HtmlElement) -> list[Dated]:
    """Every element of ``<body>`` showing a date in a short text, in document order, each once; a date split
    over inline elements (``<span>2024-04-16</span> <span>10:02</span>``) is read from their parent."""
    seen: dict[etree._Element, Dated] = {}
    for node in _BODY_TEXT(root):
        if not node.strip() or find_datetime(node) is None:
            continue
        owner = _owner(node)
        parent = owner.getparent()
        if owner.tag in INLINE_TAGS and parent is not None and len(visible_text(parent)) < MARKED_TEXT_CHARS:
            owner = parent
        if owner in seen:
            continue
        text = visible_text(owner)
        moment = find_datetime(text if len(text) < MARKED_TEXT_CHARS else node)
        if moment is not None:
            seen[owner] = Dated(owner, moment)
    return list(seen.values())


def _headline_link(element: etree._Element) -> bool:
    return any(len(_squeezed(anchor.text_content())) >= HEADLINE_LINK_CHARS for anchor in element.iter("a"))


def _in_furniture(element: etree._Element, stop: etree._Element, layout: Layout, *, marked: bool) -> bool:
    """Whether ``element`` sits in a link or, when ``marked``, in an element that is or whose class or id says
    it is the page's header, navigation or a list of other articles, or that holds a link to another article
    (``HEADLINE_LINK_CHARS`` or longer): itself or an ancestor below the one holding ``stop`` (the headline)."""
    for ancestor in (element, *element.iterancestors()):
        if layout.contains(ancestor, stop) or ancestor.tag in ("body", "html"):
            return False
        if ancestor.tag == "a":
            return True
        if not marked:
            continue
        if ancestor.tag in _FURNITURE_TAGS or _FURNITURE_MARKER.search(_marker(ancestor)):
            return True
        if _headline_link(ancestor):
            return True
    return False


def _links_between(root: lxml.html.HtmlElement, layout: Layout, start: int, stop: int) -> bool:
    return any(start < layout.order[anchor] < stop for anchor in root.iter("a"))


def dated_by_headline(
    root: lxml.html.HtmlElement, headline: etree._Element | None, body: BodyText | None
) -> tuple[Dated | None, list[Dated]]:
    """The date element that belongs to the headline, and the dates passed over as the page's furniture.

    In order: the first after the headline and before the body (whose text GNE may begin with that date's
    line, ``INFO_LINE_CHARS`` or shorter), not in a link;
    else the nearest above the headline with no link between them; else the first below the body; these two
    outside the page's header, navigation and lists of other articles (``_in_furniture``). Without a
    headline, the body's start stands for it."""
    layout = Layout(root)
    anchor = headline if headline is not None else (body.first if body is not None else None)
    if anchor is None:
        return None, []
    top, bottom = layout.order[anchor], layout.end[anchor]
    dates = _date_elements(root)
    info_lines = [
        dated.element
        for dated in dates
        if layout.order[dated.element] > bottom and len(visible_text(dated.element)) <= INFO_LINE_CHARS
    ]
    opening = (
        next(
            (
                owner
                for owner in body.owners
                if layout.order[owner] < top
                or not (
                    layout.contains(anchor, owner) or any(layout.contains(line, owner) for line in info_lines)
                )
            ),
            body.first,
        )
        if body is not None
        else None
    )
    body_start = layout.order[opening] if opening is not None else None
    body_end = layout.end[body.last] if body is not None else None
    after, above, below, furniture = [], [], [], []
    for dated in dates:
        element = dated.element
        if layout.contains(element, anchor) or layout.contains(anchor, element):
            continue
        position = layout.order[element]
        inside_body = body_start is not None and body_start <= position <= body_end
        between = position > bottom and (body_start is None or body_start < top or position < body_start)
        if _in_furniture(element, anchor, layout, marked=not between):
            furniture.append(dated)
        elif between:
            after.append(dated)
        elif (
            position < top and not inside_body and not _links_between(root, layout, layout.end[element], top)
        ):
            above.append(dated)
        elif body_end is not None and position > body_end:
            below.append(dated)
        else:
            furniture.append(dated)
    for group in (after, above[::-1], below):
        if group:
            return group[0], furniture
    return None, furniture


def published_elsewhere(
    root: lxml.html.HtmlElement, fallback: str | None, furniture: list[Dated] = ()
) -> datetime | None:
    """The publication time of a page whose headline shows none: meta tags, then the library's guess
    (``fallback``) unless it is one of the ``furniture`` dates."""
    for value in _meta(root, DATE_META):
        if (moment := parse_datetime(value)) is not None:
            return moment
    moment = parse_datetime(fallback) if fallback else None
    if moment is None or any(passed.moment == moment for passed in furniture):
        return None
    return moment


def find_published(
    root: lxml.html.HtmlElement,
    fallback: str | None,
    headline: etree._Element | None = None,
    body: BodyText | None = None,
) -> datetime | None:
    """The publication time: the date that belongs to the headline (``dated_by_headline``; on a page without
    headline or body, the first element whose class or id says date, time, source or info), else
    ``published_elsewhere``."""
    if headline is None and body is None:
        for text in _marked(root):
            if (moment := find_datetime(text)) is not None:
                return moment
        return published_elsewhere(root, fallback)
    dated, furniture = dated_by_headline(root, headline, body)
    return dated.moment if dated is not None else published_elsewhere(root, fallback, furniture)


def clean_body(body: lxml.html.HtmlElement) -> str:
    """The body node's inside without scripts, embedded frames, form controls and the furniture every site
    may hold (hidden elements, spacer and tracking images: ``drop_furniture``)."""
    for element in list(body.iterdescendants(*_NOISE, etree.Comment)):
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


def gne_body(html: str) -> tuple[lxml.html.HtmlElement | None, dict]:
    """GNE's body (a ``<div>`` holding the HTML from its cleaned tree) and its other findings; ``None`` and no
    findings where GNE finds no text block at all (an empty page, plain text)."""
    try:
        found = GeneralNewsExtractor().extract(html, with_body_html=True)
    except NoContentException:
        return None, {}
    fragment = found.get("body_html") or ""
    if not fragment.strip():
        return None, found
    return lxml.html.fragment_fromstring(fragment, create_parent="div"), found


def body_node(html: str, root: lxml.html.HtmlElement) -> tuple[etree._Element | None, dict]:
    """The element GNE takes for the body, from its cleaned tree (its inside is GNE's body), and its other
    findings; a lone paragraph is widened to its siblings."""
    wrapper, found = gne_body(html)
    if wrapper is None:
        return None, found
    if len(wrapper) == 1 and not (wrapper.text or "").strip() and not (wrapper[0].tail or "").strip():
        return _widened(wrapper[0], root), found
    return wrapper, found


def _unwrapped(node: etree._Element, keep_out: list[etree._Element], layout: Layout) -> etree._Element:
    """The outermost element around ``node`` that shows the same text (wrappers kept), below ``<body>`` and
    holding none of ``keep_out``."""
    text = _squeezed(visible_text(node))
    while (parent := node.getparent()) is not None and parent.tag not in ("body", "html"):
        if any(layout.contains(parent, element) for element in keep_out):
            break
        if _squeezed(visible_text(parent)) != text:
            break
        node = parent
    return node


def served_body(
    root: lxml.html.HtmlElement, text: BodyText, keep_out: list[etree._Element]
) -> lxml.html.HtmlElement:
    """A copy of the page element holding the body text as served, its inner HTML the body.

    The element holding all of ``text`` with its wrappers (a lone paragraph widened to its parent, siblings
    and all), stepped down from a container of any of ``keep_out`` (headline, date line) into the child
    holding ``STEP_DOWN_SHARE`` of the text; where no child does, the container less its children up to the
    last of ``keep_out``; less what holds only text GNE left out (``_drop_untaken``)."""
    layout = Layout(root)
    pairs = [
        (owner, length)
        for owner, length in zip(text.owners, text.lengths, strict=True)
        if not any(layout.contains(element, owner) for element in keep_out)
    ] or list(zip(text.owners, text.lengths, strict=True))
    text = BodyText([owner for owner, _ in pairs], [length for _, length in pairs], text.taken)
    keep_out = [element for element in keep_out if layout.order[element] < layout.order[text.first]]
    node = layout.lowest_common(text.owners)
    widened = node.tag in PARAGRAPH_TAGS and node.getparent() is not None
    node = node.getparent() if widened else _unwrapped(node, keep_out, layout)
    total = sum(text.lengths)
    while any(layout.contains(node, element) for element in keep_out):
        shares = [
            sum(
                length
                for owner, length in zip(text.owners, text.lengths, strict=True)
                if layout.contains(child, owner)
            )
            for child in node
        ]
        best = max(range(len(shares)), key=shares.__getitem__, default=None)
        if best is None or shares[best] < STEP_DOWN_SHARE * total:
            break
        node = node[best]
    served = copy.deepcopy(node)
    if any(layout.contains(node, element) for element in keep_out):
        last = max(
            index for index, child in enumerate(node) if any(layout.contains(child, e) for e in keep_out)
        )
        for child in list(served)[: last + 1]:
            child.drop_tree()
    if not widened:
        _drop_untaken(served, text.taken)
    return served


def _drop_untaken(body: etree._Element, taken: str) -> None:
    """Remove from ``body`` the elements whose text GNE left out when they are short (share buttons) or
    mostly links (link blocks); a paragraph GNE lost (it drops the text after a ``<script>``) stays."""
    for element in list(body.iterdescendants(etree.Element)):
        if element.getparent() is None or element.tag in ("br", "img"):
            continue
        parts = [_squeezed(part) for part in _VISIBLE_TEXT(element)]
        text = "".join(parts)
        if (
            not text
            or text in taken
            or any(len(part) >= MATCHED_TEXT_CHARS and part in taken for part in parts)
        ):
            continue
        links = sum(len(_squeezed(anchor.text_content())) for anchor in element.iter("a"))
        if len(text) <= UNTAKEN_TEXT_CHARS or links >= len(text) / 2:
            element.drop_tree()


def _dated_links(body: etree._Element) -> tuple[int, int]:
    """How many headline links in ``body`` sit in a short block showing a date, and those blocks' text length."""
    items: dict[etree._Element, int] = {}
    for anchor in body.iter("a"):
        if len(_clean(anchor.text_content())) < MIN_TITLE_CHARS:
            continue
        block = anchor.getparent()
        for _ in range(3):
            if block is None or block is body.getparent():
                break
            text = visible_text(block)
            if len(text) > 3 * MARKED_TEXT_CHARS:
                break
            if find_datetime(text) is not None:
                items[block] = len(_squeezed(text))
                break
            block = block.getparent()
    return len(items), sum(items.values())


def refuse_list(body: etree._Element) -> None:
    """Raise ``NotAnArticle`` when ``body`` is a channel's list: ``LIST_MIN_ITEMS`` or more headline links, each
    by a date, making up ``LIST_TEXT_SHARE`` of its text."""
    count, length = _dated_links(body)
    if count >= LIST_MIN_ITEMS and length >= LIST_TEXT_SHARE * len(_squeezed(visible_text(body))):
        raise NotAnArticle(f"not an article: a list of {count} dated headline links")


def refuse_list_around(text: BodyText, headline: etree._Element | None) -> None:
    """Raise ``NotAnArticle`` when the body text GNE took is one item of a channel's list: an element around
    it, up to ``LIST_ANCESTORS`` levels and below the one holding the headline, is a list (``refuse_list``)."""
    for level, ancestor in enumerate(text.first.iterancestors()):
        if level >= LIST_ANCESTORS or ancestor.tag in ("body", "html"):
            return
        if headline is not None and any(up is ancestor for up in headline.iterancestors()):
            return
        refuse_list(ancestor)


def without_xml_declaration(html: str) -> str:
    """The page without its XML declaration (``<?xml …?>``, which libxml2 refuses in text: an XHTML page);
    ``NotAnArticle`` for an XML document whose root element is not ``<html>`` (a feed, a sitemap), and for a
    feed told by its root element alone (``<rss>``, ``<feed>``, ``<rdf:RDF>``: RSS and Atom need no declaration)."""
    declaration = _XML_DECLARATION.match(html)
    start = declaration.end() if declaration else 1 if html.startswith("\ufeff") else 0
    root = _ROOT_TAG.match(html, start)
    name = root.group(1).rpartition(":")[2].lower() if root else ""
    if name in FEED_ROOTS or (declaration is not None and name != "html"):
        feed = " (a feed: newsbot crawl feed -a url=URL)" if name in FEED_ROOTS else ""
        raise NotAnArticle(
            f"not an HTML page: an XML document{f' whose root is <{name}>' if name else ''}{feed}"
        )
    return html[start:] if declaration else html


def extract(html: str, url: str) -> Extracted:
    """Title, date, outlet, editor and body HTML of an article page of any site."""
    html = without_xml_declaration(html)
    try:
        root, served = parse_document(html)
    except (etree.ParserError, ValueError) as error:
        raise NotAnArticle(f"not an HTML page: {error}") from None
    try:
        fragment, found = gne_body(served)
    except (etree.ParserError, ValueError) as error:
        raise NotAnArticle(f"not an HTML page: {error}") from None
    if fragment is None:
        raise NotAnArticle("no article body found")
    title = find_title(root, found.get("title", ""))
    if not title:
        raise NotAnArticle("no title found")
    headline = find_headline(root, title)
    text = locate_body_text(root, fragment)
    dated, furniture = dated_by_headline(root, headline, text)
    published = (
        dated.moment if dated is not None else published_elsewhere(root, found.get("publish_time"), furniture)
    )
    if text is not None:
        keep_out = [element for element in (headline, dated and dated.element) if element is not None]
        body = served_body(root, text, keep_out)
    else:
        body, _ = body_node(served, root)
    refuse_list(body)
    if text is not None:
        refuse_list_around(text, headline)
    body_html = clean_body(body)
    if len(visible_text(body)) < MIN_BODY_CHARS:
        raise NotAnArticle("no article body found")
    editor = _EDITOR.search(visible_text(root))
    canonical = (root.xpath("//link[@rel='canonical']/@href") or [""])[0].strip()
    return Extracted(
        title=title,
        body_html=body_html,
        published=published,
        outlet=find_outlet(root),
        editor=editor.group(1) if editor else None,
        canonical_url=urljoin(url, canonical) if canonical else None,
    )
