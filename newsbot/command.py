"""The base of newsbot's commands: a failure is one ``newsbot: error: ...`` line and exit status 1."""

from __future__ import annotations

import logging
import sys

from scrapy.commands import ScrapyCommand

logger = logging.getLogger(__name__)


class NewsbotCommand(ScrapyCommand):
    """A command that ends with a one-line ``newsbot: error: ...`` and exit status 1 when it fails, also
    logged as an ERROR when the log goes to a file (``LOG_FILE``, ``--logfile``, a Scrapyd job)."""

    def fail(self, message: str) -> None:
        print(f"newsbot: error: {message}", file=sys.stderr)
        if self.settings.get("LOG_FILE") and logging.root.handlers:
            # Where the log goes to a file (a Scrapyd job's log), the reason a run never started belongs there.
            logger.error(message)
        self.exitcode = 1
