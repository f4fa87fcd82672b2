"""Article body HTML: serialising an element's inside and normalising it for the archive (SPEC.md, Body).

The body is sanitised as a browser parses it: ``nh3`` (the Rust ``ammonia`` sanitiser on ``html5ever``, the HTML5
parsing algorithm with foreign content) keeps an allowlist of elements and attributes, then lxml rewrites URLs,
images and whitespace on the sanitised tree. Before it, SVG and MathML (foreign content, as html5lib parses it)
become HTML spans of the text a browser shows of them.
"""

from __future__ import annotations

import functools
import html
import re
import string
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin

import html5lib
import lxml.html
import nh3
from lxml import etree
from lxml.cssselect import CSSSelector
from w3lib.url import safe_url_string

from newsbot.trees import html_parser, xpath

URL_ATTRIBUTES = ("src", "href")
_PARSER = html_parser()
# C0 controls but tab, line feed and carriage return, DEL, and U+FDD0 (a noncharacter: the line-break mark below).
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0]")
# Chromium's parser puts nothing deeper than 512 elements (HTMLConstructionSite, kMaximumHTMLParserDOMTreeDepth);
# html5ever's time grows with the square of the depth, so deeper elements give up their tags first.
MAX_DEPTH = 512

# The elements a body keeps: HTML's elements but those that run or load code, submit data, change the page
# around the body, or hold foreign (SVG, MathML) content. Any other element is unwrapped, its text kept.
KEPT_ELEMENTS = frozenset(nh3.ALLOWED_TAGS) | {
    "address", "audio", "big", "dialog", "font", "iframe", "legend", "fieldset", "label", "main", "menu",
    "meter", "nobr", "output", "picture", "progress", "search", "section", "source", "style", "textarea", "track", "video",
}  # fmt: skip
# Elements removed with everything inside: code, what a reader with scripts on never sees, foreign content.
DROPPED_ELEMENTS = frozenset(
    {"script", "noscript", "template", "svg", "math", "noembed", "noframes", "title", "head", "object", "embed",
     "applet", "frame", "frameset", "select", "plaintext"}
)  # fmt: skip
# Attributes that hold one URL (HTML, and the SVG/XLink ones a foreign element would bring).
URL_VALUED = frozenset(
    {"href", "src", "action", "formaction", "data", "poster", "background", "cite", "longdesc", "lowsrc",
     "dynsrc", "codebase", "manifest", "icon", "profile", "usemap", "xlink:href", "xml:base"}
)  # fmt: skip
# Attributes dropped whatever their value: documents in attributes, hyperlink auditing, XML namespaces.
DROPPED_ATTRIBUTES = frozenset({"srcdoc", "ping", "formaction", "action", "is", "xmlns", "xml:base", "http-equiv"})
SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "data"})
# data: URLs a browser shows without running anything: raster images, in an image's source.
_DATA_NOT_IMAGE = re.compile(r"data:(?!image/(?:png|gif|jpeg|jpg|webp|avif|bmp|x-icon)[;,])", re.IGNORECASE)
SCRIPT_SCHEMES = re.compile(r"(?:java|vb|live)script:|mocha:", re.IGNORECASE)
IMPORT_RULE = re.compile(r"@import[^;{}]*;?", re.IGNORECASE)

_NAME_START = string.ascii_lowercase + string.digits + "_-:."
# Every attribute name but ``on*`` (nh3 takes name prefixes, not a blocklist).
_ANY_BUT_HANDLERS = {c for c in _NAME_START if c != "o"} | {"o" + c for c in _NAME_START if c != "n"}
_WHITESPACE = " \t\n\r\f"
_URL_STRIP = re.compile("[\t\n\r]")
# What the URL standard strips from both ends of a URL: C0 controls and space.
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_BLANK_LINE_BREAK = re.compile(r"\n(?=[ \t]*\n)")
_BLANK_LINES = re.compile(r"\n[ \t]*(?=\n)")
_LINE_BREAK_MARK = "\ufdd0"
PREFORMATTED = ("pre", "textarea", "listing")
_PREFORMATTED = " | ".join(f".//{tag} | .//{tag}//*" for tag in PREFORMATTED)


