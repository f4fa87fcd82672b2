from urllib.parse import parse_qsl, urlsplit

from newsbot.commands.sources import source_rows, table
from newsbot.sources.config import parse_sources
from tests.servers import run_newsbot

LOCAL = """builtins = false
[sources.local]
feed = "http://127.0.0.1:8000/feed.xml"
categories = ["金融", "本地", "本地－要闻"]

[sources.listing]
list = "https://example.com/news/"
links = "/news/\\\\d+\\\\.html$"
categories = ["金融", "示例", "示例－新闻"]
"""


def test_rows_and_table_line_up_under_the_header():
    rows = source_rows(parse_sources(LOCAL, "sources.toml"))
    assert rows == [
        ("local", "feed", "http://127.0.0.1:8000/feed.xml", "金融 / 本地 / 本地－要闻"),
        ("listing", "list", "https://example.com/news/", "金融 / 示例 / 示例－新闻"),
    ]
    lines = table(rows).splitlines()
    assert lines[0].split() == ["name", "kind", "url", "categories"]
    assert [line.index(" feed ") if " feed " in line else line.index(" list ") for line in lines[1:]] == [
        lines[0].index(" kind") for _ in lines[1:]
    ]


def test_sources_lists_the_bundled_sources_and_builtin_spiders(tmp_path):
    result = run_newsbot("sources", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()]
    assert {"sina-finance", "cls-telegraph", "stcn-yw", "nbd"} <= set(names)
    assert "https://rsshub.app/cls/telegraph" in result.stdout
    assert result.stdout.rstrip().endswith("newsbot/sources/sources.toml")


def test_sources_reads_the_working_folder_file_then_the_setting(tmp_path):
    (tmp_path / "sources.toml").write_text(LOCAL, encoding="utf-8")
    result = run_newsbot("sources", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[1:3]] == ["local", "listing"]
    assert "2 sources from sources.toml" in result.stdout
    other = tmp_path / "other.toml"
    other.write_text('builtins = false\n[sources.x]\nrsshub = "/nbd"\ncategories = ["g", "s", "c"]\n')
    result = run_newsbot(
        "sources", "-s", f"NEWSBOT_SOURCES_FILE={other}", "-s", "NEWSBOT_RSSHUB_URL=http://hub"
    )
    assert "http://hub/nbd" in result.stdout
    assert f"1 sources from {other}" in result.stdout


def test_a_bad_sources_file_is_a_one_line_error(tmp_path):
    (tmp_path / "sources.toml").write_text('[sources.x]\nfeed = "ftp://a/"\ncategories = ["g", "s", "c"]\n')
    result = run_newsbot("sources", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("newsbot: error: sources.toml: [sources.x] feed: not an http(s) URL")
    assert len(result.stderr.strip().splitlines()) == 1


# DIYgod/RSSHub lib/routes/sina/finance/china.ts (pageid 155) and rollnews.ts (pageid 384).
RSSHUB_LIDS = {
    155: {1686, 1687, 1688, 1689, 1690, 3231},
    384: {2519, 2671, 2672, 2673, 2674, 2675, 2676, 2487},
}


def test_sources_sina_finance_lists_each_channel_with_its_roll_api_ids_or_list_page():
    result = run_newsbot("sources", "sina-finance")
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["key", "name", "listing"]
    rows = {line.split()[0]: line.split() for line in lines}
    fed = 0
    for key, (_, name, *_rest, listing) in rows.items():
        assert name.startswith("新浪财经－")
        query = dict(parse_qsl(urlsplit(listing).query, keep_blank_values=True))
        if "pageid" in query:
            fed += 1
            assert listing.startswith("https://feed.mix.sina.com.cn/api/roll/get?")
            assert int(query["lid"]) in RSSHUB_LIDS[int(query["pageid"])], key
        else:
            assert listing.startswith("https://finance.sina.com.cn/"), key
    assert fed >= 8
    assert rows["china"][1] == "新浪财经－国內" and "pageid=155&lid=1686" in rows["china"][2]
    assert run_newsbot("sources", "nope").returncode == 2
