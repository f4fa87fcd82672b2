"""Page workers: a page read in a worker process gives the post the crawl's own thread gives; a worker that dies
costs no article; the reading itself is a pure function, and the workers' protocol is length-prefixed pickles."""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsbot.fingerprint import body_text, exact_fingerprint, simhash
from newsbot.index import ArchiveIndex
from newsbot.reading import normalised_body, read_page
from newsbot.workers import PREFIX, serve
from tests.conftest import SEED_URL, SHARED, needs_shared
from tests.servers import ROOT
from tests.servers import serve as serve_snapshot
from tests.test_crawl import ARTICLES, CHINA, crawl, page, posts, roll

SEED_PAGE = SHARED / "seed" / "seed-source-page.html"


class Unpicklable(Exception):
    """An exception pickle cannot write (it holds a lock)."""

    def __init__(self) -> None:
        super().__init__("unpicklable")
        self.lock = threading.Lock()


def raise_unpicklable() -> None:
    raise Unpicklable


def ask(connection: socket.socket, function, *arguments) -> tuple[bool, object]:
    """Send one task to a serving worker and read its answer."""
    message = pickle.dumps((function, arguments))
    connection.sendall(PREFIX.pack(len(message)) + message)
    size = PREFIX.unpack(connection.recv(PREFIX.size, socket.MSG_WAITALL))[0]
    return pickle.loads(connection.recv(size, socket.MSG_WAITALL))


def test_serve_answers_each_task_in_turn_errors_included_and_ends_with_its_connection():
    ours, theirs = socket.socketpair()
    worker = threading.Thread(target=serve, args=(theirs,))
    worker.start()
    assert ask(ours, sorted, [3, 1, 2]) == (True, [1, 2, 3])
    ok, error = ask(ours, int, "not a number")
    assert not ok and isinstance(error, ValueError) and "not a number" in str(error)
    ok, error = ask(ours, raise_unpicklable)
    assert not ok and isinstance(error, RuntimeError) and "Unpicklable" in str(error)
    assert ask(ours, len, b"x" * 3_000_000) == (True, 3_000_000)
    ours.close()
    worker.join(timeout=10)
    assert not worker.is_alive()


@needs_shared
def test_read_page_gives_the_article_normalised_and_fingerprinted_as_the_pipeline_would():
    read = read_page(SEED_PAGE.read_bytes(), None, SEED_URL)
    article = read.article
    assert read.refusal is None and {"title", "date", "body", "image"} <= read.fields
    text = body_text(article["body_html"])
    assert article["body_hash"] == exact_fingerprint(text) and article["simhash"] == simhash(text)
    unread = read_page(SEED_PAGE.read_bytes(), None, SEED_URL, normalise=False)
    expected = normalised_body(unread.article["body_html"], SEED_URL)
    assert (article["body_html"], article["image"]) == (expected.html, expected.first_image)
    assert unread.article.get("body_hash") is None and unread.article["title"] == article["title"]


def test_read_page_refuses_a_page_without_an_article_and_says_why():
    read = read_page(b"<html><body><p>nothing here</p></body></html>", "utf-8", SEED_URL)
    assert read.article is None and read.fields == frozenset() and read.refusal


def test_read_page_leaves_a_body_that_shows_nothing_for_the_pipeline_to_refuse():
    page_html = (
        '<html><head><title>标题</title></head><body><h1 class="main-title">标题</h1>'
        '<span class="date">2025年11月20日 08:00</span>'
        '<div id="artibody"><img src="javascript:alert(1)"></div></body></html>'
    )
    read = read_page(page_html.encode(), "utf-8", SEED_URL)
    assert read.refusal is None and read.article["title"] == "标题"
    assert read.article["body_html"] == "" and read.article.get("body_hash") is None


def delayed_snapshot(tmp_path: Path, delay: float):
    """The bundled articles listed on one roll page, each answered after ``delay`` seconds."""
    entries = {url: page(url, delay=delay) for url in ARTICLES}
    entries[CHINA.roll_url(1)] = roll(*ARTICLES)
    entries[CHINA.roll_url(2)] = roll()
    return serve_snapshot(entries, tmp_path)


def test_posts_read_by_two_worker_processes_are_those_the_crawls_own_thread_writes(tmp_path):
    with delayed_snapshot(tmp_path, 0) as server:
        crawl(server, tmp_path / "thread", "--channels", "china", "-s", "NEWSBOT_PAGE_PROCESSES=0")
        crawl(server, tmp_path / "workers", "--channels", "china", "-s", "NEWSBOT_PAGE_PROCESSES=2")
    in_thread = posts(tmp_path / "thread")
    assert len(in_thread) == len(ARTICLES) and posts(tmp_path / "workers") == in_thread
    with (
        ArchiveIndex(tmp_path / "thread") as thread_index,
        ArchiveIndex(tmp_path / "workers") as workers_index,
    ):
        assert sorted(thread_index.entries(), key=repr) == sorted(workers_index.entries(), key=repr)


def page_workers_of(pid: int) -> list[int]:
    """The page worker processes a process started."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"newsbot.workers" in cmdline:
            found.append(int(child))
    return found


@pytest.mark.parametrize(
    ("stop", "logged"),
    [(signal.SIGKILL, "ended; starting another"), (signal.SIGSTOP, "left a page unanswered 2 s; killing it")],
)
def test_a_page_worker_killed_or_hung_mid_crawl_costs_no_article_and_is_counted_and_replaced(
    tmp_path, stop, logged
):
    out = tmp_path / "archive"
    with delayed_snapshot(tmp_path, 0.15) as server:
        crawl_process = subprocess.Popen(
            [sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", "sina-finance",
             "--channels", "china", "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSBOT_PAGE_PROCESSES=1",
             "-s", "NEWSBOT_PAGE_TIMEOUT=2", "-s", f"NEWSBOT_SUMMARY_FILE={tmp_path / 'summary.json'}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={key: value for key, value in os.environ.items() if key != "SCRAPY_SETTINGS_MODULE"},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while len(list(out.rglob("*.md"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        (victim,) = page_workers_of(crawl_process.pid)
        os.kill(victim, stop)
        _, stderr = crawl_process.communicate(timeout=120)
    assert crawl_process.returncode == 0, stderr[-3000:]
    assert f"page worker process {victim} {logged}" in stderr
    assert "'newsbot/page_workers/lost': 1" in stderr
    assert len(posts(out)) == len(ARTICLES)
    assert f"sina-finance: ok: {len(ARTICLES)} new" in stderr


DRIVE_WORKERS = """
import json, os, sys
from twisted.internet import defer, task
from newsbot.workers import PageUnreadable, PageWorkers

async def main():
    workers = PageWorkers(1)
    workers.start()
    found = {"sorted": await workers.run(sorted, [3, 1, 2])}
    first = workers.connections[0].process.pid
    try:
        await workers.run(os._exit, 3)
    except PageUnreadable as error:
        found["unreadable"] = str(error)
    found["after"] = await workers.run(sorted, "cba")
    found["replaced"] = workers.replaced
    found["new_worker"] = workers.connections[0].process.pid != first
    workers.close()
    print(json.dumps(found))

task.react(lambda reactor: defer.ensureDeferred(main()))
"""


def test_a_task_that_ends_its_worker_is_tried_in_another_once_then_refused_never_run_in_the_crawl():
    done = subprocess.run(
        [sys.executable, "-c", DRIVE_WORKERS], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["sorted"] == [1, 2, 3] and found["after"] == ["a", "b", "c"]
    assert found["unreadable"] == "_exit ended 2 page worker processes"
    assert found["replaced"] == 2 and found["new_worker"]
