"""``ArchiveIndex``: the SQLite index of one output folder, keys and near-duplicate search over one connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from newsbot.index import keys, near
from newsbot.index.base import Entry
from newsbot.index.database import connect, index_path, transaction


class ArchiveIndex:
    """The persistent index of one output folder (``Index`` on SQLite). The posts stay the source of truth."""

    def __init__(self, output_dir: Path | str) -> None:
        self.path = index_path(Path(output_dir))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection: sqlite3.Connection | None = connect(self.path)
        with self._write() as db:
            for statement in (*keys.SCHEMA, *near.SCHEMA):
                db.execute(statement)

    def _db(self) -> sqlite3.Connection:
        if self.connection is None:
            raise RuntimeError(f"the index {self.path} is closed")
        return self.connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with transaction(self._db()) as db:
            yield db

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
        found = near.keys_near(self._db(), simhash, distance)
        return [self.get(key) for key in sorted(found, key=lambda key: (found[key], key))]

    def _insert(self, db: sqlite3.Connection, entry: Entry) -> None:
        previous = keys.stored_simhash(db, entry.key)
        if previous is not None:
            near.remove(db, entry.key, previous)
        keys.upsert(db, entry)
        near.add(db, entry.key, entry.simhash)

    def record(self, entry: Entry) -> None:
        """Store or replace ``entry`` in one transaction."""
        with self._write() as db:
            self._insert(db, entry)

    def record_many(self, entries: Iterable[Entry]) -> int:
        """Store or replace many entries in one transaction; return their count."""
        count = 0
        with self._write() as db:
            for entry in entries:
                self._insert(db, entry)
                count += 1
        return count

    def alias(self, key: str, other_key: str) -> None:
        """Remember ``key`` as another key of the stored article ``other_key``."""
        if key != other_key:
            with self._write() as db:
                keys.add_alias(db, key, other_key)

    def rebuild(self, entries: Iterable[Entry]) -> int:
        """Make ``entries`` the whole index in one transaction; return their count.

        An entry without URL keeps the URL stored for its key; aliases of vanished keys go.
        """
        count = 0
        with self._write() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY) WITHOUT ROWID")
            db.execute("DELETE FROM seen")
            for entry in entries:
                self._insert(db, entry)
                db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (entry.key,))
                count += 1
            db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM seen)")
            near.prune(db)
            db.execute("DELETE FROM aliases WHERE key NOT IN (SELECT key FROM entries)")
            db.execute("DELETE FROM seen")
        return count

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
