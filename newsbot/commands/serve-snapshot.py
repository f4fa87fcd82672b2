"""``newsbot serve-snapshot [DIR] --port N``: serve a recorded snapshot on 127.0.0.1 until interrupted.

A crawl anywhere on the machine (a Scrapyd job, cron, another shell) then reads the site from it with
``-s NEWSBOT_SNAPSHOT_ADDRESS=127.0.0.1:N``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from scrapy.exceptions import UsageError
from scrapy.utils.log import configure_logging

from newsbot.command import NewsbotCommand
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, SnapshotError, SnapshotServer

logger = logging.getLogger(__name__)


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[DIR] [--port N]"

    def short_desc(self) -> str:
        return "Serve a recorded snapshot (default: the bundled one) on 127.0.0.1 until interrupted"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--port", type=int, default=0, metavar="N", help="port on 127.0.0.1 (default: any free port)"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) > 1:
            raise UsageError("give at most one snapshot folder")
        if not 0 <= opts.port <= 65535:
            raise UsageError(f"--port {opts.port}: a port is 0 to 65535", print_help=False)
        try:
            server = SnapshotServer(args[0] if args else BUNDLED_SNAPSHOT, opts.port)
        except SnapshotError as error:
            raise UsageError(str(error)) from None
        configure_logging(self.settings)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            with server:
                logger.info(
                    "crawl it with -s NEWSBOT_SNAPSHOT_ADDRESS=%s; Ctrl-C or SIGTERM stops", server.address
                )
                stop.wait()
        except OSError as error:
            return self.fail(f"cannot listen on 127.0.0.1:{opts.port}: {error.strerror}")
        logger.info("stopped after %d requests", server.hits.total())
        return None
