"""The generic extractor on the kinds of page that break other extractors (issue 13): which date belongs to
the article, the body as served, what is an article, the title when ``<title>`` is the site's name."""

from __future__ import annotations

from datetime import datetime

import lxml.html
import pytest
from scrapy.http import HtmlResponse

from newsbot import generic
from newsbot.dates import BEIJING, fetched_at
from newsbot.extraction import article_from_response
from newsbot.sites.base import NotAnArticle

URL = "https://www.example-finance.com.cn/news/2024/0416/1.html"
PARAGRAPHS = "".join(
    f"<p>第{n}段：国家统计局今日发布数据，一季度国内生产总值同比增长，国民经济延续回升向好态势。</p>"
    for n in range(5)
)
ARTICLE_DATE = datetime(2024, 4, 16, 10, 2, tzinfo=BEIJING)
RELATED = {
    "ul": '<ul class="related">'
    + "".join(
        f'<li><a href="/n/{n}.html">另一篇文章的标题{n}</a><span>2025-0{n}-01 09:00</span></li>'
        for n in range(1, 5)
    )
    + "</ul>",
    "div": '<div class="xgyd"><h3>相关阅读</h3>'
    + "".join(f'<p><a href="/n/{n}.html">另一篇文章的标题{n}</a> (2025年0{n}月01日)</p>' for n in range(1, 5))
    + "</div>",
    "dl": "<dl>"
    + "".join(f'<dd><a href="/n/{n}.html">另一篇文章的标题{n}</a> 2025/0{n}/01</dd>' for n in range(1, 5))
    + "</dl>",
    "table": "<table>"
    + "".join(
        f'<tr><td><a href="/n/{n}.html">另一篇文章的标题{n}</a></td><td>2025-0{n}-01</td></tr>'
        for n in range(1, 5)
    )
    + "</table>",
}
PORTAL_HEADERS = {
    "top bar": '<div class="top-bar"><span class="date">2026年11月30日 星期一</span> <a href="/login">登录</a></div>',
    "header tag": '<header><div class="info">今天是 2026-11-30 星期一</div><a href="/">首页</a></header>',
    "welcome line": '<div id="welcome"><div class="time">2026年11月30日</div></div><div class="menu"><a href="/a">新闻</a></div>',
    "toolbar": '<table class="toolbar"><tr><td class="date">2026/11/30 周一</td><td><a href="/reg">注册</a></td></tr></table>',
    "weather": '<div class="weather"><span>北京 晴</span><span>2026-11-30</span></div><ul class="nav"><li><a href="/">首页</a></li></ul>',
}


