"""The base of newsbot's commands: a failure is one ``newsbot: error: ...`` line and exit status 1."""

from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand


class NewsbotCommand(ScrapyCommand):
    """A command that ends with a one-line ``newsbot: error: ...`` and exit status 1 when it fails."""

    def fail(self, message: str) -> None:
        print(f"newsbot: error: {message}", file=sys.stderr)
        self.exitcode = 1
