"""Several crawl processes sharing one frontier (real Redis), one index (real PostgreSQL) and one archive folder."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
import redis.connection
from scrapy.settings import Settings

from bench.faults import archive_problems, partial_posts, posts
from bench.pages import read_truth, write_snapshot
from newsbot.distributed import (
    lost_server,
    redis_url_problem,
    run_name,
    shared_politeness,
    unreachable_server,
)
from newsbot.history import open_history
from newsbot.index import ArchiveIndex, Entry, index_path
from newsbot.index.backends import LocalClaims, claims_of, open_index, without_password
from newsbot.index.postgres import PostgresIndex, claim_names
from newsbot.ledger import open_ledger
from newsbot.politeness import SiteTurns
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, SnapshotServer
from newsbot.validate import posts_under, problems
from tests.servers import ROOT, run_newsbot
from tests.test_feed_spider import SOURCE, article_page, rss

WORKER_SETTINGS = (
    *("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"),
    *("-s", "NEWSBOT_WORKERS=3", "-s", "NEWSBOT_WORKER_TIMEOUT=3", "-s", "NEWSBOT_CLAIM_TIMEOUT=5"),
)


@pytest.fixture
def frontier(redis_server) -> str:
    """The URL of an empty Redis database for one test."""
    redis_server.client().flushall()
    return redis_server.url


@pytest.fixture
def index_url(postgres_server) -> str:
    return postgres_server.new_database()


def entry(key: str, simhash: int, body_hash: str | None = None, url: str = "") -> Entry:
    return Entry(
        key, f"sina/2024/01/{key}.md", url, body_hash or f"hash-{key}", simhash, "2024-01-01T00:00:00+00:00"
    )


def test_postgres_index_keeps_keys_aliases_and_finds_what_sqlite_finds(index_url, tmp_path):
    near_one, far = 0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210
    stored = [entry("a", near_one, url="https://a"), entry("b", near_one ^ 0b10_0000_0101), entry("c", far)]
    with PostgresIndex(index_url) as index, ArchiveIndex(tmp_path) as sqlite:
        for backend in (index, sqlite):
            assert backend.record_many(stored) == 3
            backend.alias("a2", "a")
            backend.alias("a3", "a2")
        for query, distance in (
            (near_one, 6),
            (near_one ^ 0b1, 2),
            (far ^ 0xFF, 8),
            (far, 0),
            (near_one, 12),
        ):
            assert index.find_near(query, distance) == sqlite.find_near(query, distance)
        assert [e.key for e in index.find_near(near_one, 6)] == ["a", "b"]
        assert index.get("a3") == index.get("a") == sqlite.get("a3")
        assert index.find_exact("hash-c") == sqlite.find_exact("hash-c")
        assert index.knows("a2") and not index.knows("zz")
        index.record(entry("b", far ^ 0b1))
        assert [e.key for e in index.find_near(far, 6)] == ["c", "b"]
        assert index.find_near(near_one ^ 0b1, 6) == [index.get("a")]
        assert len(index) == 3 and index.alias_count() == 2
        assert list(index.entries()) == [index.get("a"), index.get("b"), index.get("c")]


def test_replacing_all_entries_keeps_known_urls_and_drops_aliases_of_gone_keys(index_url):
    with PostgresIndex(index_url) as index:
        index.record_many([entry("a", 1, url="https://a"), entry("b", 2)])
        index.alias("b2", "b")
        assert index.replace_all([entry("a", 3)]) == 1
        assert list(index.entries()) == [entry("a", 3, url="https://a")]
        assert index.alias_count() == 0
        assert index.find_near(3, 0) == [entry("a", 3, url="https://a")]



def test_replacing_all_entries_writes_the_near_rows_the_sqlite_index_writes(index_url, tmp_path):
    stored = [entry(f"k{number}", (number * 0x9E3779B97F4A7C15) % 2**64) for number in range(1, 60)]
    with PostgresIndex(index_url) as index, ArchiveIndex(tmp_path) as sqlite:
        sqlite.record_many(stored)
        assert index.replace_all(stored) == len(stored)
        rows = "SELECT code, id, simhash FROM near ORDER BY code, id"
        assert index.connection.execute(rows).fetchall() == sqlite.connection.execute(rows).fetchall()
        moved = stored[41].simhash ^ (1 << 63 | 1 << 30 | 1 << 2)
        assert index.find_near(moved, 6) == sqlite.find_near(moved, 6) == [stored[41]]

def test_a_claim_excludes_other_owners_for_the_same_or_a_near_article_until_released_or_expired(index_url):
    with (
        PostgresIndex(index_url, owner="one") as one,
        PostgresIndex(index_url, owner="two", claim_seconds=0.5) as two,
    ):
        assert one.claim("a", "h1", 1000)
        assert not two.claim("a", "other body", 999_999_999)
        assert not two.claim("b", "h1", 999_999_999)
        assert not two.claim("b", "h2", 1000 ^ 0b11_1111)
        assert two.claim("c", "h3", ~1000 & (2**64 - 1))
        one.release("a", "h1", 1000)
        assert two.claim("b", "h2", 1000 ^ 0b11_1111)
        time.sleep(0.6)
        assert one.claim("b", "h2", 1000 ^ 0b11_1111), "an expired claim (a dead worker's) is taken over"
    assert len(claim_names("a", "h", 1)) == 49


def test_without_index_url_the_sqlite_index_and_local_claims_are_used(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSBOT_INDEX_URL", raising=False)
    index = open_index(tmp_path, Settings())
    assert isinstance(index, ArchiveIndex) and isinstance(claims_of(index), LocalClaims)
    index.close()
    with pytest.raises(ValueError, match="postgresql://"):
        open_index(tmp_path, Settings({"NEWSBOT_INDEX_URL": "mysql://x"}))


def test_workers_share_a_domain_s_politeness():
    settings = Settings(
        {
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
            "DOWNLOAD_DELAY": 0.5,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
        }
    )
    assert shared_politeness(settings, 3) == {
        "CONCURRENT_REQUESTS": 5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0 / 3,
    }
    assert shared_politeness(settings, 1)["CONCURRENT_REQUESTS_PER_DOMAIN"] == 4


def test_lost_servers_are_told_apart_from_other_errors():
    import redis

    try:
        try:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        except psycopg.Error as error:
            raise RuntimeError("index failed") from error
    except RuntimeError as wrapped:
        assert lost_server(wrapped) == "index_lost"
    assert lost_server(redis.ConnectionError("refused")) == "frontier_lost"
    assert lost_server(ValueError("bad page")) is None


def crawl_command(*settings: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from newsbot.cli import main; main()",
        *("crawl", "sina-finance", "--max-pages", "1000", *WORKER_SETTINGS, *settings),
    ]


def start_worker(address: str, output: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    environment = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    environment.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.Popen(
        crawl_command("-s", f"NEWSBOT_SNAPSHOT_ADDRESS={address}", "-s", f"NEWSBOT_OUTPUT_DIR={output}"),
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def wait_all(workers: list[subprocess.Popen], logs: list[Path], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    for worker, log in zip(workers, logs, strict=True):
        worker.wait(timeout=max(1.0, deadline - time.monotonic()))
        assert worker.returncode == 0, log.read_text()[-4000:]


def post_texts(output: Path) -> dict[str, str]:
    return {path.relative_to(output).as_posix(): path.read_text(encoding="utf-8") for path in posts(output)}


def test_three_workers_archive_the_bundled_snapshot_once_like_one_process(
    frontier, index_url, postgres_server, tmp_path
):
    alone = tmp_path / "alone"
    single = run_newsbot(
        "crawl", "sina-finance", "--snapshot", "--max-pages", "1000", "-s", f"NEWSBOT_OUTPUT_DIR={alone}",
        env={"REDIS_URL": "", "NEWSBOT_INDEX_URL": ""},
        timeout=300,
    )  # fmt: skip
    assert single.returncode == 0, single.stderr[-3000:]
    expected = post_texts(alone)
    assert expected

    shared = tmp_path / "shared"
    env = {"REDIS_URL": frontier, "NEWSBOT_INDEX_URL": index_url}
    logs = [tmp_path / f"worker{n}.log" for n in range(3)]
    with SnapshotServer(BUNDLED_SNAPSHOT) as server:
        workers = [start_worker(server.address, shared, env, log) for log in logs]
        wait_all(workers, logs)
        hits = server.hits

    assert post_texts(shared) == expected
    assert [path for path in posts_under(shared) if problems(path.read_text(encoding="utf-8"))] == []
    assert not index_path(shared).exists(), (
        "the index, ledger, run history and listed tables live in PostgreSQL"
    )
    fetched_twice = {url: n for url, n in hits.items() if n > 1 and not url.endswith("/robots.txt")}
    assert fetched_twice == {}, "each listing and article page fetched once, by one worker"
    with PostgresIndex(index_url) as index:
        assert sorted(e.path for e in index.entries()) == sorted(expected)
    with open_ledger(shared, {"NEWSBOT_INDEX_URL": index_url}) as ledger:
        assert ledger.entries() == [], "nothing left waiting or given up"
    with open_history(shared, {"NEWSBOT_INDEX_URL": index_url}, create=False) as history:
        assert len(history.last_runs("sina-finance", 10)) == 3
        assert history.ever_archived("sina-finance") == len(expected)
    status = run_newsbot("status", str(shared), "--json", env={"NEWSBOT_INDEX_URL": index_url})
    assert status.returncode == 0, status.stderr[-2000:]
    [row] = json.loads(status.stdout)["sources"]
    assert (row["source"], row["outcome"], row["retrying"], row["given_up"]) == ("sina-finance", "ok", 0, 0)
    validated = run_newsbot("validate", str(shared), env={"NEWSBOT_INDEX_URL": index_url})
    assert validated.returncode == 0 and f"{len(expected)} passed, 0 failed" in validated.stdout
    assert not index_path(shared).exists()
    stored_by = [log.read_text().count(" -> sina/") for log in logs]
    assert sum(stored_by) == len(expected), "every article stored once, by one worker"
    texts = [log.read_text() for log in logs]
    assert sum("starting a new run" in text for text in texts) == 1, "one worker started the run"
    assert sum("joining the run under way" in text for text in texts) == 2, "the others joined it"

    rebuilt = postgres_server.new_database()
    reindexed = run_newsbot("reindex", str(alone), env={"NEWSBOT_INDEX_URL": rebuilt})
    assert reindexed.returncode == 0, reindexed.stderr[-3000:]
    assert f"{len(expected)} posts indexed in PostgreSQL" in reindexed.stdout
    with PostgresIndex(rebuilt) as index, ArchiveIndex(alone) as sqlite:
        fingerprints = {(e.key, e.path, e.body_hash, e.simhash) for e in sqlite.entries()}
        assert {(e.key, e.path, e.body_hash, e.simhash) for e in index.entries()} == fingerprints


def test_a_worker_killed_mid_crawl_loses_nothing_and_doubles_nothing(frontier, index_url, tmp_path):
    snapshot = tmp_path / "snapshot"
    write_snapshot(snapshot, 600, seed=5)
    truth = read_truth(snapshot)
    shared = tmp_path / "shared"
    env = {"REDIS_URL": frontier, "NEWSBOT_INDEX_URL": index_url}
    logs = [tmp_path / f"worker{n}.log" for n in range(4)]
    with SnapshotServer(snapshot) as server:
        workers = [start_worker(server.address, shared, env, log) for log in logs[:3]]
        deadline = time.monotonic() + 120
        while len(posts(shared) if shared.is_dir() else []) < 100 and time.monotonic() < deadline:
            time.sleep(0.02)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait()
        assert partial_posts(shared) == []
        assert len(posts(shared)) < len(truth), "killed before the end"
        wait_all(workers[1:], logs[1:3])
        restarted = start_worker(server.address, shared, env, logs[3])
        wait_all([restarted], logs[3:])

    assert archive_problems_in(shared, truth, index_url) == []
    assert len(posts(shared)) == len(truth)


def archive_problems_in(output: Path, truth: list[dict[str, str]], index_url: str) -> list[str]:
    """``bench.faults.archive_problems`` with the PostgreSQL index copied into the folder's SQLite one."""
    with PostgresIndex(index_url) as shared, ArchiveIndex(output) as local:
        local.record_many(shared.entries())
    return archive_problems(output, truth)


