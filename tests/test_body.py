import re

import html5lib
import lxml.html
import pytest

from newsbot.body import (
    MAX_DEPTH,
    has_text,
    inner_html,
    normalise,
    parse_fragment,
    readable_foreign,
    shows_anything,
)
from tests.hostile_corpus import HOSTILE_HTML, browser_problems

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


@pytest.mark.parametrize(
    "html",
    [*HOSTILE_HTML.values(), "", "   ", "<p> </p>", "<table><tr><td>字</td></tr></table>", "<p><div>字</p>"],
)
def test_shows_anything_of_an_element_is_has_text_of_its_inner_html(html):
    for element in parse_fragment(html).iter("*"):
        if element.tag in ("style", "script"):
            continue
        assert shows_anything(element) == has_text(inner_html(element)), lxml.html.tostring(element)


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


# SVG and MathML bodies: (served, the text a browser shows of them in order, text it does not show). What shows
# follows SVG 2 (text is drawn only inside <text>; title, desc, style, defs are not drawn) and MathML Core (token
# elements show their text; semantics shows its first child, not its annotations).
FOREIGN = [
    (
        '<svg width="200" height="40"><title>图表标题</title><desc>图表说明</desc>'
        '<text x="0" y="15">上证指数</text><text x="0" y="35">收涨<tspan font-weight="bold">1.2%</tspan></text></svg>',
        ["上证指数", "收涨1.2%"],
        ["图表标题", "图表说明"],
    ),
    (
        "<svg><style>text { fill: red }</style><defs><text id='t'>定义里的字</text></defs>"
        "<g><text><textPath href='#p'>沿路径的字</textPath></text></g>游离的字</svg>",
        ["沿路径的字"],
        ["fill: red", "定义里的字", "游离的字"],
    ),
    (
        '<SVG><A href="javascript:alert(1)"><TEXT>链接文字</TEXT></A></SVG>',
        ["链接文字"],
        ["alert"],
    ),
    (
        "<svg><foreignObject width='100' height='50'><p>嵌入的段落</p></foreignObject></svg><p>图后正文</p>",
        ["嵌入的段落", "图后正文"],
        [],
    ),
    (
        "<p>公式：<math><mi>x</mi>\n<mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac></math>。</p>",
        ["公式：x=1/2。"],
        [],
    ),
    (
        '<math display="block"><msup><mi>E</mi><mn>2</mn></msup><mo>+</mo>'
        "<msubsup><mi>a</mi><mi>i</mi><mn>3</mn></msubsup></math>",
        ["E2+ai3"],
        [],
    ),
    (
        '<math><semantics><mrow><mi>r</mi><mo>%</mo></mrow><annotation encoding="application/x-tex">'
        "r\\%</annotation><annotation-xml encoding='text/html'><b>注释</b></annotation-xml></semantics></math>",
        ["r%"],
        ["\\%", "注释"],
    ),
    (
        "<math><mtext>收益率<b>加粗</b></mtext><ms>字符串</ms></math>",
        ["收益率加粗", "字符串"],
        [],
    ),
]


def shown_text(html: str) -> str:
    """The text a browser shows of a body, as html5lib parses it (outside style, script and foreign titles),
    whitespace left out."""
    root = html5lib.parseFragment(html, container="div", treebuilder="etree", namespaceHTMLElements=False)
    hidden = {"style", "script", "title"}
    parts = []
    for node in root.iter():
        tag = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else None
        if tag and tag not in hidden:
            parts.append(node.text or "")
        parts.append(node.tail or "")
    return "".join("".join(parts).split())


@pytest.mark.parametrize(("served", "shown", "unshown"), FOREIGN)
def test_svg_and_mathml_keep_the_text_a_browser_shows_and_nothing_else(served, shown, unshown):
    html, _ = normalise(served, BASE)
    text = shown_text(html)
    assert "<svg" not in html.lower() and "<math" not in html.lower()
    position = 0
    for piece in shown:
        found = text.find("".join(piece.split()), position)
        assert found >= 0, (piece, text)
        position = found + len("".join(piece.split()))
    assert [piece for piece in unshown if piece in html] == []


def test_no_text_a_browser_shows_of_svg_or_mathml_is_lost():
    """Characters of the shown text (FOREIGN) missing from the normalised body: none of all of them."""
    wanted = lost = 0
    for served, shown, _ in FOREIGN:
        text = shown_text(normalise(served, BASE)[0])
        for piece in shown:
            compact = "".join(piece.split())
            wanted += len(compact)
            lost += sum(max(0, compact.count(char) - text.count(char)) for char in set(compact))
    assert wanted > 50 and lost == 0


def test_svg_text_runs_are_apart_and_scripts_are_sub_and_sup():
    assert readable_foreign("<svg><text>甲</text><text>乙</text></svg>") == "<span>甲 乙</span>"
    assert readable_foreign("<math><msub><mi>a</mi><mi>i</mi></msub></math>") == "<span>a<sub>i</sub></span>"


def test_markup_without_svg_or_mathml_is_left_as_it_is():
    served = "<p>a<svgx>b</svgx><b>mathematics</b> &amp; <!-- c --></p>"
    assert readable_foreign(served) is served


@pytest.mark.parametrize(
    "served",
    [
        "<svg><text>&lt;img src=x onerror=alert(1)&gt;</text></svg>",
        "<svg><text><![CDATA[<img src=x onerror=alert(1)>]]></text></svg>",
        "<math><mi>&lt;script&gt;alert(1)&lt;/script&gt;</mi></math>",
        "<svg><text>&lt;/span&gt;&lt;iframe src=javascript:alert(1)&gt;</text></svg>",
    ],
)
def test_markup_spelled_as_text_in_svg_or_mathml_stays_text(served):
    html, _ = normalise(served, BASE)
    assert browser_problems(html) == []
    assert "alert(1)" in shown_text(html)
