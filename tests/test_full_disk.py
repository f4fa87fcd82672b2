"""A disk that fills: whichever write fails, no article is lost (a run after space is freed archives every one),
the run counts each failed write by what and why and exits 1, and nothing prints a traceback. Simulated at the
boundary newsbot writes through (``tests.disk_faults``), swept over every write of a crawl, and on real tmpfs
mounts where this process may mount one."""

from __future__ import annotations

import errno
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from newsbot.failed_writes import archive_write_problem, write_error_reason, write_error_text
from newsbot.ledger import ledger_entries
from newsbot.outcome import run_outcome
from newsbot.revisits import open_listed
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST
from tests import disk_faults
from tests.disk_faults import PRELUDE, disk_full_error
from tests.servers import run_newsbot, serve
from tests.test_faults import Run, assert_clean, crawl, site_articles, small_disk, stored_posts
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


def test_walks_opened_at_the_start_only_deepen_and_are_settled_at_the_close(tmp_path, index_settings):
    with open_listed(tmp_path, index_settings) as table:
        table.settle_walks({"china": 7})
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
            if f"cannot write the archive {out}: No space left on device" not in first.log:
                assert summary(stats)["newsbot/failed_writes"] >= 1, (at, first.log[-3000:])
            again = crawl(server.address, out, settings={"NEWSBOT_SUMMARY_FILE": stats})
            assert again.returncode == 0, (at, again.log[-3000:])
            assert len(assert_clean(out, made)) == len(made), (at, first.log[-4000:], again.log[-3000:])
            assert ledger_entries(out) == [], at


def test_a_run_whose_history_cannot_be_written_fails_and_says_so(tmp_path):
    made = site_articles(3, seed=47)
    with serve(roll_pages([made]), tmp_path) as server:
        run = faulty_crawl(
            server.address,
            tmp_path / "out",
            tmp_path / "summary.json",
            FAULT_DISK_TABLE="runs",
            FAULT_DISK_COMMITS="0",
        )
    assert run.returncode == 1, run.log[-3000:]
    assert f"run history not written to {tmp_path / 'out'}: No space left on device" in run.log
    assert "FAILED: 3 new, 0 updated, but 1 write to the archive failed (history no_space 1)" in run.log
    assert summary(tmp_path / "summary.json")["newsbot/failed_writes/history/no_space"] == 1
    assert len(assert_clean(tmp_path / "out", made)) == len(made)


def snapshot_posts(snapshot: Path) -> set[str]:
    """The post names (doc ids) of every article page a snapshot's manifest holds."""
    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    return {match.group(1) for url in manifest if (match := re.search(r"/(?:doc|detail)-(i[a-z0-9]+)", url))}


def newsbot_crawl(archive: Path, snapshot: Path) -> subprocess.CompletedProcess:
    """``newsbot crawl sina-finance --snapshot SNAPSHOT --archive ARCHIVE``, as the README gives it."""
    return run_newsbot(
        "crawl", "sina-finance", "--snapshot", str(snapshot), "--archive", str(archive), timeout=300
    )


def test_a_crawl_into_a_full_tmpfs_is_one_line_and_leaves_nothing(tmp_path):
    with small_disk(tmp_path / "disk", "64k") as disk:
        run = newsbot_crawl(disk / "out", BUNDLED_SNAPSHOT)
        assert run.returncode == 1
        assert (
            run.stderr
            == f"newsbot: error: cannot write the archive {disk / 'out'}: No space left on device\n"
        )
        assert list(disk.iterdir()) == []


def test_a_tmpfs_filling_during_a_crawl_loses_no_article(tmp_path):
    """The bundled snapshot, its listing pages after the first answered late (so the first pages' articles fill
    the disk before the later pages are read, as a user found on 0.5.2: two page-2 articles never asked for
    again), crawled into a 260 KiB tmpfs; after the tmpfs grows, one run archives every article."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(BUNDLED_SNAPSHOT, snapshot)
    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    for url, entry in manifest.items():
        if "/api/roll/" in url and not url.endswith("page=1"):
            entry["delay"] = 1.5
    (snapshot / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    expected = snapshot_posts(snapshot)
    with small_disk(tmp_path / "disk", "260k") as disk:
        first = newsbot_crawl(disk / "out", snapshot)
        assert "Traceback" not in first.stderr, first.stderr[-3000:]
        assert first.returncode == 1, first.stderr[-3000:]
        assert "writes to the archive failed" in first.stderr
        subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)
        second = newsbot_crawl(disk / "out", snapshot)
        assert second.returncode == 0, second.stderr[-3000:]
        assert {path.stem for path in stored_posts(disk / "out")} == expected
        third = newsbot_crawl(disk / "out", snapshot)
        assert third.returncode == 0 and "ok: nothing new" in third.stderr, third.stderr[-3000:]
        assert ledger_entries(disk / "out") == []
