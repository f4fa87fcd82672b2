"""``newsbot crawl NAME`` on configured feeds served on 127.0.0.1 by a snapshot server (original URLs kept)."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import pytest

from tests.conftest import SEED_PAGE, SEED_URL, needs_shared
from tests.servers import run_newsbot, serve

FEED_URL = "https://feeds.example.com/finance.xml"
NEWS = "https://news.example.com/2024/0510/{n}.html"
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=utf-8"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}
SOURCE = """builtins = false
[sources.local-finance]
feed = "{feed}"
categories = ["金融", "本地财经", "本地财经－要闻"]
author = "本地财经"
"""


def text(seed: int, paragraphs: int = 5) -> list[str]:
    """Paragraphs of text unlike any other seed's, so no two articles are near duplicates."""
    chars = random.Random(seed)
    return ["".join(chr(chars.randint(0x4E00, 0x9FA5)) for _ in range(60)) + "。" for _ in range(paragraphs)]


def article_html(seed: int) -> str:
    return "".join(f"<p>{paragraph}</p>" for paragraph in text(seed)) + f'<p><img src="/img/{seed}.png"></p>'


def article_page(seed: int, title: str, shown_date: str | None = "2024-05-10 08:15") -> str:
    date = f'<div class="date">{shown_date}</div>' if shown_date else ""
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_示例网</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/finance'>财经</a></div>"
        f"<h1>{title}</h1>{date}<div class='article'>{article_html(seed)}</div>"
        "<div class='footer'><a href='/about'>关于我们</a></div></body></html>"
    )


def rss(items: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>本地财经</title>'
        f"<link>https://news.example.com/</link>{''.join(items)}</channel></rss>"
    )


def rss_item(n: int, description: str, date: str = "Fri, 10 May 2024 08:30:00 +0800") -> str:
    return (
        f"<item><title>新闻{n}</title><link>{NEWS.format(n=n)}</link>"
        f"<description><![CDATA[{description}]]></description><pubDate>{date}</pubDate></item>"
    )


@dataclass
class Run:
    returncode: int
    log: str
    stats: dict[str, int]
    hits: Counter
    posts: dict[str, frontmatter.Post]


def crawl(tmp_path: Path, entries: dict[str, dict], source: str = SOURCE.format(feed=FEED_URL)) -> Run:
    """Crawl the ``local-finance`` source with every URL answered from ``entries`` on 127.0.0.1."""
    sources = tmp_path / "sources.toml"
    sources.write_text(source, encoding="utf-8")
    out, summary = tmp_path / "out", tmp_path / "summary.json"
    with serve(entries, tmp_path) as server:
        result = run_newsbot(
            "crawl",
            "local-finance",
            "-s",
            f"NEWSBOT_OUTPUT_DIR={out}",
            "-s",
            f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
            "-s",
            f"NEWSBOT_SOURCES_FILE={sources}",
            "-s",
            f"NEWSBOT_SUMMARY_FILE={summary}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "LOG_LEVEL=INFO",
        )
        hits = Counter(server.hits)
    stats = json.loads(summary.read_text(encoding="utf-8"))["stats"] if summary.is_file() else {}
    posts = {
        str(path.relative_to(out)): frontmatter.load(path)
        for path in out.rglob("*.md")
        if not any(part.startswith(".") for part in path.relative_to(out).parts)
    }
    return Run(result.returncode, result.stderr, stats, hits, posts)


def by_title(run: Run) -> dict[str, frontmatter.Post]:
    return {post["title"]: post for post in run.posts.values()}


def test_rss2_full_html_in_description_needs_no_article_page(tmp_path):
    feed = rss([rss_item(n, article_html(n)) for n in (1, 2)])
    run = crawl(tmp_path, {FEED_URL: {"body": feed, "headers": RSS_TYPE}})
    assert run.returncode == 0, run.log
    assert set(by_title(run)) == {"新闻1", "新闻2"}
    assert run.hits[FEED_URL] == 1
    assert not [url for url in run.hits if url.startswith("https://news.example.com/")]
    post = by_title(run)["新闻1"]
    assert post["categories"] == ["金融", "本地财经", "本地财经－要闻"]
    assert post["author"] == "本地财经"
    assert text(1)[0] in post.content
    assert 'src="https://news.example.com/img/1.png"' in post.content
    assert all(path.startswith("local-finance/2024/05/") for path in run.posts)
    assert run.stats["newsbot/feed/entries"] == 2


