import subprocess
import sys

import pytest

from newsbot.post import WRAPPER_CLOSE, WRAPPER_OPEN, split
from tests.conftest import SEED_PAGE, SEED_POST, SEED_URL, SHARED, needs_shared
from tests.servers import serve

NEWSBOT = [sys.executable, "-c", "from newsbot.cli import main; main()"]
pytestmark = needs_shared


def newsbot(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*NEWSBOT, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_fetch_seed_page_prints_the_seed(tmp_path):
    """Front matter and wrapper byte for byte, the body the same HTML tree (SPEC.md: rule 5 closes blank lines)."""
    result = newsbot("fetch", SEED_URL, "--html", str(SEED_PAGE), "--stdout")
    assert result.returncode == 0, result.stderr
    seed_head, seed_inner = split(SEED_POST.read_text(encoding="utf-8"))
    head, inner = split(result.stdout)
    assert head == seed_head
    assert result.stdout == head + "\n" + WRAPPER_OPEN + inner + WRAPPER_CLOSE
    assert "\n\n" in seed_inner and not [line for line in inner.split("\n") if not line.strip(" \t")]
    printed = tmp_path / "printed.md"
    printed.write_text(result.stdout, encoding="utf-8")
    check = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "check_post.py"), "--strict", "--against", str(SEED_POST), str(printed)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_fetch_writes_post_under_output_and_says_where(tmp_path):
    result = newsbot("fetch", SEED_URL, "--html", str(SEED_PAGE), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "sina" / "2022" / "01" / "ikyamrmz6500542.md"
    assert result.stdout.strip() == str(path)
    assert path.read_text(encoding="utf-8").startswith("\n---\ntitle: '上海市委书记李强")
    assert newsbot("validate", str(tmp_path)).returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://finance.sina.com.cn/a.shtml"], "newsbot fetch: error: not an http(s) URL"),
        ([SEED_URL, "--html", "/nonexistent/page.html"], "newsbot fetch: error: no such file"),
    ],
)
def test_fetch_usage_errors_are_one_line_and_write_nothing(tmp_path, args, message):
    result = newsbot("fetch", *args, "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.md"))


def test_fetch_saved_page_without_article_refuses(tmp_path):
    page = tmp_path / "list.html"
    page.write_text("<html><head><title>新浪财经</title></head><body><ul><li>x</li></ul></body></html>")
    result = newsbot("fetch", SEED_URL, "--html", str(page), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    assert result.returncode == 1
    assert result.stderr.startswith("newsbot: error:")
    assert not list((tmp_path).rglob("*.md"))


def test_fetch_of_an_archived_article_or_of_a_copy_says_so_and_exits_0(tmp_path):
    archive = ("--archive", str(tmp_path))
    first = newsbot("fetch", SEED_URL, "--html", str(SEED_PAGE), *archive)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "sina" / "2022" / "01" / "ikyamrmz6500542.md"
    before = path.read_bytes()
    again = newsbot("fetch", SEED_URL, "--html", str(SEED_PAGE), *archive)
    assert (again.returncode, again.stdout.strip()) == (0, f"already archived: {path}"), again.stderr
    copy_url = SEED_URL.replace("ikyamrmz6500542", "ikyamrmz6500999").replace("/china/gncj/", "/roll/")
    copy = newsbot("fetch", copy_url, "--html", str(SEED_PAGE), *archive)
    assert (copy.returncode, copy.stdout.strip()) == (0, f"duplicate of sina:ikyamrmz6500542: {path}"), copy.stderr
    mirror = newsbot("fetch", "http://127.0.0.1:9/copy.html", "--html", str(SEED_PAGE), *archive)
    assert (mirror.returncode, mirror.stdout.strip()) == (0, f"already archived: {path}"), mirror.stderr
    assert [p.name for p in tmp_path.rglob("*.md")] == [path.name], "a copy elsewhere rewrote the post"
    assert path.read_bytes() == before


def test_fetch_of_a_missing_page_is_a_one_line_failure_with_exit_1(tmp_path):
    with serve({}, tmp_path) as server:
        done = newsbot(
            "fetch",
            "https://finance.sina.com.cn/china/2025-11-20/doc-inotthere0000001.shtml",
            "--archive",
            str(tmp_path / "out"),
            "-s",
            f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "newsbot: error: HTTP 404 for https://finance.sina.com.cn/china/2025-11-20/doc-inotthere0000001.shtml"
    )


def test_fetch_of_a_host_that_refuses_connections_fails_without_a_traceback(tmp_path):
    done = newsbot("fetch", "http://127.0.0.1:9/article.html", "--archive", str(tmp_path), "-s", "RETRY_TIMES=0")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("newsbot: error: DownloadConnectionRefusedError for ")


@pytest.mark.parametrize("declaration", ['<?xml version="1.0" encoding="UTF-8"?>\n', ""])
def test_fetch_of_an_xml_file_is_a_one_line_refusal_with_its_reason(tmp_path, declaration):
    url = "https://www.example.com/news/feed.xml"
    feed = f'{declaration}<rss version="2.0"><channel><title>新闻</title></channel></rss>\n'
    entry = {"body": feed, "headers": {"Content-Type": "application/rss+xml; charset=utf-8"}}
    with serve({url: entry}, tmp_path) as server:
        done = newsbot(
            "fetch", url, "--archive", str(tmp_path / "out"), "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}"
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "newsbot: error: not an HTML page: an XML document whose root is <rss> (a feed: newsbot crawl feed -a url=URL)"
    )
    assert not list(tmp_path.rglob("*.md"))