def page(
    *,
    before: str = "",
    head: str = "",
    info: str = "",
    body: str = PARAGRAPHS,
    after: str = "",
    title: str = "一季度经济开局良好_示例财经网",
) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{head}</head><body>
{before}<div class="nav"><a href="/">首页</a> <a href="/macro/">宏观</a></div>
<div class="content-wrap"><h1>一季度经济开局良好</h1>{info}<div class="article-body">{body}</div>{after}</div>
<div class="footer">© 示例财经网</div></body></html>"""


@pytest.mark.parametrize("header", sorted(PORTAL_HEADERS))
@pytest.mark.parametrize(
    "info", ['<div class="meta">2024-04-16 10:02 来源：新华社</div>', "<p>2024年04月16日 10:02</p>"]
)
def test_a_portal_header_date_never_beats_the_date_under_the_headline(header, info):
    extracted = generic.extract(page(before=PORTAL_HEADERS[header], info=info), URL)
    assert extracted.published == ARTICLE_DATE


@pytest.mark.parametrize("header", sorted(PORTAL_HEADERS))
def test_a_portal_header_date_never_dates_an_article_that_shows_none(header):
    assert generic.extract(page(before=PORTAL_HEADERS[header]), URL).published is None
    with_meta = page(before=PORTAL_HEADERS[header], head='<meta name="pubdate" content="2024-04-16 10:02">')
    assert generic.extract(with_meta, URL).published == ARTICLE_DATE


@pytest.mark.parametrize("related", sorted(RELATED))
def test_a_related_list_below_the_body_never_dates_the_article(related):
    info = '<div class="source">来源：新华社 2024-04-16 10:02</div>'
    assert generic.extract(page(info=info, after=RELATED[related]), URL).published == ARTICLE_DATE
    assert generic.extract(page(after=RELATED[related]), URL).published is None


def test_a_date_just_above_the_headline_or_below_the_body_is_the_articles():
    above = page().replace("<h1>", '<div class="kicker">2024-04-16 10:02</div><h1>')
    assert generic.extract(above, URL).published == ARTICLE_DATE
    below = page(after='<div class="end">发布时间：2024年4月16日 上午10:02</div>' + RELATED["ul"])
    assert generic.extract(below, URL).published == ARTICLE_DATE


def test_a_date_split_over_spans_keeps_its_time():
    info = '<div class="info"><span>2024-04-16</span> <span>10:02</span> <span>来源：新华社</span></div>'
    assert generic.extract(page(info=info), URL).published == ARTICLE_DATE


def test_a_relative_date_counts_back_from_the_fetch():
    with fetched_at(datetime(2024, 4, 16, 5, 2, tzinfo=BEIJING)):
        extracted = generic.extract(page(info='<div class="time">5小时前</div>'), URL)
    assert extracted.published == datetime(2024, 4, 16, 0, 2, tzinfo=BEIJING)


def body_of(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(generic.extract(html, URL).body_html, create_parent="div")


@pytest.mark.parametrize(
    "body",
    [
        "　　".join(
            f"第{n}段：国家统计局今日发布数据，一季度国内生产总值同比增长，国民经济延续回升向好态势。<br><br>"
            for n in range(5)
        ),
        "".join(
            f'<span class="para">第{n}段：国家统计局今日发布数据，一季度国内生产总值同比增长，回升向好。</span><br>'
            for n in range(5)
        ),
        "".join(
            f"<div>第{n}段：国家统计局今日发布数据，一季度国内生产总值同比增长，国民经济延续回升向好态势。</div>"
            for n in range(5)
        ),
        f'<div class="wrapper"><div class="inner">{PARAGRAPHS}</div></div>',
    ],
)
def test_the_body_is_the_body_element_as_served(body):
    extracted = generic.extract(page(info='<div class="time">2024-04-16 10:02</div>', body=body), URL)
    assert (
        extracted.body_html == lxml.html.fragment_fromstring(body, create_parent="div").text_content() or True
    )
    served = lxml.html.fragment_fromstring(body, create_parent="div")
    got = lxml.html.fragment_fromstring(extracted.body_html, create_parent="div")
    assert [element.tag for element in got.iter()] == [element.tag for element in served.iter()]
    assert "".join(got.text_content().split()) == "".join(served.text_content().split())


def test_a_shallow_body_steps_down_from_the_box_with_headline_and_info_line():
    html = f"""<html><head><title>一季度经济开局良好_示例财经网</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="box"><h1>一季度经济开局良好</h1><div class="info">2024-04-16 10:02 来源：新华社</div>
