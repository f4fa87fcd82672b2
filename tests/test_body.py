import lxml.html

from newsbot.body import has_text, inner_html, normalise

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
