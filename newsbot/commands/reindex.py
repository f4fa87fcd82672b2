"""``newsbot reindex DIR``: rebuild an output folder's index from its posts alone."""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand
from newsbot.index import ArchiveIndex, Entry, entry_from_post, index_path, post_paths


def readable_entries(root: Path, skipped: list[str]) -> Iterator[Entry]:
    """The entry of each post under ``root``; unreadable posts go to ``skipped`` with the reason."""
    for path in post_paths(root):
        try:
            yield entry_from_post(root, path)
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            skipped.append(f"{path.relative_to(root)}: {error}")


def open_index(root: Path) -> ArchiveIndex:
    """The folder's index; an index SQLite cannot read is moved aside and a new one started."""
    try:
        index = ArchiveIndex(root)
        len(index)
        return index
    except sqlite3.DatabaseError as error:
        path = index_path(root)
        aside = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                source.rename(Path(f"{aside}{suffix}"))
        print(f"the index could not be read ({error}); moved it to {aside.name}")
        return ArchiveIndex(root)


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "<dir>"

    def short_desc(self) -> str:
        return "Rebuild an output folder's index from its posts"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one output folder")
        root = Path(args[0])
        if not root.is_dir():
            return self.fail(f"no such folder: {root}")
        skipped: list[str] = []
        with open_index(root) as index:
            aliases_before = index.alias_count()
            count = index.rebuild(readable_entries(root, skipped))
            aliases = index.alias_count()
        for line in skipped:
            print(f"skipped {line}")
        print(f"{count} posts indexed, {len(skipped)} skipped, {aliases} of {aliases_before} aliases kept")
        if skipped:
            self.exitcode = 1
        return None
