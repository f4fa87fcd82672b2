"""The index's SQLite file: where it lives, its connection (WAL, busy timeout) and its write transactions.

One file in WAL mode at ``<output>/.newsbot/index.sqlite3``, read through ``mmap`` (up to ``MMAP_BYTES``); the
WAL is checkpointed every ``CHECKPOINT_PAGES`` pages (SQLite's 1,000 made a crawl's batches copy and sync the
same near-duplicate pages over and over) and cut back to ``WAL_KEPT_BYTES`` (after a bulk ``load`` it holds the
whole archive's pages).
Every write is one short ``BEGIN IMMEDIATE`` transaction, so a crawl killed at any moment leaves the last
committed state and two crawls sharing a folder wait for each other (``busy_timeout``) instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INDEX_DIR = ".newsbot"
INDEX_FILE = "index.sqlite3"
BUSY_TIMEOUT = 60.0
CACHE_KIB = 32768
MMAP_BYTES = 1 << 34
WAL_KEPT_BYTES = 1 << 26
CHECKPOINT_PAGES = 10_000


def index_path(output_dir: Path | str) -> Path:
    """Where the index of an output folder lives."""
    return Path(output_dir) / INDEX_DIR / INDEX_FILE


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the index file at ``path`` in WAL mode, autocommit, waiting up to ``BUSY_TIMEOUT`` s,
    usable by one thread at a time whichever it is (the store writes from a thread of its own)."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    connection.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
    connection.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
    return connection


@contextmanager
def committed(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """The transaction open on ``db``, committed on success and rolled back on any error."""
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` write transaction, committed on success and rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    with committed(db):
        yield db
