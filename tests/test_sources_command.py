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
