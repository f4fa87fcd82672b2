import re

import html5lib
import lxml.html
import pytest

from newsbot.body import MAX_DEPTH, has_text, inner_html, normalise

BASE = "https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml"


def test_relative_and_protocol_relative_urls_become_absolute():
    html, image = normalise(
        '<img src="//n.sinaimg.cn/a.jpg"><a href="/b.shtml">b</a><a href="c.html">c</a>', BASE
    )
    assert 'src="https://n.sinaimg.cn/a.jpg"' in html
    assert 'href="https://finance.sina.com.cn/b.shtml"' in html
    assert 'href="https://finance.sina.com.cn/china/gncj/2022-01-21/c.html"' in html
    assert image == "https://n.sinaimg.cn/a.jpg"


def test_every_image_gets_no_referrer_and_first_one_is_headimg():
    html, image = normalise('<p><img src="https://x/1.png"></p><img src="https://x/2.png">', BASE)
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [img.get("referrerpolicy") for img in root.iter("img")] == ["no-referrer", "no-referrer"]
    assert image == "https://x/1.png"


def test_braces_escaped_in_text_attributes_comments_and_style():
    html, _ = normalise('<p title="{x}">{{ a }} {% b %}</p><!-- {c} --><style>.d{e:f}</style>', BASE)
    assert "{" not in html and "}" not in html
    assert "&#123;&#123; a &#125;&#125; &#123;% b %&#125;" in html
    assert "<!-- &#123;c&#125; -->" in html
    assert ".d&#123;e:f&#125;" in html


def test_scripts_event_handlers_and_javascript_urls_removed_text_kept():
    served = (
        '<p onclick="x()">one<script>evil()</script> two</p>'
        '<img src="a.png" onerror="alert(1)" ONLOAD="y()">'
        '<a href="javascript:alert(1)">link</a><a href=" JaVa\tScRiPt:alert(2)">l2</a>'
        "<script src='//evil/x.js'></script>tail"
    )
    html, _ = normalise(served, BASE)
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert not root.xpath(".//script")
    assert not [
        name
        for el in root.iter()
        if isinstance(el.tag, str)
        for name in el.attrib
        if name.lower().startswith("on")
    ]
    assert "javascript" not in html.lower()
    assert root.text_content() == "one two" + "link" + "l2" + "tail"


def test_body_without_image_has_no_first_image():
    html, image = normalise("<p>只有文字</p>", BASE)
    assert image is None
    assert html == "<p>只有文字</p>"


def test_comments_style_and_editor_line_stay():
    served = (
        '<p>正文</p><!-- 正文下 --><style>.a{b:c}</style><p class="article-editor">责任编辑：邓健 </p>\n\n  '
    )
    html, _ = normalise(served, BASE)
    assert "<!-- 正文下 -->" in html and "<style>" in html and 'class="article-editor"' in html
    assert html.endswith("</p>"), "trailing whitespace holding line breaks goes: the wrapper's line break follows"


def test_has_text():
    assert has_text("<p>字</p>")
    assert has_text('<img src="https://x/a.png">')
    assert not has_text("<!-- only a comment --><style>.a{}</style>  <script>x()</script>")
    assert not has_text("")


def test_inner_html_keeps_leading_text_escaped():
    element = lxml.html.fragment_fromstring("<div>a &lt;b&gt; &amp; c<p>x</p></div>")
    assert inner_html(element) == "a &lt;b&gt; &amp; c<p>x</p>"


def browser_tree(html: str) -> list[tuple]:
    """The tree an HTML5 parser (html5lib) builds of a body: element names, attributes and text, in order, with
    whitespace-only text left out and blank lines inside comments closed (what SPEC.md rule 5 may change)."""
    root = html5lib.parseFragment(html, container="div", treebuilder="etree", namespaceHTMLElements=False)
    nodes = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            nodes.append(("comment", re.sub(r"\n[ \t]*(?=\n)", "", node.text or "")))
        else:
            nodes.append((node.tag, sorted(node.attrib.items()), node.text if (node.text or "").strip() else None))
        nodes.append(("tail", node.tail if (node.tail or "").strip() else None))
    return nodes


BLANK_LINES = [
    "<p>a</p>\n\n   <p>b</p>\n\n",
    "<p>one\n\ntwo\n \t\nthree</p>",
    "<pre>\n\nx\n \ny\n\n</pre>",
    "<pre>code</pre>\n\n<textarea>\n\n<b>x</b>\n\n</textarea>",
    "<p title=\"a\n\nb\">t</p><img alt=\"x\n  \ny\" src=\"https://n.sinaimg.cn/a.jpg\">",
    "<!-- one\n\n two -->\n\n<p>x</p>",
    "<div>\n\n  <div>\n\n    <p>deep</p>\n\n  </div>\n\n</div>\n\n  ",
    "text at the start\n\n<p>x</p>\n\ntext at the end\n\n",
]


@pytest.mark.parametrize("served", BLANK_LINES)
def test_no_blank_line_and_the_same_tree_but_whitespace(served):
    html, _ = normalise(served, BASE)
    lines = (html + "\n").split("\n")  # the wrapper puts a line break after the body
    assert [line for line in lines[:-1] if not line.strip(" \t")] == []
    expected = browser_tree(served.replace('src="https://n.sinaimg.cn/a.jpg"', 'src="https://n.sinaimg.cn/a.jpg" referrerpolicy="no-referrer"'))
    assert browser_tree(html) == expected


def test_a_line_break_in_pre_that_would_leave_a_blank_line_is_a_reference():
    html, _ = normalise("<pre>a\n\nb</pre>", BASE)
    assert html == "<pre>a&#10;\nb</pre>"


def test_deep_nesting_keeps_its_text_below_the_depth_limit():
    """Tags deeper than MAX_DEPTH go before the HTML5 parser (its time grows with the square of the depth);
    the text stays, down to the depth libxml2 keeps (about 2,000 levels, as in every extractor)."""
    html, _ = normalise("".join(f"<div><span>第{n}段" for n in range(800)), BASE)
    assert "第799段" in html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert max(len(list(element.iterancestors())) for element in root.iter()) <= MAX_DEPTH
    assert "第900段" in normalise("".join(f"<div><font>第{n}段" for n in range(20000)), BASE)[0]
