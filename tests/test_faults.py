"""Faults and bad input during a crawl, all served on 127.0.0.1: each crawl finishes, counts and logs the fault,
and leaves no partial file; what could be stored is stored and valid."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.faults import FULL_DISK
from bench.pages import Generated, articles, page, roll_entry
from newsbot import body
from newsbot.extraction import article_from_page
from newsbot.identity import article_key
from newsbot.post import Post, render
from newsbot.sites import site_for_url
from newsbot.snapshot_server import ORIGINAL_URL_HEADER
from newsbot.sources.sina_finance import channel_by_key
from newsbot.validate import problems
from tests.servers import ROOT, serve

CHINA = channel_by_key("china")
PACE = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_TIMEOUT": 3, "RETRY_TIMES": 1}
HTML = {"Content-Type": "text/html; charset=utf-8"}
NEWSBOT = "from newsbot.cli import main; main()"



@dataclasses.dataclass
class Run:
    """A finished crawl: its exit status, log and the stats Scrapy dumped."""

    returncode: int
    log: str

    def stat(self, name: str) -> int:
        match = re.search(rf"'{re.escape(name)}': (\d+)", self.log)
        return int(match.group(1)) if match else 0


def site_articles(count: int, seed: int) -> list[Generated]:
    """Generated articles of the china channel, all in the 2018 template."""
    made = [dataclasses.replace(a, channel=CHINA, template="2018") for a in articles(count, seed)]
    for article in made:
        article.related = article.related[:4]
    return made


def snapshot_entries(listed: list[Generated], pages: dict[str, dict] | None = None) -> dict[str, dict]:
    """A china-channel roll API listing ``listed`` (then an empty page) and each article's page."""
    entries = {
        CHINA.roll_url(1): {"body": json.dumps({"result": {"data": [roll_entry(a) for a in listed]}})},
        CHINA.roll_url(2): {"body": json.dumps({"result": {"data": []}})},
    }
    for article in listed:
        entries[article.url] = {"body": page(article), "headers": HTML}
    entries.update(pages or {})
    return entries


