"""The failed-article ledger: an article that failed is asked for again in later runs, wherever it was listed,
until archived or given up; a post deleted by hand is restored; all against servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.faults import FULL_DISK, kill_when, start_crawl
from bench.pages import Generated, page, roll_entry
from newsbot.identity import article_key
from newsbot.index import ArchiveIndex, index_path
from newsbot.ledger import FailureLedger, backoff, ledger_entries, open_ledger
from newsbot.outcome import run_outcome
from newsbot.validate import posts_under
from tests.servers import run_newsbot, serve
from tests.test_faults import CHINA, HTML, Run, assert_clean, crawl, site_articles, stored_posts
from tests.test_feed_spider import (
    FEED_URL,
    HTML_TYPE,
    NEWS,
    RSS_TYPE,
    article_html,
    article_page,
    by_title,
    rss,
    rss_item,
)
from tests.test_feed_spider import crawl as crawl_feed

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_backoff_retries_at_the_next_run_then_doubles():
    assert [backoff(n, 60).total_seconds() for n in range(1, 6)] == [0, 60, 120, 240, 480]


def test_ledger_enters_and_removes_many_articles_in_one_transaction_as_one_by_one(tmp_path, index_settings):
    with open_ledger(tmp_path, index_settings) as ledger:
        ledger.requested("a", "https://x.test/a", "src", {"channel": "china"}, T0)
        ledger.failed("a", "HTTP 503", T0, True, 3, 60)
        articles = [("a", "https://x.test/a2", {}), ("b", "https://x.test/b", {"channel": "world"}), ("c", "u", {})]
        ledger.requested_many(articles, "src", T0)
        a, b = ledger.get("a"), ledger.get("b")
        assert (a.url, a.attempts, a.context) == ("https://x.test/a2", 1, {"channel": "china"})
        assert (b.url, b.attempts, b.context, b.interrupted) == ("https://x.test/b", 0, {"channel": "world"}, True)
        ledger.remove_many(["a", "c", "never-entered"])
        assert [entry.key for entry in ledger.entries()] == ["b"]


def test_ledger_keeps_a_failure_until_archived_and_gives_up_at_max_attempts(tmp_path, index_settings):
    with open_ledger(tmp_path, index_settings) as ledger:
        ledger.requested("k", "https://x.test/a", "src", {"channel": "china"}, T0)
        assert [e.key for e in ledger.due("src", T0)] == ["k"]
        assert ledger.due("other", T0) == []
        entry, gave_up = ledger.failed("k", "HTTP 503", T0, True, 3, 60)
        assert (entry.attempts, entry.next_try, gave_up) == (1, T0.isoformat(), False)
        entry, gave_up = ledger.failed("k", "HTTP 503", T0, True, 3, 60)
        assert entry.next_try == (T0 + timedelta(seconds=60)).isoformat() and not gave_up
        assert ledger.due("src", T0) == []
        assert [e.key for e in ledger.due("src", T0 + timedelta(seconds=60))] == ["k"]
        entry, gave_up = ledger.failed("k", "TimeoutError", T0, True, 3, 60)
        assert (entry.attempts, entry.given_up, entry.next_try, gave_up) == (3, True, None, True)
        assert ledger.due("src", T0 + timedelta(days=9)) == []
        assert ledger.failed("k", "HTTP 503", T0, True, 3, 60)[1] is False
        ledger.requested("k", "https://x.test/a", "src", {}, T0)
        assert ledger.get("k").context == {"channel": "china"} and ledger.get("k").given_up
        assert ledger.failed("gone", "x", T0, True, 3, 60) is None
        ledger.requested("w", "https://x.test/w", "src", {}, T0)
        assert ledger.counts() == {"src": (1, 1)}
    shown = ledger_entries(tmp_path, index_settings)
    assert [(e.key, e.attempts, e.last_error, e.given_up) for e in shown] == [
        ("w", 0, "requested; no outcome yet", False),
        ("k", 4, "HTTP 503", True),
    ]
    with open_ledger(tmp_path, index_settings) as ledger:
        ledger.remove("k")
        ledger.remove("w")
    assert ledger_entries(tmp_path, index_settings) == []
    assert index_path(tmp_path).exists() is not bool(index_settings)


def test_a_permanent_failure_is_given_up_at_once(tmp_path):
    with FailureLedger(tmp_path) as ledger:
        ledger.requested("k", "https://x.test/a", "src", {}, T0)
        entry, gave_up = ledger.failed("k", "HTTP 404", T0, False, 8, 60)
    assert entry.given_up and gave_up and entry.attempts == 1


def test_ledger_entries_of_an_archive_without_index_is_empty_and_creates_nothing(tmp_path, index_settings):
    assert ledger_entries(tmp_path, index_settings) == []
    assert list(tmp_path.iterdir()) == []


def roll_pages(pages: list[list[Generated]]) -> dict[str, dict]:
    """The china channel's roll API listing ``pages`` of articles (then an empty page), and each article page."""
    entries = {
        CHINA.roll_url(number): {"body": json.dumps({"result": {"data": [roll_entry(a) for a in listed]}})}
        for number, listed in enumerate([*pages, []], start=1)
    }
    for article in (article for listed in pages for article in listed):
        entries[article.url] = {"body": page(article), "headers": HTML}
    return entries


