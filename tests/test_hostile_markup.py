"""The hostile corpus (tests/hostile_corpus.py) inside Sina pages, a NetEase page, a page only the generic extractor
reads and RSS feed bodies: every post newsbot writes is valid and, parsed as a browser parses it (html5lib),
holds nothing that runs script or loads a document; Hexo's Markdown renderer makes no live link of its text."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import html5lib
import pytest
from itemadapter import ItemAdapter
from scrapy.utils.test import get_crawler

from newsbot.extraction import article_from_page
from newsbot.feeds import parse_feed
from newsbot.items import Article
from newsbot.pipelines.normalise import NormalisePipeline
from newsbot.pipelines.store import post_of
from newsbot.post import render, split
from newsbot.validate import problems
from tests.collect_posts import TAG_TEXT
from tests.conftest import PAGES, SEED_PAGE, SEED_URL, SHARED, hexo_build, needs_shared
from tests.hostile_corpus import HOSTILE_HTML, LIBXML2_MISREAD, MARKDOWN_TEXT, browser_problems
from tests.test_body import FOREIGN, shown_text

pytestmark = needs_shared

KEPT = "正文保留：这段文字在清理之后必须留在文章里。"
NETEASE_PAGE = PAGES / "netease_money" / "cxextractor_money.163.com_2015_RawHtml_1.html"
NETEASE_URL = "https://money.163.com/15/0105/08/AFB6JNNF00253B0H.html"
GENERIC_URL = "https://news.example.org/2024/05/10/markets-1.html"
FEED_URL = "https://feeds.example.org/finance.xml"
FILLER = "".join(f"<p>第{n}段：上证指数今日收盘上涨，成交额较前一交易日有所放大，市场情绪回暖，券商板块领涨。</p>" for n in range(6))
GENERIC_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>市场收盘评述 - 示例新闻</title>
<meta property="article:published_time" content="2024-05-10T16:00:00+08:00"></head>
<body><div class="nav"><a href="/">首页</a></div><article><h1>市场收盘评述</h1>
<div class="content">{filler}<p>{kept}</p>{payload}<p>文章结束。</p></div></article>
<div class="footer">版权所有</div></body></html>"""
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>示例财经</title>
<link>https://feeds.example.org/</link><description>d</description>
<item><title>市场收盘评述</title><link>https://feeds.example.org/a/1.html</link>
<pubDate>Fri, 10 May 2024 08:00:00 GMT</pubDate><content:encoded>{content}</content:encoded></item>
</channel></rss>"""
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def pipeline() -> NormalisePipeline:
    crawler = get_crawler(settings_dict={"NEWSBOT_PLACEHOLDER_IMAGE": "https://picsum.photos/400/300?random={n}"})
    return NormalisePipeline.from_crawler(crawler)


def post_of_item(item: Article) -> str:
    return render(post_of(ItemAdapter(pipeline().process_item(item))))


def sina_post(fragment: str) -> str:
    page = SEED_PAGE.read_text(encoding="utf-8")
    opening = '<div class="article" id="artibody" data-sudaclick="blk_content">'
    page = page.replace(opening, f"{opening}<p>{KEPT}</p>{fragment}", 1)
    return post_of_item(article_from_page(page, SEED_URL))


def netease_post(fragment: str) -> str:
    page = NETEASE_PAGE.read_bytes().decode("gb18030")
    opening = 'id="endText" class="end-text">'
    assert opening in page
    page = page.replace(opening, f"{opening}<p>{KEPT}</p>{fragment}", 1)
    return post_of_item(article_from_page(page, NETEASE_URL))


def generic_post(fragment: str) -> str:
    page = GENERIC_PAGE.format(filler=FILLER, kept=KEPT, payload=fragment)
    return post_of_item(article_from_page(page, GENERIC_URL))


def feed_post(fragment: str) -> str:
    content = _XML_INVALID.sub("", f"{FILLER}<p>{KEPT}</p>{fragment}")
    feed = parse_feed(RSS.format(content=html.escape(content)).encode("utf-8"), FEED_URL)
    entry = feed.entries[0]
    assert entry.html is not None, feed.problem
    item = Article(
        url=entry.url,
        site="example",
        categories=("金融", "示例财经", "示例财经－要闻"),
        author="示例财经",
        title=entry.title,
        published=entry.published,
        body_html=entry.html,
    )
    return post_of_item(item)


CARRIERS: dict[str, Callable[[str], str]] = {
    "sina": sina_post,
    "netease": netease_post,
    "generic": generic_post,
    "feed": feed_post,
}


def test_the_corpus_is_caught_raw():
    """Every entry runs or loads something as written, so a clean post proves the sanitiser removed it."""
    assert len(HOSTILE_HTML) > 700
    assert [name for name, fragment in HOSTILE_HTML.items() if not browser_problems(fragment)] == []


@pytest.mark.parametrize("carrier", CARRIERS)
def test_hostile_markup_never_reaches_a_post(carrier, tmp_path):
    make = CARRIERS[carrier]
    failures = {}
    for number, (name, fragment) in enumerate(HOSTILE_HTML.items()):
        text = make(fragment)
        (tmp_path / f"{carrier}-{number:04d}.md").write_text(text, encoding="utf-8")
        _, inner = split(text)
        found = problems(text) + browser_problems(inner)
        if KEPT not in inner:
            found.append("the article's text was lost")
        if found:
            failures[name] = found
    assert failures == {}


def test_misread_markup_stays_dead(tmp_path):
    for name, fragment in LIBXML2_MISREAD.items():
        assert browser_problems(fragment) == [], name
        text = sina_post(fragment)
        (tmp_path / f"misread-{len(name)}-{name.split()[0]}.md").write_text(text, encoding="utf-8")
        assert problems(text) == [], name
        assert browser_problems(split(text)[1]) == [], name


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="node and npm build the Hexo site")
def test_hexo_renders_no_live_link_from_body_text(tmp_path):
    """Built by real Hexo (hexo-renderer-marked), no page holds a link the body's text spelled in Markdown, shows
    a tag the post does not hold as text, or loses an image. (``hexo_build.sh --strict`` would count the text
    ``<javascript:…>`` these posts hold on purpose as a tag shown as text, so the pages are compared here.)"""
    posts = tmp_path / "posts"
    posts.mkdir()
    samples = [*MARKDOWN_TEXT, *list(HOSTILE_HTML.values())[::40], *LIBXML2_MISREAD.values()]
    for number, fragment in enumerate(samples):
        item = Article(
            url=f"https://finance.sina.com.cn/china/2024-05-10/doc-imarkdown{number:04d}.shtml",
            site="sina",
            categories=("金融", "新浪财经", "新浪财经－国內"),
            author="新浪财经",
            title=f"标题 {number}",
            published=datetime(2024, 5, 10, 8, tzinfo=UTC),
            body_html=f"<p>{KEPT}</p>{fragment}",
        )
        (posts / f"md-{number:03d}.md").write_text(post_of_item(item), encoding="utf-8")
    site = hexo_build(posts)
    names = dict(line.split("\t", 1) for line in (site / "names.tsv").read_text(encoding="utf-8").splitlines())
    pages = {page.parent.name: page for page in (site / "public").rglob("index.html") if page.parent.name in names}
    assert len(pages) == len(samples)
    for stem, page in pages.items():
        _, inner = split((posts / names[stem]).read_text(encoding="utf-8"))
        built = page.read_text(encoding="utf-8")
        article = built[built.index("</h1>") + len("</h1>") : built.rindex("</article>")]
        assert browser_problems(article) == [], names[stem]
        assert len(TAG_TEXT.findall(article)) == len(TAG_TEXT.findall(inner)), f"tags shown as text: {names[stem]}"
        assert article.count("<img") == inner.count("<img") and article.count("<pre") == inner.count("<pre")
        document = html5lib.parse(built, treebuilder="etree", namespaceHTMLElements=False)
        links = [a.get("href", "") for a in document.iter("a")]
        assert not [link for link in links if "evil.example" in link or "alert" in link], names[stem]


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="node and npm build the Hexo site")
def test_svg_and_mathml_bodies_pass_check_post_and_hexo_strict_with_their_text(tmp_path):
    """Posts of bodies holding SVG and MathML (tests/test_body.py's FOREIGN) pass ``check_post.py --strict``
    and ``hexo_build.sh --strict``, and each built page shows the text a browser shows of them."""
    posts = tmp_path / "posts"
    posts.mkdir()
    for number, (served, _, _) in enumerate(FOREIGN):
        for carrier in ("sina", "feed"):
            (posts / f"{carrier}-{number:02d}.md").write_text(CARRIERS[carrier](served), encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "check_post.py"), "--strict", str(posts)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    site = hexo_build(posts, strict=True)
    names = dict(line.split("\t", 1) for line in (site / "names.tsv").read_text(encoding="utf-8").splitlines())
    pages = {names[page.parent.name]: page for page in (site / "public").rglob("index.html") if page.parent.name in names}
    assert len(pages) == 2 * len(FOREIGN)
    for name, page in pages.items():
        built = page.read_text(encoding="utf-8")
        article = shown_text(built[built.index("</h1>") + len("</h1>") : built.rindex("</article>")])
        _, shown, _ = FOREIGN[int(name.split("-")[1][:2])]
        assert all("".join(piece.split()) in article for piece in shown), (name, shown)
        assert browser_problems(built) == [], name
