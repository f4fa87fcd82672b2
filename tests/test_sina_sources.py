import json
from datetime import UTC, date, datetime, timedelta
from functools import partial
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from newsbot.dates import BEIJING
from newsbot.identity import without_cache_busters
from newsbot.index import Entry
from newsbot.index.backends import open_index
from newsbot.revisits import Seen, needs_revisit, open_listed, write_notes
from newsbot.sources.sina_finance import (
    CHANNELS,
    BadItem,
    Listed,
    cache_busted,
    channel_by_key,
    channel_for_path,
    channel_of_listing,
    channel_of_url,
    filing,
    list_page_links,
    listed_before,
    listed_item,
    listing_entries,
    parse_roll_page,
    unix_time,
    unwrap_jsonp,
    url_day,
)
from tests.conftest import PAGES, needs_shared

# DIYgod/RSSHub lib/routes/sina/finance/china.ts (pageid 155) and rollnews.ts (pageid 384).
RSSHUB = {
    (155, 1686): "国内滚动",
    (155, 1687): "宏观经济",
    (155, 1688): "地方经济",
    (155, 1689): "部委动态",
    (155, 1690): "金融新闻",
    (155, 3231): "今日财经 TOP10",
    (384, 2519): "财经",
    (384, 2671): "股市",
    (384, 2672): "美股",
    (384, 2673): "中国概念股",
    (384, 2674): "港股",
    (384, 2675): "研究报告",
    (384, 2676): "全球市场",
    (384, 2487): "外汇",
}
SEED_TIME = datetime(2022, 1, 21, 14, 23, 33, tzinfo=UTC)


def test_every_rsshub_channel_is_in_the_table_named_in_the_archive_pattern():
    fed = {(channel.pageid, channel.lid): channel for channel in CHANNELS if channel.pageid}
    assert set(fed) == set(RSSHUB)
    for ids, name in RSSHUB.items():
        expected = "新浪财经－国內" if ids == (155, 1686) else f"新浪财经－{name}"
        assert fed[ids].name == expected
        assert fed[ids].list_url is None
    assert channel_by_key("china").name == "新浪财经－国內"
    assert len({channel.key for channel in CHANNELS}) == len(CHANNELS)
    assert [channel.key for channel in CHANNELS if channel.pageid is None] == ["futures"]


def test_roll_url_carries_rsshubs_parameters_and_cache_busters_come_per_request():
    url = channel_by_key("usstock").roll_url(2, num=20)
    assert url == "https://feed.mix.sina.com.cn/api/roll/get?pageid=384&lid=2672&k=&num=20&page=2"
    busted = cache_busted(url, 0.25, 1700000000123)
    assert dict(parse_qsl(urlsplit(busted).query, keep_blank_values=True)) == {
        "pageid": "384",
        "lid": "2672",
        "k": "",
        "num": "20",
        "page": "2",
        "r": "0.25",
        "_": "1700000000123",
    }
    assert without_cache_busters(busted) == url
    assert channel_by_key("futures").roll_url(1) is None
    assert channel_by_key("futures").listing == "https://finance.sina.com.cn/futuremarket/"
    with pytest.raises(KeyError, match="known: china, macro"):
        channel_by_key("nope")


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml", "china"),
        ("/stock/usstock/c/2022-01-21/doc-x.shtml", "usstock"),
        ("/stock/hkstock/ggscyd/2025-11-19/doc-x.shtml", "hkstock"),
        ("/hkstock/ggyw/2025-11-20/detail-x.d.html", "hkstock"),
        ("/stock/marketresearch/2025-11-20/doc-x.shtml", "research"),
        ("/stock/s/2022-01-21/doc-x.shtml", "stock"),
        ("/world/gjcj/2025-11-20/doc-x.shtml", "world"),
        ("/money/forex/forexroll/2016-05-25/doc-x.shtml", "forex"),
        ("/futuremarket/2025-11-20/doc-x.shtml", "futures"),
        ("/roll/2018-12-28/doc-x.shtml", "finance"),
        ("/other/doc-x.shtml", "finance"),
    ],
)
def test_channel_for_path_prefers_the_longest_prefix(path, key):
    assert channel_for_path(path).key == key


