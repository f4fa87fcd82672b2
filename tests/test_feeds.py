from datetime import UTC, datetime

import pytest

from newsbot import feeds
from newsbot.feeds import NotAFeed, RefusedItem, is_full_html, list_entries, parse_date, parse_feed

FEED_URL = "http://127.0.0.1:8000/feeds/finance.xml"
ARTICLE = "".join(
    f"<p>第{n}段：央行今日开展逆回购操作，市场流动性保持合理充裕，利率平稳运行。</p>" for n in range(8)
)


def rss(items: str, extra_ns: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" {extra_ns}><channel><title>财经</title><link>http://127.0.0.1:8000/</link>'
        f"{items}</channel></rss>"
    ).encode()


def test_rss2_full_html_in_description():
    feed = parse_feed(
        rss(
            "<item><title> 央行 &amp; 市场 </title><link>/news/1.html</link>"
            f"<description><![CDATA[{ARTICLE}<img src='/img/1.png'>]]></description>"
            "<pubDate>Fri, 10 May 2024 08:30:00 +0800</pubDate></item>"
        ),
        FEED_URL,
    )
    assert feed.problem is None
    [entry] = feed.entries
    assert entry.url == "http://127.0.0.1:8000/news/1.html"
    assert entry.title == "央行 & 市场"
    assert entry.published == datetime(2024, 5, 10, 0, 30, tzinfo=UTC)
    assert entry.html.startswith("<p>第0段")
    assert "src='/img/1.png'" in entry.html


def test_xml_base_resolves_the_content_links():
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://cdn.example.org/news/"><title>T</title><id>urn:x</id>
<updated>2024-05-10T00:00:00Z</updated><entry><title>A</title><id>urn:a</id><link href="a.html"/>
<updated>2024-05-10T00:00:00Z</updated><content type="html"><![CDATA[{ARTICLE}<img src="img/a.png">]]></content>
</entry></feed>""".encode()
    [entry] = parse_feed(body, FEED_URL).entries
    assert entry.url == "https://cdn.example.org/news/a.html"
    assert 'src="https://cdn.example.org/news/img/a.png"' in entry.html


def test_content_encoded_is_the_body_and_description_the_summary():
    feed = parse_feed(
        rss(
            "<item><title>A</title><link>http://example.com/a</link><description>短摘要</description>"
            f"<content:encoded><![CDATA[{ARTICLE}]]></content:encoded></item>",
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"',
        ),
        FEED_URL,
    )
    [entry] = feed.entries
    assert entry.html.startswith("<p>第0段")
    assert entry.summary == "短摘要"
    assert entry.published is None


def test_summary_only_items_have_no_html():
    feed = parse_feed(
        rss(
            "<item><title>A</title><link>http://example.com/a</link>"
            "<description><![CDATA[<p>央行今日开展逆回购操作……</p>]]></description>"
            "<pubDate>2024-05-10 08:30:00</pubDate></item>"
        ),
        FEED_URL,
    )
    [entry] = feed.entries
    assert entry.html is None
    assert entry.summary == "<p>央行今日开展逆回购操作……</p>"
    assert entry.published == datetime(2024, 5, 10, 0, 30, tzinfo=UTC)


def test_atom_content_and_text_summary():
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id><updated>2024-05-10T00:00:00Z</updated>
<entry><title>Full</title><id>tag:x,2024:1</id><link rel="alternate" href="http://example.com/full"/>
<published>2024-05-10T08:30:00+08:00</published><updated>2024-05-11T00:00:00Z</updated>
<content type="html"><![CDATA[{ARTICLE}]]></content></entry>
<entry><title>Text</title><id>http://example.com/text</id><updated>2024-05-10T09:00:00Z</updated>
<summary type="text">第一行 &lt;b&gt;
第二行</summary></entry>
</feed>""".encode()
    full, text = parse_feed(body, FEED_URL).entries
    assert full.url == "http://example.com/full"
    assert full.published == datetime(2024, 5, 10, 0, 30, tzinfo=UTC)
    assert full.html.startswith("<p>第0段")
    assert text.url == "http://example.com/text"
    assert text.published == datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
    assert text.html is None
    assert text.summary == "<p>第一行 &lt;b&gt;</p><p>第二行</p>"


