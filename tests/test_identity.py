from __future__ import annotations

import hashlib

from newsbot.identity import (
    article_key,
    canonicalize_url,
    key_from_post_path,
    post_name,
    without_cache_busters,
)
from newsbot.storage import post_relpath
from tests.conftest import SEED_PAGE, SEED_URL, needs_shared
from tests.postmaking import article_from_file

SEED_KEY = "sina:ikyamrmz6500542"


def test_canonical_url_folds_case_port_fragment_order_and_tracking():
    assert (
        canonicalize_url(
            "HTTPS://Finance.Sina.COM.cn:443/a/b.shtml?z=2&a=1&utm_source=wx&from=wap&r=0&tj=none#top"
        )
        == "https://finance.sina.com.cn/a/b.shtml?a=1&z=2"
    )
    assert canonicalize_url("http://example.com:8080/x?spm=1.2&id=7") == "http://example.com:8080/x?id=7"
    assert canonicalize_url("http://example.com") == "http://example.com/"


def test_desktop_mobile_roll_and_tracked_sina_urls_share_one_key():
    urls = [
        SEED_URL,
        "https://finance.sina.cn/2022-01-21/detail-ikyamrmz6500542.d.html",
        "https://finance.sina.com.cn/roll/2022-01-21/doc-ikyamrmz6500542.shtml?cre=tianyi&mod=wnews&loc=14&r=0",
        "http://FINANCE.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml#comment",
    ]
    assert {article_key(url) for url in urls} == {SEED_KEY}


def test_urls_without_doc_id_key_on_the_canonical_link_or_the_normalised_url():
    tracked = "https://News.Example.org/2019-09-26/198678130.html?from=rss&utm_medium=feed"
    plain = "http://news.example.org/2019-09-26/198678130.html"
    expected = hashlib.sha256(b"//news.example.org/2019-09-26/198678130.html").hexdigest()[:16]
    assert article_key(tracked) == article_key(plain) == f"url:{expected}"
    assert article_key("https://www.example.com/a?id=1", canonical_url=tracked) == f"url:{expected}"
    assert article_key("https://www.example.com/a?id=1") != article_key("https://www.example.com/a?id=2")


def test_a_sina_url_without_doc_id_keys_on_the_site_and_a_hash():
    key = article_key("https://finance.sina.com.cn/stock/?from=wap")
    assert key.startswith("sina:") and len(key) == len("sina:") + 16
    assert key == article_key("https://finance.sina.com.cn/stock/")


def test_a_canonical_link_with_a_doc_id_gives_the_doc_id_key():
    assert article_key("https://example.com/share/1", canonical_url=SEED_URL) == SEED_KEY


def test_post_name_and_key_from_post_path_round_trip():
    assert post_name(SEED_KEY) == "ikyamrmz6500542"
    assert post_name("url:0123456789abcdef") == "0123456789abcdef"
    assert key_from_post_path("sina/2022/01/ikyamrmz6500542.md") == SEED_KEY
    assert key_from_post_path("news-example-org/2019/09/0123456789abcdef.md") == "url:0123456789abcdef"


@needs_shared
def test_the_seed_post_lands_under_its_doc_id():
    article = article_from_file(SEED_PAGE, SEED_URL)
    relpath = post_relpath(article["site"], article["published"], post_name(article["key"]))
    assert relpath == "sina/2022/01/ikyamrmz6500542.md"
    assert key_from_post_path(relpath) == article["key"] == SEED_KEY


def test_cache_busters_are_dropped_for_their_host_only():
    listing = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&k=&num=50&page=1"
    assert without_cache_busters(f"{listing}&r=0.7236&_=1763604728123") == listing
    assert without_cache_busters(listing) == listing
    tracked = f"{SEED_URL}?r=0&_=1"
    assert without_cache_busters(tracked) == tracked