def crawler_settings(monkeypatch, **overrides: object) -> Settings:
    """newsbot's settings with ``overrides`` given on the command line, after the add-on updated them."""
    from newsbot.distributed import SharedFrontier

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("NEWSBOT_INDEX_URL", raising=False)
    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    SharedFrontier().update_settings(settings)
    return settings


def test_without_redis_url_the_crawl_keeps_scrapy_s_scheduler_and_newsbot_s_politeness(monkeypatch):
    settings = crawler_settings(monkeypatch)
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 4
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.5
    assert "newsbot.distributed.ServerWatch" not in settings.getdict("EXTENSIONS")


def test_with_redis_url_the_crawl_shares_the_frontier_and_its_politeness(monkeypatch, frontier):
    settings = crawler_settings(monkeypatch, REDIS_URL=frontier, NEWSBOT_WORKERS=2, DOWNLOAD_DELAY=2)
    assert settings["SCHEDULER"] == "newsbot.distributed.LeasingScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getfloat("DOWNLOAD_DELAY") == 2.0
    assert settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 1.0
    assert "newsbot.distributed.ServerWatch" in settings.getdict("EXTENSIONS")
    assert settings.getdict("DOWNLOAD_HANDLERS")["https"] == "newsbot.politeness.SharedDelayHandler"
    assert settings.getint("CONCURRENT_REQUESTS") == 8


