"""Which database holds a crawl's index: the output folder's SQLite file, or PostgreSQL at ``NEWSBOT_INDEX_URL``.

Crawls on several machines share one PostgreSQL index (``postgresql://user@host/db``, from the setting or the
environment variable of that name); without it each output folder keeps its own SQLite file, as before.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

import psycopg

from newsbot.index.archive import ArchiveIndex
from newsbot.index.base import Index
from newsbot.index.database import index_path
from newsbot.index.pgtable import PostgresTable
from newsbot.index.postgres import DEFAULT_CLAIM_SECONDS, PostgresIndex
from newsbot.index.table import IndexTable, read_rows

INDEX_URL_SETTING = "NEWSBOT_INDEX_URL"
CLAIM_SECONDS_SETTING = "NEWSBOT_CLAIM_TIMEOUT"
INDEX_ERRORS = (sqlite3.Error, psycopg.Error)
SQLiteTable = TypeVar("SQLiteTable", bound=IndexTable)
ServerTable = TypeVar("ServerTable", bound=PostgresTable)


class Claims(Protocol):
    """Who may judge and store an article now (``PostgresIndex`` among workers; ``LocalClaims`` in one process)."""

    def claim(self, key: str, body_hash: str, simhash: int) -> bool: ...

    def release(self, key: str, body_hash: str, simhash: int) -> None: ...


class LocalClaims:
    """The claims of a crawl alone on its index: always granted, since its pipelines judge and store one item at a
    time (dedupe and store run back to back within one reactor turn)."""

    def claim(self, key: str, body_hash: str, simhash: int) -> bool:
        return True

    def release(self, key: str, body_hash: str, simhash: int) -> None:
        return None


def index_url(settings: Mapping[str, Any] | None = None) -> str | None:
    """``NEWSBOT_INDEX_URL`` from the settings, else from the environment; ``None`` when neither sets it."""
    url = (settings.get(INDEX_URL_SETTING) if settings is not None else None) or os.environ.get(
        INDEX_URL_SETTING
    )
    return url or None


def without_password(url: str) -> str:
    """``url`` with any password left out, to name a server in a message: the one in its user part and a
    ``password`` query value (libpq and redis-py take both), also from a URL ``urlsplit`` cannot parse."""
    scheme, separator, rest = url.partition("://")
    if separator:
        end = min((at for at in map(rest.find, "/?#") if at >= 0), default=len(rest))
        user, at, host = rest[:end].rpartition("@")
        if at:
            rest = f"{user.partition(':')[0]}@{host}{rest[end:]}"
        url = f"{scheme}://{rest}"
    return re.sub(r"(?<=[?&])password=[^&#]*", "password=***", url)


def first_line(error: BaseException) -> str:
    """The first non-empty line of ``error``'s message (psycopg's run to several)."""
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def index_name(output_dir: Path | str, settings: Mapping[str, Any] | None = None) -> str:
    """The index of ``output_dir`` as a message names it: its SQLite file, or the PostgreSQL URL (no password)."""
    url = index_url(settings)
    return f"the index at {INDEX_URL_SETTING} {without_password(url)}" if url else str(index_path(output_dir))


def postgres_url(settings: Mapping[str, Any] | None = None) -> str | None:
    """``NEWSBOT_INDEX_URL`` when set (``None`` otherwise); ``ValueError`` when it is not a PostgreSQL URL."""
    url = index_url(settings)
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"{INDEX_URL_SETTING} must be a postgresql:// URL, not {without_password(url)!r}")
    return url


def open_table(
    sqlite_table: type[SQLiteTable],
    postgres_table: type[ServerTable],
    output_dir: Path | str,
    settings: Mapping[str, Any] | None = None,
    create: bool = True,
) -> SQLiteTable | ServerTable:
    """A table kept beside the index (the ledger, the run history): ``postgres_table`` on the database at
    ``NEWSBOT_INDEX_URL`` when set, else ``sqlite_table`` on the index file of ``output_dir``. Raises like
    ``open_index``."""
    url = postgres_url(settings)
    if url is None:
        return sqlite_table(output_dir, create=create)
    return postgres_table(url, create=create)


def index_locations(
    output_dir: Path | str, settings: Mapping[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """Every index entry's ``(key, post path relative to the archive, URL)``, by key, read without creating
    anything (none without an index); raises like ``open_index``."""
    sql = "SELECT key, path, url FROM entries ORDER BY key"
    url = postgres_url(settings)
    if url is None:
        return read_rows(output_dir, "entries", sql)
    with psycopg.connect(url) as db:
        try:
            return db.execute(sql).fetchall()
        except psycopg.errors.UndefinedTable:
            return []


def open_index(output_dir: Path | str, settings: Mapping[str, Any] | None = None) -> Index:
    """The index a crawl into ``output_dir`` uses: ``PostgresIndex`` when ``NEWSBOT_INDEX_URL`` is set, else the
    folder's ``ArchiveIndex``. Raises ``ValueError`` for a URL that is not ``postgresql://`` or ``postgres://``,
    ``psycopg.OperationalError`` when its server cannot be reached."""
    url = postgres_url(settings)
    if url is None:
        return ArchiveIndex(output_dir)
    seconds = float((settings or {}).get(CLAIM_SECONDS_SETTING) or DEFAULT_CLAIM_SECONDS)
    return PostgresIndex(url, claim_seconds=seconds)


def claims_of(index: Index) -> Claims:
    """The claims that keep two workers from judging and storing the same or a near-same article at once."""
    return index if isinstance(index, PostgresIndex) else LocalClaims()
