from datetime import UTC, datetime

import pytest

from newsbot.feeds import is_full_html, list_entries, parse_date, parse_feed

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


def test_not_a_feed_is_a_problem_without_entries():
    feed = parse_feed(b"<html><body><p>Service unavailable</p></body></html>", FEED_URL)
    assert feed.problem
    assert feed.entries == []


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
    assert parse_date("10/28/1715", datetime(1715, 10, 28).timetuple()) is None


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
