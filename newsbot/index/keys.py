"""Entries and aliases: which article each key names, in SQL over one connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from newsbot.index.base import Entry, to_signed, to_unsigned

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, path TEXT NOT NULL,"
    " url TEXT NOT NULL, body_hash TEXT NOT NULL, simhash INTEGER NOT NULL, published TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_body_hash ON entries (body_hash)",
    "CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID",
)
COLUMNS = "key, path, url, body_hash, simhash, published"


def entry_of(row: tuple) -> Entry:
    """The entry of an ``entries`` row selected as ``COLUMNS``."""
    key, path, url, body_hash, simhash, published = row
    return Entry(key, path, url, body_hash, to_unsigned(simhash), published)


def knows(db: sqlite3.Connection, key: str) -> bool:
    """Whether ``key`` is stored or is another URL's key of a stored article."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM entries WHERE key = ?) OR EXISTS (SELECT 1 FROM aliases WHERE alias = ?)",
        (key, key),
    ).fetchone()
    return bool(row[0])


def get(db: sqlite3.Connection, key: str) -> Entry | None:
    """The entry stored under ``key``, else the entry ``key`` is an alias of, else ``None``."""
    row = db.execute(
        f"SELECT {COLUMNS} FROM entries WHERE key = ?1 UNION ALL"
        f" SELECT {COLUMNS} FROM entries WHERE key = (SELECT key FROM aliases WHERE alias = ?1) LIMIT 1",
        (key,),
    ).fetchone()
    return entry_of(row) if row else None


def by_ids(db: sqlite3.Connection, ids: list[int]) -> dict[int, Entry]:
    """The entries with these row ids, by id."""
    found: dict[int, Entry] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(f"SELECT id, {COLUMNS} FROM entries WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
        found.update((row[0], entry_of(row[1:])) for row in rows)
    return found


def find_exact(db: sqlite3.Connection, body_hash: str) -> Entry | None:
    """A stored entry with this body hash, the first by key if several."""
    row = db.execute(
        f"SELECT {COLUMNS} FROM entries WHERE body_hash = ? ORDER BY key LIMIT 1", (body_hash,)
    ).fetchone()
    return entry_of(row) if row else None


def stored(db: sqlite3.Connection, key: str) -> tuple[int, int] | None:
    """The row id and (unsigned) SimHash stored under ``key``, ``None`` if the key is not stored."""
    row = db.execute("SELECT id, simhash FROM entries WHERE key = ?", (key,)).fetchone()
    return (row[0], to_unsigned(row[1])) if row else None


_UPSERT = (
    f"INSERT INTO entries ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
    " path = excluded.path, url = coalesce(nullif(excluded.url, ''), url), body_hash = excluded.body_hash,"
    " simhash = excluded.simhash, published = excluded.published"
)


def _values(entry: Entry) -> tuple[str, str, str, str, int, str]:
    return entry.key, entry.path, entry.url, entry.body_hash, to_signed(entry.simhash), entry.published


def upsert(db: sqlite3.Connection, entry: Entry) -> int:
    """Store or replace ``entry`` and return its row id; an empty URL keeps the stored one; ``entry.key``
    stops being an alias."""
    (entry_id,) = db.execute(f"{_UPSERT} RETURNING id", _values(entry)).fetchone()
    db.execute("DELETE FROM aliases WHERE alias = ?", (entry.key,))
    return entry_id


def upsert_many(db: sqlite3.Connection, entries: Iterable[Entry]) -> int:
    """``upsert`` for many entries, without their row ids (near rows are then written by ``near.fill``);
    returns their count."""
    values = [_values(entry) for entry in entries]
    db.executemany(_UPSERT, values)
    db.executemany("DELETE FROM aliases WHERE alias = ?", [(key,) for key, *_ in values])
    return len(values)


def add_alias(db: sqlite3.Connection, key: str, other_key: str) -> None:
    """Remember ``key`` as another key of ``other_key``'s article (following an alias one step)."""
    target = db.execute("SELECT key FROM aliases WHERE alias = ?", (other_key,)).fetchone()
    db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?)", (key, target[0] if target else other_key))
