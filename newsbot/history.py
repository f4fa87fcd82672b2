"""The run history: one row per crawl of a source in the index database's ``runs`` table.

A row holds the source, when the run started and finished (ISO 8601, UTC), its exit status
(``newsbot.outcome.run_outcome``), its counts (new, updated, refused as not an article, failed), its monitor
alarms with their messages (a JSON list) and ``newest``, the date of the newest post it archived or met.
``open_history`` opens it where the index is: the output folder's SQLite file (``RunHistory``, an
``IndexTable``) or the PostgreSQL index every worker shares (``PostgresRunHistory``), each write one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider

from newsbot.index import IndexTable
from newsbot.index.backends import open_table
from newsbot.index.pgtable import PostgresTable
from newsbot.outcome import ALARMS_STAT, FAILED_STAT, LISTING_FAILED_STAT, RESTORED_STAT, run_outcome

ALARM_MESSAGES_STAT = "newsbot/alarm_messages"
REFUSED_STAT = "newsbot/failed/not_an_article"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, source TEXT NOT NULL, started TEXT NOT NULL,"
    " finished TEXT NOT NULL, exit_status INTEGER NOT NULL, new INTEGER NOT NULL, updated INTEGER NOT NULL,"
    " refused INTEGER NOT NULL, failed INTEGER NOT NULL, alarms INTEGER NOT NULL,"
    " alarm_messages TEXT NOT NULL, newest TEXT)",
    "CREATE INDEX IF NOT EXISTS runs_source ON runs (source, id)",
)
_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS runs (id bigserial PRIMARY KEY, source text NOT NULL, started text NOT NULL,"
    " finished text NOT NULL, exit_status integer NOT NULL, new integer NOT NULL, updated integer NOT NULL,"
    " refused integer NOT NULL, failed integer NOT NULL, alarms integer NOT NULL,"
    " alarm_messages text NOT NULL, newest text)",
    _SCHEMA[1],
)
_VALUES = (
    "source, started, finished, exit_status, new, updated, refused, failed, alarms, alarm_messages, newest"
)
_COLUMNS = f"id, {_VALUES}"


def utc_text(moment: datetime) -> str:
    """``moment`` as ISO 8601 UTC to the second (``2026-11-30T07:00:00+00:00``); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Run:
    """One recorded run of a source; times are ISO 8601 UTC text, ``id`` is ``None`` until recorded."""

    source: str
    started: str
    finished: str
    exit_status: int
    new: int = 0
    updated: int = 0
    refused: int = 0
    failed: int = 0
    alarms: int = 0
    alarm_messages: tuple[str, ...] = field(default=())
    newest: str | None = None
    id: int | None = None


def source_name(spider: Spider) -> str:
    """The source a spider's runs go by: its configured source's name (feed spiders), else its ``source_name``
    (``renormalise`` for that command's spiders), else the spider's name."""
    source = getattr(spider, "source", None)
    return getattr(source, "name", None) or getattr(spider, "source_name", "") or spider.name


def run_from_stats(
    source: str, stats: Mapping[str, Any], max_failure_share: float, newest: str | None = None
) -> Run:
    """The run a crawl's final stats describe (``start_time``/``finish_time`` from Scrapy's CoreStats); ``new`` leaves
    out posts written again in place of deleted ones (``newsbot/restored``)."""

    def count(*keys: str) -> int:
        return sum(int(stats.get(key) or 0) for key in keys)

    started = stats.get("start_time") or datetime.now(UTC)
    finished = stats.get("finish_time") or datetime.now(UTC)
    return Run(
        source=source,
        started=utc_text(started),
        finished=utc_text(finished),
        exit_status=run_outcome(stats, max_failure_share).exit_status,
        new=count("newsbot/new") - count(RESTORED_STAT),
        updated=count("newsbot/updated"),
        refused=count(REFUSED_STAT),
        failed=count(FAILED_STAT, LISTING_FAILED_STAT),
        alarms=count(ALARMS_STAT),
        alarm_messages=tuple(stats.get(ALARM_MESSAGES_STAT) or ()),
        newest=newest,
    )


