"""``newsbot validate [DIR | --archive DIR]``: check every post under a folder against the archive format, and
that every post the folder's index names is there."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand
from newsbot.index.backends import INDEX_ERRORS, first_line, index_name, index_url
from newsbot.ledger import missing_posts
from newsbot.validate import validate_tree


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[<dir> | --archive DIR]"

    def short_desc(self) -> str:
        return (
            "Check every post under a folder against the archive format, and that the index's posts are there"
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        self.add_archive_option(parser)

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) > 1:
            raise UsageError("give one folder")
        self.check_index_url()
        self.folder = self.archive_folder(opts, args)
        if not self.folder.is_dir():
            raise UsageError(f"no such folder: {self.folder}")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        folder = self.folder
        good = bad = 0
        for path, found in validate_tree(folder):
            for problem in found:
                print(f"{path}: {problem}")
            good, bad = (good, bad + 1) if found else (good + 1, bad)
        if not good + bad:
            return self.fail(f"no posts under {folder}")
        missing = self.report_missing(folder)
        counts = f"{good} passed, {bad} failed"
        if missing is None:
            print(f"{counts}; which posts the index names is unknown")
        else:
            print(counts + (f", {missing} missing" if missing else ""))
        if bad or missing is None or missing:
            self.exitcode = 1
        return None

    def report_missing(self, folder: Path) -> int | None:
        """Print one line per index entry of ``folder`` whose post file is gone; return their count, ``None`` when
        the index cannot be read (said in one line)."""
        try:
            missing = missing_posts(folder, settings=self.settings)
        except INDEX_ERRORS as error:
            hint = "" if index_url(self.settings) else "; newsbot reindex rebuilds it"
            print(f"{index_name(folder, self.settings)}: cannot be read ({first_line(error)}){hint}")
            return None
        for entry in missing:
            print(f"{folder / entry.path}: missing, the index names it for {entry.url or entry.key}")
        return len(missing)
