"""``PostgresTable``: ``IndexTable``'s counterpart for a table kept in the PostgreSQL index (``NEWSBOT_INDEX_URL``).

A module that keeps a table in the index (the failed-article ledger, the run history, the listed articles)
writes its queries once, in SQLite's ``?`` parameter style, against ``_select`` and ``_write``; this class runs
them through psycopg 3 (``?`` becomes ``%s``), each ``_select`` and each ``_write`` block one transaction, and
creates its ``SCHEMA`` under the same advisory lock as ``PostgresIndex``, so workers starting together never
race to create a table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from newsbot.index.base import Connected
from newsbot.index.postgres import SCHEMA_LOCK, Statements, postgres_query


class PostgresTable(Connected):
    """A connection to the PostgreSQL database at ``url`` holding ``TABLE`` (created by ``SCHEMA``).

    ``create=False`` creates nothing: a missing ``TABLE`` reads as empty. Raises ``psycopg.OperationalError``
    when the server cannot be reached, at opening or in any query. Closes with ``close`` or its ``with`` block.
    """

    TABLE = ""
    SCHEMA: tuple[str, ...] = ()

    def __init__(self, url: str, create: bool = True) -> None:
        self.url = url
        self.create = create
        self.connection: psycopg.Connection | None = psycopg.connect(url, autocommit=True)
        if create:
            with self._transaction() as db:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in self.SCHEMA:
                    db.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        if self.connection is None:
            raise RuntimeError(f"the index table {self.TABLE} is closed")
        with self.connection.transaction():
            yield self.connection

    def _select(self, sql: str, *parameters: Any) -> list[tuple]:
        """The rows ``sql`` selects, in one transaction; none when ``TABLE`` does not exist (``create=False``)."""
        try:
            with self._transaction() as db:
                return db.execute(postgres_query(sql), parameters).fetchall()
        except psycopg.errors.UndefinedTable:
            if self.create:
                raise
            return []

    @contextmanager
    def _write(self) -> Iterator[Statements]:
        """One transaction, committed when the block ends and rolled back on any error."""
        if not self.create:
            raise psycopg.OperationalError(f"the index table {self.TABLE} was opened to read only")
        with self._transaction() as db:
            yield Statements(db)

