"""The archive index: which articles the output folder holds, by key, body hash and SimHash band.

One SQLite file in WAL mode at ``<output>/.newsbot/index.sqlite3``. Every write is one short
``BEGIN IMMEDIATE`` transaction, so a crawl killed at any moment leaves the last committed state and two
crawls sharing a folder wait for each other (``busy_timeout``) instead of failing. Near-duplicate lookup
splits the 64-bit SimHash into ``distance + 1`` bands, each an indexed row: two hashes within
``distance`` bits agree on at least one band, so a query reads a few B-tree pages, whatever the archive size.
The posts stay the source of truth; ``rebuild`` refills the index from them.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from newsbot.fingerprint import BITS, hamming
from newsbot.settings import NEWSBOT_NEAR_DUPLICATE_DISTANCE

logger = logging.getLogger(__name__)

INDEX_DIR = ".newsbot"
INDEX_FILE = "index.sqlite3"
SCHEMA_VERSION = "1"
BUSY_TIMEOUT = 60.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, path TEXT NOT NULL, url TEXT NOT NULL,"
    " body_hash TEXT NOT NULL, simhash INTEGER NOT NULL, published TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS entries_body_hash ON entries (body_hash)",
    "CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, value INTEGER NOT NULL, key TEXT NOT NULL,"
    " PRIMARY KEY (band, value, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID",
)
_COLUMNS = "key, path, url, body_hash, simhash, published"


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored article: its key, post path (relative to the output folder), URL and fingerprints."""

    key: str
    path: str
    url: str
    body_hash: str
    simhash: int
    published: str


def to_signed(value: int) -> int:
    """A 64-bit hash as SQLite's signed 64-bit integer."""
    value &= (1 << BITS) - 1
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def to_unsigned(value: int) -> int:
    """A signed 64-bit integer back as the unsigned hash."""
    return value & ((1 << BITS) - 1)


def band_values(simhash: int, bands: int) -> list[int]:
    """``simhash`` cut into ``bands`` runs of (nearly) equal bit width, lowest bits first."""
    value = to_unsigned(simhash)
    values = []
    start = 0
    for band in range(bands):
        width = BITS // bands + (band < BITS % bands)
        values.append((value >> start) & ((1 << width) - 1))
        start += width
    return values


def index_path(output_dir: Path) -> Path:
    """Where the index of an output folder lives."""
    return Path(output_dir) / INDEX_DIR / INDEX_FILE


def _entry(row: tuple) -> Entry:
    key, path, url, body_hash, simhash, published = row
    return Entry(key, path, url, body_hash, to_unsigned(simhash), published)


