import json
from datetime import UTC, datetime

import pytest

from newsbot.sources.sina_finance import (
    CHANNELS,
    channel_by_key,
    channel_for_path,
    list_page_links,
    parse_roll_page,
)


def test_channels_follow_the_seed_pattern():
    names = {channel.key: channel.name for channel in CHANNELS}
    assert names["china"] == "新浪财经－国內"
    for key in ("world", "stock", "usstock", "hkstock", "fund", "futures"):
        assert names[key].startswith("新浪财经－")


def test_channel_for_path_prefers_longest_prefix():
    assert channel_for_path("/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml").key == "china"
    assert channel_for_path("/stock/usstock/c/2022-01-21/doc-x.shtml").key == "usstock"
    assert channel_for_path("/stock/s/2022-01-21/doc-x.shtml").key == "stock"
    assert channel_for_path("/other/doc-x.shtml").key == "finance"


def test_roll_url_and_unknown_channel():
    url = channel_by_key("china").roll_url(2, num=20)
    assert url == "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=20&page=2"
    assert channel_by_key("futures").roll_url(1) is None
    with pytest.raises(KeyError):
        channel_by_key("nope")


def test_parse_roll_page_reads_urls_titles_and_ctime():
    page = {
        "result": {
            "status": {"code": 0},
            "data": [
                {
                    "url": "https://finance.sina.com.cn/china/doc-ia.shtml",
                    "title": "甲",
                    "ctime": "1642775013",
                },
                {"url": "javascript:void(0)", "title": "bad"},
                {"title": "no url"},
                "not a dict",
                {"url": "https://finance.sina.com.cn/china/doc-ib.shtml", "intime": "oops"},
            ],
        }
    }
    listed = parse_roll_page(json.dumps(page))
    assert [entry.url[-12:] for entry in listed] == ["doc-ia.shtml", "doc-ib.shtml"]
    assert listed[0].published == datetime(2022, 1, 21, 14, 23, 33, tzinfo=UTC)
    assert listed[1].published is None


@pytest.mark.parametrize("text", ["{not json", "[]", '{"result": {}}', '{"result": {"data": {}}}', ""])
def test_parse_roll_page_refuses_malformed_pages(text):
    with pytest.raises(ValueError):
        parse_roll_page(text)


def test_list_page_links_keeps_articles_once_in_order():
    html = """<ul>
      <li><a href="//finance.sina.com.cn/stock/usstock/c/2025-11-20/doc-iaaaa.shtml"> 甲 </a></li>
      <li><a href="/stock/usstock/">美股首页</a></li>
      <li><a href="https://finance.sina.cn/2025-11-20/detail-ibbbb.d.html">乙</a></li>
      <li><a href="//finance.sina.com.cn/stock/usstock/c/2025-11-20/doc-iaaaa.shtml">甲again</a></li>
    </ul>"""
    listed = list_page_links(html, "https://finance.sina.com.cn/stock/usstock/")
    assert [(entry.url, entry.title) for entry in listed] == [
        ("https://finance.sina.com.cn/stock/usstock/c/2025-11-20/doc-iaaaa.shtml", "甲"),
        ("https://finance.sina.cn/2025-11-20/detail-ibbbb.d.html", "乙"),
    ]
