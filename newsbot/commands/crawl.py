"""``newsbot crawl NAME`` or ``--all``: crawl sources into the archive, live or from the bundled snapshot.

Exit status 0 when every source's run did its job, 1 when one failed (``newsbot.outcome.run_outcome``), 2 for a
usage error. ``-o FILE``/``-O FILE`` are Scrapy's feed exports of the items stored (new or updated articles).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newsbot.command import CrawlingCommand, positive_int, spider_argument_problem
from newsbot.failed_writes import archive_write_problem
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, SnapshotError, SnapshotServer
from newsbot.sources.config import SourcesError, load_sources

SNAPSHOT_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


def since_date(value: str) -> str:
    """A ``--since`` value checked as an ISO 8601 date; ``argparse.ArgumentTypeError`` otherwise."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
    return value


class Command(CrawlingCommand):
    requires_project = False

    def syntax(self) -> str:
        return "[options] <source> | --all"

    def short_desc(self) -> str:
        return "Crawl a source (sina-finance, a configured feed, ...) or all of them into the archive"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--snapshot",
            nargs="?",
            const=BUNDLED_SNAPSHOT,
            metavar="DIR",
            help="crawl a snapshot served on 127.0.0.1 (default: the bundled one)",
        )
        parser.add_argument(
            "--max-pages", metavar="N", type=positive_int, help="listing pages per channel at most (1 or more)"
        )
        parser.add_argument(
            "--record", metavar="FILE.warc.gz", help="also write every response to a WARC file"
        )
        parser.add_argument(
            "--channels", metavar="KEYS", help="comma-separated Sina Finance channel keys (default: all)"
        )
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            type=since_date,
            help="backfill: page back through each listing until its items are older than this date (UTC)",
        )
        parser.add_argument(
            "--all", action="store_true", help="crawl every configured source (see: newsbot sources)"
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if opts.record:
            self.settings.set("NEWSBOT_RECORD_FILE", opts.record, priority="cmdline")
        if opts.snapshot:
            for name, value in SNAPSHOT_SETTINGS.items():
                self.settings.set(name, value, priority="command")
        spider_args: dict[str, Any] = dict(opts.spargs)
        if opts.max_pages is not None:
            spider_args["max_pages"] = opts.max_pages
        if opts.channels:
            spider_args["channels"] = opts.channels
        if opts.since:
            spider_args["since"] = opts.since
        try:
            self.plan = self.targets(args, opts, spider_args)
        except UsageError as error:
            self.log_error(str(error))
            raise
        if problem := archive_write_problem(self.settings["NEWSBOT_OUTPUT_DIR"], self.settings):
            self.fail(problem)
            raise SystemExit(self.exitcode)

    def targets(
        self, args: list[str], opts: argparse.Namespace, spider_args: dict[str, Any]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The spiders to run with their arguments: configured sources, else a spider by name.

        Raises ``UsageError`` for no or several names, an unknown name, or arguments a spider refuses.
        """
        if opts.all == bool(args) or len(args) > 1:
            raise UsageError("give one source name, or --all (newsbot sources lists them)")
        try:
            sources = load_sources(self.settings)
        except SourcesError as error:
            raise UsageError(str(error)) from None
        loader = get_spider_loader(self.settings)
        if opts.all:
            targets = [(source.spider, source.spider_args()) for source in sources.values()]
        elif args[0] in sources:
            targets = [(sources[args[0]].spider, sources[args[0]].spider_args())]
        elif args[0] in loader.list():
            targets = [(args[0], {})]
        else:
            raise UsageError(f"no source {args[0]!r}; configured: {', '.join(sources)}")
        plan = [(spider, {**source_args, **spider_args}) for spider, source_args in targets]
        for spider, arguments in plan:
            if problem := spider_argument_problem(loader.load(spider), arguments):
                raise UsageError(problem)
        return plan

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with ExitStack() as stack:
            if opts.snapshot:
                try:
                    server = stack.enter_context(SnapshotServer(opts.snapshot))
                except SnapshotError as error:
                    return self.fail(str(error))
                self.settings.set("NEWSBOT_SNAPSHOT_ADDRESS", server.address, priority="cmdline")
            crawlers = []
            for spider_name, arguments in self.plan:
                crawler = self._create_crawler(spider_name)
                crawler.settings.set("NEWSBOT_SPIDER_ARGUMENTS", arguments, priority="cmdline")
                self.crawler_process.crawl(crawler, **arguments)
                crawlers.append(crawler)
            self.crawler_process.start()
        self.finish(crawlers)
        return None
