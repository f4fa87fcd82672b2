"""``newsbot crawl NAME``: crawl a source into the archive, live or from the bundled snapshot."""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict

from newsbot.commands import NewsbotCommand
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, SnapshotServer

SNAPSHOT_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


class Command(NewsbotCommand):
    requires_project = False

    def syntax(self) -> str:
        return "[options] <source>"

    def short_desc(self) -> str:
        return "Crawl a source (sina-finance, ...) into the archive"

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
            "--snapshot", action="store_true", help="crawl the bundled snapshot served on 127.0.0.1"
        )
        parser.add_argument("--max-pages", metavar="N", type=int, help="listing pages per channel at most")
        parser.add_argument(
            "--record", metavar="FILE.warc.gz", help="also write every response to a WARC file"
        )
        parser.add_argument("--channels", metavar="KEYS", help="comma-separated channel keys (default: all)")

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

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one source name, e.g. sina-finance")
        spider_args = dict(opts.spargs)
        if opts.max_pages is not None:
            spider_args["max_pages"] = opts.max_pages
        if opts.channels:
            spider_args["channels"] = opts.channels
        with ExitStack() as stack:
            if opts.snapshot:
                server = stack.enter_context(SnapshotServer(opts.snapshot))
                self.settings.set("NEWSBOT_SNAPSHOT_ADDRESS", server.address, priority="cmdline")
            crawler = self.crawler_process.create_crawler(args[0])
            self.crawler_process.crawl(crawler, **spider_args)
            self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or crawler.stats.get_value("finish_reason") != "finished":
            self.exitcode = 1