def test_workers_take_turns_at_a_site_download_delay_apart_on_the_redis_clock(redis_server, frontier):
    import redis

    def worker() -> SiteTurns:
        return SiteTurns(redis.Redis.from_url(frontier), delay=0.5)

    first, second = worker(), worker()
    started = time.monotonic()
    waits = [w.wait("finance.sina.com.cn") for w in (first, second, first, second)]
    elapsed = time.monotonic() - started
    for turn, wait in enumerate(waits):
        assert turn * 0.5 - elapsed - 0.01 <= wait <= turn * 0.5, waits
    assert first.wait("feed.mix.sina.com.cn") == 0, "another site has its own turns"
    time.sleep(2.1)
    assert second.wait("finance.sina.com.cn") == 0, "a site left alone for its delay is free at once"


@pytest.mark.parametrize(
    ("variable", "named"),
    [("REDIS_URL", "the frontier at REDIS_URL"), ("NEWSBOT_INDEX_URL", "the index at NEWSBOT_INDEX_URL")],
)
def test_a_shared_server_that_does_not_answer_at_start_is_one_line_and_exit_1(tmp_path, variable, named):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = {
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "NEWSBOT_INDEX_URL": f"postgresql://u:pw@127.0.0.1:{port}/db",
    }
    env = {"REDIS_URL": "", "NEWSBOT_INDEX_URL": "", variable: url[variable]}
    result = run_newsbot("crawl", "sina-finance", "--snapshot", "--archive", str(tmp_path / "out"), env=env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"newsbot: error: cannot reach {named} ") and str(port) in line
    assert "pw" not in line and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "url",
    ["redis://h", "redis://h/", "redis://h/3", "redis://h:6380/15", "redis://h/abc?db=2", "rediss://u:p@h/1",
     "unix:///run/redis.sock", "unix:///run/redis.sock?db=4", "redis://h/0?socket_timeout=2.5&health_check_interval=3"],
)
def test_a_redis_url_redis_py_reads_as_written_passes(url):
    assert redis_url_problem(url) is None
    assert redis.connection.parse_url(url).get("db", 0) >= 0


