from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from newsbot.body import parse_fragment
from newsbot.sites import parse_page
from newsbot.trees import compiled, html_parser, xpath
from tests.conftest import PAGES, needs_shared

EXPRESSIONS = (
    "//meta/@content",
    "//p",
    "//comment()",
    "count(//a)",
    "string(//title)",
    "//*[contains(@class, 'article')]//text()",
)


def _pages() -> list[Path]:
    return sorted(PAGES.rglob("*.html"))


def _serialised(found: object) -> object:
    if not isinstance(found, list):
        return found
    return [one if isinstance(one, str) else lxml.html.tostring(one) for one in found]


def test_every_element_is_an_html_element_and_comments_stay_comments():
    root = lxml.html.document_fromstring(
        "<form><input name=a><label>x</label><select></select></form><!-- c --><p>t</p>", parser=html_parser()
    )
    assert {type(element) for element in root.iter(etree.Element)} == {lxml.html.HtmlElement}
    (comment,) = root.xpath("//comment()")
    assert isinstance(comment, etree._Comment) and comment.text == " c "
    assert root.find(".//p").text_content() == "t"


def test_compiled_once_and_invalid_expressions_raise():
    assert compiled("//p") is compiled("//p")
    with pytest.raises(etree.XPathSyntaxError):
        compiled("//p[")


@needs_shared
@pytest.mark.parametrize("page", _pages(), ids=lambda path: path.name)
def test_xpath_and_trees_are_lxml_htmls_on_real_pages(page):
    text = page.read_bytes().decode("utf-8", errors="replace")
    ours = parse_page(text)
    theirs = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1))
    assert lxml.html.tostring(ours, encoding="unicode") == lxml.html.tostring(theirs, encoding="unicode")
    for expression in EXPRESSIONS:
        found, expected = xpath(ours, expression), ours.xpath(expression)
        assert _serialised(found) == _serialised(expected)
    body = ours.find(".//body")
    if body is not None:
        inner = "".join(lxml.html.tostring(child, encoding="unicode") for child in body)
        expected = lxml.html.fragment_fromstring(inner, create_parent="div")
        assert lxml.html.tostring(parse_fragment(inner)) == lxml.html.tostring(expected)
