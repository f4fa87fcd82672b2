import subprocess
import sys
from datetime import datetime

import lxml.html
import pytest
from gne import GeneralNewsExtractor

from newsbot import generic
from newsbot.body import normalise
from newsbot.charset import decode_html
from newsbot.dates import BEIJING
from newsbot.extraction import article_from_page, extract_page
from newsbot.sites.base import FINANCE, Categories, NotAnArticle
from tests.conftest import PAGES, needs_shared

URL = "https://www.example-finance.com.cn/news/2024/0510/123.html"
PARAGRAPHS = "".join(
    f"<p>第{n}段：央行今日开展逆回购操作，市场流动性保持合理充裕，短端利率平稳运行，债市情绪稳定。</p>"
    for n in range(6)
)


def page(head: str = "", header: str = "", body: str = PARAGRAPHS, after: str = "") -> str:
    return f"""<html><head><meta charset="utf-8">{head}</head><body>
<div class="nav"><a href="/">首页</a> <a href="/finance">财经</a> <a href="/stock">股票</a></div>
<div class="main">{header}<div class="content" id="article">{body}</div>{after}</div>
<div class="footer"><a href="/about">关于我们</a> <a href="/contact">联系我们</a></div>
</body></html>"""


def test_site_name_and_categories_come_from_the_host():
    assert generic.site_name(URL) == "www-example-finance-com-cn"
    assert generic.categories(URL) == Categories(
        FINANCE, "www.example-finance.com.cn", "www.example-finance.com.cn"
    )


def test_title_is_the_h1_the_title_holds_and_body_keeps_paragraphs_and_images():
    html = page(
        head="<title>央行开展逆回购操作_财经频道_示例网</title>",
        header='<h1>央行开展逆回购操作</h1><div class="info"><span>2024年05月10日 08:15</span> 来源：<a>证券时报</a></div>',
        body=PARAGRAPHS + '<p><img src="/img/1.png" alt="图"></p><script>var x = 1;</script>'
        '<p class="editor">责任编辑：张三</p>',
    )
    extracted = generic.extract(html, URL)
    assert extracted.title == "央行开展逆回购操作"
    assert extracted.published == datetime(2024, 5, 10, 8, 15, tzinfo=BEIJING)
    assert (extracted.outlet, extracted.editor) == ("证券时报", "张三")
    body = lxml.html.fragment_fromstring(extracted.body_html, create_parent="div")
    assert len(body.findall("p")) >= 6
    assert body.find(".//img").get("src") == "/img/1.png"
    assert "<script" not in extracted.body_html
    assert "责任编辑：张三" in extracted.body_html


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "四年前中500万现穷困潦倒 一夜暴富后如何经营__商贸_产业资讯_新浪网",
            "四年前中500万现穷困潦倒 一夜暴富后如何经营",
        ),
        ("60万账号外泄? 中铁总辟谣称消息不实|辟谣_新浪财经_新浪网", "60万账号外泄? 中铁总辟谣称消息不实"),
        ("民间资本路在何方 - 搜狐财经", "民间资本路在何方"),
        ("Fed holds rates steady", "Fed holds rates steady"),
    ],
)
def test_title_without_a_heading_loses_its_site_suffix(title, expected):
    root = lxml.html.document_fromstring(f"<html><head><title>{title}</title></head><body></body></html>")
    assert generic.find_title(root, "") == expected


def test_title_prefers_the_library_over_an_untrimmed_title():
    root = lxml.html.document_fromstring("<html><head><title>某标题_某网</title></head><body></body></html>")
    assert generic.find_title(root, "某标题") == "某标题"


def test_shown_date_beats_the_meta_update_time_and_meta_is_the_fallback():
    shown = lxml.html.document_fromstring(
        '<html><head><meta property="article:published_time" content="2018-09-28T18:16:33+08:00"></head>'
        '<body><span class="date">2018年09月28日 17:53</span></body></html>'
    )
    assert generic.find_published(shown, None) == datetime(2018, 9, 28, 17, 53, tzinfo=BEIJING)
    meta_only = lxml.html.document_fromstring(
        '<html><head><meta property="article:published_time" content="2018-09-28T18:16:33+08:00"></head>'
        "<body><p>正文</p></body></html>"
    )
    assert generic.find_published(meta_only, None) == datetime(2018, 9, 28, 18, 16, 33, tzinfo=BEIJING)
    assert generic.find_published(lxml.html.document_fromstring("<p>x</p>"), "2019-09-26 10:56") == datetime(
        2019, 9, 26, 10, 56, tzinfo=BEIJING
    )