def summary(path: Path) -> dict[str, int]:
    """The stats of a run's summary file (``NEWSBOT_SUMMARY_FILE``)."""
    return json.loads(path.read_text(encoding="utf-8"))["stats"]


def crawl_to(address: str, output: Path, summary_file: Path, **settings: object) -> Run:
    """A crawl whose exit status is its stats' outcome (a run with failures above the share exits 1)."""
    run = crawl(address, output, settings={"NEWSBOT_SUMMARY_FILE": summary_file, **settings})
    assert "Traceback" not in run.log, run.log[-3000:]
    assert run.returncode == run_outcome(summary(summary_file)).exit_status, run.log[-3000:]
    return run


def test_an_article_on_page_2_that_failed_every_retry_is_archived_by_a_later_healthy_run(tmp_path):
    made = site_articles(6, seed=21)
    first_page, second_page = made[:3], made[3:]
    fault = second_page[1]
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    broken = roll_pages([first_page, second_page])
    broken[fault.url] = {"body": "<h1>503 Service Unavailable</h1>", "headers": HTML, "status": 503}
    with serve(broken, tmp_path / "broken") as server:
        crawl_to(server.address, out, stats)
        assert server.hits[fault.url] == 2
    assert summary(stats)["newsbot/failed/download/http_503"] == 1
    assert fault.doc_id not in {path.stem for path in stored_posts(out)}
    [waiting] = ledger_entries(out)
    assert (waiting.url, waiting.attempts, waiting.last_error, waiting.given_up) == (
        fault.url,
        1,
        "HTTP 503",
        False,
    )
    assert waiting.context["channel"] == "china" and waiting.context["title"] == fault.title

    with serve(roll_pages([first_page, second_page]), tmp_path / "healthy") as server:
        healthy = crawl_to(server.address, out, stats)
        assert server.hits[CHINA.roll_url(2)] == 0, "the listing stopped at page 1, all archived"
        assert server.hits[fault.url] == 1
        healed = summary(stats)
        assert (healed["newsbot/ledger/retried"], healed["newsbot/new"]) == (1, 1)
        assert re.search(r"\nnew +1\n", healthy.log) and re.search(r"\nasked again +1\n", healthy.log)
        crawl_to(server.address, out, stats)
        assert server.hits[fault.url] == 1
    assert "newsbot/ledger/retried" not in summary(stats)
    assert "newsbot/new" not in summary(stats)
    assert ledger_entries(out) == []
    assert len(assert_clean(out, made)) == len(made)


