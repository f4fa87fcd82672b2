"""The index's tables and their version: created when missing, migrated from older layouts in one transaction."""

from __future__ import annotations

import sqlite3

from newsbot.index import keys, near

VERSION = 2
_MIGRATION_BATCH = 10_000


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def _from_0_2_0(db: sqlite3.Connection) -> int:
    """0.2.0 kept entries by key and SimHash bands; carry the entries over and fill the near tables."""
    db.execute("DROP INDEX IF EXISTS entries_body_hash")
    db.execute("ALTER TABLE entries RENAME TO entries_0_2_0")
    for statement in (*keys.SCHEMA, *near.SCHEMA):
        db.execute(statement)
    db.execute(
        f"INSERT INTO entries ({keys.COLUMNS}) SELECT {keys.COLUMNS} FROM entries_0_2_0 ORDER BY key"
    )
    db.execute("DROP TABLE entries_0_2_0")
    db.execute("DROP TABLE IF EXISTS bands")
    rows = db.execute("SELECT id, simhash FROM entries").fetchall()
    for start in range(0, len(rows), _MIGRATION_BATCH):
        near.add_many(db, rows[start : start + _MIGRATION_BATCH])
    return len(rows)


def prepare(db: sqlite3.Connection) -> str | None:
    """Create the index's tables, migrating an older layout inside the caller's write transaction.

    Returns a line saying what was migrated, ``None`` when nothing was.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= VERSION:
        return None
    message = None
    if "entries" in _tables(db):
        count = _from_0_2_0(db)
        message = f"migrated the index from newsbot 0.2.0's layout ({count} entries, near-duplicate tables rebuilt)"
    for statement in (*keys.SCHEMA, *near.SCHEMA):
        db.execute(statement)
    db.execute(f"PRAGMA user_version = {VERSION}")
    return message