def crawl(
    address: str,
    output: Path,
    prelude: str = "",
    env: dict[str, str] | None = None,
    settings: dict[str, object] | None = None,
) -> Run:
    """``newsbot crawl sina-finance`` of the china channel through the snapshot server at ``address``."""
    settings = {
        **PACE,
        "NEWSBOT_SNAPSHOT_ADDRESS": address,
        "LOG_LEVEL": "INFO",
        "NEWSBOT_OUTPUT_DIR": output,
        **(settings or {}),
    }
    args = ["crawl", "sina-finance", "--channels", "china", "--max-pages", "3"]
    args += [part for name, value in settings.items() for part in ("-s", f"{name}={value}")]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("SCRAPY_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", prelude + NEWSBOT, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return Run(done.returncode, done.stderr)


def stored_posts(output: Path) -> list[Path]:
    """The posts under ``output``, previous versions and the index folder aside."""
    return sorted(p for p in output.rglob("*.md") if not p.relative_to(output).parts[0].startswith("."))


def assert_clean(output: Path, expected: list[Generated]) -> list[Path]:
    """No temporary file, every post valid, one post per article, and every expected article stored."""
    assert not [path for path in output.rglob("*") if path.name.endswith(".tmp")]
    posts = stored_posts(output)
    for path in posts:
        assert problems(path.read_text(encoding="utf-8")) == [], path
    names = [path.stem for path in posts]
    assert len(names) == len(set(names))
    assert {article.doc_id for article in expected} <= set(names)
    return posts


FAULT_URL = "https://finance.sina.com.cn/china/gncj/2024-01-02/doc-ifaultyy0000001.shtml"
FAULT_ID = "ifaultyy0000001"


@pytest.fixture
def good() -> list[Generated]:
    return site_articles(4, seed=7)[:3]


@pytest.fixture
def fault() -> Generated:
    """The article whose page the fault hits, listed with the good ones."""
    return dataclasses.replace(site_articles(4, seed=7)[3], url=FAULT_URL, doc_id=FAULT_ID)


def crawl_with(tmp_path: Path, listed: list[Generated], pages: dict[str, dict]) -> Run:
    with serve(snapshot_entries(listed, pages), tmp_path) as server:
        run = crawl(server.address, tmp_path / "out")
    assert run.returncode == 0, run.log[-3000:]
    return run


def run_fault(tmp_path: Path, good: list[Generated], fault: Generated, entry: dict) -> tuple[Run, list[Path]]:
    """Crawl the good articles and the faulty one; check the archive; return the run and the posts."""
    run = crawl_with(tmp_path, [*good, fault], {fault.url: entry})
    return run, assert_clean(tmp_path / "out", good)


def post_of(posts: list[Path], article: Generated) -> str:
    stored = [path for path in posts if path.stem == article.doc_id]
    assert len(stored) == 1, posts
    return stored[0].read_text(encoding="utf-8")


def test_server_dropping_the_connection_is_a_counted_download_failure(tmp_path, good, fault):
    run, posts = run_fault(tmp_path, good, fault, {"drop": True})
    assert len(posts) == len(good)
    assert run.stat("newsbot/failed/download") == 1
    assert re.search(rf"article page failed: \w+ {re.escape(FAULT_URL)}", run.log)


def test_a_failed_first_answer_is_retried_and_stored(tmp_path, good, fault):
    run, posts = run_fault(tmp_path, good, fault, {"body": page(fault), "headers": HTML, "fail_first": 1})
    assert run.stat("newsbot/failed") == 0
    assert run.stat("retry/count") == 1
    assert fault.paragraphs[0][:20] in post_of(posts, fault)


def test_a_page_over_the_size_limit_is_refused(tmp_path, good, fault):
    big = tmp_path / "snapshot" / "big.html"
    big.parent.mkdir(parents=True)
    with big.open("wb") as handle:
        handle.write(b"<html><body><p>" + b"x" * (50 * 1024 * 1024) + b"</p></body></html>")
    run, posts = run_fault(tmp_path, good, fault, {"file": "big.html", "headers": HTML})
    assert len(posts) == len(good)
    assert run.stat("newsbot/failed/download") == 1
    assert "larger than download max size" in run.log
    assert re.search(rf"article page failed: \w+ {re.escape(FAULT_URL)}", run.log)


def test_an_endless_redirect_chain_is_cut_and_counted(tmp_path, good, fault):
    hops = [f"{FAULT_URL}?hop={n}" if n else FAULT_URL for n in range(30)]
    pages = {url: {"redirect": hops[(n + 1) % len(hops)], "status": 302} for n, url in enumerate(hops)}
    with serve(snapshot_entries([*good, fault], pages), tmp_path) as server:
        run = crawl(server.address, tmp_path / "out")
        hits = sum(server.hits[url] for url in hops)
    assert_clean(tmp_path / "out", good)
    assert hits <= 21
    assert run.stat("newsbot/failed") == 1
    assert re.search(rf"WARNING: .*redirect.* {re.escape(FAULT_URL)}", run.log)


def test_a_redirect_loop_between_two_urls_is_counted_not_lost_silently(tmp_path, good, fault):
    other = FAULT_URL.replace("doc-", "doc-loop-")
    pages = {FAULT_URL: {"redirect": other, "status": 301}, other: {"redirect": FAULT_URL, "status": 301}}
    run = crawl_with(tmp_path, [*good, fault], pages)
    assert_clean(tmp_path / "out", good)
    assert run.stat("newsbot/failed") == 1
    assert re.search(rf"WARNING: .*redirect.* {re.escape(FAULT_URL)}", run.log)


def test_a_slow_drip_times_out(tmp_path, good, fault):
    drip = {"body": page(fault), "headers": HTML, "chunks": 40, "drip": 0.25}
    run, posts = run_fault(tmp_path, good, fault, drip)
    assert len(posts) == len(good)
    assert run.stat("newsbot/failed/download") == 1
    assert re.search(rf"article page failed: \w*Timeout\w* {re.escape(FAULT_URL)}", run.log)


@contextmanager
def garbage_proxy(upstream: str, garbage_for: str, garbage: bytes) -> Iterator[str]:
    """A raw-socket server in front of the snapshot server: answers ``garbage_for`` with ``garbage`` instead of
    HTTP, forwards every other request."""
    listener = socket.create_server(("127.0.0.1", 0))
    host, port = upstream.split(":")

    def handle(client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            if f"{ORIGINAL_URL_HEADER}: {garbage_for}".lower().encode() in head.lower():
                client.sendall(garbage)
                return
            head = re.sub(rb"(?im)^connection:[^\r\n]*\r\n", b"", head)
            head = head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            with socket.create_connection((host, int(port))) as server:
                server.sendall(head)
                while chunk := server.recv(65536):
                    client.sendall(chunk)

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(client,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_garbage_bytes_instead_of_http_are_a_counted_failure(tmp_path, good, fault):
    garbage = random.Random(4).randbytes(64 * 1024)
    with (
        serve(snapshot_entries([*good, fault]), tmp_path) as server,
        garbage_proxy(server.address, FAULT_URL, garbage) as address,
    ):
        run = crawl(address, tmp_path / "out")
    assert run.returncode == 0, run.log[-3000:]
    assert len(assert_clean(tmp_path / "out", good)) == len(good)
    assert run.stat("newsbot/failed/download") == 1
    assert re.search(rf"article page failed: \w+ {re.escape(FAULT_URL)}", run.log)


def test_binary_content_served_as_html_is_refused(tmp_path, good, fault):
    body = random.Random(5).randbytes(200 * 1024)
    binary = tmp_path / "snapshot" / "binary.html"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(body)
    run, posts = run_fault(tmp_path, good, fault, {"file": "binary.html", "headers": HTML})
    assert len(posts) == len(good)
    assert run.stat("newsbot/failed") == 1
    assert FAULT_URL in run.log


def test_broken_nesting_still_gives_a_valid_post_with_the_text(tmp_path, good, fault):
    broken = page(fault).replace("</p>", "", 3).replace('<p cms-style="font-L">', "<div><p><b><i>", 2)
    broken = broken.replace("</div>\n<!-- 编辑姓名及工作代码 -->", "</span></td></div></div>\n<!-- x -->")
    _, posts = run_fault(tmp_path, good, fault, {"body": broken, "headers": HTML})
    text = post_of(posts, fault)
    assert fault.paragraphs[0][:20] in text
    assert fault.paragraphs[-1][-20:] in text


@pytest.mark.parametrize(
    ("encoding", "declared"), [("gb18030", "utf-8"), ("utf-8", "gb2312")], ids=["gbk-as-utf8", "utf8-as-gbk"]
)
def test_a_wrong_declared_charset_is_read_right(tmp_path, good, fault, encoding, declared):
    html = page(fault).replace('<meta charset="utf-8">', f'<meta charset="{declared}">')
    pages = tmp_path / "snapshot" / "wrong.html"
    pages.parent.mkdir(parents=True)
    pages.write_bytes(html.encode(encoding))
    headers = {"Content-Type": f"text/html; charset={declared}"}
    _, posts = run_fault(tmp_path, good, fault, {"file": "wrong.html", "headers": headers})
    text = post_of(posts, fault)
    assert f"title: '{fault.title}'" in text
    assert fault.paragraphs[1][:30] in text


HOSTILE_TITLES = [
    "../../../../etc/passwd",
    "/etc/passwd 绝对路径",
    "标题\x00带NUL",
    "引号'和\"和---\ntitle: injected",
    "{{ site.data }} {% raw %} 大括号",
    "<script>alert(1)</script>标题",
    "长" * 5000,
]
HOSTILE_URLS = [
    "https://finance.sina.com.cn/china/../../../../etc/2024-01-02/doc-ihostile0000001.shtml",
    "https://finance.sina.com.cn/china/%2e%2e/%2e%2e/2024-01-02/doc-ihostile0000002.shtml",
    "https://finance.sina.com.cn//etc/passwd/2024-01-02/doc-ihostile0000003.shtml",
    "https://finance.sina.com.cn/china/2024-01-02/doc-i" + "a" * 400 + "0000004.shtml",
    "https://finance.sina.com.cn/china/2024-01-02/%00/doc-ihostile0000005%00.shtml",
    "https://finance.sina.com.cn/china/2024-01-02/doc-i..%2F..%2Fescape.shtml",
]


HOSTILE_BODIES = {
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><p>t</p>',
    "base": '<base href="https://evil.example/"><p>t</p>',
    "srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe><p>t</p>',
    "svg animate": '<svg><a><animate attributeName="href" to="javascript:alert(1)"/><text>t</text></a></svg><p>t</p>',
    "spaced href": '<a href=" jav&#x09;ascript:alert(1)">t</a>',
    "control characters": "<p>a\x01\x0b\x0c\x1fb</p>",
    "NUL": "<p>a\x00b</p>",
    "unclosed comment": "<p>t</p><!-- never closed",
    "CDATA": "<p><![CDATA[ {{ x }} ]]>t</p>",
    "deep nesting": "".join(f"<p><font>x{n}" for n in range(1000)),
}


@pytest.mark.parametrize("html", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_body_html_gives_a_valid_post_that_runs_nothing(html):
    normalised, image = body.normalise(html, FAULT_URL)
    categories = ("金融", "新浪财经", "新浪财经－国內")
    post = render(Post("t", categories, "新浪财经", good_moment(), normalised, image))
    assert problems(post) == []
    lowered = normalised.lower()
    assert not any(word in lowered for word in ("<meta", "<base", "srcdoc", "javascript:", "\x00"))
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", normalised)
    assert body.has_text(normalised)


def test_text_below_255_levels_of_unclosed_tags_is_kept():
    normalised, _ = body.normalise("".join(f"<div><span>第{n}段" for n in range(600)), FAULT_URL)
    assert "第599段" in normalised


def test_a_page_with_hundreds_of_unclosed_tags_keeps_its_text(fault):
    tail = "".join(f"<div><font>尾段{n}" for n in range(300))
    html = page(fault).replace("<!-- news_keyword_pub,stock, -->", tail)
    extracted = article_from_page(html, fault.url, site_for_url(fault.url))
    assert "尾段299" in body.normalise(extracted["body_html"], fault.url)[0]


def good_moment() -> datetime:
    return datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_hostile_titles_and_urls_stay_inside_the_output_folder(tmp_path):
    made = site_articles(len(HOSTILE_TITLES) + len(HOSTILE_URLS), seed=11)
    titled = [dataclasses.replace(a, title=t) for a, t in zip(made, HOSTILE_TITLES, strict=False)]
    addressed = [
        dataclasses.replace(a, url=u) for a, u in zip(made[len(HOSTILE_TITLES) :], HOSTILE_URLS, strict=True)
    ]
    before = set(tmp_path.rglob("*"))
    out = tmp_path / "deep" / "out"
    with serve(snapshot_entries([*titled, *addressed]), tmp_path) as server:
        run = crawl(server.address, out)
    assert run.returncode == 0, run.log[-3000:]
    written = set(tmp_path.rglob("*")) - before
    allowed = (out, tmp_path / "snapshot")
    outside = [p for p in written if not any(p.is_relative_to(a) or a.is_relative_to(p) for a in allowed)]
    assert outside == [], outside
    assert not Path("/etc/passwd.md").exists()
    posts = assert_clean(out, [])
    for path in posts:
        assert len(path.name.encode()) <= 255
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.md", path.name), path
        assert "\x00" not in path.read_text(encoding="utf-8")
    keys = {article_key(a.url) for a in [*titled, *addressed]}
    assert len(posts) + run.stat("newsbot/failed") == len(keys)


def test_a_full_disk_refuses_the_items_cleanly_and_a_later_run_completes(tmp_path):
    made = site_articles(6, seed=13)
    out = tmp_path / "out"
    with serve(snapshot_entries(made), tmp_path) as server:
        first = crawl(server.address, out, prelude=FULL_DISK, env={"FAULT_DISK_BYTES": "20000"})
        assert first.returncode == 1, first.log[-3000:]
        assert first.stat("newsbot/failed/write") >= 1
        assert "No space left on device" in first.log
        partial = assert_clean(out, [])
        assert len(partial) < len(made)
        second = crawl(server.address, out)
    assert second.returncode == 0, second.log[-3000:]
    assert len(assert_clean(out, made)) == len(made)


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder``; the test is skipped where mounting is not allowed."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_real_full_disk_refuses_items_cleanly_and_a_run_after_freeing_space_completes(tmp_path):
    made = site_articles(40, seed=17)
    with small_disk(tmp_path / "disk", "256k") as disk, serve(snapshot_entries(made), tmp_path) as server:
        out = disk / "out"
        first = crawl(server.address, out)
        assert first.returncode == 1, first.log[-3000:]
        assert first.stat("newsbot/failed/write") >= 1
        assert "No space left on device" in first.log
        assert len(assert_clean(out, [])) < len(made)
        subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)
        second = crawl(server.address, out)
        assert second.returncode == 0, second.log[-3000:]
        assert len(assert_clean(out, made)) == len(made)