def test_a_failure_asked_again_until_max_attempts_is_given_up_and_shown(tmp_path):
    made = site_articles(4, seed=22)
    fault = made[3]
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    broken = roll_pages([made[:2], made[2:]])
    broken[fault.url] = {"body": "busy", "headers": HTML, "status": 503}
    with serve(broken, tmp_path / "broken") as server:
        first = crawl_to(server.address, out, stats, NEWSBOT_MAX_ATTEMPTS=2)
        assert "gave up" not in first.log
        second = crawl_to(server.address, out, stats, NEWSBOT_MAX_ATTEMPTS=2)
        assert summary(stats)["newsbot/ledger/retried"] == 1
        assert summary(stats)["newsbot/ledger/given_up"] == 1
        assert f"WARNING: gave up on {fault.url} after 2 attempts: HTTP 503" in second.log
        crawl_to(server.address, out, stats, NEWSBOT_MAX_ATTEMPTS=2)
        assert server.hits[fault.url] == 2 * 2
    assert "newsbot/ledger/retried" not in summary(stats)
    [given_up] = ledger_entries(out)
    assert (given_up.url, given_up.attempts, given_up.given_up, given_up.next_try) == (
        fault.url,
        2,
        True,
        None,
    )

    other_source = run_newsbot("retry", str(out), "--source", "nbd")
    assert other_source.returncode == 0 and other_source.stdout.endswith(
        "0 given-up articles of nbd are due again; the next crawl of their source asks for them\n"
    )
    retried = run_newsbot("retry", "--archive", str(out))
    assert retried.returncode == 0, retried.stderr
    assert f"sina-finance: {fault.url} (gave up after 2 attempts: HTTP 503)" in retried.stdout
    assert "1 given-up articles are due again" in retried.stdout
    [due] = ledger_entries(out)
    assert (due.attempts, due.given_up) == (0, False)
    with serve(roll_pages([made[:2], made[2:]]), tmp_path / "healthy") as server:
        crawl_to(server.address, out, stats, NEWSBOT_MAX_ATTEMPTS=2)
        assert server.hits[fault.url] == 1
    assert summary(stats)["newsbot/ledger/retried"] == 1 and summary(stats)["newsbot/new"] == 1
    assert ledger_entries(out) == []
    nothing = run_newsbot("retry", str(out))
    assert nothing.returncode == 0 and "0 given-up articles are due again" in nothing.stdout


def test_retry_takes_a_source_as_the_ledger_names_it_and_lists_those_it_holds(tmp_path):
    with open_ledger(tmp_path) as ledger:
        ledger.requested("k", "http://127.0.0.1:8711/a.html", "127-0-0-1", {}, T0)
        ledger.failed("k", "HTTP 404", T0, False, 8, 60)
    unknown = run_newsbot("retry", str(tmp_path), "--source", "nosuch")
    assert unknown.returncode == 2 and "in the ledger: 127-0-0-1" in unknown.stderr
    retried = run_newsbot("retry", str(tmp_path), "--source", "127-0-0-1")
    assert retried.returncode == 0, retried.stderr
    assert "1 given-up articles of 127-0-0-1 are due again" in retried.stdout
    assert [(entry.given_up, entry.attempts) for entry in ledger_entries(tmp_path)] == [(False, 0)]


def test_a_page_that_is_gone_is_given_up_at_once(tmp_path):
    made = site_articles(3, seed=23)
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    entries = roll_pages([made])
    entries[made[0].url] = {"body": "<h1>404</h1>", "headers": HTML, "status": 404}
    with serve(entries, tmp_path / "snapshot") as server:
        crawl_to(server.address, out, stats)
    assert summary(stats)["newsbot/ledger/given_up"] == 1
    [gone] = ledger_entries(out)
    assert (gone.url, gone.last_error, gone.given_up) == (made[0].url, "HTTP 404", True)


def test_a_page_that_is_not_an_article_is_given_up_with_its_reason(tmp_path):
    made = site_articles(3, seed=24)
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    entries = roll_pages([made])
    entries[made[0].url] = {"body": "<html><body><p>视频</p></body></html>", "headers": HTML}
    with serve(entries, tmp_path / "snapshot") as server:
        crawl_to(server.address, out, stats)
    [refused] = ledger_entries(out)
    assert refused.url == made[0].url and refused.given_up and "no article" in refused.last_error