@needs_shared
def test_a_lone_paragraph_gne_picks_is_widened_to_its_siblings():
    path = PAGES / "netease_money" / "cxextractor_money.163.com_2015_RawHtml_12.html"
    text = decode_html(path.read_bytes(), None)
    assert "李克强说" not in GeneralNewsExtractor().extract(text, with_body_html=True)["body_html"]
    body = generic.extract(text, "https://money.example/a.html").body_html
    assert (
        body.index("记者从中国政府网获悉") < body.index("李克强说，中国经济上半年") < body.index("另据报道")
    )


FURNITURE = (
    '<p style="display: none"><img src="/share.jpg"></p>'
    '<img src="/track.gif" width="1" height="1">'
    '<div style="visibility:hidden"><img src="/qr.png">扫码关注</div>'
)


@pytest.mark.parametrize(
    ("photo", "first"),
    [('<p><img src="/photo.jpg"></p>', "https://www.example-finance.com.cn/photo.jpg"), ("", None)],
)
def test_hidden_elements_and_pixel_images_are_dropped_and_never_the_picture(photo, first):
    html = page(head="<title>央行开展逆回购操作_示例网</title>", body=FURNITURE + PARAGRAPHS + photo)
    extracted = generic.extract(html, URL)
    for furniture in ("share.jpg", "track.gif", "qr.png", "扫码关注"):
        assert furniture not in extracted.body_html
    assert "第5段" in extracted.body_html
    assert normalise(extracted.body_html, URL)[1] == first


@needs_shared
@pytest.mark.parametrize(
    ("file", "url", "furniture"),
    [
        (
            "caijing/magichtml_caijing_economy_20240511_5010608.html",
            "http://economy.caijing.com.cn/20240511/5010608.shtml",
            "114048455.jpg",
        ),
        (
            "xinhua_fortune/newspaper4k_news.cn_fortune_2023-11_c_1129981476.html",
            "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm",
            "space.gif",
        ),
    ],
)
def test_hidden_images_of_real_pages_are_not_the_picture(file, url, furniture):
    extracted = generic.extract(decode_html((PAGES / file).read_bytes(), None), url)
    assert furniture not in extracted.body_html
    assert normalise(extracted.body_html, url)[1] is None


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body></body></html>",
        page(head="<title>首页</title>", body="<ul><li><a href='/1'>新闻一</a></li></ul>"),
    ],
)
def test_a_page_without_an_article_body_is_refused(html):
    with pytest.raises(NotAnArticle):
        generic.extract(html, URL)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel/></rss>', "whose root is <rss> (a feed"),
        ("<?xml version='1.0'?><!-- map --><urlset xmlns='x'><url/></urlset>", "whose root is <urlset>"),
        ('\ufeff<?xml version="1.0"?>\n<atom:feed xmlns:atom="http://www.w3.org/2005/Atom"/>', "<feed> (a feed"),
        ('<rss version="2.0"><channel><title>新闻</title></channel></rss>', "whose root is <rss> (a feed"),
        ('\ufeff\n<!-- feed --><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', "<feed> (a feed"),
        ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "whose root is <rdf> (a feed"),
    ],
)
def test_an_xml_document_is_refused_as_not_an_html_page(document, reason):
    with pytest.raises(NotAnArticle, match=r"^not an HTML page: an XML document ") as refused:
        generic.extract(document, URL)
    assert reason in str(refused.value)


def test_an_xhtml_page_with_an_xml_declaration_is_read():
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n'
    html = page(head="<title>央行开展逆回购操作_示例网</title>", header="<h1>央行开展逆回购操作</h1>")
    assert generic.extract(declaration + html, URL) == generic.extract(html, URL)


def test_extract_page_uses_the_generic_extractor_for_unknown_hosts():
    html = page(head="<title>央行开展逆回购操作_示例网</title>", header="<h1>央行开展逆回购操作</h1>")
    found = extract_page(html, URL)
    assert found.site == "www-example-finance-com-cn"
    assert found.extracted.title == "央行开展逆回购操作"
    article = article_from_page(html, URL, datetime(2024, 5, 10, tzinfo=BEIJING))
    assert article["site"] == "www-example-finance-com-cn"
    assert article["categories"] == (FINANCE, "www.example-finance.com.cn", "www.example-finance.com.cn")
    assert article["author"] == "www.example-finance.com.cn"
    assert article["published"] == datetime(2024, 5, 10, tzinfo=BEIJING)