@pytest.mark.parametrize(
    ("url", "problem", "redis_py_db"),
    [
        ("redis://h/abc", "database 'abc' is not a whole number from 0", 0),
        ("redis://h/0/1", "database '0/1' is not a whole number from 0", 1),
        ("redis://h/-1", "database '-1' is not a whole number from 0", -1),
        ("redis://h?db=-1", "database -1 is not a whole number from 0", -1),
        ("unix:///run/redis.sock?db=-2", "database -2 is not a whole number from 0", -2),
    ],
)
def test_a_redis_url_whose_database_redis_py_misreads_is_a_problem(url, problem, redis_py_db):
    assert redis.connection.parse_url(url).get("db", 0) == redis_py_db
    assert redis_url_problem(url) == problem


def test_a_redis_url_redis_py_refuses_is_a_problem_in_its_words():
    assert redis_url_problem("redis://h?db=x") == "Invalid value for 'db'"
    assert redis_url_problem("redis://h?max_connections=many") == "Invalid value for 'max_connections'"
    assert redis_url_problem("redis://h?colour=red") == "redis-py takes no option 'colour'"


def test_a_url_in_a_message_has_no_password_even_unparsable():
    assert without_password("postgresql://u:s3cret@db.example/x") == "postgresql://u@db.example/x"
    assert without_password("redis://:s3cret@h/0") == "redis://@h/0"
    assert without_password("redis://u:s3:cr@t@[::1/0") == "redis://u@[::1/0"
    assert without_password("redis://h/0?db=1&password=s3cret") == "redis://h/0?db=1&password=***"
    assert without_password("unix:///run/redis.sock") == "unix:///run/redis.sock"


