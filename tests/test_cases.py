"""Every case of ``../shared/cases`` (inputs from public bug reports) gives the right value its README states,
run as a user runs newsbot: a saved page through ``newsbot fetch URL --html FILE``, the feed served with its
headers on 127.0.0.1."""

from __future__ import annotations

from email.parser import HeaderParser

import frontmatter
import pytest

from tests.conftest import SHARED, needs_shared
from tests.servers import run_newsbot
from tests.test_feed_spider import crawl

CASES = SHARED / "cases"

PAGE_CASES = {
    "top-bar-date": (
        "http://finance.zhcj-example.cn/macro/20240416/778899.shtml",
        "一季度GDP同比增长5.3% 经济开局良好",
        "Tue, 16 Apr 2024 02:02:00 GMT",
    ),
    "chinese-numeral-date": (
        "http://finance.zhcj-example.cn/policy/201703/t20170324_1.html",
        "关于进一步做好稳外贸工作的通知",
        "Thu, 23 Mar 2017 16:00:00 GMT",
    ),
    "constant-title": (
        "http://www.cjsk-example.com/news/2020/0312/1234.html",
        "本赛季暂停 斯波：联盟做出了正确举措",
        "Thu, 12 Mar 2020 14:57:00 GMT",
    ),
    "br-paragraphs": (
        "http://stock.zhcj-example.cn/zqyw/20130107/12345.html",
        "证监会发布上市公司现金分红指引",
        "Mon, 07 Jan 2013 10:20:00 GMT",
    ),
}


def fetch(case: str, url: str, *args: str):
    return run_newsbot("fetch", url, "--html", str(CASES / case / "page.html"), *args)


@needs_shared
@pytest.mark.parametrize("case", sorted(PAGE_CASES))
def test_page_case_gives_its_title_and_date(case):
    url, title, date = PAGE_CASES[case]
    result = fetch(case, url, "--stdout")
    assert result.returncode == 0, result.stderr
    post = frontmatter.loads(result.stdout)
    assert (post["title"], post["date"]) == (title, date)


@needs_shared
def test_top_bar_date_files_the_post_under_the_article_month(tmp_path):
    url = PAGE_CASES["top-bar-date"][0]
    result = fetch("top-bar-date", url, "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr
    [post] = tmp_path.rglob("*.md")
    assert post.relative_to(tmp_path).parts[1:3] == ("2024", "04")


@needs_shared
def test_br_paragraphs_keep_their_breaks_and_leave_headline_and_info_line_out():
    result = fetch("br-paragraphs", PAGE_CASES["br-paragraphs"][0], "--stdout")
    assert result.returncode == 0, result.stderr
    body = frontmatter.loads(result.stdout).content
    assert body.count("<br>") == 6
    assert "<b>鼓励上市公司增加现金分红频次</b>" in body
    assert "<h1>" not in body and "来源：中华财经网" not in body
    assert "<p>" not in body


@needs_shared
def test_list_page_is_a_one_line_refusal_and_writes_nothing(tmp_path):
    result = fetch(
        "list-page", "http://finance.zhcj-example.cn/roll/index.shtml", "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path}"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("newsbot: error:")
    assert "not an article" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.rglob("*.md"))


@needs_shared
def test_gbk_feed_with_its_charset_in_the_http_header(tmp_path):
    folder = CASES / "gbk-feed-charset-in-header"
    headers = dict(HeaderParser().parsestr((folder / "rss.xml.headers").read_text(encoding="ascii")))
    feed_url = "http://127.0.0.1:8703/rss.xml"
    source = f"""builtins = false
[sources.local-finance]
feed = "{feed_url}"
categories = ["金融", "中华财经网", "中华财经网－要闻"]
fetch_article = false
"""
    run = crawl(tmp_path, {feed_url: {"file": str(folder / "rss.xml"), "headers": headers}}, source)
    assert run.returncode == 0, run.log
    assert {post["title"] for post in run.posts.values()} == {
        "沪深两市成交额突破万亿 券商和保险板块领涨",
        "央行：保持流动性合理充裕 稳定市场预期",
        "朱镕基时期财税改革的启示",
    }
    assert run.stats["newsbot/listings"] == 1
