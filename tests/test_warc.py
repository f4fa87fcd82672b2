import asyncio
import gzip
import http.server
import shutil
import subprocess
import sys
import threading
import zlib

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from newsbot.middlewares.record import WarcRecorderMiddleware
from newsbot.middlewares.replay import RecordedOrder, WarcReplayMiddleware
from newsbot.warc import (
    Recorded,
    WarcFile,
    decoded_body,
    read_response,
    read_runs,
    rebase_url,
    replay_run,
    url_key,
)

PAGE = "<html><head><meta charset='utf-8'><title>标题</title></head><body><p>正文</p></body></html>".encode()


def record(path, *exchanges, info=None):
    warc = WarcFile(path)
    warc.write_warcinfo(info or {"software": "test"})
    for url, status, headers, body in exchanges:
        warc.write_exchange(url, "GET", [("User-Agent", "t")], b"", status, headers, body)
    warc.close()


def records(path):
    with open(path, "rb") as stream:
        return [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
            for r in ArchiveIterator(stream)
        ]


def test_exchange_is_a_response_and_a_request_record_under_the_original_url(tmp_path):
    path = tmp_path / "a.warc.gz"
    url = "https://finance.sina.com.cn/china/doc-ikyamrmz6500542.shtml?from=x"
    record(path, (url, 200, [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")], PAGE))
    assert [(kind, uri) for kind, uri, _ in records(path)] == [
        ("warcinfo", None),
        ("response", url),
        ("request", url),
    ]
    with open(path, "rb") as stream:
        rest = [r for r in ArchiveIterator(stream)][1:]
    response, request = rest
    assert response.rec_headers.protocol == "WARC/1.1"
    assert response.http_headers.statusline == "200 OK"
    assert response.http_headers.get_header("Content-Length") == str(len(PAGE))
    assert response.http_headers.get_header("Transfer-Encoding") is None
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline == "/china/doc-ikyamrmz6500542.shtml?from=x HTTP/1.1"
    assert request.http_headers.get_header("Host") == "finance.sina.com.cn"
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header(
        "WARC-Record-ID"
    )


def test_records_carry_valid_digests_and_name_their_warcinfo(tmp_path):
    path = tmp_path / "a.warc.gz"
    record(path, ("http://a.example/p#section", 200, [("Content-Type", "text/html")], PAGE))
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    assert check.stdout.count("digest pass") == 3
    with open(path, "rb") as stream:
        info, *exchange = list(ArchiveIterator(stream))
    info_id = info.rec_headers.get_header("WARC-Record-ID")
    for item in exchange:
        assert item.rec_headers.get_header("WARC-Warcinfo-ID") == info_id
        assert item.rec_headers.get_header("WARC-Target-URI") == "http://a.example/p"
        assert item.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")


def test_a_host_header_the_request_had_is_not_doubled(tmp_path):
    path = tmp_path / "a.warc.gz"
    warc = WarcFile(path)
    warc.write_exchange("http://a.example/", "GET", [("Host", "a.example")], b"", 200, [], b"x")
    warc.close()
    with open(path, "rb") as stream:
        request = next(r for r in ArchiveIterator(stream) if r.rec_type == "request")
    assert [name for name, _ in request.http_headers.headers] == ["Host"]


def test_interleaved_runs_in_one_file_keep_their_own_responses(tmp_path):
    path = tmp_path / "a.warc.gz"
    first, second = WarcFile(path), WarcFile(path)
    first.write_warcinfo({"newsbot-spider": "one"})
    second.write_warcinfo({"newsbot-spider": "two"})
    first.write_exchange("http://a.example/1", "GET", [], b"", 200, [], b"1")
    second.write_exchange("http://a.example/2", "GET", [], b"", 200, [], b"2")
    first.close()
    second.close()
    one, two = read_runs([str(path)])
    assert (one.spider, list(one.responses)) == ("one", [url_key("http://a.example/1")])
    assert (two.spider, list(two.responses)) == ("two", [url_key("http://a.example/2")])


def test_each_record_is_its_own_gzip_member(tmp_path):
    path = tmp_path / "a.warc.gz"
    record(path, ("http://a.example/", 200, [], b"x"), ("http://a.example/b", 200, [], b"y"))
    data = path.read_bytes()
    members = 0
    while data:
        inflater = zlib.decompressobj(wbits=31)
        inflater.decompress(data)
        data = inflater.unused_data
        members += 1
    assert members == 5


def test_compressed_body_is_kept_with_its_content_encoding(tmp_path):
    path = tmp_path / "a.warc.gz"
    body = gzip.compress(PAGE)
    record(path, ("http://a.example/", 200, [("Content-Encoding", "gzip"), ("Content-Length", "1")], body))
    (run,) = read_runs([str(path)])
    recorded = read_response(run.responses[url_key("http://a.example/")][0])
    assert recorded.body == body
    assert ("Content-Encoding", "gzip") in recorded.headers
    assert ("Content-Length", str(len(body))) in recorded.headers


def test_appended_recordings_are_separate_runs(tmp_path):
    path = tmp_path / "a.warc.gz"
    record(path, ("http://a.example/", 200, [], b"1"), info={"newsbot-spider": "one", "robots": "classic"})
    record(path, ("http://a.example/", 200, [], b"2"), info={"newsbot-spider": "two"})
    first, second = read_runs([str(path)])
    assert (first.spider, first.obeys_robots, second.spider, second.obeys_robots) == (
        "one",
        True,
        "two",
        False,
    )
    assert [
        read_response(ref).body for ref in replay_run([str(path)]).responses[url_key("http://a.example/")]
    ] == [
        b"1",
        b"2",
    ]


def test_a_cut_record_is_skipped_wherever_the_cut(tmp_path):
    path = tmp_path / "a.warc.gz"
    record(path, ("http://a.example/1", 200, [], b"one"))
    whole = path.stat().st_size
    record(path, ("http://a.example/2", 200, [], PAGE * 50))
    data = path.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    seen = set()
    for end in range(whole, len(data), 7):
        cut.write_bytes(data[:end])
        responses = replay_run([str(cut)]).responses
        assert [read_response(ref).body for ref in responses[url_key("http://a.example/1")]] == [b"one"]
        for ref in responses.get(url_key("http://a.example/2"), []):
            assert read_response(ref).body == PAGE * 50
        seen.add(len(responses))
    assert seen == {1, 2}


def test_a_file_that_is_no_warc_is_refused(tmp_path):
    path = tmp_path / "page.warc.gz"
    path.write_bytes(PAGE)
    with pytest.raises(ValueError, match="not a WARC file"):
        read_runs([str(path)])


def replay_middleware(tmp_path, *bodies, run=None):
    path = tmp_path / "a.warc.gz"
    record(
        path,
        *[
            ("http://a.example/p?b=2&a=1", status, [("Content-Type", "text/html")], body)
            for status, body in bodies
        ],
    )
    settings = {"NEWSBOT_REPLAY_FILES": [str(path)], "NEWSBOT_REPLAY_RUN": run}
    crawler = get_crawler(Spider, settings)
    return crawler, WarcReplayMiddleware.from_crawler(crawler)


def test_replay_serves_responses_in_recorded_order_and_repeats_the_last(tmp_path):
    _, middleware = replay_middleware(tmp_path, (500, b""), (200, PAGE))
    request = Request("http://A.example/p?a=1&b=2#top")
    served = [asyncio.run(middleware.process_request(request)) for _ in range(3)]
    assert [r.status for r in served] == [500, 200, 200]
    assert isinstance(served[1], HtmlResponse)
    assert served[1].body == PAGE
    assert served[1].url == request.url


def test_replay_refuses_an_unrecorded_url_with_a_counted_404(tmp_path):
    crawler, middleware = replay_middleware(tmp_path, (200, PAGE))
    response = asyncio.run(middleware.process_request(Request("http://a.example/other")))
    assert response.status == 404
    assert crawler.stats.get_value("newsbot/replay/missing") == 1


def test_replay_and_recorder_are_off_unless_configured():
    crawler = get_crawler(Spider)
    for middleware in (WarcReplayMiddleware, WarcRecorderMiddleware):
        with pytest.raises(NotConfigured):
            middleware.from_crawler(crawler)


def test_recorder_writes_warcinfo_with_the_spider_then_each_response(tmp_path):
    path = tmp_path / "rec.warc.gz"
    settings = {"NEWSBOT_RECORD_FILE": str(path), "NEWSBOT_SPIDER_ARGUMENTS": {"channels": "china"}}
    crawler = get_crawler(Spider, settings)
    spider = Spider(name="sina-finance")
    middleware = WarcRecorderMiddleware.from_crawler(crawler)
    middleware.spider_opened(spider)
    request = Request("https://finance.sina.com.cn/a.shtml")
    response = Response(request.url, body=PAGE, headers={"Content-Type": "text/html"}, request=request)
    assert middleware.process_response(request, response) is response
    middleware.spider_closed(spider)
    (run,) = read_runs([str(path)])
    assert (run.spider, run.spider_arguments, run.obeys_robots) == (
        "sina-finance",
        {"channels": "china"},
        False,
    )
    (ref,) = run.responses[url_key(request.url)]
    assert read_response(ref).body == PAGE


class ChunkedGzipHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = gzip.compress(PAGE)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 10):
            piece = body[start : start + 10]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass


@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed (apt-get install wget)")
def test_wget_warc_with_chunked_gzip_payload_reads_back(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ChunkedGzipHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/page.html"
    try:
        subprocess.run(
            ["wget", "-q", "--warc-file", str(tmp_path / "wget"), "-O", "/dev/null", url],
            check=True,
            timeout=60,
        )
    finally:
        server.shutdown()
    (run,) = read_runs([str(tmp_path / "wget.warc.gz")])
    assert run.spider is None
    (ref,) = run.responses[url_key(url)]
    recorded = read_response(ref)
    assert gzip.decompress(recorded.body) == PAGE
    assert not any(name.lower() == "transfer-encoding" for name, _ in recorded.headers)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/china/a.shtml?x=1", "https://finance.sina.com.cn/china/a.shtml?x=1"),
        ("http://127.0.0.1:8000", "https://finance.sina.com.cn"),
        ("http://127.0.0.1:8000/", "https://finance.sina.com.cn/"),
        ("http://127.0.0.1:80001/a", "http://127.0.0.1:80001/a"),
        ("http://127.0.0.1:8000/news/b.html", "https://news.sina.com.cn/b.html"),
    ],
)
def test_rebase_url_moves_whole_segment_prefixes_longest_first(url, expected):
    url_map = {
        "http://127.0.0.1:8000/": "https://finance.sina.com.cn",
        "http://127.0.0.1:8000/news": "https://news.sina.com.cn/",
    }
    assert rebase_url(url, url_map) == expected


def test_a_rebased_run_answers_under_the_mapped_urls(tmp_path):
    path = tmp_path / "a.warc.gz"
    record(path, ("http://127.0.0.1:8000/a.shtml", 200, [], b"x"))
    run = replay_run([str(path)], url_map={"http://127.0.0.1:8000": "https://finance.sina.com.cn"})
    (ref,) = run.responses[url_key("https://finance.sina.com.cn/a.shtml")]
    assert ref.url == "https://finance.sina.com.cn/a.shtml"
    assert read_response(ref).body == b"x"


def test_runs_merged_from_several_files_order_each_url_by_warc_date(tmp_path):
    older, newer = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    record(older, ("http://a.example/", 200, [], b"old"))
    record(newer, ("http://a.example/", 200, [], b"new"))
    refs = replay_run([str(newer), str(older)]).responses[url_key("http://a.example/")]
    assert [read_response(ref).body for ref in refs] == [b"old", b"new"]


def ordered_run(tmp_path, count):
    path = tmp_path / "a.warc.gz"
    record(path, *[(f"http://a.example/{n}", 200, [], b"%d" % n) for n in range(count)])
    run = replay_run([str(path)])
    return [run.responses[url_key(f"http://a.example/{n}")][0] for n in range(count)]


def test_responses_are_handed_out_in_recorded_order_whatever_the_request_order(tmp_path):
    refs = ordered_run(tmp_path, 3)
    order = RecordedOrder(replay_run([str(tmp_path / "a.warc.gz")]), lambda: False)
    handed: list[int] = []

    async def ask(n):
        await order.turn(refs[n])
        handed.append(n)

    async def main():
        await asyncio.gather(ask(2), ask(0), ask(1))

    asyncio.run(main())
    assert handed == [0, 1, 2]


def test_records_never_asked_for_are_passed_over_once_the_crawl_stalls(tmp_path):
    refs = ordered_run(tmp_path, 4)
    stalls = []
    order = RecordedOrder(replay_run([str(tmp_path / "a.warc.gz")]), lambda: stalls.append(True) or True)
    handed: list[int] = []

    async def ask(n):
        await order.turn(refs[n])
        handed.append(n)

    async def main():
        await asyncio.gather(ask(3), ask(1))
        await ask(2)
        await ask(0)

    asyncio.run(main())
    assert handed == [1, 3, 2, 0]
    assert stalls


def test_a_recorded_body_is_decoded_from_its_content_encoding():
    def recorded(coding: str, body: bytes) -> Recorded:
        return Recorded("https://example.com/", 200, [("Content-Encoding", coding)], body)

    assert decoded_body(recorded("gzip", gzip.compress(PAGE))) == PAGE
    assert decoded_body(recorded("deflate", zlib.compress(PAGE))) == PAGE
    assert decoded_body(Recorded("https://example.com/", 200, [], PAGE)) == PAGE
    with pytest.raises(ValueError, match="does not decode"):
        decoded_body(recorded("gzip", PAGE))
    with pytest.raises(ValueError, match="'br' is not gzip or deflate"):
        decoded_body(recorded("br", PAGE))
