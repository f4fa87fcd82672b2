"""``ArchiveIndex``: the SQLite index of one output folder, keys and near-duplicate search over one connection."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from newsbot.index import keys, near, schema
from newsbot.index.base import Entry
from newsbot.index.database import connect, index_path
from newsbot.index.rebuild import finish_swaps, index_lock, leftovers, readable, recover, upgrade

logger = logging.getLogger(__name__)


def repair(output_dir: Path) -> None:
    """Make the index file of ``output_dir`` usable: a swap a killed ``reindex`` left half done finished, a
    damaged file or an older layout rebuilt from the posts (each with one WARNING line).

    Modules that open ``index_path(output_dir)`` with sqlite3 directly call this first.
    """
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


class ArchiveIndex:
    """The persistent index of one output folder (``Index`` on SQLite). The posts stay the source of truth."""

    def __init__(self, output_dir: Path | str) -> None:
        self.output_dir = Path(output_dir)
        self.path = index_path(self.output_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        repair(self.output_dir)
        self._open()

    def _open(self) -> None:
        """Connect to the file now at ``self.path`` (shared ``index_lock``: never mid-swap) and prepare it."""
        with index_lock(self.output_dir, exclusive=False):
            self.connection = connect(self.path)
            stat = os.stat(self.path)
            self._identity = (stat.st_dev, stat.st_ino)
        with self._write() as db:
            schema.prepare(db)

    def _replaced(self) -> bool:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (stat.st_dev, stat.st_ino) != self._identity

    def _db(self) -> sqlite3.Connection:
        if self.connection is None:
            raise RuntimeError(f"the index {self.path} is closed")
        if self._replaced():
            logger.info("the index %s was rebuilt; reopening it", self.path)
            self.connection.close()
            self._open()
        return self.connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction on the file now at ``self.path``, committed or rolled back."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        if self._replaced():
            db.execute("ROLLBACK")
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def knows(self, key: str) -> bool:
        """Whether ``key`` is stored or is another URL's key of a stored article."""
        return keys.knows(self._db(), key)

    def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, else the entry ``key`` is an alias of, else ``None``."""
        return keys.get(self._db(), key)

    def find_exact(self, body_hash: str) -> Entry | None:
        """A stored entry with this body hash, the first by key if several."""
        return keys.find_exact(self._db(), body_hash)

    def find_near(self, simhash: int, distance: int) -> list[Entry]:
        """Stored entries within ``distance`` bits of ``simhash``, nearest first."""
        found = near.ids_near(self._db(), simhash, distance)
        entries = keys.by_ids(self._db(), list(found))
        return [entry for _, _, entry in sorted((found[i], entry.key, entry) for i, entry in entries.items())]

    def _insert(self, db: sqlite3.Connection, entry: Entry) -> tuple[int, int] | None:
        """Store ``entry``; return its id and SimHash when its near rows are still to be added."""
        previous = keys.stored(db, entry.key)
        if previous is not None and previous[1] == entry.simhash:
            keys.upsert(db, entry)
            return None
        if previous is not None:
            near.remove(db, *previous)
        return keys.upsert(db, entry), entry.simhash

    def record(self, entry: Entry) -> None:
        """Store or replace ``entry`` in one transaction."""
        with self._write() as db:
            if added := self._insert(db, entry):
                near.add(db, *added)

    def record_many(self, entries: Iterable[Entry]) -> int:
        """Store or replace many entries in one transaction; return their count."""
        count = 0
        with self._write() as db:
            added: dict[int, int] = {}
            for entry in entries:
                if pair := self._insert(db, entry):
                    added[pair[0]] = pair[1]
                count += 1
            near.add_many(db, added.items())
        return count

    def alias(self, key: str, other_key: str) -> None:
        """Remember ``key`` as another key of the stored article ``other_key``."""
        if key != other_key:
            with self._write() as db:
                keys.add_alias(db, key, other_key)

    def entries(self) -> Iterator[Entry]:
        """Every stored entry, by key."""
        yield from map(keys.entry_of, self._db().execute(f"SELECT {keys.COLUMNS} FROM entries ORDER BY key"))

    def alias_count(self) -> int:
        """How many other keys point at stored articles."""
        return self._db().execute("SELECT count(*) FROM aliases").fetchone()[0]

    def __len__(self) -> int:
        return self._db().execute("SELECT count(*) FROM entries").fetchone()[0]

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __enter__(self) -> ArchiveIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