def test_channel_of_url_only_for_finance_hosts():
    assert channel_of_url("https://finance.sina.cn/china/gncj/2025-11-18/detail-x.d.html").key == "china"
    assert channel_of_url("http://FINANCE.sina.com.cn/world/doc-x.shtml").key == "world"
    assert channel_of_url("https://news.sina.com.cn/c/2025-11-20/doc-x.shtml") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1642775013", SEED_TIME),
        (1642775013, SEED_TIME),
        ("1642775013000", SEED_TIME),
        (1642775013000, SEED_TIME),
        (1642775013.9, SEED_TIME),
        (None, None),
        ("", None),
        ("0", None),
    ],
)
def test_unix_time_takes_seconds_or_milliseconds_as_strings_or_numbers(value, expected):
    assert unix_time(value) == expected


@pytest.mark.parametrize("value", ["oops", "-5", "1e30", "nan", [1], True, 10**40])
def test_an_absurd_time_is_a_bad_item(value):
    with pytest.raises(BadItem) as caught:
        unix_time(value)
    assert caught.value.reason == "bad_time"


def test_listed_item_reads_the_real_field_set():
    item = {
        "docid": "comos:kyamrmz6500542",
        "url": "http://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml",
        "wapurl": "https://finance.sina.cn/2022-01-21/detail-ikyamrmz6500542.d.html",
        "title": " 甲\n乙 ",
        "intro": "…",
        "media_name": "新浪财经",
        "ctime": "1642775000",
        "intime": "1642775013",
        "mtime": "1642780000",
    }
    listed = listed_item(item)
    assert listed == Listed(
        "https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml",
        "甲 乙",
        SEED_TIME,
        datetime(2022, 1, 21, 15, 46, 40, tzinfo=UTC),
    )
    assert listed_item({**item, "url": "", "intime": ""}).url == item["wapurl"]
    assert listed_item({**item, "intime": None}).published == datetime(2022, 1, 21, 14, 23, 20, tzinfo=UTC)


def test_parse_roll_page_refuses_bad_items_one_by_one():
    data = [
        {"url": "https://finance.sina.com.cn/china/doc-ia.shtml", "title": "甲", "intime": 1642775013},
        {"url": "javascript:void(0)", "title": "bad"},
        {"title": "no url"},
        "not a dict",
        {"url": "https://finance.sina.com.cn/china/doc-ib.shtml", "intime": "oops"},
        {"url": "https://finance.sina.com.cn/china/doc-ic.shtml", "intime": "99999999999999999999"},
    ]
    parsed = list(parse_roll_page(json.dumps({"result": {"status": {"code": 0}, "data": data}})))
    assert [entry.url[-12:] for entry in parsed if isinstance(entry, Listed)] == ["doc-ia.shtml"]
    assert [entry.reason for entry in parsed if isinstance(entry, BadItem)] == [
        "no_url",
        "no_url",
        "not_an_object",
        "bad_time",
        "bad_time",
    ]


def test_parse_roll_page_reads_jsonp():
    page = json.dumps({"result": {"data": [{"url": "https://finance.sina.com.cn/a/doc-ia.shtml"}]}})
    for text in (f"try{{feedCardJsonpCallback({page});}}catch(e){{}};", f"cb({page})", f"  cb({page});\n"):
        assert unwrap_jsonp(text) == page
        assert [entry.url for entry in parse_roll_page(text)] == ["https://finance.sina.com.cn/a/doc-ia.shtml"]


@pytest.mark.parametrize(
    "text", ["{not json", "[]", '{"result": {}}', '{"result": {"data": {}}}', "", "<html>busy</html>", "cb("]
)
def test_parse_roll_page_refuses_malformed_pages(text):
    with pytest.raises(ValueError):
        parse_roll_page(text)