def inner_html(element: etree._Element) -> str:
    """The element's content as HTML: its text, then each child with its tail."""
    parts = [html.escape(element.text or "", quote=False)]
    parts += [lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in element]
    return "".join(parts)


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse body HTML into a ``<div>`` holding it, whatever its first node is, however deep it nests
    (libxml2 otherwise drops everything below 255 levels, as unclosed ``<div>``s or ``<font>``s reach)."""
    root = _PARSER.makeelement("div")
    nodes = lxml.html.fragments_fromstring(html or "", no_leading_text=False, parser=_PARSER)
    if nodes and isinstance(nodes[0], str):
        root.text = nodes.pop(0)
    root.extend(nodes)
    return root


def escape_braces(html: str) -> str:
    """Write ``{`` and ``}`` as character references, so Hexo's Nunjucks pass leaves the text alone."""
    return html.replace("{", "&#123;").replace("}", "&#125;")


def script_capable(name: str, value: str, element: str = "") -> bool:
    """Whether attribute ``name="value"`` on ``element`` can run code or load a document: an ``on*`` handler,
    ``srcdoc`` and the like, a ``javascript:``/``vbscript:`` value however written (the parser has already
    decoded entities; tabs and line breaks are ignored in URLs as the URL standard says), or a ``data:`` URL
    other than a raster image in an image's source."""
    name = name.lower()
    if name.startswith("on") or name in DROPPED_ATTRIBUTES:
        return True
    compact = "".join(value.split()).lower()
    if SCRIPT_SCHEMES.search(compact):
        return True
    if name == "srcset":
        return bool(_DATA_NOT_IMAGE.search(compact))
    if name in URL_VALUED and _URL_STRIP.sub("", value).strip(_C0_AND_SPACE).lower().startswith("data:"):
        return not (element in ("img", "source") and name == "src" and not _DATA_NOT_IMAGE.match(compact))
    return name == "style" and "expression(" in compact


def _attribute_filter(element: str, name: str, value: str) -> str | None:
    return None if script_capable(name, value, element) else value


SANITISER = nh3.Cleaner(
    tags=set(KEPT_ELEMENTS),
    clean_content_tags=set(DROPPED_ELEMENTS),
    generic_attribute_prefixes=_ANY_BUT_HANDLERS,
    attribute_filter=_attribute_filter,
    strip_comments=False,
    link_rel=None,
    url_schemes=set(SCHEMES),
)


def sanitise(html: str) -> str:
    """The body as a browser would build it (HTML5 parsing, foreign content), with only ``KEPT_ELEMENTS`` and
    the attributes that neither run code nor load a document (``script_capable``); comments stay; SVG and
    MathML give their shown text (``readable_foreign``)."""
    return SANITISER.clean(readable_foreign(html))


def readable_foreign(html: str) -> str:
    """``html`` with each SVG and MathML element, as the HTML5 parser (html5lib) reads it, replaced by a
    ``<span>`` of what a browser shows of it: SVG's ``<text>`` runs (a space between runs), MathML's tokens
    (``msub``/``msup`` scripts as ``<sub>``/``<sup>``, a ``/`` between an ``mfrac``'s parts) and the HTML of
    ``foreignObject``, ``mtext`` and the like; titles, descriptions, styles, scripts, definitions and
    annotations, which a browser does not show, go. Markup without SVG or MathML comes back as it is."""
    if not _FOREIGN_START.search(html):
        return html
    fragment = html5lib.parseFragment(html, container="div", treebuilder="etree", namespaceHTMLElements=False)
    _replace_foreign(fragment)
    walker = html5lib.getTreeWalker("etree")
    serializer = html5lib.serializer.HTMLSerializer(
        omit_optional_tags=False, quote_attr_values="always", minimize_boolean_attributes=False
    )
    return serializer.render(walker(fragment))


SVG = "http://www.w3.org/2000/svg"
MATHML = "http://www.w3.org/1998/Math/MathML"
_FOREIGN_START = re.compile(r"<(?:svg|math)[\s/>]", re.IGNORECASE)
# Foreign elements a browser does not render (SVG's resources and metadata, MathML's annotations), and those
# that are code or style in any namespace.
_UNSHOWN_FOREIGN = frozenset(
    {"title", "desc", "metadata", "style", "script", "template", "defs", "symbol", "clipPath", "mask", "pattern",
     "marker", "linearGradient", "radialGradient", "filter", "annotation", "annotation-xml"}
)  # fmt: skip
_SCRIPTS = {"msub": ("sub",), "msup": ("sup",), "msubsup": ("sub", "sup")}
# MathML's token elements: the ones whose text it shows (text elsewhere in ``<math>`` is not rendered).
_MATHML_TOKENS = frozenset({"mi", "mn", "mo", "ms", "mtext"})
# Between two SVG text runs (each placed apart on the drawing): a space in the unwrapped text.
_RUN_BREAK = ElementTree.Element("run-break")


