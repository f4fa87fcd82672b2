"""The posts as the index sees them: every post file of an output folder and the entry each one gives."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path

import frontmatter

from newsbot.fingerprint import body_text, fingerprints
from newsbot.identity import key_from_post_path
from newsbot.index.base import Entry
from newsbot.index.database import INDEX_DIR
from newsbot.post import split
from newsbot.storage import HISTORY_DIR


def read_post(root: Path, path: Path) -> tuple[str, str, str]:
    """The path relative to ``root``, publication time (ISO 8601 UTC) and body HTML of the post at ``path``.

    Raises ``ValueError`` (or ``KeyError``, ``TypeError``) for a file that is not a post, ``OSError`` if unreadable.
    """
    text = path.read_text(encoding="utf-8")
    front, inner = split(text)
    published = parsedate_to_datetime(frontmatter.loads(front + "\n")["date"])
    return path.relative_to(root).as_posix(), published.astimezone(UTC).isoformat(), inner


def entry_of_post(relpath: str, published: str, body_html: str) -> Entry:
    """The entry of a post read with ``read_post``: its key from the path, fingerprints of its body."""
    body_hash, simhash = fingerprints(body_text(body_html))
    return Entry(
        key=key_from_post_path(relpath),
        path=relpath,
        url="",
        body_hash=body_hash,
        simhash=simhash,
        published=published,
    )


def entry_from_post(root: Path, path: Path) -> Entry:
    """The entry of the post at ``path`` under the output folder ``root``, read from the post alone.

    Raises ``ValueError`` for a file that is not a post.
    """
    return entry_of_post(*read_post(root, path))


def post_paths(root: Path) -> Iterator[Path]:
    """Every post under the output folder, in name order, skipping previous versions and newsbot's own files."""
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if name not in (HISTORY_DIR, INDEX_DIR))
        for name in sorted(files):
            if name.endswith(".md"):
                yield Path(folder) / name
