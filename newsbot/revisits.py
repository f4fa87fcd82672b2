"""What a listing last said of each archived article (its ``mtime`` and title) and when it was last visited,
so a crawl requests an archived article again when the site corrected it; and which channel walks a run left
unfinished (table ``walks``: the listing page the walk still has to reach), so the next run pages that far even
where the first pages hold only archived articles.

The table ``listed`` lives in the index database, opened through ``newsbot.index.IndexTable`` like
``ArchiveIndex``: repaired, never mid-swap, reopened after a ``reindex``, one ``BEGIN IMMEDIATE`` per write. It is not derived from the
posts, so a rebuild of the index carries it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsbot.index import IndexTable

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS listed (key TEXT PRIMARY KEY, modified INTEGER, title TEXT NOT NULL,"
    " visited TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS walks (channel TEXT PRIMARY KEY, page INTEGER NOT NULL) WITHOUT ROWID",
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


class ListedTable(IndexTable):
    """The ``listed`` table of one output folder's index file (``IndexTable``)."""

    TABLE = "listed"
    SCHEMA = _SCHEMA

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
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO listed VALUES (?, ?, ?, ?)",
                (key, _stamp(modified), title, visited.astimezone(UTC).isoformat()),
            )

    def open_walks(self) -> dict[str, int]:
        """Each channel whose last walk did not finish, with the listing page it still has to reach."""
        return dict(self._db().execute("SELECT channel, page FROM walks").fetchall())

    def walking(self, channel: str, page: int) -> None:
        """Note that the walk of ``channel`` goes on to listing ``page`` (kept until ``walked``)."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO walks VALUES (?, ?)", (channel, page))

    def walked(self, channel: str) -> None:
        """Note that the walk of ``channel`` finished."""
        with self._write() as db:
            db.execute("DELETE FROM walks WHERE channel = ?", (channel,))
