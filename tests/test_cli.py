"""The ``newsbot`` command line as a Scrapy user knows it: its name, its version, help for every option, and
one-line errors (exit status 2 for usage, 1 for failures) driven through the real CLI in subprocesses."""

from __future__ import annotations

import argparse
import os
import subprocess

import pytest
import scrapy
from scrapy.cmdline import _get_commands_dict
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.project import get_project_settings

from newsbot import __version__
from newsbot.cli import build_parser, command_settings
from newsbot.command import NUMBER_SETTINGS, coverage_problem, number_problem, number_settings_problem
from newsbot.distributed import shared_settings_problem
from tests.conftest import SEED_URL
from tests.servers import run_newsbot

# Where a case crawled before its argument was refused: only 127.0.0.1, into a scratch archive.
LOOPBACK = ("--archive", "/tmp/newsbot-usage", "-s", "NEWSBOT_RSSHUB_URL=http://127.0.0.1:9", "-s", "ROBOTSTXT_OBEY=0")
FEED = ("crawl", "feed", "-a", "url=http://127.0.0.1:9/rss.xml", *LOOPBACK)
ARTICLE = ("crawl", "article", "-a", "url=http://127.0.0.1:9/a.html", *LOOPBACK)
NEWSBOT_COMMANDS = ("crawl", "fetch", "replay", "renormalise", "schedule", "validate", "sources", "version")


def commands() -> dict:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    return _get_commands_dict(get_project_settings(), inproject=False)


def test_version_names_newsbot_beside_scrapy():
    expected = f"newsbot {__version__} (Scrapy {scrapy.__version__})"
    assert __version__ == "0.5.3"
    for args in (["version"], ["--version"]):
        done = run_newsbot(*args)
        assert (done.returncode, done.stdout.strip()) == (0, expected), done.stderr


