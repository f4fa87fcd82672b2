"""Writing posts under the output folder: safe paths, atomic replacement, kept previous versions."""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

HISTORY_DIR = ".history"
TEMPORARY_SUFFIX = ".tmp"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_component(text: str, fallback: str = "_") -> str:
    """One path component made of ``[A-Za-z0-9_-]`` only, at most 80 characters."""
    return _UNSAFE.sub("-", text).strip("-")[:80] or fallback


def post_relpath(site: str, published: datetime, name: str) -> str:
    """The post's place in the archive: ``<site>/<YYYY>/<MM>/<name>.md`` (UTC month)."""
    moment = published.astimezone(UTC)
    return f"{safe_component(site)}/{moment:%Y}/{moment:%m}/{safe_component(name)}.md"


def resolve_inside(root: Path, relpath: str) -> Path:
    """``root / relpath`` for a relative path without ``..``, else ``ValueError``.

    The path is checked by its parts, not resolved: folders inside ``root`` that are symlinks (an
    administrator moving ``output/<site>`` to another disk) are followed, as the kernel does; the parts that
    come from URLs and titles can name no parent, absolute path or symlinked file.
    """
    parts = PurePosixPath(relpath).parts
    if not parts or PurePosixPath(relpath).is_absolute() or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"path {relpath!r} escapes the output folder")
    target = root.resolve().joinpath(*parts)
    if target.is_symlink():
        raise ValueError(f"path {relpath!r} is a symlink")
    return target


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_path(path: Path) -> Path:
    """The temporary file ``atomic_write`` fills before renaming it to ``path``: ``.<name>.tmp`` beside it."""
    return path.with_name(f".{path.name}{TEMPORARY_SUFFIX}")


def _lock_temporary(tmp: Path, blocking: bool = True) -> int | None:
    """Open and lock ``tmp`` (creating it), once the lock is ours and the file still the one at ``tmp``.

    A writer holds the lock until its rename, and the kernel drops it when the writer dies, so a temporary
    file that can be locked is a killed writer's leftover. ``None`` when not ``blocking`` and it is busy.
    """
    while True:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            current = os.stat(tmp)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(os.fstat(fd), current):
            return fd
        os.close(fd)


def atomic_write(path: Path, text: str, unsynced: set[Path] | None = None) -> None:
    """Write ``text`` to ``path`` through a synced temporary file in the same folder and a rename, then sync the
    folder; with ``unsynced``, the folder is added to it instead, for the caller to sync (``write_posts``).

    The temporary file is locked while written: writers of one path take turns, and one killed mid-write
    leaves a file the next writer of that path takes over, never a partial post.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    fd = _lock_temporary(tmp)
    renamed = False
    try:
        os.ftruncate(fd, 0)
        with os.fdopen(fd, "w", encoding="utf-8", newline="", closefd=False) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(fd)
        os.replace(tmp, path)
        renamed = True
    except BaseException:
        if not renamed:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    if unsynced is None:
        _fsync_dir(path.parent)
    else:
        unsynced.add(path.parent)


def remove_stale_temporaries(root: Path) -> list[Path]:
    """Delete the temporary files under ``root`` that killed writers left; return their paths."""
    removed = []
    for tmp in sorted(Path(root).rglob(f".*{TEMPORARY_SUFFIX}")):
        fd = _lock_temporary(tmp, blocking=False) if tmp.is_file() else None
        if fd is None:
            continue
        try:
            tmp.unlink()
            removed.append(tmp)
        finally:
            os.close(fd)
    return removed


def keep_previous(root: Path, path: Path, unsynced: set[Path] | None = None) -> Path:
    """Copy the current post at ``path`` into ``<root>/.history/`` as ``<name>.v<N>.md``; return that path."""
    relative = path.relative_to(root.resolve())
    folder = root.resolve() / HISTORY_DIR / relative.parent
    version = 1
    while (folder / f"{path.stem}.v{version}.md").exists():
        version += 1
    kept = folder / f"{path.stem}.v{version}.md"
    atomic_write(kept, path.read_text(encoding="utf-8"), unsynced)
    return kept


def write_post(root: Path, relpath: str, text: str, unsynced: set[Path] | None = None) -> str:
    """Store a post: ``"new"``, ``"updated"`` (previous version kept) or ``"unchanged"``; ``unsynced`` as
    ``atomic_write`` takes it. Raises ``ValueError`` for a path leaving ``root``, ``OSError`` when writing fails."""
    path = resolve_inside(root, relpath)
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return "unchanged"
        keep_previous(root, path, unsynced)
        atomic_write(path, text, unsynced)
        return "updated"
    atomic_write(path, text, unsynced)
    return "new"


def write_posts(root: Path, posts: Sequence[tuple[str, str]]) -> list[str | OSError | ValueError]:
    """Store each ``(relpath, text)`` as ``write_post`` does, syncing each folder once after every post in it
    is renamed (a group commit); each post's outcome, or the error that refused it (an ``OSError`` syncing a
    folder refuses the posts renamed into it)."""
    results: list[str | OSError | ValueError] = []
    folders_of: list[set[Path]] = []
    for relpath, text in posts:
        folders: set[Path] = set()
        try:
            results.append(write_post(root, relpath, text, folders))
        except (OSError, ValueError) as error:
            results.append(error)
        folders_of.append(folders)
    unsynced: dict[Path, OSError] = {}
    for folder in set().union(*folders_of):
        try:
            _fsync_dir(folder)
        except OSError as error:
            unsynced[folder] = error
    for number, folders in enumerate(folders_of):
        error = next((unsynced[folder] for folder in folders if folder in unsynced), None)
        if error is not None and isinstance(results[number], str):
            results[number] = error
    return results
