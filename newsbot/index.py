"""The archive index: which articles the output folder holds, by key, body hash and SimHash band.

One SQLite file in WAL mode at ``<output>/.newsbot/index.sqlite3``. Every write is one short
``BEGIN IMMEDIATE`` transaction, so a crawl killed at any moment leaves the last committed state and two
crawls sharing a folder wait for each other (``busy_timeout``) instead of failing. Near-duplicate lookup
cuts the 64-bit SimHash into four 16-bit bands, each an indexed row: two hashes within ``d`` bits differ in
at most ``d // 4`` bits of some band, so a query probes each band's value and its neighbours within that
radius (17 probes a band for ``d`` up to 7), each a B-tree seek.
The posts stay the source of truth; ``rebuild`` refills the index from them.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path

import frontmatter

from newsbot.fingerprint import BITS, body_text, exact_fingerprint, hamming, simhash
from newsbot.identity import key_from_post_path
from newsbot.post import split
from newsbot.storage import HISTORY_DIR

INDEX_DIR = ".newsbot"
INDEX_FILE = "index.sqlite3"
BANDS = 4
BAND_BITS = 16
BUSY_TIMEOUT = 60.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, path TEXT NOT NULL, url TEXT NOT NULL,"
    " body_hash TEXT NOT NULL, simhash INTEGER NOT NULL, published TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS entries_body_hash ON entries (body_hash)",
    "CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, value INTEGER NOT NULL, key TEXT NOT NULL,"
    " simhash INTEGER NOT NULL, PRIMARY KEY (band, value, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID",
)
_PROBES_PER_QUERY = 500
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


def band_values(simhash: int) -> list[int]:
    """``simhash`` cut into ``BANDS`` runs of ``BAND_BITS`` bits, lowest bits first."""
    value = to_unsigned(simhash)
    return [(value >> (band * BAND_BITS)) & ((1 << BAND_BITS) - 1) for band in range(BANDS)]


def band_probes(simhash: int, radius: int) -> list[list[int]]:
    """Per band, every value within ``radius`` bits of ``simhash``'s value in that band."""
    flips = [
        sum(1 << bit for bit in bits)
        for size in range(min(radius, BAND_BITS) + 1)
        for bits in itertools.combinations(range(BAND_BITS), size)
    ]
    return [[value ^ flip for flip in flips] for value in band_values(simhash)]


def index_path(output_dir: Path) -> Path:
    """Where the index of an output folder lives."""
    return Path(output_dir) / INDEX_DIR / INDEX_FILE


def _entry(row: tuple) -> Entry:
    key, path, url, body_hash, simhash, published = row
    return Entry(key, path, url, body_hash, to_unsigned(simhash), published)


class ArchiveIndex:
    """The persistent index of one output folder."""

    def __init__(self, output_dir: Path | str) -> None:
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

    @staticmethod
    def _band_rows(key: str, simhash: int) -> Iterator[tuple[int, int, str, int]]:
        for band, value in enumerate(band_values(simhash)):
            yield band, value, key, to_signed(simhash)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _db(self) -> sqlite3.Connection:
        if self.connection is None:
            raise RuntimeError(f"the index {self.path} is closed")
        return self.connection

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
        db = self._db()
        found: dict[str, int] = {}
        for band, values in enumerate(band_probes(simhash, distance // BANDS)):
            for start in range(0, len(values), _PROBES_PER_QUERY):
                chunk = values[start : start + _PROBES_PER_QUERY]
                rows = db.execute(
                    f"SELECT key, simhash FROM bands WHERE band = ? AND value IN ({', '.join('?' * len(chunk))})",
                    (band, *chunk),
                )
                for key, stored in rows:
                    if (gap := hamming(simhash, stored)) <= distance:
                        found[key] = gap
        return [self.get(key) for key in sorted(found, key=lambda key: (found[key], key))]

    def _insert(self, db: sqlite3.Connection, entry: Entry) -> None:
        previous = db.execute("SELECT simhash FROM entries WHERE key = ?", (entry.key,)).fetchone()
        if previous is not None:
            db.executemany(
                "DELETE FROM bands WHERE band = ? AND value = ? AND key = ?",
                [row[:3] for row in self._band_rows(entry.key, previous[0])],
            )
        db.execute(
            f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
            " path = excluded.path, url = coalesce(nullif(excluded.url, ''), url), body_hash = excluded.body_hash,"
            " simhash = excluded.simhash, published = excluded.published",
            (entry.key, entry.path, entry.url, entry.body_hash, to_signed(entry.simhash), entry.published),
        )
        db.executemany(
            "INSERT OR REPLACE INTO bands VALUES (?, ?, ?, ?)", self._band_rows(entry.key, entry.simhash)
        )
        db.execute("DELETE FROM aliases WHERE alias = ?", (entry.key,))

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
        if key == other_key:
            return
        with self._write() as db:
            target = db.execute("SELECT key FROM aliases WHERE alias = ?", (other_key,)).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO aliases VALUES (?, ?)", (key, target[0] if target else other_key)
            )

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
            db.execute("DELETE FROM bands WHERE key NOT IN (SELECT key FROM seen)")
            db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM seen)")
            db.execute("DELETE FROM aliases WHERE key NOT IN (SELECT key FROM entries)")
            db.execute("DELETE FROM seen")
        return count

    def entries(self) -> Iterator[Entry]:
        """Every stored entry, by key."""
        yield from map(_entry, self._db().execute(f"SELECT {_COLUMNS} FROM entries ORDER BY key"))

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


def entry_from_post(root: Path, path: Path) -> Entry:
    """The entry of the post at ``path`` under the output folder ``root``, read from the post alone.

    Raises ``ValueError`` for a file that is not a post.
    """
    text = path.read_text(encoding="utf-8")
    front, inner = split(text)
    published = parsedate_to_datetime(frontmatter.loads(front + "\n")["date"])
    relpath = path.relative_to(root).as_posix()
    body = body_text(inner)
    return Entry(
        key=key_from_post_path(relpath),
        path=relpath,
        url="",
        body_hash=exact_fingerprint(body),
        simhash=simhash(body),
        published=published.astimezone(UTC).isoformat(),
    )


def post_paths(root: Path) -> Iterator[Path]:
    """Every post under the output folder, in name order, skipping previous versions and newsbot's own files."""
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if name not in (HISTORY_DIR, INDEX_DIR))
        for name in sorted(files):
            if name.endswith(".md"):
                yield Path(folder) / name