def test_help_and_every_usage_say_newsbot_not_scrapy():
    listing = run_newsbot("--help")
    assert listing.returncode == 0
    assert "newsbot <command> [options] [args]" in listing.stdout
    assert not [line for line in listing.stdout.splitlines() if "scrapy <" in line or '"scrapy' in line]
    for name in NEWSBOT_COMMANDS:
        done = run_newsbot(name, "-h")
        assert done.returncode == 0, done.stderr
        assert f"newsbot {name}" in done.stdout
        assert "scrapy " not in done.stdout.lower()


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_option_of_every_command_has_help(name):
    command = commands()[name]
    command_settings(command, get_project_settings())
    parser = build_parser(name, command)
    unhelped = [action.option_strings or action.dest for action in parser._actions if not action.help]
    assert not unhelped


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl"], "give one source name"),
        (["crawl", "nosuch"], "no source 'nosuch'"),
        (["crawl", "sina-finance", "--channels", "nosuch"], "no Sina Finance channel 'nosuch'"),
        (["crawl", "sina-finance", "--max-pages", "0"], "--max-pages: must be 1 or more, not 0"),
        (["crawl", "sina-finance", "--max-pages", "-1"], "--max-pages: must be 1 or more, not -1"),
        (["crawl", "sina-finance", "--max-pages", "many"], "--max-pages: not a whole number"),
        (["crawl", "article"], "the article spider needs -a url=VALUE"),
        (["crawl", "feed"], "give the feed spider either source=NAME or url=URL"),
        (["crawl", "sina-finance", "-a", "oops"], "Invalid -a value"),
        (["fetch"], "give exactly one URL"),
        (["fetch", "finance.sina.com.cn/a.shtml"], "not an http(s) URL"),
        (["fetch", "https://reader:secret@finance.sina.com.cn/a.shtml"], "the URL holds credentials"),
        (["fetch", "https://finance.sina.com.cn/" + "a" * 2100], "over Scrapy's URLLENGTH_LIMIT (2083)"),
        (["fetch", "http://[::1"], "not a URL (Invalid IPv6 URL)"),
        (["crawl", "article", "-a", "url=ftp://news.example.com/1.html"], "not an http(s) URL"),
        (["crawl", "sina-finance", "--record", "/tmp"], "--record FILE.warc.gz names a file to write"),
        (["replay"], "give one or more WARC files"),
        (["replay", "/nonexistent.warc.gz"], "no such file: /nonexistent.warc.gz"),
        (["renormalise", "/nonexistent.warc.gz"], "no such file: /nonexistent.warc.gz"),
        (["schedule", "sina-finance", "--every", "soon"], "not a duration"),
        (["schedule", "sina-finance", "--every", "1m", "--runs", "0"], "--runs: must be 1 or more"),
        (["schedule", "nosuch", "--every", "1m"], "no source 'nosuch'"),
        (
            ["schedule", "sina-finance", "--every", "1m", "--runs", "1", "--snapshot", "--archive", "/tmp/newsbot-usage",
             "-s", "NEWSBOT_MAX_FAILURE_SHARE=abc"],
            "-s NEWSBOT_MAX_FAILURE_SHARE: 'abc' is not a number",
        ),
        (
            ["schedule", "sina-finance", "--every", "1m", "--runs", "1", "--snapshot", "--archive", "/tmp/newsbot-usage",
             "-s", "NEWSBOT_MIN_COVERAGE=[]"],
            "'[]' is not a JSON object of fields and",
        ),
        (["validate", "/nonexistent-folder"], "no such folder: /nonexistent-folder"),
        (["status", "/nonexistent-folder"], "no such folder: /nonexistent-folder"),
        (["retry", "/nonexistent-folder"], "no such folder: /nonexistent-folder"),
        (["reindex", "/nonexistent-folder"], "no such folder: /nonexistent-folder"),
        (["retry", "--archive", "/tmp", "--source", "nosuch"], "no source 'nosuch'"),
        (["validate", "/tmp", "-s", "NEWSBOT_INDEX_URL=mysql://x"], "must be a postgresql:// URL"),
        (["status", "/tmp", "-s", "NEWSBOT_INDEX_URL=mysql://x"], "must be a postgresql:// URL"),
        (["retry", "/tmp", "-s", "NEWSBOT_INDEX_URL=mysql://x"], "must be a postgresql:// URL"),
        (["reindex", "/tmp", "-s", "NEWSBOT_INDEX_URL=mysql://x"], "must be a postgresql:// URL"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_WORKER_TIMEOUT=inf"], "is not a number above 0"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_CLAIM_TIMEOUT=nan"], "is not a number above 0"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_WORKERS=abc"], "NEWSBOT_WORKERS: 'abc' is not a whole number of 1 or more"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_WORKERS=0"], "NEWSBOT_WORKERS: '0' is not a whole number of 1 or more"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_WORKER_TIMEOUT=0"], "is not a number above 0"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_CLAIM_TIMEOUT=soon"], "is not a number above 0"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://[::1"], "REDIS_URL: Invalid IPv6 URL"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=http://cache.example"], "must be a redis://, rediss:// or unix://"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://cache.example/abc"], "database 'abc' is not a whole"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://cache.example?db=-1"], "database -1 is not a whole"),
        (["status", "/tmp", "-s", "REDIS_URL=redis://cache.example/-1"], "database '-1' is not a whole"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://cache.example:sixty/0"], "Port could not be cast"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://cache.example:70000/0"], "Port out of range"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://cache.example?db=two"], "Invalid value for 'db' in"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://h/0?socket_timeout=soon"], "'socket_timeout' in"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://h/0?colour=red"], "redis-py takes no option 'colour'"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=memcached://cache.example"], "must be a redis://, rediss://"),
        (["crawl", "sina-finance", "-s", "REDIS_URL=redis://u:secret@h/abc"], "not a whole number from 0 in 'redis://u@h/abc'"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_INDEX_URL=postgresql://u@[::1/db"], "NEWSBOT_INDEX_URL: Invalid IPv6"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_INDEX_URL=mysql://u:secret@db.example/x"], "not 'mysql://u@db.example/x'"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_PAGE_PROCESSES=abc"], "'abc' is not a whole number of 0 or more"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_PAGE_PROCESSES=-1"], "'-1' is not a whole number of 0 or more"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_PAGE_TIMEOUT=0"], "NEWSBOT_PAGE_TIMEOUT: '0' is not a number of 1"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_REVISIT_RECENT_DAYS=abc"], "'abc' is not a number of 0 or more"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_INDEX_BATCH_SIZE=1.5"], "'1.5' is not a whole number of 1"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_MAX_ATTEMPTS=0"], "'0' is not a whole number of 1 or more"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_INDEX_BATCH_DELAY=1e9"], "BATCH_DELAY: '1e9' is more than 10"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_INDEX_BATCH_DELAY=-1"], "'-1' is not a number from 0 to 10"),
        (["replay", "/tmp/x.warc.gz", "-s", "NEWSBOT_MONITOR_MIN_PAGES=few"], "'few' is not a whole number"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_NORMALISE_PROCESSES=1"], "is now NEWSBOT_PAGE_PROCESSES"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_MIN_COVERAGE=abc"], "'abc' is not a JSON object of fields and"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_MIN_COVERAGE=[1]"], "'[1]' is not a JSON object of fields and"),
        (["crawl", "sina-finance", "-s", 'NEWSBOT_MIN_COVERAGE={"titel": 0.9}'], "no field 'titel' (fields: title,"),
        (["crawl", "sina-finance", "-s", 'NEWSBOT_MIN_COVERAGE={"title": 2}'], "title must be a share between 0 and 1 (a number), got 2"),
        (["replay", "/tmp/x.warc.gz", "-s", 'NEWSBOT_MIN_COVERAGE={"body": "most"}'], 'body must be a share between 0 and 1 (a number), got "most"'),
        (["crawl", "sina-finance", "-s", "NEWSBOT_MIN_COVERAGE=[]"], "'[]' is not a JSON object of fields and"),
        (["crawl", "sina-finance", "-s", 'NEWSBOT_MIN_COVERAGE={"title": "0.5"}'], 'title must be a share between 0 and 1 (a number), got "0.5"'),
        (["crawl", "sina-finance", "-s", 'NEWSBOT_MIN_COVERAGE={"image": true}'], "image must be a share between 0 and 1 (a number), got true"),
        (["nosuch"], "unknown command 'nosuch'"),
        (["crawl", "sina-finance", "-s", "NEWSBOT_MIN_COVERAGE={}"], "NEWSBOT_MIN_COVERAGE: {} names no field; give the fields"),
        (["replay", "/tmp/x.warc.gz", "-s", "NEWSBOT_MIN_COVERAGE= {} "], "NEWSBOT_MIN_COVERAGE: {} names no field"),
        ([*FEED, "-a", "categories=A,B"], "-a categories=A,B: expected three comma-separated names"),
        ([*FEED, "-a", "categories=A,B,C", "-a", "fetch_article=maybe"], "-a fetch_article=maybe: expected true"),
        ([*FEED, "-a", "categories=A,B,C", "-a", "site=../x"], "-a site=../x: a source name is 1-80"),
        ([*FEED, "-a", "categories=A,B,C", "-a", "colour=red"], "the feed spider has no argument -a colour; it"),
        (["crawl", "feed", "-a", "url=ftp://x", "-a", "categories=A,B,C", *LOOPBACK], "-a url=ftp://x: not an http(s) URL"),
        (["crawl", "feed", "-a", "source=nosuch", *LOOPBACK], "no feed or list source 'nosuch'; configured:"),
        (["crawl", "feed", "-a", "source=nbd", "-a", "author=X", *LOOPBACK], "-a author is for a feed given by -a url=URL"),
        (["crawl", "nbd", "-a", "source=cls-telegraph", *LOOPBACK], "-a source: the source nbd sets it already"),
        (["crawl", "nbd", "-a", "colour=red", *LOOPBACK], "the feed spider has no argument -a colour"),
        (["crawl", "nbd", "--channels", "china", *LOOPBACK], "--channels: nbd takes no channels (its spider is"),
        (["crawl", "nbd", "--max-pages", "2", *LOOPBACK], "--max-pages: nbd takes no max_pages"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-a", "max_pages=abc"], "-a max_pages=abc: expected a whole number"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-a", "max_pages=0"], "-a max_pages=0: expected a whole number"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-a", "chanels=china"], "no argument -a chanels; it takes -a channels"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-a", "max_pages=" + "9" * 23], "from 1 to 1,000,000"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "--max-pages", "1000001"], "from 1 to 1,000,000"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-a", "channels=,"], "-a channels=,: give one or more"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-a", "channels="], "-a channels=: give one or more"),
        ([*ARTICLE, "-a", "html_file=/nonexistent.html"], "-a html_file=/nonexistent.html: no such file"),
        ([*ARTICLE, "-a", "ledger=maybe"], "-a ledger=maybe: expected true or false"),
        ([*ARTICLE, "-a", "lol=1"], "the article spider has no argument -a lol; it takes -a url, html_file, ledger"),
        ([*ARTICLE, "--since", "2024-01-01"], "--since: article takes no since"),
        (["crawl", "warc", *LOOPBACK], "the warc spider reads recorded crawls: run it as newsbot replay"),
        (["crawl", "warc", "-a", "foo=1", *LOOPBACK], "the warc spider has no argument -a foo; it takes none"),
        (["fetch", "http://127.0.0.1:9/a.html", "-a", "url=x", *LOOPBACK], "-a url: fetch sets it"),
        (["fetch", "http://127.0.0.1:9/a.html", "-a", "foo=1", *LOOPBACK], "the article spider has no argument -a foo"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-s", "LOG_LEVEL=LOUD"], "-L/-s LOG_LEVEL: 'LOUD' is not"),
        (["status", "/tmp", "-L", "info"], "-L/-s LOG_LEVEL: 'info' is not a log level"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-s", "JOBDIR=/proc/newsbot"], "-s JOBDIR=/proc/newsbot: can"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "--logfile", "/nonexistent/x.log"], "no folder /nonexistent"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "--logfile", "/tmp"], "--logfile /tmp: a folder, not"),
        (["schedule", "sina-finance", "--every", "1m", *LOOPBACK, "-s", "JOBDIR=/proc/newsbot"], "JOBDIR=/proc/newsbot"),
        (["status", "--bogus"], "newsbot status: error: unknown option --bogus"),
        (["crawl", "sina-finance", "--bogus"], "newsbot crawl: error: unknown option --bogus"),
        (["validate", "/tmp", "-x"], "newsbot validate: error: unknown option -x"),
        (["crawl", "sina-finance", "--snapshot", "--archive", ""], "the archive folder is empty: give --archive"),
        (["crawl", "sina-finance", "--snapshot", "-s", "NEWSBOT_OUTPUT_DIR="], "the archive folder is empty"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-s", "CONCURRENT_REQUESTS=abc"], "'abc' is not a number"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "-s", "ROBOTSTXT_OBEY=maybe"], "'maybe' is not true or"),
        (["crawl", "--all", *LOOPBACK, "-s", "NEWSBOT_SOURCES_FILE=__empty__"], "no sources configured in"),
        (["serve-snapshot", "/nonexistent-folder"], "no snapshot at /nonexistent-folder"),
        (["schedule", "sina-finance", "--every", "1m", "--snapshot", "/nonexistent-folder"], "no snapshot at /nonex"),
        (["crawl", "sina-finance", "--snapshot", *LOOPBACK, "--channels", ","], "--channels: give one or more"),
        (["schedule", "article", "--every", "1m", "--runs", "1", *LOOPBACK], "the article spider needs -a url=VALUE; schedule takes a"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, message, tmp_path):
    empty = tmp_path / "sources.toml"
    empty.write_text("builtins = false\n", encoding="utf-8")
    done = run_newsbot(*(arg.replace("__empty__", str(empty)) for arg in args))
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr
    assert done.stderr.startswith("newsbot")
    assert "Traceback" not in done.stderr


def test_a_long_url_is_allowed_up_to_the_urllength_limit_setting():
    long_url = "https://finance.sina.com.cn/" + "a" * 2100
    done = run_newsbot("fetch", long_url, "-s", "URLLENGTH_LIMIT=100")
    assert "URLLENGTH_LIMIT (100)" in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["crawl", "sina-finance"],
        ["fetch", SEED_URL],
        ["replay", "__warc__"],
        ["renormalise", "__warc__"],
        ["schedule", "sina-finance", "--every", "1m"],
        ["validate"],
    ],
)
def test_an_archive_option_naming_a_file_is_a_one_line_usage_error(tmp_path, command):
    afile = tmp_path / "notes.txt"
    afile.write_text("not a folder")
    warc = tmp_path / "some.warc.gz"
    warc.write_bytes(b"")
    args = [str(warc) if part == "__warc__" else part for part in command]
    for archive in (["--archive", str(afile)], ["-s", f"NEWSBOT_OUTPUT_DIR={afile}"]):
        done = run_newsbot(*args, *archive)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == (
            f"newsbot {command[0]}: error: the archive folder {afile} is a file, not a folder "
            f"(see: newsbot {command[0]} -h)"
        )
    assert afile.read_text() == "not a folder"


def test_validate_takes_the_folder_positionally_or_as_archive_and_says_when_it_holds_no_post(tmp_path):
    for args in ([str(tmp_path)], ["--archive", str(tmp_path)]):
        done = run_newsbot("validate", *args)
        assert done.returncode == 1
        assert done.stderr.strip() == f"newsbot: error: no posts under {tmp_path}"
    both = run_newsbot("validate", str(tmp_path), "--archive", str(tmp_path / "other"))
    assert both.returncode == 2 and "give one archive folder" in both.stderr


def test_o_naming_a_folder_says_o_is_a_feed_export_and_the_archive_is_archive(tmp_path):
    done = run_newsbot("crawl", "sina-finance", "-o", str(tmp_path))
    assert done.returncode == 2
    assert "-o/-O FILE is a feed export of the items" in done.stderr
    assert "--archive DIR" in done.stderr


def test_a_read_only_archive_folder_or_a_setting_that_is_no_number_is_one_usage_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True)
    assert bind.returncode == 0, f"this test makes a read-only bind mount, as root: {bind.stderr}"
    try:
        assert subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)]).returncode == 0
        done = run_newsbot("crawl", "sina-finance", "--snapshot", "--archive", str(folder / "out"))
    finally:
        subprocess.run(["umount", str(folder)])
    assert done.returncode == 2, done.stderr
    assert f"the archive folder {folder / 'out'} is not writable" in done.stderr
    assert "Traceback" not in done.stderr
    share = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", "NEWSBOT_MAX_FAILURE_SHARE=abc")
    assert share.returncode == 2 and "-s NEWSBOT_MAX_FAILURE_SHARE: 'abc' is not a number" in share.stderr


