"""The failed-article ledger: articles a crawl asked for and has not archived yet, with their next try.

One table, ``failures``, in the archive index: the output folder's SQLite file (``index_path``), so it travels
with the archive and ``newsbot reindex`` carries it over, or the PostgreSQL index every worker shares
(``NEWSBOT_INDEX_URL``), so one worker's outcome settles the article for all. A row is written when an article is requested (``attempts`` 0: a run
killed before the outcome leaves it due), updated when the article fails (``attempts`` + 1, ``next_try`` at
the next run after a first failure, then after an exponential backoff) and deleted once the archive holds
it. After ``max_attempts`` failures, or at once for a failure a retry cannot change, it stays with
``given_up`` = 1 for the user to see.
``open_ledger`` opens the one the settings name: ``FailureLedger`` (``IndexTable``: repaired, never mid-swap,
reopened after a ``reindex``, every write one short ``BEGIN IMMEDIATE`` transaction) or ``PostgresFailureLedger``
(``PostgresTable``: every read and write one transaction).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem

from newsbot.index import IndexTable
from newsbot.index.backends import index_locations, open_table
from newsbot.index.pgtable import PostgresTable

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_BACKOFF = 3600.0
REQUESTED = "requested; no outcome yet"
MISSING_POST = "post missing from the archive"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS failures (key TEXT PRIMARY KEY, url TEXT NOT NULL, source TEXT NOT NULL,"
    " context TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL,"
    " first_failed TEXT NOT NULL, last_failed TEXT NOT NULL, next_try TEXT, given_up INTEGER NOT NULL DEFAULT 0)"
    " WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS failures_due ON failures (source, given_up, next_try)",
)
_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS failures (key text PRIMARY KEY, url text NOT NULL, source text NOT NULL,"
    " context text NOT NULL DEFAULT '{}', attempts integer NOT NULL DEFAULT 0, last_error text NOT NULL,"
    " first_failed text NOT NULL, last_failed text NOT NULL, next_try text, given_up integer NOT NULL DEFAULT 0)",
    _SCHEMA[1],
)
_COLUMNS = "key, url, source, context, attempts, last_error, first_failed, last_failed, next_try, given_up"


class RetryLater(DropItem):
    """An item dropped for a cause a later run may not meet (a full disk, a locked index): the ledger retries it."""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One article the archive still lacks; times are ISO 8601 UTC, ``next_try`` ``None`` once given up."""

    key: str
    url: str
    source: str
    context: dict[str, Any]
    attempts: int
    last_error: str
    first_failed: str
    last_failed: str
    next_try: str | None
    given_up: bool

    @property
    def interrupted(self) -> bool:
        """Whether it was requested and never failed: its run stopped before the outcome."""
        return self.attempts == 0 and self.last_error == REQUESTED


def _entry(row: tuple) -> LedgerEntry:
    key, url, source, context, attempts, last_error, first, last, next_try, given_up = row
    return LedgerEntry(
        key, url, source, json.loads(context), attempts, last_error, first, last, next_try, bool(given_up)
    )


def utc_now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def backoff(attempts: int, base: float) -> timedelta:
    """The wait after the ``attempts``-th failure: none after the first (the next run asks again), then
    ``base`` seconds, doubled after each further failure."""
    return timedelta(seconds=0 if attempts <= 1 else base * 2 ** (attempts - 2))