def test_after_a_full_disk_on_every_page_a_run_after_freeing_space_completes_the_archive(tmp_path):
    made = site_articles(12, seed=25)
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    with serve(roll_pages([made[:4], made[4:8], made[8:]]), tmp_path / "snapshot") as server:
        full = crawl(
            server.address,
            out,
            prelude=FULL_DISK,
            env={"FAULT_DISK_BYTES": "30000"},
            settings={"NEWSBOT_SUMMARY_FILE": stats},
        )
        assert "No space left on device" in full.log
        written = len(assert_clean(out, []))
        failed = summary(stats)["newsbot/failed/write"]
        assert failed >= 4 and written + failed == len(made)
        assert {entry.last_error.split(":")[0] for entry in ledger_entries(out)} == {"write failed"}
        crawl_to(server.address, out, stats)
    assert summary(stats)["newsbot/ledger/retried"] == failed
    assert len(assert_clean(out, made)) == len(made)
    assert ledger_entries(out) == []


def test_a_post_deleted_by_hand_is_reported_by_validate_and_restored_by_the_next_crawl(tmp_path):
    made = site_articles(6, seed=26)
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    with serve(roll_pages([made[:3], made[3:]]), tmp_path / "snapshot") as server:
        crawl_to(server.address, out, stats)
        deleted = next(path for path in stored_posts(out) if path.stem == made[4].doc_id)
        text = deleted.read_text(encoding="utf-8")
        deleted.unlink()
        checked = run_newsbot("validate", str(out))
        assert checked.returncode == 1
        assert f"{deleted}: missing, the index names it for {made[4].url}" in checked.stdout
        assert checked.stdout.strip().endswith("5 passed, 0 failed, 1 missing")
        restored = crawl_to(server.address, out, stats)
    assert "1 posts the index names are missing; asking for them again" in restored.log
    assert (summary(stats)["newsbot/ledger/retried"], summary(stats)["newsbot/new"]) == (1, 1)
    assert deleted.read_text(encoding="utf-8") == text
    assert run_newsbot("validate", str(out)).returncode == 0
    assert ledger_entries(out) == []


def test_a_deleted_post_whose_url_the_index_lost_is_restored_wherever_it_is_listed(tmp_path):
    made = site_articles(6, seed=27)
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    with serve(roll_pages([made[:3], made[3:]]), tmp_path / "snapshot") as server:
        crawl_to(server.address, out, stats)
        index_path(out).write_bytes(os.urandom(8192))  # rebuilt from the posts, it knows no URL
        for leftover in ("-wal", "-shm"):
            Path(f"{index_path(out)}{leftover}").unlink(missing_ok=True)
        assert run_newsbot("reindex", str(out)).returncode == 0
        deleted = {path.stem: path for path in stored_posts(out)}
        texts = {made[n].doc_id: deleted[made[n].doc_id].read_text(encoding="utf-8") for n in (1, 4)}
        for n in (1, 4):  # one listed on page 1, one on page 2, behind a page of archived articles
            deleted[made[n].doc_id].unlink()
        restored = crawl_to(server.address, out, stats)
    assert f"the post of {made[1].url} the index names is missing; asking for it again" in restored.log
    assert "walking every channel to page 3 to list the missing posts again" in restored.log
    assert summary(stats)["newsbot/new"] == 2
    assert {doc_id: deleted[doc_id].read_text(encoding="utf-8") for doc_id in texts} == texts


def test_a_killed_run_leaves_its_requested_articles_due(tmp_path):
    with FailureLedger(tmp_path) as ledger:
        ledger.requested("k", "https://x.test/a", "src", {}, T0)
    [entry] = ledger_entries(tmp_path)
    assert entry.interrupted and not entry.given_up


def test_reindex_keeps_the_ledger(tmp_path):
    made = site_articles(3, seed=27)
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    entries = roll_pages([made])
    entries[made[0].url] = {"body": "busy", "headers": HTML, "status": 503}
    with serve(entries, tmp_path / "snapshot") as server:
        crawl_to(server.address, out, stats)
    before = ledger_entries(out)
    assert [entry.url for entry in before] == [made[0].url]
    assert run_newsbot("reindex", str(out)).returncode == 0
    assert ledger_entries(out) == before
    with ArchiveIndex(out) as index:
        assert not index.knows(article_key(made[0].url))