def test_atom_with_content(tmp_path):
    entries = "".join(
        f"<entry><title>快讯{n}</title><id>tag:news.example.com,2024:{n}</id>"
        f'<link rel="alternate" href="{NEWS.format(n=n)}"/><updated>2024-05-10T08:30:00+08:00</updated>'
        f'<content type="html"><![CDATA[{article_html(10 + n)}]]></content></entry>'
        for n in (1, 2, 3)
    )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        f"<id>urn:feed</id><updated>2024-05-10T08:30:00Z</updated>{entries}</feed>"
    )
    run = crawl(tmp_path, {FEED_URL: {"body": feed, "headers": ATOM_TYPE}})
    assert run.returncode == 0, run.log
    assert set(by_title(run)) == {"快讯1", "快讯2", "快讯3"}
    assert not [url for url in run.hits if url.startswith("https://news.example.com/")]
    assert text(13)[2] in by_title(run)["快讯3"].content


@needs_shared
def test_summary_only_items_fetch_their_pages_through_adapter_or_generic(tmp_path):
    feed = rss(
        [
            rss_item(1, "<p>摘要：央行今日开展逆回购操作……</p>"),
            "<item><title>上海市委书记李强</title>"
            f"<link>{SEED_URL}</link><description>摘要</description>"
            "<pubDate>Fri, 21 Jan 2022 08:15:00 +0800</pubDate></item>",
        ]
    )
    run = crawl(
        tmp_path,
        {
            FEED_URL: {"body": feed, "headers": RSS_TYPE},
            NEWS.format(n=1): {"body": article_page(1, "页面标题一"), "headers": HTML_TYPE},
            SEED_URL: {"file": str(SEED_PAGE), "headers": {"Content-Type": "text/html"}},
        },
    )
    assert run.returncode == 0, run.log
    assert run.hits[NEWS.format(n=1)] == 1
    assert run.hits[SEED_URL] == 1
    assert run.stats["newsbot/article_requests"] == 2
    generic = by_title(run)["新闻1"]
    assert text(1)[0] in generic.content
    assert "摘要" not in generic.content
    sina = by_title(run)["上海市委书记李强"]
    assert "新潮流的最先定义地" in sina.content
    assert "local-finance/2022/01/ikyamrmz6500542.md" in run.posts


def test_bad_date_is_dated_by_the_page_or_refused_and_counted(tmp_path):
    feed = rss(
        [
            rss_item(1, "<p>摘要一</p>", date="not a date"),
            rss_item(2, article_html(2), date="99/99/2024 25:61"),
        ]
    )
    run = crawl(
        tmp_path,
        {
            FEED_URL: {"body": feed, "headers": RSS_TYPE},
            NEWS.format(n=1): {
                "body": article_page(1, "新闻1", "2024年05月10日 09:45"),
                "headers": HTML_TYPE,
            },
            NEWS.format(n=2): {"body": article_page(2, "新闻2", shown_date=None), "headers": HTML_TYPE},
        },
    )
    assert run.returncode == 1, run.log
    assert set(by_title(run)) == {"新闻1"}
    assert by_title(run)["新闻1"]["date"] == "Fri, 10 May 2024 01:45:00 GMT"
    assert run.hits[NEWS.format(n=2)] == 1
    assert run.stats["newsbot/failed/no_date"] == 1
    assert f"skipped {NEWS.format(n=2)}: no date" in run.log


def test_truncated_feed_keeps_the_complete_items_and_counts_the_error(tmp_path):
    whole = rss([rss_item(n, article_html(20 + n)) for n in (1, 2, 3)])
    cut = whole[: whole.index("<item><title>新闻3") + 80]
    run = crawl(tmp_path, {FEED_URL: {"body": cut, "headers": RSS_TYPE}})
    assert run.returncode == 0, run.log
    assert set(by_title(run)) == {"新闻1", "新闻2"}
    assert run.stats["newsbot/feed/bozo"] == 1
    assert "malformed feed" in run.log


