import pytest
from scrapy.settings import Settings

from newsbot.sites.base import Categories
from newsbot.sources.config import (
    BUNDLED_FILE,
    SourcesError,
    load_sources,
    parse_sources,
    source_from_table,
    sources_path,
)

GOOD = """
builtins = false

[sources.cls-telegraph]
rsshub = "/cls/telegraph"
categories = ["金融", "财联社", "财联社－电报"]
fetch_article = false

[sources.local]
feed = "http://127.0.0.1:8000/feed.xml"
categories = ["金融", "本地", "本地－要闻"]
author = "本地财经"
title_xpath = "//h1"
body_xpath = "//div[@id='content']"

[sources.listing]
list = "https://example.com/news/"
links = "/news/\\\\d+\\\\.html$"
categories = ["金融", "示例", "示例－新闻"]
"""


def test_parse_sources_reads_every_kind():
    sources = parse_sources(GOOD, "sources.toml", "https://hub.example/")
    assert list(sources) == ["cls-telegraph", "local", "listing"]
    telegraph = sources["cls-telegraph"]
    assert (telegraph.kind, telegraph.url, telegraph.spider) == (
        "feed",
        "https://hub.example/cls/telegraph",
        "feed",
    )
    assert telegraph.categories == Categories("金融", "财联社", "财联社－电报")
    assert telegraph.author == "财联社"
    assert telegraph.fetch_article is False
    assert telegraph.spider_args() == {"source": "cls-telegraph"}
    local = sources["local"]
    assert (local.author, local.fetch_article, local.title_xpath) == ("本地财经", None, "//h1")
    listing = sources["listing"]
    assert (listing.kind, listing.links) == ("list", r"/news/\d+\.html$")


def test_builtin_spiders_are_sources_unless_turned_off():
    sources = parse_sources(
        '[sources.a]\nfeed = "https://a.example/rss"\ncategories = ["g", "s", "c"]\n', "f"
    )
    assert list(sources) == ["sina-finance", "a"]
    sina = sources["sina-finance"]
    assert (sina.kind, sina.spider, sina.spider_args()) == ("spider", "sina-finance", {})
    assert parse_sources("builtins = false\n", "f") == {}


def test_bundled_file_holds_the_rsshub_examples():
    sources = parse_sources(BUNDLED_FILE.read_text(encoding="utf-8"), str(BUNDLED_FILE))
    for route in ("/sina/finance", "/cls/telegraph", "/stcn/yw", "/gelonghui/home", "/nbd"):
        assert any(source.url == f"https://rsshub.app{route}" for source in sources.values()), route
    assert sources["cls-telegraph"].categories.as_tuple() == ("金融", "财联社", "财联社－电报")
    assert all(source.categories.group == "金融" for source in sources.values())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('feed = "https://a.example/rss"', "[sources.x] categories: expected three non-empty strings"),
        ('feed = "https://a.example/rss"\ncategories = ["金融", "A"]', "[sources.x] categories:"),
        ('feed = "https://a.example/rss"\ncategories = ["金融", "", "C"]', "[sources.x] categories:"),
        ('categories = ["g", "s", "c"]', "[sources.x] feed: give exactly one of feed, rsshub or list"),
        ('feed = "a"\nrsshub = "/b"\ncategories = ["g", "s", "c"]', "give exactly one of"),
        (
            'feed = "ftp://a.example/rss"\ncategories = ["g", "s", "c"]',
            "[sources.x] feed: not an http(s) URL",
        ),
        ('feed = 3\ncategories = ["g", "s", "c"]', "[sources.x] feed: expected a non-empty string"),
        (
            'feed = "https://a/"\ncategories = ["g", "s", "c"]\nfetch_articles = true',
            "fetch_articles: unknown field",
        ),
        (
            'feed = "https://a/"\ncategories = ["g", "s", "c"]\nfetch_article = "yes"',
            "fetch_article: expected true",
        ),
        (
            'feed = "https://a/"\ncategories = ["g", "s", "c"]\nbody_xpath = "//div["',
            "body_xpath: not an XPath",
        ),
        (
            'feed = "https://a/"\ncategories = ["g", "s", "c"]\nauthor = ""',
            "author: expected a non-empty string",
        ),
        ('list = "https://a/"\ncategories = ["g", "s", "c"]', "[sources.x] links: a list source needs"),
        ('list = "https://a/"\ncategories = ["g", "s", "c"]\nlinks = "("', "links: not a regular expression"),
        ('feed = "https://a/"\ncategories = ["g", "s", "c"]\nlinks = "x"', "links: only list sources"),
    ],
)
def test_bad_source_names_the_field(table, message):
    with pytest.raises(SourcesError) as error:
        parse_sources(f"[sources.x]\n{table}\n", "my.toml")
    assert str(error.value).startswith("my.toml: ")
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sources.x\n", "my.toml: not valid TOML"),
        ("builtin = false\n", "my.toml: builtin: unknown top-level field"),
        ("builtins = 1\n", "my.toml: builtins: expected true or false"),
        ('sources = "x"\n', "my.toml: sources: expected [sources.NAME] tables"),
        (
            '[sources.Bad_Name]\nfeed = "https://a/"\ncategories = ["g", "s", "c"]\n',
            "[sources.Bad_Name]: a source name",
        ),
        (
            '[sources.sina-finance]\nfeed = "https://a/"\ncategories = ["g", "s", "c"]\n',
            "name of a built-in spider",
        ),
        ("[sources]\nx = 1\n", "[sources.x]: expected a table"),
    ],
)
def test_bad_file_is_a_clear_error(text, message):
    with pytest.raises(SourcesError) as error:
        parse_sources(text, "my.toml")
    assert str(error.value).startswith("my.toml: ")
    assert message in str(error.value)


def test_source_from_table_serves_ad_hoc_feeds():
    source = source_from_table(
        "127-0-0-1", {"feed": "http://127.0.0.1:1/f", "categories": ["g", "s", "c"]}, "", "args"
    )
    assert (source.name, source.author, source.kind) == ("127-0-0-1", "s", "feed")


def test_load_sources_prefers_the_setting_then_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sources_path() == BUNDLED_FILE
    (tmp_path / "sources.toml").write_text(
        'builtins = false\n[sources.here]\nrsshub = "/nbd"\ncategories = ["g", "s", "c"]\n'
    )
    assert (
        sources_path() == tmp_path / "sources.toml" or sources_path().resolve() == tmp_path / "sources.toml"
    )
    settings = Settings({"NEWSBOT_RSSHUB_URL": "http://127.0.0.1:1200"})
    assert load_sources(settings)["here"].url == "http://127.0.0.1:1200/nbd"
    named = tmp_path / "other.toml"
    named.write_text("builtins = false\n")
    settings.set("NEWSBOT_SOURCES_FILE", str(named))
    assert load_sources(settings) == {}
    settings.set("NEWSBOT_SOURCES_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(SourcesError) as error:
        load_sources(settings)
    assert "missing.toml: cannot read the sources file" in str(error.value)
