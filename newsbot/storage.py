"""Writing posts under the output folder: safe paths, atomic replacement, kept previous versions."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HISTORY_DIR = ".history"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_component(text: str, fallback: str = "_") -> str:
    """One path component made of ``[A-Za-z0-9_-]`` only, at most 80 characters."""
    return _UNSAFE.sub("-", text).strip("-")[:80] or fallback


def post_relpath(site: str, published: datetime, name: str) -> str:
    """The post's place in the archive: ``<site>/<YYYY>/<MM>/<name>.md`` (UTC month)."""
    moment = published.astimezone(UTC)
    return f"{safe_component(site)}/{moment:%Y}/{moment:%m}/{safe_component(name)}.md"


def resolve_inside(root: Path, relpath: str) -> Path:
    """``root / relpath``, refusing anything that would land outside ``root``."""
    root = root.resolve()
    target = (root / relpath).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ValueError(f"path {relpath!r} escapes the output folder")
    return target


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a synced temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def keep_previous(root: Path, path: Path) -> Path:
    """Copy the current post at ``path`` into ``<root>/.history/`` as ``<name>.v<N>.md``; return that path."""
    relative = path.relative_to(root.resolve())
    folder = root.resolve() / HISTORY_DIR / relative.parent
    version = 1
    while (folder / f"{path.stem}.v{version}.md").exists():
        version += 1
    kept = folder / f"{path.stem}.v{version}.md"
    atomic_write(kept, path.read_text(encoding="utf-8"))
    return kept


def write_post(root: Path, relpath: str, text: str) -> str:
    """Store a post: ``"new"``, ``"updated"`` (previous version kept) or ``"unchanged"``."""
    path = resolve_inside(root, relpath)
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return "unchanged"
        keep_previous(root, path)
        atomic_write(path, text)
        return "updated"
    atomic_write(path, text)
    return "new"
