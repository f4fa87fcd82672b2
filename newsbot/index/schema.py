"""The index's tables and their layout version (``PRAGMA user_version``).

Version 2 (newsbot 0.3.0): entries with row ids, permuted near-duplicate tables, SimHash over XXH3 shingle
hashes. An index of an older layout (0.2.0: version 0 with an ``entries`` table) holds SimHashes of another
hash, so it is rebuilt from the posts (``newsbot.index.rebuild.upgrade``), not converted.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newsbot.index import keys, near

VERSION = 2


def outdated(path: Path) -> bool:
    """Whether the index file at ``path`` holds entries in an older layout than ``VERSION``."""
    if not path.exists():
        return False
    db = sqlite3.connect(path, isolation_level=None)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_entries = db.execute(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'entries')"
        ).fetchone()[0]
    finally:
        db.close()
    return version < VERSION and bool(has_entries)


def prepare(db: sqlite3.Connection) -> None:
    """Create the index's tables where missing and mark the layout version (inside the caller's transaction)."""
    for statement in (*keys.SCHEMA, *near.SCHEMA):
        db.execute(statement)
    if db.execute("PRAGMA user_version").fetchone()[0] < VERSION:
        db.execute(f"PRAGMA user_version = {VERSION}")
