"""Tables kept in the index file by other modules (``IndexTable``): they follow a ``reindex`` swap, a damaged file
opened first by one of them is rebuilt from the posts, and read-only openers create nothing."""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.reindex import write_posts
from newsbot.history import Run, RunHistory
from newsbot.index import ArchiveIndex, IndexTable, index_path, read_rows
from newsbot.index.rebuild import rebuild
from newsbot.ledger import FailureLedger, ledger_entries, open_ledger
from newsbot.revisits import ListedTable
from tests.servers import run_newsbot

POSTS = 30
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def note_failure(ledger: FailureLedger, number: int) -> None:
    ledger.requested(f"sina:k{number}", f"https://example.com/{number}", "sina-finance", {}, NOW)


def note_run(history: RunHistory, number: int) -> None:
    history.record(Run("sina-finance", NOW.isoformat(), NOW.isoformat(), 0, new=number))


def note_listed(listed: ListedTable, number: int) -> None:
    listed.note(f"sina:k{number}", NOW, f"标题{number}", NOW)


WRITERS: dict[type[IndexTable], Callable] = {
    FailureLedger: note_failure,
    RunHistory: note_run,
    ListedTable: note_listed,
}


def rows_in_file(output_dir: Path, table: str) -> int:
    db = sqlite3.connect(index_path(output_dir))
    try:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


def inode(output_dir: Path) -> int:
    return os.stat(index_path(output_dir)).st_ino


@pytest.mark.parametrize("table", list(WRITERS), ids=lambda table: table.__name__)
def test_a_write_through_a_connection_open_across_a_reindex_lands_in_the_new_file(tmp_path, table):
    write_posts(tmp_path, POSTS)
    write = WRITERS[table]
    with table(tmp_path) as open_table:
        write(open_table, 1)
        before = inode(tmp_path)
        reindex = run_newsbot("reindex", str(tmp_path))
        assert reindex.returncode == 0, reindex.stdout + reindex.stderr
        assert inode(tmp_path) != before
        assert rows_in_file(tmp_path, table.TABLE) == 1
        write(open_table, 2)
        assert len(open_table._select(f"SELECT * FROM {table.TABLE}")) == 2
    assert rows_in_file(tmp_path, table.TABLE) == 2
    with ArchiveIndex(tmp_path) as index:
        assert len(index) == POSTS


def test_a_read_only_history_follows_a_swap_and_writes_nothing(tmp_path):
    write_posts(tmp_path, POSTS)
    with RunHistory(tmp_path) as history:
        note_run(history, 1)
    with RunHistory(tmp_path, create=False) as reader:
        assert len(reader.last_runs("sina-finance", 5)) == 1
        rebuild(tmp_path)
        with RunHistory(tmp_path) as history:
            note_run(history, 2)
        assert [run.new for run in reader.last_runs("sina-finance", 5)] == [2, 1]
        with pytest.raises(sqlite3.OperationalError, match="read only"):
            note_run(reader, 3)


def damage_with_random_bytes(output_dir: Path) -> None:
    path = index_path(output_dir)
    path.write_bytes(random.Random(11).randbytes(path.stat().st_size))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("table", [FailureLedger, RunHistory], ids=lambda table: table.__name__)
def test_a_damaged_index_opened_first_by_a_table_is_rebuilt_from_the_posts_with_one_warning(
    tmp_path, caplog, table
):
    write_posts(tmp_path, POSTS)
    rebuild(tmp_path)
    damage_with_random_bytes(tmp_path)
    with caplog.at_level("INFO"), table(tmp_path) as open_table:
        WRITERS[table](open_table, 1)
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "could not be read (not an SQLite database); moved it to index.sqlite3.broken-" in caplog.text
    assert f"{POSTS} indexed, 0 skipped" in caplog.text
    assert rows_in_file(tmp_path, table.TABLE) == 1
    with ArchiveIndex(tmp_path) as index:
        assert len(index) == POSTS


def test_read_only_openers_create_nothing_and_read_a_missing_file_or_table_as_empty(tmp_path):
    with RunHistory(tmp_path, create=False) as history:
        assert history.sources() == []
    assert ledger_entries(tmp_path) == []
    with open_ledger(tmp_path, create=False) as ledger:
        assert ledger.counts() == {}
    assert read_rows(tmp_path, "listed", "SELECT * FROM listed") == []
    assert not (tmp_path / ".newsbot").exists()
    with ListedTable(tmp_path) as listed:
        note_listed(listed, 1)
    assert ledger_entries(tmp_path) == []
    assert read_rows(tmp_path, "listed", "SELECT key FROM listed") == [("sina:k1",)]


def test_a_closed_table_refuses_queries_and_closes_twice(tmp_path):
    ledger = FailureLedger(tmp_path)
    ledger.close()
    ledger.close()
    with pytest.raises(RuntimeError, match="is closed"):
        ledger.get("sina:k1")


def test_a_read_only_history_without_its_table_reads_empty_without_reopening(tmp_path, caplog):
    with ListedTable(tmp_path) as listed:
        note_listed(listed, 1)
    with caplog.at_level("INFO"), RunHistory(tmp_path, create=False) as history:
        assert history.sources() == [] and history.last_runs("sina-finance", 3) == []
    assert caplog.records == []
