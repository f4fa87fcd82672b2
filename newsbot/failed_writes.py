"""Writes to the archive that fail (a full disk, a read-only or failing device): their reason, their stats, and
the check a crawl makes before it fetches anything.

Every failed write of a crawl (a post, the index, the failed-article ledger, the walks and listed notes, the run
history) is counted as ``newsbot/failed_writes`` and ``newsbot/failed_writes/<what>/<reason>``, and makes the
run fail (``newsbot.outcome``). Reasons: ``no_space`` (``ENOSPC``, SQLite's ``SQLITE_FULL``, PostgreSQL's
``disk_full``), ``quota``, ``read_only``, ``permission``, ``io_error``, ``locked``, ``corrupt``, else the error's
type name.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
from scrapy.statscollectors import StatsCollector

from newsbot.history import open_history
from newsbot.index.backends import INDEX_ERRORS, index_url, open_index
from newsbot.index.database import index_path
from newsbot.ledger import open_ledger
from newsbot.outcome import FAILED_WRITES_STAT
from newsbot.revisits import open_listed

_ERRNO_REASONS = {
    errno.ENOSPC: "no_space",
    errno.EDQUOT: "quota",
    errno.EROFS: "read_only",
    errno.EACCES: "permission",
    errno.EPERM: "permission",
    errno.EIO: "io_error",
}
# SQLite's primary result codes (https://www.sqlite.org/rescode.html).
_SQLITE_REASONS = {
    13: "no_space",  # SQLITE_FULL
    8: "read_only",  # SQLITE_READONLY
    3: "permission",  # SQLITE_PERM
    10: "io_error",  # SQLITE_IOERR
    5: "locked",  # SQLITE_BUSY
    6: "locked",  # SQLITE_LOCKED
    11: "corrupt",  # SQLITE_CORRUPT
    26: "corrupt",  # SQLITE_NOTADB
}
# PostgreSQL's SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_SQLSTATE_REASONS = {"53100": "no_space", "58030": "io_error", "25006": "read_only"}
_MESSAGES = {"no_space": os.strerror(errno.ENOSPC), "quota": os.strerror(errno.EDQUOT)}


def write_error_reason(error: BaseException) -> str:
    """The stat name of why a write failed: ``no_space``, ``read_only``, ... or the error's type name."""
    if isinstance(error, OSError) and error.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[error.errno]
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _SQLITE_REASONS:
            return _SQLITE_REASONS[code & 0xFF]
        if "disk is full" in str(error):
            return "no_space"
    if isinstance(error, psycopg.Error) and error.sqlstate in _SQLSTATE_REASONS:
        return _SQLSTATE_REASONS[error.sqlstate]
    return type(error).__name__


def write_error_text(error: BaseException) -> str:
    """A failed write's cause in one line: ``No space left on device`` for every spelling of a full disk, else
    the error's own first line (an ``OSError`` without its errno prefix)."""
    reason = write_error_reason(error)
    if reason in _MESSAGES:
        return _MESSAGES[reason]
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def count_failed_write(stats: StatsCollector, what: str, error: BaseException, count: int = 1) -> None:
    """Count ``count`` failed writes of ``what`` (``posts``, ``index``, ``ledger``, ``walks``, ``listed``,
    ``history``) as ``newsbot/failed_writes`` and ``newsbot/failed_writes/<what>/<reason>``."""
    stats.inc_value(FAILED_WRITES_STAT, count)
    stats.inc_value(f"{FAILED_WRITES_STAT}/{what}/{write_error_reason(error)}", count)


def open_archive_tables(output_dir: Path | str, settings: Mapping[str, Any] | None = None) -> None:
    """Open, creating what is missing, the index of ``output_dir`` and every table a crawl writes beside it
    (ledger, listed and walks, run history), then close them; raises ``sqlite3.Error``, ``psycopg.Error`` or
    ``OSError`` when they cannot be written (a full disk)."""
    for opener in (open_index, open_ledger, open_listed, open_history):
        opener(output_dir, settings).close()


def _missing_folders(folder: Path) -> list[Path]:
    """The folders from ``folder`` up that do not exist yet, deepest first."""
    return [path for path in (folder, *folder.parents) if not path.exists()]


def archive_write_problem(output_dir: Path | str, settings: Mapping[str, Any] | None = None) -> str | None:
    """Why a crawl cannot write the archive in ``output_dir`` now, in one line (``cannot write the archive DIR:
    No space left on device``), else ``None``.

    It creates, beside the index, a private index with every table a crawl writes (in SQLite transactions, as
    the crawl will) and removes it again, with the folders it had to make; with ``NEWSBOT_INDEX_URL`` it opens
    those tables in PostgreSQL instead. The archive is left as it was, full disk or not, and a crawl running
    in it meanwhile is not disturbed.
    """
    folder = Path(output_dir)
    if index_url(settings):
        target, made = folder, []
    else:
        target = index_path(folder).parent / f"probe-{os.getpid()}"
        made = _missing_folders(target.parent)
    try:
        if target is not folder:
            target.mkdir(parents=True)
        open_archive_tables(target, settings)
    except (*INDEX_ERRORS, OSError) as error:
        return f"cannot write the archive {folder}: {write_error_text(error)}"
    finally:
        if target is not folder:
            shutil.rmtree(target, ignore_errors=True)
        for path in made:
            try:
                path.rmdir()
            except OSError:
                break
    return None