def _namespace(element: ElementTree.Element) -> str:
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _replace_foreign(parent: ElementTree.Element) -> None:
    for index, child in enumerate(list(parent)):
        if _namespace(child) in (SVG, MATHML):
            span = ElementTree.Element("span")
            _append_all(span, _shown(child, in_text=False))
            span.tail = child.tail
            parent[index] = span
        elif isinstance(child.tag, str):
            _replace_foreign(child)


def _shown(element: ElementTree.Element, in_text: bool) -> Iterator[str | ElementTree.Element]:
    """The text and HTML elements a browser shows of ``element`` (not its tail), with ``_RUN_BREAK`` around each
    SVG text run; ``in_text``: inside an SVG ``<text>`` or a MathML token element."""
    namespace = _namespace(element)
    if not namespace:
        _replace_foreign(element)
        yield element
        return
    name = element.tag.rsplit("}", 1)[1]
    if name in _UNSHOWN_FOREIGN:
        return
    run = namespace == SVG and name == "text"
    in_text = in_text or run or (namespace == MATHML and name in _MATHML_TOKENS)
    scripts = _SCRIPTS.get(name, ()) if namespace == MATHML else ()
    if run:
        yield _RUN_BREAK
    if in_text and element.text:
        yield element.text
    for number, child in enumerate(element):
        if isinstance(child.tag, str) and 0 < number <= len(scripts):
            script = ElementTree.Element(scripts[number - 1])
            _append_all(script, _shown(child, in_text))
            yield script
        elif isinstance(child.tag, str):
            if number and name == "mfrac" and namespace == MATHML:
                yield "/"
            yield from _shown(child, in_text)
        if child.tail and in_text:
            yield child.tail
    if run:
        yield _RUN_BREAK


def _append_all(element: ElementTree.Element, pieces: Iterable[str | ElementTree.Element]) -> None:
    """Append ``pieces`` to ``element``: elements as children, text after the last one; a ``_RUN_BREAK`` is a
    space between two pieces that have none, else nothing."""
    pending = False
    for piece in pieces:
        if piece is _RUN_BREAK:
            pending = True
            continue
        before = (element[-1].tail if len(element) else element.text) or ""
        starts_with_space = isinstance(piece, str) and piece[:1].isspace()
        if pending and (before or len(element)) and not before[-1:].isspace() and not starts_with_space:
            _append_text(element, " ")
        pending = False
        if isinstance(piece, str):
            _append_text(element, piece)
        else:
            element.append(piece)


