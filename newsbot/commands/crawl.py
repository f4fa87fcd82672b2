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
from newsbot.sources.config import FILE_VARIABLE, SourcesError, load_sources, sources_path
from newsbot.spiders import spider_parameters

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
            try:
                self.snapshot = SnapshotServer(opts.snapshot)
            except SnapshotError as error:
                self.log_error(str(error))
                raise UsageError(str(error)) from None
            for name, value in SNAPSHOT_SETTINGS.items():
                self.settings.set(name, value, priority="command")
        if opts.channels is not None and not opts.channels.strip(", "):
            raise UsageError("--channels: give one or more channel keys, comma-separated (newsbot sources sina-finance)")
        options = {"max_pages": opts.max_pages, "channels": opts.channels, "since": opts.since}
        try:
            self.plan = self.targets(args, opts, dict(opts.spargs), {k: v for k, v in options.items() if v})
        except UsageError as error:
            self.log_error(str(error))
            raise
        if problem := archive_write_problem(self.settings["NEWSBOT_OUTPUT_DIR"], self.settings):
            self.fail(problem)
            raise SystemExit(self.exitcode)

    def targets(
        self,
        args: list[str],
        opts: argparse.Namespace,
        spider_args: dict[str, Any],
        options: dict[str, Any],
    ) -> list[tuple[str, dict[str, Any]]]:
        """The spiders to run with their arguments: configured sources, else a spider by name; ``options``
        (``--max-pages``, ``--channels``, ``--since`` as spider arguments) go to the spiders that take them.

        Raises ``UsageError`` for no or several names, an unknown name, an option or ``-a`` argument the source
        does not take, or arguments a spider refuses.
        """
        if opts.all == bool(args) or len(args) > 1:
            raise UsageError("give one source name, or --all (newsbot sources lists them)")
        try:
            sources = load_sources(self.settings)
        except SourcesError as error:
            raise UsageError(str(error)) from None
        loader = get_spider_loader(self.settings)
        if opts.all:
            targets = [(name, source.spider, source.spider_args()) for name, source in sources.items()]
            if not targets:
                raise UsageError(f"no sources configured in {sources_path(self.settings.get(FILE_VARIABLE) or '')}")
        elif args[0] in sources:
            targets = [(args[0], sources[args[0]].spider, sources[args[0]].spider_args())]
        elif args[0] in loader.list():
            targets = [(args[0], args[0], {})]
        else:
            raise UsageError(f"no source {args[0]!r}; configured: {', '.join(sources)}")
        plan = []
        for name, spider, source_args in targets:
            spidercls = loader.load(spider)
            if given := sorted(source_args.keys() & spider_args.keys()):
                raise UsageError(f"-a {given[0]}: the source {name} sets it already")
            taken = {key: value for key, value in options.items() if key in spider_parameters(spidercls)}
            if not opts.all and (ignored := sorted(options.keys() - taken.keys())):
                option = "--" + ignored[0].replace("_", "-")
                raise UsageError(f"{option}: {name} takes no {ignored[0]} (its spider is {spider})")
            arguments = {**source_args, **taken, **spider_args}
            if problem := spider_argument_problem(spidercls, arguments, self.settings):
                raise UsageError(problem)
            plan.append((spider, arguments))
        return plan

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with ExitStack() as stack:
            if opts.snapshot:
                server = stack.enter_context(self.snapshot)
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