def test_list_page_links_keeps_articles_once_in_order():
    html = """<ul>
      <li><a href="//finance.sina.com.cn/futuremarket/2025-11-20/doc-iaaaa.shtml"> 甲 </a></li>
      <li><a href="/futuremarket/">期货首页</a></li>
      <li><a href="https://finance.sina.cn/2025-11-20/detail-ibbbb.d.html">乙</a></li>
      <li><a href="//finance.sina.com.cn/futuremarket/2025-11-20/doc-iaaaa.shtml">甲again</a></li>
    </ul>"""
    listed = list_page_links(html, "https://finance.sina.com.cn/futuremarket/")
    assert [(entry.url, entry.title) for entry in listed] == [
        ("https://finance.sina.com.cn/futuremarket/2025-11-20/doc-iaaaa.shtml", "甲"),
        ("https://finance.sina.cn/2025-11-20/detail-ibbbb.d.html", "乙"),
    ]


NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
RECENT, INTERVAL = timedelta(days=2), timedelta(hours=6)


def revisit(modified=None, title="甲", published=None, seen=None):
    seen = seen or Seen(NOW - timedelta(hours=1), "甲", NOW - timedelta(hours=1))
    return needs_revisit(modified, title, published, seen, NOW, RECENT, INTERVAL)


def test_a_newer_mtime_or_another_title_calls_for_a_revisit():
    assert revisit(modified=NOW)
    assert not revisit(modified=NOW - timedelta(hours=1))
    assert not revisit(modified=NOW - timedelta(hours=2))
    assert revisit(modified=NOW - timedelta(hours=1), title="乙")
    assert not revisit(modified=NOW - timedelta(hours=1), title="")


def test_without_mtime_recent_articles_are_revisited_every_interval():
    visited_long_ago = Seen(None, "甲", NOW - timedelta(hours=7))
    assert revisit(published=NOW - timedelta(days=1), seen=visited_long_ago)
    assert not revisit(published=NOW - timedelta(days=1))
    assert not revisit(published=NOW - timedelta(days=3), seen=visited_long_ago)
    assert not revisit(published=None, seen=visited_long_ago)


def test_listed_table_keeps_mtime_title_and_visit_per_key_and_open_walks(tmp_path, index_settings):
    table = open_listed(tmp_path, index_settings)
    assert table.get("sina:a") is None
    table.note("sina:a", SEED_TIME, "甲", NOW)
    table.note("sina:b", None, "乙", NOW)
    table.walk_at_least({"china": 2, "stock": 3})
    table.close()
    table = open_listed(tmp_path, index_settings)
    assert table.get("sina:a") == Seen(SEED_TIME, "甲", NOW)
    assert table.get("sina:b") == Seen(None, "乙", NOW)
    table.note("sina:a", NOW, "甲2", NOW)
    assert table.get("sina:a") == Seen(NOW, "甲2", NOW)
    table.settle_walks({"china": 4, "stock": None})
    assert table.open_walks() == {"china": 4}
    table.note_many([("sina:a", None, "甲3", SEED_TIME), ("sina:c", SEED_TIME, "丙", NOW)])
    assert (table.get("sina:a"), table.get("sina:c")) == (Seen(None, "甲3", SEED_TIME), Seen(SEED_TIME, "丙", NOW))
    table.close()
    table.close()


def test_a_listing_note_is_written_in_the_transaction_that_indexes_its_article(tmp_path, index_settings):
    listed, index = open_listed(tmp_path, index_settings), open_index(tmp_path, index_settings)

    def archived(key: str) -> Entry:
        return Entry(key, f"sina/2025/11/{key[5:]}.md", f"https://finance.sina.com.cn/{key[5:]}", "0" * 32, 7, "")

    def note_then_fail(db) -> None:
        write_notes(db, [("sina:b", NOW, "乙", NOW)])
        raise OSError("killed")

    index.record_many([archived("sina:a")], partial(write_notes, notes=[("sina:a", SEED_TIME, "甲", NOW)]))
    assert index.knows("sina:a") and listed.get("sina:a") == Seen(SEED_TIME, "甲", NOW)
    with pytest.raises(OSError, match="killed"):
        index.record_many([archived("sina:b")], note_then_fail)
    assert not index.knows("sina:b") and listed.get("sina:b") is None
    index.close()
    listed.close()


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://finance.sina.com.cn/futuremarket/2024-01-15/doc-inaaaaaa1234567.shtml", date(2024, 1, 15)),
        ("https://finance.sina.cn/2025-11-20/detail-ibbbb.d.html", date(2025, 11, 20)),
        ("http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml", date(2005, 3, 21)),
        ("https://finance.sina.com.cn/2024-02-30/doc-iaaaa.shtml", None),
        ("https://finance.sina.com.cn/2024-01-15/x/doc-iaaaa.shtml", None),
        ("http://k.sina.com.cn/article_3057540037_b63e5bc502000bg5u.html", None),
        ("https://t.cj.sina.com.cn/articles/view/6479293414/182322be600100i6z0", None),
    ],
)
def test_url_day_is_the_folder_holding_the_page(url, day):
    assert url_day(url) == day