def test_rss1_rdf_with_dc_date():
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://example.com/"><title>T</title><link>http://example.com/</link>
<items><rdf:Seq><rdf:li rdf:resource="http://example.com/1"/></rdf:Seq></items></channel>
<item rdf:about="http://example.com/1"><title>One</title><link>http://example.com/1</link>
<description><![CDATA[{ARTICLE}]]></description><dc:date>2024-05-10T08:30:00+08:00</dc:date></item>
</rdf:RDF>""".encode()
    feed = parse_feed(body, FEED_URL)
    assert feed.problem is None
    [entry] = feed.entries
    assert (entry.url, entry.title) == ("http://example.com/1", "One")
    assert entry.published == datetime(2024, 5, 10, 0, 30, tzinfo=UTC)
    assert entry.html is not None


def test_truncated_feed_keeps_the_complete_entries():
    whole = rss(
        "".join(
            f"<item><title>T{n}</title><link>http://example.com/{n}</link>"
            f"<description><![CDATA[{ARTICLE}]]></description></item>"
            for n in range(3)
        )
    )
    cut = whole[: whole.index(b"<item><title>T2") + 60]
    feed = parse_feed(cut, FEED_URL)
    assert feed.problem
    assert [entry.title for entry in feed.entries] == ["T0", "T1"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  \n",
        b"<html><body><p>Service unavailable</p></body></html>",
        "<!DOCTYPE html><html><head><title>维护中</title></head><body><h1>系统维护</h1></body></html>".encode(),
        b'{"items": [{"title": "a", "url": "http://example.com/a"}]}',
        b"Service Unavailable",
    ],
)
def test_a_document_that_is_not_a_feed_raises(body):
    with pytest.raises(NotAFeed, match=r"not an RSS or Atom|empty"):
        parse_feed(body, FEED_URL)


def item(n: int, date: str) -> str:
    return f"<item><title>T{n}</title><link>http://example.com/{n}</link><pubDate>{date}</pubDate></item>"


@pytest.mark.parametrize(
    "date",
    [
        "Fri, 31 Dec 9999 23:59:59 -0800",
        "Sat, 01 Jan 0001 00:00:00 +0800",
        "2150-01-01T00:00:00Z",
        "1715-10-28",
    ],
)
def test_an_item_with_an_out_of_range_date_is_refused_alone(date):
    feed = parse_feed(
        rss(item(1, "Fri, 10 May 2024 08:30:00 +0800") + item(2, date) + item(3, "2024-05-10 09:00")),
        FEED_URL,
    )
    assert [entry.title for entry in feed.entries] == ["T1", "T3"]
    [refusal] = feed.refused
    assert (refusal.item, refusal.reason) == ("http://example.com/2", "date_out_of_range")


def test_entries_without_a_link_are_counted():
    feed = parse_feed(rss("<item><title>No link</title><description>x</description></item>"), FEED_URL)
    assert (feed.entries, feed.unlinked) == ([], 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Fri, 10 May 2024 08:30:00 GMT", datetime(2024, 5, 10, 8, 30)),
        ("Fri, 10 May 2024 08:30:00 +0800", datetime(2024, 5, 10, 0, 30)),
        ("Fri, 10 May 2024 08:30:00 CST", datetime(2024, 5, 10, 0, 30)),
        ("Fri, 10 May 2024 08:30:00", datetime(2024, 5, 10, 0, 30)),
        ("2024-05-10T08:30:00Z", datetime(2024, 5, 10, 8, 30)),
        ("2024-05-10T08:30:00.000+08:00", datetime(2024, 5, 10, 0, 30)),
        ("2024-05-10 08:30:00", datetime(2024, 5, 10, 0, 30)),
        ("2024-05-10T08:30:00", datetime(2024, 5, 10, 0, 30)),
        ("2024/5/10 8:30", datetime(2024, 5, 10, 0, 30)),
        ("2024年05月10日 08:30", datetime(2024, 5, 10, 0, 30)),
        ("2024年5月10日08时30分15秒", datetime(2024, 5, 10, 0, 30, 15)),
        ("2024-05-10", datetime(2024, 5, 9, 16, 0)),
        ("1715301000", datetime(2024, 5, 10, 0, 30)),
        ("1715301000000", datetime(2024, 5, 10, 0, 30)),
    ],
)
def test_parse_date_forms(raw, expected):
    assert parse_date(raw) == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "not a date", "昨天 08:30", "2024-13-45 08:30:00", "Fri, 99 Foo 2024"])
def test_parse_date_refuses_what_it_cannot_read(raw):
    assert parse_date(raw) is None


def test_parse_date_trusts_feedparser_for_zoned_forms_and_refuses_nonsense_years():
    parsed = datetime(2024, 5, 10, 0, 30).timetuple()
    assert parse_date("Friday 10 May 2024, 8.30am +0800", parsed) == datetime(2024, 5, 10, 0, 30, tzinfo=UTC)
    with pytest.raises(RefusedItem, match="out of range"):
        parse_date("10/28/1715", datetime(1715, 10, 28).timetuple())
    with pytest.raises(RefusedItem, match="out of range"):
        parse_date("Fri, 31 Dec 9999 23:59:59 -0800")


SIMPLIFIED = ["沪深两市成交额突破万亿", "央行：保持流动性合理充裕", "财税改革的启示"]
TRADITIONAL = ["滬深兩市成交額突破萬億", "央行：保持流動性合理充裕", "財稅改革的啟示"]


def titles(encoding: str) -> list[str]:
    return TRADITIONAL if encoding == "big5" else SIMPLIFIED


def encoded_feed(encoding: str, declared: str | None) -> bytes:
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else '<?xml version="1.0"?>'
    items = "".join(
        f"<item><title>{title}</title><link>http://example.com/{n}</link>"
        f"<description>{title}</description><pubDate>2024-05-10 08:30</pubDate></item>"
        for n, title in enumerate(titles(encoding))
    )
    return f'{declaration}\n<rss version="2.0"><channel><title>News</title>{items}</channel></rss>'.encode(
        encoding
    )


def _encoding_cases() -> list[tuple[str, str | None, str | None]]:
    """(encoding, declared, HTTP charset): each named right, not at all, or wrongly; a Big5 feed needs Big5
    named somewhere (GB18030 reads any Big5 bytes, wrongly, as any reader without a guess would)."""
    cases = []
    for encoding in ("gb2312", "gbk", "gb18030", "big5", "utf-8"):
        names = (encoding, None, "utf-8" if encoding != "utf-8" else "gbk")
        for declared in names:
            for http in names:
                if encoding != "big5" or "big5" in (declared, http):
                    cases.append((encoding, declared, http))
    return cases


@pytest.mark.parametrize(("encoding", "declared", "http"), _encoding_cases())
def test_feed_encodings_http_charset_first_then_declaration_then_utf8_and_gb18030(encoding, declared, http):
    """RFC 7303: the HTTP charset, then the declaration; bytes that do not decode as named are tried as UTF-8,
    then GB18030."""
    feed = parse_feed(encoded_feed(encoding, declared), FEED_URL, http)
    assert [entry.title for entry in feed.entries] == titles(encoding)
    assert feed.problem is None


def test_a_gb2312_feed_with_characters_only_gbk_has_reads_whole():
    body = '<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><title>t</title><item><title>朱镕基与镕字</title><link>http://example.com/1</link></item></channel></rss>'.encode(
        "gbk"
    )
    [entry] = parse_feed(body, FEED_URL).entries
    assert entry.title == "朱镕基与镕字"


@pytest.mark.parametrize(
    ("content", "full"),
    [
        (ARTICLE, True),
        ("第一段文字" * 30 + "<br><br>" + "第二段" * 30, True),
        ("<p>" + "很长的摘要" * 100 + "</p>", False),
        ("纯文本" * 200, False),
        ("<p>短</p><p>短</p>", False),
        ("", False),
    ],
)
def test_full_html_rule(content, full):
    assert is_full_html(content) is full


def test_list_entries_match_the_pattern_once_each_in_order():
    page = """<html><body>
    <a href="/detail/2">二</a><a href="/about">关于</a><a href="http://example.com/detail/1"> 一 </a>
    <a href="/detail/2">again</a><a href="javascript:void(0)">x</a></body></html>"""
    entries = list_entries(page, "http://example.com/list", r"/detail/\d+$")
    assert [(entry.url, entry.title) for entry in entries] == [
        ("http://example.com/detail/2", "二"),
        ("http://example.com/detail/1", "一"),
    ]
    assert all(entry.published is None and entry.html is None for entry in entries)


def test_an_item_that_fails_to_read_is_refused_alone(monkeypatch):
    real = feeds.is_full_html

    def fails_on_the_second(content: str) -> bool:
        if "坏" in content:
            raise ValueError("All strings must be XML compatible")
        return real(content)

    monkeypatch.setattr(feeds, "is_full_html", fails_on_the_second)
    body = rss(
        "".join(
            f"<item><title>T{n}</title><link>http://example.com/{n}</link><description>{text}</description></item>"
            for n, text in enumerate(["好", "坏", "好"])
        )
    )
    feed = parse_feed(body, FEED_URL)
    assert [entry.title for entry in feed.entries] == ["T0", "T2"]
    [refusal] = feed.refused
    assert (refusal.item, refusal.reason) == ("http://example.com/1", "unreadable")