def test_a_symlinked_site_folder_is_written_through_and_a_dangling_one_counted(tmp_path):
    made = site_articles(3, seed=28)
    out, elsewhere, stats = tmp_path / "out", tmp_path / "other-disk" / "sina", tmp_path / "summary.json"
    elsewhere.mkdir(parents=True)
    out.mkdir()
    (out / "sina").symlink_to(elsewhere, target_is_directory=True)
    with serve(roll_pages([made]), tmp_path / "snapshot") as server:
        crawl_to(server.address, out, stats)
        assert summary(stats)["newsbot/new"] == len(made)
        assert "newsbot/failed" not in summary(stats)
        assert len(list(posts_under(elsewhere))) == len(made)
        other = tmp_path / "out2"
        other.mkdir()
        (other / "sina").symlink_to(tmp_path / "unmounted", target_is_directory=True)
        dangling = crawl(server.address, other, settings={"NEWSBOT_SUMMARY_FILE": stats})
    assert summary(stats)["newsbot/failed/write"] == len(made)
    assert summary(stats)["newsbot/failed"] == len(made)
    assert dangling.log.count("ERROR: could not write sina/") == len(made)


def test_a_feed_article_whose_page_failed_is_archived_when_the_feed_no_longer_lists_it(tmp_path):
    summary_only = [rss_item(n, f"摘要{n}") for n in (1, 2)]
    pages = {NEWS.format(n=n): {"body": article_page(n, f"新闻{n}"), "headers": HTML_TYPE} for n in (1, 2)}
    failing = {**pages, NEWS.format(n=2): {"body": "busy", "headers": HTML_TYPE, "status": 503}}
    first = crawl_feed(tmp_path, {FEED_URL: {"body": rss(summary_only), "headers": RSS_TYPE}, **failing})
    assert first.returncode == 1, first.log
    assert "local-finance: FAILED: 1 failed of 2 tried (50%)" in first.log
    assert set(by_title(first)) == {"新闻1"}
    [waiting] = ledger_entries(tmp_path / "out")
    assert (waiting.url, waiting.source, waiting.context["title"]) == (
        NEWS.format(n=2),
        "local-finance",
        "新闻2",
    )
    moved_on = rss([rss_item(3, article_html(3))])
    second = crawl_feed(tmp_path, {FEED_URL: {"body": moved_on, "headers": RSS_TYPE}, **pages})
    assert second.returncode == 0, second.log
    assert (second.stats["newsbot/ledger/retried"], second.stats["newsbot/new"]) == (1, 2)
    assert set(by_title(second)) == {"新闻1", "新闻2", "新闻3"}
    assert ledger_entries(tmp_path / "out") == []


def test_articles_in_flight_when_a_crawl_is_killed_are_asked_for_by_the_next_run(tmp_path):
    made = site_articles(6, seed=29)
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    slow = roll_pages([made[:3], made[3:]])
    for article in made[:3]:
        slow[article.url]["delay"] = 1
    for article in made[3:]:
        slow[article.url]["delay"] = 30
    serve(slow, tmp_path / "slow")
    process = start_crawl(tmp_path / "slow" / "snapshot", out, "", "DOWNLOAD_TIMEOUT=60", "DOWNLOAD_DELAY=0")
    assert kill_when(process, lambda: out.is_dir() and len(stored_posts(out)) >= 3)
    assert {entry.url for entry in ledger_entries(out)} >= {article.url for article in made[3:]}
    assert all(entry.interrupted for entry in ledger_entries(out))
    with serve(roll_pages([made[:3], made[3:]]), tmp_path / "healthy") as server:
        crawl_to(server.address, out, stats)
        assert server.hits[CHINA.roll_url(2)] == 1, "a killed run leaves its walks open to their full depth"
    assert summary(stats)["newsbot/new"] == 3
    assert summary(stats)["newsbot/ledger/retried"] >= 3, (
        "a page-1 article killed while stored is asked again too"
    )
    assert len(assert_clean(out, made)) == len(made)
    assert ledger_entries(out) == []