class ArchiveIndex:
    """The persistent index of one output folder; ``distance`` is the widest near-duplicate query it serves."""

    def __init__(self, output_dir: Path | str, distance: int | None = None) -> None:
        self.path = index_path(Path(output_dir))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT, isolation_level=None
        )
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        with self._write() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            self.bands = self._prepare_bands(db, distance)

    def _prepare_bands(self, db: sqlite3.Connection, distance: int | None) -> int:
        row = db.execute("SELECT value FROM meta WHERE name = 'bands'").fetchone()
        stored = int(row[0]) if row else None
        wanted = (distance if distance is not None else NEWSBOT_NEAR_DUPLICATE_DISTANCE) + 1
        if stored is not None and (distance is None or wanted <= stored):
            return stored
        if wanted > BITS:
            raise ValueError(f"near-duplicate distance {wanted - 1} is wider than a {BITS}-bit hash")
        if stored is not None:
            logger.info("re-banding the index for near-duplicate distance %d", wanted - 1)
        db.execute("DELETE FROM bands")
        rows = db.execute("SELECT key, simhash FROM entries")
        db.executemany("INSERT INTO bands VALUES (?, ?, ?)", self._band_rows(rows, wanted))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('bands', ?)", (str(wanted),))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        return wanted

    @staticmethod
    def _band_rows(pairs: Iterable[tuple[str, int]], bands: int) -> Iterator[tuple[int, int, str]]:
        for key, simhash in pairs:
            for band, value in enumerate(band_values(simhash, bands)):
                yield band, value, key

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _db(self) -> sqlite3.Connection:
        if self.connection is None:
            raise RuntimeError(f"the index {self.path} is closed")
        return self.connection

    @property
    def distance(self) -> int:
        """The widest Hamming distance ``find_near`` answers."""
        return self.bands - 1

    def knows(self, key: str) -> bool:
        """Whether ``key`` is stored or is another URL's key of a stored article."""
        row = (
            self._db()
            .execute(
                "SELECT EXISTS (SELECT 1 FROM entries WHERE key = ?) OR EXISTS (SELECT 1 FROM aliases WHERE alias = ?)",
                (key, key),
            )
            .fetchone()
        )
        return bool(row[0])

    def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, else the entry ``key`` is an alias of, else ``None``."""
        db = self._db()
        row = db.execute(f"SELECT {_COLUMNS} FROM entries WHERE key = ?", (key,)).fetchone()
        if row is None:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE key = (SELECT key FROM aliases WHERE alias = ?)",
                (key,),
            ).fetchone()
        return _entry(row) if row else None

    def find_exact(self, body_hash: str) -> Entry | None:
        """A stored entry with this body hash, the first stored if several."""
        row = (
            self._db()
            .execute(f"SELECT {_COLUMNS} FROM entries WHERE body_hash = ? ORDER BY key LIMIT 1", (body_hash,))
            .fetchone()
        )
        return _entry(row) if row else None

    def find_near(self, simhash: int, distance: int) -> list[Entry]:
        """Stored entries within ``distance`` bits of ``simhash``, nearest first."""
        if distance > self.distance:
            raise ValueError(f"the index answers distances up to {self.distance}, not {distance}")
        values = band_values(simhash, self.bands)
        pairs = " OR ".join("(band = ? AND value = ?)" for _ in values)
        parameters = [item for pair in enumerate(values) for item in pair]
        rows = self._db().execute(
            f"SELECT {_COLUMNS} FROM entries WHERE key IN (SELECT key FROM bands WHERE {pairs})", parameters
        )
        found = [(hamming(simhash, entry.simhash), entry.key, entry) for entry in map(_entry, rows)]
        return [entry for gap, _, entry in sorted(found) if gap <= distance]

    def _insert(self, db: sqlite3.Connection, entry: Entry) -> None:
        previous = db.execute("SELECT simhash FROM entries WHERE key = ?", (entry.key,)).fetchone()
        if previous is not None:
            db.executemany(
                "DELETE FROM bands WHERE band = ? AND value = ? AND key = ?",
                self._band_rows([(entry.key, previous[0])], self.bands),
            )
        db.execute(
            f"INSERT OR REPLACE INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (entry.key, entry.path, entry.url, entry.body_hash, to_signed(entry.simhash), entry.published),
        )
        db.executemany(
            "INSERT OR IGNORE INTO bands VALUES (?, ?, ?)",
            self._band_rows([(entry.key, entry.simhash)], self.bands),
        )
        db.execute("DELETE FROM aliases WHERE alias = ?", (entry.key,))

    def record(self, entry: Entry) -> None:
        """Store or replace ``entry`` in one transaction."""
        with self._write() as db:
            self._insert(db, entry)

    def alias(self, key: str, other_key: str) -> None:
        """Remember ``key`` as another key of the stored article ``other_key``."""
        if key == other_key:
            return
        with self._write() as db:
            target = db.execute("SELECT key FROM aliases WHERE alias = ?", (other_key,)).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO aliases VALUES (?, ?)", (key, target[0] if target else other_key)
            )

    def rebuild(self, entries: Iterable[Entry]) -> int:
        """Replace every entry with ``entries`` in one transaction; keep aliases of kept keys; return the count."""
        count = 0
        with self._write() as db:
            db.execute("DELETE FROM entries")
            db.execute("DELETE FROM bands")
            for entry in entries:
                self._insert(db, entry)
                count += 1
            db.execute("DELETE FROM aliases WHERE key NOT IN (SELECT key FROM entries)")
        return count

    def entries(self) -> Iterator[Entry]:
        """Every stored entry, by key."""
        yield from map(_entry, self._db().execute(f"SELECT {_COLUMNS} FROM entries ORDER BY key"))

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
