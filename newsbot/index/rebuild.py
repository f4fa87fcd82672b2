"""Rebuilding the index from the posts: a new file built beside the old one and swapped in atomically.

The swap: take ``index.lock`` exclusively (every ``ArchiveIndex`` opens under it shared), hold the old file's
write lock (``BEGIN IMMEDIATE``: writers wait one transaction), carry over what the posts cannot give (URLs,
aliases, entries recorded after the posts were read, every table newsbot's index does not derive), move the old
``-wal`` and ``-shm`` aside so the new file never meets them, then ``os.replace``. Connections still on the old
file read it consistently through their open descriptors; SQLite refuses their writes and will not checkpoint
or delete by name a file that has moved (``SQLITE_READONLY_DBMOVED``), and ``ArchiveIndex`` reopens by path when
the file's inode changes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from newsbot.index import keys, near, schema
from newsbot.index.base import Entry
from newsbot.index.database import INDEX_FILE, connect, index_path, transaction
from newsbot.index.posts import entry_of_post, post_paths, read_post

logger = logging.getLogger(__name__)

LOCK_FILE = "index.lock"
SQLITE_MAGIC = b"SQLite format 3\x00"
OWN_TABLES = frozenset({"entries", "aliases", "near", "bands"})
FRESH = ".rebuild-"
REPLACED = ".replaced-"
_CHUNK = 256
_WRITE_BATCH = 5_000
_UNREADABLE = (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError)


@contextmanager
def index_lock(output_dir: Path, exclusive: bool) -> Iterator[None]:
    """``index.lock`` beside the index, shared while opening it and exclusive while replacing it."""
    path = index_path(output_dir).with_name(LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def damage(path: Path) -> str | None:
    """Why the file at ``path`` is not a whole SQLite database, judged by its 100-byte header; ``None`` if it
    looks whole or does not exist (https://www.sqlite.org/fileformat.html, section 1.3). Its size is judged only
    when no ``-wal`` file is beside it: a checkpoint writes page 1 (the header) before the pages after it."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return None
    if not header:
        return None
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_size_valid = header[24:28] == header[92:96] and pages > 0
    if page_size < 512 or page_size & (page_size - 1):
        return "not an SQLite database"
    if Path(f"{path}-wal").exists():
        return None
    if size % page_size:
        return f"{size} bytes is not a whole number of {page_size}-byte pages (truncated)"
    if header_size_valid and size < pages * page_size:
        return f"truncated: {size} bytes of the {pages * page_size} its header names"
    return None


@dataclass
class Read:
    """What reading some posts gave: their entries, the posts skipped with why, seconds spent reading and parsing."""

    entries: list[Entry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    parse_seconds: float = 0.0


def read_posts(root: Path, paths: list[Path]) -> Read:
    """The entries of the posts at ``paths`` under ``root`` (run in worker processes)."""
    read = Read()
    for path in paths:
        started = time.perf_counter()
        try:
            post = read_post(root, path)
        except _UNREADABLE as error:
            read.skipped.append(f"{path.relative_to(root).as_posix()}: {error}")
            continue
        read.parse_seconds += time.perf_counter() - started
        read.entries.append(entry_of_post(*post))
    return read


def _chunks(paths: Iterable[Path]) -> Iterator[list[Path]]:
    iterator = iter(paths)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


def reads(root: Path, workers: int) -> Iterator[Read]:
    """``read_posts`` over every post under ``root``, spread over ``workers`` processes (1: this one)."""
    if workers <= 1:
        yield from (read_posts(root, chunk) for chunk in _chunks(post_paths(root)))
        return
    with ProcessPoolExecutor(workers) as pool:
        pending = []
        for chunk in _chunks(post_paths(root)):
            pending.append(pool.submit(read_posts, root, chunk))
            if len(pending) >= 4 * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


@dataclass
class Rebuilt:
    """The outcome of a rebuild: posts indexed, posts skipped with why, aliases kept of those before, timings."""

    count: int = 0
    skipped: list[str] = field(default_factory=list)
    aliases: int = 0
    aliases_before: int = 0
    seconds: float = 0.0
    parse_seconds: float = 0.0
    workers: int = 1


def _write_entries(db: sqlite3.Connection, entries: list[Entry], with_near: bool = True) -> None:
    added = {}
    for entry in entries:
        added[keys.upsert(db, entry)] = entry.simhash
    if with_near:
        near.add_many(db, added.items())


def _copy_table(db: sqlite3.Connection, name: str) -> None:
    quoted = '"' + name.replace('"', '""') + '"'
    (ddl,) = db.execute("SELECT sql FROM live.sqlite_schema WHERE type = 'table' AND name = ?", (name,)).fetchone()
    db.execute(ddl)
    db.execute(f"INSERT INTO main.{quoted} SELECT * FROM live.{quoted}")
    for (extra,) in db.execute(
        "SELECT sql FROM live.sqlite_schema WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL",
        (name,),
    ).fetchall():
        db.execute(extra)


def _carry_over(db: sqlite3.Connection, root: Path, result: Rebuilt) -> None:
    """Bring from the live index (attached as ``live``) what the posts do not tell."""
    live_tables = [
        name
        for (name,) in db.execute("SELECT name FROM live.sqlite_schema WHERE type = 'table'").fetchall()
        if name not in OWN_TABLES and not name.startswith("sqlite_")
    ]
    for name in live_tables:
        _copy_table(db, name)
    if "entries" not in {name for (name,) in db.execute("SELECT name FROM live.sqlite_schema")}:
        return
    db.execute(
        "UPDATE main.entries SET url = live_entries.url FROM live.entries AS live_entries"
        " WHERE live_entries.key = main.entries.key AND main.entries.url = ''"
    )
    late = [
        keys.entry_of(row)
        for row in db.execute(
            f"SELECT {keys.COLUMNS} FROM live.entries WHERE key NOT IN (SELECT key FROM main.entries)"
        ).fetchall()
    ]
    _write_entries(db, [entry for entry in late if (root / entry.path).is_file()])
    if "aliases" in {name for (name,) in db.execute("SELECT name FROM live.sqlite_schema")}:
        result.aliases_before = db.execute("SELECT count(*) FROM live.aliases").fetchone()[0]
        db.execute(
            "INSERT OR IGNORE INTO main.aliases SELECT alias, key FROM live.aliases"
            " WHERE key IN (SELECT key FROM main.entries)"
        )
    result.aliases = db.execute("SELECT count(*) FROM main.aliases").fetchone()[0]
    result.count = db.execute("SELECT count(*) FROM main.entries").fetchone()[0]


def _set_aside(path: Path, label: str) -> Path:
    aside = path.with_name(f"{path.name}.{label}-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, Path(f"{aside}{suffix}"))
    return aside


def _swap_in(fresh: Path, path: Path, root: Path, result: Rebuilt, carry_over: bool) -> None:
    live = connect(path) if carry_over and path.exists() else None
    try:
        if live is not None:
            live.execute("BEGIN IMMEDIATE")
        db = sqlite3.connect(fresh, isolation_level=None)
        try:
            if live is not None:
                db.execute("ATTACH DATABASE ? AS live", (str(path),))
                db.execute("BEGIN")
                _carry_over(db, root, result)
                db.execute("COMMIT")
                db.execute("DETACH DATABASE live")
            db.execute("PRAGMA journal_mode=WAL")
        finally:
            db.close()
        replaced = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
        moved = [source.with_name(f"{source.name}{REPLACED}{os.getpid()}") for source in replaced]
        for source, target in zip(replaced, moved, strict=True):
            if source.exists():
                os.replace(source, target)
        os.replace(fresh, path)
        for target in moved:
            target.unlink(missing_ok=True)
    finally:
        if live is not None:
            live.close()


def rebuild(
    output_dir: Path | str,
    workers: int = 1,
    carry_over: bool = True,
    progress: Callable[[Read], None] | None = None,
    locked: bool = False,
) -> Rebuilt:
    """Build the index of ``output_dir`` from its posts in a new file beside the old one, then swap it in.

    With ``carry_over`` the live index's URLs, aliases, late entries and other tables are kept (not from a
    damaged file); ``locked`` says the caller holds ``index_lock`` already. Raises ``sqlite3.Error`` or ``OSError`` when the new file cannot be written.
    """
    root = Path(output_dir)
    path = index_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f"{INDEX_FILE}{FRESH}{os.getpid()}")
    fresh.unlink(missing_ok=True)
    result = Rebuilt(workers=workers)
    started = time.perf_counter()
    try:
        db = sqlite3.connect(fresh, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            with transaction(db):
                schema.prepare(db)
            batch: list[Entry] = []
            for read in reads(root, workers):
                result.skipped.extend(read.skipped)
                result.parse_seconds += read.parse_seconds
                batch.extend(read.entries)
                if progress is not None:
                    progress(read)
                if len(batch) >= _WRITE_BATCH:
                    with transaction(db):
                        _write_entries(db, batch, with_near=False)
                    batch = []
            with transaction(db):
                _write_entries(db, batch, with_near=False)
                near.fill(db)
            result.count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        finally:
            db.close()
        if locked:
            _swap_in(fresh, path, root, result, carry_over)
        else:
            with index_lock(root, exclusive=True):
                _swap_in(fresh, path, root, result, carry_over)
    finally:
        fresh.unlink(missing_ok=True)
    result.seconds = time.perf_counter() - started
    return result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def finish_swaps(output_dir: Path | str) -> list[str]:
    """Complete a swap a killed ``rebuild`` left between its renames, and drop files its dead builds left.

    The caller holds ``index_lock`` exclusively, so no swap is under way. Returns what was done, one line each.
    """
    path = index_path(output_dir)
    done = []
    for moved in sorted(path.parent.glob(f"{INDEX_FILE}-*{REPLACED}*")):
        fresh = path.with_name(f"{INDEX_FILE}{FRESH}{moved.name.rsplit(REPLACED, 1)[1]}")
        if fresh.exists():
            os.replace(fresh, path)
            done.append(f"finished swapping in {fresh.name}")
        moved.unlink()
    for fresh in path.parent.glob(f"{INDEX_FILE}{FRESH}*"):
        pid = fresh.name.rsplit(FRESH, 1)[1]
        if pid.isdigit() and not _alive(int(pid)):
            fresh.unlink()
            done.append(f"removed {fresh.name}, left by a killed rebuild")
    return done


def leftovers(output_dir: Path | str) -> bool:
    """Whether an interrupted swap or build left files beside the index."""
    path = index_path(output_dir)
    return any(path.parent.glob(f"{INDEX_FILE}-*{REPLACED}*")) or any(path.parent.glob(f"{INDEX_FILE}{FRESH}*"))


def readable(path: Path) -> str | None:
    """Why SQLite cannot use the index file at ``path`` (its header, then its schema), ``None`` if it can."""
    if problem := damage(path):
        return problem
    try:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        finally:
            db.close()
    except sqlite3.OperationalError:
        return None
    except sqlite3.DatabaseError as error:
        return str(error)
    return None


def recover(output_dir: Path | str) -> None:
    """If the index cannot be read, move it aside and rebuild it from the posts, with one WARNING line.

    Processes that find the same damage wait for the one rebuilding (``index_lock``) and then use its index.
    """
    root = Path(output_dir)
    path = index_path(root)
    with index_lock(root, exclusive=True):
        problem = readable(path)
        if problem is None:
            return
        aside = _set_aside(path, "broken")
        result = rebuild(root, carry_over=False, locked=True)
    logger.warning(
        "the index %s could not be read (%s); moved it to %s and rebuilt it from the posts: %d indexed, %d skipped",
        path,
        problem,
        aside.name,
        result.count,
        len(result.skipped),
    )


def upgrade(output_dir: Path | str) -> None:
    """Rebuild an index of an older layout from the posts, keeping what they do not tell; one WARNING line."""
    root = Path(output_dir)
    with index_lock(root, exclusive=True):
        if not schema.outdated(index_path(root)):
            return
        result = rebuild(root, locked=True)
    logger.warning(
        "the index %s was written by an older newsbot; rebuilt it from the posts: %d indexed, %d skipped",
        index_path(root),
        result.count,
        len(result.skipped),
    )