@pytest.mark.parametrize(
    ("status", "walked_on"),
    [(503, True), (404, False)],
    ids=["a-busy-page-is-walked-on-by-the-next-run", "a-gone-page-ends-the-walk-instead-of-failing-every-run"],
)
def test_a_walk_cut_short_by_a_broken_listing_page_2(tmp_path, status, walked_on):
    made = site_articles(6, seed=31)
    first_page, second_page = made[:3], made[3:]
    out, stats = tmp_path / "out", tmp_path / "summary.json"
    healthy = roll_pages([first_page, second_page])
    broken = {**healthy, CHINA.roll_url(2): {"body": f"<h1>{status}</h1>", "headers": HTML, "status": status}}
    with serve(broken, tmp_path / "broken") as server:
        crawl_to(server.address, out, stats)
    assert summary(stats)["newsbot/failed/listing"] == 1
    assert {path.stem for path in stored_posts(out)} == {article.doc_id for article in first_page}
    later_site = healthy if walked_on else broken
    with serve(later_site, tmp_path / "later") as server:
        later = crawl_to(server.address, out, stats)
        assert server.hits[CHINA.roll_url(2)] == int(walked_on), (
            "page 1 holds only archived articles; the walk goes on only past a page that failed for now"
        )
    assert later.returncode == 0
    assert ("walking on where the last run stopped: {'china': 2}" in later.log) == walked_on
    archived = made if walked_on else first_page
    assert {path.stem for path in stored_posts(out)} == {article.doc_id for article in archived}
    with serve(later_site, tmp_path / "again") as server:
        crawl_to(server.address, out, stats)
        assert server.hits[CHINA.roll_url(2)] == 0, "a finished walk is not walked again"


def test_a_one_off_article_crawl_keeps_its_failure_in_the_ledger_and_a_later_one_asks_again(tmp_path):
    out = tmp_path / "out"
    gone, busy, fine = (NEWS.format(n=n) for n in (404, 503, 200))
    pace = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0")
    broken = {
        gone: {"body": "<h1>404</h1>", "headers": HTML_TYPE, "status": 404},
        busy: {"body": "busy", "headers": HTML_TYPE, "status": 503},
    }
    with serve(broken, tmp_path / "broken") as server:
        for url in (gone, busy):
            failed = run_newsbot(
                "crawl", "article", "-a", f"url={url}", *pace,
                "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", "-s", f"NEWSBOT_OUTPUT_DIR={out}",
            )
            assert failed.returncode == 1, failed.stderr[-2000:]
        fetched = run_newsbot(
            "fetch", gone, "--archive", str(tmp_path / "fetched"), *pace,
            "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
        )
        assert fetched.returncode == 1 and ledger_entries(tmp_path / "fetched") == []
    shown = {entry.url: entry for entry in ledger_entries(out)}
    assert {url: (e.source, e.attempts, e.last_error, e.given_up) for url, e in shown.items()} == {
        gone: ("article", 1, "HTTP 404", True),
        busy: ("article", 1, "HTTP 503", False),
    }

    healthy = {
        busy: {"body": article_page(1, "恢复的新闻"), "headers": HTML_TYPE},
        fine: {"body": article_page(2, "另一篇新闻"), "headers": HTML_TYPE},
    }
    with serve(healthy, tmp_path / "healthy") as server:
        done = run_newsbot(
            "crawl", "article", "-a", f"url={fine}", *pace,
            "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", "-s", f"NEWSBOT_OUTPUT_DIR={out}",
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert (server.hits[busy], server.hits[fine], server.hits[gone]) == (1, 1, 0)
    assert len(list(posts_under(out))) == 2
    assert [(entry.url, entry.given_up) for entry in ledger_entries(out)] == [(gone, True)]
    retried = run_newsbot("retry", str(out), "--source", "article")
    assert retried.returncode == 0 and "1 given-up articles of article are due again" in retried.stdout