def test_a_database_beyond_the_server_s_count_is_the_server_s_one_line(redis_server):
    databases = int(redis_server.client().config_get("databases")["databases"])
    settings = Settings({"REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/{databases}"})
    assert redis_url_problem(settings["REDIS_URL"]) is None
    problem = unreachable_server(settings, timeout=5)
    assert problem.startswith("cannot reach the frontier at REDIS_URL ") and "out of range" in problem
    settings["REDIS_URL"] = f"redis://127.0.0.1:{redis_server.port}/{databases - 1}"
    assert unreachable_server(settings, timeout=5) is None


def test_a_shared_run_is_named_by_its_spider_and_arguments():
    assert run_name("sina-finance", {}) == "sina-finance"
    china = run_name("sina-finance", {"channels": "china", "max_pages": 3})
    assert china == run_name("sina-finance", {"max_pages": 3, "channels": "china"})
    assert china.startswith("sina-finance:") and china != run_name(
        "sina-finance", {"channels": "world", "max_pages": 3}
    )
    assert run_name("article", {"url": "https://a.test/1"}) != run_name(
        "article", {"url": "https://a.test/2"}
    )


class TimedSite(http.server.ThreadingHTTPServer):
    """A site on 127.0.0.1 that answers from ``pages`` (path: HTML or RSS) and notes when each request came."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages
        self.times: list[tuple[float, str]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler) -> None:
                self.times.append((time.monotonic(), handler.path))
                body = self.pages.get(handler.path)
                handler.send_response(200 if body else 404)
                kind = "application/rss+xml" if handler.path.endswith(".xml") else "text/html"
                handler.send_header("Content-Type", f"{kind}; charset=utf-8")
                handler.end_headers()
                handler.wfile.write((body or "").encode())

            def log_message(handler, *args: object) -> None:
                return None

        super().__init__(("127.0.0.1", 0), Handler)


def test_workers_sending_to_one_site_keep_its_download_delay_between_all_their_requests(
    frontier, index_url, tmp_path
):
    site = TimedSite({})
    base = f"http://127.0.0.1:{site.server_address[1]}"
    items = [
        f"<item><title>新闻{n}</title><link>{base}/{n}.html</link><pubDate>Fri, 10 May 2024 08:30:00 +0800</pubDate>"
        "</item>"
        for n in range(12)
    ]
    site.pages["/feed.xml"] = rss(items)
    site.pages.update({f"/{n}.html": article_page(n, f"新闻{n}") for n in range(12)})
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCE.format(feed=f"{base}/feed.xml"), encoding="utf-8")
    threading.Thread(target=site.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": frontier,
        "NEWSBOT_INDEX_URL": index_url,
        "NEWSBOT_SOURCES_FILE": str(sources),
    }
    command = [
        *(sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", "local-finance"),
        *("--archive", str(tmp_path / "out"), "-s", "DOWNLOAD_DELAY=0.4", "-s", "AUTOTHROTTLE_ENABLED=False"),
        *("-s", "NEWSBOT_WORKERS=2", "-s", "NEWSBOT_WORKER_TIMEOUT=3", "-s", "CONCURRENT_REQUESTS=2"),
    ]
    try:
        workers = [
            subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)
        ]
        logs = [worker.communicate(timeout=120)[1] for worker in workers]
    finally:
        site.shutdown()
    assert [worker.returncode for worker in workers] == [0, 0], logs[0][-2000:] + logs[1][-2000:]
    assert len(posts(tmp_path / "out")) == 12
    assert sorted(path for _, path in site.times if path != "/robots.txt") == sorted(site.pages)
    gaps = [later - earlier for (earlier, _), (later, _) in zip(site.times, site.times[1:], strict=False)]
    assert min(gaps) >= 0.4 - 0.02, [round(gap, 3) for gap in gaps]


def test_crawls_of_other_channels_sharing_one_redis_each_archive_their_own(frontier, index_url, tmp_path):
    alone = {}
    for channel in ("china", "world"):
        out = tmp_path / f"alone-{channel}"
        done = run_newsbot(
            "crawl", "sina-finance", "--snapshot", "--channels", channel, "--archive", str(out),
            env={"REDIS_URL": "", "NEWSBOT_INDEX_URL": ""},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        alone.update(post_texts(out))
    shared = tmp_path / "shared"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": frontier, "NEWSBOT_INDEX_URL": index_url}
    with SnapshotServer(BUNDLED_SNAPSHOT) as server:
        workers = [
            subprocess.Popen(
                [
                    *(sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", "sina-finance"),
                    *("--channels", channel, "--archive", str(shared), *WORKER_SETTINGS),
                    *("-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}"),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for channel in ("china", "world")
        ]
        logs = [worker.communicate(timeout=300)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], logs[0][-2000:] + logs[1][-2000:]
    assert all("starting a new run" in log for log in logs), "neither joined the other's run"
    assert post_texts(shared) == alone


def test_validate_says_when_the_postgresql_index_does_not_answer_and_counts_no_post_missing(tmp_path):
    alone = tmp_path / "alone"
    done = run_newsbot(
        "crawl",
        "sina-finance",
        "--snapshot",
        "--archive",
        str(alone),
        env={"REDIS_URL": "", "NEWSBOT_INDEX_URL": ""},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    validated = run_newsbot(
        "validate", str(alone), env={"NEWSBOT_INDEX_URL": f"postgresql://u:pw@127.0.0.1:{port}/db"}
    )
    assert validated.returncode == 1
    first, counts = validated.stdout.strip().splitlines()
    assert first.startswith(
        f"the index at NEWSBOT_INDEX_URL postgresql://u@127.0.0.1:{port}/db: cannot be read ("
    )
    assert (
        counts.endswith("passed, 0 failed; which posts the index names is unknown")
        and "missing" not in counts
    )
