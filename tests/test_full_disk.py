"""A disk that fills: whichever write fails, no article is lost (a run after space is freed archives every one),
the run counts each failed write by what and why and exits 1, and nothing prints a traceback. Simulated at the
boundary newsbot writes through (``tests.disk_faults``), swept over every write of a crawl, and on real tmpfs
mounts where this process may mount one."""

from __future__ import annotations

import errno
import re
import sqlite3
from pathlib import Path

import pytest

from newsbot.failed_writes import archive_write_problem, write_error_reason, write_error_text
from newsbot.ledger import ledger_entries
from newsbot.outcome import run_outcome
from newsbot.revisits import ListedTable
from tests import disk_faults
from tests.disk_faults import PRELUDE, disk_full_error
from tests.servers import serve
from tests.test_faults import Run, assert_clean, crawl, site_articles
from tests.test_ledger import roll_pages, summary


def test_every_spelling_of_a_full_disk_is_one_reason_and_one_message():
    enospc = OSError(errno.ENOSPC, "No space left on device")
    for error in (enospc, disk_full_error(), sqlite3.OperationalError("database or disk is full")):
        assert write_error_reason(error) == "no_space"
        assert write_error_text(error) == "No space left on device"
    assert write_error_reason(OSError(errno.EROFS, "Read-only file system")) == "read_only"
    assert write_error_reason(ValueError("x")) == "ValueError"


def test_a_failed_write_fails_the_run_and_names_what_and_why():
    stats = {
        "finish_reason": "finished",
        "newsbot/new": 9,
        "newsbot/failed_writes": 3,
        "newsbot/failed_writes/ledger/no_space": 2,
        "newsbot/failed_writes/history/no_space": 1,
    }
    outcome = run_outcome(stats)
    assert outcome.exit_status == 1
    assert outcome.reason == (
        "9 new, 0 updated, but 3 writes to the archive failed (ledger no_space 2, history no_space 1)"
    )
    assert run_outcome({**stats, "newsbot/failed_writes": 0}).exit_status == 0


def test_walks_opened_at_the_start_only_deepen_and_are_settled_at_the_close(tmp_path):
    with ListedTable(tmp_path) as table:
        table.walking("china", 7)
        table.walk_at_least({"china": 5, "stock": 5})
        assert table.open_walks() == {"china": 7, "stock": 5}
        table.settle_walks({"china": None, "stock": 2})
        assert table.open_walks() == {"stock": 2}


def test_an_archive_that_cannot_be_written_is_one_line_and_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(disk_faults, "DISK", disk_faults.Disk(0, "fills", ""))
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3,
        "connect",
        lambda *args, **kwargs: real_connect(*args, factory=disk_faults.FullDiskConnection, **kwargs),
    )
    archive = tmp_path / "new" / "archive"
    assert archive_write_problem(archive) == f"cannot write the archive {archive}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def faulty_crawl(address: str, out: Path, summary_file: Path, **env: str) -> Run:
    """A crawl of the china channel meeting the simulated full disk ``env`` configures."""
    return crawl(address, out, prelude=PRELUDE, env=env, settings={"NEWSBOT_SUMMARY_FILE": summary_file})


def commits_of(run: Run) -> int:
    """The commits that changed something in a run under ``tests.disk_faults``."""
    return int(re.findall(r"disk-fault: (\d+) commits", run.log)[-1])


@pytest.mark.parametrize("mode", ["fills", "once"])
def test_no_article_is_lost_whichever_write_meets_the_full_disk(tmp_path, mode):
    """Two listing pages of three articles: the disk fills at each write of the crawl in turn (``fills``), or
    only that one write fails (``once``); a healthy run after it archives all six, and the ledger is empty."""
    made = site_articles(6, seed=43)
    with serve(roll_pages([made[:3], made[3:]]), tmp_path) as server:
        healthy = faulty_crawl(
            server.address, tmp_path / "count", tmp_path / "count.json", FAULT_DISK_COMMITS=str(10**9)
        )
        writes = commits_of(healthy)
        assert writes >= 6
        for at in range(writes + 1):
            out, stats = tmp_path / f"{mode}-{at}", tmp_path / f"{mode}-{at}.json"
            first = faulty_crawl(server.address, out, stats, FAULT_DISK_COMMITS=str(at), FAULT_DISK_MODE=mode)
            if "disk-fault: commit" not in first.log:
                assert first.returncode == 0, (at, first.log[-3000:])
                continue
            assert first.returncode == 1, (at, first.log[-3000:])
            if stats.exists():
                assert summary(stats)["newsbot/failed_writes"] >= 1, (at, first.log[-3000:])
            else:
                assert f"newsbot: error: cannot write the archive {out}: No space left on device" in first.log
            again = crawl(server.address, out, settings={"NEWSBOT_SUMMARY_FILE": stats})
            assert again.returncode == 0, (at, again.log[-3000:])
            assert len(assert_clean(out, made)) == len(made), (at, first.log[-4000:], again.log[-3000:])
            assert ledger_entries(out) == [], at