def test_a_second_crawl_skips_what_the_archive_holds(tmp_path):
    entries = {FEED_URL: {"body": rss([rss_item(1, article_html(31))]), "headers": RSS_TYPE}}
    assert len(crawl(tmp_path, entries).posts) == 1
    again = crawl(tmp_path, entries)
    assert again.stats["newsbot/skipped_known"] == 1
    assert len(again.posts) == 1


@pytest.mark.parametrize("status", [404, 500])
def test_a_feed_that_fails_is_counted(tmp_path, status):
    run = crawl(tmp_path, {FEED_URL: {"body": "gone", "status": status}})
    assert run.stats["newsbot/failed/listing"] == 1
    assert f"feed failed: HTTP {status}" in run.log
    assert run.posts == {}


def test_an_item_with_an_out_of_range_date_is_one_counted_refusal_and_the_rest_kept(tmp_path):
    feed = rss(
        [
            rss_item(1, article_html(41)),
            rss_item(2, article_html(42), date="Fri, 31 Dec 9999 23:59:59 -0800"),
            rss_item(3, article_html(43)),
        ]
    )
    run = crawl(tmp_path, {FEED_URL: {"body": feed, "headers": RSS_TYPE}})
    assert run.returncode == 0, run.log
    assert set(by_title(run)) == {"新闻1", "新闻3"}
    assert run.stats["newsbot/failed/item"] == 1
    assert run.stats["newsbot/failed/item/date_out_of_range"] == 1
    assert run.stats["newsbot/failed"] == 1
    assert run.stats["newsbot/listings"] == 1
    assert f"skipped feed item {NEWS.format(n=2)}: date out of range" in run.log


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><head><title>首页</title></head><body><h1>本站维护中</h1></body></html>", "text/html"),
        ('{"items": [{"title": "新闻", "url": "https://news.example.com/1.html"}]}', "application/json"),
        ("", "application/rss+xml"),
    ],
)
def test_a_feed_url_that_serves_no_feed_is_a_counted_failed_listing(tmp_path, body, content_type):
    run = crawl(tmp_path, {FEED_URL: {"body": body, "headers": {"Content-Type": content_type}}})
    assert run.stats["newsbot/listings"] == 1
    assert run.stats["newsbot/failed/listing"] == 1
    assert "feed failed: " in run.log
    assert "Traceback" not in run.log
    assert run.posts == {}


@pytest.mark.parametrize(
    ("encoding", "declaration", "content_type"),
    [
        ("gbk", '<?xml version="1.0"?>', "text/xml; charset=gbk"),
        ("gbk", '<?xml version="1.0" encoding="utf-8"?>', "application/rss+xml"),
        ("gb2312", '<?xml version="1.0" encoding="gb2312"?>', "application/rss+xml"),
        ("big5", '<?xml version="1.0" encoding="big5"?>', "text/xml; charset=utf-8"),
        ("big5", '<?xml version="1.0"?>', "application/xml; charset=big5"),
    ],
)
def test_feeds_in_chinese_encodings_read_whole(tmp_path, encoding, declaration, content_type):
    title = "滬深兩市成交額突破萬億" if encoding == "big5" else "沪深两市成交额突破万亿"
    paragraphs = "".join(f"<p>{title * 6}</p>" for _ in range(4))
    feed = (
        f'{declaration}<rss version="2.0"><channel><title>News</title><link>https://news.example.com/</link>'
        f"<item><title>{title}</title><link>{NEWS.format(n=1)}</link>"
        f"<description><![CDATA[{paragraphs}]]></description>"
        "<pubDate>Fri, 10 May 2024 08:30:00 +0800</pubDate></item></channel></rss>"
    )
    path = tmp_path / "feed.xml"
    path.write_bytes(
        feed.encode(encoding, errors="strict") if encoding != "big5" else feed.encode("big5", "ignore")
    )
    run = crawl(tmp_path, {FEED_URL: {"file": str(path), "headers": {"Content-Type": content_type}}})
    assert run.returncode == 0, run.log
    assert set(by_title(run)) == {title}
