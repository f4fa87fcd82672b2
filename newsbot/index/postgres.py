"""``PostgresIndex``: the archive index in a PostgreSQL database that crawls on several machines share.

The same tables and near-duplicate search as the SQLite index (``newsbot.index.near``: 47 permuted tables, one
indexed lookup per table, so a query's cost hardly grows with the archive), through psycopg 3, every operation
one transaction. ``claims`` lets one worker at a time judge and store an article: a claim names the article's
key, its body hash and its 47 near-duplicate table codes (two articles within 6 bits share a code), has an
owner (one per process) and expires, so a worker killed while holding it blocks nobody for long.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import psycopg

from newsbot.fingerprint import hamming
from newsbot.index import keys, near
from newsbot.index.base import Candidates, Connected, Entry, Executes, to_signed, to_unsigned

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (id bigserial PRIMARY KEY, key text NOT NULL UNIQUE, path text NOT NULL,"
    " url text NOT NULL, body_hash text NOT NULL, simhash bigint NOT NULL, published text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_body_hash ON entries (body_hash)",
    "CREATE TABLE IF NOT EXISTS aliases (alias text PRIMARY KEY, key text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS near (code bigint NOT NULL, id bigint NOT NULL, simhash bigint NOT NULL,"
    " PRIMARY KEY (code, id))",
    "CREATE TABLE IF NOT EXISTS claims (claim text PRIMARY KEY, owner text NOT NULL, expires timestamptz NOT NULL)",
)
SCHEMA_LOCK = 0x6E657773626F74  # pg_advisory_xact_lock key: one worker creates the tables at a time
DEFAULT_CLAIM_SECONDS = 60.0
# Claims need not outlive a server crash (they expire anyway): their commits skip the wait for the WAL flush.
NOT_DURABLE = "SET LOCAL synchronous_commit = off"
PROCESS_OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
_UPSERT = (
    f"INSERT INTO entries ({keys.COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET"
    " path = excluded.path, url = coalesce(nullif(excluded.url, ''), entries.url),"
    " body_hash = excluded.body_hash, simhash = excluded.simhash, published = excluded.published RETURNING id"
)
_ADD_NEAR = (
    "INSERT INTO near VALUES (%s, %s, %s) ON CONFLICT (code, id) DO UPDATE SET simhash = excluded.simhash"
)


@functools.cache
def postgres_query(sql: str) -> str:
    """``sql`` written with SQLite's ``?`` parameters in psycopg's ``%s`` style (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class Statements:
    """What a write transaction runs SQL written for SQLite on (``Executes``): ``execute(sql, parameters)``
    returns the cursor, like ``sqlite3.Connection.execute``."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, parameters: tuple | list = ()) -> psycopg.Cursor:
        return self.connection.execute(postgres_query(sql), parameters)


def claim_names(key: str, body_hash: str, simhash: int) -> list[str]:
    """What storing an article claims: its key, its body hash and its near-duplicate table codes, sorted (so
    two workers claiming overlapping sets lock rows in one order and never deadlock)."""
    return sorted(
        [f"key:{key}", f"body:{body_hash}", *(f"near:{code}" for code in near.table_codes(simhash))]
    )


class PostgresIndex(Connected):
    """The archive index (``Index``) in the PostgreSQL database at ``url`` (``postgresql://...``).

    Raises ``psycopg.OperationalError`` when the server cannot be reached, at opening or in any operation.
    """

    def __init__(
        self, url: str, claim_seconds: float = DEFAULT_CLAIM_SECONDS, owner: str = PROCESS_OWNER
    ) -> None:
        self.url = url
        self.claim_seconds = claim_seconds
        self.owner = owner
        self.lock = threading.RLock()
        self.connection: psycopg.Connection | None = psycopg.connect(url, autocommit=True)
        with self._transaction() as tx:
            tx.connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for statement in SCHEMA:
                tx.connection.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Transaction]:
        """One transaction, alone on the connection: a thread's transaction waits for another's to end (the
        store records from a thread of its own while the crawl's thread releases claims)."""
        with self.lock:
            if self.connection is None:
                raise RuntimeError("the index is closed")
            with self.connection.transaction() as tx:
                yield tx

    def _one(self, query: str, params: tuple = ()) -> tuple | None:
        with self._transaction() as tx:
            return tx.connection.execute(query, params).fetchone()

    def knows(self, key: str) -> bool:
        """Whether ``key`` is stored or is another URL's key of a stored article."""
        row = self._one(
            "SELECT EXISTS (SELECT 1 FROM entries WHERE key = %s) OR EXISTS (SELECT 1 FROM aliases WHERE alias = %s)",
            (key, key),
        )
        return bool(row[0])

    def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, else the entry ``key`` is an alias of, else ``None``."""
        with self._transaction() as tx:
            db = tx.connection
            row = db.execute(f"SELECT {keys.COLUMNS} FROM entries WHERE key = %s", (key,)).fetchone()
            if row is None:
                row = db.execute(
                    f"SELECT {keys.COLUMNS} FROM entries WHERE key = (SELECT key FROM aliases WHERE alias = %s)",
                    (key,),
                ).fetchone()
        return keys.entry_of(row) if row else None

    def find_exact(self, body_hash: str) -> Entry | None:
        """A stored entry with this body hash, the first by key if several."""
        row = self._one(
            f"SELECT {keys.COLUMNS} FROM entries WHERE body_hash = %s ORDER BY key LIMIT 1", (body_hash,)
        )
        return keys.entry_of(row) if row else None

    def find_near(self, simhash: int, distance: int) -> list[Entry]:
        """Stored entries within ``distance`` bits of ``simhash``, nearest first (``near``'s permuted tables)."""
        if distance < 0:
            return []
        with self._transaction() as tx:
            db = tx.connection
            if distance > near.COVERED_DISTANCE and near.probe_count(distance) > near.FULL_SCAN_PROBES:
                candidates = db.execute("SELECT id, simhash FROM entries").fetchall()
            else:
                codes = near.table_codes(simhash)
                if distance > near.COVERED_DISTANCE:
                    flips = near.prefix_flips(distance)
                    codes = [code ^ flip for code, masks in zip(codes, flips, strict=True) for flip in masks]
                candidates = db.execute(
                    "SELECT id, simhash FROM near WHERE code = ANY(%s)", (codes,)
                ).fetchall()
            found = {
                entry_id: gap
                for entry_id, stored in candidates
                if (gap := hamming(simhash, to_unsigned(stored))) <= distance
            }
            rows = db.execute(
                f"SELECT id, {keys.COLUMNS} FROM entries WHERE id = ANY(%s)", (list(found),)
            ).fetchall()
        entries = [(found[row[0]], row[1], keys.entry_of(row[1:])) for row in rows]
        return [entry for _, _, entry in sorted(entries)]

    def candidates(self, key: str, body_hash: str, simhash: int, distance: int) -> Candidates:
        """``get``, ``find_exact`` and ``find_near`` in turn."""
        return Candidates(self.get(key), self.find_exact(body_hash), self.find_near(simhash, distance))

    def _insert(self, db: psycopg.Connection, entry: Entry) -> tuple[int, int] | None:
        """Store ``entry``; return its id and SimHash when its near rows are still to be added."""
        previous = db.execute("SELECT id, simhash FROM entries WHERE key = %s", (entry.key,)).fetchone()
        (entry_id,) = db.execute(
            _UPSERT,
            (entry.key, entry.path, entry.url, entry.body_hash, to_signed(entry.simhash), entry.published),
        ).fetchone()
        db.execute("DELETE FROM aliases WHERE alias = %s", (entry.key,))
        if previous is not None and to_unsigned(previous[1]) == entry.simhash:
            return None
        if previous is not None:
            codes = [row[0] for row in near.rows(previous[0], to_unsigned(previous[1]))]
            db.execute("DELETE FROM near WHERE id = %s AND code = ANY(%s)", (previous[0], codes))
        return entry_id, entry.simhash

    def _add_near(self, db: psycopg.Connection, pairs: Iterable[tuple[int, int]]) -> None:
        rows = sorted(row for entry_id, value in pairs for row in near.rows(entry_id, value))
        with db.cursor() as cursor:
            cursor.executemany(_ADD_NEAR, rows)

    def record(self, entry: Entry) -> None:
        """Store or replace ``entry`` in one transaction."""
        self.record_many([entry])

    def record_many(self, entries: Iterable[Entry], also: Callable[[Executes], None] | None = None) -> int:
        """Store or replace many entries in one transaction, with what ``also`` writes through ``Statements``
        (rows of another table of the database); return their count."""
        count = 0
        with self._transaction() as tx:
            added = []
            for entry in entries:
                if pair := self._insert(tx.connection, entry):
                    added.append(pair)
                count += 1
            self._add_near(tx.connection, added)
            if also is not None:
                also(Statements(tx.connection))
        return count

    def replace_all(self, entries: Iterable[Entry]) -> int:
        """Make the index hold exactly ``entries`` (read from the posts), in one transaction: URLs of entries
        already stored are kept, aliases of keys that are gone dropped. Readers see the old index until it commits.
        Returns the count of entries."""
        with self._transaction() as tx:
            db = tx.connection
            db.execute("CREATE TEMPORARY TABLE old_urls ON COMMIT DROP AS SELECT key, url FROM entries")
            db.execute("TRUNCATE entries, near RESTART IDENTITY")
            count = 0
            with db.cursor() as cursor:
                for entry in entries:
                    cursor.execute(
                        _UPSERT,
                        (
                            entry.key,
                            entry.path,
                            entry.url,
                            entry.body_hash,
                            to_signed(entry.simhash),
                            entry.published,
                        ),
                    )
                    count += 1
            db.execute(
                "UPDATE entries SET url = old_urls.url FROM old_urls WHERE entries.key = old_urls.key"
                " AND entries.url = ''"
            )
            db.execute(
                "DELETE FROM aliases WHERE key NOT IN (SELECT key FROM entries) OR alias IN (SELECT key FROM entries)"
            )
            for code in near.code_sql("simhash"):
                db.execute(f"INSERT INTO near SELECT {code}, id, simhash FROM entries")
        return count

    def alias(self, key: str, other_key: str) -> None:
        """Remember ``key`` as another key of the stored article ``other_key`` (following an alias one step)."""
        if key == other_key:
            return
        with self._transaction() as tx:
            tx.connection.execute(
                "INSERT INTO aliases VALUES (%s, coalesce((SELECT key FROM aliases WHERE alias = %s), %s))"
                " ON CONFLICT (alias) DO UPDATE SET key = excluded.key",
                (key, other_key, other_key),
            )

    def claim(self, key: str, body_hash: str, simhash: int) -> bool:
        """Claim the right to judge and store this article for ``claim_seconds``; ``False`` (nothing claimed)
        when another owner holds a live claim on its key, its body or a near-duplicate table code of it."""
        names = claim_names(key, body_hash, simhash)
        with self._transaction() as tx:
            tx.connection.execute(NOT_DURABLE)
            granted = tx.connection.execute(
                "INSERT INTO claims SELECT name, %s, now() + make_interval(secs => %s) FROM unnest(%s::text[]) AS name"
                " ON CONFLICT (claim) DO UPDATE SET owner = excluded.owner, expires = excluded.expires"
                " WHERE claims.expires < now() OR claims.owner = excluded.owner RETURNING claim",
                (self.owner, self.claim_seconds, names),
            ).fetchall()
            if len(granted) < len(names):
                raise psycopg.Rollback(tx)
            return True
        return False

    def release(self, key: str, body_hash: str, simhash: int) -> None:
        """Give up this owner's claim on an article (releasing twice is harmless)."""
        with self._transaction() as tx:
            tx.connection.execute(NOT_DURABLE)
            tx.connection.execute(
                "DELETE FROM claims WHERE claim = ANY(%s) AND owner = %s",
                (claim_names(key, body_hash, simhash), self.owner),
            )

    def entries(self) -> Iterator[Entry]:
        """Every stored entry, by key."""
        with self._transaction() as tx:
            rows = tx.connection.execute(f"SELECT {keys.COLUMNS} FROM entries ORDER BY key").fetchall()
        yield from map(keys.entry_of, rows)

    def alias_count(self) -> int:
        """How many other keys point at stored articles."""
        return self._one("SELECT count(*) FROM aliases")[0]

    def __len__(self) -> int:
        return self._one("SELECT count(*) FROM entries")[0]
