"""What a listing last said of each archived article (its ``mtime`` and title) and when it was last visited,
so a crawl requests an archived article again when the site corrected it.

The table ``listed`` lives in the index database (``newsbot.index.index_path``), opened like ``ArchiveIndex``
opens it: WAL, one ``BEGIN IMMEDIATE`` transaction per write, a busy timeout. It is not derived from the
posts, so a rebuild of the index carries it over.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsbot.index import BUSY_TIMEOUT, index_path

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS listed (key TEXT PRIMARY KEY, modified INTEGER, title TEXT NOT NULL,"
    " visited TEXT NOT NULL) WITHOUT ROWID"
)


@dataclass(frozen=True, slots=True)
class Seen:
    """What the table holds for one key: the listed ``mtime`` (UTC, ``None`` if the listing gave none), the
    listed title and when the article was last requested (or first noted, for one archived before)."""

    modified: datetime | None
    title: str
    visited: datetime


def needs_revisit(
    modified: datetime | None,
    title: str,
    published: datetime | None,
    seen: Seen,
    now: datetime,
    recent: timedelta,
    interval: timedelta,
) -> bool:
    """Whether a listing of an archived article calls for requesting it again.

    Yes when the listing shows a newer ``mtime`` than ``seen`` or another (non-empty) title; where it shows
    no ``mtime``, when the article was published within ``recent`` of ``now`` and last visited at least
    ``interval`` ago.
    """
    if modified is not None and seen.modified is not None and modified > seen.modified:
        return True
    if title and seen.title and title != seen.title:
        return True
    if modified is None and published is not None and now - published <= recent:
        return now - seen.visited >= interval
    return False


def _stamp(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


class ListedTable:
    """The ``listed`` table of one output folder's index database."""

    def __init__(self, output_dir: Path | str) -> None:
        path = index_path(Path(output_dir))
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection: sqlite3.Connection | None = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT, isolation_level=None
        )
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self._write(_SCHEMA, ())

    def _db(self) -> sqlite3.Connection:
        if self.connection is None:
            raise RuntimeError("the listed table is closed")
        return self.connection

    def _write(self, statement: str, parameters: tuple) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(statement, parameters)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def get(self, key: str) -> Seen | None:
        """What the table holds for ``key``, else ``None``."""
        row = (
            self._db().execute("SELECT modified, title, visited FROM listed WHERE key = ?", (key,)).fetchone()
        )
        if row is None:
            return None
        modified, title, visited = row
        return Seen(
            None if modified is None else datetime.fromtimestamp(modified, UTC),
            title,
            datetime.fromisoformat(visited),
        )

    def note(self, key: str, modified: datetime | None, title: str, visited: datetime) -> None:
        """Store what a listing said of ``key`` and when it was visited, replacing what was there."""
        self._write(
            "INSERT OR REPLACE INTO listed VALUES (?, ?, ?, ?)",
            (key, _stamp(modified), title, visited.astimezone(UTC).isoformat()),
        )

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
