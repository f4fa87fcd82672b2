"""``newsbot version``: newsbot's version beside Scrapy's (``-v`` adds Scrapy's report of its libraries)."""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from scrapy.commands.version import Command as ScrapyVersionCommand

from newsbot.cli import version_line


class Command(ScrapyVersionCommand):
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Print newsbot's version and Scrapy's"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        print(version_line())
        if opts.verbose:
            super().run(args, opts)
