"""``newsbot crawl NAME`` or ``--all``: crawl sources into the archive, live or from the bundled snapshot."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from datetime import datetime

from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict

from newsbot.command import NewsbotCommand
from newsbot.outcome import ALARMS_STAT
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


class Command(NewsbotCommand):
    requires_project = False

    def syntax(self) -> str:
        return "[options] <source> | --all"

    def short_desc(self) -> str:
        return "Crawl a source (sina-finance, a configured feed, ...) or all of them into the archive"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument(
            "-o",
            "--output",
            dest="output_dir",
            metavar="DIR",
            help="archive folder (default: NEWSBOT_OUTPUT_DIR)",
        )
        parser.add_argument(
            "--snapshot",
            nargs="?",
            const=BUNDLED_SNAPSHOT,
            metavar="DIR",
            help="crawl a snapshot served on 127.0.0.1 (default: the bundled one)",
        )
        parser.add_argument("--max-pages", metavar="N", type=int, help="listing pages per channel at most")
        parser.add_argument(
            "--record", metavar="FILE.warc.gz", help="also write every response to a WARC file"
        )
        parser.add_argument("--channels", metavar="KEYS", help="comma-separated channel keys (default: all)")
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
        try:
            opts.spargs = arglist_to_dict(opts.spargs)
        except ValueError:
            raise UsageError("Invalid -a value, use -a NAME=VALUE", print_help=False) from None
        if opts.output_dir:
            self.settings.set("NEWSBOT_OUTPUT_DIR", opts.output_dir, priority="cmdline")
        if opts.record:
            self.settings.set("NEWSBOT_RECORD_FILE", opts.record, priority="cmdline")
        if opts.snapshot:
            for name, value in SNAPSHOT_SETTINGS.items():
                self.settings.set(name, value, priority="command")

    def targets(self, args: list[str], opts: argparse.Namespace) -> list[tuple[str, dict[str, str]]]:
        """The spiders to run, with their source arguments: configured sources, else a spider by name."""
        if opts.all == bool(args) or len(args) > 1:
            raise UsageError("give one source name (see: newsbot sources), or --all")
        sources = load_sources(self.settings)
        if opts.all:
            return [(source.spider, source.spider_args()) for source in sources.values()]
        if args[0] in sources:
            return [(sources[args[0]].spider, sources[args[0]].spider_args())]
        if args[0] in self.crawler_process.spider_loader.list():
            return [(args[0], {})]
        raise UsageError(f"no source {args[0]!r}; configured: {', '.join(sources)}", print_help=False)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            targets = self.targets(args, opts)
        except SourcesError as error:
            return self.fail(str(error))
        spider_args = dict(opts.spargs)
        if opts.max_pages is not None:
            spider_args["max_pages"] = opts.max_pages
        if opts.channels:
            spider_args["channels"] = opts.channels
        if opts.since:
            spider_args["since"] = opts.since
        with ExitStack() as stack:
            if opts.snapshot:
                try:
                    server = stack.enter_context(SnapshotServer(opts.snapshot))
                except SnapshotError as error:
                    return self.fail(str(error))
                self.settings.set("NEWSBOT_SNAPSHOT_ADDRESS", server.address, priority="cmdline")
            crawlers = []
            for spider_name, source_args in targets:
                crawler = self.crawler_process.create_crawler(spider_name)
                arguments = {**source_args, **spider_args}
                crawler.settings.set("NEWSBOT_SPIDER_ARGUMENTS", arguments, priority="cmdline")
                self.crawler_process.crawl(crawler, **arguments)
                crawlers.append(crawler)
            self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or any(
            crawler.stats.get_value("finish_reason") != "finished" or crawler.stats.get_value(ALARMS_STAT)
            for crawler in crawlers
        ):
            self.exitcode = 1
        return None
