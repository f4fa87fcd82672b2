"""A disk that fills during a crawl, simulated at the boundary newsbot writes through, for crawls in a subprocess.

``install()`` (run before newsbot in the crawl's interpreter: ``PRELUDE``) makes every SQLite connection one whose
``COMMIT`` of a transaction that changed something fails as SQLite fails on a full disk
(``sqlite3.OperationalError: database or disk is full``, ``SQLITE_FULL``) and every post write fail with
``OSError(ENOSPC)``, once the disk is full. Environment:

- ``FAULT_DISK_COMMITS=N``: the disk is full from the commit after the first N commits that changed something;
- ``FAULT_DISK_MODE``: ``fills`` (default: full for good from then on) or ``once`` (only that one commit fails,
  as when a small write still fits in space SQLite already holds and a larger one does not);
- ``FAULT_DISK_TABLE=NAME``: only transactions writing table ``NAME`` fail (``runs``: the run history alone).

Each failed commit is logged to stderr as ``disk-fault: commit N failed`` so a test can see the fault struck,
and the commits that changed something are counted on exit (``disk-fault: N commits``).
"""

from __future__ import annotations

import atexit
import errno
import os
import re
import sqlite3
import sys
import types

PRELUDE = "import tests.disk_faults; tests.disk_faults.install()\n"
SQLITE_FULL = 13


class Disk:
    """The simulated disk's state: commits that changed something so far, and whether it is full now."""

    def __init__(self, commits: int, mode: str, table: str) -> None:
        self.limit = commits
        self.mode = mode
        self.table = re.compile(rf"\b(INTO|UPDATE|FROM)\s+{re.escape(table)}\b", re.I) if table else None
        self.commits = 0

    def full(self) -> bool:
        """Whether a write now meets a full disk."""
        if self.mode == "once":
            return self.commits == self.limit
        return self.commits >= self.limit

    def commit_fails(self, statements: list[str]) -> bool:
        """Whether the commit of a transaction that ran ``statements`` fails; counts it."""
        if self.table is not None and not any(self.table.search(sql) for sql in statements):
            return False
        fails = self.full()
        self.commits += 1
        return fails


DISK: Disk | None = None


def disk_full_error() -> sqlite3.OperationalError:
    """The error SQLite raises when a write finds the disk full."""
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = SQLITE_FULL
    error.sqlite_errorname = "SQLITE_FULL"
    return error


class FullDiskConnection(sqlite3.Connection):
    """A connection whose commits of changes fail while the simulated disk is full."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.statements: list[str] = []
        self.at_begin = (0, 0)

    def changes(self) -> tuple[int, int]:
        """Rows changed so far and the schema's version (which DDL moves)."""
        return self.total_changes, super().execute("PRAGMA schema_version").fetchone()[0]

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        verb = sql.strip().split(None, 1)[0].upper() if sql.strip() else ""
        if verb == "BEGIN":
            cursor = super().execute(sql, *args)
            self.statements = []
            self.at_begin = self.changes()
            return cursor
        changed = verb in ("COMMIT", "END") and self.in_transaction and self.changes() != self.at_begin
        if changed and DISK.commit_fails(self.statements):
            super().execute("ROLLBACK")
            print(f"disk-fault: commit {DISK.commits} failed", file=sys.stderr)
            raise disk_full_error()
        self.statements.append(sql)
        return super().execute(sql, *args)


class FullDiskFile:
    """A post's temporary file whose writes fail with ``ENOSPC`` while the simulated disk is full."""

    def __init__(self, handle: object) -> None:
        self.handle = handle

    def __enter__(self) -> FullDiskFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def write(self, text: str) -> int:
        if DISK.full() and DISK.table is None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.handle.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self.handle, name)


def install() -> None:
    """Put the simulated disk in place (configured by the ``FAULT_DISK_*`` variables)."""
    global DISK
    import newsbot.storage as storage

    DISK = Disk(
        int(os.environ.get("FAULT_DISK_COMMITS", "0")),
        os.environ.get("FAULT_DISK_MODE", "fills"),
        os.environ.get("FAULT_DISK_TABLE", ""),
    )
    real_connect = sqlite3.connect

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        kwargs.setdefault("factory", FullDiskConnection)
        return real_connect(*args, **kwargs)

    sqlite3.connect = connect
    atexit.register(lambda: print(f"disk-fault: {DISK.commits} commits", file=sys.stderr))
    real_fdopen = os.fdopen
    storage.os = types.SimpleNamespace(**vars(os))
    storage.os.fdopen = lambda *args, **kwargs: FullDiskFile(real_fdopen(*args, **kwargs))
