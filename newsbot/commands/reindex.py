"""``newsbot reindex DIR``: rebuild an output folder's index from its posts alone, beside the live one."""

from __future__ import annotations

import argparse
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand
from newsbot.index import Entry
from newsbot.index.backends import first_line, index_url
from newsbot.index.postgres import PostgresIndex
from newsbot.index.rebuild import Rebuilt, reads, rebuild, recover


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] <dir>"

    def short_desc(self) -> str:
        return "Rebuild an output folder's index from its posts (crawls may run meanwhile)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes reading and fingerprinting posts (default: one per core)",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one output folder")
        self.check_index_url()
        workers = getattr(opts, "workers", None)
        if workers is None:
            workers = os.cpu_count() or 1
        if workers < 1:
            raise UsageError("--workers must be at least 1")
        root = Path(args[0])
        if not root.is_dir():
            raise UsageError(f"no such folder: {root}")
        try:
            if url := index_url(self.settings):
                result = rebuild_postgres(root, url, workers)
            else:
                recover(root)
                result = rebuild(root, workers=workers)
        except (OSError, sqlite3.Error, psycopg.Error) as error:
            return self.fail(f"could not rebuild the index of {root}: {first_line(error)}")
        for line in result.skipped:
            print(f"skipped {line}")
        posts = result.count + len(result.skipped)
        print(
            f"{result.count} posts indexed{' in PostgreSQL' * bool(index_url(self.settings))},"
            f" {len(result.skipped)} skipped,"
            f" {result.aliases} of {result.aliases_before} aliases kept"
        )
        if result.parse_seconds:
            floor = posts * workers / result.parse_seconds
            print(
                f"{posts / result.seconds:,.0f} posts/s on {workers} process(es) in {result.seconds:.1f} s;"
                f" floor (reading and parsing the posts alone): {floor:,.0f} posts/s"
            )
        if result.skipped:
            self.exitcode = 1
        return None


def rebuild_postgres(root: Path, url: str, workers: int) -> Rebuilt:
    """Make the PostgreSQL index at ``url`` hold exactly the posts under ``root`` (read in ``workers`` processes),
    in one transaction. Raises ``psycopg.Error`` when the server fails."""
    result = Rebuilt(workers=workers)
    started = time.perf_counter()

    def entries() -> Iterator[Entry]:
        for read in reads(root, workers):
            result.skipped.extend(read.skipped)
            result.parse_seconds += read.parse_seconds
            yield from read.entries

    with PostgresIndex(url) as index:
        result.aliases_before = index.alias_count()
        result.count = index.replace_all(entries())
        result.aliases = index.alias_count()
    result.seconds = time.perf_counter() - started
    return result
