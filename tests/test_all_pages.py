"""Every saved page in ../shared/pages (ground truth aside) gives a valid post or a clear, counted refusal.

A page is read the way a crawl reads it (charset check, the host's site module or else the generic extractor,
then the normalise pipeline). The pages refused, and why, are listed below, so that a page that starts or
stops giving a post shows as a failure. All the posts go through a real Hexo build together.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newsbot.pipelines.store import post_of
from newsbot.post import render
from newsbot.sites.base import NotAnArticle
from newsbot.validate import problems
from tests.conftest import PAGES, SHARED, needs_shared
from tests.postmaking import article_from_file

pytestmark = needs_shared

# Pages whose PROVENANCE.md row names no original URL: the URL each one is read at, and where it comes from.
URLS_NOT_IN_PROVENANCE = {
    # made-up article ids of the money.163.com form (the CxExtractor pages carry none)
    "netease_money/cxextractor_money.163.com_2015_RawHtml_1.html": "http://money.163.com/15/0521/05/AQ0000AA00253B0H.html",
    "netease_money/cxextractor_money.163.com_2015_RawHtml_12.html": "http://money.163.com/15/0702/23/AT0000AB00252G50.html",
    "netease_money/cxextractor_money.163.com_2015_RawHtml_22.html": "http://money.163.com/15/0703/04/AT0000AC00252G50.html",
    # the page's own comment-login link
    "netease_money/gne_money.163.com_longhu_1.html": "https://money.163.com/19/0907/13/EOFOC8MJ00258105.html",
    # the magic-html ground truth's URL
    "people_finance/magichtml_finance.people.com.cn_2024-0510_c1004-40232587.html": (
        "http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html"
    ),
    # the page's ARTICLE_INFO.article_url
    "qq_finance/gne_finance.qq.com_lengjing_2.html": "http://finance.qq.com/a/20190923/000843.htm",
    # the breadcrumb's kuaixun.stcn.com with a made-up number
    "stcn/gne_stcn_1.html": "http://kuaixun.stcn.com/2019/0926/15409000.shtml",
    # the newspaper4k ground truth's URL
    "xinhua_fortune/newspaper4k_news.cn_fortune_2023-11_c_1129981476.html": (
        "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm"
    ),
    # the page's own related-article link to itself
    "sina/cxextractor_ent_2009-11-09_did2762951_artibodyTitle-template_gb2312.html": (
        "http://ent.sina.com.cn/y/2009-11-09/13482762951.shtml"
    ),
    # the page's own comment-box url= attribute
    "sina_other/english.sina.com_2016-03-31_china-news_903464.html": "http://english.sina.com/news/2016/0330/903464.html",
    # where these list pages and the feed are served (PROVENANCE.md names the feed's API)
    "sina_list/htmlgtmk_news.sina.cn_mobile_newscenter_2018_gbk.html": "https://news.sina.cn/",
    "sina_list/htmlgtmk_sina_news_feed_2018-09-28.json": "http://cre.dp.sina.cn/api/v3/get?cateid=1o&cre=tianyi&mod=wnews",
    "sina_list/www.sina.com.cn_homepage_2015-05-21_gb2312.html": "http://www.sina.com.cn/",
    "sina_list/www.sina.com.cn_homepage_2018-10-18_utf8.html": "https://www.sina.com.cn/",
}

# The pages that give no post, and the refusal each one gets.
REFUSED = {
    "sina_list/htmlgtmk_news.sina.cn_mobile_newscenter_2018_gbk.html": "no article body",  # mobile list page
    "sina_list/htmlgtmk_sina_news_feed_2018-09-28.json": "no title",  # JSON feed, not a page
    "sina_list/www.sina.com.cn_homepage_2015-05-21_gb2312.html": "no article body",  # portal homepage
    "sina_list/www.sina.com.cn_homepage_2018-10-18_utf8.html": "no article body",  # portal homepage
}

# The pages whose post's picture (headimg) is a picture of the article, read off each body by hand; every
# other post has the placeholder, since its body holds no picture once site furniture (icons, spacers, QR
# codes, hidden share images, promotions) is dropped.
PICTURED = {
    "qq_finance/gne_finance.qq.com_lengjing_2.html",
    "sina/cxextractor_ent_2009-11-09_did2762951_artibodyTitle-template_gb2312.html",
    "sina/gne_news_2019-11-25_doc-iihnzahi3275702.html",
    "sina/htmlgtmk_cj.sina_caijingtoutiao_2018-09-28_10.html",
    "sina/htmlgtmk_k.sina_kandian_2018-09-28_11.html",
    "sina/htmlgtmk_k.sina_kandian_2018-09-28_4.html",
    "sina/htmlgtmk_news_c-gat_2018-09-28_doc-ihkmwytp7156965.html",
    "sina/htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9169891.html",
    "sina/htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9218647.html",
    "sina/htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9247791.html",
    "sina/htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9250746.html",
    "sina/htmlgtmk_news_c_2018-09-28_doc-ihkmwytp6913603.html",
    "sina/htmlgtmk_news_o_2018-09-28_doc-ifxeuwwr9050078.html",
    "sina/htmlgtmk_news_o_2018-09-28_doc-ifxeuwwr9107579.html",
    "sina/htmlgtmk_news_o_2018-09-28_doc-ihkmwytp7000569.html",
    "sina/htmlgtmk_news_s_2018-09-28_doc-ihkmwytp6984677.html",
    "sina/htmlgtmk_news_w_2018-09-28_doc-ifxeuwwr9104004.html",
    "sina/magichtml_finance_forex_2016-05-25_doc-ifxsktkp9337164.html",
    "sina/magichtml_news_2024-05-10_doc-inausehc2630922.html",
    "sina_other/english.sina.com_2016-03-31_china-news_903464.html",
}

HEADIMG = re.compile(r"^headimg: '([^']*)'$", re.MULTILINE)
PLACEHOLDER = "https://picsum.photos/400/300?random="

# Pages of hosts without a site module: the generic extractor reads them.
GENERIC = {"sina_other/english.sina.com_2016-03-31_china-news_903464.html"}

# The site module of each folder's pages.
SITE_OF_FOLDER = {
    "caijing": "caijing",
    "hexun": "hexun",
    "mingridapan": "mingridapan",
    "netease_biz": "netease",
    "netease_money": "netease",
    "people_finance": "people",
    "qq_finance": "qq",
    "sina": "sina",
    "sohu_business": "sohu",
    "stcn": "stcn",
    "xinhua_fortune": "xinhua",
}


@dataclass(frozen=True)
class Outcome:
    """What one saved page gave: a post's text, or the reason it was refused."""

    site: str | None = None
    post: str | None = None
    refusal: str | None = None