@pytest.mark.parametrize(
    ("value", "kind", "least", "above", "problem"),
    [
        (float("nan"), float, 0, False, "nan is not a number of 0 or more"),
        (float("inf"), int, 1, False, "inf is not a whole number of 1 or more"),
        ("-inf", float, 0, False, "'-inf' is not a number of 0 or more"),
        ("0", float, 0, True, "'0' is not a number above 0"),
        ("0.5", float, 0, True, None),
        ("0", float, 0, False, None),
    ],
)
def test_a_number_setting_is_finite_and_in_its_range(value, kind, least, above, problem):
    found = number_problem("NEWSBOT_X", value, kind, least, above)
    assert found == (problem and f"-s NEWSBOT_X: {problem}")


def test_number_settings_are_checked_by_one_table_only():
    for name in ("NEWSBOT_WORKERS", "NEWSBOT_WORKER_TIMEOUT", "NEWSBOT_CLAIM_TIMEOUT", "NEWSBOT_PAGE_TIMEOUT"):
        settings = Settings({name: "nan"})
        assert name in NUMBER_SETTINGS
        assert number_settings_problem(settings).startswith(f"-s {name}: 'nan' is not a ")
        assert shared_settings_problem(settings) is None


@pytest.mark.parametrize(
    "value",
    ['{"title": 0.9, "image": 0}', {"body": 1, "date": 0.5}, BaseSettings({"title": 0.25})],
)
def test_a_min_coverage_of_fields_and_numbers_passes_as_json_or_a_dict(value):
    assert coverage_problem(Settings({"NEWSBOT_MIN_COVERAGE": value})) is None