def _run(row: tuple) -> Run:
    run_id, *counts, messages, newest = row
    return Run(*counts, tuple(json.loads(messages)), newest, run_id)


class History:
    """The run history's queries on the ``runs`` table, the same on either database (``RunHistory``,
    ``PostgresRunHistory``); ``create=False`` reads an absent table as empty."""

    TABLE = "runs"

    def record(self, run: Run) -> int:
        """Add ``run`` and return its id; ``sqlite3.Error`` or ``psycopg.Error`` when it cannot be written."""
        values = (
            run.source,
            run.started,
            run.finished,
            run.exit_status,
            run.new,
            run.updated,
            run.refused,
            run.failed,
            run.alarms,
            json.dumps(list(run.alarm_messages), ensure_ascii=False),
            run.newest,
        )
        with self._write() as db:
            (run_id,) = db.execute(
                f"INSERT INTO runs ({_VALUES}) VALUES ({', '.join('?' * len(values))}) RETURNING id", values
            ).fetchone()
        return int(run_id)

    def sources(self) -> list[str]:
        """Every source with a recorded run, by name."""
        return [row[0] for row in self._select("SELECT DISTINCT source FROM runs ORDER BY source")]

    def last_runs(self, source: str, count: int) -> list[Run]:
        """The source's latest ``count`` runs, newest first."""
        return [
            _run(row)
            for row in self._select(
                f"SELECT {_COLUMNS} FROM runs WHERE source = ? ORDER BY id DESC LIMIT ?", source, count
            )
        ]

    def archived_since(self, source: str, since: datetime) -> int:
        """New articles the source's runs finished since ``since`` archived (an update archives no new post)."""
        rows = self._select(
            "SELECT COALESCE(SUM(new), 0) FROM runs WHERE source = ? AND finished >= ?",
            source,
            utc_text(since),
        )
        return int(rows[0][0]) if rows else 0

    def ever_archived(self, source: str) -> int:
        """New articles the source's recorded runs archived in all."""
        rows = self._select("SELECT COALESCE(SUM(new), 0) FROM runs WHERE source = ?", source)
        return int(rows[0][0]) if rows else 0

    def all_archived(self) -> int:
        """New articles every recorded run of every source archived in all."""
        rows = self._select("SELECT COALESCE(SUM(new), 0) FROM runs")
        return int(rows[0][0]) if rows else 0

    def newest_post(self, source: str) -> str | None:
        """The date of the newest post the source's runs archived or met, ``None`` if none did."""
        rows = self._select("SELECT MAX(newest) FROM runs WHERE source = ?", source)
        return rows[0][0] if rows else None

    def archived_per_day(self, since: datetime) -> dict[str, dict[str, int]]:
        """Per source, new articles archived per UTC day (``YYYY-MM-DD``) by runs since ``since``."""
        per_source: dict[str, dict[str, int]] = {}
        rows = self._select(
            "SELECT source, substr(finished, 1, 10), SUM(new) FROM runs WHERE finished >= ?"
            " GROUP BY source, substr(finished, 1, 10)",
            utc_text(since),
        )
        for source, day, count in rows:
            per_source.setdefault(source, {})[day] = int(count)
        return per_source


class RunHistory(History, IndexTable):
    """The run history in the ``runs`` table of an output folder's SQLite index file (``IndexTable``)."""

    SCHEMA = _SCHEMA


class PostgresRunHistory(History, PostgresTable):
    """The run history in the ``runs`` table of the PostgreSQL index at ``url`` (``PostgresTable``)."""

    SCHEMA = _POSTGRES_SCHEMA


def open_history(
    output_dir: Path | str, settings: Mapping[str, Any] | None = None, create: bool = True
) -> RunHistory | PostgresRunHistory:
    """The run history of the archive in ``output_dir``: in PostgreSQL when ``NEWSBOT_INDEX_URL`` is set, else in
    the folder's index file. ``create=False`` reads an absent history as empty and creates nothing."""
    return open_table(RunHistory, PostgresRunHistory, output_dir, settings, create)
