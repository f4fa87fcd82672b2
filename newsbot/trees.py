"""The lxml trees newsbot reads pages and bodies into: one kind of parser, and XPath expressions compiled once.

``lxml.html``'s own parser asks a Python function for the class of every element proxy it makes (to give forms,
inputs and labels their own classes) and ``element.xpath(string)`` compiles its expression at every call;
reading a page makes a few thousand proxies and evaluates some twenty expressions, so both add up.
"""

from __future__ import annotations

import functools
from typing import Any

import lxml.html
from lxml import etree

_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)


def html_parser() -> etree.HTMLParser:
    """An lxml HTML parser for trees of any depth whose elements are all ``lxml.html.HtmlElement`` (``drop_tree``,
    ``text_content``), their class looked up in C rather than by ``lxml.html``'s Python lookup. Like any lxml
    parser, one thread at a time."""
    parser = etree.HTMLParser(huge_tree=True)
    parser.set_element_class_lookup(_CLASSES)
    return parser


@functools.lru_cache(maxsize=512)
def compiled(expression: str) -> etree.XPath:
    """``expression`` as an ``etree.XPath``, compiled at its first use; ``etree.XPathSyntaxError`` if invalid."""
    return etree.XPath(expression)


def xpath(node: etree._Element, expression: str) -> Any:
    """What ``node.xpath(expression)`` gives (a list of elements, strings or comments, or a number, string or
    boolean), the expression compiled once (``compiled``)."""
    return compiled(expression)(node)