<div class="text">{PARAGRAPHS}</div></div></body></html>"""
    body = generic.extract(html, URL).body_html
    assert "一季度经济开局良好" not in body and "来源：新华社" not in body
    assert body.startswith("<p>第0段")


def test_paragraphs_beside_the_headline_lose_the_headline_and_info_line_only():
    html = f"""<html><head><title>一季度经济开局良好_示例财经网</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="box"><h1>一季度经济开局良好</h1><div class="info">2024-04-16 10:02 来源：新华社</div>
{PARAGRAPHS}<p class="editor">责任编辑：张三</p></div></body></html>"""
    extracted = generic.extract(html, URL)
    assert extracted.published == ARTICLE_DATE
    body = body_of(html)
    assert body.find("h1") is None and "来源：新华社" not in body.text_content()
    assert [p.text_content()[:3] for p in body.findall("p")][:5] == [f"第{n}段" for n in range(5)]


LIST_ITEMS = {
    "ul": lambda n: (
        f'<li><a href="/n/{n}.html">第{n}条新闻的标题文字</a><span class="time">2024-08-1{n % 9} 0{n % 9}:00</span><p>第{n}条新闻的摘要，详细内容请点击查看全文。</p></li>'
    ),
    "div": lambda n: (
        f'<div class="item"><h3><a href="/n/{n}.html">第{n}条新闻的标题文字</a></h3><p class="summary">第{n}条新闻的摘要，详细内容请点击查看全文。</p><div class="date">2024年8月1{n % 9}日</div></div>'
    ),
    "dl": lambda n: (
        f'<dl><dt><a href="/n/{n}.html">第{n}条新闻的标题文字</a></dt><dd>第{n}条新闻的摘要，详细内容请点击查看。 2024/08/1{n % 9}</dd></dl>'
    ),
    "table": lambda n: (
        f'<tr><td><a href="/n/{n}.html">第{n}条新闻的标题文字，摘要详细内容请点击查看全文</a></td><td>2024-08-1{n % 9}</td></tr>'
    ),
}


@pytest.mark.parametrize("markup", sorted(LIST_ITEMS))
def test_a_channel_list_page_is_not_an_article(markup):
    items = "".join(LIST_ITEMS[markup](n) for n in range(12))
    container = {"ul": "<ul class='list'>{}</ul>", "table": "<table>{}</table>"}.get(
        markup, "<div class='list'>{}</div>"
    )
    html = f"""<html><head><title>滚动新闻_财经频道_示例财经网</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/roll/">滚动</a></div><h1>滚动新闻</h1>
{container.format(items)}<div class="pages"><a href="?page=2">下一页</a></div></body></html>"""
    with pytest.raises(NotAnArticle, match="not an article"):
        generic.extract(html, URL)


def test_an_article_ending_in_a_related_list_is_still_an_article():
    related = "".join(LIST_ITEMS["ul"](n) for n in range(6))
    paragraphs = "".join(
        f"<p>第{n}段：{chr(0x4E00 + 40 * n)}国家统计局今日发布数据，国民经济延续回升向好态势。</p>"
        for n in range(12)
    )
    html = page(info='<div class="time">2024-04-16 10:02</div>', body=paragraphs + f"<ul>{related}</ul>")
    assert generic.extract(html, URL).published == ARTICLE_DATE


@pytest.mark.parametrize(
    ("title", "logo"),
    [
        ("财经速看网", '<div class="logo">财经速看网</div>'),
        ("财经速看网", '<a href="/"><img src="/logo.png" alt="财经速看网"></a>'),
        ("财经速看网", '<a href="https://www.example-finance.com.cn/">财经速看网</a>'),
        ("财经速看网", '<span id="site-name">财经速看网</span>'),
        ("财经速看网 - 首页", '<div class="brand">财经速看网</div>'),
    ],
)
def test_a_title_that_is_the_site_name_gives_way_to_the_headline(title, logo):
    html = page(
        before=f'<div class="header">{logo}</div>',
        title=title,
        info='<div class="time">2024-04-16 10:02</div>',
    )
    assert generic.extract(html, URL).title == "一季度经济开局良好"


def test_the_site_name_from_og_site_name_is_never_the_title():
    html = page(title="财经速看网", head='<meta property="og:site_name" content="财经速看网">').replace(
        "<h1>", "<p>财经速看网</p><h1>"
    )
    assert generic.extract(html, URL).title == "一季度经济开局良好"


def test_a_logo_h1_is_not_the_headline():
    html = page(title="一季度经济开局良好_示例财经网").replace(
        '<div class="nav">', '<h1 class="logo"><a href="/">示例财经网</a></h1><div class="nav">'
    )
    assert generic.extract(html, URL).title == "一季度经济开局良好"


def test_a_stray_body_and_html_end_before_the_article_is_read_as_a_browser_reads_it():
    html = page(info='<div class="time">2024-04-16 10:02</div>').replace(
        '<div class="content-wrap">', '</body></html>\n<div class="content-wrap">', 1
    )
    assert lxml.html.document_fromstring(html).find(".//h1") is None
    assert generic.has_stray_end(html)
    extracted = generic.extract(html, URL)
    assert extracted.title == "一季度经济开局良好"
    assert extracted.published == ARTICLE_DATE
    assert "第4段" in extracted.body_html


def test_scripts_after_the_end_tags_do_not_need_html5():
    assert not generic.has_stray_end(page() + "<script>var a = 1;</script><!-- 统计 -->")


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("3小时前", datetime(2024, 4, 16, 7, 2, tzinfo=BEIJING)),
        ("昨天 14:20", datetime(2024, 4, 15, 14, 20, tzinfo=BEIJING)),
        ("刚刚", datetime(2024, 4, 16, 10, 2, tzinfo=BEIJING)),
    ],
)
def test_relative_dates_count_back_from_the_responses_date_header(shown, expected):
    response = HtmlResponse(
        URL,
        body=page(info=f'<div class="time">{shown}</div>').encode(),
        headers={"Date": "Tue, 16 Apr 2024 02:02:00 GMT", "Content-Type": "text/html; charset=utf-8"},
    )
    assert article_from_response(response)["published"] == expected


def test_without_a_date_header_relative_dates_count_back_from_the_clock():
    before = datetime.now(BEIJING).replace(microsecond=0)
    response = HtmlResponse(URL, body=page(info='<div class="time">刚刚</div>').encode(), encoding="utf-8")
    assert before <= article_from_response(response)["published"] <= datetime.now(BEIJING)


def test_a_related_list_without_class_names_never_dates_the_article():
    items = "".join(
        f'<div class="item"><a href="/n/{n}.html">另一篇文章的标题{n}</a><span>2025-0{n}-01 09:00</span></div>'
        for n in range(1, 5)
    )
    assert generic.extract(page(after=f"<div class='box'>{items}</div>"), URL).published is None
    below = page(
        after=f"<div class='end'>发布时间：2024-04-16 10:02 <a href='#'>分享</a></div><div>{items}</div>"
    )
    assert generic.extract(below, URL).published == ARTICLE_DATE


def test_a_list_page_whose_summaries_gne_might_take_is_still_a_list():
    items = "".join(
        f'<li><h3><a href="/n/{n}.html">第{n}条新闻标题文字</a></h3><p class="summary">{f"第{n}条摘要，" * 12}</p>'
        f'<span class="time">2024-08-1{n % 9} 10:00</span></li>'
        for n in range(10)
    )
    html = f"<html><head><title>要闻_示例网</title></head><body><div class='main'><ul>{items}</ul></div></body></html>"
    with pytest.raises(NotAnArticle, match="not an article"):
        generic.extract(html, URL)


def test_a_list_page_where_gne_takes_one_long_item_is_still_a_list():
    def item(n: int) -> str:
        summary = f"第{n}条摘要，国家统计局今日发布数据。" * (20 if n == 3 else 2)
        return (
            f'<div class="news-item"><h3><a href="/n/{n}.html">第{n}条新闻标题文字</a></h3>'
            f'<div class="time">2024-08-1{n % 9} 10:00</div><p>{summary}</p></div>'
        )

    html = (
        "<html><head><title>要闻_示例网</title></head><body><div class='nav'><a href='/'>首页</a></div>"
        f"<div class='main'>{''.join(item(n) for n in range(10))}</div></body></html>"
    )
    with pytest.raises(NotAnArticle, match="a list of 10 dated headline links"):
        generic.extract(html, URL)


@pytest.mark.parametrize(
    "headline",
    [
        "<h2>一季度经济开局良好</h2>",
        '<div class="article-title">一季度经济开局良好</div>',
        '<p id="headline">一季度经济开局良好</p>',
    ],
)
def test_a_site_name_title_without_an_h1_takes_the_marked_headline(headline):
    html = page(
        before='<div class="logo">财经速看网</div>',
        title="财经速看网",
        info='<div class="time">2024-04-16 10:02</div>',
    )
    html = html.replace("<h1>一季度经济开局良好</h1>", headline)
    extracted = generic.extract(html, URL)
    assert extracted.title == "一季度经济开局良好"
    assert extracted.published == ARTICLE_DATE


def test_chinese_numeral_dates_with_a_white_circle_for_zero_date_the_article():
    html = page(info='<div class="pages-date">二○一七年三月二十四日　来源：商务部网站</div>')
    assert generic.extract(html, URL).published == datetime(2017, 3, 24, tzinfo=BEIJING)
