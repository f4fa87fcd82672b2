"""``IndexTable``: a connection to an output folder's index file for whoever keeps tables in it, opened safely.

Opening repairs the file first (a half-done ``reindex`` swap finished, a damaged file rebuilt from the posts),
connects under the shared ``index_lock`` (never mid-swap) and creates its owner's tables where missing; every
query and write transaction reopens the file when ``newsbot reindex`` has swapped a new one in, so a
long-lived connection never writes to the replaced file. ``read_rows`` and ``create=False`` read without
creating anything: a missing file or table reads as empty.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsbot.index import schema
from newsbot.index.base import Connected
from newsbot.index.database import BUSY_TIMEOUT, committed, connect, index_path
from newsbot.index.rebuild import LOCK_FILE, finish_swaps, index_lock, leftovers, readable, recover, upgrade

logger = logging.getLogger(__name__)


def repair(output_dir: Path) -> None:
    """Make the index file of ``output_dir`` usable: a swap a killed ``reindex`` left half done finished, a
    damaged file or an older layout rebuilt from the posts (each with one WARNING line)."""
    path = index_path(output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if leftovers(output_dir):
        with index_lock(output_dir, exclusive=True):
            for line in finish_swaps(output_dir):
                logger.warning("%s: %s", path, line)
    if readable(path) is not None:
        recover(output_dir)
    elif schema.outdated(path):
        upgrade(output_dir)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


@contextmanager
def _shared_lock_if_present(output_dir: Path) -> Iterator[None]:
    """The shared ``index_lock`` when its file exists (it is never created here), else nothing to wait for."""
    lock = index_path(output_dir).with_name(LOCK_FILE)
    if not lock.is_file():
        yield
        return
    with open(lock, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_read_only(output_dir: Path, table: str) -> tuple[sqlite3.Connection | None, tuple[int, int] | None]:
    """A read-only connection to the index of ``output_dir`` (``None`` without the file or without ``table`` in
    it) and the file's (device, inode). Creates nothing; ``sqlite3.Error`` on a damaged file."""
    path = index_path(output_dir)
    with _shared_lock_if_present(output_dir):
        if not path.is_file():
            return None, None
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
        identity = _identity(path)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
    except BaseException:
        connection.close()
        raise
    if found:
        return connection, identity
    connection.close()
    return None, identity


def read_rows(output_dir: Path | str, table: str, sql: str, *parameters: Any) -> list[tuple]:
    """The rows ``sql`` selects from the index of ``output_dir``, read-only; none without the file or ``table``."""
    connection, _ = open_read_only(Path(output_dir), table)
    if connection is None:
        return []
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


class IndexTable(Connected):
    """A connection to the index file of ``output_dir`` holding ``TABLE`` (created by ``SCHEMA``).

    ``create=False`` opens it read-only and creates nothing (no file or no ``TABLE``: ``_select`` reads
    nothing, ``_write`` raises ``sqlite3.OperationalError``). Closes with ``close`` or its ``with`` block.
    """

    TABLE = ""
    SCHEMA: tuple[str, ...] = ()

    def __init__(self, output_dir: Path | str, create: bool = True) -> None:
        self.output_dir = Path(output_dir)
        self.path = index_path(self.output_dir)
        self.create = create
        self.connection: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._closed = False
        if create:
            repair(self.output_dir)
        self._open()

    def prepare(self, db: sqlite3.Connection) -> None:
        """Create the tables where missing (inside the opening transaction)."""
        for statement in self.SCHEMA:
            db.execute(statement)

    def _open(self) -> None:
        if not self.create:
            self.connection, self._identity = open_read_only(self.output_dir, self.TABLE)
            return
        with index_lock(self.output_dir, exclusive=False):
            self.connection = connect(self.path)
            self._identity = _identity(self.path)
        with self._write() as db:
            self.prepare(db)

    def _replaced(self) -> bool:
        identity = _identity(self.path)
        return identity is not None and identity != self._identity

    def _current(self) -> sqlite3.Connection | None:
        """The connection to the file now at ``self.path`` (reopened after a swap); ``None`` read-only without it."""
        if self._closed:
            raise RuntimeError(f"the index {self.path} is closed")
        if self._replaced():
            if self._identity is not None:
                logger.info("the index %s was rebuilt; reopening it", self.path)
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            self._open()
        return self.connection

    def _db(self) -> sqlite3.Connection:
        db = self._current()
        if db is None:
            raise sqlite3.OperationalError(f"no table {self.TABLE} in {self.path}")
        return db

    def _select(self, sql: str, *parameters: Any) -> list[tuple]:
        """The rows ``sql`` selects; none when opened read-only on an index without ``TABLE``."""
        db = self._current()
        return [] if db is None else db.execute(sql, parameters).fetchall()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction on the file now at ``self.path``, committed or rolled back."""
        if not self.create:
            raise sqlite3.OperationalError(f"the index {self.path} was opened to read only")
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        if self._replaced():
            db.execute("ROLLBACK")
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
        with committed(db):
            yield db

    def close(self) -> None:
        """Close the connection and refuse queries from then on; closing twice is harmless."""
        self._closed = True
        super().close()