@needs_shared
def test_url_day_is_the_day_the_saved_sina_pages_were_published():
    """Against PROVENANCE.md of ../shared/pages: each Sina article's URL and its published time (Beijing)."""
    checked = 0
    for line in (PAGES / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > 8 and cells[1].startswith("`sina/") and cells[5].startswith("http") and cells[7]:
            published = datetime.strptime(cells[7], "%Y-%m-%d %H:%M:%S")
            day = url_day(unquote(cells[5]))
            assert day in (None, published.date()), cells[1]
            checked += day is not None
    assert checked >= 10


SINCE = datetime(2024, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("entry", "before"),
    [
        (Listed("https://finance.sina.com.cn/futuremarket/2024-01-15/doc-ia.shtml"), False),
        (Listed("https://finance.sina.com.cn/futuremarket/2024-01-14/doc-ia.shtml"), True),
        (Listed("https://finance.sina.com.cn/futuremarket/2024-01-16/doc-ia.shtml"), False),
        (Listed("https://t.cj.sina.com.cn/articles/view/6479293414/182322be600100i6z0"), False),
        (Listed("https://finance.sina.com.cn/2024-01-20/doc-ia.shtml", published=SINCE - timedelta(seconds=1)), True),
        (Listed("https://finance.sina.com.cn/2024-01-10/doc-ia.shtml", published=SINCE), False),
    ],
)
def test_listed_before_takes_the_listed_time_else_the_whole_url_day(entry, before):
    assert listed_before(entry, SINCE) is before


def test_a_url_day_counts_as_before_only_once_it_ended_in_beijing():
    beijing_midnight = datetime(2024, 1, 15, tzinfo=BEIJING)
    entry = Listed("https://finance.sina.com.cn/futuremarket/2024-01-14/doc-ia.shtml")
    assert listed_before(entry, beijing_midnight)
    assert not listed_before(entry, beijing_midnight - timedelta(seconds=1))


def test_a_listing_url_names_its_channel_and_an_article_is_filed_as_the_crawl_files_it():
    china, macro, top10 = channel_by_key("china"), channel_by_key("macro"), channel_by_key("top10")
    assert channel_of_listing(cache_busted(macro.roll_url(2, 20), 0.5, 1)) == macro
    assert channel_of_listing(channel_by_key("futures").list_url) == channel_by_key("futures")
    assert channel_of_listing("https://feed.mix.sina.com.cn/api/roll/get?pageid=1&lid=2") is None
    assert channel_of_listing(china.roll_url(1).replace("feed.mix", "feed.other")) is None
    news = "https://news.sina.com.cn/c/2025-11-20/doc-infwqrtb2287415.shtml"
    orders = [CHANNELS.index(top10), CHANNELS.index(macro)]
    assert filing(news, orders) == (("金融", "新浪财经", macro.name), "新浪财经")
    assert filing(news.replace("news.sina.com.cn/c", "finance.sina.com.cn/china"), orders)[0][2] == china.name
    page = json.dumps({"result": {"data": [{"url": news, "title": "x", "ctime": "1763600000"}, {"url": 3}]}})
    assert [entry.url for entry in listing_entries(macro.roll_url(1), page)] == [news]
    assert listing_entries(macro.roll_url(1), "busy") == []
    assert listing_entries(news, page) == []
