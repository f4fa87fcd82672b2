"""What a listing last said of each archived article (its ``mtime`` and title) and when it was last visited,
so a crawl requests an archived article again when the site corrected it; and which channel walks a run left
unfinished (table ``walks``: the listing page the walk still has to reach), so the next run pages that far even
where the first pages hold only archived articles. A crawl notes every walk it starts before it fetches
anything (``walk_at_least``) and settles them when it closes (``settle_walks``), so a run killed, or one that
could not write what it needed, leaves its walks open to their full depth.

Both live where the index is (``open_listed``): in the output folder's SQLite file (``ListedTable``, an
``IndexTable``: repaired, never mid-swap, reopened after a ``reindex``, which carries them over since they are
not derived from the posts) or in the PostgreSQL index every worker shares (``PostgresListedTable``).

A stored article's note travels with its item (``Article.listed``) and is written by the store in the very
transaction that indexes the article (``write_notes``, ``Index.record_many``'s ``also``): an archived article
always has its note, so a crawl killed at any moment never leaves one whose later corrections go unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newsbot.index import Executes, IndexTable
from newsbot.index.backends import open_table
from newsbot.index.pgtable import PostgresTable

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS listed (key TEXT PRIMARY KEY, modified INTEGER, title TEXT NOT NULL,"
    " visited TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS walks (channel TEXT PRIMARY KEY, page INTEGER NOT NULL) WITHOUT ROWID",
)
_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS listed (key text PRIMARY KEY, modified bigint, title text NOT NULL,"
    " visited text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS walks (channel text PRIMARY KEY, page integer NOT NULL)",
)


Note = tuple[str, datetime | None, str, datetime]
"""One row of the ``listed`` table: (key, listed ``mtime`` or ``None``, listed title, visited), times aware."""


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


def write_notes(db: Executes, notes: Iterable[Note]) -> None:
    """Store each note of ``notes`` in the ``listed`` table through ``db``, inside the caller's write transaction,
    replacing what was there."""
    for key, modified, title, visited in notes:
        db.execute(
            "INSERT INTO listed VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
            " modified = excluded.modified, title = excluded.title, visited = excluded.visited",
            (key, _stamp(modified), title, visited.astimezone(UTC).isoformat()),
        )


class Listed:
    """The queries on the ``listed`` and ``walks`` tables, the same on either database (``ListedTable``,
    ``PostgresListedTable``)."""

    TABLE = "listed"

    def get(self, key: str) -> Seen | None:
        """What the table holds for ``key``, else ``None``."""
        rows = self._select("SELECT modified, title, visited FROM listed WHERE key = ?", key)
        if not rows:
            return None
        modified, title, visited = rows[0]
        return Seen(
            None if modified is None else datetime.fromtimestamp(modified, UTC),
            title,
            datetime.fromisoformat(visited),
        )

    def note(self, key: str, modified: datetime | None, title: str, visited: datetime) -> None:
        """Store what a listing said of ``key`` and when it was visited, replacing what was there."""
        self.note_many([(key, modified, title, visited)])

    def note_many(self, notes: Iterable[Note]) -> None:
        """``note`` each (key, modified, title, visited) of ``notes``, in one transaction."""
        with self._write() as db:
            write_notes(db, notes)

    def open_walks(self) -> dict[str, int]:
        """Each channel whose last walk did not finish, with the listing page it still has to reach."""
        return dict(self._select("SELECT channel, page FROM walks"))

    def walk_at_least(self, pages: Mapping[str, int]) -> None:
        """Note, in one transaction, that the walk of each channel of ``pages`` has to reach at least that
        listing page (a page already noted deeper is kept)."""
        with self._write() as db:
            for channel, page in pages.items():
                db.execute(
                    "INSERT INTO walks VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET page = CASE"
                    " WHEN excluded.page > walks.page THEN excluded.page ELSE walks.page END",
                    (channel, page),
                )

    def settle_walks(self, ends: Mapping[str, int | None]) -> None:
        """Note, in one transaction, how each channel's walk of ``ends`` ended: finished (``None``, its note
        removed) or the listing page the next run still has to reach."""
        with self._write() as db:
            for channel, page in ends.items():
                if page is None:
                    db.execute("DELETE FROM walks WHERE channel = ?", (channel,))
                else:
                    db.execute(
                        "INSERT INTO walks VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET page = excluded.page",
                        (channel, page),
                    )


class ListedTable(Listed, IndexTable):
    """The ``listed`` and ``walks`` tables of an output folder's SQLite index file (``IndexTable``)."""

    SCHEMA = _SCHEMA


class PostgresListedTable(Listed, PostgresTable):
    """The ``listed`` and ``walks`` tables of the PostgreSQL index at ``url`` (``PostgresTable``)."""

    SCHEMA = _POSTGRES_SCHEMA


def open_listed(
    output_dir: Path | str, settings: Mapping[str, Any] | None = None
) -> ListedTable | PostgresListedTable:
    """The listed articles and open walks of the archive in ``output_dir``, in PostgreSQL when
    ``NEWSBOT_INDEX_URL`` is set, else in the folder's index file."""
    return open_table(ListedTable, PostgresListedTable, output_dir, settings)