class Ledger:
    """The ledger's queries on the ``failures`` table, the same on either database (``FailureLedger``,
    ``PostgresFailureLedger``); closes with ``close`` or its ``with`` block."""

    TABLE = "failures"

    def get(self, key: str) -> LedgerEntry | None:
        """The entry of ``key``, else ``None``."""
        rows = self._select(f"SELECT {_COLUMNS} FROM failures WHERE key = ?", key)
        return _entry(rows[0]) if rows else None

    def requested(
        self, key: str, url: str, source: str, context: dict[str, Any], now: datetime, error: str = REQUESTED
    ) -> None:
        """Note that ``key`` is asked for; an existing entry keeps its attempts, a new one is due at once."""
        self.requested_many([(key, url, context)], source, now, error)

    def requested_many(
        self,
        articles: Iterable[tuple[str, str, dict[str, Any]]],
        source: str,
        now: datetime,
        error: str = REQUESTED,
    ) -> None:
        """``requested`` for each (key, URL, context) of ``articles``, in one transaction."""
        stamp = now.isoformat()
        with self._write() as db:
            for key, url, context in articles:
                db.execute(
                    f"INSERT INTO failures ({_COLUMNS}) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, 0) ON CONFLICT (key)"
                    " DO UPDATE SET url = excluded.url, source = excluded.source,"
                    " context = CASE WHEN excluded.context = '{}' THEN failures.context ELSE excluded.context END",
                    (key, url, source, json.dumps(context, ensure_ascii=False), error, stamp, stamp, stamp),
                )

    def failed(
        self, key: str, error: str, now: datetime, retryable: bool, max_attempts: int, base: float
    ) -> tuple[LedgerEntry, bool] | None:
        """Count one failure of ``key`` (requested before) and set its next try.

        It is given up when not ``retryable`` or at ``max_attempts`` failures. Returns the entry and whether
        this failure gave it up; ``None`` for a key the ledger does not hold.
        """
        with self._write() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM failures WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            entry = _entry(row)
            attempts = entry.attempts + 1
            given_up = entry.given_up or not retryable or attempts >= max_attempts
            next_try = None if given_up else (now + backoff(attempts, base)).isoformat()
            first = entry.first_failed if entry.attempts else now.isoformat()
            db.execute(
                "UPDATE failures SET attempts = ?, last_error = ?, first_failed = ?, last_failed = ?, next_try = ?,"
                " given_up = ? WHERE key = ?",
                (attempts, error, first, now.isoformat(), next_try, int(given_up), key),
            )
        updated = LedgerEntry(
            key,
            entry.url,
            entry.source,
            entry.context,
            attempts,
            error,
            first,
            now.isoformat(),
            next_try,
            given_up,
        )
        return updated, given_up and not entry.given_up

    def remove(self, key: str) -> None:
        """Remove ``key``: the archive holds it, or it is no longer asked for."""
        self.remove_many([key])

    def remove_many(self, keys: Iterable[str]) -> None:
        """``remove`` each of ``keys``, in one transaction."""
        with self._write() as db:
            for key in keys:
                db.execute("DELETE FROM failures WHERE key = ?", (key,))

    def due(self, source: str, now: datetime) -> list[LedgerEntry]:
        """The entries of ``source`` not given up whose next try has come, the longest waiting first."""
        rows = self._select(
            f"SELECT {_COLUMNS} FROM failures WHERE source = ? AND given_up = 0 AND next_try <= ?"
            " ORDER BY next_try, key",
            source,
            now.isoformat(),
        )
        return [_entry(row) for row in rows]

    def entries(self) -> list[LedgerEntry]:
        """Every entry, waiting ones first, each group by next try then key."""
        return [
            _entry(row)
            for row in self._select(f"SELECT {_COLUMNS} FROM failures ORDER BY given_up, next_try, key")
        ]

    def retry_given_up(self, now: datetime, source: str | None = None) -> list[LedgerEntry]:
        """Make the given-up entries (of ``source``, else all) due at ``now`` with their attempts reset, so the
        next crawl of their source asks for them again up to ``max_attempts`` times; returns them as they were."""
        where, parameters = ("given_up = 1 AND source = ?", (source,)) if source else ("given_up = 1", ())
        with self._write() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM failures WHERE {where} ORDER BY source, key", parameters)
            entries = [_entry(row) for row in rows.fetchall()]
            db.execute(
                f"UPDATE failures SET attempts = 0, given_up = 0, next_try = ? WHERE {where}",
                (now.isoformat(), *parameters),
            )
        return entries

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per source, the entries waiting for a retry and those given up."""
        rows = self._select(
            "SELECT source, SUM(CASE WHEN given_up = 0 THEN 1 ELSE 0 END), SUM(given_up) FROM failures"
            " GROUP BY source"
        )
        return {source: (int(waiting or 0), int(given_up or 0)) for source, waiting, given_up in rows}


class FailureLedger(Ledger, IndexTable):
    """The ledger in the ``failures`` table of an output folder's SQLite index file (``IndexTable``)."""

    SCHEMA = _SCHEMA


class PostgresFailureLedger(Ledger, PostgresTable):
    """The ledger in the ``failures`` table of the PostgreSQL index at ``url`` (``PostgresTable``)."""

    SCHEMA = _POSTGRES_SCHEMA


def open_ledger(
    output_dir: Path | str, settings: Mapping[str, Any] | None = None, create: bool = True
) -> FailureLedger | PostgresFailureLedger:
    """The ledger of a crawl into ``output_dir``: in PostgreSQL when ``NEWSBOT_INDEX_URL`` is set, else in the
    folder's index file. ``create=False`` reads an absent ledger as empty and creates nothing."""
    return open_table(FailureLedger, PostgresFailureLedger, output_dir, settings, create)


@dataclass(frozen=True, slots=True)
class MissingPost:
    """An index entry whose post file is gone: its key, post path (relative to the archive) and URL."""

    key: str
    path: str
    url: str


def missing_posts(
    output_dir: Path, folders: Iterable[str] = (), settings: Mapping[str, Any] | None = None
) -> list[MissingPost]:
    """The index entries whose post file is gone, by key: one index scan and one ``stat`` per entry, only under
    ``folders`` (first path components of the posts) when given. Empty without an index."""
    prefixes = tuple(f"{folder}/" for folder in folders)
    base = f"{Path(output_dir)}{os.sep}"
    rows = index_locations(output_dir, settings)
    return [
        MissingPost(key, relpath, url)
        for key, relpath, url in rows
        if (not prefixes or relpath.startswith(prefixes)) and not os.path.isfile(base + relpath)
    ]


def ledger_entries(output_dir: Path | str, settings: Mapping[str, Any] | None = None) -> list[LedgerEntry]:
    """The ledger of an archive for display: waiting entries, then given-up ones.

    Empty when the archive has no index or no ledger yet; opens the index read-only, so it creates nothing.
    """
    with open_ledger(output_dir, settings, create=False) as ledger:
        return ledger.entries()
