"""``newsbot validate DIR``: check every post under a folder against the archive format."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand
from newsbot.validate import validate_tree


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "<dir>"

    def short_desc(self) -> str:
        return "Check every post under a folder against the archive format"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one folder")
        folder = Path(args[0])
        if not folder.is_dir():
            return self.fail(f"no such folder: {folder}")
        good = bad = 0
        for path, found in validate_tree(folder):
            for problem in found:
                print(f"{path}: {problem}")
            good, bad = (good, bad + 1) if found else (good + 1, bad)
        print(f"{good} passed, {bad} failed")
        if bad or not good:
            self.exitcode = 1
        return None