@needs_shared
def test_extract_page_uses_the_site_adapter_for_its_host():
    url = "https://news.sina.com.cn/c/2024-05-10/doc-inausehc2630922.shtml"
    text = decode_html(
        (PAGES / "sina" / "magichtml_news_2024-05-10_doc-inausehc2630922.html").read_bytes(), None
    )
    assert extract_page(text, url).site == "sina"


@needs_shared
@pytest.mark.parametrize(
    ("file", "title", "published"),
    [
        (
            "caijing/magichtml_caijing_economy_20240511_5010608.html",
            "2024年4月全国CPI同比上涨0.3% 食品价格下降2.7%",
            datetime(2024, 5, 11, 9, 36, 26, tzinfo=BEIJING),
        ),
        (
            "sina/htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9218647.html",
            "天安门城楼更换毛主席画像 60多年经历8次更换",
            datetime(2018, 9, 28, 17, 53, tzinfo=BEIJING),
        ),
        (
            "sohu_business/cwced_business.sohu.com_20040716_n221031086_gb2312.html",
            "劳伦斯：一个无法定义的“洛克菲勒”",
            datetime(2004, 7, 16, 8, 19, tzinfo=BEIJING),
        ),
    ],
)
def test_real_pages(file, title, published):
    extracted = generic.extract(decode_html((PAGES / file).read_bytes(), None), "https://unknown.example/a")
    assert extracted.title == title
    assert extracted.published == published
    assert lxml.html.fragment_fromstring(extracted.body_html, create_parent="div").findall(".//p")


@needs_shared
def test_an_h1_the_title_holds_beats_the_site_name_gne_takes():
    text = decode_html((PAGES / "mingridapan" / "gne_mingridapan_shishi_637863.html").read_bytes(), None)
    assert GeneralNewsExtractor().extract(text)["title"] == "明日股市预测"
    assert generic.extract(text, "http://www.mingridapan.com/shishi/news/637863.html").title == (
        "最新出炉联合国贸发报告：2019年全球经济增长率降至2.3%"
    )


@needs_shared
def test_real_list_pages_are_refused():
    for path in sorted((PAGES / "sina_list").glob("*.html")):
        with pytest.raises(NotAnArticle):
            generic.extract(decode_html(path.read_bytes(), None), "https://www.sina.com.cn/")


def _fetch(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from newsbot.cli import main; main()", "fetch", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_fetch_any_site_writes_a_post_through_the_generic_extractor(tmp_path):
    saved = tmp_path / "page.html"
    saved.write_text(
        page(
            head="<title>央行开展逆回购操作_示例网</title>",
            header='<h1>央行开展逆回购操作</h1><div class="time">2024-05-10 08:15</div>',
        ),
        encoding="utf-8",
    )
    result = _fetch(URL, "--html", str(saved), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    assert result.returncode == 0, result.stderr
    [post] = (tmp_path / "out").rglob("*.md")
    assert post.relative_to(tmp_path / "out").parts[:3] == ("www-example-finance-com-cn", "2024", "05")
    text = post.read_text(encoding="utf-8")
    assert "title: 央行开展逆回购操作" in text or "title: '央行开展逆回购操作'" in text
    assert "<p>第0段" in text


def test_fetch_a_page_without_an_article_body_is_a_one_line_error(tmp_path):
    saved = tmp_path / "page.html"
    saved.write_text(page(head="<title>首页</title>", body="<ul><li><a href='/1'>新闻</a></li></ul>"))
    result = _fetch(URL, "--html", str(saved), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    assert result.returncode == 1
    assert result.stderr.startswith("newsbot: error:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.rglob("*.md"))


@pytest.mark.parametrize("page", ["<html></html>", "plain text, no markup", "\xff\xfe\x00garbage"])
def test_a_page_gne_finds_no_text_block_in_is_refused_as_not_an_article(page):
    with pytest.raises(NotAnArticle, match="no article body found"):
        generic.extract(page, "http://127.0.0.1/a.html")
