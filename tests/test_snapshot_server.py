import http.client
import json
import subprocess
import sys
import textwrap
import time

import pytest

from newsbot.snapshot_server import (
    BUNDLED_SNAPSHOT,
    ORIGINAL_URL_HEADER,
    SnapshotError,
    SnapshotServer,
    load_manifest,
)
from tests.servers import ROOT, serve

PAGE = "https://finance.sina.com.cn/china/doc-iaaaa.shtml"


def get(server: SnapshotServer, url: str | None, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    host, port = server.address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("GET", "/", headers={ORIGINAL_URL_HEADER: url} if url else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def write_manifest(folder, entries):
    folder.mkdir(exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")


def test_load_manifest_reads_files_inline_bodies_and_defaults(tmp_path):
    (tmp_path / "a.html").write_bytes("<p>甲</p>".encode("gbk"))
    write_manifest(
        tmp_path,
        {
            PAGE: {"file": "a.html", "headers": {"Content-Type": "text/html; charset=GBK"}},
            "https://finance.sina.com.cn/b": {
                "body": "乙",
                "headers": {"Content-Type": "text/plain;charset=gbk"},
            },
            "https://finance.sina.com.cn/c": {"body": "丙"},
            "https://finance.sina.com.cn/old": {"redirect": PAGE},
            "https://finance.sina.com.cn/flaky": {"body": "x", "fail_first": 2, "delay": 0.5, "chunks": 3},
        },
    )
    entries = load_manifest(tmp_path)
    assert entries[PAGE].body == "<p>甲</p>".encode("gbk") and entries[PAGE].status == 200
    assert entries["https://finance.sina.com.cn/b"].body == "乙".encode("gbk")
    assert entries["https://finance.sina.com.cn/c"].body == "丙".encode()
    assert entries["https://finance.sina.com.cn/old"].status == 301
    assert entries["https://finance.sina.com.cn/old"].redirect == PAGE
    flaky = entries["https://finance.sina.com.cn/flaky"]
    assert (flaky.fail_first, flaky.delay, flaky.chunks, flaky.drop) == (2, 0.5, 3, False)


def test_server_ignores_query_order(tmp_path):
    listed = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=1"
    with serve({listed: {"body": "{}"}}, tmp_path) as server:
        assert (
            get(server, "https://feed.mix.sina.com.cn/api/roll/get?page=1&num=50&lid=1686&pageid=155")[2]
            == b"{}"
        )
        assert (
            get(server, "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=2")[0]
            == 404
        )


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{not json", "is not JSON"),
        ("[]", "must map original URLs"),
        (json.dumps({PAGE: {"file": "missing.html"}}), "cannot read"),
        (json.dumps({PAGE: {"file": "a.html", "body": "x"}}), "either file or body"),
        (json.dumps({PAGE: {"body": "x", "stauts": 404}}), "unknown keys stauts"),
        (json.dumps({PAGE: {"body": "x", "status": "often"}}), PAGE),
        (json.dumps({PAGE: "x"}), "not an object"),
    ],
)
def test_load_manifest_refuses_bad_snapshots(tmp_path, manifest, message):
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(SnapshotError, match=message):
        load_manifest(tmp_path)


def test_missing_snapshot_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SnapshotError, match="no snapshot at"):
        SnapshotServer(tmp_path / "nowhere")


def test_bundled_snapshot_loads():
    entries = load_manifest(BUNDLED_SNAPSHOT)
    assert len(entries) > 30


def test_server_answers_by_original_url_and_counts_hits(tmp_path):
    entries = {
        PAGE: {"body": "<p>甲</p>", "headers": {"Content-Type": "text/html; charset=utf-8"}},
        "https://finance.sina.com.cn/robots.txt": {"body": "User-agent: *\nDisallow: /private/\n"},
    }
    with serve(entries, tmp_path) as server:
        assert server.address.startswith("127.0.0.1:")
        status, headers, body = get(server, PAGE)
        assert (status, headers["Content-Type"], body.decode()) == (
            200,
            "text/html; charset=utf-8",
            "<p>甲</p>",
        )
        assert get(server, "https://finance.sina.com.cn/robots.txt")[2].startswith(b"User-agent")
        assert get(server, "https://finance.sina.com.cn/nowhere")[0] == 404
        assert get(server, None)[0] == 400
        get(server, PAGE)
    assert server.hits[PAGE] == 2
    assert server.hits["https://finance.sina.com.cn/nowhere"] == 1


def test_server_stages_failures_redirects_and_slow_bodies(tmp_path):
    entries = {
        "https://a.test/flaky": {"body": "ok", "fail_first": 2},
        "https://a.test/old": {"redirect": "https://a.test/new", "status": 302},
        "https://a.test/slow": {"body": "late", "delay": 1.0},
        "https://a.test/drip": {"body": "abcdef", "chunks": 3, "drip": 0.2},
        "https://a.test/gone": {"drop": True},
    }
    with serve(entries, tmp_path) as server:
        assert [get(server, "https://a.test/flaky")[0] for _ in range(3)] == [500, 500, 200]
        status, headers, _ = get(server, "https://a.test/old")
        assert (status, headers["Location"]) == (302, "https://a.test/new")
        with pytest.raises(TimeoutError):
            get(server, "https://a.test/slow", timeout=0.3)
        started = time.monotonic()
        assert get(server, "https://a.test/drip")[2] == b"abcdef"
        assert time.monotonic() - started >= 0.4
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            get(server, "https://a.test/gone")


PROBE = textwrap.dedent(
    """
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    seen = []

    class Probe(scrapy.Spider):
        name = "probe"

        async def start(self):
            yield scrapy.Request(sys.argv[2], callback=self.parse, errback=self.failed, cb_kwargs={"first": True})

        def parse(self, response, first=False):
            seen.append({"url": response.url, "request": response.request.url, "status": response.status,
                         "text": response.text, "flags": response.flags})
            for url in sys.argv[3:] if first else ():
                yield scrapy.Request(url, callback=self.parse, errback=self.failed)

        def failed(self, failure):
            seen.append({"failed": failure.request.url, "error": type(failure.value).__name__})

    process = CrawlerProcess({
        "NEWSBOT_SNAPSHOT_ADDRESS": sys.argv[1],
        "ROBOTSTXT_OBEY": True,
        "DOWNLOADER_MIDDLEWARES": {"newsbot.middlewares.snapshot.SnapshotMiddleware": 950},
        "RETRY_TIMES": 2,
        "LOG_LEVEL": "ERROR",
    })
    crawler = process.create_crawler(Probe)
    process.crawl(crawler)
    process.start()
    print(json.dumps({"seen": seen, "stats": crawler.stats.get_stats()}, default=str))
    """
)


def probe(server: SnapshotServer, tmp_path, *urls: str) -> dict:
    """Crawl ``urls`` through the middleware with a bare spider: the first, then the others at once."""
    script = tmp_path / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), server.address, *urls],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_middleware_gives_scrapy_original_urls_robots_redirects_and_retries(tmp_path):
    entries = {
        "https://a.test/robots.txt": {"body": "User-agent: *\nDisallow: /private/\n"},
        "https://a.test/old": {"redirect": "https://a.test/new"},
        "https://a.test/new": {"body": "<p>新</p>", "headers": {"Content-Type": "text/html; charset=utf-8"}},
        "https://a.test/flaky": {"body": "fine", "fail_first": 1, "headers": {"Content-Type": "text/plain"}},
        "https://a.test/private/secret": {"body": "hidden"},
    }
    with serve(entries, tmp_path) as server:
        result = probe(
            server, tmp_path, "https://a.test/old", "https://a.test/flaky", "https://a.test/private/secret"
        )
    pages = {page.get("url") or page["failed"]: page for page in result["seen"]}
    assert pages["https://a.test/new"]["request"] == "https://a.test/new"
    assert pages["https://a.test/new"]["text"] == "<p>新</p>"
    assert "snapshot" in pages["https://a.test/new"]["flags"]
    assert pages["https://a.test/flaky"]["text"] == "fine"
    assert pages["https://a.test/private/secret"]["error"] == "IgnoreRequest"
    assert server.hits["https://a.test/robots.txt"] == 1
    assert server.hits["https://a.test/old"] == server.hits["https://a.test/new"] == 1
    assert server.hits["https://a.test/flaky"] == 2
    assert "https://a.test/private/secret" not in server.hits
    stats = result["stats"]
    assert stats["robotstxt/forbidden"] == 1
    assert stats["retry/count"] == 1
    assert stats["downloader/response_status_count/301"] == 1