def test_crawl_all_gives_the_sina_options_only_to_the_spiders_that_take_them():
    command = commands()["crawl"]
    command_settings(command, get_project_settings())
    opts = argparse.Namespace(all=True)
    plan = command.targets([], opts, {}, {"channels": "china", "max_pages": 2})
    by_spider = {spider: arguments for spider, arguments in plan}
    assert by_spider["sina-finance"] == {"channels": "china", "max_pages": 2}
    assert all(set(arguments) == {"source"} for spider, arguments in plan if spider == "feed")


@pytest.mark.parametrize("name", sorted(commands()))
def test_help_headings_are_section_titles_only_at_any_width(name, monkeypatch):
    command = commands()[name]
    command_settings(command, get_project_settings())
    for columns in range(50, 130, 2):
        monkeypatch.setenv("COLUMNS", str(columns))
        lines = build_parser(name, command).format_help().splitlines()
        headings = {lines[i - 1] for i, line in enumerate(lines) if i and line and set(line) in ({"="}, {"-"})}
        assert headings <= {"Usage", "Options", "Global Options"}, (columns, headings)


def test_validate_reports_a_post_it_cannot_read_in_one_line_and_exits_1(tmp_path):
    (tmp_path / "sina" / "2016" / "04" / "folder.md").mkdir(parents=True)
    (tmp_path / "sina" / "2016" / "04" / "gone.md").symlink_to(tmp_path / "nowhere.md")
    done = run_newsbot("validate", str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{tmp_path}/sina/2016/04/folder.md: cannot be read: Is a directory" in done.stdout
    assert f"{tmp_path}/sina/2016/04/gone.md: cannot be read: No such file or directory" in done.stdout
