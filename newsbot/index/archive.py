"""``ArchiveIndex``: the SQLite index of one output folder, keys and near-duplicate search over one connection."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator

from newsbot.fingerprint import hamming
from newsbot.index import keys, near, schema
from newsbot.index.base import Candidates, Entry, Executes
from newsbot.index.table import IndexTable

KEY_PART, ALIAS_PART, EXACT_PART, NEAR_PART = range(4)
_ENTRY_COLUMNS = ", ".join(f"entries.{column}" for column in keys.COLUMNS.split(", "))
CANDIDATES_SQL = (
    f"SELECT {KEY_PART}, id, {keys.COLUMNS} FROM entries WHERE key = ?1"
    f" UNION ALL SELECT {ALIAS_PART}, id, {keys.COLUMNS} FROM entries"
    " WHERE key = (SELECT key FROM aliases WHERE alias = ?1)"
    f" UNION ALL SELECT * FROM (SELECT {EXACT_PART}, id, {keys.COLUMNS} FROM entries WHERE body_hash = ?2"
    " ORDER BY key LIMIT 1)"
    f" UNION ALL SELECT {NEAR_PART}, entries.id, {_ENTRY_COLUMNS}"
    " FROM near JOIN entries ON entries.id = near.id"
    f" WHERE near.code IN ({', '.join('?' * len(near.TABLES))})"
)


class ArchiveIndex(IndexTable):
    """The persistent index of one output folder (``Index`` on SQLite). The posts stay the source of truth."""

    TABLE = "entries"

    def prepare(self, db: sqlite3.Connection) -> None:
        """Create the index's tables where missing and mark the layout version."""
        schema.prepare(db)

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
        db = self._db()
        found = near.ids_near(db, simhash, distance)
        if not found:
            return []
        entries = keys.by_ids(db, list(found))
        return [entry for _, _, entry in sorted((found[i], entry.key, entry) for i, entry in entries.items())]

    def candidates(self, key: str, body_hash: str, simhash: int, distance: int) -> Candidates:
        """``get``, ``find_exact`` and ``find_near`` in one statement (``CANDIDATES_SQL``) for distances up to
        ``near.COVERED_DISTANCE``; wider ones query each in turn."""
        db = self._db()
        if not 0 <= distance <= near.COVERED_DISTANCE:
            return Candidates(
                keys.get(db, key), keys.find_exact(db, body_hash), self.find_near(simhash, distance)
            )
        found: dict[int, tuple[int, str, Entry]] = {}
        by_part: dict[int, Entry] = {}
        for part, entry_id, *columns in db.execute(
            CANDIDATES_SQL, (key, body_hash, *near.table_codes(simhash))
        ):
            entry = keys.entry_of(columns)
            if part < NEAR_PART:
                by_part.setdefault(part, entry)
            elif entry_id not in found and (gap := hamming(simhash, entry.simhash)) <= distance:
                found[entry_id] = (gap, entry.key, entry)
        known = by_part.get(KEY_PART) or by_part.get(ALIAS_PART)
        return Candidates(known, by_part.get(EXACT_PART), [entry for _, _, entry in sorted(found.values())])

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

    def record_many(self, entries: Iterable[Entry], also: Callable[[Executes], None] | None = None) -> int:
        """Store or replace many entries in one transaction, with what ``also`` writes on its connection (rows of
        another table of the index file); return their count."""
        count = 0
        with self._write() as db:
            added: dict[int, int] = {}
            for entry in entries:
                if pair := self._insert(db, entry):
                    added[pair[0]] = pair[1]
                count += 1
            near.add_many(db, added.items())
            if also is not None:
                also(db)
        return count

    def load(self, entries: Iterable[Entry], batch: int = 100_000) -> int:
        """Store or replace many entries, as ``record_many`` does, then write every stored entry's near rows anew
        table by table in code order (``near.fill``), all in one transaction, reading ``batch`` entries at a time;
        returns the count of entries given. Its cost grows with the whole archive: for building a large archive,
        not for a crawl's batches."""
        count = 0
        pending = iter(entries)
        with self._write() as db:
            while chunk := list(itertools.islice(pending, batch)):
                count += keys.upsert_many(db, chunk)
            db.execute("DELETE FROM near")
            near.fill(db)
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