def provenance_urls() -> dict[str, str]:
    """Original URL of each saved page, from PROVENANCE.md's tables (file and URL columns)."""
    urls = {}
    for line in (PAGES / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > 6 and cells[1].startswith("`") and cells[5].startswith("http"):
            urls[cells[1].strip("`")] = unquote(cells[5])
    return urls


def saved_pages() -> list[str]:
    """Every saved page outside ground truth, relative to ../shared/pages."""
    found = (path for path in PAGES.rglob("*") if path.is_file() and path.name != "PROVENANCE.md")
    return sorted(str(path.relative_to(PAGES)) for path in found if "groundtruth" not in path.parts)


def url_of(file: str) -> str:
    return provenance_urls().get(file) or URLS_NOT_IN_PROVENANCE[file]


def outcome_of(file: str) -> Outcome:
    """Read one saved page into a post, or say why it gives none."""
    path, url = PAGES / file, url_of(file)
    try:
        article = ItemAdapter(article_from_file(path, url))
    except (NotAnArticle, DropItem) as error:
        return Outcome(refusal=str(error).split(":", 1)[0])
    return Outcome(site=article["site"], post=render(post_of(article)))


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    return {file: outcome_of(file) for file in saved_pages()}


def test_every_page_has_a_url_and_an_expectation():
    pages = saved_pages()
    assert [
        file for file in pages if file not in provenance_urls() and file not in URLS_NOT_IN_PROVENANCE
    ] == []
    assert set(REFUSED) | set(GENERIC) <= set(pages)
    assert {file.split("/", 1)[0] for file in pages} - {"sina_list", "sina_other"} == set(SITE_OF_FOLDER)


@pytest.mark.parametrize("file", saved_pages() if PAGES.is_dir() else [])
def test_page_gives_valid_post_or_listed_refusal(file: str, outcomes: dict[str, Outcome]):
    outcome = outcomes[file]
    if file in REFUSED:
        assert (outcome.refusal, outcome.post) == (REFUSED[file], None)
        return
    assert outcome.refusal is None
    assert problems(outcome.post) == []
    expected_site = "english-sina-com" if file in GENERIC else SITE_OF_FOLDER[file.split("/", 1)[0]]
    assert outcome.site == expected_site


def test_only_pages_with_a_picture_of_their_own_have_one(outcomes: dict[str, Outcome]):
    pictures = {
        file: HEADIMG.search(outcome.post).group(1) for file, outcome in outcomes.items() if outcome.post
    }
    assert {file for file, url in pictures.items() if not url.startswith(PLACEHOLDER)} == PICTURED


def test_refusals_are_counted(outcomes: dict[str, Outcome]):
    refusals = Counter(outcome.refusal for outcome in outcomes.values() if outcome.refusal)
    assert refusals == Counter({"no article body": 3, "no title": 1})
    assert sum(outcome.post is not None for outcome in outcomes.values()) == len(outcomes) - len(REFUSED)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed: no Hexo build")
def test_hexo_builds_every_post(outcomes: dict[str, Outcome], tmp_path: Path):
    posts = tmp_path / "posts"
    posts.mkdir()
    for number, (file, outcome) in enumerate(sorted(outcomes.items())):
        if outcome.post is not None:
            (posts / f"{number:03d}-{Path(file).stem}.md").write_text(outcome.post, encoding="utf-8")
    build = subprocess.run(
        ["bash", str(SHARED / "tools" / "hexo_build.sh"), str(posts)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout + build.stderr