def _append_text(element: ElementTree.Element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _flatten_deep(html: str) -> str:
    """``html`` with the tags of elements deeper than ``MAX_DEPTH`` dropped, their text kept."""
    if html.count("<") <= MAX_DEPTH:
        return html
    root = parse_fragment(html)
    deep, depth = [], 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if event == "start" and depth > MAX_DEPTH and isinstance(element.tag, str):
            deep.append(element)
    if not deep:
        return html
    for element in reversed(deep):
        element.drop_tag()
    return inner_html(root)


def _mark_blank_lines(text: str) -> str:
    return _BLANK_LINE_BREAK.sub(_LINE_BREAK_MARK, text)


def _without_blank_lines(text: str | None, preformatted: bool, last: bool = False) -> str | None:
    """A text or tail with no line left blank (SPEC.md rule 5): whitespace-only text holding a line break
    becomes one line break (none at the very end, where the wrapper's own line break follows); elsewhere a
    line break that would leave a blank line is marked to be written ``&#10;``."""
    if not text or "\n" not in text:
        return text
    if not preformatted and not text.strip(_WHITESPACE):
        return "" if last else "\n"
    marked = _mark_blank_lines(text + "\n" if last else text)
    return marked[:-1] if last else marked


def _close_blank_lines(root: lxml.html.HtmlElement) -> None:
    preformatted = set(xpath(root, _PREFORMATTED))
    for node in root.iter():
        if node is root:
            root.text = _without_blank_lines(root.text, False, last=len(root) == 0)
            continue
        if node.tag in PREFORMATTED and (node.text or "").startswith("\n"):
            node.text = "\n" + node.text  # the parser drops a line break right after the start tag
        if isinstance(node, etree._Comment) or node.tag == "style":
            node.text = _BLANK_LINES.sub("", node.text or "") or node.text
        elif isinstance(node.tag, str):
            node.text = _without_blank_lines(node.text, node in preformatted)
            for name, value in node.attrib.items():
                if "\n" in value:
                    node.attrib[name] = _mark_blank_lines(value)
        parent = node.getparent()
        last = parent is root and node.getnext() is None
        node.tail = _without_blank_lines(node.tail, parent in preformatted, last)


def kept_block_xpath(selectors: Iterable[str]) -> str | None:
    """One XPath finding the elements of the CSS ``selectors`` (site blocks kept in the body), or ``None``."""
    return _xpath_of_selectors(tuple(selectors))


@functools.lru_cache(maxsize=64)
def _xpath_of_selectors(selectors: tuple[str, ...]) -> str | None:
    paths = [CSSSelector(selector).path for selector in selectors]
    return " | ".join(paths) if paths else None


def first_own_image(root: etree._Element, kept_blocks: str | None) -> str | None:
    """The first http(s) image source of ``root`` outside the site blocks ``kept_blocks`` finds."""
    blocked = set(xpath(root, kept_blocks)) if kept_blocks else set()
    for image in root.iter("img"):
        src = image.get("src", "")
        if src.startswith(("http://", "https://")) and not any(a in blocked for a in image.iterancestors()):
            return src
    return None


def normalise(html: str, base_url: str, kept_blocks: Iterable[str] = ()) -> tuple[str, str | None]:
    """Normalise served body HTML (SPEC.md, Body) and return it with the article's own first image URL
    (``None`` without one); images inside ``kept_blocks`` (CSS selectors of the site's blocks the body keeps)
    never count. Beyond SPEC.md, everything ``sanitise`` removes goes, control characters, and images without an
    http(s) source (none left after a script URL went, a lazy loader's ``data:`` placeholder): a page shows
    nothing of them, and the body's first image is then always the post's picture (``check_post.py``)."""
    root = parse_fragment(sanitise(_flatten_deep(_CONTROL_CHARACTERS.sub("", html))))
    sourceless = []
    for element in root.iter(etree.Element):
        for name in list(element.attrib):
            value = element.attrib[name]
            if script_capable(name, value, element.tag):
                del element.attrib[name]
            elif name in URL_ATTRIBUTES and value.strip():
                element.attrib[name] = urljoin(base_url, value.strip())
            elif not value:
                element.set(name, None)  # printed bare (``alt``), as the served page and the seed write it
        if element.tag == "img":
            src = element.get("src") or ""
            if not src.startswith(("http://", "https://")):
                sourceless.append(element)
                continue
            element.set("referrerpolicy", "no-referrer")
            element.set("src", safe_url_string(src).replace("'", "%27"))  # the headimg line takes no ' or space
        elif element.tag == "style" and element.text:
            element.text = IMPORT_RULE.sub("", element.text)
        elif element.tag == "iframe":
            element.text = None
            for child in list(element):
                element.remove(child)
    for image in sourceless:
        image.drop_tree()
    first_image = first_own_image(root, kept_block_xpath(kept_blocks))
    _close_blank_lines(root)
    return escape_braces(inner_html(root)).replace(_LINE_BREAK_MARK, "&#10;"), first_image


def has_text(html: str) -> bool:
    """Whether body HTML shows anything: visible text outside comments, scripts and styles, or an image."""
    return shows_anything(parse_fragment(html))


def shows_anything(element: etree._Element) -> bool:
    """``has_text`` of what is inside ``element`` (its descendants, not its tail), without serialising it; for
    an element that is no ``<style>`` or ``<script>`` itself, whose raw text serialised would be text."""
    if xpath(element, ".//img[@src]"):
        return True
    return bool("".join(xpath(element, ".//text()[not(ancestor::style)][not(ancestor::script)]")).strip())
